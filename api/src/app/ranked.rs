//! Ranked pages kept while the data is unchanged: a ranked search (`q`) reads and ranks every
//! match, the costliest read there is, and the same search asked again of the same data gets
//! the same page. A page is kept with the version of the data it was ranked from (the audit
//! trail's head, which every write moves) and given again only while that is the version;
//! the first write after it makes every kept page stale.
//!
//! A page is keyed by everything that chose it: the kind of item, the conditions of the
//! caller's query *and of its access* (the same statement text and values), the words, the
//! position and the page size. A caller is never given a page ranked for an access that sees
//! more: such a page has other conditions, so another key.

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// How many pages are kept at most; the oldest goes first.
const PAGES: usize = 128;

/// The largest page kept (items): larger ones are ranked each time, so that what is kept stays
/// within a few tens of megabytes.
pub const LARGEST: i64 = 100;

#[derive(Default)]
pub struct RankedPages {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    /// The version of the data every kept page was ranked from.
    version: i64,
    pages: HashMap<String, Arc<dyn Any + Send + Sync>>,
    /// Keys, oldest first.
    order: VecDeque<String>,
}

impl RankedPages {
    /// The page kept under `key`, if it was ranked from the data at `version`: shared, so that
    /// the lock is held for a look-up, never for a copy of the page.
    pub fn get<T: Send + Sync + 'static>(&self, key: &str, version: i64) -> Option<Arc<T>> {
        let page = {
            let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            if kept.version != version {
                return None;
            }
            kept.pages.get(key)?.clone()
        };
        page.downcast::<T>().ok()
    }

    /// Keeps `page`, ranked from the data at `version` (read before it was ranked: if a write
    /// came between, the page is kept under an older version than it saw, and never given).
    /// A newer version drops every page kept before; a page of an older one is not kept.
    pub fn put<T: Send + Sync + 'static>(&self, key: String, version: i64, page: Arc<T>) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if version < kept.version {
            return;
        }
        if version > kept.version {
            *kept = Kept {
                version,
                ..Kept::default()
            };
        }
        if kept.pages.insert(key.clone(), page).is_none() {
            kept.order.push_back(key);
        }
        while kept.order.len() > PAGES {
            if let Some(oldest) = kept.order.pop_front() {
                kept.pages.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_given_only_for_the_version_it_was_ranked_from() {
        let kept = RankedPages::default();
        kept.put("a".into(), 5, Arc::new(vec![1, 2]));
        assert_eq!(kept.get::<Vec<i32>>("a", 5), Some(Arc::new(vec![1, 2])));
        assert_eq!(kept.get::<Vec<i32>>("a", 6), None, "the data changed since");
        assert_eq!(kept.get::<Vec<i32>>("b", 5), None);
        assert_eq!(
            kept.get::<String>("a", 5),
            None,
            "another type: not this page"
        );
        kept.put("b".into(), 4, Arc::new(vec![3]));
        assert_eq!(
            kept.get::<Vec<i32>>("b", 4),
            None,
            "older than what is kept"
        );
        kept.put("b".into(), 7, Arc::new(vec![3]));
        assert_eq!(
            kept.get::<Vec<i32>>("a", 7),
            None,
            "dropped with its version"
        );
        assert_eq!(kept.get::<Vec<i32>>("b", 7), Some(Arc::new(vec![3])));
    }

    #[test]
    fn the_oldest_page_goes_first() {
        let kept = RankedPages::default();
        for i in 0..=PAGES {
            kept.put(format!("{i}"), 1, Arc::new(i));
        }
        assert_eq!(kept.get::<usize>("0", 1), None);
        assert_eq!(kept.get::<usize>("1", 1), Some(Arc::new(1)));
        assert_eq!(
            kept.get::<usize>(&format!("{PAGES}"), 1),
            Some(Arc::new(PAGES))
        );
    }
}
