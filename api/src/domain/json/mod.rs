//! JSON read into the domain's types, with what is wrong said the way field errors say it:
//! JSON of the wrong shape is named by the JSON pointer of the field at fault
//! (`/participants/0/stakeholder`), and told apart from text that is not JSON at all. serde_json
//! alone names no field, and takes some shape mistakes for syntax (a number where a word of a
//! fixed list is meant reads as "expected value"). The request bodies of the API
//! (`routes::body`) and the rows of an NDJSON upload (`import`) are read so.

mod objects;

use serde::de::{DeserializeOwned, IgnoredAny};

use crate::domain::validate::FieldError;
use objects::Objects;

/// Why a text did not read as the type asked for.
#[derive(Debug)]
pub enum JsonError {
    /// It is not JSON.
    Malformed(serde_json::Error),
    /// It is JSON of another shape: the fields at fault (never none), the first the one a
    /// reader of the text meets first.
    Shape(Vec<FieldError>),
}

/// At most this many shape errors are told of one text ([`all_shape_errors`]).
const MAX_SHAPE_ERRORS: usize = 20;

/// How many bytes of JSON the search for further shape errors reads again, at most: each
/// further error is found by reading the whole value again.
const MAX_SHAPE_REREAD: usize = 8 * 1024 * 1024;

/// `text` read as `T`.
pub fn from_json<T: DeserializeOwned + 'static>(text: &str) -> Result<T, JsonError> {
    if std::any::TypeId::of::<T>() != std::any::TypeId::of::<Unambiguous>() {
        an_object(text)?;
    }
    first_error(text).map_err(|e| with_the_rest::<T>(e, text, &[]))
}

/// An item is a JSON object: serde reads a struct from an array too, field by field in the
/// order they are declared, so `[null, ["torture"]]` would be an offer whose second field is
/// its themes, whatever the client meant. Every body but a merge patch (read as any JSON,
/// [`Unambiguous`]) and every NDJSON row is an item.
fn an_object(text: &str) -> Result<(), JsonError> {
    if text.trim_start().starts_with('[') && serde_json::from_str::<IgnoredAny>(text).is_ok() {
        return Err(JsonError::Shape(vec![FieldError::new(
            "",
            "invalid",
            "an item is a JSON object (`{\"field\": value, …}`), not an array",
        )]));
    }
    Ok(())
}

/// `text` read as `T`, or the first error met.
fn first_error<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    let mut reader = serde_json::Deserializer::from_str(text);
    let e = match serde_path_to_error::deserialize(Objects(&mut reader)) {
        // What follows the value must be space only.
        Ok(value) => return reader.end().map(|()| value).map_err(JsonError::Malformed),
        Err(e) => e,
    };
    // A syntax error may be a shape error serde_json calls one: the text reads as JSON.
    if !e.inner().is_data() && serde_json::from_str::<IgnoredAny>(text).is_err() {
        return Err(JsonError::Malformed(e.into_inner()));
    }
    let path = e.path().clone();
    Err(JsonError::Shape(vec![shape(
        &path,
        e.into_inner().to_string(),
    )]))
}

/// The first error of reading `text` as `T`, with the shape errors that follow it; `read_past`
/// names top-level fields that are not at fault wherever they stand (the read-only fields of
/// an item given back, [`as_given`]), left out of the search.
fn with_the_rest<T: DeserializeOwned>(e: JsonError, text: &str, read_past: &[&str]) -> JsonError {
    let JsonError::Shape(errors) = e else {
        return e;
    };
    // A field named twice is told alone: a value read keeps one of the two.
    let value = match errors.as_slice() {
        [first] if first.code != "duplicate_field" => first_error::<Unambiguous>(text).ok(),
        _ => None,
    };
    let (Some(Unambiguous(mut value)), Some(first)) = (value, errors.first()) else {
        return JsonError::Shape(errors);
    };
    if let serde_json::Value::Object(fields) = &mut value {
        for key in read_past {
            fields.remove(*key);
        }
    }
    JsonError::Shape(all_shape_errors::<T>(value, first.clone(), text.len()))
}

