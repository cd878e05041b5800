//! Write transactions: `write` runs a closure in one; `Tx` holds one open across many calls
//! (bulk imports). On PostgreSQL both take the write lock (`super::lock_writes`) first.

use diesel::connection::SimpleConnection;

use super::DbConnection;

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (so two writers queue on the
/// busy timeout instead of failing when a read lock is upgraded), an ordinary one on
/// PostgreSQL. Rolled back when `f` fails.
pub fn write<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::Connection;
    match conn {
        DbConnection::Sqlite(_) => {
            conn.batch_execute("BEGIN IMMEDIATE")?;
            let mut guard = Rollback(Some(conn));
            let result = f(guard.0.as_deref_mut().expect("connection"));
            let conn = guard.0.take().expect("connection");
            match result {
                Ok(value) => {
                    if let Err(e) = conn.batch_execute("COMMIT") {
                        let _ = conn.batch_execute("ROLLBACK");
                        return Err(e.into());
                    }
                    Ok(value)
                }
                Err(e) => {
                    conn.batch_execute("ROLLBACK")?;
                    Err(e)
                }
            }
        }
        DbConnection::Postgres(_) => conn.transaction(|c| {
            super::lock_writes(c)?;
            f(c)
        }),
    }
}

/// Transactions held open across many calls, for bulk imports: `BEGIN IMMEDIATE` on SQLite,
/// and one savepoint per item so a failing item is undone alone (PostgreSQL would otherwise
/// abort the whole transaction at the first error).
pub struct Tx;

impl Tx {
    pub fn begin(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        match conn {
            DbConnection::Sqlite(_) => conn.batch_execute("BEGIN IMMEDIATE"),
            DbConnection::Postgres(_) => {
                conn.batch_execute("BEGIN")?;
                super::lock_writes(conn)
            }
        }
    }

    pub fn commit(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        conn.batch_execute("COMMIT")
    }

    pub fn rollback(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        conn.batch_execute("ROLLBACK")
    }

    pub fn savepoint(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        conn.batch_execute("SAVEPOINT item")
    }

    pub fn release(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        conn.batch_execute("RELEASE SAVEPOINT item")
    }

    pub fn rollback_to(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        conn.batch_execute("ROLLBACK TO SAVEPOINT item; RELEASE SAVEPOINT item")
    }

    pub fn savepoint_batch(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        conn.batch_execute("SAVEPOINT batch")
    }

    pub fn release_batch(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        conn.batch_execute("RELEASE SAVEPOINT batch")
    }

    pub fn rollback_batch(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        conn.batch_execute("ROLLBACK TO SAVEPOINT batch; RELEASE SAVEPOINT batch")
    }
}

/// Rolls back a manual SQLite transaction when the code inside it panics.
struct Rollback<'a>(Option<&'a mut DbConnection>);

impl Drop for Rollback<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            let _ = conn.batch_execute("ROLLBACK");
        }
    }
}
