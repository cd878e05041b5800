//! Matches, ranked and explained (issue 11): `GET /assistance-requests/{id}/matches` (offers),
//! `GET /offers/{id}/matches` (open requests), `GET /recommendations/{id}/potential-partners`
//! (stakeholders). Each item has its score, whether it can serve at all, and the factors of
//! the score (`domain::matching`). Pages follow one ranking: those that can serve first, then
//! by score, then by id.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::support::IfNoneMatch;
use crate::app::Result as AppResult;
use crate::app::matching::{self, OfferCache, OfferMatch, Page, Window};
use crate::app::policy;
use crate::auth::Identity;
use crate::db::DbConnection;
use crate::db::sql::search::Position;
use crate::domain::assistance_request::AssistanceRequest;
use crate::domain::matching::{Factor, Score};
use crate::domain::offer::Offer;
use crate::domain::publication::Access;
use crate::domain::stakeholder::{Stakeholder, StakeholderKind};
use crate::domain::{AssistanceRequestId, OfferId, RecommendationId};
use crate::error::{ApiError, ApiResult};
use crate::routes::export::kept_ranking;
use crate::routes::page_type;
use crate::routes::stakeholders::for_caller;
use crate::routes::support::{decode_cursor, encode_cursor, limit, page};
use crate::startup::AppState;

/// How matches are asked for.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MatchQuery {
    /// Only matches scoring at least this (0 to 1).
    #[param(minimum = 0, maximum = 1)]
    pub min_score: Option<f64>,
    /// Only stakeholders of this kind.
    pub stakeholder_kind: Option<StakeholderKind>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{22}$")]
    pub cursor: Option<String>,
}

/// How the requests an offer could answer are asked for.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestMatchQuery {
    /// Only matches scoring at least this (0 to 1).
    #[param(minimum = 0, maximum = 1)]
    pub min_score: Option<f64>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{22}$")]
    pub cursor: Option<String>,
}

/// An open request an offer could answer, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestMatch {
    /// From 0 to 1; every request the offer can serve scores at least 0.2, every other less.
    pub score: f64,
    pub can_serve: bool,
    /// The factors of the score; their contributions sum to it.
    pub explanation: Vec<Factor>,
    pub request: AssistanceRequest,
}

/// A stakeholder that could help implement a recommendation, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerMatch {
    /// From 0 to 1; every stakeholder that can serve scores at least 0.2, every other less.
    pub score: f64,
    pub can_serve: bool,
    /// The factors of the score; their contributions sum to it.
    pub explanation: Vec<Factor>,
    pub stakeholder: Stakeholder,
    /// Its open offer that fits best; `null` when it has none: it is then ranked on its
    /// profile (expertise, languages, regions served) and its track record.
    pub offer: Option<Offer>,
}

page_type!(OfferMatchPage, OfferMatch);
page_type!(RequestMatchPage, RequestMatch);
page_type!(PartnerMatchPage, PartnerMatch);

fn min_score(value: Option<f64>) -> ApiResult<f64> {
    match value {
        None => Ok(0.0),
        Some(v) if (0.0..=1.0).contains(&v) => Ok(v),
        Some(_) => Err(ApiError::invalid_parameter(
            "min_score",
            "must be from 0 to 1",
        )),
    }
}

/// What every match list is asked: a lowest score, a cursor, a page size.
struct Paging<'a> {
    min_score: Option<f64>,
    cursor: Option<&'a str>,
    limit: Option<i64>,
}

impl MatchQuery {
    fn paging(&self) -> Paging<'_> {
        Paging {
            min_score: self.min_score,
            cursor: self.cursor.as_deref(),
            limit: self.limit,
        }
    }
}

impl RequestMatchQuery {
    fn paging(&self) -> Paging<'_> {
        Paging {
            min_score: self.min_score,
            cursor: self.cursor.as_deref(),
            limit: self.limit,
        }
    }
}

