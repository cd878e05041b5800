//! The change feed's items and the snapshot's lines, typed by their kind. Their `data` is an
//! activity, a recommendation, a consent record… as `type` says; one schema for all of them
//! could only call it "any value", and a client generated from the contract would hand its
//! user a bare dictionary to pick apart. So each is a `oneOf` of one schema per kind
//! (`FeedItemActivity`, `SnapshotLineOffer`, …), told apart by `type` (one word each, and the
//! `discriminator` for generators that read one), whose `data` is that kind's schema: the
//! representation a read of the item gives (`null` for a feed's `delete`).

use utoipa::openapi::schema::{Discriminator, Object, OneOf, Schema, SchemaType, Type};
use utoipa::openapi::{OpenApi, Ref, RefOr};

/// Each kind of item the feed and the snapshot carry (`db::changes::TYPES`), and the schema
/// of its representation.
pub const KINDS: [(&str, &str); 6] = [
    ("recommendation", "Recommendation"),
    ("stakeholder", "Stakeholder"),
    ("activity", "Activity"),
    ("consent", "Consent"),
    ("assistance_request", "AssistanceRequest"),
    ("offer", "Offer"),
];

/// The schemas made `oneOf`s of their kinds: each, and whether its `data` may be `null`.
const TYPED: [(&str, bool); 2] = [("FeedItem", true), ("SnapshotLine", false)];

pub(super) fn type_by_kind(openapi: &mut OpenApi) {
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    for (name, nullable) in TYPED {
        let Some(RefOr::T(Schema::Object(base))) = components.schemas.get(name).cloned() else {
            continue;
        };
        let mut one_of = OneOf::new();
        one_of.description = base.description.clone();
        let mut discriminator = Discriminator::new("type");
        for (kind, schema) in KINDS {
            let variant_name = format!("{name}{schema}");
            let variant = variant(&base, kind, schema, nullable);
            components
                .schemas
                .insert(variant_name.clone(), RefOr::T(Schema::Object(variant)));
            let reference = Ref::from_schema_name(&variant_name);
            discriminator
                .mapping
                .insert(kind.to_owned(), reference.ref_location.clone());
            one_of.items.push(RefOr::Ref(reference));
        }
        one_of.discriminator = Some(discriminator);
        components
            .schemas
            .insert(name.to_owned(), RefOr::T(Schema::OneOf(one_of)));
    }
}

/// `base` for items of one kind: its `type` that kind (a list of one word: `const` is not a
/// keyword utoipa writes), its `data` that kind's schema.
fn variant(base: &Object, kind: &str, schema: &str, nullable: bool) -> Object {
    let mut variant = base.clone();
    variant.description = Some(format!(
        "{} Of one {}.",
        base.description.as_deref().unwrap_or_default(),
        kind.replace('_', " ")
    ));
    let mut word = Object::with_type(Type::String);
    word.enum_values = Some(vec![kind.into()]);
    variant
        .properties
        .insert("type".to_owned(), RefOr::T(Schema::Object(word)));
    let described = match variant.properties.get("data") {
        Some(RefOr::T(Schema::Object(data))) => data.description.clone(),
        _ => None,
    };
    let mut item = Ref::from_schema_name(schema);
    let data = if nullable {
        let mut one_of = OneOf::new();
        one_of.description = described;
        one_of.items.push(RefOr::Ref(item));
        one_of.items.push(RefOr::T(Schema::Object(Object::with_type(
            SchemaType::Type(Type::Null),
        ))));
        RefOr::T(Schema::OneOf(one_of))
    } else {
        item.description = described.unwrap_or_default();
        RefOr::Ref(item)
    };
    variant.properties.insert("data".to_owned(), data);
    variant
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind the feed carries has its schema, and nothing else is listed; as served, each
    /// kind's items are told apart by their `type`, a word of their own, and their `data` is
    /// their kind's schema.
    #[test]
    fn each_kind_of_the_feed_is_typed() {
        let kinds: Vec<&str> = KINDS.iter().map(|(kind, _)| *kind).collect();
        assert_eq!(kinds, crate::db::changes::TYPES);
        let doc: serde_json::Value =
            serde_json::from_str(&crate::openapi::render()).expect("the contract is JSON");
        let schemas = &doc["components"]["schemas"];
        for (name, nullable) in TYPED {
            assert_eq!(
                schemas[name]["oneOf"].as_array().map(Vec::len),
                Some(KINDS.len())
            );
            for (kind, schema) in KINDS {
                assert!(schemas[schema].is_object(), "{schema}");
                let variant = &schemas[format!("{name}{schema}")]["properties"];
                assert_eq!(variant["type"]["enum"], serde_json::json!([kind]), "{name}");
                let item = format!("#/components/schemas/{schema}");
                let data = &variant["data"];
                let named = if nullable {
                    &data["oneOf"][0]["$ref"]
                } else {
                    &data["$ref"]
                };
                assert_eq!(named.as_str(), Some(item.as_str()), "{name}{schema}");
            }
        }
    }
}
