//! The `upr-tc` binary as an operator uses it: serve, migrate, token, openapi.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_upr-tc");

fn upr_tc(dir: &Path) -> Command {
    in_dir(BIN, dir)
}

/// `program` run in `dir` with none of the service's settings but JSON logs.
fn in_dir(program: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("UPR_TC_JWT_SECRET")
        .env_remove("UPR_TC_JWT_JWKS")
        .env_remove("UPR_TC_BIND")
        .env("UPR_TC_LOG_FORMAT", "json");
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run upr-tc")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain HTTP/1.1 GET; returns the status and the whole answer.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, text))
}

struct Server(Child);

impl Server {
    /// Sends it SIGTERM, as a service manager stops it.
    fn terminate(&self) {
        let pid = self.0.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
    }

    /// What the server wrote on stderr, to its end (once it has stopped, or it is stopped).
    fn log(&mut self) -> String {
        let mut log = String::new();
        self.0
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut log)
            .unwrap();
        log
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path, port: u16) -> Server {
    serve_with(upr_tc(dir).stderr(Stdio::piped()), port)
}

/// `upr-tc serve` on `port` as `cmd` runs it, once it answers as ready.
fn serve_with(cmd: &mut Command, port: u16) -> Server {
    let child = cmd
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .spawn()
        .expect("start upr-tc serve");
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some((200, _)) = get(port, "/health/ready") {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("upr-tc serve did not become ready");
}

#[test]
fn serve_starts_on_the_sqlite_default_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = serve(dir.path(), port);
    assert!(
        dir.path().join("data/upr-tc.sqlite3").exists(),
        "the default database is created"
    );
    assert!(
        dir.path().join("data/jwt-secret").exists(),
        "a token secret is generated"
    );

    let (status, text) = get(port, "/api/v1/reference/countries/KEN").unwrap();
    assert_eq!(status, 200);
    let request_id = text
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .expect("an X-Request-Id header")
        .trim()
        .to_owned();
    let (status, _) = get(port, "/docs/").unwrap();
    assert_eq!(status, 200);

    server.terminate();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit within 20 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    // What the write-ahead log held is in the database file: a copy of it alone is whole.
    let wal = dir.path().join("data/upr-tc.sqlite3-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "the write-ahead log is left with {:?} bytes",
        std::fs::metadata(&wal).map(|m| m.len())
    );

    // One structured line per request, carrying the id the client was given.
    let log = server.log();
    let line = log
        .lines()
        .find(|l| l.contains(&request_id))
        .unwrap_or_else(|| panic!("no log line has {request_id}:\n{log}"));
    let entry: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(entry["fields"]["status"], 200);
    assert_eq!(entry["span"]["path"], "/api/v1/reference/countries/KEN");
    // That the database is new is said, so that a mistyped path is not taken for lost data.
    assert!(
        log.contains("no SQLite database at this path: a new, empty one is made"),
        "{log}"
    );
}

