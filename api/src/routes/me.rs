//! The caller's own identity, as the service understands its token.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::domain::{CountryCode, StakeholderId};

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The token's subject.
    #[schema(example = "focal-point@mfa.go.ke")]
    pub subject: String,
    pub role: Role,
    /// For role `state`: the State the caller speaks for (ISO alpha-3).
    #[schema(value_type = Option<String>, example = "KEN")]
    pub state: Option<CountryCode>,
    /// For role `contributor`: the caller's organisation.
    #[schema(value_type = Option<Uuid>)]
    pub stakeholder: Option<StakeholderId>,
    pub issuer: String,
    pub expires_at: DateTime<Utc>,
}

/// Who the bearer token says the caller is.
#[utoipa::path(
    tag = "identity",
    operation_id = "get_me",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller's identity", body = Me))
)]
#[get("/me")]
pub async fn get_me(caller: Caller) -> web::Json<Me> {
    web::Json(Me {
        subject: caller.subject,
        role: caller.role,
        state: caller.state,
        stakeholder: caller.stakeholder,
        issuer: caller.issuer,
        expires_at: caller.expires_at,
    })
}
