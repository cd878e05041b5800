//! Bulk uploads of assistance requests and offers: what the CSV export writes imports back
//! unchanged; bad rows are listed with their column (partial) or stop the upload (atomic); a
//! dry run writes nothing; each row is held to the rules of its command, whoever uploads.

use actix_web::http::Method;
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc::import::NOT_YOURS;
use upr_tc_tests::{
    Reply, Request, TestApp, activity, assistance_request, json, offer, recommendation, stakeholder,
};

use super::counts;

const REQUESTS: &str = "/api/v1/assistance-requests";
const OFFERS: &str = "/api/v1/offers";
const BULK_REQUESTS: &str = "/api/v1/bulk/assistance-requests";
const BULK_OFFERS: &str = "/api/v1/bulk/offers";

/// A recommendation made to `state` that it supported; its id.
async fn accepted(app: &TestApp, state: &str, text: &str) -> String {
    id(&app
        .create("/api/v1/recommendations", &recommendation(state, 35, text))
        .await)
}

fn id(item: &Value) -> String {
    item["id"].as_str().unwrap().to_owned()
}

/// An organisation registered by `admin`, and a contributor token for it.
async fn organisation(app: &TestApp, name: &str) -> (String, String) {
    let org = app
        .create(
            "/api/v1/stakeholders",
            &stakeholder("civil_society_organization", Some("FRA"), name),
        )
        .await;
    let token = app.token(Role::Contributor, None, Some(&id(&org)));
    (id(&org), token)
}

async fn made(app: &TestApp, path: &str, token: &str, body: &Value) -> Value {
    let reply = app.send_json(Method::POST, path, Some(token), body).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()
}

/// A list as CSV, as `token` sees it.
async fn export(app: &TestApp, path: &str, token: &str) -> String {
    let reply = app
        .send(
            Request::get()
                .uri(path)
                .insert_header(("Accept", "text/csv"))
                .insert_header(("Authorization", format!("Bearer {token}"))),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.text()
}

async fn upload(app: &TestApp, path: &str, body: impl Into<Vec<u8>>, token: &str) -> Reply {
    app.upload_as(path, "text/csv", body, Some(token)).await
}

/// The errors of a report: `(line, column, code)`.
fn errors(report: &Value) -> Vec<(u64, String, String)> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap_or("").to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn exported_requests_and_offers_import_back_unchanged() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let rec = accepted(&app, "KEN", "Adopt a law on gender equality").await;

    // Kenya's requests: one with every field, cells a spreadsheet would run as a formula and
    // a comma and a line break; a draft with no time frame; one admin filed on its behalf.
    let mut full = assistance_request("KEN", "=Legislative advice, and a review\nof the bill");
    full["description"]["fr"] = json!("Conseil législatif");
    full["recommendations"] = json!([rec]);
    full["themes"] = json!(["womens_rights", "justice"]);
    full["modalities"] = json!(["legislative_advice", "training"]);
    full["languages"] = json!(["fr", "sw"]);
    full["period"] = json!({"start": "2027-01-01"});
    made(&app, REQUESTS, &kenya, &full).await;
    let mut draft = assistance_request("KEN", "Data for the SDG indicators");
    draft["status"] = json!("draft");
    draft["period"] = json!({});
    made(&app, REQUESTS, &kenya, &draft).await;
    let mut on_behalf = assistance_request("KEN", "Training for magistrates");
    on_behalf["reference"] = json!("Note verbale KEN/2026/114");
    made(&app, REQUESTS, &admin, &on_behalf).await;

    let csv = export(&app, REQUESTS, &kenya).await;
    assert_eq!(
        csv.lines().count(),
        1 + 3 + 1,
        "three rows, one with a line break: {csv}"
    );
    let r = upload(&app, BULK_REQUESTS, csv.clone(), &kenya)
        .await
        .assert_ok_json();
    assert_eq!(counts(&r), (3, 0, 0, 3, 0), "{r}");

    // Offers: an organisation's, with every field; Morocco's own, peer to peer, citing its own
    // public activity; a draft.
    let (ngo_id, ngo) = organisation(&app, "Avocats sans frontières").await;
    let mut rich = offer("+Drafting support; \"model laws\"");
    rich["capacity"] = json!({"en": "Two experts", "es": "Dos expertos"});
    rich["states"] = json!(["KEN", "UGA"]);
    rich["regional_groups"] = json!(["african", "asia_pacific"]);
    rich["period"] = json!({"end": "2028-06-30"});
    made(&app, OFFERS, &ngo, &rich).await;
    let morocco = app.token(Role::State, Some("MAR"), None);
    let own = made(
        &app,
        "/api/v1/activities",
        &morocco,
        &activity(&["MAR"], "Family code reform"),
    )
    .await;
    let mut peer = offer("Our experience of a family code reform");
    peer["peer_to_peer"] = json!(true);
    peer["activities"] = json!([id(&own)]);
    peer.as_object_mut().unwrap().remove("period");
    made(&app, OFFERS, &morocco, &peer).await;
    let mut hidden = offer("Not ready yet");
    hidden["status"] = json!("draft");
    made(&app, OFFERS, &ngo, &hidden).await;

    let csv = export(&app, OFFERS, &admin).await;
    let r = upload(&app, BULK_OFFERS, csv.clone(), &admin)
        .await
        .assert_ok_json();
    assert_eq!(counts(&r), (3, 0, 0, 3, 0), "admin's export, by admin: {r}");
    // The organisation's own offers (its draft too), exported and imported back by itself.
    let own_csv = export(&app, &format!("{OFFERS}?stakeholder={ngo_id}"), &ngo).await;
    let r = upload(&app, BULK_OFFERS, own_csv, &ngo)
        .await
        .assert_ok_json();
    assert_eq!(counts(&r), (2, 0, 0, 2, 0), "{r}");
    // Read-only columns are ignored; a changed cell updates its item, found by its id.
    let changed = csv.replacen(",open,", ",closed,", 1);
    assert_ne!(changed, csv);
    let r = upload(&app, BULK_OFFERS, changed, &admin)
        .await
        .assert_ok_json();
    assert_eq!(counts(&r), (3, 0, 1, 2, 0), "{r}");
    assert_eq!(app.all_as(OFFERS, &admin).await.len(), 3);
    assert_eq!(app.all_as(REQUESTS, &admin).await.len(), 3);
}

