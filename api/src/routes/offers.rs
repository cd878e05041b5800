//! `/api/v1/offers`: stakeholders' offers of help. A contributor makes its own organisation's,
//! a State its own (peer to peer), `admin` any stakeholder's. Every status but `draft` is
//! public.

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
use crate::db::offers::Filter;
use crate::domain::codes::{ModalityCode, SdgTargetCode, ThemeCode};
use crate::domain::offer::{Offer, OfferInput, OfferStatus};
use crate::domain::stakeholder::LanguageCode;
use crate::domain::{OfferId, StakeholderId};
use crate::error::ApiResult;
use crate::reference::reference;
use crate::routes::support::{
    code_param, expected, kept_by_id, kept_size, language_param, not_modified,
    regional_group_param, state_param, with_db, with_item_db,
};
use crate::routes::{export, page_type};
use crate::startup::AppState;

page_type!(OfferPage, Offer);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OfferQuery {
    /// Serves this State: names it, one of its M49 areas or its regional group, or serves
    /// everywhere.
    ///
    /// A State: its ISO alpha-3 code, or a name (`Kenya`, `Côte d'Ivoire`, `DPR Korea`).
    #[param(value_type = Option<String>, example = "KEN")]
    pub state: Option<String>,
    /// Serves this regional group by name, or serves everywhere.
    ///
    /// A group: `african`, `asia_pacific`, `eastern_european`, `latin_american_and_caribbean`,
    /// `western_european_and_others`, or a label (`WEOG`, `GRULAC`, `EEG`, `Africa`, `Asia-Pacific`).
    #[param(value_type = Option<String>, example = "WEOG")]
    pub regional_group: Option<String>,
    /// Made by this stakeholder.
    #[param(value_type = Option<Uuid>)]
    pub stakeholder: Option<StakeholderId>,
    #[param(value_type = Option<ThemeCode>)]
    pub theme: Option<String>,
    #[param(value_type = Option<SdgTargetCode>)]
    pub sdg_target: Option<String>,
    #[param(value_type = Option<ModalityCode>)]
    pub modality: Option<String>,
    /// Gives help in this language.
    #[param(value_type = Option<LanguageCode>)]
    pub language: Option<String>,
    pub status: Option<OfferStatus>,
    pub peer_to_peer: Option<bool>,
    /// Full-text search over descriptions and capacities: every word must be found, in any of its forms (case, accents and endings do not matter; Chinese by pairs of characters), but for words too common to tell texts apart (`the`, `de`: stop words), which are not searched for; results are ranked, and paged through the first 1,000 (where more were found, the cursor past them is answered with a 400 `search_too_deep`: narrow the search, or export it).
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

impl OfferQuery {
    fn filter(&self, caller: Option<&Caller>) -> ApiResult<Filter> {
        let data = reference();
        let mut f = Filter::new(policy::access(caller));
        f.serves = state_param("state", &self.state)?;
        f.regional_group = regional_group_param("regional_group", &self.regional_group)?
            .map(|g| g.as_str().to_owned());
        f.stakeholder = self.stakeholder;
        f.theme = code_param("theme", &self.theme, |c| data.theme(c).is_some())?;
        f.sdg_target = code_param("sdg_target", &self.sdg_target, |c| {
            data.sdg_target(c).is_some()
        })?;
        f.modality = code_param("modality", &self.modality, |c| data.modality(c).is_some())?;
        f.language = language_param("language", &self.language)?;
        f.status = self.status;
        f.peer_to_peer = self.peer_to_peer;
        Ok(f)
    }
}

fn respond(o: Offer, status: StatusCode) -> CustomizeResponder<web::Json<Offer>> {
    let tag = format!("\"{}\"", o.stored.version);
    let location = format!("/api/v1/offers/{}", o.stored.id);
    let mut res = web::Json(o)
        .customize()
        .with_status(status)
        .insert_header(("ETag", tag));
    if status == StatusCode::CREATED {
        res = res.insert_header(("Location", location));
    }
    res
}

/// Offers this caller may see, filtered, in pages: every offer but drafts; a stakeholder also
/// its own drafts, `admin` all.
#[utoipa::path(
    tag = "offers",
    operation_id = "list_offers",
    params(OfferQuery, IfNoneMatch),
    responses((status = 200, description = "A page of offers; with `format=csv|ndjson` or `Accept: text/csv` or \
        `application/x-ndjson`, every matching offer, streamed",
        headers(
            ("Link" = String, description = "`<…>; rel=\"next\"`: the next page, when there is one"),
            ("ETag" = String, description = "Weak: of this page's body"),
            ("Content-Disposition" = String, description = "Of a file: `attachment`, and its name (`upr-tc-{list}-{date}.{csv|ndjson|xml}`)"),
        ),
        content(
            (OfferPage = "application/json"),
            (String = "text/csv"),
            (String = "application/x-ndjson"),
        )),
        (status = 304, description = "The page is unchanged since the ETag given"),
    )
)]
#[get("")]
pub async fn list_offers(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    query: crate::routes::query::Query<OfferQuery>,
) -> ApiResult<HttpResponse> {
    let filter = query.filter(identity.0.as_ref())?;
    let paging = export::Paging::of(
        &state,
        ("offers", &req),
        &query.q,
        (query.cursor.as_deref(), query.limit),
    )?
    .format(query.format);
    export::list_response::<Offer, _>(
        &state,
        &req,
        move |sql| filter.apply(sql),
        paging,
        export::as_stored(),
    )
    .await
}

