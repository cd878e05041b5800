//! The database: one connection type over SQLite and PostgreSQL, a pool, and migrations.
//!
//! Queries are written once against [`DbConnection`] (diesel's `MultiConnection`); the few that
//! need backend-specific SQL `match` on the variant. The variant is chosen from the URL scheme
//! and connected directly, so a user sees PostgreSQL's or SQLite's own error, not a generic one.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::{DatabaseUrl, redact};
use crate::domain::analysis::ANALYSIS_VERSION;

pub mod activities;
pub mod assistance_requests;
pub mod audit;
pub mod batch;
pub mod changes;
pub mod consents;
pub mod documents;
pub mod facet_codes;
pub mod idempotency;
pub mod interests;
pub mod offers;
pub mod recommendations;
pub mod schema;
pub mod serving;
pub mod sql;
pub mod stakeholders;
pub mod stored;
pub mod table;
pub mod time;
pub mod tx;
pub mod watch;

pub use sql::search::Position;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// Serialises write transactions on PostgreSQL: taken first in every one (`tx::write`,
/// `tx::Tx::begin`) and held until it ends. So the change feed is numbered in commit
/// order (a sequence number is taken before commit, and transactions running side by side
/// would commit out of order; a reader would skip the later-committing lower number), and a
/// verdict of the publication rule is never computed beside an uncommitted consent. SQLite's
/// `BEGIN IMMEDIATE` serialises writers already. See docs/decisions/0005 and 0006. A writer
/// waits for it up to the connection's `lock_timeout` (SQLite: `busy_timeout`), then fails
/// with a transient error: a 503 with `Retry-After`, never a wait without end.
pub fn lock_writes(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Postgres(c) => sql::statements::lock_writes_postgres(c),
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// How long a writer waits for the write lock (and SQLite for any lock) by default: then it
/// fails with a transient error, a 503 (`error::is_transient`).
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// This process's id, random at start. Stored with what the process leaves in the database
/// while it works (idempotency claims) and named in PostgreSQL's `application_name` of its
/// connections, so that another instance can tell whether the owner of a claim is still alive
/// (`pg_stat_activity`) instead of guessing from its age alone.
pub fn process_id() -> &'static str {
    static ID: LazyLock<String> = LazyLock::new(|| uuid::Uuid::now_v7().simple().to_string());
    &ID
}

/// The `application_name` prefix of this service's PostgreSQL connections; the process id
/// follows it.
pub const APPLICATION_NAME: &str = "upr-tc/";

/// Runs `body` on the connection of either engine, compiled once for each: for what diesel's
/// `MultiConnection` does not offer, such as a multi-row `INSERT` (one statement on either
/// engine, where the shared connection would need a `DEFAULT` keyword SQLite lacks).
macro_rules! per_engine {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Postgres($c) => $body,
        }
    };
}
pub(crate) use per_engine;

/// The most rows a multi-row statement writes (`in_runs!`). A statement of exactly this many
/// is prepared once per connection and kept: a batch's writes in runs of this length are
/// parsed and planned once, not at every batch (they were a tenth of an import's writing,
/// `docs/benchmarks.md`). Only whole runs are kept: each statement is a round trip on
/// PostgreSQL and a statement journal on SQLite, so a batch is not cut into more of them.
pub const RUN: usize = 256;

/// Items a bulk import writes at once (in partial mode, a transaction): two whole runs of the
/// statements that write them ([`RUN`]), which are prepared once.
pub const BATCH: usize = 2 * RUN;

/// Runs `body` on the connection `c` of either engine for each run of at most [`RUN`] of
/// `rows`: a whole run as an array (`&[T; RUN]`, which diesel's DSL prepares once and keeps;
/// it cannot keep a statement of a slice's rows, whose number varies), the rest as a slice.
macro_rules! in_runs {
    ($conn:expr, $rows:expr, |$c:ident, $run:ident| $body:expr) => {
        $crate::db::per_engine!($conn, $c => $crate::db::in_runs!(@each $rows, $run, $body))
    };
    (@each $rows:expr, $run:ident, $body:expr) => {
        for run in $rows.chunks($crate::db::RUN) {
            if let Ok($run) = <&[_; $crate::db::RUN]>::try_from(run) {
                $body;
            } else {
                let $run = run;
                $body;
            }
        }
    };
}
pub(crate) use in_runs;

