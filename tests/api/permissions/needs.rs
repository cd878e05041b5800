//! Assistance requests and offers in the permission tables: every write route for every role,
//! the API and bulk uploads (and `upr-tc import`) agreeing on every case both can express, and
//! every field changed by every caller.

use actix_web::http::Method;
use serde_json::Value;
use upr_tc::app::policy::Upload as Kind;
use upr_tc::auth::Role;
use upr_tc_tests::{Request, TestApp, activity, assistance_request, json, offer, recommendation};

use super::{Callers, Outcome, Tally, callers, check, json_request, upload_row, with_token};
use crate::activities::{consent, organisation, submit};

const REQUESTS: &str = "/api/v1/assistance-requests";
const OFFERS: &str = "/api/v1/offers";

fn id(item: &Value) -> String {
    item["id"].as_str().unwrap().to_owned()
}

/// Files or makes an item with a token; returns it.
async fn made(app: &TestApp, path: &str, token: &str, body: &Value) -> Value {
    let reply = app.send_json(Method::POST, path, Some(token), body).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()
}

/// A request filed for Kenya by `filer`, with `reference` when admin files it.
async fn kenyas_request(
    app: &TestApp,
    filer: &str,
    description: &str,
    reference: Option<&str>,
) -> Value {
    let mut body = assistance_request("KEN", description);
    if let Some(r) = reference {
        body["reference"] = json!(r);
    }
    made(app, REQUESTS, filer, &body).await
}

fn upload(path: &str, token: Option<&str>, csv: String) -> Request {
    with_token(
        Request::post()
            .uri(path)
            .insert_header(("Content-Type", "text/csv"))
            .set_payload(csv),
        token,
    )
}

