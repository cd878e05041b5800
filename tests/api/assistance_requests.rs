//! Assistance requests: who files them, which recommendations they may name, who sees drafts,
//! filters.

use actix_web::http::Method;
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc_tests::{TestApp, assistance_request, json, recommendation};

const PATH: &str = "/api/v1/assistance-requests";

fn item(r: &Value) -> String {
    format!("{PATH}/{}", r["id"].as_str().unwrap())
}

/// A recommendation made to `state`, with `response`; its id.
async fn made_to(app: &TestApp, state: &str, response: &str, text: &str) -> String {
    let mut body = recommendation(state, 35, text);
    body["response"] = json!(response);
    body["response_original"] = json!(response);
    app.create("/api/v1/recommendations", &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn a_state_files_for_itself_with_its_accepted_recommendations() {
    let app = TestApp::spawn();
    let accepted = made_to(&app, "KEN", "supported", "Adopt a law on gender equality").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let mut body = assistance_request("KEN", "Legislative advice on a gender equality bill");
    body["recommendations"] = json!([accepted]);
    let reply = app.send_json(Method::POST, PATH, Some(&kenya), &body).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let filed = reply.json();
    assert_eq!(filed["status"], "open", "open by default");
    assert_eq!(filed["state"], "KEN");
    assert_eq!(
        reply.header("Location"),
        Some(item(&filed).as_str()),
        "Location names the new request"
    );
    // Public at once: the words are the State's own.
    let public = app.get(&item(&filed)).await.assert_ok_json();
    assert_eq!(public["description"]["en"], filed["description"]["en"]);
    let listed = app.all(&format!("{PATH}?state=KEN")).await;
    assert_eq!(listed.len(), 1);
}

#[actix_web::test]
async fn a_noted_or_another_states_recommendation_is_a_422_naming_the_field() {
    let app = TestApp::spawn();
    let noted = made_to(&app, "KEN", "noted", "Abolish the death penalty").await;
    let other = made_to(&app, "UGA", "supported", "Ratify the optional protocol").await;
    let unanswered = {
        let mut body = recommendation("KEN", 35, "Establish an NHRI");
        body.as_object_mut().unwrap().remove("response");
        body.as_object_mut().unwrap().remove("response_original");
        app.create("/api/v1/recommendations", &body).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let unknown = uuid::Uuid::now_v7().to_string();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let mut body = assistance_request("KEN", "Help with these");
    body["recommendations"] = json!([noted, other, unanswered, unknown]);
    let reply = app.send_json(Method::POST, PATH, Some(&kenya), &body).await;
    let problem = reply.assert_problem(422, "validation_failed");
    let errors = problem["errors"].as_array().unwrap();
    let at = |pointer: &str| {
        errors
            .iter()
            .find(|e| e["pointer"] == pointer)
            .unwrap_or_else(|| panic!("no error at {pointer}: {problem}"))["code"]
            .clone()
    };
    assert_eq!(at("/recommendations/0"), "not_accepted");
    assert_eq!(at("/recommendations/1"), "another_state");
    assert_eq!(at("/recommendations/2"), "not_accepted");
    assert_eq!(at("/recommendations/3"), "unknown_recommendation");
    assert!(app.all(PATH).await.is_empty(), "nothing written");
}

/// `admin` changes a request its State filed itself (which has no reference) only with the
/// reference of the State's request, as it files one; what it writes as it is needs none: an
/// export of such requests, CSV or NDJSON, imports back unchanged.
#[actix_web::test]
async fn admin_imports_back_the_requests_a_state_filed_itself() {
    let app = TestApp::spawn();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let reply = app
        .send_json(
            Method::POST,
            PATH,
            Some(&kenya),
            &assistance_request("KEN", "Training for magistrates"),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let filed = reply.json();
    assert_eq!(filed["reference"], Value::Null);
    let admin = app.admin_token();
    for (accept, content_type) in [
        ("text/csv", "text/csv"),
        ("application/x-ndjson", "application/x-ndjson"),
    ] {
        let export = app
            .send(
                upr_tc_tests::Request::get()
                    .uri(&format!("{PATH}?state=KEN"))
                    .insert_header(("Accept", accept))
                    .insert_header(("Authorization", format!("Bearer {admin}"))),
            )
            .await;
        assert_eq!(export.status, 200, "{}", export.text());
        let report = app
            .upload_as(
                "/api/v1/bulk/assistance-requests",
                content_type,
                export.body.clone(),
                Some(&admin),
            )
            .await
            .assert_ok_json();
        assert_eq!(
            (report["unchanged"].as_u64(), report["rejected"].as_u64()),
            (Some(1), Some(0)),
            "{accept}: {report}"
        );
    }
    // A change needs the reference, through the API and in an upload.
    let problem = app
        .send_json(
            Method::PATCH,
            &item(&filed),
            Some(&admin),
            &json!({"status": "closed"}),
        )
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["pointer"], "/reference");
    let row = json!({"id": filed["id"], "state": "KEN", "status": "closed",
        "description": {"en": "Training for magistrates"}});
    let report = app
        .upload_as(
            "/api/v1/bulk/assistance-requests?mode=partial",
            "application/x-ndjson",
            format!("{row}\n"),
            Some(&admin),
        )
        .await
        .assert_ok_json();
    assert_eq!(report["rejected"], 1, "{report}");
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("reference")),
        "{report}"
    );
    let closed = app
        .send_json(
            Method::PATCH,
            &item(&filed),
            Some(&admin),
            &json!({"status": "closed", "reference": "Note verbale KEN/2026/7"}),
        )
        .await
        .assert_ok_json();
    assert_eq!(closed["status"], "closed");
    // Nor may it then take the reference away.
    app.send_json(
        Method::PATCH,
        &item(&filed),
        Some(&admin),
        &json!({"reference": null}),
    )
    .await
    .assert_problem(422, "validation_failed");
}

#[actix_web::test]
async fn only_a_state_for_itself_or_admin_with_a_reference_files() {
    let app = TestApp::spawn();
    let body = assistance_request("KEN", "Training for magistrates");
    let org = uuid::Uuid::now_v7().to_string();
    for token in [
        app.token(Role::State, Some("UGA"), None),
        app.token(Role::Contributor, None, Some(&org)),
        app.token(Role::Sync, None, None),
    ] {
        app.send_json(Method::POST, PATH, Some(&token), &body)
            .await
            .assert_problem(403, "forbidden");
    }
    let admin = app.admin_token();
    let problem = app
        .send_json(Method::POST, PATH, Some(&admin), &body)
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["pointer"], "/reference");
    let mut on_behalf = body.clone();
    on_behalf["reference"] = json!("Note verbale KEN/2026/114");
    let reply = app
        .send_json(Method::POST, PATH, Some(&admin), &on_behalf)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    // Another State may not take it over, nor change it.
    let filed = reply.json();
    let uganda = app.token(Role::State, Some("UGA"), None);
    app.send_json(
        Method::PATCH,
        &item(&filed),
        Some(&uganda),
        &json!({"status": "closed"}),
    )
    .await
    .assert_problem(403, "forbidden");
    let kenya = app.token(Role::State, Some("KEN"), None);
    let reply = app
        .send_json(
            Method::PATCH,
            &item(&filed),
            Some(&kenya),
            &json!({"state": "UGA"}),
        )
        .await;
    reply.assert_problem(403, "forbidden");
    let reply = app
        .send_json(
            Method::PATCH,
            &item(&filed),
            Some(&kenya),
            &json!({"status": "closed"}),
        )
        .await;
    assert_eq!(reply.json()["status"], "closed", "{}", reply.text());
}

