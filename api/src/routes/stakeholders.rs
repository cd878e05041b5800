//! `/api/v1/stakeholders`: the organisations that act, fund, submit or ask for help. `admin`
//! registers them; a contributor edits its own organisation, a State its own bodies. Contact
//! details are private to those who edit the stakeholder.

use crate::app::Expected;
use actix_web::http::StatusCode;
use actix_web::{Either, HttpRequest, HttpResponse, Responder, delete, get, patch, post, put, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::support::item_edits;
use super::support::{IfMatch, IfNoneMatch};
use crate::app::{self, Edit, Principal, policy};
use crate::auth::{Caller, Identity};
use crate::db::documents;
use crate::db::stakeholders::Filter;
use crate::domain::codes::{CountryCodeValue, RegionCode, ThemeCode};
use crate::domain::stakeholder::{
    LanguageCode, Stakeholder, StakeholderInput, StakeholderKind, is_region_code,
};
use crate::domain::{CountryCode, StakeholderId};
use crate::error::{ApiError, ApiResult};
use crate::reference::reference;
use crate::routes::support::{
    expected, kept_by_id, kept_size, language_param, not_modified, with_db,
};
use crate::routes::{export, page_type};
use crate::startup::AppState;

page_type!(StakeholderPage, Stakeholder);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StakeholderQuery {
    pub kind: Option<StakeholderKind>,
    #[param(value_type = Option<CountryCodeValue>)]
    pub country: Option<String>,
    /// Has this theme among its expertise.
    #[param(value_type = Option<ThemeCode>)]
    pub theme: Option<String>,
    /// Works in this language.
    #[param(value_type = Option<LanguageCode>)]
    pub language: Option<String>,
    /// Serves this region (M49 code).
    #[param(value_type = Option<RegionCode>)]
    pub region: Option<String>,
    /// Full-text search over names and acronyms: every word must be found, in any of its forms (case, accents and endings do not matter; Chinese by pairs of characters), but for words too common to tell texts apart (`the`, `de`: stop words), which are not searched for; results are ranked, and paged through the first 1,000 (where more were found, the cursor past them is answered with a 400 `search_too_deep`: narrow the search, or export it).
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

impl StakeholderQuery {
    fn filter(&self) -> ApiResult<Filter> {
        let data = reference();
        let country = self
            .country
            .as_deref()
            .map(|c| CountryCode::parse(c).map(|c| c.to_string()))
            .transpose()
            .map_err(|e| ApiError::invalid_parameter("country", e.to_string()))?;
        if let Some(theme) = &self.theme
            && data.theme(theme).is_none()
        {
            return Err(ApiError::invalid_parameter(
                "theme",
                format!("`{theme}` is not a known theme"),
            ));
        }
        let language = language_param("language", &self.language)?;
        if let Some(region) = &self.region
            && !is_region_code(region)
        {
            return Err(ApiError::invalid_parameter(
                "region",
                format!("`{region}` is not an M49 area code"),
            ));
        }
        Ok(Filter {
            kind: self.kind,
            country,
            theme: self.theme.clone(),
            language,
            region: self.region.clone(),
        })
    }
}

/// The representation this caller may see.
pub fn for_caller(mut s: Stakeholder, caller: Option<&Caller>) -> Stakeholder {
    if !policy::sees_contact(caller, s.stored.id, &s.content) {
        s.content.contact = None;
    }
    s
}

/// The ETag of the representation this caller sees: it differs with and without contact
/// details.
fn tag_for(s: &Stakeholder, caller: Option<&Caller>) -> String {
    if policy::sees_contact(caller, s.stored.id, &s.content) {
        format!("\"{}\"", s.stored.version)
    } else {
        format!("\"{}-public\"", s.stored.version)
    }
}

fn respond(s: Stakeholder, caller: Option<&Caller>, status: StatusCode) -> impl Responder + use<> {
    let tag = tag_for(&s, caller);
    let location = format!("/api/v1/stakeholders/{}", s.stored.id);
    let mut res = web::Json(for_caller(s, caller))
        .customize()
        .with_status(status)
        .insert_header(("ETag", tag));
    if status == StatusCode::CREATED {
        res = res.insert_header(("Location", location));
    }
    res
}

/// Stakeholders, filtered, in pages.
#[utoipa::path(
    tag = "stakeholders",
    operation_id = "list_stakeholders",
    params(
        StakeholderQuery,
        IfNoneMatch,
    ),
    responses((status = 200, description = "A page of stakeholders; with `format=csv|ndjson` or `Accept: text/csv` or \
        `application/x-ndjson`, every matching stakeholder, streamed (CSV in the import columns)",
        headers(
            ("Link" = String, description = "`<…>; rel=\"next\"`: the next page, when there is one"),
            ("ETag" = String, description = "Weak: of this page's body"),
            ("Content-Disposition" = String, description = "Of a file: `attachment`, and its name (`upr-tc-{list}-{date}.{csv|ndjson|xml}`)"),
        ),
        content(
            (StakeholderPage = "application/json"),
            (String = "text/csv"),
            (String = "application/x-ndjson"),
        )),
        (status = 304, description = "The page is unchanged since the ETag given"),
    )
)]
#[get("")]
pub async fn list_stakeholders(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    query: crate::routes::query::Query<StakeholderQuery>,
) -> ApiResult<HttpResponse> {
    let filter = query.filter()?;
    let paging = export::Paging::of(
        &state,
        ("stakeholders", &req),
        &query.q,
        (query.cursor.as_deref(), query.limit),
    )?
    .format(query.format);
    let caller = identity.0;
    export::list_response::<Stakeholder, _>(
        &state,
        &req,
        move |sql| filter.apply(sql),
        paging,
        export::Shape::For(move |s| for_caller(s, caller.as_ref())),
    )
    .await
}

