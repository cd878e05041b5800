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
        0,
        "a blanket withdrawal hides what was granted by name (the most recent decision wins)"
    );
    let withdrawal = consent(
        &app,
        &kenya,
        json!({"decision": "withdrawn", "scope": "activity", "activity_id": created["id"]}),
    )
    .await;
    app.get(&item(&created))
        .await
        .assert_problem(404, "not_found");
    let seen = app.get_as(&item(&created), &token).await.assert_ok_json();
    // The reason names the record that decided: the withdrawal by name, the narrowest.
    assert_eq!(
        seen["visibility"]["reasons"],
        json!([format!(
            "consent withdrawn by KEN (record {}, scope activity)",
            withdrawal["id"].as_str().unwrap()
        )])
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
    let refused = app
        .send_json(
            Method::DELETE,
            &format!("/api/v1/recommendations/{}", rec["id"].as_str().unwrap()),
            Some(&app.admin_token()),
            &json!(null),
        )
        .await
        .assert_problem(409, "conflict");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .starts_with("1 activity helps implement this recommendation; change it first"),
        "{refused}"
    );
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

/// A day in a year of five digits, or before year 1, is refused where it is written (by a
/// contributor's own draft, it used to stop the statistics and every annual report with a
/// 500), in JSON, in a bulk upload, in an edit and in a consent.
#[actix_web::test]
async fn days_outside_the_years_the_repository_holds_are_refused() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Org").await;
    for day in ["+99999-01-01", "-0001-01-01", "1899-12-31", "3000-01-01"] {
        let mut body = activity(&["KEN"], "Far away");
        body["planned_start"] = json!(day);
        let problem = app
            .send_json(Method::POST, PATH, Some(&token), &body)
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(
            problem["errors"][0]["pointer"], "/planned_start",
            "{problem}"
        );
        assert_eq!(problem["errors"][0]["code"], "out_of_range", "{problem}");
    }
    let csv = "title__en,states_concerned,status,actual_end\nFar,KEN,closed,+99999-01-01\n";
    let problem = app
        .upload_as("/api/v1/bulk/activities", "text/csv", csv, Some(&token))
        .await
        .assert_problem(422, "import_rejected");
    assert_eq!(
        problem["report"]["errors"][0]["column"], "actual_end",
        "{problem}"
    );
    let a = submit(&app, &token, &activity(&["KEN"], "Near")).await;
    let problem = app
        .send_json(
            Method::PATCH,
            &item(&a),
            Some(&token),
            &json!({"planned_end": "+10000-01-01"}),
        )
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["pointer"], "/planned_end", "{problem}");
    let kenya = app.token(Role::State, Some("KEN"), None);
    let problem = app
        .send_json(
            Method::POST,
            "/api/v1/consents",
            Some(&kenya),
            &json!({"decision": "granted", "scope": "all", "decided_at": "+20260-01-01T00:00:00Z"}),
        )
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["pointer"], "/decided_at", "{problem}");
    let mut offer = upr_tc_tests::offer("Far away");
    offer["period"]["start"] = json!("-0001-01-01");
    let problem = app
        .send_json(Method::POST, "/api/v1/offers", Some(&token), &offer)
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(
        problem["errors"][0]["pointer"], "/period/start",
        "{problem}"
    );
    // What is stored reads: the statistics and the report answer.
    app.get("/api/v1/statistics").await.assert_ok_json();
    app.get("/api/v1/reports/annual?year=2026")
        .await
        .assert_ok_json();
}

