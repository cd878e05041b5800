//! The committed contract is the one the server serves. Run with `UPDATE_OPENAPI=1` to rewrite
//! `openapi/openapi.json` after changing a route.

use upr_tc_tests::TestApp;

fn committed_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json")
}

#[test]
fn the_committed_contract_is_current() {
    let rendered = upr_tc::openapi::render();
    let path = committed_path();
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &rendered).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "openapi/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p upr-tc-tests the_committed_contract_is_current` and commit it"
    );
}

#[actix_web::test]
async fn the_server_serves_the_committed_contract() {
    let app = TestApp::spawn();
    let served = app.get("/api/v1/openapi.json").await.assert_ok_json();
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(committed_path()).unwrap()).unwrap();
    assert_eq!(served, committed);
}

#[test]
fn every_operation_is_documented_for_sdks() {
    let doc: serde_json::Value = serde_json::from_str(&upr_tc::openapi::render()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{id} is not snake_case"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{id} has no tag"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{id} does not document 500");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{id} has no success response"
            );
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{id} does not document 404");
            }
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured {
                assert!(responses.contains_key("401"), "{id} does not document 401");
            }
            // A body that does not arrive in time is a 408 (`deadline`).
            if op.get("requestBody").is_some() {
                assert!(responses.contains_key("408"), "{id} does not document 408");
            }
            // Items others refer to are closed or withdrawn, not deleted.
            if method == "delete" {
                assert!(responses.contains_key("409"), "{id} does not document 409");
            }
            // A read is never a conflict, whatever preconditions it takes.
            if method == "get" {
                assert!(!responses.contains_key("409"), "{id} documents a 409");
            }
        }
    }
    assert!(doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer");
}

#[actix_web::test]
async fn the_docs_render_from_inside_the_binary() {
    let app = TestApp::spawn();
    let redirect = app.get("/docs").await;
    assert_eq!(redirect.status, 308);
    assert_eq!(redirect.header("location"), Some("/docs/"));
    let page = app.get("/docs/").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("swagger-ui"));
    let title = format!(
        "<title>{} — API documentation</title>",
        upr_tc::openapi::TITLE
    );
    assert!(page.text().contains(&title), "{}", page.text());
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status, 200);
    assert!(
        bundle.body.len() > 100_000,
        "the Swagger UI bundle is served from the binary"
    );
    let init = app.get("/docs/swagger-initializer.js").await;
    assert!(init.text().contains("/api/v1/openapi.json"));
}

fn refs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", serde_json::Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_reference_in_the_contract_resolves() {
    let doc: serde_json::Value = serde_json::from_str(&upr_tc::openapi::render()).unwrap();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{r} is not local"));
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
}

