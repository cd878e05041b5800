//! `/api/v1/assistance-requests`: States' needs for technical cooperation on their accepted
//! recommendations. A State files its own, `admin` any State's on its behalf (with the
//! reference of the State's request). Every status but `draft` is public: the words are the
//! State's own.

use crate::app::Expected;
use actix_web::http::StatusCode;
use actix_web::{
    CustomizeResponder, Either, HttpRequest, HttpResponse, Responder, delete, get, patch, post,
    put, web,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::support::item_edits;
use super::support::{IfMatch, IfNoneMatch};
use crate::app::{self, Edit, Principal, policy};
use crate::auth::{Caller, Identity};
use crate::db::assistance_requests::Filter;
use crate::domain::assistance_request::{AssistanceRequest, AssistanceRequestInput, RequestStatus};
use crate::domain::codes::{ModalityCode, SdgTargetCode, ThemeCode};
use crate::domain::stakeholder::LanguageCode;
use crate::domain::{AssistanceRequestId, RecommendationId};
use crate::error::ApiResult;
use crate::reference::reference;
use crate::routes::support::{
    code_param, expected, kept_by_id, kept_size, language_param, not_modified,
    regional_group_param, state_param, states_of, with_db,
};
use crate::routes::{export, page_type};
use crate::startup::AppState;

page_type!(AssistanceRequestPage, AssistanceRequest);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssistanceRequestQuery {
    /// Asked by this State.
    ///
    /// A State: its ISO alpha-3 code, or a name (`Kenya`, `Côte d'Ivoire`, `DPR Korea`).
    #[param(value_type = Option<String>, example = "KEN")]
    pub state: Option<String>,
    /// Asked by a State of this regional group.
    ///
    /// A group: `african`, `asia_pacific`, `eastern_european`, `latin_american_and_caribbean`,
    /// `western_european_and_others`, or a label (`WEOG`, `GRULAC`, `EEG`, `Africa`, `Asia-Pacific`).
    #[param(value_type = Option<String>, example = "WEOG")]
    pub regional_group: Option<String>,
    /// For help with this recommendation.
    #[param(value_type = Option<Uuid>)]
    pub recommendation: Option<RecommendationId>,
    #[param(value_type = Option<ThemeCode>)]
    pub theme: Option<String>,
    #[param(value_type = Option<SdgTargetCode>)]
    pub sdg_target: Option<String>,
    #[param(value_type = Option<ModalityCode>)]
    pub modality: Option<String>,
    /// Asks for help in this language.
    #[param(value_type = Option<LanguageCode>)]
    pub language: Option<String>,
    pub status: Option<RequestStatus>,
    /// Full-text search over the descriptions: every word must be found, in any of its forms (case, accents and endings do not matter; Chinese by pairs of characters), but for words too common to tell texts apart (`the`, `de`: stop words), which are not searched for; results are ranked, and paged through the first 1,000 (where more were found, the cursor past them is answered with a 400 `search_too_deep`: narrow the search, or export it).
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
    #[param(inline)]
    pub format: Option<export::ListFormat>,
}

impl AssistanceRequestQuery {
    fn filter(&self, caller: Option<&Caller>) -> ApiResult<Filter> {
        let data = reference();
        let mut f = Filter::new(policy::access(caller));
        let state = state_param("state", &self.state)?;
        let group = regional_group_param("regional_group", &self.regional_group)?;
        f.states = match (state, group) {
            (None, _) => None,
            (Some(s), None) => Some(vec![s.to_string()]),
            (Some(s), Some(g)) => Some(
                states_of(g)
                    .into_iter()
                    .filter(|x| *x == s)
                    .map(|x| x.to_string())
                    .collect(),
            ),
        };
        f.regional_group = group
            .filter(|_| f.states.is_none())
            .map(|g| g.as_str().to_owned());
        f.recommendation = self.recommendation;
        f.theme = code_param("theme", &self.theme, |c| data.theme(c).is_some())?;
        f.sdg_target = code_param("sdg_target", &self.sdg_target, |c| {
            data.sdg_target(c).is_some()
        })?;
        f.modality = code_param("modality", &self.modality, |c| data.modality(c).is_some())?;
        f.language = language_param("language", &self.language)?;
        f.status = self.status;
        Ok(f)
    }
}

fn respond(
    r: AssistanceRequest,
    status: StatusCode,
) -> CustomizeResponder<web::Json<AssistanceRequest>> {
    let tag = format!("\"{}\"", r.stored.version);
    let location = format!("/api/v1/assistance-requests/{}", r.stored.id);
    let mut res = web::Json(r)
        .customize()
        .with_status(status)
        .insert_header(("ETag", tag));
    if status == StatusCode::CREATED {
        res = res.insert_header(("Location", location));
    }
    res
}

/// Assistance requests this caller may see, filtered, in pages: every request but drafts; a
/// State also its own drafts, `admin` all.
#[utoipa::path(
    tag = "assistance-requests",
    operation_id = "list_assistance_requests",
    params(AssistanceRequestQuery, IfNoneMatch),
    responses((status = 200, description = "A page of requests; with `format=csv|ndjson` or `Accept: text/csv` or \
        `application/x-ndjson`, every matching request, streamed",
        headers(
            ("Link" = String, description = "`<…>; rel=\"next\"`: the next page, when there is one"),
            ("ETag" = String, description = "Weak: of this page's body"),
            ("Content-Disposition" = String, description = "Of a file: `attachment`, and its name (`upr-tc-{list}-{date}.{csv|ndjson|xml}`)"),
        ),
        content(
            (AssistanceRequestPage = "application/json"),
            (String = "text/csv"),
            (String = "application/x-ndjson"),
        )),
        (status = 304, description = "The page is unchanged since the ETag given"),
    )
)]
#[get("")]
pub async fn list_assistance_requests(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    query: crate::routes::query::Query<AssistanceRequestQuery>,
) -> ApiResult<HttpResponse> {
    let filter = query.filter(identity.0.as_ref())?;
    let paging = export::Paging::of(
        &state,
        ("assistance-requests", &req),
        &query.q,
        (query.cursor.as_deref(), query.limit),
    )?
    .format(query.format);
    export::list_response::<AssistanceRequest, _>(
        &state,
        &req,
        move |sql| filter.apply(sql),
        paging,
        export::as_stored(),
    )
    .await
}