/// Which part of a ranking is asked for: those scoring at least `min_score`, from the
/// rank a cursor of these matches gave (the first without one), at most `limit`.
/// A cursor names the ranking it pages through (`scope`, made by [`ranking_of`]): another
/// ranking's, of another item, another kind or another lowest score, is a 400 rather than read
/// as a rank of this one.
fn window(state: &AppState, scope: &str, asked: &Paging) -> ApiResult<Window> {
    let start = match decode_cursor(state, scope, asked.cursor)? {
        Position::Start => 0,
        Position::Offset(n) => n,
        Position::After(_) | Position::Ranked { .. } => {
            return Err(ApiError::invalid_parameter(
                "cursor",
                "is not a cursor of these matches",
            ));
        }
    };
    Ok(Window {
        min_score: min_score(asked.min_score)?,
        start: usize::try_from(start).unwrap_or(usize::MAX),
        limit: usize::try_from(limit(asked.limit)?).unwrap_or(0),
    })
}

/// The name of the ranking `what` of one item and what it is asked, which its cursors carry
/// (`support::list_scope`).
fn ranking_of(what: &str, id: &impl std::fmt::Display, req: &HttpRequest) -> String {
    crate::routes::support::list_scope(&format!("{what} {id}"), req)
}

/// One page of a ranking: its items, and the cursor of the next.
fn respond<T, I: Serialize>(
    state: &AppState,
    scope: &str,
    found: Page<T>,
    item: impl Fn(Score, T) -> I,
    make_page: impl FnOnce(Vec<I>, Option<String>) -> ApiResult<HttpResponse>,
) -> ApiResult<HttpResponse> {
    let next = found
        .next
        .and_then(|n| encode_cursor(state, scope, Position::Offset(i64::try_from(n).ok()?)));
    let items = found
        .items
        .into_iter()
        .map(|r| item(r.score, r.item))
        .collect();
    make_page(items, next)
}

/// A ranking for the caller: with what it may see, as of today, on one connection, under a
/// permit of the rankings (a ranking reads and scores every candidate: only so many at once).
/// `asked` is everything else that chose it (what is ranked, the window, the filters): a page
/// asked again of unchanged data, with the same access on the same day, is given as ranked
/// (`app::kept`), without a permit, so that a caller asking for it in a loop keeps no ranking
/// busy.
async fn ranking<T: Clone + Send + Sync + 'static>(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    identity: &Identity,
    asked: String,
    rank: impl FnOnce(&mut DbConnection, &OfferCache, &Access, NaiveDate) -> AppResult<Page<T>>
    + Send
    + 'static,
) -> ApiResult<Page<T>> {
    let access = policy::access(identity.0.as_ref());
    let today = Utc::now().date_naive();
    let key = format!("{asked}\u{1}{access:?}\u{1}{today}");
    let cache = state.offers.clone();
    let page = kept_ranking(
        state,
        req,
        key,
        // What a ranked item holds, about: its document and its explanation.
        |page: &Page<T>| RANKED_ITEM * page.items.len().max(1),
        move |conn| Ok(rank(conn, &cache, &access, today)?),
    )
    .await?;
    Ok((*page).clone())
}

/// About how many bytes one ranked item holds, for what is kept of rankings.
const RANKED_ITEM: usize = 8 * 1024;

/// The offers that fit an assistance request, best first. Open offers the caller may see
/// take part (public ones for public callers); a request's State also sees the matches of
/// its own drafts.
#[utoipa::path(
    tag = "assistance-requests",
    operation_id = "list_assistance_request_matches",
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        MatchQuery,
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "A page of offers, ranked and explained", body = OfferMatchPage,
            headers(
                ("Link" = String, description = "`<…>; rel=\"next\"`: the next page, when there is one"),
                ("ETag" = String, description = "Weak: of this page's body"),
            )),
        (status = 304, description = "The page is unchanged since the ETag given"),
    )
)]
#[get("/{id}/matches")]
pub async fn list_assistance_request_matches(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    id: web::Path<AssistanceRequestId>,
    query: crate::routes::query::Query<MatchQuery>,
) -> ApiResult<HttpResponse> {
    let scope = ranking_of("matches of request", &id, &req);
    let window = window(&state, &scope, &query.paging())?;
    let asked = (id.into_inner(), query.stakeholder_kind);
    let key = format!("{scope}\u{1}{window:?}\u{1}{asked:?}");
    let found = ranking(
        &state,
        &req,
        &identity,
        key,
        move |conn, cache, access, today| {
            matching::for_request(conn, cache, access, asked, window, today)
        },
    )
    .await?;
    respond(
        &state,
        &scope,
        found,
        OfferMatch::from,
        |items, next_cursor| {
            let body = OfferMatchPage { items, next_cursor };
            let next = body.next_cursor.clone();
            Ok(page(&req, body, next.as_deref()))
        },
    )
}

