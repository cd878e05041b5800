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
use crate::app::report::{self, Report};
use crate::auth::Identity;
use crate::digest::sha256_hex;
use crate::domain::Language;
use crate::domain::report::{ReportScope, Table};
use crate::error::{ApiError, ApiResult};
use crate::routes::export::{ExportFormat, accepts, requested};
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
    pub lang: Option<Language>,
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

/// A body with a weak ETag of `figures` (its bytes, or what in it can change); 304 when the
/// caller has it.
fn answer(req: &HttpRequest, body: Vec<u8>, figures: &[u8], content_type: &str) -> HttpResponse {
    let tag = format!("W/\"{}\"", sha256_hex(figures, 8));
    if let Some(unchanged) = not_modified(req, &tag) {
        return unchanged;
    }
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("ETag", tag))
        // One table is JSON or CSV as `Accept` asks.
        .insert_header(("Vary", "Accept"))
        .body(body)
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
    query: web::Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    let year = year(query.year)?;
    let scope = scope(identity, query.scope)?;
    let lang = query.lang.unwrap_or(Language::En);
    let _permit = crate::routes::export::search_permit(&state)?;
    let cache = state.reports.clone();
    let annual: Arc<Report> = with_db(&state, move |conn| {
        Ok(report::annual(conn, &cache, scope, year, lang)?)
    })
    .await?;
    // The ETag is of the figures (and the form asked), not of the moment they were counted.
    let mut figures = serde_json::to_vec(&annual.tables).map_err(ApiError::internal)?;
    if accepts(&req, "text/html") {
        figures.extend(b"html");
        let page = crate::report_page::render(&annual).into_bytes();
        return Ok(answer(&req, page, &figures, "text/html; charset=utf-8"));
    }
    let body = serde_json::to_vec(&annual).map_err(ApiError::internal)?;
    Ok(answer(&req, body, &figures, "application/json"))
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
    query: web::Query<ScopeQuery>,
) -> ApiResult<HttpResponse> {
    let scope = scope(identity, query.scope)?;
    let lang = query.lang.unwrap_or(Language::En);
    let _permit = crate::routes::export::search_permit(&state)?;
    let cache = state.reports.clone();
    let live: Arc<Report> = with_db(&state, move |conn| {
        Ok(report::statistics(conn, &cache, scope, lang)?)
    })
    .await?;
    let figures = serde_json::to_vec(&live.tables).map_err(ApiError::internal)?;
    let body = serde_json::to_vec(&live).map_err(ApiError::internal)?;
    Ok(answer(&req, body, &figures, "application/json"))
}

/// One table of a year's report, as JSON, or with `Accept: text/csv` as CSV (a header row of
/// the column names, then the rows; cells a spreadsheet would run as a formula are prefixed
/// with `'`).
#[utoipa::path(
    tag = "reports",
    operation_id = "get_annual_report_table",
    security((), ("bearer" = [])),
    params(
        ("year" = i32, Path, description = "The year, 2000 to 2100", minimum = 2000, maximum = 2100),
        ("table" = String, Path, description = "The table's name, e.g. `activities_by_state`"),
        ScopeQuery,
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "The table", body = Table,
            content((Table = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Weak: of this body"))),
        (status = 304, description = "Unchanged since the ETag given"),
    )
)]
#[get("/reports/annual/{year}/{table}")]
pub async fn get_annual_report_table(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    path: web::Path<(i32, String)>,
    query: web::Query<ScopeQuery>,
) -> ApiResult<HttpResponse> {
    let (year_asked, name) = path.into_inner();
    let year = year(Some(year_asked))?;
    let scope = scope(identity, query.scope)?;
    let lang = query.lang.unwrap_or(Language::En);
    let _permit = crate::routes::export::search_permit(&state)?;
    let cache = state.reports.clone();
    let table: Table = with_db(&state, move |conn| {
        Ok(report::table(conn, &cache, scope, year, lang, &name)?)
    })
    .await?;
    let (body, content_type) = match requested(&req) {
        Some(ExportFormat::Csv) => (
            crate::report_page::csv(&table).map_err(ApiError::internal)?,
            "text/csv; charset=utf-8",
        ),
        _ => (
            serde_json::to_vec(&table).map_err(ApiError::internal)?,
            "application/json",
        ),
    };
    Ok(answer(&req, body.clone(), &body, content_type))
}
