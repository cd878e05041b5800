//! Statements that are not queries, which the DSL has no words for: connection settings,
//! the opening of transactions with a mode, the write lock, and a time limit on one search.
//! None is built from anything but the constants and numbers here.

use std::time::Duration;

use diesel::connection::SimpleConnection;

use crate::db::DbConnection;

/// Opens a write transaction on SQLite: `IMMEDIATE` takes the write lock at once, so two
/// writers queue on the busy timeout instead of failing when one upgrades a read lock.
pub const BEGIN_WRITE_SQLITE: &str = "BEGIN IMMEDIATE";

/// Opens an ordinary transaction (PostgreSQL's writes; the write lock follows).
pub const BEGIN: &str = "BEGIN";

/// Opens a read transaction on SQLite: in WAL mode it sees the database as of its first read.
pub const BEGIN_READ_SQLITE: &str = "BEGIN DEFERRED";

/// Opens a read transaction on PostgreSQL that sees one state of the database throughout.
pub const BEGIN_SNAPSHOT_POSTGRES: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// Checks that a pooled connection has no transaction left open: `BEGIN` fails inside one on
/// SQLite; on PostgreSQL it only warns, and the `ROLLBACK` ends the one left open. On SQLite
/// two statements prepared once (at every checkout: parsing them each time cost more than
/// running them); on PostgreSQL one round trip.
pub fn check_no_transaction(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            use diesel::RunQueryDsl;
            diesel::sql_query(BEGIN).execute(c)?;
            diesel::sql_query("ROLLBACK").execute(c).map(drop)
        }
        DbConnection::Postgres(_) => conn.batch_execute("BEGIN; ROLLBACK;"),
    }
}

/// Takes PostgreSQL's transaction-scoped advisory lock that serialises writers
/// (`crate::db::lock_writes`): one fixed statement, which the DSL could spell only with a
/// declaration of the function of its own.
pub fn lock_writes_postgres(conn: &mut diesel::PgConnection) -> diesel::QueryResult<()> {
    conn.batch_execute("SELECT pg_advisory_xact_lock(5428, 1)")
}

/// Runs `f` holding PostgreSQL's session-level advisory lock for migrations: instances started
/// side by side on one database apply the pending migrations one after the other (the second
/// finds none left), instead of racing to create the same tables.
pub fn with_migration_lock<T>(
    conn: &mut diesel::PgConnection,
    f: impl FnOnce(&mut diesel::PgConnection) -> T,
) -> diesel::QueryResult<T> {
    conn.batch_execute("SELECT pg_advisory_lock(5428, 2)")?;
    let out = f(conn);
    conn.batch_execute("SELECT pg_advisory_unlock(5428, 2)")?;
    Ok(out)
}

/// The versions of the migrations applied, read from diesel's own table (which the shared
/// schema does not declare); none when the table is not there yet.
pub fn applied_migrations(conn: &mut DbConnection) -> diesel::QueryResult<Vec<String>> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Applied {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    match diesel::sql_query("SELECT version FROM __diesel_schema_migrations").load::<Applied>(conn)
    {
        Ok(rows) => Ok(rows.into_iter().map(|r| r.version).collect()),
        Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("__diesel_schema_migrations") =>
        {
            Ok(vec![])
        }
        Err(e) => Err(e),
    }
}

/// The settings of a new PostgreSQL connection: its name (so another instance can tell a live
/// process's claims from a dead one's) and how long a writer waits for a lock.
pub fn configure_postgres(
    conn: &mut diesel::PgConnection,
    application_name: &str,
    lock_timeout: Duration,
) -> diesel::QueryResult<()> {
    // The name is this service's prefix and a hexadecimal process id: nothing to quote.
    debug_assert!(
        application_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'))
    );
    conn.batch_execute(&format!(
        "SET application_name = '{application_name}'; SET lock_timeout = {};",
        lock_timeout.as_millis().max(1)
    ))
}

/// How PostgreSQL plans the statements a connection has prepared (`db::Plans`): `Generic`
/// plans each once for any values, `Auto` is PostgreSQL's own choice (a plan for the values of
/// each run whenever the generic plan looks dearer).
pub fn set_plan_cache_mode(
    conn: &mut diesel::PgConnection,
    plans: crate::db::Plans,
) -> diesel::QueryResult<()> {
    conn.batch_execute(match plans {
        crate::db::Plans::Generic => "SET plan_cache_mode = force_generic_plan",
        crate::db::Plans::Auto => "SET plan_cache_mode = auto",
    })
}

