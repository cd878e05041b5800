//! Whether a contract keeps the promises of one released before it (docs/compatibility.md): a
//! client written against the released contract, or generated from it, keeps working against a
//! service that serves the new one. What such a client sends must still be taken; what it is
//! sent must still be what it reads.
//!
//! Only the shapes the service's contract uses are understood: `$ref`, `type` (a name or a
//! list of names), `enum`, `properties` and `required`, `items`, `additionalProperties`,
//! `oneOf`/`anyOf` (read as the union of their options, nested ones flattened), `format`, and
//! the bounds of a value (`maxLength`, `minimum`, `pattern`, …).

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::{Map, Value};

/// The ways of what a client breaks when it meets a change: what it sends in a request, or
/// reads in an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Way {
    Sent,
    Read,
}

/// Each promise of `released` that `current` breaks, said in a sentence naming where.
pub fn breaks(released: &Value, current: &Value) -> Vec<String> {
    let mut check = Check {
        old: released,
        new: current,
        open: HashSet::new(),
        done: HashMap::new(),
    };
    let mut found = check.operations();
    let mut seen = HashSet::new();
    found.retain(|b| seen.insert(b.clone()));
    found
}

/// One option of a schema, with the name of the component it came from, if any.
#[derive(Clone, Copy)]
struct Option_<'a> {
    name: Option<&'a str>,
    schema: &'a Value,
}

type Key = (String, String, Way);

