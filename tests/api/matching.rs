//! Matches, ranked and explained: hand-built scenarios that rank as a person would, on the
//! words of real recommendations (UPR Info's export of sessions 1 to 5), and the boundaries of
//! who sees what.

use actix_web::http::Method;
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc_tests::{TestApp, activity, json, offer, recommendation, stakeholder};

/// A recommendation accepted by `state`, with `text` (from UPR Info's export) and `themes`.
async fn accepted(app: &TestApp, state: &str, text: &str, themes: &[&str]) -> String {
    let mut body = recommendation(state, 5, text);
    body["themes"] = json!(themes);
    body["sdg_targets"] = json!([]);
    app.create("/api/v1/recommendations", &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A registered organisation; its id.
async fn organisation(app: &TestApp, name: &str) -> String {
    app.create(
        "/api/v1/stakeholders",
        &stakeholder("civil_society_organization", Some("CHE"), name),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Merges `patch` into `base` (top-level keys).
fn with(mut base: Value, patch: &Value) -> Value {
    for (k, v) in patch.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

/// Makes an offer described as `label` by a new organisation of that name, `admin` naming it.
async fn offered(app: &TestApp, label: &str, patch: Value) -> Value {
    let org = organisation(app, label).await;
    let mut body = with(offer(label), &patch);
    body["stakeholder"] = json!(org);
    let reply = app
        .send_json(
            Method::POST,
            "/api/v1/offers",
            Some(&app.admin_token()),
            &body,
        )
        .await;
    assert_eq!(reply.status, 201, "{label}: {}", reply.text());
    reply.json()
}

/// Files a request as `state`'s own token: the base of a French-language request for
/// legislative advice on women's rights in 2027, changed by `patch`.
async fn requested(app: &TestApp, state: &str, patch: Value) -> Value {
    let body = with(
        json!({
            "state": state,
            "themes": ["womens_rights"],
            "sdg_targets": ["5.1"],
            "modalities": ["legislative_advice"],
            "languages": ["fr"],
            "period": {"start": "2027-01-01", "end": "2027-12-31"},
            "description": {"en": "Technical cooperation requested"},
        }),
        &patch,
    );
    let token = app.token(Role::State, Some(state), None);
    let reply = app
        .send_json(
            Method::POST,
            "/api/v1/assistance-requests",
            Some(&token),
            &body,
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()
}

/// The matches of a request, every page, anonymously: (the offer's description, the match).
async fn matches(app: &TestApp, request: &Value) -> Vec<(String, Value)> {
    let path = format!(
        "/api/v1/assistance-requests/{}/matches",
        request["id"].as_str().unwrap()
    );
    app.all(&path)
        .await
        .into_iter()
        .map(|m| {
            (
                m["offer"]["description"]["en"].as_str().unwrap().to_owned(),
                m,
            )
        })
        .collect()
}

fn labels(ranked: &[(String, Value)]) -> Vec<&str> {
    ranked.iter().map(|(l, _)| l.as_str()).collect()
}

fn of<'a>(ranked: &'a [(String, Value)], label: &str) -> &'a Value {
    &ranked.iter().find(|(l, _)| l == label).unwrap().1
}

/// The detail of a factor of a match.
fn detail(m: &Value, factor: &str) -> String {
    m["explanation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["factor"] == factor)
        .unwrap_or_else(|| panic!("no {factor} in {m}"))["detail"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn contribution(m: &Value, factor: &str) -> f64 {
    m["explanation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["factor"] == factor)
        .unwrap()["contribution"]
        .as_f64()
        .unwrap()
}

fn score(m: &Value) -> f64 {
    m["score"].as_f64().unwrap()
}

/// Every match's contributions sum to its score, and it is from 0 to 1.
fn consistent(ranked: &[(String, Value)]) {
    for (label, m) in ranked {
        let sum: f64 = m["explanation"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["contribution"].as_f64().unwrap())
            .sum();
        assert!((sum - score(m)).abs() < 0.002, "{label}: {sum} vs {m}");
        assert!((0.0..=1.0).contains(&score(m)), "{label}");
    }
}

// 1. The issue's own case.
#[actix_web::test]
async fn kenya_french_legislative_advice_on_womens_rights_in_2027() {
    let app = TestApp::spawn();
    // Ecuador, session 1: "Adopt appropriate measures to eradicate gender-based violence,
    // particularly domestic violence." Here as Kenya's.
    let rec = accepted(
        &app,
        "KEN",
        "Adopt appropriate measures to eradicate gender-based violence, particularly domestic violence.",
        &["womens_rights"],
    )
    .await;
    let request = requested(
        &app,
        "KEN",
        json!({"recommendations": [rec], "description": {"en": "Legislative advice on a bill against gender-based and domestic violence"}}),
    )
    .await;
    let base = json!({"languages": ["fr"], "regions": ["002"]});
    offered(&app, "Fits: French, women's rights, legislative advice, Africa, 2027", with(base.clone(), &json!({"description": {"en": "Fits: French, women's rights, legislative advice, Africa, 2027"}}))).await;
    offered(
        &app,
        "In English only",
        with(base.clone(), &json!({"languages": ["en"]})),
    )
    .await;
    offered(
        &app,
        "Serves Asia only",
        with(base.clone(), &json!({"regions": ["142"]})),
    )
    .await;
    offered(
        &app,
        "Period over",
        with(
            base.clone(),
            &json!({"period": {"start": "2024-01-01", "end": "2025-12-31"}}),
        ),
    )
    .await;
    offered(
        &app,
        "Another theme",
        with(
            base.clone(),
            &json!({"themes": ["elections"], "sdg_targets": ["16.7"]}),
        ),
    )
    .await;
    let ranked = matches(&app, &request).await;
    consistent(&ranked);
    let order = labels(&ranked);
    assert_eq!(
        order[0], "Fits: French, women's rights, legislative advice, Africa, 2027",
        "{order:?}"
    );
    assert_eq!(
        order[1], "Another theme",
        "it can serve, so above those that cannot: {order:?}"
    );
    let best = of(&ranked, order[0]);
    assert!(best["can_serve"].as_bool().unwrap());
    assert!(detail(best, "themes").contains("womens_rights"));
    assert!(detail(best, "language").contains("fr"));
    assert!(detail(best, "serves").contains("Africa (002)"));
    assert!(detail(best, "modality").contains("legislative_advice"));
    assert!(
        detail(best, "words").contains("legisl"),
        "{}",
        detail(best, "words")
    );
    let other = of(&ranked, "Another theme");
    assert!(
        detail(other, "themes").starts_with("no shared theme"),
        "{}",
        detail(other, "themes")
    );
    for (label, why) in [
        (
            "In English only",
            "no shared language: asks for fr, offers en",
        ),
        ("Serves Asia only", "does not serve KEN: serves Asia (142)"),
        (
            "Period over",
            "no longer available: its period ended on 2025-12-31",
        ),
    ] {
        let m = of(&ranked, label);
        assert!(!m["can_serve"].as_bool().unwrap(), "{label}");
        assert!(
            score(m) < score(other),
            "{label} ranks below every offer that can serve"
        );
        assert!(
            detail(m, "can_serve").contains(why),
            "{label}: {}",
            detail(m, "can_serve")
        );
    }
}

// 2. A modality asked for counts.
#[actix_web::test]
async fn montenegro_trafficking_training_prefers_the_training_offer() {
    let app = TestApp::spawn();
    let rec = accepted(
        &app,
        "MNE",
        "Deal with the issue of trafficking in persons, particularly women and children for sexual exploitation, with the full cooperation of countries in the trafficking chain.",
        &["trafficking", "womens_rights", "rights_of_the_child"],
    )
    .await;
    let request = requested(
        &app,
        "MNE",
        json!({"recommendations": [rec], "themes": ["trafficking"], "sdg_targets": ["5.2"], "modalities": ["training"], "languages": ["en"], "description": {"en": "Training of border police and prosecutors to identify victims of trafficking"}}),
    )
    .await;
    let europe = json!({"regions": ["150"], "languages": ["en"], "sdg_targets": ["5.2"]});
    offered(
        &app,
        "Trafficking training",
        with(
            europe.clone(),
            &json!({"themes": ["trafficking"], "modalities": ["training"]}),
        ),
    )
    .await;
    offered(
        &app,
        "Trafficking legislation",
        with(
            europe.clone(),
            &json!({"themes": ["trafficking"], "modalities": ["legislative_advice"]}),
        ),
    )
    .await;
    offered(&app, "Women's rights training", with(europe.clone(), &json!({"themes": ["womens_rights"], "modalities": ["training"], "sdg_targets": ["5.1"]}))).await;
    let ranked = matches(&app, &request).await;
    consistent(&ranked);
    assert_eq!(
        labels(&ranked),
        [
            "Trafficking training",
            "Trafficking legislation",
            "Women's rights training"
        ]
    );
    assert!(
        detail(of(&ranked, "Trafficking legislation"), "modality")
            .contains("offers legislative_advice where training is asked for")
    );
}

// 3. Serving a State by name counts more than serving its region.
#[actix_web::test]
async fn congo_npm_prefers_the_offer_naming_it() {
    let app = TestApp::spawn();
    let rec = accepted(
        &app,
        "COG",
        "Ratify CAT-OP and establish a national preventive mechanism.",
        &["torture_and_cid_treatment", "international_instruments"],
    )
    .await;
    let request = requested(
        &app,
        "COG",
        json!({"recommendations": [rec], "themes": ["torture_and_cid_treatment"], "sdg_targets": ["16.a"], "modalities": ["institution_building"], "description": {"fr": "Mise en place du mécanisme national de prévention de la torture"}}),
    )
    .await;
    let same = json!({"themes": ["torture_and_cid_treatment"], "sdg_targets": ["16.a"], "modalities": ["institution_building"], "languages": ["fr"], "regions": []});
    offered(
        &app,
        "For the African group",
        with(same.clone(), &json!({"regional_groups": ["african"]})),
    )
    .await;
    offered(
        &app,
        "For Congo by name",
        with(same.clone(), &json!({"states": ["COG"]})),
    )
    .await;
    offered(&app, "For everyone", same.clone()).await;
    let ranked = matches(&app, &request).await;
    assert_eq!(
        labels(&ranked),
        ["For Congo by name", "For the African group", "For everyone"]
    );
    assert_eq!(
        detail(of(&ranked, "For Congo by name"), "serves"),
        "serves COG by name"
    );
    assert!(detail(of(&ranked, "For everyone"), "serves").contains("every State"));
}

// 4. The words of the recommendation and the description.
#[actix_web::test]
async fn uruguay_nhri_prefers_the_offer_in_its_words() {
    let app = TestApp::spawn();
    let rec = accepted(
        &app,
        "URY",
        "Establish a national human rights institution in accordance with the Paris Principles.",
        &["nhri"],
    )
    .await;
    let request = requested(
        &app,
        "URY",
        json!({"recommendations": [rec], "themes": ["nhri"], "sdg_targets": [], "modalities": ["institution_building"], "languages": ["es"], "description": {"es": "Apoyo para crear la institución nacional conforme a los Principios de París"}}),
    )
    .await;
    let same = json!({"themes": ["nhri"], "sdg_targets": [], "modalities": ["institution_building"], "languages": ["es", "en"], "regions": ["019"], "capacity": null});
    offered(
        &app,
        "Accreditation of institutions under the Paris Principles",
        same.clone(),
    )
    .await;
    offered(
        &app,
        "Workshops on reporting to treaty bodies",
        same.clone(),
    )
    .await;
    let ranked = matches(&app, &request).await;
    assert_eq!(
        labels(&ranked)[0],
        "Accreditation of institutions under the Paris Principles"
    );
    let words = detail(
        of(
            &ranked,
            "Accreditation of institutions under the Paris Principles",
        ),
        "words",
    );
    assert!(
        words.contains("pari") && words.contains("principl"),
        "{words}"
    );
    assert!(contribution(&ranked[0].1, "words") > contribution(&ranked[1].1, "words"));
}

// 5. What a stakeholder has done counts: public activities on the theme, in the region.
#[actix_web::test]
async fn pakistan_nhri_prefers_the_stakeholder_that_did_it_nearby() {
    let app = TestApp::spawn();
    let rec = accepted(
        &app,
        "PAK",
        "Recommended that a national commission on human rights be established in accordance with the Paris Principles.",
        &["nhri"],
    )
    .await;
    let request = requested(
        &app,
        "PAK",
        json!({"recommendations": [rec], "themes": ["nhri"], "sdg_targets": [], "modalities": [], "languages": ["en"], "description": {"en": "A national commission"}}),
    )
    .await;
    let same = json!({"themes": ["nhri"], "sdg_targets": [], "languages": ["en"], "regions": ["034"], "description": {"en": "Same words"}, "capacity": null});
    let done = offered(
        &app,
        "Did it in India",
        with(
            same.clone(),
            &json!({"description": {"en": "Did it in India"}}),
        ),
    )
    .await;
    offered(
        &app,
        "Never did it",
        with(
            same.clone(),
            &json!({"description": {"en": "Never did it"}}),
        ),
    )
    .await;
    let mut past = activity(&["IND"], "Support to the National Human Rights Commission");
    past["submitter"] = done["stakeholder"].clone();
    past["themes"] = json!(["nhri"]);
    past["status"] = json!("closed");
    app.create("/api/v1/activities", &past).await;
    // Not public yet (awaiting India's consent): it counts for no one.
    let ranked = matches(&app, &request).await;
    assert_eq!(
        contribution(of(&ranked, "Did it in India"), "track_record"),
        0.0
    );
    app.send_json(
        Method::POST,
        "/api/v1/consents",
        Some(&app.token(Role::State, Some("IND"), None)),
        &json!({"decision": "granted", "scope": "all"}),
    )
    .await;
    let ranked = matches(&app, &request).await;
    assert_eq!(labels(&ranked), ["Did it in India", "Never did it"]);
    let track = detail(of(&ranked, "Did it in India"), "track_record");
    assert!(
        track.contains(
            "1 public activities on these themes, 1 of them in the region, 1 good practices"
        ),
        "{track}"
    );
}

// 6. A State with good practices, peer to peer.
#[actix_web::test]
async fn serbia_crpd_prefers_a_state_sharing_its_good_practice() {
    let app = TestApp::spawn();
    let rec = accepted(
        &app,
        "SRB",
        "Consider ratifying the Convention on the Rights of Persons with Disabilities.",
        &["persons_with_disabilities", "international_instruments"],
    )
    .await;
    let request = requested(
        &app,
        "SRB",
        json!({"recommendations": [rec], "themes": ["persons_with_disabilities"], "sdg_targets": [], "modalities": ["peer_exchange"], "languages": ["en"], "description": {"en": "Ratification of the CRPD"}}),
    )
    .await;
    let same = json!({"themes": ["persons_with_disabilities"], "sdg_targets": [], "modalities": ["peer_exchange"], "languages": ["en"], "regions": [], "capacity": null, "peer_to_peer": true});
    // Morocco ratified the CRPD (session 1) and shares how, as a State.
    let morocco = app.token(Role::State, Some("MAR"), None);
    let mut practice = activity(&["MAR"], "Ratifying and implementing the CRPD");
    practice["themes"] = json!(["persons_with_disabilities"]);
    practice["good_practice"] = json!(true);
    let reply = app
        .send_json(
            Method::POST,
            "/api/v1/activities",
            Some(&morocco),
            &practice,
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let body = with(offer("Morocco's experience"), &same);
    let reply = app
        .send_json(Method::POST, "/api/v1/offers", Some(&morocco), &body)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    offered(
        &app,
        "An NGO's offer",
        with(
            same.clone(),
            &json!({"description": {"en": "An NGO's offer"}, "peer_to_peer": false}),
        ),
    )
    .await;
    let ranked = matches(&app, &request).await;
    assert_eq!(labels(&ranked), ["Morocco's experience", "An NGO's offer"]);
    let p2p = detail(of(&ranked, "Morocco's experience"), "peer_to_peer");
    assert!(
        p2p.contains("a State offering its own experience, with 1 good practices"),
        "{p2p}"
    );
    assert_eq!(
        contribution(of(&ranked, "An NGO's offer"), "peer_to_peer"),
        0.0
    );
}

// 7. SDG targets: the same target, then one of the same goal.
#[actix_web::test]
async fn jordan_honour_killings_ranks_by_sdg_target() {
    let app = TestApp::spawn();
    let rec = accepted(
        &app,
        "JOR",
        "Abolish all protection and impunity for perpetrators of honour killings",
        &["impunity", "womens_rights"],
    )
    .await;
    let request = requested(
        &app,
        "JOR",
        json!({"recommendations": [rec], "sdg_targets": ["5.2"], "languages": ["ar"], "description": {"ar": "مشورة تشريعية"}}),
    )
    .await;
    let same = json!({"languages": ["ar"], "regions": ["145"]});
    offered(
        &app,
        "Target 5.2",
        with(same.clone(), &json!({"sdg_targets": ["5.2"]})),
    )
    .await;
    offered(
        &app,
        "Target 5.1",
        with(same.clone(), &json!({"sdg_targets": ["5.1"]})),
    )
    .await;
    offered(
        &app,
        "Target 16.1",
        with(same.clone(), &json!({"sdg_targets": ["16.1"]})),
    )
    .await;
    let ranked = matches(&app, &request).await;
    assert_eq!(labels(&ranked), ["Target 5.2", "Target 5.1", "Target 16.1"]);
    assert!(detail(of(&ranked, "Target 5.1"), "sdg_targets").contains("goals of SDG targets 5.2"));
}

// 8. When the help is needed.
#[actix_web::test]
async fn cameroon_prisons_in_2027_leaves_out_an_offer_from_2029() {
    let app = TestApp::spawn();
    let rec = accepted(
        &app,
        "CMR",
        "Facilitate full access of international and local humanitarian organisations to prisons and speed up judicial reforms, including the construction of new prisons",
        &["detention", "justice"],
    )
    .await;
    let request = requested(
        &app,
        "CMR",
        json!({"recommendations": [rec], "themes": ["detention", "justice"], "sdg_targets": ["16.3"], "modalities": ["needs_assessment"], "languages": ["fr", "en"], "description": {"en": "Assessment of prison conditions and access for humanitarian organisations"}}),
    )
    .await;
    let same = json!({"themes": ["detention", "justice"], "sdg_targets": ["16.3"], "modalities": ["needs_assessment"], "languages": ["en"], "regions": ["002"]});
    offered(&app, "In 2027", same.clone()).await;
    offered(
        &app,
        "Any time",
        with(same.clone(), &json!({"period": null})),
    )
    .await;
    offered(
        &app,
        "From 2029",
        with(
            same.clone(),
            &json!({"period": {"start": "2029-01-01", "end": null}}),
        ),
    )
    .await;
    let ranked = matches(&app, &request).await;
    let order = labels(&ranked);
    assert_eq!(order[2], "From 2029", "{order:?}");
    let late = of(&ranked, "From 2029");
    assert!(!late["can_serve"].as_bool().unwrap());
    assert!(detail(late, "can_serve").contains(
        "not available when needed: available from 2029-01-01, needed 2027-01-01 to 2027-12-31"
    ));
    assert!(of(&ranked, "Any time")["can_serve"].as_bool().unwrap());
    assert_eq!(
        detail(of(&ranked, "Any time"), "period"),
        "available at any time"
    );
}

// 9. A regional group the State is not of.
#[actix_web::test]
async fn botswana_indigenous_peoples_needs_an_offer_serving_its_group() {
    let app = TestApp::spawn();
    let rec = accepted(
        &app,
        "BWA",
        "Agree to the request for visit by the Special Rapporteur on the Rights and Fundamental Freedoms of Indigenous Peoples.",
        &["indigenous_peoples", "special_procedures"],
    )
    .await;
    let request = requested(
        &app,
        "BWA",
        json!({"recommendations": [rec], "themes": ["indigenous_peoples"], "sdg_targets": [], "modalities": ["awareness_raising"], "languages": ["en"], "description": {"en": "Consultation of indigenous communities"}}),
    )
    .await;
    let same = json!({"themes": ["indigenous_peoples"], "sdg_targets": [], "modalities": ["awareness_raising"], "languages": ["en"], "regions": []});
    offered(
        &app,
        "African group",
        with(same.clone(), &json!({"regional_groups": ["african"]})),
    )
    .await;
    offered(
        &app,
        "Western group",
        with(
            same.clone(),
            &json!({"regional_groups": ["western_european_and_others"]}),
        ),
    )
    .await;
    let ranked = matches(&app, &request).await;
    assert_eq!(labels(&ranked), ["African group", "Western group"]);
    assert!(
        detail(of(&ranked, "Western group"), "can_serve")
            .contains("does not serve BWA: serves western_european_and_others")
    );
}

// 10. A request that takes any language.
#[actix_web::test]
async fn russia_judicial_reform_in_any_language() {
    let app = TestApp::spawn();
    let rec = accepted(
        &app,
        "RUS",
        "Continue improving its legislation towards a judicial reform with a view to having a modern legislation which adapts to new challenges",
        &["justice"],
    )
    .await;
    let request = requested(
        &app,
        "RUS",
        json!({"recommendations": [rec], "themes": ["justice"], "sdg_targets": [], "languages": [], "description": {"ru": "Судебная реформа"}}),
    )
    .await;
    let same = json!({"themes": ["justice"], "sdg_targets": [], "regions": ["150"]});
    offered(
        &app,
        "In English",
        with(same.clone(), &json!({"languages": ["en"]})),
    )
    .await;
    offered(
        &app,
        "On elections",
        with(
            same.clone(),
            &json!({"languages": ["ru"], "themes": ["elections"]}),
        ),
    )
    .await;
    let ranked = matches(&app, &request).await;
    assert_eq!(labels(&ranked), ["In English", "On elections"]);
    assert!(
        ranked
            .iter()
            .all(|(_, m)| m["can_serve"].as_bool().unwrap())
    );
    assert_eq!(
        detail(of(&ranked, "In English"), "language"),
        "the need takes any language"
    );
}

// 11. From an offer: the open requests it could answer.
#[actix_web::test]
async fn an_offer_on_trafficking_in_europe_finds_montenegros_request_first() {
    let app = TestApp::spawn();
    let mne = accepted(
        &app,
        "MNE",
        "Deal with the issue of trafficking in persons, particularly women and children for sexual exploitation, with the full cooperation of countries in the trafficking chain.",
        &["trafficking"],
    )
    .await;
    let mus = accepted(
        &app,
        "MUS",
        "Take into account the human rights dimensions of human trafficking, in particular the need to protect and provide assistance to victims, in the drafting of legislation to combat human trafficking",
        &["trafficking"],
    )
    .await;
    let cog = accepted(
        &app,
        "COG",
        "Take all measures to ensure that the forthcoming elections are peaceful, free and fair and occur in a climate free of intimidation and where the right of assembly is fully respected.",
        &["elections"],
    )
    .await;
    requested(&app, "MNE", json!({"recommendations": [mne], "themes": ["trafficking"], "languages": ["en"], "description": {"en": "Trafficking victims"}})).await;
    requested(&app, "MUS", json!({"recommendations": [mus], "themes": ["trafficking"], "languages": ["en"], "description": {"en": "Trafficking law"}})).await;
    requested(&app, "COG", json!({"recommendations": [cog], "themes": ["elections"], "description": {"fr": "Élections"}})).await;
    let mut draft = json!({"recommendations": [], "themes": ["trafficking"], "languages": ["en"], "status": "draft", "description": {"en": "Draft"}});
    draft["state"] = json!("ALB");
    requested(&app, "ALB", draft).await;
    let made = offered(
        &app,
        "Trafficking in Europe",
        json!({"themes": ["trafficking"], "languages": ["en"], "regions": ["150"], "description": {"en": "Protection of victims of trafficking for sexual exploitation"}}),
    )
    .await;
    let path = format!("/api/v1/offers/{}/matches", made["id"].as_str().unwrap());
    let ranked = app.all(&path).await;
    let states: Vec<&str> = ranked
        .iter()
        .map(|m| m["request"]["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["MNE", "MUS", "COG"],
        "open ones only, MNE served, MUS not (Africa)"
    );
    assert!(!ranked[1]["can_serve"].as_bool().unwrap());
}

/// An organisation named `name` with one activity in `state` on `theme`, made public by the
/// State's consent to every activity; the organisation's id.
async fn with_public_activity(
    app: &TestApp,
    name: &str,
    state: &str,
    title: &str,
    theme: &str,
) -> String {
    let organisation = organisation(app, name).await;
    let mut past = activity(&[state], title);
    past["submitter"] = json!(organisation);
    past["themes"] = json!([theme]);
    app.create("/api/v1/activities", &past).await;
    app.send_json(
        Method::POST,
        "/api/v1/consents",
        Some(&app.token(Role::State, Some(state), None)),
        &json!({"decision": "granted", "scope": "all"}),
    )
    .await;
    organisation
}

// 12. Potential partners of a recommendation: by offers, and by track record alone.
#[actix_web::test]
async fn potential_partners_of_congos_elections_recommendation() {
    let app = TestApp::spawn();
    let rec = accepted(
        &app,
        "COG",
        "Take all measures to ensure that the forthcoming elections are peaceful, free and fair and occur in a climate free of intimidation and where the right of assembly is fully respected.",
        &["elections"],
    )
    .await;
    offered(&app, "Election observers", json!({"themes": ["elections"], "sdg_targets": ["16.7"], "languages": ["fr"], "regions": ["002"], "description": {"en": "Election observers"}})).await;
    offered(&app, "Unrelated", json!({"themes": ["right_to_water"], "sdg_targets": [], "languages": ["fr"], "regions": ["002"], "description": {"en": "Unrelated"}})).await;
    let veteran = with_public_activity(
        &app,
        "Electoral veterans",
        "COG",
        "Observation of the 2009 presidential election",
        "elections",
    )
    .await;
    let ranked = app
        .all(&format!("/api/v1/recommendations/{rec}/potential-partners"))
        .await;
    let names: Vec<&str> = ranked
        .iter()
        .map(|m| m["stakeholder"]["name"]["en"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "Election observers", "{names:?}");
    assert!(names.contains(&"Electoral veterans"), "{names:?}");
    assert!(
        names.iter().position(|n| *n == "Unrelated")
            > names.iter().position(|n| *n == "Electoral veterans"),
        "{names:?}"
    );
    let veteran_match = ranked
        .iter()
        .find(|m| m["stakeholder"]["id"] == veteran.as_str())
        .unwrap();
    assert!(
        veteran_match["offer"].is_null(),
        "ranked on its profile and record"
    );
    assert!(detail(veteran_match, "track_record").contains("1 public activities"));
    assert!(
        ranked.iter().all(|m| m["stakeholder"]["contact"].is_null()),
        "contacts stay private"
    );
    let only_ngos = app
        .all(&format!(
            "/api/v1/recommendations/{rec}/potential-partners?stakeholder_kind=un_entity"
        ))
        .await;
    assert!(only_ngos.is_empty());
}

// 13. A recommendation filed under a UHRI theme (an OHCHR matrix) finds the offers and the
// activities on the UPR Info issue that covers the same ground, and the other way round.
#[actix_web::test]
async fn a_matrix_theme_finds_partners_on_the_upr_info_issue_and_back() {
    let app = TestApp::spawn();
    let text =
        "Take effective measures to prevent torture and ill-treatment in places of detention.";
    let from_matrix = accepted(&app, "SVN", text, &["uhri_torture"]).await;
    offered(&app, "Prison monitors", json!({"themes": ["torture_and_cid_treatment"], "sdg_targets": [], "languages": ["en"], "regions": ["150"], "description": {"en": "Independent monitoring of places of detention"}})).await;
    offered(&app, "Water engineers", json!({"themes": ["right_to_water"], "sdg_targets": [], "languages": ["en"], "regions": ["150"], "description": {"en": "Water and sanitation engineering"}})).await;
    let veteran = with_public_activity(
        &app,
        "Torture prevention veterans",
        "SVN",
        "Training of prison staff on the prevention of torture",
        "torture_and_cid_treatment",
    )
    .await;
    let ranked = app
        .all(&format!(
            "/api/v1/recommendations/{from_matrix}/potential-partners"
        ))
        .await;
    let names: Vec<&str> = ranked
        .iter()
        .map(|m| m["stakeholder"]["name"]["en"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "Prison monitors", "{names:?}");
    assert!(
        detail(&ranked[0], "themes").contains("shares 1 of the 1 themes needed: uhri_torture"),
        "{}",
        ranked[0]
    );
    let veteran_match = ranked
        .iter()
        .find(|m| m["stakeholder"]["id"] == veteran.as_str())
        .unwrap_or_else(|| panic!("the veteran's activity counts: {names:?}"));
    assert!(detail(veteran_match, "track_record").contains("1 public activities"));
    let water = ranked
        .iter()
        .find(|m| m["stakeholder"]["name"]["en"] == "Water engineers");
    assert!(
        water.is_none_or(|w| detail(w, "themes").starts_with("no shared theme")),
        "no equivalence where there is none: {water:?}"
    );

    // And back: a recommendation under the UPR Info issue, an offer under the UHRI theme.
    let from_upr_info = accepted(&app, "HRV", text, &["torture_and_cid_treatment"]).await;
    offered(&app, "Matrix-minded monitors", json!({"themes": ["uhri_torture"], "sdg_targets": [], "languages": ["en"], "regions": ["150"], "description": {"en": "Monitoring of detention"}})).await;
    let ranked = app
        .all(&format!(
            "/api/v1/recommendations/{from_upr_info}/potential-partners"
        ))
        .await;
    let monitors = ranked
        .iter()
        .find(|m| m["stakeholder"]["name"]["en"] == "Matrix-minded monitors")
        .expect("listed");
    assert!(detail(monitors, "themes").contains("shares 1 of the 1 themes needed"));

    // The reference says so both ways.
    let themes = app.get("/api/v1/reference/themes").await.assert_ok_json();
    let equivalents = |code: &str| -> Value {
        themes["items"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|v| v["themes"].as_array().unwrap())
            .find(|t| t["code"] == code)
            .unwrap()["equivalents"]
            .clone()
    };
    assert_eq!(
        equivalents("uhri_torture"),
        json!(["torture_and_cid_treatment"])
    );
    assert_eq!(
        equivalents("torture_and_cid_treatment"),
        json!(["uhri_torture"])
    );
}

#[actix_web::test]
async fn pages_min_score_and_bad_parameters() {
    let app = TestApp::spawn();
    let request = requested(&app, "KEN", json!({})).await;
    for i in 0..7 {
        offered(
            &app,
            &format!("Offer {i}"),
            json!({"themes": if i % 2 == 0 { json!(["womens_rights"]) } else { json!(["elections"]) }, "description": {"en": format!("Offer {i}")}}),
        )
        .await;
    }
    let all = matches(&app, &request).await;
    assert_eq!(all.len(), 7);
    let scores: Vec<f64> = all.iter().map(|(_, m)| score(m)).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let base = format!(
        "/api/v1/assistance-requests/{}/matches",
        request["id"].as_str().unwrap()
    );
    let first = app.get(&format!("{base}?limit=3")).await;
    let link = first.header("Link").unwrap().to_owned();
    let page = first.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let cursor = page["next_cursor"].as_str().unwrap();
    assert!(link.contains(cursor));
    let second = app
        .get(&format!("{base}?limit=3&cursor={cursor}"))
        .await
        .assert_ok_json();
    assert_eq!(
        second["items"][0]["offer"]["id"], all[3].1["offer"]["id"],
        "pages follow one ranking"
    );
    // The cursor names its ranking: another request's matches refuse it rather than read it
    // as a rank of theirs.
    let other = requested(&app, "UGA", json!({})).await;
    app.get(&format!(
        "/api/v1/assistance-requests/{}/matches?limit=3&cursor={cursor}",
        other["id"].as_str().unwrap()
    ))
    .await
    .assert_problem(400, "invalid_parameter");
    let threshold = score(&all[3].1);
    let above = app.all(&format!("{base}?min_score={threshold}")).await;
    assert!(above.len() >= 4 && above.iter().all(|m| score(m) >= threshold));
    for (bad, code) in [
        ("min_score=2", "invalid_parameter"),
        ("min_score=-0.1", "invalid_parameter"),
        ("limit=0", "invalid_parameter"),
        ("cursor=AAAAAAAAAAAAAAAAAAAAAA", "invalid_parameter"),
        ("stakeholder_kind=nonsense", "invalid_query"),
        ("colour=blue", "invalid_query"),
    ] {
        app.get(&format!("{base}?{bad}"))
            .await
            .assert_problem(400, code);
    }
}

#[actix_web::test]
async fn who_sees_which_matches() {
    let app = TestApp::spawn();
    let draft = requested(&app, "KEN", json!({"status": "draft"})).await;
    let path = format!(
        "/api/v1/assistance-requests/{}/matches",
        draft["id"].as_str().unwrap()
    );
    offered(&app, "Open", json!({})).await;
    // A draft offer never takes part; a draft request's matches are its State's and admin's.
    let org = organisation(&app, "Drafting").await;
    let mut hidden = offer("Draft offer");
    hidden["stakeholder"] = json!(org);
    hidden["status"] = json!("draft");
    app.send_json(
        Method::POST,
        "/api/v1/offers",
        Some(&app.admin_token()),
        &hidden,
    )
    .await;
    app.get(&path).await.assert_problem(404, "not_found");
    app.get_as(&path, &app.token(Role::State, Some("UGA"), None))
        .await
        .assert_problem(404, "not_found");
    let own = app
        .get_as(&path, &app.token(Role::State, Some("KEN"), None))
        .await
        .assert_ok_json();
    let names: Vec<&str> = own["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["offer"]["description"]["en"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Open"], "the draft offer takes no part");
    app.get(&format!(
        "/api/v1/assistance-requests/{}/matches",
        uuid::Uuid::now_v7()
    ))
    .await
    .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/offers/{}/matches", uuid::Uuid::now_v7()))
        .await
        .assert_problem(404, "not_found");
    app.get(&format!(
        "/api/v1/recommendations/{}/potential-partners",
        uuid::Uuid::now_v7()
    ))
    .await
    .assert_problem(404, "not_found");
}

// Matching keeps what it has read of each offer, by version: a change is ranked as it now is.
#[actix_web::test]
async fn an_offer_changed_after_a_ranking_is_ranked_as_it_now_is() {
    let app = TestApp::spawn();
    let request = requested(&app, "KEN", json!({})).await;
    let made = offered(
        &app,
        "Legislative drafting on gender equality",
        json!({"themes": ["womens_rights"], "modalities": ["legislative_advice"],
               "languages": ["fr"], "regions": ["002"]}),
    )
    .await;
    let before = matches(&app, &request).await;
    assert!(of(&before, "Legislative drafting on gender equality")["can_serve"] == true);
    let path = format!("/api/v1/offers/{}", made["id"].as_str().unwrap());
    let admin = app.admin_token();
    // It now serves Asia only, in other words.
    app.send_json(
        Method::PATCH,
        &path,
        Some(&admin),
        &json!({"regions": ["142"], "description": {"en": "Prison monitoring in Asia"}}),
    )
    .await
    .assert_ok_json();
    let after = matches(&app, &request).await;
    assert_eq!(labels(&after), ["Prison monitoring in Asia"]);
    let m = of(&after, "Prison monitoring in Asia");
    assert_eq!(m["can_serve"], false, "{m}");
    assert!(detail(m, "can_serve").contains("does not serve KEN"), "{m}");
    assert_eq!(m["offer"]["version"], 2, "the offer as it now is: {m}");
    // Made a draft, it takes no part for the public.
    app.send_json(
        Method::PATCH,
        &path,
        Some(&admin),
        &json!({"status": "draft"}),
    )
    .await
    .assert_ok_json();
    assert!(matches(&app, &request).await.is_empty());
}

/// A page of matches asked again of unchanged data, with the same access, is given as ranked,
/// without a ranking permit: a caller asking for it in a loop keeps no ranking busy. Another
/// page, or another access, is ranked again, and needs a permit.
#[actix_web::test]
async fn matches_asked_again_of_unchanged_data_are_given_as_ranked() {
    let app = TestApp::spawn();
    let request = requested(&app, "KEN", json!({})).await;
    offered(&app, "Legislative advice", json!({"languages": ["fr"]})).await;
    let path = format!(
        "/api/v1/assistance-requests/{}/matches",
        request["id"].as_str().unwrap()
    );
    let (page, again, _held) = app.read_again_without_rankings(&path, None).await;
    assert_eq!(again.assert_ok_json(), page);
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    app.get(&format!("{path}?limit=5"))
        .await
        .assert_problem(503, "service_unavailable");
    let kenya = app.token(Role::State, Some("KEN"), None);
    app.get_as(&path, &kenya)
        .await
        .assert_problem(503, "service_unavailable");
}