/// The status line of `GET /api/v1/me` with `token`, from the service on `port`.
/// Started with a soft limit of 1,024 open files (many systems' default), `serve` raises it
/// to what `UPR_TC_MAX_CONNECTIONS` connections need, within the hard limit; told a hard limit
/// too low, it says so in its log.
#[test]
fn serve_raises_its_limit_of_open_files_to_what_its_connections_need() {
    let (_, hard) = rlimit::Resource::NOFILE.get().unwrap();
    let soft_of = |pid: u32| -> u64 {
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .unwrap()
            .to_owned();
        line.split_whitespace().nth(3).unwrap().parse().unwrap()
    };
    // `upr-tc` run by a shell that set its limits first.
    let limited = |dir: &Path, limits: &str| {
        let mut sh = in_dir("sh", dir);
        sh.args(["-c", &format!("ulimit {limits} && exec \"$0\" \"$@\""), BIN])
            .stderr(Stdio::piped());
        sh
    };
    // Wanted for 4,096 connections: 8,448.
    if hard >= 8_448 {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let server = serve_with(&mut limited(dir.path(), "-Sn 1024"), port);
        assert!(
            soft_of(server.0.id()) >= 8_448,
            "{}",
            soft_of(server.0.id())
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = serve_with(&mut limited(dir.path(), "-n 1024"), port);
    assert_eq!(soft_of(server.0.id()), 1024);
    server.terminate();
    let log = server.log();
    server.0.wait().unwrap();
    assert!(
        log.contains("UPR_TC_MAX_CONNECTIONS connections need"),
        "{log}"
    );
}

fn me(port: u16, token: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut status_line = String::new();
    BufReader::new(stream).read_line(&mut status_line).unwrap();
    status_line
}

#[test]
fn a_restart_keeps_the_data_and_accepts_earlier_tokens() {
    let dir = tempfile::tempdir().unwrap();
    // `migrate` makes the secret the service will sign with, so a token can come first.
    assert!(run(upr_tc(dir.path()).arg("migrate")).status.success());
    let out = run(upr_tc(dir.path()).args(["token", "--role", "sync"]));
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let port = free_port();
    let _server = serve(dir.path(), port);
    let status_line = me(port, &token);
    assert!(status_line.contains(" 200 "), "{status_line}");
}

#[test]
fn token_prints_one_token_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "a-secret-of-more-than-thirty-two-characters";
    let out = run(upr_tc(dir.path()).env("UPR_TC_JWT_SECRET", secret).args([
        "token",
        "--role",
        "state",
        "--state",
        "KEN",
        "--subject",
        "fp@mfa",
        "--ttl",
        "2h",
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1);
    let keys = upr_tc::auth::Keys::load(
        &upr_tc::config::JwtSettings {
            secret: Some(secret.into()),
            jwks_path: None,
            issuer: upr_tc::config::DEFAULT_ISSUER.into(),
            audience: upr_tc::config::DEFAULT_AUDIENCE.into(),
            leeway: upr_tc::config::DEFAULT_JWT_LEEWAY,
        },
        None,
    )
    .unwrap();
    let caller = keys.verify(stdout.trim()).unwrap();
    assert_eq!(caller.subject, "fp@mfa");
    assert_eq!(caller.state.unwrap().as_str(), "KEN");
    let ttl = caller.expires_at - chrono::Utc::now();
    assert!(ttl > chrono::Duration::minutes(119) && ttl <= chrono::Duration::hours(2));
}

#[test]
fn token_refuses_a_role_without_its_claim() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(upr_tc(dir.path()).args(["token", "--role", "contributor"]));
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs `--stakeholder ID`"));
    let out = run(upr_tc(dir.path()).args(["token", "--role", "state"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs `--state CODE`"));
    // Refused before anything was read or made.
    assert!(!dir.path().join("data").exists());
}

#[test]
fn token_signs_with_the_services_secret_or_says_where_it_looked() {
    let service = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let port = free_port();
    let _server = serve(service.path(), port);
    // Outside the service's directory there is no secret: none is made, and the error says
    // where it looked and how to point it at the service's.
    let out = run(upr_tc(elsewhere.path()).args(["token", "--role", "sync"]));
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("data/jwt-secret"), "{said}");
    assert!(
        said.contains("DATABASE_URL") && said.contains("UPR_TC_JWT_SECRET"),
        "{said}"
    );
    assert!(
        !elsewhere.path().join("data").exists(),
        "nothing is made there"
    );
    // Pointed at the service's database, it signs with the service's secret.
    let database = format!(
        "sqlite://{}",
        service.path().join("data/upr-tc.sqlite3").display()
    );
    let out = run(upr_tc(elsewhere.path())
        .env("DATABASE_URL", &database)
        .args(["token", "--role", "sync"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let status_line = me(port, &token);
    assert!(status_line.contains(" 200 "), "{status_line}");
}

#[test]
fn completions_are_printed_for_each_shell() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "complete -F _upr__tc"),
        ("zsh", "#compdef upr-tc"),
        ("fish", "complete -c upr-tc"),
    ] {
        let out = run(upr_tc(dir.path()).args(["completions", shell]));
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains(marker), "{shell}: {script}");
        for command in ["serve", "token", "import", "seed", "completions"] {
            assert!(script.contains(command), "{shell} completes {command}");
        }
    }
    let out = run(upr_tc(dir.path()).args(["completions", "cmd.exe"]));
    assert!(!out.status.success());
}

#[test]
fn openapi_prints_the_served_contract() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(upr_tc(dir.path()).arg("openapi"));
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        upr_tc::openapi::render()
    );
}

#[test]
fn migrate_applies_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/db/x.sqlite3", dir.path().display());
    let first = run(upr_tc(dir.path()).env("DATABASE_URL", &url).arg("migrate"));
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stderr).contains("applied"));
    let again = run(upr_tc(dir.path()).env("DATABASE_URL", &url).arg("migrate"));
    assert!(String::from_utf8_lossy(&again.stderr).contains("up to date"));
}

