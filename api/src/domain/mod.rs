//! Validated domain types: a value of these types has passed its checks, so code past the
//! request edge never re-checks it.

pub mod codes;
mod country;
mod external_ref;
mod multilingual;
pub mod publication;
pub mod recommendation;
pub mod stakeholder;
pub mod validate;

pub use country::{CountryCode, normalise_name, normalise_text};
pub use external_ref::ExternalRef;
pub use multilingual::{Language, Multilingual};
