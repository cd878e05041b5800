//! `POST /api/v1/bulk/{resource}`: uploads of many items at once (`admin`; activities, offers
//! and stakeholders also contributors and States, for their own; assistance requests States,
//! for themselves: each row is held to the rules of its command, `app::policy`). The body is received into a temporary file first,
//! and imported from it once it is whole: memory does not grow with the upload, and an upload
//! that trickles in holds no connection and no write lock while it arrives.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::policy::Upload;
use crate::app::{self, Principal};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::import::{self, Format, ImportReport, Mode, Options};
use crate::routes::support::with_db;
use crate::startup::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BulkQuery {
    /// `upr-info` reads a UPR Info database export (recommendations, `text/csv`); otherwise
    /// the body's content type decides between the project's CSV columns and NDJSON. Given,
    /// it says what the file is whatever its content type; required for a body of another type
    /// (`application/octet-stream`). A generated client sends every file as one type: give it.
    #[param(inline)]
    pub format: Option<Format>,
    /// `atomic` (default): one bad row and nothing is written. `partial`: good rows are
    /// written, bad rows listed.
    #[param(inline)]
    pub mode: Option<Mode>,
    /// Check everything, write nothing.
    pub dry_run: Option<bool>,
    /// The encoding of a CSV file that is not UTF-8 (as a spreadsheet saves it): any label of
    /// the WHATWG Encoding Standard, such as `windows-1252`. What the `charset` of its
    /// `Content-Type` says, for a client that cannot set one (a generated client sends every
    /// file as `text/csv`); given both, they must name the same encoding (or one of them
    /// ASCII, and the other one that reads ASCII alike: not UTF-16).
    #[param(example = "windows-1252")]
    pub charset: Option<String>,
}

/// The query of a recommendations upload: [`BulkQuery`]'s, and the review of a matrix.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecommendationBulkQuery {
    /// `upr-info` reads a UPR Info database export (`text/csv`); `ohchr-matrix` an OHCHR UPR
    /// matrix (a Word document); otherwise the body's content type decides between the
    /// project's CSV columns, NDJSON and a matrix. Given, it says what the file is whatever
    /// its content type; required for a body of another type (`application/octet-stream`). A
    /// generated client sends every file as one type: give it.
    #[param(inline)]
    pub format: Option<Format>,
    /// `atomic` (default): one bad row and nothing is written. `partial`: good rows are
    /// written, bad rows listed.
    #[param(inline)]
    pub mode: Option<Mode>,
    /// Check everything, write nothing.
    pub dry_run: Option<bool>,
    /// The encoding of a CSV file that is not UTF-8 (as a spreadsheet saves it): any label of
    /// the WHATWG Encoding Standard, such as `windows-1252`. What the `charset` of its
    /// `Content-Type` says, for a client that cannot set one (a generated client sends every
    /// file as `text/csv`); given both, they must name the same encoding (or one of them
    /// ASCII, and the other one that reads ASCII alike: not UTF-16).
    #[param(example = "windows-1252")]
    pub charset: Option<String>,
    /// For a matrix whose document does not say: the State under review (ISO alpha-3 code
    /// or name).
    #[param(example = "SVN")]
    pub state: Option<String>,
    /// For a matrix whose document does not say: the Working Group session.
    #[param(example = 48, minimum = 1)]
    pub session: Option<i64>,
}

/// What every upload's query says, and what only a recommendations upload's may.
pub trait UploadQuery {
    fn split(self) -> (BulkQuery, import::ohchr_matrix::Review);
}

impl UploadQuery for BulkQuery {
    fn split(self) -> (BulkQuery, import::ohchr_matrix::Review) {
        (self, Default::default())
    }
}

impl UploadQuery for RecommendationBulkQuery {
    fn split(self) -> (BulkQuery, import::ohchr_matrix::Review) {
        let query = BulkQuery {
            format: self.format,
            mode: self.mode,
            dry_run: self.dry_run,
            charset: self.charset,
        };
        let review = import::ohchr_matrix::Review {
            state: self.state,
            session: self.session,
        };
        (query, review)
    }
}

/// An uploaded file, as the contract states it: bytes (`format: binary`), so generated clients
/// send a file rather than a string they would have to build.
pub struct UploadFile;