/// The open requests an offer could answer, best first. Requests the caller may see take
/// part; the offer's stakeholder also sees the matches of its own drafts.
#[utoipa::path(
    tag = "offers",
    operation_id = "list_offer_matches",
    params(
        ("id" = Uuid, Path, description = "The offer's id"),
        RequestMatchQuery,
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "A page of open requests, ranked and explained", body = RequestMatchPage,
            headers(
                ("Link" = String, description = "`<…>; rel=\"next\"`: the next page, when there is one"),
                ("ETag" = String, description = "Weak: of this page's body"),
            )),
        (status = 304, description = "The page is unchanged since the ETag given"),
    )
)]
#[get("/{id}/matches")]
pub async fn list_offer_matches(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    id: web::Path<OfferId>,
    query: crate::routes::query::Query<RequestMatchQuery>,
) -> ApiResult<HttpResponse> {
    let scope = ranking_of("matches of offer", &id, &req);
    let window = window(&state, &scope, &query.paging())?;
    let id = id.into_inner();
    let key = format!("{scope}\u{1}{window:?}");
    let found = ranking(
        &state,
        &req,
        &identity,
        key,
        move |conn, _, access, today| matching::for_offer(conn, access, id, window, today),
    )
    .await?;
    respond(
        &state,
        &scope,
        found,
        |score, request| RequestMatch {
            score: score.score,
            can_serve: score.can_serve,
            explanation: score.explanation,
            request,
        },
        |items, next_cursor| {
            let body = RequestMatchPage { items, next_cursor };
            let next = body.next_cursor.clone();
            Ok(page(&req, body, next.as_deref()))
        },
    )
}

/// The stakeholders that could help implement a recommendation, best first: each by its open
/// offer that fits best (among those the caller may see), or by its profile and its track
/// record (public activities on the recommendation's themes, in the region, good practices)
/// when it has none.
#[utoipa::path(
    tag = "recommendations",
    operation_id = "list_potential_partners",
    params(
        ("id" = Uuid, Path, description = "The recommendation's id"),
        MatchQuery,
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "A page of stakeholders, ranked and explained", body = PartnerMatchPage,
            headers(
                ("Link" = String, description = "`<…>; rel=\"next\"`: the next page, when there is one"),
                ("ETag" = String, description = "Weak: of this page's body"),
            )),
        (status = 304, description = "The page is unchanged since the ETag given"),
    )
)]
#[get("/{id}/potential-partners")]
pub async fn list_potential_partners(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    id: web::Path<RecommendationId>,
    query: crate::routes::query::Query<MatchQuery>,
) -> ApiResult<HttpResponse> {
    let scope = ranking_of("potential partners of", &id, &req);
    let window = window(&state, &scope, &query.paging())?;
    let asked = (id.into_inner(), query.stakeholder_kind);
    let key = format!("{scope}\u{1}{window:?}\u{1}{asked:?}");
    let found = ranking(
        &state,
        &req,
        &identity,
        key,
        move |conn, cache, access, today| {
            matching::partners(conn, cache, access, asked, window, today)
        },
    )
    .await?;
    let caller = identity.0;
    respond(
        &state,
        &scope,
        found,
        |score, partner| PartnerMatch {
            score: score.score,
            can_serve: score.can_serve,
            explanation: score.explanation,
            stakeholder: for_caller(partner.stakeholder, caller.as_ref()),
            offer: partner.offer,
        },
        |items, next_cursor| {
            let body = PartnerMatchPage { items, next_cursor };
            let next = body.next_cursor.clone();
            Ok(page(&req, body, next.as_deref()))
        },
    )
}
