//! Every error the service answers is an RFC 9457 `application/problem+json` document with a
//! stable snake_case `code`. Handlers return [`ApiError`]; actix's own errors (bad JSON, bad
//! query, unknown route, wrong method, body too large) are converted here too, so a client
//! never meets a second error shape.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError, error, web};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

pub use crate::domain::FieldError;

/// RFC 9457 problem details.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    #[schema(example = "https://upr-tc.ohchr.org/problems/validation_failed")]
    pub type_: String,
    /// A short summary of the kind of problem.
    #[schema(example = "Validation failed")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Stable machine-readable code; clients branch on this, never on `title` or `detail`.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// The bad fields, when the request had some: the first 100 (`detail` says how many there
    /// were).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For a refused bulk upload: what it would have done, and every bad row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Box<crate::import::ImportReport>>,
}

/// The most field errors one problem lists: a body with thousands of bad fields is answered
/// in kilobytes, not megabytes. `detail` says how many there were.
pub const LISTED_ERRORS: usize = 100;

/// Base of the `type` URIs. They identify problem kinds; they need not resolve.
const TYPE_BASE: &str = "https://upr-tc.ohchr.org/problems/";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    BadRequest {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{detail}")]
    MethodNotAllowed { detail: String, allow: String },
    #[error("{0}")]
    Conflict(String),
    /// The first request with this `Idempotency-Key` has not answered yet.
    #[error("{0}")]
    InProgress(String),
    /// The first request with this `Idempotency-Key` succeeded, but its answer was too large
    /// to keep for replays.
    #[error("{0}")]
    AnswerNotKept(String),
    #[error("{0}")]
    PreconditionFailed(String),
    /// A change-feed cursor older than the feed keeps: take a fresh snapshot.
    #[error("{0}")]
    CursorExpired(String),
    /// The request's body did not arrive in time (`crate::deadline`).
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The request's `Accept` takes none of the media types its operation answers with
    /// (`served::middleware`).
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A `PATCH` body in a patch format other than JSON merge patch; the answer carries
    /// `Accept-Patch`.
    #[error("{0}")]
    UnsupportedPatch(String),
    #[error("{detail}")]
    Unprocessable {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    /// The database is unreachable or full, or a limit of the service is reached; the answer
    /// carries `Retry-After`.
    #[error("{0}")]
    Unavailable(String),
    /// A read given up past its time limit (a ranked search, the coordination view): a 503
    /// without `Retry-After`, since the same request is likely to take as long again; the
    /// detail says what to ask for instead.
    #[error("{0}")]
    TooSlow(String),
    /// A database failure a retry may not meet: a lost connection, a lock not granted in time,
    /// a serialisation failure. The cause is logged, never shown.
    #[error("the database is busy or its connection was lost")]
    Transient(#[source] anyhow::Error),
    /// Over the caller's budget of requests; `retry_after` in seconds.
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after: u64 },
    /// An atomic bulk upload with bad rows: nothing was written.
    #[error("{} of {} rows cannot be imported; nothing was written", .0.rejected, .0.received)]
    ImportRejected(Box<crate::import::ImportReport>),
    /// The database's disk is full, or the one the service spools uploads and snapshots to
    /// (`TMPDIR`): the write was rolled back, nothing of it written. A 503 that names it,
    /// logged as an error for the operator. The cause is logged, never shown.
    #[error("a disk of the service is full")]
    StorageFull(#[source] anyhow::Error),
    /// Anything unexpected. The cause is logged with the request id, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
            errors: vec![],
        }
    }

    pub fn invalid_parameter(name: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::BadRequest {
            code: "invalid_parameter",
            detail: format!("Invalid parameter `{name}`: {message}"),
            errors: vec![FieldError::new(format!("/{name}"), "invalid", message)],
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.pointer, one.message),
            many if many.len() > LISTED_ERRORS => format!(
                "{} fields are invalid; `errors` lists the first {LISTED_ERRORS}",
                many.len()
            ),
            many => format!("{} fields are invalid", many.len()),
        };
        Self::Unprocessable {
            code: "validation_failed",
            detail,
            errors,
        }
    }

    /// This failure again, for another caller who waited for the same work (a shared snapshot
    /// reading): the same answer, its cause in words (`anyhow`'s errors are not `Clone`);
    /// `what` says what failed where the answer hides its cause.
    pub fn for_another_caller(&self, what: &str) -> Self {
        match self {
            Self::Unavailable(detail) => Self::Unavailable(detail.clone()),
            Self::TooSlow(detail) => Self::TooSlow(detail.clone()),
            Self::Transient(err) => Self::Transient(anyhow::anyhow!("{err:#}")),
            Self::StorageFull(err) => Self::StorageFull(anyhow::anyhow!("{err:#}")),
            Self::Internal(err) => Self::Internal(anyhow::anyhow!("{what}: {err:#}")),
            other => Self::internal(anyhow::anyhow!("{what}: {other}")),
        }
    }

    /// An unexpected failure, or a transient one (a 503) when a database error in its chain
    /// says so.
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        let err = err.into();
        if err.chain().any(|e| e.is::<diesel::r2d2::PoolError>()) {
            return no_connection(&err);
        }
        let database_errors = || {
            err.chain()
                .filter_map(|e| e.downcast_ref::<diesel::result::Error>())
        };
        // The database's disk, or the one an upload or a snapshot is spooled to (`TMPDIR`).
        let files_full = err
            .chain()
            .filter_map(|e| e.downcast_ref::<std::io::Error>())
            .any(|e| {
                matches!(
                    e.kind(),
                    std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
                )
            });
        if files_full || database_errors().any(is_storage_full) {
            return Self::StorageFull(err);
        }
        let transient = database_errors().any(is_transient);
        if transient {
            Self::Transient(err)
        } else {
            Self::Internal(err)
        }
    }

    /// Whether this is the database's disk full (not the one of temporary files): what makes
    /// readiness say writes are refused.
    pub fn database_is_full(&self) -> bool {
        match self {
            Self::StorageFull(err) => err
                .chain()
                .filter_map(|e| e.downcast_ref::<diesel::result::Error>())
                .any(is_storage_full),
            _ => false,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } | Self::Unprocessable { code, .. } => code,
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::InProgress(_) => "request_in_progress",
            Self::AnswerNotKept(_) => "answer_not_kept",
            Self::PreconditionFailed(_) => "precondition_failed",
            Self::CursorExpired(_) => "cursor_expired",
            Self::RequestTimeout(_) => "request_timeout",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::NotAcceptable(_) => "not_acceptable",
            Self::UnsupportedMediaType(_) | Self::UnsupportedPatch(_) => "unsupported_media_type",
            Self::Unavailable(_) | Self::Transient(_) => "service_unavailable",
            Self::TooSlow(_) => "too_slow",
            Self::StorageFull(_) => "storage_full",
            Self::TooManyRequests { .. } => "rate_limited",
            Self::ImportRejected(_) => "import_rejected",
            Self::Internal(_) => "internal_error",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let title = status.canonical_reason().unwrap_or("Error").to_owned();
        let errors = match self {
            Self::BadRequest { errors, .. } | Self::Unprocessable { errors, .. } => {
                errors.iter().take(LISTED_ERRORS).cloned().collect()
            }
            _ => vec![],
        };
        let detail = match self {
            Self::Internal(_) => {
                "The service failed to answer this request. It has been logged with the request id."
                    .to_owned()
            }
            Self::StorageFull(_) => "A disk of the service is full (the database's, or the \
                 one it keeps uploads and snapshots on while it reads them), so this request was \
                 not carried out (a bulk upload in the partial mode keeps the batches it \
                 committed before, which its retry finds unchanged). Space must be freed; retry \
                 after the time `Retry-After` gives."
                .to_owned(),
            Self::Transient(_) => "The database is busy or its connection was lost, so this \
                 request was not carried out. Retry after the time `Retry-After` gives (a POST \
                 with the same `Idempotency-Key`)."
                .to_owned(),
            other => other.to_string(),
        };
        let report = match self {
            Self::ImportRejected(report) => Some(report.clone()),
            _ => None,
        };
        Problem {
            type_: format!("{TYPE_BASE}{}", self.code()),
            title,
            status: status.as_u16(),
            detail,
            code: self.code().to_owned(),
            errors,
            report,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) | Self::InProgress(_) | Self::AnswerNotKept(_) => {
                StatusCode::CONFLICT
            }
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::CursorExpired(_) => StatusCode::GONE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::UnsupportedMediaType(_) | Self::UnsupportedPatch(_) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) | Self::Transient(_) | Self::StorageFull(_) | Self::TooSlow(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ImportRejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match self {
            Self::Unauthorized(_) => {
                res.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"upr-tc\""),
                ));
            }
            Self::MethodNotAllowed { allow, .. } => {
                if let Ok(v) = HeaderValue::from_str(allow) {
                    res.insert_header((header::ALLOW, v));
                }
            }
            Self::UnsupportedPatch(_) => {
                res.insert_header((
                    header::HeaderName::from_static("accept-patch"),
                    HeaderValue::from_static(MERGE_PATCH),
                ));
            }
            Self::TooManyRequests { retry_after, .. } => {
                res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            Self::Unavailable(_) => {
                res.insert_header((header::RETRY_AFTER, UNAVAILABLE_RETRY_AFTER.to_string()));
            }
            Self::StorageFull(_) => {
                res.insert_header((header::RETRY_AFTER, STORAGE_FULL_RETRY_AFTER.to_string()));
            }
            Self::Transient(_) | Self::InProgress(_) => {
                res.insert_header((header::RETRY_AFTER, TRANSIENT_RETRY_AFTER.to_string()));
            }
            _ => {}
        }
        res.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

