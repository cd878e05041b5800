//! Which schemas the contract's requests take and which its answers give, each with every
//! schema it reaches: what a step that treats the two sides apart reads.

use std::collections::BTreeSet;

use serde_json::Value;
use utoipa::openapi::OpenApi;

const SCHEMAS: &str = "#/components/schemas/";

/// The schema names `value` refers to, at any depth.
pub(super) fn refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        if let Some(name) = r.strip_prefix(SCHEMAS) {
                            out.insert(name.to_owned());
                        }
                    }
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// `roots` and every schema they reach.
fn reached(schemas: &Value, roots: &[&Value]) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = BTreeSet::new();
    roots.iter().for_each(|r| refs(r, &mut todo));
    while let Some(name) = todo.pop_first() {
        if seen.insert(name.clone()) {
            refs(&schemas[&name], &mut todo);
        }
    }
    seen
}

/// The schemas on each side of the contract; one may be on both.
pub(super) struct Sides {
    /// Reached from a request: its body or its parameters.
    pub taken: BTreeSet<String>,
    /// Reached from an answer: an operation's own responses or the shared ones.
    pub given: BTreeSet<String>,
}

impl Sides {
    pub fn of(openapi: &OpenApi) -> Self {
        let doc = serde_json::to_value(openapi).expect("the contract serialises");
        let operations: Vec<&Value> = doc["paths"]
            .as_object()
            .into_iter()
            .flat_map(|paths| paths.values())
            .flat_map(|item| item.as_object().into_iter().flat_map(|ops| ops.values()))
            .collect();
        let taken: Vec<&Value> = operations
            .iter()
            .flat_map(|op| [&op["requestBody"], &op["parameters"]])
            .collect();
        let mut given: Vec<&Value> = operations.iter().map(|op| &op["responses"]).collect();
        given.push(&doc["components"]["responses"]);
        let schemas = &doc["components"]["schemas"];
        Self {
            taken: reached(schemas, &taken),
            given: reached(schemas, &given),
        }
    }
}
