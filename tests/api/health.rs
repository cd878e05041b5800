use std::time::Duration;

use upr_tc_tests::{TestApp, TestDb, settings};

#[actix_web::test]
async fn live_and_ready_on_a_migrated_database() {
    let app = TestApp::spawn();
    let live = app.get("/health/live").await.assert_ok_json();
    assert_eq!(live["status"], "alive");
    let ready = app.get("/health/ready").await.assert_ok_json();
    assert_eq!(ready["status"], "ready");
    let expected = if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(ready["database"], expected);
}

#[actix_web::test]
async fn not_ready_while_migrations_are_pending() {
    let (db, url) = TestDb::create();
    let settings = settings(url.clone());
    // A pool on a database nobody migrated.
    let pool = upr_tc::db::connect(&url, 2).unwrap();
    let keys = upr_tc_tests::keys(Some(upr_tc_tests::SECRET), false);
    let cursors = upr_tc::cursor::Cursors::new(upr_tc_tests::SECRET);
    let service = upr_tc::startup::Service::with_parts(pool, keys, cursors, settings);
    let app = upr_tc_tests::TestApp { service, db };
    let reply = app.get("/health/ready").await;
    let problem = reply.assert_problem(503, "service_unavailable");
    assert!(problem["detail"].as_str().unwrap().contains("migrate"));
    assert!(
        reply.header("retry-after").is_some(),
        "a 503 says when to retry"
    );
    // Liveness does not depend on the database.
    app.get("/health/live").await.assert_ok_json();
    // Migrating makes it ready.
    app.service.state.pool.get().unwrap().migrate().unwrap();
    app.get("/health/ready").await.assert_ok_json();
}

