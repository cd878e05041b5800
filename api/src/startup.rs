//! Builds the application once, the same way for `serve`, for the tests and for `openapi`.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpRequest, HttpResponse, ResponseError, web};
use anyhow::Context;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::auth::Keys;
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::error::{self, ApiError};

/// What every handler can reach.
pub struct AppState {
    pub pool: Pool,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Body limit of bulk uploads.
    pub bulk_limit: usize,
    /// Body limit of the other routes (JSON bodies).
    pub json_limit: usize,
    /// A place for each streamed export that may be open at once (each holds at most a page
    /// in memory while its client is waited on), and the pace of each open one's client.
    pub exports: Arc<crate::open_exports::OpenExports>,
    /// One permit for each streamed export that may read the database at once: taken for a
    /// page, never while a client is waited on, so that exports never take every connection
    /// and a client that does not read holds none of these.
    pub export_reads: Arc<tokio::sync::Semaphore>,
    /// Each caller's one streamed export at a time (`shares`, callers told apart as the rate
    /// limits tell them, whether or not the limits are on).
    pub export_shares: Arc<crate::shares::Shares>,
    /// One permit for each bulk upload that may be read and written at once, taken once its
    /// body is here (`ServeLimits::uploads`).
    pub uploads: Arc<tokio::sync::Semaphore>,
    /// Each caller's one bulk upload at a time, from before its body is received (as the
    /// exports' shares tell callers apart).
    pub upload_shares: Arc<crate::shares::Shares>,
    /// Each caller's bulk uploads not compressed that may arrive at once
    /// ([`crate::decoding::ARRIVING_EACH`]): each costs the disk what its client sends, up to
    /// the bulk limit, until it is whole.
    pub arriving_shares: Arc<crate::shares::Shares>,
    /// Each caller's large JSON bodies that may arrive at once
    /// ([`crate::routes::body::LARGE_EACH`]): each is held in memory until it is whole.
    pub large_bodies: Arc<crate::shares::Shares>,
    /// How long an upload received whole waits for its turn (`ServeLimits::upload_wait`).
    pub upload_wait: std::time::Duration,
    /// The most rows an atomic upload of a contributor or a State writes
    /// (`ServeLimits::atomic_rows`).
    pub atomic_rows: u64,
    /// How long an export waits for a client that reads nothing.
    pub export_send_timeout: std::time::Duration,
    /// One permit for each ranked search that may run at once: a few expensive searches
    /// never take every connection.
    pub searches: Arc<tokio::sync::Semaphore>,
    /// As many permits for the other rankings (matches, the coordination view, the counting of
    /// a report), which take seconds where a search takes milliseconds: callers who keep them
    /// busy never keep a search from running.
    pub rankings: Arc<tokio::sync::Semaphore>,
    /// Each caller's share of the searches' permits, and of the other rankings': one caller
    /// running many at once never takes them all (`shares`).
    pub search_shares: Arc<crate::shares::Shares>,
    pub ranking_shares: Arc<crate::shares::Shares>,
    /// One permit for each pooled connection: requests queue here, in order, for a connection
    /// (`http::with_db`).
    pub connections: Arc<tokio::sync::Semaphore>,
    /// Where lists, searches, exports, the change feed and the snapshot are read: a read-only
    /// replica (`DATABASE_READ_URL`), else the database itself.
    pub read: Reads,
    /// Load balancers whose `X-Forwarded-For` names the caller.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Largest answer kept for an `Idempotency-Key` replay, in bytes.
    pub idempotency_answer_limit: usize,
    /// How long a body may take to arrive (ordinary requests, bulk uploads), and how long it
    /// may go without a byte.
    pub body_timeout: std::time::Duration,
    pub bulk_body_timeout: std::time::Duration,
    /// After how long an unanswered `Idempotency-Key` claim may be taken over.
    pub idempotency_claim_timeout: std::time::Duration,
    /// How long a State's coordination view may take (`UPR_TC_COORDINATION_TIMEOUT`).
    pub coordination_timeout: std::time::Duration,
    /// The last look of `/health/ready` at the database, given again for a second
    /// (`routes::health::ready`).
    pub readiness: crate::routes::health::LastLook,
    /// Turns positions into the opaque cursors clients see, and back.
    pub cursors: crate::cursor::Cursors,
    /// The offers matching has read, parsed and their words stemmed, by version.
    pub offers: Arc<crate::app::matching::OfferCache>,
    /// The reports counted, while the data is unchanged.
    pub reports: Arc<crate::app::report::ReportCache>,
    /// The snapshots being read (`routes::snapshot`).
    pub snapshots: crate::routes::snapshot::Snapshots,
    /// The `Idempotency-Key` claims requests could not give up, tried again (`idempotency`).
    pub unreleased: crate::idempotency::Unreleased,
    /// What was read, kept while the data is unchanged (`app::kept`).
    pub kept: crate::app::kept::KeptReads,
    /// The change feed's next pages, read while their clients take this one
    /// (`app::read_ahead`).
    pub feed_ahead: crate::app::read_ahead::ReadAhead<crate::routes::changes::FeedPage>,
    /// The version of the database's data (`db::watch`): what is read from it is kept under it.
    pub watch: Arc<crate::db::watch::Watch>,
    /// The fields the contract's merge patches name (`routes::support::patch_body`).
    pub patch_fields: crate::openapi::PatchFields,
    /// What `/metrics` tells (`crate::metrics`).
    pub metrics: crate::metrics::Metrics,
    /// Set when the service is told to stop (`serve`): requests that wait for something to
    /// happen (the feed's long polls) answer now, so that a restart does not wait out their
    /// waits.
    pub stopping: Arc<std::sync::atomic::AtomicBool>,
    /// The stop's time, and the work it cut (`crate::stop`).
    pub stop: Arc<crate::stop::Stop>,
}