/// The patch format `PATCH` takes: JSON merge patch (RFC 7396), which `Accept-Patch` names.
pub const MERGE_PATCH: &str = "application/merge-patch+json";

/// Seconds a client is asked to wait when the database is unreachable or a limit is reached.
const UNAVAILABLE_RETRY_AFTER: u64 = 5;
/// Seconds a client is asked to wait when the database's disk is full: until someone frees
/// space.
const STORAGE_FULL_RETRY_AFTER: u64 = 60;
/// Seconds a client is asked to wait after a transient database failure.
const TRANSIENT_RETRY_AFTER: u64 = 1;

/// Words of the messages of transient failures that have no error kind of their own in diesel:
/// SQLite's `SQLITE_BUSY` / `SQLITE_LOCKED`, PostgreSQL's lock timeout (55P03), deadlock
/// (40P01), a terminated backend (57P01) or a server going down, and libpq's lost connection.
const TRANSIENT_MESSAGES: [&str; 11] = [
    "database is locked",
    "database table is locked",
    "lock timeout",
    "deadlock detected",
    "terminating connection",
    "server closed the connection",
    "could not receive data",
    "no connection to the server",
    "connection to server",
    "the database system is",
    "could not serialize access",
];

/// Whether a database error says its disk is full: SQLite's `SQLITE_FULL`, PostgreSQL's
/// `disk_full` (53100) and the failures of a write to a file for want of space.
pub fn is_storage_full(err: &diesel::result::Error) -> bool {
    match err {
        diesel::result::Error::DatabaseError(_, info) => {
            let message = info.message().to_ascii_lowercase();
            [
                "database or disk is full",
                "no space left on device",
                "could not extend file",
            ]
            .iter()
            .any(|m| message.contains(m))
        }
        _ => false,
    }
}