/// Instances started side by side on a new SQLite file apply its migrations one after the
/// other: none fails on a table another made, on the file another is switching to WAL ("database
/// is locked", which SQLite says at once rather than wait), or on the token secret another has
/// made but not yet written.
#[test]
fn migrations_started_side_by_side_are_applied_once() {
    for round in 0..6 {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/db/x.sqlite3", dir.path().display());
        let started: Vec<Child> = (0..6)
            .map(|_| {
                upr_tc(dir.path())
                    .env("DATABASE_URL", &url)
                    .arg("migrate")
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in started {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn configuration_mistakes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(upr_tc(dir.path())
        .env("DATABASE_URL", "mysql://x")
        .arg("migrate"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));
    let out = run(upr_tc(dir.path())
        .env("DATABASE_READ_URL", "garbage")
        .arg("migrate"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_READ_URL must start"));

    let unreachable = "postgres://app:hunter2hunter2@127.0.0.1:1/upr";
    let out = run(upr_tc(dir.path())
        .env("DATABASE_URL", unreachable)
        .env("UPR_TC_JWT_SECRET", "a-secret-of-32-characters-or-more!!")
        .args(["serve", "--bind", "127.0.0.1:0"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("127.0.0.1"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "the password is not printed: {stderr}"
    );
    // Without token keys, `serve` stops before it connects, so it migrates nothing.
    let out = run(upr_tc(dir.path()).env("DATABASE_URL", unreachable).args([
        "serve",
        "--bind",
        "127.0.0.1:0",
    ]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("UPR_TC_JWT_SECRET") && !stderr.contains("127.0.0.1"),
        "{stderr}"
    );

    // A secret `serve` would refuse is refused by `migrate` too, before it migrates.
    let out = run(upr_tc(dir.path())
        .env("UPR_TC_JWT_SECRET", "too-short")
        .arg("migrate"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("UPR_TC_JWT_SECRET"), "{stderr}");

    // Limits that would refuse every request, or take over a running request's key.
    for (name, value) in [
        ("UPR_TC_BULK_LIMIT", "0"),
        ("UPR_TC_JSON_LIMIT", "10"),
        ("UPR_TC_IDEMPOTENCY_CLAIM_TIMEOUT", "1ms"),
        ("UPR_TC_LOCK_TIMEOUT", "0s"),
        ("UPR_TC_LOCK_TIMEOUT", "30days"),
        ("UPR_TC_POOL_SIZE", "100000"),
        ("UPR_TC_LOG", "garbage"),
        ("UPR_TC_BODY_TIMEOUT", "1ns"),
        ("UPR_TC_COORDINATION_TIMEOUT", "900us"),
    ] {
        let out = run(upr_tc(dir.path())
            .env(name, value)
            .args(["serve", "--bind", "127.0.0.1:0"]));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}={value}");
        assert!(stderr.contains(name), "{name}={value}: {stderr}");
    }
    assert!(
        !dir.path().join("data/upr-tc.sqlite3").exists(),
        "nothing was made of a configuration refused"
    );

    // A TMPDIR where no file can be made: uploads and snapshots would each fail.
    let out = run(upr_tc(dir.path())
        .env("TMPDIR", dir.path().join("no such folder"))
        .args(["serve", "--bind", "127.0.0.1:0"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("TMPDIR") && stderr.contains("no such folder"),
        "{stderr}"
    );
}

#[test]
fn import_writes_what_the_bulk_api_writes_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/import.sqlite3", dir.path().display());
    let org = "01a21fd0-0000-7000-8000-000000000001";
    std::fs::write(
        dir.path().join("stakeholders.csv"),
        format!(
            "id,kind,country,name__en\n{org},civil_society_organization,KEN,Kituo Cha Sheria\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("recommendations.csv"),
        "state_under_review,session,text__en\nKEN,35,Adopt a national action plan\nXXX,35,Nobody\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("activities.ndjson"),
        format!(
            "{{\"title\": {{\"en\": \"Training\"}}, \"states_concerned\": [\"KEN\"], \"status\": \"closed\", \"submitter\": \"{org}\"}}\n\
             {{\"title\": {{\"en\": \"No submitter\"}}, \"states_concerned\": [\"KEN\"], \"status\": \"closed\"}}\n"
        ),
    )
    .unwrap();
    let import = |resource: &str, file: &str| {
        let out = run(upr_tc(dir.path())
            .env("DATABASE_URL", &url)
            .args(["import", resource, file, "--mode", "partial"]));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            report["created"].as_u64().unwrap(),
            report["unchanged"].as_u64().unwrap(),
            report["rejected"].as_u64().unwrap(),
            report,
        )
    };
    for round in 0..2 {
        let (created, unchanged, rejected, _) = import("stakeholders", "stakeholders.csv");
        assert_eq!(
            (created, unchanged, rejected),
            [(1, 0, 0), (0, 1, 0)][round]
        );
        let (created, unchanged, rejected, report) =
            import("recommendations", "recommendations.csv");
        assert_eq!(
            (created, unchanged, rejected),
            [(1, 0, 1), (0, 1, 1)][round]
        );
        assert_eq!(report["errors"][0]["line"], 3);
        let (created, unchanged, rejected, report) = import("activities", "activities.ndjson");
        assert_eq!(
            (created, unchanged, rejected),
            [(1, 0, 1), (0, 1, 1)][round],
            "{report}"
        );
        assert_eq!(report["errors"][0]["column"], "/submitter");
    }
    // An atomic import with a bad row fails, writes nothing, and says so in its exit status.
    let out = run(upr_tc(dir.path()).env("DATABASE_URL", &url).args([
        "import",
        "recommendations",
        "recommendations.csv",
    ]));
    assert!(!out.status.success());
}

/// A CSV file a spreadsheet saved in windows-1252 is read with `--charset`, as an upload that
/// names its charset is; without it, each row says how to name it; a label that names no
/// encoding, or one given for NDJSON, stops the command before anything is read.
#[test]
fn import_reads_a_csv_file_in_the_encoding_it_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/charset.sqlite3", dir.path().display());
    let mut file = b"state_under_review,session,text__fr\nCIV,35,".to_vec();
    // `Améliorer l'accès à la justice` in windows-1252: é and à are one byte each.
    file.extend(b"Am\xe9liorer l'acc\xe8s \xe0 la justice\n");
    std::fs::write(dir.path().join("recs.csv"), file).unwrap();
    let import = |extra: &[&str]| {
        let mut args = vec!["import", "recommendations", "recs.csv"];
        args.extend(extra);
        run(upr_tc(dir.path()).env("DATABASE_URL", &url).args(args))
    };
    let out = import(&["--dry-run"]);
    assert!(!out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"][0]["code"], "invalid_encoding", "{report}");
    let message = report["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("--charset"), "{message}");

    let out = import(&["--charset", "windows-1252"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["created"], 1, "{report}");
    let again = import(&["--charset", "latin1"]);
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["unchanged"], 1, "read the same way: {report}");

    for (extra, said) in [
        (["--charset", "klingon"].as_slice(), "no encoding"),
        (
            ["--charset", "latin1", "--format", "ndjson"].as_slice(),
            "NDJSON is UTF-8",
        ),
    ] {
        let out = import(extra);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(said),
            "{extra:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{extra:?}");
    }
}

/// The body of a plain HTTP/1.1 answer.
fn body(answer: &str) -> &str {
    answer.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

#[test]
fn what_serve_kept_is_read_again_after_an_import_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/kept.sqlite3", dir.path().display());
    let import = |file: &str, rows: &str| {
        std::fs::write(dir.path().join(file), rows).unwrap();
        let out = run(upr_tc(dir.path()).env("DATABASE_URL", &url).args([
            "import",
            "recommendations",
            file,
        ]));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    import(
        "first.csv",
        "state_under_review,session,text__en,response\nKEN,35,Adopt a national action plan,noted\n",
    );
    let port = free_port();
    let _server = serve_with(
        upr_tc(dir.path())
            .env("DATABASE_URL", &url)
            .stderr(Stdio::null()),
        port,
    );
    let list = "/api/v1/recommendations?state_under_review=KEN";
    let page = |port| -> serde_json::Value {
        let (status, answer) = get(port, list).unwrap();
        assert_eq!(status, 200, "{answer}");
        serde_json::from_str(body(&answer)).unwrap()
    };
    let id = page(port)["items"][0]["id"].as_str().unwrap().to_owned();
    let item = format!("/api/v1/recommendations/{id}");
    for _ in 0..3 {
        // Asked again and again: kept.
        assert_eq!(page(port)["items"][0]["response"], "noted");
        assert_eq!(get(port, &item).unwrap().0, 200);
    }
    // Another process writes: the same recommendation, now supported, and a second one.
    import(
        "second.csv",
        "state_under_review,session,text__en,response\n\
         KEN,35,Adopt a national action plan,supported\n\
         KEN,35,Ratify the Optional Protocol,supported\n",
    );
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let (listed, (_, one)) = (page(port), get(port, &item).unwrap());
        let one: serde_json::Value = serde_json::from_str(body(&one)).unwrap();
        let items = listed["items"].as_array().unwrap();
        if items.len() == 2 && items[0]["response"] == "supported" && one["response"] == "supported"
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "serve still gives what it read before the import: {listed} {one}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn report_writes_the_annual_report_to_files() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/report.sqlite3", dir.path().display());
    let org = "01a21fd0-0000-7000-8000-000000000002";
    std::fs::write(
        dir.path().join("stakeholders.csv"),
        format!("id,kind,country,name__en\n{org},un_entity,,An entity\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("activities.ndjson"),
        format!(
            "{{\"title\": {{\"en\": \"One\"}}, \"states_concerned\": [\"KEN\"], \"status\": \"implementation\", \"planned_start\": \"2026-02-01\", \"submitter\": \"{org}\"}}\n\
             {{\"title\": {{\"en\": \"Two\"}}, \"states_concerned\": [\"KEN\", \"UGA\"], \"status\": \"closed\", \"planned_start\": \"2025-02-01\", \"planned_end\": \"2026-01-31\", \"submitter\": \"{org}\"}}\n"
        ),
    )
    .unwrap();
    for (resource, file) in [
        ("stakeholders", "stakeholders.csv"),
        ("activities", "activities.ndjson"),
    ] {
        let out = run(upr_tc(dir.path())
            .env("DATABASE_URL", &url)
            .args(["import", resource, file]));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let report = |args: &[&str]| {
        let out = run(upr_tc(dir.path())
            .env("DATABASE_URL", &url)
            .args(["report", "--year", "2026", "--out", "out"])
            .args(args));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    // The activities are drafts: the full report counts them, the public one does not.
    let written = report(&["--format", "json", "--scope", "full"]);
    assert_eq!(written.trim(), "out/report-2026.json");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/report-2026.json")).unwrap())
            .unwrap();
    assert_eq!(json["scope"], "full");
    assert_eq!(json["tables"][0]["name"], "activities_by_state");
    assert_eq!(
        json["tables"][0]["rows"],
        serde_json::json!([["KEN", "Kenya", 2, 1], ["UGA", "Uganda", 1, 1]])
    );
    report(&["--format", "json"]);
    let public: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/report-2026.json")).unwrap())
            .unwrap();
    assert_eq!(public["tables"][0]["rows"], serde_json::json!([]));
    // A CSV file per table, for a spreadsheet: a byte order mark first; the page in French.
    let written = report(&["--format", "csv", "--scope", "full"]);
    assert_eq!(
        written.lines().count(),
        json["tables"].as_array().unwrap().len()
    );
    let csv = std::fs::read_to_string(dir.path().join("out/activities_by_state.csv")).unwrap();
    assert_eq!(
        csv,
        "\u{feff}code,label,activities,previous_year\nKEN,Kenya,2,1\nUGA,Uganda,1,1\n"
    );
    // French by any of its codes, in any case, as the API's `lang` takes it.
    report(&["--format", "html", "--lang", "FRA", "--scope", "full"]);
    let page = std::fs::read_to_string(dir.path().join("out/report-2026-fr.html")).unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html><html lang=\"fr\">"),
        "{}",
        &page[..80]
    );
    assert!(page.contains("<svg"));
    // A language the report does not know is named.
    let out = run(upr_tc(dir.path())
        .env("DATABASE_URL", &url)
        .args(["report", "--out", "out", "--lang", "de"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--lang must be one of"));
}

/// A fresh database per call: PostgreSQL when `TEST_DATABASE_URL` is set, else a SQLite file
/// (the resilience suite's, which removes it after the test).
#[path = "resilience/support.rs"]
mod support;

/// Every row of the seeded tables that says which item it is and what it holds, in the order
/// they were written.
fn seeded_rows(db: &support::Db) -> Vec<String> {
    use diesel::prelude::*;
    use upr_tc::db::schema::*;
    let mut conn = db.connect();
    let mut out = Vec::new();
    macro_rules! keyed {
        ($t:ident) => {
            for (id, key) in $t::table
                .order($t::seq)
                .select(($t::id, $t::natural_key))
                .load::<(String, String)>(&mut conn)
                .unwrap()
            {
                out.push(format!("{} {id} {key}", stringify!($t)));
            }
        };
    }
    keyed!(stakeholders);
    keyed!(recommendations);
    keyed!(activities);
    keyed!(offers);
    keyed!(assistance_requests);
    for (id, state, decision, scope, target) in consents::table
        .order(consents::seq)
        .select((
            consents::id,
            consents::state,
            consents::decision,
            consents::scope,
            consents::target,
        ))
        .load::<(String, String, String, String, Option<String>)>(&mut conn)
        .unwrap()
    {
        out.push(format!(
            "consent {id} {state} {decision} {scope} {target:?}"
        ));
    }
    for (id, public) in activities::table
        .order(activities::seq)
        .select((activities::id, activities::public))
        .load::<(String, bool)>(&mut conn)
        .unwrap()
    {
        out.push(format!("verdict {id} {public}"));
    }
    out
}

#[test]
fn seed_makes_the_same_data_from_the_same_seed_at_the_size_of_its_scale() {
    let dir = tempfile::tempdir().unwrap();
    let dbs = [support::Db::create(), support::Db::create()];
    let seed = |db: &support::Db| {
        run(upr_tc(dir.path())
            .env("DATABASE_URL", db.url())
            .args(["seed", "--scale", "small", "--seed", "7"]))
    };
    let mut summaries = Vec::new();
    for db in &dbs {
        let out = seed(db);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        summary.as_object_mut().unwrap().remove("seconds");
        summaries.push(summary);
    }
    assert_eq!(summaries[0], summaries[1]);
    let summary = &summaries[0];
    // The small scale: every member State's own stakeholder and 100 organisations, and the
    // counts it names.
    for (what, count) in [
        ("stakeholders", 293),
        ("recommendations", 5_000),
        ("activities", 1_000),
        ("offers", 200),
        ("assistance_requests", 100),
    ] {
        assert_eq!(summary[what], count, "{what}: {summary}");
    }
    let public = summary["public_activities"].as_i64().unwrap();
    assert!((300..900).contains(&public), "{summary}");
    assert!(summary["consents"].as_i64().unwrap() > 150, "{summary}");
    let rows = seeded_rows(&dbs[0]);
    assert_eq!(
        rows.len(),
        5_000 + 293 + 1_000 * 2 + 200 + 100 + summary["consents"].as_u64().unwrap() as usize
    );
    assert!(
        rows == seeded_rows(&dbs[1]),
        "the same seed made other items or ids"
    );

    // A database that holds data is not seeded again.
    let again = seed(&dbs[0]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds data"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // Through the API: the public activities of most States, anonymously.
    let port = free_port();
    let _server = serve_with(
        upr_tc(dir.path())
            .env("DATABASE_URL", dbs[0].url())
            .env("UPR_TC_JWT_SECRET", support::SECRET)
            .env("UPR_TC_RATE_LIMITS", "off")
            .stderr(Stdio::null()),
        port,
    );
    let mut with_public = 0;
    for country in upr_tc::reference::reference()
        .countries
        .iter()
        .filter(|c| c.status == upr_tc::reference::CountryStatus::MemberState)
    {
        let (status, text) = get(
            port,
            &format!("/api/v1/activities?state={}&limit=5", country.alpha3),
        )
        .unwrap();
        assert_eq!(status, 200, "{text}");
        let body = text.split_once("\r\n\r\n").unwrap().1;
        let page: serde_json::Value = serde_json::from_str(body).unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(
            items.iter().all(|a| a["visibility"]["public"] == true),
            "{body}"
        );
        if !items.is_empty() {
            with_public += 1;
        }
    }
    assert!(
        with_public >= 100,
        "{with_public} States have public activities"
    );
}

#[test]
fn import_reads_an_ohchr_matrix_by_its_extension_and_checks_the_review_it_is_given() {
    let matrix = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/ohchr/upr48-slovenia-thematic-list-of-recommendations.docx");
    if !matrix.exists() {
        eprintln!("{} is not here: skipped", matrix.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/matrix.sqlite3", dir.path().display());
    let file = matrix.to_str().unwrap();
    // The document says session 48.
    let out = run(upr_tc(dir.path()).env("DATABASE_URL", &url).args([
        "import",
        "recommendations",
        file,
        "--session",
        "47",
    ]));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("48") && stderr.contains("47"), "{stderr}");
    let out = run(upr_tc(dir.path()).env("DATABASE_URL", &url).args([
        "import",
        "recommendations",
        file,
        "--state",
        "SVN",
        "--session",
        "48",
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["created"], 254, "{report}");
}