/// Makes an offer: a contributor for its own organisation, a State as itself (peer to peer),
/// `admin` for the stakeholder it names.
#[utoipa::path(
    tag = "offers",
    operation_id = "create_offer",
    security(("bearer" = [])),
    request_body = OfferInput,
    responses((status = 201, description = "Made", body = Offer,
        headers(("Location" = String), ("ETag" = String))))
)]
#[post("")]
pub async fn create_offer(
    state: web::Data<AppState>,
    caller: Caller,
    body: crate::routes::body::Json<OfferInput>,
) -> ApiResult<impl Responder> {
    let (who, input) = (Principal::from(caller), body.into_inner());
    let o = with_db(&state, move |conn| {
        Ok(app::offers::make(conn, &who, input)?)
    })
    .await?;
    Ok(respond(o, StatusCode::CREATED))
}

/// One offer; a draft only for its stakeholder and `admin`.
#[utoipa::path(
    tag = "offers",
    operation_id = "get_offer",
    params(
        ("id" = Uuid, Path, description = "The offer's id"),
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "The offer", body = Offer, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the ETag given", headers(("ETag" = String))),
    )
)]
#[get("/{id}")]
pub async fn get_offer(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    id: web::Path<OfferId>,
) -> ApiResult<Either<impl Responder, HttpResponse>> {
    let (id, access) = (id.into_inner(), policy::access(identity.0.as_ref()));
    // The offer whole, kept while the data is unchanged; who sees it is decided for each
    // request, from the database where the offer alone does not say.
    let found = kept_by_id(
        &state,
        format!("offers\u{1}typed\u{1}{id}"),
        kept_size,
        move |conn| crate::db::documents::get::<Offer>(conn, id),
    )
    .await?;
    let o = match app::offers::shown(found.as_deref(), id, &access)? {
        Some(o) => o,
        None => {
            with_item_db(&state, move |conn| {
                Ok(app::offers::visible(conn, id, &access)?)
            })
            .await?
        }
    };
    if let Some(unchanged) = not_modified(&req, &format!("\"{}\"", o.stored.version)) {
        return Ok(Either::Right(unchanged));
    }
    Ok(Either::Left(respond(o, StatusCode::OK)))
}

async fn change(
    state: web::Data<AppState>,
    caller: Caller,
    id: OfferId,
    expected: Expected,
    edit: Edit<OfferInput>,
) -> ApiResult<impl Responder> {
    let who = Principal::from(caller);
    let o = with_db(&state, move |conn| {
        Ok(app::offers::change(conn, &who, id, edit, expected)?)
    })
    .await?;
    Ok(respond(o, StatusCode::OK))
}

item_edits! {
    tag = "offers", id = OfferId, id_doc = "The offer's id",
    input = OfferInput, output = Offer,
    /// Replaces an offer (its stakeholder, or `admin`); with `If-Match`, only if it is still
    /// that version.
    replace = replace_offer,
    /// Changes some fields of an offer with a JSON merge patch (RFC 7396).
    patch = patch_offer,
}

/// Deletes an offer (its stakeholder, or `admin`).
#[utoipa::path(
    tag = "offers",
    operation_id = "delete_offer",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The offer's id"),
        IfMatch,
    ),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/{id}")]
pub async fn delete_offer(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<OfferId>,
) -> ApiResult<HttpResponse> {
    let (id, expected, who) = (id.into_inner(), expected(&req)?, Principal::from(caller));
    with_db(&state, move |conn| {
        Ok(app::offers::delete(conn, &who, id, expected)?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
