//! HTTP conventions clients and load balancers expect: `HEAD` wherever `GET` works, a front
//! door at `/`, and answers that change only with a release cached by their `ETag`.

use std::io::{Read, Write};

use actix_web::http::{Method, header};
use upr_tc_tests::{Request, TestApp};

/// One request on its own connection, and everything that came back.
async fn raw(addr: std::net::SocketAddr, method: &'static str, path: &'static str) -> String {
    actix_web::rt::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: test\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap()
}

fn content_length(answer: &str) -> usize {
    answer
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("no Content-Length: {answer}"))
        .trim()
        .parse()
        .unwrap()
}

#[actix_web::test]
async fn head_answers_as_get_does_without_the_body() {
    let app = TestApp::spawn();
    // On a real socket: a `HEAD` answer's body is left out by actix-http as it writes it.
    let addr = app.listen();
    for path in [
        "/health/live",
        "/api/v1/reference/cycles",
        "/api/v1/recommendations",
    ] {
        let get = raw(addr, "GET", path).await;
        let head = raw(addr, "HEAD", path).await;
        assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}");
        let (head_headers, head_body) = head.split_once("\r\n\r\n").unwrap();
        let (_, get_body) = get.split_once("\r\n\r\n").unwrap();
        assert_eq!(head_body, "", "{path}: no body");
        assert_eq!(content_length(head_headers), get_body.len(), "{path}");
        assert_eq!(content_length(&get), get_body.len(), "{path}");
    }
    // A problem too keeps its status and leaves its body out.
    let missing = raw(
        addr,
        "HEAD",
        "/api/v1/recommendations/0192f000-0000-7000-8000-000000000001",
    )
    .await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    assert!(missing.ends_with("\r\n\r\n"), "{missing}");
}

#[actix_web::test]
async fn head_is_routed_as_get_and_named_where_it_is_not_allowed() {
    let app = TestApp::spawn();
    let get = app.get("/api/v1/reference/themes").await;
    let head = app.request(Method::HEAD, "/api/v1/reference/themes").await;
    assert_eq!(head.status, 200);
    for name in ["etag", "content-type", "cache-control"] {
        assert_eq!(head.header(name), get.header(name), "{name}");
    }
    // A path that takes only POST: the 405 names HEAD, and lists what it allows.
    let refused = app
        .request(Method::HEAD, "/api/v1/bulk/recommendations")
        .await;
    let problem = refused.assert_problem(405, "method_not_allowed");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("HEAD is not allowed"),
        "{problem}"
    );
    assert_eq!(refused.header("allow"), Some("POST, OPTIONS"));
    // Where GET works, HEAD is allowed beside it.
    let refused = app.request(Method::PUT, "/api/v1/reference/cycles").await;
    refused.assert_problem(405, "method_not_allowed");
    assert_eq!(refused.header("allow"), Some("GET, HEAD, OPTIONS"));
}

#[actix_web::test]
async fn the_front_door_sends_a_browser_to_the_docs_and_a_client_to_its_links() {
    let app = TestApp::spawn();
    let browser = app
        .send(Request::get().uri("/").insert_header((
            header::ACCEPT,
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        )))
        .await;
    assert_eq!(browser.status, 303);
    assert_eq!(browser.header("location"), Some("/docs/"));
    assert_eq!(app.get("/docs/").await.status, 200);
    for accept in [
        None,
        Some("application/json"),
        Some("application/json, text/html"),
    ] {
        let mut req = Request::get().uri("/");
        if let Some(accept) = accept {
            req = req.insert_header((header::ACCEPT, accept));
        }
        let index = app.send(req).await.assert_ok_json();
        assert_eq!(index["version"], env!("CARGO_PKG_VERSION"));
        let links = index["links"].as_object().unwrap();
        assert_eq!(links.len(), 4, "{index}");
        // Every link answers.
        for (name, link) in links {
            let status = app.get(link.as_str().unwrap()).await.status;
            assert_eq!(status, 200, "{name} {link}");
        }
    }
}