#[test]
fn migrating_twice_applies_nothing_the_second_time() {
    let (_db, url) = TestDb::create();
    let pool = upr_tc::db::connect(&url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    assert!(!conn.migrate().unwrap().is_empty());
    assert!(conn.migrate().unwrap().is_empty());
    assert!(conn.is_migrated().unwrap());
}

/// An instance started, or `upr-tc migrate` run, while another writes for long (an upload, a
/// State's blanket consent) finds nothing to do and takes no write lock for it: before, it
/// failed after the lock timeout, and a restart during a long upload crash-looped.
#[test]
fn migrating_an_up_to_date_database_waits_for_no_writer() {
    let (_db, url) = TestDb::create();
    let pool = upr_tc::db::connect(&url, 2).unwrap();
    pool.get().unwrap().migrate().unwrap();
    let (held, release) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
    let mut writer = pool.get().unwrap();
    let writing = std::thread::spawn(move || {
        upr_tc::db::tx::write(&mut writer, |_| {
            held.0.send(()).unwrap();
            release.1.recv().unwrap();
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    });
    held.1.recv().unwrap();
    let applied = pool.get().unwrap().migrate();
    release.0.send(()).unwrap();
    writing.join().unwrap();
    assert!(applied.unwrap().is_empty());
}

#[test]
fn an_unreachable_postgres_says_so() {
    let url = upr_tc::config::DatabaseUrl::parse("postgres://nobody@127.0.0.1:1/none").unwrap();
    let err = upr_tc::db::connect(&url, 1).unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("127.0.0.1"), "{text}");
    assert!(!text.contains("multiconnection"), "{text}");
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn instances(conn: &mut upr_tc::db::DbConnection) -> i64 {
    use diesel::RunQueryDsl;
    let query = diesel::sql_query("SELECT count(*) AS n FROM instance");
    match conn {
        upr_tc::db::DbConnection::Sqlite(c) => query.get_result::<Count>(c).unwrap().n,
        upr_tc::db::DbConnection::Postgres(c) => query.get_result::<Count>(c).unwrap().n,
    }
}

/// A pool of one connection that checks a connection at every checkout (`recheck_after`
/// zero) or only one idle longer than `recheck_after`.
fn pool_of_one(url: &upr_tc::config::DatabaseUrl, recheck_after: Duration) -> upr_tc::db::Pool {
    let connecting = upr_tc::db::Connecting {
        recheck_after,
        ..Default::default()
    };
    upr_tc::db::connect_with(url, 1, connecting).unwrap()
}

#[test]
fn a_connection_handed_back_in_a_transaction_is_not_handed_out_again() {
    use upr_tc::db::tx::Tx;
    let (_db, url) = TestDb::create();
    // However recently it came back.
    let pool = pool_of_one(&url, Duration::from_secs(3600));
    {
        let mut conn = pool.get().unwrap();
        conn.migrate().unwrap();
        // An uncommitted change, its transaction left open, as a panic in an import leaves it.
        Tx::begin(&mut conn).unwrap();
        diesel::RunQueryDsl::execute(diesel::sql_query("DELETE FROM instance"), &mut **conn)
            .unwrap();
        assert_eq!(instances(&mut conn), 0);
    }
    let mut conn = pool.get().unwrap();
    assert_eq!(
        instances(&mut conn),
        1,
        "the next user does not inherit the open transaction"
    );
    Tx::begin(&mut conn).expect("no transaction is open");
    Tx::rollback(&mut conn).unwrap();
}

#[test]
fn a_connection_checked_at_checkout_does_not_hand_on_a_transaction_opened_behind_diesel() {
    use diesel::connection::SimpleConnection;
    let (_db, url) = TestDb::create();
    let pool = pool_of_one(&url, Duration::ZERO);
    {
        let mut conn = pool.get().unwrap();
        conn.migrate().unwrap();
        // A transaction diesel's transaction manager does not know of: only the check sees it.
        conn.batch_execute("BEGIN; DELETE FROM instance;").unwrap();
        assert_eq!(instances(&mut conn), 0);
    }
    let mut conn = pool.get().unwrap();
    assert_eq!(
        instances(&mut conn),
        1,
        "the next user does not inherit the open transaction"
    );
    conn.batch_execute("BEGIN; ROLLBACK;").unwrap();
}

#[test]
fn a_postgres_connection_lost_is_replaced() {
    use upr_tc_tests::backend_pid;
    let (_db, url) = TestDb::create();
    if !matches!(url, upr_tc::config::DatabaseUrl::Postgres(_)) {
        return; // A SQLite file is not lost the way a server's connection is.
    }
    let recheck = Duration::from_millis(200);
    let pool = pool_of_one(&url, recheck);
    let other = upr_tc::db::connect(&url, 1).unwrap();
    let terminate = |pid: i32| {
        let mut conn = other.get().unwrap();
        diesel::RunQueryDsl::execute(
            diesel::sql_query(format!("SELECT pg_terminate_backend({pid}, 10000)")),
            &mut **conn,
        )
        .unwrap();
    };
    let first = backend_pid(&mut pool.get().unwrap()).unwrap();

    // Lost just after it came back: handed out unchecked, its request fails, and it is not
    // handed out again.
    terminate(first);
    {
        let mut conn = pool.get().unwrap();
        let failed = diesel::RunQueryDsl::execute(diesel::sql_query("SELECT 1"), &mut **conn);
        let err = failed.expect_err("the lost connection answered");
        assert!(
            upr_tc::error::is_transient(&err),
            "a lost connection is a 503 with Retry-After, not a 500: {err:?}"
        );
    }
    let second = backend_pid(&mut pool.get().unwrap()).unwrap();
    assert_ne!(second, first);

    // Lost while idle longer than `recheck_after`: checked at checkout and replaced, and no
    // request sees it.
    terminate(second);
    std::thread::sleep(recheck * 2);
    let third = backend_pid(&mut pool.get().unwrap()).unwrap();
    assert_ne!(third, second);
}

/// A read by id that finds every connection taken waits its turn behind them, as every other
/// request does (`http::with_item_db`: it takes a connection at once only when one is free,
/// and never one a waiting request is due), and is answered once one comes free.
#[actix_web::test]
async fn a_read_by_id_waits_its_turn_when_every_connection_is_taken() {
    let app = TestApp::spawn();
    let rec = app
        .create(
            "/api/v1/recommendations",
            &upr_tc_tests::recommendation("KEN", 8, "Ratify."),
        )
        .await;
    let path = format!("/api/v1/recommendations/{}", rec["id"].as_str().unwrap());
    let every = app.service.settings.pool_size.max(1);
    let held = app
        .service
        .state
        .connections
        .clone()
        .acquire_many_owned(every)
        .await
        .unwrap();
    let read = app.get(&path);
    tokio::pin!(read);
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(300), &mut read)
            .await
            .is_err(),
        "answered while every connection was taken"
    );
    drop(held);
    let reply = read.await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["id"], rec["id"]);
}

