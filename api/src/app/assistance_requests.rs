//! Assistance requests: a State files, changes and deletes its own; `admin` any State's, on
//! its behalf, with the reference of the State's request.

use super::Expected;
use super::policy::{self, RequestFiler};
use super::uploads::Uploader;
use super::{Edit, Error, Principal, Result, row_errors, valid};
use crate::db::DbConnection;
use crate::db::activities::{self, Referenced};
use crate::db::assistance_requests::{check_references, may_see};
use crate::db::documents::{self, WriteError};
use crate::db::interests;
use crate::db::tx::write;
use crate::domain::assistance_request::{
    AssistanceRequest, AssistanceRequestContent, AssistanceRequestInput, RequestStatus,
};
use crate::domain::interest::InterestStatus;
use crate::domain::publication::Access;
use crate::domain::{AssistanceRequestId, FieldError, Id};

/// The request, if a caller with `access` may see it; else the same answer as for no request
/// at all.
pub fn visible(
    conn: &mut DbConnection,
    id: AssistanceRequestId,
    access: &Access,
) -> Result<AssistanceRequest> {
    shown(
        documents::get::<AssistanceRequest>(conn, id)?.as_ref(),
        id,
        access,
    )
}

/// `found`, the request with this id if there is one (read now, or kept while the data is
/// unchanged), if a caller with `access` may see it; else the same answer as for no request.
pub fn shown(
    found: Option<&AssistanceRequest>,
    id: AssistanceRequestId,
    access: &Access,
) -> Result<AssistanceRequest> {
    found
        .filter(|r| may_see(access, &r.content))
        .cloned()
        .ok_or_else(|| Error::NotFound(format!("No assistance request has the id {id}.")))
}

/// The content validated, the filer's to file, and its recommendations the State's accepted
/// ones: every problem of the content at once.
pub fn checked(
    conn: &mut DbConnection,
    filer: &RequestFiler,
    input: AssistanceRequestInput,
) -> Result<AssistanceRequestContent> {
    let content = valid(input.validate())?;
    allowed(conn, filer, content)
}

/// A valid content the filer's to file, with its recommendations the State's accepted ones.
fn allowed(
    conn: &mut DbConnection,
    filer: &RequestFiler,
    content: AssistanceRequestContent,
) -> Result<AssistanceRequestContent> {
    policy::may_file_request(filer, &content)?;
    let errors = check_references(conn, &content)?;
    if errors.is_empty() {
        Ok(content)
    } else {
        Err(Error::Invalid(errors))
    }
}

/// A row of an upload (already valid), as [`file`] and [`change`] check a request: the
/// uploader's to file (a State's for itself), its recommendations the State's accepted ones. A
/// refusal is a field error at `/state`. (Whether `admin` gives a reference depends on the
/// request the row is written over: `import::needs` asks `policy::reference_given`.)
pub fn check_row(
    conn: &mut DbConnection,
    uploader: &Uploader,
    content: AssistanceRequestContent,
) -> std::result::Result<AssistanceRequestContent, Vec<FieldError>> {
    policy::request_filer(&uploader.principal)
        .and_then(|filer| allowed(conn, &filer, content))
        .map_err(|e| row_errors(e, "/state"))
}

/// The rule of a request's status and its interests: a request with an accepted interest is
/// `matched` (or, done with, `closed`); one without is never `matched`, which only accepting
/// an interest makes it. `id` is the request written over, `None` for a new one. Every write
/// of a request (the API, bulk uploads, the CLI) is held to it.
pub fn status_fits(
    conn: &mut DbConnection,
    id: Option<AssistanceRequestId>,
    status: RequestStatus,
) -> Result<()> {
    let accepted = match id {
        Some(id) => !interests::with_status(conn, id, &[InterestStatus::Accepted])?.is_empty(),
        None => false,
    };
    let problem = match (accepted, status) {
        (true, RequestStatus::Matched | RequestStatus::Closed)
        | (false, RequestStatus::Draft | RequestStatus::Open | RequestStatus::Closed) => {
            return Ok(());
        }
        (true, other) => format!(
            "an interest in this request was accepted: it is matched or closed, not {}; to look for other help, file a new request",
            other.as_str()
        ),
        (false, _) => "a request becomes matched when its State accepts an interest in it (POST /api/v1/assistance-requests/{id}/interests/{interest}/accept), not by writing its status".into(),
    };
    Err(Error::Invalid(vec![FieldError::new(
        "/status",
        "status_not_allowed",
        problem,
    )]))
}