#[actix_web::test]
async fn edits_keep_the_submitter_and_honour_if_match() {
    let app = TestApp::spawn();
    let (org, token) = organisation(&app, "Org").await;
    let created = submit(&app, &token, &activity(&["KEN"], "Workshop")).await;
    let tag = {
        let reply = app.get_as(&item(&created), &token).await;
        reply.header("etag").unwrap().to_owned()
    };
    // A PUT without `submitter` keeps it.
    let mut body = activity(&["KEN"], "Workshop, second edition");
    body["status"] = json!("finalisation");
    let reply = app
        .send(
            upr_tc_tests::Request::put()
                .uri(&item(&created))
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("If-Match", tag.clone()))
                .set_json(&body),
        )
        .await;
    let replaced = reply.assert_ok_json();
    assert_eq!(replaced["submitter"], org.as_str());
    assert_eq!(replaced["version"], 2);
    // The old ETag is stale now.
    let reply = app
        .send(
            upr_tc_tests::Request::patch()
                .uri(&item(&created))
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("If-Match", tag))
                .set_json(json!({"status": "closed"})),
        )
        .await;
    reply.assert_problem(412, "precondition_failed");
    // Merge patch: `null` removes an optional field.
    let patched = app
        .send_json(
            Method::PATCH,
            &item(&created),
            Some(&token),
            &json!({"budget": null, "peer_to_peer": true}),
        )
        .await
        .assert_ok_json();
    assert!(
        patched.get("budget").is_none_or(Value::is_null),
        "{patched}"
    );
    assert_eq!(patched["peer_to_peer"], true);
    // The verdict is part of the ETag: consent changes it without a new version.
    let admin = app.admin_token();
    let before = app.get_as(&item(&created), &admin).await;
    consent(
        &app,
        &app.token(Role::State, Some("KEN"), None),
        json!({"decision": "granted", "scope": "all"}),
    )
    .await;
    let after = app.get_as(&item(&created), &admin).await;
    assert_eq!(before.json()["version"], after.json()["version"]);
    assert_ne!(before.header("etag"), after.header("etag"));
    let unchanged = app
        .send(
            upr_tc_tests::Request::get()
                .uri(&item(&created))
                .insert_header(("If-None-Match", after.header("etag").unwrap().to_owned())),
        )
        .await;
    assert_eq!(unchanged.status, 304);
}

