//! What an answer always sends, the contract calls required. utoipa calls an `Option` field
//! optional, which is right for a request (it may be left out) but not for an answer, where
//! the field is there, `null` when it says nothing: a client generated from the contract then
//! types every such field "absent or null or a value" and makes its user test for the absence
//! that never comes. So every field of a schema only answers use is required, but for those
//! the service leaves out when they say nothing (serde's `skip_serializing_if`), listed below.
//! Schemas that requests take too (a budget, a period, a multilingual text) stay as they are.
//!
//! The API suite holds every answer it receives to the contract (`tests/support/contract.rs`):
//! a field required here but left out of an answer fails it.

use utoipa::openapi::schema::Schema;
use utoipa::openapi::{OpenApi, RefOr};

use super::reach::Sides;

/// The fields of answers left out when they say nothing: (schema, fields).
const LEFT_OUT_WHEN_EMPTY: &[(&str, &[&str])] = &[
    ("Activity", &["assistance_request", "offer"]),
    (
        "Recommendation",
        &[
            "paragraph",
            "sdg_goals",
            "themes_original",
            "affected_persons_original",
            "sources",
        ],
    ),
    ("Consent", &["granted_content"]),
    ("RecordedBy", &["subject"]),
    ("ConsentCounts", &["awaiting", "refused"]),
    ("AuditEntry", &["patch"]),
    ("Theme", &["equivalents"]),
    ("VocabularyEntry", &["iati_organisation_type"]),
    ("Problem", &["errors", "report"]),
];

pub(super) fn mark_sent(openapi: &mut OpenApi) {
    let sides = Sides::of(openapi);
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    for name in sides.given.difference(&sides.taken) {
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) else {
            continue;
        };
        let left_out = LEFT_OUT_WHEN_EMPTY
            .iter()
            .find(|(schema, _)| schema == name)
            .map_or(&[][..], |(_, fields)| fields);
        object.required = object
            .properties
            .keys()
            .filter(|field| !left_out.contains(&field.as_str()))
            .cloned()
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each field listed is a field of an answer's schema, and left optional there: a list
    /// that names a schema or a field no longer there is out of date.
    #[test]
    fn the_fields_left_out_are_fields_of_answers() {
        let doc = crate::openapi::document();
        let sides = Sides::of(&doc);
        let schemas = &doc.components.as_ref().expect("components").schemas;
        for (name, fields) in LEFT_OUT_WHEN_EMPTY {
            assert!(
                sides.given.contains(*name) && !sides.taken.contains(*name),
                "{name} is not a schema of answers only"
            );
            let Some(RefOr::T(Schema::Object(object))) = schemas.get(*name) else {
                panic!("{name} is not an object");
            };
            for field in *fields {
                assert!(
                    object.properties.contains_key(*field),
                    "{name} has no {field}"
                );
                assert!(
                    !object.required.iter().any(|r| r == field),
                    "{name}.{field}"
                );
            }
            assert!(
                object.required.len() + fields.len() == object.properties.len(),
                "{name}: every other field is required"
            );
        }
    }
}
