//! `/metrics` for Prometheus (issue 14): off unless configured; behind its own bearer token on
//! the service's address; requests by route and status, latency, the pool, the feed's head and
//! bulk imports with their rows. (Its address of its own is tested on the real binary, in
//! `api/tests/resilience/operations.rs`.)

use upr_tc_tests::{Request, TestApp, json};

const TOKEN: &str = "scrape-me-if-you-can-0123456789";

async fn scrape(app: &TestApp, token: Option<&str>) -> upr_tc_tests::Reply {
    let mut req = Request::get().uri("/metrics");
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    app.send(req).await
}

/// The value of the sample `name{labels}` in an OpenMetrics text, if it is there.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[actix_web::test]
async fn metrics_are_off_unless_configured() {
    let app = TestApp::spawn();
    scrape(&app, None).await.assert_problem(404, "not_found");
    scrape(&app, Some(TOKEN))
        .await
        .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn metrics_count_requests_the_pool_the_feed_and_imports() {
    let app = TestApp::spawn_with(|s| s.metrics.token = Some(TOKEN.into()));
    scrape(&app, None).await.assert_problem(401, "unauthorized");
    scrape(&app, Some("scrape-me-if-you-can-0123456780"))
        .await
        .assert_problem(401, "unauthorized");
    // An admin's JWT is not the scraper's token.
    let admin = app.admin_token();
    scrape(&app, Some(&admin))
        .await
        .assert_problem(401, "unauthorized");

    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/recommendations").await.status, 200);
    }
    let head = actix_web::test::TestRequest::default()
        .method(actix_web::http::Method::HEAD)
        .uri("/api/v1/recommendations");
    assert_eq!(app.send(head).await.status, 200);
    let missing = format!("/api/v1/recommendations/{}", uuid::Uuid::now_v7());
    assert_eq!(app.get(&missing).await.status, 404);
    assert_eq!(app.get("/no/such/path/42").await.status, 404);
    let rows = [
        json!({"state_under_review": "KEN", "session": 35, "text": {"en": "Ratify the convention."}}),
        json!({"state_under_review": "UGA", "session": 12, "text": {"en": "Adopt a law."}}),
    ];
    let ndjson: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    let report = app
        .upload(
            "/api/v1/bulk/recommendations",
            "application/x-ndjson",
            ndjson.join("\n"),
        )
        .await
        .assert_ok_json();
    assert_eq!(report["created"], 2);
    // An atomic upload refused for a bad row, and a dry run: each counted as what it was.
    let bad = format!("{}\n{{\"state_under_review\": \"XXX\"}}", rows[0]);
    app.upload("/api/v1/bulk/recommendations", "application/x-ndjson", bad)
        .await
        .assert_problem(422, "import_rejected");
    let dry = app
        .upload(
            "/api/v1/bulk/recommendations?dry_run=true",
            "application/x-ndjson",
            ndjson.join("\n"),
        )
        .await
        .assert_ok_json();
    assert_eq!(
        (&dry["dry_run"], &dry["written"]),
        (&json!(true), &json!(false))
    );
    let feed = app.get("/api/v1/changes").await.assert_ok_json();
    assert_eq!(feed["items"].as_array().unwrap().len(), 2);

    let reply = scrape(&app, Some(TOKEN)).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        reply
            .content_type()
            .starts_with("application/openmetrics-text"),
        "{}",
        reply.content_type()
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let text = reply.text();
    let requests = |route: &str, status: u16| {
        let series = format!(
            r#"upr_tc_http_requests_total{{method="GET",route="{route}",status="{status}"}}"#
        );
        sample(&text, &series)
    };
    assert_eq!(
        requests("/api/v1/recommendations", 200),
        Some(3.0),
        "{text}"
    );
    // A HEAD is counted as a HEAD, not as the GET it is answered as.
    let heads =
        r#"upr_tc_http_requests_total{method="HEAD",route="/api/v1/recommendations",status="200"}"#;
    assert_eq!(sample(&text, heads), Some(1.0), "{text}");
    // The route's template, never the path asked: the labels stay a bounded set.
    assert_eq!(requests("/api/v1/recommendations/{id}", 404), Some(1.0));
    assert_eq!(requests("unmatched", 404), Some(1.0));
    assert!(!text.contains("/no/such/path"));
    let latency = r#"upr_tc_http_request_duration_seconds_count{method="GET",route="/api/v1/recommendations"}"#;
    assert_eq!(sample(&text, latency), Some(3.0));
    assert!(text.contains(r#"upr_tc_http_request_duration_seconds_bucket{le="0.001","#));
    for outcome in ["applied", "rejected", "dry_run"] {
        let imports =
            format!(r#"upr_tc_imports_total{{resource="recommendations",outcome="{outcome}"}}"#);
        assert_eq!(sample(&text, &imports), Some(1.0), "{outcome}: {text}");
    }
    let created = r#"upr_tc_import_rows_total{resource="recommendations",result="created"}"#;
    assert_eq!(sample(&text, created), Some(2.0));
    let head = sample(&text, "upr_tc_feed_head");
    assert!(head.is_some_and(|h| h >= 2.0), "{text}");
    let in_use = r#"upr_tc_db_connections{pool="write",state="in_use"}"#;
    let idle = r#"upr_tc_db_connections{pool="write",state="idle"}"#;
    assert!(
        sample(&text, in_use).is_some() && sample(&text, idle).is_some(),
        "{text}"
    );
    assert_eq!(sample(&text, "upr_tc_db_waiting_requests"), Some(0.0));
    // Set by a write refused for a full disk (`health::a_full_disk_is_named…`).
    assert_eq!(sample(&text, "upr_tc_storage_full"), Some(0.0));
    assert!(text.trim_end().ends_with("# EOF"));
}

/// Waits until the service knows the data's version (its watch's first poll).
fn version_known(app: &TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while app.service.state.watch.version().is_none() {
        assert!(std::time::Instant::now() < deadline, "no version read");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// A new recommendation's path.
async fn a_recommendation(app: &TestApp) -> String {
    let created = app
        .create(
            "/api/v1/recommendations",
            &upr_tc_tests::recommendation("KEN", 35, "Ratify the convention."),
        )
        .await;
    format!(
        "/api/v1/recommendations/{}",
        created["id"].as_str().unwrap()
    )
}

#[actix_web::test]
async fn metrics_count_reads_answered_from_what_is_kept() {
    let app = TestApp::spawn_with(|s| s.metrics.token = Some(TOKEN.into()));
    let item = a_recommendation(&app).await;
    version_known(&app);
    let kept = |text: &str, store: &str, outcome: &str| {
        sample(
            text,
            &format!(r#"upr_tc_kept_reads_total{{store="{store}",outcome="{outcome}"}}"#),
        )
        .unwrap_or(0.0)
    };
    // Every write of this process makes what is kept stale, and the other tests of this
    // process write beside this one: the reads are asked again until no write came between.
    for attempt in 0.. {
        assert!(attempt < 200, "never a quiet moment");
        let version = app.service.state.watch.version();
        let before = scrape(&app, Some(TOKEN)).await.text();
        for _ in 0..3 {
            assert_eq!(app.get(&item).await.status, 200);
            assert_eq!(app.get("/api/v1/recommendations").await.status, 200);
        }
        let after = scrape(&app, Some(TOKEN)).await.text();
        if app.service.state.watch.version() != version {
            continue;
        }
        for store in ["items", "pages"] {
            let hits = kept(&after, store, "hit") - kept(&before, store, "hit");
            let misses = kept(&after, store, "miss") - kept(&before, store, "miss");
            assert_eq!(hits + misses, 3.0, "{store}: {after}");
            assert!(hits >= 2.0, "{store}: read once, then kept: {after}");
        }
        assert_eq!(sample(&after, "upr_tc_data_version_known"), Some(1.0));
        break;
    }
}

#[actix_web::test]
async fn nothing_is_kept_when_no_bytes_are_given_to_it() {
    let app = TestApp::spawn_with(|s| {
        s.metrics.token = Some(TOKEN.into());
        s.limits.kept_bytes = 0;
    });
    let item = a_recommendation(&app).await;
    std::thread::sleep(std::time::Duration::from_millis(100));
    for _ in 0..3 {
        assert_eq!(app.get(&item).await.status, 200);
    }
    let text = scrape(&app, Some(TOKEN)).await.text();
    assert_eq!(
        sample(&text, "upr_tc_data_version_known"),
        Some(0.0),
        "{text}"
    );
    let hits = r#"upr_tc_kept_reads_total{store="items",outcome="hit"}"#;
    assert_eq!(sample(&text, hits), Some(0.0), "{text}");
}
