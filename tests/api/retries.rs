//! Safe retries (`Idempotency-Key`) and fair use (429 with `Retry-After`).

use upr_tc::auth::Role;
use upr_tc_tests::{Request, TestApp, json, recommendation};

const RECS: &str = "/api/v1/recommendations";

fn post(path: &str, token: &str, key: Option<&str>, body: &serde_json::Value) -> Request {
    let mut req = Request::post()
        .uri(path)
        .insert_header(("Authorization", format!("Bearer {token}")))
        .set_json(body);
    if let Some(key) = key {
        req = req.insert_header(("Idempotency-Key", key.to_owned()));
    }
    req
}

#[actix_web::test]
async fn a_retried_post_answers_the_first_answer_and_writes_nothing() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let body = recommendation("KEN", 25, "Retried");
    let first = app.send(post(RECS, &admin, Some("k-1"), &body)).await;
    assert_eq!(first.status, 201);
    assert!(first.header("idempotent-replayed").is_none());
    let again = app.send(post(RECS, &admin, Some("k-1"), &body)).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), first.json());
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(app.all(RECS).await.len(), 1);
    // The same key with another body is refused.
    let other = recommendation("KEN", 25, "Something else");
    app.send(post(RECS, &admin, Some("k-1"), &other))
        .await
        .assert_problem(422, "idempotency_key_reused");
    // Keys are the caller's own: another caller's same key is another request.
    let someone = app
        .service
        .keys
        .mint(
            Role::Admin,
            "someone-else",
            None,
            None,
            chrono::Duration::hours(1),
        )
        .unwrap();
    let theirs = app.send(post(RECS, &someone, Some("k-1"), &other)).await;
    assert_eq!(theirs.status, 201, "{}", theirs.text());
    assert_eq!(app.all(RECS).await.len(), 2);
    // A refused request is not kept: its retry runs again.
    let mut bad = recommendation("KEN", 25, "Bad then good");
    bad["session"] = json!(99);
    app.send(post(RECS, &admin, Some("k-2"), &bad))
        .await
        .assert_problem(422, "validation_failed");
    bad["session"] = json!(25);
    assert_eq!(
        app.send(post(RECS, &admin, Some("k-2"), &bad)).await.status,
        201
    );
    // A key must be a short visible string.
    let long = "x".repeat(256);
    app.send(post(RECS, &admin, Some(&long), &body))
        .await
        .assert_problem(400, "invalid_idempotency_key");
    // An anonymous caller's key is ignored (it writes nothing), but read.
    app.send(
        Request::post()
            .uri(RECS)
            .insert_header(("Idempotency-Key", long.as_str()))
            .set_json(&body),
    )
    .await
    .assert_problem(400, "invalid_idempotency_key");
    // Without a key nothing changes: a second identical POST is a conflict, as before.
    app.send(post(RECS, &admin, None, &body))
        .await
        .assert_problem(409, "conflict");
}

#[actix_web::test]
async fn a_retried_bulk_upload_replays_its_report() {
    let app = TestApp::spawn();
    let csv = "state_under_review,session,text__en\nKEN,26,First\nUGA,26,Second\n";
    // A dry run writes nothing: its key is ignored and its answer not kept (a caller cannot
    // fill the table with reports of a thousand errors), so a real upload after it with the
    // same key is carried out, not answered the dry run's report.
    let dry = "/api/v1/bulk/recommendations?mode=partial&dry_run=true";
    let upload_to = |uri: &'static str, key: &'static str, body: &'static str| {
        Request::post()
            .uri(uri)
            .insert_header(("Authorization", format!("Bearer {}", app.admin_token())))
            .insert_header(("Content-Type", "text/csv"))
            .insert_header(("Idempotency-Key", key))
            .set_payload(body)
    };
    let upload = |key: &'static str, body: &'static str| {
        upload_to("/api/v1/bulk/recommendations?mode=partial", key, body)
    };
    for _ in 0..2 {
        let checked = app.send(upload_to(dry, "bulk-1", csv)).await;
        assert!(checked.header("idempotent-replayed").is_none());
        assert_eq!(checked.assert_ok_json()["dry_run"], true);
    }
    assert_eq!(kept_keys(&app), 0);
    // Ignored, but read: one that does not read is refused, as where it is kept.
    app.send(upload_to(dry, "a key", csv))
        .await
        .assert_problem(400, "invalid_idempotency_key");
    assert!(app.all(RECS).await.is_empty());
    let first = app.send(upload("bulk-1", csv)).await.assert_ok_json();
    assert_eq!(first["created"], 2);
    let again = app.send(upload("bulk-1", csv)).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        again.json(),
        first,
        "the first report, not a report of no changes"
    );
    assert_eq!(app.all(RECS).await.len(), 2);
    app.send(upload(
        "bulk-1",
        "state_under_review,session,text__en\nKEN,26,Third\n",
    ))
    .await
    .assert_problem(422, "idempotency_key_reused");
    assert_eq!(app.all(RECS).await.len(), 2);
}