/// `value`, JSON already read (a merge patch applied to a document), as `T`; the fields at
/// fault where it is not one, as [`from_json`] names them.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Vec<FieldError>> {
    match serde_path_to_error::deserialize(Objects(&value)) {
        Ok(read) => Ok(read),
        Err(e) => {
            let path = e.path().clone();
            let first = shape(&path, e.into_inner().to_string());
            let size = serde_json::to_vec(&value).map_or(usize::MAX, |v| v.len());
            Err(all_shape_errors::<T>(value, first, size))
        }
    }
}

/// Every shape error of `value` that `first`, the first one met, leaves to be found, so that a
/// client learns all it must mend at once: the member of an object that holds the value at
/// fault is taken out and the rest read again, until it reads, an error repeats or is at the
/// whole value, or the bounds are reached. Where a field is missing (or a member taken out was
/// required), a stand-in is put there ([`stand_in`]), so that every field missing is told;
/// where none reads, the object that lacks it goes next. An array's items are never taken out
/// one by one (the items after would take other numbers): a member of an item is (and a stand-in goes where
/// it is required), so the items after it are read too; an item at fault itself takes the
/// member holding the array with it, so such an array tells its first item at fault only.
fn all_shape_errors<T: DeserializeOwned>(
    mut value: serde_json::Value,
    first: FieldError,
    size: usize,
) -> Vec<FieldError> {
    // Where to take out what is at fault.
    let fault = |e: &FieldError| match e.code.as_str() {
        "required" => parent(&e.pointer).to_owned(),
        _ => e.pointer.clone(),
    };
    let read = |value: &serde_json::Value| {
        serde_path_to_error::deserialize::<_, T>(Objects(value))
            .err()
            .map(|e| {
                let path = e.path().clone();
                shape(&path, e.into_inner().to_string())
            })
    };
    // Each field found missing, then each member taken out, is a read of the whole again.
    let mut rereads = (MAX_SHAPE_REREAD / size.max(1)).min(4 * MAX_SHAPE_ERRORS);
    let mut errors = vec![first.clone()];
    let mut next = Some(first);
    while let Some(error) = next.take() {
        if errors.len() >= MAX_SHAPE_ERRORS || rereads == 0 {
            break;
        }
        // A field missing is given a stand-in, so that the fields missing after it are told
        // too (else the object that lacks it would go, and every field of it with it).
        if error.code == "required"
            && let Some(after) = stand_in(&mut value, &error, &mut rereads, &read)
        {
            if let Some(e) = after {
                if !errors.iter().any(|known| known.pointer == e.pointer) {
                    errors.push(e.clone());
                    next = Some(e);
                } else if e.code == "required" {
                    // A field at fault, taken out, that is required: a stand-in goes there, and
                    // it is not told again.
                    next = Some(e);
                }
            }
            continue;
        }
        let mut at = fault(&error);
        while rereads > 0 {
            let Some(taken) = take_out(&mut value, &at) else {
                break;
            };
            rereads -= 1;
            let Some(e) = read(&value) else {
                break;
            };
            let within = |p: &str| p == taken || p.starts_with(&format!("{taken}/"));
            let known = errors.iter().any(|known| known.pointer == e.pointer);
            if e.code == "required" && (known || within(&e.pointer)) {
                // What was taken out was required: a stand-in goes there (or, where none
                // reads, what holds it goes next).
                next = Some(e);
                break;
            }
            if within(&e.pointer) || known {
                // What was taken out was required: what holds it goes next.
                at = parent(&taken).to_owned();
                continue;
            }
            errors.push(e.clone());
            next = Some(e);
            break;
        }
    }
    errors
}

