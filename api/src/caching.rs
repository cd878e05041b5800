//! What a cache may keep of an answer. Most answers change with a single write (a State's
//! withdrawal hides an activity at once), and many with the caller: an answer that says
//! nothing of its own is `Cache-Control: no-cache` (a cache keeps it, but asks again with its
//! `ETag` before each use, and the service answers 304 while it holds), `private, no-cache`
//! for a caller with a token (no shared cache keeps it), and `Vary: Accept, Accept-Encoding,
//! Authorization` (lists answer CSV or JSON as `Accept` asks, compressed or not, and each
//! caller sees its own), on a 304 as on the 200 it stands for. Without it, a
//! cache in front of the service (Varnish keeps two minutes by default) would go on serving an
//! activity after its State withdrew consent. Answers that say how long they keep (reference
//! data, the contract, `/metrics`) are left as they are.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let with_token = req.headers().contains_key(header::AUTHORIZATION);
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        let rule = if with_token {
            "private, no-cache"
        } else {
            "no-cache"
        };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(rule));
        headers.append(
            header::VARY,
            HeaderValue::from_static("Accept, Accept-Encoding, Authorization"),
        );
    }
    Ok(res)
}