/// Files a request: a State for itself, `admin` for the State it names.
pub fn file(
    conn: &mut DbConnection,
    principal: &Principal,
    input: AssistanceRequestInput,
) -> Result<AssistanceRequest> {
    let filer = policy::request_filer(principal)?;
    let actor = principal.actor();
    write(conn, |c| {
        let content = checked(c, &filer, input)?;
        policy::reference_given(&filer, None, &content)?;
        status_fits(c, None, content.status)?;
        Ok(documents::insert(
            c,
            &actor,
            content,
            AssistanceRequestId::new_v7(),
        )?)
    })
}

/// The request as the principal may change it: one it sees (else not found), and its own
/// State's (else forbidden).
pub fn own_current(
    conn: &mut DbConnection,
    principal: &Principal,
    id: AssistanceRequestId,
) -> Result<(AssistanceRequest, RequestFiler)> {
    let current = visible(conn, id, &policy::principal_access(principal))?;
    let filer = policy::request_filer(principal)?;
    policy::may_change_request(&filer, &current.content)?;
    Ok((current, filer))
}

/// Changes a request (a replacement or a merge patch); with `expected`, only if it is still
/// that version.
pub fn change(
    conn: &mut DbConnection,
    principal: &Principal,
    id: AssistanceRequestId,
    edit: Edit<AssistanceRequestInput>,
    expected: Expected,
) -> Result<AssistanceRequest> {
    let actor = principal.actor();
    write(conn, |c| {
        let (current, filer) = own_current(c, principal, id)?;
        let input = edit.apply(&current.content)?;
        let content = checked(c, &filer, input)?;
        policy::reference_given(&filer, Some(&current.content), &content)?;
        status_fits(c, Some(id), content.status)?;
        answered_stays(c, &current, &content)?;
        Ok(documents::replace(c, &actor, id, content, &expected)?)
    })
}

/// What no write may do to a request that interests or activities answer: give it to another
/// State (they were made for its State), or take it back to draft (a public activity would
/// name a request nobody sees). Every write of a request (the API, bulk uploads, the CLI) is
/// held to it.
pub fn answered_stays(
    conn: &mut DbConnection,
    current: &AssistanceRequest,
    content: &AssistanceRequestContent,
) -> Result<()> {
    let moves = content.state != current.content.state;
    let hides = current.public() && content.status == RequestStatus::Draft;
    if !(moves || hides) || !answered(conn, current.stored.id)? {
        return Ok(());
    }
    Err(Error::Conflict(if moves {
        "Providers have answered this request (interests, activities): it stays its State's; file a new one for another State.".into()
    } else {
        "Providers have answered this request (interests, activities): it stays public; close it (`status: closed`) instead.".into()
    }))
}

/// Whether interests or activities answer the request: they were made for its State.
fn answered(conn: &mut DbConnection, id: AssistanceRequestId) -> Result<bool> {
    Ok(interests::naming_request(conn, id)? > 0
        || activities::references_to(conn, Referenced::AssistanceRequest(id))? > 0)
}

/// Deletes a request; with `expected`, only if it is still that version.
pub fn delete(
    conn: &mut DbConnection,
    principal: &Principal,
    id: AssistanceRequestId,
    expected: Expected,
) -> Result<()> {
    let actor = principal.actor();
    write(conn, |c| {
        own_current(c, principal, id)?;
        documents::delete::<AssistanceRequest>(c, &actor, id, &expected).map_err(|e| match e {
            WriteError::NotFound => {
                Error::NotFound(format!("No assistance request has the id {id}."))
            }
            other => other.into(),
        })?;
        Ok(())
    })
}