impl utoipa::PartialSchema for UploadFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::routes::support::file_schema(
            "The file's bytes: CSV (UTF-8), NDJSON, or a Word document (.docx)",
        )
    }
}

impl utoipa::ToSchema for UploadFile {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("UploadFile")
    }
}

/// A Word document's media type: an OHCHR matrix.
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

fn format_of(req: &HttpRequest, query: &BulkQuery, kind: Upload) -> ApiResult<Format> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match (query.format, content_type.as_str()) {
        // A form wraps the file in parts, each with its own headers: read as the file, its
        // first line is a boundary (found by an outside check: a UPR Info export sent with
        // `curl -F` was "not a UPR Info export", missing every column).
        (_, "multipart/form-data") => Err(ApiError::UnsupportedMediaType(
            "The file came inside a form (`multipart/form-data`: curl's `-F`, Postman's \
             form-data body), which this service does not unwrap: send the file itself as the \
             body, with its type or `format` naming what it is (`curl --data-binary @FILE -H \
             'Content-Type: text/csv'`; Postman's binary body)."
                .into(),
        )),
        (Some(f @ (Format::OhchrMatrix | Format::UprInfo)), _)
            if kind != Upload::Recommendations =>
        {
            let name = match f {
                Format::OhchrMatrix => "An OHCHR matrix",
                _ => "A UPR Info export",
            };
            Err(ApiError::UnsupportedMediaType(format!(
                "{name} holds recommendations: upload it to /api/v1/bulk/recommendations."
            )))
        }
        // The parameter says what the file is, whatever type it is sent as, as `format=` wins
        // over `Accept` for reads: a generated client sends every file with one content type
        // (openapi-python-client: `text/csv`), curl's default is a form's.
        (Some(f), _) => Ok(f),
        (None, "text/csv") => Ok(Format::Csv),
        (None, "application/x-ndjson") => Ok(Format::Ndjson),
        (None, DOCX) if kind == Upload::Recommendations => Ok(Format::OhchrMatrix),
        _ if kind == Upload::Recommendations => Err(ApiError::UnsupportedMediaType(format!(
            "A bulk upload of recommendations is `text/csv`, `application/x-ndjson` or, for an \
             OHCHR matrix, `{DOCX}`; or a file of any type with `format` naming what it is."
        ))),
        _ => Err(ApiError::UnsupportedMediaType(
            "A bulk upload is `text/csv` or `application/x-ndjson`; or a file of any type with \
             `format` naming what it is."
                .into(),
        )),
    }
}

/// The `charset` an upload's `Content-Type` names, as written.
fn charset_label(req: &HttpRequest) -> Option<String> {
    use actix_web::HttpMessage;
    // A Content-Type that does not read names no charset.
    req.mime_type()
        .ok()
        .flatten()
        .and_then(|m| m.get_param("charset").map(|c| c.as_str().to_owned()))
}

/// The 400 of an upload whose bytes did not arrive whole, in words (actix's own show its
/// inner error's debug form).
fn unreadable(e: actix_web::error::PayloadError) -> ApiError {
    use actix_web::error::PayloadError as E;
    let why = match e {
        E::Incomplete(_) => "it ended before it was whole: the connection closed, or a \
                             compressed upload is cut short or corrupt"
            .to_owned(),
        E::EncodingCorrupted => "its compression (`Content-Encoding`) is corrupt".to_owned(),
        E::Io(e) => e.to_string(),
        other => other.to_string(),
    };
    ApiError::bad_request(
        "unreadable_body",
        format!("The upload could not be read: {why}."),
    )
}

