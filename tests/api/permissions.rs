//! The permission matrix: every write route × every role × own or other organisation or
//! State, with the status expected. A write that is refused leaves no audit entry (so wrote
//! nothing); one that succeeds leaves at least one. Assistance requests and offers: `needs`.

mod needs;

use actix_web::http::Method;
use serde_json::Value;
use upr_tc::app::policy::Upload as Kind;
use upr_tc::auth::Role;
use upr_tc::import::{Format, Mode};
use upr_tc_tests::{Request, TestApp, activity, json, recommendation, stakeholder};

use crate::activities::{PATH, consent, organisation, submit};

/// How many entries the audit trail holds, counted in the database (the API's pages would read
/// the whole trail twice for every case).
async fn audit_len(app: &TestApp) -> usize {
    use diesel::prelude::*;
    let mut conn = app.service.state.pool.get().unwrap();
    let n: i64 = upr_tc::db::schema::audit_log::table
        .count()
        .get_result(&mut **conn)
        .unwrap();
    usize::try_from(n).unwrap()
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
/// organisation it is, its country, the first of its names, its accreditation and its partner
/// keys are `admin`'s to set; the rest is the organisation's own. Callers who may not edit the stakeholder are refused every field.
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
        // The first of its names is what an import finds it by; the others are its own.
        ("name", json!({"en": "Renamed"}), true),
        ("name", json!({"fr": "Nom en français"}), false),
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
            true,
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
                    // A merge patch of an object changes the members it names.
                    let written = match (&before[*field], value) {
                        (Value::Object(old), Value::Object(new)) => {
                            let mut merged = old.clone();
                            merged.extend(new.clone());
                            Value::Object(merged)
                        }
                        _ => value.clone(),
                    };
                    assert_eq!(after[*field], written, "{case} as {who}: {reply}");
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

impl Outcome {
    fn of_reply(reply: &upr_tc_tests::Reply) -> Self {
        if reply.status.is_success() {
            Outcome::Done
        } else {
            assert!(reply.status.is_client_error(), "{}", reply.text());
            Outcome::Refused
        }
    }

    /// What became of the one row of an upload in partial mode.
    fn of_report(report: &Value) -> Self {
        if report["created"] == 1 || report["updated"] == 1 {
            Outcome::Done
        } else {
            assert_eq!(report["rejected"], 1, "{report}");
            Outcome::Refused
        }
    }
}

/// The cases of an agreement table: how many, how many were done, and where the two ways
/// disagreed.
#[derive(Default)]
struct Tally {
    cases: usize,
    done: usize,
    disagreements: Vec<String>,
}

impl Tally {
    /// The number the next case has.
    fn next(&mut self) -> usize {
        self.cases += 1;
        self.cases
    }

    fn record(&mut self, case: String, api: Outcome, bulk: Outcome) {
        self.done += usize::from(api == Outcome::Done);
        if api != bulk {
            self.disagreements
                .push(format!("{case}: API {api:?}, bulk {bulk:?}"));
        }
    }

    /// `(done, cases)`, once every case agreed.
    fn agreed(self) -> (usize, usize) {
        assert!(
            self.disagreements.is_empty(),
            "the API and bulk uploads disagree:\n{}",
            self.disagreements.join("\n")
        );
        (self.done, self.cases)
    }
}

/// How a caller uploads many items: the bulk route with its token, or `upr-tc import` (an
/// operator at the machine).
#[derive(Debug, Clone, Copy)]
enum Upload<'a> {
    Route(Option<&'a str>),
    CommandLine,
}

/// An upload of one CSV row (after its header) of `kind`, in partial mode; what became of the
/// row.
async fn upload_row(app: &TestApp, way: Upload<'_>, kind: Kind, csv: String) -> Outcome {
    match way {
        Upload::Route(token) => {
            let path = match kind {
                Kind::Activities => "/api/v1/bulk/activities?mode=partial",
                Kind::Stakeholders => "/api/v1/bulk/stakeholders?mode=partial",
                Kind::AssistanceRequests => "/api/v1/bulk/assistance-requests?mode=partial",
                Kind::Offers => "/api/v1/bulk/offers?mode=partial",
                Kind::Recommendations => unreachable!("admin's alone: nothing to compare"),
            };
            let reply = app.upload_as(path, "text/csv", csv, token).await;
            if reply.status.is_client_error() {
                return Outcome::Refused;
            }
            Outcome::of_report(&reply.assert_ok_json())
        }
        Upload::CommandLine => {
            // What `upr-tc import --mode partial FILE` runs, on the same database.
            let mut conn = app.service.state.pool.get().unwrap();
            let report = upr_tc::import::by_operator(
                &mut conn,
                kind,
                csv.as_bytes(),
                (Format::Csv, None),
                Mode::Partial,
                false,
                Default::default(),
            )
            .unwrap();
            Outcome::of_report(&serde_json::to_value(report).unwrap())
        }
    }
}

/// One CSV row of an activity.
struct Row<'a> {
    id: Option<&'a str>,
    submitter: Option<&'a str>,
    title: &'a str,
    status: &'a str,
    publication: &'a str,
}

