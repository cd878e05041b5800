//! Consent records: who records them, for which State, and that they never change.

use actix_web::http::Method;
use upr_tc::auth::Role;
use upr_tc_tests::{TestApp, json};

const PATH: &str = "/api/v1/consents";

#[actix_web::test]
async fn a_state_records_for_itself_only_and_admin_needs_a_reference() {
    let app = TestApp::spawn();
    let kenya = app.token(Role::State, Some("KEN"), None);
    app.send_json(
        Method::POST,
        PATH,
        Some(&kenya),
        &json!({"state": "UGA", "decision": "granted", "scope": "all"}),
    )
    .await
    .assert_problem(403, "forbidden");
    let reply = app
        .send_json(
            Method::POST,
            PATH,
            Some(&kenya),
            &json!({"decision": "granted", "scope": "all"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let record = reply.json();
    assert_eq!(record["state"], "KEN");
    assert_eq!(record["recorded_by"]["role"], "state");
    let admin = app.admin_token();
    app.send_json(
        Method::POST,
        PATH,
        Some(&admin),
        &json!({"state": "UGA", "decision": "granted", "scope": "all"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let reply = app
        .send_json(
            Method::POST,
            PATH,
            Some(&admin),
            &json!({"state": "UGA", "decision": "refused", "scope": "all", "reference": "NV 12/2026"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    for role in [Role::Contributor, Role::Sync] {
        let org = uuid::Uuid::now_v7().to_string();
        let token = app.token(role, None, Some(&org));
        app.send_json(
            Method::POST,
            PATH,
            Some(&token),
            &json!({"decision": "granted", "scope": "all", "state": "KEN"}),
        )
        .await
        .assert_problem(403, "forbidden");
    }
    // Append-only: no update, no delete.
    let one = format!("{PATH}/{}", record["id"].as_str().unwrap());
    for method in [Method::PUT, Method::PATCH, Method::DELETE] {
        let reply = app
            .send_json(method.clone(), &one, Some(&admin), &json!({}))
            .await;
        assert_eq!(reply.status, 405, "{method}");
    }
    assert_eq!(app.all(PATH).await.len(), 2);
    let state = app.get("/api/v1/states/uga/consent").await.assert_ok_json();
    assert_eq!(state["all"]["decision"], "refused");
    assert!(state["all"]["recorded_by"].get("subject").is_none());
}
