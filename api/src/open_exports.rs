//! The streamed exports open at once (`UPR_TC_EXPORT_LIMIT`), and which of them makes way for
//! a new one.
//!
//! An open export holds one of a few places for as long as its client takes to read it. A
//! client that takes nothing is abandoned after `UPR_TC_EXPORT_SEND_TIMEOUT`, but one that
//! reads slowly and steadily never was: sixteen callers reading at some 20 KB/s held every
//! place for as long as their exports lasted (hours for an export at UN scale), and every other
//! export was a 503. So when every place is taken and another export is asked for, the open
//! export whose client reads slowest, if that is slower than `UPR_TC_EXPORT_MIN_RATE`, is
//! abandoned and its place given to the new one. Its caller's next export within [`COOLING`]
//! is then refused while every place is taken: callers taking turns, each asking again at
//! once, took the places back with exports not measured yet, and a new caller's export was
//! refused all the same.
//!
//! A client's pace is what it took over the time the service waited on it (the service's own
//! time, reading a page or waiting for a turn at the database, is not the client's), in
//! windows of [`MEASURED_OVER`] of such waiting (the wait going on counted), from the first time
//! the service waited on it for [`WAITED`]: what the sockets' buffers take at first says
//! nothing of the client, and an export whose client is fast enough that the service never
//! waits on it for long is never measured. Only an export the service is waiting on at that
//! moment is told to make way, so that it gives its place up at once. Nothing makes way while
//! a place is free: a slow reader on a quiet service gets its export whole.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc::{Sender, error::TrySendError};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// How long the service must have waited on an export's client for the client's pace to be
/// judged: the length of each window it is measured over.
pub const MEASURED_OVER: Duration = Duration::from_secs(10);

/// How long a new export waits for the place of the one told to make way (which gives it up
/// as soon as it next hands over a piece, or at once while waiting on its client).
const MAKE_WAY_WAIT: Duration = Duration::from_secs(2);

/// How long a caller whose export made way is refused a place while every place is taken: a
/// caller that asks again at once would take the place back from the one it was given to, and
/// a few callers that take turns would keep every place with exports not measured yet.
pub const COOLING: Duration = Duration::from_secs(60);

/// How many callers cooling down are remembered at most (a few megabytes); past that, those
/// whose cooling ends soonest are forgotten first.
const COOLING_KEPT: usize = 100_000;

/// The places of the exports open at once, and a handle on the pace of each open one.
pub struct OpenExports {
    places: Arc<Semaphore>,
    open: Mutex<Vec<Weak<Pace>>>,
    /// The callers whose export made way, until when they wait.
    cooling: Mutex<std::collections::HashMap<String, Instant>>,
    /// Bytes a second below which an open export makes way for a new one when every place is
    /// taken; 0: none ever does.
    min_rate: u64,
}

/// One open export's place: given back when it drops.
pub struct Place {
    _permit: OwnedSemaphorePermit,
    pace: Arc<Pace>,
}

impl Place {
    pub fn pace(&self) -> &Pace {
        &self.pace
    }
}

/// How fast the client of one open export takes it, and whether it was told to make way.
#[derive(Default)]
pub struct Pace {
    /// Its caller, as the rate limits tell callers apart.
    caller: String,
    window: Mutex<Window>,
    made_way: AtomicBool,
    told: Notify,
}

/// What a client took in the current window and how long the service waited on it for that,
/// and its pace over the last whole window.
#[derive(Default)]
struct Window {
    /// Whether the client is measured: from the first time the service waited on it for
    /// [`WAITED`].
    measured: bool,
    /// Since when the service has been waiting on the client, while it is, and the bytes it
    /// waits to hand over (credited to the client while it is judged: part of them may be
    /// taken).
    waiting: Option<Instant>,
    in_flight: u64,
    taken: u64,
    waited: Duration,
    last_rate: Option<u64>,
}

/// How long a piece must have waited on its client for the client's pace to be measured from
/// then on (a piece waits a little whenever the service is faster than the connection).
pub const WAITED: Duration = Duration::from_millis(50);

/// Why a new export has no place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Every place is taken, and no open export's client reads too slowly to keep its own.
    Full,
    /// The caller's last export made way for another this long ago less than [`COOLING`].
    Cooling(Duration),
}

/// What became of a piece handed to an export's client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handed {
    Taken,
    /// The client went away.
    Gone,
    /// The client took nothing for the send timeout.
    Stalled,
    /// The export was told to make way for a new one.
    MadeWay,
}

