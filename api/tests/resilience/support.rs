//! What the resilience tests share: the `upr-tc` binary started on a fresh database (a fresh
//! PostgreSQL database when `TEST_DATABASE_URL` is set, else a temporary SQLite file), tokens,
//! and plain HTTP/1.1 over TCP, so that a test can send half a request or never read an answer.
//! `UPR_TC_RESILIENCE_BIN` runs the suite against another build of the binary (an older one,
//! to see what it got wrong).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use upr_tc::auth::{Keys, Role};
use upr_tc::config::JwtSettings;

pub const SECRET: &str = "resilience-secret-resilience-secret-0123456789";
/// How long any answer that must come promptly may take: a liveness bound, not a speed.
pub const PROMPTLY: Duration = Duration::from_secs(5);

fn bin() -> String {
    std::env::var("UPR_TC_RESILIENCE_BIN")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_upr-tc").to_owned())
}

/// A database that exists for one test and is removed after it.
pub enum Db {
    Sqlite {
        dir: tempfile::TempDir,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl Db {
    pub fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(admin_url) => {
                let name = format!("upr_tc_resilience_{}", uuid::Uuid::now_v7().simple());
                let mut conn = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is not reachable: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create the test database");
                let url = match admin_url.rsplit_once('/') {
                    Some((server, _)) => format!("{server}/{name}"),
                    None => panic!("TEST_DATABASE_URL names no database"),
                };
                Self::Postgres {
                    admin_url,
                    name,
                    url,
                }
            }
            None => Self::Sqlite {
                dir: tempfile::tempdir().expect("temp dir"),
            },
        }
    }

    pub fn url(&self) -> String {
        match self {
            Self::Sqlite { dir } => format!("sqlite://{}", self::sqlite_path(dir).display()),
            Self::Postgres { url, .. } => url.clone(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres { .. })
    }

    /// The test's own connection to the service's database, beside the service's.
    pub fn connect(&self) -> upr_tc::db::DbConnection {
        match self {
            Self::Sqlite { dir } => upr_tc::db::DbConnection::Sqlite(
                SqliteConnection::establish(&sqlite_path(dir).to_string_lossy()).unwrap(),
            ),
            Self::Postgres { url, .. } => {
                upr_tc::db::DbConnection::Postgres(PgConnection::establish(url).unwrap())
            }
        }
    }

    /// The name of the PostgreSQL database.
    pub fn pg_name(&self) -> Option<&str> {
        match self {
            Self::Postgres { name, .. } => Some(name),
            Self::Sqlite { .. } => None,
        }
    }
}

fn sqlite_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("upr-tc.sqlite3")
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Self::Postgres {
            admin_url, name, ..
        } = self
            && let Ok(mut conn) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

/// A running `upr-tc serve`. Fields drop in order: the process before its database.
pub struct Service {
    child: Option<Child>,
    pub port: u16,
    env: Vec<(String, String)>,
    logs: tempfile::TempDir,
    starts: usize,
    pub db: Db,
}

impl Service {
    /// Serves a fresh database, with these settings added to the environment.
    pub fn start(env: &[(&str, &str)]) -> Self {
        let mut service = Self {
            child: None,
            port: 0,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            logs: tempfile::tempdir().expect("temp dir"),
            starts: 0,
            db: Db::create(),
        };
        service.spawn();
        service
    }

    fn spawn(&mut self) {
        self.starts += 1;
        let (child, port) = self.launch(&self.log_path(self.starts));
        self.child = Some(child);
        self.port = port;
    }

