//! Reads held while a test asks (built with the `failpoints` feature only): a test holds the
//! reads of a word ([`hold`]), waits until one is held ([`holding`]), looks at what it holds
//! (its permits after its client has hung up, the report's facts while another caller asks),
//! then lets it go by dropping what `hold` gave. Each test holds its own word, so that tests
//! running beside each other neither release nor hold each other's reads.

use std::collections::HashMap;
use std::sync::Mutex;

/// The words held, each with how many reads are held by it now.
static HELD: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);

fn held() -> std::sync::MutexGuard<'static, Option<HashMap<String, usize>>> {
    HELD.lock().unwrap_or_else(|e| e.into_inner())
}

/// Holds the reads whose `what` contains `word` until what it gives is dropped (also when the
/// test panics).
pub fn hold(word: &str) -> Held {
    held()
        .get_or_insert_with(HashMap::new)
        .insert(word.to_owned(), 0);
    Held(word.to_owned())
}

/// The reads of a word, held while it lives.
pub struct Held(String);

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(words) = held().as_mut() {
            words.remove(&self.0);
        }
    }
}

/// Whether a read of `word` is being held now.
pub fn holding(word: &str) -> bool {
    held()
        .as_ref()
        .and_then(|words| words.get(word))
        .is_some_and(|n| *n > 0)
}

/// Called by a read of `what`: waits while a test holds a word it contains.
pub fn by_test(what: &str) {
    let word = held()
        .as_ref()
        .and_then(|words| words.keys().find(|w| what.contains(w.as_str())).cloned());
    let Some(word) = word else {
        return;
    };
    let mut counted = false;
    loop {
        {
            let mut words = held();
            match words.as_mut().and_then(|w| w.get_mut(&word)) {
                Some(n) if !counted => {
                    *n += 1;
                    counted = true;
                }
                Some(_) => {}
                None => return,
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
