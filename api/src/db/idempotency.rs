//! The keys of `Idempotency-Key` requests (`crate::idempotency`): a request's claim on a key,
//! then the answer kept for its retries.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::idempotency_keys::dsl as k;
use super::time::stored;
use super::{DbConnection, per_engine};

/// What the table holds of a key.
#[derive(Queryable, Selectable)]
#[diesel(table_name = super::schema::idempotency_keys)]
pub struct Stored {
    pub created_at: chrono::NaiveDateTime,
    pub claimed_by: Option<String>,
    pub method: String,
    pub path: String,
    pub body_hash: Option<String>,
    pub status: Option<i32>,
    pub headers: Option<String>,
    pub body: Option<String>,
}

/// What the table says of a key: new (and now claimed by this request), or seen.
pub enum Claim {
    New,
    Seen(Stored),
}

/// The key of one caller.
#[derive(Clone)]
pub struct Key {
    pub caller: String,
    pub key: String,
}

/// Claims a key for a request (`method`, `path`) as `mine`, or says what it holds already.
/// Keys kept longer than `kept` are forgotten first; a claim older than `stale` belongs to a
/// request that will never answer, and is taken over.
pub fn claim(
    conn: &mut DbConnection,
    key: &Key,
    (method, path): (&str, &str),
    mine: &str,
    kept_since: DateTime<Utc>,
    stale: DateTime<Utc>,
) -> QueryResult<Claim> {
    diesel::delete(k::idempotency_keys.filter(k::created_at.lt(stored(kept_since))))
        .execute(conn)?;
    diesel::delete(
        k::idempotency_keys
            .filter(k::caller.eq(&key.caller))
            .filter(k::key.eq(&key.key))
            .filter(k::body_hash.is_null())
            .filter(k::created_at.lt(stored(stale))),
    )
    .execute(conn)?;
    let row = (
        k::caller.eq(&key.caller),
        k::key.eq(&key.key),
        k::method.eq(method),
        k::path.eq(path),
        k::created_at.eq(stored(Utc::now())),
        k::claimed_by.eq(mine),
    );
    let inserted = per_engine!(&mut *conn, c => diesel::insert_into(k::idempotency_keys)
        .values(row)
        .on_conflict((k::caller, k::key))
        .do_nothing()
        .execute(c))?;
    if inserted == 1 {
        return Ok(Claim::New);
    }
    match k::idempotency_keys
        .filter(k::caller.eq(&key.caller))
        .filter(k::key.eq(&key.key))
        .select(Stored::as_select())
        .first(conn)
        .optional()?
    {
        Some(stored) => Ok(Claim::Seen(stored)),
        // Forgotten in between (expired): claim it again.
        None => claim(conn, key, (method, path), mine, kept_since, stale),
    }
}

/// Gives up this request's claim (its answer is not kept).
pub fn release(conn: &mut DbConnection, key: &Key, mine: &str) -> QueryResult<usize> {
    diesel::delete(
        k::idempotency_keys
            .filter(k::caller.eq(&key.caller))
            .filter(k::key.eq(&key.key))
            .filter(k::claimed_by.eq(mine)),
    )
    .execute(conn)
}

/// What is kept of an answer.
pub struct Answer {
    pub body_hash: String,
    pub status: i32,
    /// JSON: the replayed headers, `[[name, value], …]`.
    pub headers: String,
    /// `None` when it was too large to keep.
    pub body: Option<String>,
}

/// Keeps the answer of the request that holds the claim `mine`.
pub fn keep(conn: &mut DbConnection, key: &Key, mine: &str, answer: Answer) -> QueryResult<usize> {
    diesel::update(
        k::idempotency_keys
            .filter(k::caller.eq(&key.caller))
            .filter(k::key.eq(&key.key))
            .filter(k::claimed_by.eq(mine)),
    )
    .set((
        k::body_hash.eq(answer.body_hash),
        k::status.eq(answer.status),
        k::headers.eq(answer.headers),
        k::body.eq(answer.body),
    ))
    .execute(conn)
}

/// Deletes the claims of requests that never answered because their process stopped (killed,
/// crashed, the machine lost): run when the service starts. Returns how many went.
///
/// On PostgreSQL several instances share the table, so only claims whose process has no
/// connection open any more are cleared (`sql::statements::clear_dead_claims_postgres`); a
/// live instance's running requests keep theirs. On SQLite it is run only by a process that
/// found no other serving the file (`db::serving`): every running claim there but its own was
/// left by an earlier one.
pub fn clear_orphaned_claims(conn: &mut DbConnection) -> QueryResult<usize> {
    match conn {
        DbConnection::Postgres(c) => super::sql::statements::clear_dead_claims_postgres(c),
        DbConnection::Sqlite(_) => diesel::delete(
            k::idempotency_keys.filter(k::body_hash.is_null()).filter(
                k::claimed_by
                    .is_null()
                    .or(k::claimed_by.not_like(format!("{}:%", super::process_id()))),
            ),
        )
        .execute(conn),
    }
}
