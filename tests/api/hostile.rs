//! Requests made to break the service rather than to use it: each is refused early, with a
//! small problem document, and costs the service little.

use upr_tc_tests::TestApp;

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
