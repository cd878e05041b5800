//! The next page of a read that is followed page after page (the change feed caught up from
//! its start), read while the client is still taking this one: the database works on page
//! n + 1 while the answer of page n crosses the network and the client reads it, and the
//! request for n + 1 takes it, or waits for it to be finished, instead of reading it again.
//!
//! Bounded on every side a client could push: at most [`RUNNING`] pages read ahead (or other
//! work for it) at once in the process, each started only when a connection is free at that
//! moment; at most `slots` pages held for their clients (the oldest goes first), each at most
//! `largest` bytes (a larger one is dropped and read again if asked). A page read ahead is
//! given only for the data's version it was started under (`db::watch`), as `app::kept` does:
//! after a write the page is read afresh.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};

use crate::metrics::Outcomes;
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};

/// Pages read ahead at once, in the whole process.
pub const RUNNING: usize = 2;

/// A page as read ahead: `None` when the read failed, found nothing to give, or its page was
/// larger than may be held.
type Slot<T> = Arc<OnceCell<Option<Arc<T>>>>;

pub struct ReadAhead<T> {
    slots: usize,
    largest: usize,
    held: Mutex<VecDeque<(String, i64, Slot<T>)>>,
    running: Arc<Semaphore>,
    /// Pages asked that had been read ahead, and those that had not.
    counted: Outcomes,
}

/// What a page read ahead tells of itself.
pub trait Weighed {
    /// About how many bytes it holds.
    fn weight(&self) -> usize;
}

impl<T: Weighed + Send + Sync + 'static> ReadAhead<T> {
    /// Holds at most `slots` pages of at most `largest` bytes each; none when `slots` is 0.
    pub fn new(slots: usize, largest: usize) -> Self {
        Self {
            slots,
            largest,
            held: Mutex::default(),
            running: Arc::new(Semaphore::new(RUNNING)),
            counted: Outcomes::default(),
        }
    }

    /// Counts its hits and misses in these counters (`metrics::Metrics::kept`).
    pub fn counted(self, counted: Outcomes) -> Self {
        Self { counted, ..self }
    }

    /// The page under `key`, if one was read ahead from the data at `version`: taken out (a
    /// page is its client's once), waited for if it is still being read, read by `read` here
    /// if its read has not started yet. `None`: read it as usual.
    pub async fn take<F>(&self, key: &str, version: i64, read: F) -> Option<Arc<T>>
    where
        F: Future<Output = Option<T>>,
    {
        let slot = {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            let at = held.iter().position(|(k, _, _)| k == key);
            at.and_then(|i| held.remove(i))
                .filter(|(_, v, _)| *v == version)
                .map(|(_, _, slot)| slot)
        };
        let Some(slot) = slot else {
            self.counted.misses.inc();
            return None;
        };
        let mut read_here = false;
        let largest = self.largest;
        let page = slot
            .get_or_init(|| {
                read_here = true;
                async move { held_if(read.await, largest) }
            })
            .await
            .clone();
        // A hit is a page read before it was asked for.
        match (&page, read_here) {
            (Some(_), false) => self.counted.hits.inc(),
            _ => self.counted.misses.inc(),
        };
        page
    }

    /// Leave to do other work for reading ahead (finding where a page starts, say), while
    /// fewer than [`RUNNING`] are: held while it runs.
    pub fn permit(&self) -> Option<OwnedSemaphorePermit> {
        if self.slots == 0 {
            return None;
        }
        self.running.clone().try_acquire_owned().ok()
    }

    /// Starts reading the page under `key` with `read`, from the data at `version`, unless it
    /// is held already, [`RUNNING`] are being read, or `idle` says no connection is free now.
    /// On the calling thread's async runtime.
    pub fn start<F>(&self, key: String, version: i64, idle: bool, read: F)
    where
        F: Future<Output = Option<T>> + 'static,
    {
        if self.slots == 0 || !idle {
            return;
        }
        let Ok(permit) = self.running.clone().try_acquire_owned() else {
            return;
        };
        let slot: Slot<T> = Arc::default();
        {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            if held.iter().any(|(k, v, _)| *k == key && *v == version) {
                return;
            }
            held.retain(|(k, _, _)| *k != key);
            while held.len() >= self.slots {
                held.pop_front();
            }
            held.push_back((key, version, slot.clone()));
        }
        let largest = self.largest;
        actix_web::rt::spawn(async move {
            let _permit = permit;
            slot.get_or_init(|| async move { held_if(read.await, largest) })
                .await;
        });
    }
}