/// Whether a database error is one that a retry of the same request may not meet.
pub fn is_transient(err: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind as Kind, Error as E};
    match err {
        E::DatabaseError(Kind::SerializationFailure | Kind::ClosedConnection, _) => true,
        E::DatabaseError(_, info) => {
            let message = info.message().to_ascii_lowercase();
            TRANSIENT_MESSAGES.iter().any(|m| message.contains(m))
        }
        E::BrokenTransactionManager => true,
        _ => false,
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        // A statement ran past its time limit (a ranked search, `db::sql::search::SEARCH_TIMEOUT`;
        // SQLite's limit fails with PostgreSQL's words, `db::sql::time_limit`): the caller can
        // ask for less.
        if let diesel::result::Error::DatabaseError(_, info) = &err
            && info.message().contains("statement timeout")
        {
            return Self::TooSlow(
                "The search took longer than this service allows: narrow it with more words or \
                 with filters."
                    .into(),
            );
        }
        Self::internal(err)
    }
}

/// A command's refusal or failure, as the HTTP answer says it.
impl From<crate::app::Error> for ApiError {
    fn from(err: crate::app::Error) -> Self {
        use crate::app::Error as E;
        match err {
            E::Forbidden(detail) => Self::Forbidden(detail),
            E::NotFound(detail) => Self::NotFound(detail),
            E::Stale { current } => Self::PreconditionFailed(format!(
                "The item has changed since you read it: it is now at version {current}. Read it again (for its ETag) and retry."
            )),
            E::Conflict(detail) => Self::Conflict(detail),
            E::Invalid(errors) => Self::validation(errors),
            E::InvalidPatch(errors) => Self::Unprocessable {
                code: "invalid_body",
                detail: format!(
                    "The patched document is not valid: {}.",
                    crate::domain::json::first_and_count(&errors)
                ),
                errors,
            },
            E::TooSlow(detail) => Self::TooSlow(detail),
            E::Db(e) => e.into(),
            E::Internal(e) => Self::internal(e),
        }
    }
}

