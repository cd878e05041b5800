//! The service's stop (SIGTERM, Ctrl-C): it takes no new connections and gives what runs until
//! `UPR_TC_STOP_TIMEOUT` to end; what still runs then is cut. Each piece of work that a stop
//! may cut (a request, a keyed request's own task, an export being sent) is [`Working`] while
//! it runs: one cut is logged and counted, and `startup::serve`, once every such piece has gone
//! (the workers drop theirs after they report stopped), ends with an error saying how many,
//! so that the exit status tells whatever restarts the service.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A piece of work is cut by the stop when it is dropped unfinished this close to the stop's
/// time running out, or after: before it, its client went away.
const CUT_MARGIN: Duration = Duration::from_millis(250);

/// When the stop's time runs out, and what is running and was cut.
#[derive(Debug, Default)]
pub struct Stop {
    deadline: std::sync::OnceLock<Instant>,
    running: AtomicUsize,
    cut: AtomicUsize,
}

impl Stop {
    /// The stop begins: what runs has `within` to end.
    pub fn begin(&self, within: Duration) {
        let _ = self.deadline.set(Instant::now() + within);
    }

    /// Whether what ends unfinished now was cut by the stop.
    fn cutting(&self) -> bool {
        self.deadline
            .get()
            .is_some_and(|deadline| Instant::now() + CUT_MARGIN >= *deadline)
    }

    /// How many pieces of work the stop cut, once all that ran has gone (or `wait` has
    /// passed).
    pub async fn cut_once_settled(&self, wait: Duration) -> usize {
        let until = Instant::now() + wait;
        while self.running.load(Ordering::SeqCst) > 0 && Instant::now() < until {
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
        self.cut.load(Ordering::SeqCst)
    }
}

/// What a piece of work says in the log when it ends unfinished.
#[derive(Debug, Clone, Copy)]
pub struct Said {
    /// Cut by the stop (a warning).
    pub cut: &'static str,
    /// Dropped before it: its client went away (information).
    pub dropped: &'static str,
}

/// A request still being handled.
pub const REQUEST: Said = Said {
    cut: "request cut short: the service stopped before it answered (what it committed \
          stays; a bulk upload's retry with the same Idempotency-Key carries out the rest)",
    dropped: "request dropped before it was answered: its client went away",
};

/// A request with an `Idempotency-Key`, carried out on a task of its own.
pub const KEYED: Said = Said {
    cut: "keyed request cut short: the service stopped before it ended (its retry is told \
          what became of it)",
    dropped: "keyed request ended without an answer",
};

/// An export being sent.
pub const EXPORT: Said = Said {
    cut: "export cut short: the service stopped before it was sent whole",
    dropped: "export cut short: the client went away, or the export stopped (logged before), \
              before it was sent whole",
};

/// Whether a request's cut is counted already: a keyed request is cut twice, its handling and
/// its own task, and counts once. A piece of work that is its request's only one needs none
/// (`alone`): no allocation for each request that has no `Idempotency-Key`.
#[derive(Debug, Clone, Default)]
pub struct Counted(Option<Arc<std::sync::atomic::AtomicBool>>);

impl Counted {
    /// For the pieces of a request that has more than one.
    pub fn shared() -> Self {
        Self(Some(Default::default()))
    }

    /// For work that is its request's only piece.
    pub fn alone() -> Self {
        Self(None)
    }

    /// Whether this cut is the request's first (and is counted).
    fn first(&self) -> bool {
        self.0
            .as_ref()
            .is_none_or(|counted| !counted.swap(true, Ordering::SeqCst))
    }
}

/// A piece of work running; see the module.
#[derive(Debug)]
pub struct Working {
    stop: Arc<Stop>,
    said: Said,
    done: bool,
    counted: Counted,
    /// The request's span, so that the line names its request id.
    span: tracing::Span,
}

impl Working {
    pub fn start(stop: &Arc<Stop>, said: Said) -> Self {
        Self::of_request(stop, said, Counted::alone())
    }

    /// Work of the request whose cut is `counted`, counted once with its other work.
    pub fn of_request(stop: &Arc<Stop>, said: Said, counted: Counted) -> Self {
        stop.running.fetch_add(1, Ordering::SeqCst);
        Self {
            stop: stop.clone(),
            said,
            done: false,
            counted,
            span: tracing::Span::current(),
        }
    }

    /// It ended as it should.
    pub fn done(&mut self) {
        self.done = true;
    }
}

impl Drop for Working {
    fn drop(&mut self) {
        if !self.done {
            let _request = self.span.enter();
            if self.stop.cutting() {
                // Counted and said once a request, by the first of its pieces cut.
                if self.counted.first() {
                    self.stop.cut.fetch_add(1, Ordering::SeqCst);
                    tracing::warn!("{}", self.said.cut);
                }
            } else {
                tracing::info!("{}", self.said.dropped);
            }
        }
        self.stop.running.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_dropped_as_the_stop_runs_out_is_cut_and_before_it_is_not() {
        let stop = Arc::new(Stop::default());
        drop(Working::start(&stop, REQUEST));
        let mut finished = Working::start(&stop, REQUEST);
        finished.done();
        drop(finished);
        stop.begin(Duration::from_secs(60));
        // A client gone during the stop's time: not the stop's doing.
        drop(Working::start(&stop, REQUEST));
        assert_eq!(stop.cut.load(Ordering::SeqCst), 0);
        let stop = Arc::new(Stop::default());
        let running = Working::start(&stop, EXPORT);
        stop.begin(Duration::ZERO);
        drop(running);
        assert_eq!(stop.cut.load(Ordering::SeqCst), 1);
        // A keyed request: its handling and its own task, one cut.
        let counted = Counted::shared();
        drop(Working::of_request(&stop, REQUEST, counted.clone()));
        drop(Working::of_request(&stop, KEYED, counted));
        assert_eq!(stop.cut.load(Ordering::SeqCst), 2);
        assert_eq!(stop.running.load(Ordering::SeqCst), 0);
    }
}