/// The plan cache mode a PostgreSQL connection is in (`auto`, `force_generic_plan`, …).
pub fn plan_cache_mode(conn: &mut diesel::PgConnection) -> diesel::QueryResult<String> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Mode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        plan_cache_mode: String,
    }
    let q = diesel::sql_query("SHOW plan_cache_mode");
    Ok(q.get_result::<Mode>(conn)?.plan_cache_mode)
}

/// How much of a SQLite database file each connection reads through a memory map rather than
/// by a `pread` into its own page cache (2 MB): SQLite's own ceiling on 64-bit builds. A list
/// reads rows all over a file far larger than that cache, and each read was a system call and a
/// copy; mapped, the pages are the kernel's page cache itself, shared by every connection and
/// given back under memory pressure. They count in the process's resident size (as file pages,
/// not its own memory: docs/benchmarks.md). Writes still go through SQLite's own I/O.
pub const SQLITE_MAP_SIZE: u64 = 0x7fff_0000;

/// What SQLite keeps of its write-ahead log once a checkpoint has copied it into the database:
/// a large import grows the log to hundreds of megabytes, which stayed on disk until the
/// service restarted; now it is cut back to this at the next checkpoint that empties it.
pub const SQLITE_WAL_KEPT: u64 = 64 * 1024 * 1024;

/// The settings of a new SQLite connection: it reads up to `map_size` bytes of its file
/// through a memory map (0: none). `busy_timeout` first: switching to WAL takes a lock that
/// another connection may hold.
pub fn configure_sqlite(
    conn: &mut diesel::SqliteConnection,
    lock_timeout: Duration,
    map_size: u64,
) -> diesel::QueryResult<()> {
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {};
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA journal_size_limit = {SQLITE_WAL_KEPT};
         PRAGMA mmap_size = {map_size};",
        lock_timeout.as_millis().max(1),
    ))?;
    super::time_limit::register(conn)
}

/// Runs `f` with no lock timeout on PostgreSQL (a migration waits for the locks it needs,
/// however long readers hold them), then puts the connection's own timeout back.
pub fn without_lock_timeout<T>(
    conn: &mut diesel::PgConnection,
    f: impl FnOnce(&mut diesel::PgConnection) -> T,
) -> diesel::QueryResult<T> {
    conn.batch_execute(
        "SELECT set_config('upr_tc.lock_timeout', current_setting('lock_timeout'), false);
         SET lock_timeout = 0;",
    )?;
    let out = f(conn);
    conn.batch_execute(
        "SELECT set_config('lock_timeout', current_setting('upr_tc.lock_timeout'), false)",
    )?;
    Ok(out)
}

/// Deletes the running claims of idempotency keys whose process has no connection left: a
/// query over PostgreSQL's own `pg_stat_activity`, which the shared schema does not declare.
/// Each connection names its process in `application_name` (`configure_postgres`), and a
/// claim names its process before a `:` (`crate::db::idempotency`). The claims of such
/// processes' requests that wrote are given up instead (their answers lost). Every key's when
/// a service starts (`only` is `None`); one caller's key (`caller`, `key`) while the claim
/// `owner` made is still there, when its retry finds it running. Returns how many went.
pub fn clear_dead_claims_postgres(
    conn: &mut diesel::PgConnection,
    only: Option<((&str, &str), &str)>,
) -> diesel::QueryResult<usize> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::{Integer, Nullable, Text};
    const DEAD: &str = "claimed_by IS NOT NULL AND split_part(claimed_by, ':', 1) NOT IN \
         (SELECT substr(application_name, $1) FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name LIKE $2) \
         AND ($3::text IS NULL OR (caller = $3 AND key = $4 AND claimed_by = $5))";
    let ((caller, key), owner) = only.map_or(((None, None), None), |((c, k), o)| {
        ((Some(c), Some(k)), Some(o))
    });
    let run = |conn: &mut diesel::PgConnection, sql: String| {
        diesel::sql_query(sql)
            .bind::<Integer, _>(crate::db::APPLICATION_NAME.len() as i32 + 1)
            .bind::<Text, _>(format!("{}%", crate::db::APPLICATION_NAME))
            .bind::<Nullable<Text>, _>(caller)
            .bind::<Nullable<Text>, _>(key)
            .bind::<Nullable<Text>, _>(owner)
            .execute(conn)
    };
    // A claim of no process (its request failed after it wrote) is one only a start clears.
    let freed = run(
        conn,
        format!(
            "DELETE FROM idempotency_keys WHERE body_hash IS NULL AND status IS NULL \
             AND (({DEAD}) OR ($3::text IS NULL AND claimed_by IS NULL))"
        ),
    )?;
    let lost = run(
        conn,
        format!(
            "UPDATE idempotency_keys SET claimed_by = NULL WHERE body_hash IS NOT NULL \
             AND status IS NULL AND {DEAD}"
        ),
    )?;
    Ok(freed + lost)
}