struct Check<'a> {
    old: &'a Value,
    new: &'a Value,
    /// Pairs of components being compared further up: met again, they are taken as equal.
    open: HashSet<Key>,
    /// Pairs of components compared already, and what they break.
    done: HashMap<Key, Vec<String>>,
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn object(v: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    v.as_object().unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// Whether an operation may be called without a token.
fn anonymous(doc: &Value, op: &Value) -> bool {
    let security = op.get("security").or_else(|| doc.get("security"));
    match security.and_then(Value::as_array) {
        None => true,
        Some(requirements) => {
            requirements.is_empty()
                || requirements
                    .iter()
                    .any(|r| r.as_object().is_some_and(Map::is_empty))
        }
    }
}

fn required(v: &Value) -> BTreeSet<&str> {
    v.get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The JSON types a schema allows; `None` for any.
fn types(s: &Value) -> Option<BTreeSet<&str>> {
    match s.get("type") {
        Some(Value::String(t)) => Some(BTreeSet::from([t.as_str()])),
        Some(Value::Array(ts)) => Some(ts.iter().filter_map(Value::as_str).collect()),
        _ if s.get("properties").is_some() => Some(BTreeSet::from(["object"])),
        _ if s.get("items").is_some() => Some(BTreeSet::from(["array"])),
        _ => None,
    }
}

fn names(set: &BTreeSet<&str>) -> String {
    set.iter().copied().collect::<Vec<_>>().join(", ")
}

fn values(s: &Value) -> Option<BTreeSet<String>> {
    s.get("enum")
        .and_then(Value::as_array)
        .map(|e| e.iter().map(Value::to_string).collect())
}

fn join(set: impl IntoIterator<Item = String>) -> String {
    set.into_iter().collect::<Vec<_>>().join(", ")
}

impl<'a> Check<'a> {
    fn operations(&mut self) -> Vec<String> {
        let mut found = Vec::new();
        for (path, item) in object(&self.old["paths"]) {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let at = format!("{} {path}", method.to_uppercase());
                match self.new["paths"].get(path).and_then(|i| i.get(method)) {
                    None => found.push(format!("{at}: no longer served")),
                    Some(now) => found.extend(self.operation(&at, op, now)),
                }
            }
        }
        found
    }

    fn operation(&mut self, at: &str, op: &'a Value, now: &'a Value) -> Vec<String> {
        let mut found = Vec::new();
        if op["operationId"] != now["operationId"] {
            found.push(format!(
                "{at}: its operationId (a generated SDK's function) changed from {} to {}",
                op["operationId"], now["operationId"]
            ));
        }
        if anonymous(self.old, op) && !anonymous(self.new, now) {
            found.push(format!("{at}: now needs a token"));
        }
        found.extend(self.parameters(at, op, now));
        found.extend(self.request_body(at, op, now));
        for (status, answer) in object(&op["responses"]) {
            let Some(answer_now) = now["responses"].get(status) else {
                if status.starts_with('2') {
                    found.push(format!("{at}: no longer answers {status}"));
                }
                continue;
            };
            // An answer may be a component's (`#/components/responses/BadRequest`).
            let answer = Self::resolve(self.old, answer).schema;
            let answer_now = Self::resolve(self.new, answer_now).schema;
            for name in object(&answer["headers"]).keys() {
                let kept = object(&answer_now["headers"])
                    .keys()
                    .any(|n| n.eq_ignore_ascii_case(name));
                if !kept {
                    found.push(format!("{at} → {status}: no longer sends {name}"));
                }
            }
            for (media, content) in object(&answer["content"]) {
                let here = format!("{at} → {status} {media}");
                match answer_now["content"].get(media) {
                    None => found.push(format!("{here}: no longer given")),
                    Some(content_now) => found.extend(self.compare(
                        &here,
                        &content["schema"],
                        &content_now["schema"],
                        Way::Read,
                    )),
                }
            }
        }
        found
    }

    fn parameters(&mut self, at: &str, op: &'a Value, now: &'a Value) -> Vec<String> {
        let listed = |o: &'a Value| -> Vec<&'a Value> {
            o.get("parameters")
                .and_then(Value::as_array)
                .map(|ps| ps.iter().collect())
                .unwrap_or_default()
        };
        let key = |p: &Value| (p["name"].to_string(), p["in"].to_string());
        let is_required = |p: &Value| p["required"] == Value::Bool(true);
        let before = listed(op);
        let after = listed(now);
        let mut found = Vec::new();
        for p in &after {
            if is_required(p) && !before.iter().any(|b| key(b) == key(p)) {
                found.push(format!("{at}: new required parameter {}", p["name"]));
            }
        }
        for p in before {
            let here = format!("{at}: parameter {} in {}", p["name"], p["in"]);
            match after.iter().find(|a| key(a) == key(p)) {
                None => found.push(format!("{here}: no longer taken")),
                Some(a) => {
                    if !is_required(p) && is_required(a) {
                        found.push(format!("{here}: now required"));
                    }
                    found.extend(self.compare(&here, &p["schema"], &a["schema"], Way::Sent));
                }
            }
        }
        found
    }

    fn request_body(&mut self, at: &str, op: &'a Value, now: &'a Value) -> Vec<String> {
        let mut found = Vec::new();
        let (body, body_now) = (&op["requestBody"], &now["requestBody"]);
        let is_required = |b: &Value| b["required"] == Value::Bool(true);
        if is_required(body_now) && !is_required(body) {
            found.push(format!("{at}: its body is now required"));
        }
        for (media, content) in object(&body["content"]) {
            let here = format!("{at} ← {media}");
            match body_now["content"].get(media) {
                None => found.push(format!("{here}: no longer taken")),
                Some(content_now) => found.extend(self.compare(
                    &here,
                    &content["schema"],
                    &content_now["schema"],
                    Way::Sent,
                )),
            }
        }
        found
    }

    /// A schema with its `$ref`s followed, and the last component named on the way.
    fn resolve(doc: &'a Value, mut s: &'a Value) -> Option_<'a> {
        let mut name = None;
        for _ in 0..32 {
            let Some(target) = s.get("$ref").and_then(Value::as_str) else {
                break;
            };
            name = target.rsplit('/').next();
            s = target
                .strip_prefix('#')
                .and_then(|p| doc.pointer(p))
                .unwrap_or(&Value::Null);
        }
        Option_ { name, schema: s }
    }

    /// The options of a schema: itself, or those of its `oneOf`/`anyOf`, flattened.
    fn options(doc: &'a Value, s: &'a Value) -> Vec<Option_<'a>> {
        let resolved = Self::resolve(doc, s);
        let union = ["oneOf", "anyOf"]
            .iter()
            .find_map(|k| resolved.schema.get(*k).and_then(Value::as_array));
        match union {
            None => vec![resolved],
            Some(members) => members.iter().flat_map(|m| Self::options(doc, m)).collect(),
        }
    }

    fn describe(o: &Option_<'_>) -> String {
        match (o.name, types(o.schema)) {
            (Some(name), _) => name.to_owned(),
            (None, Some(t)) => names(&t),
            (None, None) => "any value".to_owned(),
        }
    }

    fn compare(&mut self, at: &str, old: &'a Value, new: &'a Value, way: Way) -> Vec<String> {
        let before = Self::options(self.old, old);
        let after = Self::options(self.new, new);
        if let ([o], [n]) = (before.as_slice(), after.as_slice()) {
            return self.option(at, *o, *n, way);
        }
        // A union: each option a client may meet (an answer's new options, a request's old
        // ones) must be one the other side knows.
        let (meets, knows) = match way {
            Way::Read => (&after, &before),
            Way::Sent => (&before, &after),
        };
        let tagged = Self::resolve(self.old, old)
            .schema
            .get("discriminator")
            .is_some();
        let mut found = Vec::new();
        for m in meets {
            let mut nearest: Option<Vec<String>> = None;
            let mut fits = false;
            for k in knows {
                let (o, n) = match way {
                    Way::Read => (*k, *m),
                    Way::Sent => (*m, *k),
                };
                let trial = self.option(at, o, n, way);
                if trial.is_empty() {
                    fits = true;
                    break;
                }
                if k.name.is_some() && k.name == m.name {
                    nearest = Some(trial);
                }
            }
            if fits {
                continue;
            }
            match nearest {
                Some(trial) => found.extend(trial),
                // A new kind of a union told apart by a field: a client asks for the kinds it
                // knows (`types=`), docs/compatibility.md.
                None if way == Way::Read && tagged && m.name.is_some() => {}
                None => found.push(match way {
                    Way::Read => format!("{at}: may now be {}", Self::describe(m)),
                    Way::Sent => format!("{at}: no longer takes {}", Self::describe(m)),
                }),
            }
        }
        found
    }

    fn option(&mut self, at: &str, o: Option_<'a>, n: Option_<'a>, way: Way) -> Vec<String> {
        let key = match (o.name, n.name) {
            (Some(a), Some(b)) => Some((a.to_owned(), b.to_owned(), way)),
            _ => None,
        };
        if let Some(key) = &key {
            if let Some(found) = self.done.get(key) {
                return found.clone();
            }
            if !self.open.insert(key.clone()) {
                return Vec::new();
            }
        }
        // Named where both sides name the same pair, so that what is found of it is said once
        // whatever refers to it.
        let at = match &key {
            Some((name, _, _)) => name.as_str(),
            None => at,
        };
        let found = self.schema(at, o.schema, n.schema, way);
        if let Some(key) = key {
            self.open.remove(&key);
            self.done.insert(key, found.clone());
        }
        found
    }

    fn schema(&mut self, at: &str, o: &'a Value, n: &'a Value, way: Way) -> Vec<String> {
        let mut found = Vec::new();
        match (types(o), types(n), way) {
            (Some(_), None, Way::Read) => found.push(format!("{at}: may now be any value")),
            (None, Some(t), Way::Sent) => found.push(format!("{at}: takes only {} now", names(&t))),
            (Some(before), Some(after), Way::Read) if !after.is_subset(&before) => {
                found.push(format!("{at}: may now be {}", names(&(&after - &before))))
            }
            (Some(before), Some(after), Way::Sent) if !before.is_subset(&after) => found.push(
                format!("{at}: no longer takes {}", names(&(&before - &after))),
            ),
            _ => {}
        }
        if o.get("format").is_some() && o.get("format") != n.get("format") {
            found.push(format!(
                "{at}: its format changed from {} to {}",
                o["format"], n["format"]
            ));
        }
        match (values(o), values(n), way) {
            (Some(_), None, Way::Read) => {
                found.push(format!("{at}: no longer one of a closed list of values"));
            }
            (Some(before), Some(after), Way::Read) if !after.is_subset(&before) => {
                found.push(format!(
                    "{at}: may now be {}, which a client of the released contract refuses",
                    join(after.difference(&before).cloned())
                ))
            }
            (None, Some(after), Way::Sent) => {
                found.push(format!("{at}: takes only {} now", join(after)));
            }
            (Some(before), Some(after), Way::Sent) if !before.is_subset(&after) => {
                found.push(format!(
                    "{at}: no longer takes {}",
                    join(before.difference(&after).cloned())
                ))
            }
            _ => {}
        }
        if way == Way::Sent {
            found.extend(bounds(at, o, n));
        }
        found.extend(self.properties(at, o, n, way));
        if let (Some(items), Some(items_now)) = (o.get("items"), n.get("items")) {
            found.extend(self.compare(&format!("{at}[]"), items, items_now, way));
        }
        match (o.get("additionalProperties"), n.get("additionalProperties")) {
            (Some(more @ Value::Object(_)), Some(more_now @ Value::Object(_))) => {
                found.extend(self.compare(&format!("{at}.*"), more, more_now, way));
            }
            (Some(Value::Object(_) | Value::Bool(true)), Some(Value::Bool(false)))
                if way == Way::Sent =>
            {
                found.push(format!("{at}: no longer takes fields of its own choice"));
            }
            _ => {}
        }
        found
    }

    fn properties(&mut self, at: &str, o: &'a Value, n: &'a Value, way: Way) -> Vec<String> {
        let (before, after) = (object(&o["properties"]), object(&n["properties"]));
        let (needed, needed_now) = (required(o), required(n));
        let mut found = Vec::new();
        if way == Way::Sent {
            for field in needed_now.difference(&needed) {
                found.push(format!("{at}.{field}: now required"));
            }
        }
        for (field, schema) in before {
            let here = format!("{at}.{field}");
            match after.get(field) {
                None if way == Way::Read => found.push(format!("{here}: no longer sent")),
                None => found.push(format!("{here}: no longer taken")),
                Some(schema_now) => found.extend(self.compare(&here, schema, schema_now, way)),
            }
        }
        if way == Way::Read {
            for field in needed.difference(&needed_now) {
                if after.contains_key(*field) {
                    found.push(format!("{at}.{field}: no longer always sent"));
                }
            }
        }
        found
    }
}

/// What a request may hold narrowed: an upper bound lowered or set, a lower bound raised or
/// set, a pattern changed.
fn bounds(at: &str, o: &Value, n: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let number = |s: &Value, k: &str| s.get(k).and_then(Value::as_f64);
    for key in ["maxLength", "maxItems", "maximum", "maxProperties"] {
        if let Some(now) = number(n, key)
            && number(o, key).is_none_or(|before| now < before)
        {
            found.push(format!("{at}: its {key} is now {now}"));
        }
    }
    for key in ["minLength", "minItems", "minimum", "minProperties"] {
        if let Some(now) = number(n, key)
            && number(o, key).is_none_or(|before| now > before)
        {
            found.push(format!("{at}: its {key} is now {now}"));
        }
    }
    if n.get("pattern").is_some() && o.get("pattern") != n.get("pattern") {
        found.push(format!("{at}: its pattern changed to {}", n["pattern"]));
    }
    found
}
