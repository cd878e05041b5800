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

#[actix_web::test]
async fn records_about_hidden_activities_are_not_listed_to_the_public() {
    use crate::activities::{consent, organisation, submit};
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let a = submit(&app, &token, &upr_tc_tests::activity(&["KEN"], "Hidden")).await;
    consent(
        &app,
        &kenya,
        json!({"decision": "refused", "scope": "activity", "activity_id": a["id"], "note": "Not now"}),
    )
    .await;
    consent(&app, &kenya, json!({"decision": "granted", "scope": "all"})).await;
    // The public sees the general grant, not the refusal of an activity it cannot see.
    let public = app.all(PATH).await;
    assert_eq!(public.len(), 1);
    assert_eq!(public[0]["scope"], "all");
    let one = app
        .all(&format!("{PATH}?activity_id={}", a["id"].as_str().unwrap()))
        .await;
    assert!(one.is_empty());
    // Kenya, the submitter and admin see both.
    for t in [&kenya, &token, &app.admin_token()] {
        let page = app.get_as(PATH, t).await.assert_ok_json();
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
    }
    let refused = app
        .get_as(&format!("{PATH}?decision=refused&state=KEN"), &kenya)
        .await
        .assert_ok_json();
    assert_eq!(refused["items"][0]["note"], "Not now");
    // Kenya's summary: the counts, and the decisions in force.
    let other = submit(&app, &token, &upr_tc_tests::activity(&["KEN"], "Public")).await;
    let _ = other;
    let summary = app
        .get_as("/api/v1/states/KEN/consent", &kenya)
        .await
        .assert_ok_json();
    assert_eq!(summary["all"]["decision"], "granted");
    assert_eq!(summary["activities"][0]["decision"], "refused");
    assert_eq!(
        summary["counts"],
        json!({"public": 1, "awaiting": 0, "refused": 1})
    );
    let anonymous = app.get("/api/v1/states/KEN/consent").await;
    let tag = anonymous.header("etag").expect("tagged").to_owned();
    assert_ne!(
        Some(tag.as_str()),
        app.get_as("/api/v1/states/KEN/consent", &kenya)
            .await
            .header("etag"),
        "Kenya sees more, under another tag"
    );
    let anonymous = anonymous.assert_ok_json();
    assert!(anonymous["activities"].as_array().unwrap().is_empty());
    let again = app
        .send(
            upr_tc_tests::Request::get()
                .uri("/api/v1/states/KEN/consent")
                .insert_header(("If-None-Match", tag.clone())),
        )
        .await;
    assert_eq!(again.status, 304);
    app.get("/api/v1/states/XXX/consent")
        .await
        .assert_problem(400, "invalid_parameter");
}

