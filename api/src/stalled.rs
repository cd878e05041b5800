//! Connections that stop making progress are closed.
//!
//! actix-http times a request's head only on a connection's first request, and its keep-alive
//! timer stops at the first byte of the next one: a client that sent one request, then one
//! byte of a second and nothing more, held its connection for ever (still open after 120 s).
//! Nothing timed an answer its client never takes either. With 256 such connections from each
//! of 16 addresses, nobody else could connect.
//!
//! So each connection is watched ([`watch`], on every address the service listens on): while
//! no handler works on one of its requests, it must make progress every
//! `UPR_TC_EXPORT_SEND_TIMEOUT` (60 s): a request begun, or a part of an answer taken. Past
//! that, it is shut down in both directions, which actix meets as the client's end, and counted
//! in `upr_tc_connections_stalled_total`. An answer handed over whole may still be in the
//! kernel's send buffer (`UPR_TC_SEND_BUFFER`, 1 MiB) while its client reads it: the same time
//! lets a client that takes some 20 KB/s have all of it, as exports do. While a handler works
//! (reads a body, long-polls, ranks), or an answer's next part waits on the service (an
//! export's next page waits its turn at the database), the connection is not timed here: each
//! has a deadline of its own.
//!
//! The watch holds a duplicate of the connection's socket, so that it never shuts another
//! connection's (a closed descriptor's number is soon given to the next connection); the
//! duplicate is closed with the connection's data, as the connection ends.

use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::rt::net::TcpStream;
use bytes::Bytes;
use prometheus_client::metrics::counter::Counter;

/// What is known of one connection.
struct State {
    /// A duplicate of its socket; `None` once the connection ended or was shut.
    socket: Option<std::os::fd::OwnedFd>,
    /// Its requests in progress (pipelined requests wait their turn).
    requests: usize,
    /// Whether an answer is being handed to the connection.
    sending: bool,
    /// Whether the answer, asked for its next part, waits on the service (an export's next
    /// page waits its turn at the database), not on the client.
    waiting: bool,
    /// The last moment it made progress.
    progress: Instant,
}

#[derive(Clone)]
struct Watched(Arc<Mutex<State>>);

impl Watched {
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Kept in the connection's data: dropped with it, it closes the duplicate socket.
struct Guard(Watched);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.with(|s| s.socket = None);
    }
}

/// Watches the connection `stream` until it ends (see the module); `stalled` counts those
/// shut for making no progress.
pub fn watch(stream: &TcpStream, data: &mut Extensions, timeout: Duration, stalled: Counter) {
    use std::os::fd::AsFd;
    let socket = match stream.as_fd().try_clone_to_owned() {
        Ok(socket) => socket,
        Err(e) => {
            // Out of file handles, as when connections are held to exhaust them: a connection
            // that cannot be watched is not served.
            tracing::warn!(error = %e, "cannot watch a connection for progress: it is shut");
            let _ = socket2::SockRef::from(stream).shutdown(std::net::Shutdown::Both);
            return;
        }
    };
    let watched = Watched(Arc::new(Mutex::new(State {
        socket: Some(socket),
        requests: 0,
        sending: false,
        waiting: false,
        progress: Instant::now(),
    })));
    data.insert(Guard(watched.clone()));
    let tick = (timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
    actix_web::rt::spawn(async move {
        loop {
            actix_web::rt::time::sleep(tick).await;
            if !watched.with(|s| look(s, timeout, &stalled)) {
                break;
            }
        }
    });
}

/// One look at a connection: shuts it when it has made no progress for longer than `timeout`
/// while no handler worked on it. Returns whether it is still to be watched.
fn look(s: &mut State, timeout: Duration, stalled: &Counter) -> bool {
    let Some(socket) = &s.socket else {
        return false;
    };
    let now = Instant::now();
    if s.requests > 0 && (!s.sending || s.waiting) {
        // A handler, or an answer's next part, at work: each has its own deadline.
        s.progress = now;
        return true;
    }
    let waited = now.duration_since(s.progress);
    if waited <= timeout {
        return true;
    }
    let _ = socket2::SockRef::from(socket).shutdown(std::net::Shutdown::Both);
    stalled.inc();
    tracing::debug!(
        waited_ms = waited.as_millis() as u64,
        sending = s.sending,
        "connection shut: no progress"
    );
    s.socket = None;
    false
}

/// Stops reading the connection of `req` (shuts its socket for reading): actix-http then
/// meets the client's end of the request, answers what it was given, and closes the connection.
/// For a request whose body did not arrive in time (`crate::deadline`): actix-http would
/// otherwise read on a body sent in chunks until its client ended it, and serve the next
/// request on the same connection, whatever its answer said of closing it.
/// A client that goes on sending (Linux still takes what comes after the shutdown) is cut a
/// second later, once the answer, a few hundred bytes, has gone.
pub fn stop_reading(req: &actix_web::HttpRequest) {
    let Some(Guard(watched)) = req.conn_data::<Guard>() else {
        return;
    };
    let shut = |watched: &Watched, how| {
        watched.with(|s| {
            if let Some(socket) = &s.socket {
                let _ = socket2::SockRef::from(socket).shutdown(how);
            }
        })
    };
    shut(watched, std::net::Shutdown::Read);
    let watched = watched.clone();
    actix_web::rt::spawn(async move {
        actix_web::rt::time::sleep(Duration::from_secs(1)).await;
        shut(&watched, std::net::Shutdown::Both);
    });
}

/// Whether the client of a request's connection has gone, asked from any thread: it closed
/// its side or reset the connection, or the connection has ended. actix-http goes on with a
/// handler while its client is away (a client may close its side and still read the answer),
/// so a handler whose work is for no one else (a dry run) asks.
pub struct ClientGone(Watched);

/// The connection of `req` as [`ClientGone`] asks it; `None` when it is not watched.
pub fn client_of(req: &actix_web::HttpRequest) -> Option<ClientGone> {
    let Guard(watched) = req.conn_data::<Guard>()?;
    Some(ClientGone(watched.clone()))
}

impl ClientGone {
    /// Looks at the socket without taking anything from it (it is not blocking).
    pub fn now(&self) -> bool {
        self.0.with(|s| {
            let Some(socket) = &s.socket else {
                return true;
            };
            let mut byte = [std::mem::MaybeUninit::uninit(); 1];
            match socket2::SockRef::from(socket).peek(&mut byte) {
                Ok(0) => true,
                Ok(_) => false,
                Err(e) => !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
                ),
            }
        })
    }
}

