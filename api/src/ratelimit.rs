//! Fair use: each caller has a budget of requests a minute — per token subject, or per address
//! for anonymous callers — higher for `sync` tokens (partner databases). Over budget, a 429
//! problem says when to come back (`Retry-After`). The budgets are kept in memory by each
//! instance (`governor`'s GCRA), so behind a load balancer a caller's budget is per instance.
//! Every answer to a limited request says the caller's budget and what is left of it, as the
//! IETF HTTP API working group's draft on rate-limit header fields writes them:
//! `RateLimit-Policy: "token";q=1200;w=60` and `RateLimit: "token";r=1187;t=1`.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use anyhow::{Context, bail};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::auth::{Identity, Role};
use crate::error::ApiError;

/// Requests a minute for each kind of caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub anonymous: u32,
    pub token: u32,
    pub sync: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            anonymous: 600,
            token: 1_200,
            sync: 6_000,
        }
    }
}

impl Limits {
    /// `off`, or `anonymous=600,token=1200,sync=6000` (any of them; the others keep their
    /// defaults).
    pub fn parse(value: &str) -> anyhow::Result<Option<Self>> {
        if value.trim().eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let mut limits = Self::default();
        for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, n) = part
                .split_once('=')
                .with_context(|| format!("`{part}` is not `name=requests-a-minute`"))?;
            let n: u32 = n
                .trim()
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .with_context(|| format!("`{n}` is not a positive number of requests"))?;
            match name.trim() {
                "anonymous" => limits.anonymous = n,
                "token" => limits.token = n,
                "sync" => limits.sync = n,
                other => bail!("`{other}` is not anonymous, token or sync"),
            }
        }
        Ok(Some(limits))
    }
}

/// The address a request is counted under: the peer's, or — when the peer is a trusted proxy
/// (a load balancer) — the last address of `X-Forwarded-For` that is not itself a trusted
/// proxy; an IPv6 address by its /64 (`connections::key`), else one host would have as many
/// budgets as addresses. Without trusted proxies configured, every anonymous caller behind a
/// load balancer would share the balancer's budget. Addresses are compared as IPv4 where they
/// are IPv4 written as IPv6 (a peer on a service bound to `[::]`), and an entry may carry a
/// port (`192.0.2.8:5120`, `[2001:db8::1]:5120`, as some load balancers write it). An entry that
/// names no address (`unknown`) ends the walk at the proxy: what is left of it was written by
/// whoever sent the request, and counting the caller under it would let it choose its budget.
pub fn client_address(req: &actix_web::HttpRequest, trusted: &[std::net::IpAddr]) -> String {
    use crate::connections::{key, plain};
    let Some(peer) = req.peer_addr().map(|a| plain(a.ip())) else {
        return String::new();
    };
    let is_trusted = |a: &std::net::IpAddr| trusted.iter().any(|t| plain(*t) == *a);
    if !is_trusted(&peer) {
        return key(peer).to_string();
    }
    // Read as bytes, entry by entry: a byte a client wrote that is not text spoils its own
    // entry, not the line the balancer appends its entry to.
    let entries: Vec<Option<&str>> = req
        .headers()
        .get_all("x-forwarded-for")
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .map(|entry| std::str::from_utf8(entry).ok().map(str::trim))
        .collect();
    let mut address = peer;
    for entry in entries.iter().rev() {
        match entry.and_then(forwarded_address) {
            Some(a) if is_trusted(&a) => address = a,
            Some(a) => return key(a).to_string(),
            None => break,
        }
    }
    key(address).to_string()
}

/// The address of an `X-Forwarded-For` entry, with or without a port; IPv4 written as IPv6
/// read as IPv4.
fn forwarded_address(entry: &str) -> Option<std::net::IpAddr> {
    let address = entry
        .parse::<std::net::IpAddr>()
        .or_else(|_| entry.parse::<std::net::SocketAddr>().map(|s| s.ip()))
        .or_else(|_| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .unwrap_or(entry)
                .parse()
        })
        .ok()?;
    Some(crate::connections::plain(address))
}

/// Who a request's caller is, for the limits kept per caller: the token's issuer and subject,
/// or the address (`client_address`) of an anonymous caller.
pub fn caller_key(req: &actix_web::HttpRequest, trusted: &[std::net::IpAddr]) -> String {
    match req
        .extensions()
        .get::<Identity>()
        .and_then(|i| i.0.as_ref())
    {
        Some(c) => format!("token|{}|{}", c.issuer, c.subject),
        None => format!("address|{}", client_address(req, trusted)),
    }
}

/// One kind of caller's budgets, keyed by caller, each check saying what is left.
type Keyed =
    RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// One kind of caller's budget: its policy's name and requests a minute, and the budgets.
struct Policy {
    name: &'static str,
    per_minute: u32,
    budgets: Keyed,
}

