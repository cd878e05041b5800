//! `/api/v1/reports`: the annual report OHCHR gives the Human Rights Council (issue 12), every
//! table at once (`/reports/annual`) or one (`/reports/annual/{year}/{table}`, also as CSV);
//! `/api/v1/statistics`: the same tables over every activity, for live dashboards.
//! Public figures count public activities only; `admin` may ask for the full ones.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{Datelike, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::support::IfNoneMatch;
use crate::app::policy;
use crate::app::report::{self, Asked, Counted, Fresh, Report};
use crate::auth::Identity;
use crate::domain::Language;
use crate::domain::report::{ReportScope, Span, Table};
use crate::error::{ApiError, ApiResult};
use crate::routes::export::{self, ExportFormat, TableFormat, asked, attachment};
use crate::routes::support::{not_modified, with_db};
use crate::startup::AppState;

/// The years a report may be asked for.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// How a report is asked for.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The year, 2000 to 2100; this year when not given.
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// `public` (the default) counts public activities; `full`, every activity (`admin` only).
    pub scope: Option<ReportScope>,
    /// The language of titles and labels (`en` when not given; labels the reference data
    /// lacks in a language are in English).
    #[serde(default, deserialize_with = "Language::any_code")]
    pub lang: Option<Language>,
}

/// How one table, or the statistics, are asked for.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScopeQuery {
    /// `public` (the default) counts public activities; `full`, every activity (`admin` only).
    pub scope: Option<ReportScope>,
    /// The language of the title and labels (`en` when not given).
    #[serde(default, deserialize_with = "Language::any_code")]
    pub lang: Option<Language>,
}

/// How one table is asked for.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TableQuery {
    /// `public` (the default) counts public activities; `full`, every activity (`admin` only).
    pub scope: Option<ReportScope>,
    /// The language of the title and labels (`en` when not given).
    #[serde(default, deserialize_with = "Language::any_code")]
    pub lang: Option<Language>,
    /// `json`, or `csv` for a file to download; wins over `Accept`.
    #[param(inline)]
    pub format: Option<TableFormat>,
}

fn year(value: Option<i32>) -> ApiResult<i32> {
    let year = value.unwrap_or_else(|| Utc::now().year());
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::invalid_parameter(
            "year",
            format!("must be from {} to {}", YEARS.start(), YEARS.end()),
        ))
    }
}

/// The scope the caller may have: the full one only for `admin` (anonymous: 401).
fn scope(identity: Identity, asked: Option<ReportScope>) -> ApiResult<ReportScope> {
    match asked.unwrap_or_default() {
        ReportScope::Public => Ok(ReportScope::Public),
        full => Ok(policy::report_scope(&identity.required()?, full)?),
    }
}

/// The report the caller asks for, in the scope it may have: kept from when the data was the
/// same (as the service's watch knows it: a dashboard polling takes no permit and no
/// connection), or counted under a permit of the rankings (counting reads every activity in
/// scope) on a connection of the blocking pool. A caller of the full report (`admin`) who
/// finds every permit taken has it as last counted, without reading anything (a 503 only when
/// there is none yet); the public report is never given as last counted
/// ([`ReportScope::may_be_given_as_last_counted`]): it waits for a permit as other rankings do.
async fn counted(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    identity: Identity,
    (scope_asked, span, lang): (Option<ReportScope>, Span, Option<Language>),
) -> ApiResult<Arc<Counted>> {
    let asked = Asked {
        scope: scope(identity, scope_asked)?,
        span,
        language: lang.unwrap_or(Language::En),
    };
    // Read before the counting: a write meanwhile moves it, and the count is not kept past it.
    let version = state.watch.version();
    let key = format!("report\u{1}{asked:?}");
    if let Some(kept) = version.and_then(|v| state.kept.rankings.get::<Counted>(&key, v)) {
        return Ok(kept);
    }
    let cache = state.reports.clone();
    let permit = if asked.scope.may_be_given_as_last_counted() {
        match crate::routes::export::ranking_permit_now(state, req).await {
            Ok(permit) => permit,
            Err(busy) => return cache.last(&asked).ok_or(busy),
        }
    } else {
        crate::routes::export::ranking_permit(state, req).await?
    };
    // Held by the counting itself, which runs on when its client has gone.
    let (counted, fresh) = with_db(state, move |conn| {
        let _running = permit;
        Ok(report::counted(conn, &cache, asked)?)
    })
    .await?;
    // Not the figures last counted, given while another caller counts: they may be older
    // than the version read.
    if let (Some(version), Fresh::Now) = (version, fresh) {
        // What it holds, about: its JSON (written now, for its readers), and as much again.
        let size = 2 * counted.json().len();
        state.kept.rankings.put(key, version, counted.clone(), size);
    }
    Ok(counted)
}

/// The answer with ETag `tag`: a 304 when the caller has it, before any body is written;
/// else the body `write` makes.
fn answer(
    req: &HttpRequest,
    tag: String,
    content_type: &str,
    write: impl FnOnce() -> ApiResult<bytes::Bytes>,
) -> ApiResult<HttpResponse> {
    if let Some(unchanged) = not_modified(req, &tag) {
        return Ok(unchanged);
    }
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("ETag", tag))
        // JSON, a page or CSV, as `Accept` asks.
        .insert_header(("Vary", "Accept"))
        .body(write()?))
}

