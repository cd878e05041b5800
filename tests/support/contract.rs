//! Every JSON answer the suite receives, held to the contract: the schema the operation
//! documents for that status and content type. A field the contract calls required must be
//! there, a value must have a type the contract allows (`null` only where it says so), a word
//! of a closed list one of its words, and an object closed to other fields none of them. A
//! generated client parses answers by these schemas, so an answer that breaks one breaks it.
//!
//! Not checked: formats, patterns, lengths and bounds (schemathesis checks those in CI), and
//! answers the contract does not describe (a status or content type it does not list).

use std::sync::OnceLock;

use serde_json::Value;

/// The contract the service serves, as JSON.
fn contract() -> &'static Value {
    static CONTRACT: OnceLock<Value> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        serde_json::to_value(upr_tc::openapi::document()).expect("the contract serialises")
    })
}

/// What `body` breaks of the schema the contract gives the answer to `method path` with
/// `status` and `content_type`, each as the JSON pointer of the value and what is wrong.
/// Empty when it keeps to it, or when the contract does not describe the answer.
pub fn breaches(
    method: &str,
    path: &str,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> Vec<String> {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if body.is_empty() || !(media == "application/json" || media == "application/problem+json") {
        return Vec::new();
    }
    let Some(schema) = answer_schema(method, path, status, &media) else {
        return Vec::new();
    };
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return vec![format!(
            "the body is not JSON: {}",
            String::from_utf8_lossy(body)
        )];
    };
    let mut found = Vec::new();
    check(schema, &value, "", &mut found);
    found
}

/// The schema of the answer, when the contract has the operation, the status and the type.
fn answer_schema(method: &str, path: &str, status: u16, media: &str) -> Option<&'static Value> {
    let doc = contract();
    let operation = operation(doc, method, path)?;
    let responses = operation.get("responses")?;
    let response = resolve(
        responses
            .get(status.to_string())
            .or_else(|| responses.get("default"))?,
    );
    Some(resolve(response.get("content")?.get(media)?.get("schema")?))
}

/// The operation whose path template `path` fits, a literal segment winning over a parameter
/// (`/activities/search` before `/activities/{id}`).
fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> Option<&'a Value> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut best: Option<(usize, &Value)> = None;
    for (template, item) in doc.get("paths")?.as_object()? {
        let parts: Vec<&str> = template.split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut literal = 0;
        let fits = parts.iter().zip(&segments).all(|(t, s)| {
            if t.starts_with('{') && t.ends_with('}') {
                !s.is_empty()
            } else {
                literal += 1;
                t == s
            }
        });
        let Some(op) = item.get(method.to_ascii_lowercase()) else {
            continue;
        };
        if fits && best.is_none_or(|(n, _)| literal > n) {
            best = Some((literal, op));
        }
    }
    best.map(|(_, op)| op)
}

/// A `$ref` followed to what it names, as often as it takes.
fn resolve(mut value: &Value) -> &Value {
    while let Some(target) = value.get("$ref").and_then(Value::as_str) {
        let Some(found) = target
            .strip_prefix('#')
            .and_then(|pointer| contract().pointer(pointer))
        else {
            panic!("the contract refers to {target}, which it does not have");
        };
        value = found;
    }
    value
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn allows_type(schema: &Value, value: &Value) -> bool {
    let actual = type_of(value);
    let allowed = |t: &Value| {
        t.as_str()
            .is_some_and(|t| t == actual || (t == "number" && actual == "integer"))
    };
    match schema.get("type") {
        None => true,
        Some(Value::Array(types)) => types.iter().any(allowed),
        Some(t) => allowed(t),
    }
}

/// Adds to `found` what `value`, at `at`, breaks of `schema`.
fn check(schema: &Value, value: &Value, at: &str, found: &mut Vec<String>) {
    let schema = resolve(schema);
    if schema.as_bool() == Some(true) {
        return;
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let mut tried = Vec::new();
            for option in options {
                let mut own = Vec::new();
                check(option, value, at, &mut own);
                if own.is_empty() {
                    tried.clear();
                    break;
                }
                tried.push(own.join("; "));
            }
            if !tried.is_empty() {
                found.push(format!("{at}: fits none of {key}: [{}]", tried.join(" | ")));
            }
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for part in all {
            check(part, value, at, found);
        }
    }
    if !allows_type(schema, value) {
        found.push(format!(
            "{at}: a {} where the contract says {}",
            type_of(value),
            schema["type"]
        ));
        return;
    }
    if let Some(words) = schema.get("enum").and_then(Value::as_array)
        && !words.contains(value)
    {
        found.push(format!(
            "{at}: {value} is not one of {}",
            Value::from(words.clone())
        ));
    }
    if let Some(word) = schema.get("const")
        && word != value
    {
        found.push(format!("{at}: {value} is not {word}"));
    }
    match value {
        Value::Object(fields) => {
            for name in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !fields.contains_key(name) {
                    found.push(format!("{at}: the required field `{name}` is missing"));
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            for (name, field) in fields {
                let pointer = format!("{at}/{}", name.replace('~', "~0").replace('/', "~1"));
                match (
                    properties.and_then(|p| p.get(name)),
                    schema.get("additionalProperties"),
                ) {
                    (Some(property), _) => check(property, field, &pointer, found),
                    (None, Some(Value::Bool(false))) => {
                        found.push(format!("{pointer}: a field the contract does not have"));
                    }
                    (None, Some(other)) => check(other, field, &pointer, found),
                    (None, None) => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    check(item, v, &format!("{at}/{i}"), found);
                }
            }
        }
        _ => {}
    }
}
