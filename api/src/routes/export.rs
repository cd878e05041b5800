//! Lists answer `Accept: text/csv` and `Accept: application/x-ndjson` with the whole filtered
//! result, and activities `Accept: application/xml` with it as one IATI 2.03 `iati-activities`
//! document (`crate::iati`). Streamed: pages are read from the database one after another, each
//! with a connection of its own that goes back to the pool before the page waits for the
//! client, so memory does not grow with the result and a client that does not read holds no
//! connection. Exports open at once are limited (`UPR_TC_EXPORT_LIMIT`), one a caller; one
//! whose client takes nothing for `UPR_TC_EXPORT_SEND_TIMEOUT` is abandoned, and so is the
//! one whose client reads slowest, below `UPR_TC_EXPORT_MIN_RATE`, when all are open and
//! another is asked for (`crate::open_exports`). Fewer read
//! the database at once (half the pool): an export takes its turn for each page and gives it
//! back before the page waits for the client, so clients that read slowly or not at all hold
//! no turn and leave the others' exports running. Ranked searches answered as JSON pages have
//! their own limit (`UPR_TC_SEARCH_LIMIT`).
//!
//! A browser or a spreadsheet, which cannot set `Accept`, asks with `?format=csv|ndjson|xml`
//! (`json` for the page); the parameter wins over the header. Every file answered says
//! `Content-Disposition: attachment` with a name of the list and the day
//! (`upr-tc-recommendations-2026-12-01.csv`), so that a browser saves it.
//!
//! A CSV file asked for by a browser (its `Accept` names `text/html`: a person who follows a
//! link and opens the file it saves) begins with a UTF-8 byte order mark, without which Excel
//! reads it as the machine's legacy code page and garbles every Arabic, Chinese or Russian
//! text and every accent. Asked for by a program, it does not: a script's CSV reader would take
//! the mark for part of the first column's name. The importer reads a file with it or without.
//!
//! A resource without an XML form (recommendations, stakeholders) answers `application/xml`
//! with a 406, as every `Accept` that takes none of what it answers with (`served`). A
//! browser's `Accept` (`text/html,…,application/xml;q=0.9,*/*;q=0.8`) takes JSON: a person who
//! opens a list's address sees the JSON.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::Position;
use crate::db::sql::search::{Order, PageQuery};
use crate::domain::activity::Activity;
use crate::domain::assistance_request::AssistanceRequest;
use crate::domain::offer::Offer;
use crate::domain::recommendation::Recommendation;
use crate::domain::stakeholder::Stakeholder;
use crate::error::{ApiError, ApiResult};
use crate::iati;
use crate::import::{BOM, CsvExport};
use crate::open_exports::{Handed, Refused};
use crate::routes::support::PageBody;
use crate::startup::AppState;

pub const CSV: &str = "text/csv";
pub const NDJSON: &str = "application/x-ndjson";
pub const XML: &str = iati::XML;
/// The `Content-Type` of IATI XML answers.
pub const XML_CONTENT_TYPE: &str = "application/xml; charset=utf-8";
const PAGE: i64 = 500;
/// The largest piece an export hands to the connection at a time.
const PIECE: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Ndjson,
    /// IATI 2.03 activity XML.
    Xml,
}

/// What a `format` parameter asks for: a file, or (`None`) the JSON page.
pub trait Asked: Copy {
    fn export(self) -> Option<ExportFormat>;
}

/// Declares a `format` parameter's type: its values in the contract, and the file each asks for.
macro_rules! format_param {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $export:expr),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($variant),+
        }

        impl Asked for $name {
            fn export(self) -> Option<ExportFormat> {
                match self {
                    $(Self::$variant => $export),+
                }
            }
        }
    };
}

format_param!(
    /// A list as a JSON page (`json`), or whole as a file: `csv`, `ndjson`.
    ListFormat { Json => None, Csv => Some(ExportFormat::Csv), Ndjson => Some(ExportFormat::Ndjson) }
);
format_param!(
    /// Recommendations as a JSON page (`json`), or whole as a file: `csv`, `ndjson`, or
    /// `matrix`: one review's as OHCHR's matrix lists them (CSV).
    RecommendationListFormat {
        Json => None,
        Csv => Some(ExportFormat::Csv),
        Ndjson => Some(ExportFormat::Ndjson),
        Matrix => Some(ExportFormat::Csv),
    }
);
format_param!(
    /// Activities as a JSON page (`json`), or whole as a file: `csv`, `ndjson`, or `xml` (IATI
    /// 2.03).
    ActivityListFormat {
        Json => None,
        Csv => Some(ExportFormat::Csv),
        Ndjson => Some(ExportFormat::Ndjson),
        Xml => Some(ExportFormat::Xml),
    }
);
format_param!(
    /// An activity as JSON (`json`) or as an IATI 2.03 document (`xml`).
    ActivityFormat { Json => None, Xml => Some(ExportFormat::Xml) }
);
format_param!(
    /// A table as JSON (`json`) or CSV (`csv`).
    TableFormat { Json => None, Csv => Some(ExportFormat::Csv) }
);