fn json(value: &impl serde::Serialize) -> ApiResult<bytes::Bytes> {
    serde_json::to_vec(value)
        .map(Into::into)
        .map_err(ApiError::internal)
}

/// The annual report: every table, each row a code, its label, the year's count and the
/// previous year's. An activity counts in a year when its actual (else planned) period
/// overlaps it (with no date at all, the year it was recorded).
#[utoipa::path(
    tag = "reports",
    operation_id = "get_annual_report",
    // Anyone; a token only for the full report.
    security((), ("bearer" = [])),
    params(ReportQuery, IfNoneMatch),
    responses(
        (status = 200, description = "The year's report; with `Accept: text/html`, a \
            self-contained printable page of it (headline figures, each table and its chart)",
            content((Report = "application/json"), (String = "text/html")),
            headers(("ETag" = String, description = "Weak: of the figures and the form"))),
        (status = 304, description = "Unchanged since the ETag given"),
    )
)]
#[get("/reports/annual")]
pub async fn get_annual_report(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    query: crate::routes::query::Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    let span = Span::Year(year(query.year)?);
    let found = counted(&state, &req, identity, (query.scope, span, query.lang)).await?;
    let accept = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    if accept.and_then(|a| crate::served::preferred(a, "application/json", &["text/html"]))
        == Some("text/html")
    {
        return answer(
            &req,
            found.tag_of("html"),
            "text/html; charset=utf-8",
            || Ok(crate::report_page::render(&found.report).into()),
        );
    }
    answer(&req, found.tag_of("json"), "application/json", || {
        Ok(found.json())
    })
}

/// The live statistics: the report's tables over every activity in scope, whatever its
/// period (no `previous_year` column), for dashboards that poll (`If-None-Match`: 304 while
/// the figures are unchanged).
#[utoipa::path(
    tag = "reports",
    operation_id = "get_statistics",
    security((), ("bearer" = [])),
    params(ScopeQuery, IfNoneMatch),
    responses(
        (status = 200, description = "The statistics", body = Report,
            headers(("ETag" = String, description = "Weak: of the figures"))),
        (status = 304, description = "The figures are unchanged since the ETag given"),
    )
)]
#[get("/statistics")]
pub async fn get_statistics(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    query: crate::routes::query::Query<ScopeQuery>,
) -> ApiResult<HttpResponse> {
    let found = counted(&state, &req, identity, (query.scope, Span::All, query.lang)).await?;
    answer(&req, found.tag_of("json"), "application/json", || {
        Ok(found.json())
    })
}

/// One table of a year's report, as JSON, or with `format=csv` or `Accept: text/csv` as CSV (a header row of
/// the column names, then the rows; cells a spreadsheet would run as a formula are prefixed
/// with `'`).
#[utoipa::path(
    tag = "reports",
    operation_id = "get_annual_report_table",
    security((), ("bearer" = [])),
    params(
        ("year" = i32, Path, description = "The year, 2000 to 2100", minimum = 2000, maximum = 2100),
        ("table" = String, Path, description = "The table's name, e.g. `activities_by_state`"),
        TableQuery,
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "The table", body = Table,
            content((Table = "application/json"), (String = "text/csv")),
            headers(
                ("ETag" = String, description = "Weak: of the figures and the form"),
                ("Content-Disposition" = String, description = "Of CSV: `attachment`, and its name (`upr-tc-annual-{year}-{table}-{date}.csv`)"),
            )),
        (status = 304, description = "Unchanged since the ETag given"),
    )
)]
#[get("/reports/annual/{year}/{table}")]
pub async fn get_annual_report_table(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    path: web::Path<(i32, String)>,
    query: crate::routes::query::Query<TableQuery>,
) -> ApiResult<HttpResponse> {
    let (year_asked, name) = path.into_inner();
    let span = Span::Year(year(Some(year_asked))?);
    let found = counted(&state, &req, identity, (query.scope, span, query.lang)).await?;
    let table = report::table(&found.report, &name)?;
    match asked(&req, query.format) {
        // For a spreadsheet with a byte order mark first: another body, another tag.
        Some(ExportFormat::Csv) => answer(
            &req,
            found.tag_of(&if export::for_spreadsheet(&req) {
                format!("{name}.bom.csv")
            } else {
                format!("{name}.csv")
            }),
            "text/csv; charset=utf-8",
            || {
                crate::report_page::csv(table)
                    .map(|csv| export::csv_for(&req, csv).into())
                    .map_err(ApiError::internal)
            },
        )
        .map(|mut res| {
            let file = attachment(&format!("annual-{year_asked}-{name}"), ExportFormat::Csv);
            res.headers_mut().insert(
                actix_web::http::header::CONTENT_DISPOSITION,
                file.to_string()
                    .try_into()
                    .expect("a file name is a header value"),
            );
            res
        }),
        _ => answer(
            &req,
            found.tag_of(&format!("{name}.json")),
            "application/json",
            || json(table),
        ),
    }
}
