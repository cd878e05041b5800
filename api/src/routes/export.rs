//! Lists answer `Accept: text/csv` and `Accept: application/x-ndjson` with the whole filtered
//! result, streamed: pages are read from the database one after another on a blocking thread
//! and written out as they come, so memory does not grow with the result.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use serde::Serialize;

use crate::db::DbConnection;
use crate::db::documents::Position;
use crate::error::ApiResult;
use crate::import::CsvExport;
use crate::startup::AppState;

pub const CSV: &str = "text/csv";
pub const NDJSON: &str = "application/x-ndjson";
const PAGE: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Ndjson,
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
    } else {
        None
    }
}

type Fetch<T> = Box<
    dyn FnMut(&mut DbConnection, Position, i64) -> diesel::QueryResult<(Vec<T>, Option<Position>)>
        + Send,
>;

fn encode<T: Serialize + CsvExport>(items: &[T], format: ExportFormat, header: bool) -> Bytes {
    match format {
        ExportFormat::Ndjson => {
            let mut out = Vec::new();
            for item in items {
                serde_json::to_writer(&mut out, item).expect("items serialise");
                out.push(b'\n');
            }
            Bytes::from(out)
        }
        ExportFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            if header {
                let _ = writer.write_record(T::csv_header());
            }
            for item in items {
                let _ = writer.write_record(item.csv_record());
            }
            Bytes::from(writer.into_inner().unwrap_or_default())
        }
    }
}

/// Streams every item `fetch` yields, page after page, in `format`; `prepare` shapes each item
/// for the caller (e.g. hides private fields).
pub fn stream<T>(
    state: &web::Data<AppState>,
    format: ExportFormat,
    mut fetch: Fetch<T>,
    prepare: impl Fn(T) -> T + Send + 'static,
) -> ApiResult<HttpResponse>
where
    T: Serialize + CsvExport + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    let pool = state.pool.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let mut conn = match pool.get() {
            Ok(conn) => conn,
            Err(e) => {
                tracing::error!(error = %e, "export: no database connection");
                return;
            }
        };
        let mut position = Position::Start;
        let mut first = true;
        loop {
            let (items, next) = match fetch(&mut conn, position, PAGE) {
                Ok(page) => page,
                Err(e) => {
                    // The status line is sent already: the export ends short, and the log says why.
                    tracing::error!(error = %e, "export stopped");
                    return;
                }
            };
            let items: Vec<T> = items.into_iter().map(&prepare).collect();
            let chunk = encode(&items, format, first);
            first = false;
            if !chunk.is_empty() && tx.blocking_send(chunk).is_err() {
                return; // the client went away
            }
            match next {
                Some(p) => position = p,
                None => return,
            }
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, actix_web::Error>(chunk), rx))
    });
    let content_type = match format {
        ExportFormat::Csv => "text/csv; charset=utf-8",
        ExportFormat::Ndjson => NDJSON,
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
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
    D: crate::db::documents::Document + Serialize + CsvExport + Send + 'static,
    P: Serialize,
{
    if let Some(format) = requested(req) {
        let (filter, q) = (filter.clone(), q.clone());
        let fetch: Fetch<D> = Box::new(move |conn, position, limit| {
            D::TABLE.list::<D>(conn, &|sql| filter(sql), q.as_deref(), position, limit)
        });
        return stream(state, format, fetch, prepare);
    }
    let (items, next) = crate::routes::support::with_db(state, move |conn| {
        Ok(D::TABLE.list::<D>(conn, &|sql| filter(sql), q.as_deref(), position, limit)?)
    })
    .await?;
    let next_cursor = next.and_then(crate::routes::support::encode_cursor);
    let link = next_cursor.clone();
    let items = items.into_iter().map(prepare).collect();
    Ok(crate::routes::support::page(
        req,
        make_page(items, next_cursor),
        link.as_deref(),
    ))
}
