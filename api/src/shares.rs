//! Each caller's share of what the service runs a limited number of at once: a quarter of the
//! ranked searches' permits, and of the other rankings' (at least one); one streamed export;
//! one bulk upload.
//! Within its budget of requests (`ratelimit`) a caller may still send many at once; without a
//! share, one that keeps every permit busy keeps every other caller's searches waiting, then
//! refused. With one, its requests beyond its share wait for its own to end (an export's are
//! refused at once), and others are served beside it. Callers are told apart as the budgets
//! tell them (`ratelimit::caller_key`): a token's subject, or an anonymous caller's address;
//! with the budgets off, the searches' and rankings' shares are off too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How many callers are remembered before those with nothing running are swept.
const SWEEP_AT: usize = 1024;

/// The callers running something limited, each with its share's permits.
pub struct Shares {
    /// How many one caller runs at once; `None`: callers are not told apart.
    each: Option<usize>,
    callers: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// One of a caller's permits, given back when dropped.
pub struct Share {
    permit: Option<OwnedSemaphorePermit>,
    caller: String,
    shares: Arc<Shares>,
}

impl Shares {
    /// The shares of `permits` run at once: a quarter each, at least one; or none, when
    /// callers are not limited one by one (`UPR_TC_RATE_LIMITS=off`).
    pub fn of(permits: usize, per_caller: bool) -> Arc<Self> {
        Self::each_runs(per_caller.then_some((permits / 4).max(1)))
    }

    /// `each` at once for every caller (none: callers are not told apart).
    pub fn each_runs(each: Option<usize>) -> Arc<Self> {
        Arc::new(Self {
            each: each.map(|n| n.max(1)),
            callers: Mutex::new(HashMap::new()),
        })
    }

    /// How many one caller runs at once, when callers have shares.
    pub fn each(&self) -> Option<usize> {
        self.each
    }

    /// One of `caller`'s permits if one is free now, else `None`.
    pub fn try_take(self: &Arc<Self>, caller: String) -> Option<Share> {
        match self.permits_of(&caller) {
            None => Some(self.share(None, caller)),
            Some(permits) => self.given(permits.try_acquire_owned().ok(), caller),
        }
    }

    /// One of `caller`'s permits: the next free one within `wait`, else `None`.
    pub async fn take(self: &Arc<Self>, caller: String, wait: Duration) -> Option<Share> {
        let Some(permits) = self.permits_of(&caller) else {
            return Some(self.share(None, caller));
        };
        // `acquire_owned` holds the only other handle on the caller's permits: none is left
        // once it is given up.
        let permit = tokio::time::timeout(wait, permits.acquire_owned())
            .await
            .ok()
            .and_then(Result::ok);
        self.given(permit, caller)
    }

    /// The caller's permits, remembered while it has something running or waiting; `None`
    /// when callers have no shares.
    fn permits_of(&self, caller: &str) -> Option<Arc<Semaphore>> {
        let each = self.each?;
        let mut callers = self
            .callers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A caller whose waiting request was given up (its client gone) just as a permit came
        // to it is not forgotten then: swept here, once such callers are many.
        if callers.len() >= SWEEP_AT {
            callers.retain(|_, permits| Arc::strong_count(permits) > 1);
        }
        Some(
            callers
                .entry(caller.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(each)))
                .clone(),
        )
    }

    fn share(self: &Arc<Self>, permit: Option<OwnedSemaphorePermit>, caller: String) -> Share {
        Share {
            permit,
            caller,
            shares: self.clone(),
        }
    }

    /// The share `permit` makes, or `None` (the caller forgotten if nothing else of its holds).
    fn given(
        self: &Arc<Self>,
        permit: Option<OwnedSemaphorePermit>,
        caller: String,
    ) -> Option<Share> {
        match permit {
            Some(permit) => Some(self.share(Some(permit), caller)),
            None => {
                self.forget_if_idle(&caller);
                None
            }
        }
    }

    /// Forgets `caller` when nothing of its runs or waits: the map holds callers with
    /// something running (and, until the next sweep, a few whose last waiter was given up).
    fn forget_if_idle(&self, caller: &str) {
        let mut callers = self
            .callers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if callers
            .get(caller)
            .is_some_and(|permits| Arc::strong_count(permits) == 1)
        {
            callers.remove(caller);
        }
    }

    /// How many callers have something running or waiting.
    pub fn callers(&self) -> usize {
        self.callers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// How many permits callers hold now, all callers together.
    pub fn taken(&self) -> usize {
        let each = self.each.unwrap_or_default();
        self.callers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .map(|permits| each.saturating_sub(permits.available_permits()))
            .sum()
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        drop(self.permit.take());
        self.shares.forget_if_idle(&self.caller);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_caller_runs_its_share_and_others_run_beside_it() {
        let shares = Shares::of(8, true);
        assert_eq!(shares.each(), Some(2));
        let a = (
            shares.try_take("a".into()).unwrap(),
            shares.try_take("a".into()).unwrap(),
        );
        assert!(shares.try_take("a".into()).is_none(), "beyond a's share");
        assert!(
            shares
                .take("a".into(), Duration::from_millis(20))
                .await
                .is_none(),
            "waited for one of its own, none ended"
        );
        let b = shares.try_take("b".into()).unwrap();
        assert_eq!(shares.callers(), 2);
        // One of a's ends while another of a's waits: that one runs.
        let waiting = {
            let shares = shares.clone();
            tokio::spawn(async move { shares.take("a".into(), Duration::from_secs(5)).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(a.0);
        let third = waiting
            .await
            .unwrap()
            .expect("a's next runs once one of a's ends");
        drop((a.1, third, b));
        assert_eq!(
            shares.callers(),
            0,
            "callers with nothing running are forgotten"
        );
        assert_eq!(Shares::of(1, true).each(), Some(1), "at least one");
        let none = Shares::of(8, false);
        let mut all: Vec<Share> = (0..20)
            .map(|_| none.try_take("a".into()).unwrap())
            .collect();
        all.push(none.take("a".into(), Duration::ZERO).await.unwrap());
        assert_eq!(
            (all.len(), none.callers()),
            (21, 0),
            "no shares: no caller is held"
        );
    }
}