#[actix_web::test]
async fn references_of_a_record_must_exist_and_fit_its_scope() {
    use crate::activities::{organisation, submit};
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let about_uganda = submit(&app, &token, &upr_tc_tests::activity(&["UGA"], "Elsewhere")).await;
    for (body, pointer) in [
        (
            json!({"decision": "granted", "scope": "activity"}),
            "/activity_id",
        ),
        (
            json!({"decision": "granted", "scope": "submitter"}),
            "/stakeholder_id",
        ),
        (
            json!({"decision": "granted", "scope": "all", "activity_id": about_uganda["id"]}),
            "/activity_id",
        ),
        (
            json!({"decision": "granted", "scope": "activity", "activity_id": about_uganda["id"]}),
            "/activity_id",
        ),
        (
            json!({"decision": "granted", "scope": "submitter", "stakeholder_id": uuid::Uuid::now_v7()}),
            "/stakeholder_id",
        ),
    ] {
        let problem = app
            .send_json(Method::POST, PATH, Some(&kenya), &body)
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{body}");
    }
    // A decision is dated when it was made, which cannot be later than now (give or take a
    // day of clocks and time zones).
    let later = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let problem = app
        .send_json(
            Method::POST,
            PATH,
            Some(&kenya),
            &json!({"decision": "granted", "scope": "all", "decided_at": later}),
        )
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["pointer"], "/decided_at");
    assert_eq!(problem["errors"][0]["code"], "in_future");
    assert!(app.all(PATH).await.is_empty());
    // A date given to the nanosecond is kept to the microsecond, as stored: the record as
    // recorded is the record as read, on either engine.
    let soon = chrono::Utc::now() + chrono::Duration::hours(10);
    let soon = chrono::Timelike::with_nanosecond(&soon, 123_456_789)
        .unwrap()
        .to_rfc3339();
    let created = app
        .send_json(
            Method::POST,
            PATH,
            Some(&kenya),
            &json!({"decision": "granted", "scope": "all", "decided_at": soon}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let decided = created.json()["decided_at"].as_str().unwrap().to_owned();
    assert!(decided.ends_with(".123456Z"), "{decided}");
    let path = format!("{PATH}/{}", created.json()["id"].as_str().unwrap());
    let read = app.get_as(&path, &kenya).await;
    assert_eq!(read.json()["decided_at"], decided);
    assert_eq!(created.header("etag"), read.header("etag"));
}

#[actix_web::test]
async fn states_granting_at_the_same_time_both_count() {
    use crate::activities::{item, organisation, submit};
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "NGO").await;
    let (kenya, uganda) = (
        app.token(Role::State, Some("KEN"), None),
        app.token(Role::State, Some("UGA"), None),
    );
    // Two States grant consent to one activity at once, many times over: each write must see
    // the other's, or the activity stays hidden although both consented.
    for round in 0..15 {
        let a = submit(
            &app,
            &token,
            &upr_tc_tests::activity(&["KEN", "UGA"], &format!("Round {round}")),
        )
        .await;
        let body = json!({"decision": "granted", "scope": "activity", "activity_id": a["id"]});
        let (x, y) = futures_util::join!(
            app.send_json(Method::POST, PATH, Some(&kenya), &body),
            app.send_json(Method::POST, PATH, Some(&uganda), &body),
        );
        assert_eq!((x.status.as_u16(), y.status.as_u16()), (201, 201));
        app.get(&item(&a)).await.assert_ok_json();
    }
}

