//! Transactions, all through diesel's transaction manager, so that a statement which needs a
//! transaction of its own (diesel runs a multi-row insert on SQLite as one statement a row,
//! inside one) nests in ours as a savepoint.
//!
//! `write` runs a closure in a write transaction; `Tx` holds one open across many calls (bulk
//! imports), with savepoints inside; `read_snapshot` opens a read transaction that sees one
//! state of the database throughout. On PostgreSQL a write transaction takes the write lock
//! (`super::lock_writes`) first.

use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};

use super::DbConnection;
use super::sql::statements;

type Manager = <DbConnection as Connection>::TransactionManager;

/// Begins a transaction with its own opening statement (`BEGIN IMMEDIATE`, an isolation
/// level), so that diesel knows it is open.
fn begin_with(conn: &mut DbConnection, sqlite: &str, postgres: &str) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, sqlite),
        DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction_sql(c, postgres),
    }
}

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (so two writers queue on the
/// busy timeout instead of failing when a read lock is upgraded), an ordinary one holding the
/// write lock on PostgreSQL. Rolled back when `f` fails or panics.
pub fn write<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let began = {
        let _waiting = Waiting::new();
        Tx::begin(conn)
    };
    began?;
    inside(conn, f, |conn, succeeded| {
        if !succeeded {
            return Manager::rollback_transaction(conn);
        }
        commit(conn)
    })
}

/// The writes of one command ([`write`]: a State's consent, an edit) waiting in this process
/// for the write lock: a bulk upload's next batch lets them go first ([`Tx::begin_after_others`]).
static WRITERS_WAITING: AtomicUsize = AtomicUsize::new(0);

/// One command counted among [`WRITERS_WAITING`] while it lives: counted out however its wait
/// ends, a panic too, so that no upload's batch waits for a command that is gone.
struct Waiting;

impl Waiting {
    fn new() -> Self {
        WRITERS_WAITING.fetch_add(1, Ordering::SeqCst);
        Waiting
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        WRITERS_WAITING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How long a bulk upload's batch waits for the commands waiting before it, at most.
const LET_GO_FIRST: std::time::Duration = std::time::Duration::from_secs(1);

thread_local! {
    /// While the service's writes are refused for a full disk (`watch::storage_watched`): what
    /// `statements::wrote_since` compares with, read as the write transaction this thread
    /// runs began.
    static CHANGES_BEFORE: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
}

/// Commits the write transaction open on `conn`, with the mark of the keyed request it writes
/// for (`super::idempotency::marking`), and tells the watch (`super::watch`). A
/// commit that fails is rolled back by diesel's transaction manager; whether it failed or not,
/// what is kept of the data before is stale. A transaction whose version cannot be read is
/// rolled back and the error returned: it is not committed as if nothing had failed.
///
/// While writes are refused for a full disk, a commit of a transaction that changed something
/// tells the service its storage takes writes again (`watch::storage_taken`).
fn commit(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    let before = CHANGES_BEFORE.take();
    let asked = (|| {
        let wrote = match before {
            Some(before) => statements::wrote_since(conn, before)?,
            None => false,
        };
        // A keyed request's key is marked written with what it wrote, or not at all.
        super::idempotency::mark_written(conn)?;
        Ok((super::watch::leaving(conn)?, wrote))
    })();
    let (leaving, wrote) = match asked {
        Ok(asked) => asked,
        Err(e) => {
            let _ = Tx::rollback(conn);
            return Err(e);
        }
    };
    let committed = Manager::commit_transaction(conn);
    super::watch::wrote(leaving.filter(|_| committed.is_ok()));
    if wrote && committed.is_ok() {
        super::watch::storage_taken();
    }
    committed
}

/// Runs `f` in the transaction just begun (rolled back if `f` panics), then `end`, told whether
/// `f` succeeded, closes it.
fn inside<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    end: impl FnOnce(&mut DbConnection, bool) -> diesel::QueryResult<()>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let mut guard = Rollback(Some(conn));
    let result = f(guard.0.as_deref_mut().expect("connection"));
    let conn = guard.0.take().expect("connection");
    let ended = end(conn, result.is_ok());
    let value = result?;
    ended?;
    Ok(value)
}

/// A write transaction held open across many calls, for bulk imports, with savepoints inside
/// it so that a failing item (or batch) is undone alone (PostgreSQL would otherwise abort the
/// whole transaction at the first error). Savepoints nest: each `savepoint` is ended by one
/// `release` or `rollback_to`, innermost first.
pub struct Tx;

impl Tx {
    pub fn begin(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        begin_with(conn, statements::BEGIN_WRITE_SQLITE, statements::BEGIN)?;
        let began = super::lock_writes(conn).and_then(|()| {
            let before = super::watch::storage_watched()
                .then(|| statements::changes_so_far(conn))
                .transpose()?;
            CHANGES_BEFORE.set(before);
            Ok(())
        });
        if let Err(e) = began {
            let _ = Manager::rollback_transaction(conn);
            return Err(e);
        }
        Ok(())
    }

    /// [`Tx::begin`], once the commands of this process waiting for the write lock have had
    /// it (up to [`LET_GO_FIRST`]): a bulk upload writes batch after batch, and SQLite gives
    /// the lock to whichever writer asks first after a commit, which the upload's next batch
    /// would be as often as not (found by an audit: a State's withdrawal failed after its 5 s
    /// wait while a contributor's partial upload ran). PostgreSQL's lock queues its waiters.
    pub fn begin_after_others(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        let started = std::time::Instant::now();
        while WRITERS_WAITING.load(Ordering::SeqCst) > 0 && started.elapsed() < LET_GO_FIRST {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        Tx::begin(conn)
    }

    pub fn commit(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        commit(conn)
    }

    /// Rolls back the whole transaction, with whatever savepoints are still open inside it (an
    /// item that failed between `savepoint` and `release`): the write lock goes with it.
    pub fn rollback(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        CHANGES_BEFORE.set(None);
        while Manager::transaction_manager_status_mut(conn)
            .transaction_depth()?
            .is_some()
        {
            Manager::rollback_transaction(conn)?;
        }
        Ok(())
    }

    pub fn savepoint(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        Manager::begin_transaction(conn)
    }

    pub fn release(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        Manager::commit_transaction(conn)
    }

    pub fn rollback_to(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        Manager::rollback_transaction(conn)
    }
}

/// Runs `f` in a read transaction that sees one state of the database throughout: repeatable
/// read on PostgreSQL; on SQLite, in WAL mode, a deferred transaction sees the database as of
/// its first read. It writes nothing, so it ends the same way whatever `f` returned.
pub fn read_snapshot<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    begin_with(
        conn,
        statements::BEGIN_READ_SQLITE,
        statements::BEGIN_SNAPSHOT_POSTGRES,
    )?;
    // It wrote nothing: ending it either way changes nothing.
    inside(conn, f, |conn, _| Manager::rollback_transaction(conn))
}

/// Rolls back a transaction when the code inside it panics.
struct Rollback<'a>(Option<&'a mut DbConnection>);

impl Drop for Rollback<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            let _ = Manager::rollback_transaction(conn);
        }
    }
}
