//! Every error class answers RFC 9457 problem+json with a stable code, including the errors
//! actix raises itself.

use actix_web::ResponseError;
use actix_web::http::Method;
use upr_tc_tests::{Request, TestApp, json};

const RESOLVE: &str = "/api/v1/reference/countries/resolve";

#[actix_web::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = TestApp::spawn();
    for path in [
        "/api/v1/nothing-here",
        "/api/v2/reference/countries",
        "/api/v1/reference/countries/KEN/extra",
    ] {
        app.get(path).await.assert_problem(404, "not_found");
    }
}

#[actix_web::test]
async fn a_wrong_method_is_a_405_problem_with_allow() {
    let app = TestApp::spawn();
    for (method, path, allow) in [
        (Method::POST, "/health/live", "GET, HEAD, OPTIONS"),
        (
            Method::DELETE,
            "/api/v1/reference/countries",
            "GET, HEAD, OPTIONS",
        ),
        (
            Method::PUT,
            "/api/v1/reference/countries/KEN",
            "GET, HEAD, OPTIONS",
        ),
        (Method::GET, RESOLVE, "POST, OPTIONS"),
        (Method::PATCH, "/api/v1/me", "GET, HEAD, OPTIONS"),
        (Method::POST, "/api/v1/openapi.json", "GET, HEAD, OPTIONS"),
        (Method::TRACE, "/", "GET, HEAD, OPTIONS"),
        (Method::POST, "/", "GET, HEAD, OPTIONS"),
    ] {
        let reply = app.request(method.clone(), path).await;
        reply.assert_problem(405, "method_not_allowed");
        assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
        // OPTIONS (not a CORS preflight) says the same, with no body.
        let options = app.request(Method::OPTIONS, path).await;
        assert_eq!(options.status, 204, "{path}");
        assert_eq!(options.header("allow"), Some(allow), "{path}");
        assert!(options.body.is_empty());
    }
}

#[actix_web::test]
async fn malformed_json_is_a_400_problem() {
    let app = TestApp::spawn();
    let reply = app
        .send(
            Request::post()
                .uri(RESOLVE)
                .insert_header(("content-type", "application/json"))
                .set_payload("{\"names\": [\"Kenya\""),
        )
        .await;
    reply.assert_problem(400, "malformed_json");
}

#[actix_web::test]
async fn json_of_the_wrong_shape_is_a_422_problem() {
    let app = TestApp::spawn();
    for body in [
        json!({"names": "Kenya"}),
        json!({"nom": ["Kenya"]}),
        json!([1, 2]),
    ] {
        let reply = app.post_json(RESOLVE, &body).await;
        let problem = reply.assert_problem(422, "invalid_body");
        assert!(!problem["errors"].as_array().unwrap().is_empty());
    }
}

