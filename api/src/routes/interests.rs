//! `/api/v1/assistance-requests/{id}/interests`: from match to activity. A provider expresses
//! interest in an open request, citing its open offer; the request's State (or `admin`)
//! accepts one (the request is then matched, and the other pending interests declined) or
//! declines it; the provider withdraws a pending one; an accepted one becomes an activity.
//!
//! Interests are never public, and not in the change feed nor the snapshot: every route takes
//! a token (anonymous callers are answered 401). The request's State and `admin` see all of a
//! request's interests, a provider its own; a caller who does not see the request is answered
//! 404, and a list holds only what the caller sees (empty for anyone else).

use actix_web::http::StatusCode;
use actix_web::{CustomizeResponder, Either, HttpRequest, HttpResponse, Responder, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::support::{IfMatch, IfNoneMatch};
use crate::app::{self, Principal};
use crate::auth::Caller;
use crate::domain::interest::{Interest, InterestInput};
use crate::domain::{AssistanceRequestId, InterestId};
use crate::error::ApiResult;
use crate::routes::page_type;
use crate::routes::support::{
    decode_cursor, encode_cursor, etag, expected, limit, not_modified, page, with_db,
};
use crate::startup::AppState;

page_type!(InterestPage, Interest);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InterestQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{22}$")]
    pub cursor: Option<String>,
}

fn respond(i: Interest, status: StatusCode) -> CustomizeResponder<web::Json<Interest>> {
    let location = format!(
        "/api/v1/assistance-requests/{}/interests/{}",
        i.assistance_request, i.stored.id
    );
    let tag = etag(i.stored.version);
    let mut res = web::Json(i)
        .customize()
        .with_status(status)
        .insert_header(("ETag", tag));
    if status == StatusCode::CREATED {
        res = res.insert_header(("Location", location));
    }
    res
}

/// Expresses interest in an assistance request, citing an offer: its provider (the
/// organisation's contributor, the State whose own stakeholder makes it) or `admin`. The
/// request must be open (409 otherwise); the offer open, serving the request's State, and not
/// that State's own (422 naming `/offer` otherwise, as for an offer the caller does not see or
/// that does not exist); one interest per request and offer (409).
#[utoipa::path(
    tag = "interests",
    operation_id = "create_interest",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The request's id")),
    request_body = InterestInput,
    responses(
        (status = 201, description = "Expressed: pending the State's answer", body = Interest,
            headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "The request is not open, or an interest cites this \
            offer in this request already", body = crate::error::Problem,
            content_type = "application/problem+json"),
    )
)]
#[post("/{id}/interests")]
pub async fn create_interest(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<AssistanceRequestId>,
    body: crate::routes::body::Json<InterestInput>,
) -> ApiResult<impl Responder> {
    let (who, id, input) = (Principal::from(caller), id.into_inner(), body.into_inner());
    let i = with_db(&state, move |conn| {
        Ok(app::interests::express(conn, &who, id, input)?)
    })
    .await?;
    Ok(respond(i, StatusCode::CREATED))
}

/// The interests in an assistance request that the caller sees, oldest first: all of them for
/// the request's State and `admin`, its own for a provider, none for anyone else (an empty
/// page). A request the caller does not see is not found.
#[utoipa::path(
    tag = "interests",
    operation_id = "list_interests",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        InterestQuery,
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "A page of interests", body = InterestPage, headers(
            ("Link" = String, description = "`<…>; rel=\"next\"`: the next page, when there is one"),
            ("ETag" = String, description = "Weak: of this page's body"),
        )),
        (status = 304, description = "The page is unchanged since the ETag given"),
    )
)]
#[get("/{id}/interests")]
pub async fn list_interests(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<AssistanceRequestId>,
    query: crate::routes::query::Query<InterestQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let (who, id) = (Principal::from(caller), id.into_inner());
    // A cursor names the list: the interests of one request (`support::list_scope`).
    let scope = crate::routes::support::list_scope(&format!("interests of {id}"), &req);
    let position = decode_cursor(&state, &scope, query.cursor.as_deref())?;
    let limit = limit(query.limit)?;
    let (items, next) = with_db(&state, move |conn| {
        Ok(app::interests::list(conn, &who, id, position, limit)?)
    })
    .await?;
    let next_cursor = next.and_then(|p| encode_cursor(&state, &scope, p));
    let link = next_cursor.clone();
    Ok(page(
        &req,
        InterestPage { items, next_cursor },
        link.as_deref(),
    ))
}