/// How many times PostgreSQL's migrations are run when a deadlock stops them.
const MIGRATION_ATTEMPTS: u32 = 5;

/// Runs PostgreSQL's pending migrations (`run`) to the end, again when PostgreSQL aborted one
/// to break a deadlock. A migration waits for the locks it needs, and a serving instance's
/// statement may hold one of its tables while it waits for another the migration holds (a
/// second instance starting, an operator's `upr-tc migrate` during an upgrade); PostgreSQL
/// then aborts one of the two, the migration as often as not. Its transaction is rolled back
/// whole, and the migrations applied before it stay applied: running them again goes on from
/// it, once the other statement has ended.
fn postgres_migrations_run(mut run: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<()> {
    let mut attempt = 1;
    loop {
        match run() {
            Err(e)
                if attempt < MIGRATION_ATTEMPTS
                    && format!("{e:#}").contains("deadlock detected") =>
            {
                tracing::warn!(error = %format!("{e:#}"), attempt, "a migration was aborted to break a deadlock: running it again");
                std::thread::sleep(Duration::from_millis(100 * u64::from(attempt)));
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// How connections are opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connecting {
    /// How long a writer waits for the write lock.
    pub lock_timeout: Duration,
    /// How much of a SQLite file each connection reads through a memory map, in bytes; 0: none
    /// (`sql::statements::SQLITE_MAP_SIZE` by default).
    pub sqlite_map_size: u64,
    /// A PostgreSQL connection handed back healthy less than this long ago is handed out again
    /// without the round trip that checks it (`Manager::is_valid`); one idle longer is checked.
    pub recheck_after: Duration,
}

impl Default for Connecting {
    fn default() -> Self {
        Self {
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            sqlite_map_size: sql::statements::SQLITE_MAP_SIZE,
            recheck_after: RECHECK_AFTER,
        }
    }
}

/// How long a PostgreSQL connection handed back healthy is handed out again unchecked
/// (`Connecting::recheck_after`). Under load every connection is back in the pool within
/// milliseconds, and a check at each checkout was one round trip more per request; a
/// connection lost while in use fails its request and is then dropped (`Manager::has_broken`),
/// and one idle longer than this (where a server restart or a dropped link would have gone
/// unseen) is checked first.
pub const RECHECK_AFTER: Duration = Duration::from_secs(1);

/// A connection of the pool, with when it was last handed back healthy. It is used as the
/// connection itself (`Deref`).
pub struct Pooled {
    conn: DbConnection,
    returned: Option<Instant>,
    plans: Plans,
}

/// How a PostgreSQL connection plans the statements it has prepared.
///
/// A list's statement is the same text for every value of its filters, which are bound. Left
/// to itself (`Auto`), PostgreSQL plans it again at every run whenever its plan for any values
/// looks dearer than those for the values given: it does for a recommendation's facets, whose
/// value is a number found by a sub-select (a bound `LIMIT` is priced at a tenth of the rows
/// the plan expects, and a number's rows are many): 0.4 ms of planning on a 0.7 ms run, and
/// for some values a worse plan than the one for all (86 ms against at most 12 ms,
/// docs/benchmarks.md). Reads are therefore planned once (`Generic`); writes keep `Auto`,
/// since the statements of the triggers they fire ran four times slower on generic plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plans {
    Auto,
    Generic,
}

impl Pooled {
    /// Makes the connection plan as `plans` says: one round trip when it changes, none when
    /// it is so already (nothing on SQLite, which plans each statement once when preparing it).
    pub fn plan(&mut self, plans: Plans) -> diesel::QueryResult<()> {
        if self.plans != plans {
            if let DbConnection::Postgres(c) = &mut self.conn {
                sql::statements::set_plan_cache_mode(c, plans)?;
            }
            self.plans = plans;
        }
        Ok(())
    }
}

impl std::ops::Deref for Pooled {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// Opens connections of the variant the URL names.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
    connecting: Connecting,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// What libpq is told of the link to PostgreSQL unless the URL says otherwise: how long a
/// connection may take to open, and when a link that went silent (a server or a network gone
/// without closing it) is given up. Without them a connection waiting on a dead link waits as
/// long as the kernel retries, a quarter of an hour, and holds its place in the pool, or keeps
/// the watch from reading the data's version, all that time. A silent link is now found within
/// 25 seconds of its last answer (probed after 10 s, then every 5 s, three times), and data sent
/// but not acknowledged for 30 s fails its connection. A long statement on a live link is not
/// cut: the server's system answers the probes while it runs.
const LINK_CHECKS: [(&str, &str); 5] = [
    ("connect_timeout", "10"),
    ("keepalives_idle", "10"),
    ("keepalives_interval", "5"),
    ("keepalives_count", "3"),
    ("tcp_user_timeout", "30000"),
];

/// The PostgreSQL URL with each of [`LINK_CHECKS`] the URL does not set itself.
fn with_link_checks(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, query),
        None => (url, ""),
    };
    // libpq decodes a key's percent-escapes (`keepalives%5Fidle` is `keepalives_idle`).
    let given: Vec<String> = query
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .map(|key| {
            percent_encoding::percent_decode_str(key)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    for (key, value) in LINK_CHECKS {
        if !given.iter().any(|g| g == key) {
            pairs.push(format!("{key}={value}"));
        }
    }
    format!("{base}?{}", pairs.join("&"))
}

fn open(url: &DatabaseUrl, connecting: Connecting) -> Result<DbConnection, ConnectError> {
    match url {
        DatabaseUrl::Postgres(url) => {
            let mut conn = PgConnection::establish(&with_link_checks(url))?;
            // A writer waits this long for the write lock (`lock_writes`), not for ever.
            let name = format!("{APPLICATION_NAME}{}", process_id());
            sql::statements::configure_postgres(&mut conn, &name, connecting.lock_timeout)?;
            Ok(DbConnection::Postgres(conn))
        }
        DatabaseUrl::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
            // Switching a new file to WAL while another process opens it too can be refused at
            // once ("database is locked"), before any busy timeout waits: SQLite gives up rather
            // than risk a deadlock. Tried again within the lock timeout, as a lock is waited for.
            let deadline = std::time::Instant::now() + connecting.lock_timeout;
            loop {
                match sql::statements::configure_sqlite(
                    &mut conn,
                    connecting.lock_timeout,
                    connecting.sqlite_map_size,
                ) {
                    Err(diesel::result::Error::DatabaseError(_, info))
                        if info.message().contains("database is locked")
                            && std::time::Instant::now() < deadline =>
                    {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                    configured => break configured?,
                }
            }
            Ok(DbConnection::Sqlite(conn))
        }
    }
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = ConnectError;

    fn connect(&self) -> Result<Pooled, ConnectError> {
        Ok(Pooled {
            conn: open(&self.url, self.connecting)?,
            returned: None,
            plans: Plans::Auto,
        })
    }

    /// At checkout: a connection that was lost, or that a statement of its own left in a
    /// transaction (diesel's transaction manager knows only of its own), fails it. On SQLite
    /// always (two prepared statements, no round trip); on PostgreSQL, where it is a round
    /// trip, only for a connection idle longer than `Connecting::recheck_after`. (One handed
    /// back with a transaction of diesel's still open never gets here: `has_broken` drops it.)
    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), ConnectError> {
        let recent = pooled
            .returned
            .is_some_and(|at| at.elapsed() < self.connecting.recheck_after);
        if recent && matches!(pooled.conn, DbConnection::Postgres(_)) {
            return Ok(());
        }
        sql::statements::check_no_transaction(&mut pooled.conn).map_err(Into::into)
    }

    /// A connection whose transaction manager gave up (a statement failed on a lost
    /// connection, a rollback failed), or that still has a transaction open, goes rather than
    /// back into the pool.
    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        let broken = diesel::r2d2::R2D2Connection::is_broken(&mut pooled.conn);
        if !broken {
            pooled.returned = Some(Instant::now());
        }
        broken
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// How long a request waits for a pooled connection: then it is a 503 with `Retry-After`
/// (`error.rs`).
pub const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the pool, with the default settings.
pub fn connect(url: &DatabaseUrl, size: u32) -> anyhow::Result<Pool> {
    connect_with(url, size, Connecting::default())
}

/// Opens the pool, its connections opened as `connecting` says. For SQLite the folder and file
/// are created when missing.
pub fn connect_with(url: &DatabaseUrl, size: u32, connecting: Connecting) -> anyhow::Result<Pool> {
    if let DatabaseUrl::Sqlite(path) = url {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the data folder {}", dir.display()))?;
        }
        // Said, so that a mistyped path is seen for what it is, not as data gone.
        if !path.exists() {
            tracing::warn!(
                path = %path.display(),
                "no SQLite database at this path: a new, empty one is made"
            );
        }
    }
    // Connect once outside the pool so a bad URL or a down server fails with its own message.
    drop(
        open(url, connecting)
            .with_context(|| format!("cannot open the database {}", describe(url)))?,
    );
    r2d2::Pool::builder()
        .max_size(size)
        .connection_timeout(CHECKOUT_TIMEOUT)
        .error_handler(Box::new(SaidOnce::default()))
        .build(Manager {
            url: url.clone(),
            connecting,
        })
        .with_context(|| format!("cannot open the database {}", describe(url)))
}

/// How often the pool's failures to open a connection are said in the log.
const CONNECT_ERRORS_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The pool's failures to open a connection, said in the log once every
/// [`CONNECT_ERRORS_EVERY`] with how many were not: while the database is unreachable the pool
/// tries again and again (r2d2 said each, some twenty lines in ten seconds), and requests are
/// answered 503 meanwhile, each logged.
#[derive(Debug, Default)]
struct SaidOnce {
    last: std::sync::Mutex<Option<std::time::Instant>>,
    unsaid: std::sync::atomic::AtomicU64,
}

impl r2d2::HandleError<ConnectError> for SaidOnce {
    fn handle_error(&self, error: ConnectError) {
        use std::sync::atomic::Ordering;
        let now = std::time::Instant::now();
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if last.is_some_and(|at| now.duration_since(at) < CONNECT_ERRORS_EVERY) {
            self.unsaid.fetch_add(1, Ordering::Relaxed);
            return;
        }
        *last = Some(now);
        let unsaid = self.unsaid.swap(0, Ordering::Relaxed);
        tracing::error!(
            error = %error,
            failures_not_logged = unsaid,
            "cannot open a database connection (said once every 30 s while it lasts)"
        );
    }
}

fn describe(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres(url) => redact(url),
    }
}

impl DbConnection {
    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }

    /// Applies pending migrations; returns the versions applied.
    /// Runs `fix` in a write transaction when `find` finds something: looked for first without
    /// the write lock, which nearly every start needs not take.
    fn repair<T>(
        &mut self,
        find: fn(&mut DbConnection) -> diesel::QueryResult<Vec<T>>,
        fix: fn(&mut DbConnection) -> diesel::QueryResult<usize>,
    ) -> diesel::QueryResult<usize> {
        if find(self)?.is_empty() {
            return Ok(0);
        }
        tx::write(self, fix)
    }

    pub fn migrate(&mut self) -> anyhow::Result<Vec<String>> {
        fn versions<V: ToString>(
            applied: diesel::migration::Result<Vec<V>>,
        ) -> anyhow::Result<Vec<String>> {
            let applied = applied.map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
            Ok(applied.into_iter().map(|v| v.to_string()).collect())
        }
        // Nothing to apply (nearly every start) is known without writing: SQLite's migrations
        // would wait for the write lock even then.
        let up_to_date = self.is_migrated_read_only()?;
        let applied = match self {
            _ if up_to_date => Ok(vec![]),
            // A migration waits for the locks it needs, however long readers hold them, and
            // for another instance migrating the same database.
            Self::Postgres(c) => sql::statements::without_lock_timeout(c, |c| {
                sql::statements::with_migration_lock(c, |c| {
                    let before = versions(c.applied_migrations())?;
                    postgres_migrations_run(|| {
                        versions(c.run_pending_migrations(POSTGRES_MIGRATIONS)).map(drop)
                    })?;
                    let after = versions(c.applied_migrations())?;
                    Ok(after.into_iter().filter(|v| !before.contains(v)).collect())
                })
            })??,
            // All in one write transaction: instances started side by side on one file apply
            // them one after the other (the second waits on the lock, then finds none left),
            // instead of racing to create the same tables.
            Self::Sqlite(c) => versions(c.immediate_transaction(|c| {
                c.run_pending_migrations(SQLITE_MIGRATIONS)
                    .map(|applied| applied.iter().map(ToString::to_string).collect::<Vec<_>>())
            })),
        }?;
        // Oldest first on either engine (PostgreSQL's list of applied versions is newest first).
        let mut applied = applied;
        applied.sort();
        if let Some(changed) = activities::verdicts::refresh_if_rule_changed(self)
            .context("cannot apply the current publication rule to the stored activities")?
        {
            tracing::info!(
                rule_version = activities::verdicts::RULE_VERSION,
                changed,
                "stored verdicts computed again with the current publication rule"
            );
        }
        // What offers may cite that they should not, from before offers followed their
        // activities' verdicts, then who submitted them.
        let uncited = self
            .repair(offers::hidden_cited, offers::uncite_hidden)
            .context("cannot take the activities no longer public off the offers citing them")?;
        if uncited > 0 {
            tracing::info!(
                offers = uncited,
                "offers citing activities no longer public cite them no more"
            );
        }
        let uncited = self
            .repair(offers::stale_cited, offers::uncite_stale)
            .context("cannot take off offers the activities their stakeholders no longer have")?;
        if uncited > 0 {
            tracing::info!(
                offers = uncited,
                "offers citing activities their stakeholders no longer have cite them no more"
            );
        }
        if let Some(items) = reindex_if_analysis_changed(self)
            .context("cannot write the full-text terms of the stored items again")?
        {
            tracing::info!(
                analysis_version = ANALYSIS_VERSION,
                items,
                "full-text terms written again with the current text analysis"
            );
        }
        Ok(applied)
    }

    /// Whether every migration this binary knows has been applied, read without writing: what a
    /// read-only replica can answer (diesel's own check first creates its table if missing).
    pub fn is_migrated_read_only(&mut self) -> anyhow::Result<bool> {
        use diesel::migration::{Migration, MigrationSource};
        fn versions<DB: diesel::backend::Backend>(
            known: diesel::migration::Result<Vec<Box<dyn Migration<DB>>>>,
        ) -> anyhow::Result<Vec<String>> {
            let known = known.map_err(|e| anyhow::anyhow!("cannot list the migrations: {e}"))?;
            Ok(known
                .iter()
                .map(|m| m.name().version().to_string())
                .collect())
        }
        let known = match self {
            Self::Postgres(_) => versions::<diesel::pg::Pg>(POSTGRES_MIGRATIONS.migrations())?,
            Self::Sqlite(_) => versions::<diesel::sqlite::Sqlite>(SQLITE_MIGRATIONS.migrations())?,
        };
        let applied = sql::statements::applied_migrations(self)
            .map_err(|e| anyhow::anyhow!("cannot read the migration table: {e}"))?;
        Ok(known.iter().all(|v| applied.contains(v)))
    }

    /// Whether every migration this binary knows has been applied.
    pub fn is_migrated(&mut self) -> anyhow::Result<bool> {
        let pending = match self {
            Self::Postgres(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
            Self::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
        }
        .map_err(|e| anyhow::anyhow!("cannot read the migration table: {e}"))?;
        Ok(!pending)
    }
}

/// Writes the full-text terms of every stored item again when an older text analysis wrote
/// them (`instance.analysis_version`), in one write transaction: a search sees the old terms
/// or the new ones. Returns how many items, `None` when the terms were current.
fn reindex_if_analysis_changed(conn: &mut DbConnection) -> diesel::QueryResult<Option<usize>> {
    use schema::instance::dsl;
    // Read first, as `refresh_if_rule_changed` does.
    let stored: i32 = dsl::instance.select(dsl::analysis_version).first(conn)?;
    if stored >= ANALYSIS_VERSION {
        return Ok(None);
    }
    tx::write(conn, |c| {
        let stored: i32 = dsl::instance.select(dsl::analysis_version).first(c)?;
        if stored >= ANALYSIS_VERSION {
            return Ok(None);
        }
        use crate::domain::{activity, assistance_request, offer, recommendation, stakeholder};
        let items = documents::reindex::<recommendation::Recommendation>(c)?
            + documents::reindex::<stakeholder::Stakeholder>(c)?
            + documents::reindex::<activity::Activity>(c)?
            + documents::reindex::<assistance_request::AssistanceRequest>(c)?
            + documents::reindex::<offer::Offer>(c)?;
        diesel::update(dsl::instance)
            .set(dsl::analysis_version.eq(ANALYSIS_VERSION))
            .execute(c)?;
        Ok(Some(items))
    })
}

#[cfg(test)]
mod tests {
    use super::with_link_checks;

    /// While the database stays unreachable, the pool's failures are said once, then counted
    /// until the next time they are said.
    #[test]
    fn failures_to_connect_are_said_once_a_while() {
        use diesel::r2d2::HandleError;
        use std::sync::atomic::Ordering;
        let said = super::SaidOnce::default();
        let failure = || {
            super::ConnectError::Query(diesel::result::Error::QueryBuilderError(
                "unreachable".into(),
            ))
        };
        for _ in 0..20 {
            said.handle_error(failure());
        }
        assert_eq!(said.unsaid.load(Ordering::Relaxed), 19);
        // Once the time is past, the next is said, with how many were not.
        *said.last.lock().unwrap() = Some(std::time::Instant::now() - super::CONNECT_ERRORS_EVERY);
        said.handle_error(failure());
        assert_eq!(said.unsaid.load(Ordering::Relaxed), 0);
    }

    /// A connection plans as it was last told, and tells PostgreSQL only when that changes; on
    /// SQLite there is nothing to tell. The database is `TEST_DATABASE_URL`'s when set.
    #[test]
    fn a_connection_plans_as_told() {
        let (_dir, sqlite) = super::watch::tests::sqlite();
        let url = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => crate::config::DatabaseUrl::parse(&url).unwrap(),
            _ => sqlite,
        };
        let pool = super::connect(&url, 1).unwrap();
        let mut conn = pool.get().unwrap();
        for plans in [
            super::Plans::Generic,
            super::Plans::Generic,
            super::Plans::Auto,
        ] {
            conn.plan(plans).unwrap();
            assert_eq!(conn.plans, plans);
            if let super::DbConnection::Postgres(c) = &mut conn.conn {
                let mode = super::sql::statements::plan_cache_mode(c).unwrap();
                let expected = match plans {
                    super::Plans::Generic => "force_generic_plan",
                    super::Plans::Auto => "auto",
                };
                assert_eq!(mode, expected);
            }
        }
    }

    #[test]
    fn a_url_gets_each_link_check_it_does_not_set() {
        assert_eq!(
            with_link_checks("postgres://u:p@db/upr"),
            "postgres://u:p@db/upr?connect_timeout=10&keepalives_idle=10&keepalives_interval=5\
             &keepalives_count=3&tcp_user_timeout=30000"
        );
        // The operator's own values and other parameters stay as given.
        assert_eq!(
            with_link_checks("postgres://db/upr?sslmode=require&keepalives_idle=60"),
            "postgres://db/upr?sslmode=require&keepalives_idle=60&connect_timeout=10\
             &keepalives_interval=5&keepalives_count=3&tcp_user_timeout=30000"
        );
        // A key written with percent-escapes is the same key.
        assert_eq!(
            with_link_checks("postgres://db/upr?keepalives%5Fidle=60&connect%5ftimeout=3"),
            "postgres://db/upr?keepalives%5Fidle=60&connect%5ftimeout=3&keepalives_interval=5\
             &keepalives_count=3&tcp_user_timeout=30000"
        );
        assert_eq!(
            with_link_checks("postgres://db/upr?"),
            "postgres://db/upr?connect_timeout=10&keepalives_idle=10&keepalives_interval=5\
             &keepalives_count=3&tcp_user_timeout=30000"
        );
    }
}