/// The report of a partial NDJSON upload of a recommendation of `text`, then `refused` on the
/// second line: one created, one rejected.
async fn after_a_good_line(
    app: &TestApp,
    refused: &serde_json::Value,
    text: &str,
) -> serde_json::Value {
    let item = json!({"state_under_review": "KEN", "session": 26, "text": {"en": text}});
    let r = app
        .upload(
            "/api/v1/bulk/recommendations?mode=partial",
            "application/x-ndjson",
            format!("{item}\n{refused}\n"),
        )
        .await
        .assert_ok_json();
    assert_eq!(
        (r["created"].as_u64(), r["rejected"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    r
}

/// An item is a JSON object: an array of its values in the order of its fields (which serde
/// would read field by field) is a 422, in a body and on a line of an NDJSON upload, and writes
/// nothing.
#[actix_web::test]
async fn an_item_written_as_an_array_of_its_values_is_refused() {
    let app = TestApp::spawn();
    let positional = json!(["KEN", [], "26", ["Positional text"], "supported",]);
    let problem = app
        .send_json(
            Method::POST,
            "/api/v1/recommendations",
            Some(&app.admin_token()),
            &positional,
        )
        .await
        .assert_problem(422, "invalid_body");
    assert!(problem.to_string().contains("JSON object"), "{problem}");
    let r = after_a_good_line(&app, &positional, "An item.").await;
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("JSON object"),
        "{r}"
    );
}

/// A part of an item that is an object is one at any depth: `"text": ["…"]` (which serde would
/// read as the text's first language, Arabic) is a 422 at its pointer, in a body, in a merge
/// patch and on a line of an NDJSON upload, and writes nothing.
#[actix_web::test]
async fn a_nested_object_written_as_an_array_is_refused() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let positional =
        json!({"state_under_review": "KEN", "session": 26, "text": ["Positional text"]});
    let problem = app
        .send_json(
            Method::POST,
            "/api/v1/recommendations",
            Some(&admin),
            &positional,
        )
        .await
        .assert_problem(422, "invalid_body");
    assert_eq!(problem["errors"][0]["pointer"], "/text", "{problem}");
    assert_eq!(
        problem["errors"][0]["message"], "invalid type: array, expected an object",
        "{problem}"
    );
    let item = json!({"state_under_review": "KEN", "session": 26, "text": {"en": "An item."}});
    let made = app.create("/api/v1/recommendations", &item).await;
    let path = format!("/api/v1/recommendations/{}", made["id"].as_str().unwrap());
    let problem = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&admin),
            &json!({"text": ["Arabic?"]}),
        )
        .await
        .assert_problem(422, "invalid_body");
    assert_eq!(problem["errors"][0]["pointer"], "/text", "{problem}");
    let now = app.get(&path).await.assert_ok_json();
    assert_eq!(now["text"], json!({"en": "An item."}));
    assert_eq!(now["version"], made["version"]);
    let r = after_a_good_line(&app, &positional, "Another item.").await;
    assert_eq!(r["errors"][0]["column"], "/text", "{r}");
}

/// JSON that reads, with a value of the wrong type where a word of a list is meant (which
/// serde_json alone takes for a syntax error), is a 422 naming the field by its pointer; so is
/// a value of the wrong type deeper in, a missing field and an unknown one.
#[actix_web::test]
async fn a_wrong_value_is_a_422_naming_its_field() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let wrong =
        |body: serde_json::Value, pointer: &'static str, code: &'static str| (body, pointer, code);
    for (path, (body, pointer, code)) in [
        (
            "/api/v1/stakeholders",
            wrong(json!({"kind": 5, "name": {"en": "X"}}), "/kind", "invalid"),
        ),
        (
            "/api/v1/stakeholders",
            wrong(
                json!({"kind": null, "name": {"en": "X"}}),
                "/kind",
                "invalid",
            ),
        ),
        (
            "/api/v1/stakeholders",
            wrong(json!({"kind": "nhri", "name": "X"}), "/name", "invalid"),
        ),
        (
            "/api/v1/stakeholders",
            wrong(json!({"name": {"en": "X"}}), "/kind", "required"),
        ),
        (
            "/api/v1/activities",
            wrong(
                json!({"title": {"en": "t"}, "states_concerned": ["KEN"], "status": 5}),
                "/status",
                "invalid",
            ),
        ),
        (
            "/api/v1/activities",
            wrong(
                json!({"title": {"en": "t"}, "states_concerned": ["KEN"], "status": "pipeline",
                    "colour": 1}),
                "/colour",
                "unknown_field",
            ),
        ),
        (
            RESOLVE,
            wrong(json!({"names": ["Kenya", 7]}), "/names/1", "invalid"),
        ),
    ] {
        let reply = app.send_json(Method::POST, path, Some(&admin), &body).await;
        let problem = one_field_error(&reply, pointer, code);
        assert!(
            !problem["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(" at line "),
            "{problem}"
        );
    }
    // A day that does not exist, or not written as a date, says what a date is written as
    // (chrono alone says "input is out of range").
    for day in ["2027-02-30", "2027-13-01", "31/01/2027", "2027-01"] {
        let body = json!({"title": {"en": "t"}, "states_concerned": ["KEN"], "status": "pipeline",
            "planned_start": day});
        let reply = app
            .send_json(Method::POST, "/api/v1/activities", Some(&admin), &body)
            .await;
        let problem = one_field_error(&reply, "/planned_start", "invalid");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("YYYY-MM-DD"), "{day}: {problem}");
    }
}

