//! The database: one connection type over SQLite and PostgreSQL, a pool, and migrations.
//!
//! Queries are written once against [`DbConnection`] (diesel's `MultiConnection`); the few that
//! need backend-specific SQL `match` on the variant. The variant is chosen from the URL scheme
//! and connected directly, so a user sees PostgreSQL's or SQLite's own error, not a generic one.

use std::time::Duration;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::{DatabaseUrl, redact};

pub mod activities;
pub mod audit;
pub mod changes;
pub mod consents;
pub mod documents;
pub mod query;
pub mod recommendations;
pub mod stakeholders;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// Serialises write transactions on PostgreSQL: taken first in every one (`documents::write`,
/// `documents::Tx::begin`) and held until it ends. So the change feed is numbered in commit
/// order (a sequence number is taken before commit, and transactions running side by side
/// would commit out of order; a reader would skip the later-committing lower number), and a
/// verdict of the publication rule is never computed beside an uncommitted consent. SQLite's
/// `BEGIN IMMEDIATE` serialises writers already. See docs/decisions/0005 and 0006.
pub fn lock_writes(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    if let DbConnection::Postgres(_) = conn {
        conn.batch_execute("SELECT pg_advisory_xact_lock(5428, 1)")?;
    }
    Ok(())
}

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Opens connections of the variant the URL names.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

fn open(url: &DatabaseUrl) -> Result<DbConnection, ConnectError> {
    match url {
        DatabaseUrl::Postgres(url) => Ok(DbConnection::Postgres(PgConnection::establish(url)?)),
        DatabaseUrl::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
            // busy_timeout first: switching to WAL takes a lock that another connection may hold.
            conn.batch_execute(
                "PRAGMA busy_timeout = 5000;
                 PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA foreign_keys = ON;",
            )?;
            Ok(DbConnection::Sqlite(conn))
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConnection, ConnectError> {
        open(&self.url)
    }

    /// Also that no transaction was left open by a failed or panicked write (imports and
    /// SQLite writes use manual `BEGIN`): `BEGIN; ROLLBACK` fails inside one on SQLite, and the
    /// pool drops the connection; on PostgreSQL it ends the one left open (warning only then).
    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectError> {
        conn.batch_execute("BEGIN; ROLLBACK;").map_err(Into::into)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// Opens the pool. For SQLite the folder and file are created when missing.
pub fn connect(url: &DatabaseUrl, size: u32) -> anyhow::Result<Pool> {
    if let DatabaseUrl::Sqlite(path) = url
        && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data folder {}", dir.display()))?;
    }
    // Connect once outside the pool so a bad URL or a down server fails with its own message.
    drop(open(url).with_context(|| format!("cannot open the database {}", describe(url)))?);
    r2d2::Pool::builder()
        .max_size(size)
        .connection_timeout(Duration::from_secs(10))
        .build(Manager { url: url.clone() })
        .with_context(|| format!("cannot open the database {}", describe(url)))
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
    pub fn migrate(&mut self) -> anyhow::Result<Vec<String>> {
        let applied = match self {
            Self::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
            Self::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        }
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        let applied: Vec<String> = applied.into_iter().map(|v| v.to_string()).collect();
        if let Some(changed) = activities::refresh_if_rule_changed(self)
            .context("cannot apply the current publication rule to the stored activities")?
        {
            tracing::info!(
                rule_version = activities::RULE_VERSION,
                changed,
                "stored verdicts computed again with the current publication rule"
            );
        }
        Ok(applied)
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
