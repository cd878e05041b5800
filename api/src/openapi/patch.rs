//! `PATCH` takes a JSON merge patch (RFC 7396): the `PUT` body's schema with nothing required
//! and `null` for what may be removed, named `…Patch`. An object inside it (a multilingual
//! text, a contact) is merged too, not replaced, so it has a patch schema of its own
//! (`MultilingualPatch`, `ContactPatch`); a list is replaced whole, so its items keep theirs.
//!
//! The service holds a patch to the same schemas ([`PatchFields`]): a field the contract does
//! not name is refused, even one whose `null` would remove nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{AnyOf, Object, Schema, Type};
use utoipa::openapi::{OpenApi, Ref, RefOr};

use super::schema_name;

const SCHEMAS: &str = "#/components/schemas/";

pub(super) fn add_patch_schemas(openapi: &mut OpenApi) {
    let body_schema = |op: &Option<Operation>| -> Option<String> {
        let RefOr::T(body) = op.as_ref()?.request_body.as_ref()? else {
            return None;
        };
        body.content.values().find_map(|c| match c {
            RefOr::T(c) => c.schema.as_ref().and_then(schema_name).map(str::to_owned),
            RefOr::Ref(_) => None,
        })
    };
    let mut wanted = Vec::new();
    for item in openapi.paths.paths.values_mut() {
        let (Some(input), Some(patch)) = (body_schema(&item.put), item.patch.as_mut()) else {
            continue;
        };
        let patch_name = input.replace("Input", "Patch");
        if let Some(RefOr::T(body)) = patch.request_body.as_mut() {
            for content in body.content.values_mut() {
                if let RefOr::T(content) = content {
                    content.schema = Some(RefOr::Ref(Ref::from_schema_name(patch_name.clone())));
                }
            }
        }
        wanted.push((input, patch_name));
    }
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    let mut made = BTreeSet::new();
    while let Some((source, patch_name)) = wanted.pop() {
        if !made.insert(patch_name.clone()) {
            continue;
        }
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get(&source) else {
            continue;
        };
        let mut patch = object.clone();
        for (name, property) in patch.properties.iter_mut() {
            to_patches(property, &components.schemas, &mut wanted);
            // `null` removes a field, which only the optional ones may be.
            if !object.required.contains(name) {
                let mut any_of = AnyOf::new();
                any_of.items = vec![
                    property.clone(),
                    RefOr::T(Schema::Object(Object::with_type(Type::Null))),
                ];
                *property = RefOr::T(Schema::AnyOf(any_of));
            }
        }
        patch.required.clear();
        patch.min_properties = None;
        patch.description = Some(format!(
            "A JSON merge patch (RFC 7396) of {source}: the fields to change; `null` removes an optional field."
        ));
        components
            .schemas
            .insert(patch_name, RefOr::T(Schema::Object(patch)));
    }
}

/// Points a property at the patch schema of the object it holds (through `anyOf` and `oneOf`,
/// not into a list's items), and asks for that schema to be made.
fn to_patches(
    schema: &mut RefOr<Schema>,
    schemas: &BTreeMap<String, RefOr<Schema>>,
    wanted: &mut Vec<(String, String)>,
) {
    match schema {
        RefOr::Ref(r) => {
            let Some(name) = r.ref_location.strip_prefix(SCHEMAS).map(str::to_owned) else {
                return;
            };
            if let Some(RefOr::T(Schema::Object(object))) = schemas.get(&name)
                && !object.properties.is_empty()
            {
                let patch = format!("{name}Patch");
                r.ref_location = format!("{SCHEMAS}{patch}");
                wanted.push((name, patch));
            }
        }
        RefOr::T(Schema::AnyOf(any)) => {
            for item in &mut any.items {
                to_patches(item, schemas, wanted);
            }
        }
        RefOr::T(Schema::OneOf(one)) => {
            for item in &mut one.items {
                to_patches(item, schemas, wanted);
            }
        }
        RefOr::T(_) => {}
    }
}

/// The fields each `…Patch` schema names, and for each the patch schema of the object it
/// holds, if it holds one.
pub struct PatchFields(HashMap<String, HashMap<String, Option<String>>>);

impl PatchFields {
    pub fn of(doc: &OpenApi) -> Self {
        let schemas = doc
            .components
            .as_ref()
            .map(|c| serde_json::to_value(&c.schemas).expect("schemas serialise"))
            .unwrap_or_default();
        let mut fields = HashMap::new();
        for (name, schema) in schemas.as_object().into_iter().flatten() {
            if !name.ends_with("Patch") {
                continue;
            }
            let properties = schema["properties"].as_object().into_iter().flatten();
            let named = properties
                .map(|(field, property)| (field.clone(), nested_patch(property)))
                .collect();
            fields.insert(name.clone(), named);
        }
        Self(fields)
    }

    /// The JSON pointers of the fields of `patch` that the schema `name` (e.g.
    /// `StakeholderPatch`) does not name, at any depth it merges.
    pub fn unknown(&self, name: &str, patch: &Value) -> Vec<String> {
        let mut out = Vec::new();
        self.walk(name, patch, "", &mut out);
        out.sort();
        out
    }

    fn walk(&self, name: &str, value: &Value, pointer: &str, out: &mut Vec<String>) {
        let (Some(fields), Value::Object(map)) = (self.0.get(name), value) else {
            return;
        };
        for (key, value) in map {
            let at = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
            match fields.get(key) {
                None => out.push(at),
                Some(Some(nested)) => self.walk(nested, value, &at, out),
                Some(None) => {}
            }
        }
    }
}

/// The `…Patch` schema a property refers to, through `anyOf` and `oneOf`.
fn nested_patch(property: &Value) -> Option<String> {
    if let Some(name) = property["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix(SCHEMAS))
    {
        return name.ends_with("Patch").then(|| name.to_owned());
    }
    ["anyOf", "oneOf"]
        .iter()
        .filter_map(|k| property[*k].as_array())
        .flatten()
        .find_map(nested_patch)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fields_the_patch_schemas_do_not_name_are_found_at_any_depth_merged() {
        let fields = PatchFields::of(&super::super::document());
        let patch = json!({
            "": null,
            "name": {"fr": null, "xx": "?"},
            "contact": {"email": "a@b.org", "fax/no": null},
            "themes": [{"not": "merged"}],
            "website": null,
        });
        assert_eq!(
            fields.unknown("StakeholderPatch", &patch),
            ["/", "/contact/fax~1no", "/name/xx"]
        );
        assert!(
            fields
                .unknown("StakeholderPatch", &json!({"acronym": null}))
                .is_empty()
        );
    }
}