/// Answers that change with a write, or with the caller, are kept by no cache without asking
/// again: `no-cache` (revalidated with the ETag, a 304 while unchanged), `private` for a caller
/// with a token, and they vary with `Accept` and `Authorization`.
#[actix_web::test]
async fn caches_ask_again_before_using_an_answer_and_keep_private_ones_private() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    for (path, token, rule) in [
        ("/api/v1/activities", None, "no-cache"),
        ("/api/v1/changes", None, "no-cache"),
        (
            "/api/v1/activities/01900000-0000-7000-8000-000000000000",
            None,
            "no-cache",
        ),
        ("/api/v1/activities", Some(&admin), "private, no-cache"),
        ("/api/v1/me", Some(&admin), "private, no-cache"),
    ] {
        let reply = match token {
            Some(token) => app.get_as(path, token).await,
            None => app.get(path).await,
        };
        assert_eq!(reply.header("cache-control"), Some(rule), "{path}");
        let vary: Vec<&str> = reply.header_all("vary");
        assert!(
            vary.iter().any(|v| v.contains("Authorization")),
            "{path}: {vary:?}"
        );
        assert!(
            vary.iter().any(|v| v.contains("Accept")),
            "{path}: {vary:?}"
        );
    }
    let tag = app
        .get("/api/v1/activities")
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    // Read as a list of tags (one may hold a comma), as If-Match is; a value that is not one
    // holds nothing.
    let with = |value: String| {
        app.send(
            Request::get()
                .uri("/api/v1/activities")
                .insert_header((header::IF_NONE_MATCH, value)),
        )
    };
    assert_eq!(with(format!("\"a,b\", {tag}")).await.status, 304);
    assert_eq!(with(format!("{tag} junk")).await.status, 200);
    let again = with(tag.clone()).await;
    assert_eq!(again.status, 304);
    assert_eq!(again.header("cache-control"), Some("no-cache"));
    let vary: Vec<&str> = again.header_all("vary");
    assert!(
        vary.iter().any(|v| v.contains("Accept-Encoding")),
        "{vary:?}"
    );
}

#[actix_web::test]
async fn reference_data_and_the_contract_are_cached_until_the_release_changes() {
    let app = TestApp::spawn();
    for path in [
        "/api/v1/openapi.json",
        "/api/v1/reference/countries",
        "/api/v1/reference/themes",
        "/api/v1/reference/sdg-goals",
    ] {
        let first = app.get(path).await;
        assert_eq!(first.status, 200, "{path}");
        assert_eq!(
            first.header("cache-control"),
            Some("public, max-age=3600"),
            "{path}"
        );
        let tag = first
            .header("etag")
            .unwrap_or_else(|| panic!("{path}: no ETag"));
        assert!(tag.starts_with("W/\""), "{path}: {tag}");
        assert_eq!(
            app.get(path).await.header("etag"),
            Some(tag),
            "{path}: the same tag"
        );
        let again = app
            .send(
                Request::get()
                    .uri(path)
                    .insert_header((header::IF_NONE_MATCH, tag)),
            )
            .await;
        assert_eq!(again.status, 304, "{path}");
        assert!(again.body.is_empty(), "{path}");
        assert_eq!(again.header("etag"), Some(tag), "{path}");
        let other = app
            .send(
                Request::get()
                    .uri(path)
                    .insert_header((header::IF_NONE_MATCH, "W/\"other\"")),
            )
            .await;
        assert_eq!(other.status, 200, "{path}");
    }
    // An answer that is not a 200 is not tagged.
    let missing = app.get("/api/v1/reference/countries/ZZZ").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("etag"), None);
}

