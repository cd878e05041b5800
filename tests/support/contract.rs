//! Every JSON answer the suite receives, held to the contract: the schema the operation
//! documents for that status and content type. A field the contract calls required must be
//! there, a value must have a type the contract allows (`null` only where it says so), a word
//! of a closed list one of its words, and an object closed to other fields none of them. A
//! generated client parses answers by these schemas, so an answer that breaks one breaks it.
//! An answer to an operation of the contract with a status it does not list for it, or JSON in
//! a type it does not list, breaks it too.
//!
//! Not checked: formats, patterns, lengths and bounds (schemathesis checks those in CI), so a
//! value that fits two options of a `oneOf` by the checks made here is a breach even where
//! one of them would refuse it by a pattern; answers to no operation
//! (an unknown path, a method a path does not take: `HEAD` is answered as `GET` is, unchecked),
//! compressed bodies, and requests sent other than through `TestApp::send` (raw sockets).

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
/// Empty when it keeps to it, or when no operation of the contract is `method path`.
pub fn breaches(
    method: &str,
    path: &str,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> Vec<String> {
    let Some(operation) = operation(contract(), method, path) else {
        return Vec::new();
    };
    let Some(response) = response(operation, status) else {
        return vec![format!(
            "the contract gives {method} {path} no {status} answer"
        )];
    };
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if body.is_empty() || !(media == "application/json" || media == "application/problem+json") {
        return Vec::new();
    }
    let Some(schema) = schema_of(response, &media) else {
        return vec![format!(
            "the contract gives {method} {path} no {status} answer in {media}"
        )];
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

/// The operation's answer with `status`, when the contract gives one.
fn response(operation: &'static Value, status: u16) -> Option<&'static Value> {
    let responses = operation.get("responses")?;
    let response = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))?;
    Some(resolve(response))
}

/// The schema of an answer in `media`, when the contract gives one.
fn schema_of(response: &'static Value, media: &str) -> Option<&'static Value> {
    Some(resolve(response.get("content")?.get(media)?.get("schema")?))
}

/// The operation `method` of the path template `path` fits, a literal segment winning over a
/// parameter (`/countries/resolve` before `/countries/{code}`, whatever methods each takes).
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
        if fits && best.is_none_or(|(n, _)| literal > n) {
            best = Some((literal, item));
        }
    }
    best?.1.get(method.to_ascii_lowercase())
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
            let mut fits = 0;
            for option in options {
                let mut own = Vec::new();
                check(option, value, at, &mut own);
                if own.is_empty() {
                    fits += 1;
                } else {
                    tried.push(own.join("; "));
                }
            }
            if fits == 0 {
                found.push(format!("{at}: fits none of {key}: [{}]", tried.join(" | ")));
            } else if fits > 1 && key == "oneOf" {
                // A generated client takes the first that parses: the value would be read as
                // whichever comes first, not as the one meant.
                found.push(format!("{at}: fits {fits} of oneOf, not one"));
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
