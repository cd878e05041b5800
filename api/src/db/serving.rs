//! Which `serve` processes a SQLite file has. Each one holds a shared lock on a file beside
//! the database (`<file>.serving`) for as long as it runs; a process starting takes the lock
//! exclusively first, which it gets only when no other process serves the file. That tells
//! start-up whether the running idempotency claims it finds were all left by processes that
//! stopped (`idempotency::clear_orphaned_claims`): a second `serve` on the same file must not
//! clear the first one's, or a retry of a request still running would be carried out twice.
//! PostgreSQL knows its live connections itself, and needs no file.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

use anyhow::Context;

use crate::config::DatabaseUrl;

/// This process's hold on the database it serves: released when dropped (or when the process
/// ends, however it ends).
#[derive(Debug)]
pub struct Serving {
    _lock: Option<File>,
    /// Whether no other process served the database when this one started.
    pub alone: bool,
}

impl Serving {
    /// Registers this process as serving `url`.
    pub fn register(url: &DatabaseUrl) -> anyhow::Result<Self> {
        let DatabaseUrl::Sqlite(db) = url else {
            return Ok(Self {
                _lock: None,
                alone: true,
            });
        };
        let path = lock_path(db);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| {
                format!(
                    "cannot open {}, which says who serves the database",
                    path.display()
                )
            })?;
        let alone = match file.try_lock() {
            Ok(()) => true,
            Err(TryLockError::WouldBlock) => false,
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        };
        // Held shared from here on, beside any other process's (let go first: what taking a
        // shared lock over one's own exclusive one does is not the same on every system).
        if alone {
            file.unlock()
                .with_context(|| format!("cannot unlock {}", path.display()))?;
        }
        file.lock_shared()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(Self {
            _lock: Some(file),
            alone,
        })
    }
}

/// The lock file beside the SQLite file `db`, where a symbolic link to it leads: two paths
/// to one file are one lock.
fn lock_path(db: &std::path::Path) -> PathBuf {
    let db = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_owned());
    let mut name = db.into_os_string();
    name.push(".serving");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_process_is_alone_and_the_next_is_not_until_it_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("upr-tc.sqlite3"));
        let first = Serving::register(&url).unwrap();
        assert!(first.alone);
        // Another open file description conflicts as another process's would.
        let second = Serving::register(&url).unwrap();
        assert!(!second.alone);
        // A symbolic link to the file leads to the same lock.
        #[cfg(unix)]
        {
            std::fs::write(dir.path().join("upr-tc.sqlite3"), b"").unwrap();
            let link = dir.path().join("link.sqlite3");
            std::os::unix::fs::symlink(dir.path().join("upr-tc.sqlite3"), &link).unwrap();
            let linked = Serving::register(&DatabaseUrl::Sqlite(link)).unwrap();
            assert!(!linked.alone);
        }
        drop((first, second));
        assert!(Serving::register(&url).unwrap().alone);
        let pg = DatabaseUrl::Postgres("postgres://localhost/x".into());
        assert!(Serving::register(&pg).unwrap().alone);
    }
}
