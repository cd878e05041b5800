//! Activities: who writes which, what each caller sees, filters and exports.

use actix_web::http::Method;
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc_tests::{TestApp, activity, json, recommendation, stakeholder};

pub const PATH: &str = "/api/v1/activities";

pub fn item(a: &Value) -> String {
    format!("{PATH}/{}", a["id"].as_str().unwrap())
}

/// A registered organisation and a contributor token for it.
pub async fn organisation(app: &TestApp, name: &str) -> (String, String) {
    let org = app
        .create(
            "/api/v1/stakeholders",
            &stakeholder("civil_society_organization", Some("KEN"), name),
        )
        .await;
    let id = org["id"].as_str().unwrap().to_owned();
    let token = app.token(Role::Contributor, None, Some(&id));
    (id, token)
}

/// Submits an activity with a token; returns it.
pub async fn submit(app: &TestApp, token: &str, body: &Value) -> Value {
    let reply = app.send_json(Method::POST, PATH, Some(token), body).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()
}

/// Records a consent with a token.
pub async fn consent(app: &TestApp, token: &str, body: Value) -> Value {
    let reply = app
        .send_json(Method::POST, "/api/v1/consents", Some(token), &body)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()
}

#[actix_web::test]
async fn a_contributor_submits_and_the_public_sees_it_only_with_consent() {
    let app = TestApp::spawn();
    let (org, token) = organisation(&app, "Kituo Cha Sheria").await;
    let created = submit(&app, &token, &activity(&["KEN"], "Child justice training")).await;
    assert_eq!(
        created["submitter"],
        org.as_str(),
        "the token implies the submitter"
    );
    assert_eq!(created["visibility"]["public"], false);
    assert_eq!(
        created["visibility"]["reasons"],
        json!(["awaiting consent of KEN"])
    );
    assert_eq!(created["visibility"]["awaiting_consent_of"], json!(["KEN"]));
    // Not public: it does not exist for anonymous and sync callers.
    app.get(&item(&created))
        .await
        .assert_problem(404, "not_found");
    let sync = app.token(Role::Sync, None, None);
    app.get_as(&item(&created), &sync)
        .await
        .assert_problem(404, "not_found");
    assert!(app.all(PATH).await.is_empty());
    // Its submitter, the State concerned and admin see it, with the reason.
    let kenya = app.token(Role::State, Some("KEN"), None);
    for t in [&token, &kenya, &app.admin_token()] {
        let seen = app.get_as(&item(&created), t).await.assert_ok_json();
        assert_eq!(seen["visibility"]["public"], false);
    }
    // Another State does not.
    let uganda = app.token(Role::State, Some("UGA"), None);
    app.get_as(&item(&created), &uganda)
        .await
        .assert_problem(404, "not_found");
    // Kenya's queue holds it.
    let queue = app
        .get_as(&format!("{PATH}?awaiting_consent_of=KEN"), &kenya)
        .await
        .assert_ok_json();
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);
    // Kenya consents: public at once, everywhere.
    consent(
        &app,
        &kenya,
        json!({"decision": "granted", "scope": "activity", "activity_id": created["id"]}),
    )
    .await;
    let public = app.get(&item(&created)).await.assert_ok_json();
    assert_eq!(public["visibility"]["public"], true);
    assert_eq!(public["visibility"]["reasons"], json!([]));
    assert_eq!(app.all(PATH).await.len(), 1);
    let queue = app
        .get_as(&format!("{PATH}?awaiting_consent_of=KEN"), &kenya)
        .await
        .assert_ok_json();
    assert!(queue["items"].as_array().unwrap().is_empty());
    // Withdrawn: hidden at once.
    consent(
        &app,
        &kenya,
        json!({"decision": "withdrawn", "scope": "all"}),
    )
    .await;
    assert_eq!(
        app.all(PATH).await.len(),
        1,
        "the activity-level grant is narrower"
    );
    consent(
        &app,
        &kenya,
        json!({"decision": "withdrawn", "scope": "activity", "activity_id": created["id"]}),
    )
    .await;
    app.get(&item(&created))
        .await
        .assert_problem(404, "not_found");
    let seen = app.get_as(&item(&created), &token).await.assert_ok_json();
    assert_eq!(
        seen["visibility"]["reasons"],
        json!(["consent withdrawn by KEN"])
    );
}

