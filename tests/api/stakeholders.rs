//! Stakeholders: who may change which, private contact details, filters.

use actix_web::http::Method;
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc_tests::{Request, TestApp, json, stakeholder};

const PATH: &str = "/api/v1/stakeholders";

fn item(s: &Value) -> String {
    format!("{PATH}/{}", s["id"].as_str().unwrap())
}

#[actix_web::test]
async fn only_admin_registers_and_deletes() {
    let app = TestApp::spawn();
    let body = stakeholder(
        "civil_society_organization",
        Some("KEN"),
        "Kituo Cha Sheria",
    );
    let org = uuid::Uuid::now_v7().to_string();
    for token in [
        app.token(Role::State, Some("KEN"), None),
        app.token(Role::Contributor, None, Some(&org)),
        app.token(Role::Sync, None, None),
    ] {
        app.send_json(Method::POST, PATH, Some(&token), &body)
            .await
            .assert_problem(403, "forbidden");
    }
    let created = app.create(PATH, &body).await;
    assert_eq!(
        created["contact"]["email"], "focal@example.org",
        "admin sees the contact"
    );
    let own = app.token(
        Role::Contributor,
        None,
        Some(created["id"].as_str().unwrap()),
    );
    let reply = app
        .send(
            Request::delete()
                .uri(&item(&created))
                .insert_header(("Authorization", format!("Bearer {own}"))),
        )
        .await;
    reply.assert_problem(403, "forbidden");
    let reply = app
        .send(
            Request::delete()
                .uri(&item(&created))
                .insert_header(("Authorization", format!("Bearer {}", app.admin_token()))),
        )
        .await;
    assert_eq!(reply.status, 204);
    app.get(&item(&created))
        .await
        .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn contact_details_are_private_to_admin_and_the_organisation() {
    let app = TestApp::spawn();
    let created = app
        .create(
            PATH,
            &stakeholder(
                "nhri",
                Some("KEN"),
                "Kenya National Commission on Human Rights",
            ),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let own = app.token(Role::Contributor, None, Some(id));
    let other = app.token(
        Role::Contributor,
        None,
        Some(&uuid::Uuid::now_v7().to_string()),
    );
    let state = app.token(Role::State, Some("KEN"), None);

    let anonymous = app.get(&item(&created)).await;
    assert!(anonymous.json().get("contact").is_none_or(Value::is_null));
    assert_eq!(anonymous.header("etag"), Some("\"1-public\""));
    for token in [&other, &state] {
        let seen = app.get_as(&item(&created), token).await.assert_ok_json();
        assert!(seen.get("contact").is_none_or(Value::is_null));
    }
    let reply = app.get_as(&item(&created), &own).await;
    assert_eq!(reply.header("etag"), Some("\"1\""));
    assert_eq!(reply.json()["contact"]["name"], "Focal point");
    // Lists hide it the same way.
    let list = app.get(PATH).await.assert_ok_json();
    assert!(list["items"][0].get("contact").is_none_or(Value::is_null));
    let list = app.get_as(PATH, &own).await.assert_ok_json();
    assert_eq!(list["items"][0]["contact"]["email"], "focal@example.org");
}

#[actix_web::test]
async fn a_state_sees_the_contact_of_its_own_bodies_only() {
    let app = TestApp::spawn();
    let nmirf = app
        .create(
            PATH,
            &stakeholder("nmirf", Some("KEN"), "National Committee"),
        )
        .await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let uganda = app.token(Role::State, Some("UGA"), None);
    let reply = app.get_as(&item(&nmirf), &kenya).await;
    assert_eq!(reply.header("etag"), Some("\"1\""));
    assert_eq!(reply.json()["contact"]["email"], "focal@example.org");
    let list = app.get_as(PATH, &kenya).await.assert_ok_json();
    assert_eq!(list["items"][0]["contact"]["email"], "focal@example.org");
    let reply = app.get_as(&item(&nmirf), &uganda).await;
    assert_eq!(reply.header("etag"), Some("\"1-public\""));
    assert!(reply.json().get("contact").is_none_or(Value::is_null));
    // What it sees it may change, and take away.
    let patch = json!({"contact": {"name": "New focal point", "email": "new@example.org"}});
    let changed = app
        .send_json(Method::PATCH, &item(&nmirf), Some(&kenya), &patch)
        .await
        .assert_ok_json();
    assert_eq!(changed["contact"]["email"], "new@example.org");
    let changed = app
        .send_json(
            Method::PATCH,
            &item(&nmirf),
            Some(&kenya),
            &json!({"contact": null}),
        )
        .await
        .assert_ok_json();
    assert!(changed.get("contact").is_none_or(Value::is_null));
}

/// An import finds an organisation by its kind, country and first name where a row gives no
/// id nor partner key: a contributor that took the name of one not registered yet would have
/// admin's import of it write that organisation (its partner keys, its contact) over its own.
#[actix_web::test]
async fn a_contributor_cannot_take_the_name_an_import_finds_another_organisation_by() {
    let app = TestApp::spawn();
    let mine = app
        .create(
            PATH,
            &stakeholder("civil_society_organization", Some("KEN"), "Mine"),
        )
        .await;
    let token = app.token(Role::Contributor, None, Some(mine["id"].as_str().unwrap()));
    let problem = app
        .send_json(
            Method::PATCH,
            &item(&mine),
            Some(&token),
            &json!({"name": {"en": "Kituo Cha Sheria"}}),
        )
        .await
        .assert_problem(403, "forbidden");
    assert!(
        problem["detail"].as_str().unwrap().contains("`name.en`"),
        "{problem}"
    );
    // An Arabic name would come first, and be what an import finds it by.
    app.send_json(
        Method::PATCH,
        &item(&mine),
        Some(&token),
        &json!({"name": {"ar": "كيتو تشا شريا"}}),
    )
    .await
    .assert_problem(403, "forbidden");
    // Nor does its first name move into an earlier language, which would leave its English
    // name open to any other (found by an audit).
    app.send_json(
        Method::PATCH,
        &item(&mine),
        Some(&token),
        &json!({"name": {"ar": "Mine", "en": "Kituo Cha Sheria"}}),
    )
    .await
    .assert_problem(403, "forbidden");
    let kept = app.get_as(&item(&mine), &token).await.assert_ok_json();
    assert_eq!(kept["name"], json!({"en": "Mine"}));
    // Nor a State's name in any language: it would be that State in French or Russian lists
    // and IATI XML (found by an audit).
    for name in [
        json!({"fr": "Kenya (le)"}),
        json!({"ru": "Кения"}),
        json!({"zh": "肯尼亚"}),
        // A Cyrillic `е` in a Latin name: the same to a reader.
        json!({"fr": "K\u{0435}nya (le)"}),
    ] {
        let problem = app
            .send_json(
                Method::PATCH,
                &item(&mine),
                Some(&token),
                &json!({ "name": name }),
            )
            .await
            .assert_problem(403, "forbidden");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("a State's name (KEN)"),
            "{problem}"
        );
    }
    // Nor an acronym that is a State's name (found by an audit); a code is an organisation's
    // acronym as often (the Climate Action Network's `CAN`), and so is a name that is one.
    for acronym in [json!({"en": "Kenya"}), json!({"fr": "Royaume-Uni"})] {
        let problem = app
            .send_json(
                Method::PATCH,
                &item(&mine),
                Some(&token),
                &json!({ "acronym": acronym }),
            )
            .await
            .assert_problem(403, "forbidden");
        assert!(
            problem["detail"].as_str().unwrap().contains("`acronym."),
            "{problem}"
        );
    }
    let coded = app
        .send_json(
            Method::PATCH,
            &item(&mine),
            Some(&token),
            &json!({"acronym": {"en": "CAN"}, "name": {"es": "PER"}}),
        )
        .await
        .assert_ok_json();
    assert_eq!(coded["acronym"]["en"], "CAN");
    // Its name in a later language, or the same name otherwise spaced or cased, is its own.
    let renamed = app
        .send_json(
            Method::PATCH,
            &item(&mine),
            Some(&token),
            &json!({"name": {"en": "MINE", "fr": "La mienne"}}),
        )
        .await
        .assert_ok_json();
    assert_eq!(renamed["name"]["fr"], "La mienne");
    // Its upload of a row by the other's name would register it: refused, saying why.
    let row = "kind,country,name__en\ncivil_society_organization,KEN,Kituo Cha Sheria\n";
    let problem = app
        .upload_as("/api/v1/bulk/stakeholders", "text/csv", row, Some(&token))
        .await
        .assert_problem(422, "import_rejected");
    let error = &problem["report"]["errors"][0];
    assert_eq!(error["code"], "forbidden", "{problem}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("names no registered stakeholder")
            && message.contains("Only an admin registers a stakeholder"),
        "{message}"
    );
    // admin's import of the other organisation registers it, and leaves this one be.
    let csv = "kind,country,name__en,contact_email\n\
               civil_society_organization,KEN,Kituo Cha Sheria,info@kituo.example.org\n";
    let r = app
        .upload("/api/v1/bulk/stakeholders", "text/csv", csv)
        .await
        .assert_ok_json();
    assert_eq!(r["created"], 1, "{r}");
    let mine = app.get_as(&item(&mine), &token).await.assert_ok_json();
    assert_eq!(mine["name"]["en"], "MINE");
    assert!(
        mine.get("contact")
            .is_none_or(|c| c["email"] != "info@kituo.example.org")
    );
}

#[actix_web::test]
async fn a_contributor_cannot_bear_another_organisations_name_in_any_language() {
    let app = TestApp::spawn();
    let mut amnesty = stakeholder("civil_society_organization", None, "Amnesty International");
    amnesty["name"]["fr"] = json!("Amnistie internationale");
    let amnesty = app.create(PATH, &amnesty).await;
    let amnesty_id = amnesty["id"].as_str().unwrap();
    let mine = app
        .create(
            PATH,
            &stakeholder("civil_society_organization", Some("KEN"), "Mine"),
        )
        .await;
    let token = app.token(Role::Contributor, None, Some(mine["id"].as_str().unwrap()));
    // Its Spanish name would be the other's in Spanish lists and IATI XML (found by an audit),
    // whichever of the other's names it takes, however cased or spaced, or with letters of
    // another script that look the same.
    for (language, name) in [
        ("es", "Amnesty International"),
        ("ru", "AMNISTIE  Internationale"),
        ("zh", "\u{0410}mnesty International"),
        // A Hangul filler shows as the space it stands for (found by an audit).
        ("fr", "Amnesty\u{3164}International"),
    ] {
        let problem = app
            .send_json(
                Method::PATCH,
                &item(&mine),
                Some(&token),
                &json!({ "name": { language: name } }),
            )
            .await
            .assert_problem(403, "forbidden");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("`name.{language}` (stakeholder {amnesty_id})")),
            "{problem}"
        );
    }
    // Through an upload of its own row, the same.
    let row = format!(
        "id,kind,country,name__en,name__es\n{},civil_society_organization,KEN,Mine,Amnesty International\n",
        mine["id"].as_str().unwrap()
    );
    let problem = app
        .upload_as("/api/v1/bulk/stakeholders", "text/csv", row, Some(&token))
        .await
        .assert_problem(422, "import_rejected");
    let error = &problem["report"]["errors"][0];
    assert_eq!(error["code"], "forbidden", "{problem}");
    assert!(
        error["message"].as_str().unwrap().contains("`name.es`"),
        "{problem}"
    );
    let kept = app.get_as(&item(&mine), &token).await.assert_ok_json();
    assert_eq!(kept["name"], json!({"en": "Mine"}));
    // An organisation of another country may bear the same name (two States' parliaments are
    // both the `Assemblée nationale`); one of its own country, or an international one, not.
    app.create(
        PATH,
        &stakeholder("civil_society_organization", Some("UGA"), "Haki Centre"),
    )
    .await;
    let shared = app
        .send_json(
            Method::PATCH,
            &item(&mine),
            Some(&token),
            &json!({"name": {"fr": "Haki Centre"}}),
        )
        .await
        .assert_ok_json();
    assert_eq!(shared["name"]["fr"], "Haki Centre");
    let neighbour = app
        .create(
            PATH,
            &stakeholder("civil_society_organization", Some("KEN"), "Uhuru Trust"),
        )
        .await;
    let problem = app
        .send_json(
            Method::PATCH,
            &item(&mine),
            Some(&token),
            &json!({"name": {"ru": "Uhuru Trust"}}),
        )
        .await
        .assert_problem(403, "forbidden");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(neighbour["id"].as_str().unwrap()),
        "{problem}"
    );
    // A name of its own in any language is its own to give; admin gives any.
    let renamed = app
        .send_json(
            Method::PATCH,
            &item(&mine),
            Some(&token),
            &json!({"name": {"es": "La mía"}}),
        )
        .await
        .assert_ok_json();
    assert_eq!(renamed["name"]["es"], "La mía");
    let named = app
        .send_json(
            Method::PATCH,
            &item(&mine),
            Some(&app.admin_token()),
            &json!({"name": {"es": "Amnesty International"}}),
        )
        .await
        .assert_ok_json();
    assert_eq!(named["name"]["es"], "Amnesty International");
    // A name admin gave it stays while the organisation changes what is its own.
    let changed = app
        .send_json(
            Method::PATCH,
            &item(&mine),
            Some(&token),
            &json!({"website": "https://mine.example.org"}),
        )
        .await
        .assert_ok_json();
    assert_eq!(changed["name"]["es"], "Amnesty International");
}

