//! `/api/v1/recommendations`: the catalogue of UPR recommendations. Anyone reads; `admin`
//! curates.

use crate::app::Expected;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, delete, get, patch, post, put, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::support::item_edits;
use super::support::{IfMatch, IfNoneMatch};
use crate::app::{self, Edit, Principal};
use crate::auth::Caller;
use crate::db::recommendations::Filter;
use crate::domain::codes::{AffectedPersonsCode, SdgTargetCode, ThemeCode};
use crate::domain::recommendation::{Recommendation, RecommendationInput, Response};
use crate::domain::{ExternalRef, RecommendationId};
use crate::error::{ApiError, ApiResult};
use crate::reference::reference;
use crate::routes::support::{
    code_param, etag, expected, in_range, not_modified, regional_group_param, state_param,
    states_of, stored_by_id, with_db, with_read_db,
};
use crate::routes::{export, page_type};
use crate::startup::AppState;

page_type!(RecommendationPage, Recommendation);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecommendationQuery {
    /// The State under review.
    ///
    /// A State: its ISO alpha-3 code, or a name (`Kenya`, `Côte d'Ivoire`, `DPR Korea`).
    #[param(value_type = Option<String>, example = "KEN")]
    pub state_under_review: Option<String>,
    /// One of the States that made it.
    ///
    /// A State: its ISO alpha-3 code, or a name (`Kenya`, `Côte d'Ivoire`, `DPR Korea`).
    #[param(value_type = Option<String>, example = "KEN")]
    pub recommending_state: Option<String>,
    /// The State under review belongs to this regional group.
    ///
    /// A group: `african`, `asia_pacific`, `eastern_european`, `latin_american_and_caribbean`,
    /// `western_european_and_others`, or a label (`WEOG`, `GRULAC`, `EEG`, `Africa`, `Asia-Pacific`).
    #[param(value_type = Option<String>, example = "WEOG")]
    pub regional_group: Option<String>,
    #[param(minimum = 1, maximum = 5)]
    pub cycle: Option<i64>,
    #[param(minimum = 1, maximum = 68)]
    pub session: Option<i64>,
    pub response: Option<Response>,
    #[param(value_type = Option<ThemeCode>)]
    pub theme: Option<String>,
    #[param(value_type = Option<AffectedPersonsCode>)]
    pub affected_persons: Option<String>,
    #[param(value_type = Option<SdgTargetCode>)]
    pub sdg_target: Option<String>,
    /// An SDG goal, `1` to `17`.
    #[param(example = "16", pattern = "^([1-9]|1[0-7])$")]
    pub sdg_goal: Option<String>,
    /// A source it was imported from: `upr-info`, `ohchr-matrix`.
    #[param(
        example = "ohchr-matrix",
        pattern = "^[a-z0-9][a-z0-9._-]*$",
        max_length = 50
    )]
    pub source: Option<String>,
    #[param(minimum = 1, maximum = 5)]
    pub action_category: Option<i64>,
    /// Full-text search over the text in every language: every word must be found, in any of its forms (case, accents and endings do not matter; Chinese by pairs of characters), but for words too common to tell texts apart (`the`, `de`: stop words), which are not searched for; results are ranked, and paged through the first 1,000 (where more were found, the cursor past them is answered with a 400 `search_too_deep`: narrow the search, or export it).
    #[param(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub q: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{22}$")]
    pub cursor: Option<String>,
    /// `json` for this page, or every matching item as a file to download; wins over `Accept`.
    /// `matrix`: the recommendations of one review (`state_under_review` and `session`, the
    /// other filters left aside) as CSV in the columns of OHCHR's matrix, in the order of their
    /// paragraphs, for NMIRF tracking tools.
    #[param(inline)]
    pub format: Option<export::RecommendationListFormat>,
}

