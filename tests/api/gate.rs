//! The ways around the consent gate, each closed: an organisation cannot make itself a State,
//! no answer tells an activity that exists but is hidden from one that does not, statistics
//! follow the rule, consent is recorded only for what a State may decide on, and a stored
//! record that does not read stops the request instead of being skipped.

use actix_web::http::Method;
use diesel::{ExpressionMethods, RunQueryDsl};
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc_tests::{TestApp, activity, count, json, stakeholder};

use crate::activities::{PATH, consent, item, organisation, submit};

const STAKEHOLDERS: &str = "/api/v1/stakeholders";

fn sql(app: &TestApp, statement: &str) {
    let mut conn = app.service.state.pool.get().unwrap();
    diesel::sql_query(statement)
        .execute(&mut **conn)
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

/// A merge patch as `token`.
async fn patch(app: &TestApp, path: &str, token: &str, body: &Value) -> upr_tc_tests::Reply {
    app.send_json(Method::PATCH, path, Some(token), body).await
}

/// A State's refusal by name stays with its activity: its submitter cannot publish the
/// activity by taking the refusing State off it, by an edit, a replacement or an upload. Put
/// back on, the State may change its mind (and the other State, whose grant by name was for
/// the content before, is asked again).
#[actix_web::test]
async fn taking_a_refusing_state_off_an_activity_does_not_publish_it() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Prison reform network").await;
    let malawi = app.token(Role::State, Some("MWI"), None);
    let zambia = app.token(Role::State, Some("ZMB"), None);
    let a = submit(
        &app,
        &token,
        &activity(&["MWI", "ZMB"], "Prison reform workshop"),
    )
    .await;
    let id = a["id"].as_str().unwrap();
    for (state, decision) in [(&malawi, "granted"), (&zambia, "refused")] {
        consent(
            &app,
            state,
            json!({"decision": decision, "scope": "activity", "activity_id": id}),
        )
        .await;
    }
    app.get(&item(&a)).await.assert_problem(404, "not_found");
    let edited = patch(
        &app,
        &item(&a),
        &token,
        &json!({"states_concerned": ["MWI"]}),
    )
    .await
    .assert_ok_json();
    assert_eq!(edited["visibility"]["public"], false, "{edited}");
    assert_eq!(
        edited["visibility"]["refused_by"],
        json!(["ZMB"]),
        "{edited}"
    );
    app.get(&item(&a)).await.assert_problem(404, "not_found");
    assert_eq!(app.all(PATH).await.len(), 0);
    // Replaced whole, or uploaded again, it stays hidden.
    let mut whole = edited.clone();
    for field in ["id", "version", "created_at", "updated_at", "visibility"] {
        whole.as_object_mut().unwrap().remove(field);
    }
    whole["summary"] = json!({"en": "Replaced whole"});
    let replaced = app
        .send_json(Method::PUT, &item(&a), Some(&token), &whole)
        .await
        .assert_ok_json();
    assert_eq!(replaced["visibility"]["public"], false, "{replaced}");
    let upload = "title__en,states_concerned,status,planned_start,publication,summary__en\n\
                  Prison reform workshop,MWI,implementation,2026-01-15,submitted,Uploaded again\n";
    let report = app
        .upload_as("/api/v1/bulk/activities", "text/csv", upload, Some(&token))
        .await
        .assert_ok_json();
    assert_eq!(report["updated"], 1, "{report}");
    app.get(&item(&a)).await.assert_problem(404, "not_found");
    assert_eq!(app.all(PATH).await.len(), 0);
    // Zambia put back on, it may grant, and the activity is public.
    patch(
        &app,
        &item(&a),
        &token,
        &json!({"states_concerned": ["MWI", "ZMB"]}),
    )
    .await
    .assert_ok_json();
    consent(
        &app,
        &zambia,
        json!({"decision": "granted", "scope": "activity", "activity_id": id}),
    )
    .await;
    // Replaced and uploaded since Malawi granted it by name, it awaits Malawi's word on what it
    // says now.
    let awaiting = app.get_as(&item(&a), &token).await.assert_ok_json();
    assert_eq!(
        awaiting["visibility"]["awaiting_consent_of"],
        json!(["MWI"]),
        "{awaiting}"
    );
    consent(
        &app,
        &malawi,
        json!({"decision": "granted", "scope": "activity", "activity_id": id}),
    )
    .await;
    app.get(&item(&a)).await.assert_ok_json();
}

