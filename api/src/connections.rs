//! How many connections one address may hold open at once (`UPR_TC_MAX_CONNECTIONS_PER_ADDRESS`).
//!
//! The service takes `UPR_TC_MAX_CONNECTIONS` connections in all; past that it accepts no more
//! until one closes. A single client that opens thousands of connections and sends nothing on
//! them would hold every one of them until the 5 s allowed for a request's head, and everyone
//! else's requests would wait in the kernel's queue meanwhile. A connection from an address
//! that already holds its share is answered at once with a 429 problem and closed, so that one
//! address never holds more than its share. IPv6 addresses count by their /64, which one host
//! is usually given whole. The addresses of `UPR_TC_TRUSTED_PROXIES` are not counted: every
//! client of a load balancer comes from its address.
//!
//! The 429 is written as the connection is accepted, before anything of it is read. A client
//! that has already sent its request may instead see the connection reset (the request it sent
//! arrives at a closed connection). Either way the request is not carried out: what actix still
//! reads of a refused connection reaches no handler ([`middleware`]).

use std::collections::HashMap;
use std::net::{IpAddr, Shutdown};
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::ResponseError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::rt::net::TcpStream;
use prometheus_client::metrics::counter::Counter;

use crate::error::{ApiError, PROBLEM_JSON};

/// The connections open from each address (a /64 for IPv6), shared by the workers.
#[derive(Clone)]
pub struct PerAddress {
    limit: Option<usize>,
    exempt: Arc<[IpAddr]>,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    refused: Counter,
    /// The whole answer to a connection refused: it is the same every time.
    answer: Arc<[u8]>,
}

impl PerAddress {
    /// At most `limit` connections from one address (`None`: no limit), except from `exempt`;
    /// `refused` counts those turned away.
    pub fn new(limit: Option<usize>, exempt: &[IpAddr], refused: Counter) -> Self {
        Self {
            limit,
            exempt: exempt.iter().copied().map(plain).collect(),
            open: Default::default(),
            refused,
            answer: refusal(limit.unwrap_or_default()).into(),
        }
    }

    /// Counts the connection `stream` against its address until the connection ends (a guard
    /// kept in its `data`), or, when its address already holds `limit`, answers 429 on it and
    /// closes it before anything of it is read.
    pub fn admit(&self, stream: &TcpStream, data: &mut Extensions) {
        let Some(limit) = self.limit else { return };
        let Ok(peer) = stream.peer_addr() else { return };
        if self.exempt.contains(&plain(peer.ip())) {
            return;
        }
        let address = key(peer.ip());
        {
            let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
            let held = open.entry(address).or_default();
            if *held < limit {
                *held += 1;
                data.insert(Held {
                    open: self.open.clone(),
                    address,
                });
                return;
            }
        }
        self.refused.inc();
        tracing::debug!(%address, limit, "connection refused: its address holds its share");
        // A new connection's send buffer is empty: the few hundred bytes go at once (written
        // on the socket itself: tokio's own writes wait for a readiness it has not seen yet).
        // Shut in both directions, the connection's reader meets its end and closes it.
        let socket = socket2::SockRef::from(stream);
        let _ = socket.send(&self.answer);
        let _ = socket.shutdown(Shutdown::Both);
        // The kernel still hands over what the client sent before the shutdown: marked, it
        // reaches no handler.
        data.insert(Refused(limit));
    }

    /// Connections open from `address` (its /64 for IPv6).
    pub fn open(&self, address: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.get(&key(address)).copied().unwrap_or_default()
    }
}