impl Row<'_> {
    fn csv(&self) -> String {
        assert!(!self.title.contains(','), "one CSV cell: {}", self.title);
        format!(
            "id,title__en,states_concerned,status,publication,submitter\n{},{},KEN,{},{},{}\n",
            self.id.unwrap_or(""),
            self.title,
            self.status,
            self.publication,
            self.submitter.unwrap_or("")
        )
    }
}

/// The callers of the agreement tables, each with its token for the API and its way of
/// uploading. The operator (`upr-tc import`) has `admin`'s rights: its imports answer as
/// `admin`'s API calls do.
fn callers<'a>(
    tokens: &'a [(&'static str, Option<String>)],
    admin: &'a str,
) -> Vec<(&'static str, Option<&'a str>, Upload<'a>)> {
    let mut callers: Vec<_> = tokens
        .iter()
        .map(|(who, token)| (*who, token.as_deref(), Upload::Route(token.as_deref())))
        .collect();
    callers.push(("the operator", Some(admin), Upload::CommandLine));
    callers
}

/// Every (role, command, target) case on activities, through the API and through a bulk
/// upload (the operator: `upr-tc import`): one answer to "may this caller do this", whichever
/// way it asks. Deleting has no bulk form.
#[actix_web::test]
async fn the_api_and_a_bulk_upload_agree_on_every_case() {
    let app = TestApp::spawn();
    let (own_id, own_org) = organisation(&app, "Own NGO").await;
    let (_, other_org) = organisation(&app, "Other NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let admin = app.admin_token();
    // Kenya's own stakeholder, registered by its first submission.
    let kenyas = submit(&app, &kenya, &activity(&["KEN"], "Kenya's first")).await;
    let kenya_id = kenyas["submitter"].as_str().unwrap().to_owned();
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
        // Submit a new activity, naming no submitter, its own, or the NGO.
        for (naming, submitter) in [
            ("no submitter", None),
            ("the NGO", Some(own_id.as_str())),
            ("Kenya", Some(kenya_id.as_str())),
        ] {
            let n = tally.next();
            let title = format!("Case {n}");
            let mut body = activity(&["KEN"], &title);
            if let Some(s) = submitter {
                body["submitter"] = json!(s);
            }
            let api = Outcome::of_reply(&app.send_json(Method::POST, PATH, token, &body).await);
            let row = Row {
                id: None,
                submitter,
                title: &format!("Case {n} in bulk"),
                status: "implementation",
                publication: "submitted",
            };
            let bulk = upload_row(&app, way, Kind::Activities, row.csv()).await;
            tally.record(format!("{who} submits naming {naming}"), api, bulk);
        }
        // Change an existing activity (the NGO's, Kenya's own): replace it, close it (its
        // status), withdraw it (its publication state).
        for (command, status, publication) in [
            ("changes", "implementation", "submitted"),
            ("closes", "closed", "submitted"),
            ("withdraws", "implementation", "withdrawn"),
        ] {
            for (whose, owner) in [("the NGO's", &own_org), ("Kenya's own", &kenya)] {
                let n = tally.next();
                let api_target =
                    submit(&app, owner, &activity(&["KEN"], &format!("Case {n}"))).await;
                let bulk_target =
                    submit(&app, owner, &activity(&["KEN"], &format!("Case {n}, bulk"))).await;
                let path = format!("{PATH}/{}", api_target["id"].as_str().unwrap());
                let reply = if command == "changes" {
                    let mut body = activity(&["KEN"], &format!("Case {n}, changed"));
                    body["submitter"] = api_target["submitter"].clone();
                    app.send_json(Method::PUT, &path, token, &body).await
                } else {
                    let patch = json!({"status": status, "publication": publication});
                    app.send_json(Method::PATCH, &path, token, &patch).await
                };
                let api = Outcome::of_reply(&reply);
                let title = format!("Case {n} bulk {command}");
                let row = Row {
                    id: bulk_target["id"].as_str(),
                    submitter: bulk_target["submitter"].as_str(),
                    title: &title,
                    status,
                    publication,
                };
                let bulk = upload_row(&app, way, Kind::Activities, row.csv()).await;
                tally.record(format!("{who} {command} {whose} activity"), api, bulk);
            }
        }
    }
    // Both kinds of answer occur. Submissions done: each contributor and each State as itself
    // (4), the NGO naming itself and Kenya naming itself (2), admin and the operator naming
    // either (4); each of the three changes done: the NGO's by the NGO, Kenya's by Kenya, both
    // by admin and by the operator (6 each, 18).
    assert_eq!(tally.agreed(), (28, 72), "cases done, of all cases");
}