#[actix_web::test]
async fn a_draft_is_the_states_and_admins_only() {
    let app = TestApp::spawn();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let mut body = assistance_request("KEN", "Not ready yet");
    body["status"] = json!("draft");
    let draft = app
        .send_json(Method::POST, PATH, Some(&kenya), &body)
        .await
        .json();
    let path = item(&draft);
    // Read by those who may first, twice: the request is then kept whole while nothing is
    // written (`routes::support::kept_by_id`), and still shown to no one else.
    for _ in 0..2 {
        app.get_as(&path, &kenya).await.assert_ok_json();
        app.get_as(&path, &app.admin_token()).await.assert_ok_json();
        let others = [
            app.token(Role::State, Some("UGA"), None),
            app.token(Role::Sync, None, None),
        ];
        app.assert_unseen(&path, &others).await;
    }
    assert!(app.all(PATH).await.is_empty(), "not listed publicly");
    let feed = app.get("/api/v1/changes").await.assert_ok_json();
    assert!(
        !feed.to_string().contains(draft["id"].as_str().unwrap()),
        "not in the public feed"
    );
    // Opened, it is public, listed and in the feed.
    app.send_json(
        Method::PATCH,
        &path,
        Some(&kenya),
        &json!({"status": "open"}),
    )
    .await
    .assert_ok_json();
    assert_eq!(app.get(&path).await.assert_ok_json()["status"], "open");
    assert_eq!(app.all(PATH).await.len(), 1);
    let feed = app.get("/api/v1/changes").await.assert_ok_json();
    assert!(
        feed.to_string().contains(draft["id"].as_str().unwrap()),
        "{feed}"
    );
}

#[actix_web::test]
async fn lists_filter_and_refuse_unknown_values() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    for (state, theme, language) in [
        ("KEN", "womens_rights", "fr"),
        ("UGA", "justice", "en"),
        ("FRA", "justice", "fr"),
    ] {
        let mut body = assistance_request(state, &format!("Help for {state} on {theme}"));
        body["reference"] = json!("NV/1");
        body["themes"] = json!([theme]);
        body["languages"] = json!([language]);
        let reply = app.send_json(Method::POST, PATH, Some(&admin), &body).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
    }
    let ids = |items: Vec<Value>| -> Vec<String> {
        let mut s: Vec<String> = items
            .iter()
            .map(|i| i["state"].as_str().unwrap().to_owned())
            .collect();
        s.sort();
        s
    };
    assert_eq!(
        ids(app.all(&format!("{PATH}?theme=justice")).await),
        ["FRA", "UGA"]
    );
    assert_eq!(
        ids(app.all(&format!("{PATH}?language=fr")).await),
        ["FRA", "KEN"]
    );
    assert_eq!(
        ids(app.all(&format!("{PATH}?regional_group=african")).await),
        ["KEN", "UGA"]
    );
    assert_eq!(
        ids(app.all(&format!("{PATH}?q=justice")).await),
        ["FRA", "UGA"]
    );
    assert_eq!(ids(app.all(&format!("{PATH}?status=open")).await).len(), 3);
    app.get(&format!("{PATH}?theme=nonsense"))
        .await
        .assert_problem(400, "invalid_parameter");
    app.get(&format!("{PATH}?state=XXX"))
        .await
        .assert_problem(400, "invalid_parameter");
    let csv = app
        .send(
            upr_tc_tests::Request::get()
                .uri(&format!("{PATH}?state=KEN"))
                .insert_header(("Accept", "text/csv")),
        )
        .await;
    assert_eq!(csv.status, 200);
    let text = csv.text();
    assert!(text.starts_with("id,state,status,reference"), "{text}");
    assert_eq!(text.lines().count(), 2, "{text}");
}