/// A request in progress on a watched connection, until its answer is handed over whole or
/// dropped.
struct InProgress(Watched);

impl InProgress {
    fn begin(watched: Watched) -> Self {
        watched.with(|s| {
            s.requests += 1;
            s.sending = false;
            s.progress = Instant::now();
        });
        Self(watched)
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.with(|s| {
            s.requests = s.requests.saturating_sub(1);
            s.sending = false;
            s.waiting = false;
            s.progress = Instant::now();
        });
    }
}

/// The units of a task's cooperative budget a request spends (see [`middleware`]).
const REQUEST_BUDGET: usize = 8;

/// Marks each request on a watched connection as in progress until its answer is handed over
/// (the outermost middleware but one, so that it sees the answer as the connection takes it).
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(Guard(watched)) = req.conn_data::<Guard>() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let request = InProgress::begin(watched.clone());
    // Each request spends [`REQUEST_BUDGET`] units of its connection's task's cooperative
    // budget (128 a poll): actix-http serves a connection's pipelined requests one after
    // another within one poll of its task, so a client that sends them without end (and reads
    // the answers) kept its worker's other connections waiting for seconds, new ones answered
    // 408 (a worker looks at its sockets only every 61 polls of its tasks while they are
    // ready). Spent, the budget ends the poll after 16 requests, and the others have their
    // turn; a connection that sends one request at a time never spends it.
    for _ in 0..REQUEST_BUDGET {
        tokio::task::coop::consume_budget().await;
    }
    let res = next.call(req).await?.map_into_boxed_body();
    Ok(res.map_body(|_, body| {
        BoxBody::new(Answer {
            body,
            request,
            started: false,
        })
    }))
}

/// An answer being handed to a watched connection: each part taken is progress.
struct Answer {
    body: BoxBody,
    request: InProgress,
    started: bool,
}

impl MessageBody for Answer {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        if !self.started {
            self.started = true;
            self.request.0.with(|s| {
                s.sending = true;
                s.progress = Instant::now();
            });
        }
        let polled = std::pin::Pin::new(&mut self.body).poll_next(cx);
        let waiting = polled.is_pending();
        self.request.0.with(|s| {
            s.waiting = waiting;
            if !waiting {
                s.progress = Instant::now();
            }
        });
        polled
    }

    fn try_into_bytes(self) -> Result<Bytes, Self> {
        let Self {
            body,
            request,
            started,
        } = self;
        body.try_into_bytes().map_err(|body| Self {
            body,
            request,
            started,
        })
    }
}
