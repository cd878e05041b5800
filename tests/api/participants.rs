//! A stakeholder named as a participant of an activity without its agreement takes itself
//! off it, and is not named on it again but by `admin`.

use actix_web::http::Method;
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc_tests::{Request, TestApp, activity, json};

use crate::activities::{PATH, consent, item, organisation, submit};

fn declining(a: &Value, stakeholder: &str) -> String {
    format!("{}/participants/{stakeholder}", item(a))
}

async fn decline(app: &TestApp, a: &Value, stakeholder: &str, token: Option<&str>) -> u16 {
    let mut req = Request::delete().uri(&declining(a, stakeholder));
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    app.send(req).await.status.as_u16()
}

/// How many activities the public list of `stakeholder`'s gives.
async fn listed(app: &TestApp, stakeholder: &str) -> usize {
    app.all(&format!("{PATH}?stakeholder={stakeholder}"))
        .await
        .len()
}

fn naming(title: &str, participant: &str) -> Value {
    let mut body = activity(&["KEN"], title);
    body["participants"] = json!([{"stakeholder": participant, "role": "implementing"}]);
    body
}

#[actix_web::test]
async fn a_participant_named_without_its_agreement_takes_itself_off() {
    let app = TestApp::spawn();
    let (named, named_token) = organisation(&app, "Named NGO").await;
    let (_, other_token) = organisation(&app, "Other NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    // Kenya's own activity, public at once, names the NGO.
    let a = submit(&app, &kenya, &naming("Judges trained", &named)).await;
    assert_eq!(listed(&app, &named).await, 1);
    // Only those who speak for the NGO take it off: not another organisation, not the
    // submitting State, not anonymous.
    assert_eq!(decline(&app, &a, &named, None).await, 401);
    for token in [&other_token, &kenya] {
        assert_eq!(decline(&app, &a, &named, Some(token)).await, 403);
    }
    assert_eq!(
        app.get(&item(&a)).await.json()["participants"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(decline(&app, &a, &named, Some(&named_token)).await, 204);
    let now = app.get(&item(&a)).await.assert_ok_json();
    assert_eq!(now["participants"], json!([]), "{now}");
    assert_eq!(now["version"], 2);
    assert_eq!(listed(&app, &named).await, 0);
    // Gone, and not named again by the submitter, through the API or a bulk upload.
    assert_eq!(decline(&app, &a, &named, Some(&named_token)).await, 404);
    let again = json!({"participants": [{"stakeholder": named, "role": "funding"}]});
    let problem = app
        .send_json(Method::PATCH, &item(&a), Some(&kenya), &again)
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(
        problem["errors"][0]["pointer"], "/participants/0/stakeholder",
        "{problem}"
    );
    assert_eq!(problem["errors"][0]["code"], "declined", "{problem}");
    let csv = format!(
        "id,title__en,states_concerned,status,participants,publication\n\
         {},Judges trained,KEN,implementation,{named}:funding,submitted\n",
        a["id"].as_str().unwrap()
    );
    let report = app
        .upload_as(
            "/api/v1/bulk/activities?mode=partial",
            "text/csv",
            csv,
            Some(&kenya),
        )
        .await
        .assert_ok_json();
    assert_eq!(report["rejected"], 1, "{report}");
    assert_eq!(report["errors"][0]["code"], "declined", "{report}");
    // The rest of the activity is still the submitter's to change.
    let changed = app
        .send_json(
            Method::PATCH,
            &item(&a),
            Some(&kenya),
            &json!({"title": {"en": "Judges and prosecutors trained"}}),
        )
        .await
        .assert_ok_json();
    assert_eq!(changed["participants"], json!([]));
    // admin names it again (on the organisation's word): the submitter still changes the rest,
    // with it as admin left it, and the organisation may take itself off again.
    app.send_json(Method::PATCH, &item(&a), Some(&app.admin_token()), &again)
        .await
        .assert_ok_json();
    assert_eq!(listed(&app, &named).await, 1);
    let changed = app
        .send_json(
            Method::PATCH,
            &item(&a),
            Some(&kenya),
            &json!({"title": {"en": "Judges, prosecutors and lawyers trained"}}),
        )
        .await
        .assert_ok_json();
    assert_eq!(changed["participants"][0]["stakeholder"], named.as_str());
    assert_eq!(decline(&app, &a, &named, Some(&named_token)).await, 204);
    // The submitter is no participant to decline: it changes or withdraws its activity.
    let own = a["submitter"].as_str().unwrap();
    let reply = app
        .send(
            Request::delete()
                .uri(&declining(&a, own))
                .insert_header(("Authorization", format!("Bearer {kenya}"))),
        )
        .await;
    reply.assert_problem(409, "conflict");
}

/// A decline outlives its activity: the same activity (its submitter, title and planned start)
/// deleted and submitted again does not name the organisation, through the API or an upload;
/// another activity of the submitter's may.
#[actix_web::test]
async fn the_same_activity_submitted_again_does_not_name_a_participant_that_declined() {
    let app = TestApp::spawn();
    let (named, named_token) = organisation(&app, "Named NGO").await;
    let (_, submitter) = organisation(&app, "Submitting NGO").await;
    let body = naming("Legal aid clinics", &named);
    let a = submit(&app, &submitter, &body).await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    consent(&app, &kenya, json!({"decision": "granted", "scope": "all"})).await;
    assert_eq!(decline(&app, &a, &named, Some(&named_token)).await, 204);
    let reply = app
        .send(
            Request::delete()
                .uri(&item(&a))
                .insert_header(("Authorization", format!("Bearer {submitter}"))),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    let problem = app
        .send_json(Method::POST, PATH, Some(&submitter), &body)
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["code"], "declined", "{problem}");
    let csv = format!(
        "title__en,states_concerned,status,participants,planned_start,publication\n\
         Legal aid clinics,KEN,implementation,{named}:implementing,2026-01-15,submitted\n"
    );
    let report = app
        .upload_as(
            "/api/v1/bulk/activities?mode=partial",
            "text/csv",
            csv,
            Some(&submitter),
        )
        .await
        .assert_ok_json();
    assert_eq!(report["rejected"], 1, "{report}");
    assert_eq!(report["errors"][0]["code"], "declined", "{report}");
    // Nor is another activity naming it moved onto the declined one's title and planned start.
    let mut elsewhere = naming("Legal aid clinics", &named);
    elsewhere["planned_start"] = json!("2026-03-01");
    let moved = submit(&app, &submitter, &elsewhere).await;
    let problem = app
        .send_json(
            Method::PATCH,
            &item(&moved),
            Some(&submitter),
            &json!({"planned_start": "2026-01-15"}),
        )
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["code"], "declined", "{problem}");
    // Another activity names it; admin may name it on the same one.
    submit(&app, &submitter, &naming("Mobile courts", &named)).await;
    let made = app
        .send_json(Method::POST, PATH, Some(&app.admin_token()), &{
            let mut b = body.clone();
            b["submitter"] = a["submitter"].clone();
            b
        })
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    assert_eq!(listed(&app, &named).await, 3);
}

/// A State's consent by name was for the activity as it read then: once a participant has
/// taken itself off, the State is asked again, and the activity is hidden meanwhile.
#[actix_web::test]
async fn a_consent_by_name_is_asked_again_once_a_participant_declines() {
    let app = TestApp::spawn();
    let (named, named_token) = organisation(&app, "Named NGO").await;
    let (_, submitter) = organisation(&app, "Submitting NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let a = submit(&app, &submitter, &naming("Legal aid clinics", &named)).await;
    consent(
        &app,
        &kenya,
        json!({"decision": "granted", "scope": "activity", "activity_id": a["id"]}),
    )
    .await;
    app.get(&item(&a)).await.assert_ok_json();
    assert_eq!(decline(&app, &a, &named, Some(&named_token)).await, 204);
    app.get(&item(&a)).await.assert_problem(404, "not_found");
    let seen = app.get_as(&item(&a), &submitter).await.assert_ok_json();
    assert_eq!(seen["visibility"]["public"], false, "{seen}");
    assert_eq!(seen["participants"], json!([]));
    // A hidden activity's participant cannot tell it from none.
    assert_eq!(decline(&app, &a, &named, Some(&named_token)).await, 404);
    // Asked again, Kenya grants the activity as it reads now.
    consent(
        &app,
        &kenya,
        json!({"decision": "granted", "scope": "activity", "activity_id": a["id"]}),
    )
    .await;
    app.get(&item(&a)).await.assert_ok_json();
}
