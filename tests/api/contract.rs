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