impl ExportFormat {
    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Ndjson => "ndjson",
            Self::Xml => "xml",
        }
    }
}

/// The export asked for: by the `format` parameter when it is given, else by `Accept`.
pub fn asked(req: &HttpRequest, format: Option<impl Asked>) -> Option<ExportFormat> {
    match format {
        Some(format) => format.export(),
        None => requested(req),
    }
}

/// `Content-Disposition: attachment` naming the file `upr-tc-{name}-{today}.{extension}`, so
/// that a browser saves what it downloads under a name that says what and when.
pub fn attachment(name: &str, format: ExportFormat) -> header::ContentDisposition {
    let today = chrono::Utc::now().format("%Y-%m-%d");
    header::ContentDisposition {
        disposition: header::DispositionType::Attachment,
        parameters: vec![header::DispositionParam::Filename(format!(
            "upr-tc-{name}-{today}.{}",
            format.extension()
        ))],
    }
}

/// Whether the `Accept` header names `media` itself (not by a range) with a weight above 0
/// (`q=0` says the client does not take it, RFC 9110 §12.4.2).
pub fn accepts(req: &HttpRequest, media: &str) -> bool {
    accept_of(req).is_some_and(|accept| {
        matches!(
            crate::served::weight(accept, media),
            crate::served::Weight::Taken { q, specificity: 3 } if q > 0.0
        )
    })
}

fn accept_of(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
}

/// Whether a CSV answer is for a spreadsheet rather than a program: asked for by a browser,
/// whose `Accept` names `text/html`. It then begins with [`BOM`].
pub fn for_spreadsheet(req: &HttpRequest) -> bool {
    accepts(req, "text/html")
}

/// `csv` with [`BOM`] before it when it is [`for_spreadsheet`].
pub fn csv_for(req: &HttpRequest, csv: Vec<u8>) -> Vec<u8> {
    if for_spreadsheet(req) {
        [BOM, &csv].concat()
    } else {
        csv
    }
}

/// The export the `Accept` header asks for, if it prefers one to JSON (`served::preferred`),
/// among the media types the operation answers with (`served::Offered`). XML is not chosen
/// where `text/html` is named (a browser lists `application/xml` after it).
pub fn requested(req: &HttpRequest) -> Option<ExportFormat> {
    let accept = accept_of(req)?;
    let extensions = actix_web::HttpMessage::extensions(req);
    let offered = extensions.get::<crate::served::Offered>();
    let html = accepts(req, "text/html");
    let exports: Vec<&str> = [CSV, NDJSON, XML]
        .into_iter()
        .filter(|media| offered.is_none_or(|o| o.0.iter().any(|m| m == media)))
        .filter(|media| !(*media == XML && html))
        .collect();
    match crate::served::preferred(accept, "application/json", &exports)? {
        CSV => Some(ExportFormat::Csv),
        NDJSON => Some(ExportFormat::Ndjson),
        XML => Some(ExportFormat::Xml),
        _ => None,
    }
}

type Fetch<T> = Box<
    dyn FnMut(&mut DbConnection, Position, i64) -> diesel::QueryResult<(Vec<T>, Option<Position>)>
        + Send,
>;

/// How an export writes its items: what comes before the first page, each page, and what
/// comes after the last. It runs on a blocking thread, with the page's connection, so a
/// page can read what its items refer to.
pub trait Encoder<T>: Send {
    fn content_type(&self) -> &'static str;
    fn head(&mut self) -> Bytes {
        Bytes::new()
    }
    fn page(&mut self, conn: &mut DbConnection, items: Vec<T>) -> diesel::QueryResult<Bytes>;
    fn tail(&mut self) -> Bytes {
        Bytes::new()
    }
}

/// One JSON document a line.
struct Lines;

impl<T: Serialize> Encoder<T> for Lines {
    fn content_type(&self) -> &'static str {
        NDJSON
    }

    fn page(&mut self, _: &mut DbConnection, items: Vec<T>) -> diesel::QueryResult<Bytes> {
        let mut out = Vec::new();
        for item in &items {
            serde_json::to_writer(&mut out, item).expect("items serialise");
            out.push(b'\n');
        }
        Ok(Bytes::from(out))
    }
}