/// The connections reads that may lag behind the writes are served from (`http::with_read_db`).
pub struct Reads {
    pub pool: Pool,
    /// One permit for each of its connections (the same as `AppState::connections` when it is
    /// the database itself).
    pub connections: Arc<tokio::sync::Semaphore>,
    /// Whether it is a replica.
    pub replica: bool,
    /// The version of its data (`AppState::watch` when it is the database itself): a replica
    /// may not have replayed a write the database has, and what is read from it is kept under
    /// the version it has.
    pub watch: Arc<crate::db::watch::Watch>,
}

/// Everything a running service holds, built once and shared by the workers.
#[derive(Clone)]
pub struct Service {
    pub state: web::Data<AppState>,
    pub keys: web::Data<Keys>,
    pub settings: Arc<Settings>,
    /// Shared by every worker, so a caller has one budget per instance.
    rate_limits: Option<web::Data<crate::ratelimit::RateLimits>>,
    routes: Arc<crate::served::RouteTable>,
    /// The contract as served at `/api/v1/openapi.json`, rendered once.
    contract: Arc<String>,
    /// This process's hold on the SQLite file it serves, while any worker runs.
    serving: Option<Arc<db::serving::Serving>>,
}

impl Service {
    /// Opens the database, applies pending migrations and loads the token keys.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        // The keys first: a service that could not check a token changes nothing in the
        // database, migrations included.
        let keys = Keys::load(&settings.jwt, settings.database.data_dir())?;
        let pool = db::connect_with(
            &settings.database,
            settings.pool_size,
            settings.limits.connecting(),
        )?;
        let mut conn = pool.get().context("cannot get a database connection")?;
        let applied = conn.migrate()?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "applied migrations");
        }
        let serving = db::serving::Serving::register(&settings.database)?;
        if serving.alone {
            let cleared = crate::idempotency::clear_orphaned_claims(&mut conn)
                .context("cannot clear the idempotency claims of stopped processes")?;
            if cleared > 0 {
                tracing::info!(
                    claims = cleared,
                    "cleared idempotency claims a stopped process left"
                );
            }
        } else {
            // Which of the claims found are another live process's is not known: each is taken
            // over after its timeout instead (`UPR_TC_IDEMPOTENCY_CLAIM_TIMEOUT`).
            tracing::info!(
                "another process serves this SQLite file: its idempotency claims are left"
            );
        }
        let cursors = crate::cursor::Cursors::load(&mut conn)?;
        drop(conn);
        // The replica is never migrated: it follows the database, migrations included.
        let replica = match &settings.database_read {
            Some(url) => Some(
                db::connect_with(url, settings.pool_size, settings.limits.connecting())
                    .context("cannot open the read-only replica (DATABASE_READ_URL)")?,
            ),
            None => None,
        };
        let mut service = Self::assemble(pool, replica, keys, cursors, settings);
        service.serving = Some(Arc::new(serving));
        Ok(service)
    }

    pub fn with_parts(
        pool: Pool,
        keys: Keys,
        cursors: crate::cursor::Cursors,
        settings: Settings,
    ) -> Self {
        Self::assemble(pool, None, keys, cursors, settings)
    }

    fn assemble(
        pool: Pool,
        replica: Option<Pool>,
        keys: Keys,
        cursors: crate::cursor::Cursors,
        settings: Settings,
    ) -> Self {
        let doc = crate::openapi::document();
        let contract = crate::openapi::render_document(&doc);
        let permits = || {
            Arc::new(tokio::sync::Semaphore::new(
                settings.pool_size.max(1) as usize
            ))
        };
        let connections = permits();
        let metrics = crate::metrics::Metrics::default();
        let connecting = settings.limits.connecting();
        // The data's version is watched only where something is kept under it.
        let watch_of = |url: &crate::config::DatabaseUrl, writes| {
            use crate::db::watch::Watch;
            if settings.limits.kept_bytes == 0 {
                Watch::off()
            } else {
                Watch::start(url.clone(), connecting, writes)
            }
        };
        let watch = watch_of(&settings.database, crate::db::watch::Writes::OfThisProcess);
        let read = match (replica, &settings.database_read) {
            (Some(replica), Some(url)) => Reads {
                pool: replica,
                connections: permits(),
                replica: true,
                watch: watch_of(url, crate::db::watch::Writes::Replayed),
            },
            _ => Reads {
                pool: pool.clone(),
                connections: connections.clone(),
                replica: false,
                watch: watch.clone(),
            },
        };
        Self {
            state: web::Data::new(AppState {
                pool,
                read,
                backend: settings.database.backend(),
                bulk_limit: settings.bulk_limit,
                json_limit: settings.json_limit,
                exports: Arc::new(crate::open_exports::OpenExports::new(
                    settings.limits.exports(),
                    settings.limits.export_min_rate,
                )),
                export_reads: Arc::new(tokio::sync::Semaphore::new(
                    crate::config::ServeLimits::export_reads(
                        settings.pool_size,
                        settings.limits.searches(settings.pool_size),
                    ),
                )),
                export_shares: crate::shares::Shares::each_runs(Some(1)),
                uploads: Arc::new(tokio::sync::Semaphore::new(
                    settings.limits.uploads(settings.pool_size),
                )),
                upload_shares: crate::shares::Shares::each_runs(Some(1)),
                arriving_shares: crate::shares::Shares::each_runs(Some(
                    crate::decoding::ARRIVING_EACH,
                )),
                large_bodies: crate::shares::Shares::each_runs(Some(
                    crate::routes::body::LARGE_EACH,
                )),
                upload_wait: settings.limits.upload_wait,
                atomic_rows: settings.limits.atomic_rows,
                export_send_timeout: settings.limits.export_send_timeout,
                searches: Arc::new(tokio::sync::Semaphore::new(
                    settings.limits.searches(settings.pool_size),
                )),
                rankings: Arc::new(tokio::sync::Semaphore::new(
                    settings.limits.searches(settings.pool_size),
                )),
                search_shares: crate::shares::Shares::of(
                    settings.limits.searches(settings.pool_size),
                    settings.rate_limits.is_some(),
                ),
                ranking_shares: crate::shares::Shares::of(
                    settings.limits.searches(settings.pool_size),
                    settings.rate_limits.is_some(),
                ),
                connections,
                trusted_proxies: settings.trusted_proxies.clone(),
                idempotency_answer_limit: settings.limits.idempotency_answer_limit,
                body_timeout: settings.limits.body_timeout,
                bulk_body_timeout: settings.limits.bulk_body_timeout,
                idempotency_claim_timeout: settings.limits.idempotency_claim_timeout,
                coordination_timeout: settings.limits.coordination_timeout,
                readiness: Default::default(),
                cursors,
                offers: Default::default(),
                reports: Default::default(),
                unreleased: Default::default(),
                snapshots: crate::routes::snapshot::Snapshots::new(matches!(
                    settings.database,
                    crate::config::DatabaseUrl::Sqlite(_)
                )),
                kept: crate::app::kept::KeptReads::new(settings.limits.kept_bytes, &metrics),
                feed_ahead: crate::routes::changes::feed_ahead(settings.limits.kept_bytes)
                    .counted(metrics.kept("feed_ahead")),
                watch,
                patch_fields: crate::openapi::PatchFields::of(&doc),
                metrics,
                stopping: Default::default(),
                stop: Default::default(),
            }),
            keys: web::Data::new(keys),
            rate_limits: settings.rate_limits.map(|l| {
                web::Data::new(crate::ratelimit::RateLimits::new(
                    l,
                    settings.trusted_proxies.clone(),
                ))
            }),
            routes: Arc::new(crate::served::RouteTable::from_doc(&doc)),
            contract: Arc::new(contract),
            settings: Arc::new(settings),
            serving: None,
        }
    }

    /// The actix application.
    pub fn app(
        self,
    ) -> App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = actix_web::Error,
            InitError = (),
        >,
    > {
        let routes = self.routes;
        let negotiated = routes.clone();
        let contract = self.contract;
        let cors = cors(&self.settings.cors_origins);
        let decoding = crate::decoding::Limits {
            json: self.settings.json_limit,
            bulk: self.settings.bulk_limit,
        };
        // Registered before the `/api/v1` scope, which would otherwise claim the path.
        // The contract changes only with a release: tagged once, cached by clients.
        let tag = format!("W/\"{}\"", crate::digest::tag(contract.as_bytes(), 12));
        let (app, _) = App::new()
            .route(
                "/api/v1/openapi.json",
                web::get().to(move |req: HttpRequest| {
                    let (contract, tag) = (contract.clone(), tag.clone());
                    async move {
                        crate::routes::support::release_answer(&req, &tag, || {
                            HttpResponse::Ok()
                                .content_type("application/json")
                                .body(contract.as_str().to_owned())
                        })
                    }
                }),
            )
            .into_utoipa_app()
            .app_data(self.state)
            .app_data(self.keys)
            .app_data(self.rate_limits)
            .app_data(error::json_config(self.settings.json_limit))
            .app_data(error::path_config())
            .configure(crate::routes::configure)
            .split_for_parts();
        let metrics = &self.settings.metrics;
        let app = if metrics.on_service_address() {
            app.app_data(web::Data::new(crate::metrics::Access::new(
                metrics.token.as_deref(),
            )))
            .route("/metrics", web::get().to(crate::metrics::scrape))
        } else {
            app
        };
        app.route(
            "/docs/",
            web::get().to(|| async {
                HttpResponse::Ok()
                    .content_type("text/html; charset=utf-8")
                    .body(DOCS_PAGE.as_str())
            }),
        )
        .service(SwaggerUi::new("/docs/{_:.*}").config(Config::from("/api/v1/openapi.json")))
        .route("/docs", web::get().to(docs_redirect))
        .default_service(web::to(move |req: HttpRequest| {
            let routes = routes.clone();
            async move { unmatched(&routes, &req) }
        }))
        .wrap(actix_web::middleware::from_fn(
            crate::idempotency::middleware,
        ))
        .wrap(actix_web::middleware::from_fn(error::query_encoding))
        .wrap(actix_web::middleware::from_fn(move |req, next| {
            crate::decoding::middleware(decoding, req, next)
        }))
        .wrap(actix_web::middleware::from_fn(crate::ratelimit::middleware))
        .wrap(actix_web::middleware::from_fn(crate::auth::authenticate))
        .wrap(actix_web::middleware::from_fn(move |req, next| {
            crate::served::middleware(negotiated.clone(), req, next)
        }))
        .wrap(actix_web::middleware::from_fn(crate::deadline::middleware))
        .wrap(cors)
        .wrap(actix_web::middleware::from_fn(crate::caching::middleware))
        .wrap(actix_web::middleware::from_fn(crate::pieces::middleware))
        .wrap(actix_web::middleware::from_fn(crate::compression::small))
        .wrap(actix_web::middleware::Compress::default())
        .wrap(actix_web::middleware::from_fn(crate::compression::finish))
        .wrap(actix_web::middleware::from_fn(crate::head::middleware))
        .wrap(actix_web::middleware::from_fn(crate::telemetry::middleware))
        .wrap(actix_web::middleware::from_fn(crate::stalled::middleware))
        .wrap(actix_web::middleware::from_fn(
            crate::connections::middleware,
        ))
    }
}