impl RecommendationQuery {
    fn filter(&self) -> ApiResult<Filter> {
        let data = reference();
        let state = state_param("state_under_review", &self.state_under_review)?;
        let group = regional_group_param("regional_group", &self.regional_group)?;
        let states_under_review = match (state, group) {
            (None, None) => None,
            (Some(s), None) => Some(vec![s]),
            (None, Some(g)) => Some(states_of(g)),
            (Some(s), Some(g)) => Some(states_of(g).into_iter().filter(|x| *x == s).collect()),
        };
        Ok(Filter {
            states_under_review,
            recommending_state: state_param("recommending_state", &self.recommending_state)?,
            cycle: in_range("cycle", self.cycle, 1, data.cycles.len() as i64)?,
            session: in_range(
                "session",
                self.session,
                1,
                data.cycles.last().map_or(1, |c| i64::from(c.last_session)),
            )?,
            response: self.response,
            theme: code_param("theme", &self.theme, |c| data.theme(c).is_some())?,
            affected_persons: code_param("affected_persons", &self.affected_persons, |c| {
                data.affected_persons(c).is_some()
            })?,
            sdg_target: code_param("sdg_target", &self.sdg_target, |c| {
                data.sdg_target(c).is_some()
            })?,
            sdg_goal: code_param("sdg_goal", &self.sdg_goal, |c| {
                data.sdg_goals.iter().any(|g| g.code == c)
            })?,
            source: code_param("source", &self.source, ExternalRef::is_source_name)?,
            action_category: in_range("action_category", self.action_category, 1, 5)?,
        })
    }
}

/// Recommendations, filtered, in pages. A filter value that names nothing known is a 400.
#[utoipa::path(
    tag = "recommendations",
    operation_id = "list_recommendations",
    params(
        RecommendationQuery,
        IfNoneMatch,
    ),
    responses((status = 200, description = "A page of recommendations; with `format=csv|ndjson` or `Accept: text/csv` or \
        `application/x-ndjson`, every matching recommendation, streamed (CSV in the import columns)",
        headers(
            ("Link" = String, description = "`<…>; rel=\"next\"`: the next page, when there is one"),
            ("ETag" = String, description = "Weak: of this page's body"),
            ("Content-Disposition" = String, description = "Of a file: `attachment`, and its name (`upr-tc-{list}-{date}.{csv|ndjson|xml}`)"),
        ),
        content(
            (RecommendationPage = "application/json"),
            (String = "text/csv"),
            (String = "application/x-ndjson"),
        )),
        (status = 304, description = "The page is unchanged since the ETag given"),
    )
)]
#[get("")]
pub async fn list_recommendations(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: crate::routes::query::Query<RecommendationQuery>,
) -> ApiResult<HttpResponse> {
    let filter = query.filter()?;
    // Sources are open (a client may name its own), so a source is known by the
    // recommendations that have it, or as one the service imports: one none ever had is a 400
    // (`upr_info` for `upr-info`), never an empty list.
    let imported = [
        crate::import::upr_info::SOURCE,
        crate::import::ohchr_matrix::SOURCE,
    ];
    if let Some(source) = filter
        .source
        .clone()
        .filter(|s| !imported.contains(&s.as_str()))
    {
        let asked = source.clone();
        let known = crate::http::with_read_db(&state, move |conn| {
            Ok(crate::db::facet_codes::known(conn, "source", &asked)?)
        })
        .await?;
        if !known {
            return Err(ApiError::invalid_parameter(
                "source",
                format!(
                    "`{source}` is not a source any recommendation was imported from \
                     (`upr-info`, `ohchr-matrix`, or one a client named)"
                ),
            ));
        }
    }
    if query.format == Some(export::RecommendationListFormat::Matrix) {
        return matrix(&state, &req, &filter, query.session).await;
    }
    let paging = export::Paging::of(
        &state,
        ("recommendations", &req),
        &query.q,
        (query.cursor.as_deref(), query.limit),
    )?
    .format(query.format);
    export::list_response::<Recommendation, _>(
        &state,
        &req,
        move |sql| filter.apply(sql),
        paging,
        export::as_stored(),
    )
    .await
}

