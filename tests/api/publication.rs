//! The publication rule on every public surface: single reads, lists, search, CSV, NDJSON and
//! IATI XML exports, and the IATI XML read. The matrix of issue 4 — submitter is or is not the State × each consent history
//! × one or two States concerned — and random consent histories checked against a model.

use actix_web::http::Method;
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc_tests::{Request, TestApp, activity, count, json};

use crate::activities::{PATH, consent, item, organisation, submit};

/// A consent decision in a history: `(decision, scope)`; scope `activity` and `submitter`
/// name the activity under test and its submitter.
type Step = (&'static str, &'static str);

const HISTORIES: &[(&str, &[Step], bool)] = &[
    ("no consent", &[], false),
    ("activity granted", &[("granted", "activity")], true),
    ("submitter granted", &[("granted", "submitter")], true),
    ("all granted", &[("granted", "all")], true),
    ("refused", &[("refused", "all")], false),
    (
        "withdrawn after granted",
        &[("granted", "all"), ("withdrawn", "all")],
        false,
    ),
    (
        "activity refusal under all granted",
        &[("granted", "all"), ("refused", "activity")],
        false,
    ),
];

/// States that only these tests use, one per scenario, so histories do not mix.
const STATES: &[&str] = &[
    "AGO", "BEN", "BWA", "BFA", "BDI", "CPV", "CMR", "CAF", "TCD", "COM", "COG", "CIV", "DJI",
    "GNQ", "ERI", "SWZ", "ETH", "GAB", "GMB", "GHA", "GIN", "GNB", "LSO", "LBR", "MDG", "MWI",
    "MLI", "MRT",
];
/// The second State of two-State scenarios; it consents to everything.
const SECOND: &str = "MUS";

fn body(states: &[&str], title: &str) -> Value {
    let mut b = activity(states, title);
    b["summary"] = json!({"en": format!("Unique word {}", title.replace(' ', ""))});
    b
}

/// Every surface an anonymous caller has: is the activity there?
async fn seen_by_public(app: &TestApp, a: &Value, state: &str, word: &str) -> [bool; 7] {
    let id = a["id"].as_str().unwrap();
    let read = match app.get(&item(a)).await.status.as_u16() {
        200 => true,
        404 => false,
        other => panic!("read answered {other}"),
    };
    let listed = |page: Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id)
    };
    let list = listed(
        app.get(&format!("{PATH}?state={state}"))
            .await
            .assert_ok_json(),
    );
    let search = listed(app.get(&format!("{PATH}?q={word}")).await.assert_ok_json());
    let export = |accept: &'static str| {
        Request::get()
            .uri(&format!("{PATH}?state={state}"))
            .insert_header(("Accept", accept))
    };
    let csv = app.send(export("text/csv")).await;
    assert_eq!(csv.status, 200);
    let ndjson = app.send(export("application/x-ndjson")).await;
    assert_eq!(ndjson.status, 200);
    let xml = app.send(export("application/xml")).await;
    assert_eq!(xml.status, 200);
    let xml_read = app
        .send(
            Request::get()
                .uri(&item(a))
                .insert_header(("Accept", "application/xml")),
        )
        .await;
    let xml_read = match xml_read.status.as_u16() {
        200 => xml_read.text().contains(id),
        404 => false,
        other => panic!("XML read answered {other}"),
    };
    [
        read,
        list,
        search,
        csv.text().contains(id),
        ndjson.text().contains(id),
        xml.text().contains(&format!("XI-UPRTC-{id}")),
        xml_read,
    ]
}

#[actix_web::test]
async fn the_rule_holds_on_every_public_surface() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (org, org_token) = organisation(&app, "Matrix NGO").await;
    consent(
        &app,
        &app.token(Role::State, Some(SECOND), None),
        json!({"decision": "granted", "scope": "all"}),
    )
    .await;
    let mut states = STATES.iter();
    for (name, history, granted) in HISTORIES {
        for by_state in [false, true] {
            for two in [false, true] {
                let state = *states.next().unwrap();
                let concerned: Vec<&str> = if two {
                    vec![state, SECOND]
                } else {
                    vec![state]
                };
                let own = app.token(Role::State, Some(state), None);
                let word = format!("w{}", state.to_lowercase());
                let submitter_token = if by_state { &own } else { &org_token };
                let a = submit(&app, submitter_token, &body(&concerned, &word)).await;
                for (decision, scope) in history.iter() {
                    let mut record = json!({"decision": decision, "scope": scope});
                    match *scope {
                        "activity" => record["activity_id"] = a["id"].clone(),
                        "submitter" => record["stakeholder_id"] = a["submitter"].clone(),
                        _ => {}
                    }
                    consent(&app, &own, record).await;
                }
                let expected = by_state || *granted;
                let case = format!(
                    "{name}, submitted by {}, {} State(s)",
                    if by_state { "the State" } else { "an NGO" },
                    concerned.len()
                );
                let surfaces = seen_by_public(&app, &a, state, &word).await;
                assert_eq!(
                    surfaces, [expected; 7],
                    "{case}: read, list, search, CSV, NDJSON, IATI list, IATI read"
                );
                // A sync token sees what the public sees.
                let sync = app.token(Role::Sync, None, None);
                let status = app.get_as(&item(&a), &sync).await.status.as_u16();
                assert_eq!(status == 200, expected, "{case}: sync read");
                // The State concerned, the submitter and admin see it, and why it is hidden.
                for token in [&own, submitter_token, &admin] {
                    let seen = app.get_as(&item(&a), token).await.assert_ok_json();
                    assert_eq!(seen["visibility"]["public"], expected, "{case}");
                    assert_eq!(
                        seen["visibility"]["reasons"].as_array().unwrap().is_empty(),
                        expected,
                        "{case}: {seen}"
                    );
                }
                let _ = &org;
            }
        }
    }
}

