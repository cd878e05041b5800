//! The test harness: each test gets the service in-process on a database of its own — a
//! temporary SQLite file, or a fresh PostgreSQL database when `TEST_DATABASE_URL` is set — and
//! talks to it over actix's test transport.

use actix_web::http::{Method, StatusCode, header};
use actix_web::test::{self, TestRequest};
use diesel::prelude::*;
use serde_json::Value;
use upr_tc::auth::{Keys, Role};
use upr_tc::config::{DatabaseUrl, JwtSettings, Settings};
use upr_tc::startup::Service;

pub mod compatibility;
pub mod contract;

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const ISSUER: &str = "upr-tc";
pub const AUDIENCE: &str = "upr-tc-api";

/// A database that exists for one test and is removed after it.
pub enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    pub fn create() -> (Self, DatabaseUrl) {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(admin_url) => {
                let name = format!("upr_tc_test_{}", uuid::Uuid::now_v7().simple());
                let mut conn = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is not reachable: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create the test database");
                let url = with_database(&admin_url, &name);
                (
                    Self::Postgres { admin_url, name },
                    DatabaseUrl::Postgres(url),
                )
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("upr-tc.sqlite3");
                (Self::Sqlite(dir), DatabaseUrl::Sqlite(path))
            }
        }
    }
}

/// The same server URL with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{}", &base[..host_end], name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Self::Postgres { admin_url, name } = self
            && let Ok(mut conn) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

pub fn settings(database: DatabaseUrl) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        database,
        database_read: None,
        jwt: JwtSettings {
            secret: Some(SECRET.into()),
            jwks_path: None,
            issuer: ISSUER.into(),
            audience: AUDIENCE.into(),
            leeway: upr_tc::config::DEFAULT_JWT_LEEWAY,
        },
        json_limit: upr_tc::config::DEFAULT_JSON_LIMIT,
        bulk_limit: upr_tc::config::DEFAULT_BULK_LIMIT,
        pool_size: 4,
        cors_origins: vec!["*".into()],
        // Off, except in the tests of the limits themselves.
        rate_limits: None,
        trusted_proxies: vec![],
        limits: Default::default(),
        metrics: Default::default(),
    }
}

/// The service under test. Fields drop in order: the pool before its database.
pub struct TestApp {
    pub service: Service,
    pub db: TestDb,
}

/// What a test took from the service, held until dropped: every permit of the rankings and
/// every connection of the pool.
pub struct Taken {
    _rankings: tokio::sync::OwnedSemaphorePermit,
    _connections: Vec<upr_tc::db::PooledConnection>,
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every value of a header the answer may carry more than once (`Vary`).
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// Asserts a problem document with this status and code, and returns it.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "status; body: {}",
            self.text()
        );
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "content type"
        );
        let body = self.json();
        assert_eq!(body["code"], code, "code in {body}");
        assert_eq!(body["status"], status, "status member in {body}");
        assert!(
            body["type"].as_str().is_some_and(|t| t.ends_with(code)),
            "type in {body}"
        );
        assert!(
            body["title"].as_str().is_some_and(|t| !t.is_empty()),
            "title in {body}"
        );
        assert!(
            body["detail"].as_str().is_some_and(|t| !t.is_empty()),
            "detail in {body}"
        );
        body
    }

    #[track_caller]
    pub fn assert_ok_json(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.text());
        assert_eq!(self.content_type(), "application/json");
        self.json()
    }
}

impl TestApp {
    /// The service on a fresh, migrated database.
    pub fn spawn() -> Self {
        Self::spawn_with(|_| {})
    }