/// Files an assistance request: a State for itself, `admin` on a State's behalf with the
/// `reference` of the State's request.
#[utoipa::path(
    tag = "assistance-requests",
    operation_id = "create_assistance_request",
    security(("bearer" = [])),
    request_body = AssistanceRequestInput,
    responses((status = 201, description = "Filed", body = AssistanceRequest,
        headers(("Location" = String), ("ETag" = String))))
)]
#[post("")]
pub async fn create_assistance_request(
    state: web::Data<AppState>,
    caller: Caller,
    body: crate::routes::body::Json<AssistanceRequestInput>,
) -> ApiResult<impl Responder> {
    let (who, input) = (Principal::from(caller), body.into_inner());
    let r = with_db(&state, move |conn| {
        Ok(app::assistance_requests::file(conn, &who, input)?)
    })
    .await?;
    Ok(respond(r, StatusCode::CREATED))
}

/// One assistance request; a draft only for its State and `admin`.
#[utoipa::path(
    tag = "assistance-requests",
    operation_id = "get_assistance_request",
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "The request", body = AssistanceRequest, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the ETag given", headers(("ETag" = String))),
    )
)]
#[get("/{id}")]
pub async fn get_assistance_request(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    id: web::Path<AssistanceRequestId>,
) -> ApiResult<Either<impl Responder, HttpResponse>> {
    let (id, access) = (id.into_inner(), policy::access(identity.0.as_ref()));
    // The request whole, kept while the data is unchanged; who sees it is decided for each
    // request.
    let found = kept_by_id(
        &state,
        format!("assistance_requests\u{1}typed\u{1}{id}"),
        kept_size,
        move |conn| crate::db::documents::get::<AssistanceRequest>(conn, id),
    )
    .await?;
    let r = app::assistance_requests::shown(found.as_deref(), id, &access)?;
    if let Some(unchanged) = not_modified(&req, &format!("\"{}\"", r.stored.version)) {
        return Ok(Either::Right(unchanged));
    }
    Ok(Either::Left(respond(r, StatusCode::OK)))
}

async fn change(
    state: web::Data<AppState>,
    caller: Caller,
    id: AssistanceRequestId,
    expected: Expected,
    edit: Edit<AssistanceRequestInput>,
) -> ApiResult<impl Responder> {
    let who = Principal::from(caller);
    let r = with_db(&state, move |conn| {
        Ok(app::assistance_requests::change(
            conn, &who, id, edit, expected,
        )?)
    })
    .await?;
    Ok(respond(r, StatusCode::OK))
}

item_edits! {
    tag = "assistance-requests", id = AssistanceRequestId, id_doc = "The request's id",
    input = AssistanceRequestInput, output = AssistanceRequest,
    /// Replaces an assistance request (its State, or `admin`); with `If-Match`, only if it is
    /// still that version.
    replace = replace_assistance_request,
    /// Changes some fields of an assistance request with a JSON merge patch (RFC 7396).
    patch = patch_assistance_request,
}

/// Deletes an assistance request (its State, or `admin`).
#[utoipa::path(
    tag = "assistance-requests",
    operation_id = "delete_assistance_request",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        IfMatch,
    ),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/{id}")]
pub async fn delete_assistance_request(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<AssistanceRequestId>,
) -> ApiResult<HttpResponse> {
    let (id, expected, who) = (id.into_inner(), expected(&req)?, Principal::from(caller));
    with_db(&state, move |conn| {
        Ok(app::assistance_requests::delete(conn, &who, id, expected)?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