/// Puts a stand-in where `missing` (a `required` error) says a field is missing: the first of
/// a few values of each JSON type that reads there (for a word of a fixed list, the first word
/// the error after `""` names). The error that reading the whole then meets (`None`: it
/// reads), or `None` when no stand-in reads there.
fn stand_in(
    value: &mut serde_json::Value,
    missing: &FieldError,
    rereads: &mut usize,
    read: &dyn Fn(&serde_json::Value) -> Option<FieldError>,
) -> Option<Option<FieldError>> {
    let (holder, field) = missing.pointer.rsplit_once('/')?;
    let field = field.replace("~1", "/").replace("~0", "~");
    let mut tries: std::collections::VecDeque<serde_json::Value> = [
        serde_json::json!(""),
        serde_json::json!(0),
        serde_json::json!({}),
        serde_json::json!([]),
        serde_json::json!(false),
    ]
    .into();
    // Whether the first word of a fixed list was put first among the tries.
    let mut word_tried = false;
    while let Some(given) = tries.pop_front() {
        if *rereads == 0 {
            return None;
        }
        *rereads -= 1;
        value
            .pointer_mut(holder)?
            .as_object_mut()?
            .insert(field.clone(), given);
        let within = |e: &FieldError| e.pointer.starts_with(&format!("{}/", missing.pointer));
        match read(value) {
            // An object that reads but lacks fields of its own: they are given stand-ins too,
            // not told (the object itself is what the client left out).
            Some(mut e) if e.code == "required" && within(&e) => loop {
                match stand_in(value, &e, rereads, read) {
                    Some(Some(next)) if next.code == "required" && within(&next) => e = next,
                    Some(after) => return Some(after),
                    None => break,
                }
            },
            Some(e) if e.pointer == missing.pointer || within(&e) => {
                // A word of a fixed list: the first it names (serde says `expected `a` or `b``
                // of two, `expected one of `a`, `b`, `c`` of more).
                if !word_tried
                    && let Some(word) = e
                        .message
                        .split_once("expected ")
                        .and_then(|(_, rest)| rest.split_once('`'))
                        .and_then(|(_, rest)| rest.split_once('`'))
                        .map(|(word, _)| word.to_owned())
                {
                    word_tried = true;
                    tries.push_front(serde_json::Value::String(word));
                }
            }
            after => return Some(after),
        }
    }
    value.pointer_mut(holder)?.as_object_mut()?.remove(&field);
    None
}

/// The pointer of what holds the place `pointer` names ("" for the whole value).
fn parent(pointer: &str) -> &str {
    pointer.rsplit_once('/').map_or("", |(up, _)| up)
}