#[actix_web::test]
async fn ndjson_rows_found_by_their_natural_key_import_once() {
    let app = TestApp::spawn();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let body = format!(
        "{}\n{}\n",
        assistance_request("KEN", "Training for magistrates"),
        assistance_request("KEN", "Support for the NMIRF")
    );
    let r = app
        .upload_as(
            BULK_REQUESTS,
            "application/x-ndjson",
            body.clone(),
            Some(&kenya),
        )
        .await
        .assert_ok_json();
    assert_eq!(counts(&r), (2, 2, 0, 0, 0), "{r}");
    // The same State and description (spelled with other spaces and case) is the same request.
    let again = body.replace("Training for magistrates", "training  for MAGISTRATES");
    let r = app
        .upload_as(BULK_REQUESTS, "application/x-ndjson", again, Some(&kenya))
        .await
        .assert_ok_json();
    assert_eq!(counts(&r).1, 0, "nothing created: {r}");
    assert_eq!(app.all(REQUESTS).await.len(), 2);

    let (org, ngo) = organisation(&app, "Another NGO").await;
    let body = format!("{}\n", offer("Legislative drafting support"));
    for expected in [(1, 1, 0, 0, 0), (1, 0, 0, 1, 0)] {
        let r = app
            .upload_as(
                BULK_OFFERS,
                "application/x-ndjson",
                body.clone(),
                Some(&ngo),
            )
            .await
            .assert_ok_json();
        assert_eq!(counts(&r), expected, "{r}");
    }
    let offers = app.all(OFFERS).await;
    assert_eq!(offers.len(), 1);
    assert_eq!(
        offers[0]["stakeholder"],
        org.as_str(),
        "implied by the token"
    );
}