#[actix_web::test]
async fn over_its_budget_a_caller_gets_a_429_with_retry_after() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limits = Some(upr_tc::ratelimit::Limits {
            anonymous: 3,
            token: 5,
            sync: 8,
        })
    });
    for _ in 0..3 {
        app.get(RECS).await.assert_ok_json();
    }
    let refused = app.get(RECS).await;
    let problem = refused.assert_problem(429, "rate_limited");
    assert!(problem["detail"].as_str().unwrap().contains("retry in"));
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Health checks are never limited.
    assert_eq!(app.get("/health/live").await.status, 200);
    // Each token has its own budget, a sync token a larger one.
    let contributor = app.token(
        Role::Contributor,
        None,
        Some(&uuid::Uuid::now_v7().to_string()),
    );
    let sync = app.token(Role::Sync, None, None);
    let served = |token: String| {
        let app = &app;
        async move {
            let mut n = 0;
            for _ in 0..12 {
                if app.get_as(RECS, &token).await.status == 200 {
                    n += 1;
                }
            }
            n
        }
    };
    assert_eq!(served(contributor).await, 5);
    assert_eq!(served(sync).await, 8);
}

#[actix_web::test]
async fn behind_a_trusted_proxy_each_caller_has_its_own_budget() {
    let proxy: std::net::IpAddr = "10.0.0.1".parse().unwrap();
    let app = TestApp::spawn_with(|s| {
        s.rate_limits = Some(upr_tc::ratelimit::Limits {
            anonymous: 2,
            token: 5,
            sync: 8,
        });
        s.trusted_proxies = vec![proxy];
    });
    let from = |peer: &str, forwarded: &str| {
        Request::get()
            .uri(RECS)
            .peer_addr(format!("{peer}:40000").parse().unwrap())
            .insert_header(("X-Forwarded-For", forwarded.to_owned()))
    };
    // Through the load balancer: the caller it names has the budget.
    for _ in 0..2 {
        assert_eq!(app.send(from("10.0.0.1", "203.0.113.5")).await.status, 200);
    }
    assert_eq!(app.send(from("10.0.0.1", "203.0.113.5")).await.status, 429);
    assert_eq!(app.send(from("10.0.0.1", "203.0.113.6")).await.status, 200);
    // A caller that is not the proxy cannot choose its address.
    for forwarded in ["198.18.0.1", "198.18.0.2"] {
        assert_eq!(app.send(from("198.51.100.7", forwarded)).await.status, 200);
    }
    assert_eq!(
        app.send(from("198.51.100.7", "198.18.0.3")).await.status,
        429
    );
}

#[actix_web::test]
async fn a_key_belongs_to_the_whole_identity_not_only_the_subject() {
    let app = TestApp::spawn();
    // Both tokens are for subject "tester": one as admin, one as a contributor.
    let admin = app.admin_token();
    let org = app
        .create(
            "/api/v1/stakeholders",
            &upr_tc_tests::stakeholder("civil_society_organization", Some("KEN"), "Same subject"),
        )
        .await;
    let contributor = app.token(Role::Contributor, None, org["id"].as_str());
    let body = upr_tc_tests::stakeholder("academia", None, "Keyed");
    let path = "/api/v1/stakeholders";
    let first = app.send(post(path, &admin, Some("shared"), &body)).await;
    assert_eq!(first.status, 201);
    assert_eq!(first.json()["contact"]["email"], "focal@example.org");
    // The contributor's request with the same key is its own: refused, not the admin's answer.
    app.send(post(path, &contributor, Some("shared"), &body))
        .await
        .assert_problem(403, "forbidden");
}

/// Rows kept in the table of `Idempotency-Key`s.
fn kept_keys(app: &TestApp) -> i64 {
    use diesel::{QueryDsl, RunQueryDsl};
    use upr_tc::db::schema::idempotency_keys::dsl;
    let mut conn = app.service.state.pool.get().unwrap();
    dsl::idempotency_keys
        .count()
        .get_result(&mut **conn)
        .unwrap()
}

