//! The keys of `Idempotency-Key` requests (`crate::idempotency`): a request's claim on a key,
//! then the answer kept for its retries.
//!
//! A key's row goes through three states: claimed (`body_hash` empty: nothing of the request
//! is written yet); written (`body_hash` set, `status` empty: a transaction of the request
//! committed, and marked the row in the same transaction, [`Marking`]); answered (`status`
//! set). A request whose process stops between its commit and its answer leaves its key
//! written: its retry is told the first request was carried out, never carried out again.

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
/// request that will never answer, and is taken over. So is, on PostgreSQL, the claim of a
/// process that has no connection left (killed; a machine lost, once the server has closed its
/// connections): another instance takes the retry at once, rather than when that process
/// starts again or the claim is stale. Only this key's claim is looked at.
///
/// A process is alive while it has a connection named for it (`application_name`): a pooler
/// between the service and PostgreSQL that shares server connections among clients
/// (PgBouncer's transaction mode) would hide that, and is not supported.
pub fn claim(
    conn: &mut DbConnection,
    key: &Key,
    request: (&str, &str),
    mine: &str,
    kept_since: DateTime<Utc>,
    stale: DateTime<Utc>,
) -> QueryResult<Claim> {
    let claimed = claim_once(conn, key, request, mine, kept_since, stale)?;
    if let Claim::Seen(stored) = &claimed
        && stored.status.is_none()
        && let Some(owner) = &stored.claimed_by
        && let DbConnection::Postgres(c) = conn
        && super::sql::statements::clear_dead_claims_postgres(
            c,
            Some(((&key.caller, &key.key), owner)),
        )? > 0
    {
        return claim_once(conn, key, request, mine, kept_since, stale);
    }
    Ok(claimed)
}

fn claim_once(
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
        None => claim_once(conn, key, (method, path), mine, kept_since, stale),
    }
}

/// Gives up this request's claim (its answer is not kept): the key is free again, unless the
/// request wrote something, when its answer is lost instead ([`is_lost`]).
pub fn release(conn: &mut DbConnection, key: &Key, mine: &str) -> QueryResult<usize> {
    let mine_now = || {
        k::idempotency_keys
            .filter(k::caller.eq(&key.caller))
            .filter(k::key.eq(&key.key))
            .filter(k::claimed_by.eq(mine))
    };
    let freed = diesel::delete(mine_now().filter(k::body_hash.is_null())).execute(conn)?;
    let lost = diesel::update(mine_now().filter(k::status.is_null()))
        .set(k::claimed_by.eq(None::<String>))
        .execute(conn)?;
    Ok(freed + lost)
}

/// Whether a key's row says its request wrote and will never answer: written, and its claim
/// given up (its process stopped, [`clear_orphaned_claims`], or its request failed after
/// writing) or older than any request runs (`stale`).
pub fn is_lost(stored: &Stored, stale: DateTime<Utc>) -> bool {
    stored.body_hash.is_some()
        && stored.status.is_none()
        && (stored.claimed_by.is_none() || stored.created_at < stale.naive_utc())
}

/// A keyed request's claim, for the transactions its handler commits to mark its key written
/// ([`marking`]).
#[derive(Clone)]
pub struct Marking {
    pub key: Key,
    pub mine: String,
    /// The hash of the request's body (all of it: a handler reads its body before it writes).
    pub body_hash: std::sync::Arc<dyn Fn() -> String + Send + Sync>,
}

thread_local! {
    /// The claim of the keyed request whose work this thread runs, if any.
    static MARKING: std::cell::RefCell<Option<Marking>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` (a request's database work, on this thread) so that each write transaction it
/// commits marks `marking`'s key written in that transaction (`tx::commit`).
pub fn marking<T>(marking: Option<Marking>, f: impl FnOnce() -> T) -> T {
    struct Unset;
    impl Drop for Unset {
        fn drop(&mut self) {
            MARKING.with(|m| m.borrow_mut().take());
        }
    }
    if marking.is_none() {
        return f();
    }
    MARKING.with(|m| *m.borrow_mut() = marking);
    let _unset = Unset;
    f()
}

/// Marks the key of the request this thread works for written, in the transaction about to
/// commit (again, if an earlier transaction of the request marked it); nothing when it works
/// for none. A claim that is no longer the request's fails the transaction.
pub(super) fn mark_written(conn: &mut DbConnection) -> QueryResult<()> {
    let Some(marking) = MARKING.with(|m| m.borrow().clone()) else {
        return Ok(());
    };
    let marked = diesel::update(
        k::idempotency_keys
            .filter(k::caller.eq(&marking.key.caller))
            .filter(k::key.eq(&marking.key.key))
            .filter(k::claimed_by.eq(&marking.mine)),
    )
    .set(k::body_hash.eq((marking.body_hash)()))
    .execute(conn)?;
    // The claim was taken over (a request that outran the claim timeout): the request that took
    // it carries the write out, so this one must not.
    if marked == 0 {
        tracing::warn!("a keyed request's claim was taken over before it wrote: not written");
        return Err(diesel::result::Error::RollbackTransaction);
    }
    Ok(())
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
/// crashed, the machine lost), and gives up those of such requests that wrote (their answers
/// are lost, [`is_lost`]): run when the service starts. Returns how many went.
///
/// On PostgreSQL several instances share the table, so only claims whose process has no
/// connection open any more are cleared (`sql::statements::clear_dead_claims_postgres`); a
/// live instance's running requests keep theirs. On SQLite it is run only by a process that
/// found no other serving the file (`db::serving`): every running claim there but its own was
/// left by an earlier one.
pub fn clear_orphaned_claims(conn: &mut DbConnection) -> QueryResult<usize> {
    match conn {
        DbConnection::Postgres(c) => super::sql::statements::clear_dead_claims_postgres(c, None),
        DbConnection::Sqlite(_) => {
            let others = format!("{}:%", super::process_id());
            let freed = diesel::delete(
                k::idempotency_keys
                    .filter(k::body_hash.is_null())
                    .filter(k::claimed_by.is_null().or(k::claimed_by.not_like(&others))),
            )
            .execute(conn)?;
            let lost = diesel::update(
                k::idempotency_keys
                    .filter(k::body_hash.is_not_null())
                    .filter(k::status.is_null())
                    .filter(k::claimed_by.not_like(&others)),
            )
            .set(k::claimed_by.eq(None::<String>))
            .execute(conn)?;
            Ok(freed + lost)
        }
    }
}
