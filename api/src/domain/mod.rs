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
pub mod json;
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

pub use country::{
    CountryCode, is_invisible, look_alike_keys, normalise_name, normalise_text, normalise_words,
};
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
pub use external_ref::ExternalRef;
pub use multilingual::{Language, Multilingual};
pub use validate::FieldError;