/// The same race, made certain: one consent is recorded and held uncommitted while the
/// other State's is recorded. The second write must wait and see the first.
///
/// No delay decides the order. The first write records Kenya's consent and then waits for the
/// test's signal to commit; the second says when it is about to record Uganda's, and the test
/// waits until it is seen waiting for a lock (PostgreSQL `pg_locks`) or finished before letting
/// the first commit. With the write lock (`db::lock_writes`) the second waits for the advisory
/// lock and then sees Kenya's consent; without it, it computes the verdict without Kenya's and
/// the activity stays hidden, every time. The lock is PostgreSQL's: on SQLite, `BEGIN
/// IMMEDIATE` holds the second write back, which no other connection can observe, so there the
/// test checks the same outcome without seeing the wait.
#[actix_web::test]
async fn a_consent_recorded_beside_an_uncommitted_one_sees_it() {
    use crate::activities::{item, organisation, submit};
    use std::sync::mpsc;
    use upr_tc::db::audit::Actor;
    use upr_tc::db::consents;
    use upr_tc::db::tx::{Tx, write};
    use upr_tc::domain::consent::{Consent, RecordedBy};
    use upr_tc::domain::publication::{Decision, Scope};
    use upr_tc_tests::{SecondWriter, backend_pid, until_waiting_or_finished};

    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "NGO").await;
    let a = submit(
        &app,
        &token,
        &upr_tc_tests::activity(&["KEN", "UGA"], "Raced"),
    )
    .await;
    let activity: upr_tc::domain::ActivityId = a["id"].as_str().unwrap().parse().unwrap();
    let record = move |state: &str| Consent {
        id: upr_tc::domain::Id::new_v7(),
        state: upr_tc::domain::CountryCode::parse(state).unwrap(),
        decision: Decision::Granted,
        scope: Scope::Activity(activity),
        reference: None,
        note: None,
        decided_at: chrono::Utc::now(),
        recorded_at: chrono::Utc::now(),
        recorded_by: RecordedBy {
            role: upr_tc::domain::caller::ActingRole::Operator,
            subject: None,
        },
        granted_content: None,
    };
    let pool = app.service.state.pool.clone();
    let (recorded, has_recorded) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let first = std::thread::spawn({
        let pool = pool.clone();
        move || {
            let mut conn = pool.get().unwrap();
            Tx::begin(&mut conn).unwrap();
            consents::record(&mut conn, &Actor::operator(), &record("KEN")).unwrap();
            recorded.send(()).unwrap();
            // Until the test says so (or fails: the sender is dropped).
            let _ = released.recv();
            Tx::commit(&mut conn).unwrap();
        }
    });
    has_recorded.recv().unwrap();
    let (about_to_write, is_about_to_write) = mpsc::channel();
    let second = std::thread::spawn({
        let pool = pool.clone();
        move || {
            let mut conn = pool.get().unwrap();
            about_to_write.send(backend_pid(&mut conn)).unwrap();
            write(&mut conn, |c| {
                consents::record(c, &Actor::operator(), &record("UGA"))
            })
            .unwrap();
        }
    });
    let pid = is_about_to_write.recv().unwrap();
    let seen = until_waiting_or_finished(&pool, pid, &second);
    let committed_beside = second.is_finished();
    release.send(()).unwrap();
    first.join().unwrap();
    second.join().unwrap();
    app.get(&item(&a)).await.assert_ok_json();
    assert!(
        !committed_beside
            && (seen == SecondWriter::Unobservable
                || seen == SecondWriter::Waiting("advisory".into())),
        "the second consent was not held back by the write lock: {seen:?}"
    );
}

#[actix_web::test]
async fn the_database_refuses_to_change_or_remove_a_record() {
    use diesel::connection::SimpleConnection;
    let app = TestApp::spawn();
    let kenya = app.token(Role::State, Some("KEN"), None);
    app.send_json(
        Method::POST,
        PATH,
        Some(&kenya),
        &json!({"decision": "refused", "scope": "all"}),
    )
    .await;
    let mut conn = app.service.state.pool.get().unwrap();
    assert!(
        conn.batch_execute("UPDATE consents SET decision = 'granted'")
            .is_err()
    );
    assert!(conn.batch_execute("DELETE FROM consents").is_err());
    drop(conn);
    let records = app.all(PATH).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["decision"], "refused");
}

#[actix_web::test]
async fn a_record_carries_an_etag_and_answers_304() {
    let app = TestApp::spawn();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let created = app
        .send_json(
            Method::POST,
            PATH,
            Some(&kenya),
            &json!({"decision": "granted", "scope": "all", "reference": "NV 3"}),
        )
        .await;
    let record = created.json();
    let path = format!("{PATH}/{}", record["id"].as_str().unwrap());
    let first = app.get_as(&path, &kenya).await;
    assert_eq!(first.status, 200);
    let tag = first.header("etag").unwrap().to_owned();
    // The record as recorded is the record as read: the same tag.
    assert_eq!(created.header("etag"), Some(tag.as_str()));
    let first = app.get(&path).await;
    let tag = first.header("etag").unwrap().to_owned();
    let again = app
        .send(
            upr_tc_tests::Request::get()
                .uri(&path)
                .insert_header(("If-None-Match", tag.clone())),
        )
        .await;
    assert_eq!(again.status, 304);
    // admin sees who recorded it: another representation, another tag.
    let admin = app.get_as(&path, &app.admin_token()).await;
    assert_eq!(admin.json()["recorded_by"]["subject"], "tester");
    assert_ne!(admin.header("etag"), Some(tag.as_str()));
}