/// The import columns, with the header line before the first page's rows (also when there are
/// none); for a spreadsheet, [`BOM`] before it. Both come with the first page, not as the
/// export's head: the status is sent with the first bytes, and a first page that cannot be
/// read must still be answered as a problem.
struct Csv {
    header_written: bool,
    for_spreadsheet: bool,
}

impl<T: CsvExport> Encoder<T> for Csv {
    fn content_type(&self) -> &'static str {
        "text/csv; charset=utf-8"
    }

    fn page(&mut self, _: &mut DbConnection, items: Vec<T>) -> diesel::QueryResult<Bytes> {
        let mut out = Vec::new();
        if !self.header_written && self.for_spreadsheet {
            out.extend_from_slice(BOM);
        }
        let mut writer = csv::Writer::from_writer(out);
        if !self.header_written {
            let _ = writer.write_record(T::csv_header());
            self.header_written = true;
        }
        for item in &items {
            let _ = writer.write_record(item.csv_record());
        }
        Ok(Bytes::from(writer.into_inner().unwrap_or_default()))
    }
}

/// One `iati-activities` document: its start, each page's activities with the stakeholders they
/// name (read in one query a page), its end. With no activity at all the document is
/// well-formed but not schema-valid: IATI wants at least one `iati-activity`.
struct IatiXml(Option<iati::Activities>);

impl Encoder<Activity> for IatiXml {
    fn content_type(&self) -> &'static str {
        XML_CONTENT_TYPE
    }

    fn head(&mut self) -> Bytes {
        self.0.as_mut().map(|d| d.take().into()).unwrap_or_default()
    }

    fn page(
        &mut self,
        conn: &mut DbConnection,
        items: Vec<Activity>,
    ) -> diesel::QueryResult<Bytes> {
        let Some(doc) = self.0.as_mut() else {
            return Ok(Bytes::new());
        };
        let organisations =
            crate::db::stakeholders::get_many(conn, iati::named_stakeholders(&items))?;
        for a in &items {
            doc.push(a, &organisations);
        }
        Ok(doc.take().into())
    }

    fn tail(&mut self) -> Bytes {
        self.0.take().map(|d| d.finish().into()).unwrap_or_default()
    }
}

/// What a list's items can be exported as: CSV and NDJSON always, XML when the kind of item has
/// an XML standard to follow.
pub trait Exportable: Serialize + CsvExport + Send + Sized + 'static {
    /// The encoder of `Accept: application/xml`; `None`: the list answers JSON.
    fn xml_encoder() -> Option<Box<dyn Encoder<Self>>> {
        None
    }
}

impl Exportable for Recommendation {}

impl Exportable for Stakeholder {}

impl Exportable for AssistanceRequest {}

impl Exportable for Offer {}

impl Exportable for Activity {
    fn xml_encoder() -> Option<Box<dyn Encoder<Self>>> {
        Some(Box::new(IatiXml(Some(iati::Activities::start(
            chrono::Utc::now(),
        )))))
    }
}

/// The encoder of an export format for `req`, if this kind of item has one.
fn encoder<T: Exportable>(req: &HttpRequest, format: ExportFormat) -> Option<Box<dyn Encoder<T>>> {
    match format {
        ExportFormat::Csv => Some(Box::new(Csv {
            header_written: false,
            for_spreadsheet: for_spreadsheet(req),
        })),
        ExportFormat::Ndjson => Some(Box::new(Lines)),
        ExportFormat::Xml => T::xml_encoder(),
    }
}

/// The next chunk of a streamed export, produced on a blocking thread; `None` at the end.
/// It holds no database connection between calls.
pub type Produce = Box<dyn FnMut() -> anyhow::Result<Option<Bytes>> + Send>;

/// A running streamed export's hold: one of the service's open exports, and its caller's one
/// export at a time. Both go when it drops. Reading the database takes a turn besides
/// ([`ExportPermit::turn`]).
pub struct ExportPermit {
    place: crate::open_exports::Place,
    _share: crate::shares::Share,
    state: web::Data<AppState>,
    /// Whether what the export produces from here on is read from the database: each piece
    /// then waits for a turn (`AppState::export_reads`).
    reads_database: bool,
}

impl ExportPermit {
    /// A turn at reading the database, waited for: held while a page is read, never while a
    /// client is waited on.
    pub async fn turn(&self) -> ApiResult<tokio::sync::OwnedSemaphorePermit> {
        self.state
            .export_reads
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::internal(anyhow::anyhow!("the export turns are closed: {e}")))
    }

    /// The same hold for an export whose pieces are read from elsewhere (the snapshot, from
    /// its temporary file): they take no turn.
    pub fn reading_no_database(mut self) -> Self {
        self.reads_database = false;
        self
    }
}