/// A State taken off an activity it refused by name keeps its refusal its own: it reads its
/// record, and may lift the refusal without being put back on, but not make it again; a State
/// that never decided on the activity still may not decide on it, and one that granted it
/// before it was taken off may not refuse it since.
#[actix_web::test]
async fn a_state_taken_off_an_activity_it_refused_may_lift_its_refusal() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Mistagged NGO").await;
    let zambia = app.token(Role::State, Some("ZMB"), None);
    let a = submit(
        &app,
        &token,
        &activity(&["MWI", "ZMB"], "Mistagged workshop"),
    )
    .await;
    let id = a["id"].as_str().unwrap();
    let by_name =
        |decision: &str| json!({"decision": decision, "scope": "activity", "activity_id": id});
    // The submitter names the States the activity concerns.
    let concerning = |states: &'static [&'static str]| {
        let (app, path, token) = (&app, item(&a), token.clone());
        async move {
            patch(app, &path, &token, &json!({ "states_concerned": states }))
                .await
                .assert_ok_json();
        }
    };
    let malawi = app.token(Role::State, Some("MWI"), None);
    consent(&app, &malawi, by_name("granted")).await;
    let refusal = consent(&app, &zambia, by_name("refused")).await;
    concerning(&["MWI"]).await;
    app.get(&item(&a)).await.assert_problem(404, "not_found");
    // Its record is still Zambia's to read, by id and in its list.
    let record = format!("/api/v1/consents/{}", refusal["id"].as_str().unwrap());
    app.get_as(&record, &zambia).await.assert_ok_json();
    let listed = app.all_as("/api/v1/consents?state=ZMB", &zambia).await;
    assert!(
        listed.iter().any(|r| r["id"] == refusal["id"]),
        "{listed:?}"
    );
    // The statistics, counted while it is hidden, and kept up to date from here.
    let malawi_counted = || async {
        let stats = app.get("/api/v1/statistics").await.assert_ok_json();
        let table = stats["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "activities_by_state")
            .unwrap()
            .clone();
        table["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r[0] == "MWI")
            .map_or(json!(0), |r| r[2].clone())
    };
    assert_eq!(malawi_counted().await, 0);
    // Zambia lifts its refusal: the activity is public, and counted; the version a lift names
    // is not checked (nor told to Zambia, which may not read the activity). What no longer
    // concerns it, it may not refuse again, nor Malawi, taken off after its grant.
    let mut lift = by_name("granted");
    lift["activity_version"] = json!(99);
    let lifted = consent(&app, &zambia, lift).await;
    assert_eq!(lifted["granted_content"], "", "for no content: {lifted}");
    app.get(&item(&a)).await.assert_ok_json();
    assert_eq!(malawi_counted().await, 1);
    // Put back on, Zambia is asked again: its lift was for no content it read.
    concerning(&["ZMB"]).await;
    let seen = app
        .get_as(&item(&a), &app.admin_token())
        .await
        .assert_ok_json();
    assert_eq!(
        seen["visibility"]["awaiting_consent_of"],
        json!(["ZMB"]),
        "{seen}"
    );
    assert!(
        seen["visibility"]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("lifted its refusal"),
        "{seen}"
    );
    consent(&app, &zambia, by_name("granted")).await;
    app.get(&item(&a)).await.assert_ok_json();
    concerning(&["TZA"]).await;
    let tanzania = app.token(Role::State, Some("TZA"), None);
    consent(&app, &tanzania, by_name("granted")).await;
    app.get(&item(&a)).await.assert_ok_json();
    for (state, decision) in [
        (&zambia, "withdrawn"),
        (&zambia, "refused"),
        (&malawi, "refused"),
        (&malawi, "withdrawn"),
    ] {
        let problem = app
            .send_json(
                Method::POST,
                "/api/v1/consents",
                Some(state),
                &by_name(decision),
            )
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["code"], "not_concerned", "{problem}");
        assert_eq!(problem["errors"][0]["pointer"], "/decision", "{problem}");
    }
    app.get(&item(&a)).await.assert_ok_json();
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM consents"),
        5,
        "nothing written of the refused decisions"
    );
    // A State that never decided on it, and is not concerned, still may not.
    let uganda = app.token(Role::State, Some("UGA"), None);
    let problem = app
        .send_json(
            Method::POST,
            "/api/v1/consents",
            Some(&uganda),
            &by_name("granted"),
        )
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(
        problem["errors"][0]["code"], "unknown_activity",
        "{problem}"
    );
    app.get_as(&record, &uganda)
        .await
        .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn a_contributor_cannot_make_itself_a_state() {
    let app = TestApp::spawn();
    let (org, token) = organisation(&app, "Would-be Ministry").await;
    let hidden = submit(&app, &token, &activity(&["TZA"], "Prison monitoring")).await;
    assert_eq!(hidden["visibility"]["public"], false);
    let path = format!("{STAKEHOLDERS}/{org}");
    for (how, method, body) in [
        (
            "kind and country",
            Method::PATCH,
            json!({"kind": "state", "country": "TZA"}),
        ),
        ("kind alone", Method::PATCH, json!({"kind": "state"})),
        ("country alone", Method::PATCH, json!({"country": "TZA"})),
        (
            "a replacement",
            Method::PUT,
            stakeholder("state", Some("TZA"), "Would-be Ministry"),
        ),
    ] {
        app.send_json(method, &path, Some(&token), &body)
            .await
            .assert_problem(403, "forbidden");
        let now = app.get(&path).await.assert_ok_json();
        assert_eq!(now["kind"], "civil_society_organization", "{how}");
        assert_eq!(now["country"], "KEN", "{how}");
    }
    // Still hidden from the public, and Tanzania's token submits as a stakeholder of its own.
    app.get(&item(&hidden))
        .await
        .assert_problem(404, "not_found");
    let tanzania = app.token(Role::State, Some("TZA"), None);
    let own = submit(&app, &tanzania, &activity(&["TZA"], "National plan")).await;
    assert_ne!(own["submitter"], org.as_str());
    assert_eq!(own["visibility"]["public"], true);
}

#[actix_web::test]
async fn a_states_body_cannot_become_the_state() {
    let app = TestApp::spawn();
    let nmirf = app
        .create(
            STAKEHOLDERS,
            &stakeholder("nmirf", Some("KEN"), "Kenya NMIRF"),
        )
        .await;
    let path = format!("{STAKEHOLDERS}/{}", nmirf["id"].as_str().unwrap());
    let kenya = app.token(Role::State, Some("KEN"), None);
    // Kenya edits its own body, but not into the State itself.
    patch(&app, &path, &kenya, &json!({"kind": "state"}))
        .await
        .assert_problem(403, "forbidden");
    let renamed = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&kenya),
            &json!({"name": {"fr": "Mécanisme national"}}),
        )
        .await
        .assert_ok_json();
    assert_eq!(renamed["kind"], "nmirf");
}

#[actix_web::test]
async fn a_state_has_one_own_stakeholder_bound_by_admin_or_first_use() {
    let app = TestApp::spawn();
    let bound = app
        .create(
            STAKEHOLDERS,
            &stakeholder("state", Some("KEN"), "Republic of Kenya"),
        )
        .await;
    // A second one for the same State is refused, whoever registers it and however named.
    let admin = app.admin_token();
    app.send_json(
        Method::POST,
        STAKEHOLDERS,
        Some(&admin),
        &stakeholder("state", Some("KEN"), "Kenya (government)"),
    )
    .await
    .assert_problem(409, "conflict");
    // Nor can admin turn another organisation into it while the first is bound.
    let other = app
        .create(
            STAKEHOLDERS,
            &stakeholder("other", Some("KEN"), "Kenya Office"),
        )
        .await;
    let other_path = format!("{STAKEHOLDERS}/{}", other["id"].as_str().unwrap());
    patch(&app, &other_path, &admin, &json!({"kind": "state"}))
        .await
        .assert_problem(409, "conflict");
    // Kenya's token submits as the one admin bound.
    let kenya = app.token(Role::State, Some("KEN"), None);
    let own = submit(&app, &kenya, &activity(&["KEN"], "Own plan")).await;
    assert_eq!(own["submitter"], bound["id"]);
    assert_eq!(own["visibility"]["public"], true);
    // admin may bind another once the first is no longer the State's: its activities follow.
    let bound_path = format!("{STAKEHOLDERS}/{}", bound["id"].as_str().unwrap());
    patch(&app, &bound_path, &admin, &json!({"kind": "other"}))
        .await
        .assert_ok_json();
    app.get(&item(&own)).await.assert_problem(404, "not_found");
    patch(&app, &other_path, &admin, &json!({"kind": "state"}))
        .await
        .assert_ok_json();
    let next = submit(&app, &kenya, &activity(&["KEN"], "Next plan")).await;
    assert_eq!(next["submitter"], other["id"]);
}