/// Why an upload as a whole was not imported.
impl From<crate::import::ImportError> for ApiError {
    fn from(err: crate::import::ImportError) -> Self {
        use crate::import::ImportError;
        match err {
            ImportError::File(detail) => Self::Unprocessable {
                code: "unreadable_file",
                detail,
                errors: vec![],
            },
            ImportError::Limit { code, detail } => Self::Unprocessable {
                code,
                detail,
                errors: vec![],
            },
            ImportError::Read(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
                Self::PayloadTooLarge(e.to_string())
            }
            ImportError::Read(e) => Self::bad_request(
                "unreadable_body",
                format!("The upload could not be read: {e}"),
            ),
            ImportError::Db(e) => Self::internal(e),
            ImportError::Refused(e) => e.into(),
        }
    }
}

/// No connection within the pool's checkout timeout: the database is down or every connection
/// is busy.
impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        no_connection(&err)
    }
}

pub fn no_connection(err: &dyn std::fmt::Display) -> ApiError {
    tracing::warn!(error = %err, "no database connection");
    ApiError::Unavailable(
        "The database is not reachable or busy; retry after the time `Retry-After` gives.".into(),
    )
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        Self::internal(anyhow::anyhow!("blocking task failed: {err}"))
    }
}

fn json_error(err: error::JsonPayloadError) -> ApiError {
    use error::JsonPayloadError as E;
    match err {
        E::OverflowKnownLength { length, limit } => ApiError::PayloadTooLarge(format!(
            "The body is {length} bytes; this route takes at most {limit} bytes."
        )),
        E::Overflow { limit } => ApiError::PayloadTooLarge(format!(
            "The body is larger than the {limit} bytes this route takes."
        )),
        E::ContentType => ApiError::UnsupportedMediaType(
            "This route takes a JSON body: send `Content-Type: application/json`.".to_owned(),
        ),
        // Bodies are read here as JSON of any shape (`routes::body`), and then as their type,
        // which names the field of a shape error: only text that is not JSON fails here.
        E::Deserialize(e) => malformed_json(&e),
        E::Payload(e) => {
            ApiError::bad_request("invalid_body", format!("The body could not be read: {e}"))
        }
        other => ApiError::bad_request("invalid_body", other.to_string()),
    }
}

/// A body that is not JSON.
pub fn malformed_json(e: &serde_json::Error) -> ApiError {
    ApiError::bad_request(
        "malformed_json",
        format!("The body is not well-formed JSON: {e}"),
    )
}

fn path_error(err: error::PathError) -> ApiError {
    let message = match &err {
        error::PathError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    ApiError::bad_request("invalid_path", format!("The path is invalid: {message}"))
}

/// Extractor configurations that answer in problem+json. `json_limit` is the body limit of
/// ordinary JSON routes.
pub fn json_config(json_limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(json_limit)
        .error_handler(|err, _req: &HttpRequest| json_error(err).into())
}

/// The name of the first query parameter whose name or value is not UTF-8 once
/// percent-decoded (`?q=%ff`); `Some("")` when the name itself is not.
fn non_utf8_parameter(query: &str) -> Option<String> {
    let decode = |s: &str| -> Option<String> {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            match (
                bytes[i],
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (b'%', Some(hi), Some(lo)) => {
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                }
                (b, _, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).ok()
    };
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match decode(name) {
            None => Some(String::new()),
            Some(name) => decode(value).is_none().then_some(name),
        }
    })
}