/// How long a refused export is told to wait.
const EXPORT_RETRY_AFTER: u64 = 5;

/// The hold of a streamed export: refused with a 429 when its caller (token subject, or
/// address) already has one running, so that one caller cannot take every export, or its last
/// one made way for another a minute ago or less; and with a 503 when as many run as the
/// service allows and none of their clients reads too slowly to keep its place
/// (`crate::open_exports`).
pub async fn export_permit(
    state: &web::Data<AppState>,
    req: &HttpRequest,
) -> ApiResult<ExportPermit> {
    let caller = crate::ratelimit::caller_key(req, &state.trusted_proxies);
    let share = state
        .export_shares
        .try_take(caller.clone())
        .ok_or(ApiError::TooManyRequests {
            detail: format!(
                "This caller already has an export running, and runs one at a time; retry \
                 when it has ended (in {EXPORT_RETRY_AFTER} s or later)."
            ),
            retry_after: EXPORT_RETRY_AFTER,
        })?;
    let place = state
        .exports
        .place(&caller)
        .await
        .map_err(|refused| match refused {
            Refused::Full => ApiError::Unavailable(
                "As many exports are running as this service allows; retry after the time \
                 `Retry-After` gives."
                    .into(),
            ),
            Refused::Cooling(left) => {
                let retry_after = left.as_secs() + 1;
                ApiError::TooManyRequests {
                    detail: format!(
                        "This caller's last export was read too slowly to keep its place and \
                         made way for another; it may export again in {retry_after} s."
                    ),
                    retry_after,
                }
            }
        })?;
    Ok(ExportPermit {
        place,
        _share: share,
        state: state.clone(),
        reads_database: true,
    })
}

/// How long a ranking waits for another to end before it is a 503: a ranking takes tens of
/// milliseconds, so a few callers searching at once (a page that searches as one types) are
/// served in turn rather than refused.
pub const SEARCH_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// A running search or ranking's hold: one of its caller's share (`shares`), and one of the
/// service's permits.
pub struct Running {
    _share: crate::shares::Share,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

/// What `kind` of request the caller of `req` runs: one of its share of `shares` within
/// `wait` (else a 429), then one of `permits` within what is left of it (else `busy`, a 503).
async fn run(
    (shares, permits): (&Arc<crate::shares::Shares>, &Arc<tokio::sync::Semaphore>),
    state: &AppState,
    req: &HttpRequest,
    (kind, wait): (&str, std::time::Duration),
    busy: fn() -> ApiError,
) -> ApiResult<Running> {
    let start = std::time::Instant::now();
    // Callers are told apart only when they have shares.
    let caller = match shares.each() {
        Some(_) => crate::ratelimit::caller_key(req, &state.trusted_proxies),
        None => String::new(),
    };
    let share = if wait.is_zero() {
        shares.try_take(caller)
    } else {
        shares.take(caller, wait).await
    };
    let share = share.ok_or_else(|| {
        let each = shares.each().unwrap_or_default();
        ApiError::TooManyRequests {
            detail: format!(
                "This caller already runs {each} {kind} at once, as many as one caller may; \
                 retry when one has ended (in {SHARE_RETRY_AFTER} s or later)."
            ),
            retry_after: SHARE_RETRY_AFTER,
        }
    })?;
    let permit = if wait.is_zero() {
        permits.clone().try_acquire_owned().ok()
    } else {
        permit_within(permits, wait.saturating_sub(start.elapsed())).await
    };
    Ok(Running {
        _share: share,
        _permit: permit.ok_or_else(busy)?,
    })
}

/// How long a caller beyond its share is told to wait.
const SHARE_RETRY_AFTER: u64 = 1;

/// One of the permits of searches with `q`, which hold a connection for some of the longest
/// reads there are: the next free one within [`SEARCH_WAIT`], else a 503
/// (`UPR_TC_SEARCH_LIMIT` run at once); and one of its caller's share of them, else a 429.
pub async fn search_permit(state: &web::Data<AppState>, req: &HttpRequest) -> ApiResult<Running> {
    let permits = (&state.search_shares, &state.searches);
    run(
        permits,
        state,
        req,
        ("searches with `q`", SEARCH_WAIT),
        || {
            ApiError::Unavailable(
                "As many searches with `q` are running as this service allows; retry after the \
             time `Retry-After` gives, or list without `q`."
                    .into(),
            )
        },
    )
    .await
}

/// One of the permits of the other rankings (matches, the coordination view), apart from the
/// searches' so that they never keep a search waiting: the next free one within
/// [`SEARCH_WAIT`], else a 503 (`UPR_TC_SEARCH_LIMIT` run at once); and one of its caller's
/// share of them, else a 429.
pub async fn ranking_permit(state: &web::Data<AppState>, req: &HttpRequest) -> ApiResult<Running> {
    let permits = (&state.ranking_shares, &state.rankings);
    run(
        permits,
        state,
        req,
        ("rankings", SEARCH_WAIT),
        rankings_busy,
    )
    .await
}

/// A ranking kept while the data is unchanged (`app::kept`, the rankings' store): the one kept
/// under `key` (everything that chose it: what is ranked, the caller's access, the day), given
/// again without a permit; else ranked by `rank` under a permit of the rankings, and kept as
/// weighing about `weigh` bytes. A caller asking for the same ranking in a loop keeps no
/// ranking busy.
pub async fn kept_ranking<T: Send + Sync + 'static>(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    key: String,
    weigh: impl FnOnce(&T) -> usize,
    rank: impl FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
) -> ApiResult<Arc<T>> {
    // Read before the ranking: a write meanwhile moves it, and the ranking is not kept past it.
    let version = state.watch.version();
    if let Some(kept) = version.and_then(|v| state.kept.rankings.get::<T>(&key, v)) {
        return Ok(kept);
    }
    let permit = ranking_permit(state, req).await?;
    #[cfg(feature = "failpoints")]
    let held = key.clone();
    // Held by the ranking itself, which runs on when its client has gone (as a search's).
    let ranked = Arc::new(
        crate::routes::support::with_db(state, move |conn| {
            let _running = permit;
            #[cfg(feature = "failpoints")]
            crate::held::by_test(&held);
            rank(conn)
        })
        .await?,
    );
    if let Some(version) = version {
        let size = weigh(&ranked);
        state.kept.rankings.put(key, version, ranked.clone(), size);
    }
    Ok(ranked)
}