/// Browsers may call the API from the pages of these origins; preflight requests are answered
/// before any route or token check.
fn cors(origins: &[String]) -> actix_cors::Cors {
    let cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::ACCEPT,
            actix_web::http::header::IF_MATCH,
            actix_web::http::header::IF_NONE_MATCH,
            actix_web::http::header::HeaderName::from_static("idempotency-key"),
            // A compressed bulk upload, and a page's trace joined by the service's spans.
            actix_web::http::header::CONTENT_ENCODING,
            actix_web::http::header::HeaderName::from_static("traceparent"),
            actix_web::http::header::HeaderName::from_static("tracestate"),
            actix_web::http::header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            "ETag",
            "Location",
            "Link",
            "X-Request-Id",
            "Retry-After",
            "RateLimit",
            "RateLimit-Policy",
            "Idempotent-Replayed",
            "X-Changes-Cursor",
            "Content-Disposition",
        ])
        .max_age(3600);
    if origins.iter().any(|o| o == "*") {
        cors.allow_any_origin()
    } else {
        origins
            .iter()
            .fold(cors, |cors, origin| cors.allowed_origin(origin))
    }
}

/// The docs page ([`docs_page`]), made once for the process and every worker.
static DOCS_PAGE: std::sync::LazyLock<String> = std::sync::LazyLock::new(docs_page);

