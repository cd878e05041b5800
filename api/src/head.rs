//! `HEAD` wherever `GET` works (RFC 9110 §9.3.2): load balancers, link checkers and caches
//! probe with it. A `HEAD` request is routed as the `GET` of the same path and answered as that
//! `GET` is, headers and all; the connection then leaves the body out (actix-http writes no body
//! for a request that came as `HEAD`, and keeps the `Content-Length` of the one it would have
//! sent). The request keeps the method it came with in its extensions ([`CameAsHead`]), so
//! that a 405 names it.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

/// Marks a request that came as `HEAD` and is routed as `GET`.
#[derive(Debug, Clone, Copy)]
pub struct CameAsHead;

/// Routes `HEAD` as `GET`. Wrapped outside every middleware that may hold the request (only the
/// request log is further out, and it names the method the request came with).
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.extensions_mut().insert(CameAsHead);
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// The method a request came with: `HEAD` for one routed as `GET` here.
pub fn method_of(req: &actix_web::HttpRequest) -> Method {
    if req.extensions().get::<CameAsHead>().is_some() {
        Method::HEAD
    } else {
        req.method().clone()
    }
}

/// The methods a path answers, `HEAD` beside each `GET`, and `OPTIONS` (which every path
/// answers), as an `Allow` header lists them.
pub fn allow(methods: &[Method]) -> String {
    methods
        .iter()
        .flat_map(|m| {
            let head = (m == Method::GET).then_some("HEAD");
            std::iter::once(m.as_str()).chain(head)
        })
        .chain(std::iter::once("OPTIONS"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_is_allowed_beside_get() {
        assert_eq!(
            allow(&[Method::GET, Method::PUT, Method::DELETE]),
            "GET, HEAD, PUT, DELETE, OPTIONS"
        );
        assert_eq!(allow(&[Method::POST]), "POST, OPTIONS");
    }
}