/// A permit of the rankings, and of its caller's share of them, if both are free at once (the
/// annual report, which has its last count to give instead).
pub async fn ranking_permit_now(
    state: &web::Data<AppState>,
    req: &HttpRequest,
) -> ApiResult<Running> {
    let permits = (&state.ranking_shares, &state.rankings);
    let now = std::time::Duration::ZERO;
    run(permits, state, req, ("rankings", now), rankings_busy).await
}

/// A permit of `permits` within `wait`.
async fn permit_within(
    permits: &Arc<tokio::sync::Semaphore>,
    wait: std::time::Duration,
) -> Option<tokio::sync::OwnedSemaphorePermit> {
    tokio::time::timeout(wait, permits.clone().acquire_owned())
        .await
        .ok()?
        .ok()
}

fn rankings_busy() -> ApiError {
    ApiError::Unavailable(
        "As many rankings (matches, the coordination view, reports) are running as this \
         service allows; retry after the time `Retry-After` gives."
            .into(),
    )
}

/// Runs `produce` once on a blocking thread, giving it back with what it produced; in a turn
/// at reading the database when the export reads it.
async fn produce_next(
    mut produce: Produce,
    permit: &ExportPermit,
) -> ApiResult<(Produce, anyhow::Result<Option<Bytes>>)> {
    let _turn = if permit.reads_database {
        Some(permit.turn().await?)
    } else {
        None
    };
    Ok(web::block(move || {
        let next = produce();
        (produce, next)
    })
    .await?)
}