    /// Starts `upr-tc serve` on this service's database and settings, logging to `log`, and
    /// waits until it is ready.
    fn launch(&self, log: &std::path::Path) -> (Child, u16) {
        let port = free_port();
        let mut cmd = Command::new(bin());
        cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", self.db.url())
            .env("UPR_TC_JWT_SECRET", SECRET)
            .env_remove("UPR_TC_JWT_JWKS")
            .env("UPR_TC_RATE_LIMITS", "off")
            .env("UPR_TC_LOG_FORMAT", "text")
            .env("UPR_TC_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).expect("log file"));
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start upr-tc serve");
        let logged = || std::fs::read_to_string(log).unwrap_or_default();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(reply) = try_request(port, "GET", "/health/ready", &[], b"")
                && reply.status == 200
            {
                return (child, port);
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("upr-tc serve exited ({status}); its log:\n{}", logged());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("upr-tc serve did not become ready; its log:\n{}", logged());
    }

    /// A second `upr-tc serve` on this service's database, beside the first.
    pub fn beside(&self) -> Beside {
        let log = self.logs.path().join("beside.log");
        let (child, port) = self.launch(&log);
        Beside { child, port, log }
    }

    fn log_path(&self, start: usize) -> PathBuf {
        self.logs.path().join(format!("serve-{start}.log"))
    }

    /// What the service logged, every start.
    pub fn log(&self) -> String {
        (1..=self.starts)
            .map(|n| std::fs::read_to_string(self.log_path(n)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n--- restarted ---\n")
    }

    /// The running process's peak and current resident memory, in bytes (`VmHWM`, `VmRSS` of
    /// `/proc/PID/status`; Linux only).
    pub fn memory(&self) -> Option<(u64, u64)> {
        let pid = self.child.as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| -> Option<u64> {
            let line = status.lines().find(|l| l.starts_with(name))?;
            let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kb * 1024)
        };
        Some((field("VmHWM:")?, field("VmRSS:")?))
    }

    /// Kills the process at once (SIGKILL): nothing of it runs after this.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill -9");
            child.wait().expect("reap");
        }
    }

    /// Sends the process the signal `name` (`TERM`, `INT`), as `kill -s` does.
    pub fn signal(&self, name: &str) {
        let pid = self.child.as_ref().expect("a running service").id();
        let status = Command::new("kill")
            .args(["-s", name, &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -s {name} {pid}: {status}");
    }

    /// Whether the process has exited within `within`, and how.
    pub fn exited(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            let status = self
                .child
                .as_mut()?
                .try_wait()
                .expect("the process's state");
            if let Some(status) = status {
                self.child = None;
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the service again on the same database.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    pub fn token(&self, role: Role, state: Option<&str>) -> String {
        let keys = Keys::load(
            &JwtSettings {
                secret: Some(SECRET.into()),
                jwks_path: None,
                issuer: upr_tc::config::DEFAULT_ISSUER.into(),
                audience: upr_tc::config::DEFAULT_AUDIENCE.into(),
                leeway: upr_tc::config::DEFAULT_JWT_LEEWAY,
            },
            None,
        )
        .expect("keys");
        keys.mint(role, "resilience", state, None, chrono::Duration::hours(1))
            .expect("a token")
    }

    pub fn admin(&self) -> String {
        self.token(Role::Admin, None)
    }

    /// A request that must be answered promptly (within [`PROMPTLY`]).
    #[track_caller]
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        match try_request(self.port, method, path, headers, body) {
            Ok(reply) => reply,
            Err(e) => panic!(
                "{method} {path}: no answer within {PROMPTLY:?} ({e}); the service's log:\n{}",
                tail(&self.log(), 40)
            ),
        }
    }

    /// Sends a request's head (and `body`, which may be only the start of the body); the
    /// caller writes the rest, or not, and reads the answer, or not.
    pub fn open(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> TcpStream {
        open(self.port, method, path, headers, body).expect("connect")
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the service's log:\n{}", tail(&self.log(), 60));
        }
        self.kill9();
    }
}

/// Another `upr-tc serve` on a [`Service`]'s database (`Service::beside`), killed when dropped.
pub struct Beside {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Drop for Beside {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!("the second service's log:\n{}", tail(&log, 60));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The status line and headers, as sent.
    pub head: String,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.head, self.text()))
    }

    /// Asserts the status, and returns the body as JSON.
    #[track_caller]
    pub fn expect(&self, status: u16) -> serde_json::Value {
        assert_eq!(self.status, status, "{}\n{}", self.head, self.text());
        self.json()
    }

    /// Asserts a 503 problem a client may retry: `service_unavailable`, with `Retry-After`.
    #[track_caller]
    pub fn expect_retry_later(&self) {
        let problem = self.expect(503);
        assert_eq!(problem["code"], "service_unavailable", "{problem}");
        assert!(
            self.header("retry-after")
                .is_some_and(|s| s.parse::<u64>().is_ok()),
            "a Retry-After header in\n{}",
            self.head
        );
    }
}

/// Like [`Service::open`], from a socket whose receive buffer is `buffer` bytes (as small as
/// the system allows), so that what the client has not read stays at the service.
pub fn open_small(
    port: u16,
    buffer: usize,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> std::io::Result<TcpStream> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.set_recv_buffer_size(buffer)?;
    socket.connect(&std::net::SocketAddr::from(([127, 0, 0, 1], port)).into())?;
    let mut stream: TcpStream = socket.into();
    write_head(&mut stream, method, path, headers, b"")?;
    Ok(stream)
}

pub fn write_head(
    stream: &mut TcpStream,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
    {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)
}

/// A connection to the service on `port` from the loopback address `source` (any of 127.0.0.0/8
/// is this machine): another client address, as the service sees it.
pub fn connect_from(source: [u8; 4], port: u16) -> std::io::Result<TcpStream> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.bind(&std::net::SocketAddr::from((source, 0)).into())?;
    socket.connect(&std::net::SocketAddr::from(([127, 0, 0, 1], port)).into())?;
    Ok(socket.into())
}

/// A request from the loopback address `source`, read whole within [`PROMPTLY`].
pub fn request_from(
    source: [u8; 4],
    port: u16,
    method: &str,
    path: &str,
) -> std::io::Result<Reply> {
    let mut stream = connect_from(source, port)?;
    write_head(&mut stream, method, path, &[], b"")?;
    read_reply(&mut stream, PROMPTLY)
}

pub fn open(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    write_head(&mut stream, method, path, headers, body)?;
    Ok(stream)
}

pub fn try_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Reply> {
    let mut stream = open(port, method, path, headers, body)?;
    read_reply(&mut stream, PROMPTLY)
}

/// Reads a whole answer (the connection closes after it), within `timeout`.
pub fn read_reply(stream: &mut TcpStream, timeout: Duration) -> std::io::Result<Reply> {
    let deadline = Instant::now() + timeout;
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the answer did not end in time",
            ));
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut buf)? {
            0 => break,
            n => raw.extend_from_slice(&buf[..n]),
        }
    }
    parse(&raw)
}