async fn bulk(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
    query: BulkQuery,
    review: import::ohchr_matrix::Review,
    kind: Upload,
) -> ApiResult<web::Json<ImportReport>> {
    // What is sent and how large, then who may upload and as whom (which may register a
    // State's own stakeholder): all before anything is received, and nothing is registered
    // for an upload refused at the door.
    let format = format_of(&req, &query, kind)?;
    // The encoding a CSV file is in: the `charset` parameter's (a 400 when it does not do),
    // or the Content-Type's (a 415); both given, they must agree (ASCII agrees with any: the
    // other one says).
    let (given_label, typed_label) = (query.charset.as_deref(), charset_label(&req));
    let given = given_label
        .map(|label| import::charset(format, label))
        .transpose()
        .map_err(|e| ApiError::invalid_parameter("charset", e.to_string()))?;
    let typed = typed_label
        .as_deref()
        .map(|label| import::charset(format, label))
        .transpose()
        .map_err(|e| ApiError::UnsupportedMediaType(format!("The upload's Content-Type: {e}.")))?;
    // One says ASCII, and the other keeps ASCII's bytes: the other says.
    let gives_way = |label: Option<&str>, other: Option<&'static encoding_rs::Encoding>| {
        label.is_some_and(import::names_ascii)
            && other.is_none_or(encoding_rs::Encoding::is_ascii_compatible)
    };
    let charset = match (given, typed) {
        (Some(_), Some(typed)) if gives_way(given_label, typed) => typed,
        (Some(given), Some(_)) if gives_way(typed_label.as_deref(), given) => given,
        (Some(given), Some(typed)) if given != typed => {
            return Err(ApiError::invalid_parameter(
                "charset",
                "it is not the encoding the Content-Type's `charset` names: give one of them",
            ));
        }
        (given, typed) => given.or(typed).flatten(),
    };
    let limit = state.bulk_limit;
    let too_large =
        || ApiError::PayloadTooLarge(format!("A bulk upload takes at most {limit} bytes."));
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    // A coded upload's share of its caller's, taken before it was received and decoded
    // (`decoding::middleware`).
    let taken = req
        .extensions_mut()
        .remove::<crate::decoding::UploadShare>();
    #[cfg(feature = "failpoints")]
    let caller_key = crate::ratelimit::caller_key(&req, &state.trusted_proxies);
    // A body not compressed is received below, and costs the disk what its client sends while
    // it arrives: only a few of one caller's at once, refused before anything is read or
    // written for it.
    let arriving = if taken.is_some() {
        None
    } else {
        Some(crate::decoding::arriving_share(&state, &req)?)
    };
    let (who, dry_run) = (Principal::from(caller), query.dry_run.unwrap_or(false));
    let uploader = with_db(&state, move |conn| {
        Ok(app::uploads::uploader(conn, &who, kind, dry_run)?)
    })
    .await?;
    // A dry run rolls back each batch once checked, and holds the lock no longer.
    let atomic_rows =
        app::policy::atomic_rows(&uploader.principal, state.atomic_rows).filter(|_| !dry_run);
    let mut options = Options {
        format,
        mode: query.mode.unwrap_or_default(),
        dry_run,
        uploader,
        review,
        charset,
        atomic_rows,
    };
    let (mode, dry_run) = (options.mode, options.dry_run);

    // Only once the whole upload is here, and a matrix read whole: a connection, and for a
    // write the write lock. A compressed upload arrives decoded already, within the limit
    // (`decoding::middleware`).
    let mut payload = payload.into_inner();
    let mut file = crate::decoding::receive(&mut payload, limit, &too_large, unreadable).await?;
    drop(arriving);
    // One upload at a time for each caller, once its body is here (a body not coded costs the
    // disk what its client sent; a stalled one, whose retry with its `Idempotency-Key` takes
    // its claim over, holds none); a coded one's was taken before it was decoded.
    let share = match taken {
        Some(crate::decoding::UploadShare(share)) => share,
        None => crate::decoding::upload_share(&state, &req)?,
    };
    // Its turn to be read and written; held, with the caller's share, by the work itself,
    // which runs on when its client has gone.
    let turn = tokio::time::timeout(state.upload_wait, state.uploads.clone().acquire_owned())
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| {
            ApiError::Unavailable(
                "As many bulk uploads are being written as this service allows; retry after \
                 the time `Retry-After` gives."
                    .into(),
            )
        })?;
    let held = (share, turn);
    // A dry run whose client has gone (closed or reset its connection) has no one to tell what
    // it found: it stops at its next read of the file, and its turn and its caller's share go
    // back. An import that writes runs on: its retry must find what it wrote.
    let stopped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let gone = (dry_run)
        .then(|| crate::stalled::client_of(&req))
        .flatten()
        .map(|client| (client, stopped.clone()));
    let prepared = web::block(move || -> ApiResult<_> {
        // A UPR Info export that names no charset is Mac Roman, or windows-1252 once a
        // spreadsheet saved it again: the whole file tells which.
        if options.format == Format::UprInfo && options.charset.is_none() {
            options.charset = import::guess_charset(&mut file).map_err(ApiError::internal)?;
        }
        let file = UntilGone { inner: file, gone };
        let input = std::io::BufReader::with_capacity(64 * 1024, file);
        let prepared = import::prepare(kind, input, &options)?;
        Ok((prepared, options, held))
    })
    .await??;
    // The request's span, for what the import logs on its thread.
    let span = tracing::Span::current();
    let report = with_db(&state, move |conn| {
        let (prepared, options, _held) = prepared;
        #[cfg(feature = "failpoints")]
        crate::held::by_test(&caller_key);
        let report = import::import_prepared(conn, kind, prepared, options);
        if stopped.load(std::sync::atomic::Ordering::Acquire) {
            let _request = span.enter();
            tracing::info!("dry run stopped: its client went away");
        }
        Ok(report?)
    })
    .await?;
    let refused = mode == Mode::Atomic && report.rejected > 0 && !dry_run;
    // The resource is the route's last segment (`recommendations`, `assistance-requests`).
    let resource = req.path().rsplit('/').next().unwrap_or_default();
    state.metrics.import(resource, &report, refused);
    if refused {
        return Err(ApiError::ImportRejected(Box::new(report)));
    }
    Ok(web::Json(report))
}