#[actix_web::test]
async fn another_submitters_partner_key_is_not_taken() {
    let app = TestApp::spawn();
    let (_, first) = organisation(&app, "First NGO").await;
    let (_, second) = organisation(&app, "Second NGO").await;
    let mut body = activity(&["KEN"], "Keyed");
    body["external_refs"] = json!([{"source": "impact-oss", "external_id": "A-1"}]);
    let hidden = submit(&app, &first, &body).await;
    // The second submitter uses the same key: created, nothing said of the first's activity.
    let mut theirs = activity(&["KEN"], "Keyed too");
    theirs["external_refs"] = body["external_refs"].clone();
    let created = submit(&app, &second, &theirs).await;
    assert_ne!(created["id"], hidden["id"]);
    // Each submitter's upload finds its own activity by the key, and only its own.
    let ndjson = |title: &str| {
        let mut row = activity(&["KEN"], title);
        row["external_refs"] = body["external_refs"].clone();
        format!("{row}\n")
    };
    let report = app
        .upload_as(
            "/api/v1/bulk/activities",
            "application/x-ndjson",
            ndjson("Keyed, renamed"),
            Some(&first),
        )
        .await
        .assert_ok_json();
    assert_eq!(report["updated"], 1, "{report}");
    let mine = app.get_as(&item(&hidden), &first).await.assert_ok_json();
    assert_eq!(mine["title"]["en"], "Keyed, renamed");
    let untouched = app.get_as(&item(&created), &second).await.assert_ok_json();
    assert_eq!(untouched["title"]["en"], "Keyed too");
}

/// The rows a bulk upload rejected, without their line numbers.
fn rejections(report: &Value) -> Vec<Value> {
    report["errors"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.as_object_mut().unwrap().remove("line");
            e
        })
        .collect()
}

#[actix_web::test]
async fn a_bulk_id_of_a_hidden_activity_reads_as_an_unknown_one() {
    let app = TestApp::spawn();
    let (_, first) = organisation(&app, "First NGO").await;
    let (_, second) = organisation(&app, "Second NGO").await;
    let hidden = submit(&app, &first, &activity(&["KEN"], "Hidden")).await;
    let csv = |id: &str, title: &str| {
        format!(
            "id,title__en,states_concerned,status,publication\n{id},{title},KEN,implementation,submitted\n"
        )
    };
    let unknown = uuid::Uuid::now_v7().to_string();
    let mut answers = Vec::new();
    for id in [hidden["id"].as_str().unwrap(), unknown.as_str()] {
        let report = app
            .upload_as(
                "/api/v1/bulk/activities?dry_run=true&mode=partial",
                "text/csv",
                csv(id, "Probe"),
                Some(&second),
            )
            .await
            .assert_ok_json();
        assert_eq!(report["rejected"], 1, "{report}");
        assert_eq!(report["created"], 0, "{report}");
        assert_eq!(report["errors"][0]["code"], "forbidden", "{report}");
        assert!(!report.to_string().contains(id), "names no id: {report}");
        answers.push(rejections(&report));
    }
    assert_eq!(answers[0], answers[1], "the same answer for both");
    // Its own id is updated as before, and admin still creates under an id it chooses.
    let report = app
        .upload_as(
            "/api/v1/bulk/activities?mode=partial",
            "text/csv",
            csv(hidden["id"].as_str().unwrap(), "Hidden edited"),
            Some(&first),
        )
        .await
        .assert_ok_json();
    assert_eq!(report["updated"], 1, "{report}");
    let submitter = hidden["submitter"].as_str().unwrap();
    let report = app
        .upload(
            "/api/v1/bulk/activities?mode=partial",
            "text/csv",
            format!(
                "id,title__en,states_concerned,status,submitter\n{unknown},Restored,KEN,implementation,{submitter}\n"
            ),
        )
        .await
        .assert_ok_json();
    assert_eq!(report["created"], 1, "{report}");
    app.get_as(&format!("{PATH}/{unknown}"), &app.admin_token())
        .await
        .assert_ok_json();
}

#[actix_web::test]
async fn consent_statistics_are_public_only_for_the_public() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Counted NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    submit(&app, &token, &activity(&["KEN"], "Awaiting")).await;
    let refused = submit(&app, &token, &activity(&["KEN"], "Refused")).await;
    let granted = submit(&app, &token, &activity(&["KEN"], "Granted")).await;
    for (a, decision) in [(&refused, "refused"), (&granted, "granted")] {
        consent(
            &app,
            &kenya,
            json!({"decision": decision, "scope": "activity", "activity_id": a["id"]}),
        )
        .await;
    }
    let path = "/api/v1/states/KEN/consent";
    let uganda = app.token(Role::State, Some("UGA"), None);
    let sync = app.token(Role::Sync, None, None);
    for (who, reply) in [
        ("anonymous", app.get(path).await),
        ("sync", app.get_as(path, &sync).await),
        ("another State", app.get_as(path, &uganda).await),
        ("the submitter", app.get_as(path, &token).await),
    ] {
        let counts = reply.assert_ok_json()["counts"].clone();
        assert_eq!(counts, json!({"public": 1}), "{who}");
    }
    for (who, token) in [("Kenya", &kenya), ("admin", &app.admin_token())] {
        let counts = app.get_as(path, token).await.assert_ok_json()["counts"].clone();
        assert_eq!(
            counts,
            json!({"public": 1, "awaiting": 1, "refused": 1}),
            "{who}"
        );
    }
}

