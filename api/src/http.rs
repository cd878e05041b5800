//! What the HTTP layer shares below the routes, for handlers and middlewares alike: running
//! database work off the async workers.

use actix_web::web;

use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::startup::AppState;

/// Runs database work on the blocking pool with a pooled connection.
pub async fn with_db<T: Send + 'static>(
    state: &web::Data<AppState>,
    f: impl FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}
