//! Values as stored, read back: a value this code did not write is an error, never skipped or
//! taken as a default (the consent gate fails closed).

/// The error for a stored value that does not read: the data is not what this code wrote, and
/// every reader fails rather than skip the row or take a default (the consent gate fails
/// closed). The request answers 500, and the log says what did not read.
pub fn unreadable(what: impl Into<String>) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(what.into().into())
}

/// A stored JSON text.
pub fn stored_json(text: &str) -> diesel::QueryResult<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| unreadable(format!("stored JSON: {e}")))
}