/// A body that leaves out several required fields is told of each at once, not of the first
/// alone (a client mending one at a time sends it again for each).
#[actix_web::test]
async fn every_field_missing_is_told_at_once() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    for (path, body, missing) in [
        (
            "/api/v1/recommendations",
            json!({}),
            &["/state_under_review", "/session", "/text"][..],
        ),
        (
            "/api/v1/recommendations",
            json!({"session": "forty", "colour": 1}),
            &["/state_under_review", "/text"][..],
        ),
        (
            "/api/v1/activities",
            json!({"summary": {"en": "No title"}}),
            &["/title", "/states_concerned", "/status"][..],
        ),
    ] {
        let reply = app.send_json(Method::POST, path, Some(&admin), &body).await;
        let problem = reply.assert_problem(422, "invalid_body");
        let told: Vec<(&str, &str)> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["pointer"].as_str().unwrap(), e["code"].as_str().unwrap()))
            .collect();
        for pointer in missing {
            assert!(
                told.contains(&(pointer, "required")),
                "{path} {body}: {problem}"
            );
        }
        // A field at fault is told as such, not as missing too.
        if body.get("session").is_some() {
            assert!(told.contains(&("/session", "invalid")), "{problem}");
            assert!(told.contains(&("/colour", "unknown_field")), "{problem}");
            assert!(!told.contains(&("/session", "required")), "{problem}");
        }
    }
}

/// A body with several fields of the wrong shape is told of each at once, in one 422: unknown
/// fields, values of the wrong type, and the first item at fault of a list (by its number as
/// sent), never a place the body does not have at fault.
#[actix_web::test]
async fn every_field_of_the_wrong_shape_is_told_at_once() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let body = json!({
        "title": "not an object of languages",
        "states_concerned": ["KEN"],
        "status": "pipeline",
        "colour": 1,
        "participants": [
            {"stakeholder": 3, "role": "funding"},
            {"stakeholder": "0190c0b2-4d7f-7000-8000-000000000001", "role": "funding"},
            {"stakeholder": "0190c0b2-4d7f-7000-8000-000000000002", "role": "paying"},
        ],
        "weight": 2,
    });
    let reply = app
        .send_json(Method::POST, "/api/v1/activities", Some(&admin), &body)
        .await;
    let problem = reply.assert_problem(422, "invalid_body");
    let mut told: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["pointer"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // The first is the first a reader of the body meets (its keys are sent in alphabetical
    // order); the others in any order.
    assert_eq!(
        told[0],
        ("/colour".to_owned(), "unknown_field".to_owned()),
        "{problem}"
    );
    told.sort();
    let expected = [
        ("/colour", "unknown_field"),
        ("/participants/0/stakeholder", "invalid"),
        ("/title", "invalid"),
        ("/weight", "unknown_field"),
    ]
    .map(|(p, c)| (p.to_owned(), c.to_owned()));
    assert_eq!(told, expected, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("and 3 more"),
        "{problem}"
    );
    // Arrays where objects are meant (which serde would read as their fields in order) are
    // told where they are, and nothing the body does not have at fault is told after them.
    let positional = json!({
        "title": {"en": "t"},
        "states_concerned": ["KEN"],
        "status": "pipeline",
        "participants": [[1, "funding"]],
        "budget": [1, "USD"],
    });
    let reply = app
        .send_json(
            Method::POST,
            "/api/v1/activities",
            Some(&admin),
            &positional,
        )
        .await;
    let problem = reply.assert_problem(422, "invalid_body");
    let told: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(told, ["/budget", "/participants/0"], "{problem}");
    // Nothing was written.
    let list = app.get_as("/api/v1/activities", &admin).await.json();
    assert_eq!(list["items"], json!([]), "{list}");
}

/// The 422 `invalid_body` problem of `reply`, which names one field: `pointer`, with `code`.
fn one_field_error(reply: &upr_tc_tests::Reply, pointer: &str, code: &str) -> serde_json::Value {
    let problem = reply.assert_problem(422, "invalid_body");
    let errors = problem["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{problem}");
    assert_eq!(
        (errors[0]["pointer"].as_str(), errors[0]["code"].as_str()),
        (Some(pointer), Some(code)),
        "{problem}"
    );
    problem
}