/// A connection's place in its address's count, given back when the connection ends (the
/// connection's data is dropped with it).
struct Held {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    address: IpAddr,
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(held) = open.get_mut(&self.address) {
            *held -= 1;
            if *held == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// A connection refused for its address, which held this many: nothing read on it is carried
/// out.
struct Refused(usize);

/// Answers any request read on a refused connection with the 429 it was sent, without running
/// anything else (the outermost middleware). The connection is closed already, so the answer
/// goes nowhere; what matters is that the request is not carried out.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if let Some(&Refused(limit)) = req.conn_data::<Refused>() {
        return Ok(req.error_response(refused(limit)));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// An address as written, an IPv4 address written as IPv6 read as IPv4.
pub fn plain(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

/// What an address is counted under: an IPv4 address (also written as IPv6), or an IPv6
/// address's /64, which one host is usually given whole. The limits per caller
/// (`crate::ratelimit`) count anonymous callers so too.
pub fn key(address: IpAddr) -> IpAddr {
    match plain(address) {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        v4 => v4,
    }
}

/// The problem of a connection over its address's share of `limit`.
fn refused(limit: usize) -> ApiError {
    ApiError::TooManyRequests {
        detail: format!(
            "This address holds {limit} connections to the service already, the most one \
             address may hold. Send requests over the connections it holds (they stay open \
             between requests), or close some."
        ),
        retry_after: RETRY_AFTER,
    }
}

/// When a refused client is told to try again, in seconds: connections come and go quickly.
const RETRY_AFTER: u64 = 1;

/// The answer to a connection over its address's share, as sent: a 429 problem that closes the
/// connection.
fn refusal(limit: usize) -> Vec<u8> {
    let error = refused(limit);
    let body = serde_json::to_vec(&error.problem()).unwrap_or_default();
    let mut answer = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {length}\r\n\
         retry-after: {RETRY_AFTER}\r\nconnection: close\r\n\r\n",
        status = error.status_code().as_u16(),
        reason = error.status_code().canonical_reason().unwrap_or_default(),
        length = body.len(),
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_count_alone_and_ipv6_by_its_64() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(key(ip("198.51.100.7")), ip("198.51.100.7"));
        assert_eq!(key(ip("::ffff:198.51.100.7")), ip("198.51.100.7"));
        assert_eq!(key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(key(ip("2001:db8:1:2:ffff::9")), key(ip("2001:db8:1:2::5")));
        assert_ne!(key(ip("2001:db8:1:3::1")), key(ip("2001:db8:1:2::1")));
    }

    #[test]
    fn the_refusal_is_a_whole_429_problem() {
        let answer = String::from_utf8(refusal(3)).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("HTTP/1.1 429 Too Many Requests\r\n"),
            "{head}"
        );
        assert!(head.contains("content-type: application/problem+json"));
        assert!(head.contains("connection: close"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["code"], "rate_limited");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("holds 3 connections")
        );
    }

    /// Each connection takes its place until it ends; the one past the limit is answered and
    /// closed, and a place given back is taken again.
    #[actix_web::test]
    async fn an_address_holds_its_share_and_no_more() {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = listener.local_addr().unwrap();
        let limit = PerAddress::new(Some(2), &[], Counter::default());
        let mut held = vec![];
        let accept = async || {
            let client = tokio::net::TcpStream::connect(at);
            let (accepted, client) = tokio::join!(listener.accept(), client);
            let (stream, _) = accepted.unwrap();
            let mut data = Extensions::new();
            limit.admit(&stream, &mut data);
            (stream, data, client.unwrap())
        };
        for _ in 0..2 {
            held.push(accept().await);
        }
        assert_eq!(limit.open(at.ip()), 2);
        // The service's end of the refused connection stays open here: its shutdown alone
        // ends the connection for the client.
        let (_refused, data, mut client) = accept().await;
        assert!(data.get::<Held>().is_none() && data.get::<Refused>().is_some());
        let mut answer = String::new();
        client.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
        assert_eq!(limit.open(at.ip()), 2);
        assert_eq!(limit.refused.get(), 1);
        held.pop();
        assert_eq!(limit.open(at.ip()), 1);
        let (_, data, _) = accept().await;
        assert!(data.get::<Held>().is_some());
        assert_eq!(limit.open(at.ip()), 2);
        drop((held, data));
        assert_eq!(limit.open(at.ip()), 0);
        assert!(
            limit.open.lock().unwrap().is_empty(),
            "no address kept at 0"
        );
    }

    /// A request that arrived before its connection was refused reaches no handler.
    #[actix_web::test]
    async fn a_request_on_a_refused_connection_is_not_carried_out() {
        use std::io::{Read, Write};
        use std::sync::atomic::{AtomicUsize, Ordering};
        let carried_out = Arc::new(AtomicUsize::new(0));
        let (handled, refuse) = (
            carried_out.clone(),
            PerAddress::new(Some(0), &[], Counter::default()),
        );
        let server = actix_web::HttpServer::new(move || {
            let handled = handled.clone();
            actix_web::App::new()
                .route(
                    "/",
                    actix_web::web::post().to(move || {
                        handled.fetch_add(1, Ordering::SeqCst);
                        async { "carried out" }
                    }),
                )
                .wrap(actix_web::middleware::from_fn(middleware))
        })
        .workers(1)
        .on_connect(move |conn, data| {
            let stream = conn.downcast_ref::<TcpStream>().unwrap();
            // The request is in the kernel's hands before the connection is looked at.
            std::thread::sleep(std::time::Duration::from_millis(200));
            refuse.admit(stream, data);
        })
        .bind("127.0.0.1:0")
        .unwrap();
        let at = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let answer = actix_web::rt::task::spawn_blocking(move || {
            let mut client = std::net::TcpStream::connect(at).unwrap();
            client
                .write_all(b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            let mut answer = Vec::new();
            let _ = client.read_to_end(&mut answer);
            answer
        })
        .await
        .unwrap();
        // Whatever came back (the 429, or a reset), the handler did not run.
        assert!(
            answer.is_empty() || answer.starts_with(b"HTTP/1.1 429"),
            "{}",
            String::from_utf8_lossy(&answer)
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(carried_out.load(Ordering::SeqCst), 0);
        handle.stop(false).await;
    }

    #[actix_web::test]
    async fn no_limit_or_a_trusted_proxy_counts_nothing() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = listener.local_addr().unwrap();
        let (accepted, _client) =
            tokio::join!(listener.accept(), tokio::net::TcpStream::connect(at));
        let (stream, _) = accepted.unwrap();
        for limit in [
            PerAddress::new(None, &[], Counter::default()),
            PerAddress::new(Some(1), &[at.ip()], Counter::default()),
        ] {
            let mut data = Extensions::new();
            for _ in 0..3 {
                limit.admit(&stream, &mut data);
            }
            assert_eq!(limit.open(at.ip()), 0);
            assert_eq!(limit.refused.get(), 0);
        }
    }
}