/// Takes out of `value` the member of an object nearest `pointer` that holds the place it
/// names (the place itself, when an object holds it): its pointer, or `None` when no object
/// holds it (the whole value, or items of an array that is the whole value).
fn take_out(value: &mut serde_json::Value, pointer: &str) -> Option<String> {
    let keys: Vec<String> = pointer
        .strip_prefix('/')?
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    // The deepest key, among those that name a member of an object, that can be reached.
    let mut node = &*value;
    let mut member = None;
    for (depth, key) in keys.iter().enumerate() {
        let next = match node {
            serde_json::Value::Object(fields) => {
                if fields.contains_key(key) {
                    member = Some(depth);
                }
                fields.get(key)
            }
            serde_json::Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    let depth = member?;
    let mut node = value;
    for key in &keys[..depth] {
        node = match node {
            serde_json::Value::Object(fields) => fields.get_mut(key)?,
            serde_json::Value::Array(items) => items.get_mut(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    node.as_object_mut()?.remove(&keys[depth])?;
    Some(
        keys[..=depth]
            .iter()
            .map(|k| format!("/{}", escaped(k)))
            .collect(),
    )
}

/// The first of `errors` (a body's shape errors) for a problem's detail, and how many follow.
pub fn first_and_count(errors: &[FieldError]) -> String {
    let Some(first) = errors.first() else {
        return "no field is named".to_owned();
    };
    let place = match first.pointer.as_str() {
        "" => "the whole document",
        pointer => pointer,
    };
    match errors.len() {
        1 => format!("{place}: {}", first.message),
        n => format!(
            "{place}: {} (and {} more: see `errors`)",
            first.message,
            n - 1
        ),
    }
}

/// What an item's representation carries besides its content: the stored fields, and what is
/// derived from the rest (a recommendation's `cycle`, an activity's `visibility`).
pub const READ_ONLY: [&str; 6] = [
    "id",
    "version",
    "created_at",
    "updated_at",
    "cycle",
    "visibility",
];

/// An item's content as a client gives it back: the content alone, or the whole item as the
/// service gives it (a read's answer, a line of an export), whose `id` and `version` are kept
/// for the caller to check and whose other [`READ_ONLY`] fields are read past.
#[derive(Debug)]
pub struct AsGiven<I> {
    pub id: Option<uuid::Uuid>,
    pub version: Option<i64>,
    pub content: I,
}

/// `text` read as [`AsGiven`] content `I`. Text without read-only fields is read once, as the
/// content alone; only where that fails on one of them is it read again without them.
pub fn as_given<I: DeserializeOwned>(text: &str) -> Result<AsGiven<I>, JsonError> {
    an_object(text)?;
    let error = match first_error::<I>(text) {
        Ok(content) => {
            return Ok(AsGiven {
                id: None,
                version: None,
                content,
            });
        }
        Err(e) => e,
    };
    let read_only = matches!(&error, JsonError::Shape(errors) if errors.iter().any(|f|
        f.code == "unknown_field" && READ_ONLY.iter().any(|k| f.pointer.strip_prefix('/') == Some(*k))));
    if !read_only {
        return Err(with_the_rest::<I>(error, text, &READ_ONLY));
    }
    // A key named twice is refused, as the first reading would have refused it.
    let Unambiguous(serde_json::Value::Object(mut fields)) = first_error(text)? else {
        return Err(with_the_rest::<I>(error, text, &READ_ONLY));
    };
    let id = match fields.remove("id") {
        None => None,
        Some(serde_json::Value::String(id)) if uuid::Uuid::parse_str(&id).is_ok() => {
            uuid::Uuid::parse_str(&id).ok()
        }
        Some(_) => {
            return Err(JsonError::Shape(vec![FieldError::new(
                "/id",
                "invalid",
                "is not an id this repository gave out (a UUID)",
            )]));
        }
    };
    let version = match fields.remove("version") {
        None => None,
        Some(v) => match v.as_i64() {
            Some(n) if n >= 1 => Some(n),
            _ => {
                return Err(JsonError::Shape(vec![FieldError::new(
                    "/version",
                    "invalid",
                    "is not a version this repository gave out (a whole number from 1)",
                )]));
            }
        },
    };
    for key in READ_ONLY {
        fields.remove(key);
    }
    let content = from_value(serde_json::Value::Object(fields)).map_err(JsonError::Shape)?;
    Ok(AsGiven {
        id,
        version,
        content,
    })
}

/// JSON of any shape (a merge patch, RFC 7396) read as a `serde_json::Value`, but for an
/// object that names a key twice: RFC 8259 leaves what that means open (serde_json keeps the
/// last, other readers the first), so that a proxy that checks a body and the service could
/// each read another patch from it. It is refused as a typed body's duplicate field is.
#[derive(Debug)]
pub struct Unambiguous(pub serde_json::Value);

impl<'de> serde::Deserialize<'de> for Unambiguous {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UnambiguousVisitor).map(Unambiguous)
    }
}

struct UnambiguousVisitor;

impl<'de> serde::de::Visitor<'de> for UnambiguousVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(b.into())
    }

    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(n.into())
    }

    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(n.into())
    }

    fn visit_f64<E>(self, n: f64) -> Result<Self::Value, E> {
        Ok(n.into())
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(s.into())
    }

    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(s.into())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Unambiguous(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(items.into())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("duplicate field `{key}`")));
            }
            let Unambiguous(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(object.into())
    }
}

/// What chrono says of a text that is not a date or time (`chrono::format::ParseError`).
const CHRONO_MESSAGES: [&str; 7] = [
    "input is out of range",
    "no possible date and time matching input",
    "input is not enough for unique date and time",
    "input contains invalid characters",
    "premature end of input",
    "trailing input",
    "bad or unsupported format string",
];

/// The field error of serde's `full` message about the value at `path`.
fn shape(path: &serde_path_to_error::Path, full: String) -> FieldError {
    let mut pointer = pointer(path);
    // serde_json's message says where in the text; the pointer says it better.
    let message = match full.rfind(" at line ") {
        Some(at) => full[..at].to_owned(),
        None => full,
    };
    // chrono's words for a date or time that does not read say nothing of what was expected.
    let message = if CHRONO_MESSAGES.contains(&message.as_str()) {
        format!(
            "is not a date written YYYY-MM-DD that exists (a date and time: RFC 3339, \
             2027-01-31T09:30:00Z): {message}"
        )
    } else {
        readable(message)
    };
    let code = if let Some(field) = quoted_after(&message, "missing field ") {
        // Named where it is missing, not at the object that lacks it.
        pointer.push('/');
        pointer.push_str(&escaped(field));
        "required"
    } else if message.starts_with("unknown field ") {
        // The path ends at the field already.
        "unknown_field"
    } else if let Some(field) = quoted_after(&message, "duplicate field ") {
        // Named where it comes the second time.
        pointer.push('/');
        pointer.push_str(&escaped(field));
        "duplicate_field"
    } else {
        "invalid"
    };
    FieldError::new(pointer, code, message)
}