/// A merge patch that leaves a field of the wrong type or value is a 422 naming that field, as
/// the same body sent whole would be.
#[actix_web::test]
async fn a_patch_that_leaves_a_wrong_value_names_its_field() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let rec = app
        .create(
            "/api/v1/recommendations",
            &upr_tc_tests::recommendation("KEN", 8, "Ratify."),
        )
        .await;
    let rec = format!("/api/v1/recommendations/{}", rec["id"].as_str().unwrap());
    let (_, token) = crate::activities::organisation(&app, "Org").await;
    let a = crate::activities::submit(&app, &token, &upr_tc_tests::activity(&["KEN"], "A")).await;
    let a = crate::activities::item(&a);
    for (path, who, patch, pointer, code) in [
        (&rec, &admin, json!({"session": "5"}), "/session", "invalid"),
        (
            &rec,
            &admin,
            json!({"session": null}),
            "/session",
            "required",
        ),
        (
            &rec,
            &admin,
            json!({"text": {"en": 7}}),
            "/text/en",
            "invalid",
        ),
        (
            &a,
            &token,
            json!({"planned_start": "2026-02-30"}),
            "/planned_start",
            "invalid",
        ),
        (
            &a,
            &token,
            json!({"status": "finished"}),
            "/status",
            "invalid",
        ),
    ] {
        let reply = app.send_json(Method::PATCH, path, Some(who), &patch).await;
        let problem = one_field_error(&reply, pointer, code);
        assert!(
            problem["detail"].as_str().unwrap().contains(pointer),
            "{problem}"
        );
    }
}

#[actix_web::test]
async fn a_wrong_content_type_is_a_415_problem() {
    let app = TestApp::spawn();
    let reply = app
        .send(
            Request::post()
                .uri(RESOLVE)
                .insert_header(("content-type", "text/plain"))
                .set_payload("{\"names\": []}"),
        )
        .await;
    reply.assert_problem(415, "unsupported_media_type");
    let reply = app
        .send(Request::post().uri(RESOLVE).set_payload("{\"names\": []}"))
        .await;
    reply.assert_problem(415, "unsupported_media_type");
}

#[actix_web::test]
async fn a_body_over_the_limit_is_a_413_problem() {
    let app = TestApp::spawn_with(|s| s.json_limit = 1024);
    let names: Vec<String> = (0..200).map(|i| format!("Country number {i}")).collect();
    let reply = app.post_json(RESOLVE, &json!({ "names": names })).await;
    reply.assert_problem(413, "payload_too_large");
}

#[actix_web::test]
async fn field_errors_name_each_bad_field_by_json_pointer() {
    let app = TestApp::spawn();
    let long = "x".repeat(201);
    let longer = "y".repeat(300);
    let reply = app
        .post_json(RESOLVE, &json!({"names": ["Kenya", long, "Chad", longer]}))
        .await;
    let problem = reply.assert_problem(422, "validation_failed");
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/names/1", "/names/3"]);
    for error in problem["errors"].as_array().unwrap() {
        assert!(error["code"].as_str().is_some_and(|c| !c.is_empty()));
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[actix_web::test]
async fn a_bad_query_is_a_400_problem() {
    let app = TestApp::spawn();
    // Each names the parameter that does not read, by its pointer and in its detail.
    for (path, name) in [
        ("/api/v1/reference/countries?status=planet", "status"),
        ("/api/v1/reference/countries?colour=blue", "colour"),
        ("/api/v1/recommendations?limit=abc", "limit"),
        ("/api/v1/recommendations?session=abc", "session"),
        ("/api/v1/changes?wait=abc", "wait"),
    ] {
        let problem = app.get(path).await.assert_problem(400, "invalid_query");
        assert_eq!(
            problem["errors"][0]["pointer"],
            format!("/{name}"),
            "{problem}"
        );
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("`{name}`")),
            "{problem}"
        );
    }
    // A parameter read as people write it names itself.
    let problem = app
        .get("/api/v1/reference/countries?regional_group=")
        .await
        .assert_problem(400, "invalid_parameter");
    assert_eq!(problem["errors"][0]["pointer"], "/regional_group");
    let problem = app
        .get("/api/v1/reference/sdg-targets?goal=18")
        .await
        .assert_problem(400, "invalid_parameter");
    assert_eq!(problem["errors"][0]["pointer"], "/goal");
    // A list's cursor is that list's: another list refuses it rather than answer an empty page
    // that a client would take for its end.
    for session in [8, 9] {
        app.create(
            "/api/v1/recommendations",
            &upr_tc_tests::recommendation("KEN", session, "Ratify."),
        )
        .await;
    }
    let first = app
        .get("/api/v1/recommendations?limit=1")
        .await
        .assert_ok_json();
    let cursor = first["next_cursor"].as_str().unwrap();
    let next = app
        .get(&format!("/api/v1/recommendations?limit=1&cursor={cursor}"))
        .await
        .assert_ok_json();
    assert_eq!(next["items"].as_array().unwrap().len(), 1);
    for other in [
        "/api/v1/stakeholders",
        "/api/v1/activities",
        "/api/v1/consents",
    ] {
        let problem = app
            .get(&format!("{other}?cursor={cursor}"))
            .await
            .assert_problem(400, "invalid_parameter");
        assert_eq!(
            problem["errors"][0]["pointer"], "/cursor",
            "{other}: {problem}"
        );
    }
}

