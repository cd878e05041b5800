//! Commands: each write is one function of (who asks, validated input) -> result, and owns
//! what the write needs besides its SQL: who may do it (`policy`, the one answer for the API,
//! bulk uploads and `upr-tc import`), the checks of what it refers to, and the write itself
//! in its transaction, whose audit entry and feed row come from `db`.
//!
//! Nothing here knows HTTP: errors are [`Error`], mapped to problem+json in `error`.

pub mod activities;
pub mod assistance_requests;
pub mod consents;
pub mod coordination;
pub mod interests;
pub mod kept;
pub mod matching;
pub mod offers;
pub mod policy;
pub mod read_ahead;
pub mod recommendations;
pub mod report;
pub mod stakeholders;
pub mod uploads;

pub use crate::db::documents::Expected;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::db::DbConnection;
use crate::db::audit::Actor;
use crate::db::documents::{self, Document, WriteError};
use crate::db::tx::write;
use crate::domain::caller::Caller;
use crate::domain::{FieldError, Id};

/// Who asks for a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A caller with a verified token.
    Caller(Caller),
    /// An operator at the machine, through `upr-tc` commands: what `admin` may do, audited
    /// as `operator`.
    Operator,
}

impl Principal {
    /// Who the audit trail names.
    pub fn actor(&self) -> Actor {
        match self {
            Self::Caller(caller) => Actor::of(caller),
            Self::Operator => Actor::operator(),
        }
    }
}

impl From<Caller> for Principal {
    fn from(caller: Caller) -> Self {
        Self::Caller(caller)
    }
}

impl From<&Caller> for Principal {
    fn from(caller: &Caller) -> Self {
        Self::Caller(caller.clone())
    }
}

/// Why a command did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The principal may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The item is not there, or not for this principal to see.
    #[error("{0}")]
    NotFound(String),
    /// The item has changed since the version the caller last read.
    #[error("the item has changed: its version is now {current}")]
    Stale { current: i64 },
    /// The write contradicts what is stored (an item that is the same as another, a deletion
    /// others depend on, …).
    #[error("{0}")]
    Conflict(String),
    /// The input is not valid: every bad field.
    #[error("{} fields are invalid", .0.len())]
    Invalid(Vec<FieldError>),
    /// A JSON merge patch whose result is not a valid content: the fields at fault (never
    /// none), by their JSON pointers (the same in the patch and in the document it makes).
    #[error("The patched document is not valid: {}", crate::domain::json::first_and_count(.0))]
    InvalidPatch(Vec<FieldError>),
    /// A read gave up past its time limit; the caller may ask for less, or later.
    #[error("{0}")]
    TooSlow(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    /// Anything unexpected.
    #[error(transparent)]
    Internal(anyhow::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

impl From<WriteError> for Error {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::NotFound => Self::NotFound("No item has this id.".into()),
            WriteError::Stale { current } => Self::Stale { current },
            WriteError::Conflict(detail) => Self::Conflict(detail),
            WriteError::Forbidden(detail) => Self::Forbidden(detail),
            WriteError::Invalid(errors) => Self::Invalid(errors),
            WriteError::Db(e) => Self::Db(e),
        }
    }
}

/// What a change brings: a whole new content (a replacement), or a JSON merge patch
/// (RFC 7396) of the current one.
#[derive(Debug, Clone)]
pub enum Edit<C> {
    Replace(C),
    Patch(Value),
}

impl<C: Serialize + DeserializeOwned> Edit<C> {
    /// The content the change asks for, given the current one (stored, and so valid: it writes
    /// the JSON of an input).
    fn apply(self, current: &impl Serialize) -> Result<C> {
        match self {
            Self::Replace(content) => Ok(content),
            Self::Patch(patch) => patched(current, &patch),
        }
    }
}

/// RFC 7396 JSON merge patch. An object merged into what is not one (an absent field) starts
/// from an empty object, so its `null`s remove nothing rather than being written.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    if patch.is_object() && !target.is_object() {
        *target = Value::Object(Default::default());
    }
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

/// A content with a JSON merge patch applied; a result that is not a valid content is
/// [`Error::InvalidPatch`].
fn patched<T: DeserializeOwned>(current: &impl Serialize, patch: &Value) -> Result<T> {
    let mut merged = serde_json::to_value(current).map_err(|e| Error::Internal(e.into()))?;
    merge_patch(&mut merged, patch);
    // Read as a body's shape is read (`domain::json`): the error names the field at fault.
    crate::domain::json::from_value(merged).map_err(Error::InvalidPatch)
}

/// A validation's result as a command's.
fn valid<T>(result: std::result::Result<T, Vec<FieldError>>) -> Result<T> {
    result.map_err(Error::Invalid)
}

/// A command's refusal as the field errors of a bulk row: its bad fields, or the refusal
/// itself at `pointer` (the field that made it: a request's State, an offer's stakeholder).
fn row_errors(error: Error, pointer: &str) -> Vec<FieldError> {
    match error {
        Error::Invalid(errors) => errors,
        Error::Forbidden(message) => vec![FieldError::new(pointer, "forbidden", message)],
        Error::Db(e) => vec![FieldError::new(
            "",
            "database_error",
            format!("the row could not be checked: {e}"),
        )],
        other => vec![FieldError::new(pointer, "rejected", other.to_string())],
    }
}

/// Stores a new item, validated, once its command has said the principal may.
fn insert<D: Document>(
    conn: &mut DbConnection,
    principal: &Principal,
    content: D::Content,
) -> Result<D> {
    let actor = principal.actor();
    write(conn, |c| {
        Ok(documents::insert(c, &actor, content, D::Id::new_v7())?)
    })
}

/// Deletes an item, with `expected` only if it is still that version, once its command has
/// said the principal may.
fn delete<D: Document>(
    conn: &mut DbConnection,
    principal: &Principal,
    id: D::Id,
    expected: Expected,
) -> Result<()> {
    let actor = principal.actor();
    write(conn, |c| {
        documents::delete::<D>(c, &actor, id, &expected)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}}));
        merge_patch(&mut doc, &json!({"x": [1]}));
        assert_eq!(doc["x"], json!([1]));
        // The RFC's own examples: an object into a field that is absent or not an object.
        merge_patch(
            &mut doc,
            &json!({"n": {"zh": null, "en": "A"}, "a": {"b": null}}),
        );
        assert_eq!(doc["n"], json!({"en": "A"}));
        assert_eq!(doc["a"], json!({}));
    }
}
