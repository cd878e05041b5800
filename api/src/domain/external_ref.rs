use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::validate::Errors;

/// A key of this item in a partner database, so partners can upsert by their own keys.
/// Unique per source among items of the same kind; an activity's among its submitter's
/// activities (another submitter's key is not "taken", so that a key tells nothing of
/// activities the caller cannot see).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalRef {
    /// The partner database, in lower case: `upr-info`, `uhri`, `impact-oss`, …
    #[schema(
        example = "upr-info",
        max_length = 50,
        pattern = "^[a-z0-9][a-z0-9._-]*$"
    )]
    pub source: String,
    /// The item's key there.
    #[schema(
        example = "A/HRC/11/37-89.12",
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub external_id: String,
}

impl ExternalRef {
    /// Whether `name` names a source: lower-case letters, digits, `.`, `_` or `-`, starting
    /// with a letter or digit, at most 50.
    pub fn is_source_name(name: &str) -> bool {
        name.len() <= 50
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            })
    }

    /// At most 50, each valid, duplicates removed.
    pub fn validate_all(e: &mut Errors, pointer: &str, refs: &mut Vec<ExternalRef>) {
        e.distinct(pointer, refs, 50, |e, at, r| {
            if !Self::is_source_name(&r.source) {
                e.add(
                    format!("{at}/source"),
                    "invalid",
                    "must be lower-case letters, digits, `.`, `_` or `-`, at most 50",
                );
            }
            e.text(&format!("{at}/external_id"), &r.external_id, 200);
        });
    }
}