impl Policy {
    fn new(name: &'static str, per_minute: u32) -> Self {
        // `Limits::parse` refuses 0; a budget of none would be no service at all.
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            name,
            per_minute: per_minute.get(),
            budgets: RateLimiter::keyed(Quota::per_minute(per_minute))
                .with_middleware::<StateInformationMiddleware>(),
        }
    }
}

/// What a check left of a caller's budget: the header fields every limited answer carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    policy: &'static str,
    per_minute: u32,
    /// Requests the caller may still make at once.
    remaining: u32,
    /// Seconds until the budget is whole again (over budget: until one request is free).
    reset: u64,
}

impl Budget {
    /// `RateLimit-Policy`: the budget, `q` requests in a window of `w` seconds.
    pub fn policy_field(&self) -> String {
        format!("\"{}\";q={};w=60", self.policy, self.per_minute)
    }

    /// `RateLimit`: `r` requests left, whole again in `t` seconds.
    pub fn field(&self) -> String {
        format!("\"{}\";r={};t={}", self.policy, self.remaining, self.reset)
    }

    fn write(&self, headers: &mut actix_web::http::header::HeaderMap) {
        use actix_web::http::header::{HeaderName, HeaderValue};
        for (name, value) in [
            ("ratelimit-policy", self.policy_field()),
            ("ratelimit", self.field()),
        ] {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_str(&value).expect("a budget is a header value"),
            );
        }
    }
}