#[actix_web::test]
async fn consent_is_recorded_only_for_a_submitted_activity_concerning_the_state() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Drafting NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let mut draft = activity(&["KEN"], "Draft");
    draft["publication"] = json!("draft");
    let draft = submit(&app, &token, &draft).await;
    let elsewhere = submit(&app, &token, &activity(&["UGA"], "Elsewhere")).await;
    let unknown = json!(uuid::Uuid::now_v7().to_string());
    let mut answers = Vec::new();
    for id in [&draft["id"], &elsewhere["id"], &unknown] {
        let body = json!({"decision": "granted", "scope": "activity", "activity_id": id});
        let reply = app
            .send_json(Method::POST, "/api/v1/consents", Some(&kenya), &body)
            .await;
        let problem = reply.assert_problem(422, "validation_failed");
        let errors = problem["errors"].clone();
        assert_eq!(errors[0]["pointer"], "/activity_id", "{problem}");
        assert_eq!(errors[0]["code"], "unknown_activity", "{problem}");
        answers.push(errors[0]["code"].clone());
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
    // Submitted, it is Kenya's to decide.
    let mut submitted = json!({"publication": "submitted"});
    submitted = app
        .send_json(Method::PATCH, &item(&draft), Some(&token), &submitted)
        .await
        .assert_ok_json();
    consent(
        &app,
        &kenya,
        json!({"decision": "granted", "scope": "activity", "activity_id": submitted["id"]}),
    )
    .await;
    app.get(&item(&draft)).await.assert_ok_json();
}

#[actix_web::test]
async fn a_consent_record_that_does_not_read_stops_the_write() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Closed NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let a = submit(&app, &token, &activity(&["KEN"], "Guarded")).await;
    consent(&app, &kenya, json!({"decision": "granted", "scope": "all"})).await;
    app.get(&item(&a)).await.assert_ok_json();
    // A withdrawal stored in a form this code did not write: skipping it would leave the
    // grant in force. The database refuses it (`consents_target_check`); one that got in
    // anyway, with the check set aside, stops the write all the same.
    let insert = "INSERT INTO consents (id, state, decision, scope, target, document, recorded_at) \
         VALUES ('0192f000-0000-7000-8000-000000000001', 'KEN', 'withdrawn', 'all', 'x', '{}', \
         '2026-11-29T00:00:00Z')";
    let mut conn = app.service.state.pool.get().unwrap();
    diesel::sql_query(insert)
        .execute(&mut **conn)
        .expect_err("the database refuses a target for scope `all`");
    let unchecked = match &**conn {
        upr_tc::db::DbConnection::Sqlite(_) => format!(
            "PRAGMA ignore_check_constraints = ON; {insert}; PRAGMA ignore_check_constraints = OFF;"
        ),
        upr_tc::db::DbConnection::Postgres(_) => {
            format!("ALTER TABLE consents DROP CONSTRAINT consents_target_check; {insert};")
        }
    };
    diesel::connection::SimpleConnection::batch_execute(&mut **conn, &unchecked).unwrap();
    drop(conn);
    let reply = app
        .send_json(
            Method::POST,
            "/api/v1/consents",
            Some(&kenya),
            &json!({"decision": "granted", "scope": "all"}),
        )
        .await;
    reply.assert_problem(500, "internal_error");
    // Nothing was written: the grant and the unreadable record only.
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM consents"), 2);
}

/// Runs a statement the database must refuse.
fn refused(app: &TestApp, statement: &str) {
    let mut conn = app.service.state.pool.get().unwrap();
    let error = diesel::sql_query(statement)
        .execute(&mut **conn)
        .expect_err(statement);
    let said = error.to_string().to_lowercase();
    assert!(said.contains("json"), "{statement}: {error}");
}

#[actix_web::test]
async fn an_audit_entry_that_does_not_read_is_an_error() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    app.create(STAKEHOLDERS, &stakeholder("other", Some("KEN"), "Fed"))
        .await;
    // An entry of a known kind, which the database's checks let through, whose JSON is cut
    // short: the trail is read into values as it is served.
    sql(
        &app,
        "INSERT INTO audit_log (at, actor, role, entity, entity_id, operation, changes) \
         VALUES ('2026-11-29T00:00:00Z', 'x', 'admin', 'stakeholder', \
         '0192f000-0000-7000-8000-000000000001', 'create', '{\"after\": ')",
    );
    app.get_as("/api/v1/audit", &admin)
        .await
        .assert_problem(500, "internal_error");
}

