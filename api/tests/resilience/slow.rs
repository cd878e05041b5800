//! Slow and failing callers must not stop the service for everyone else (issue 9, items 7, 8,
//! 9 and 13): exports nobody reads, uploads that trickle in, a process killed in the middle of
//! an upload, a writer that cannot get the write lock, a database connection that is cut.

use std::io::Write;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use upr_tc::auth::Role;

use crate::support::{
    PROMPTLY, Service, bearer, read_head, read_reply, recommendations_csv, try_request,
};

const CSV: (&str, &str) = ("Content-Type", "text/csv");

/// A State records a blanket consent: the write every other writer must not hold up.
fn consent(service: &Service) -> crate::support::Reply {
    let kenya = service.token(Role::State, Some("KEN"));
    service.request(
        "POST",
        "/api/v1/consents",
        &[
            ("Authorization", &bearer(&kenya)),
            ("Content-Type", "application/json"),
        ],
        br#"{"decision": "granted", "scope": "all"}"#,
    )
}

#[test]
fn exports_nobody_reads_leave_health_lists_and_writes_answering() {
    let service = Service::start(&[
        ("UPR_TC_POOL_SIZE", "4"),
        ("UPR_TC_EXPORT_LIMIT", "2"),
        ("UPR_TC_EXPORT_SEND_TIMEOUT", "3s"),
        // Each stuck export comes from a caller of its own (one export a caller at a time).
        ("UPR_TC_TRUSTED_PROXIES", "127.0.0.1"),
    ]);
    let admin = bearer(&service.admin());
    // Enough that an export fills what a client that does not read takes in (its socket's
    // buffers, some 4 MB on Linux) and what the service buffers: 8 MB, in many pages.
    let csv = recommendations_csv(0, 8000, 1000);
    service.seed(&csv, 8000);

    // More exports than the pool has connections, none of them read.
    let mut stuck = Vec::new();
    for i in 0..6 {
        let (path, accept) = if i % 2 == 0 {
            ("/api/v1/export", "application/x-ndjson")
        } else {
            ("/api/v1/recommendations", "text/csv")
        };
        let caller = format!("192.0.2.{i}");
        stuck.push(service.open(
            "GET",
            path,
            &[("Accept", accept), ("X-Forwarded-For", &caller)],
            b"",
        ));
    }
    let opened = Instant::now();
    std::thread::sleep(Duration::from_millis(1500));

    let ready = service.request("GET", "/health/ready", &[], b"");
    ready.expect(200);
    let page = service.request("GET", "/api/v1/recommendations?limit=5", &[], b"");
    assert_eq!(page.expect(200)["items"].as_array().map(Vec::len), Some(5));
    let created = service.request(
        "POST",
        "/api/v1/recommendations",
        &[("Authorization", &admin), ("Content-Type", "application/json")],
        br#"{"state_under_review": "UGA", "session": 26, "text": {"en": "Written beside stuck exports"}}"#,
    );
    created.expect(201);

    // Beyond the export limit, an export is refused with a 503 a client may retry.
    let mut refused = 0;
    for socket in &mut stuck {
        let head = read_head(socket, Duration::from_secs(2)).unwrap_or_default();
        if head.starts_with("HTTP/1.1 503") {
            assert!(
                head.to_ascii_lowercase().contains("retry-after:"),
                "a Retry-After header in\n{head}"
            );
            refused += 1;
        }
    }
    assert!(
        refused >= 4,
        "at most 2 exports run at once; {refused} of 6 were refused"
    );

    // A client that reads nothing for the send timeout is abandoned, and its permit with it:
    // a new export runs to its end. The timeout counts from when an export first waits on its
    // client, which on a loaded machine may be a while after it was opened: retried, within a
    // generous bound.
    std::thread::sleep(Duration::from_secs(4).saturating_sub(opened.elapsed()));
    let deadline = Instant::now() + Duration::from_secs(30);
    let snapshot = loop {
        let mut export = service.open("GET", "/api/v1/export", &[], b"");
        let reply = read_reply(&mut export, Duration::from_secs(30)).expect("the export answers");
        if reply.status != 503 || Instant::now() > deadline {
            break reply;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(snapshot.status, 200, "{}", snapshot.head);
    let lines = snapshot.text().lines().count();
    assert_eq!(lines, 8001, "every recommendation, one a line");
    drop(stuck);
}

/// Exports whose clients read nothing wait on them without a turn at the database: with the
/// defaults (16 open, half the pool of 4 reading), more of them than there are turns leave a
/// new caller's export running to its end long before any send timeout.
#[test]
fn exports_nobody_reads_hold_no_turn_at_the_database() {
    const STALLED: usize = 5;
    let service = Service::start(&[
        ("UPR_TC_POOL_SIZE", "4"),
        ("UPR_TC_SEND_BUFFER", "65536"),
        // Each stalled export comes from a caller of its own (one export a caller at a time).
        ("UPR_TC_TRUSTED_PROXIES", "127.0.0.1"),
    ]);
    // 4 MB of CSV in pages of some 500 KB: far more than a stalled client's socket and the
    // service's send buffer take in, so each stalled export waits on its client with the rest.
    let csv = recommendations_csv(0, 4000, 1000);
    service.seed(&csv, 4000);
    let mut stalled = Vec::new();
    for i in 0..STALLED {
        let (path, accept) = if i % 2 == 0 {
            ("/api/v1/recommendations", "text/csv")
        } else {
            ("/api/v1/export", "application/x-ndjson")
        };
        let caller = format!("192.0.2.{i}");
        let mut socket = crate::support::open_small(
            service.port,
            4096,
            "GET",
            path,
            &[("Accept", accept), ("X-Forwarded-For", &caller)],
        )
        .expect("connect");
        // Each is answered (its first page produced), then read no further.
        let head = read_head(&mut socket, Duration::from_secs(20)).expect("a head");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        stalled.push(socket);
    }
    // More exports wait on their clients than there are turns (2): a new caller's export
    // still reads every page, well within the send timeout (60 s) after which the stalled
    // ones would be abandoned.
    let mut export = service.open(
        "GET",
        "/api/v1/recommendations",
        &[("Accept", "text/csv"), ("X-Forwarded-For", "192.0.2.100")],
        b"",
    );
    let reply = read_reply(&mut export, Duration::from_secs(30)).expect("the export answers");
    assert_eq!(reply.status, 200, "{}", reply.head);
    assert_eq!(
        reply.text().lines().count(),
        4001,
        "every recommendation, one a line"
    );
    drop(stalled);
}

#[test]
fn a_trickling_atomic_upload_does_not_hold_up_a_consent() {
    let service = Service::start(&[]);
    let admin = bearer(&service.admin());
    let first = recommendations_csv(0, 600, 200);
    let rest: Vec<String> = (600..612)
        .map(|i| format!("KEN,26,Recommendation {i} sent late\n"))
        .collect();
    let length = first.len() + rest.iter().map(String::len).sum::<usize>();
    let length = length.to_string();
    let mut upload = service.open(
        "POST",
        "/api/v1/bulk/recommendations?mode=atomic",
        &[("Authorization", &admin), CSV, ("Content-Length", &length)],
        first.as_bytes(),
    );
    let mut writer = upload.try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        for row in rest {
            std::thread::sleep(Duration::from_millis(500));
            writer.write_all(row.as_bytes()).unwrap();
        }
    });
    std::thread::sleep(Duration::from_secs(1));
    // While the upload still trickles in, a State's consent is written at once.
    consent(&service).expect(201);
    trickle.join().unwrap();
    let report = read_reply(&mut upload, Duration::from_secs(30))
        .expect("the upload answers")
        .expect(200);
    assert_eq!(report["created"], 612, "{report}");
}