#[actix_web::test]
async fn a_state_submits_as_itself_and_needs_no_consent_of_its_own() {
    let app = TestApp::spawn();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let own = submit(&app, &kenya, &activity(&["KEN"], "National action plan")).await;
    assert_eq!(own["visibility"]["public"], true, "{own}");
    // Its submitter is Kenya's own stakeholder, registered on first use and reused.
    let submitter = own["submitter"].as_str().unwrap();
    let s = app
        .get(&format!("/api/v1/stakeholders/{submitter}"))
        .await
        .assert_ok_json();
    assert_eq!(s["kind"], "state");
    assert_eq!(s["country"], "KEN");
    assert_eq!(s["name"]["en"], "Kenya");
    let again = submit(&app, &kenya, &activity(&["KEN", "UGA"], "Peer exchange")).await;
    assert_eq!(again["submitter"], own["submitter"]);
    assert_eq!(
        again["visibility"]["reasons"],
        json!(["awaiting consent of UGA"]),
        "Uganda's consent is still needed"
    );
}

#[actix_web::test]
async fn references_are_checked() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Org").await;
    let rec = app
        .create(
            "/api/v1/recommendations",
            &recommendation("UGA", 12, "Ratify the Optional Protocol"),
        )
        .await;
    let mut body = activity(&["KEN"], "Wrong recommendation");
    body["recommendations"] = json!([rec["id"], uuid::Uuid::now_v7()]);
    body["participants"] = json!([{"stakeholder": uuid::Uuid::now_v7(), "role": "funding"}]);
    let problem = app
        .send_json(Method::POST, PATH, Some(&token), &body)
        .await
        .assert_problem(422, "validation_failed");
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        [
            "/participants/0/stakeholder",
            "/recommendations/0",
            "/recommendations/1"
        ]
    );
    assert!(app.all(PATH).await.is_empty());
    // Concerning Uganda too, the recommendation fits.
    body["states_concerned"] = json!(["KEN", "UGA"]);
    body["recommendations"] = json!([rec["id"]]);
    body["participants"] = json!([]);
    let created = submit(&app, &token, &body).await;
    // The recommendation can no longer be deleted.
    app.send_json(
        Method::DELETE,
        &format!("/api/v1/recommendations/{}", rec["id"].as_str().unwrap()),
        Some(&app.admin_token()),
        &json!(null),
    )
    .await
    .assert_problem(409, "conflict");
    let filtered = app
        .get_as(
            &format!("{PATH}?recommendation={}", rec["id"].as_str().unwrap()),
            &token,
        )
        .await
        .assert_ok_json();
    assert_eq!(filtered["items"][0]["id"], created["id"]);
}

#[actix_web::test]
async fn bad_input_is_a_422_naming_each_field() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Org").await;
    let mut body = activity(&["XXX"], "Bad");
    body["budget"] = json!({"amount": "12,5", "currency": "ABC"});
    body["planned_end"] = json!("2025-01-01");
    body["modality"] = json!("juggling");
    body["funding_sources"] = json!(["lottery"]);
    let problem = app
        .send_json(Method::POST, PATH, Some(&token), &body)
        .await
        .assert_problem(422, "validation_failed");
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    for expected in [
        "/states_concerned/0",
        "/budget/amount",
        "/budget/currency",
        "/planned_end",
        "/modality",
        "/funding_sources/0",
    ] {
        assert!(pointers.contains(&expected), "{expected} in {pointers:?}");
    }
    assert!(app.all(PATH).await.is_empty());
}