/// `UPR_TC_SQLITE_MAP_SIZE` reaches every connection of the service's pool: `0` turns SQLite's
/// memory map off. PostgreSQL has no such setting, and the service starts with it all the same.
#[test]
fn the_sqlite_map_size_reaches_the_service_connections() {
    #[derive(diesel::QueryableByName)]
    struct MapSize {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        mmap_size: i64,
    }
    for map in [0, 8 << 20] {
        let (_db, url) = TestDb::create();
        let mut settings = settings(url.clone());
        settings.limits.sqlite_map_size = map;
        let service = upr_tc::startup::Service::build(settings).expect("the service starts");
        let mut conn = service.state.pool.get().unwrap();
        if let upr_tc::db::DbConnection::Sqlite(c) = &mut **conn {
            use diesel::RunQueryDsl;
            let q = diesel::sql_query("PRAGMA mmap_size");
            assert_eq!(q.get_result::<MapSize>(c).unwrap().mmap_size as u64, map);
            // And the write-ahead log is cut back once a checkpoint empties it.
            #[derive(diesel::QueryableByName)]
            struct Kept {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                journal_size_limit: i64,
            }
            let q = diesel::sql_query("PRAGMA journal_size_limit");
            let kept = q.get_result::<Kept>(c).unwrap().journal_size_limit as u64;
            assert_eq!(kept, upr_tc::db::sql::statements::SQLITE_WAL_KEPT);
        }
    }
}

/// A full disk, as SQLite meets it (each pooled connection's file held at the size it has, as
/// `max_page_count` does), is a 503 that says the disk is full: an atomic upload writes
/// nothing, a partial upload keeps the batches it committed, and once there is room
/// again its retry writes the rest. PostgreSQL's full disk cannot be made here; its messages
/// are mapped the same way (`error::is_storage_full`).
#[actix_web::test]
async fn a_full_disk_is_named_and_a_retry_once_there_is_room_completes_the_upload() {
    let app = upr_tc_tests::TestApp::spawn();
    let limit = |pages: Option<i64>| {
        let pool = &app.service.state.pool;
        let mut held = Vec::new();
        for _ in 0..pool.max_size() {
            let mut conn = pool.get().unwrap();
            let upr_tc::db::DbConnection::Sqlite(c) = &mut **conn else {
                return false;
            };
            #[derive(diesel::QueryableByName)]
            struct Pages {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                page_count: i64,
            }
            use diesel::RunQueryDsl;
            use diesel::connection::SimpleConnection;
            let now = diesel::sql_query("PRAGMA page_count")
                .get_result::<Pages>(c)
                .unwrap()
                .page_count;
            c.batch_execute(&format!(
                "PRAGMA max_page_count = {}",
                pages.map_or(now, |p| now + p)
            ))
            .unwrap();
            held.push(conn);
        }
        true
    };
    let body =
        upr_tc_tests::stakeholder("civil_society_organization", Some("KEN"), "Full disk NGO");
    let stakeholder = app.create("/api/v1/stakeholders", &body).await;
    if !limit(None) {
        return;
    }
    let rows: String = (0..12_000)
        .map(|n| format!("KEN,{},Recommendation {n} on a full disk\n", 20 + n % 9))
        .collect();
    let csv = format!("state_under_review,session,text__en\n{rows}");
    let full = |reply: upr_tc_tests::Reply| {
        reply.assert_problem(503, "storage_full");
        assert!(reply.header("retry-after").is_some());
    };
    let writes = || async { app.get("/health/ready").await.assert_ok_json()["writes"].clone() };
    assert_eq!(writes().await, "accepted");
    full(
        app.upload("/api/v1/bulk/recommendations", "text/csv", csv.clone())
            .await,
    );
    assert!(app.all("/api/v1/recommendations").await.is_empty());
    // The service stays ready (reads are served), and says writes are refused; a write that
    // changes nothing is no sign of room.
    assert_eq!(writes().await, "storage_full");
    let same = app
        .send_json(
            actix_web::http::Method::PUT,
            &format!(
                "/api/v1/stakeholders/{}",
                stakeholder["id"].as_str().unwrap()
            ),
            Some(&app.admin_token()),
            &body,
        )
        .await
        .assert_ok_json();
    assert_eq!(same["version"], 1, "{same}");
    assert_eq!(writes().await, "storage_full");

    // Room for some batches of a partial upload, not for all of them.
    limit(Some(400));
    let partial = "/api/v1/bulk/recommendations?mode=partial";
    full(app.upload(partial, "text/csv", csv.clone()).await);
    let kept = app.all("/api/v1/recommendations").await.len();
    assert!(kept > 0 && kept < 12_000, "{kept}");
    limit(Some(1_000_000));
    let report = app.upload(partial, "text/csv", csv).await.assert_ok_json();
    assert_eq!(
        (report["created"].as_u64(), report["unchanged"].as_u64()),
        (Some((12_000 - kept) as u64), Some(kept as u64)),
        "{report}"
    );
    assert_eq!(writes().await, "accepted", "a write succeeded since");
}

