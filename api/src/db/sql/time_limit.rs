//! A time limit on the statements of a ranked search, on both engines. PostgreSQL has its own
//! (`statement_timeout`); SQLite has none, so a ranked search's statement there calls
//! `upr_tc_in_time()` on one row in 64 it reads (`db::sql::search`), which fails once the
//! limit set for the thread running the statement has passed, ending the statement with
//! PostgreSQL's words for it (`error::ApiError` maps both to the same 503).

use std::cell::Cell;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Bool;
use diesel::sqlite::Sqlite;

use crate::db::DbConnection;

/// What a statement cut short by its limit fails with, on either engine.
pub const TIMED_OUT: &str = "canceling statement due to statement timeout";

thread_local! {
    /// When the statements this thread runs must end by (SQLite).
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

diesel::define_sql_function! {
    /// Whether the statement calling it is within its time; an error once it is not.
    fn upr_tc_in_time() -> Bool;
}

/// The answer of `upr_tc_in_time()`: true, or the error that ends the statement.
#[derive(Debug)]
struct InTime(bool);

impl ToSql<Bool, Sqlite> for InTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        if self.0 {
            <bool as ToSql<Bool, Sqlite>>::to_sql(&true, out)
        } else {
            Err(TIMED_OUT.into())
        }
    }
}

/// Gives a SQLite connection `upr_tc_in_time()`.
pub fn register(conn: &mut diesel::SqliteConnection) -> diesel::QueryResult<()> {
    upr_tc_in_time_utils::register_nondeterministic_impl(conn, || {
        InTime(DEADLINE.with(Cell::get).is_none_or(|d| Instant::now() < d))
    })
}

/// Runs `f` with each of its statements limited to `limit` (on SQLite, those that call
/// `upr_tc_in_time()`, all of them together), then lifts the limit.
pub fn with_time_limit<T>(
    conn: &mut DbConnection,
    limit: Duration,
    f: impl FnOnce(&mut DbConnection) -> diesel::QueryResult<T>,
) -> diesel::QueryResult<T> {
    match conn {
        DbConnection::Postgres(_) => {
            conn.batch_execute(&format!("SET statement_timeout = {}", limit.as_millis()))?;
            let out = f(conn);
            let reset = conn.batch_execute("RESET statement_timeout");
            let out = out?;
            reset?;
            Ok(out)
        }
        DbConnection::Sqlite(_) => {
            /// Lifts the limit however `f` ends, a panic included.
            struct Lift;
            impl Drop for Lift {
                fn drop(&mut self) {
                    DEADLINE.with(|d| d.set(None));
                }
            }
            let _lift = Lift;
            DEADLINE.with(|d| d.set(Some(Instant::now() + limit)));
            f(conn)
        }
    }
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::*;

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    /// A statement that calls the function on each row runs to its end within its time, and
    /// fails with the timeout's words past it; without a limit it always runs.
    #[test]
    fn a_sqlite_statement_past_its_time_fails_as_postgres_says() {
        let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
        register(&mut conn).unwrap();
        let mut conn = DbConnection::Sqlite(conn);
        let count = |conn: &mut DbConnection, rows: i64| {
            diesel::sql_query(format!(
                "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {rows}) \
                 SELECT count(*) AS n FROM s WHERE upr_tc_in_time()"
            ))
            .get_result::<Count>(conn)
            .map(|c| c.n)
        };
        assert_eq!(count(&mut conn, 1_000).unwrap(), 1_000);
        let quick = with_time_limit(&mut conn, Duration::from_secs(60), |c| count(c, 1_000));
        assert_eq!(quick.unwrap(), 1_000);
        let slow = with_time_limit(&mut conn, Duration::ZERO, |c| count(c, 1_000));
        let err = slow.unwrap_err().to_string();
        assert!(err.contains(TIMED_OUT), "{err}");
        // The limit is lifted afterwards.
        assert_eq!(count(&mut conn, 10).unwrap(), 10);
    }
}