/// Holds the service's write lock from outside: SQLite's write lock, or the advisory lock
/// PostgreSQL writers take (`db::lock_writes`).
fn hold_write_lock(service: &Service) -> upr_tc::db::DbConnection {
    let mut conn = service.db.connect();
    match conn {
        upr_tc::db::DbConnection::Sqlite(_) => conn.batch_execute("BEGIN IMMEDIATE").unwrap(),
        upr_tc::db::DbConnection::Postgres(_) => conn
            .batch_execute("SELECT pg_advisory_lock(5428, 1)")
            .unwrap(),
    }
    conn
}

#[test]
fn a_writer_that_cannot_get_the_write_lock_in_time_gets_a_503_with_retry_after() {
    let service = Service::start(&[("UPR_TC_LOCK_TIMEOUT", "1s")]);
    let lock = hold_write_lock(&service);
    consent(&service).expect_retry_later();
    drop(lock);
    consent(&service).expect(201);
}

#[test]
fn a_write_whose_database_connection_is_cut_gets_a_503_with_retry_after() {
    let service = Service::start(&[("UPR_TC_LOCK_TIMEOUT", "30s")]);
    let Some(name) = service.db.pg_name().map(str::to_owned) else {
        eprintln!("skipped: cutting a connection (pg_terminate_backend) needs PostgreSQL");
        return;
    };
    // The write waits for the lock the test holds; then its connection is terminated.
    let lock = hold_write_lock(&service);
    let service = std::sync::Arc::new(service);
    let writer = {
        let service = service.clone();
        std::thread::spawn(move || consent(&service))
    };
    let mut admin = service.db.connect();
    let deadline = Instant::now() + PROMPTLY;
    loop {
        #[derive(diesel::QueryableByName)]
        struct Terminated {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let rows: Vec<Terminated> = diesel::RunQueryDsl::load(
            diesel::sql_query(format!(
                "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
                 WHERE datname = '{name}' AND wait_event = 'advisory' AND pid <> pg_backend_pid()"
            )),
            &mut admin,
        )
        .unwrap();
        if rows.first().is_some_and(|r| r.n > 0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the write never waited for the lock"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    writer.join().unwrap().expect_retry_later();
    drop(lock);
    // The broken connection is gone from the pool: the retry is written.
    consent(&service).expect(201);
}

fn upload_headers<'a>(admin: &'a str, key: &'a str, length: &'a str) -> [(&'a str, &'a str); 4] {
    [
        ("Authorization", admin),
        CSV,
        ("Idempotency-Key", key),
        ("Content-Length", length),
    ]
}

#[test]
fn after_a_kill_during_an_upload_the_same_request_with_its_key_is_answered() {
    let mut service = Service::start(&[]);
    let admin = bearer(&service.admin());
    let csv = recommendations_csv(0, 50, 200);
    let length = csv.len().to_string();
    let path = "/api/v1/bulk/recommendations?mode=atomic";
    // Half the body, then the process dies with the key claimed.
    let half = service.open(
        "POST",
        path,
        &upload_headers(&admin, "upload-1", &length),
        &csv.as_bytes()[..csv.len() / 2],
    );
    std::thread::sleep(Duration::from_millis(800));
    service.kill9();
    drop(half);
    service.restart();
    let reply = service.request(
        "POST",
        path,
        &upload_headers(&admin, "upload-1", &length),
        csv.as_bytes(),
    );
    assert_eq!(reply.expect(200)["created"], 50);
}

/// A dry run whose client closes its connection stops at its next read of the file, and its
/// caller's share goes back: the next upload is served, not refused while the first runs on
/// for no one. An upload that writes runs on (above).
#[test]
fn a_dry_run_whose_client_has_gone_stops() {
    let service = Service::start(&[]);
    let admin = bearer(&service.admin());
    // Long enough to read that its client is gone well before it ends.
    let rows = 30_000;
    let csv = recommendations_csv(0, rows, 100);
    let upload = service.open(
        "POST",
        "/api/v1/bulk/recommendations?dry_run=true",
        &[("Authorization", &admin), CSV],
        csv.as_bytes(),
    );
    std::thread::sleep(Duration::from_millis(1500));
    drop(upload);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !service
        .log()
        .contains("dry run stopped: its client went away")
    {
        assert!(
            Instant::now() < deadline,
            "the dry run did not stop:\n{}",
            service.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Whole when its client stays.
    let reply = service.request(
        "POST",
        "/api/v1/bulk/recommendations?dry_run=true",
        &[("Authorization", &admin), CSV],
        recommendations_csv(0, 50, 100).as_bytes(),
    );
    assert_eq!(reply.expect(200)["created"], 50);
    assert_eq!(
        service.log().matches("dry run stopped").count(),
        1,
        "{}",
        service.log()
    );
}

/// A request whose claim cannot be given up when it answers (the write lock held past the
/// timeout here; a full disk does the same) has it given up in the background once the
/// database takes writes again: its retry is carried out, not refused as
/// `request_in_progress` for the claim timeout (an hour).
#[test]
fn a_claim_that_could_not_be_given_up_is_given_up_once_the_database_takes_writes() {
    let service = Service::start(&[("UPR_TC_LOCK_TIMEOUT", "1s")]);
    let admin = bearer(&service.admin());
    let csv = recommendations_csv(0, 20, 200);
    let length = csv.len().to_string();
    let path = "/api/v1/bulk/recommendations?mode=atomic";
    let headers = upload_headers(&admin, "upload-5", &length);
    let (first, rest) = csv.as_bytes().split_at(csv.len() / 2);
    let mut upload = service.open("POST", path, &headers, first);
    std::thread::sleep(Duration::from_millis(500));
    // The key is claimed; now the write lock is held elsewhere, and the upload and the giving
    // up of its claim both wait for it in vain.
    let lock = hold_write_lock(&service);
    upload.write_all(rest).unwrap();
    read_reply(&mut upload, Duration::from_secs(30))
        .expect("the upload answers")
        .expect_retry_later();
    drop(lock);
    let deadline = Instant::now() + Duration::from_secs(15);
    let reply = loop {
        let reply = service.request("POST", path, &headers, csv.as_bytes());
        if reply.status != 409 || Instant::now() > deadline {
            break reply;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(reply.expect(200)["created"], 20);
}

#[test]
fn a_second_instance_leaves_the_first_ones_running_claims() {
    let service = Service::start(&[]);
    let admin = bearer(&service.admin());
    let csv = recommendations_csv(0, 20, 200);
    let length = csv.len().to_string();
    let path = "/api/v1/bulk/recommendations?mode=atomic";
    let headers = upload_headers(&admin, "upload-3", &length);
    let half = service.open("POST", path, &headers, &csv.as_bytes()[..csv.len() / 2]);
    std::thread::sleep(Duration::from_millis(500));

    // Another instance starts on the same database while the first request runs: on either
    // instance the key is still that request's, and its retry is not carried out a second time.
    let other = service.beside();
    for port in [other.port, service.port] {
        let busy = try_request(port, "POST", path, &headers, csv.as_bytes()).expect("an answer");
        assert_eq!(
            busy.expect(409)["code"],
            "request_in_progress",
            "port {port}"
        );
    }
    drop(half);
}

#[test]
fn an_unanswered_claim_is_taken_over_after_the_claim_timeout() {
    let service = Service::start(&[("UPR_TC_IDEMPOTENCY_CLAIM_TIMEOUT", "2s")]);
    let admin = bearer(&service.admin());
    let csv = recommendations_csv(0, 20, 200);
    let length = csv.len().to_string();
    let path = "/api/v1/bulk/recommendations?mode=atomic";
    let headers = upload_headers(&admin, "upload-2", &length);
    let half = service.open("POST", path, &headers, &csv.as_bytes()[..csv.len() / 2]);
    let claimed = Instant::now();
    std::thread::sleep(Duration::from_millis(500));

    // While the first request runs: a 409 of its own code, not a natural-key conflict.
    let busy = service.request("POST", path, &headers, csv.as_bytes());
    assert_eq!(busy.expect(409)["code"], "request_in_progress");
    assert!(busy.header("retry-after").is_some(), "{}", busy.head);

    // Past the timeout the claim is taken over. When the service took the claim is a little
    // after `claimed` on a loaded machine: retried, within a generous bound.
    std::thread::sleep(Duration::from_millis(2500).saturating_sub(claimed.elapsed()));
    let deadline = Instant::now() + Duration::from_secs(10);
    let taken = loop {
        let reply = service.request("POST", path, &headers, csv.as_bytes());
        if reply.status != 409 || Instant::now() > deadline {
            break reply;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    let report = taken.expect(200);
    assert_eq!(report["created"], 20);

    // The first request ends (its client goes away) without forgetting the new answer.
    drop(half);
    std::thread::sleep(Duration::from_millis(300));
    let again = service.request("POST", path, &headers, csv.as_bytes());
    assert_eq!(again.expect(200), report);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
}

/// While the database refuses connections, a request is not held for the pool's whole wait
/// (10 s) once the pool has no connection left open: it is answered a 503 with `Retry-After`
/// at once, and the service serves again when the database takes connections again.
#[test]
fn while_the_database_refuses_connections_requests_are_answered_at_once() {
    let service = Service::start(&[]);
    let Some(name) = service.db.pg_name().map(str::to_owned) else {
        eprintln!("skipped: refusing connections (ALLOW_CONNECTIONS) needs PostgreSQL");
        return;
    };
    // Each page asked for once: a page read before would be given as kept.
    let asked = std::cell::Cell::new(0);
    let list = || {
        asked.set(asked.get() + 1);
        let path = format!("/api/v1/stakeholders?limit={}", asked.get());
        service.request("GET", &path, &[], b"")
    };
    list().expect(200);
    let mut admin = maintenance(&service);
    let allow = |admin: &mut upr_tc::db::DbConnection, allowed: bool| {
        admin
            .batch_execute(&format!(
                "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {allowed}"
            ))
            .unwrap();
    };
    allow(&mut admin, false);
    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .unwrap();
    // The pool finds its connections broken and cannot open others: then it answers at once.
    let said = "not one connection of the pool is open";
    for _ in 0..40 {
        if service.log().contains(said) {
            break;
        }
        list().expect_retry_later();
    }
    assert!(service.log().contains(said), "{}", service.log());
    // The database takes connections again: so does the service, without a restart.
    allow(&mut admin, true);
    let mut served = false;
    for _ in 0..60 {
        if list().status == 200 {
            served = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(served, "{}", service.log());
}

/// A connection to the PostgreSQL server's maintenance database, where a test's own database
/// may be told to refuse connections.
fn maintenance(service: &Service) -> upr_tc::db::DbConnection {
    use diesel::Connection;
    let url = service.db.url();
    let (server, _) = url.rsplit_once('/').unwrap();
    upr_tc::db::DbConnection::Postgres(
        diesel::PgConnection::establish(&format!("{server}/postgres")).unwrap(),
    )
}