#[actix_web::test]
async fn a_contributor_edits_only_its_own_organisation() {
    let app = TestApp::spawn();
    let mine = app
        .create(
            PATH,
            &stakeholder("civil_society_organization", Some("KEN"), "Mine"),
        )
        .await;
    let theirs = app
        .create(
            PATH,
            &stakeholder("civil_society_organization", Some("KEN"), "Theirs"),
        )
        .await;
    let token = app.token(Role::Contributor, None, Some(mine["id"].as_str().unwrap()));
    let patch = json!({"website": "https://mine.example.org"});
    let reply = app
        .send_json(Method::PATCH, &item(&mine), Some(&token), &patch)
        .await;
    assert_eq!(
        reply.assert_ok_json()["website"],
        "https://mine.example.org"
    );
    app.send_json(Method::PATCH, &item(&theirs), Some(&token), &patch)
        .await
        .assert_problem(403, "forbidden");
    let mut body = stakeholder(
        "civil_society_organization",
        Some("KEN"),
        "Theirs, taken over",
    );
    body["contact"] = Value::Null;
    app.send_json(Method::PUT, &item(&theirs), Some(&token), &body)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.get(&item(&theirs)).await.json()["version"], 1);
}

#[actix_web::test]
async fn a_state_edits_only_its_own_states_bodies() {
    let app = TestApp::spawn();
    let nmirf = app
        .create(
            PATH,
            &stakeholder("nmirf", Some("KEN"), "National Committee"),
        )
        .await;
    let other_nmirf = app
        .create(PATH, &stakeholder("nmirf", Some("UGA"), "Uganda Committee"))
        .await;
    let nhri = app
        .create(PATH, &stakeholder("nhri", Some("KEN"), "KNCHR"))
        .await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let patch = json!({"languages": ["en", "sw"]});
    let reply = app
        .send_json(Method::PATCH, &item(&nmirf), Some(&kenya), &patch)
        .await;
    assert_eq!(reply.assert_ok_json()["languages"], json!(["en", "sw"]));
    app.send_json(Method::PATCH, &item(&other_nmirf), Some(&kenya), &patch)
        .await
        .assert_problem(403, "forbidden");
    // An NHRI is independent of its State.
    app.send_json(Method::PATCH, &item(&nhri), Some(&kenya), &patch)
        .await
        .assert_problem(403, "forbidden");
    // Nor can a State hand its body to another State.
    app.send_json(
        Method::PATCH,
        &item(&nmirf),
        Some(&kenya),
        &json!({"country": "UGA"}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.send_json(Method::PATCH, &item(&nmirf), None, &patch)
        .await
        .assert_problem(401, "unauthorized");
    let sync = app.token(Role::Sync, None, None);
    app.send_json(Method::PATCH, &item(&nmirf), Some(&sync), &patch)
        .await
        .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn a_replacement_without_contact_keeps_the_contact() {
    let app = TestApp::spawn();
    let nmirf = app
        .create(
            PATH,
            &stakeholder("nmirf", Some("KEN"), "National Committee"),
        )
        .await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let mut body = stakeholder("nmirf", Some("KEN"), "National Committee");
    body["name"]["fr"] = json!("Comité national");
    body.as_object_mut().unwrap().remove("contact");
    let reply = app
        .send(
            Request::put()
                .uri(&item(&nmirf))
                .insert_header(("Authorization", format!("Bearer {kenya}")))
                .insert_header(("If-Match", "\"1-public\""))
                .set_json(&body),
        )
        .await;
    assert_eq!(reply.assert_ok_json()["name"]["fr"], "Comité national");
    let full = app
        .get_as(&item(&nmirf), &app.admin_token())
        .await
        .assert_ok_json();
    assert_eq!(full["contact"]["email"], "focal@example.org");
}

#[actix_web::test]
async fn invalid_stakeholders_are_refused() {
    let app = TestApp::spawn();
    let mut body = stakeholder("nhri", Some("XXX"), "x");
    body["website"] = json!("ftp://example.org");
    body["contact"]["email"] = json!("not-an-address");
    body["languages"] = json!(["english"]);
    body["regions"] = json!(["999"]);
    body["themes"] = json!(["astrology"]);
    let problem = app
        .send_json(Method::POST, PATH, Some(&app.admin_token()), &body)
        .await
        .assert_problem(422, "validation_failed");
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    for p in [
        "/country",
        "/website",
        "/contact/email",
        "/languages/0",
        "/regions/0",
        "/themes/0",
    ] {
        assert!(pointers.contains(&p), "{p} missing in {pointers:?}");
    }
    let mut body = stakeholder("academia", None, "x");
    body["kind"] = json!("secret_society");
    app.send_json(Method::POST, PATH, Some(&app.admin_token()), &body)
        .await
        .assert_problem(422, "invalid_body");
    assert!(
        app.get(PATH).await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[actix_web::test]
async fn filters_and_search() {
    let app = TestApp::spawn();
    app.create(
        PATH,
        &stakeholder(
            "nhri",
            Some("KEN"),
            "Kenya National Commission on Human Rights",
        ),
    )
    .await;
    let mut undp = stakeholder("un_entity", None, "United Nations Development Programme");
    undp["acronym"] = json!({"en": "UNDP", "fr": "PNUD"});
    undp["themes"] = json!(["development", "nhri"]);
    undp["languages"] = json!(["en", "fr", "es"]);
    undp["regions"] = json!(["001"]);
    app.create(PATH, &undp).await;
    let mut ngo = stakeholder(
        "civil_society_organization",
        Some("FRA"),
        "Fédération des droits",
    );
    ngo["languages"] = json!(["fr"]);
    app.create(PATH, &ngo).await;
    for (query, expected) in [
        ("", 3),
        ("kind=nhri", 1),
        ("kind=un_entity", 1),
        ("country=KEN", 1),
        ("country=fra", 1),
        ("theme=justice", 2),
        ("theme=development", 1),
        ("language=fr", 3),
        ("language=fra", 3),
        ("language=FRE", 3),
        ("language=es", 1),
        ("language=de", 0),
        ("region=001", 1),
        ("region=002", 2),
        ("q=PNUD", 1),
        ("q=commission", 1),
        ("q=federation", 1),
        ("q=rights&kind=nhri", 1),
    ] {
        let page = app.get(&format!("{PATH}?{query}")).await.assert_ok_json();
        assert_eq!(page["items"].as_array().unwrap().len(), expected, "{query}");
    }
    for query in [
        "kind=club",
        "country=XXX",
        "theme=astrology",
        "region=999",
        "language=english",
        "language=xx",
        "language=en-GB",
    ] {
        app.get(&format!("{PATH}?{query}")).await.assert_problem(
            400,
            if query.starts_with("kind") {
                "invalid_query"
            } else {
                "invalid_parameter"
            },
        );
    }
}

#[actix_web::test]
async fn conditional_reads_know_which_representation_the_client_holds() {
    let app = TestApp::spawn();
    let created = app
        .create(PATH, &stakeholder("nhri", Some("KEN"), "KNCHR"))
        .await;
    let path = item(&created);
    let anonymous = app
        .send(
            Request::get()
                .uri(&path)
                .insert_header(("If-None-Match", "\"1-public\"")),
        )
        .await;
    assert_eq!(anonymous.status, 304);
    // The admin's representation has the contact details: the public tag is not it.
    let admin = app
        .send(
            Request::get()
                .uri(&path)
                .insert_header(("If-None-Match", "\"1-public\""))
                .insert_header(("Authorization", format!("Bearer {}", app.admin_token()))),
        )
        .await;
    assert_eq!(admin.status, 200);
    assert_eq!(admin.json()["contact"]["email"], "focal@example.org");
}

/// Schemathesis at depth found two bodies the contract forbids and the service took: a merge
/// patch naming a field there is not (whose `null` removed nothing), and more themes than
/// `maxItems` once duplicates were counted. Both are refused now, naming the field; what the
/// contract allows still works, nested merges included.
#[actix_web::test]
async fn the_service_refuses_the_bodies_its_contract_refuses() {
    let app = TestApp::spawn();
    let mut body = stakeholder("civil_society_organization", Some("KEN"), "Kituo");
    body["name"]["fr"] = json!("Kituo (fr)");
    body["contact"] = json!({"email": "focal@kituo.example.org", "phone": "+254 20 000"});
    let created = app.create(PATH, &body).await;
    let admin = app.admin_token();
    let patch = |patch: Value| {
        let (app, admin, at) = (&app, admin.clone(), item(&created));
        async move {
            app.send_json(Method::PATCH, &at, Some(&admin), &patch)
                .await
        }
    };

    for (bad, pointers) in [
        (json!({"": null}), vec!["/"]),
        (json!({"colour": null, "website": null}), vec!["/colour"]),
        (json!({"name": {"xx": "?"}}), vec!["/name/xx"]),
        (
            json!({"contact": {"fax/no": null}, "id": null}),
            vec!["/contact/fax~1no", "/id"],
        ),
    ] {
        let problem = patch(bad.clone())
            .await
            .assert_problem(422, "validation_failed");
        let found: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .inspect(|e| assert_eq!(e["code"], "unknown_field", "{bad}"))
            .map(|e| e["pointer"].as_str().unwrap())
            .collect();
        assert_eq!(found, pointers, "{bad}");
    }
    // A field named twice has no one meaning (RFC 8259): refused where it comes again.
    let twice = app
        .send(
            Request::patch()
                .uri(&item(&created))
                .insert_header(("Content-Type", "application/merge-patch+json"))
                .insert_header(("Authorization", format!("Bearer {admin}")))
                .set_payload(r#"{"contact": {"phone": "+1", "phone": null}}"#),
        )
        .await;
    let problem = twice.assert_problem(422, "invalid_body");
    assert_eq!(
        problem["errors"][0]["pointer"], "/contact/phone",
        "{problem}"
    );
    assert_eq!(problem["errors"][0]["code"], "duplicate_field", "{problem}");
    // Thousands of unknown fields are answered in a few kilobytes: the first 100, and how many.
    let many: serde_json::Map<String, Value> =
        (0..5_000).map(|n| (format!("f{n}"), Value::Null)).collect();
    let problem = patch(Value::Object(many))
        .await
        .assert_problem(422, "validation_failed");
    let listed = problem["errors"].as_array().unwrap();
    assert_eq!(listed.len(), 100, "{}", problem["detail"]);
    assert!(listed.iter().all(|e| e["code"] == "unknown_field"));
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("5000 fields are invalid"),
        "{problem}"
    );
    let unchanged = app.get(&item(&created)).await.assert_ok_json();
    assert_eq!(
        unchanged["version"], created["version"],
        "nothing was written"
    );

    // Merged as RFC 7396 says, at every depth the contract names.
    let changed = patch(json!({"name": {"fr": null}, "contact": {"phone": null}, "website": null}))
        .await
        .assert_ok_json();
    assert_eq!(changed["name"], json!({"en": "Kituo"}));
    assert_eq!(changed["contact"]["email"], "focal@kituo.example.org");
    assert_eq!(changed["contact"]["phone"], Value::Null);

    // `maxItems` counts what was sent, duplicates too; up to it, duplicates are one item.
    let themes = |n: usize| json!({"themes": vec!["womens_rights"; n]});
    let problem = patch(themes(101))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["pointer"], "/themes");
    assert_eq!(problem["errors"][0]["code"], "too_many");
    let changed = patch(themes(100)).await.assert_ok_json();
    assert_eq!(changed["themes"], json!(["womens_rights"]));
    // A bad item is named where the caller put it, not where it lands once duplicates go.
    let problem = patch(json!({"themes": ["womens_rights", "womens_rights", "nonsense"]}))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["pointer"], "/themes/2");
}

/// A stakeholder read by id is kept while the data is unchanged, whole: what each caller sees
/// of it is chosen for each request, and a write is seen at once.
#[actix_web::test]
async fn a_stakeholder_kept_after_an_admin_read_shows_others_no_contact_and_each_write() {
    let app = TestApp::spawn();
    let created = app
        .create(PATH, &stakeholder("nhri", Some("UGA"), "Uganda Commission"))
        .await;
    let path = item(&created);
    let admin = app.admin_token();
    for _ in 0..2 {
        let seen = app.get_as(&path, &admin).await.assert_ok_json();
        assert_eq!(seen["contact"]["email"], "focal@example.org");
        let anonymous = app.get(&path).await.assert_ok_json();
        assert!(anonymous.get("contact").is_none_or(Value::is_null));
    }
    let own = app.token(Role::Contributor, None, created["id"].as_str());
    app.send_json(
        Method::PATCH,
        &path,
        Some(&own),
        &json!({"website": "https://uhrc.example.org"}),
    )
    .await
    .assert_ok_json();
    let anonymous = app.get(&path).await.assert_ok_json();
    assert_eq!(anonymous["website"], "https://uhrc.example.org");
    assert_eq!(anonymous["version"], 2);
    assert!(anonymous.get("contact").is_none_or(Value::is_null));
}

#[actix_web::test]
async fn languages_are_kept_by_one_code_each_and_unknown_ones_refused() {
    let app = TestApp::spawn();
    let mut body = stakeholder("civil_society_organization", Some("SLE"), "Krio Rights");
    body["languages"] = json!(["eng", "EN", "fre", "kri", "iw", "QAB"]);
    let created = app.create(PATH, &body).await;
    assert_eq!(
        created["languages"],
        json!(["en", "fr", "kri", "he", "qab"]),
        "one code a language; ISO 639-2's local use as written"
    );
    let local = app
        .get(&format!("{PATH}?language=qab"))
        .await
        .assert_ok_json();
    assert_eq!(local["items"].as_array().unwrap().len(), 1);
    let page = app
        .get(&format!("{PATH}?language=eng"))
        .await
        .assert_ok_json();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    let before = app.get(PATH).await.assert_ok_json();
    body["name"] = json!({"en": "Another"});
    body["languages"] = json!(["en", "xx", "en-GB", "english", "qzz"]);
    let problem = app
        .send_json(Method::POST, PATH, Some(&app.admin_token()), &body)
        .await
        .assert_problem(422, "validation_failed");
    let errors = problem["errors"].as_array().unwrap();
    let of = |pointer: &str| {
        errors
            .iter()
            .find(|e| e["pointer"] == pointer)
            .unwrap_or_else(|| panic!("{pointer}: {problem}"))
    };
    assert_eq!(of("/languages/1")["code"], "unknown_code");
    assert!(
        of("/languages/2")["message"]
            .as_str()
            .unwrap()
            .contains("`en`")
    );
    assert_eq!(of("/languages/3")["code"], "invalid");
    assert_eq!(
        of("/languages/4")["code"],
        "unknown_code",
        "past the range for local use"
    );
    assert!(!errors.iter().any(|e| e["pointer"] == "/languages/0"));
    assert_eq!(
        app.get(PATH).await.assert_ok_json(),
        before,
        "nothing written"
    );
}

/// Stakeholders stored by an older release, a language by another of its codes (`eng`) and a
/// name with a character that shows nothing inside a word (keyed then as two words), are
/// filtered and keyed as they are written now once the service starts; one whose key is now
/// another's keeps its own, and the start goes on.
#[actix_web::test]
async fn stakeholders_stored_by_an_older_release_are_indexed_as_written_now() {
    use diesel::prelude::*;
    use upr_tc::db::schema::stakeholders::dsl as s;
    use upr_tc::db::schema::{instance::dsl as i, stakeholder_facets::dsl as f};
    let app = TestApp::spawn();
    let ids_of = |page: Value| -> Vec<String> {
        let mut ids: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let clean = app.create(PATH, &stakeholder("other", None, "UNDP")).await;
    let legacy = app
        .create(PATH, &stakeholder("other", None, "Legacy Org"))
        .await;
    let copy = app.create(PATH, &stakeholder("other", None, "Copy")).await;
    {
        let mut conn = app.service.state.pool.get().unwrap();
        for (item, name) in [(&legacy, "Le\u{200b}gacy Org"), (&copy, "U\u{200b}NDP")] {
            let id = item["id"].as_str().unwrap();
            let (seq, document): (i64, String) = s::stakeholders
                .filter(s::id.eq(id))
                .select((s::seq, s::document))
                .first(&mut **conn)
                .unwrap();
            let mut document: Value = serde_json::from_str(&document).unwrap();
            document["name"]["en"] = json!(name);
            // Two codes of one language, as the older release took them.
            document["languages"] = json!(["eng", "fre", "en"]);
            diesel::update(s::stakeholders.filter(s::seq.eq(seq)))
                .set((
                    s::document.eq(document.to_string()),
                    s::natural_key.eq(format!("key of the older release {seq}")),
                ))
                .execute(&mut **conn)
                .unwrap();
            diesel::delete(
                f::stakeholder_facets
                    .filter(f::stakeholder_seq.eq(seq))
                    .filter(f::facet.eq("language")),
            )
            .execute(&mut **conn)
            .unwrap();
            for code in ["eng", "fre", "en"] {
                diesel::insert_into(f::stakeholder_facets)
                    .values((
                        f::stakeholder_seq.eq(seq),
                        f::facet.eq("language"),
                        f::value.eq(code),
                    ))
                    .execute(&mut **conn)
                    .unwrap();
            }
        }
        diesel::update(i::instance)
            .set(i::analysis_version.eq(6))
            .execute(&mut **conn)
            .unwrap();
    }
    let english = format!("{PATH}?language=fr");
    assert_eq!(
        ids_of(app.get(&english).await.assert_ok_json()),
        vec![clean["id"].as_str().unwrap().to_owned()],
        "as the older release left them"
    );
    let mut conn = app.service.state.pool.get().unwrap();
    conn.migrate()
        .expect("the start goes on past a key another item holds");
    drop(conn);
    let mut all = vec![
        clean["id"].clone(),
        legacy["id"].clone(),
        copy["id"].clone(),
    ]
    .into_iter()
    .map(|id| id.as_str().unwrap().to_owned())
    .collect::<Vec<_>>();
    all.sort();
    assert_eq!(ids_of(app.get(&english).await.assert_ok_json()), all);
    assert_eq!(
        ids_of(
            app.get(&format!("{PATH}?language=en"))
                .await
                .assert_ok_json()
        ),
        all
    );
    // The name read past the character is the legacy item's key now; the copy's is the clean
    // item's, which keeps it.
    app.send_json(
        Method::POST,
        PATH,
        Some(&app.admin_token()),
        &stakeholder("other", None, "Legacy Org"),
    )
    .await
    .assert_problem(409, "conflict");
    let again = app
        .send_json(
            Method::POST,
            PATH,
            Some(&app.admin_token()),
            &stakeholder("other", None, "U\u{200b}NDP"),
        )
        .await
        .assert_problem(409, "conflict");
    assert!(
        again.to_string().contains(clean["id"].as_str().unwrap()),
        "{again}"
    );
}

/// A name shows what it holds: one of characters that show nothing only is blank, and one that
/// turns the text after it around (a direction override left open) is refused; neither is
/// written. A balanced embedding, as an Arabic name may hold, is kept.
#[actix_web::test]
async fn a_name_that_shows_nothing_or_turns_text_around_is_refused() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    for (name, code) in [
        ("\u{200b}\u{2060}", "blank"),
        (" \u{feff}\u{ad} ", "blank"),
        ("Evil\u{202e}gnp.exe", "open_direction"),
        ("\u{2067}منظمة", "open_direction"),
    ] {
        let problem = app
            .send_json(
                Method::POST,
                PATH,
                Some(&admin),
                &stakeholder("other", None, name),
            )
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(
            (
                &problem["errors"][0]["pointer"],
                &problem["errors"][0]["code"]
            ),
            (&json!("/name/en"), &json!(code)),
            "{name:?}: {problem}"
        );
    }
    // Nor does an address show another than it opens.
    for (field, value, pointer, code) in [
        (
            "website",
            json!("https://example.org/\u{202e}gpj.exe"),
            "/website",
            "invalid_url",
        ),
        (
            "contact",
            json!({"email": "a\u{202e}b@example.org"}),
            "/contact/email",
            "invalid_email",
        ),
    ] {
        let mut body = stakeholder("other", None, "An organisation");
        body[field] = value;
        let problem = app
            .send_json(Method::POST, PATH, Some(&admin), &body)
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(
            (
                &problem["errors"][0]["pointer"],
                &problem["errors"][0]["code"]
            ),
            (&json!(pointer), &json!(code)),
            "{problem}"
        );
    }
    let list = app.get(PATH).await.assert_ok_json();
    assert_eq!(list["items"], json!([]), "{list}");
    let balanced = "\u{202b}منظمة\u{202c} (UNESCO)";
    let made = app
        .create(PATH, &stakeholder("other", None, balanced))
        .await;
    assert_eq!(made["name"]["en"], balanced);
}
