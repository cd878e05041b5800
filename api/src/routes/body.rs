//! A JSON request body, read in two steps: first as JSON of any shape, as actix-web's
//! `web::Json` reads it (its content type, its size limit, `error::json_config`), so that a
//! body that is not JSON at all is a 400 (`malformed_json`); then as the route's type
//! (`domain::json`), so that JSON of the wrong shape is a 422 (`invalid_body`) whose error
//! names the field by its JSON pointer, as the field errors of validation do.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::domain::json::{JsonError, from_json};
use crate::error::ApiError;

/// A request body of JSON read as `T` (see the module).
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<Box<RawValue>>::from_request(req, payload);
        Box::pin(async move {
            let json = json.await?;
            Ok(Json(typed(json.get())?))
        })
    }
}

/// `text`, which is JSON, read as `T`; a 422 naming the field where it is not one.
fn typed<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    from_json(text).map_err(|e| match e {
        JsonError::Shape(error) => ApiError::Unprocessable {
            code: "invalid_body",
            detail: format!(
                "The JSON body does not have the expected shape: {}.",
                error.message
            ),
            errors: vec![error],
        },
        // Not reached: the text was read as JSON first.
        JsonError::Malformed(e) => crate::error::malformed_json(&e),
    })
}
