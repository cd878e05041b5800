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

use std::collections::HashMap;
use std::net::{IpAddr, Shutdown};
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::ResponseError;
use actix_web::dev::Extensions;
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
            exempt: exempt.iter().copied().map(key).collect(),
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
        let address = key(peer.ip());
        if self.exempt.contains(&address) {
            return;
        }
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

/// What an address is counted under: an IPv4 address (also written as IPv6), or an IPv6
/// address's /64.
fn key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

/// The answer to a connection over its address's share, as sent: a 429 problem that closes the
/// connection.
fn refusal(limit: usize) -> Vec<u8> {
    let error = ApiError::TooManyRequests {
        detail: format!(
            "This address holds {limit} connections to the service already, the most one \
             address may hold. Send requests over the connections it holds (they stay open \
             between requests), or close some."
        ),
        retry_after: 1,
    };
    let body = serde_json::to_vec(&error.problem()).unwrap_or_default();
    let mut answer = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {length}\r\n\
         retry-after: 1\r\nconnection: close\r\n\r\n",
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
        let (_, data, mut client) = accept().await;
        assert!(data.get::<Held>().is_none());
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