#[actix_web::test]
async fn every_answer_carries_a_request_id() {
    let app = TestApp::spawn();
    let a = app.get("/health/live").await;
    let b = app.get("/api/v1/nothing").await;
    let (a, b) = (
        a.header("x-request-id").unwrap().to_owned(),
        b.header("x-request-id").unwrap().to_owned(),
    );
    assert_ne!(a, b);
    // Random (version 4), not of the clock and counter new items' ids are made of: anyone may
    // ask `/health/live` without end, and ids following one another would count the items a
    // hidden write made, and say when.
    for id in [&a, &b] {
        assert_eq!(
            uuid::Uuid::parse_str(id).unwrap().get_version_num(),
            4,
            "{id}"
        );
    }
    // A caller's own id is kept when it is plain, replaced when it is not.
    let reply = app
        .send(
            Request::get()
                .uri("/health/live")
                .insert_header(("x-request-id", "partner-42")),
        )
        .await;
    assert_eq!(reply.header("x-request-id"), Some("partner-42"));
    let reply = app
        .send(
            Request::get()
                .uri("/health/live")
                .insert_header(("x-request-id", "bad id with spaces")),
        )
        .await;
    assert_ne!(reply.header("x-request-id"), Some("bad id with spaces"));
}

#[test]
fn a_5xx_never_shows_its_cause() {
    let err = upr_tc::error::ApiError::internal(anyhow::anyhow!(
        "password authentication failed for user app"
    ));
    let res = err.error_response();
    assert_eq!(res.status(), 500);
    let problem = err.problem();
    assert_eq!(problem.code, "internal_error");
    let text = serde_json::to_string(&problem).unwrap();
    assert!(!text.contains("password"), "{text}");
}

#[actix_web::test]
async fn browsers_may_call_the_api_from_other_origins() {
    let app = TestApp::spawn();
    let preflight = app
        .send(
            Request::default()
                .method(Method::OPTIONS)
                .uri("/api/v1/recommendations")
                .insert_header(("Origin", "https://tracker.example.org"))
                .insert_header(("Access-Control-Request-Method", "POST"))
                .insert_header((
                    "Access-Control-Request-Headers",
                    "authorization, content-type, content-encoding, idempotency-key, traceparent, tracestate",
                )),
        )
        .await;
    assert_eq!(preflight.status, 200, "{}", preflight.text());
    assert!(preflight.header("access-control-allow-origin").is_some());
    let reply = app
        .send(
            Request::get()
                .uri("/api/v1/reference/cycles")
                .insert_header(("Origin", "https://tracker.example.org")),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert!(reply.header("access-control-allow-origin").is_some());
    assert!(
        reply
            .header("access-control-expose-headers")
            .unwrap_or("")
            .to_ascii_lowercase()
            .contains("etag")
    );

    let closed = TestApp::spawn_with(|s| s.cors_origins = vec!["https://nmirf.example.org".into()]);
    let reply = closed
        .send(
            Request::get()
                .uri("/api/v1/reference/cycles")
                .insert_header(("Origin", "https://elsewhere.example")),
        )
        .await;
    assert!(
        reply.header("access-control-allow-origin").is_none(),
        "an origin not listed is not allowed"
    );
}