/// Registers a stakeholder (`admin`).
#[utoipa::path(
    tag = "stakeholders",
    operation_id = "create_stakeholder",
    security(("bearer" = [])),
    request_body = StakeholderInput,
    responses((status = 201, description = "Created", body = Stakeholder,
        headers(("Location" = String), ("ETag" = String))))
)]
#[post("")]
pub async fn create_stakeholder(
    state: web::Data<AppState>,
    caller: Caller,
    body: crate::routes::body::Json<StakeholderInput>,
) -> ApiResult<impl Responder> {
    let (who, input) = (Principal::from(&caller), body.into_inner());
    let s = with_db(&state, move |conn| {
        Ok(app::stakeholders::create(conn, &who, input)?)
    })
    .await?;
    Ok(respond(s, Some(&caller), StatusCode::CREATED))
}

/// One stakeholder; contact details only for those who edit it: `admin`, its own contributors,
/// and a State for its own State's bodies.
#[utoipa::path(
    tag = "stakeholders",
    operation_id = "get_stakeholder",
    params(
        ("id" = Uuid, Path, description = "The stakeholder's id"),
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "The stakeholder", body = Stakeholder, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the ETag given", headers(("ETag" = String))),
    )
)]
#[get("/{id}")]
pub async fn get_stakeholder(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    id: web::Path<StakeholderId>,
) -> ApiResult<Either<impl Responder, HttpResponse>> {
    let id = id.into_inner();
    // The stakeholder whole, kept while the data is unchanged, parsed once; what the caller
    // may see of it is chosen below, for each request.
    let kept = kept_by_id(
        &state,
        format!("stakeholders\u{1}typed\u{1}{id}"),
        kept_size,
        move |conn| documents::get::<Stakeholder>(conn, id),
    )
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("No stakeholder has the id {id}.")))?;
    if let Some(unchanged) = not_modified(&req, &tag_for(&kept, identity.0.as_ref())) {
        return Ok(Either::Right(unchanged));
    }
    // A copy only for an answer with a body: the caller's view is made of it.
    Ok(Either::Left(respond(
        Stakeholder::clone(&kept),
        identity.0.as_ref(),
        StatusCode::OK,
    )))
}

async fn change(
    state: web::Data<AppState>,
    caller: Caller,
    id: StakeholderId,
    expected: Expected,
    edit: Edit<StakeholderInput>,
) -> ApiResult<impl Responder> {
    let who = Principal::from(&caller);
    let s = with_db(&state, move |conn| {
        Ok(app::stakeholders::change(conn, &who, id, edit, expected)?)
    })
    .await?;
    Ok(respond(s, Some(&caller), StatusCode::OK))
}

item_edits! {
    tag = "stakeholders", id = StakeholderId, id_doc = "The stakeholder's id",
    input = StakeholderInput, output = Stakeholder,
    /// Replaces a stakeholder: `admin`, its own contributors, or its State for a State body.
    replace = replace_stakeholder,
    /// Changes some fields of a stakeholder with a JSON merge patch (RFC 7396).
    patch = patch_stakeholder,
}

/// Deletes a stakeholder (`admin`).
#[utoipa::path(
    tag = "stakeholders",
    operation_id = "delete_stakeholder",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The stakeholder's id"),
        IfMatch,
    ),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/{id}")]
pub async fn delete_stakeholder(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<StakeholderId>,
) -> ApiResult<actix_web::HttpResponse> {
    let (id, expected, who) = (id.into_inner(), expected(&req)?, Principal::from(caller));
    with_db(&state, move |conn| {
        Ok(app::stakeholders::delete(conn, &who, id, expected)?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