/// The writes of requests and offers, for every caller: a State files and changes its own
/// requests, `admin` any State's with a reference; a contributor makes and changes its
/// organisation's offers, a State its own, `admin` any; `sync` and anonymous callers write
/// nothing. A refusal leaves no audit entry.
#[actix_web::test]
async fn every_request_and_offer_route_for_every_role() {
    let app = TestApp::spawn();
    let (own_id, own_org) = organisation(&app, "Own NGO").await;
    let (_, other_org) = organisation(&app, "Other NGO").await;
    let callers = Callers {
        anonymous: None,
        sync: app.token(Role::Sync, None, None),
        own_org,
        other_org,
        own_state: app.token(Role::State, Some("KEN"), None),
        other_state: app.token(Role::State, Some("UGA"), None),
        admin: app.admin_token(),
    };

    // POST /assistance-requests: Kenya for itself, admin for Kenya with a reference.
    for (who, token) in callers.all() {
        let mut body = assistance_request("KEN", &format!("Filed by {who}"));
        let expected = match who {
            "anonymous" => 401,
            "own State" => 201,
            "admin" => {
                body["reference"] = json!("Note verbale KEN/2026/1");
                201
            }
            _ => 403,
        };
        let req = json_request(Method::POST, REQUESTS, token, &body);
        check(&app, "POST /assistance-requests", who, req, expected).await;
    }
    for (case, who, token, body, expected) in [
        (
            "POST /assistance-requests for another State",
            "own State",
            &callers.own_state,
            assistance_request("UGA", "For Uganda"),
            403,
        ),
        (
            "POST /assistance-requests without a reference",
            "admin",
            &callers.admin,
            assistance_request("KEN", "Without a reference"),
            422,
        ),
    ] {
        let req = json_request(Method::POST, REQUESTS, Some(token.as_str()), &body);
        check(&app, case, who, req, expected).await;
    }

    // PUT, PATCH and DELETE on a request Kenya filed and on one admin filed on its behalf.
    // Each change carries a reference: admin changes a State's words only with one.
    for (filer, reference, label) in [
        (&callers.own_state, None, "a request Kenya filed"),
        (
            &callers.admin,
            Some("NV 2"),
            "a request filed on Kenya's behalf",
        ),
    ] {
        for (who, token) in callers.all() {
            let allowed = who == "own State" || who == "admin";
            let denied = if token.is_none() { 401 } else { 403 };
            for method in [Method::PUT, Method::PATCH, Method::DELETE] {
                let description = format!("Target of {method} by {who} on {label}");
                let target = kenyas_request(&app, filer, &description, reference).await;
                let path = format!("{REQUESTS}/{}", id(&target));
                let req = match method {
                    Method::DELETE => with_token(Request::delete().uri(&path), token),
                    Method::PATCH => {
                        let patch = json!({"status": "closed", "reference": "NV 3"});
                        json_request(method.clone(), &path, token, &patch)
                    }
                    _ => {
                        let mut body = assistance_request("KEN", &format!("{description} again"));
                        body["reference"] = json!("NV 3");
                        json_request(method.clone(), &path, token, &body)
                    }
                };
                let ok = if method == Method::DELETE { 204 } else { 200 };
                let case = format!("{method} {label}");
                check(&app, &case, who, req, if allowed { ok } else { denied }).await;
            }
        }
    }
    // Admin changing what Kenya filed without giving a reference: a 422.
    let target = kenyas_request(&app, &callers.own_state, "Kenya's words", None).await;
    let path = format!("{REQUESTS}/{}", id(&target));
    let req = json_request(
        Method::PATCH,
        &path,
        Some(&callers.admin),
        &json!({"status": "closed"}),
    );
    check(
        &app,
        "PATCH a request without a reference",
        "admin",
        req,
        422,
    )
    .await;
    // A draft is not there at all for those who may not see it.
    let mut draft = assistance_request("KEN", "A draft request");
    draft["status"] = json!("draft");
    let draft = made(&app, REQUESTS, &callers.own_state, &draft).await;
    let path = format!("{REQUESTS}/{}", id(&draft));
    for (who, token) in callers.all() {
        if matches!(who, "own State" | "admin" | "anonymous") {
            continue;
        }
        let req = json_request(Method::PATCH, &path, token, &json!({"status": "open"}));
        check(&app, "PATCH someone else's draft request", who, req, 404).await;
    }

    // POST /offers: every writer as itself; admin names the stakeholder.
    for (who, token) in callers.all() {
        let mut body = offer(&format!("Made by {who}"));
        let expected = match who {
            "anonymous" => 401,
            "sync" => 403,
            "admin" => {
                body["stakeholder"] = json!(own_id);
                201
            }
            _ => 201,
        };
        let req = json_request(Method::POST, OFFERS, token, &body);
        check(&app, "POST /offers", who, req, expected).await;
    }
    let mut naming_the_ngo = offer("Naming the NGO");
    naming_the_ngo["stakeholder"] = json!(own_id);
    for (case, who, token, body, expected) in [
        (
            "POST /offers naming another stakeholder",
            "other contributor",
            &callers.other_org,
            &naming_the_ngo,
            403,
        ),
        (
            "POST /offers naming another stakeholder",
            "own State",
            &callers.own_state,
            &naming_the_ngo,
            403,
        ),
        (
            "POST /offers without a stakeholder",
            "admin",
            &callers.admin,
            &offer("Unattributed"),
            422,
        ),
    ] {
        let req = json_request(Method::POST, OFFERS, Some(token.as_str()), body);
        check(&app, case, who, req, expected).await;
    }

    // PUT, PATCH and DELETE on an NGO's offer and on Kenya's own.
    for (owner, label) in [
        (callers.own_org.clone(), "an NGO's offer"),
        (callers.own_state.clone(), "Kenya's own offer"),
    ] {
        for (who, token) in callers.all() {
            let allowed = who == "admin"
                || (who == "own contributor" && label == "an NGO's offer")
                || (who == "own State" && label == "Kenya's own offer");
            let denied = if token.is_none() { 401 } else { 403 };
            for method in [Method::PUT, Method::PATCH, Method::DELETE] {
                let description = format!("Target of {method} by {who} on {label}");
                let target = made(&app, OFFERS, &owner, &offer(&description)).await;
                let path = format!("{OFFERS}/{}", id(&target));
                let req = match method {
                    Method::DELETE => with_token(Request::delete().uri(&path), token),
                    Method::PATCH => {
                        json_request(method.clone(), &path, token, &json!({"status": "closed"}))
                    }
                    _ => {
                        let body = offer(&format!("{description} again"));
                        json_request(method.clone(), &path, token, &body)
                    }
                };
                let ok = if method == Method::DELETE { 204 } else { 200 };
                let case = format!("{method} {label}");
                check(&app, &case, who, req, if allowed { ok } else { denied }).await;
            }
        }
    }
    let mut draft = offer("A draft offer");
    draft["status"] = json!("draft");
    let draft = made(&app, OFFERS, &callers.own_org, &draft).await;
    let path = format!("{OFFERS}/{}", id(&draft));
    for (who, token) in callers.all() {
        if matches!(who, "own contributor" | "admin" | "anonymous") {
            continue;
        }
        let req = json_request(Method::PATCH, &path, token, &json!({"status": "open"}));
        check(&app, "PATCH someone else's draft offer", who, req, 404).await;
    }

    // The bulk routes: States and admin upload requests, every writer offers.
    for (who, token) in callers.all() {
        let (state, reference) = match who {
            "other State" => ("UGA", ""),
            "admin" => ("KEN", "NV 4"),
            _ => ("KEN", ""),
        };
        let csv = format!("state,description__en,reference\n{state},Bulk by {who},{reference}\n");
        let expected = match who {
            "anonymous" => 401,
            "own State" | "other State" | "admin" => 200,
            _ => 403,
        };
        let req = upload("/api/v1/bulk/assistance-requests", token, csv);
        check(&app, "POST /bulk/assistance-requests", who, req, expected).await;
        let stakeholder = if who == "admin" { own_id.as_str() } else { "" };
        let csv = format!("stakeholder,description__en\n{stakeholder},Bulk by {who}\n");
        let expected = match who {
            "anonymous" => 401,
            "sync" => 403,
            _ => 200,
        };
        let req = upload("/api/v1/bulk/offers", token, csv);
        check(&app, "POST /bulk/offers", who, req, expected).await;
    }
    // A row another may not write is a rejected row: the atomic upload writes nothing.
    for (case, who, token, path, csv, column) in [
        (
            "POST /bulk/assistance-requests for another State",
            "other State",
            &callers.other_state,
            "/api/v1/bulk/assistance-requests",
            "state,description__en\nKEN,Not Uganda's\n".to_owned(),
            "state",
        ),
        (
            "POST /bulk/offers naming another stakeholder",
            "other contributor",
            &callers.other_org,
            "/api/v1/bulk/offers",
            format!("stakeholder,description__en\n{own_id},Not theirs\n"),
            "stakeholder",
        ),
    ] {
        let report = check(&app, case, who, upload(path, Some(token), csv), 422).await;
        let error = &report["report"]["errors"][0];
        assert_eq!(
            (error["code"].as_str(), error["column"].as_str()),
            (Some("forbidden"), Some(column)),
            "{report}"
        );
    }
}

