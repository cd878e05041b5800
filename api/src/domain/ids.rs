//! Typed ids: an activity's id cannot be passed where a stakeholder's is meant. Each is a UUID
//! (v7 for a new item) and reads and writes as one: the same string in JSON, in the database
//! (`Uuid::to_string()`) and in the contract, where fields say `value_type = Uuid` so that the
//! schema stays an inline `uuid` string.

use std::cell::RefCell;
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
        new_uuid().into()
    }
}

thread_local! {
    /// Set while [`seeded`] runs: the ids this thread makes follow from a seed.
    static SEEDED: RefCell<Option<Seeded>> = const { RefCell::new(None) };
}

/// Ids that follow from a seed: UUID v7 whose time is one millisecond later each, from a
/// fixed start, and whose random bits come from a generator seeded once.
struct Seeded {
    millis: u64,
    rng: rand::rngs::StdRng,
}

/// A new UUID v7: from the clock and the system's randomness, or, while [`seeded`] runs on
/// this thread, the next id of its seed.
pub fn new_uuid() -> Uuid {
    SEEDED.with_borrow_mut(|seeded| match seeded {
        None => Uuid::now_v7(),
        Some(s) => {
            let mut random = [0u8; 10];
            rand::RngCore::fill_bytes(&mut s.rng, &mut random);
            s.millis += 1;
            uuid::Builder::from_unix_timestamp_millis(s.millis, &random).into_uuid()
        }
    })
}

/// Runs `f` with the new ids of this thread following from `seed` (`upr-tc seed`): the same
/// seed and the same writes in the same order make the same ids, on either engine. They are
/// still UUID v7, in the order they are made, with times from `start_millis` (Unix time in
/// milliseconds) on.
pub fn seeded<T>(seed: u64, start_millis: u64, f: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            SEEDED.with_borrow_mut(|s| *s = None);
        }
    }
    SEEDED.with_borrow_mut(|s| {
        *s = Some(Seeded {
            millis: start_millis,
            rng: rand::SeedableRng::seed_from_u64(seed),
        })
    });
    let _reset = Reset;
    f()
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
