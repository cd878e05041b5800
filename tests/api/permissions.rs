//! The permission matrix: every write route × every role × own or other organisation or
//! State, with the status expected. A write that is refused leaves no audit entry (so wrote
//! nothing); one that succeeds leaves at least one.

use actix_web::http::Method;
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc_tests::{Request, TestApp, activity, json, recommendation, stakeholder};

use crate::activities::{PATH, consent, organisation, submit};

/// How many entries the audit trail holds.
async fn audit_len(app: &TestApp) -> usize {
    let token = app.admin_token();
    let mut n = 0;
    let mut url = "/api/v1/audit?limit=200".to_owned();
    loop {
        let page = app.get_as(&url, &token).await.assert_ok_json();
        n += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/audit?limit=200&cursor={c}"),
            None => return n,
        }
    }
}

/// The callers of the matrix.
struct Callers {
    anonymous: Option<String>,
    sync: String,
    own_org: String,
    other_org: String,
    own_state: String,
    other_state: String,
    admin: String,
}

impl Callers {
    fn all(&self) -> [(&'static str, Option<&str>); 7] {
        [
            ("anonymous", self.anonymous.as_deref()),
            ("sync", Some(&self.sync)),
            ("own contributor", Some(&self.own_org)),
            ("other contributor", Some(&self.other_org)),
            ("own State", Some(&self.own_state)),
            ("other State", Some(&self.other_state)),
            ("admin", Some(&self.admin)),
        ]
    }
}

/// Sends a write and checks its status, and that the audit trail grew exactly when it
/// succeeded.
async fn check(app: &TestApp, case: &str, who: &str, req: Request, expected: u16) -> Value {
    let before = audit_len(app).await;
    let reply = app.send(req).await;
    assert_eq!(
        reply.status.as_u16(),
        expected,
        "{case} as {who}: {}",
        reply.text()
    );
    let after = audit_len(app).await;
    if reply.status.is_success() {
        assert!(after > before, "{case} as {who}: no audit entry");
    } else {
        assert_eq!(after, before, "{case} as {who}: a refused write wrote");
    }
    if reply.body.is_empty() {
        Value::Null
    } else {
        reply.json()
    }
}

fn with_token(req: Request, token: Option<&str>) -> Request {
    match token {
        Some(t) => req.insert_header(("Authorization", format!("Bearer {t}"))),
        None => req,
    }
}

fn json_request(method: Method, path: &str, token: Option<&str>, body: &Value) -> Request {
    with_token(
        Request::default().method(method).uri(path).set_json(body),
        token,
    )
}

#[actix_web::test]
async fn every_write_route_for_every_role() {
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
    // Kenya publishes everything that concerns it, so every caller sees the activities below
    // and a refusal is a 403, not a 404.
    consent(
        &app,
        &callers.own_state,
        json!({"decision": "granted", "scope": "all"}),
    )
    .await;

    // POST /activities: who may submit, as whom.
    let new = activity(&["KEN"], "Submitted in the matrix");
    let mut as_admin = new.clone();
    as_admin["submitter"] = json!(own_id);
    for (who, token) in callers.all() {
        let (body, expected) = match who {
            "anonymous" => (&new, 401),
            "sync" => (&new, 403),
            "admin" => (&as_admin, 201),
            _ => (&new, 201),
        };
        let mut body = body.clone();
        body["title"] = json!({"en": format!("Submitted by {who}")});
        check(
            &app,
            "POST /activities",
            who,
            json_request(Method::POST, PATH, token, &body),
            expected,
        )
        .await;
    }
    // Naming another submitter is refused to all but admin; admin must name one.
    check(
        &app,
        "POST /activities naming another submitter",
        "own contributor",
        json_request(Method::POST, PATH, Some(&callers.other_org), &as_admin),
        403,
    )
    .await;
    check(
        &app,
        "POST /activities naming another submitter",
        "own State",
        json_request(Method::POST, PATH, Some(&callers.own_state), &as_admin),
        403,
    )
    .await;
    check(
        &app,
        "POST /activities without a submitter",
        "admin",
        json_request(Method::POST, PATH, Some(&callers.admin), &new),
        422,
    )
    .await;

    // PUT, PATCH and DELETE on an NGO's activity and on a State's own activity.
    for (owner, owner_label) in [
        (callers.own_org.clone(), "an NGO's activity"),
        (callers.own_state.clone(), "Kenya's own activity"),
    ] {
        for (who, token) in callers.all() {
            let allowed = who == "admin"
                || (who == "own contributor" && owner_label == "an NGO's activity")
                || (who == "own State" && owner_label == "Kenya's own activity");
            let denied = if token.is_none() { 401 } else { 403 };
            for method in [Method::PUT, Method::PATCH, Method::DELETE] {
                let title = format!("Target of {method} by {who} on {owner_label}");
                let target = submit(&app, &owner, &activity(&["KEN"], &title)).await;
                let path = format!("{PATH}/{}", target["id"].as_str().unwrap());
                let mut body = activity(&["KEN"], &format!("{title}, changed"));
                if method == Method::PATCH {
                    body = json!({"status": "closed"});
                }
                let req = if method == Method::DELETE {
                    with_token(Request::delete().uri(&path), token)
                } else {
                    json_request(method.clone(), &path, token, &body)
                };
                let ok = if method == Method::DELETE { 204 } else { 200 };
                check(
                    &app,
                    &format!("{method} {owner_label}"),
                    who,
                    req,
                    if allowed { ok } else { denied },
                )
                .await;
            }
        }
    }
    // A draft is not there at all for those who may not see it.
    let draft = {
        let mut b = activity(&["KEN"], "A draft");
        b["publication"] = json!("draft");
        submit(&app, &callers.own_org, &b).await
    };
    let draft_path = format!("{PATH}/{}", draft["id"].as_str().unwrap());
    for (who, token) in [
        ("other contributor", Some(callers.other_org.as_str())),
        ("own State", Some(callers.own_state.as_str())),
        ("sync", Some(callers.sync.as_str())),
    ] {
        check(
            &app,
            "PATCH someone else's draft",
            who,
            json_request(
                Method::PATCH,
                &draft_path,
                token,
                &json!({"status": "closed"}),
            ),
            404,
        )
        .await;
    }

    // POST /consents: a State for itself, admin with a reference, nobody else.
    for (who, token) in callers.all() {
        let (body, expected) = match who {
            "anonymous" => (json!({"decision": "granted", "scope": "all"}), 401),
            "own State" => (json!({"decision": "granted", "scope": "all"}), 201),
            "other State" => (
                json!({"state": "KEN", "decision": "refused", "scope": "all"}),
                403,
            ),
            "admin" => (
                json!({"state": "KEN", "decision": "granted", "scope": "all", "reference": "NV 1"}),
                201,
            ),
            _ => (
                json!({"state": "KEN", "decision": "refused", "scope": "all"}),
                403,
            ),
        };
        check(
            &app,
            "POST /consents",
            who,
            json_request(Method::POST, "/api/v1/consents", token, &body),
            expected,
        )
        .await;
    }

    // POST /bulk/activities: contributors and States upload their own, admin any.
    let ndjson = |title: &str, submitter: Option<&str>| {
        let mut a = activity(&["KEN"], title);
        if let Some(s) = submitter {
            a["submitter"] = json!(s);
        }
        format!("{a}\n")
    };
    for (who, token) in callers.all() {
        let body = ndjson(
            &format!("Bulk by {who}"),
            (who == "admin").then_some(&own_id),
        );
        let expected = match who {
            "anonymous" => 401,
            "sync" => 403,
            _ => 200,
        };
        check(
            &app,
            "POST /bulk/activities",
            who,
            with_token(
                Request::post()
                    .uri("/api/v1/bulk/activities")
                    .insert_header(("Content-Type", "application/x-ndjson"))
                    .set_payload(body),
                token,
            ),
            expected,
        )
        .await;
    }
    // A row naming another organisation is a rejected row: the atomic upload writes nothing.
    let report = check(
        &app,
        "POST /bulk/activities naming another submitter",
        "other contributor",
        with_token(
            Request::post()
                .uri("/api/v1/bulk/activities")
                .insert_header(("Content-Type", "application/x-ndjson"))
                .set_payload(ndjson("Not theirs", Some(&own_id))),
            Some(&callers.other_org),
        ),
        422,
    )
    .await;
    assert_eq!(
        report["report"]["errors"][0]["code"], "forbidden",
        "{report}"
    );

    // Recommendations and their bulk route: admin only. Registering stakeholders, in bulk too:
    // admin only (contributors and States upload changes to their own, so their upload is
    // taken and its row refused: the atomic upload writes nothing).
    let rec = app
        .create(
            "/api/v1/recommendations",
            &recommendation("KEN", 30, "Target"),
        )
        .await;
    let rec_path = format!("/api/v1/recommendations/{}", rec["id"].as_str().unwrap());
    for (who, token) in callers.all() {
        let denied = if token.is_none() { 401 } else { 403 };
        let admin = who == "admin";
        let mut body = recommendation("KEN", 30, &format!("New by {who}"));
        check(
            &app,
            "POST /recommendations",
            who,
            json_request(Method::POST, "/api/v1/recommendations", token, &body),
            if admin { 201 } else { denied },
        )
        .await;
        body["text"] = json!({"en": "Target"});
        body["themes"] = json!([if admin { "detention" } else { "justice" }]);
        check(
            &app,
            "PUT /recommendations/{id}",
            who,
            json_request(Method::PUT, &rec_path, token, &body),
            if admin { 200 } else { denied },
        )
        .await;
        check(
            &app,
            "PATCH /recommendations/{id}",
            who,
            json_request(
                Method::PATCH,
                &rec_path,
                token,
                &json!({"action_category": if admin { 3 } else { 4 }}),
            ),
            if admin { 200 } else { denied },
        )
        .await;
        for (route, csv) in [
            (
                "/api/v1/bulk/recommendations",
                format!("state_under_review,session,text__en\nKEN,30,Bulk by {who}\n"),
            ),
            (
                "/api/v1/bulk/stakeholders",
                format!("kind,name__en\nacademia,Bulk by {who}\n"),
            ),
        ] {
            check(
                &app,
                &format!("POST {route}"),
                who,
                with_token(
                    Request::post()
                        .uri(route)
                        .insert_header(("Content-Type", "text/csv"))
                        .set_payload(csv),
                    token,
                ),
                match who {
                    "admin" => 200,
                    "own contributor" | "other contributor" | "own State" | "other State"
                        if route.ends_with("stakeholders") =>
                    {
                        422
                    }
                    _ => denied,
                },
            )
            .await;
        }
    }
    for (who, token) in callers.all() {
        let admin = who == "admin";
        let target = app
            .create("/api/v1/recommendations", &recommendation("KEN", 31, who))
            .await;
        let path = format!("/api/v1/recommendations/{}", target["id"].as_str().unwrap());
        check(
            &app,
            "DELETE /recommendations/{id}",
            who,
            with_token(Request::delete().uri(&path), token),
            if admin {
                204
            } else if token.is_none() {
                401
            } else {
                403
            },
        )
        .await;
    }

    // Stakeholders: admin registers and deletes; an organisation edits itself, a State its
    // own bodies.
    let kenya_body = app
        .create(
            "/api/v1/stakeholders",
            &stakeholder("nmirf", Some("KEN"), "Kenya NMIRF"),
        )
        .await;
    let own_path = format!("/api/v1/stakeholders/{own_id}");
    let body_path = format!(
        "/api/v1/stakeholders/{}",
        kenya_body["id"].as_str().unwrap()
    );
    for (who, token) in callers.all() {
        let denied = if token.is_none() { 401 } else { 403 };
        let admin = who == "admin";
        check(
            &app,
            "POST /stakeholders",
            who,
            json_request(
                Method::POST,
                "/api/v1/stakeholders",
                token,
                &stakeholder("academia", None, &format!("University of {who}")),
            ),
            if admin { 201 } else { denied },
        )
        .await;
        let own = admin || who == "own contributor";
        check(
            &app,
            "PATCH an organisation",
            who,
            json_request(
                Method::PATCH,
                &own_path,
                token,
                &json!({"website": format!("https://example.org/{}", who.replace(' ', "-"))}),
            ),
            if own { 200 } else { denied },
        )
        .await;
        let state_body = admin || who == "own State";
        check(
            &app,
            "PATCH a State body",
            who,
            json_request(
                Method::PATCH,
                &body_path,
                token,
                &json!({"website": format!("https://example.go.ke/{}", who.replace(' ', "-"))}),
            ),
            if state_body { 200 } else { denied },
        )
        .await;
        let target = app
            .create(
                "/api/v1/stakeholders",
                &stakeholder("academia", None, &format!("Delete me {who}")),
            )
            .await;
        let path = format!("/api/v1/stakeholders/{}", target["id"].as_str().unwrap());
        check(
            &app,
            "DELETE /stakeholders/{id}",
            who,
            with_token(Request::delete().uri(&path), token),
            if admin { 204 } else { denied },
        )
        .await;
    }
    // An organisation named by activities cannot be deleted.
    check(
        &app,
        "DELETE a submitting organisation",
        "admin",
        with_token(Request::delete().uri(&own_path), Some(&callers.admin)),
        409,
    )
    .await;
}

/// Every field of a stakeholder, changed by each caller who may edit the stakeholder at all:
/// its own contributor (an NHRI), its State (for a State's body) and `admin`. What kind of
/// organisation it is, its country and its accreditation are `admin`'s to set; the rest is the
/// organisation's own. Callers who may not edit the stakeholder are refused every field.
#[actix_web::test]
async fn every_field_of_a_stakeholder_for_every_role() {
    let app = TestApp::spawn();
    let mut nhri = stakeholder(
        "nhri",
        Some("KEN"),
        "Kenya National Commission on Human Rights",
    );
    nhri["nhri_accreditation"] = json!("A");
    let nhri = app.create("/api/v1/stakeholders", &nhri).await;
    let nmirf = app
        .create(
            "/api/v1/stakeholders",
            &stakeholder("nmirf", Some("KEN"), "Kenya NMIRF"),
        )
        .await;
    let id = |s: &Value| s["id"].as_str().unwrap().to_owned();
    let own_contributor = app.token(Role::Contributor, None, Some(&id(&nhri)));
    let (_, other_contributor) = organisation(&app, "Other NGO").await;
    let own_state = app.token(Role::State, Some("KEN"), None);
    let other_state = app.token(Role::State, Some("UGA"), None);
    let admin = app.admin_token();
    let sync = app.token(Role::Sync, None, None);
    // (field, a new value, only admin may change it)
    let fields: Vec<(&str, Value, bool)> = vec![
        ("kind", json!("state"), true),
        ("country", json!("TZA"), true),
        ("nhri_accreditation", json!("B"), true),
        ("name", json!({"en": "Renamed"}), false),
        ("acronym", json!({"en": "KNX"}), false),
        ("website", json!("https://example.net"), false),
        (
            "contact",
            json!({"name": "New focal point", "email": "new@example.org", "phone": "+41 22 917 9000"}),
            false,
        ),
        (
            "themes",
            json!(["justice", "asylum_seekers_refugees"]),
            false,
        ),
        ("languages", json!(["en", "sw"]), false),
        ("regions", json!(["002", "202"]), false),
        (
            "external_refs",
            json!([{"source": "ganhri", "external_id": "KE-1"}]),
            false,
        ),
    ];
    for (target, editors) in [
        (&nhri, vec![("own contributor", &own_contributor)]),
        (&nmirf, vec![("own State", &own_state)]),
    ] {
        let path = format!("/api/v1/stakeholders/{}", id(target));
        for (field, value, admin_only) in &fields {
            // The accreditation is an NHRI's only.
            if *field == "nhri_accreditation" && target["kind"] != "nhri" {
                continue;
            }
            let patch = json!({ *field: value });
            let mut callers: Vec<(&str, Option<&str>, u16)> = vec![
                ("anonymous", None, 401),
                ("sync", Some(&sync), 403),
                ("other contributor", Some(&other_contributor), 403),
                ("other State", Some(&other_state), 403),
            ];
            for (who, token) in &editors {
                callers.push((who, Some(token), if *admin_only { 403 } else { 200 }));
            }
            callers.push(("admin", Some(&admin), 200));
            for (who, token, expected) in callers {
                let before = app.get_as(&path, &admin).await.assert_ok_json();
                let case = format!("PATCH {field} of the {}", target["kind"]);
                let reply = check(
                    &app,
                    &case,
                    who,
                    json_request(Method::PATCH, &path, token, &patch),
                    expected,
                )
                .await;
                let after = app.get_as(&path, &admin).await.assert_ok_json();
                if expected == 200 {
                    assert_eq!(&after[*field], value, "{case} as {who}: {reply}");
                    // Put back whole, so the next caller changes it again.
                    let mut undo = before.clone();
                    for read_only in ["id", "created_at", "updated_at", "version"] {
                        undo.as_object_mut().unwrap().remove(read_only);
                    }
                    app.send_json(Method::PUT, &path, Some(&admin), &undo)
                        .await
                        .assert_ok_json();
                } else {
                    assert_eq!(after, before, "{case} as {who}: nothing changed");
                }
            }
        }
    }
}

/// What became of one case: done (created or updated), or refused (any 4xx, or a rejected row).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Outcome {
    Done,
    Refused,
}