/// Marks when the row `seq` of `table`, which a write now shows, was first shown
/// (`Table::first_shown`): with the time of that write (its `updated_at`) if it was never
/// shown before. Written once: a later write leaves the mark as it is.
pub fn stamp(
    conn: &mut DbConnection,
    table: &crate::db::table::Table,
    seq: i64,
) -> diesel::QueryResult<()> {
    let Some(column) = table.first_shown else {
        return Ok(());
    };
    let mut sql = super::Sql::new(
        conn,
        &format!(
            "UPDATE {} SET {column} = updated_at WHERE {column} IS NULL AND seq = ",
            table.table
        ),
    );
    sql.int(seq);
    super::execute(conn, &sql).map(drop)
}

/// Compacts the change feed between positions `after` and `upto` (`db::changes::compact`):
/// removes each change there that a later change of the same item supersedes, for both feeds
/// (a later change of any kind, and, when the change is one the public feed carries, a later
/// one it carries too); then every change up to `upto` of an item whose last change, between
/// the two positions, deleted it. Returns how many were removed.
pub fn compact_changes(
    conn: &mut DbConnection,
    after: i64,
    upto: i64,
) -> diesel::QueryResult<usize> {
    const SAME: &str = "l.entity = changes.entity AND l.entity_id = changes.entity_id";
    // The creations the audit trail reads from an item's first change (`db::audit`) get their
    // item written in first, for each item whose first change may go: one whose first change
    // is here with a later change after it, or one deleted here (every change of it goes).
    let mut written_in = super::Sql::new(
        conn,
        &format!(
            "UPDATE audit_log SET changes = '{{\"after\":' || (SELECT {} FROM changes c \
             WHERE c.entity = audit_log.entity AND c.entity_id = audit_log.entity_id \
             ORDER BY c.seq LIMIT 1) || '}}' \
             WHERE changes IS NULL AND operation = 'create' \
             AND (entity, entity_id) IN (SELECT m.entity, m.entity_id FROM changes m \
             WHERE m.seq > ",
            super::feed::item_of_change()
        ),
    );
    written_in.int(after).push(" AND m.seq <= ").int(upto).push(
        " AND (m.op = 'delete' OR (\
         NOT EXISTS (SELECT 1 FROM changes e WHERE e.entity = m.entity \
         AND e.entity_id = m.entity_id AND e.seq < m.seq) \
         AND EXISTS (SELECT 1 FROM changes l WHERE l.entity = m.entity \
         AND l.entity_id = m.entity_id AND l.seq > m.seq))))",
    );
    super::execute(conn, &written_in)?;
    let mut superseded = super::Sql::new(conn, "DELETE FROM changes WHERE seq > ");
    superseded.int(after).push(" AND seq <= ").int(upto);
    superseded.push(&format!(
        " AND EXISTS (SELECT 1 FROM changes l WHERE {SAME} AND l.seq > changes.seq) \
         AND (changes.public_op IS NULL OR EXISTS (SELECT 1 FROM changes l WHERE {SAME} \
         AND l.seq > changes.seq AND l.public_op IS NOT NULL))"
    ));
    let mut deleted = super::Sql::new(conn, "DELETE FROM changes WHERE seq <= ");
    deleted
        .int(upto)
        .push(
            " AND (entity, entity_id) IN (SELECT l.entity, l.entity_id FROM changes l \
               WHERE l.op = 'delete' AND l.seq > ",
        )
        .int(after)
        .push(" AND l.seq <= ")
        .int(upto)
        .push(
            " AND NOT EXISTS (SELECT 1 FROM changes m WHERE m.entity = l.entity \
             AND m.entity_id = l.entity_id AND m.seq > l.seq))",
        );
    Ok(super::execute(conn, &superseded)? + super::execute(conn, &deleted)?)
}

