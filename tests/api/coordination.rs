//! The coordination view of a State: gaps, possible duplication and open requests, over what
//! the caller may see.

use actix_web::http::Method;
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc_tests::{TestApp, activity, assistance_request, json, recommendation};

use crate::activities::{consent, organisation, submit};

async fn made_to_kenya(app: &TestApp, response: &str, text: &str) -> String {
    let mut body = recommendation("KEN", 35, text);
    body["response"] = json!(response);
    body["response_original"] = json!(response);
    app.create("/api/v1/recommendations", &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn serving(recommendation: &str, title: &str, start: &str, end: &str) -> Value {
    let mut body = activity(&["KEN"], title);
    body["recommendations"] = json!([recommendation]);
    body["planned_start"] = json!(start);
    body["planned_end"] = json!(end);
    body
}

fn ids(items: &Value, at: &str) -> Vec<String> {
    let mut out: Vec<String> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.pointer(at).unwrap().as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

#[actix_web::test]
async fn gaps_duplication_and_requests_over_what_the_caller_sees() {
    let app = TestApp::spawn();
    let served = made_to_kenya(&app, "supported", "Adopt a law on domestic violence").await;
    let twice = made_to_kenya(&app, "supported_in_part", "Train the police on gender").await;
    let hidden = made_to_kenya(&app, "supported", "Establish shelters for victims").await;
    let gap = made_to_kenya(&app, "supported", "Collect data on femicide").await;
    let _noted = made_to_kenya(&app, "noted", "Decriminalise abortion").await;
    let (_, one) = organisation(&app, "First NGO").await;
    let (_, two) = organisation(&app, "Second NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    consent(&app, &kenya, json!({"decision": "granted", "scope": "all"})).await;
    submit(
        &app,
        &one,
        &serving(&served, "Drafting support", "2026-01-01", "2026-06-30"),
    )
    .await;
    // The same recommendation by the same actor twice is no duplication; by two at once is.
    submit(
        &app,
        &one,
        &serving(&twice, "Police training I", "2026-01-01", "2026-12-31"),
    )
    .await;
    submit(
        &app,
        &two,
        &serving(&twice, "Police training II", "2026-10-01", "2027-03-31"),
    )
    .await;
    // Refused by name: the public does not see it, the State does.
    let refused = submit(
        &app,
        &two,
        &serving(&hidden, "Shelters", "2026-01-01", "2026-12-31"),
    )
    .await;
    consent(
        &app,
        &kenya,
        json!({"decision": "refused", "scope": "activity", "activity_id": refused["id"]}),
    )
    .await;
    let mut open = assistance_request("KEN", "Help to collect data on femicide");
    open["recommendations"] = json!([gap]);
    app.send_json(
        Method::POST,
        "/api/v1/assistance-requests",
        Some(&kenya),
        &open,
    )
    .await
    .json();
    let mut draft = assistance_request("KEN", "Not ready");
    draft["status"] = json!("draft");
    app.send_json(
        Method::POST,
        "/api/v1/assistance-requests",
        Some(&kenya),
        &draft,
    )
    .await
    .json();

    let public = app
        .get("/api/v1/states/KEN/coordination")
        .await
        .assert_ok_json();
    assert_eq!(public["state"], "KEN");
    assert_eq!(
        public["accepted_recommendations"], 4,
        "the noted one is not"
    );
    let mut expected = vec![hidden.clone(), gap.clone()];
    expected.sort();
    assert_eq!(ids(&public["gaps"], "/id"), expected, "{public}");
    let duplication = public["possible_duplication"].as_array().unwrap();
    assert_eq!(duplication.len(), 1, "{public}");
    assert_eq!(duplication[0]["recommendation"]["id"], twice.as_str());
    assert_eq!(
        ids(&duplication[0]["activities"], "/title/en"),
        ["Police training I", "Police training II"]
    );
    assert_eq!(
        public["open_requests"].as_array().unwrap().len(),
        1,
        "not the draft"
    );

    let own = app
        .get_as("/api/v1/states/KEN/coordination", &kenya)
        .await
        .assert_ok_json();
    assert_eq!(
        ids(&own["gaps"], "/id"),
        [gap.as_str()],
        "the State sees the refused one"
    );
    assert_eq!(
        own["open_requests"].as_array().unwrap().len(),
        1,
        "open ones only"
    );
    assert_eq!(own["open_requests_total"], 1, "not the draft");

    let other = app
        .get_as(
            "/api/v1/states/KEN/coordination",
            &app.token(Role::State, Some("UGA"), None),
        )
        .await
        .assert_ok_json();
    assert_eq!(
        other["gaps"], public["gaps"],
        "another State sees what the public sees"
    );

    app.get("/api/v1/states/XXX/coordination")
        .await
        .assert_problem(400, "invalid_parameter");
    let empty = app
        .get("/api/v1/states/UGA/coordination")
        .await
        .assert_ok_json();
    assert_eq!(empty["accepted_recommendations"], 0);
}

/// A view past its time limit (`UPR_TC_COORDINATION_TIMEOUT`) is given up with a 503
/// `too_slow` that says so, not computed to its end; within it, the same view answers.
#[actix_web::test]
async fn a_view_past_its_time_limit_is_given_up() {
    let app = TestApp::spawn_with(|s| s.limits.coordination_timeout = std::time::Duration::ZERO);
    made_to_kenya(&app, "supported", "Adopt a law on domestic violence").await;
    let reply = app.get("/api/v1/states/KEN/coordination").await;
    let refused = reply.assert_problem(503, "too_slow");
    // Not worth retrying as it is: the same view would take as long again.
    assert_eq!(reply.header("retry-after"), None);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("coordination view took longer"),
        "{refused}"
    );

    let app = TestApp::spawn();
    made_to_kenya(&app, "supported", "Adopt a law on domestic violence").await;
    let view = app
        .get("/api/v1/states/KEN/coordination")
        .await
        .assert_ok_json();
    assert_eq!(view["gaps"].as_array().unwrap().len(), 1, "{view}");
}

/// A State with very many open requests is given the first 100 of them, each ranked, and how
/// many there are: the view stays one answer of bounded size and time.
#[actix_web::test]
async fn the_view_lists_the_first_hundred_open_requests_and_counts_them_all() {
    let app = TestApp::spawn();
    let rows: Vec<String> = (0..103)
        .map(|n| assistance_request("KEN", &format!("Help with request {n}")).to_string())
        .collect();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let report = app
        .upload_as(
            "/api/v1/bulk/assistance-requests",
            "application/x-ndjson",
            rows.join("\n"),
            Some(&kenya),
        )
        .await
        .assert_ok_json();
    assert_eq!(report["created"], 103, "{report}");
    let view = app
        .get("/api/v1/states/KEN/coordination")
        .await
        .assert_ok_json();
    let listed = view["open_requests"].as_array().unwrap();
    assert_eq!(listed.len(), 100);
    assert_eq!(view["open_requests_total"], 103);
    assert_eq!(
        listed[0]["request"]["description"]["en"], "Help with request 0",
        "oldest first"
    );
    assert_eq!(
        listed[99]["request"]["description"]["en"],
        "Help with request 99"
    );
}

/// A view asked again of unchanged data, with the same access, is given as computed, without
/// a ranking permit: a caller asking for views in a loop does not keep every ranking busy.
/// Another access, or a write, computes it again.
#[actix_web::test]
async fn a_view_asked_again_of_unchanged_data_is_given_as_computed() {
    let app = TestApp::spawn();
    made_to_kenya(&app, "supported", "Adopt a law on domestic violence").await;
    let path = "/api/v1/states/KEN/coordination";
    let (view, again, _held) = app.read_again_without_rankings(path, None).await;
    assert_eq!(again.assert_ok_json(), view);
    // Kenya sees more than the public: its view is computed, and needs a permit.
    let kenya = app.token(upr_tc::auth::Role::State, Some("KEN"), None);
    app.get_as(path, &kenya)
        .await
        .assert_problem(503, "service_unavailable");
}