#[actix_web::test]
async fn every_state_concerned_must_consent() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Two States NGO").await;
    let a = submit(
        &app,
        &token,
        &activity(&["NER", "SEN"], "Regional workshop"),
    )
    .await;
    consent(
        &app,
        &app.token(Role::State, Some("NER"), None),
        json!({"decision": "granted", "scope": "all"}),
    )
    .await;
    let seen = app.get_as(&item(&a), &token).await.assert_ok_json();
    assert_eq!(
        seen["visibility"]["reasons"],
        json!(["awaiting consent of SEN"])
    );
    app.get(&item(&a)).await.assert_problem(404, "not_found");
    consent(
        &app,
        &app.token(Role::State, Some("SEN"), None),
        json!({"decision": "granted", "scope": "submitter", "stakeholder_id": a["submitter"]}),
    )
    .await;
    app.get(&item(&a)).await.assert_ok_json();
    // A draft or a withdrawn submission is never public, whatever the consent.
    for publication in ["draft", "withdrawn"] {
        let reply = app
            .send_json(
                Method::PATCH,
                &item(&a),
                Some(&token),
                &json!({ "publication": publication }),
            )
            .await;
        reply.assert_ok_json();
        app.get(&item(&a)).await.assert_problem(404, "not_found");
        // A State sees a draft concerning it only when it submitted it.
        let senegal = app.token(Role::State, Some("SEN"), None);
        let status = app.get_as(&item(&a), &senegal).await.status.as_u16();
        assert_eq!(status, 404, "{publication}: not the State's to see");
    }
}

/// A tiny model of the rule, written the long way: replay each State's records in order,
/// keeping the last decision per scope; the most recent of those decides, unless it is a grant
/// over a narrower refusal.
#[derive(Clone)]
struct Modelled {
    id: String,
    submitter: String,
    submitter_state: Option<&'static str>,
    states: Vec<&'static str>,
}