#[actix_web::test]
async fn an_anonymous_key_is_ignored_and_nothing_is_kept() {
    let app = TestApp::spawn();
    let resolve = |key: &str| {
        Request::post()
            .uri("/api/v1/reference/countries/resolve")
            .insert_header(("Idempotency-Key", key.to_owned()))
            .set_json(json!({"names": ["Kenya"]}))
    };
    for key in ["anon-1", "anon-2", "anon-1"] {
        let reply = app.send(resolve(key)).await;
        assert_eq!(reply.assert_ok_json()["results"][0]["alpha3"], "KEN");
        assert!(reply.header("idempotent-replayed").is_none());
    }
    assert_eq!(kept_keys(&app), 0, "anonymous callers fill no table");
    // Nor does a look-up, which writes nothing, with a token.
    let sync = app.token(Role::Sync, None, None);
    for key in ["look-1", "look-1"] {
        let reply = app
            .send(resolve(key).insert_header(("Authorization", format!("Bearer {sync}"))))
            .await;
        assert_eq!(reply.assert_ok_json()["results"][0]["alpha3"], "KEN");
        assert!(reply.header("idempotent-replayed").is_none());
    }
    // Nor one whose path spells a letter escaped, which is routed to the same look-up.
    let escaped = Request::post()
        .uri("/api/v1/%72eference/countries/resolve")
        .insert_header(("Idempotency-Key", "look-2"))
        .insert_header(("Authorization", format!("Bearer {sync}")))
        .set_json(json!({"names": ["Kenya"]}));
    let reply = app.send(escaped).await;
    assert_eq!(reply.assert_ok_json()["results"][0]["alpha3"], "KEN");
    assert_eq!(kept_keys(&app), 0, "look-ups fill no table");
    // A token's key is kept as before, also with a `dry_run` only bulk uploads read.
    let body = recommendation("KEN", 25, "Kept");
    let admin = app.admin_token();
    let path = format!("{RECS}?dry_run=true");
    assert_eq!(
        app.send(post(&path, &admin, Some("k"), &body)).await.status,
        201
    );
    assert_eq!(kept_keys(&app), 1);
}

#[actix_web::test]
async fn an_answer_too_large_to_keep_is_not_kept_and_its_retry_does_not_write_twice() {
    let app = TestApp::spawn_with(|s| s.limits.idempotency_answer_limit = 64);
    let admin = app.admin_token();
    let body = recommendation("KEN", 25, "An answer longer than 64 bytes");
    let first = app.send(post(RECS, &admin, Some("big"), &body)).await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert!(first.json()["id"].is_string(), "the answer itself is whole");
    let again = app.send(post(RECS, &admin, Some("big"), &body)).await;
    let problem = again.assert_problem(409, "answer_not_kept");
    assert!(
        problem["detail"].as_str().unwrap().contains("succeeded"),
        "{problem}"
    );
    assert_eq!(app.all(RECS).await.len(), 1, "written once");
    // Another body with the key is still a reused key.
    app.send(post(
        RECS,
        &admin,
        Some("big"),
        &recommendation("KEN", 25, "Other"),
    ))
    .await
    .assert_problem(422, "idempotency_key_reused");
}

