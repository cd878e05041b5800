//! A JSON request body, read in two steps: first as JSON of any shape, as actix-web's
//! `web::Json` reads it (its content type, its size limit, `error::json_config`), so that a
//! body that is not JSON at all is a 400 (`malformed_json`); then as the route's type
//! (`domain::json`), so that JSON of the wrong shape is a 422 (`invalid_body`) whose error
//! names the field by its JSON pointer, as the field errors of validation do.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

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
/// field where it is not one. A large body holds one of its caller's [`LARGE_EACH`] shares
/// while it arrives.
fn read<R: 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    typed: fn(&str) -> Result<R, JsonError>,
) -> Pin<Box<dyn Future<Output = Result<R, actix_web::Error>>>> {
    let share = arriving_share(req);
    let no_share = Rc::new(Cell::new(None));
    if let Some(counted) = Counted::of(req, payload, &no_share) {
        let stream: Pin<Box<dyn futures_util::Stream<Item = _>>> = Box::pin(counted);
        *payload = Payload::from(stream);
    }
    let json = web::Json::<Box<RawValue>>::from_request(req, payload);
    Box::pin(async move {
        let _arriving = share?;
        let json = match json.await {
            Ok(json) => json,
            Err(e) => return Err(no_share.take().map_or(e, Into::into)),
        };
        Ok(typed(json.get()).map_err(refused)?)
    })
}

/// A body sent in chunks (its head says no length): it takes one of its caller's large-body
/// shares once more than [`LARGE`] of it has arrived, so that a small body sent so counts for
/// nothing; when the caller has none left, the body stops there and its 429 is left in
/// `refused`.
struct Counted {
    inner: Payload,
    arrived: u64,
    take: Option<Box<dyn FnOnce() -> Result<crate::shares::Share, ApiError>>>,
    _share: Option<crate::shares::Share>,
    refused: Rc<Cell<Option<ApiError>>>,
}

impl Counted {
    fn of(
        req: &HttpRequest,
        payload: &mut Payload,
        refused: &Rc<Cell<Option<ApiError>>>,
    ) -> Option<Self> {
        let headers = req.headers();
        if headers.contains_key(actix_web::http::header::CONTENT_LENGTH)
            || !headers.contains_key(actix_web::http::header::TRANSFER_ENCODING)
        {
            return None;
        }
        let state = req
            .app_data::<web::Data<crate::startup::AppState>>()?
            .clone();
        let req = req.clone();
        Some(Self {
            inner: payload.take(),
            arrived: 0,
            take: Some(Box::new(move || large_share(&state, &req))),
            _share: None,
            refused: refused.clone(),
        })
    }
}

impl futures_util::Stream for Counted {
    type Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>;

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let next = Pin::new(&mut this.inner).poll_next(cx);
        if let std::task::Poll::Ready(Some(Ok(piece))) = &next {
            this.arrived += piece.len() as u64;
            if this.arrived > LARGE
                && let Some(take) = this.take.take()
            {
                match take() {
                    Ok(share) => this._share = Some(share),
                    Err(e) => {
                        this.refused.set(Some(e));
                        return std::task::Poll::Ready(Some(Err(std::io::Error::other(
                            "the caller has no large-body share left",
                        )
                        .into())));
                    }
                }
            }
        }
        next
    }
}

/// A JSON body is large past this many bytes: far more than an item's content takes, but for
/// long texts in every language.
pub const LARGE: u64 = 64 * 1024;

/// How many large JSON bodies ([`LARGE`]) one caller may have arriving at once. A body is held
/// in memory until it is whole, up to `UPR_TC_JSON_LIMIT`: without a bound, one caller's
/// connections (`UPR_TC_MAX_CONNECTIONS_PER_ADDRESS` from each of its addresses) could each
/// hold that much while their bodies trickle in for `UPR_TC_BODY_TIMEOUT`.
pub const LARGE_EACH: usize = 4;

/// One of the caller's large bodies arriving at once, when this body's length is past
/// [`LARGE`]; a 429 past [`LARGE_EACH`]. A body sent in chunks takes its share once that much
/// of it has arrived ([`Counted`]); a coded body as it is decoded (`crate::decoding`), and is
/// read here from a file.
fn arriving_share(req: &HttpRequest) -> Result<Option<crate::shares::Share>, ApiError> {
    let Some(state) = req.app_data::<web::Data<crate::startup::AppState>>() else {
        return Ok(None);
    };
    if !is_large(req.headers()) {
        return Ok(None);
    }
    large_share(state, req).map(Some)
}

/// One of the caller's large bodies arriving at once ([`LARGE_EACH`]), or a 429.
pub fn large_share(
    state: &crate::startup::AppState,
    req: &HttpRequest,
) -> Result<crate::shares::Share, ApiError> {
    crate::decoding::share_of(
        &state.large_bodies,
        state,
        req,
        &format!(
            "This caller already has {LARGE_EACH} JSON bodies of over {} KiB arriving; send \
             them one after another, and retry when one is whole",
            LARGE / 1024
        ),
    )
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

/// Whether a body is large ([`LARGE`]) by its head: its length past it. One sent in chunks
/// is counted as it arrives ([`Counted`]); one decoded (`crate::decoding`) has no length: it is
/// read from a file, not from its client.
fn is_large(headers: &actix_web::http::header::HeaderMap) -> bool {
    headers
        .get(actix_web::http::header::CONTENT_LENGTH)
        .is_some_and(|length| {
            length
                .to_str()
                .ok()
                .and_then(|n| n.parse::<u64>().ok())
                .is_none_or(|n| n > LARGE)
        })
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

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn a_body_is_large_by_its_head_past_its_bound_or_when_its_length_does_not_read() {
        let large = |headers: &[(&str, &str)]| {
            let mut req = TestRequest::post();
            for (name, value) in headers {
                req = req.insert_header((*name, *value));
            }
            is_large(req.to_http_request().headers())
        };
        assert!(!large(&[]), "no body");
        assert!(!large(&[("content-length", "65536")]));
        assert!(large(&[("content-length", "65537")]));
        assert!(large(&[("content-length", "lots")]));
        // Counted as it arrives instead (`Counted`).
        assert!(!large(&[("transfer-encoding", "chunked")]));
    }
}