impl Pace {
    /// Hands `piece` to the connection's side of `tx`, waiting on the client up to `timeout`,
    /// and counts what it took and how long it was waited on.
    pub async fn hand_over(&self, tx: &Sender<Bytes>, piece: Bytes, timeout: Duration) -> Handed {
        if self.made_way() {
            return Handed::MadeWay;
        }
        let len = piece.len() as u64;
        let piece = match tx.try_send(piece) {
            Ok(()) => {
                self.waited(len, Duration::ZERO);
                return Handed::Taken;
            }
            Err(TrySendError::Closed(_)) => return Handed::Gone,
            Err(TrySendError::Full(piece)) => piece,
        };
        let waiting = Instant::now();
        {
            let mut window = self.lock();
            window.waiting = Some(waiting);
            window.in_flight = len;
        }
        let handed = tokio::select! {
            sent = tokio::time::timeout(timeout, tx.send(piece)) => match sent {
                Ok(Ok(())) => Handed::Taken,
                Ok(Err(_)) => Handed::Gone,
                Err(_) => Handed::Stalled,
            },
            () = self.told.notified() => Handed::MadeWay,
        };
        self.lock().waiting = None;
        let taken = if handed == Handed::Taken { len } else { 0 };
        self.waited(taken, waiting.elapsed());
        handed
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts `taken` bytes the client took after the service waited `waited` on it.
    fn waited(&self, taken: u64, waited: Duration) {
        let mut window = self.lock();
        window.measured |= waited >= WAITED;
        if !window.measured {
            return;
        }
        window.taken += taken;
        window.waited += waited;
        if window.waited >= MEASURED_OVER {
            window.last_rate = Some(rate(window.taken, window.waited));
            window.taken = 0;
            window.waited = Duration::ZERO;
        }
    }

    /// Whether it was told to make way.
    pub fn made_way(&self) -> bool {
        self.made_way.load(Ordering::Acquire)
    }

    /// Bytes a second its client took while the service waited on it (the wait going on and
    /// the piece it waits to hand over included): over the current window once that is
    /// [`MEASURED_OVER`] long, else the faster of the last whole window and what there is of
    /// the current one (a client that paused, then reads fast, is judged by how it reads
    /// now); `None` before a window is whole; and whether the service is waiting on it now
    /// (for [`WAITED`] or longer), so that, told to make way, it gives its place up at once.
    fn rate(&self, now: Instant) -> (Option<u64>, bool) {
        let window = self.lock();
        let ongoing = window
            .waiting
            .map(|since| now.saturating_duration_since(since))
            .filter(|waited| *waited >= WAITED);
        if !window.measured && ongoing.is_none() {
            return (None, false);
        }
        let waited = window.waited + ongoing.unwrap_or_default();
        let taken = window.taken + ongoing.map_or(0, |_| window.in_flight);
        let current = (waited >= WAITED).then(|| rate(taken, waited));
        let rate = if waited >= MEASURED_OVER {
            current
        } else {
            window.last_rate.map(|last| last.max(current.unwrap_or(0)))
        };
        (rate, ongoing.is_some())
    }
}

/// Bytes a second.
fn rate(bytes: u64, over: Duration) -> u64 {
    let micros = over.as_micros().max(1);
    u64::try_from(u128::from(bytes) * 1_000_000 / micros).unwrap_or(u64::MAX)
}

impl OpenExports {
    pub fn new(places: usize, min_rate: u64) -> Self {
        Self {
            places: Arc::new(Semaphore::new(places)),
            open: Mutex::new(Vec::new()),
            cooling: Mutex::new(std::collections::HashMap::new()),
            min_rate,
        }
    }

    /// A place for a new export of `caller`: at once when one is free; else, when the slowest
    /// open export's client reads slower than the minimum, that one is told to make way and
    /// its place taken, unless the caller's own last export made way less than [`COOLING`]
    /// ago (callers behind one address share it: they are refused only while every place is
    /// taken); refused when no place comes free.
    pub async fn place(&self, caller: &str) -> Result<Place, Refused> {
        if let Ok(permit) = self.places.clone().try_acquire_owned() {
            return Ok(self.opened(permit, caller));
        }
        if let Some(left) = self.cooling_left(caller) {
            return Err(Refused::Cooling(left));
        }
        if !self.make_way() {
            return Err(Refused::Full);
        }
        match tokio::time::timeout(MAKE_WAY_WAIT, self.places.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(self.opened(permit, caller)),
            _ => Err(Refused::Full),
        }
    }

    /// How long `caller` still cools down, if it does.
    fn cooling_left(&self, caller: &str) -> Option<Duration> {
        let mut cooling = self.cooling.lock().unwrap_or_else(PoisonError::into_inner);
        let until = *cooling.get(caller)?;
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            cooling.remove(caller);
            return None;
        }
        Some(left)
    }