#[actix_web::test]
async fn a_bad_row_in_partial_mode_is_listed_with_its_column_and_the_others_written() {
    let app = TestApp::spawn();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let own = accepted(&app, "KEN", "Ratify the Convention").await;
    let ugandas = accepted(&app, "UGA", "Ratify the Protocol").await;
    let csv = format!(
        "state,description__en,recommendations,themes,period_start,period_end\n\
         KEN,Good one,{own},justice,2027-01-01,2027-06-30\n\
         KEN,Uganda's recommendation,{own}|{ugandas},,,\n\
         KEN,Bad theme,,astrology,,\n\
         KEN,Ends before it starts,,,2027-06-30,2027-01-01\n\
         KEN,Not a day,,,2027-13-01,\n\
         KEN,Another good one,,,,\n"
    );
    let r = upload(&app, &format!("{BULK_REQUESTS}?mode=partial"), csv, &kenya)
        .await
        .assert_ok_json();
    assert_eq!(counts(&r), (6, 2, 0, 0, 4), "{r}");
    let mut listed = errors(&r);
    listed.sort();
    assert_eq!(
        listed,
        [
            (3, "recommendations".into(), "another_state".into()),
            (4, "themes".into(), "unknown_code".into()),
            (5, "period_end".into(), "before_start".into()),
            (6, "period_start".into(), "invalid_date".into()),
        ],
        "{r}"
    );
    let filed = app.all(REQUESTS).await;
    assert_eq!(filed.len(), 2);
    assert!(filed.iter().any(|f| f["recommendations"] == json!([own])));

    // An offer's bad rows likewise, in NDJSON: the column is the JSON pointer.
    let (_, ngo) = organisation(&app, "An NGO").await;
    let mut bad = offer("Unknown region");
    bad["regions"] = json!(["002", "999"]);
    let body = format!("{}\n{bad}\n", offer("Fine"));
    let r = app
        .upload_as(
            &format!("{BULK_OFFERS}?mode=partial"),
            "application/x-ndjson",
            body,
            Some(&ngo),
        )
        .await
        .assert_ok_json();
    assert_eq!(counts(&r), (2, 1, 0, 0, 1), "{r}");
    assert_eq!(
        errors(&r),
        [(2, "/regions/1".into(), "unknown_code".into())]
    );
}

#[actix_web::test]
async fn an_atomic_upload_with_one_bad_row_writes_nothing() {
    let app = TestApp::spawn();
    let (_, ngo) = organisation(&app, "An NGO").await;
    let csv = "description__en,regional_groups,peer_to_peer,status\n\
               One,african,false,open\n\
               Two,nordic,maybe,open\n\
               Three,,false,closed\n";
    let reply = upload(&app, BULK_OFFERS, csv, &ngo).await;
    let problem = reply.assert_problem(422, "import_rejected");
    let r = &problem["report"];
    assert_eq!(counts(r), (3, 0, 0, 0, 1), "{r}");
    let mut listed = errors(r);
    listed.sort();
    assert_eq!(
        listed,
        [
            (3, "peer_to_peer".into(), "invalid".into()),
            (3, "regional_groups".into(), "unknown_value".into()),
        ]
    );
    assert!(app.all_as(OFFERS, &ngo).await.is_empty(), "nothing written");

    let kenya = app.token(Role::State, Some("KEN"), None);
    let csv = "state,description__en\nKEN,Fine\nUGA,Not Kenya's to file\n";
    let problem = upload(&app, BULK_REQUESTS, csv, &kenya)
        .await
        .assert_problem(422, "import_rejected");
    assert_eq!(
        errors(&problem["report"]),
        [(3, "state".into(), "forbidden".into())]
    );
    assert!(
        app.all_as(REQUESTS, &kenya).await.is_empty(),
        "nothing written"
    );
}

#[actix_web::test]
async fn a_dry_run_writes_nothing_not_even_a_states_own_stakeholder() {
    let app = TestApp::spawn();
    let morocco = app.token(Role::State, Some("MAR"), None);
    let csv = "description__en,peer_to_peer\nOur family code reform,true\n";
    let r = upload(&app, &format!("{BULK_OFFERS}?dry_run=true"), csv, &morocco)
        .await
        .assert_ok_json();
    assert_eq!(counts(&r), (1, 1, 0, 0, 0), "{r}");
    assert_eq!(r["dry_run"], true);
    assert!(app.all(OFFERS).await.is_empty());
    assert!(
        app.all("/api/v1/stakeholders?kind=state").await.is_empty(),
        "a dry run registers nothing"
    );
    // The same upload for real registers Morocco as it makes the offer.
    let r = upload(&app, BULK_OFFERS, csv, &morocco)
        .await
        .assert_ok_json();
    assert_eq!(counts(&r), (1, 1, 0, 0, 0), "{r}");
    let states = app.all("/api/v1/stakeholders?kind=state").await;
    assert_eq!(states.len(), 1);
    assert_eq!(app.all(OFFERS).await[0]["stakeholder"], states[0]["id"]);

    let kenya = app.token(Role::State, Some("KEN"), None);
    let csv = "state,description__en\nKEN,Training for magistrates\n";
    let r = upload(&app, &format!("{BULK_REQUESTS}?dry_run=true"), csv, &kenya)
        .await
        .assert_ok_json();
    assert_eq!(counts(&r), (1, 1, 0, 0, 0), "{r}");
    assert!(app.all(REQUESTS).await.is_empty());
}

