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
/// Spans are exported over OTLP too when a collector is configured (`crate::otlp`). A setting
/// that does not read is an error: the operator who set it would otherwise lose the log they
/// asked for without a word.
pub fn init() -> anyhow::Result<()> {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let (filter, json) = log_settings(
        std::env::var("UPR_TC_LOG").ok().as_deref(),
        std::env::var("UPR_TC_LOG_FORMAT").ok().as_deref(),
    )?;
    let json = json.unwrap_or_else(|| !std::io::stderr().is_terminal());
    // Colours for a person at a terminal, not escape codes in a file.
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let lines = if json {
        lines
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .boxed()
    } else {
        lines.boxed()
    };
    let _ = tracing_subscriber::registry()
        .with(lines)
        .with(crate::otlp::layer())
        .with(filter)
        .try_init();
    Ok(())
}

/// Whether a filter lets any of the service's own logs through: a level for every target, or
/// one for the service's modules (`upr_tc`, `upr_tc::db`, …). A filter naming spans or fields
/// (`[request]=debug`) is taken as it is.
fn lets_own_logs_through(targets: &tracing_subscriber::filter::Targets) -> bool {
    use tracing_subscriber::filter::LevelFilter;
    let own = |target: &str| target.starts_with("upr_tc") || "upr_tc".starts_with(target);
    targets
        .default_level()
        .is_some_and(|l| l != LevelFilter::OFF)
        || targets
            .iter()
            .any(|(target, level)| level != LevelFilter::OFF && own(target))
}

/// What actix-http logs of each connection a client broke, left out of the log.
const CLIENTS_STREAM_ERRORS: &str = "actix_http::h1::dispatcher=off";

/// `UPR_TC_LOG` and `UPR_TC_LOG_FORMAT` read: the filter (`info` when unset or empty), and
/// whether lines are JSON (`None`: as stderr suits).
fn log_settings(
    filter_text: Option<&str>,
    format: Option<&str>,
) -> anyhow::Result<(EnvFilter, Option<bool>)> {
    let filter = match filter_text.map(str::trim).filter(|f| !f.is_empty()) {
        // The parser's error repeats itself as its own source: its text alone.
        Some(f) => EnvFilter::builder().parse(f).map_err(|e| {
            anyhow::anyhow!(
                "UPR_TC_LOG must be a log filter such as `info` or `warn,upr_tc=debug`, not \
                 `{f}`: {e}"
            )
        })?,
        None => EnvFilter::new("info"),
    };
    // actix-http logs at ERROR every connection that ends on a malformed request head or a
    // reset (`stream error: …`): any client may write such lines as fast as it sends bytes,
    // before a request exists to count against its rate limit. Left out unless the filter
    // names actix-http itself.
    let filter = match filter_text {
        Some(f) if f.contains("actix_http") => filter,
        _ => filter.add_directive(CLIENTS_STREAM_ERRORS.parse()?),
    };
    if let Some(f) = filter_text.map(str::trim).filter(|f| !f.is_empty())
        && !f.eq_ignore_ascii_case("off")
        && !f.contains(['[', '{'])
        && f.parse::<tracing_subscriber::filter::Targets>()
            .is_ok_and(|t| !lets_own_logs_through(&t))
    {
        anyhow::bail!(
            "UPR_TC_LOG `{f}` lets none of the service's own logs through, not even its errors \
             (a word that is no level names a module: `garbage` logs only a module of that \
             name): give a level such as `info`, targets with levels such as \
             `warn,upr_tc=debug`, or `off` for no logs at all"
        );
    }
    let json = match format.map(str::trim) {
        None | Some("") => None,
        Some("json") => Some(true),
        Some("text") => Some(false),
        Some(other) => anyhow::bail!("UPR_TC_LOG_FORMAT must be `json` or `text`, not `{other}`"),
    };
    Ok((filter, json))
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

/// A W3C Trace Context `traceparent` (`00-{trace id}-{parent id}-{flags}`, lower-case hex):
/// the trace a request belongs to and the caller's span in it. A header that is not one, or
/// names the all-zero trace or span, is ignored, as the recommendation says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceParent {
    pub trace_id: String,
    pub parent_id: String,
    pub flags: u8,
}