/// Puts a SQLite connection in the mode of a bulk load of a new database, or back (`upr-tc
/// seed`). While it
/// loads, pages go straight to the file (`journal_mode = MEMORY`, no fsync), not through the
/// write-ahead log and then to the file: half the writes. Its page cache is large enough for
/// the indexes a load goes through (SQLite's default is 2 MB). What is stored is the same;
/// a load cut short (the process killed, the machine down) may leave a file to delete. When
/// another connection has the database open, the journal stays as it is (WAL).
pub fn sqlite_loading_mode(
    conn: &mut diesel::SqliteConnection,
    loading: bool,
) -> diesel::QueryResult<()> {
    if loading {
        // `journal_mode` is refused (the answer stays `wal`) while other connections use
        // the database.
        conn.batch_execute(
            "PRAGMA cache_size = -262144; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY;
             PRAGMA journal_mode = MEMORY;",
        )
    } else {
        conn.batch_execute(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -2000;",
        )
    }
}

/// [`checkpoint_whole`], waiting at most `wait` for the write lock and for readers (it holds
/// writers back while it runs), then with the connection's own busy timeout back. A
/// checkpoint that finds them busy gives up: then the pages the log still holds (SQLite's
/// pages, of 4 KiB); `None` when it was emptied, or on PostgreSQL.
pub fn checkpoint_within(
    conn: &mut DbConnection,
    wait: Duration,
) -> diesel::QueryResult<Option<i64>> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::{BigInt, Integer};
    #[derive(diesel::QueryableByName)]
    struct Busy {
        #[diesel(sql_type = Integer)]
        timeout: i32,
    }
    #[derive(diesel::QueryableByName)]
    struct Checkpoint {
        #[diesel(sql_type = Integer)]
        busy: i32,
        #[diesel(sql_type = BigInt)]
        log: i64,
    }
    let DbConnection::Sqlite(c) = conn else {
        return Ok(None);
    };
    let own = diesel::sql_query("PRAGMA busy_timeout")
        .get_result::<Busy>(c)?
        .timeout;
    c.batch_execute(&format!("PRAGMA busy_timeout = {}", wait.as_millis()))?;
    let done = diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").get_result::<Checkpoint>(c);
    c.batch_execute(&format!("PRAGMA busy_timeout = {own}"))?;
    let done = done?;
    Ok((done.busy != 0).then_some(done.log))
}

/// Copies the whole of SQLite's write-ahead log into the database and empties it, waiting
/// for readers (up to the connection's busy timeout): the file alone then holds every
/// committed write. Nothing to do on PostgreSQL.
pub fn checkpoint_whole(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => c.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);"),
        DbConnection::Postgres(_) => Ok(()),
    }
}

/// What moves whenever the data does (`db::watch`): the audit trail's head, which every write
/// through the service moves; the change feed's head, which the publication rule's
/// re-evaluation at an upgrade moves; the versions of that rule and of the text analysis,
/// which an upgraded instance raises when it has computed verdicts and search terms again; and
/// the feed's floor, which a compaction moves (a page of the feed read before it is not the
/// feed after it). One statement, one round trip, on both engines.
pub fn data_version(conn: &mut DbConnection) -> diesel::QueryResult<[i64; 5]> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::BigInt;
    #[derive(diesel::QueryableByName)]
    struct Version {
        #[diesel(sql_type = BigInt)]
        audit: i64,
        #[diesel(sql_type = BigInt)]
        changes: i64,
        #[diesel(sql_type = BigInt)]
        rule: i64,
        #[diesel(sql_type = BigInt)]
        analysis: i64,
        #[diesel(sql_type = BigInt)]
        floor: i64,
    }
    let v: Version = diesel::sql_query(
        "SELECT (SELECT COALESCE(MAX(seq), 0) FROM audit_log) AS audit, \
         (SELECT COALESCE(MAX(seq), 0) FROM changes) AS changes, \
         CAST(rule_version AS BIGINT) AS rule, CAST(analysis_version AS BIGINT) AS analysis, \
         feed_floor AS floor FROM instance",
    )
    .get_result(conn)?;
    Ok([v.audit, v.changes, v.rule, v.analysis, v.floor])
}