    /// The service with adjusted settings.
    pub fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        let (db, url) = TestDb::create();
        let mut settings = settings(url);
        adjust(&mut settings);
        let service = Service::build(settings).expect("the service starts");
        Self { service, db }
    }

    /// A token signed with the test secret.
    pub fn token(&self, role: Role, state: Option<&str>, stakeholder: Option<&str>) -> String {
        self.service
            .keys
            .mint(
                role,
                "tester",
                state,
                stakeholder,
                chrono::Duration::hours(1),
            )
            .expect("mint a token")
    }

    pub fn admin_token(&self) -> String {
        self.token(Role::Admin, None, None)
    }

    /// `path` read, then read again as `token`'s caller (anonymous when `None`) with every
    /// permit of the rankings and every connection of the pool taken, while no write comes
    /// between: the first answer, the second, and what was taken, still taken.
    pub async fn read_again_without_rankings(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> (Value, Reply, Taken) {
        self.read_again_taking(path, token, |app| Taken {
            _rankings: app.every_ranking_permit(),
            _connections: app.every_connection(),
        })
        .await
    }

    /// `path` read, then read again as `token`'s caller (anonymous when `None`) after `take`
    /// took something from the service, while no write comes between (tried again until none
    /// does: the data's version may be unknown for a moment, or moved by the service's own
    /// upkeep): the first answer, the second, and what was taken, still taken.
    pub async fn read_again_taking<T>(
        &self,
        path: &str,
        token: Option<&str>,
        take: impl Fn(&Self) -> T,
    ) -> (Value, Reply, T) {
        let state = &self.service.state;
        for _ in 0..50 {
            let version = state.watch.version();
            let first = match token {
                Some(t) => self.get_as(path, t).await,
                None => self.get(path).await,
            }
            .assert_ok_json();
            let taken = take(self);
            let again = match token {
                Some(t) => self.get_as(path, t).await,
                None => self.get(path).await,
            };
            if version.is_some() && state.watch.version() == version {
                return (first, again, taken);
            }
            drop(taken);
            std::thread::sleep(std::time::Duration::from_millis(30));
        }
        panic!("never a quiet moment to read {path} again");
    }

    /// Every permit of the rankings, none being in use.
    pub fn every_ranking_permit(&self) -> tokio::sync::OwnedSemaphorePermit {
        let rankings = &self.service.state.rankings;
        let every = rankings.available_permits() as u32;
        rankings.clone().try_acquire_many_owned(every).unwrap()
    }

    /// Every connection of the pool, none being in use for long.
    pub fn every_connection(&self) -> Vec<upr_tc::db::PooledConnection> {
        let pool = &self.service.state.pool;
        (0..pool.max_size())
            .map(|_| pool.get_timeout(std::time::Duration::from_secs(5)))
            .collect::<Result<Vec<_>, _>>()
            .expect("every connection of the pool")
    }

    /// The service on a real socket, as `upr-tc serve` runs it, for what only a connection
    /// does; its address.
    pub fn listen(&self) -> std::net::SocketAddr {
        let (server, addrs) = upr_tc::startup::listen(&self.service, "127.0.0.1:0").unwrap();
        actix_web::rt::spawn(server);
        addrs[0]
    }

    /// Sends `req` and reads its answer whole; an answer that breaks the contract fails the
    /// test (`contract::breaches`).
    pub async fn send(&self, req: TestRequest) -> Reply {
        let app = test::init_service(self.service.clone().app()).await;
        let req = req.to_request();
        let (method, path) = (req.method().clone(), req.path().to_owned());
        let res = test::call_service(&app, req).await;
        let status = res.status();
        let headers = res.headers().clone();
        let body = test::read_body(res).await.to_vec();
        let reply = Reply {
            status,
            headers,
            body,
        };
        // A compressed body is read by the tests of compression, not here.
        let encoded = reply
            .header("content-encoding")
            .is_some_and(|e| !e.eq_ignore_ascii_case("identity"));
        let breaches = if encoded {
            Vec::new()
        } else {
            contract::breaches(
                method.as_str(),
                &path,
                status.as_u16(),
                reply.content_type(),
                &reply.body,
            )
        };
        assert!(
            breaches.is_empty(),
            "the answer to {method} {path} ({status}) breaks the contract:\n  {}\nbody: {}",
            breaches.join("\n  "),
            reply.text()
        );
        reply
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(TestRequest::get().uri(path)).await
    }

    pub async fn get_as(&self, path: &str, token: &str) -> Reply {
        self.send(
            TestRequest::get()
                .uri(path)
                .insert_header((header::AUTHORIZATION, format!("Bearer {token}"))),
        )
        .await
    }

    /// Asserts that `path` is a 404 `not_found` for an anonymous caller and for each of
    /// `tokens`: what they may not see reads as nothing at all.
    pub async fn assert_unseen(&self, path: &str, tokens: &[String]) {
        self.get(path).await.assert_problem(404, "not_found");
        for token in tokens {
            self.get_as(path, token)
                .await
                .assert_problem(404, "not_found");
        }
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send(TestRequest::post().uri(path).set_json(body))
            .await
    }

    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Reply {
        let mut req = TestRequest::default()
            .method(method)
            .uri(path)
            .set_json(body);
        if let Some(token) = token {
            req = req.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        }
        self.send(req).await
    }

    /// Creates an item as admin and returns it.
    pub async fn create(&self, path: &str, body: &Value) -> Value {
        let reply = self
            .send_json(Method::POST, path, Some(&self.admin_token()), body)
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        reply.json()
    }

    /// Uploads a body with a content type, as admin unless `token` says otherwise.
    pub async fn upload(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        let token = self.admin_token();
        self.upload_as(path, content_type, body, Some(&token)).await
    }

    pub async fn upload_as(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<Vec<u8>>,
        token: Option<&str>,
    ) -> Reply {
        let mut req = TestRequest::post()
            .uri(path)
            .insert_header((header::CONTENT_TYPE, content_type.to_owned()))
            .set_payload(body.into());
        if let Some(token) = token {
            req = req.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        }
        self.send(req).await
    }

    /// Every item of a list, following the cursor.
    pub async fn all(&self, path_and_query: &str) -> Vec<Value> {
        self.all_with(path_and_query, None).await
    }

    /// Every item of a list as `token` sees it, page after page.
    pub async fn all_as(&self, path_and_query: &str, token: &str) -> Vec<Value> {
        self.all_with(path_and_query, Some(token)).await
    }

    async fn all_with(&self, path_and_query: &str, token: Option<&str>) -> Vec<Value> {
        let sep = if path_and_query.contains('?') {
            '&'
        } else {
            '?'
        };
        let mut items = Vec::new();
        let mut url = format!("{path_and_query}{sep}limit=200");
        loop {
            let page = match token {
                Some(token) => self.get_as(&url, token).await,
                None => self.get(&url).await,
            }
            .assert_ok_json();
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => url = format!("{path_and_query}{sep}limit=200&cursor={c}"),
                None => return items,
            }
        }
    }

    pub async fn request(&self, method: Method, path: &str) -> Reply {
        self.send(TestRequest::default().method(method).uri(path))
            .await
    }
}