/// The docs page: Swagger UI's, under the service's own title (the contract's), so that a
/// browser's tab and bookmarks name the API, not the tool.
fn docs_page() -> String {
    let config = Arc::new(Config::from("/api/v1/openapi.json"));
    let page = utoipa_swagger_ui::serve("index.html", config)
        .ok()
        .flatten()
        .map(|file| String::from_utf8_lossy(&file.bytes).into_owned())
        .expect("Swagger UI ships its index.html");
    let title = format!(
        "<title>{} — API documentation</title>",
        crate::openapi::TITLE
    );
    page.replacen("<title>Swagger UI</title>", &title, 1)
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}

fn unmatched(routes: &crate::served::RouteTable, req: &HttpRequest) -> HttpResponse {
    // `OPTIONS` that is not a CORS preflight (which `startup::cors` answers) asks what a
    // resource allows (RFC 9110 §9.3.7).
    if req.method() == actix_web::http::Method::OPTIONS
        && let Some(methods) = routes.methods_of(req.path())
    {
        return HttpResponse::NoContent()
            .insert_header((actix_web::http::header::ALLOW, crate::head::allow(&methods)))
            .finish();
    }
    let error = match routes.methods_of(req.path()) {
        Some(methods) if !methods.contains(req.method()) => ApiError::MethodNotAllowed {
            detail: format!(
                "{} is not allowed on {}.",
                crate::head::method_of(req),
                req.path()
            ),
            allow: crate::head::allow(&methods),
        },
        _ => ApiError::NotFound(format!("There is nothing at {}.", req.path())),
    };
    error.error_response()
}