#[actix_web::test]
async fn filters_narrow_the_list_and_unknown_values_are_400() {
    let app = TestApp::spawn();
    let (org, token) = organisation(&app, "Filter NGO").await;
    let funder = app
        .create(
            "/api/v1/stakeholders",
            &stakeholder("un_entity", None, "A funding agency"),
        )
        .await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let mut a = activity(&["KEN"], "Judges training");
    a["participants"] = json!([{"stakeholder": funder["id"], "role": "funding"}]);
    let a = submit(&app, &token, &a).await;
    let mut b = activity(&["KEN", "UGA"], "Prison monitoring");
    b["modality"] = json!("institution_building");
    b["status"] = json!("pipeline");
    b["themes"] = json!(["detention"]);
    b["sdg_targets"] = json!(["16.a"]);
    b["funding_sources"] = json!(["bilateral"]);
    b["good_practice"] = json!(false);
    b["peer_to_peer"] = json!(true);
    b["planned_start"] = json!("2027-03-01");
    b["planned_end"] = json!("2027-06-30");
    let b = submit(&app, &kenya, &b).await;
    let ids = |page: Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (a_id, b_id) = (
        a["id"].as_str().unwrap().to_owned(),
        b["id"].as_str().unwrap().to_owned(),
    );
    let admin = app.admin_token();
    let funder_id = funder["id"].as_str().unwrap();
    for (query, expected) in [
        ("", vec![&a_id, &b_id]),
        ("state=UGA", vec![&b_id]),
        ("state=ken", vec![&a_id, &b_id]),
        ("regional_group=african", vec![&a_id, &b_id]),
        ("regional_group=asia_pacific", vec![]),
        (&format!("stakeholder={funder_id}") as &str, vec![&a_id]),
        (
            &format!("stakeholder={funder_id}&role=funding"),
            vec![&a_id],
        ),
        (
            &format!("stakeholder={funder_id}&role=implementing"),
            vec![],
        ),
        (&format!("stakeholder={org}"), vec![&a_id]),
        ("role=funding", vec![&a_id]),
        ("submitter_kind=state", vec![&b_id]),
        ("submitter_kind=civil_society_organization", vec![&a_id]),
        ("theme=detention", vec![&b_id]),
        ("sdg_target=16.3", vec![&a_id]),
        ("modality=training", vec![&a_id]),
        ("status=pipeline", vec![&b_id]),
        ("funding_source=vftc", vec![&a_id]),
        ("good_practice=true", vec![&a_id]),
        ("peer_to_peer=true", vec![&b_id]),
        ("active_from=2027-01-01", vec![&b_id]),
        ("active_to=2026-12-31", vec![&a_id]),
        (
            "active_from=2026-06-01&active_to=2027-04-01",
            vec![&a_id, &b_id],
        ),
        ("q=prison", vec![&b_id]),
        ("awaiting_consent_of=UGA", vec![&b_id]),
        ("publication=submitted", vec![&a_id, &b_id]),
    ] {
        let page = app
            .get_as(&format!("{PATH}?{query}"), &admin)
            .await
            .assert_ok_json();
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(ids(page), expected, "{query}");
    }
    for bad in [
        "state=XXX",
        "theme=nothing",
        "modality=juggling",
        "funding_source=lottery",
        "sdg_target=99.9",
        "status=dreaming",
        "role=spectator",
        "active_from=yesterday",
        "active_from=2027-01-01&active_to=2026-01-01",
        "colour=blue",
    ] {
        let reply = app.get_as(&format!("{PATH}?{bad}"), &admin).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert_eq!(reply.content_type(), "application/problem+json");
    }
    // The consent queue is its State's and admin's.
    let uganda = app.token(Role::State, Some("UGA"), None);
    app.get_as(&format!("{PATH}?awaiting_consent_of=UGA"), &uganda)
        .await
        .assert_ok_json();
    for token in [&kenya, &token] {
        app.get_as(&format!("{PATH}?awaiting_consent_of=UGA"), token)
            .await
            .assert_problem(403, "forbidden");
    }
    app.get(&format!("{PATH}?awaiting_consent_of=UGA"))
        .await
        .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn bulk_upload_of_activities_and_an_export_that_imports_back() {
    let app = TestApp::spawn();
    let (org, token) = organisation(&app, "Bulk NGO").await;
    let partner = app
        .create(
            "/api/v1/stakeholders",
            &stakeholder("un_entity", None, "Partner agency"),
        )
        .await;
    let partner_id = partner["id"].as_str().unwrap();
    let csv = format!(
        "title__en,title__fr,states_concerned,status,participants,modality,planned_start,planned_end,budget_amount,budget_currency,funding_sources,themes,sdg_targets,good_practice,publication,external_refs\n\
         \"Training, judges\",Formation des juges,KEN,implementation,{partner_id}:funding,training,2026-02-01,2026-05-31,1200.50,eur,vftc,justice,16.3,yes,submitted,ngo-db:A-1\n\
         Legislative review,,KEN|UGA,pipeline,,legislative_advice,,,,,,,,no,draft,ngo-db:A-2\n"
    );
    let reply = app
        .upload_as(
            "/api/v1/bulk/activities",
            "text/csv",
            csv.clone(),
            Some(&token),
        )
        .await;
    let report = reply.assert_ok_json();
    assert_eq!(report["created"], 2, "{report}");
    let mine = app
        .get_as(&format!("{PATH}?stakeholder={org}"), &token)
        .await
        .assert_ok_json();
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["title"]["fr"], "Formation des juges");
    assert_eq!(
        items[0]["budget"],
        json!({"amount": "1200.50", "currency": "EUR"})
    );
    assert_eq!(items[0]["participants"][0]["role"], "funding");
    assert_eq!(items[0]["submitter"], org.as_str());
    assert_eq!(items[1]["states_concerned"], json!(["KEN", "UGA"]));
    // The same file again changes nothing.
    let again = app
        .upload_as("/api/v1/bulk/activities", "text/csv", csv, Some(&token))
        .await
        .assert_ok_json();
    assert_eq!(
        (again["created"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(2)),
        "{again}"
    );
    // Documents with a title and a language, which a CSV row cannot carry (only addresses).
    let documents = json!([
        {"url": "https://example.org/report.pdf", "title": "Final report", "language": "en"},
        {"url": "https://example.org/agenda.pdf"}
    ]);
    let first = format!("{PATH}/{}", items[0]["id"].as_str().unwrap());
    app.send_json(
        Method::PATCH,
        &first,
        Some(&token),
        &json!({"documents": documents}),
    )
    .await
    .assert_ok_json();
    // The CSV export imports back unchanged, its documents' titles and languages kept.
    let export = app
        .send(
            upr_tc_tests::Request::get()
                .uri(&format!("{PATH}?stakeholder={org}"))
                .insert_header(("Accept", "text/csv"))
                .insert_header(("Authorization", format!("Bearer {token}"))),
        )
        .await;
    assert_eq!(export.status, 200);
    let back = app
        .upload_as(
            "/api/v1/bulk/activities",
            "text/csv",
            export.body.clone(),
            Some(&token),
        )
        .await
        .assert_ok_json();
    assert_eq!(back["unchanged"], 2, "{back}");
    let text = String::from_utf8(export.body.clone()).unwrap();
    let edited = text.replace(
        "https://example.org/agenda.pdf",
        "https://example.org/agenda.pdf|https://example.org/minutes.pdf",
    );
    assert_ne!(edited, text);
    let back = app
        .upload_as("/api/v1/bulk/activities", "text/csv", edited, Some(&token))
        .await
        .assert_ok_json();
    assert_eq!(back["updated"], 1, "{back}");
    let kept = app.get_as(&first, &token).await.assert_ok_json();
    assert_eq!(kept["documents"][0], documents[0], "{kept}");
    assert_eq!(
        kept["documents"][2]["url"],
        "https://example.org/minutes.pdf"
    );
    // The NDJSON export imports back unchanged too: each line's `id` names the item it
    // updates, and what the service writes itself (`version`, `visibility`, …) is read past.
    let ndjson = app
        .send(
            upr_tc_tests::Request::get()
                .uri(&format!("{PATH}?stakeholder={org}&format=ndjson"))
                .insert_header(("Authorization", format!("Bearer {token}"))),
        )
        .await;
    assert_eq!(ndjson.status, 200);
    let back = app
        .upload_as(
            "/api/v1/bulk/activities",
            "application/x-ndjson",
            ndjson.body.clone(),
            Some(&token),
        )
        .await
        .assert_ok_json();
    assert_eq!(back["unchanged"], 2, "{back}");
    let edited = String::from_utf8(ndjson.body.clone())
        .unwrap()
        .replace("Legislative review", "Legislative review, edited");
    let back = app
        .upload_as(
            "/api/v1/bulk/activities",
            "application/x-ndjson",
            edited,
            Some(&token),
        )
        .await
        .assert_ok_json();
    assert_eq!(
        (back["updated"].as_u64(), back["created"].as_u64()),
        (Some(1), Some(0)),
        "{back}"
    );
    // Bad rows are listed with their line and column; atomic mode writes nothing.
    let bad = "title__en,states_concerned,status,planned_start\nGood,KEN,closed,2026-01-01\nBad,XXX,closed,2026-13-01\n";
    let reply = app
        .upload_as("/api/v1/bulk/activities", "text/csv", bad, Some(&token))
        .await;
    let problem = reply.assert_problem(422, "import_rejected");
    let errors = problem["report"]["errors"].as_array().unwrap();
    assert_eq!(errors[0]["line"], 3);
    assert_eq!(errors[0]["column"], "planned_start");
    assert_eq!(app.all(&format!("{PATH}?publication=draft")).await.len(), 0);
    let mine = app
        .get_as(&format!("{PATH}?stakeholder={org}"), &token)
        .await
        .assert_ok_json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn a_submitter_that_becomes_the_state_itself_needs_no_consent() {
    let app = TestApp::spawn();
    let (org, token) = organisation(&app, "Ministry of Justice").await;
    let a = submit(&app, &token, &activity(&["KEN"], "Prison reform")).await;
    app.get(&item(&a)).await.assert_problem(404, "not_found");
    // The registry corrects the stakeholder: it is Kenya's own government.
    let path = format!("/api/v1/stakeholders/{org}");
    let admin = app.admin_token();
    app.send_json(
        Method::PATCH,
        &path,
        Some(&admin),
        &json!({"kind": "state"}),
    )
    .await
    .assert_ok_json();
    let public = app.get(&item(&a)).await.assert_ok_json();
    assert_eq!(public["visibility"]["public"], true);
    let by_kind = app
        .get(&format!("{PATH}?submitter_kind=state"))
        .await
        .assert_ok_json();
    assert_eq!(by_kind["items"][0]["id"], a["id"]);
    // And back: hidden again.
    app.send_json(
        Method::PATCH,
        &path,
        Some(&admin),
        &json!({"kind": "civil_society_organization"}),
    )
    .await
    .assert_ok_json();
    app.get(&item(&a)).await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn a_states_first_dry_run_registers_nothing() {
    let app = TestApp::spawn();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let rows = format!("{}\n", activity(&["KEN"], "Planned"));
    let upload = |dry_run: bool| {
        upr_tc_tests::Request::post()
            .uri(&format!("/api/v1/bulk/activities?dry_run={dry_run}"))
            .insert_header(("Authorization", format!("Bearer {kenya}")))
            .insert_header(("Content-Type", "application/x-ndjson"))
            .set_payload(rows.clone())
    };
    let report = app.send(upload(true)).await.assert_ok_json();
    assert_eq!(
        (report["created"].as_u64(), report["dry_run"].as_bool()),
        (Some(1), Some(true)),
        "{report}"
    );
    assert!(app.all("/api/v1/stakeholders?kind=state").await.is_empty());
    let trail = app
        .get_as("/api/v1/audit", &app.admin_token())
        .await
        .assert_ok_json();
    assert!(trail["items"].as_array().unwrap().is_empty(), "{trail}");
    // The real upload registers Kenya and submits as it.
    let report = app.send(upload(false)).await.assert_ok_json();
    assert_eq!(report["created"], 1);
    let kenya_body = app.all("/api/v1/stakeholders?kind=state").await;
    assert_eq!(kenya_body.len(), 1);
    assert_eq!(app.all(PATH).await[0]["submitter"], kenya_body[0]["id"]);
}

/// An activity read once is kept whole while nothing is written
/// (`routes::support::kept_by_id`): the publication rule still decides, for each caller,
/// whoever read it first, and a consent granted or withdrawn is seen at the next read.
#[actix_web::test]
async fn a_kept_activity_is_shown_as_the_rule_says_and_consent_is_seen_at_once() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, org) = organisation(&app, "Kept NGO").await;
    let namibia = app.token(Role::State, Some("NAM"), None);
    let a = submit(&app, &org, &activity(&["NAM"], "Kept activity")).await;
    let path = item(&a);
    let others = [
        app.token(Role::State, Some("ZAF"), None),
        app.token(Role::Sync, None, None),
    ];
    for _ in 0..2 {
        let seen = app.get_as(&path, &admin).await.assert_ok_json();
        assert_eq!(seen["visibility"]["public"], false);
        app.get_as(&path, &namibia).await.assert_ok_json();
        app.get_as(&path, &org).await.assert_ok_json();
        app.assert_unseen(&path, &others).await;
    }
    consent(
        &app,
        &namibia,
        json!({"decision": "granted", "scope": "all"}),
    )
    .await;
    for _ in 0..2 {
        let seen = app.get(&path).await.assert_ok_json();
        assert_eq!(seen["visibility"]["public"], true);
    }
    consent(
        &app,
        &namibia,
        json!({"decision": "withdrawn", "scope": "all"}),
    )
    .await;
    app.assert_unseen(&path, &others).await;
    let seen = app.get_as(&path, &admin).await.assert_ok_json();
    assert_eq!(seen["visibility"]["public"], false);
}