/// What is sent as stored (an item by id, a page of a list, the feed's upserts) is not read
/// again as it is sent: the database refuses a document, or a change's copy of one, that is
/// not JSON, whoever writes it (`documents_are_json`). What was stored is served unchanged.
#[actix_web::test]
async fn a_document_that_is_not_json_is_refused_by_the_database() {
    let app = TestApp::spawn();
    let kept = app
        .create(
            "/api/v1/recommendations",
            &upr_tc_tests::recommendation("KEN", 40, "Cut short"),
        )
        .await;
    let stakeholder = app
        .create(STAKEHOLDERS, &stakeholder("other", Some("KEN"), "Fed"))
        .await;
    for (table, id) in [("recommendations", &kept), ("stakeholders", &stakeholder)] {
        refused(
            &app,
            &format!(
                "UPDATE {table} SET document = '{{\"id\": ' WHERE id = '{}'",
                id["id"].as_str().unwrap()
            ),
        );
    }
    // A copy of the row under another id and key, its document cut short.
    refused(
        &app,
        &format!(
            "INSERT INTO recommendations (id, state_under_review, cycle, session, response, \
             action_category, natural_key, search_text, document, version, created_at, \
             updated_at) SELECT '0192f000-0000-7000-8000-000000000009', state_under_review, \
             cycle, session, response, action_category, 'another key', search_text, \
             '{{\"id\": ', version, created_at, updated_at FROM recommendations WHERE id = '{}'",
            kept["id"].as_str().unwrap()
        ),
    );
    for (data, public) in [("'{\"id\": '", "NULL"), ("NULL", "'[1,'")] {
        refused(
            &app,
            &format!(
                "INSERT INTO changes (entity, entity_id, at, op, data, public_op, public_data, \
                 item_seq) VALUES ('activity', '0192f000-0000-7000-8000-000000000001', \
                 '2026-11-29T00:00:00Z', 'upsert', {data}, 'upsert', {public}, 1)"
            ),
        );
    }
    let path = format!("/api/v1/recommendations/{}", kept["id"].as_str().unwrap());
    let item = app.get(&path).await.assert_ok_json();
    assert_eq!(item, kept);
    let list = app
        .get("/api/v1/recommendations?state_under_review=KEN")
        .await
        .assert_ok_json();
    assert_eq!(list["items"][0], kept);
    let feed = app.get("/api/v1/changes").await.assert_ok_json();
    assert_eq!(feed["items"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn verdicts_of_an_older_rule_are_computed_again_at_start() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Re-ruled NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let a = submit(&app, &token, &activity(&["KEN"], "Re-ruled")).await;
    // Granted by name, then a blanket withdrawal: hidden under the current rule (the older
    // one let the narrower grant stand).
    consent(
        &app,
        &kenya,
        json!({"decision": "granted", "scope": "activity", "activity_id": a["id"]}),
    )
    .await;
    consent(
        &app,
        &kenya,
        json!({"decision": "withdrawn", "scope": "all"}),
    )
    .await;
    app.get(&item(&a)).await.assert_problem(404, "not_found");
    // A database whose verdicts an older rule stored.
    {
        use upr_tc::db::schema::{activities::dsl as a, instance::dsl as i};
        let mut conn = app.service.state.pool.get().unwrap();
        diesel::update(a::activities)
            .set(a::public.eq(true))
            .execute(&mut **conn)
            .unwrap();
        diesel::update(i::instance)
            .set(i::rule_version.eq(1))
            .execute(&mut **conn)
            .unwrap();
    }
    assert_eq!(app.all(PATH).await.len(), 1, "the stale verdict is served");
    let mut conn = app.service.state.pool.get().unwrap();
    conn.migrate().unwrap();
    drop(conn);
    assert_eq!(app.all(PATH).await.len(), 0, "computed again at start");
    app.get(&item(&a)).await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn a_contributor_token_does_not_speak_for_a_state() {
    let app = TestApp::spawn();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let own = submit(&app, &kenya, &activity(&["KEN", "UGA"], "Kenya's own")).await;
    let bound = own["submitter"].as_str().unwrap();
    // A contributor token naming Kenya's own stakeholder (an identity provider may issue one).
    let posing = app.token(Role::Contributor, None, Some(bound));
    let body = activity(&["KEN"], "Posing as Kenya");
    app.send_json(Method::POST, PATH, Some(&posing), &body)
        .await
        .assert_problem(403, "forbidden");
    // It awaits Uganda's consent: hidden from the posing token as from any organisation.
    patch(
        &app,
        &item(&own),
        &posing,
        &json!({"title": {"en": "Changed"}}),
    )
    .await
    .assert_problem(404, "not_found");
    app.upload_as(
        "/api/v1/bulk/activities",
        "application/x-ndjson",
        format!("{body}\n"),
        Some(&posing),
    )
    .await
    .assert_problem(403, "forbidden");
    patch(
        &app,
        &format!("{STAKEHOLDERS}/{bound}"),
        &posing,
        &json!({"website": "https://example.net"}),
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM activities"), 1);
    // Kenya's own token still edits its activity.
    patch(
        &app,
        &item(&own),
        &kenya,
        &json!({"title": {"en": "Changed by Kenya"}}),
    )
    .await
    .assert_ok_json();
}

/// What a State's own stakeholder submits is the State's: a contributor token naming that
/// stakeholder reads none of it that the public does not (its drafts, what awaits another
/// State's consent and that State's refusal by name, its draft offers, its contact), while
/// the State's own token reads its drafts, offers and records (and `admin` the contact).
#[actix_web::test]
async fn a_contributor_token_does_not_read_for_a_state() {
    let app = TestApp::spawn();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let uganda = app.token(Role::State, Some("UGA"), None);
    let public = submit(&app, &kenya, &activity(&["KEN"], "Kenya's public")).await;
    let mut body = activity(&["KEN"], "Kenya's draft");
    body["publication"] = json!("draft");
    let draft = submit(&app, &kenya, &body).await;
    let shared = submit(&app, &kenya, &activity(&["KEN", "UGA"], "Kenya and Uganda")).await;
    let refusal = consent(
        &app,
        &uganda,
        json!({"decision": "refused", "scope": "activity", "activity_id": shared["id"]}),
    )
    .await;
    let bound = public["submitter"].as_str().unwrap().to_owned();
    let mut offer = upr_tc_tests::offer("Kenya's draft offer");
    offer["status"] = json!("draft");
    let made = app
        .send_json(Method::POST, "/api/v1/offers", Some(&kenya), &offer)
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let made = made.json();
    assert_eq!(made["stakeholder"], bound.as_str());
    let offer_path = format!("/api/v1/offers/{}", made["id"].as_str().unwrap());
    patch(
        &app,
        &format!("{STAKEHOLDERS}/{bound}"),
        &kenya,
        &json!({"contact": {"name": "Focal point", "email": "focal@example.org"}}),
    )
    .await
    .assert_ok_json();
    let posing = app.token(Role::Contributor, None, Some(&bound));
    let (_, stranger) = organisation(&app, "Another NGO").await;
    let titles = |items: Vec<Value>| -> Vec<String> {
        let mut titles: Vec<String> = items
            .iter()
            .map(|a| a["title"]["en"].as_str().unwrap().to_owned())
            .collect();
        titles.sort();
        titles
    };
    // Kenya reads all of it; the posing token as much as another organisation's, the public's.
    assert_eq!(
        titles(app.all_as(PATH, &kenya).await),
        ["Kenya and Uganda", "Kenya's draft", "Kenya's public"]
    );
    for token in [&posing, &stranger] {
        assert_eq!(titles(app.all_as(PATH, token).await), ["Kenya's public"]);
        for hidden in [&draft, &shared] {
            app.get_as(&item(hidden), token)
                .await
                .assert_problem(404, "not_found");
        }
        app.get_as(&offer_path, token)
            .await
            .assert_problem(404, "not_found");
        assert!(app.all_as("/api/v1/offers", token).await.is_empty());
        let records = app.all_as("/api/v1/consents", token).await;
        assert!(
            records.iter().all(|r| r["id"] != refusal["id"]),
            "{records:?}"
        );
        let seen = app
            .get_as(&format!("{STAKEHOLDERS}/{bound}"), token)
            .await
            .assert_ok_json();
        assert!(seen.get("contact").is_none_or(Value::is_null), "{seen}");
    }
    app.get_as(&item(&draft), &kenya).await.assert_ok_json();
    app.get_as(&offer_path, &kenya).await.assert_ok_json();
    assert_eq!(app.all_as("/api/v1/offers", &kenya).await.len(), 1);
    let records = app.all_as("/api/v1/consents", &kenya).await;
    assert!(records.iter().any(|r| r["id"] == refusal["id"]));
    let seen = app
        .get_as(&format!("{STAKEHOLDERS}/{bound}"), &app.admin_token())
        .await
        .assert_ok_json();
    assert_eq!(seen["contact"]["email"], "focal@example.org");
}

#[actix_web::test]
async fn hidden_activities_do_not_move_the_ranking_of_public_ones() {
    let app = TestApp::spawn();
    // Two public activities (a State's own), each holding both words three times in all.
    let kenya = app.token(Role::State, Some("KEN"), None);
    let first = submit(&app, &kenya, &activity(&["KEN"], "zebra zebra quokka")).await;
    let second = submit(&app, &kenya, &activity(&["KEN"], "zebra quokka quokka")).await;
    let order = |page: Value| -> Vec<Value> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].clone())
            .collect()
    };
    let search = format!("{PATH}?q=zebra%20quokka");
    let before = order(app.get(&search).await.assert_ok_json());
    assert_eq!(before, [first["id"].clone(), second["id"].clone()]);
    // Hidden activities full of one of the words: drafts, and one awaiting consent.
    let (_, token) = organisation(&app, "Hidden words NGO").await;
    for i in 0..6 {
        let mut body = activity(&["TZA"], &format!("zebra zebra zebra {i}"));
        if i > 0 {
            body["publication"] = json!("draft");
        }
        submit(&app, &token, &body).await;
    }
    let after = order(app.get(&search).await.assert_ok_json());
    assert_eq!(
        after, before,
        "the public order says nothing of hidden activities"
    );
}

/// A ranked search's pages stop at the last item it found: hidden items made since, found or
/// not, move neither its cursor nor its page's ETag (the cursor would tell anyone that a
/// hidden item was made, and when), and a client paging through sees each item once.
#[actix_web::test]
async fn a_ranked_search_cursor_does_not_move_with_hidden_writes() {
    let app = TestApp::spawn();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let mut public = Vec::new();
    for i in 0..3 {
        let title = format!("pangolin census {i}");
        public.push(submit(&app, &kenya, &activity(&["KEN"], &title)).await["id"].clone());
    }
    let search = format!("{PATH}?q=pangolin&limit=1");
    let first = app.get(&search).await;
    let (cursor, etag) = (
        first.json()["next_cursor"].as_str().unwrap().to_owned(),
        first.header("etag").unwrap().to_owned(),
    );
    // Hidden activities, with the word and without: drafts, and one awaiting consent.
    let (_, token) = organisation(&app, "Hidden pangolins NGO").await;
    for (i, words) in ["pangolin", "otter", "pangolin"].iter().enumerate() {
        let mut body = activity(&["TZA"], &format!("{words} {i}"));
        if i > 0 {
            body["publication"] = json!("draft");
        }
        submit(&app, &token, &body).await;
    }
    let again = app.get(&search).await;
    assert_eq!(again.json()["next_cursor"], cursor.as_str());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    // Paged through: each public item once.
    let mut seen = Vec::new();
    let mut next = Some(cursor);
    seen.push(again.json()["items"][0]["id"].clone());
    while let Some(cursor) = next {
        let page = app
            .get(&format!("{search}&cursor={cursor}"))
            .await
            .assert_ok_json();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].clone()),
        );
        next = page["next_cursor"].as_str().map(str::to_owned);
    }
    seen.sort_by_key(|id| id.to_string());
    public.sort_by_key(|id| id.to_string());
    assert_eq!(seen, public);
    // Its submitter finds its own, awaiting consent and drafts, on its pages.
    let own = app.all_as(&format!("{PATH}?q=pangolin"), &token).await;
    assert_eq!(own.len(), 5, "{own:?}");
    // A public item found moves it.
    submit(&app, &kenya, &activity(&["KEN"], "pangolin census 3")).await;
    let moved = app.get(&search).await.assert_ok_json();
    assert_ne!(moved["next_cursor"], again.json()["next_cursor"]);
}