/// An upload's file as a dry run reads it: a read fails once its client has gone, and says
/// it stopped for that.
struct UntilGone<R> {
    inner: R,
    gone: Option<(
        crate::stalled::ClientGone,
        std::sync::Arc<std::sync::atomic::AtomicBool>,
    )>,
}

impl<R: std::io::Read> std::io::Read for UntilGone<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some((client, stopped)) = &self.gone
            && client.now()
        {
            stopped.store(true, std::sync::atomic::Ordering::Release);
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "the dry run's client went away",
            ));
        }
        self.inner.read(buf)
    }
}

/// Declares a bulk upload route: its documentation, name (also its operation id), path and
/// kind of item; every one reads the same way (`bulk`).
macro_rules! bulk_route {
    ($(#[doc = $doc:literal])* $name:ident, $path:literal, $upload:expr) => {
        bulk_route! { $(#[doc = $doc])* $name, $path, $upload, BulkQuery, [] }
    };
    ($(#[doc = $doc:literal])* $name:ident, $path:literal, $upload:expr, $query:ty,
     [$($media:literal),*]) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = "bulk",
            security(("bearer" = [])),
            params($query),
            request_body(content(
                (UploadFile = "text/csv"),
                (UploadFile = "application/x-ndjson"),
                $((UploadFile = $media),)*
                (UploadFile = "application/octet-stream"),
            ), description = "The rows to import. With `format`, the file is what it says, \
                whatever its type; `application/octet-stream` (or another type) needs it"),
            responses((status = 200, description = "What the import did (or, with dry_run, would do)", body = ImportReport))
        )]
        #[post($path)]
        pub async fn $name(
            state: web::Data<AppState>,
            caller: Caller,
            req: HttpRequest,
            payload: web::Payload,
            query: crate::routes::query::Query<$query>,
        ) -> ApiResult<web::Json<ImportReport>> {
            let (query, review) = UploadQuery::split(query.into_inner());
            bulk(state, caller, req, payload, query, review, $upload).await
        }
    };
}

bulk_route! {
    /// Imports recommendations in bulk (`admin`).
    ///
    /// `text/csv` in the project's columns or, with `format=upr-info`, a UPR Info export; or
    /// `application/x-ndjson` of the create representation; or an OHCHR UPR matrix (the Word
    /// document, `application/vnd.openxmlformats-officedocument.wordprocessingml.document`,
    /// `format=ohchr-matrix`; `state` and `session` when the document does not name the
    /// review), which enriches the review's stored recommendations whatever small differences
    /// their texts have (decision 0013). Importing the same data again creates nothing. CSV columns: `state_under_review`, `session` (required), `text__ar` … `text__zh` (at least
    /// one), `recommending_states`, `review_year`, `response` (`supported`, `supported_in_part`,
    /// `noted`, or older wording such as `Accepted` or `Rejected`, then kept as
    /// `response_original`), `response_original`,
    /// `source_symbol`, `source_paragraph`, `action_category`, `themes`, `affected_persons`,
    /// `sdg_targets`, `external_refs` (`source:id`), `paragraph`, `sdg_goals`, `themes_original`,
    /// `affected_persons_original`, `sources`. Lists are separated by `|`.
    import_recommendations, "/recommendations", Upload::Recommendations, RecommendationBulkQuery,
    ["application/vnd.openxmlformats-officedocument.wordprocessingml.document"]
}

bulk_route! {
    /// Imports stakeholders in bulk (`admin`; contributors and States change their own).
    ///
    /// `admin` registers and changes any stakeholder; a contributor changes its own organisation,
    /// a State its own bodies, as through `PUT /api/v1/stakeholders/{id}` (not their kind, country,
    /// accreditation, partner keys nor first name). A row finds its item by `id`, a partner key,
    /// or kind, country and first name; contact details a row leaves out are kept.
    ///
    /// `text/csv` or `application/x-ndjson`. CSV columns: `kind` (required), `name__ar` … `name__zh` (at least one), `acronym__xx`,
    /// `country`, `nhri_accreditation`, `website`, `contact_name`, `contact_email`,
    /// `contact_phone`, `themes`, `languages`, `regions`, `external_refs` (`source:id`). Lists are
    /// separated by `|`.
    import_stakeholders, "/stakeholders", Upload::Stakeholders
}

bulk_route! {
    /// Imports activities in bulk: `admin` for any submitter (each row names it), a contributor
    /// for its own organisation, a State as itself (rows naming another submitter are rejected).
    ///
    /// `text/csv` or `application/x-ndjson`. CSV columns: `states_concerned` and `status`
    /// (required), `title__ar` … `title__zh` (at least one), `summary__xx`, `submitter`,
    /// `participants` (`stakeholder-id:role`), `recommendations` (ids), `modality`,
    /// `planned_start`, `planned_end`, `actual_start`, `actual_end` (YYYY-MM-DD), `budget_amount`,
    /// `budget_currency`, `funding_sources`, `themes`, `sdg_targets`, `results__xx`,
    /// `lessons_learned__xx`, `good_practice`, `peer_to_peer` (true or false), `documents` (URLs),
    /// `publication`, `external_refs` (`source:id`). Lists are separated by `|`. An export's
    /// read-only columns (`public`, `reasons`, `version`, …) are ignored.
    import_activities, "/activities", Upload::Activities
}

bulk_route! {
    /// Imports assistance requests in bulk: a State files and changes its own (rows for another
    /// State are rejected), `admin` any State's, each row with the `reference` of the State's
    /// request (a row without one is rejected at `reference`).
    ///
    /// A row finds its request by `id` (one the uploader may change), else by State and
    /// description: importing the same rows again changes nothing. The recommendations are the
    /// State's accepted ones. `text/csv` (the columns of the CSV export) or
    /// `application/x-ndjson` of the create representation. CSV columns: `state` (required),
    /// `description__ar` … `description__zh` (at least one), `status` (`draft`, `open`,
    /// `matched`, `closed`), `reference`, `recommendations` (ids), `themes`, `sdg_targets`,
    /// `modalities`, `languages`, `period_start`, `period_end` (YYYY-MM-DD). Lists are separated
    /// by `|`. An export's read-only columns (`version`, `created_at`, `updated_at`) are ignored.
    import_assistance_requests, "/assistance-requests", Upload::AssistanceRequests
}

bulk_route! {
    /// Imports offers in bulk: a contributor for its own organisation, a State as its own
    /// stakeholder (rows naming another stakeholder are rejected), `admin` for the stakeholder
    /// each row names.
    ///
    /// A row finds its offer by `id` (one the uploader may change), else by stakeholder and
    /// description: importing the same rows again changes nothing. Cited activities are public
    /// ones of the stakeholder. `text/csv` (the columns of the CSV export) or
    /// `application/x-ndjson` of the create representation. CSV columns: `description__ar` …
    /// `description__zh` (at least one), `stakeholder` (an id; implied for a contributor or
    /// State), `status` (`draft`, `open`, `closed`), `capacity__xx`, `themes`, `sdg_targets`,
    /// `modalities`, `languages`, `states`, `regions` (M49 codes), `regional_groups`,
    /// `peer_to_peer` (true or false), `activities` (ids), `period_start`, `period_end`
    /// (YYYY-MM-DD). Lists are separated by `|`. An export's read-only columns (`version`,
    /// `created_at`, `updated_at`) are ignored.
    import_offers, "/offers", Upload::Offers
}