/// serde's words about a value of the wrong shape, in the contract's terms: no Rust type's
/// name (`expected struct Multilingual`), no count of a struct's fields (an array where an
/// object is meant), and a word of a fixed list given as another kind of value told as such
/// (serde_json says "expected value").
fn readable(message: String) -> String {
    const A_WORD: &str = "one of the words this field takes (the contract lists them)";
    if message == "expected value" {
        return format!("is not {A_WORD}");
    }
    // What a word of a fixed list is read from (a value already parsed, as a merge patch is).
    if let Some(given) = message.strip_suffix(", expected string or map") {
        return format!("{given}, expected {A_WORD}");
    }
    // `unknown variant `maybe`, expected one of `a`, `b``
    if let Some(rest) = message.strip_prefix("unknown variant ")
        && let Some((word, choices)) = rest.split_once(", expected ")
    {
        return format!("{word} is not a word this field takes: expected {choices}");
    }
    if message.starts_with("invalid length ") && message.contains("expected struct ") {
        return "invalid type: array, expected an object".to_owned();
    }
    // A struct given as an array (`objects::Objects`): serde's word for it is JSON's array.
    let message = match message.strip_prefix("invalid type: sequence, ") {
        Some(rest) => format!("invalid type: array, {rest}"),
        None => message,
    };
    match message.find("expected struct ") {
        Some(at) => format!("{}expected an object", &message[..at]),
        None => message,
    }
}

/// The JSON pointer (RFC 6901) of a place serde was reading at; "" for the whole body.
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                pointer.push('/');
                pointer.push_str(&escaped(key));
            }
            // An enum's variant, or a place serde could not name: the pointer stops at the
            // value that holds it.
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
}

/// A key as a JSON pointer writes it: `~` as `~0`, `/` as `~1`.
fn escaped(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The name serde quotes after `prefix` (`` missing field `kind` ``).
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    Some(&rest[..rest.find('`')?])
}

#[cfg(test)]
mod tests {
    use super::{JsonError, from_json};
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        kind: Kind,
        #[serde(default)]
        items: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        State,
        Ngo,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    #[allow(dead_code)]
    enum Colour {
        Red,
        Green,
        Blue,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        #[serde(rename = "a/b")]
        at: u32,
    }

    /// The pointer, code and message of the one field error `text` gets.
    fn error(text: &str) -> (String, String, String) {
        let mut errors = errors(text);
        assert_eq!(errors.len(), 1, "{text}: {errors:?}");
        errors.remove(0)
    }

    /// The pointer, code and message of each field error `text` gets.
    fn errors(text: &str) -> Vec<(String, String, String)> {
        match from_json::<Outer>(text) {
            Err(JsonError::Shape(e)) => e
                .into_iter()
                .map(|e| (e.pointer, e.code, e.message))
                .collect(),
            other => panic!("{text}: {other:?}"),
        }
    }

    /// The pointers and codes of the field errors `text` gets.
    fn places(text: &str) -> Vec<(String, String)> {
        errors(text).into_iter().map(|(p, c, _)| (p, c)).collect()
    }

    fn place(pointer: &str, code: &str) -> (String, String) {
        (pointer.to_owned(), code.to_owned())
    }