/// A stakeholder's fields, as a PUT body and as a CSV row (with its id) of a bulk upload.
#[derive(Clone)]
struct Fields {
    kind: &'static str,
    name: String,
    country: &'static str,
    accreditation: Option<&'static str>,
    website: String,
}

impl Fields {
    fn json(&self) -> Value {
        json!({
            "kind": self.kind,
            "name": {"en": self.name},
            "country": self.country,
            "nhri_accreditation": self.accreditation,
            "website": self.website,
        })
    }

    /// These fields with `field` changed (`tag` makes a website of its own).
    fn changed(&self, field: &str, tag: &str) -> Self {
        let mut after = self.clone();
        match field {
            "website" => after.website = format!("https://example.org/{tag}"),
            "kind" if self.kind == "nmirf" => after.kind = "parliament",
            "kind" => after.kind = "nmirf",
            "country" => after.country = "TZA",
            "nhri_accreditation" => after.accreditation = Some("B"),
            other => unreachable!("{other}"),
        }
        after
    }

    fn csv(&self, id: Option<&str>) -> String {
        assert!(!self.name.contains(','), "one CSV cell: {}", self.name);
        format!(
            "id,kind,name__en,country,nhri_accreditation,website\n{},{},{},{},{},{}\n",
            id.unwrap_or(""),
            self.kind,
            self.name,
            self.country,
            self.accreditation.unwrap_or(""),
            self.website
        )
    }
}

