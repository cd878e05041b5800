//! `GET /api/v1/audit`: the audit trail of every write (`admin`).

use actix_web::{HttpRequest, get, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::support::IfNoneMatch;
use crate::app::policy;
use crate::auth::Caller;
use crate::db::audit::{self, AuditEntry, Filter};
use crate::error::{ApiError, ApiResult};
use crate::routes::page_type;
use crate::routes::support::{decode_cursor, encode_cursor, limit, page, with_db};
use crate::startup::AppState;

page_type!(AuditPage, AuditEntry);

/// The kinds of item the trail records.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditEntity {
    Recommendation,
    Stakeholder,
    Activity,
    Consent,
    AssistanceRequest,
    Offer,
    Interest,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    #[param(inline)]
    pub entity: Option<AuditEntity>,
    /// One item's history.
    pub entity_id: Option<Uuid>,
    /// What one token subject did.
    #[param(max_length = 500, pattern = "^[^\\u0000]*$")]
    pub actor: Option<String>,
    /// Entries at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this time.
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{22}$")]
    pub cursor: Option<String>,
}

/// The audit trail, oldest first: who changed what, when, and how (`admin`).
#[utoipa::path(
    tag = "audit",
    operation_id = "list_audit_entries",
    security(("bearer" = [])),
    params(
        AuditQuery,
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "A page of the trail", body = AuditPage, headers(
            ("Link" = String, description = "`<…>; rel=\"next\"`: the next page, when there is one"),
            ("ETag" = String, description = "Weak: of this page's body"),
        )),
        (status = 304, description = "The page is unchanged since the ETag given"),
    )
)]
#[get("/audit")]
pub async fn list_audit_entries(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: crate::routes::query::Query<AuditQuery>,
) -> ApiResult<actix_web::HttpResponse> {
    policy::may_read_audit(&caller)?;
    let query = query.into_inner();
    if let Some(actor) = &query.actor
        && (actor.chars().count() > 500 || actor.contains('\0'))
    {
        return Err(ApiError::invalid_parameter(
            "actor",
            "must be at most 500 characters, without NUL",
        ));
    }
    let limit = limit(query.limit)?;
    let filter = Filter {
        entity: query.entity.map(|e| match e {
            AuditEntity::Recommendation => "recommendation".to_owned(),
            AuditEntity::Stakeholder => "stakeholder".to_owned(),
            AuditEntity::Activity => "activity".to_owned(),
            AuditEntity::Consent => "consent".to_owned(),
            AuditEntity::AssistanceRequest => "assistance_request".to_owned(),
            AuditEntity::Offer => "offer".to_owned(),
            AuditEntity::Interest => "interest".to_owned(),
        }),
        entity_id: query.entity_id.map(|id| id.to_string()),
        actor: query.actor,
        from: query.from,
        to: query.to,
    };
    // A cursor names the list and its filters (`support::decode_cursor`).
    let scope = crate::routes::support::list_scope("audit", &req);
    let position = decode_cursor(&state, &scope, query.cursor.as_deref())?;
    let (items, next) = with_db(&state, move |conn| {
        Ok(audit::list(conn, &filter, position, limit)?)
    })
    .await?;
    let next_cursor = next.and_then(|p| encode_cursor(&state, &scope, p));
    let link = next_cursor.clone();
    Ok(page(
        &req,
        AuditPage { items, next_cursor },
        link.as_deref(),
    ))
}
