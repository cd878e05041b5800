//! Liveness and readiness, for load balancers and orchestrators.

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Liveness {
    #[schema(example = "alive")]
    pub status: String,
    /// Version of the running service.
    #[schema(example = "0.1.0")]
    pub version: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: String,
    /// `sqlite` or `postgres`.
    #[schema(example = "sqlite")]
    pub database: String,
    /// `storage_full` from a write this instance made that was refused because the database's
    /// disk is full, until one that changes something commits (reads are still served: the
    /// service stays ready); else `accepted`.
    #[schema(example = "accepted")]
    pub writes: Writes,
}

/// Whether writes are taken.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Writes {
    Accepted,
    StorageFull,
}

/// The process answers.
#[utoipa::path(
    tag = "health",
    operation_id = "health_live",
    responses((status = 200, description = "The process is up", body = Liveness))
)]
#[get("/health/live")]
pub async fn live() -> web::Json<Liveness> {
    web::Json(Liveness {
        status: "alive".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// How long readiness waits for a connection: less than a probe's usual timeout, so that a
/// database that is down answers 503 rather than no answer (a request waits 10 s).
const READY_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The database is reachable and fully migrated; `writes` says whether writes are refused
/// because its disk is full.
///
/// When reads go to a replica (`DATABASE_READ_URL`), the replica too: one that has not replayed
/// the migrations yet cannot serve the lists.
#[utoipa::path(
    tag = "health",
    operation_id = "health_ready",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "The database is unreachable or not fully migrated",
         body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> ApiResult<web::Json<Readiness>> {
    let migrated = {
        // One look at a time, and a database seen ready taken as ready for a second: health
        // checks are not rate limited, and a flood of them would otherwise take the pool's
        // connections from the requests waiting their turn for one. A database not ready is
        // looked at again by the next check, so that readiness is told as soon as it comes.
        let Ok(mut last) = tokio::time::timeout(READY_WAIT, state.readiness.0.lock()).await else {
            return Err(ApiError::Unavailable(
                "Another readiness check has been looking at the database for too long; retry \
                 after the time `Retry-After` gives."
                    .into(),
            ));
        };
        match *last {
            Some(at) if at.elapsed() < READY_KEPT => true,
            _ => {
                let migrated = look(&state).await?;
                *last = migrated.then(std::time::Instant::now);
                migrated
            }
        }
    };
    if !migrated {
        return Err(ApiError::Unavailable(
            "The database has migrations this binary has not applied yet: run `upr-tc migrate`."
                .into(),
        ));
    }
    Ok(web::Json(Readiness {
        status: "ready".into(),
        database: state.backend.into(),
        writes: if state.watch.storage_full() {
            Writes::StorageFull
        } else {
            Writes::Accepted
        },
    }))
}

/// How long a database seen ready is taken as ready by `/health/ready`.
const READY_KEPT: std::time::Duration = std::time::Duration::from_secs(1);

/// When the database was last seen ready, if it was at the last look.
#[derive(Default)]
pub struct LastLook(tokio::sync::Mutex<Option<std::time::Instant>>);

/// Whether the database (and a replica, when reads go to one) is reachable and migrated.
async fn look(state: &AppState) -> Result<bool, ApiError> {
    let (pool, replica) = (state.pool.clone(), state.read.replica);
    let read = state.read.pool.clone();
    web::block(move || -> Result<bool, ApiError> {
        let unavailable = |e: anyhow::Error| ApiError::Unavailable(e.to_string());
        let migrated = pool
            .get_timeout(READY_WAIT)?
            .is_migrated()
            .map_err(unavailable)?;
        if !migrated || !replica {
            return Ok(migrated);
        }
        read.get_timeout(READY_WAIT)?
            .is_migrated_read_only()
            .map_err(unavailable)
    })
    .await?
}