/// A keyed request whose client goes away as its key is claimed, before the request has run,
/// is carried out all the same (or its claim given up): its retry is answered, not told for an
/// hour that the request is still running. The claim is held while the client hangs up.
#[actix_web::test]
async fn a_request_whose_client_went_away_as_it_claimed_its_key_is_answered_to_its_retry() {
    use std::io::Write;
    let app = TestApp::spawn();
    let addr = app.listen();
    let admin = app.admin_token();
    let body = recommendation("KEN", 25, "Claimed as its client went away").to_string();
    let hold = upr_tc::held::hold("claimed gone-as-claimed");
    let (token, sent) = (admin.clone(), body.clone());
    let stream = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "POST {RECS} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nIdempotency-Key: gone-as-claimed\r\n\
             Content-Length: {}\r\n\r\n{sent}",
            sent.len()
        )
        .unwrap();
        stream
    })
    .await
    .unwrap();
    let started = std::time::Instant::now();
    while !upr_tc::held::holding("claimed gone-as-claimed") {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "never claimed"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // Reset: the connection, and the middleware at work on it, are gone at once.
    let socket = socket2::SockRef::from(&stream);
    socket.set_linger(Some(std::time::Duration::ZERO)).unwrap();
    drop(stream);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(hold);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut answer = None;
    for _ in 0..100 {
        let reply = app
            .send(post(RECS, &admin, Some("gone-as-claimed"), &body))
            .await;
        if reply.status != 409 {
            answer = Some(reply);
            break;
        }
        reply.assert_problem(409, "request_in_progress");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let answer = answer.expect("the key is still claimed after ten seconds");
    assert_eq!(answer.status, 201, "{}", answer.text());
    assert_eq!(app.all(RECS).await.len(), 1, "written once");
}

/// A retry is read no further than its route takes, only to be compared with the first: a
/// body past the JSON limit is a 413, not read up to a bulk upload's limit and hashed.
#[actix_web::test]
async fn a_retry_larger_than_its_route_takes_is_refused_unread() {
    let app = TestApp::spawn_with(|s| s.json_limit = 4096);
    let admin = app.admin_token();
    let first = app
        .send(post(
            RECS,
            &admin,
            Some("bounded"),
            &recommendation("KEN", 25, "Answered once"),
        ))
        .await;
    assert_eq!(first.status, 201, "{}", first.text());
    let large = recommendation("KEN", 25, &"Answered once ".repeat(1_000));
    app.send(post(RECS, &admin, Some("bounded"), &large))
        .await
        .assert_problem(413, "payload_too_large");
    assert_eq!(app.all(RECS).await.len(), 1);
}

/// A client that goes away while its keyed request runs (its connection reset) does not leave
/// the key claimed for an hour: the request runs to its end, its answer is kept, and the retry
/// is answered it, the write carried out once.
#[actix_web::test]
async fn a_request_whose_client_went_away_is_answered_to_its_retry() {
    use std::io::Write;
    let app = TestApp::spawn();
    let addr = app.listen();
    let admin = app.admin_token();
    let mut csv = String::from("state_under_review,session,text__en\n");
    for i in 0..3_000 {
        csv.push_str(&format!(
            "KEN,26,Recommendation {i} sent by a client that went away\n"
        ));
    }
    let upload = csv.clone();
    let token = admin.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "POST /api/v1/bulk/recommendations HTTP/1.1\r\nHost: test\r\n\
             Authorization: Bearer {token}\r\nContent-Type: text/csv\r\n\
             Idempotency-Key: gone-1\r\nContent-Length: {}\r\n\r\n{upload}",
            upload.len()
        )
        .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        // Reset, not closed: the connection is gone at once.
        let socket = socket2::SockRef::from(&stream);
        socket.set_linger(Some(std::time::Duration::ZERO)).unwrap();
        drop(stream);
    })
    .await
    .unwrap();
    let retry = || {
        Request::post()
            .uri("/api/v1/bulk/recommendations")
            .insert_header(("Authorization", format!("Bearer {admin}")))
            .insert_header(("Content-Type", "text/csv"))
            .insert_header(("Idempotency-Key", "gone-1"))
            .set_payload(csv.clone())
    };
    // Bounded by time, not by tries: on a loaded machine (the suite on PostgreSQL beside a
    // build) the first request's import alone has taken over a minute.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(300);
    let mut answer = None;
    while std::time::Instant::now() < until {
        let reply = app.send(retry()).await;
        if reply.status == 409 {
            reply.assert_problem(409, "request_in_progress");
            actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        }
        answer = Some(reply);
        break;
    }
    let answer = answer.expect("the key is still claimed after five minutes");
    // Replayed, as a rule; the first request's own answer only if the reset came before its
    // body had arrived whole (a loaded machine), when it wrote nothing. Either way, once.
    let replayed = answer.header("idempotent-replayed") == Some("true");
    assert_eq!(
        answer.assert_ok_json()["created"],
        3_000,
        "replayed: {replayed}"
    );
    let written = upr_tc_tests::count(&app, "SELECT COUNT(*) AS n FROM recommendations");
    assert_eq!(written, 3_000);
}

