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

/// Checks that a stored text is one JSON value, without a copy: what is served as stored (a
/// list's or an item's document) goes out only when it reads, else the request is a 500.
pub fn check_json(text: &str) -> diesel::QueryResult<()> {
    serde_json::from_str::<&serde_json::value::RawValue>(text)
        .map(drop)
        .map_err(|e| unreadable(format!("stored JSON: {e}")))
}

/// A stored JSON text as it is, checked but not parsed into a tree: what is served unchanged
/// (the feed's data) is written out as stored.
pub fn stored_raw(text: String) -> diesel::QueryResult<Box<serde_json::value::RawValue>> {
    serde_json::value::RawValue::from_string(text)
        .map_err(|e| unreadable(format!("stored JSON: {e}")))
}
