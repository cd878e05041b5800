//! JSON read into the domain's types, with what is wrong said the way field errors say it:
//! JSON of the wrong shape is named by the JSON pointer of the field at fault
//! (`/participants/0/stakeholder`), and told apart from text that is not JSON at all. serde_json
//! alone names no field, and takes some shape mistakes for syntax (a number where a word of a
//! fixed list is meant reads as "expected value"). The request bodies of the API
//! (`routes::body`) and the rows of an NDJSON upload (`import`) are read so.

use serde::de::{DeserializeOwned, IgnoredAny};

use crate::domain::validate::FieldError;

/// Why a text did not read as the type asked for.
#[derive(Debug)]
pub enum JsonError {
    /// It is not JSON.
    Malformed(serde_json::Error),
    /// It is JSON of another shape: the field at fault.
    Shape(FieldError),
}

/// `text` read as `T`.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    let mut reader = serde_json::Deserializer::from_str(text);
    let e = match serde_path_to_error::deserialize(&mut reader) {
        // What follows the value must be space only.
        Ok(value) => return reader.end().map(|()| value).map_err(JsonError::Malformed),
        Err(e) => e,
    };
    // A syntax error may be a shape error serde_json calls one: the text reads as JSON.
    if !e.inner().is_data() && serde_json::from_str::<IgnoredAny>(text).is_err() {
        return Err(JsonError::Malformed(e.into_inner()));
    }
    let path = e.path().clone();
    Err(JsonError::Shape(shape(&path, e.into_inner().to_string())))
}

/// `value`, JSON already read (a merge patch applied to a document), as `T`; the field at fault
/// where it is not one, as [`from_json`] names it.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().clone();
        shape(&path, e.into_inner().to_string())
    })
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
    let error = match from_json::<I>(text) {
        Ok(content) => {
            return Ok(AsGiven {
                id: None,
                version: None,
                content,
            });
        }
        Err(e) => e,
    };
    let read_only = matches!(&error, JsonError::Shape(f) if f.code == "unknown_field"
        && READ_ONLY.iter().any(|k| f.pointer.strip_prefix('/') == Some(*k)));
    if !read_only {
        return Err(error);
    }
    // A key named twice is refused, as the first reading would have refused it.
    let Unambiguous(serde_json::Value::Object(mut fields)) = from_json(text)? else {
        return Err(error);
    };
    let id = match fields.remove("id") {
        None => None,
        Some(serde_json::Value::String(id)) if uuid::Uuid::parse_str(&id).is_ok() => {
            uuid::Uuid::parse_str(&id).ok()
        }
        Some(_) => {
            return Err(JsonError::Shape(FieldError::new(
                "/id",
                "invalid",
                "is not an id this repository gave out (a UUID)",
            )));
        }
    };
    let version = match fields.remove("version") {
        None => None,
        Some(v) => match v.as_i64() {
            Some(n) if n >= 1 => Some(n),
            _ => {
                return Err(JsonError::Shape(FieldError::new(
                    "/version",
                    "invalid",
                    "is not a version this repository gave out (a whole number from 1)",
                )));
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
        message
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
    #[allow(dead_code)]
    struct Inner {
        #[serde(rename = "a/b")]
        at: u32,
    }

    /// The pointer, code and message of the one field error `text` gets.
    fn error(text: &str) -> (String, String, String) {
        match from_json::<Outer>(text) {
            Err(JsonError::Shape(e)) => (e.pointer, e.code, e.message),
            other => panic!("{text}: {other:?}"),
        }
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
                (e.pointer.as_str(), e.code.as_str()),
                ("/name/en", "duplicate_field")
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
