//! Who uploads many items at once (`POST /api/v1/bulk/…` and `upr-tc import`), decided once
//! for the upload: the readers in `import` then hold each row to the rules the commands of
//! its kind apply to one item (`policy`, and the `check_row` of `activities`,
//! `assistance_requests` and `offers`).

use super::policy::{self, Author, Upload};
use super::{Principal, Result};
use crate::db::DbConnection;
use crate::db::audit::Actor;

/// An upload's principal, with what its rows need to know of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploader {
    pub principal: Principal,
    /// For activities and offers: the stakeholder the uploader submits as (`Anyone` for
    /// `admin` and the operator, whose rows name their submitter or stakeholder).
    pub author: Author,
    /// `author` is not registered yet (a State's first dry run, which registers nothing): rows
    /// are not refused for naming it.
    pub author_unregistered: bool,
}

impl Uploader {
    /// Who the audit trail names.
    pub fn actor(&self) -> Actor {
        self.principal.actor()
    }
}

/// Whether `principal` may upload items of `kind`, and as whom. For activities and offers, a
/// State's own stakeholder is registered here unless `dry_run`.
pub fn uploader(
    conn: &mut DbConnection,
    principal: &Principal,
    kind: Upload,
    dry_run: bool,
) -> Result<Uploader> {
    policy::may_upload(principal, kind)?;
    let (author, author_unregistered) = match kind {
        Upload::Activities => {
            let writer = policy::activity_writer(principal)?;
            super::activities::upload_author(conn, principal, writer, dry_run)?
        }
        // An offer's stakeholder is decided as an activity's submitter.
        Upload::Offers => {
            let writer = policy::offer_writer(principal)?;
            super::activities::upload_author(conn, principal, writer, dry_run)?
        }
        Upload::Recommendations | Upload::Stakeholders | Upload::AssistanceRequests => {
            (Author::Nobody, false)
        }
    };
    Ok(Uploader {
        principal: principal.clone(),
        author,
        author_unregistered,
    })
}