/// Bounds the kernel's send buffer of each connection to `bytes` (Linux doubles it). Left to
/// itself Linux grows it to megabytes, and a socket whose buffer is full is writable again only
/// once half of it has drained: a client reading a steady 50 KB/s would then take nothing, as
/// the service sees it, for tens of seconds at a time, and be abandoned as one that reads
/// nothing (`UPR_TC_EXPORT_SEND_TIMEOUT`). The default, 1 MiB, keeps a distant client's
/// throughput (about 20 MB/s at 100 ms) with a reader seen to progress every minute down to
/// some 20 KB/s (`UPR_TC_SEND_BUFFER`).
///
/// And sends each write at once (`TCP_NODELAY`): an answer written in pieces (a compressed or
/// streamed one) would otherwise have its last small piece held until the client acknowledges
/// the one before, which a client delays by up to 40 ms: measured, every compressed page took
/// 48 ms where the same page uncompressed took 5 (docs/benchmarks.md, "Issue 13").
fn bound_send_buffer(stream: &actix_web::rt::net::TcpStream, bytes: usize) {
    if let Err(e) = socket2::SockRef::from(stream).set_send_buffer_size(bytes) {
        tracing::warn!(error = %e, "cannot set a connection's send buffer");
    }
    if let Err(e) = stream.set_nodelay(true) {
        tracing::warn!(error = %e, "cannot set a connection's TCP_NODELAY");
    }
}