/// The budgets of every caller seen.
pub struct RateLimits {
    /// Load balancers whose `X-Forwarded-For` names the caller.
    trusted_proxies: Vec<std::net::IpAddr>,
    anonymous: Policy,
    token: Policy,
    sync: Policy,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl RateLimits {
    pub fn new(limits: Limits, trusted_proxies: Vec<std::net::IpAddr>) -> Self {
        Self {
            trusted_proxies,
            anonymous: Policy::new("anonymous", limits.anonymous),
            token: Policy::new("token", limits.token),
            sync: Policy::new("sync", limits.sync),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// Spends one request of a caller's budget and says what is left, or, over budget, what
    /// the budget is and how long until one request is free.
    fn check(
        &self,
        identity: Option<&Identity>,
        address: &str,
    ) -> Result<Budget, (Budget, Duration)> {
        // Budgets of callers not seen for a while are forgotten now and then, so memory does
        // not grow with the number of callers ever seen.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 10_000 == 9_999 {
            for policy in [&self.anonymous, &self.token, &self.sync] {
                policy.budgets.retain_recent();
            }
        }
        let caller = identity.and_then(|i| i.0.as_ref());
        let (policy, key) = match caller {
            None => (&self.anonymous, address.to_owned()),
            Some(c) if c.role == Role::Sync => (&self.sync, format!("{}|{}", c.issuer, c.subject)),
            Some(c) => (&self.token, format!("{}|{}", c.issuer, c.subject)),
        };
        let budget = |remaining: u32, reset: u64| Budget {
            policy: policy.name,
            per_minute: policy.per_minute,
            remaining,
            reset,
        };
        match policy.budgets.check_key(&key) {
            Ok(left) => {
                let remaining = left.remaining_burst_capacity();
                // A request comes back every 60/q seconds.
                let spent = u64::from(policy.per_minute.saturating_sub(remaining));
                let reset = (spent * 60).div_ceil(u64::from(policy.per_minute));
                Ok(budget(remaining, reset))
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Err((budget(0, seconds(wait)), wait))
            }
        }
    }
}

/// Whole seconds, rounded up.
fn seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// The 429 of a caller over budget.
fn too_many(wait: Duration) -> ApiError {
    let seconds = seconds(wait);
    ApiError::TooManyRequests {
        detail: format!(
            "This caller has used its budget of requests for now; retry in {seconds} s."
        ),
        retry_after: seconds.max(1),
    }
}

/// For a request whose token was refused (`auth::authenticate` answers it before the limiter
/// runs): spends one request of its address's anonymous budget, and gives the answer with what
/// is left of it: `refused`, or a 429 once it is spent. Otherwise a flood of bad tokens would
/// be answered 401 for ever, never 429. Without limits, `refused` as it is.
pub fn refused_token(req: ServiceRequest, refused: ApiError) -> ServiceResponse<BoxBody> {
    let limits = req
        .app_data::<Option<web::Data<RateLimits>>>()
        .cloned()
        .flatten()
        .filter(|_| !req.path().starts_with("/health/"));
    let Some(limits) = limits else {
        return req.error_response(refused);
    };
    let address = client_address(req.request(), &limits.trusted_proxies);
    let (budget, answer) = match limits.check(None, &address) {
        Ok(budget) => (budget, refused),
        Err((budget, wait)) => (budget, too_many(wait)),
    };
    let mut res = req.error_response(answer);
    budget.write(res.headers_mut());
    res
}

/// Refuses a request over its caller's budget, and writes what is left of it on every answer.
/// Runs after `auth::authenticate`, which names the caller. Health checks are never limited.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Registered as an `Option`: `None` when limits are off.
    let limits = req
        .app_data::<Option<web::Data<RateLimits>>>()
        .cloned()
        .flatten();
    let Some(limits) = limits.filter(|_| !req.path().starts_with("/health/")) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let address = client_address(req.request(), &limits.trusted_proxies);
    let verdict = limits.check(req.extensions().get::<Identity>(), &address);
    let (budget, res) = match verdict {
        Err((budget, wait)) => (budget, req.error_response(too_many(wait))),
        Ok(budget) => (budget, next.call(req).await?.map_into_boxed_body()),
    };
    let mut res = res;
    budget.write(res.headers_mut());
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_are_counted_by_address_an_ipv6_address_by_its_64() {
        use actix_web::test::TestRequest;
        let from = |peer: &str, forwarded: Option<&str>| {
            let mut req = TestRequest::default().peer_addr(peer.parse().unwrap());
            if let Some(f) = forwarded {
                req = req.insert_header(("X-Forwarded-For", f));
            }
            let trusted: Vec<std::net::IpAddr> = vec!["10.0.0.1".parse().unwrap()];
            super::client_address(&req.to_http_request(), &trusted)
        };
        assert_eq!(from("192.0.2.7:1000", None), "192.0.2.7");
        let one = from("[2001:db8:1:2:aaaa::1]:1000", None);
        assert_eq!(one, from("[2001:db8:1:2:bbbb::9]:1000", None));
        assert_eq!(one, "2001:db8:1:2::");
        assert_ne!(one, from("[2001:db8:1:3::1]:1000", None));
        assert_eq!(
            from("10.0.0.1:1000", Some("2001:db8:1:2:cccc::5")),
            one,
            "behind a trusted proxy too"
        );
        assert_eq!(from("10.0.0.1:1000", Some("192.0.2.8")), "192.0.2.8");
        // The rightmost address not a trusted proxy's: what a client wrote before it is not
        // read, nor is a trusted proxy's own entry.
        assert_eq!(
            from("10.0.0.1:1000", Some("203.0.113.1, 192.0.2.8, 10.0.0.1")),
            "192.0.2.8"
        );
        // With a port, in brackets, or IPv4 written as IPv6; the proxy's peer so written too.
        for written in [
            "192.0.2.8:5120",
            "::ffff:192.0.2.8",
            "[::ffff:192.0.2.8]:80",
        ] {
            assert_eq!(
                from("10.0.0.1:1000", Some(&format!("203.0.113.1, {written}"))),
                "192.0.2.8",
                "{written}"
            );
        }
        assert_eq!(
            from("[2001:db8:9::1]:1000", None),
            from("[2001:db8:9::7]:1000", Some("[2001:db8:9::5]:443"))
        );
        assert_eq!(
            from("10.0.0.1:1000", Some("[2001:db8:1:2::5]:443")),
            "2001:db8:1:2::"
        );
        assert_eq!(
            from("[::ffff:10.0.0.1]:1000", Some("192.0.2.8")),
            "192.0.2.8"
        );
        // An entry that names no address: the caller is counted under the proxy, not under
        // what it wrote to the left of it.
        assert_eq!(
            from("10.0.0.1:1000", Some("203.0.113.1, unknown")),
            "10.0.0.1"
        );
        // A byte that is not text spoils the entry it is in, not the balancer's after it.
        let req = actix_web::test::TestRequest::default()
            .peer_addr("10.0.0.1:1000".parse().unwrap())
            .insert_header((
                "x-forwarded-for",
                actix_web::http::header::HeaderValue::from_bytes(b"203.0.113.\xff, 192.0.2.8")
                    .unwrap(),
            ))
            .to_http_request();
        let trusted: Vec<std::net::IpAddr> = vec!["10.0.0.1".parse().unwrap()];
        assert_eq!(super::client_address(&req, &trusted), "192.0.2.8");
    }

    #[test]
    fn a_budget_is_written_as_the_draft_writes_it() {
        let budget = Budget {
            policy: "sync",
            per_minute: 6000,
            remaining: 5998,
            reset: 1,
        };
        assert_eq!(budget.policy_field(), "\"sync\";q=6000;w=60");
        assert_eq!(budget.field(), "\"sync\";r=5998;t=1");
    }

    #[test]
    fn limits_are_read_from_one_setting() {
        assert_eq!(Limits::parse("off").unwrap(), None);
        assert_eq!(
            Limits::parse("sync=100").unwrap(),
            Some(Limits {
                sync: 100,
                ..Limits::default()
            })
        );
        assert_eq!(
            Limits::parse("anonymous=1, token=2,sync=3").unwrap(),
            Some(Limits {
                anonymous: 1,
                token: 2,
                sync: 3
            })
        );
        for bad in ["sync", "sync=0", "sync=x", "robots=5"] {
            assert!(Limits::parse(bad).is_err(), "{bad}");
        }
    }
}