#[actix_web::test]
async fn the_public_feed_does_not_move_with_hidden_writes() {
    let app = TestApp::spawn();
    let sync = app.token(Role::Sync, None, None);
    app.create(
        STAKEHOLDERS,
        &stakeholder("other", Some("KEN"), "Public one"),
    )
    .await;
    let feed = |after: Option<String>| {
        let path = match after {
            Some(c) => format!("/api/v1/changes?after={c}"),
            None => "/api/v1/changes".to_owned(),
        };
        let (app, sync) = (&app, &sync);
        async move { app.get_as(&path, sync).await.assert_ok_json() }
    };
    let snapshot_cursor = || async {
        let reply = app.get("/api/v1/export").await;
        assert_eq!(reply.status, 200);
        reply.header("x-changes-cursor").unwrap().to_owned()
    };
    let start = feed(None).await;
    let cursor = start["next_cursor"].as_str().unwrap().to_owned();
    let snapshot = snapshot_cursor().await;
    assert_eq!(snapshot, cursor, "the snapshot stands where the feed does");
    // Hidden writes: drafts, activities awaiting consent, a consent about one activity.
    let (_, token) = organisation(&app, "Quiet NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    for i in 0..3 {
        let mut body = activity(&["TZA"], &format!("Quiet {i}"));
        if i == 0 {
            body["publication"] = json!("draft");
        }
        submit(&app, &token, &body).await;
    }
    let awaiting = submit(&app, &token, &activity(&["KEN"], "Awaiting Kenya")).await;
    consent(
        &app,
        &kenya,
        json!({"decision": "refused", "scope": "activity", "activity_id": awaiting["id"]}),
    )
    .await;
    // The organisation's registration was public: start after it.
    let after_public = feed(Some(cursor.clone())).await;
    let cursor = after_public["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(after_public["items"].as_array().unwrap().len(), 1);
    let quiet = feed(Some(cursor.clone())).await;
    assert!(quiet["items"].as_array().unwrap().is_empty(), "{quiet}");
    assert_eq!(
        quiet["next_cursor"],
        cursor.as_str(),
        "hidden writes do not move it"
    );
    assert_eq!(snapshot_cursor().await, cursor, "nor the snapshot's");
    // A public change moves both.
    app.create(
        STAKEHOLDERS,
        &stakeholder("other", Some("UGA"), "Public two"),
    )
    .await;
    let moved = feed(Some(cursor.clone())).await;
    assert_eq!(moved["items"].as_array().unwrap().len(), 1, "{moved}");
    assert_ne!(moved["next_cursor"], cursor.as_str());
    assert_eq!(
        snapshot_cursor().await,
        moved["next_cursor"].as_str().unwrap()
    );
}

#[actix_web::test]
async fn a_refusal_by_name_is_not_undone_by_deleting_and_submitting_again() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Persistent NGO").await;
    let malawi = app.token(Role::State, Some("MWI"), None);
    consent(
        &app,
        &malawi,
        json!({"decision": "granted", "scope": "all"}),
    )
    .await;
    let body = activity(&["MWI"], "Contested training");
    let refused = submit(&app, &token, &body).await;
    consent(
        &app,
        &malawi,
        json!({"decision": "refused", "scope": "activity", "activity_id": refused["id"]}),
    )
    .await;
    app.get(&item(&refused))
        .await
        .assert_problem(404, "not_found");
    // Its submitter may not delete it (and so cannot submit it again as new)…
    app.send(
        actix_web::test::TestRequest::delete()
            .uri(&item(&refused))
            .insert_header(("Authorization", format!("Bearer {token}"))),
    )
    .await
    .assert_problem(409, "conflict");
    // …and the same activity again is the same activity: a conflict, nothing published.
    app.send_json(Method::POST, PATH, Some(&token), &body)
        .await
        .assert_problem(409, "conflict");
    assert!(app.all(PATH).await.is_empty());
    // Withdrawing it is the submitter's way out; admin may still delete it.
    let withdrawn = app
        .send_json(
            Method::PATCH,
            &item(&refused),
            Some(&token),
            &json!({"publication": "withdrawn"}),
        )
        .await
        .assert_ok_json();
    assert_eq!(withdrawn["publication"], "withdrawn");
    let admin = app.admin_token();
    let reply = app
        .send(
            actix_web::test::TestRequest::delete()
                .uri(&item(&refused))
                .insert_header(("Authorization", format!("Bearer {admin}"))),
        )
        .await;
    assert_eq!(reply.status, 204);
}