/// A bulk upload of one CSV row of an activity, as `token`; what became of the row.
async fn bulk_row(
    app: &TestApp,
    token: Option<&str>,
    id: Option<&str>,
    submitter: Option<&str>,
    title: &str,
) -> Outcome {
    assert!(!title.contains(','), "one CSV cell: {title}");
    let csv = format!(
        "id,title__en,states_concerned,status,publication,submitter\n{},{title},KEN,implementation,submitted,{}\n",
        id.unwrap_or(""),
        submitter.unwrap_or("")
    );
    let reply = app
        .upload_as(
            "/api/v1/bulk/activities?mode=partial",
            "text/csv",
            csv,
            token,
        )
        .await;
    if reply.status.is_client_error() {
        return Outcome::Refused;
    }
    let report = reply.assert_ok_json();
    if report["created"] == 1 || report["updated"] == 1 {
        Outcome::Done
    } else {
        assert_eq!(report["rejected"], 1, "{report}");
        Outcome::Refused
    }
}

/// Every (role, command, target) case on activities, through the API and through a bulk
/// upload: one answer to "may this caller do this", whichever way it asks.
#[actix_web::test]
async fn the_api_and_a_bulk_upload_agree_on_every_case() {
    let app = TestApp::spawn();
    let (own_id, own_org) = organisation(&app, "Own NGO").await;
    let (_, other_org) = organisation(&app, "Other NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let uganda = app.token(Role::State, Some("UGA"), None);
    let admin = app.admin_token();
    let sync = app.token(Role::Sync, None, None);
    // Kenya's own stakeholder, registered by its first submission.
    let kenyas = submit(&app, &kenya, &activity(&["KEN"], "Kenya's first")).await;
    let kenya_id = kenyas["submitter"].as_str().unwrap().to_owned();
    let callers: [(&str, Option<&str>); 7] = [
        ("anonymous", None),
        ("sync", Some(&sync)),
        ("own contributor", Some(&own_org)),
        ("other contributor", Some(&other_org)),
        ("own State", Some(&kenya)),
        ("other State", Some(&uganda)),
        ("admin", Some(&admin)),
    ];
    let mut disagreements = Vec::new();
    let mut n = 0;
    let mut done = 0;
    for (who, token) in callers {
        // Submit a new activity, naming no submitter, its own, or the NGO.
        for (naming, submitter) in [
            ("no submitter", None),
            ("the NGO", Some(own_id.as_str())),
            ("Kenya", Some(kenya_id.as_str())),
        ] {
            n += 1;
            let title = format!("Case {n}");
            let mut body = activity(&["KEN"], &title);
            if let Some(s) = submitter {
                body["submitter"] = json!(s);
            }
            let api = app.send_json(Method::POST, PATH, token, &body).await;
            let api = if api.status.is_success() {
                Outcome::Done
            } else {
                Outcome::Refused
            };
            let bulk = bulk_row(&app, token, None, submitter, &format!("Case {n} in bulk")).await;
            done += usize::from(api == Outcome::Done);
            if api != bulk {
                disagreements.push(format!(
                    "{who} submits naming {naming}: API {api:?}, bulk {bulk:?}"
                ));
            }
        }
        // Change an existing activity: the NGO's, Kenya's own.
        for (whose, owner) in [("the NGO's", &own_org), ("Kenya's own", &kenya)] {
            n += 1;
            let api_target = submit(&app, owner, &activity(&["KEN"], &format!("Case {n}"))).await;
            let bulk_target =
                submit(&app, owner, &activity(&["KEN"], &format!("Case {n}, bulk"))).await;
            let body = activity(&["KEN"], &format!("Case {n}, changed"));
            let mut body = body;
            body["submitter"] = api_target["submitter"].clone();
            let api = app
                .send_json(
                    Method::PUT,
                    &format!("{PATH}/{}", api_target["id"].as_str().unwrap()),
                    token,
                    &body,
                )
                .await;
            let api = if api.status.is_success() {
                Outcome::Done
            } else {
                Outcome::Refused
            };
            let bulk = bulk_row(
                &app,
                token,
                bulk_target["id"].as_str(),
                bulk_target["submitter"].as_str(),
                &format!("Case {n} bulk changed"),
            )
            .await;
            done += usize::from(api == Outcome::Done);
            if api != bulk {
                disagreements.push(format!(
                    "{who} changes {whose} activity: API {api:?}, bulk {bulk:?}"
                ));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "the API and bulk uploads disagree:\n{}",
        disagreements.join("\n")
    );
    // Both kinds of answer occur. Submissions done: each contributor and each State as itself
    // (4), the NGO naming itself and Kenya naming itself (2), admin naming either (2); changes
    // done: the NGO's by the NGO, Kenya's by Kenya, both by admin (4).
    assert_eq!((done, n), (12, 35), "cases done, of all cases");
}
