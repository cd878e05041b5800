//! Typed ids: an activity's id cannot be passed where a stakeholder's is meant. Each is a UUID
//! (v7 for a new item) and reads and writes as one: the same string in JSON, in the database
//! (`Uuid::to_string()`) and in the contract, where fields say `value_type = Uuid` so that the
//! schema stays an inline `uuid` string.

use std::fmt;
use std::hash::Hash;
use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What every typed id is.
pub trait Id:
    Copy
    + Eq
    + Ord
    + Hash
    + fmt::Debug
    + fmt::Display
    + FromStr<Err = uuid::Error>
    + Serialize
    + DeserializeOwned
    + From<Uuid>
    + Into<Uuid>
    + Send
    + Sync
    + 'static
{
    /// A new item's id, time-ordered (UUID v7).
    fn new_v7() -> Self {
        Uuid::now_v7().into()
    }
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl Id for $name {}

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}

typed_id!(
    /// An activity's id.
    ActivityId
);
typed_id!(
    /// A stakeholder's id.
    StakeholderId
);
typed_id!(
    /// A recommendation's id.
    RecommendationId
);
typed_id!(
    /// A consent record's id.
    ConsentId
);
typed_id!(
    /// An assistance request's id.
    AssistanceRequestId
);
typed_id!(
    /// An offer's id.
    OfferId
);
typed_id!(
    /// A provider's expression of interest in an assistance request.
    InterestId
);