/// A facet row names a row of its item's table, whoever writes it: one that names none is
/// refused (alone or among rows that do, which are not written either), an item named by facet
/// rows keeps its number, and an item deleted takes its facet rows with it. SQLite holds these
/// by foreign keys; PostgreSQL once a statement (`facet_rows_checked_per_statement`).
#[actix_web::test]
async fn a_facet_row_names_an_item_whoever_writes_it() {
    let app = TestApp::spawn();
    let mut seqs = Vec::new();
    // Recommended by other States, so that the kept item has no row of a value the other has.
    for (text, by) in [("Faceted and kept", "AUT"), ("Faceted and deleted", "CAN")] {
        let mut item = upr_tc_tests::recommendation("KEN", 40, text);
        item["recommending_states"] = json!([by]);
        let item = app.create("/api/v1/recommendations", &item).await;
        let id = item["id"].as_str().unwrap().to_owned();
        seqs.push(count(
            &app,
            &format!("SELECT seq AS n FROM recommendations WHERE id = '{id}'"),
        ));
    }
    let (kept, deleted) = (seqs[0], seqs[1]);
    let facets_of = |seq: i64| {
        count(
            &app,
            &format!(
                "SELECT COUNT(*) AS n FROM recommendation_facets WHERE recommendation_seq = {seq}"
            ),
        )
    };
    let (kept_facets, deleted_facets) = (facets_of(kept), facets_of(deleted));
    assert!(kept_facets > 0 && deleted_facets > 0);
    let all = count(&app, "SELECT COUNT(*) AS n FROM recommendation_facets");
    let none = 1 + count(&app, "SELECT MAX(seq) AS n FROM recommendations");
    // A value the kept item has no row of, so that its row alone would be taken.
    let free = count(
        &app,
        &format!(
            "SELECT CAST(MIN(code) AS BIGINT) AS n FROM recommendation_facet_values WHERE code NOT IN \
             (SELECT code FROM recommendation_facets WHERE recommendation_seq = {kept})"
        ),
    );
    let refused = |statement: &str| {
        let mut conn = app.service.state.pool.get().unwrap();
        diesel::sql_query(statement)
            .execute(&mut **conn)
            .expect_err(statement);
    };
    refused(&format!(
        "INSERT INTO recommendation_facets (code, recommendation_seq) VALUES ({free}, {none})"
    ));
    refused(&format!(
        "INSERT INTO recommendation_facets (code, recommendation_seq) \
         VALUES ({free}, {kept}), ({free}, {none})"
    ));
    refused(&format!(
        "UPDATE recommendation_facets SET recommendation_seq = {none} \
         WHERE recommendation_seq = {kept}"
    ));
    refused(&format!(
        "UPDATE recommendations SET seq = {none} WHERE seq = {kept}"
    ));
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM recommendation_facets"),
        all
    );
    assert_eq!(facets_of(kept), kept_facets);
    // The rules refused those rows, not the statements: the kept item takes one more.
    sql(
        &app,
        &format!(
            "INSERT INTO recommendation_facets (code, recommendation_seq) VALUES ({free}, {kept})"
        ),
    );
    assert_eq!(facets_of(kept), kept_facets + 1);
    sql(
        &app,
        &format!("DELETE FROM recommendations WHERE seq = {deleted}"),
    );
    assert_eq!(facets_of(deleted), 0);
    assert_eq!(facets_of(kept), kept_facets + 1);
}