#[actix_web::test]
async fn every_limited_answer_says_the_budget_and_what_is_left() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limits = Some(upr_tc::ratelimit::Limits {
            anonymous: 3,
            token: 5,
            sync: 8,
        })
    });
    let from = |peer: &str| {
        Request::get()
            .uri("/api/v1/reference/cycles")
            .peer_addr(format!("{peer}:40000").parse().unwrap())
    };
    // Three a minute: one comes back every 20 s.
    for (left, whole_in) in [(2, 20), (1, 40), (0, 60)] {
        let reply = app.send(from("198.51.100.7")).await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("ratelimit-policy"),
            Some("\"anonymous\";q=3;w=60")
        );
        assert_eq!(
            reply.header("ratelimit"),
            Some(format!("\"anonymous\";r={left};t={whole_in}").as_str())
        );
    }
    let refused = app.send(from("198.51.100.7")).await;
    refused.assert_problem(429, "rate_limited");
    let field = refused.header("ratelimit").unwrap();
    let wait: u64 = field
        .strip_prefix("\"anonymous\";r=0;t=")
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&wait), "{field}");
    assert_eq!(
        refused.header("retry-after"),
        Some(wait.to_string().as_str())
    );
    // Another address has its own budget; a token its kind's.
    let other = app.send(from("198.51.100.8")).await;
    assert_eq!(other.header("ratelimit"), Some("\"anonymous\";r=2;t=20"));
    // A refused token spends its address's budget, and its 401 says so too.
    let forged = from("198.51.100.8").insert_header(("Authorization", "Bearer not.a.token"));
    let refused = app.send(forged).await;
    refused.assert_problem(401, "unauthorized");
    assert_eq!(
        refused.header("ratelimit-policy"),
        Some("\"anonymous\";q=3;w=60")
    );
    assert_eq!(refused.header("ratelimit"), Some("\"anonymous\";r=1;t=40"));
    for (role, policy) in [
        (upr_tc::auth::Role::Admin, "\"token\";q=5;w=60"),
        (upr_tc::auth::Role::Sync, "\"sync\";q=8;w=60"),
    ] {
        let reply = app.get_as("/api/v1/me", &app.token(role, None, None)).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("ratelimit-policy"), Some(policy));
    }
    // Health checks are never limited, and say no budget.
    let live = app.get("/health/live").await;
    assert_eq!(live.header("ratelimit"), None);
    // With limits off, no answer says one.
    let unlimited = TestApp::spawn();
    assert_eq!(
        unlimited
            .get("/api/v1/reference/cycles")
            .await
            .header("ratelimit"),
        None
    );
}

#[actix_web::test]
async fn filters_take_a_states_name_and_a_groups_label() {
    let app = TestApp::spawn();
    for state in ["FRA", "CIV", "PRK", "KEN"] {
        app.create(
            "/api/v1/recommendations",
            &upr_tc_tests::recommendation(state, 40, &format!("Made to {state}")),
        )
        .await;
    }
    let states = |page: &serde_json::Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["state_under_review"].as_str().unwrap().to_owned())
            .collect()
    };
    for (asked, code) in [
        ("FRA", "FRA"),
        ("fra", "FRA"),
        ("France", "FRA"),
        ("C%C3%B4te%20d%27Ivoire", "CIV"),
        ("Cote%20d%27Ivoire", "CIV"),
        ("DPR%20Korea", "PRK"),
        ("Kenya", "KEN"),
    ] {
        let page = app
            .get(&format!(
                "/api/v1/recommendations?state_under_review={asked}"
            ))
            .await
            .assert_ok_json();
        assert_eq!(states(&page), [code], "{asked}");
    }
    for bad in ["Atlantis", "Puerto%20Rico", "PRI"] {
        app.get(&format!("/api/v1/recommendations?state_under_review={bad}"))
            .await
            .assert_problem(400, "invalid_parameter");
    }
    // A path names a State by its code alone: an address names one thing one way.
    for path in [
        "/api/v1/states/France/consent",
        "/api/v1/states/.%C3%A7%C3%B5/consent",
        "/api/v1/states/co/coordination",
    ] {
        app.get(path).await.assert_problem(400, "invalid_parameter");
    }
    app.get("/api/v1/states/fra/consent").await.assert_ok_json();
    // Every State filter reads names the same way.
    for path in [
        "/api/v1/activities?state=Kenya",
        "/api/v1/assistance-requests?state=Kenya",
        "/api/v1/offers?state=Kenya",
        "/api/v1/consents?state=Kenya",
        "/api/v1/recommendations?recommending_state=Kenya",
    ] {
        app.get(path).await.assert_ok_json();
    }
    // UPR Info's labels of the regional groups, in any case, name the same groups.
    for (label, group) in [
        ("WEOG", "western_european_and_others"),
        ("grulac", "latin_american_and_caribbean"),
        ("Africa", "african"),
        ("Asia-Pacific", "asia_pacific"),
        ("EEG", "eastern_european"),
    ] {
        let by_label = app
            .get(&format!(
                "/api/v1/reference/countries?regional_group={label}"
            ))
            .await
            .assert_ok_json();
        let by_name = app
            .get(&format!(
                "/api/v1/reference/countries?regional_group={group}"
            ))
            .await
            .assert_ok_json();
        assert!(!by_label["items"].as_array().unwrap().is_empty(), "{label}");
        assert_eq!(by_label, by_name, "{label}");
    }
    let weog = app
        .get("/api/v1/recommendations?regional_group=WEOG")
        .await
        .assert_ok_json();
    assert_eq!(states(&weog), ["FRA"]);
    for path in [
        "/api/v1/recommendations?regional_group=Europe",
        "/api/v1/activities?regional_group=Europe",
        "/api/v1/reference/countries?regional_group=Europe",
    ] {
        app.get(path).await.assert_problem(400, "invalid_parameter");
    }
}

