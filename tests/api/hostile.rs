//! Requests made to break the service rather than to use it: each is refused early, with a
//! small problem document, and costs the service little.

use upr_tc_tests::{Request, TestApp};

#[actix_web::test]
async fn a_query_parameter_that_is_not_utf8_is_a_problem_on_every_route() {
    let app = TestApp::spawn();
    for path in [
        "/api/v1/recommendations?q=%ff%fe",
        "/api/v1/stakeholders?q=ok&country=%C3",
        "/api/v1/reference/countries?status=%80",
        "/api/v1/changes?after=%fe",
        "/health/live?x=%ff",
    ] {
        let reply = app.get(path).await;
        let problem = reply.assert_problem(400, "invalid_parameter");
        assert!(
            problem["detail"].as_str().unwrap().contains("UTF-8"),
            "{path}: {problem}"
        );
    }
    let reply = app.get("/api/v1/recommendations?%ff=1").await;
    reply.assert_problem(400, "invalid_parameter");
    // Percent-encoded UTF-8 is welcome.
    app.get("/api/v1/recommendations?q=%C3%A9galit%C3%A9")
        .await
        .assert_ok_json();
}

#[actix_web::test]
async fn a_flood_of_invalid_tokens_is_rate_limited_by_address() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limits = Some(upr_tc::ratelimit::Limits {
            anonymous: 3,
            token: 5,
            sync: 8,
        })
    });
    let garbage = |peer: &str| {
        Request::get()
            .uri("/api/v1/recommendations")
            .peer_addr(format!("{peer}:40000").parse().unwrap())
            .insert_header(("Authorization", "Bearer garbage"))
    };
    for _ in 0..3 {
        app.send(garbage("198.51.100.7"))
            .await
            .assert_problem(401, "unauthorized");
    }
    let refused = app.send(garbage("198.51.100.7")).await;
    refused.assert_problem(429, "rate_limited");
    assert!(refused.header("retry-after").is_some());
    // The address's budget is spent for anonymous requests too; another address has its own.
    let anonymous = Request::get()
        .uri("/api/v1/recommendations")
        .peer_addr("198.51.100.7:40001".parse().unwrap());
    app.send(anonymous)
        .await
        .assert_problem(429, "rate_limited");
    app.send(garbage("198.51.100.8"))
        .await
        .assert_problem(401, "unauthorized");
}