#[actix_web::test]
async fn each_row_is_held_to_the_rules_of_its_command() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let uganda = app.token(Role::State, Some("UGA"), None);
    let sync = app.token(Role::Sync, None, None);
    let (own_org, ngo) = organisation(&app, "Own NGO").await;
    let (other_org, other_ngo) = organisation(&app, "Other NGO").await;
    let partial = |path: &str| format!("{path}?mode=partial");

    // Requests: a State files for itself; admin for any State, with a reference.
    let ugandas = made(
        &app,
        REQUESTS,
        &uganda,
        &assistance_request("UGA", "Uganda's"),
    )
    .await;
    let mut ugandas_draft = assistance_request("UGA", "Uganda's draft");
    ugandas_draft["status"] = json!("draft");
    let ugandas_draft = made(&app, REQUESTS, &uganda, &ugandas_draft).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let csv = format!(
        "id,state,description__en,status\n\
         ,KEN,Kenya's own,open\n\
         ,UGA,For Uganda,open\n\
         {},KEN,Taking Uganda's,closed\n\
         {},KEN,Taking Uganda's draft,open\n\
         {unknown},KEN,Under an id of its choosing,open\n",
        id(&ugandas),
        id(&ugandas_draft)
    );
    let r = upload(&app, &partial(BULK_REQUESTS), csv, &kenya)
        .await
        .assert_ok_json();
    assert_eq!(counts(&r), (5, 1, 0, 0, 4), "{r}");
    let rows = &r["errors"];
    assert_eq!(
        (rows[0]["line"].as_u64(), rows[0]["column"].as_str()),
        (Some(3), Some("state")),
        "{r}"
    );
    for row in &rows.as_array().unwrap()[1..] {
        assert_eq!(
            row["message"], NOT_YOURS,
            "the same answer for another's item, a hidden one and no item: {r}"
        );
    }
    let csv = "state,description__en,reference\n\
               KEN,Filed on Kenya's behalf,Note verbale 1\n\
               KEN,Without a reference,\n";
    let r = upload(&app, &partial(BULK_REQUESTS), csv, &admin)
        .await
        .assert_ok_json();
    assert_eq!(counts(&r), (2, 1, 0, 0, 1), "{r}");
    assert_eq!(errors(&r), [(3, "reference".into(), "required".into())]);
    // Only States and admin file requests: any other upload is refused whole.
    let csv = "state,description__en\nKEN,Anyone's\n";
    for token in [&ngo, &sync] {
        upload(&app, BULK_REQUESTS, csv, token)
            .await
            .assert_problem(403, "forbidden");
    }
    upload(&app, BULK_OFFERS, "description__en\nx\n", &sync)
        .await
        .assert_problem(403, "forbidden");
    app.upload_as(BULK_REQUESTS, "text/csv", csv, None)
        .await
        .assert_problem(401, "unauthorized");

    // Offers: a contributor for its own organisation; admin names the stakeholder.
    let others = made(&app, OFFERS, &other_ngo, &offer("The other's")).await;
    let csv = format!(
        "id,stakeholder,description__en\n\
         ,,Implied\n\
         ,{own_org},Named\n\
         ,{other_org},Naming another\n\
         {},,Taking another's\n",
        id(&others)
    );
    let r = upload(&app, &partial(BULK_OFFERS), csv, &ngo)
        .await
        .assert_ok_json();
    assert_eq!(counts(&r), (4, 2, 0, 0, 2), "{r}");
    let errs = errors(&r);
    assert_eq!(
        errs[0],
        (4, "stakeholder".into(), "forbidden".into()),
        "{r}"
    );
    assert_eq!(errs[1].0, 5);
    assert_eq!(r["errors"][1]["message"], NOT_YOURS);
    let csv = format!("stakeholder,description__en\n,Unattributed\n{other_org},Attributed\n");
    let r = upload(&app, &partial(BULK_OFFERS), csv, &admin)
        .await
        .assert_ok_json();
    assert_eq!(counts(&r), (2, 1, 0, 0, 1), "{r}");
    assert_eq!(errors(&r), [(2, "stakeholder".into(), "required".into())]);
    // Nothing was changed that the uploaders may not change.
    let theirs = app
        .get_as(&format!("{OFFERS}/{}", id(&others)), &admin)
        .await
        .assert_ok_json();
    assert_eq!(theirs["description"]["en"], "The other's");
    let ugandas = app
        .get_as(&format!("{REQUESTS}/{}", id(&ugandas)), &admin)
        .await
        .assert_ok_json();
    assert_eq!(ugandas["status"], "open");
}