/// UPR Info's real export of sessions 1-5 in `../shared/data`, when it is there (it is in CI);
/// `None`, said on stderr, when it is not.
pub fn upr_info_export() -> Option<Vec<u8>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/upr-info/sessions-01-05.csv");
    let bytes = std::fs::read(&path);
    if bytes.is_err() {
        eprintln!("{} is not here: skipped", path.display());
    }
    bytes.ok()
}

/// OHCHR's UPR matrix of Slovenia's 4th-cycle review in `../shared/data/ohchr/`, when this
/// machine has it (it is not copied into the project).
pub fn ohchr_matrix() -> Option<Vec<u8>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/ohchr/upr48-slovenia-thematic-list-of-recommendations.docx");
    let bytes = std::fs::read(&path);
    if bytes.is_err() {
        eprintln!("{} is not here: skipped", path.display());
    }
    bytes.ok()
}

/// The keys in `tests/fixtures/keys`, made for these tests only.
pub fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Loads the test keys the way the service does: the HS256 secret and/or a JWKS file.
pub fn keys(secret: Option<&str>, jwks: bool) -> Keys {
    let jwks_path = jwks
        .then(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/keys/jwks.json"));
    Keys::load(
        &JwtSettings {
            secret: secret.map(str::to_owned),
            jwks_path,
            issuer: ISSUER.into(),
            audience: AUDIENCE.into(),
            leeway: upr_tc::config::DEFAULT_JWT_LEEWAY,
        },
        None,
    )
    .expect("load keys")
}

pub use actix_web::test::TestRequest as Request;
pub use serde_json::json;

/// A valid recommendation to vary in tests.
pub fn recommendation(state: &str, session: i64, text: &str) -> Value {
    json!({
        "state_under_review": state,
        "recommending_states": ["AUT", "BRA"],
        "session": session,
        "text": {"en": text},
        "response": "supported",
        "response_original": "Accepted",
        "source": {"symbol": "A/HRC/11/37", "paragraph": "89.12"},
        "action_category": 5,
        "themes": ["womens_rights"],
        "affected_persons": ["women_and_girls"],
        "sdg_targets": ["5.1"],
    })
}

/// A valid stakeholder to vary in tests.
pub fn stakeholder(kind: &str, country: Option<&str>, name: &str) -> Value {
    json!({
        "kind": kind,
        "name": {"en": name},
        "country": country,
        "website": "https://example.org",
        "contact": {"name": "Focal point", "email": "focal@example.org", "phone": "+1 555 0100"},
        "themes": ["justice"],
        "languages": ["en", "fr"],
        "regions": ["002"],
    })
}

/// A valid activity to vary in tests (an admin must add `submitter`).
pub fn activity(states: &[&str], title: &str) -> Value {
    json!({
        "title": {"en": title, "fr": format!("{title} (fr)")},
        "summary": {"en": "Training of judges and prosecutors on the rights of the child."},
        "states_concerned": states,
        "modality": "training",
        "status": "implementation",
        "planned_start": "2026-01-15",
        "planned_end": "2026-12-31",
        "budget": {"amount": "25000.00", "currency": "USD"},
        "funding_sources": ["vftc"],
        "themes": ["justice"],
        "sdg_targets": ["16.3"],
        "good_practice": true,
        "documents": [{"url": "https://example.org/report.pdf", "title": "Report", "language": "en"}],
        "publication": "submitted",
    })
}

/// What a second writer was seen doing while a first held its write transaction open
/// ([`until_waiting_or_finished`]).
#[derive(Debug, PartialEq, Eq)]
pub enum SecondWriter {
    /// PostgreSQL: its backend waits for a lock of this `pg_locks.locktype` (`advisory` is the
    /// write lock, `db::lock_writes`).
    Waiting(String),
    /// It finished: nothing held it back.
    Finished,
    /// SQLite: a writer held back by `BEGIN IMMEDIATE` leaves no trace another connection can
    /// read, so nothing was observed. It cannot commit before the first writer ends either way.
    Unobservable,
}

/// The number a query that selects one `COUNT(*) AS n` gives, on the service's database.
pub fn count(app: &TestApp, query: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.service.state.pool.get().unwrap();
    diesel::sql_query(query)
        .get_result::<N>(&mut **conn)
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .n
}

/// This connection's PostgreSQL backend id, for [`until_waiting_or_finished`]; `None` on SQLite.
pub fn backend_pid(conn: &mut upr_tc::db::DbConnection) -> Option<i32> {
    match conn {
        upr_tc::db::DbConnection::Postgres(pg) => Some(
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>(
                "pg_backend_pid()",
            ))
            .get_result(pg)
            .expect("pg_backend_pid"),
        ),
        upr_tc::db::DbConnection::Sqlite(_) => None,
    }
}