/// Raises the process's limit of open files to what `max_connections` need, as far as its
/// hard limit allows: each connection holds a file handle or two, besides the database's, the
/// temporary files' and the listeners', and many systems start a process with a soft limit of
/// 1,024, which would refuse connections (`Too many open files`) long before the limit the
/// operator set. Says so when the hard limit is lower.
fn open_files(max_connections: usize, pool_size: usize) {
    let wanted = 2 * max_connections as u64 + pool_size as u64 + 256;
    match rlimit::increase_nofile_limit(wanted) {
        Ok(limit) if limit < wanted => tracing::warn!(
            open_files = limit,
            wanted,
            "the process may open fewer files than UPR_TC_MAX_CONNECTIONS connections need: \
             raise its hard limit (`ulimit -Hn`, systemd's `LimitNOFILE=`, Docker's `--ulimit \
             nofile=`) or lower UPR_TC_MAX_CONNECTIONS"
        ),
        Ok(limit) => tracing::debug!(open_files = limit, "limit of open files"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the limit of open files"),
    }
}

/// Runs the HTTP server until SIGTERM or SIGINT; requests in flight finish first, and the
/// feed's long polls answer at once (`AppState::stopping`). A second signal stops it at once.
pub async fn serve(service: Service) -> anyhow::Result<()> {
    // Uploads and snapshots are received and written into temporary files: a service that
    // cannot make one would seem ready and fail each of them.
    tempfile::tempfile().with_context(|| {
        format!(
            "cannot make a temporary file in {} (TMPDIR), where uploads and snapshots are kept",
            std::env::temp_dir().display()
        )
    })?;
    // A replica's pool is as large as the primary's.
    let pools = service.settings.pool_size as usize
        * (1 + usize::from(service.settings.database_read.is_some()));
    open_files(service.settings.limits.max_connections, pools);
    let (server, addrs) = listen(&service, &service.settings.bind)?;
    for addr in addrs {
        tracing::info!(address = %addr, database = service.state.backend, "listening; docs at /docs");
    }
    if let Some(horizon) = service.settings.limits.feed_horizon {
        compact_feed_hourly(service.state.pool.clone(), horizon)?;
    }
    let metrics = metrics_server(&service)?;
    let forced = stop_on_signal(
        (
            service.state.stopping.clone(),
            service.state.stop.clone(),
            stop_seconds(&service.settings.limits),
        ),
        [Some(server.handle()), metrics.as_ref().map(|m| m.handle())],
    )?;
    let served = async {
        match metrics {
            Some(metrics) => futures_util::future::join(server, metrics).await.0,
            None => server.await,
        }
    };
    // Dropping the servers stops their workers without waiting for what is in flight. A
    // graceful stop that ends drops the sender: only a sent value means a second signal.
    tokio::select! {
        served = served => served.context("the server stopped with an error")?,
        Ok(()) = forced => {
            anyhow::bail!("stopped at a second signal: requests in flight were cut")
        }
    }
    // A stopped service leaves its SQLite file whole: what its write-ahead log holds is
    // copied in, so that a copy of the file alone (a cold backup) has every committed write.
    let pool = service.state.pool.clone();
    let copied = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut conn = pool.get()?;
        Ok(crate::db::sql::statements::checkpoint_whole(&mut conn)?)
    })
    .await
    .map_err(anyhow::Error::from)
    .and_then(|copied| copied);
    if let Err(e) = copied {
        tracing::warn!(error = %e, "cannot copy the write-ahead log into the database at stop");
    }
    // Each was logged as it was cut (the workers drop what they ran after they report
    // stopped: waited for); the exit status says it too, to whatever restarts us.
    let cut = service
        .state
        .stop
        .cut_once_settled(std::time::Duration::from_secs(5))
        .await;
    if cut > 0 {
        anyhow::bail!(
            "stopped with {cut} request(s) cut short: still running when the graceful stop's \
             time ran out (UPR_TC_STOP_TIMEOUT, {} s; what they committed stays, and a bulk \
             upload's retry with the same Idempotency-Key carries out the rest)",
            stop_seconds(&service.settings.limits)
        );
    }
    Ok(())
}

/// The whole seconds a stop gives what runs (`UPR_TC_STOP_TIMEOUT`, rounded up: the server
/// counts in seconds, and half a second must not become none).
fn stop_seconds(limits: &crate::config::ServeLimits) -> u64 {
    limits.stop_timeout.as_millis().div_ceil(1000) as u64
}

