//! Settings: built-in defaults, overridden by the environment (`UPR_TC_*`, `DATABASE_URL`),
//! overridden by command-line flags.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/upr-tc.sqlite3";
pub const DEFAULT_ISSUER: &str = "upr-tc";
pub const DEFAULT_AUDIENCE: &str = "upr-tc-api";
/// Seconds a token's `exp` and `nbf` may be off by, for clocks that drift apart.
pub const DEFAULT_JWT_LEEWAY: u64 = 30;
/// Body limit of ordinary JSON routes. Bulk routes have their own, larger limit.
pub const DEFAULT_JSON_LIMIT: usize = 1024 * 1024;
/// Body limit of bulk uploads.
pub const DEFAULT_BULK_LIMIT: usize = 64 * 1024 * 1024;
/// Streamed exports open at once. Each holds at most the rest of a page (500 items) while its
/// client is waited on, and no connection: many slow or stalled clients at many addresses
/// before the rest are told to retry.
pub const DEFAULT_EXPORT_LIMIT: usize = 16;

/// Bytes a second below which an open export makes way for a new one when every place is
/// taken (`UPR_TC_EXPORT_MIN_RATE`): 32 KiB/s, some 260 kbit/s.
pub const DEFAULT_EXPORT_MIN_RATE: u64 = 32 * 1024;

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file, created on first start.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL, as given.
    Postgres(String),
}

