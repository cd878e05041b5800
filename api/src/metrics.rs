//! Metrics for Prometheus, in the OpenMetrics text format it scrapes: requests by route and
//! status and their latency, the database pool (connections in use and idle, requests waiting
//! for one), the change feed's head, bulk imports with their rows, and reads answered from what
//! was kept (`app::kept`) with whether the data's version is known (`db::watch`). Off unless configured
//! (`Settings::metrics`): `UPR_TC_METRICS_BIND` serves `/metrics` on an address of its own (one
//! only the scraper reaches), `UPR_TC_METRICS_TOKEN` asks for `Authorization: Bearer <token>`,
//! on the service's own address when no address of its own is set.

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use prometheus_client::encoding::{EncodeLabelSet, text::encode};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::error::{ApiError, ApiResult};
use crate::import::ImportReport;
use crate::startup::AppState;

/// The `Content-Type` Prometheus asks for and reads.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Request {
    method: &'static str,
    /// The route's template (`/api/v1/recommendations/{id}`), never the path asked: a label
    /// takes a bounded set of values. A path no route serves is `unmatched`.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Import {
    resource: String,
    /// `applied`, `dry_run` or `rejected` (an atomic upload with a bad row writes nothing).
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Rows {
    resource: String,
    /// `created`, `updated`, `unchanged`, `rejected` or `folded`.
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Pool {
    /// `write` (the database) or `read` (a replica, when there is one).
    pool: &'static str,
    /// `in_use` or `idle`.
    state: &'static str,
}

/// The reads a store of what is kept answered from memory, and those it did not
/// (`Metrics::kept`; counted nowhere else by default).
#[derive(Default)]
pub struct Outcomes {
    pub hits: Counter,
    pub misses: Counter,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KeptRead {
    /// `items`, `pages` or `ranked` (`app::kept::KeptReads`), or `feed_ahead`
    /// (`app::read_ahead`).
    store: &'static str,
    /// `hit` (answered from memory) or `miss` (read, and kept). For `feed_ahead`, a page of
    /// the feed given as read ahead, or one read ahead and not given (asked after a write,
    /// pushed out, failed).
    outcome: &'static str,
}

/// The service's metrics, shared by its workers.
pub struct Metrics {
    registry: Registry,
    requests: Family<Request, Counter>,
    latency: Family<Route, Histogram>,
    imports: Family<Import, Counter>,
    rows: Family<Rows, Counter>,
    connections: Family<Pool, Gauge>,
    /// Requests waiting for a pooled connection (`http::with_db`).
    pub waiting: Gauge<i64, AtomicI64>,
    feed_head: Gauge<i64, AtomicI64>,
    kept: Family<KeptRead, Counter>,
    version_known: Gauge<i64, AtomicI64>,
    connections_refused: Counter,
    /// Connections shut for making no progress (`crate::stalled`).
    connections_stalled: Counter,
    /// 1 from a write refused because the database's disk is full until a write that changes
    /// something commits (`db::watch::Watch::storage_full`).
    storage_full: Gauge<i64, AtomicI64>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("upr_tc");
        let requests = Family::<Request, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let latency = Family::<Route, Histogram>::new_with_constructor(|| {
            // 1 ms to about 33 s.
            Histogram::new(exponential_buckets(0.001, 2.0, 16))
        });
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its answer's head, by method and route",
            prometheus_client::registry::Unit::Seconds,
            latency.clone(),
        );
        let imports = Family::<Import, Counter>::default();
        registry.register(
            "imports",
            "Bulk uploads, by resource and outcome",
            imports.clone(),
        );
        let rows = Family::<Rows, Counter>::default();
        registry.register(
            "import_rows",
            "Rows of bulk uploads, by resource and what became of them",
            rows.clone(),
        );
        let connections = Family::<Pool, Gauge>::default();
        registry.register(
            "db_connections",
            "Database connections of the pool, by pool and state",
            connections.clone(),
        );
        let waiting = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "db_waiting_requests",
            "Requests waiting for a database connection",
            waiting.clone(),
        );
        let feed_head = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "feed_head",
            "Position of the latest public change of the change feed",
            feed_head.clone(),
        );
        let kept = Family::<KeptRead, Counter>::default();
        registry.register(
            "kept_reads",
            "Reads of what is kept while the data is unchanged, by store and outcome",
            kept.clone(),
        );
        let version_known = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "data_version_known",
            "1 while the data's version is known and kept reads are given, else 0",
            version_known.clone(),
        );
        let connections_refused = Counter::default();
        registry.register(
            "connections_refused",
            "Connections answered 429 and closed because their address held its share \
             (UPR_TC_MAX_CONNECTIONS_PER_ADDRESS)",
            connections_refused.clone(),
        );
        let connections_stalled = Counter::default();
        registry.register(
            "connections_stalled",
            "Connections shut because they made no progress (took none of an answer, sent \
             none of a next request) within UPR_TC_EXPORT_SEND_TIMEOUT while no handler \
             worked on them",
            connections_stalled.clone(),
        );
        let storage_full = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "storage_full",
            "1 from a write refused because the database's disk is full until a write that \
             changes something commits, else 0",
            storage_full.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            imports,
            rows,
            connections,
            waiting,
            feed_head,
            kept,
            version_known,
            connections_refused,
            connections_stalled,
            storage_full,
        }
    }
}