/// An item as a read gives it may be sent back changed, as its replacement (`PUT`): its `id`
/// must be the item's, its `version` is the condition `If-Match` would be (the header, when
/// sent, is the condition instead), and what the service derives (`created_at`, `cycle`,
/// `visibility`, …) is read past. A field the item does not have is still refused.
#[actix_web::test]
async fn an_item_read_may_be_sent_back_changed_as_its_replacement() {
    use upr_tc_tests::{activity, json, recommendation};
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, token) = crate::activities::organisation(&app, "Kituo Cha Sheria").await;
    let a = crate::activities::submit(&app, &token, &activity(&["KEN"], "Child justice")).await;
    let r = app
        .create(
            "/api/v1/recommendations",
            &recommendation("KEN", 21, "Ratify the convention"),
        )
        .await;
    let cases = [
        (
            format!("/api/v1/activities/{}", a["id"].as_str().unwrap()),
            token.clone(),
            "summary",
        ),
        (
            format!("/api/v1/recommendations/{}", r["id"].as_str().unwrap()),
            admin.clone(),
            "text",
        ),
    ];
    for (path, token, field) in cases {
        let put = |body: serde_json::Value, if_match: Option<String>| {
            let mut req = Request::put()
                .uri(&path)
                .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
                .set_json(body);
            if let Some(tag) = if_match {
                req = req.insert_header((header::IF_MATCH, tag));
            }
            app.send(req)
        };
        let read = app.get_as(&path, &token).await.assert_ok_json();
        let mut changed = read.clone();
        changed[field] = json!({"en": "Changed as read"});
        let replaced = put(changed.clone(), None).await.assert_ok_json();
        assert_eq!(replaced[field]["en"], "Changed as read", "{path}");
        assert_eq!(replaced["version"], read["version"].as_i64().unwrap() + 1);
        assert_eq!(replaced["created_at"], read["created_at"], "{path}");

        // Sent again, its version is stale: nothing written.
        changed[field] = json!({"en": "Lost update"});
        put(changed.clone(), None)
            .await
            .assert_problem(412, "precondition_failed");
        // `If-Match` names the current version: the header is the condition.
        let tag = format!("\"{}\"", replaced["version"]);
        let again = put(changed.clone(), Some(tag)).await.assert_ok_json();
        assert_eq!(again[field]["en"], "Lost update", "{path}");

        // Another item's id, a version the service never gave, a field the item lacks: each
        // refused by its pointer, nothing written.
        let mut other = again.clone();
        other["id"] = json!(uuid::Uuid::now_v7().to_string());
        let refused = put(other, None)
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(refused["errors"][0]["pointer"], "/id", "{refused}");
        let mut bad = again.clone();
        bad["version"] = json!("newest");
        let refused = put(bad, None).await.assert_problem(422, "invalid_body");
        assert_eq!(refused["errors"][0]["pointer"], "/version", "{refused}");
        let mut unknown = again.clone();
        unknown["colour"] = json!("blue");
        let refused = put(unknown, None).await.assert_problem(422, "invalid_body");
        assert_eq!(refused["errors"][0]["pointer"], "/colour", "{refused}");
        let now = app.get_as(&path, &token).await.assert_ok_json();
        assert_eq!(now["version"], again["version"], "{path}");
    }
}