/// How long a client may take to send a request's head, to close when the service closes, and
/// to send its next request on a connection kept open: the same on every address the service
/// listens on.
const CLIENT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
const CLIENT_DISCONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);
const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(5);

/// What each connection accepted goes through, on every address the service listens on: its
/// send buffer bounded and `TCP_NODELAY` ([`bound_send_buffer`]), then counted against its
/// address's share or refused ([`crate::connections::PerAddress::admit`]), and watched for
/// progress ([`crate::stalled::watch`]).
fn on_connect(
    per_address: crate::connections::PerAddress,
    service: &Service,
) -> impl Fn(&dyn std::any::Any, &mut actix_web::dev::Extensions) + Send + Sync + 'static {
    let limits = &service.settings.limits;
    let send_buffer = limits.send_buffer;
    let stall = limits.export_send_timeout;
    let stalled = service.state.metrics.connections_stalled();
    move |conn, data| {
        let Some(stream) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() else {
            return;
        };
        bound_send_buffer(stream, send_buffer);
        per_address.admit(stream, data);
        crate::stalled::watch(stream, data, stall, stalled.clone());
    }
}

/// The HTTP server as `serve` runs it, listening on `bind`, and the addresses it listens on.
/// Connections are bounded (each is two file handles, `crate::stalled`), in all and from any one address
/// (`crate::connections`), and so is how long a client may take: to send a request's head, and
/// to close when the service closes. Bodies have their own deadline (`crate::deadline`).
pub fn listen(
    service: &Service,
    bind: &str,
) -> anyhow::Result<(actix_web::dev::Server, Vec<std::net::SocketAddr>)> {
    let factory = service.clone();
    let limits = &service.settings.limits;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_worker = (limits.max_connections / workers).max(1);
    let per_address = crate::connections::PerAddress::new(
        limits.max_connections_per_address,
        &service.settings.trusted_proxies,
        service.state.metrics.connections_refused(),
    );
    let server = actix_web::HttpServer::new(move || factory.clone().app())
        .workers(workers)
        .max_connections(per_worker)
        .client_request_timeout(CLIENT_REQUEST_TIMEOUT)
        .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
        .keep_alive(KEEP_ALIVE)
        .on_connect(on_connect(per_address, service))
        .bind(bind)
        .with_context(|| format!("cannot listen on {bind}"))?
        .shutdown_timeout(stop_seconds(limits))
        .disable_signals();
    let addrs = server.addrs();
    Ok((server.run(), addrs))
}

/// On SIGTERM or SIGINT (Ctrl-C where there are no Unix signals): marks the service as
/// stopping, then stops `servers` gracefully (they take no new connections and finish the
/// requests in flight). The future returned is ready at a second signal, for the servers to be
/// stopped at once: an operator who asks twice does not want to wait for an export.
fn stop_on_signal(
    (stopping, stop, within): (
        Arc<std::sync::atomic::AtomicBool>,
        Arc<crate::stop::Stop>,
        u64,
    ),
    servers: [Option<actix_web::dev::ServerHandle>; 2],
) -> anyhow::Result<tokio::sync::oneshot::Receiver<()>> {
    let mut signals = Signals::new()?;
    let (force, forced) = tokio::sync::oneshot::channel();
    actix_web::rt::spawn(async move {
        let name = signals.next().await;
        tracing::info!("{name}: stopping once the requests in flight are answered");
        stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        stop.begin(std::time::Duration::from_secs(within));
        let graceful = futures_util::future::join_all(
            servers
                .into_iter()
                .flatten()
                .map(|s| async move { s.stop(true).await }),
        );
        tokio::select! {
            _ = graceful => {}
            name = signals.next() => {
                tracing::warn!("{name} again: stopping now, requests in flight are cut");
                let _ = force.send(());
            }
        }
    });
    Ok(forced)
}

/// What tells the service to stop: SIGTERM or SIGINT.
#[cfg(unix)]
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            term: signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?,
        })
    }

    /// The next signal's name.
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}

/// What tells the service to stop: Ctrl-C.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> anyhow::Result<Self> {
        Ok(Self)
    }

    /// The next signal's name.
    async fn next(&mut self) -> &'static str {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// Connections the metrics address takes at once, in all and from one address (fewer when
