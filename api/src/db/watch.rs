//! The version of the data, known without asking the database at every request: what lets a
//! read kept in memory (`app::kept`) be given again while nothing has changed.
//!
//! Two counters make it. Every write transaction this process commits moves one at once
//! ([`wrote`], from `tx`), so this process's own writes are seen by its next read. A thread of
//! the [`Watch`] reads the data's version ([`statements::data_version`]) every [`POLL`] on a
//! connection of its own and moves the other when it changed, so another process's writes
//! (a second instance on the same PostgreSQL, `upr-tc import` beside `serve` on SQLite) are
//! seen within a poll. While the thread cannot read the version (the database is down, not
//! yet migrated) or has not read it for [`STALE`], there is no version and nothing kept is
//! given.
//!
//! A reader takes the version before it reads, and keeps what it read under that version: a
//! write committed between the two moves the version, so what was kept is never given.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
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

/// The write transactions this process has committed.
static WRITES: AtomicU64 = AtomicU64::new(0);

/// Called after every write transaction this process commits.
pub fn wrote() {
    WRITES.fetch_add(1, Ordering::SeqCst);
}

/// The version of one database's data, read by a thread of its own.
pub struct Watch {
    start: Instant,
    /// How many times the version read changed.
    seen: AtomicU64,
    /// When the last read that succeeded began, in milliseconds after `start` and plus one;
    /// 0 when the last read failed (or none was made yet).
    read_at: AtomicU64,
}

impl Watch {
    /// Starts watching the database `url` names, on a connection opened as `connecting` says.
    /// The thread ends soon after the last `Arc` is dropped.
    pub fn start(url: DatabaseUrl, connecting: Connecting) -> Arc<Self> {
        let watch = Arc::new(Self {
            start: Instant::now(),
            seen: AtomicU64::new(0),
            read_at: AtomicU64::new(0),
        });
        let weak = Arc::downgrade(&watch);
        std::thread::Builder::new()
            .name("upr-tc-watch".into())
            .spawn(move || run(weak, url, connecting))
            .expect("the watch thread starts");
        watch
    }

    /// The data's version now, if it is known.
    pub fn version(&self) -> Option<i64> {
        let read_at = self.read_at.load(Ordering::Acquire);
        let now = self.millis();
        if read_at == 0 || now.saturating_sub(read_at) > STALE.as_millis() as u64 {
            return None;
        }
        let version = self.seen.load(Ordering::Acquire) + WRITES.load(Ordering::SeqCst);
        Some(version as i64)
    }

    fn millis(&self) -> u64 {
        self.start.elapsed().as_millis() as u64 + 1
    }
}

fn run(watch: Weak<Watch>, url: DatabaseUrl, connecting: Connecting) {
    let mut conn: Option<DbConnection> = None;
    let mut last: Option<[i64; 4]> = None;
    loop {
        let Some(w) = watch.upgrade() else {
            return;
        };
        let began = w.millis();
        let read = match conn.as_mut() {
            Some(c) => statements::data_version(c).map_err(|e| e.to_string()),
            None => super::open(&url, connecting)
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    let v = statements::data_version(&mut c).map_err(|e| e.to_string());
                    conn = Some(c);
                    v
                }),
        };
        let wait = match read {
            Ok(version) => {
                if last != Some(version) {
                    last = Some(version);
                    w.seen.fetch_add(1, Ordering::AcqRel);
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
mod tests {
    use super::*;

    fn sqlite() -> (tempfile::TempDir, DatabaseUrl) {
        let dir = tempfile::tempdir().unwrap();
        let url =
            DatabaseUrl::parse(&format!("sqlite://{}/watch.db", dir.path().display())).unwrap();
        (dir, url)
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
        let watch = Watch::start(url, Connecting::default());
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
        crate::db::audit::record(
            &mut conn,
            &crate::db::audit::Actor::operator(),
            "stakeholder",
            &crate::domain::ids::new_uuid().to_string(),
            crate::db::audit::Operation::Update,
            None,
            Some(&serde_json::json!({})),
        )
        .unwrap();
        assert!(
            until(|| watch.seen.load(Ordering::Acquire) != before),
            "the write is seen"
        );
    }

    #[test]
    fn no_version_while_the_database_cannot_be_read() {
        let (_dir, url) = sqlite();
        // Not migrated: the version cannot be read.
        let watch = Watch::start(url, Connecting::default());
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
        let watch = Watch::start(url, Connecting::default());
        assert!(until(|| watch.version().is_some()));
        let before = watch.version().unwrap();
        wrote();
        assert!(watch.version().unwrap() > before);
    }
}
