//! A query string read as a route's parameters, the way `web::Query` reads it
//! (`serde_urlencoded`), but with the parameter at fault named: a value that does not read
//! (`limit=abc`) is a 400 `invalid_query` that says which parameter, with its pointer in
//! `errors`; serde alone says only "invalid digit found in string".

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::domain::validate::FieldError;
use crate::error::ApiError;

/// A route's query parameters read as `T` (see the module).
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            parameters(req.query_string())
                .map(Query)
                .map_err(Into::into),
        )
    }
}

/// `query` read as `T`; an error naming the parameter that does not read.
pub fn parameters<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let reader = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(reader).map_err(|e| {
        let name = e.path().iter().find_map(|segment| match segment {
            serde_path_to_error::Segment::Map { key } => Some(key.clone()),
            _ => None,
        });
        let message = e.into_inner().to_string();
        // A parameter given twice is named by serde's message alone (`` duplicate field `state` ``).
        let name = name.or_else(|| {
            let rest = message.strip_prefix("duplicate field `")?;
            Some(rest[..rest.find('`')?].to_owned())
        });
        match name {
            Some(name) => ApiError::BadRequest {
                code: "invalid_query",
                detail: format!("The query string is invalid: `{name}`: {message}"),
                errors: vec![FieldError::new(format!("/{name}"), "invalid", message)],
            },
            None => ApiError::BadRequest {
                code: "invalid_query",
                detail: format!("The query string is invalid: {message}"),
                errors: vec![],
            },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::parameters;
    use crate::error::ApiError;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Page {
        limit: Option<u32>,
        after: Option<String>,
        wait: Option<u64>,
    }

    #[test]
    fn a_parameter_that_does_not_read_is_named() {
        let page: Page = parameters("limit=5&after=x%20y").unwrap();
        assert_eq!((page.limit, page.after.as_deref()), (Some(5), Some("x y")));
        for (query, name) in [
            ("limit=abc", "limit"),
            ("after=a&wait=-1", "wait"),
            ("limit=1&limit=2", "limit"),
        ] {
            match parameters::<Page>(query) {
                Err(ApiError::BadRequest {
                    code,
                    detail,
                    errors,
                }) => {
                    assert_eq!(code, "invalid_query");
                    assert!(detail.contains(&format!("`{name}`")), "{detail}");
                    assert_eq!(errors[0].pointer, format!("/{name}"));
                }
                other => panic!("{query}: {other:?}"),
            }
        }
    }
}