/// A request as a PUT body and as a CSV row (with its id) of a bulk upload.
struct RequestRow<'a> {
    state: &'a str,
    description: String,
    status: &'a str,
    reference: Option<&'a str>,
}

impl RequestRow<'_> {
    fn json(&self) -> Value {
        json!({
            "state": self.state,
            "description": {"en": self.description},
            "status": self.status,
            "reference": self.reference,
        })
    }

    fn csv(&self, id: Option<&str>) -> String {
        assert!(
            !self.description.contains(','),
            "one CSV cell: {}",
            self.description
        );
        format!(
            "id,state,description__en,status,reference\n{},{},{},{},{}\n",
            id.unwrap_or(""),
            self.state,
            self.description,
            self.status,
            self.reference.unwrap_or("")
        )
    }
}

/// Every (role, command, target) case on assistance requests, through the API (`POST`, `PUT`)
/// and through a bulk upload (the operator: `upr-tc import`): filing one for Kenya, with or
/// without a reference; rewording, closing, moving to another State a request Kenya filed and
/// one admin filed on its behalf, giving a reference to the first and taking it from the
/// second. Deleting has no bulk form.
#[actix_web::test]
async fn the_api_and_a_bulk_upload_agree_on_every_request_case() {
    let app = TestApp::spawn();
    let (_, own_org) = organisation(&app, "Own NGO").await;
    let (_, other_org) = organisation(&app, "Other NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let admin = app.admin_token();
    let tokens = [
        ("anonymous", None),
        ("sync", Some(app.token(Role::Sync, None, None))),
        ("own contributor", Some(own_org)),
        ("other contributor", Some(other_org)),
        ("own State", Some(kenya.clone())),
        (
            "other State",
            Some(app.token(Role::State, Some("UGA"), None)),
        ),
        ("admin", Some(admin.clone())),
    ];
    let mut tally = Tally::default();
    for (who, token, way) in callers(&tokens, &admin) {
        for (naming, reference) in [("no reference", None), ("a reference", Some("NV 1"))] {
            let n = tally.next();
            let row = |description: String| RequestRow {
                state: "KEN",
                description,
                status: "open",
                reference,
            };
            let body = row(format!("Case {n}")).json();
            let api = Outcome::of_reply(&app.send_json(Method::POST, REQUESTS, token, &body).await);
            let csv = row(format!("Case {n} in bulk")).csv(None);
            let bulk = upload_row(&app, way, Kind::AssistanceRequests, csv).await;
            tally.record(format!("{who} files for Kenya with {naming}"), api, bulk);
        }
        for (whose, filer, had) in [
            ("Kenya's own request", &kenya, None),
            ("the request filed on Kenya's behalf", &admin, Some("NV 0")),
        ] {
            let mut commands = vec![
                ("rewords", "KEN", "open", had),
                ("closes", "KEN", "closed", had),
            ];
            commands.push(("moves to Uganda", "UGA", "open", had));
            commands.push(match had {
                None => ("gives a reference to", "KEN", "open", Some("NV 9")),
                Some(_) => ("takes the reference from", "KEN", "open", None),
            });
            for (command, state, status, reference) in commands {
                let n = tally.next();
                let api_target = kenyas_request(&app, filer, &format!("Case {n}"), had).await;
                let bulk_target = kenyas_request(&app, filer, &format!("Case {n} bulk"), had).await;
                let row = |description: String| RequestRow {
                    state,
                    description,
                    status,
                    reference,
                };
                let path = format!("{REQUESTS}/{}", id(&api_target));
                let body = row(format!("Case {n} changed")).json();
                let api = Outcome::of_reply(&app.send_json(Method::PUT, &path, token, &body).await);
                let csv = row(format!("Case {n} bulk changed")).csv(Some(&id(&bulk_target)));
                let bulk = upload_row(&app, way, Kind::AssistanceRequests, csv).await;
                tally.record(format!("{who} {command} {whose}"), api, bulk);
            }
        }
    }
    // Both kinds of answer occur. Filing done: Kenya with and without a reference, admin and
    // the operator with one (4). Changing done: by Kenya, all but moving either request to
    // Uganda (6); by admin and the operator, giving Kenya's own a reference and every change
    // of the one filed on its behalf but taking its reference (4 each).
    assert_eq!(tally.agreed(), (18, 80), "cases done, of all cases");
}

/// An offer as a PUT body and as a CSV row (with its id) of a bulk upload.
struct OfferRow<'a> {
    stakeholder: Option<&'a str>,
    description: String,
    status: &'a str,
}