/// Returns once the writer running in `writer` on the PostgreSQL backend `pid` either waits for
/// a lock (read from `pg_locks`) or has finished, whichever is seen first; on SQLite (`pid`
/// `None`) at once. The race tests call it after the writer said it is about to write, so what
/// they check next happens in a known interleaving rather than after a guessed delay. Looks
/// every millisecond; gives up (panics) after 30 s.
pub fn until_waiting_or_finished(
    pool: &upr_tc::db::Pool,
    pid: Option<i32>,
    writer: &std::thread::JoinHandle<()>,
) -> SecondWriter {
    let Some(pid) = pid else {
        return SecondWriter::Unobservable;
    };
    let mut conn = pool.get().expect("a connection to watch the lock");
    let upr_tc::db::DbConnection::Postgres(pg) = &mut **conn else {
        panic!("a backend id on SQLite");
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if writer.is_finished() {
            return SecondWriter::Finished;
        }
        let waiting: Option<String> = diesel::select(diesel::dsl::sql::<
            diesel::sql_types::Nullable<diesel::sql_types::Text>,
        >(&format!(
            "(SELECT locktype FROM pg_locks WHERE pid = {pid} AND NOT granted LIMIT 1)"
        )))
        .get_result(pg)
        .expect("read pg_locks");
        if let Some(locktype) = waiting {
            return SecondWriter::Waiting(locktype);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the second writer neither waited for a lock nor finished within 30 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// A valid assistance request to vary in tests (filed by `state`'s token as is; `admin` adds
/// a `reference`).
pub fn assistance_request(state: &str, description: &str) -> Value {
    json!({
        "state": state,
        "themes": ["womens_rights"],
        "sdg_targets": ["5.1"],
        "modalities": ["legislative_advice"],
        "languages": ["fr"],
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "description": {"en": description},
    })
}

/// A valid offer to vary in tests (an admin must add `stakeholder`).
pub fn offer(description: &str) -> Value {
    json!({
        "themes": ["womens_rights"],
        "sdg_targets": ["5.1"],
        "modalities": ["legislative_advice"],
        "languages": ["fr", "en"],
        "regions": ["002"],
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "capacity": {"en": "Two legal experts for three missions"},
        "description": {"en": description},
    })
}

/// An import report's counts of `keys` (`created`, `rejected`, …), in that order.
pub fn counted(report: &Value, keys: &[&str]) -> Vec<u64> {
    keys.iter()
        .map(|k| {
            report[*k]
                .as_u64()
                .unwrap_or_else(|| panic!("no count {k}: {report}"))
        })
        .collect()
}

/// The line and code of each entry of an import report's `errors` or `warnings`.
pub fn told(report: &Value, list: &str) -> Vec<(u64, String)> {
    report[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list}: {report}"))
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