/// A keyed request whose process stopped after its write committed and before its answer was
/// kept (killed): the write marked its key written in its own transaction, so the retry, once
/// a starting service has given up the dead process's claims, is told the first request was
/// carried out, never carried out again. While the claim's process runs, the retry is told the
/// request is in progress.
#[actix_web::test]
async fn a_request_that_wrote_and_never_answered_is_not_carried_out_again() {
    use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
    use upr_tc::db::idempotency::{self as keys, Marking};
    use upr_tc::db::schema::idempotency_keys::dsl;
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let mut pooled = app.service.state.pool.get().unwrap();
    let conn: &mut upr_tc::db::DbConnection = &mut pooled;

    // A write transaction committed for a keyed request marks its key written; one rolled back
    // does not.
    let mine = format!("{}:test", upr_tc::db::process_id());
    for name in ["committed", "rolled-back"] {
        let key = claimed(conn, name, &mine);
        let marking = Marking {
            key,
            mine: mine.clone(),
            body_hash: std::sync::Arc::new(|| "the-hash".to_owned()),
        };
        let _ = keys::marking(Some(marking), || {
            upr_tc::db::tx::write(conn, |_| match name {
                "committed" => Ok(()),
                _ => Err(diesel::result::Error::RollbackTransaction),
            })
        });
    }
    // The same through the service's own way to the database, as a keyed request's handler
    // writes.
    let key = claimed(conn, "handled", &mine);
    let marking = Marking {
        key,
        mine: mine.clone(),
        body_hash: std::sync::Arc::new(|| "the-hash".to_owned()),
    };
    upr_tc::idempotency::keyed(
        marking,
        upr_tc::http::with_db(&app.service.state, |conn| {
            Ok(upr_tc::db::tx::write(conn, |_| {
                Ok::<_, diesel::result::Error>(())
            })?)
        }),
    )
    .await
    .unwrap();
    // A claim taken over (its request outran the claim timeout) is no longer the request's: its
    // write is not committed, for the request that took it over carries it out.
    let key = claimed(conn, "taken-over", &mine);
    diesel::update(dsl::idempotency_keys.filter(dsl::key.eq("taken-over")))
        .set(dsl::claimed_by.eq(Some(format!("{}:another", upr_tc::db::process_id()))))
        .execute(conn)
        .unwrap();
    let marking = Marking {
        key,
        mine: mine.clone(),
        body_hash: std::sync::Arc::new(|| "the-hash".to_owned()),
    };
    let written = keys::marking(Some(marking), || {
        upr_tc::db::tx::write(conn, |_| Ok::<_, diesel::result::Error>(()))
    });
    assert!(
        written.is_err(),
        "a write for a claim taken over is not committed"
    );
    let marked: Vec<(String, Option<String>)> = dsl::idempotency_keys
        .filter(dsl::caller.eq("caller"))
        .select((dsl::key, dsl::body_hash))
        .order(dsl::key)
        .load(conn)
        .unwrap();
    assert_eq!(
        marked,
        [
            ("committed".to_owned(), Some("the-hash".to_owned())),
            ("handled".to_owned(), Some("the-hash".to_owned())),
            ("rolled-back".to_owned(), None),
            ("taken-over".to_owned(), None)
        ]
    );

    // A request that wrote, its answer not kept (its process stopped first).
    let body = recommendation("KEN", 25, "Written, never answered");
    let first = app.send(post(RECS, &admin, Some("w-1"), &body)).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let mut unanswered = |by: String| {
        diesel::update(dsl::idempotency_keys.filter(dsl::key.eq("w-1")))
            .set((
                dsl::status.eq(None::<i32>),
                dsl::headers.eq(None::<String>),
                dsl::body.eq(None::<String>),
                dsl::claimed_by.eq(Some(by)),
            ))
            .execute(conn)
            .unwrap()
    };
    // Its process still runs: the retry waits for it.
    assert_eq!(
        unanswered(format!("{}:running", upr_tc::db::process_id())),
        1
    );
    app.send(post(RECS, &admin, Some("w-1"), &body))
        .await
        .assert_problem(409, "request_in_progress");
    // Its process is gone, and a service starts.
    assert_eq!(unanswered("0190c0b2deadbeef:gone".to_owned()), 1);
    upr_tc::idempotency::clear_orphaned_claims(conn).unwrap();
    let again = app.send(post(RECS, &admin, Some("w-1"), &body)).await;
    let problem = again.assert_problem(409, "answer_not_kept");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("wrote what it was sent"),
        "{problem}"
    );
    assert_eq!(app.all(RECS).await.len(), 1, "written once");
    // Another body with the key is still a reused key.
    app.send(post(
        RECS,
        &admin,
        Some("w-1"),
        &recommendation("KEN", 25, "Other"),
    ))
    .await
    .assert_problem(422, "idempotency_key_reused");
}