    /// A message names no Rust type: a client knows objects, arrays and the contract's words.
    #[test]
    fn shapes_are_told_in_json_terms() {
        assert_eq!(
            error(r#"{"kind":"ngo","items":["x"]}"#),
            (
                "/items/0".into(),
                "invalid".into(),
                "invalid type: string \"x\", expected an object".into()
            )
        );
        assert_eq!(
            error("[]").2,
            "an item is a JSON object (`{\"field\": value, …}`), not an array".to_owned()
        );
        let (pointer, _, message) = error(r#"{"kind":5}"#);
        assert_eq!(pointer, "/kind");
        assert!(message.contains("not one of the words"), "{message}");
        // As a merge patch's document is read: from a value already parsed.
        for text in [r#"{"kind":5}"#, r#"{"kind":"cat"}"#] {
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            let message = match super::from_value::<Outer>(value) {
                Err(errors) => errors[0].message.clone(),
                Ok(_) => panic!("{text} reads"),
            };
            assert!(
                !message.contains("variant") && !message.contains("map"),
                "{message}"
            );
            assert!(message.contains("word"), "{message}");
        }
    }

    /// A struct is read from an object only, at any depth: serde would read `[7]` as an `Inner`
    /// whose first field is 7.
    #[test]
    fn a_nested_struct_is_an_object_not_an_array() {
        for text in [
            r#"{"kind":"ngo","items":[[7]]}"#,
            r#"{"kind":"ngo","items":[{"a/b":1},[7]]}"#,
        ] {
            let (pointer, code, message) = error(text);
            assert!(pointer.starts_with("/items/"), "{text}: {pointer}");
            assert_eq!(code, "invalid");
            assert_eq!(message, "invalid type: array, expected an object", "{text}");
        }
        let value: serde_json::Value =
            serde_json::from_str(r#"{"kind":"ngo","items":[[7]]}"#).unwrap();
        let errors = super::from_value::<Outer>(value).unwrap_err();
        assert_eq!(errors[0].pointer, "/items/0");
        assert_eq!(errors[0].message, "invalid type: array, expected an object");
        // Arrays where arrays are meant, and objects where structs are, read as ever.
        let read: Outer = from_json(r#"{"kind":"ngo","items":[{"a/b":1},{"a/b":2}]}"#).unwrap();
        assert_eq!(read.items.iter().map(|i| i.at).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn every_shape_error_is_told_at_once() {
        // Two unknown fields and a word that is not of the list: all three, the first met in
        // the text first.
        assert_eq!(
            places(r#"{"colour":1,"kind":"cat","size":2}"#),
            [
                place("/colour", "unknown_field"),
                place("/kind", "invalid"),
                place("/size", "unknown_field"),
            ]
        );
        // An array tells each item's member at fault, and what follows it is read: the items
        // after it are not numbered anew.
        assert_eq!(
            places(r#"{"kind":"ngo","items":[{"a/b":"x"},{"a/b":1},{"a/b":-1},{}],"z":1}"#),
            [
                place("/items/0/a~1b", "invalid"),
                place("/items/2/a~1b", "invalid"),
                place("/items/3/a~1b", "required"),
                place("/z", "unknown_field")
            ]
        );
        assert_eq!(
            places(r#"{"kind":"ngo","items":[["x"],[1]],"z":1}"#),
            [place("/items/0", "invalid"), place("/z", "unknown_field")]
        );
        // An item is an object: an array of its values is told as a whole.
        assert_eq!(places(r#"[1]"#), [place("", "invalid")]);
        // A list whose item is at fault is not told missing as well.
        assert_eq!(
            places(r#"{"kind":"ngo","items":[{"a/b":"x"}]}"#),
            [place("/items/0/a~1b", "invalid")]
        );
        // A field missing ends its object's reading; a field at fault that is required is told
        // once, not again as missing.
        assert_eq!(
            places(r#"{"colour":1,"items":[]}"#),
            [
                place("/colour", "unknown_field"),
                place("/kind", "required")
            ]
        );
        assert_eq!(places(r#"{"kind":7}"#), [place("/kind", "invalid")]);
        // The same through a value already read (a merge patch's result).
        let value = serde_json::json!({"kind": "cat", "items": [{"a/b": "x"}], "q": 1});
        let found: Vec<(String, String)> = super::from_value::<Outer>(value)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.pointer, e.code))
            .collect();
        assert_eq!(
            found,
            [
                place("/items/0/a~1b", "invalid"),
                place("/kind", "invalid"),
                place("/q", "unknown_field"),
            ]
        );
        // An item given back as read: its read-only fields are not at fault.
        let given =
            r#"{"colour":1,"id":"0190c0b2-4d7f-7000-8000-000000000001","kind":"ngo","version":2}"#;
        match super::as_given::<Outer>(given) {
            Err(JsonError::Shape(e)) => assert_eq!(
                e.into_iter()
                    .map(|e| (e.pointer, e.code))
                    .collect::<Vec<_>>(),
                [place("/colour", "unknown_field")]
            ),
            other => panic!("{other:?}"),
        }
        // At most twenty.
        let many: String = (0..40).map(|i| format!(r#""f{i}":0,"#)).collect();
        assert_eq!(errors(&format!(r#"{{{many}"kind":"ngo"}}"#)).len(), 20);
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Form {
        colour: Colour,
        name: String,
        count: i64,
        kind: Kind,
        span: Span,
        tags: Vec<String>,
        on: bool,
        note: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Span {
        from: String,
        to: i64,
    }

    #[test]
    fn every_field_missing_is_told_at_once() {
        let places = |text: &str| match from_json::<Form>(text) {
            Err(JsonError::Shape(e)) => e
                .into_iter()
                .map(|e| (e.pointer, e.code))
                .collect::<Vec<_>>(),
            other => panic!("{text}: {other:?}"),
        };
        // Of every type: a word of a fixed list and an object of required fields too, which
        // are told missing themselves, not their fields.
        assert_eq!(
            places("{}"),
            [
                "/colour", "/name", "/count", "/kind", "/span", "/tags", "/on"
            ]
            .map(|p| place(p, "required"))
        );
        // Beside fields at fault, in the order met (of the members' names, once the first is
        // found); a field at fault is not told missing.
        assert_eq!(
            places(r#"{"count":"x","span":{"to":1},"extra":1,"on":true,"colour":"blue"}"#),
            [
                place("/count", "invalid"),
                place("/extra", "unknown_field"),
                place("/span/from", "required"),
                place("/name", "required"),
                place("/kind", "required"),
                place("/tags", "required"),
            ]
        );
    }

    #[test]
    fn json_of_the_wrong_shape_names_the_field() {
        assert!(from_json::<Outer>(r#"{"kind":"ngo","items":[{"a/b":1}]}"#).is_ok());
        // A number where a word of a list is meant: serde_json calls it a syntax error.
        assert_eq!(error(r#"{"kind":5}"#).0, "/kind");
        assert_eq!(
            error(r#"{"kind":"ngo","items":[{"a/b":1},{"a/b":"x"}]}"#).0,
            "/items/1/a~1b"
        );
        let (pointer, code, message) = error(r#"{"items":[]}"#);
        assert_eq!((pointer.as_str(), code.as_str()), ("/kind", "required"));
        assert!(!message.contains("line"), "{message}");
        let (pointer, code, _) = error(r#"{"kind":"ngo","colour":1}"#);
        assert_eq!(
            (pointer.as_str(), code.as_str()),
            ("/colour", "unknown_field")
        );
        assert_eq!(error(r#""a text""#).0, "");
        // A field named twice, in a typed body or in one of any shape (a merge patch).
        let (pointer, code, _) = error(r#"{"kind":"ngo","kind":"state"}"#);
        assert_eq!(
            (pointer.as_str(), code.as_str()),
            ("/kind", "duplicate_field")
        );
        let patch = r#"{"name":{"en":"a","en":"b"},"list":[{"x":1,"y":2}]}"#;
        match from_json::<super::Unambiguous>(patch) {
            Err(JsonError::Shape(e)) => assert_eq!(
                (e[0].pointer.as_str(), e[0].code.as_str(), e.len()),
                ("/name/en", "duplicate_field", 1)
            ),
            other => panic!("{other:?}"),
        }
        let read = from_json::<super::Unambiguous>(r#"{"a":[1,-2,3.5,"x",null,true,{}]}"#);
        assert_eq!(
            read.unwrap().0,
            serde_json::json!({"a": [1, -2, 3.5, "x", null, true, {}]})
        );
        // Not JSON at all, or JSON with more after it.
        for text in [r#"{"kind":"#, r#"{"kind":"ngo"} x"#, ""] {
            assert!(
                matches!(from_json::<Outer>(text), Err(JsonError::Malformed(_))),
                "{text}"
            );
        }
    }
}