/// One interest in an assistance request: for the request's State, its provider and `admin`.
#[utoipa::path(
    tag = "interests",
    operation_id = "get_interest",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        ("interest_id" = Uuid, Path, description = "The interest's id"),
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "The interest", body = Interest, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the ETag given", headers(("ETag" = String))),
    )
)]
#[get("/{id}/interests/{interest_id}")]
pub async fn get_interest(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(AssistanceRequestId, InterestId)>,
) -> ApiResult<Either<impl Responder, HttpResponse>> {
    let ((request, id), who) = (path.into_inner(), Principal::from(caller));
    let i = with_db(&state, move |conn| {
        Ok(app::interests::visible(conn, &who, request, id)?)
    })
    .await?;
    if let Some(unchanged) = not_modified(&req, &etag(i.stored.version)) {
        return Ok(Either::Right(unchanged));
    }
    Ok(Either::Left(respond(i, StatusCode::OK)))
}

/// What a decision on an interest is.
enum Decision {
    Accept,
    Decline,
    Withdraw,
}

async fn decide(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(AssistanceRequestId, InterestId)>,
    decision: Decision,
) -> ApiResult<impl Responder> {
    let ((request, id), who) = (path.into_inner(), Principal::from(caller));
    let expected = expected(&req)?;
    let i = with_db(&state, move |conn| {
        Ok(match decision {
            Decision::Accept => app::interests::accept(conn, &who, request, id, expected)?,
            Decision::Decline => app::interests::decline(conn, &who, request, id, expected)?,
            Decision::Withdraw => app::interests::withdraw(conn, &who, request, id, expected)?,
        })
    })
    .await?;
    Ok(respond(i, StatusCode::OK))
}

/// Accepts a pending interest (the request's State, or `admin`): the request becomes
/// `matched`, and every other pending interest in it is declined. With `If-Match`, only if
/// the interest is still that version.
#[utoipa::path(
    tag = "interests",
    operation_id = "accept_interest",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        ("interest_id" = Uuid, Path, description = "The interest's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "Accepted", body = Interest, headers(("ETag" = String))),
        (status = 409, description = "The interest is not pending, the request is not open or \
            has an accepted interest, or the offer is no longer open",
            body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/interests/{interest_id}/accept")]
pub async fn accept_interest(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(AssistanceRequestId, InterestId)>,
) -> ApiResult<impl Responder> {
    decide(state, caller, req, path, Decision::Accept).await
}

/// Declines a pending interest (the request's State, or `admin`). With `If-Match`, only if it
/// is still that version.
#[utoipa::path(
    tag = "interests",
    operation_id = "decline_interest",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        ("interest_id" = Uuid, Path, description = "The interest's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "Declined", body = Interest, headers(("ETag" = String))),
        (status = 409, description = "The interest is not pending",
            body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/interests/{interest_id}/decline")]
pub async fn decline_interest(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(AssistanceRequestId, InterestId)>,
) -> ApiResult<impl Responder> {
    decide(state, caller, req, path, Decision::Decline).await
}

/// Withdraws a pending interest (its provider, or `admin`). With `If-Match`, only if it is
/// still that version.
#[utoipa::path(
    tag = "interests",
    operation_id = "withdraw_interest",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        ("interest_id" = Uuid, Path, description = "The interest's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "Withdrawn", body = Interest, headers(("ETag" = String))),
        (status = 409, description = "The interest is not pending",
            body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/interests/{interest_id}/withdraw")]
pub async fn withdraw_interest(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(AssistanceRequestId, InterestId)>,
) -> ApiResult<impl Responder> {
    decide(state, caller, req, path, Decision::Withdraw).await
}

/// Makes the activity of an accepted interest (its provider, the request's State, or
/// `admin`): a draft in the pipeline, submitted and implemented by the provider, concerning
/// the request's State, for its recommendations, themes and SDG targets, in the first of its
/// modalities the offer offers, titled and summarised from its description, naming the
/// request and the offer (`assistance_request`, `offer`). Only the provider and `admin` see
/// the draft; the provider completes and submits it. The interest records it (`activity`).
#[utoipa::path(
    tag = "interests",
    operation_id = "create_activity_from_interest",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        ("interest_id" = Uuid, Path, description = "The interest's id"),
    ),
    responses(
        (status = 201, description = "Made", body = crate::domain::activity::Activity,
            headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "The interest is not accepted, or an activity was made \
            from it already (the problem names it)",
            body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The activity the match makes is not valid as it stands \
            (e.g. one of the request's recommendations is gone)",
            body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/interests/{interest_id}/activity")]
pub async fn create_activity_from_interest(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(AssistanceRequestId, InterestId)>,
) -> ApiResult<impl Responder> {
    let ((request, id), who) = (path.into_inner(), Principal::from(caller));
    let (activity, _) = with_db(&state, move |conn| {
        Ok(app::interests::make_activity(conn, &who, request, id)?)
    })
    .await?;
    Ok(super::activities::respond(activity, StatusCode::CREATED))
}