/// A keyed request whose process was killed before it wrote leaves its claim: on PostgreSQL,
/// where several instances share the keys, the retry through another instance finds that the
/// claim's process has no connection left and carries the request out at once (it waited for
/// that process to start again, or an hour). On SQLite, served by one process, the claim is
/// that process's own until a service starts on the file again.
#[actix_web::test]
async fn the_retry_of_a_request_whose_process_is_gone_runs_at_once_on_postgres() {
    use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
    use upr_tc::db::schema::idempotency_keys::dsl;
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let body = recommendation("KEN", 25, "Claimed, never written");
    let first = app.send(post(RECS, &admin, Some("k-1"), &body)).await;
    assert_eq!(first.status, 201, "{}", first.text());
    deleted(&app, &admin, &first).await;
    // As the killed request left it: claimed by its process, nothing written.
    let mut pooled = app.service.state.pool.get().unwrap();
    let conn: &mut upr_tc::db::DbConnection = &mut pooled;
    let mut claimed_by = |owner: &str| {
        diesel::update(dsl::idempotency_keys.filter(dsl::key.eq("k-1")))
            .set((
                dsl::body_hash.eq(None::<String>),
                dsl::status.eq(None::<i32>),
                dsl::headers.eq(None::<String>),
                dsl::body.eq(None::<String>),
                dsl::claimed_by.eq(Some(owner.to_owned())),
            ))
            .execute(conn)
            .unwrap()
    };
    assert_eq!(claimed_by("0190c0b2deadbeef:gone"), 1);
    drop(pooled);
    let retry = app.send(post(RECS, &admin, Some("k-1"), &body)).await;
    if app.service.state.backend != "postgres" {
        retry.assert_problem(409, "request_in_progress");
        assert!(app.all(RECS).await.is_empty());
        return;
    }
    assert_eq!(retry.status, 201, "{}", retry.text());
    assert_eq!(app.all(RECS).await.len(), 1, "carried out once");
    // Its answer is kept for the retries after it.
    let again = app.send(post(RECS, &admin, Some("k-1"), &body)).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));

    // Another instance's request, running: its process has a connection (one of this pool's,
    // named for it), and its claim is its own.
    deleted(&app, &admin, &retry).await;
    let mut alive = app.service.state.pool.get().unwrap();
    let named: &mut upr_tc::db::DbConnection = &mut alive;
    diesel::sql_query("SET application_name = 'upr-tc/0190c0b2a11ve'")
        .execute(named)
        .unwrap();
    let mut pooled = app.service.state.pool.get().unwrap();
    let conn: &mut upr_tc::db::DbConnection = &mut pooled;
    diesel::update(dsl::idempotency_keys.filter(dsl::key.eq("k-1")))
        .set((
            dsl::body_hash.eq(None::<String>),
            dsl::status.eq(None::<i32>),
            dsl::claimed_by.eq(Some("0190c0b2a11ve:running".to_owned())),
        ))
        .execute(conn)
        .unwrap();
    drop(pooled);
    app.send(post(RECS, &admin, Some("k-1"), &body))
        .await
        .assert_problem(409, "request_in_progress");
    assert!(app.all(RECS).await.is_empty());
    drop(alive);
}

/// Deletes the recommendation `created` answers (`admin`).
async fn deleted(app: &TestApp, admin: &str, created: &upr_tc_tests::Reply) {
    let gone = app
        .send(
            Request::delete()
                .uri(&format!(
                    "{RECS}/{}",
                    created.json()["id"].as_str().unwrap()
                ))
                .insert_header(("Authorization", format!("Bearer {admin}"))),
        )
        .await;
    assert_eq!(gone.status, 204, "{}", gone.text());
}

/// A new key of the caller `caller` named `name`, claimed as `mine`.
fn claimed(
    conn: &mut upr_tc::db::DbConnection,
    name: &str,
    mine: &str,
) -> upr_tc::db::idempotency::Key {
    use upr_tc::db::idempotency::{self as keys, Claim, Key};
    let key = Key {
        caller: "caller".into(),
        key: name.into(),
    };
    let now = chrono::Utc::now();
    let claim = keys::claim(
        conn,
        &key,
        ("POST", "/api/v1/x"),
        mine,
        now - chrono::Duration::hours(24),
        now - chrono::Duration::hours(1),
    )
    .unwrap();
    assert!(matches!(claim, Claim::New));
    key
}
