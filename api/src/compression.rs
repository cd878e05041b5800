//! Responses compressed when the client asks (`Accept-Encoding`: zstd, brotli or gzip, by
//! actix-web's `Compress`), but only when they are worth it: an answer of known size under
//! [`SMALL`] goes as it is (a health check, an item, a problem), where compressing would cost
//! more than the bytes it saves. Streamed answers (exports, the feed) are compressed as they
//! stream.
//!
//! `Compress` leaves alone a response that already names a `Content-Encoding`: [`small`], inside
//! it, marks the small ones `identity`, and [`finish`], outside it, takes the mark off again
//! (it is not a content coding to send, RFC 9110 §8.4.1). An answer that was compressed is not
//! the same bytes as the one that was not, so `finish` makes its ETag weak (§8.8.3), as the
//! list pages' are already; `If-Match` and `If-None-Match` take weak tags.

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

/// Answers smaller than this many bytes are not compressed.
pub const SMALL: u64 = 2048;

/// Marks an answer of known size under [`SMALL`] as not to be compressed.
pub async fn small(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let headers = res.headers();
    if matches!(res.response().body().size(), BodySize::Sized(n) if n < SMALL)
        && !headers.contains_key(header::CONTENT_ENCODING)
    {
        res.headers_mut().insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static("identity"),
        );
    }
    Ok(res)
}

/// Takes the mark of [`small`] off; weakens the ETag of an answer that was compressed.
pub async fn finish(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    match headers
        .get(header::CONTENT_ENCODING)
        .map(HeaderValue::as_bytes)
    {
        Some(b"identity") => {
            headers.remove(header::CONTENT_ENCODING);
        }
        Some(_) => {
            let strong = headers
                .get(header::ETAG)
                .and_then(|t| t.to_str().ok())
                .filter(|t| t.starts_with('"'))
                .map(|t| format!("W/{t}"));
            if let Some(weak) = strong.and_then(|t| HeaderValue::from_str(&t).ok()) {
                headers.insert(header::ETAG, weak);
            }
        }
        None => {}
    }
    Ok(res)
}