/// Refuses a query string that is not UTF-8 once percent-decoded, for every route: actix's
/// `Query` (serde_urlencoded) would replace the bad bytes with U+FFFD and answer as if the
/// caller had asked for that.
pub async fn query_encoding(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if let Some(name) = non_utf8_parameter(req.query_string()) {
        let error = if name.is_empty() {
            ApiError::bad_request(
                "invalid_parameter",
                "The query string has a parameter name that is not UTF-8 text.",
            )
        } else {
            ApiError::invalid_parameter(&name, "is not UTF-8 text once percent-decoded")
        };
        return Ok(req.error_response(error));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The content coding of a request body (`Content-Encoding`): sent as it is, or compressed
/// with gzip, deflate, br or zstd, which actix reads; any other is a 415 (RFC 9110 §8.4.1),
/// not a body read as if it were not coded.
pub fn content_coding(
    headers: &actix_web::http::header::HeaderMap,
) -> ApiResult<actix_web::http::header::ContentEncoding> {
    use actix_web::http::header::ContentEncoding;
    let Some(value) = headers.get(header::CONTENT_ENCODING) else {
        return Ok(ContentEncoding::Identity);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<ContentEncoding>().ok())
        .ok_or_else(|| {
            ApiError::UnsupportedMediaType(format!(
                "A body is sent as it is, or compressed with gzip, deflate, br or zstd \
                 (`Content-Encoding`), not `{}`.",
                String::from_utf8_lossy(value.as_bytes())
            ))
        })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req: &HttpRequest| path_error(err).into())
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error};

    use super::*;

    struct Info(&'static str);

    impl DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            None
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn database(message: &'static str) -> Error {
        Error::DatabaseError(DatabaseErrorKind::Unknown, Box::new(Info(message)))
    }

    /// The full disks of both engines, as their messages say it, are `storage_full`; other
    /// failures are not.
    #[test]
    fn a_full_disk_is_told_by_either_engine() {
        for message in [
            "database or disk is full",
            "could not extend file \"base/16384/16385\": No space left on device",
            "could not write to file \"pg_wal/xlogtemp.123\": No space left on device",
        ] {
            let err = ApiError::from(database(message));
            assert_eq!(err.code(), "storage_full", "{message}");
            assert_eq!(err.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        }
        let other = ApiError::from(database("no such table: x"));
        assert_eq!(other.code(), "internal_error");
        // A temporary file the service spools an upload or a snapshot to.
        let spooled = anyhow::Error::from(std::io::Error::from_raw_os_error(28))
            .context("reading a snapshot failed");
        let spooled = ApiError::internal(spooled);
        assert_eq!(spooled.code(), "storage_full");
        // Not the database's: readiness does not say writes are refused.
        assert!(!spooled.database_is_full());
        assert!(ApiError::from(database("database or disk is full")).database_is_full());
        let other = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(ApiError::internal(other).code(), "internal_error");
    }

    /// A failure given to each caller of shared work answers each as it answered the first,
    /// and keeps its cause for the log.
    #[test]
    fn a_failure_given_again_answers_the_same_and_keeps_its_cause() {
        let full = ApiError::from(database("database or disk is full"));
        assert_eq!(full.for_another_caller("x").code(), "storage_full");
        let busy = ApiError::Unavailable("busy".into()).for_another_caller("x");
        assert_eq!(
            (busy.code(), busy.to_string()),
            ("service_unavailable", "busy".into())
        );
        let broken = ApiError::internal(anyhow::anyhow!("the file is gone"));
        match broken.for_another_caller("reading the snapshot failed") {
            ApiError::Internal(e) => {
                assert_eq!(
                    e.to_string(),
                    "reading the snapshot failed: the file is gone"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    /// A statement cut short by its time limit is a 503 `too_slow` that tells to search for
    /// less, without `Retry-After` (the same search would take as long again), on PostgreSQL
    /// and on SQLite alike (whose limit fails with the words of PostgreSQL's).
    #[test]
    fn a_search_past_its_time_is_too_slow_on_either_engine() {
        for message in [
            "canceling statement due to statement timeout",
            "Error serializing field: canceling statement due to statement timeout",
        ] {
            let err = ApiError::from(database(message));
            assert_eq!(err.code(), "too_slow", "{message}");
            assert!(err.to_string().contains("narrow it"), "{err}");
            let answer = err.error_response();
            assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert!(!answer.headers().contains_key(header::RETRY_AFTER));
        }
    }
}
