//! The version of the data, known without asking the database at every request: what lets a
//! read kept in memory (`app::kept`) be given again while nothing has changed.
//!
//! Two counters make it. Every write transaction this process commits moves one at once
//! ([`wrote`], from `tx`), so this process's own writes are seen by its next read; a service's
//! commit also tells its watch the version it leaves ([`leaving`]), so the poll that reads that
//! version does not count the same write again. A thread of
//! the [`Watch`] reads the data's version ([`statements::data_version`]) every [`POLL`] on a
//! connection of its own and moves the other when it changed, so another process's writes
//! (a second instance on the same PostgreSQL, `upr-tc import` beside `serve` on SQLite) are
//! seen within a poll (within [`STALE`] when the polls are late). While the thread cannot read
//! the version (the database is down, not yet migrated) or has not read it for [`STALE`],
//! there is no version and nothing kept is given. A replica's watch counts only what its
//! polls see ([`Writes::Replayed`]): its data moves when it replays a write.
//!
//! A reader takes the version before it reads, and keeps what it read under that version: a
//! write committed between the two moves the version, so what was kept is never given.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::sql::statements;
use super::{Connecting, DbConnection};
use crate::config::DatabaseUrl;

/// How often the version is read: the longest a write of another process goes unseen.
pub const POLL: Duration = Duration::from_millis(20);

/// A version read longer ago than this is no longer trusted (the thread is stalled or the
/// database unreachable): nothing kept is given until it is read again.
pub const STALE: Duration = Duration::from_secs(1);

/// How long the thread waits after it could not read the version, before it tries again.
const RETRY: Duration = Duration::from_secs(1);

/// How long a read of the version waits for a lock before it gives up (and is tried again
/// after [`RETRY`]): less than PostgreSQL waits before it looks for a deadlock (its
/// `deadlock_timeout`, 1 s by default). The read locks the audit trail, the feed and the
/// instance's row in its own order; a migration beside a serving instance (a second instance
/// starting, an operator's `upr-tc migrate`) locks them in another. Waiting longer, the read
/// and the migration could each wait for the other, and PostgreSQL would break that by
/// aborting one of them, the migration as often as not.
const READ_LOCK_TIMEOUT: Duration = Duration::from_millis(100);

/// How the thread's connection is opened: as `connecting` says, but for its locks.
pub(super) fn reading(connecting: Connecting) -> Connecting {
    Connecting {
        lock_timeout: READ_LOCK_TIMEOUT,
        ..connecting
    }
}

/// The write transactions this process has committed outside any service's requests (a
/// background task, a command): every watch of the process counts them.
static WRITES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Whose writes this thread's commits are, while it runs a service's database work
    /// ([`writing_for`]).
    static WRITER: std::cell::RefCell<Option<Arc<Own>>> =
        const { std::cell::RefCell::new(None) };
}

/// The writes of one service, as its watch counts them.
#[derive(Default)]
struct Own {
    /// How many write transactions the service committed.
    writes: AtomicU64,
    /// The version the last of them left, when its watch reads the version: the poll that
    /// reads it has nothing new to count.
    left: Mutex<Option<[i64; 5]>>,
    /// Whether its watch reads the version (`Writes::OfThisProcess`), so a commit should tell
    /// the version it leaves.
    told: bool,
    /// Whether a write was refused because the database's disk is full, and no write
    /// transaction that changed anything has committed since ([`Watch::storage_full`]).
    storage_full: std::sync::atomic::AtomicBool,
}

/// Whether the service whose work the thread runs has writes refused for a full disk: its
/// write transactions then learn whether they changed anything ([`storage_taken`]).
pub fn storage_watched() -> bool {
    WRITER.with(|w| {
        w.borrow()
            .as_ref()
            .is_some_and(|own| own.storage_full.load(Ordering::Relaxed))
    })
}

/// A write transaction that changed something committed: the service's storage takes writes.
pub fn storage_taken() {
    WRITER.with(|w| {
        if let Some(own) = &*w.borrow() {
            own.storage_full.store(false, Ordering::Relaxed);
        }
    });
}

/// Called in a write transaction just before it commits, while it still holds the write lock:
/// the version of the data it leaves, when the watch of the service whose work the thread runs
/// wants to know it (else nothing is read). An error is the transaction's: on PostgreSQL a
/// failed statement aborts it, and its `COMMIT` would roll it back without an error.
pub fn leaving(conn: &mut super::DbConnection) -> diesel::QueryResult<Option<[i64; 5]>> {
    let told = WRITER.with(|w| w.borrow().as_ref().is_some_and(|own| own.told));
    told.then(|| statements::data_version(conn)).transpose()
}

