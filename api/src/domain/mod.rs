//! Validated domain types: a value of these types has passed its checks, so code past the
//! request edge never re-checks it.

pub mod activity;
pub mod analysis;
pub mod assistance_request;
pub mod caller;
pub mod codes;
pub mod consent;
pub mod coordination;
mod country;
mod external_ref;
pub mod ids;
pub mod interest;
pub mod matching;
mod multilingual;
pub mod needs;
pub mod offer;
pub mod publication;
pub mod recommendation;
pub mod report;
pub mod stakeholder;
pub mod times;
pub mod validate;
pub mod words;

pub use country::{CountryCode, normalise_name, normalise_text};
pub use ids::{
    ActivityId, AssistanceRequestId, ConsentId, Id, InterestId, OfferId, RecommendationId,
    StakeholderId,
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What every stored item has besides its content; `I` is the kind's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Stored<I> {
    #[schema(value_type = Uuid)]
    pub id: I,
    /// Increases with every change; the `ETag`.
    pub version: i64,
    #[serde(serialize_with = "times::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "times::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl<I> Stored<I> {
    /// A new item's, created at `at`.
    pub fn new(id: I, at: DateTime<Utc>) -> Self {
        Self {
            id,
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }
}

impl<I: Id> Stored<I> {
    /// The members of the JSON serde writes for this, without its braces, written by hand (a
    /// bulk import writes them into every item's document, `db::documents::json_with_content`);
    /// `None` for a time `times` does not write itself.
    pub fn json_members(&self) -> Option<String> {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(b"\"id\":\"");
        let mut id = uuid::Uuid::encode_buffer();
        let id = Into::<uuid::Uuid>::into(self.id)
            .hyphenated()
            .encode_lower(&mut id);
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(b"\",\"version\":");
        out.extend_from_slice(self.version.to_string().as_bytes());
        out.extend_from_slice(b",\"created_at\":\"");
        times::write_rfc3339(&mut out, self.created_at.naive_utc())?;
        out.extend_from_slice(b"\",\"updated_at\":\"");
        times::write_rfc3339(&mut out, self.updated_at.naive_utc())?;
        out.push(b'"');
        String::from_utf8(out).ok()
    }
}

pub use external_ref::ExternalRef;
pub use multilingual::{Language, Multilingual};
pub use validate::FieldError;

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    /// What is written by hand is what serde writes, but for the braces.
    #[test]
    fn stored_members_are_what_serde_writes() {
        let at = Utc.with_ymd_and_hms(2026, 12, 4, 21, 0, 9).unwrap();
        for (version, created, updated) in [
            (1, at, at),
            (i64::MAX, at, at + chrono::Duration::microseconds(120)),
            (-3, at + chrono::Duration::nanoseconds(7), at),
        ] {
            let stored = Stored {
                id: RecommendationId::new_v7(),
                version,
                created_at: created,
                updated_at: updated,
            };
            assert_eq!(
                format!("{{{}}}", stored.json_members().unwrap()),
                serde_json::to_string(&stored).unwrap()
            );
        }
    }
}