/// A streamed answer of what `produce` yields, holding `permit` until it ends. The first
/// non-empty chunk is produced before the status line, so a failure there (no connection, a
/// database error) is still a problem document. Then each chunk is produced once the one
/// before has been handed to the connection, in pieces of at most 64 KiB, and a client that
/// takes nothing for
/// `export_send_timeout` (no piece taken in that time) is abandoned: the export stops, its permit is released, the log says
/// so. A failure after the status line aborts the connection, so the client cannot mistake
/// what it got for the whole.
pub async fn respond(
    state: &web::Data<AppState>,
    permit: ExportPermit,
    mut produce: Produce,
    mut res: actix_web::HttpResponseBuilder,
) -> ApiResult<HttpResponse> {
    let mut first = Bytes::new();
    let mut ended = false;
    while first.is_empty() && !ended {
        let (p, next) = produce_next(produce, &permit).await?;
        produce = p;
        match next.map_err(ApiError::internal)? {
            Some(chunk) => first = chunk,
            None => ended = true,
        }
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1);
    let complete = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(ended));
    // A whole answer produced at once goes out as it is; otherwise every chunk, the first
    // included, is handed over by the task below, under the send timeout.
    let mut whole = Vec::new();
    if ended {
        whole.push(Ok::<_, actix_web::Error>(first));
    } else {
        let send_timeout = state.export_send_timeout;
        let done = complete.clone();
        actix_web::rt::spawn(async move {
            let mut chunk = first;
            loop {
                // Sent in pieces of at most `PIECE`, so that the send timeout measures how long
                // the client takes nothing, not how large a page is.
                while !chunk.is_empty() {
                    let piece = chunk.split_to(chunk.len().min(PIECE));
                    match permit
                        .place
                        .pace()
                        .hand_over(&tx, piece, send_timeout)
                        .await
                    {
                        Handed::Taken => {}
                        // The client went away, or the export made way for another (logged
                        // where it was told to).
                        Handed::Gone | Handed::MadeWay => return,
                        Handed::Stalled => {
                            return tracing::warn!(
                                timeout_s = send_timeout.as_secs_f64(),
                                "export abandoned: the client read nothing for the send timeout"
                            );
                        }
                    }
                }
                let (p, next) = match produce_next(produce, &permit).await {
                    Ok(pair) => pair,
                    Err(e) => return tracing::error!(error = %e, "export stopped"),
                };
                produce = p;
                chunk = match next {
                    Ok(Some(chunk)) => chunk,
                    Ok(None) => {
                        done.store(true, std::sync::atomic::Ordering::Release);
                        return;
                    }
                    Err(e) => return tracing::error!(error = ?e, "export stopped"),
                };
            }
        });
    }
    use futures_util::StreamExt;
    let first = futures_util::stream::iter(whole);
    // Said in the log when the answer is dropped before its end was handed to the connection:
    // its status line (a 200) is logged when it starts, and this tells that the client did not
    // get it whole (it went away, or the stop cut it, `crate::stop`).
    let working = crate::stop::Working::start(&state.stop, crate::stop::EXPORT);
    let rest = futures_util::stream::unfold(Some((rx, working)), move |held| {
        let complete = complete.clone();
        async move {
            let (mut rx, mut working) = held?;
            match rx.recv().await {
                Some(chunk) => Some((Ok(chunk), Some((rx, working)))),
                // The producer stopped short: end with an error, which aborts the connection.
                None if !complete.load(std::sync::atomic::Ordering::Acquire) => Some((
                    Err(actix_web::error::ErrorInternalServerError("export stopped")),
                    None,
                )),
                None => {
                    working.done();
                    None
                }
            }
        }
    });
    Ok(res.streaming(first.chain(rest)))
}

/// Streams every item `fetch` yields, page after page, through `encoder`, as the file named by
/// its `Content-Disposition`; `prepare` shapes each
/// item for the caller (e.g. hides private fields). Each page takes a connection from the pool
/// and gives it back before its chunk waits for the client (the keyset position says where
/// the next page starts), so a client that does not read holds no connection.
pub async fn stream<T>(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    (mut encoder, file): (Box<dyn Encoder<T>>, header::ContentDisposition),
    mut fetch: Fetch<T>,
    prepare: impl Fn(T) -> T + Send + 'static,
) -> ApiResult<HttpResponse>
where
    T: Send + 'static,
{
    enum Stage {
        Head,
        Page(Position),
        Tail,
        Done,
    }
    let mut res = HttpResponse::Ok();
    res.content_type(encoder.content_type())
        .insert_header(file)
        .insert_header((header::VARY, "Accept"));
    if crate::head::method_of(req) == actix_web::http::Method::HEAD {
        return Ok(headers_only(res));
    }
    let permit = export_permit(state, req).await?;
    let pool = state.read.pool.clone();
    let mut stage = Stage::Head;
    let produce: Produce = Box::new(move || {
        Ok(match stage {
            Stage::Head => {
                stage = Stage::Page(Position::Start);
                Some(encoder.head())
            }
            Stage::Page(position) => {
                let mut conn = pool.get()?;
                conn.plan(crate::db::Plans::Generic)?;
                // A page of items near their largest is cut short as it is read
                // (`sql::PAGE_BYTES`), and the next goes on after its last.
                let (items, next) = fetch(&mut conn, position, PAGE)?;
                let items: Vec<T> = items.into_iter().map(&prepare).collect();
                let chunk = encoder.page(&mut conn, items)?;
                stage = next.map_or(Stage::Tail, Stage::Page);
                Some(chunk)
            }
            Stage::Tail => {
                stage = Stage::Done;
                Some(encoder.tail())
            }
            Stage::Done => None,
        })
    });
    respond(state, permit, produce, res).await
}

/// The answer to a `HEAD` of an export: its headers, as the `GET` sends them (streamed, so no
/// `Content-Length`), without taking an export permit or reading a page: a probe costs nothing.
pub fn headers_only(mut res: actix_web::HttpResponseBuilder) -> HttpResponse {
    res.streaming(futures_util::stream::empty::<Result<Bytes, actix_web::Error>>())
}

