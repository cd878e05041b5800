//! Logging, and the middleware every request passes through: a request id (returned as
//! `X-Request-Id`), one structured log line per request, the cause of every 5xx logged under
//! that id, and any error answer that is not yet a problem document turned into one.

use std::io::IsTerminal;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::error::{ApiError, PROBLEM_JSON};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Logs go to stderr (stdout stays for command output such as `upr-tc token`), as JSON lines
/// unless stderr is a terminal; `UPR_TC_LOG_FORMAT=json|text` decides, `UPR_TC_LOG` filters.
pub fn init() {
    let filter = EnvFilter::try_from_env("UPR_TC_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match std::env::var("UPR_TC_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") => false,
        _ => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// A client may pass its own request id (for tracing across systems) if it is short and plain.
fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(&REQUEST_ID)?.to_str().ok()?;
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    ok.then(|| value.to_owned())
}

fn problem_for(status: actix_web::http::StatusCode, detail: Option<String>) -> ApiError {
    let detail = detail.unwrap_or_else(|| status.canonical_reason().unwrap_or("Error").to_owned());
    match status.as_u16() {
        401 => ApiError::Unauthorized(detail),
        403 => ApiError::Forbidden(detail),
        404 => ApiError::NotFound(detail),
        409 => ApiError::Conflict(detail),
        412 => ApiError::PreconditionFailed(detail),
        413 => ApiError::PayloadTooLarge(detail),
        415 => ApiError::UnsupportedMediaType(detail),
        422 => ApiError::Unprocessable {
            code: "unprocessable",
            detail,
            errors: vec![],
        },
        503 => ApiError::Unavailable(detail),
        s if s >= 500 => ApiError::internal(anyhow::anyhow!("{detail}")),
        _ => ApiError::bad_request("bad_request", detail),
    }
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = incoming_id(&req).unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.path(),
    );
    let res = next.call(req).instrument(span.clone()).await?;
    let mut res = res.map_into_boxed_body();
    let status = res.status();

    if let Some(err) = res.response().error()
        && status.is_server_error()
    {
        // A 503 is the service saying "not now" (a lock not granted in time, a lost or busy
        // connection, a limit reached): a warning; any other 5xx is an error.
        if status == actix_web::http::StatusCode::SERVICE_UNAVAILABLE {
            span.in_scope(|| tracing::warn!(error = ?err, "request refused for now"));
        } else {
            span.in_scope(|| tracing::error!(error = ?err, "request failed"));
        }
    }

    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if (status.is_client_error() || status.is_server_error()) && !is_problem {
        // An answer from a part of actix that does not speak problem+json.
        let detail = res
            .response()
            .error()
            .filter(|_| status.is_client_error())
            .map(|e| e.to_string());
        let problem = problem_for(status, detail);
        let mut fresh: HttpResponse = problem.error_response();
        *fresh.status_mut() = status;
        for (name, value) in res.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                fresh.headers_mut().insert(name.clone(), value.clone());
            }
        }
        res = res.into_response(fresh);
    }

    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        )
    });
    Ok(res)
}