/// The page, if it weighs at most `largest` bytes.
fn held_if<T: Weighed>(page: Option<T>, largest: usize) -> Option<Arc<T>> {
    page.filter(|p| p.weight() <= largest).map(Arc::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Page(usize);
    impl Weighed for Page {
        fn weight(&self) -> usize {
            self.0
        }
    }

    fn count(counter: &prometheus_client::metrics::counter::Counter) -> u64 {
        counter.get()
    }

    #[actix_web::test]
    async fn a_page_read_ahead_is_given_once_and_only_at_its_version() {
        let ahead = ReadAhead::<Page>::new(4, 1000);
        ahead.start("a".into(), 7, true, async { Some(Page(10)) });
        // Asked at another version: not given (and no longer held).
        assert!(ahead.take("a", 8, async { None }).await.is_none());
        ahead.start("a".into(), 8, true, async { Some(Page(10)) });
        settled(&ahead).await;
        let page = ahead.take("a", 8, async { None }).await;
        assert_eq!(page.map(|p| p.0), Some(10));
        // Taken: the next asking reads it itself.
        assert!(ahead.take("a", 8, async { None }).await.is_none());
        assert_eq!(
            (count(&ahead.counted.hits), count(&ahead.counted.misses)),
            (1, 2)
        );
    }

    #[actix_web::test]
    async fn a_page_not_yet_read_is_read_by_its_asker_once() {
        let ahead = ReadAhead::<Page>::new(4, 1000);
        // Not started while no connection is free.
        ahead.start("a".into(), 1, false, async { Some(Page(1)) });
        assert!(ahead.take("a", 1, async { Some(Page(2)) }).await.is_none());
        // Started, then asked before the runtime ran the read: the asker reads it, and the
        // read started is not run again.
        let ran = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = ran.clone();
        ahead.start("b".into(), 1, true, async move {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Some(Page(3))
        });
        let page = ahead.take("b", 1, async { Some(Page(4)) }).await;
        assert_eq!(page.map(|p| p.0), Some(4));
        actix_web::rt::task::yield_now().await;
        assert_eq!(ran.load(std::sync::atomic::Ordering::SeqCst), 0);
        // Read by its asker: not a hit.
        assert_eq!(
            (count(&ahead.counted.hits), count(&ahead.counted.misses)),
            (0, 2)
        );
    }

    /// Until every page started has been read.
    async fn settled(ahead: &ReadAhead<Page>) {
        while ahead.running.available_permits() < RUNNING {
            actix_web::rt::task::yield_now().await;
        }
    }

    fn held(ahead: &ReadAhead<Page>) -> Vec<String> {
        let held = ahead.held.lock().unwrap();
        held.iter().map(|(k, _, _)| k.clone()).collect()
    }

    #[actix_web::test]
    async fn what_is_held_is_bounded() {
        let ahead = ReadAhead::<Page>::new(2, 100);
        // Too large to hold: read, dropped, and read again by its asker.
        ahead.start("big".into(), 1, true, async { Some(Page(101)) });
        settled(&ahead).await;
        let page = ahead.take("big", 1, async { Some(Page(5)) }).await;
        assert!(
            page.is_none(),
            "the read ahead found a page too large, not none"
        );
        // At most RUNNING read at once: a third is not started while two run.
        let (tx, rx) = tokio::sync::watch::channel(false);
        for key in ["a", "b", "c"] {
            let mut rx = rx.clone();
            ahead.start(key.into(), 1, true, async move {
                let _ = rx.wait_for(|go| *go).await;
                Some(Page(1))
            });
        }
        assert_eq!(held(&ahead), ["a", "b"]);
        tx.send(true).unwrap();
        settled(&ahead).await;
        // At most `slots` held: the oldest goes first.
        for key in ["d", "e", "f"] {
            ahead.start(key.into(), 1, true, async { Some(Page(1)) });
            settled(&ahead).await;
        }
        assert_eq!(held(&ahead), ["e", "f"]);
    }
}
