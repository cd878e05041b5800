//! Validated domain types: a value of these types has passed its checks, so code past the
//! request edge never re-checks it.

mod country;
mod multilingual;

pub use country::{CountryCode, normalise_name};
pub use multilingual::{Language, Multilingual};