/// The docs page shows a schema's example, or one made up from its pattern ("C,kcI~/B9gc…"):
/// every text of a schema with a pattern has a real example (parameters have none: the page
/// would fill them in), a multilingual text is one in English and
/// French, and each error status shows a problem of its own.
#[test]
fn the_docs_show_real_examples() {
    fn strings_without_example(at: &str, value: &serde_json::Value, out: &mut Vec<String>) {
        let Some(map) = value.as_object() else {
            if let Some(items) = value.as_array() {
                items
                    .iter()
                    .for_each(|v| strings_without_example(at, v, out));
            }
            return;
        };
        let patterned = map.contains_key("pattern") && !map.contains_key("enum");
        if patterned && !map.contains_key("example") && !map.contains_key("examples") {
            out.push(at.to_owned());
        }
        for (key, v) in map {
            strings_without_example(&format!("{at}/{key}"), v, out);
        }
    }
    let doc: serde_json::Value = serde_json::from_str(&upr_tc::openapi::render()).unwrap();
    let mut missing = Vec::new();
    strings_without_example("", &doc["components"]["schemas"], &mut missing);
    assert!(
        missing.is_empty(),
        "texts with a pattern and no example: {missing:#?}"
    );

    let text = &doc["components"]["schemas"]["Multilingual"]["example"];
    assert!(text["en"].as_str().is_some_and(|t| t.starts_with("Ratify")));
    assert!(
        text["fr"]
            .as_str()
            .is_some_and(|t| t.starts_with("Ratifier"))
    );

    let responses = doc["components"]["responses"].as_object().unwrap();
    assert!(responses.len() >= 10);
    let mut codes = std::collections::BTreeSet::new();
    for (name, response) in responses {
        let example = &response["content"]["application/problem+json"]["example"];
        let status = example["status"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: no example"));
        assert!(
            doc["paths"].as_object().unwrap().values().any(|item| {
                item.as_object().unwrap().values().any(|op| {
                    op["responses"][status.to_string()]["$ref"]
                        == format!("#/components/responses/{name}")
                })
            }),
            "{name}'s example has status {status}, which no operation answers with it"
        );
        assert!(
            !example["detail"].as_str().unwrap_or_default().is_empty(),
            "{name}"
        );
        assert!(
            codes.insert(example["code"].as_str().unwrap().to_owned()),
            "{name}"
        );
    }
}

/// Every answer the suite receives is held to the contract (`upr_tc_tests::contract`): here,
/// real answers with a field left out, a `null` where none is allowed, a word no list has or a
/// value of the wrong type are each caught, and the answers as sent are not.
#[actix_web::test]
async fn answers_are_held_to_the_contract() {
    use upr_tc_tests::contract::breaches;
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let org = app
        .create(
            "/api/v1/stakeholders",
            &upr_tc_tests::stakeholder("civil_society_organization", Some("KEN"), "Held"),
        )
        .await;
    let mut activity = upr_tc_tests::activity(&["KEN"], "Held to the contract");
    activity["submitter"] = org["id"].clone();
    activity.as_object_mut().unwrap().remove("summary");
    let created = app.create("/api/v1/activities", &activity).await;
    let path = format!("/api/v1/activities/{}", created["id"].as_str().unwrap());
    let sent = app.get_as(&path, &admin).await.assert_ok_json();
    let held = |body: &serde_json::Value| {
        breaches(
            "GET",
            &path,
            200,
            "application/json",
            body.to_string().as_bytes(),
        )
    };
    assert_eq!(held(&sent), Vec::<String>::new());
    // An always-sent field, even one that says nothing, is required.
    assert!(sent["summary"].is_null() && sent["participants"] == serde_json::json!([]));
    for field in [
        "summary",
        "participants",
        "publication",
        "submitter",
        "visibility",
    ] {
        let mut body = sent.clone();
        body.as_object_mut().unwrap().remove(field);
        let found = held(&body);
        assert!(
            found
                .iter()
                .any(|b| b.contains(&format!("`{field}` is missing"))),
            "{field}: {found:?}"
        );
    }
    // Left out when it says nothing: not required.
    assert!(sent.get("offer").is_none());
    let mut body = sent.clone();
    body["publication"] = serde_json::Value::Null;
    assert!(held(&body).iter().any(|b| b.starts_with("/publication")));
    body = sent.clone();
    body["status"] = "dormant".into();
    assert!(held(&body).iter().any(|b| b.starts_with("/status")));
    body = sent.clone();
    body["states_concerned"] = serde_json::json!([7]);
    assert!(
        held(&body)
            .iter()
            .any(|b| b.starts_with("/states_concerned/0"))
    );
    // A page, and a problem.
    let page = app
        .get_as("/api/v1/activities", &admin)
        .await
        .assert_ok_json();
    let page_held = |body: &serde_json::Value| {
        breaches(
            "GET",
            "/api/v1/activities",
            200,
            "application/json",
            body.to_string().as_bytes(),
        )
    };
    assert!(page_held(&page).is_empty() && page["next_cursor"].is_null());
    let mut body = page.clone();
    body.as_object_mut().unwrap().remove("next_cursor");
    assert!(!page_held(&body).is_empty());
    body = page.clone();
    body["items"][0].as_object_mut().unwrap().remove("themes");
    assert!(page_held(&body).iter().any(|b| b.starts_with("/items/0")));
    let missing = app
        .get("/api/v1/activities/0193a5b2-7c1d-7e0f-8a9b-0c1d2e3f4a5b")
        .await;
    let mut problem = missing.assert_problem(404, "not_found");
    problem.as_object_mut().unwrap().remove("code");
    let found = breaches(
        "GET",
        "/api/v1/activities/0193a5b2-7c1d-7e0f-8a9b-0c1d2e3f4a5b",
        404,
        "application/problem+json",
        problem.to_string().as_bytes(),
    );
    assert!(
        found.iter().any(|b| b.contains("`code` is missing")),
        "{found:?}"
    );
    // A change of the feed is held to its kind's schema: an activity's data is no offer's.
    let feed = app
        .get_as("/api/v1/changes?types=activity", &admin)
        .await
        .assert_ok_json();
    let feed_held = |body: &serde_json::Value| {
        breaches(
            "GET",
            "/api/v1/changes",
            200,
            "application/json",
            body.to_string().as_bytes(),
        )
    };
    assert!(feed_held(&feed).is_empty() && feed["items"][0]["type"] == "activity");
    let mut body = feed.clone();
    body["items"][0]["type"] = "offer".into();
    let found = feed_held(&body);
    assert!(
        found
            .iter()
            .any(|b| b.starts_with("/items/0: fits none of oneOf")),
        "{found:?}"
    );
}
