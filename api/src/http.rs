//! What the HTTP layer shares below the routes, for handlers and middlewares alike: running
//! database work off the async workers.

use actix_web::web;
use tokio::sync::OwnedSemaphorePermit;

use crate::db::{DbConnection, Plans};
use crate::error::ApiResult;
use crate::startup::AppState;

/// Runs database work on the blocking pool with a pooled connection. Requests queue for a
/// connection here, in order of arrival (`AppState::connections`, as many permits as the pool
/// has connections), not inside the pool, whose waiters are woken in no order: under load a
/// request waits its turn rather than for as long as others keep overtaking it. One that waits
/// longer than the pool's checkout timeout is a 503, as a checkout that times out is.
pub async fn with_db<T: Send + 'static>(
    state: &web::Data<AppState>,
    f: impl FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    run(state, &state.pool, &state.connections, Plans::Auto, f).await
}

/// Runs the read of one item by its key (a lookup by primary key and what the item itself
/// names): on SQLite, on the calling async worker when a connection is free at once, as a
/// handful of index lookups in the process's own file costs less than handing the work to the
/// blocking pool and back (two thread switches); else, and always on PostgreSQL, whose every
/// statement is a round trip that may wait on the network, as [`with_db`]. A panic there is a
/// 500, as on the blocking pool, not a lost worker.
pub async fn with_item_db<T: Send + 'static>(
    state: &web::Data<AppState>,
    f: impl FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    if state.backend == "sqlite"
        && let Ok(permit) = state.connections.clone().try_acquire_owned()
    {
        if let Some(mut conn) = state.pool.try_get() {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                crate::db::watch::writing_for(&state.watch, || f(&mut conn))
            }));
            drop(conn);
            drop(permit);
            return out.unwrap_or_else(|_| {
                Err(crate::error::ApiError::internal(anyhow::anyhow!(
                    "a read by id panicked"
                )))
            });
        }
        drop(permit);
    }
    with_db(state, f).await
}

/// Runs read-only work that may see the data a moment late (lists, searches, exports, the
/// change feed) on the read replica when there is one (`DATABASE_READ_URL`), else as
/// [`with_db`]. A write, and a read that a write depends on (`If-Match`), never comes here.
pub async fn with_read_db<T: Send + 'static>(
    state: &web::Data<AppState>,
    f: impl FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    run(
        state,
        &state.read.pool,
        &state.read.connections,
        Plans::Generic,
        f,
    )
    .await
}

/// A connection of the read pool (`AppState::read`) taken now, when one is free and another
/// stays free beside it: for work nobody waits on yet (pages read ahead), which neither waits
/// for a connection nor takes the last one from the requests that come.
pub fn spare_read_connection(state: &AppState) -> Option<OwnedSemaphorePermit> {
    let connections = &state.read.connections;
    if connections.available_permits() < 2 {
        return None;
    }
    connections.clone().try_acquire_owned().ok()
}

/// Runs read-only work as [`with_read_db`], on the connection `permit` holds
/// ([`spare_read_connection`]).
pub async fn with_read_db_on<T: Send + 'static>(
    state: &web::Data<AppState>,
    permit: OwnedSemaphorePermit,
    f: impl FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    run_on(state, &state.read.pool, permit, Plans::Generic, f).await
}

/// A connection of `pool`, waiting for one up to `db::CHECKOUT_TIMEOUT`, a second at a time;
/// but when a second has passed and the pool has not one connection open (the database refused
/// its tries to open one: it is down, or refuses connections), a 503 at once: every request
/// would otherwise wait out the whole timeout, holding its client, before the same 503. A pool
/// that has none open for a moment (its idle connections closed, a connection being opened)
/// opens one well within the second.
fn checkout(pool: &crate::db::Pool) -> ApiResult<crate::db::PooledConnection> {
    let deadline = std::time::Instant::now() + crate::db::CHECKOUT_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match pool.get_timeout(left.min(std::time::Duration::from_secs(1))) {
            Ok(conn) => return Ok(conn),
            Err(e) if left <= std::time::Duration::from_secs(1) => return Err(e.into()),
            Err(_) if pool.state().connections == 0 => {
                return Err(crate::error::no_connection(
                    &"not one connection of the pool is open: the database refused the tries to \
                      open one",
                ));
            }
            Err(_) => {}
        }
    }
}

async fn run<T: Send + 'static>(
    state: &AppState,
    pool: &crate::db::Pool,
    connections: &std::sync::Arc<tokio::sync::Semaphore>,
    plans: Plans,
    f: impl FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let waiting = crate::metrics::Waiting::new(&state.metrics.waiting);
    let permit = tokio::time::timeout(
        crate::db::CHECKOUT_TIMEOUT,
        connections.clone().acquire_owned(),
    )
    .await
    .map_err(|_| crate::error::no_connection(&"no connection came free in time"))?
    .map_err(crate::error::ApiError::internal)?;
    drop(waiting);
    run_on(state, pool, permit, plans, f).await
}

/// Runs `f` on the blocking pool with a connection of `pool`, which `permit` holds for it,
/// planning its statements as `plans` says (`db::Plans`: generic plans for reads).
async fn run_on<T: Send + 'static>(
    state: &AppState,
    pool: &crate::db::Pool,
    permit: OwnedSemaphorePermit,
    plans: Plans,
    f: impl FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let (pool, watch) = (pool.clone(), state.watch.clone());
    let marking = crate::idempotency::marking();
    web::block(move || {
        let _permit = permit;
        let mut conn = checkout(&pool)?;
        conn.plan(plans)?;
        // The commits are this service's (`db::watch`), and those of a keyed request mark its
        // key written.
        crate::db::idempotency::marking(marking, || {
            crate::db::watch::writing_for(&watch, || f(&mut conn))
        })
    })
    .await?
}