/// A State's decision by name on an activity, with its note and reference, is read by that
/// State, the activity's submitter and `admin` only: not by another State the activity
/// concerns (which sees that the State refused, in the activity's `visibility`, but not its
/// words), nor by another organisation that reads the activity once it is public.
#[actix_web::test]
async fn a_decision_by_name_is_read_by_its_state_the_submitter_and_admin_only() {
    use crate::activities::{consent, organisation, submit};
    let app = TestApp::spawn();
    let (_, submitter) = organisation(&app, "Submitting NGO").await;
    let (_, other) = organisation(&app, "Another NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let uganda = app.token(Role::State, Some("UGA"), None);
    let admin = app.admin_token();
    let both = submit(
        &app,
        &submitter,
        &upr_tc_tests::activity(&["KEN", "UGA"], "Shared"),
    )
    .await;
    let refusal = consent(
        &app,
        &uganda,
        json!({"decision": "refused", "scope": "activity", "activity_id": both["id"],
               "note": "Our ministry was not consulted", "reference": "NV 7/2026"}),
    )
    .await;
    let alone = submit(&app, &submitter, &upr_tc_tests::activity(&["KEN"], "Alone")).await;
    let grant = consent(
        &app,
        &kenya,
        json!({"decision": "granted", "scope": "activity", "activity_id": alone["id"],
               "note": "Granted after review"}),
    )
    .await;
    let path = |record: &serde_json::Value| format!("{PATH}/{}", record["id"].as_str().unwrap());
    // Kenya sees the shared activity, and why it is hidden, but not Uganda's words.
    let shared = app
        .get_as(&crate::activities::item(&both), &kenya)
        .await
        .assert_ok_json();
    assert_eq!(
        shared["visibility"]["refused_by"],
        json!(["UGA"]),
        "{shared}"
    );
    app.get_as(&path(&refusal), &kenya)
        .await
        .assert_problem(404, "not_found");
    let listed = app.get_as(PATH, &kenya).await.assert_ok_json();
    let ids: Vec<&serde_json::Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(ids, vec![&grant["id"]], "{listed}");
    // Another organisation reads the public activity, not Kenya's record about it.
    app.get_as(&crate::activities::item(&alone), &other)
        .await
        .assert_ok_json();
    app.get_as(&path(&grant), &other)
        .await
        .assert_problem(404, "not_found");
    let listed = app.get_as(PATH, &other).await.assert_ok_json();
    assert_eq!(listed["items"], json!([]), "{listed}");
    // The State, the submitter and admin read it.
    let seen = app.get_as(&path(&refusal), &uganda).await.assert_ok_json();
    assert_eq!(seen["note"], "Our ministry was not consulted");
    for token in [&submitter, &admin] {
        for record in [&refusal, &grant] {
            app.get_as(&path(record), token).await.assert_ok_json();
        }
        let listed = app.get_as(PATH, token).await.assert_ok_json();
        assert_eq!(listed["items"].as_array().unwrap().len(), 2, "{listed}");
    }
}

/// The list of consent records is tagged as every other list: polled unchanged, a 304.
#[actix_web::test]
async fn the_list_of_records_answers_304_when_unchanged() {
    let app = TestApp::spawn();
    let kenya = app.token(Role::State, Some("KEN"), None);
    crate::activities::consent(&app, &kenya, json!({"decision": "granted", "scope": "all"})).await;
    let first = app.get("/api/v1/consents").await;
    let tag = first.header("etag").unwrap().to_owned();
    assert_eq!(first.assert_ok_json()["items"].as_array().unwrap().len(), 1);
    let again = app
        .send(
            actix_web::test::TestRequest::get()
                .uri("/api/v1/consents")
                .insert_header(("If-None-Match", tag)),
        )
        .await;
    assert_eq!(again.status, 304);
}