impl Metrics {
    /// Counts one answered request.
    pub fn request(&self, method: &str, route: Option<String>, status: u16, seconds: f64) {
        let method = match method {
            "GET" => "GET",
            "HEAD" => "HEAD",
            "POST" => "POST",
            "PUT" => "PUT",
            "PATCH" => "PATCH",
            "DELETE" => "DELETE",
            "OPTIONS" => "OPTIONS",
            _ => "other",
        };
        let route = route.unwrap_or_else(|| "unmatched".to_owned());
        self.requests
            .get_or_create(&Request {
                method,
                route: route.clone(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&Route { method, route })
            .observe(seconds);
    }

    /// Counts one bulk upload by its outcome, and the rows of one that wrote them (a dry run's
    /// or a refused upload's rows were written nowhere).
    pub fn import(&self, resource: &str, report: &ImportReport, rejected: bool) {
        let outcome = if report.dry_run {
            "dry_run"
        } else if rejected {
            "rejected"
        } else {
            "applied"
        };
        let resource = resource.to_owned();
        self.imports
            .get_or_create(&Import {
                resource: resource.clone(),
                outcome,
            })
            .inc();
        if !report.written {
            return;
        }
        for (result, n) in [
            ("created", report.created),
            ("updated", report.updated),
            ("unchanged", report.unchanged),
            ("rejected", report.rejected),
            ("folded", report.folded),
        ] {
            self.rows
                .get_or_create(&Rows {
                    resource: resource.clone(),
                    result,
                })
                .inc_by(n);
        }
    }

    /// The count of connections refused for their address (`crate::connections`).
    pub fn connections_refused(&self) -> Counter {
        self.connections_refused.clone()
    }

    /// The count of connections shut for making no progress, for `crate::stalled`.
    pub fn connections_stalled(&self) -> Counter {
        self.connections_stalled.clone()
    }

    /// The counters of a store of `app::kept` (or `app::read_ahead`): its hits and misses.
    pub fn kept(&self, store: &'static str) -> Outcomes {
        let counter = |outcome| {
            self.kept
                .get_or_create(&KeptRead { store, outcome })
                .clone()
        };
        Outcomes {
            hits: counter("hit"),
            misses: counter("miss"),
        }
    }

    fn pool(&self, name: &'static str, pool: &crate::db::Pool) {
        let state = pool.state();
        let idle = i64::from(state.idle_connections);
        let in_use = i64::from(state.connections) - idle;
        for (state, n) in [("in_use", in_use), ("idle", idle)] {
            self.connections
                .get_or_create(&Pool { pool: name, state })
                .set(n);
        }
    }

    /// The metrics as Prometheus reads them, the pool's and the feed's read now.
    fn render(&self, state: &AppState, feed_head: i64) -> String {
        self.pool("write", &state.pool);
        if state.read.replica {
            self.pool("read", &state.read.pool);
        }
        self.feed_head.set(feed_head);
        self.version_known
            .set(i64::from(state.watch.version().is_some()));
        self.storage_full.set(i64::from(state.watch.storage_full()));
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("metrics encode to a string");
        out
    }
}

/// One request waiting for a connection, for as long as it lives.
pub struct Waiting<'a>(&'a Gauge<i64, AtomicI64>);

impl<'a> Waiting<'a> {
    pub fn new(gauge: &'a Gauge<i64, AtomicI64>) -> Self {
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Who may read `/metrics`: anyone who reaches its address, or the holders of a token.
#[derive(Clone)]
pub struct Access(Option<Arc<str>>);

impl Access {
    pub fn new(token: Option<&str>) -> Self {
        Self(token.map(Arc::from))
    }

    fn allows(&self, req: &HttpRequest) -> bool {
        let Some(token) = &self.0 else {
            return true;
        };
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        // Compared as digests, so the time taken says nothing of how much of it matched.
        crate::digest::sha256_hex(given, 32) == crate::digest::sha256_hex(token.as_bytes(), 32)
    }
}

/// `GET /metrics`.
pub async fn scrape(
    state: web::Data<AppState>,
    access: web::Data<Access>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    if !access.allows(&req) {
        return Err(ApiError::Unauthorized(
            "The metrics need the bearer token UPR_TC_METRICS_TOKEN sets.".into(),
        ));
    }
    let head = crate::http::with_read_db(&state, |conn| Ok(crate::db::changes::public_head(conn)?))
        .await?;
    let body = state.metrics.render(&state, head);
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}