/// Reads the status line and headers only, within `timeout`.
pub fn read_head(stream: &mut TcpStream, timeout: Duration) -> std::io::Result<String> {
    stream.set_read_timeout(Some(timeout))?;
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            break;
        }
        raw.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&raw).into_owned())
}

/// An answer from its raw bytes; a chunked body is put together, and must end.
pub fn parse(raw: &[u8]) -> std::io::Result<Reply> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let mut reply = Reply {
        status,
        head,
        body: raw[split + 4..].to_vec(),
    };
    if reply
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        reply.body = dechunk(&reply.body).ok_or_else(|| bad("a chunked body cut short"))?;
    }
    Ok(reply)
}

/// The body of a chunked answer; `None` when it does not end with the last chunk.
fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&raw[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}

/// The value of an `Authorization` header for `token`.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A CSV file of `n` recommendations, each `size` bytes of text or so, numbered from `from`.
pub fn recommendations_csv(from: usize, n: usize, size: usize) -> String {
    let filler = "strengthen the national human rights institution ".repeat(size / 40 + 1);
    let mut csv = String::from("state_under_review,session,text__en\n");
    for i in from..from + n {
        csv.push_str(&format!("KEN,26,Recommendation {i}: {}\n", &filler[..size]));
    }
    csv
}

impl Service {
    /// Uploads recommendations as `admin` (partial mode) and checks that each row was created.
    pub fn seed(&self, csv: &str, rows: usize) {
        let admin = bearer(&self.admin());
        let mut upload = self.open(
            "POST",
            "/api/v1/bulk/recommendations?mode=partial",
            &[("Authorization", &admin), ("Content-Type", "text/csv")],
            csv.as_bytes(),
        );
        let report = read_reply(&mut upload, Duration::from_secs(60))
            .expect("the seed upload answers")
            .expect(200);
        assert_eq!(report["created"], rows, "{report}");
    }
}
