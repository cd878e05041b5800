//! Fair use: each caller has a budget of requests a minute — per token subject, or per address
//! for anonymous callers — higher for `sync` tokens (partner databases). Over budget, a 429
//! problem says when to come back (`Retry-After`). The budgets are kept in memory by each
//! instance (`governor`'s GCRA), so behind a load balancer a caller's budget is per instance.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use anyhow::{Context, bail};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

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

/// The address a request comes from: the peer's, or — when the peer is a trusted proxy (a load
/// balancer) — the last address of `X-Forwarded-For` that is not itself a trusted proxy.
/// Without trusted proxies configured, every anonymous caller behind a load balancer would
/// share the balancer's budget.
pub fn client_address(req: &actix_web::HttpRequest, trusted: &[std::net::IpAddr]) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return String::new();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(&peer)
        .to_string()
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

/// The budgets of every caller seen.
pub struct RateLimits {
    /// Load balancers whose `X-Forwarded-For` names the caller.
    trusted_proxies: Vec<std::net::IpAddr>,
    anonymous: DefaultKeyedRateLimiter<String>,
    token: DefaultKeyedRateLimiter<String>,
    sync: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    checks: AtomicU64,
}

fn quota(per_minute: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN))
}

impl RateLimits {
    pub fn new(limits: Limits, trusted_proxies: Vec<std::net::IpAddr>) -> Self {
        Self {
            trusted_proxies,
            anonymous: DefaultKeyedRateLimiter::keyed(quota(limits.anonymous)),
            token: DefaultKeyedRateLimiter::keyed(quota(limits.token)),
            sync: DefaultKeyedRateLimiter::keyed(quota(limits.sync)),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// Spends one request of a caller's budget, or says how long until one is free.
    fn check(&self, identity: Option<&Identity>, address: &str) -> Result<(), Duration> {
        // Budgets of callers not seen for a while are forgotten now and then, so memory does
        // not grow with the number of callers ever seen.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 10_000 == 9_999 {
            for limiter in [&self.anonymous, &self.token, &self.sync] {
                limiter.retain_recent();
            }
        }
        let caller = identity.and_then(|i| i.0.as_ref());
        let (limiter, key) = match caller {
            None => (&self.anonymous, address.to_owned()),
            Some(c) if c.role == Role::Sync => (&self.sync, format!("{}|{}", c.issuer, c.subject)),
            Some(c) => (&self.token, format!("{}|{}", c.issuer, c.subject)),
        };
        limiter
            .check_key(&key)
            .map(|_| ())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// The 429 of a caller over budget.
fn too_many(wait: Duration) -> ApiError {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::TooManyRequests {
        detail: format!(
            "This caller has used its budget of requests for now; retry in {seconds} s."
        ),
        retry_after: seconds.max(1),
    }
}

/// For a request whose token was refused (`auth::authenticate` answers it before the limiter
/// runs): spends one request of its address's anonymous budget, and says when it is spent.
/// Otherwise a flood of bad tokens would be answered 401 for ever, never 429.
pub fn refused_token(req: &ServiceRequest) -> Option<ApiError> {
    let limits = req
        .app_data::<Option<web::Data<RateLimits>>>()
        .cloned()
        .flatten()
        .filter(|_| !req.path().starts_with("/health/"))?;
    let address = client_address(req.request(), &limits.trusted_proxies);
    limits.check(None, &address).err().map(too_many)
}

/// Refuses a request over its caller's budget. Runs after `auth::authenticate`, which names
/// the caller. Health checks are never limited.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Registered as an `Option`: `None` when limits are off.
    let limits = req
        .app_data::<Option<web::Data<RateLimits>>>()
        .cloned()
        .flatten();
    if let Some(limits) = limits
        && !req.path().starts_with("/health/")
    {
        let address = client_address(req.request(), &limits.trusted_proxies);
        let verdict = limits.check(req.extensions().get::<Identity>(), &address);
        if let Err(wait) = verdict {
            return Ok(req.error_response(too_many(wait)));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

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