impl OfferRow<'_> {
    fn json(&self) -> Value {
        let mut body = offer(&self.description);
        body["stakeholder"] = json!(self.stakeholder);
        body["status"] = json!(self.status);
        body
    }

    fn csv(&self, id: Option<&str>) -> String {
        assert!(
            !self.description.contains(','),
            "one CSV cell: {}",
            self.description
        );
        format!(
            "id,stakeholder,description__en,status,themes,sdg_targets,modalities,languages,\
             regions,period_start,period_end,capacity__en\n\
             {},{},{},{},womens_rights,5.1,legislative_advice,fr|en,002,2027-01-01,2027-12-31,\
             Two legal experts for three missions\n",
            id.unwrap_or(""),
            self.stakeholder.unwrap_or(""),
            self.description,
            self.status,
        )
    }
}

/// Every (role, command, target) case on offers, through the API (`POST`, `PUT`) and through a
/// bulk upload (the operator: `upr-tc import`): making one naming no stakeholder, an NGO or
/// Kenya's own stakeholder; rewording, closing, handing to another NGO the NGO's offer and
/// Kenya's own. Deleting has no bulk form.
#[actix_web::test]
async fn the_api_and_a_bulk_upload_agree_on_every_offer_case() {
    let app = TestApp::spawn();
    let (own_id, own_org) = organisation(&app, "Own NGO").await;
    let (other_id, other_org) = organisation(&app, "Other NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let admin = app.admin_token();
    // Kenya's own stakeholder, registered by its first offer.
    let kenyas = made(&app, OFFERS, &kenya, &offer("Kenya's first")).await;
    let kenya_id = kenyas["stakeholder"].as_str().unwrap().to_owned();
    let tokens = [
        ("anonymous", None),
        ("sync", Some(app.token(Role::Sync, None, None))),
        ("own contributor", Some(own_org.clone())),
        ("other contributor", Some(other_org)),
        ("own State", Some(kenya.clone())),
        (
            "other State",
            Some(app.token(Role::State, Some("UGA"), None)),
        ),
        ("admin", Some(admin.clone())),
    ];
    let mut tally = Tally::default();
    for (who, token, way) in callers(&tokens, &admin) {
        for (naming, stakeholder) in [
            ("no stakeholder", None),
            ("the NGO", Some(own_id.as_str())),
            ("Kenya", Some(kenya_id.as_str())),
        ] {
            let n = tally.next();
            let row = |description: String| OfferRow {
                stakeholder,
                description,
                status: "open",
            };
            let body = row(format!("Case {n}")).json();
            let api = Outcome::of_reply(&app.send_json(Method::POST, OFFERS, token, &body).await);
            let csv = row(format!("Case {n} in bulk")).csv(None);
            let bulk = upload_row(&app, way, Kind::Offers, csv).await;
            tally.record(format!("{who} makes an offer naming {naming}"), api, bulk);
        }
        for (whose, owner, owner_id) in [
            ("the NGO's", &own_org, &own_id),
            ("Kenya's own", &kenya, &kenya_id),
        ] {
            for (command, stakeholder, status) in [
                ("rewords", owner_id, "open"),
                ("closes", owner_id, "closed"),
                ("hands to another NGO", &other_id, "open"),
            ] {
                let n = tally.next();
                let api_target = made(&app, OFFERS, owner, &offer(&format!("Case {n}"))).await;
                let bulk_target =
                    made(&app, OFFERS, owner, &offer(&format!("Case {n} bulk"))).await;
                let row = |description: String| OfferRow {
                    stakeholder: Some(stakeholder.as_str()),
                    description,
                    status,
                };
                let path = format!("{OFFERS}/{}", id(&api_target));
                let body = row(format!("Case {n} changed")).json();
                let api = Outcome::of_reply(&app.send_json(Method::PUT, &path, token, &body).await);
                let csv = row(format!("Case {n} bulk changed")).csv(Some(&id(&bulk_target)));
                let bulk = upload_row(&app, way, Kind::Offers, csv).await;
                tally.record(format!("{who} {command} {whose} offer"), api, bulk);
            }
        }
    }
    // Both kinds of answer occur. Making done: each contributor and each State as itself (4),
    // the NGO naming itself and Kenya naming itself (2), admin and the operator naming either
    // (4). Changing done: the NGO's by the NGO and Kenya's by Kenya, but not handing them to
    // another (4); every change by admin and by the operator (12).
    assert_eq!(tally.agreed(), (26, 72), "cases done, of all cases");
}

/// Patches `field` of the item at `path` to `value` as each caller, expecting its status: a
/// change made is undone whole by admin (`PUT`), a refused one changed nothing.
async fn each_caller_patches(
    app: &TestApp,
    path: &str,
    field: &str,
    value: &Value,
    callers: &[(&str, Option<&str>, u16)],
) {
    let admin = app.admin_token();
    for (who, token, expected) in callers {
        let before = app.get_as(path, &admin).await.assert_ok_json();
        let case = format!("PATCH {field} to {value} of {path}");
        let req = json_request(Method::PATCH, path, *token, &json!({ field: value }));
        let reply = check(app, &case, who, req, *expected).await;
        let after = app.get_as(path, &admin).await.assert_ok_json();
        if *expected == 200 {
            assert_eq!(&after[field], value, "{case} as {who}: {reply}");
            let mut undo = before.clone();
            for read_only in ["id", "created_at", "updated_at", "version"] {
                undo.as_object_mut().unwrap().remove(read_only);
            }
            app.send_json(Method::PUT, path, Some(&admin), &undo)
                .await
                .assert_ok_json();
        } else {
            assert_eq!(after, before, "{case} as {who}: nothing changed");
        }
    }
}

/// Every field of an assistance request, changed by every caller. The request was filed on
/// Kenya's behalf by admin (with a reference), so admin may change it: Kenya changes every
/// field but its State; admin every field but its reference, which it may not take away;
/// recommendations not Kenya's accepted ones are refused to both. Everyone else is refused
/// every field.
#[actix_web::test]
async fn every_field_of_a_request_for_every_role() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, own_org) = organisation(&app, "Own NGO").await;
    let (_, other_org) = organisation(&app, "Other NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let uganda = app.token(Role::State, Some("UGA"), None);
    let sync = app.token(Role::Sync, None, None);
    let accepted = id(&app
        .create(
            "/api/v1/recommendations",
            &recommendation("KEN", 35, "Kenya's"),
        )
        .await);
    let ugandas = id(&app
        .create(
            "/api/v1/recommendations",
            &recommendation("UGA", 35, "Uganda's"),
        )
        .await);
    let target = kenyas_request(&app, &admin, "Training for magistrates", Some("NV 1")).await;
    let path = format!("{REQUESTS}/{}", id(&target));
    // (field, a new value, Kenya's answer, admin's answer)
    let fields: Vec<(&str, Value, u16, u16)> = vec![
        ("state", json!("UGA"), 403, 200),
        ("reference", Value::Null, 200, 422),
        ("reference", json!("Note verbale KEN/2027/2"), 200, 200),
        ("status", json!("closed"), 200, 200),
        ("status", json!("draft"), 200, 200),
        ("description", json!({"en": "Reworded"}), 200, 200),
        ("recommendations", json!([accepted]), 200, 200),
        ("recommendations", json!([ugandas]), 422, 422),
        ("themes", json!(["justice"]), 200, 200),
        ("sdg_targets", json!(["16.3"]), 200, 200),
        ("modalities", json!(["training"]), 200, 200),
        ("languages", json!(["sw", "en"]), 200, 200),
        (
            "period",
            json!({"start": "2027-03-01", "end": "2027-09-30"}),
            200,
            200,
        ),
    ];
    for (field, value, kenyas, admins) in &fields {
        let callers: Vec<(&str, Option<&str>, u16)> = vec![
            ("anonymous", None, 401),
            ("sync", Some(&sync), 403),
            ("own contributor", Some(&own_org), 403),
            ("other contributor", Some(&other_org), 403),
            ("own State", Some(&kenya), *kenyas),
            ("other State", Some(&uganda), 403),
            ("admin", Some(&admin), *admins),
        ];
        each_caller_patches(&app, &path, field, value, &callers).await;
    }
}