/// Every (role, command, target) case on stakeholders, through the API (`POST`, `PUT`) and
/// through a bulk upload (the operator: `upr-tc import`): registering one; changing a field of
/// a contributor's own organisation (an NHRI), of Kenya's own stakeholder and of one of
/// Kenya's bodies (its NMIRF) — its website, which is the organisation's own, or its kind,
/// country or accreditation, which only `admin` sets.
#[actix_web::test]
async fn the_api_and_a_bulk_upload_agree_on_every_stakeholder_case() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let targets = [
        (
            "the NHRI (own contributor's)",
            Fields {
                kind: "nhri",
                name: "Kenya National Commission on Human Rights".into(),
                country: "KEN",
                accreditation: Some("A"),
                website: "https://www.knchr.org".into(),
            },
        ),
        (
            "Kenya's own stakeholder",
            Fields {
                kind: "state",
                name: "Kenya".into(),
                country: "KEN",
                accreditation: None,
                website: "https://www.mfa.go.ke".into(),
            },
        ),
        (
            "Kenya's NMIRF",
            Fields {
                kind: "nmirf",
                name: "Kenya NMIRF".into(),
                country: "KEN",
                accreditation: None,
                website: "https://nmirf.go.ke".into(),
            },
        ),
    ];
    let mut ids = Vec::new();
    for (_, fields) in &targets {
        let created = app.create("/api/v1/stakeholders", &fields.json()).await;
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let (_, other_org) = organisation(&app, "Other NGO").await;
    let tokens = [
        ("anonymous", None),
        ("sync", Some(app.token(Role::Sync, None, None))),
        (
            "own contributor",
            Some(app.token(Role::Contributor, None, Some(&ids[0]))),
        ),
        ("other contributor", Some(other_org)),
        ("own State", Some(kenya)),
        (
            "other State",
            Some(app.token(Role::State, Some("UGA"), None)),
        ),
        ("admin", Some(admin.clone())),
    ];
    let put_back = |id: String, fields: Fields| {
        let (app, admin) = (&app, &admin);
        async move {
            let path = format!("/api/v1/stakeholders/{id}");
            app.send_json(Method::PUT, &path, Some(admin), &fields.json())
                .await
                .assert_ok_json();
        }
    };
    let mut tally = Tally::default();
    for (who, token, way) in callers(&tokens, &admin) {
        let n = tally.next();
        let new = |name: String| Fields {
            kind: "academia",
            name,
            country: "KEN",
            accreditation: None,
            website: "https://uonbi.ac.ke".into(),
        };
        let body = new(format!("University {n}")).json();
        let api = app
            .send_json(Method::POST, "/api/v1/stakeholders", token, &body)
            .await;
        let api = Outcome::of_reply(&api);
        let row = new(format!("University {n} in bulk")).csv(None);
        let bulk = upload_row(&app, way, Kind::Stakeholders, row).await;
        tally.record(format!("{who} registers a stakeholder"), api, bulk);
        for ((whose, before), id) in targets.iter().zip(&ids) {
            let mut fields = vec!["website", "kind", "country"];
            if before.accreditation.is_some() {
                fields.push("nhri_accreditation");
            }
            for field in fields {
                let n = tally.next();
                let after = before.changed(field, &format!("case-{n}"));
                let path = format!("/api/v1/stakeholders/{id}");
                let api = app
                    .send_json(Method::PUT, &path, token, &after.json())
                    .await;
                let api = Outcome::of_reply(&api);
                if api == Outcome::Done {
                    put_back(id.clone(), before.clone()).await;
                }
                let after = before.changed(field, &format!("case-{n}-bulk"));
                let bulk = upload_row(&app, way, Kind::Stakeholders, after.csv(Some(id))).await;
                if bulk == Outcome::Done {
                    put_back(id.clone(), before.clone()).await;
                }
                tally.record(format!("{who} changes the {field} of {whose}"), api, bulk);
            }
        }
    }
    // Both kinds of answer occur. Done: registering, by admin and the operator (2); the NHRI's
    // website by its contributor, and its four fields by admin and the operator (9); the
    // website of Kenya's own stakeholder and of its NMIRF by Kenya, and their three fields by
    // admin and the operator (2 × 7).
    assert_eq!(tally.agreed(), (25, 88), "cases done, of all cases");
}