/// `UPR_TC_MAX_CONNECTIONS_PER_ADDRESS` says so): a scraper holds one or two. Each is a file
/// handle the service's own address needs too, so a client that reaches the metrics address
/// cannot take more than these.
const METRICS_CONNECTIONS: usize = 64;
const METRICS_CONNECTIONS_PER_ADDRESS: usize = 4;

/// `/metrics` on an address of its own (`UPR_TC_METRICS_BIND`), with one worker: a scrape is
/// small and seldom. Its connections are bounded as the service's are, to fewer. It stops with
/// the service.
fn metrics_server(service: &Service) -> anyhow::Result<Option<actix_web::dev::Server>> {
    let Some(bind) = service.settings.metrics.bind.clone() else {
        return Ok(None);
    };
    let state = service.state.clone();
    let access = web::Data::new(crate::metrics::Access::new(
        service.settings.metrics.token.as_deref(),
    ));
    let limits = &service.settings.limits;
    let per_address = crate::connections::PerAddress::new(
        limits
            .max_connections_per_address
            .map(|share| share.min(METRICS_CONNECTIONS_PER_ADDRESS)),
        &service.settings.trusted_proxies,
        service.state.metrics.connections_refused(),
    );
    let server = actix_web::HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(access.clone())
            .route("/metrics", web::get().to(crate::metrics::scrape))
            .wrap(actix_web::middleware::from_fn(crate::telemetry::middleware))
            .wrap(actix_web::middleware::from_fn(crate::stalled::middleware))
            .wrap(actix_web::middleware::from_fn(
                crate::connections::middleware,
            ))
    })
    .workers(1)
    .max_connections(METRICS_CONNECTIONS)
    .client_request_timeout(CLIENT_REQUEST_TIMEOUT)
    .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
    .keep_alive(KEEP_ALIVE)
    .on_connect(on_connect(per_address, service))
    .bind(&bind)
    .with_context(|| format!("cannot listen on {bind} (UPR_TC_METRICS_BIND)"))?
    .shutdown_timeout(5)
    .disable_signals();
    for addr in server.addrs() {
        tracing::info!(address = %addr, "metrics at /metrics");
    }
    Ok(Some(server.run()))
}

/// How often the change feed is compacted (`db::changes::compact`).
const COMPACTION_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Compacts the change feed past `horizon` now and then every [`COMPACTION_INTERVAL`], on a
/// thread of its own; a failure is logged and tried again at the next turn. Each instance
/// behind a load balancer does it; they take turns under the write lock.
fn compact_feed_hourly(pool: crate::db::Pool, horizon: std::time::Duration) -> anyhow::Result<()> {
    let compact = move || -> anyhow::Result<crate::db::changes::Compaction> {
        let horizon = chrono::Duration::from_std(horizon)?;
        let before = chrono::Utc::now()
            .checked_sub_signed(horizon)
            .context("the feed horizon reaches before any date")?;
        let mut conn = pool.get()?;
        conn.plan(crate::db::Plans::Auto)?;
        Ok(crate::db::changes::compact(&mut conn, before)?)
    };
    std::thread::Builder::new()
        .name("feed-compaction".into())
        .spawn(move || {
            loop {
                match compact() {
                    Ok(done) if done.removed > 0 => tracing::info!(
                        floor = done.floor,
                        removed = done.removed,
                        "change feed compacted"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(
                        error = format!("{e:#}"),
                        "cannot compact the change feed; trying again later"
                    ),
                }
                std::thread::sleep(COMPACTION_INTERVAL);
            }
        })
        .context("cannot start the feed compaction")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each accepted connection sends at once and has its send buffer bounded.
    #[actix_web::test]
    async fn a_connection_sends_at_once_with_a_bounded_buffer() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let client = tokio::net::TcpStream::connect(address);
        let (accepted, client) = tokio::join!(listener.accept(), client);
        let (stream, _) = accepted.unwrap();
        let _client = client.unwrap();
        assert!(!stream.nodelay().unwrap(), "a new socket waits (Nagle)");
        bound_send_buffer(&stream, 64 * 1024);
        assert!(stream.nodelay().unwrap());
        let buffer = socket2::SockRef::from(&stream).send_buffer_size().unwrap();
        // Linux doubles what it is given.
        assert!((64 * 1024..=128 * 1024).contains(&buffer), "{buffer}");
    }
}
