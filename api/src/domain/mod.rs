//! Validated domain types: a value of these types has passed its checks, so code past the
//! request edge never re-checks it.

pub mod activity;
pub mod caller;
pub mod codes;
pub mod consent;
mod country;
mod external_ref;
mod multilingual;
pub mod publication;
pub mod recommendation;
pub mod stakeholder;
pub mod validate;

pub use country::{CountryCode, normalise_name, normalise_text};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// What every stored item has besides its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Stored {
    pub id: Uuid,
    /// Increases with every change; the `ETag`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Stored {
    /// A new item's, created at `at`.
    pub fn new(id: Uuid, at: DateTime<Utc>) -> Self {
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