impl DatabaseUrl {
    /// `sqlite://relative/path`, `sqlite:///absolute/path` or `postgres://…` (`postgresql://`).
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        Self::parse_setting("DATABASE_URL", url)
    }

    /// [`Self::parse`], its errors naming the setting `name` that gave `url`.
    fn parse_setting(name: &str, url: &str) -> anyhow::Result<Self> {
        if let Some(rest) = url.strip_prefix("sqlite://") {
            if rest.is_empty() {
                bail!("{name} `{url}` names no file: use sqlite://data/upr-tc.sqlite3");
            }
            Ok(Self::Sqlite(PathBuf::from(rest)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else {
            bail!(
                "{name} must start with sqlite:// or postgres://, got `{}`",
                redact(url)
            )
        }
    }

    /// The folder that holds the SQLite file (where the generated JWT secret is kept too).
    pub fn data_dir(&self) -> Option<&Path> {
        match self {
            Self::Sqlite(path) => Some(path.parent().unwrap_or(Path::new("."))),
            Self::Postgres(_) => None,
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// A URL without its password, for logs and error messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}://{}:***{}", &url[..scheme_end], user, &url[at..]),
                // A user without a password: nothing to hide.
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// How tokens are verified.
#[derive(Debug, Clone)]
pub struct JwtSettings {
    /// HS256 shared secret (`UPR_TC_JWT_SECRET`).
    pub secret: Option<String>,
    /// A JWKS file of an external identity provider (`UPR_TC_JWT_JWKS`).
    pub jwks_path: Option<PathBuf>,
    pub issuer: String,
    pub audience: String,
    /// Seconds of clock skew allowed on `exp` and `nbf` (`UPR_TC_JWT_LEEWAY`).
    pub leeway: u64,
}

/// How the service keeps serving when callers or the database are slow.
#[derive(Debug, Clone)]
pub struct ServeLimits {
    /// How long a writer waits for the write lock before a 503 (`UPR_TC_LOCK_TIMEOUT`).
    pub lock_timeout: Duration,
    /// How much of a SQLite file each connection reads through a memory map, in bytes
    /// (`UPR_TC_SQLITE_MAP_SIZE`; `0`: none, every read a copy into SQLite's own cache).
    pub sqlite_map_size: u64,
    /// Streamed exports open at once (`UPR_TC_EXPORT_LIMIT`); `None`:
    /// [`DEFAULT_EXPORT_LIMIT`]. Half the pool of them at most read the database at once
    /// ([`ServeLimits::export_reads`]).
    pub export_limit: Option<usize>,
    /// How long a streamed export waits for a client that reads nothing before it is
    /// abandoned; and how long any connection may make no progress (take none of an answer,
    /// send none of its next request) while no handler works on it, before it is shut
    /// (`UPR_TC_EXPORT_SEND_TIMEOUT`, `crate::stalled`).
    pub export_send_timeout: Duration,
    /// Bytes a second below which an open export's client reads too slowly to keep its place
    /// when every place is taken and another export is asked for (`UPR_TC_EXPORT_MIN_RATE`;
    /// `0`: none makes way; `crate::open_exports`).
    pub export_min_rate: u64,
    /// After how long a request that claimed an `Idempotency-Key` and never answered loses its
    /// claim (`UPR_TC_IDEMPOTENCY_CLAIM_TIMEOUT`); longer than any request runs.
    pub idempotency_claim_timeout: Duration,
    /// Largest answer kept for an `Idempotency-Key` replay, in bytes
    /// (`UPR_TC_IDEMPOTENCY_ANSWER_LIMIT`); a larger one is not kept, and a retry is told so.
    pub idempotency_answer_limit: usize,
    /// Ranked searches (`q` on a JSON list) running at once (`UPR_TC_SEARCH_LIMIT`); `None`: a
    /// quarter of the pool, at least one.
    pub search_limit: Option<usize>,
    /// Bulk uploads read and written at once (`UPR_TC_UPLOAD_LIMIT`); `None`: half the pool
    /// ([`ServeLimits::uploads`]).
    pub upload_limit: Option<usize>,
    /// The most rows an atomic upload of a contributor or a State writes
    /// (`UPR_TC_ATOMIC_ROW_LIMIT`): it holds the write lock throughout, and every other
    /// writer (a State's withdrawal of its consent) waits for it
    /// (`app::policy::atomic_rows`).
    pub atomic_rows: u64,
    /// How long an upload received whole waits for its turn to be written before a 503: a
    /// minute, as uploads are sent by scripts, which would rather wait than send it again
    /// (settable here for tests only).
    pub upload_wait: Duration,
    /// How long a State's coordination view may take before it is given up with a 503
    /// (`UPR_TC_COORDINATION_TIMEOUT`): it ranks the offers for each of the State's open
    /// requests, and a State with very many of them must not hold a core for minutes.
    pub coordination_timeout: Duration,
    /// How long a stop (SIGTERM) waits for the requests in flight before it cuts them
    /// (`UPR_TC_STOP_TIMEOUT`): less than whatever restarts the service waits before it kills
    /// it, so that the cut requests are logged and the exit says so.
    pub stop_timeout: Duration,
    /// How long a request body may take to arrive whole, and how long any body may go without
    /// a byte (`UPR_TC_BODY_TIMEOUT`).
    pub body_timeout: Duration,
    /// How long a bulk upload's body may take to arrive whole (`UPR_TC_BULK_BODY_TIMEOUT`).
    pub bulk_body_timeout: Duration,
    /// Connections open at once, over all workers (`UPR_TC_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// Connections open at once from one address, an IPv6 address's /64 (`crate::connections`,
    /// `UPR_TC_MAX_CONNECTIONS_PER_ADDRESS`; `off`: no limit).
    pub max_connections_per_address: Option<usize>,
    /// The kernel send buffer of each connection, in bytes (`UPR_TC_SEND_BUFFER`).
    pub send_buffer: usize,
    /// How long the change feed keeps every change (`UPR_TC_FEED_HORIZON`; `off`: for
    /// ever). Older changes are compacted to the last of each item, and a cursor older than
    /// that is answered 410 Gone (`db::changes::compact`).
    pub feed_horizon: Option<Duration>,
    /// How much of what was read the service keeps in memory while the data is unchanged
    /// (`app::kept`), in bytes (`UPR_TC_KEPT_BYTES`; `0`: nothing kept, every read asked of
    /// the database).
    pub kept_bytes: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            lock_timeout: crate::db::DEFAULT_LOCK_TIMEOUT,
            sqlite_map_size: crate::db::Connecting::default().sqlite_map_size,
            export_limit: None,
            export_send_timeout: Duration::from_secs(60),
            export_min_rate: DEFAULT_EXPORT_MIN_RATE,
            idempotency_claim_timeout: Duration::from_secs(3600),
            idempotency_answer_limit: 1024 * 1024,
            search_limit: None,
            upload_limit: None,
            atomic_rows: 2_000,
            upload_wait: Duration::from_secs(60),
            coordination_timeout: Duration::from_secs(10),
            stop_timeout: Duration::from_secs(25),
            body_timeout: Duration::from_secs(30),
            bulk_body_timeout: Duration::from_secs(600),
            max_connections: 4096,
            max_connections_per_address: Some(256),
            send_buffer: 1024 * 1024,
            feed_horizon: Some(Duration::from_secs(90 * 24 * 3600)),
            kept_bytes: 48 * 1024 * 1024,
        }
    }
}

impl ServeLimits {
    /// How the service opens its connections.
    pub fn connecting(&self) -> crate::db::Connecting {
        crate::db::Connecting {
            lock_timeout: self.lock_timeout,
            sqlite_map_size: self.sqlite_map_size,
            ..crate::db::Connecting::default()
        }
    }

    /// The streamed exports that may be open at once.
    pub fn exports(&self) -> usize {
        self.export_limit.unwrap_or(DEFAULT_EXPORT_LIMIT).max(1)
    }

    /// The streamed exports that may read the database at once with a pool of `pool_size`
    /// connections: half of it, but never so many that they, the searches and the other
    /// rankings (`searches` permits each) could take every connection; at least one. An export
    /// waiting on its client reads nothing.
    pub fn export_reads(pool_size: u32, searches: usize) -> usize {
        let pool = pool_size as usize;
        (pool / 2).min(pool.saturating_sub(2 * searches + 1)).max(1)
    }

    /// The bulk uploads that may be read and written at once with a pool of `pool_size`
    /// connections: each holds one while it is written (and a writer the write lock), so that
    /// the rest stay for reads; half of them by default, at least one.
    pub fn uploads(&self, pool_size: u32) -> usize {
        self.upload_limit.unwrap_or((pool_size / 2) as usize).max(1)
    }

    /// The ranked searches that may run at once with a pool of `pool_size` connections.
    pub fn searches(&self, pool_size: u32) -> usize {
        self.search_limit.unwrap_or((pool_size / 4) as usize).max(1)
    }

    fn from_env() -> anyhow::Result<Self> {
        let defaults = Self::default();
        let duration = |name: &str, default: Duration| -> anyhow::Result<Duration> {
            match env(name) {
                Some(v) => humantime::parse_duration(v.trim())
                    .ok()
                    .filter(|d| *d >= Duration::from_millis(1))
                    .with_context(|| {
                        format!("{name} must be a duration of 1ms or more, such as `5s` or `500ms`")
                    }),
                None => Ok(default),
            }
        };
        let count = |name: &str| -> anyhow::Result<Option<usize>> {
            env(name)
                .map(|v| {
                    v.trim()
                        .parse()
                        .ok()
                        .filter(|&n: &usize| n > 0)
                        .with_context(|| format!("{name} must be a whole number above 0"))
                })
                .transpose()
        };
        Ok(Self {
            lock_timeout: lock_timeout(duration("UPR_TC_LOCK_TIMEOUT", defaults.lock_timeout)?)?,
            sqlite_map_size: match env("UPR_TC_SQLITE_MAP_SIZE") {
                Some(v) => v.trim().parse().context(
                    "UPR_TC_SQLITE_MAP_SIZE must be a number of bytes (0: no memory map)",
                )?,
                None => defaults.sqlite_map_size,
            },
            export_limit: count("UPR_TC_EXPORT_LIMIT")?,
            export_send_timeout: duration(
                "UPR_TC_EXPORT_SEND_TIMEOUT",
                defaults.export_send_timeout,
            )?,
            export_min_rate: match env("UPR_TC_EXPORT_MIN_RATE") {
                Some(v) => v.trim().parse().context(
                    "UPR_TC_EXPORT_MIN_RATE must be a number of bytes a second (0: none makes way)",
                )?,
                None => defaults.export_min_rate,
            },
            idempotency_claim_timeout: claim_timeout(duration(
                "UPR_TC_IDEMPOTENCY_CLAIM_TIMEOUT",
                defaults.idempotency_claim_timeout,
            )?)?,
            idempotency_answer_limit: count("UPR_TC_IDEMPOTENCY_ANSWER_LIMIT")?
                .unwrap_or(defaults.idempotency_answer_limit),
            search_limit: count("UPR_TC_SEARCH_LIMIT")?,
            upload_limit: count("UPR_TC_UPLOAD_LIMIT")?,
            atomic_rows: count("UPR_TC_ATOMIC_ROW_LIMIT")?
                .map_or(defaults.atomic_rows, |n| n as u64),
            upload_wait: defaults.upload_wait,
            coordination_timeout: duration(
                "UPR_TC_COORDINATION_TIMEOUT",
                defaults.coordination_timeout,
            )?,
            stop_timeout: duration("UPR_TC_STOP_TIMEOUT", defaults.stop_timeout)?,
            body_timeout: duration("UPR_TC_BODY_TIMEOUT", defaults.body_timeout)?,
            bulk_body_timeout: duration("UPR_TC_BULK_BODY_TIMEOUT", defaults.bulk_body_timeout)?,
            max_connections: count("UPR_TC_MAX_CONNECTIONS")?.unwrap_or(defaults.max_connections),
            max_connections_per_address: per_address(
                env("UPR_TC_MAX_CONNECTIONS_PER_ADDRESS").as_deref(),
            )?
            .unwrap_or(defaults.max_connections_per_address),
            send_buffer: count("UPR_TC_SEND_BUFFER")?.unwrap_or(defaults.send_buffer),
            feed_horizon: feed_horizon(env("UPR_TC_FEED_HORIZON").as_deref())?
                .unwrap_or(defaults.feed_horizon),
            kept_bytes: match env("UPR_TC_KEPT_BYTES") {
                Some(v) => v
                    .trim()
                    .parse()
                    .context("UPR_TC_KEPT_BYTES must be a number of bytes (0: nothing kept)")?,
                None => defaults.kept_bytes,
            },
        })
    }
}

/// `UPR_TC_IDEMPOTENCY_CLAIM_TIMEOUT` checked: a claim is taken over when it runs out, and a
/// request still running then would be carried out a second time by its retry, so it must
/// outlast a request's ordinary time.
fn claim_timeout(d: Duration) -> anyhow::Result<Duration> {
    if d < Duration::from_secs(1) {
        bail!(
            "UPR_TC_IDEMPOTENCY_CLAIM_TIMEOUT must be at least 1s (it should outlast the longest \
             request; the default is 1h): a request that ran longer would be carried out again \
             by its retry"
        );
    }
    Ok(d)
}

/// A body limit (`UPR_TC_JSON_LIMIT`, `UPR_TC_BULK_LIMIT`): a number of bytes, at least
/// 1 KiB, below which no request the service takes would fit.
fn body_limit(name: &str, default: usize) -> anyhow::Result<usize> {
    match env(name) {
        Some(v) => v
            .trim()
            .parse()
            .ok()
            .filter(|&n: &usize| n >= 1024)
            .with_context(|| format!("{name} must be a number of bytes, at least 1024, not `{v}`")),
        None => Ok(default),
    }
}

/// `UPR_TC_FEED_HORIZON` read: `None` when unset, `Some(None)` for `off` (changes kept for
/// ever), else a duration of 1 ms or more.
fn feed_horizon(value: Option<&str>) -> anyhow::Result<Option<Option<Duration>>> {
    let Some(value) = value.map(str::trim) else {
        return Ok(None);
    };
    if value == "off" {
        return Ok(Some(None));
    }
    match humantime::parse_duration(value) {
        Ok(d) if d >= Duration::from_millis(1) && chrono::Duration::from_std(d).is_ok() => {
            Ok(Some(Some(d)))
        }
        _ => bail!(
            "UPR_TC_FEED_HORIZON must be a duration of 1ms or more such as `90days`, or `off`"
        ),
    }
}

/// `UPR_TC_MAX_CONNECTIONS_PER_ADDRESS` read: `None` when unset, `Some(None)` for `off` (no
/// limit), else a number above zero.
fn per_address(value: Option<&str>) -> anyhow::Result<Option<Option<usize>>> {
    let Some(value) = value.map(str::trim) else {
        return Ok(None);
    };
    if value == "off" {
        return Ok(Some(None));
    }
    match value.parse() {
        Ok(n) if n > 0 => Ok(Some(Some(n))),
        _ => bail!("UPR_TC_MAX_CONNECTIONS_PER_ADDRESS must be a whole number above 0, or `off`"),
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub database: DatabaseUrl,
    /// A read-only replica of `database` (`DATABASE_READ_URL`, PostgreSQL only): lists,
    /// searches, exports, the change feed and the snapshot are read from it.
    pub database_read: Option<DatabaseUrl>,
    pub jwt: JwtSettings,
    pub json_limit: usize,
    /// Body limit of `/api/v1/bulk/…` uploads.
    pub bulk_limit: usize,
    /// Size of the database connection pool.
    pub pool_size: u32,
    /// Web origins whose pages may call the API from a browser (`*`: any). Tokens travel in
    /// the `Authorization` header, never in cookies, so any origin is safe for public data.
    pub cors_origins: Vec<String>,
    /// Requests a minute per caller; `None`: no limits.
    pub rate_limits: Option<crate::ratelimit::Limits>,
    /// Load balancers in front of the service, whose `X-Forwarded-For` names the caller.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub limits: ServeLimits,
    /// Where `/metrics` is served, and to whom (`crate::metrics`).
    pub metrics: MetricsSettings,
}

/// `/metrics` for Prometheus: off unless one of these is set.
#[derive(Debug, Clone, Default)]
pub struct MetricsSettings {
    /// An address of their own (`UPR_TC_METRICS_BIND`, e.g. `127.0.0.1:9464`).
    pub bind: Option<String>,
    /// A bearer token the scraper sends (`UPR_TC_METRICS_TOKEN`); alone, the metrics are on
    /// the service's own address, behind it.
    pub token: Option<String>,
}

impl MetricsSettings {
    /// Whether `/metrics` is on the service's own address.
    pub fn on_service_address(&self) -> bool {
        self.bind.is_none() && self.token.is_some()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The longest `UPR_TC_LOCK_TIMEOUT`: a writer waits no longer for the lock than a client
/// would wait for its answer (and SQLite counts its busy timeout in milliseconds of 32 bits,
/// some 24 days: a longer one would not wait at all).
const MAX_LOCK_TIMEOUT: Duration = Duration::from_secs(600);

fn lock_timeout(wait: Duration) -> anyhow::Result<Duration> {
    if wait > MAX_LOCK_TIMEOUT {
        bail!("UPR_TC_LOCK_TIMEOUT must be at most 10m: a write waits no longer for the lock");
    }
    Ok(wait)
}

/// The most connections a pool may have (`UPR_TC_POOL_SIZE`): PostgreSQL serves 100 by
/// default, and each connection is a file handle of the process.
const MAX_POOL_SIZE: u32 = 1000;

/// The connections of the pool (`UPR_TC_POOL_SIZE`, `value`): at least one.
fn pool_size(value: Option<&str>, database: &DatabaseUrl) -> anyhow::Result<u32> {
    Ok(match value {
        Some(v) => match v.trim().parse() {
            Ok(n) if n > 0 && n <= MAX_POOL_SIZE => n,
            _ => bail!(
                "UPR_TC_POOL_SIZE must be a whole number from 1 to {MAX_POOL_SIZE}, not `{v}`"
            ),
        },
        None => match database {
            // SQLite has one writer at a time; a few connections serve reads in WAL mode.
            DatabaseUrl::Sqlite(_) => 4,
            DatabaseUrl::Postgres(_) => 10,
        },
    })
}

/// The origins browsers may call from (`UPR_TC_CORS_ORIGINS`, `value`, separated by commas):
/// `*` (the default) or origins as a browser sends them, `https://host[:port]`. Anything else
/// is refused here, since it would match no browser's `Origin` (a trailing slash, a path, no
/// scheme) and the failure would show only in browsers.
fn cors_origins(value: Option<&str>) -> anyhow::Result<Vec<String>> {
    let origins: Vec<String> = value
        .unwrap_or("*")
        .split(',')
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    for origin in &origins {
        let host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        let is_origin = host.is_some_and(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        });
        if origin != "*" && !is_origin {
            bail!(
                "UPR_TC_CORS_ORIGINS: `{origin}` is not an origin; write each as a browser sends \
                 it, scheme and host (and port) with no path or trailing slash, such as \
                 https://example.org, or `*` for any"
            );
        }
    }
    Ok(origins)
}

impl Settings {
    /// Defaults overridden by the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        let database_url = env("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let database = DatabaseUrl::parse(&database_url)?;
        let database_read = match env("DATABASE_READ_URL") {
            None => None,
            Some(url) => match (
                &database,
                DatabaseUrl::parse_setting("DATABASE_READ_URL", &url)?,
            ) {
                (DatabaseUrl::Postgres(_), read @ DatabaseUrl::Postgres(_)) => Some(read),
                _ => bail!(
                    "DATABASE_READ_URL names a read-only replica of a PostgreSQL DATABASE_URL: \
                     both must start with postgres://"
                ),
            },
        };
        let json_limit = body_limit("UPR_TC_JSON_LIMIT", DEFAULT_JSON_LIMIT)?;
        let bulk_limit = body_limit("UPR_TC_BULK_LIMIT", DEFAULT_BULK_LIMIT)?;
        let pool_size = pool_size(env("UPR_TC_POOL_SIZE").as_deref(), &database)?;
        let rate_limits = match env("UPR_TC_RATE_LIMITS") {
            Some(v) => crate::ratelimit::Limits::parse(&v).context(
                "UPR_TC_RATE_LIMITS must be `off` or like `anonymous=600,token=1200,sync=6000`",
            )?,
            None => Some(crate::ratelimit::Limits::default()),
        };
        let leeway = match env("UPR_TC_JWT_LEEWAY") {
            Some(v) => v
                .parse()
                .ok()
                .filter(|s| *s <= 600)
                .context("UPR_TC_JWT_LEEWAY must be a number of seconds, at most 600")?,
            None => DEFAULT_JWT_LEEWAY,
        };
        let trusted_proxies = env("UPR_TC_TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| {
                a.parse()
                    .with_context(|| format!("UPR_TC_TRUSTED_PROXIES: `{a}` is not an IP address"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            bind: env("UPR_TC_BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned()),
            database,
            database_read,
            jwt: JwtSettings {
                secret: env("UPR_TC_JWT_SECRET"),
                jwks_path: env("UPR_TC_JWT_JWKS").map(PathBuf::from),
                issuer: env("UPR_TC_JWT_ISSUER").unwrap_or_else(|| DEFAULT_ISSUER.to_owned()),
                audience: env("UPR_TC_JWT_AUDIENCE").unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned()),
                leeway,
            },
            json_limit,
            bulk_limit,
            pool_size,
            cors_origins: cors_origins(env("UPR_TC_CORS_ORIGINS").as_deref())?,
            rate_limits,
            trusted_proxies,
            limits: ServeLimits::from_env()?,
            metrics: MetricsSettings {
                bind: env("UPR_TC_METRICS_BIND"),
                token: match env("UPR_TC_METRICS_TOKEN") {
                    Some(t) if t.len() < 16 => {
                        bail!("UPR_TC_METRICS_TOKEN must be 16 characters or more")
                    }
                    token => token,
                },
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_are_relative_or_absolute() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.sqlite3").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("data/x.sqlite3"))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/x.sqlite3").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("/var/lib/x.sqlite3"))
        );
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn the_feed_horizon_is_a_duration_of_a_millisecond_or_more_or_off() {
        let day = Duration::from_secs(86_400);
        assert_eq!(feed_horizon(None).unwrap(), None, "unset: the default");
        assert_eq!(feed_horizon(Some(" off ")).unwrap(), Some(None));
        assert_eq!(feed_horizon(Some("90days")).unwrap(), Some(Some(day * 90)));
        assert_eq!(feed_horizon(Some("36h")).unwrap(), Some(Some(day * 3 / 2)));
        for bad in [
            "0s",
            "1ns",
            "999us",
            "1000000000years",
            "",
            "soon",
            "-1d",
            "OFF",
        ] {
            let error = feed_horizon(Some(bad)).unwrap_err().to_string();
            assert!(error.contains("UPR_TC_FEED_HORIZON"), "{bad}: {error}");
        }
    }

    #[test]
    fn the_connections_of_an_address_are_a_number_above_zero_or_off() {
        assert_eq!(per_address(None).unwrap(), None);
        assert_eq!(per_address(Some(" 64 ")).unwrap(), Some(Some(64)));
        assert_eq!(per_address(Some("off")).unwrap(), Some(None));
        for bad in ["0", "-1", "many", ""] {
            assert!(per_address(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/upr"),
            "postgres://app:***@db:5432/upr"
        );
        assert_eq!(redact("postgres://db/upr"), "postgres://db/upr");
        assert_eq!(
            redact("postgres://postgres@db/upr"),
            "postgres://postgres@db/upr",
            "no password, nothing hidden"
        );
        assert_eq!(redact("postgres://:pw@db/upr"), "postgres://:***@db/upr");
    }

    #[test]
    fn cors_origins_are_origins_as_browsers_send_them() {
        assert_eq!(cors_origins(None).unwrap(), ["*"]);
        assert_eq!(
            cors_origins(Some(" https://a.example.org , http://localhost:3000,")).unwrap(),
            ["https://a.example.org", "http://localhost:3000"]
        );
        for bad in [
            "example.org",
            "https://example.org/",
            "https://example.org/app",
            "not a url",
            "https://",
            "ftp://example.org",
        ] {
            let error = cors_origins(Some(bad)).unwrap_err().to_string();
            assert!(error.contains("UPR_TC_CORS_ORIGINS"), "{bad}: {error}");
        }
    }

    #[test]
    fn the_pool_has_at_least_one_connection() {
        let sqlite = DatabaseUrl::Sqlite(PathBuf::from("x.sqlite3"));
        assert_eq!(pool_size(None, &sqlite).unwrap(), 4);
        assert_eq!(pool_size(Some("12"), &sqlite).unwrap(), 12);
        for bad in ["0", "-1", "many", "4.5"] {
            let error = pool_size(Some(bad), &sqlite).unwrap_err().to_string();
            assert!(error.contains("UPR_TC_POOL_SIZE"), "{bad}: {error}");
        }
    }
}