impl TraceParent {
    pub fn parse(value: &str) -> Option<Self> {
        let hex = |s: &str, n: usize| {
            s.len() == n
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        let mut parts = value.trim().split('-');
        let (version, trace, parent, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        // A later version may add fields after these; version 00 has none, `ff` is invalid.
        let more = parts.next().is_some();
        let valid = hex(version, 2)
            && version != "ff"
            && !(version == "00" && more)
            && hex(trace, 32)
            && hex(parent, 16)
            && hex(flags, 2)
            && trace.bytes().any(|b| b != b'0')
            && parent.bytes().any(|b| b != b'0');
        valid.then(|| Self {
            trace_id: trace.to_owned(),
            parent_id: parent.to_owned(),
            flags: u8::from_str_radix(flags, 16).unwrap_or(0),
        })
    }

    fn of(req: &ServiceRequest) -> Option<Self> {
        Self::parse(req.headers().get("traceparent")?.to_str().ok()?)
    }
}

/// A new trace's id: 16 random bytes, as 32 lower-case hex digits.
fn new_trace_id() -> String {
    crate::digest::hex(&rand::random::<[u8; 16]>())
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

/// Whether the answer is a request refused because a disk is full (the database's, or the one
/// of temporary files).
fn storage_full(res: &ServiceResponse<BoxBody>) -> bool {
    res.response().error().is_some_and(|err| {
        matches!(
            err.as_error::<crate::error::ApiError>(),
            Some(crate::error::ApiError::StorageFull(_))
        )
    })
}

/// Whether the answer is a write refused because the database's disk is full.
fn database_full(res: &ServiceResponse<BoxBody>) -> bool {
    res.response().error().is_some_and(|err| {
        err.as_error::<crate::error::ApiError>()
            .is_some_and(crate::error::ApiError::database_is_full)
    })
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req
        .app_data::<actix_web::web::Data<crate::startup::AppState>>()
        .cloned();
    // Random: ids of the clock and counter new items' ids come from would count, to anyone
    // asking `/health/live` at once, the items a hidden write made.
    let id = incoming_id(&req).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let parent = TraceParent::of(&req);
    // The caller's trace, else a new one: every line this request logs names it. Given when
    // the span is made (a field recorded later costs the log's formatter its fields again),
    // except when spans are exported: the exporter then says which trace the span joined.
    let exported = crate::otlp::enabled();
    let trace_id = (!exported).then(|| {
        parent
            .as_ref()
            .map_or_else(new_trace_id, |p| p.trace_id.clone())
    });
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        trace_id = trace_id.as_deref().map(tracing::field::display),
        parent_span_id = parent.as_ref().map(|p| tracing::field::display(p.parent_id.as_str())),
        method = %req.method(),
        path = %req.path(),
    );
    if exported {
        let trace_id = crate::otlp::join(&span, parent.as_ref())
            .or_else(|| parent.as_ref().map(|p| p.trace_id.clone()))
            .unwrap_or_else(new_trace_id);
        span.record("trace_id", tracing::field::display(&trace_id));
    }
    // Said in the log if dropped unanswered: cut by the stop, or its client gone.
    // Shared with the keyed request's own task (`idempotency`), which may be cut too.
    let counted = if req.headers().contains_key(crate::idempotency::HEADER) {
        let counted = crate::stop::Counted::shared();
        actix_web::HttpMessage::extensions_mut(&req).insert(counted.clone());
        counted
    } else {
        crate::stop::Counted::alone()
    };
    let mut working = state.as_ref().map(|state| {
        let _in = span.enter();
        crate::stop::Working::of_request(&state.stop, crate::stop::REQUEST, counted)
    });
    let res = next.call(req).instrument(span.clone()).await;
    if let Some(working) = &mut working {
        working.done();
    }
    let mut res = res?.map_into_boxed_body();
    let status = res.status();

    if let Some(err) = res.response().error()
        && status.is_server_error()
    {
        // A 503 is the service saying "not now" (a lock not granted in time, a lost or busy
        // connection, a limit reached): a warning; a full disk, which waits for the operator,
        // and any other 5xx are errors.
        if status == actix_web::http::StatusCode::SERVICE_UNAVAILABLE && !storage_full(&res) {
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
    if let Some(state) = &state {
        // Writes are refused for a full disk from such a refusal until a write transaction
        // that changed something commits (`db::tx::write`).
        if database_full(&res) {
            state.watch.storage_refused();
        }
        let request = res.request();
        // A HEAD is answered as its GET inside, but counted as what it came as.
        state.metrics.request(
            crate::head::method_of(request).as_str(),
            request.match_pattern(),
            status.as_u16(),
            started.elapsed().as_secs_f64(),
        );
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

#[cfg(test)]
mod tests {
    use super::{TraceParent, log_settings};

    #[test]
    fn log_settings_that_do_not_read_are_refused() {
        let json = |filter, format| log_settings(filter, format).map(|(_, json)| json);
        assert_eq!(json(None, None).unwrap(), None);
        assert_eq!(json(Some(""), Some("")).unwrap(), None);
        assert_eq!(
            json(Some("warn,upr_tc=debug"), Some("json")).unwrap(),
            Some(true)
        );
        assert_eq!(json(Some("info"), Some(" text ")).unwrap(), Some(false));
        let format = json(None, Some("xml")).unwrap_err().to_string();
        assert!(
            format.contains("UPR_TC_LOG_FORMAT") && format.contains("`xml`"),
            "{format}"
        );
        for filter in ["upr_tc=loud", "info,=,"] {
            let error = json(Some(filter), None).unwrap_err().to_string();
            assert!(error.contains("UPR_TC_LOG must be"), "{filter}: {error}");
        }
        // A filter that reads but lets none of the service's own errors through: a typo of a
        // level reads as the name of a module.
        for filter in ["garbage", "inf", "actix_web=debug", "upr_tc=off"] {
            let error = json(Some(filter), None).unwrap_err().to_string();
            assert!(
                error.contains("none of the service's own logs"),
                "{filter}: {error}"
            );
        }
        for filter in [
            "off",
            "error",
            "trace",
            "warn,actix_web=debug",
            "upr_tc::routes=debug,info",
            "OFF",
            "upr_tc::db=debug",
            "[request]=debug",
        ] {
            assert!(json(Some(filter), None).is_ok(), "{filter}");
        }
    }

    #[test]
    fn connections_broken_by_clients_are_left_out_of_the_log_unless_asked_for() {
        let filter = |text| log_settings(text, None).unwrap().0.to_string();
        for text in [None, Some("info"), Some("warn,upr_tc=debug")] {
            assert!(
                filter(text).contains(super::CLIENTS_STREAM_ERRORS),
                "{text:?}: {}",
                filter(text)
            );
        }
        assert!(!filter(Some("info,actix_http=error")).contains("dispatcher=off"));
    }

    #[test]
    fn a_traceparent_is_read_as_the_w3c_recommendation_says() {
        let ok = TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        assert_eq!(
            ok,
            Some(TraceParent {
                trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
                parent_id: "00f067aa0ba902b7".into(),
                flags: 1,
            })
        );
        // A later version may carry more fields; this one may not.
        let later = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-more";
        assert!(TraceParent::parse(later).is_some());
        for bad in [
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad}");
        }
    }
}
