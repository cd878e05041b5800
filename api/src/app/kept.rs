//! What is read kept while the data is unchanged, so that the same read asked again is not
//! read again: a recommendation by id as stored, a list's page, a ranked search's page (a
//! ranked search reads and ranks every match, the costliest read there is). Each is kept with
//! the version of the data it was read from (`db::watch`: every write moves it, this
//! process's at once, another's within a poll) and given again only while that is the
//! version; the first write after it makes everything kept stale.
//!
//! A page is keyed by everything that chose it: the kind of item, the conditions of the
//! caller's query *and of its access* (the same statement text and values), the words, the
//! position and the page size. A caller is never given a page read for an access that sees
//! more: such a page has other conditions, so another key.

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use crate::metrics::Outcomes;

/// The largest page kept (items): larger ones are read each time.
pub const LARGEST: i64 = 100;

/// What the service keeps, each within its share of `UPR_TC_KEPT_BYTES`.
pub struct KeptReads {
    /// Items by id, as stored: a quarter.
    pub items: Kept,
    /// Pages of lists: half.
    pub pages: Kept,
    /// Pages of ranked searches (the last 128), read where lists are read (a replica when
    /// there is one, under its version): an eighth.
    pub ranked: Kept,
    /// The other rankings (matches, the coordination view) and the reports counted, the last
    /// 128, from the primary's data (under its version): an eighth.
    pub rankings: Kept,
}

impl KeptReads {
    /// Stores within `bytes` in all, each counting its hits and misses in `metrics`.
    pub fn new(bytes: usize, metrics: &crate::metrics::Metrics) -> Self {
        let entries = |n: usize| if bytes == 0 { 0 } else { n };
        let store = |name, n, share| Kept::new(entries(n), share).counted(metrics.kept(name));
        Self {
            items: store("items", 100_000, bytes / 4),
            pages: store("pages", 4096, bytes / 2),
            ranked: store("ranked", 128, bytes / 8),
            rankings: store("rankings", 128, bytes / 8),
        }
    }
}

/// Entries kept while the data is unchanged, at most `entries` of them and about `bytes` in
/// all; the oldest goes first.
pub struct Kept {
    entries: usize,
    bytes: usize,
    kept: Mutex<Entries>,
    /// Looks-ups that found a value, and those that did not.
    counted: Outcomes,
}

#[derive(Default)]
struct Entries {
    /// The version of the data every kept entry was read from.
    version: i64,
    values: HashMap<String, (Arc<dyn Any + Send + Sync>, usize)>,
    /// Keys, oldest first.
    order: VecDeque<String>,
    /// What the entries weigh ([`weight`]).
    bytes: usize,
}

/// What the map and the order of entries spend on one entry besides its key and its value
/// (the key's and the value's handles, the entry's size, the map's spare room), about.
const ENTRY: usize = 96;

/// What an entry weighs: its value's size as `put` says, its key twice (the map and the order
/// of entries each hold it), and [`ENTRY`].
fn weight(key: &str, size: usize) -> usize {
    size + 2 * key.len() + ENTRY
}

impl Kept {
    pub fn new(entries: usize, bytes: usize) -> Self {
        Self {
            entries,
            bytes,
            kept: Mutex::default(),
            counted: Outcomes::default(),
        }
    }

    /// Counts its hits and misses in these counters (`metrics::Metrics::kept`).
    pub fn counted(self, counted: Outcomes) -> Self {
        Self { counted, ..self }
    }

