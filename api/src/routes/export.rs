//! Lists answer `Accept: text/csv` and `Accept: application/x-ndjson` with the whole filtered
//! result, and activities `Accept: application/xml` with it as one IATI 2.03 `iati-activities`
//! document (`crate::iati`). Streamed: pages are read from the database one after another on a
//! blocking thread and written out as they come, so memory does not grow with the result.
//!
//! A resource without an XML form (recommendations, stakeholders) answers `application/xml`
//! with JSON, as it answers every `Accept` it does not serve. So does a browser's `Accept`
//! (`text/html,…,application/xml;q=0.9,…`): a person who opens a list's address sees the JSON.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use serde::Serialize;

use crate::db::DbConnection;
use crate::db::documents::Position;
use crate::domain::activity::Activity;
use crate::domain::recommendation::Recommendation;
use crate::domain::stakeholder::Stakeholder;
use crate::error::ApiResult;
use crate::iati;
use crate::import::CsvExport;
use crate::startup::AppState;

pub const CSV: &str = "text/csv";
pub const NDJSON: &str = "application/x-ndjson";
pub const XML: &str = iati::XML;
/// The `Content-Type` of IATI XML answers.
pub const XML_CONTENT_TYPE: &str = "application/xml; charset=utf-8";
const PAGE: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Ndjson,
    /// IATI 2.03 activity XML.
    Xml,
}

/// The export the `Accept` header asks for, if it asks for one rather than JSON.
pub fn requested(req: &HttpRequest) -> Option<ExportFormat> {
    let accept = req
        .headers()
        .get(header::ACCEPT)?
        .to_str()
        .ok()?
        .to_ascii_lowercase();
    let wants = |media: &str| {
        accept
            .split(',')
            .any(|part| part.split(';').next().is_some_and(|m| m.trim() == media))
    };
    if wants(CSV) {
        Some(ExportFormat::Csv)
    } else if wants(NDJSON) {
        Some(ExportFormat::Ndjson)
    } else if wants(XML) && !wants("text/html") {
        Some(ExportFormat::Xml)
    } else {
        None
    }
}

type Fetch<T> = Box<
    dyn FnMut(&mut DbConnection, Position, i64) -> diesel::QueryResult<(Vec<T>, Option<Position>)>
        + Send,
>;

/// How an export writes its items: what comes before the first page, each page, and what
/// comes after the last. It runs on the export's blocking thread, with its connection, so a
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
/// none).
#[derive(Default)]
struct Csv {
    header_written: bool,
}

impl<T: CsvExport> Encoder<T> for Csv {
    fn content_type(&self) -> &'static str {
        "text/csv; charset=utf-8"
    }

    fn page(&mut self, _: &mut DbConnection, items: Vec<T>) -> diesel::QueryResult<Bytes> {
        let mut writer = csv::Writer::from_writer(Vec::new());
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

impl Exportable for Activity {
    fn xml_encoder() -> Option<Box<dyn Encoder<Self>>> {
        Some(Box::new(IatiXml(Some(iati::Activities::start(
            chrono::Utc::now(),
        )))))
    }
}

/// The encoder of an export format, if this kind of item has one.
fn encoder<T: Exportable>(format: ExportFormat) -> Option<Box<dyn Encoder<T>>> {
    match format {
        ExportFormat::Csv => Some(Box::new(Csv::default())),
        ExportFormat::Ndjson => Some(Box::new(Lines)),
        ExportFormat::Xml => T::xml_encoder(),
    }
}

/// Streams every item `fetch` yields, page after page, through `encoder`; `prepare` shapes each
/// item for the caller (e.g. hides private fields).
pub fn stream<T>(
    state: &web::Data<AppState>,
    mut encoder: Box<dyn Encoder<T>>,
    mut fetch: Fetch<T>,
    prepare: impl Fn(T) -> T + Send + 'static,
) -> ApiResult<HttpResponse>
where
    T: Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    let pool = state.pool.clone();
    let content_type = encoder.content_type();
    actix_web::rt::task::spawn_blocking(move || {
        let mut conn = match pool.get() {
            Ok(conn) => conn,
            Err(e) => {
                tracing::error!(error = %e, "export: no database connection");
                return;
            }
        };
        let send = |chunk: Bytes| chunk.is_empty() || tx.blocking_send(chunk).is_ok();
        if !send(encoder.head()) {
            return; // the client went away
        }
        let mut position = Position::Start;
        loop {
            // The status line is sent already: on an error the export ends short (an XML
            // document without its end tag, which no parser takes for whole), and the log says
            // why.
            let (items, next) = match fetch(&mut conn, position, PAGE) {
                Ok(page) => page,
                Err(e) => {
                    tracing::error!(error = %e, "export stopped");
                    return;
                }
            };
            let items: Vec<T> = items.into_iter().map(&prepare).collect();
            let chunk = match encoder.page(&mut conn, items) {
                Ok(chunk) => chunk,
                Err(e) => {
                    tracing::error!(error = %e, "export stopped");
                    return;
                }
            };
            if !send(chunk) {
                return;
            }
            match next {
                Some(p) => position = p,
                None => break,
            }
        }
        send(encoder.tail());
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, actix_web::Error>(chunk), rx))
    });
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::VARY, "Accept"))
        .streaming(body))
}

/// Answers a list request: every matching item as a file when `Accept` asks for one, else one
/// page of JSON. `filter` adds the resource's conditions to the query; `prepare` shapes each
/// item for the caller (hides what it may not see); `make_page` wraps a page's items.
#[allow(clippy::too_many_arguments)]
pub async fn list_response<D, P>(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    filter: impl Fn(&mut crate::db::query::Sql) + Send + Sync + Clone + 'static,
    q: Option<String>,
    position: Position,
    limit: i64,
    prepare: impl Fn(D) -> D + Send + Clone + 'static,
    make_page: impl FnOnce(Vec<D>, Option<String>) -> P,
) -> ApiResult<HttpResponse>
where
    D: crate::db::documents::Document + Exportable,
    P: Serialize,
{
    if let Some(encoder) = requested(req).and_then(encoder::<D>) {
        let (filter, q) = (filter.clone(), q.clone());
        let fetch: Fetch<D> = Box::new(move |conn, position, limit| {
            D::TABLE.list::<D>(conn, &|sql| filter(sql), q.as_deref(), position, limit)
        });
        return stream(state, encoder, fetch, prepare);
    }
    let (items, next) = crate::routes::support::with_db(state, move |conn| {
        Ok(D::TABLE.list::<D>(conn, &|sql| filter(sql), q.as_deref(), position, limit)?)
    })
    .await?;
    let next_cursor = next.and_then(|p| crate::routes::support::encode_cursor(state, p));
    let link = next_cursor.clone();
    let items = items.into_iter().map(prepare).collect();
    Ok(crate::routes::support::page(
        req,
        make_page(items, next_cursor),
        link.as_deref(),
    ))
}