fn model_public(
    a: &Modelled,
    records: &[(&'static str, &'static str, String, &'static str)],
) -> bool {
    a.states.iter().all(|state| {
        if a.submitter_state == Some(*state) {
            return true;
        }
        // The latest record at each scope (all, submitter, activity), in recording order; the
        // most recent of them decides, except that a grant never undoes a narrower refusal.
        let mut latest: [Option<(usize, &str)>; 3] = [None; 3];
        for (seq, (s, scope, target, decision)) in records.iter().enumerate() {
            if s != state {
                continue;
            }
            let slot = match *scope {
                "all" => 0,
                "submitter" if *target == a.submitter => 1,
                "activity" if *target == a.id => 2,
                _ => continue,
            };
            latest[slot] = Some((seq, *decision));
        }
        let newest = (0..3)
            .filter_map(|i| latest[i].map(|l| (i, l)))
            .max_by_key(|(_, (seq, _))| *seq);
        match newest {
            Some((at, (_, "granted"))) => latest[at + 1..]
                .iter()
                .flatten()
                .all(|(_, d)| *d == "granted"),
            _ => false,
        }
    })
}

#[actix_web::test]
async fn random_consent_histories_agree_with_a_model() {
    use rand::{Rng, SeedableRng};
    const POOL: [&str; 3] = ["KEN", "UGA", "TZA"];
    let app = TestApp::spawn();
    let (_, first) = organisation(&app, "First NGO").await;
    let (_, second) = organisation(&app, "Second NGO").await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(5428);
    // Activities with random States, by the two NGOs and by Kenya itself.
    let mut activities = Vec::new();
    for i in 0..8 {
        let mut states: Vec<&'static str> = POOL
            .iter()
            .copied()
            .filter(|_| rng.random_bool(0.5))
            .collect();
        if states.is_empty() {
            states.push(POOL[i % 3]);
        }
        let (token, submitter_state) = match i % 3 {
            0 => (first.clone(), None),
            1 => (second.clone(), None),
            _ => (app.token(Role::State, Some("KEN"), None), Some("KEN")),
        };
        let a = submit(&app, &token, &activity(&states, &format!("Random {i}"))).await;
        activities.push(Modelled {
            id: a["id"].as_str().unwrap().to_owned(),
            submitter: a["submitter"].as_str().unwrap().to_owned(),
            submitter_state,
            states,
        });
    }
    let submitters: Vec<String> = activities.iter().map(|a| a.submitter.clone()).collect();
    let mut records = Vec::new();
    for step in 0..60 {
        let state = POOL[rng.random_range(0..3)];
        let decision = ["granted", "refused", "withdrawn"][rng.random_range(0..3)];
        let (scope, target) = match rng.random_range(0..3) {
            0 => ("all", String::new()),
            1 => (
                "submitter",
                submitters[rng.random_range(0..submitters.len())].clone(),
            ),
            _ => {
                // Only an activity that concerns the State can be named.
                let candidates: Vec<&Modelled> = activities
                    .iter()
                    .filter(|a| a.states.contains(&state))
                    .collect();
                if candidates.is_empty() {
                    ("all", String::new())
                } else {
                    (
                        "activity",
                        candidates[rng.random_range(0..candidates.len())].id.clone(),
                    )
                }
            }
        };
        let mut body = json!({"decision": decision, "scope": scope});
        match scope {
            "submitter" => body["stakeholder_id"] = json!(target),
            "activity" => body["activity_id"] = json!(target),
            _ => {}
        }
        consent(&app, &app.token(Role::State, Some(state), None), body).await;
        records.push((state, scope, target, decision));

        let public: std::collections::BTreeSet<String> = app
            .all(PATH)
            .await
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect();
        let expected: std::collections::BTreeSet<String> = activities
            .iter()
            .filter(|a| model_public(a, &records))
            .map(|a| a.id.clone())
            .collect();
        assert_eq!(public, expected, "after step {step}: {records:?}");
        // A State's list reads its facets' copy of each verdict (`public_facets`).
        for state in POOL {
            let listed: std::collections::BTreeSet<String> = app
                .all(&format!("{PATH}?state={state}"))
                .await
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_owned())
                .collect();
            let concerned = activities
                .iter()
                .filter(|a| a.states.contains(&state) && expected.contains(&a.id))
                .map(|a| a.id.clone())
                .collect();
            assert_eq!(listed, concerned, "{state} after step {step}: {records:?}");
        }
        assert_eq!(count(&app, FACETS_OUT_OF_STEP), 0, "after step {step}");
    }
}

/// Facets whose copy of the verdict is not their activity's.
const FACETS_OUT_OF_STEP: &str = "SELECT COUNT(*) AS n FROM activity_facets f \
     JOIN activities a ON a.seq = f.activity_seq WHERE f.public <> a.public";

/// The database alone keeps a facet's copy of its activity's verdict: set otherwise by hand, it
/// is refused (SQLite) or set back (PostgreSQL); a list of the State's public activities never
/// shows a hidden one whatever the copy says, since the activity's own verdict is checked too.
#[actix_web::test]
async fn a_facet_keeps_its_activitys_verdict() {
    let app = TestApp::spawn();
    let (_, ngo) = organisation(&app, "Copying NGO").await;
    let hidden = submit(&app, &ngo, &activity(&["KEN"], "Not consented")).await;
    assert!(count(&app, "SELECT COUNT(*) AS n FROM activity_facets") > 0);
    assert_eq!(count(&app, FACETS_OUT_OF_STEP), 0);
    let mut conn = app.service.state.pool.get().unwrap();
    let set = match &**conn {
        upr_tc::db::DbConnection::Sqlite(_) => "UPDATE activity_facets SET public = 1",
        upr_tc::db::DbConnection::Postgres(_) => "UPDATE activity_facets SET public = true",
    };
    let refused = diesel::RunQueryDsl::execute(diesel::sql_query(set), &mut **conn).is_err();
    assert_eq!(
        refused,
        matches!(&**conn, upr_tc::db::DbConnection::Sqlite(_))
    );
    drop(conn);
    assert_eq!(count(&app, FACETS_OUT_OF_STEP), 0);
    assert!(app.all(&format!("{PATH}?state=KEN")).await.is_empty());
    consent(
        &app,
        &app.token(Role::State, Some("KEN"), None),
        json!({"decision": "granted", "scope": "all"}),
    )
    .await;
    assert_eq!(count(&app, FACETS_OUT_OF_STEP), 0);
    let listed = app.all(&format!("{PATH}?state=KEN")).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], hidden["id"]);
}
