//! Matches, ranked and explained (issue 11): `GET /assistance-requests/{id}/matches` (offers),
//! `GET /offers/{id}/matches` (open requests), `GET /recommendations/{id}/potential-partners`
//! (stakeholders). Each item has its score, whether it can serve at all, and the factors of
//! the score (`domain::matching`). Pages follow one ranking: those that can serve first, then
//! by score, then by id.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::support::IfNoneMatch;
use crate::app::matching::{self, OfferMatch, Ranked};
use crate::app::policy;
use crate::auth::Identity;
use crate::db::sql::search::Position;
use crate::domain::assistance_request::AssistanceRequest;
use crate::domain::matching::{Factor, Score};
use crate::domain::offer::Offer;
use crate::domain::stakeholder::{Stakeholder, StakeholderKind};
use crate::domain::{AssistanceRequestId, OfferId, RecommendationId};
use crate::error::{ApiError, ApiResult};
use crate::routes::export::search_permit;
use crate::routes::page_type;
use crate::routes::stakeholders::for_caller;
use crate::routes::support::{decode_cursor, encode_cursor, limit, page, with_db};
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

/// Where a page starts: the first, or the rank a cursor of these matches gave.
fn offset(state: &AppState, cursor: Option<&str>) -> ApiResult<i64> {
    match decode_cursor(state, cursor)? {
        Position::Start => Ok(0),
        Position::Offset(n) => Ok(n),
        Position::After(_) => Err(ApiError::invalid_parameter(
            "cursor",
            "is not a cursor of these matches",
        )),
    }
}

/// One page of a ranking: its items, and the cursor of the next.
fn respond<T, I: Serialize>(
    state: &AppState,
    ranked: Vec<Ranked<T>>,
    (min, start, limit): (f64, i64, i64),
    item: impl Fn(Score, T) -> I,
    make_page: impl FnOnce(Vec<I>, Option<String>) -> ApiResult<HttpResponse>,
) -> ApiResult<HttpResponse> {
    let kept: Vec<Ranked<T>> = ranked
        .into_iter()
        .filter(|r| r.score.score >= min)
        .collect();
    let total = kept.len() as i64;
    let end = (start + limit).min(total);
    let next = (end < total)
        .then(|| encode_cursor(state, Position::Offset(end)))
        .flatten();
    let items = kept
        .into_iter()
        .skip(usize::try_from(start).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|r| item(r.score, r.item))
        .collect();
    make_page(items, next)
}

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
    query: web::Query<MatchQuery>,
) -> ApiResult<HttpResponse> {
    let paging = (
        min_score(query.min_score)?,
        offset(&state, query.cursor.as_deref())?,
        limit(query.limit)?,
    );
    let (id, kind) = (id.into_inner(), query.stakeholder_kind);
    let access = policy::access(identity.0.as_ref());
    let today = Utc::now().date_naive();
    // A ranking reads and scores every candidate on one connection: only so many at once.
    let _permit = search_permit(&state)?;
    let ranked = with_db(&state, move |conn| {
        Ok(matching::for_request(conn, &access, id, kind, today)?)
    })
    .await?;
    respond(
        &state,
        ranked,
        paging,
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
    query: web::Query<RequestMatchQuery>,
) -> ApiResult<HttpResponse> {
    let paging = (
        min_score(query.min_score)?,
        offset(&state, query.cursor.as_deref())?,
        limit(query.limit)?,
    );
    let id = id.into_inner();
    let access = policy::access(identity.0.as_ref());
    let today = Utc::now().date_naive();
    // A ranking reads and scores every candidate on one connection: only so many at once.
    let _permit = search_permit(&state)?;
    let ranked = with_db(&state, move |conn| {
        Ok(matching::for_offer(conn, &access, id, today)?)
    })
    .await?;
    respond(
        &state,
        ranked,
        paging,
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
    query: web::Query<MatchQuery>,
) -> ApiResult<HttpResponse> {
    let paging = (
        min_score(query.min_score)?,
        offset(&state, query.cursor.as_deref())?,
        limit(query.limit)?,
    );
    let (id, kind) = (id.into_inner(), query.stakeholder_kind);
    let caller = identity.0;
    let access = policy::access(caller.as_ref());
    let today = Utc::now().date_naive();
    // A ranking reads and scores every candidate on one connection: only so many at once.
    let _permit = search_permit(&state)?;
    let ranked = with_db(&state, move |conn| {
        Ok(matching::partners(conn, &access, id, kind, today)?)
    })
    .await?;
    respond(
        &state,
        ranked,
        paging,
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