/// Called after every write transaction this process commits (or tried to): counted as the
/// writes of the service whose work the thread runs, else as the process's. `left` is what
/// [`leaving`] read, when the commit succeeded.
pub fn wrote(left: Option<[i64; 5]>) {
    WRITER.with(|w| match &*w.borrow() {
        Some(own) => {
            own.writes.fetch_add(1, Ordering::SeqCst);
            // After the count: a poll that reads this version first counts it again, never
            // not at all.
            if left.is_some() {
                *own.left.lock().unwrap_or_else(|e| e.into_inner()) = left;
            }
        }
        None => {
            WRITES.fetch_add(1, Ordering::SeqCst);
        }
    });
}

/// Runs `f`, a service's database work, with the commits it makes counted as that service's
/// (`Watch::own`): a process running several services (the tests do) keeps each one's kept
/// reads from the others' writes.
pub fn writing_for<T>(watch: &Watch, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Arc<Own>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            WRITER.with(|w| *w.borrow_mut() = previous);
        }
    }
    let _restore = Restore(WRITER.with(|w| w.replace(Some(watch.own.clone()))));
    f()
}

/// Whose writes move a watched version at once: this process's (the database itself), or
/// only those the poll sees (a replica, whose data moves when it replays a write, not when
/// this process commits it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writes {
    OfThisProcess,
    Replayed,
}

/// The version of one database's data, read by a thread of its own.
pub struct Watch {
    start: Instant,
    writes: Writes,
    /// The writes of the service this watch serves ([`writing_for`]).
    own: Arc<Own>,
    /// How many times the version read changed.
    seen: AtomicU64,
    /// When the last read that succeeded began, in milliseconds after `start` and plus one;
    /// 0 when the last read failed (or none was made yet).
    read_at: AtomicU64,
}

impl Watch {
    /// Starts watching the database `url` names, on a connection opened as `connecting` says.
    /// The thread ends soon after the last `Arc` is dropped.
    pub fn start(url: DatabaseUrl, connecting: Connecting, writes: Writes) -> Arc<Self> {
        let watch = Arc::new(Self::new(writes));
        let (weak, start) = (Arc::downgrade(&watch), watch.start);
        std::thread::Builder::new()
            .name("upr-tc-watch".into())
            .spawn(move || run(weak, start, url, connecting))
            .expect("the watch thread starts");
        watch
    }

    /// A watch that never knows the version (nothing is kept: `UPR_TC_KEPT_BYTES=0`), with no
    /// thread and no connection.
    pub fn off() -> Arc<Self> {
        Arc::new(Self::new(Writes::Replayed))
    }

    fn new(writes: Writes) -> Self {
        Self {
            start: Instant::now(),
            writes,
            own: Arc::new(Own {
                told: writes == Writes::OfThisProcess,
                ..Own::default()
            }),
            seen: AtomicU64::new(0),
            read_at: AtomicU64::new(0),
        }
    }

    /// A write was refused because the database's disk is full (`telemetry`).
    pub fn storage_refused(&self) {
        self.own.storage_full.store(true, Ordering::Relaxed);
    }

    /// Whether writes are refused for a full disk: from a refusal until a write transaction
    /// that changed something commits.
    pub fn storage_full(&self) -> bool {
        self.own.storage_full.load(Ordering::Relaxed)
    }

    /// The data's version now, if it is known.
    pub fn version(&self) -> Option<i64> {
        let read_at = self.read_at.load(Ordering::Acquire);
        let now = millis(self.start);
        if read_at == 0 || now.saturating_sub(read_at) > STALE.as_millis() as u64 {
            return None;
        }
        let mut version = self.seen.load(Ordering::Acquire);
        if self.writes == Writes::OfThisProcess {
            version += self.own.writes.load(Ordering::SeqCst) + WRITES.load(Ordering::SeqCst);
        }
        Some(version as i64)
    }
}

/// Milliseconds since `start`, plus one (0 means never).
fn millis(start: Instant) -> u64 {
    start.elapsed().as_millis() as u64 + 1
}