/// What a list request asks of its page: the search words, where the page starts, how many.
pub struct Paging {
    /// The file asked for by `format`; `None`: as `Accept` asks.
    format: Option<Option<ExportFormat>>,
    q: Option<String>,
    position: Position,
    limit: i64,
    /// The list's name and what its filters ask (`list?…`), which its cursors carry.
    scope: String,
}

impl Paging {
    /// The page a list's `q`, `cursor` and `limit` parameters ask for, each checked; its
    /// cursors carry the list and its filters (`support::list_scope`).
    pub fn of(
        state: &AppState,
        (list, req): (&'static str, &HttpRequest),
        q: &Option<String>,
        (cursor, limit): (Option<&str>, Option<i64>),
    ) -> ApiResult<Self> {
        let q = crate::routes::support::search_param(q)?;
        let scope = crate::routes::support::list_scope(list, req);
        let position = crate::routes::support::decode_cursor(state, &scope, cursor)?;
        let mut limit = crate::routes::support::limit(limit)?;
        // A ranked search's pages end at its depth: the last is cut there.
        if let Position::Offset(at) | Position::Ranked { at, .. } = position {
            limit = limit
                .min(crate::routes::support::MAX_SEARCH_DEPTH - at)
                .max(1);
        }
        Ok(Self {
            format: None,
            q,
            position,
            limit,
            scope,
        })
    }

    /// The list's `format` parameter, which wins over `Accept`.
    pub fn format(self, format: Option<impl Asked>) -> Self {
        Self {
            format: format.map(Asked::export),
            ..self
        }
    }
}

/// How a list's items are given to the caller.
pub enum Shape<F> {
    /// As stored: every caller who may see an item sees all of it, so its stored document is
    /// sent as it is, not read and written again.
    AsStored,
    /// Each item shaped for the caller by `F` (which hides what the caller may not see).
    For(F),
}

/// Items given as stored ([`Shape::AsStored`]).
pub fn as_stored<D>() -> Shape<fn(D) -> D> {
    Shape::AsStored
}

impl<F> Shape<F> {
    fn prepare<D>(&self, item: D) -> D
    where
        F: Fn(D) -> D,
    {
        match self {
            Self::AsStored => item,
            Self::For(prepare) => prepare(item),
        }
    }
}

/// Answers a list request: every matching item as a file when `Accept` asks for one, else one
/// page of JSON (`{"items": […], "next_cursor": …}`, the resource's page type). `filter` adds
/// the resource's conditions to the query; `shape` says how each item reaches the caller.
pub async fn list_response<D, F>(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    filter: impl Fn(&mut crate::db::sql::Sql) + Send + Sync + Clone + 'static,
    paging: Paging,
    shape: Shape<F>,
) -> ApiResult<HttpResponse>
where
    D: crate::db::documents::Document + Exportable + Clone + Send + Sync + 'static,
    F: Fn(D) -> D + Send + Sync + 'static,
{
    let format = paging.format.unwrap_or_else(|| requested(req));
    if let Some((format, encoder)) = format.and_then(|f| Some((f, encoder::<D>(req, f)?))) {
        let q = paging.q.clone();
        let fetch: Fetch<D> = Box::new(move |conn, position, limit| {
            D::TABLE.page::<D>(
                conn,
                &PageQuery::creation(&|sql| filter(sql), q.as_deref(), position, limit),
            )
        });
        // The list's name is its path's last segment (`recommendations`, `assistance-requests`).
        let file = attachment(req.path().rsplit('/').next().unwrap_or("export"), format);
        return stream(state, req, (encoder, file), fetch, move |d| {
            shape.prepare(d)
        })
        .await;
    }
    let scope = paging.scope.clone();
    let (body, next) = match shape {
        Shape::AsStored => {
            let page = read_page(state, req, D::TABLE, filter, paging, stored_page).await?;
            let size = page.0.iter().map(String::len).sum::<usize>() + page.0.len() + 64;
            let body = PageBody::of(size, &page.0, |out, d| out.extend_from_slice(d.as_bytes()));
            (body, page.1)
        }
        Shape::For(prepare) => {
            let page = read_page(state, req, D::TABLE, filter, paging, typed_page::<D>).await?;
            // A page kept for others is shared: its items are copied to be shaped.
            let (items, next) = Arc::try_unwrap(page).unwrap_or_else(|kept| (*kept).clone());
            let body = PageBody::of(16 * 1024, items, |out, item| {
                serde_json::to_writer(out, &prepare(item)).expect("items serialise")
            });
            (body, next)
        }
    };
    let next_cursor = next.and_then(|p| crate::routes::support::encode_cursor(state, &scope, p));
    Ok(crate::routes::support::page_json(
        req,
        body.finish(next_cursor.as_deref(), None),
        next_cursor.as_deref(),
    ))
}

/// How a page is read, with about how many bytes its items hold.
type ReadPage<T> = fn(
    &crate::db::table::Table,
    &mut DbConnection,
    &PageQuery,
) -> diesel::QueryResult<(Vec<T>, Option<Position>, usize)>;

/// A page of items as stored; they weigh their length.
fn stored_page(
    table: &crate::db::table::Table,
    conn: &mut DbConnection,
    query: &PageQuery,
) -> diesel::QueryResult<(Vec<String>, Option<Position>, usize)> {
    let (documents, next) = table.page_stored(conn, query)?;
    let size = documents.iter().map(String::len).sum();
    Ok((documents, next, size))
}

/// A page of items read into their type, weighed by [`typed_weight`] before they are parsed.
fn typed_page<D: crate::db::documents::Document>(
    table: &crate::db::table::Table,
    conn: &mut DbConnection,
    query: &PageQuery,
) -> diesel::QueryResult<(Vec<D>, Option<Position>, usize)> {
    let (documents, next) = table.page_stored(conn, query)?;
    let size = typed_weight::<D>(&documents);
    let items = documents
        .iter()
        .map(|d| crate::db::documents::parse_document(d))
        .collect::<Result<_, _>>()?;
    Ok((items, next, size))
}

/// One page of a list, read by `read`, which tells about how many bytes its items hold. A
/// page of up to [`LARGEST`](crate::app::kept::LARGEST) items asked again of the same data is
/// the page read before (`app::kept`). A ranked search (`q`), the costliest read there is,
/// otherwise waits for a ranking permit, so that a few callers searching cannot take every
/// connection.
async fn read_page<T: Send + Sync + 'static>(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    table: crate::db::table::Table,
    filter: impl Fn(&mut crate::db::sql::Sql) + Send + Sync + Clone + 'static,
    Paging {
        q, position, limit, ..
    }: Paging,
    read: ReadPage<T>,
) -> ApiResult<Arc<(Vec<T>, Option<Position>)>> {
    let ranked = q.as_deref().is_some_and(|q| !q.trim().is_empty());
    let kept = if ranked {
        &state.kept.ranked
    } else {
        &state.kept.pages
    };
    // The version of the data read, then the page's key: everything that chose it.
    let version = (limit <= crate::app::kept::LARGEST)
        .then(|| state.read.watch.version())
        .flatten();
    let key = version.map(|_| {
        format!(
            "{}\u{1}{}\u{1}{}\u{1}{position:?}\u{1}{limit}",
            table.entity,
            crate::db::sql::search::conditions(state.backend == "sqlite", &|sql| filter(sql)),
            q.as_deref().unwrap_or_default(),
        )
    });
    if let (Some(version), Some(key)) = (version, &key)
        && let Some(page) = kept.get::<(Vec<T>, Option<Position>)>(key, version)
    {
        return Ok(page);
    }
    // Held until the page is read.
    let search = if ranked {
        Some(search_permit(state, req).await?)
    } else {
        None
    };
    // Held by the read itself, which runs on even when its client has gone: a caller who hangs
    // up gets no permit back while its search still takes its connection.
    let page = crate::routes::support::with_read_db(state, move |conn| {
        let _search = search;
        #[cfg(feature = "failpoints")]
        crate::held::by_test(q.as_deref().unwrap_or_default());
        let query = PageQuery {
            filters: &|sql| filter(sql),
            q: q.as_deref(),
            position,
            limit,
            order: Order::Relevance,
        };
        Ok(read(&table, conn, &query)?)
    })
    .await?;
    let (items, next, size) = page;
    let page = Arc::new((items, next));
    if let (Some(version), Some(key)) = (version, key) {
        kept.put(key, version, page.clone(), size);
    }
    Ok(page)
}

/// About how many bytes the items read from `documents` hold: each twice the length of its
/// document (its texts and lists, with what their allocations add). Any item weighs what it
/// holds, however long its texts (a name of 20,000 characters in six languages).
fn typed_weight<D>(documents: &[String]) -> usize {
    documents.len() * std::mem::size_of::<D>()
        + 2 * documents.iter().map(String::len).sum::<usize>()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_typed_item_weighs_what_its_texts_hold() {
        let small = super::typed_weight::<[u8; 64]>(&[r#"{"name":"Kituo"}"#.to_owned()]);
        let long = format!(r#"{{"name":"{}"}}"#, "x".repeat(100_000));
        let large = super::typed_weight::<[u8; 64]>(&[long]);
        assert!((64..1_000).contains(&small), "{small}");
        assert!(large >= 200_000, "{large}");
    }
}
