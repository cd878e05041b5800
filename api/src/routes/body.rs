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

use crate::domain::json::{AsGiven, JsonError, as_given, from_json};
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
        read(req, payload, |text| from_json(text).map(Json))
    }
}

/// The body read as JSON of any shape, then as the route's type by `typed`: a 422 naming the
/// field where it is not one.
fn read<R: 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    typed: fn(&str) -> Result<R, JsonError>,
) -> Pin<Box<dyn Future<Output = Result<R, actix_web::Error>>>> {
    let json = web::Json::<Box<RawValue>>::from_request(req, payload);
    Box::pin(async move {
        let json = json.await?;
        Ok(typed(json.get()).map_err(refused)?)
    })
}

/// A replacement's body (`PUT`): the item's content, or the item as a read gives it
/// ([`as_given`]: its `id` and `version` kept for the route to check, its other read-only
/// fields read past), so that a client may send back what it read with its changes.
pub struct Replacement<T>(pub AsGiven<T>);

impl<T> Replacement<T> {
    pub fn into_inner(self) -> AsGiven<T> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Replacement<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        read(req, payload, |text| as_given(text).map(Replacement))
    }
}

/// Why a body that is JSON was not read as the route's type.
fn refused(e: JsonError) -> ApiError {
    match e {
        JsonError::Shape(errors) => ApiError::Unprocessable {
            code: "invalid_body",
            detail: format!(
                "The JSON body does not have the expected shape: {}.",
                crate::domain::json::first_and_count(&errors)
            ),
            errors,
        },
        // Not reached: the text was read as JSON first.
        JsonError::Malformed(e) => crate::error::malformed_json(&e),
    }
}