    /// The value kept under `key`, if it was read from the data at `version`: shared, so that
    /// the lock is held for a look-up, never for a copy.
    pub fn get<T: Send + Sync + 'static>(&self, key: &str, version: i64) -> Option<Arc<T>> {
        let value = {
            let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            (kept.version == version)
                .then(|| kept.values.get(key).map(|(v, _)| v.clone()))
                .flatten()
        };
        let found = value.and_then(|v| v.downcast::<T>().ok());
        match found {
            Some(_) => self.counted.hits.inc(),
            None => self.counted.misses.inc(),
        };
        found
    }

    /// Keeps `value` (about `size` bytes), read from the data at `version` (taken before it
    /// was read: if a write came between, the value is kept under an older version than it
    /// saw, and never given). A newer version drops everything kept before; a value of an
    /// older one, or an entry weighing more than a quarter of what may be kept, is not kept.
    pub fn put<T: Send + Sync + 'static>(
        &self,
        key: String,
        version: i64,
        value: Arc<T>,
        size: usize,
    ) {
        let size = weight(&key, size);
        if self.entries == 0 || size > self.bytes / 4 {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if version < kept.version {
            return;
        }
        if version > kept.version {
            *kept = Entries {
                version,
                ..Entries::default()
            };
        }
        match kept.values.insert(key.clone(), (value, size)) {
            Some((_, was)) => kept.bytes -= was,
            None => kept.order.push_back(key),
        }
        kept.bytes += size;
        while kept.order.len() > self.entries || kept.bytes > self.bytes {
            let Some(oldest) = kept.order.pop_front() else {
                break;
            };
            if let Some((_, size)) = kept.values.remove(&oldest) {
                kept.bytes -= size;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_given_only_for_the_version_it_was_ranked_from() {
        let kept = Kept::new(128, 1 << 20);
        kept.put("a".into(), 5, Arc::new(vec![1, 2]), 8);
        assert_eq!(kept.get::<Vec<i32>>("a", 5), Some(Arc::new(vec![1, 2])));
        assert_eq!(kept.get::<Vec<i32>>("a", 6), None, "the data changed since");
        assert_eq!(kept.get::<Vec<i32>>("b", 5), None);
        assert_eq!(
            kept.get::<String>("a", 5),
            None,
            "another type: not this page"
        );
        kept.put("b".into(), 4, Arc::new(vec![3]), 4);
        assert_eq!(
            kept.get::<Vec<i32>>("b", 4),
            None,
            "older than what is kept"
        );
        kept.put("b".into(), 7, Arc::new(vec![3]), 4);
        assert_eq!(
            kept.get::<Vec<i32>>("a", 7),
            None,
            "dropped with its version"
        );
        assert_eq!(kept.get::<Vec<i32>>("b", 7), Some(Arc::new(vec![3])));
    }

    #[test]
    fn the_oldest_page_goes_first() {
        let kept = Kept::new(128, 1 << 20);
        for i in 0..=128usize {
            kept.put(format!("{i}"), 1, Arc::new(i), 8);
        }
        assert_eq!(kept.get::<usize>("0", 1), None);
        assert_eq!(kept.get::<usize>("1", 1), Some(Arc::new(1)));
        assert_eq!(kept.get::<usize>("128", 1), Some(Arc::new(128)));
    }

    #[test]
    fn what_is_kept_stays_within_its_bytes() {
        let kept = Kept::new(100, 1000);
        for i in 0..10usize {
            kept.put(format!("{i}"), 1, Arc::new(i), 100);
        }
        // 1,000 bytes hold five of 100 with their keys (198 each): the five newest.
        assert_eq!(kept.get::<usize>("4", 1), None);
        assert_eq!(kept.get::<usize>("5", 1), Some(Arc::new(5)));
        assert_eq!(kept.get::<usize>("9", 1), Some(Arc::new(9)));
        // Kept again under the same key: counted once.
        kept.put("9".into(), 1, Arc::new(9), 100);
        assert_eq!(kept.get::<usize>("5", 1), Some(Arc::new(5)));
        // Weighing more than a quarter of the whole: never kept.
        kept.put("big".into(), 1, Arc::new(0), 250 - 2 * 3 - ENTRY + 1);
        assert_eq!(kept.get::<usize>("big", 1), None);
        assert_eq!(kept.get::<usize>("5", 1), Some(Arc::new(5)));
        // A key weighs too, twice: values of nothing under keys of 150 bytes (396 each), five
        // of them in 2,000 bytes.
        let keys = Kept::new(100, 2000);
        let key = |i: usize| format!("{i:0>150}");
        for i in 0..8 {
            keys.put(key(i), 1, Arc::new(i), 0);
        }
        assert_eq!(keys.get::<usize>(&key(2), 1), None);
        assert_eq!(keys.get::<usize>(&key(3), 1), Some(Arc::new(3)));
        assert_eq!(keys.get::<usize>(&key(7), 1), Some(Arc::new(7)));
        // Nothing kept at all when the store holds no entries.
        let none = Kept::new(0, 1000);
        none.put("a".into(), 1, Arc::new(1), 1);
        assert_eq!(none.get::<usize>("a", 1), None);
    }
}
