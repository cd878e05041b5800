//! Offers: who makes them for whom, which activities they may cite, drafts, where they serve.

use actix_web::http::Method;
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc_tests::{TestApp, activity, json, offer, stakeholder};

const PATH: &str = "/api/v1/offers";

fn item(o: &Value) -> String {
    format!("{PATH}/{}", o["id"].as_str().unwrap())
}

async fn organisation(app: &TestApp, name: &str) -> String {
    app.create(
        "/api/v1/stakeholders",
        &stakeholder("civil_society_organization", Some("FRA"), name),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Public activities of `own` (France's, which grants all), one for each title: their ids.
async fn public_activities(app: &TestApp, own: &str, titles: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for title in titles {
        let mut body = activity(&["FRA"], title);
        body["submitter"] = json!(own);
        let made = app.create("/api/v1/activities", &body).await;
        ids.push(made["id"].as_str().unwrap().to_owned());
    }
    france_consents(app, json!({"decision": "granted", "scope": "all"})).await;
    ids
}

async fn france_consents(app: &TestApp, body: Value) {
    let france = app.token(Role::State, Some("FRA"), None);
    let reply = app
        .send_json(Method::POST, "/api/v1/consents", Some(&france), &body)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
}

#[actix_web::test]
async fn a_contributor_offers_as_its_organisation_and_no_other() {
    let app = TestApp::spawn();
    let own = organisation(&app, "Avocats sans frontières").await;
    let other = organisation(&app, "Another NGO").await;
    let token = app.token(Role::Contributor, None, Some(&own));
    let reply = app
        .send_json(
            Method::POST,
            PATH,
            Some(&token),
            &offer("Legislative drafting support"),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let made = reply.json();
    assert_eq!(made["stakeholder"], own.as_str(), "implied by the token");
    assert_eq!(made["status"], "open");
    let mut theirs = offer("Pretending to be another");
    theirs["stakeholder"] = json!(other);
    app.send_json(Method::POST, PATH, Some(&token), &theirs)
        .await
        .assert_problem(403, "forbidden");
    // Another organisation's contributor may not change or delete it.
    let stranger = app.token(Role::Contributor, None, Some(&other));
    app.send_json(
        Method::PATCH,
        &item(&made),
        Some(&stranger),
        &json!({"status": "closed"}),
    )
    .await
    .assert_problem(403, "forbidden");
    // Nor move it to another stakeholder, through its own token.
    app.send_json(
        Method::PATCH,
        &item(&made),
        Some(&token),
        &json!({"stakeholder": other}),
    )
    .await
    .assert_problem(403, "forbidden");
    // `sync` and anonymous callers make none.
    app.send_json(
        Method::POST,
        PATH,
        Some(&app.token(Role::Sync, None, None)),
        &offer("x"),
    )
    .await
    .assert_problem(403, "forbidden");
    // admin names the stakeholder, or is told to.
    let admin = app.admin_token();
    let problem = app
        .send_json(Method::POST, PATH, Some(&admin), &offer("Unattributed"))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["pointer"], "/stakeholder");
    // The stakeholder may not be deleted while it makes offers.
    let reply = app
        .send_json(
            Method::DELETE,
            &format!("/api/v1/stakeholders/{own}"),
            Some(&admin),
            &json!(null),
        )
        .await;
    reply.assert_problem(409, "conflict");
}

#[actix_web::test]
async fn a_state_offers_its_experience_peer_to_peer() {
    let app = TestApp::spawn();
    let morocco = app.token(Role::State, Some("MAR"), None);
    let mut body = offer("Our experience of a family code reform");
    body["peer_to_peer"] = json!(true);
    let reply = app
        .send_json(Method::POST, PATH, Some(&morocco), &body)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let made = reply.json();
    let maker = app
        .get(&format!(
            "/api/v1/stakeholders/{}",
            made["stakeholder"].as_str().unwrap()
        ))
        .await
        .assert_ok_json();
    assert_eq!(maker["kind"], "state");
    assert_eq!(maker["country"], "MAR");
    // An organisation's offer is no State's experience: refused, as in an upload's row, so the
    // filter lists States' offers only (found by an audit).
    let ngo = organisation(&app, "An NGO").await;
    let token = app.token(Role::Contributor, None, Some(&ngo));
    let problem = app
        .send_json(Method::POST, PATH, Some(&token), &body)
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(
        (
            &problem["errors"][0]["pointer"],
            &problem["errors"][0]["code"]
        ),
        (&json!("/peer_to_peer"), &json!("not_a_state")),
        "{problem}"
    );
    let mut row = body.clone();
    row["description"] = json!({"en": "Another offer"});
    let r = app
        .upload_as(
            "/api/v1/bulk/offers?mode=partial",
            "application/x-ndjson",
            format!("{row}\n"),
            Some(&token),
        )
        .await
        .assert_ok_json();
    assert_eq!(r["rejected"], 1, "{r}");
    let listed = app.all(&format!("{PATH}?peer_to_peer=true")).await;
    assert_eq!(listed.len(), 1);
}

#[actix_web::test]
async fn cited_activities_are_the_stakeholders_own_public_ones() {
    let app = TestApp::spawn();
    let own = organisation(&app, "Cited NGO").await;
    let other = organisation(&app, "Uncited NGO").await;
    let admin = app.admin_token();
    // Public activities: submitted by a State about itself needs no other consent.
    let mut mine = activity(&["FRA"], "Our past work");
    mine["submitter"] = json!(own);
    let mine = app.create("/api/v1/activities", &mine).await;
    let mut theirs = activity(&["FRA"], "Their past work");
    theirs["submitter"] = json!(other);
    let theirs = app.create("/api/v1/activities", &theirs).await;
    let mut body = offer("Citing");
    body["stakeholder"] = json!(own);
    body["activities"] = json!([mine["id"], theirs["id"]]);
    let problem = app
        .send_json(Method::POST, PATH, Some(&admin), &body)
        .await
        .assert_problem(422, "validation_failed");
    let errors = problem["errors"].as_array().unwrap();
    // Neither is public (awaiting France's consent), and the second is not its own.
    assert!(
        errors.iter().any(|e| e["pointer"] == "/activities/1"),
        "{problem}"
    );
    assert!(
        errors.iter().any(|e| e["pointer"] == "/activities/0"),
        "awaiting consent, so not public: {problem}"
    );
    app.send_json(
        Method::POST,
        "/api/v1/consents",
        Some(&app.token(Role::State, Some("FRA"), None)),
        &json!({"decision": "granted", "scope": "all"}),
    )
    .await
    .json();
    let problem = app
        .send_json(Method::POST, PATH, Some(&admin), &body)
        .await
        .assert_problem(422, "validation_failed");
    let errors = problem["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{problem}");
    assert_eq!(errors[0]["pointer"], "/activities/1");
    body["activities"] = json!([mine["id"]]);
    let reply = app.send_json(Method::POST, PATH, Some(&admin), &body).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
}

/// An offer tells only of public activities, after it is written too: when one it cites stops
/// being public (its State withdraws consent to it, its submitter withdraws it) or is deleted,
/// the offer stops citing it, as a new version the audit trail gives to the service; and the
/// public feed no longer carries the offer's earlier versions, which named it.
#[actix_web::test]
async fn an_offer_stops_citing_an_activity_that_stops_being_public() {
    let app = TestApp::spawn();
    let own = organisation(&app, "Cited NGO").await;
    let admin = app.admin_token();
    let titles = [
        "Withdrawn by France",
        "Withdrawn by us",
        "Deleted",
        "Still public",
    ];
    let cited = public_activities(&app, &own, &titles).await;
    let mut body = offer("Citing four");
    body["stakeholder"] = json!(own);
    body["activities"] = json!(cited);
    let made = app.create(PATH, &body).await;
    let cites = |offer: &Value| -> Vec<String> {
        serde_json::from_value(offer["activities"].clone()).unwrap()
    };
    assert_eq!(cites(&made), cited);
    let activity_path = |i: usize| format!("/api/v1/activities/{}", cited[i]);
    let withdrawn = json!({"decision": "withdrawn", "scope": "activity", "activity_id": cited[0]});
    france_consents(&app, withdrawn).await;
    let seen = app.get(&item(&made)).await.assert_ok_json();
    assert_eq!(cites(&seen), cited[1..], "{seen}");
    assert_eq!(seen["version"], 2);
    let reply = app
        .send_json(
            Method::PATCH,
            &activity_path(1),
            Some(&admin),
            &json!({"publication": "withdrawn"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = app
        .send_json(
            Method::DELETE,
            &activity_path(2),
            Some(&admin),
            &json!(null),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    let seen = app.get(&item(&made)).await.assert_ok_json();
    assert_eq!(cites(&seen), cited[3..], "{seen}");
    assert_eq!(seen["version"], 4);
    // What anonymous and sync readers of the feed read of the offer from its start names none
    // of the three: its last version alone.
    for token in [None, Some(app.token(Role::Sync, None, None))] {
        let page = match &token {
            Some(t) => app.get_as("/api/v1/changes?limit=1000", t).await,
            None => app.get("/api/v1/changes?limit=1000").await,
        }
        .assert_ok_json();
        let offers: Vec<&Value> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["type"] == "offer")
            .collect();
        assert_eq!(offers.len(), 1, "{offers:?}");
        for gone in &cited[..3] {
            assert!(
                !offers[0].to_string().contains(gone.as_str()),
                "{gone}: {offers:?}"
            );
        }
    }
    // Each change is the service's, and the offer's stakeholder may not cite them again.
    let trail = app
        .get_as(
            &format!(
                "/api/v1/audit?entity=offer&entity_id={}",
                made["id"].as_str().unwrap()
            ),
            &admin,
        )
        .await
        .assert_ok_json();
    let actors: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(
        actors.iter().filter(|a| **a == "upr-tc").count(),
        3,
        "{trail}"
    );
    let problem = app
        .send_json(
            Method::PATCH,
            &item(&made),
            Some(&admin),
            &json!({"activities": cited}),
        )
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"].as_array().unwrap().len(), 3, "{problem}");

    // Once public again, each is cited again, by the service: France grants consent to the
    // first, the submitter submits the second again. The deleted one is gone for good.
    let granted = json!({"decision": "granted", "scope": "activity", "activity_id": cited[0]});
    france_consents(&app, granted).await;
    let seen = app.get(&item(&made)).await.assert_ok_json();
    assert_eq!(cites(&seen), [cited[3].clone(), cited[0].clone()], "{seen}");
    assert_eq!(seen["version"], 5);
    let reply = app
        .send_json(
            Method::PATCH,
            &activity_path(1),
            Some(&admin),
            &json!({"publication": "submitted"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let seen = app.get(&item(&made)).await.assert_ok_json();
    assert_eq!(
        cites(&seen),
        [cited[3].clone(), cited[0].clone(), cited[1].clone()],
        "{seen}"
    );
    assert_eq!(seen["version"], 6);
    // The public feed gives the activity again before the offer that cites it again.
    let page = app.get("/api/v1/changes?limit=1000").await.assert_ok_json();
    let items = page["items"].as_array().unwrap();
    let last = |id: &str| items.iter().rposition(|c| c["id"] == id).unwrap();
    assert!(
        last(&cited[1]) < last(made["id"].as_str().unwrap()),
        "{page}"
    );
    // Hidden and shown again once more, it is cited once.
    let withdrawn = json!({"decision": "withdrawn", "scope": "activity", "activity_id": cited[1]});
    france_consents(&app, withdrawn).await;
    let granted = json!({"decision": "granted", "scope": "activity", "activity_id": cited[1]});
    france_consents(&app, granted).await;
    let seen = app.get(&item(&made)).await.assert_ok_json();
    assert_eq!(
        cites(&seen),
        [cited[3].clone(), cited[0].clone(), cited[1].clone()],
        "{seen}"
    );
}

/// A citation withheld while its activity is hidden is not given back when the activity no
/// longer is the offer's stakeholder's to cite, nor to an offer deleted meanwhile; one that
/// still is, is given back. An activity given to another submitter while public is no longer
/// cited by the offers of its first one, which their stakeholder may then edit as before.
#[actix_web::test]
async fn a_withheld_citation_is_given_back_only_where_it_may_be() {
    let app = TestApp::spawn();
    let own = organisation(&app, "Once cited NGO").await;
    let other = organisation(&app, "Taking over NGO").await;
    let admin = app.admin_token();
    let titles = [
        "Handed over",
        "Of a deleted offer",
        "Given back",
        "Handed over while public",
    ];
    let cited = public_activities(&app, &own, &titles).await;
    let mut body = offer("Citing three");
    body["stakeholder"] = json!(own);
    body["activities"] = json!([cited[0], cited[2], cited[3]]);
    let kept = app.create(PATH, &body).await;
    body["activities"] = json!([cited[1]]);
    body["description"] = json!({"en": "Deleted while the activity was hidden"});
    let deleted = app.create(PATH, &body).await;
    for id in &cited[..3] {
        france_consents(
            &app,
            json!({"decision": "withdrawn", "scope": "activity", "activity_id": id}),
        )
        .await;
    }
    assert_eq!(
        app.get(&item(&kept)).await.assert_ok_json()["activities"],
        json!([cited[3]])
    );
    // Two activities are now another's (one of them cited), and the other offer is gone.
    for id in [&cited[0], &cited[3]] {
        let reply = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/activities/{id}"),
                Some(&admin),
                &json!({"submitter": other}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    let reply = app
        .send_json(Method::DELETE, &item(&deleted), Some(&admin), &json!(null))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    for id in &cited[..3] {
        france_consents(
            &app,
            json!({"decision": "granted", "scope": "activity", "activity_id": id}),
        )
        .await;
    }
    let seen = app.get(&item(&kept)).await.assert_ok_json();
    assert_eq!(seen["activities"], json!([cited[2]]), "{seen}");
    assert_eq!(seen["version"], 5, "{seen}");
    app.get(&item(&deleted))
        .await
        .assert_problem(404, "not_found");
    let contributor = app.token(Role::Contributor, None, Some(&own));
    let reply = app
        .send_json(
            Method::PATCH,
            &item(&kept),
            Some(&contributor),
            &json!({"description": {"en": "Edited by its stakeholder"}}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

/// A stakeholder that changes its offer's list of activities has given what it cites: what was
/// withheld is not given back over it. An edit that leaves the list alone keeps it.
#[actix_web::test]
async fn a_list_given_by_the_stakeholder_is_not_added_to() {
    let app = TestApp::spawn();
    let own = organisation(&app, "Listing NGO").await;
    let cited = public_activities(&app, &own, &["Patched away", "Kept"]).await;
    let mut body = offer("Citing two, then one");
    body["stakeholder"] = json!(own);
    body["activities"] = json!(cited);
    let made = app.create(PATH, &body).await;
    let contributor = app.token(Role::Contributor, None, Some(&own));
    let patch = |patch: Value| {
        let (app, path, token) = (&app, item(&made), contributor.clone());
        async move {
            let reply = app
                .send_json(Method::PATCH, &path, Some(&token), &patch)
                .await;
            assert_eq!(reply.status, 200, "{}", reply.text());
        }
    };
    let consent = |decision: &str| json!({"decision": decision, "scope": "activity", "activity_id": cited[0]});
    let cites = || async { app.get(&item(&made)).await.assert_ok_json()["activities"].clone() };
    france_consents(&app, consent("withdrawn")).await;
    patch(json!({"description": {"en": "Edited while one is hidden"}})).await;
    patch(json!({"activities": [cited[1]]})).await;
    france_consents(&app, consent("granted")).await;
    assert_eq!(
        cites().await,
        json!([cited[1], cited[0]]),
        "the list was left alone"
    );
    france_consents(&app, consent("withdrawn")).await;
    patch(json!({"activities": []})).await;
    france_consents(&app, consent("granted")).await;
    assert_eq!(cites().await, json!([]), "the list given is the list");
}

/// A database whose offers cite activities that are no longer public (written before offers
/// followed their activities' verdicts), no longer there, or no longer their stakeholders'
/// (written before offers followed who submitted them), has them taken off at start: the
/// hidden ones withheld, to be given back, the others gone.
#[actix_web::test]
async fn offers_citing_hidden_activities_stop_citing_them_at_start() {
    use diesel::prelude::*;
    use upr_tc::db::schema::activities::dsl as a;
    use upr_tc::db::schema::activity_facets::dsl as af;
    use upr_tc::db::schema::offer_withheld_citations::dsl as w;
    let app = TestApp::spawn();
    let own = organisation(&app, "Older NGO").await;
    let cited = public_activities(
        &app,
        &own,
        &[
            "Hidden since",
            "Still public",
            "Gone since",
            "Another's since",
        ],
    )
    .await;
    let mut body = offer("Citing two");
    body["stakeholder"] = json!(own);
    body["activities"] = json!(cited);
    let made = app.create(PATH, &body).await;
    let mut conn = app.service.state.pool.get().unwrap();
    diesel::update(a::activities.filter(a::id.eq(&cited[0])))
        .set(a::public.eq(false))
        .execute(&mut **conn)
        .unwrap();
    diesel::delete(a::activities.filter(a::id.eq(&cited[2])))
        .execute(&mut **conn)
        .unwrap();
    let other = organisation(&app, "Other NGO").await;
    let seq: i64 = a::activities
        .filter(a::id.eq(&cited[3]))
        .select(a::seq)
        .first(&mut **conn)
        .unwrap();
    diesel::update(
        af::activity_facets
            .filter(af::activity_seq.eq(seq))
            .filter(af::facet.eq("stakeholder")),
    )
    .set(af::value.eq(&other))
    .execute(&mut **conn)
    .unwrap();
    conn.migrate().unwrap();
    let withheld: Vec<(String, String)> = w::offer_withheld_citations
        .select((w::activity_id, w::offer_id))
        .load(&mut **conn)
        .unwrap();
    drop(conn);
    let seen = app.get(&item(&made)).await.assert_ok_json();
    assert_eq!(seen["activities"], json!([cited[1]]), "{seen}");
    assert_eq!(
        withheld,
        [(cited[0].clone(), made["id"].as_str().unwrap().to_owned())]
    );
}

#[actix_web::test]
async fn drafts_are_hidden_and_the_state_filter_follows_where_it_serves() {
    let app = TestApp::spawn();
    let org = organisation(&app, "Where NGO").await;
    let admin = app.admin_token();
    let make = |description: &str, places: Value| {
        let mut body = offer(description);
        body["stakeholder"] = json!(org);
        body["regions"] = json!([]);
        for (k, v) in places.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        ("Africa", json!({"regions": ["002"]})),
        ("Eastern Africa", json!({"regions": ["014"]})),
        ("Kenya by name", json!({"states": ["KEN"]})),
        ("African group", json!({"regional_groups": ["african"]})),
        ("Everywhere", json!({})),
        ("Asia", json!({"regions": ["142"]})),
        ("Uganda only", json!({"states": ["UGA"]})),
        (
            "Draft for Africa",
            json!({"regions": ["002"], "status": "draft"}),
        ),
    ];
    for (d, places) in &cases {
        let reply = app
            .send_json(Method::POST, PATH, Some(&admin), &make(d, places.clone()))
            .await;
        assert_eq!(reply.status, 201, "{d}: {}", reply.text());
    }
    let mut serving: Vec<String> = app
        .all(&format!("{PATH}?state=KEN"))
        .await
        .iter()
        .map(|o| o["description"]["en"].as_str().unwrap().to_owned())
        .collect();
    serving.sort();
    assert_eq!(
        serving,
        [
            "Africa",
            "African group",
            "Eastern Africa",
            "Everywhere",
            "Kenya by name"
        ]
    );
    let own = app.token(Role::Contributor, None, Some(&org));
    assert_eq!(app.all(PATH).await.len(), 7, "the draft is not public");
    let mine = app
        .get_as(&format!("{PATH}?status=draft"), &own)
        .await
        .assert_ok_json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "its own draft");
    let problem = app
        .send_json(
            Method::POST,
            PATH,
            Some(&admin),
            &make("Bad", json!({"states": ["XXX"], "regions": ["999"], "period": {"start": "2027-02-01", "end": "2027-01-01"}})),
        )
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
        ["/states/0", "/regions/0", "/period/end"],
        "{problem}"
    );
}

/// An offer read once is kept whole while nothing is written (`routes::support::kept_by_id`):
/// a draft is still shown only to its stakeholder's own, whoever read it first (a State's
/// focal point through the stakeholder bound to its State, which the offer alone does not
/// say), and a change is seen at the next read.
#[actix_web::test]
async fn a_kept_draft_is_still_its_owners_only_and_a_change_is_seen_at_once() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let morocco = app.token(Role::State, Some("MAR"), None);
    let mut body = offer("A draft of our experience");
    body["status"] = json!("draft");
    let reply = app
        .send_json(Method::POST, PATH, Some(&morocco), &body)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let draft = reply.json();
    let path = item(&draft);
    for _ in 0..2 {
        app.get_as(&path, &admin).await.assert_ok_json();
        app.get_as(&path, &morocco).await.assert_ok_json();
        let others = [
            app.token(Role::State, Some("TUN"), None),
            app.token(Role::Sync, None, None),
        ];
        app.assert_unseen(&path, &others).await;
    }
    app.send_json(
        Method::PATCH,
        &path,
        Some(&morocco),
        &json!({"status": "open"}),
    )
    .await
    .assert_ok_json();
    let public = app.get(&path).await.assert_ok_json();
    assert_eq!(public["status"], "open");
    assert_eq!(public["version"], 2);
}

/// When an offer was first opened (what the annual report counts the days to a match from) is
/// the time of the write that opened it: its creation when it is made open, by one request or
/// an upload, else the edit that opens it; closing and opening it again leave it as it was.
#[actix_web::test]
async fn an_offer_is_stamped_once_by_the_write_that_opens_it() {
    let app = TestApp::spawn();
    let own = organisation(&app, "Stamping NGO").await;
    let token = app.token(Role::Contributor, None, Some(&own));
    let stamped = |id: &str, condition: &str| {
        upr_tc_tests::count(
            &app,
            &format!("SELECT COUNT(*) AS n FROM offers WHERE id = '{id}' AND {condition}"),
        )
    };
    let create = |body: Value| {
        let (app, token) = (&app, &token);
        async move {
            let reply = app.send_json(Method::POST, PATH, Some(token), &body).await;
            assert_eq!(reply.status, 201, "{}", reply.text());
            reply.json()
        }
    };
    let mut draft = offer("Drafted first");
    draft["status"] = json!("draft");
    let draft = create(draft).await;
    let draft = draft["id"].as_str().unwrap();
    assert_eq!(stamped(draft, "opened_at IS NULL"), 1);
    let open = create(offer("Open at once")).await;
    assert_eq!(
        stamped(open["id"].as_str().unwrap(), "opened_at = created_at"),
        1
    );
    let edit = |status: &'static str| {
        let (app, token) = (&app, &token);
        async move {
            app.send_json(
                Method::PATCH,
                &format!("{PATH}/{draft}"),
                Some(token),
                &json!({"status": status}),
            )
            .await
            .assert_ok_json()
        }
    };
    edit("open").await;
    assert_eq!(
        stamped(draft, "opened_at = updated_at AND opened_at > created_at"),
        1
    );
    edit("closed").await;
    edit("open").await;
    assert_eq!(
        stamped(draft, "opened_at < updated_at AND opened_at > created_at"),
        1
    );
    let mut row = offer("Uploaded open");
    row["stakeholder"] = json!(own);
    let report = app
        .upload_as(
            "/api/v1/bulk/offers",
            "application/x-ndjson",
            format!("{row}\n"),
            Some(&token),
        )
        .await
        .assert_ok_json();
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(
        upr_tc_tests::count(
            &app,
            "SELECT COUNT(*) AS n FROM offers WHERE opened_at = created_at"
        ),
        2
    );
}

/// A page of items near their largest holds fewer than its `limit` (`sql::PAGE_BYTES`, 4 MiB),
/// since what a page holds waits in memory for a client that may never read it; followed by
/// its cursor, each list still gives every item once: a list, the change feed and an export.
#[actix_web::test]
async fn pages_of_very_large_items_hold_fewer_than_their_limit() {
    let app = TestApp::spawn();
    let org = organisation(&app, "Verbose NGO").await;
    // Six languages of 20,000 characters, twice: about 480 kB an offer as JSON.
    let long = |c: char| c.to_string().repeat(20_000);
    let text = json!({"en": long('e'), "fr": long('é'), "es": long('ñ'), "ru": long('ж'),
                      "ar": long('ع'), "zh": long('字')});
    let mut made = std::collections::BTreeSet::new();
    for n in 0..10 {
        let mut body = offer("");
        body["stakeholder"] = json!(org);
        body["capacity"] = text.clone();
        body["description"] = text.clone();
        for (_, t) in body["description"].as_object_mut().unwrap() {
            *t = json!(
                format!("{n:02} training {}", t.as_str().unwrap())
                    .chars()
                    .take(20_000)
                    .collect::<String>()
            );
        }
        made.insert(
            app.create(PATH, &body).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let ids = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };

    let first = app.get(&format!("{PATH}?limit=200")).await.assert_ok_json();
    let listed = first["items"].as_array().unwrap();
    assert!(
        (1..10).contains(&listed.len()) && first["next_cursor"].is_string(),
        "{} items, next {}",
        listed.len(),
        first["next_cursor"]
    );
    let all = ids(&app.all(PATH).await);
    assert_eq!(
        all.iter()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        made
    );
    assert_eq!(all.len(), 10);
    // A ranked search's pages too, whose cursor counts ranks.
    let first = app
        .get(&format!("{PATH}?q=training&limit=200"))
        .await
        .assert_ok_json();
    assert!(
        first["items"].as_array().unwrap().len() < 10,
        "{}",
        first["next_cursor"]
    );
    let found = ids(&app.all(&format!("{PATH}?q=training")).await);
    assert_eq!(
        found
            .iter()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        made
    );
    assert_eq!(found.len(), 10);

    // The public feed and the full one (each item of its own kind of statement).
    for token in [None, Some(app.admin_token())] {
        let mut fed = Vec::new();
        let mut url = "/api/v1/changes?types=offer&limit=1000".to_owned();
        let mut pages = 0;
        loop {
            let page = match &token {
                Some(token) => app.get_as(&url, token).await,
                None => app.get(&url).await,
            }
            .assert_ok_json();
            pages += 1;
            let items = page["items"].as_array().unwrap();
            fed.extend(items.iter().map(|c| c["id"].as_str().unwrap().to_owned()));
            if !page["has_more"].as_bool().unwrap() {
                break;
            }
            assert!(
                !items.is_empty(),
                "a page that says there is more holds something"
            );
            url = format!(
                "/api/v1/changes?types=offer&limit=1000&after={}",
                page["next_cursor"].as_str().unwrap()
            );
        }
        assert!(pages > 1, "one page of the feed held 10 offers of 480 kB");
        assert_eq!(
            fed.iter()
                .cloned()
                .collect::<std::collections::BTreeSet<_>>(),
            made
        );
        assert_eq!(fed.len(), 10);
    }

    // A search in creation order, as an export of one reads it.
    let export = app.get(&format!("{PATH}?q=training&format=ndjson")).await;
    assert_eq!(String::from_utf8(export.body).unwrap().lines().count(), 10);
    let export = app.get(&format!("{PATH}?format=ndjson")).await;
    let lines: Vec<Value> = String::from_utf8(export.body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        ids(&lines)
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>(),
        made
    );
    assert_eq!(lines.len(), 10);
}