/// One review's recommendations as OHCHR's matrix lists them (`format=matrix`); for a
/// spreadsheet, with a byte order mark first (`export::for_spreadsheet`).
async fn matrix(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    filter: &Filter,
    session: Option<i64>,
) -> ApiResult<HttpResponse> {
    let (Some([country]), Some(session)) = (filter.states_under_review.as_deref(), session) else {
        return Err(ApiError::bad_request(
            "review_required",
            "`format=matrix` lists one review: give `state_under_review` and `session`.",
        ));
    };
    let country = country.clone();
    let name = format!("matrix-{country}-{session}");
    let recs = with_read_db(state, move |conn| {
        Ok(crate::db::recommendations::of_review(
            conn,
            country.as_str(),
            session,
        )?)
    })
    .await?;
    let body = export::csv_for(req, crate::import::ohchr_matrix::csv(recs));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((actix_web::http::header::VARY, "Accept"))
        .insert_header(export::attachment(&name, export::ExportFormat::Csv))
        .body(body))
}

/// Adds a recommendation (`admin`).
#[utoipa::path(
    tag = "recommendations",
    operation_id = "create_recommendation",
    security(("bearer" = [])),
    request_body = RecommendationInput,
    responses((status = 201, description = "Created", body = Recommendation,
        headers(("Location" = String), ("ETag" = String))))
)]
#[post("")]
pub async fn create_recommendation(
    state: web::Data<AppState>,
    caller: Caller,
    body: crate::routes::body::Json<RecommendationInput>,
) -> ApiResult<impl Responder> {
    let (who, input) = (Principal::from(caller), body.into_inner());
    let rec = with_db(&state, move |conn| {
        Ok(app::recommendations::create(conn, &who, input)?)
    })
    .await?;
    let location = format!("/api/v1/recommendations/{}", rec.stored.id);
    let tag = etag(rec.stored.version);
    Ok(web::Json(rec)
        .customize()
        .with_status(StatusCode::CREATED)
        .insert_header(("Location", location))
        .insert_header(("ETag", tag)))
}

/// One recommendation.
#[utoipa::path(
    tag = "recommendations",
    operation_id = "get_recommendation",
    params(
        ("id" = Uuid, Path, description = "The recommendation's id"),
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "The recommendation", body = Recommendation, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the ETag given", headers(("ETag" = String))),
    )
)]
#[get("/{id}")]
pub async fn get_recommendation(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<RecommendationId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    // Everyone sees all of a recommendation: it is sent as stored.
    let rec = stored_by_id::<Recommendation>(&state, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No recommendation has the id {id}.")))?;
    let tag = etag(rec.version);
    if let Some(unchanged) = not_modified(&req, &tag) {
        return Ok(unchanged);
    }
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("ETag", tag))
        .body(rec.document.clone()))
}

async fn change(
    state: web::Data<AppState>,
    caller: Caller,
    id: RecommendationId,
    expected: Expected,
    edit: Edit<RecommendationInput>,
) -> ApiResult<impl Responder> {
    let who = Principal::from(caller);
    let rec = with_db(&state, move |conn| {
        Ok(app::recommendations::change(
            conn, &who, id, edit, expected,
        )?)
    })
    .await?;
    let tag = etag(rec.stored.version);
    Ok(web::Json(rec).customize().insert_header(("ETag", tag)))
}

item_edits! {
    tag = "recommendations", id = RecommendationId, id_doc = "The recommendation's id",
    input = RecommendationInput, output = Recommendation,
    /// Replaces a recommendation (`admin`); with `If-Match`, only if it is still that version.
    replace = replace_recommendation,
    /// Changes some fields of a recommendation (`admin`) with a JSON merge patch (RFC 7396).
    patch = patch_recommendation,
}

/// Deletes a recommendation (`admin`).
#[utoipa::path(
    tag = "recommendations",
    operation_id = "delete_recommendation",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The recommendation's id"),
        IfMatch,
    ),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/{id}")]
pub async fn delete_recommendation(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<RecommendationId>,
) -> ApiResult<actix_web::HttpResponse> {
    let (id, expected, who) = (id.into_inner(), expected(&req)?, Principal::from(caller));
    with_db(&state, move |conn| {
        Ok(app::recommendations::delete(conn, &who, id, expected)?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