/// A State's grant by name is for the content it saw: the submitter who changes the activity
/// afterwards has it await the State's consent again, saying why; the State's new grant
/// publishes the new content. Its publication state is not what the State granted: withdrawn
/// and submitted again unchanged, the activity is public again without asking. A grant of the
/// State for all the submitter's activities covers any content.
#[actix_web::test]
async fn a_grant_by_name_is_for_the_content_the_state_saw() {
    let app = TestApp::spawn();
    let (org, token) = organisation(&app, "Prison reform network").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let a = submit(&app, &token, &activity(&["KEN"], "Prison reform workshop")).await;
    let by_name = json!({"decision": "granted", "scope": "activity", "activity_id": a["id"]});
    let grant = consent(&app, &kenya, by_name.clone()).await;
    assert!(grant["granted_content"].is_string(), "{grant}");
    app.get(&item(&a)).await.assert_ok_json();

    let changed = patch(
        &app,
        &item(&a),
        &token,
        &json!({"summary": {"en": "Something Kenya never saw"}}),
    )
    .await
    .assert_ok_json();
    assert_eq!(changed["visibility"]["public"], false, "{changed}");
    assert_eq!(changed["visibility"]["awaiting_consent_of"], json!(["KEN"]));
    assert!(
        changed["visibility"]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("changed after KEN granted it by name"),
        "{changed}"
    );
    app.get(&item(&a)).await.assert_problem(404, "not_found");
    assert_eq!(app.all(PATH).await.len(), 0);
    // Kenya reads it and grants again, naming the version it read: the new content is
    // public. A grant naming the version before the change is refused (412): it would be for
    // a content Kenya did not read.
    let seen = app.get_as(&item(&a), &kenya).await.assert_ok_json();
    assert_eq!(seen["summary"]["en"], "Something Kenya never saw");
    let mut stale = by_name.clone();
    stale["activity_version"] = a["version"].clone();
    app.send_json(Method::POST, "/api/v1/consents", Some(&kenya), &stale)
        .await
        .assert_problem(412, "precondition_failed");
    let mut read = by_name.clone();
    read["activity_version"] = seen["version"].clone();
    consent(&app, &kenya, read).await;
    let public = app.get(&item(&a)).await.assert_ok_json();
    assert_eq!(public["summary"]["en"], "Something Kenya never saw");

    // Withdrawn and submitted again, unchanged: public again.
    for publication in ["withdrawn", "submitted"] {
        patch(
            &app,
            &item(&a),
            &token,
            &json!({"publication": publication}),
        )
        .await
        .assert_ok_json();
    }
    app.get(&item(&a)).await.assert_ok_json();

    // Granted for all the submitter's activities, any content is.
    consent(
        &app,
        &kenya,
        json!({"decision": "granted", "scope": "submitter", "stakeholder_id": org}),
    )
    .await;
    let again = patch(
        &app,
        &item(&a),
        &token,
        &json!({"summary": {"en": "Changed under a wider grant"}}),
    )
    .await
    .assert_ok_json();
    assert_eq!(again["visibility"]["public"], true, "{again}");
}

/// A State's blanket decision on more activities than one statement writes (`db::sql::verdicts`
/// writes a few hundred at a time on PostgreSQL) decides each: its verdict in its document,
/// its columns, its facets (the public list of the State, the queues of consent) and the public
/// feed, with a refusal by name among them still in force and another State's consent still
/// awaited.
#[actix_web::test]
async fn a_blanket_decision_on_many_activities_decides_each() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Training network").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let uganda = app.token(Role::State, Some("UGA"), None);
    let n = 520;
    let mut rows = String::new();
    for i in 0..n {
        // Six of them concern Uganda too.
        let states: &[&str] = if i % 100 == 0 {
            &["KEN", "UGA"]
        } else {
            &["KEN"]
        };
        rows.push_str(&activity(states, &format!("Training {i}")).to_string());
        rows.push('\n');
    }
    let report = app
        .upload_as(
            "/api/v1/bulk/activities",
            "application/x-ndjson",
            rows,
            Some(&token),
        )
        .await
        .assert_ok_json();
    assert_eq!(report["created"], n, "{report}");
    let queue = app
        .all_as(&format!("{PATH}?awaiting_consent_of=KEN"), &kenya)
        .await;
    assert_eq!(queue.len(), n);
    let titled = |items: &[Value], title: &str| {
        items
            .iter()
            .find(|a| a["title"]["en"] == title)
            .cloned()
            .unwrap()
    };
    let refused = titled(&queue, "Training 7");
    consent(
        &app,
        &kenya,
        json!({"decision": "refused", "scope": "activity", "activity_id": refused["id"]}),
    )
    .await;
    consent(&app, &kenya, json!({"decision": "granted", "scope": "all"})).await;
    let public = app.all(&format!("{PATH}?state=KEN")).await;
    assert_eq!(public.len(), n - 1 - 6);
    assert!(public.iter().all(|a| a["id"] != refused["id"]));
    assert!(public.iter().all(|a| a["visibility"]["public"] == true));
    assert!(
        app.all_as(&format!("{PATH}?awaiting_consent_of=KEN"), &kenya)
            .await
            .is_empty()
    );
    let both = app
        .all_as(&format!("{PATH}?awaiting_consent_of=UGA"), &uganda)
        .await;
    assert_eq!(both.len(), 6);
    let shared = titled(&both, "Training 100");
    assert_eq!(shared["visibility"]["awaiting_consent_of"], json!(["UGA"]));
    let seen = app.get_as(&item(&refused), &kenya).await.assert_ok_json();
    assert_eq!(seen["visibility"]["refused_by"], json!(["KEN"]), "{seen}");
    let upserts = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["op"] == "upsert")
            .count()
    };
    let feed = app
        .get("/api/v1/changes?limit=1000&types=activity")
        .await
        .assert_ok_json();
    assert_eq!(upserts(&feed), n - 1 - 6);
    // Withdrawn: every one hidden again, and the public feed takes back what it said.
    consent(
        &app,
        &kenya,
        json!({"decision": "withdrawn", "scope": "all"}),
    )
    .await;
    assert!(app.all(&format!("{PATH}?state=KEN")).await.is_empty());
    let feed = app
        .get("/api/v1/changes?limit=1000&types=activity")
        .await
        .assert_ok_json();
    assert_eq!(upserts(&feed), 0, "{feed}");
    let hidden = app
        .get_as(&item(&titled(&public, "Training 3")), &kenya)
        .await
        .assert_ok_json();
    assert_eq!(hidden["visibility"]["refused_by"], json!(["KEN"]));
}