/// Every field of an offer, changed by every caller: an NGO's (its contributor's) and Kenya's
/// own (Kenya's). Its stakeholder is admin's to change; the owner and admin change the rest;
/// activities cited must be the stakeholder's own public ones, whoever cites them. Everyone
/// else is refused every field.
#[actix_web::test]
async fn every_field_of_an_offer_for_every_role() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, own_org) = organisation(&app, "Own NGO").await;
    let (other_id, other_org) = organisation(&app, "Other NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let uganda = app.token(Role::State, Some("UGA"), None);
    let sync = app.token(Role::Sync, None, None);
    // Kenya publishes what concerns it: the NGO's activity is public, as Kenya's own is.
    consent(&app, &kenya, json!({"decision": "granted", "scope": "all"})).await;
    let ngos_activity = id(&submit(&app, &own_org, &activity(&["KEN"], "The NGO's")).await);
    let kenyas_activity = id(&submit(&app, &kenya, &activity(&["KEN"], "Kenya's")).await);
    for (target, owner, own_activity, others_activity) in [
        (
            "own contributor",
            &own_org,
            &ngos_activity,
            &kenyas_activity,
        ),
        ("own State", &kenya, &kenyas_activity, &ngos_activity),
    ] {
        let made = made(
            &app,
            OFFERS,
            owner,
            &offer(&format!("Made by the {target}")),
        )
        .await;
        let path = format!("{OFFERS}/{}", id(&made));
        // Only a State's own offer is peer to peer, whoever says so.
        let peer_to_peer = if target == "own State" { 200 } else { 422 };
        // (field, a new value, the owner's answer, admin's answer)
        let fields: Vec<(&str, Value, u16, u16)> = vec![
            ("stakeholder", json!(other_id), 403, 200),
            ("status", json!("closed"), 200, 200),
            ("status", json!("draft"), 200, 200),
            ("description", json!({"en": "Reworded"}), 200, 200),
            ("capacity", json!({"en": "Three experts"}), 200, 200),
            ("capacity", Value::Null, 200, 200),
            ("themes", json!(["justice"]), 200, 200),
            ("sdg_targets", json!(["16.3"]), 200, 200),
            ("modalities", json!(["training"]), 200, 200),
            ("languages", json!(["es"]), 200, 200),
            ("states", json!(["KEN", "UGA"]), 200, 200),
            ("regions", json!(["019"]), 200, 200),
            ("regional_groups", json!(["african"]), 200, 200),
            ("peer_to_peer", json!(true), peer_to_peer, peer_to_peer),
            (
                "period",
                json!({"start": "2027-03-01", "end": "2027-09-30"}),
                200,
                200,
            ),
            ("activities", json!([own_activity]), 200, 200),
            ("activities", json!([others_activity]), 422, 422),
        ];
        for (field, value, owners, admins) in &fields {
            let answer = |who: &str| if who == target { *owners } else { 403 };
            let callers: Vec<(&str, Option<&str>, u16)> = vec![
                ("anonymous", None, 401),
                ("sync", Some(&sync), 403),
                ("own contributor", Some(&own_org), answer("own contributor")),
                ("other contributor", Some(&other_org), 403),
                ("own State", Some(&kenya), answer("own State")),
                ("other State", Some(&uganda), 403),
                ("admin", Some(&admin), *admins),
            ];
            each_caller_patches(&app, &path, field, value, &callers).await;
        }
    }
}