/// Once a write is refused for a full disk, readiness says so until a write transaction that
/// changed something commits, on either engine: a replacement that changes nothing does not
/// tell there is room, a write that changes something does. (The refusal itself is made on
/// SQLite above; here it is told to the service as the telemetry tells it.)
#[actix_web::test]
async fn writes_are_told_refused_until_one_changes_something() {
    let app = upr_tc_tests::TestApp::spawn();
    let writes = || async { app.get("/health/ready").await.assert_ok_json()["writes"].clone() };
    let admin = app.admin_token();
    let body = upr_tc_tests::stakeholder("civil_society_organization", Some("KEN"), "Told NGO");
    let made = app.create("/api/v1/stakeholders", &body).await;
    let path = format!("/api/v1/stakeholders/{}", made["id"].as_str().unwrap());
    assert_eq!(writes().await, "accepted");
    app.service.state.watch.storage_refused();
    assert_eq!(writes().await, "storage_full");
    let put = |body: serde_json::Value| {
        let (path, admin) = (path.clone(), admin.clone());
        let app = &app;
        async move {
            app.send_json(actix_web::http::Method::PUT, &path, Some(&admin), &body)
                .await
                .assert_ok_json()
        }
    };
    assert_eq!(put(body.clone()).await["version"], 1);
    assert_eq!(writes().await, "storage_full", "nothing was written");
    let mut renamed = body.clone();
    renamed["name"] = serde_json::json!({"en": "Told NGO, renamed"});
    assert_eq!(put(renamed).await["version"], 2);
    assert_eq!(writes().await, "accepted");
}

/// A database seen ready is taken as ready for a second, one look at a time: health checks are
/// not rate limited, and a flood of them takes no connection from the requests waiting for one.
#[actix_web::test]
async fn readiness_seen_a_moment_ago_takes_no_connection() {
    let app = TestApp::spawn();
    app.get("/health/ready").await.assert_ok_json();
    let pool = app.service.state.pool.clone();
    let held: Vec<_> = (0..pool.max_size()).map(|_| pool.get().unwrap()).collect();
    for _ in 0..3 {
        app.get("/health/ready").await.assert_ok_json();
    }
    drop(held);
}
