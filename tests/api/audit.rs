//! The audit trail: every write leaves an entry — who, when, what and how — and no entry can
//! be changed or removed.

use actix_web::http::Method;
use diesel::connection::SimpleConnection;
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc_tests::{Request, TestApp, count, json, recommendation, stakeholder};

async fn trail(app: &TestApp, query: &str) -> Vec<Value> {
    let token = app.admin_token();
    let mut items = Vec::new();
    let mut url = format!("/api/v1/audit?limit=200&{query}");
    loop {
        let page = app.get_as(&url, &token).await.assert_ok_json();
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/audit?limit=200&{query}&cursor={c}"),
            None => return items,
        }
    }
}

/// A recommendation of Kenya's, created: it and its path.
async fn ratify(app: &TestApp) -> (Value, String) {
    let rec = app
        .create(
            "/api/v1/recommendations",
            &recommendation("KEN", 8, "Ratify."),
        )
        .await;
    let path = format!("/api/v1/recommendations/{}", rec["id"].as_str().unwrap());
    (rec, path)
}

#[actix_web::test]
async fn every_write_leaves_an_entry() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (rec, rec_path) = ratify(&app).await;
    app.send_json(
        Method::PATCH,
        &rec_path,
        Some(&admin),
        &json!({"response": "noted"}),
    )
    .await
    .assert_ok_json();
    let mut body = recommendation("KEN", 8, "Ratify.");
    body["themes"] = json!(["justice"]);
    app.send_json(Method::PUT, &rec_path, Some(&admin), &body)
        .await
        .assert_ok_json();
    let reply = app
        .send(
            Request::delete()
                .uri(&rec_path)
                .insert_header(("Authorization", format!("Bearer {admin}"))),
        )
        .await;
    assert_eq!(reply.status, 204);

    let org = app
        .create(
            "/api/v1/stakeholders",
            &stakeholder("civil_society_organization", Some("KEN"), "Kituo"),
        )
        .await;
    let own = app.token(Role::Contributor, None, Some(org["id"].as_str().unwrap()));
    let org_path = format!("/api/v1/stakeholders/{}", org["id"].as_str().unwrap());
    app.send_json(
        Method::PATCH,
        &org_path,
        Some(&own),
        &json!({"languages": ["sw"]}),
    )
    .await
    .assert_ok_json();

    let csv =
        "state_under_review,session,text__en\nUGA,12,Adopt a law.\nFRA,15,Strengthen the NHRI.\n";
    app.upload("/api/v1/bulk/recommendations", "text/csv", csv)
        .await
        .assert_ok_json();

    let entries = trail(&app, "").await;
    let ops: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["entity"].as_str().unwrap().to_owned(),
                e["operation"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("recommendation", "create"),
        ("recommendation", "update"),
        ("recommendation", "update"),
        ("recommendation", "delete"),
        ("stakeholder", "create"),
        ("stakeholder", "update"),
        ("recommendation", "create"),
        ("recommendation", "create"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(ops, expected);

    let history: Vec<&Value> = entries
        .iter()
        .filter(|e| e["entity_id"] == rec["id"])
        .collect();
    assert_eq!(history.len(), 4);
    assert_eq!(history[0]["actor"], "tester");
    assert_eq!(history[0]["role"], "admin");
    assert_eq!(history[0]["changes"]["after"]["text"]["en"], "Ratify.");
    assert_eq!(
        history[1]["changes"]["changed"],
        json!({"response": {"before": "supported", "after": "noted"}}),
        "an update lists only what changed"
    );
    assert_eq!(
        history[2]["changes"]["changed"]["themes"]["after"],
        json!(["justice"])
    );
    let patch = history[1]["patch"].as_array().unwrap();
    let (times, rest): (Vec<&Value>, Vec<&Value>) =
        patch.iter().partition(|op| op["path"] == "/updated_at");
    assert_eq!(
        rest,
        [
            &json!({"op": "test", "path": "/response", "value": "supported"}),
            &json!({"op": "replace", "path": "/response", "value": "noted"}),
            &json!({"op": "test", "path": "/version", "value": 1}),
            &json!({"op": "replace", "path": "/version", "value": 2}),
        ],
        "an update is a JSON Patch whose tests hold the values before"
    );
    assert_eq!(times[0]["op"], "test");
    assert_eq!(
        times[0]["value"],
        history[0]["changes"]["after"]["updated_at"]
    );
    assert_eq!(times[1]["op"], "replace");
    assert!(history[0].get("patch").is_none() && history[3].get("patch").is_none());
    assert_eq!(history[3]["changes"]["before"]["id"], rec["id"]);
    let contributor = entries
        .iter()
        .find(|e| e["entity"] == "stakeholder" && e["operation"] == "update")
        .unwrap();
    assert_eq!(contributor["role"], "contributor");
    assert!(
        entries
            .windows(2)
            .all(|w| w[0]["seq"].as_i64() < w[1]["seq"].as_i64()),
        "in the order written"
    );
}

#[actix_web::test]
async fn refused_writes_leave_no_entry() {
    let app = TestApp::spawn();
    let state = app.token(Role::State, Some("KEN"), None);
    app.send_json(
        Method::POST,
        "/api/v1/recommendations",
        Some(&state),
        &recommendation("KEN", 8, "x"),
    )
    .await
    .assert_problem(403, "forbidden");
    let mut bad = recommendation("KEN", 8, "x");
    bad["session"] = json!(0);
    app.send_json(
        Method::POST,
        "/api/v1/recommendations",
        Some(&app.admin_token()),
        &bad,
    )
    .await
    .assert_problem(422, "validation_failed");
    let atomic = "state_under_review,session,text__en\nUGA,12,Good.\nXXX,12,Bad.\n";
    app.upload("/api/v1/bulk/recommendations", "text/csv", atomic)
        .await
        .assert_problem(422, "import_rejected");
    assert!(trail(&app, "").await.is_empty());
}

#[actix_web::test]
async fn the_trail_is_for_admin_only_and_filters() {
    let app = TestApp::spawn();
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let a = app
        .create("/api/v1/recommendations", &recommendation("KEN", 8, "A."))
        .await;
    app.create(
        "/api/v1/stakeholders",
        &stakeholder("academia", None, "University"),
    )
    .await;
    for token in [
        app.token(Role::State, Some("KEN"), None),
        app.token(Role::Sync, None, None),
    ] {
        app.get_as("/api/v1/audit", &token)
            .await
            .assert_problem(403, "forbidden");
    }
    app.get("/api/v1/audit")
        .await
        .assert_problem(401, "unauthorized");

    assert_eq!(trail(&app, "entity=stakeholder").await.len(), 1);
    assert_eq!(
        trail(&app, &format!("entity_id={}", a["id"].as_str().unwrap()))
            .await
            .len(),
        1
    );
    assert_eq!(trail(&app, "actor=tester").await.len(), 2);
    assert_eq!(trail(&app, "actor=someone-else").await.len(), 0);
    let from = before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(trail(&app, &format!("from={from}")).await.len(), 2);
    assert_eq!(trail(&app, &format!("to={from}")).await.len(), 0);
    app.get_as("/api/v1/audit?entity=planet", &app.admin_token())
        .await
        .assert_problem(400, "invalid_query");
}

#[actix_web::test]
async fn entries_cannot_be_changed_or_removed() {
    let app = TestApp::spawn();
    app.create("/api/v1/recommendations", &recommendation("KEN", 8, "A."))
        .await;
    let mut conn = app.service.state.pool.get().unwrap();
    assert!(
        conn.batch_execute("UPDATE audit_log SET actor = 'someone else'")
            .is_err()
    );
    assert!(conn.batch_execute("DELETE FROM audit_log").is_err());
    // A creation's entry is filled in once, with a document, and by nothing else: not
    // emptied, not filled with something else after.
    assert!(
        conn.batch_execute("UPDATE audit_log SET changes = NULL")
            .is_err()
    );
    assert!(
        conn.batch_execute("UPDATE audit_log SET changes = '{}', actor = 'someone else'")
            .is_err()
    );
    conn.batch_execute("UPDATE audit_log SET changes = '{\"after\": {}}'")
        .unwrap();
    assert!(
        conn.batch_execute("UPDATE audit_log SET changes = '{\"after\": 1}'")
            .is_err()
    );
    drop(conn);
    assert_eq!(trail(&app, "actor=tester").await.len(), 1);
}

/// A creation's entry keeps no copy of the item: it reads the item's first change in the feed.
/// Edits after it and a compaction of the feed leave it showing the item as created.
#[actix_web::test]
async fn a_creation_shows_the_item_as_created_after_edits_and_compaction() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let rec = app
        .create(
            "/api/v1/recommendations",
            &recommendation("KEN", 8, "First words."),
        )
        .await;
    let id = rec["id"].as_str().unwrap();
    let imported = app
        .upload(
            "/api/v1/bulk/recommendations",
            "application/x-ndjson",
            format!("{}\n", recommendation("KEN", 8, "Imported words.")),
        )
        .await;
    assert_eq!(imported.status, 200, "{}", imported.text());
    let stored_in_entries = |app: &TestApp| -> i64 {
        count(
            app,
            "SELECT COUNT(*) AS n FROM audit_log WHERE operation = 'create' AND changes IS NOT NULL",
        )
    };
    assert_eq!(stored_in_entries(&app), 0, "a creation keeps no copy");
    for text in ["Second words.", "Third words."] {
        let reply = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/recommendations/{id}"),
                Some(&admin),
                &json!({"text": {"en": text}}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    let created = |entries: &[Value]| -> Vec<Value> {
        entries
            .iter()
            .filter(|e| e["operation"] == "create")
            .map(|e| e["changes"]["after"]["text"]["en"].clone())
            .collect()
    };
    let before = trail(&app, "entity=recommendation").await;
    assert_eq!(
        created(&before),
        vec![json!("First words."), json!("Imported words.")]
    );
    {
        let mut conn = app.service.state.pool.get().unwrap();
        let later = chrono::Utc::now() + chrono::Duration::seconds(1);
        let done = upr_tc::db::changes::compact(&mut conn, later).unwrap();
        assert!(done.removed >= 2, "{done:?}");
    }
    // The edited item's first change is gone: its entry now holds the item; the other's does
    // not, its only change stays.
    assert_eq!(stored_in_entries(&app), 1);
    assert_eq!(trail(&app, "entity=recommendation").await, before);
}

/// The trail replays: an item's creation and its updates' patches, applied in order by an
/// RFC 6902 implementation of its own, give the item as the API serves it; a patch applies
/// only to the item as it was (its `test`s fail on any other version).
#[actix_web::test]
async fn the_trail_replays_to_the_item() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (rec, path) = ratify(&app).await;
    let edits = [
        json!({"response": "noted"}),
        json!({"text": {"en": "Ratify the Convention.", "fr": "Ratifier la Convention."}}),
        json!({"themes": ["justice", "torture_and_cid_treatment"], "response": "supported"}),
        json!({"text": {"en": "Ratify the Convention."}}),
    ];
    for edit in &edits {
        app.send_json(Method::PATCH, &path, Some(&admin), edit)
            .await
            .assert_ok_json();
    }
    let org = app
        .create(
            "/api/v1/stakeholders",
            &stakeholder("civil_society_organization", Some("KEN"), "Kituo"),
        )
        .await;
    let org_path = format!("/api/v1/stakeholders/{}", org["id"].as_str().unwrap());
    app.send_json(
        Method::PATCH,
        &org_path,
        Some(&admin),
        &json!({"languages": ["sw", "en"], "website": "https://kituo.example"}),
    )
    .await
    .assert_ok_json();

    for (item, path) in [(&rec, &path), (&org, &org_path)] {
        let entries = trail(&app, &format!("entity_id={}", item["id"].as_str().unwrap())).await;
        let mut doc = entries[0]["changes"]["after"].clone();
        let patches: Vec<json_patch::Patch> = entries[1..]
            .iter()
            .map(|e| serde_json::from_value(e["patch"].clone()).expect("an RFC 6902 patch"))
            .collect();
        for (i, patch) in patches.iter().enumerate() {
            if i > 0 {
                let mut first = entries[0]["changes"]["after"].clone();
                assert!(
                    json_patch::patch(&mut first, patch).is_err(),
                    "update {i} applies to the item as created"
                );
            }
            json_patch::patch(&mut doc, patch).expect("applies to the item as it was");
        }
        let now = app.get_as(path, &admin).await.assert_ok_json();
        assert_eq!(doc, now, "{path}");
    }
}

#[actix_web::test]
async fn activities_and_consent_records_are_in_the_trail() {
    use crate::activities::{consent, item, organisation, submit};
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Audited NGO").await;
    let a = submit(&app, &token, &upr_tc_tests::activity(&["KEN"], "Audited")).await;
    app.send_json(
        Method::PATCH,
        &item(&a),
        Some(&token),
        &json!({"status": "closed"}),
    )
    .await
    .assert_ok_json();
    let record = consent(
        &app,
        &app.token(Role::State, Some("KEN"), None),
        json!({"decision": "granted", "scope": "all"}),
    )
    .await;
    let reply = app
        .send(
            Request::delete()
                .uri(&item(&a))
                .insert_header(("Authorization", format!("Bearer {token}"))),
        )
        .await;
    assert_eq!(reply.status, 204);
    let id = a["id"].as_str().unwrap();
    let entries = trail(&app, &format!("entity=activity&entity_id={id}")).await;
    let operations: Vec<&str> = entries
        .iter()
        .map(|e| e["operation"].as_str().unwrap())
        .collect();
    assert_eq!(operations, ["create", "update", "delete"]);
    assert!(entries.iter().all(|e| e["role"] == "contributor"));
    assert_eq!(
        entries[1]["changes"]["changed"]["status"],
        json!({"before": "implementation", "after": "closed"})
    );
    let consents = trail(&app, "entity=consent").await;
    assert_eq!(consents.len(), 1);
    assert_eq!(consents[0]["entity_id"], record["id"]);
    assert_eq!(consents[0]["role"], "state");
    assert_eq!(consents[0]["changes"]["after"]["decision"], "granted");
}
