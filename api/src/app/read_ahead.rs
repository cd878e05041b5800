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

/// A page as read ahead: `None` when the read failed or found nothing to give.
type Slot<T> = Arc<OnceCell<Option<Arc<T>>>>;

/// The pages held for their clients, oldest first: each under its key and the data's version
/// it was started under.
type Held<T> = Arc<Mutex<VecDeque<(String, i64, Slot<T>)>>>;

pub struct ReadAhead<T> {
    slots: usize,
    largest: usize,
    held: Held<T>,
    running: Arc<Semaphore>,
    /// Pages given as read ahead (hits), and pages read ahead and not given (misses: asked at
    /// another version, larger than may be held, pushed out by newer ones, failed).
    counted: Outcomes,
}

/// What a page read ahead tells of itself.
pub trait Weighed {
    /// About how many bytes it holds.
    fn weight(&self) -> usize;
}

impl<T: Weighed + Send + Sync + 'static> ReadAhead<T> {
    /// Holds at most `slots` pages nobody asked for yet, of at most `largest` bytes each (a
    /// larger one is given only to a request already waiting for it); none when `slots` is 0.
    pub fn new(slots: usize, largest: usize) -> Self {
        Self {
            slots,
            largest,
            held: Held::default(),
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
            at.and_then(|i| held.remove(i))?
        };
        let (_, started, slot) = slot;
        if started != version {
            self.counted.misses.inc();
            return None;
        }
        let mut read_here = false;
        let page = slot
            .get_or_init(|| {
                read_here = true;
                async move { read.await.map(Arc::new) }
            })
            .await
            .clone();
        match (&page, read_here) {
            (Some(_), false) => self.counted.hits.inc(),
            _ => self.counted.misses.inc(),
        };
        page
    }

    /// The page under `key` read ahead from the data at `version`, if its read is finished;
    /// left held for its client.
    pub fn finished(&self, key: &str, version: i64) -> Option<Arc<T>> {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let (_, _, slot) = held.iter().find(|(k, v, _)| k == key && *v == version)?;
        slot.get().cloned().flatten()
    }

    /// Leave to do other work for reading ahead (finding where a page starts, say), while
    /// fewer than [`RUNNING`] are: held while it runs.
    pub fn permit(&self) -> Option<OwnedSemaphorePermit> {
        if self.slots == 0 {
            return None;
        }
        self.running.clone().try_acquire_owned().ok()
    }

    /// Starts reading the page under `key` with `read` (which should hold what it reads with,
    /// a connection, taken already: nobody waits for it), from the data at `version`, on the
    /// calling thread's runtime. Not when it is held already, [`RUNNING`] are being
    /// read, or every page held is still being read; `read` is then dropped unpolled.
    pub fn start<F>(&self, key: String, version: i64, read: F)
    where
        F: Future<Output = Option<T>> + Send + 'static,
    {
        if self.slots == 0 {
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
            let before = held.len();
            held.retain(|(k, _, _)| *k != key);
            // Room is made by the oldest page read and not yet asked for, never one being read.
            let mut room = true;
            while room && held.len() >= self.slots {
                match held.iter().position(|(_, _, s)| s.initialized()) {
                    Some(read) => drop(held.remove(read)),
                    None => room = false,
                }
            }
            self.counted.misses.inc_by((before - held.len()) as u64);
            if !room {
                return;
            }
            held.push_back((key, version, slot.clone()));
        }
        let (held, largest, misses) =
            (self.held.clone(), self.largest, self.counted.misses.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let page = slot
                .get_or_init(|| async move { read.await.map(Arc::new) })
                .await;
            // Too large to hold for a client that has not asked yet: dropped, unless asked.
            if page.as_ref().is_some_and(|p| p.weight() > largest) {
                let mut held = held.lock().unwrap_or_else(|e| e.into_inner());
                let before = held.len();
                held.retain(|(_, _, s)| !Arc::ptr_eq(s, &slot));
                misses.inc_by((before - held.len()) as u64);
            }
        });
    }

    /// Whether nothing is being read ahead now.
    pub fn idle(&self) -> bool {
        self.running.available_permits() == RUNNING
    }
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

    /// Until every page started has been read.
    async fn settled(ahead: &ReadAhead<Page>) {
        while !ahead.idle() {
            tokio::task::yield_now().await;
        }
    }

    fn held(ahead: &ReadAhead<Page>) -> Vec<String> {
        let held = ahead.held.lock().unwrap();
        held.iter().map(|(k, _, _)| k.clone()).collect()
    }

    fn counts(ahead: &ReadAhead<Page>) -> (u64, u64) {
        (count(&ahead.counted.hits), count(&ahead.counted.misses))
    }

    #[tokio::test]
    async fn a_page_read_ahead_is_given_once_and_only_at_its_version() {
        let ahead = ReadAhead::<Page>::new(4, 1000);
        ahead.start("a".into(), 7, async { Some(Page(10)) });
        // Asked at another version: not given (and no longer held).
        assert!(ahead.take("a", 8, async { None }).await.is_none());
        ahead.start("a".into(), 8, async { Some(Page(10)) });
        settled(&ahead).await;
        let page = ahead.take("a", 8, async { None }).await;
        assert_eq!(page.map(|p| p.0), Some(10));
        // Taken: the next asking reads it itself (nothing was read ahead: no miss either).
        assert!(ahead.take("a", 8, async { None }).await.is_none());
        assert_eq!(counts(&ahead), (1, 1));
    }

    #[tokio::test]
    async fn a_page_not_yet_read_is_read_by_its_asker_once() {
        let ahead = ReadAhead::<Page>::new(4, 1000);
        // Started, then asked before the runtime ran the read: the asker reads it, and the
        // read started is not run again.
        let ran = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = ran.clone();
        ahead.start("b".into(), 1, async move {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Some(Page(3))
        });
        let page = ahead.take("b", 1, async { Some(Page(4)) }).await;
        assert_eq!(page.map(|p| p.0), Some(4));
        settled(&ahead).await;
        assert_eq!(ran.load(std::sync::atomic::Ordering::SeqCst), 0);
        // Read by its asker: not a hit.
        assert_eq!(counts(&ahead), (0, 1));
    }

    #[tokio::test]
    async fn a_page_too_large_to_hold_is_given_only_to_a_client_waiting_for_it() {
        let ahead = ReadAhead::<Page>::new(2, 100);
        // Nobody asked while it was read: dropped, and read again by its asker.
        ahead.start("big".into(), 1, async { Some(Page(101)) });
        settled(&ahead).await;
        assert!(held(&ahead).is_empty());
        let page = ahead.take("big", 1, async { Some(Page(5)) }).await;
        assert!(page.is_none(), "not held, so read by its asker");
        // Asked while it was being read: given.
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        ahead.start("big".into(), 2, async move {
            let _ = rx.await;
            Some(Page(101))
        });
        tokio::task::yield_now().await;
        let asked = ahead.take("big", 2, async { Some(Page(5)) });
        let (page, _) = futures_util::join!(asked, async move { tx.send(()) });
        assert_eq!(page.map(|p| p.0), Some(101));
    }

    #[tokio::test]
    async fn what_is_held_is_bounded() {
        let ahead = ReadAhead::<Page>::new(2, 100);
        // At most RUNNING read at once: a third is not started while two run.
        let (tx, rx) = tokio::sync::watch::channel(false);
        for key in ["a", "b", "c"] {
            let mut rx = rx.clone();
            ahead.start(key.into(), 1, async move {
                let _ = rx.wait_for(|go| *go).await;
                Some(Page(1))
            });
        }
        assert_eq!(held(&ahead), ["a", "b"]);
        assert!(ahead.permit().is_none(), "both runs are taken");
        tx.send(true).unwrap();
        settled(&ahead).await;
        // At most `slots` held: the oldest read goes first, and counts as a miss.
        for key in ["d", "e", "f"] {
            ahead.start(key.into(), 1, async { Some(Page(1)) });
            settled(&ahead).await;
        }
        assert_eq!(held(&ahead), ["e", "f"]);
        assert_eq!(counts(&ahead), (0, 3));
    }

    #[tokio::test]
    async fn a_page_being_read_is_not_pushed_out() {
        let ahead = ReadAhead::<Page>::new(1, 100);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        ahead.start("a".into(), 1, async move {
            let _ = rx.await;
            Some(Page(1))
        });
        ahead.start("b".into(), 1, async { Some(Page(1)) });
        assert_eq!(held(&ahead), ["a"]);
        tx.send(()).unwrap();
        settled(&ahead).await;
        ahead.start("b".into(), 1, async { Some(Page(1)) });
        settled(&ahead).await;
        assert_eq!(held(&ahead), ["b"]);
    }

    #[tokio::test]
    async fn a_page_finished_is_seen_and_left_held() {
        let ahead = ReadAhead::<Page>::new(4, 1000);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        ahead.start("a".into(), 1, async move {
            let _ = rx.await;
            Some(Page(7))
        });
        tokio::task::yield_now().await;
        assert!(ahead.finished("a", 1).is_none(), "still being read");
        tx.send(()).unwrap();
        settled(&ahead).await;
        assert!(ahead.finished("a", 2).is_none(), "another version");
        assert_eq!(ahead.finished("a", 1).map(|p| p.0), Some(7));
        let page = ahead.take("a", 1, async { None }).await;
        assert_eq!(page.map(|p| p.0), Some(7), "still held for its client");
        assert_eq!(counts(&ahead), (1, 0));
    }

    #[tokio::test]
    async fn nothing_is_read_ahead_without_slots() {
        let ahead = ReadAhead::<Page>::new(0, 100);
        ahead.start("a".into(), 1, async { Some(Page(1)) });
        assert!(held(&ahead).is_empty());
        assert!(ahead.permit().is_none());
    }
}