/// How many rows the connection changed so far (SQLite; 0 on PostgreSQL, which needs no such
/// count): what [`wrote_since`] compares with.
pub fn changes_so_far(conn: &mut DbConnection) -> diesel::QueryResult<i64> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Changes {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    match conn {
        DbConnection::Sqlite(_) => Ok(diesel::sql_query("SELECT total_changes() AS n")
            .get_result::<Changes>(conn)?
            .n),
        DbConnection::Postgres(_) => Ok(0),
    }
}

/// Whether the open write transaction changed anything: on SQLite, whether the connection has
/// changed rows since [`changes_so_far`] read `before`; on PostgreSQL, whether the transaction
/// was given an id, which it is at its first write.
pub fn wrote_since(conn: &mut DbConnection, before: i64) -> diesel::QueryResult<bool> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Wrote {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        wrote: bool,
    }
    let sql = match conn {
        DbConnection::Sqlite(_) => format!("SELECT total_changes() > {before} AS wrote"),
        DbConnection::Postgres(_) => {
            "SELECT txid_current_if_assigned() IS NOT NULL AS wrote".to_owned()
        }
    };
    Ok(diesel::sql_query(sql).get_result::<Wrote>(conn)?.wrote)
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Integer;

    #[derive(QueryableByName)]
    struct Used {
        #[diesel(sql_type = Integer)]
        used: i32,
    }

    #[derive(QueryableByName)]
    struct MapSize {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        mmap_size: i64,
    }

    /// The version watch's read (`watch`), blocked by a migration's lock, gives up before PostgreSQL would
    /// look for a deadlock, so that a migration beside a serving instance is never aborted to
    /// break one with it. SQLite has nothing to show: its readers never wait for a writer.
    #[test]
    fn a_read_blocked_by_a_migration_gives_up_before_a_deadlock_is_looked_for() {
        use diesel::connection::SimpleConnection;
        use std::time::{Duration, Instant};

        use crate::config::DatabaseUrl;
        use crate::db::{Connecting, watch};
        let url = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => DatabaseUrl::parse(&url).unwrap(),
            _ => return,
        };
        let pool = crate::db::connect(&url, 2).unwrap();
        let mut ddl = pool.get().unwrap();
        ddl.migrate().unwrap();
        let mut read = crate::db::open(&url, watch::reading(Connecting::default())).unwrap();
        #[derive(diesel::QueryableByName)]
        struct Millis {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            ms: i64,
        }
        let deadlock_timeout: Millis = RunQueryDsl::get_result(
            diesel::sql_query(
                "SELECT CAST(EXTRACT(EPOCH FROM CAST(current_setting('deadlock_timeout') \
                 AS interval)) * 1000 AS BIGINT) AS ms",
            ),
            &mut read,
        )
        .unwrap();
        let deadlock_timeout = u64::try_from(deadlock_timeout.ms).unwrap();
        ddl.batch_execute("BEGIN; LOCK TABLE instance IN ACCESS EXCLUSIVE MODE")
            .unwrap();
        let started = Instant::now();
        let result = super::data_version(&mut read);
        let waited = started.elapsed();
        ddl.batch_execute("ROLLBACK").unwrap();
        let error = result.expect_err("the read waits for the lock, then gives up");
        assert!(error.to_string().contains("lock timeout"), "{error}");
        assert!(
            waited < Duration::from_millis(deadlock_timeout),
            "waited {waited:?}, PostgreSQL looks for deadlocks after {deadlock_timeout} ms"
        );
        // Once the lock is gone, the same connection reads again.
        super::data_version(&mut read).expect("the version reads");
    }

    /// A connection reads its database file through a memory map as large as it is told
    /// (by default the whole of the file, up to SQLite's ceiling), or through its small page
    /// cache alone when told 0.
    #[test]
    fn sqlite_reads_its_file_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mapped.db");
        for map in [super::SQLITE_MAP_SIZE, 0, 64 << 20] {
            let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
            super::configure_sqlite(&mut conn, std::time::Duration::from_secs(1), map).unwrap();
            let q = diesel::sql_query("PRAGMA mmap_size");
            let size = q.get_result::<MapSize>(&mut conn).unwrap().mmap_size;
            assert_eq!(size as u64, map);
        }
    }

    /// The write-ahead log is emptied when no reader holds it; one a reader holds, the
    /// checkpoint gives up within its wait and says how much the log still holds.
    #[test]
    fn a_checkpoint_within_a_wait_empties_the_log_or_says_it_could_not() {
        use diesel::connection::SimpleConnection;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.db");
        let open = || {
            let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
            super::configure_sqlite(&mut conn, std::time::Duration::from_secs(5), 0).unwrap();
            conn
        };
        let mut conn = crate::db::DbConnection::Sqlite(open());
        let write = |conn: &mut crate::db::DbConnection| {
            conn.batch_execute(
                "CREATE TABLE IF NOT EXISTS t (x); INSERT INTO t VALUES (randomblob(100000));",
            )
            .unwrap()
        };
        let wal = || std::fs::metadata(dir.path().join("log.db-wal")).map_or(0, |m| m.len());
        let wait = std::time::Duration::from_millis(100);
        write(&mut conn);
        assert!(wal() > 0);
        assert_eq!(super::checkpoint_within(&mut conn, wait).unwrap(), None);
        assert_eq!(wal(), 0);
        // A reader that began after a write holds the log.
        write(&mut conn);
        let mut reader = open();
        reader
            .batch_execute("BEGIN; SELECT count(*) FROM t;")
            .unwrap();
        write(&mut conn);
        let held = super::checkpoint_within(&mut conn, wait).unwrap();
        assert!(held.is_some_and(|pages| pages > 0), "{held:?}");
        reader.batch_execute("COMMIT").unwrap();
        assert_eq!(super::checkpoint_within(&mut conn, wait).unwrap(), None);
        // Its own busy timeout is back.
        #[derive(diesel::QueryableByName)]
        struct Busy {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            timeout: i32,
        }
        let crate::db::DbConnection::Sqlite(c) = &mut conn else {
            unreachable!()
        };
        let q = diesel::sql_query("PRAGMA busy_timeout");
        assert_eq!(q.get_result::<Busy>(c).unwrap().timeout, 5000);
    }

    /// The SQLite this is built with plans a statement once, whatever is bound to it
    /// (`.cargo/config.toml`): else a statement with a `LIMIT ?` is prepared again at every run.
    #[test]
    fn sqlite_keeps_its_plans() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let q = diesel::sql_query("SELECT sqlite_compileoption_used('ENABLE_QPSG') AS used");
        assert_eq!(q.get_result::<Used>(&mut conn).unwrap().used, 1);
    }

    /// A migrated SQLite database in a directory of its own, and a connection to it.
    fn migrated() -> (
        tempfile::TempDir,
        crate::config::DatabaseUrl,
        crate::db::PooledConnection,
    ) {
        let (dir, url) = crate::db::watch::tests::sqlite();
        let pool = crate::db::connect(&url, 1).unwrap();
        let mut conn = pool.get().unwrap();
        conn.migrate().unwrap();
        (dir, url, conn)
    }

    /// A write whose data version cannot be read before its commit (`watch::leaving`) is rolled
    /// back and fails: on PostgreSQL the failed statement aborts the transaction, whose
    /// `COMMIT` would roll it back without an error. Here (SQLite) the version's table is
    /// renamed inside the transaction.
    #[test]
    fn a_write_whose_version_cannot_be_read_is_not_committed() {
        use crate::db::watch::{Watch, Writes, writing_for};
        use diesel::connection::SimpleConnection;
        let (_dir, url, mut conn) = migrated();
        let watch = Watch::start(url, crate::db::Connecting::default(), Writes::OfThisProcess);
        let written = writing_for(&watch, || {
            crate::db::tx::write(&mut conn, |c| {
                crate::db::watch::tests::record(c)?;
                c.batch_execute("ALTER TABLE instance RENAME TO instance_gone")
            })
        });
        assert!(written.is_err(), "the commit fails");
        // Rolled back whole: the table is back, and the audit trail has no entry.
        let version = super::data_version(&mut conn).expect("the version reads again");
        assert_eq!(version[0], 0, "no audit entry");
    }

    /// A compaction moves the data's version, though it adds no change: a page of the feed
    /// read before it is not the feed after it (`routes::changes`, pages read ahead).
    #[test]
    fn the_feed_floor_moves_the_data_version() {
        use diesel::connection::SimpleConnection;
        let (_dir, _url, mut conn) = migrated();
        let before = super::data_version(&mut conn).unwrap();
        conn.batch_execute("UPDATE instance SET feed_floor = 7")
            .unwrap();
        let after = super::data_version(&mut conn).unwrap();
        assert_ne!(before, after);
    }
}