/// Reads the version every [`POLL`] until the watch is dropped. No strong reference is held
/// while the database is asked, so a dropped service does not wait on a slow answer.
fn run(watch: Weak<Watch>, start: Instant, url: DatabaseUrl, connecting: Connecting) {
    let mut conn: Option<DbConnection> = None;
    let mut last: Option<[i64; 5]> = None;
    loop {
        if watch.strong_count() == 0 {
            return;
        }
        let began = millis(start);
        let read = match conn.as_mut() {
            Some(c) => statements::data_version(c).map_err(|e| e.to_string()),
            None => super::open(&url, reading(connecting))
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    let v = statements::data_version(&mut c).map_err(|e| e.to_string());
                    conn = Some(c);
                    v
                }),
        };
        let Some(w) = watch.upgrade() else {
            return;
        };
        let wait = match read {
            Ok(version) => {
                if last != Some(version) {
                    last = Some(version);
                    // A version a commit of this service left was counted by that commit.
                    let left = *w.own.left.lock().unwrap_or_else(|e| e.into_inner());
                    if left != Some(version) {
                        w.seen.fetch_add(1, Ordering::AcqRel);
                    }
                }
                w.read_at.store(began, Ordering::Release);
                POLL
            }
            Err(e) => {
                if w.read_at.swap(0, Ordering::AcqRel) != 0 {
                    tracing::warn!(error = %e, "cannot read the data's version: nothing kept is given until it is read again");
                }
                // What changed meanwhile is unknown: the next version read is a new one.
                (conn, last) = (None, None);
                RETRY
            }
        };
        drop(w);
        std::thread::sleep(wait);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A SQLite database's URL in a directory of its own.
    pub(crate) fn sqlite() -> (tempfile::TempDir, DatabaseUrl) {
        let dir = tempfile::tempdir().unwrap();
        let url =
            DatabaseUrl::parse(&format!("sqlite://{}/watch.db", dir.path().display())).unwrap();
        (dir, url)
    }

    /// A write: an entry of the audit trail.
    pub(crate) fn record(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        crate::db::audit::record(
            conn,
            &crate::db::audit::Actor::operator(),
            "stakeholder",
            &crate::domain::ids::new_uuid().to_string(),
            crate::db::audit::Operation::Update,
            None,
            Some(&serde_json::json!({})),
        )
    }

    fn until(what: impl Fn() -> bool) -> bool {
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if what() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    #[test]
    fn a_write_of_another_connection_moves_the_version_within_a_poll() {
        let (_dir, url) = sqlite();
        let pool = crate::db::connect(&url, 1).unwrap();
        let mut conn = pool.get().unwrap();
        conn.migrate().unwrap();
        let watch = Watch::start(url, Connecting::default(), Writes::OfThisProcess);
        assert!(until(|| watch.version().is_some()), "the version is read");
        // (Other tests of this process write beside this one, which moves `WRITES`: what the
        // polls saw is `seen`.)
        let before = watch.seen.load(Ordering::Acquire);
        std::thread::sleep(POLL * 3);
        assert_eq!(
            watch.seen.load(Ordering::Acquire),
            before,
            "unchanged while nothing is written"
        );
        // A write that bypasses `tx` (as another process's would): seen by the poll alone.
        record(&mut conn).unwrap();
        assert!(
            until(|| watch.seen.load(Ordering::Acquire) != before),
            "the write is seen"
        );
    }

    #[test]
    fn no_version_while_the_database_cannot_be_read() {
        let (_dir, url) = sqlite();
        // Not migrated: the version cannot be read.
        let watch = Watch::start(url, Connecting::default(), Writes::OfThisProcess);
        std::thread::sleep(POLL * 5);
        assert_eq!(watch.version(), None);
    }

    #[test]
    fn a_write_of_this_process_moves_the_version_at_once() {
        let (_dir, url) = sqlite();
        crate::db::connect(&url, 1)
            .unwrap()
            .get()
            .unwrap()
            .migrate()
            .unwrap();
        let watch = Watch::start(url.clone(), Connecting::default(), Writes::OfThisProcess);
        let other = Watch::start(url, Connecting::default(), Writes::OfThisProcess);
        assert!(until(
            || watch.version().is_some() && other.version().is_some()
        ));
        let before = watch.version().unwrap();
        wrote(None);
        assert!(
            watch.version().unwrap() > before,
            "a write of no service: every watch's"
        );
        // A service's own write: its watch's alone.
        let own = |w: &Watch| w.own.writes.load(Ordering::SeqCst);
        let (before, others) = (own(&watch), own(&other));
        writing_for(&watch, || wrote(None));
        assert_eq!(own(&watch), before + 1);
        assert_eq!(own(&other), others);
    }

    #[test]
    fn a_commit_of_the_service_moves_its_version_once() {
        let (_dir, url) = sqlite();
        let pool = crate::db::connect(&url, 1).unwrap();
        let mut conn = pool.get().unwrap();
        conn.migrate().unwrap();
        let watch = Watch::start(url, Connecting::default(), Writes::OfThisProcess);
        assert!(until(|| watch.version().is_some()));
        let (seen, own) = (
            watch.seen.load(Ordering::Acquire),
            watch.own.writes.load(Ordering::SeqCst),
        );
        writing_for(&watch, || crate::db::tx::write(&mut conn, record)).unwrap();
        assert_eq!(watch.own.writes.load(Ordering::SeqCst), own + 1);
        std::thread::sleep(POLL * 5);
        assert_eq!(
            watch.seen.load(Ordering::Acquire),
            seen,
            "the polls read the version the commit told"
        );
        // A write the service did not commit (another process's) is still seen by the polls.
        record(&mut conn).unwrap();
        assert!(until(|| watch.seen.load(Ordering::Acquire) != seen));
    }
}