    fn cool(&self, caller: &str) {
        let now = Instant::now();
        let mut cooling = self.cooling.lock().unwrap_or_else(PoisonError::into_inner);
        if cooling.len() >= COOLING_KEPT {
            cooling.retain(|_, until| *until > now);
            if cooling.len() >= COOLING_KEPT {
                let oldest = cooling.iter().min_by_key(|(_, until)| **until);
                if let Some(oldest) = oldest.map(|(caller, _)| caller.clone()) {
                    cooling.remove(&oldest);
                }
            }
        }
        cooling.insert(caller.to_owned(), now + COOLING);
    }

    fn opened(&self, permit: OwnedSemaphorePermit, caller: &str) -> Place {
        let pace = Arc::new(Pace {
            caller: caller.to_owned(),
            ..Pace::default()
        });
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.retain(|p| p.strong_count() > 0);
        open.push(Arc::downgrade(&pace));
        Place {
            _permit: permit,
            pace,
        }
    }

    /// Tells the open export whose client reads slowest, below the minimum, to make way;
    /// whether one was. Only one the service is waiting on now is told: it gives up its place
    /// at once (one reading a page would read it for no one, and its place come late).
    fn make_way(&self) -> bool {
        if self.min_rate == 0 {
            return false;
        }
        let now = Instant::now();
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let slowest = open
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|pace| !pace.made_way())
            .filter_map(|pace| match pace.rate(now) {
                (Some(rate), true) => Some((rate, pace)),
                _ => None,
            })
            .filter(|(rate, _)| *rate < self.min_rate)
            .min_by_key(|(rate, _)| *rate);
        let Some((rate, pace)) = slowest else {
            return false;
        };
        // Told while the list is held: another new export looking at the same moment tells
        // the next slowest, not this one again.
        pace.made_way.store(true, Ordering::Release);
        drop(open);
        pace.told.notify_one();
        self.cool(&pace.caller);
        tracing::warn!(
            rate_bytes_per_s = rate,
            min_rate_bytes_per_s = self.min_rate,
            "export abandoned: its client read the slowest, below the minimum rate, when \
             another export was asked for and every place was taken"
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An open export whose client took `taken` bytes while waited on for `waited`, and is
    /// waited on now.
    fn paced(place: &Place, taken: u64, waited: Duration) {
        let mut window = place.pace.lock();
        window.measured = true;
        window.taken = taken;
        window.waited = waited;
        window.waiting = Instant::now().checked_sub(WAITED);
    }

    /// Holds `place` until it is told to make way, as an export's sending task does.
    fn hold(place: Place) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let (tx, _rx) = tokio::sync::mpsc::channel(1);
            tx.try_send(Bytes::from_static(b"fills the channel"))
                .unwrap();
            let handed = place
                .pace()
                .hand_over(&tx, Bytes::from_static(b"waits"), Duration::from_secs(60))
                .await;
            assert_eq!(handed, Handed::MadeWay);
        })
    }

    #[tokio::test]
    async fn the_slowest_reader_below_the_minimum_makes_way_and_no_other() {
        let exports = OpenExports::new(3, 1000);
        let (fast, slow, slower) = (
            exports.place("fast").await.unwrap(),
            exports.place("slow").await.unwrap(),
            exports.place("slower").await.unwrap(),
        );
        paced(&fast, 1_000_000, MEASURED_OVER);
        paced(&slow, 9_000, MEASURED_OVER);
        paced(&slower, 1_000, MEASURED_OVER);
        let fast_pace = fast.pace.clone();
        let (slow, slower) = (hold(slow), hold(slower));
        let third = exports.place("c").await;
        assert!(third.is_ok(), "the slower one made way");
        slower.await.unwrap();
        assert!(!slow.is_finished() && !fast_pace.made_way());
        // The one left below the minimum is next, once it has been waited on a while (the new
        // one is not measured yet); the one above it never.
        tokio::time::sleep(WAITED * 2).await;
        let fourth = exports.place("d").await;
        assert!(fourth.is_ok());
        slow.await.unwrap();
        assert_eq!(exports.place("b").await.err(), Some(Refused::Full));
        assert!(!fast_pace.made_way());
        // Those that made way cool down while every place is taken; with one free, they have it.
        assert!(matches!(
            exports.place("slower").await.err(),
            Some(Refused::Cooling(left)) if left > COOLING - Duration::from_secs(5)
        ));
        drop(fast);
        assert!(exports.place("slower").await.is_ok());
        drop((third, fourth));
    }

    #[tokio::test]
    async fn none_makes_way_unmeasured_unwaited_on_now_or_with_no_minimum() {
        let exports = OpenExports::new(1, 1000);
        let place = exports.place("a").await.unwrap();
        assert!(exports.place("b").await.is_err(), "never waited on");
        paced(&place, 0, MEASURED_OVER - WAITED * 4);
        assert!(exports.place("b").await.is_err(), "not measured yet");
        paced(&place, 0, MEASURED_OVER);
        place.pace.lock().waiting = None;
        assert!(exports.place("b").await.is_err(), "not waited on now");
        assert!(!place.pace().made_way());
        paced(&place, 0, MEASURED_OVER);
        let pace = place.pace.clone();
        let held = hold(place);
        assert!(
            exports.place("c").await.is_ok(),
            "measured, and taking nothing"
        );
        held.await.unwrap();
        assert!(pace.made_way());

        let exports = OpenExports::new(1, 0);
        let place = exports.place("a").await.unwrap();
        paced(&place, 0, MEASURED_OVER * 100);
        assert!(
            exports.place("b").await.is_err(),
            "no minimum: none makes way"
        );
        assert!(!place.pace().made_way());
    }

    #[test]
    fn a_client_is_measured_over_the_time_it_was_waited_on_window_by_window() {
        let pace = Pace::default();
        let now = Instant::now();
        // Taken at once (the sockets' buffers): not measured.
        pace.waited(1_000_000, Duration::ZERO);
        pace.waited(1_000_000, WAITED / 2);
        assert_eq!(pace.rate(now), (None, false));
        // Waited on: measured from then on, over the time waited only.
        pace.waited(4_000, WAITED);
        pace.waited(6_000, Duration::ZERO);
        assert_eq!(pace.rate(now), (None, false), "not a whole window yet");
        pace.waited(0, MEASURED_OVER - WAITED * 2);
        assert_eq!(pace.rate(now), (None, false));
        // A wait going on counts.
        pace.lock().waiting = Some(now);
        assert_eq!(pace.rate(now + WAITED), (Some(1_000), true));
        pace.lock().waiting = None;
        // A whole window stands while the next is shorter.
        pace.waited(0, WAITED);
        assert_eq!(pace.lock().taken, 0, "a new window");
        assert_eq!(pace.rate(now), (Some(1_000), false));
        pace.waited(50_000, MEASURED_OVER);
        assert_eq!(pace.rate(now), (Some(5_000), false));
    }

    #[test]
    fn the_piece_waited_on_is_credited_and_a_client_reading_fast_again_is_judged_by_it() {
        let now = Instant::now();
        let waiting = Pace::default();
        waiting.waited(0, WAITED);
        {
            let mut window = waiting.lock();
            window.waiting = Some(now);
            window.in_flight = 100_000;
        }
        let (rate, now_waited) = waiting.rate(now + MEASURED_OVER);
        assert!(rate.is_some_and(|r| r > 9_000) && now_waited, "{rate:?}");

        let resumed = Pace::default();
        resumed.waited(10_000, MEASURED_OVER);
        assert_eq!(resumed.rate(now), (Some(1_000), false), "a slow window");
        resumed.waited(1_000_000, WAITED);
        let (rate, _) = resumed.rate(now);
        assert!(rate.is_some_and(|r| r > 1_000_000), "{rate:?}");
    }

    #[tokio::test]
    async fn a_piece_is_taken_stalled_gone_or_made_way() {
        let pace = Pace::default();
        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        let second = Duration::from_secs(1);
        assert_eq!(
            pace.hand_over(&tx, Bytes::from_static(b"a"), second).await,
            Handed::Taken
        );
        // A client that takes nothing for the timeout has stalled.
        assert_eq!(
            pace.hand_over(&tx, Bytes::from_static(b"b"), WAITED / 2)
                .await,
            Handed::Stalled
        );
        assert!(!pace.lock().measured);
        // One that takes it after a while is waited on, and measured from then on.
        let reader = tokio::spawn(async move {
            tokio::time::sleep(WAITED * 2).await;
            rx.recv().await;
            rx
        });
        assert_eq!(
            pace.hand_over(&tx, Bytes::from_static(b"cd"), second).await,
            Handed::Taken
        );
        assert_eq!(pace.lock().taken, 2);
        assert!(pace.lock().waited >= WAITED * 2);
        let mut rx = reader.await.unwrap();
        // One that takes nothing is measured while the service waits on it.
        let idle = Pace::default();
        let (full, _kept) = tokio::sync::mpsc::channel(1);
        full.try_send(Bytes::from_static(b"g")).unwrap();
        let began = Instant::now();
        let waiting = idle.hand_over(&full, Bytes::from_static(b"h"), MEASURED_OVER * 10);
        let watch = async {
            tokio::time::sleep(WAITED * 2).await;
            assert_eq!(idle.rate(began + MEASURED_OVER * 2), (Some(0), true));
        };
        tokio::select! {
            handed = waiting => panic!("{handed:?}"),
            () = watch => {}
        }
        pace.made_way.store(true, Ordering::Release);
        assert_eq!(
            pace.hand_over(&tx, Bytes::from_static(b"e"), second).await,
            Handed::MadeWay
        );
        rx.close();
        let pace = Pace::default();
        assert_eq!(
            pace.hand_over(&tx, Bytes::from_static(b"f"), second).await,
            Handed::Gone
        );
    }
}