/// A request whose `Accept` takes none of the media types its operation answers with is a 406
/// problem naming them, before anything is read or written; one that takes any of them (by
/// name, `type/*` or `*/*`, the most specific range deciding) is answered in it. Health checks
/// answer any prober, and a header that names no media type says nothing.
#[actix_web::test]
async fn an_answer_no_accepted_media_type_can_carry_is_a_406() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let ask = |method: Method, path: &str, accept: &str| {
        Request::default()
            .method(method)
            .uri(path)
            .insert_header((header::ACCEPT, accept.to_owned()))
            .insert_header((header::AUTHORIZATION, format!("Bearer {admin}")))
    };
    for (method, path, accept) in [
        (Method::GET, "/api/v1/consents", "text/csv"),
        (Method::GET, "/api/v1/audit", "text/csv"),
        (Method::HEAD, "/api/v1/consents", "text/csv"),
        (Method::GET, "/api/v1/activities", "application/pdf"),
        (
            Method::GET,
            "/api/v1/activities",
            "text/csv;q=0, application/json;q=0",
        ),
        (Method::GET, "/api/v1/export", "application/json"),
        (Method::GET, "/api/v1/reference/countries", "text/*"),
    ] {
        let reply = app.send(ask(method.clone(), path, accept)).await;
        if method == Method::HEAD {
            assert_eq!(reply.status, 406, "{method} {path} {accept}");
            continue;
        }
        let problem = reply.assert_problem(406, "not_acceptable");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(accept), "{detail}");
        assert!(
            detail.contains("application/json") || detail.contains("application/x-ndjson"),
            "names what it answers with: {detail}"
        );
    }
    // An item answered in JSON or XML is given in the one of them the range takes.
    let kenya = app.token(upr_tc::auth::Role::State, Some("KEN"), None);
    let made = app
        .send_json(
            Method::POST,
            "/api/v1/activities",
            Some(&kenya),
            &upr_tc_tests::activity(&["KEN"], "Asked for as XML"),
        )
        .await
        .json();
    let path = format!("/api/v1/activities/{}", made["id"].as_str().unwrap());
    let reply = app
        .send(ask(
            Method::GET,
            &path,
            "application/*, application/json;q=0",
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("application/xml"),
        "{:?}",
        reply.header("content-type")
    );
    // A browser asking for a page alone is still sent to the docs.
    let reply = app
        .send(
            Request::get()
                .uri("/")
                .insert_header((header::ACCEPT, "text/html")),
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.text());
    // A write refused so writes nothing.
    let body = upr_tc_tests::stakeholder("other", None, "Not written");
    let reply = app
        .send(ask(Method::POST, "/api/v1/stakeholders", "text/csv").set_json(&body))
        .await;
    reply.assert_problem(406, "not_acceptable");
    let list = app.get("/api/v1/stakeholders").await.assert_ok_json();
    assert!(!list.to_string().contains("Not written"), "{list}");
    for (path, accept, media) in [
        ("/api/v1/activities", "text/csv", "text/csv"),
        ("/api/v1/activities", "text/*", "text/csv"),
        ("/api/v1/activities", "application/*", "application/json"),
        ("/api/v1/reports/annual", "text/*", "text/html"),
        (
            "/api/v1/reports/annual",
            "text/html;q=0.1, application/json",
            "application/json",
        ),
        // The weight decides, then the one named; an export named beside JSON is the export.
        (
            "/api/v1/stakeholders",
            "text/csv;q=0.5, application/json;q=0.9",
            "application/json",
        ),
        (
            "/api/v1/stakeholders",
            "text/csv, application/json",
            "text/csv",
        ),
        (
            "/api/v1/stakeholders",
            "text/csv;q=0.5, */*;q=0.9",
            "application/json",
        ),
        (
            "/api/v1/activities",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "application/json",
        ),
        (
            "/api/v1/recommendations",
            "application/*, application/json;q=0",
            "application/x-ndjson",
        ),
        ("/api/v1/consents", "application/json", "application/json"),
        ("/api/v1/consents", "text/csv;q=0, */*", "application/json"),
        ("/api/v1/consents", "json", "application/json"),
        (
            "/api/v1/recommendations",
            "application/x-ndjson",
            "application/x-ndjson",
        ),
        ("/health/live", "text/plain", "application/json"),
        ("/api/v1/activities?format=csv", "text/html", "text/csv"),
        // A generated client asks for problem documents alone where the success is not JSON.
        (
            "/api/v1/export",
            "application/problem+json",
            "application/x-ndjson",
        ),
        (
            "/health/ready",
            "application/openmetrics-text",
            "application/json",
        ),
    ] {
        let reply = app.send(ask(Method::GET, path, accept)).await;
        assert_eq!(reply.status, 200, "{path} {accept}: {}", reply.text());
        assert!(
            reply.header("content-type").unwrap().starts_with(media),
            "{path} {accept}: {:?}",
            reply.header("content-type")
        );
    }
}
