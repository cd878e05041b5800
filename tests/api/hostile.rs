//! Requests made to break the service rather than to use it: each is refused early, with a
//! small problem document, and costs the service little.

use actix_web::http::Method;
use upr_tc::auth::Role;
use upr_tc::cursor::Kind;
use upr_tc_tests::{Request, TestApp, json};

#[actix_web::test]
async fn a_query_parameter_that_is_not_utf8_is_a_problem_on_every_route() {
    let app = TestApp::spawn();
    for path in [
        "/api/v1/recommendations?q=%ff%fe",
        "/api/v1/stakeholders?q=ok&country=%C3",
        "/api/v1/reference/countries?status=%80",
        "/api/v1/changes?after=%fe",
        "/health/live?x=%ff",
    ] {
        let reply = app.get(path).await;
        let problem = reply.assert_problem(400, "invalid_parameter");
        assert!(
            problem["detail"].as_str().unwrap().contains("UTF-8"),
            "{path}: {problem}"
        );
    }
    let reply = app.get("/api/v1/recommendations?%ff=1").await;
    reply.assert_problem(400, "invalid_parameter");
    // Percent-encoded UTF-8 is welcome.
    app.get("/api/v1/recommendations?q=%C3%A9galit%C3%A9")
        .await
        .assert_ok_json();
}

#[actix_web::test]
async fn a_flood_of_invalid_tokens_is_rate_limited_by_address() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limits = Some(upr_tc::ratelimit::Limits {
            anonymous: 3,
            token: 5,
            sync: 8,
        })
    });
    let garbage = |peer: &str| {
        Request::get()
            .uri("/api/v1/recommendations")
            .peer_addr(format!("{peer}:40000").parse().unwrap())
            .insert_header(("Authorization", "Bearer garbage"))
    };
    for _ in 0..3 {
        app.send(garbage("198.51.100.7"))
            .await
            .assert_problem(401, "unauthorized");
    }
    let refused = app.send(garbage("198.51.100.7")).await;
    refused.assert_problem(429, "rate_limited");
    assert!(refused.header("retry-after").is_some());
    // The address's budget is spent for anonymous requests too; another address has its own.
    let anonymous = Request::get()
        .uri("/api/v1/recommendations")
        .peer_addr("198.51.100.7:40001".parse().unwrap());
    app.send(anonymous)
        .await
        .assert_problem(429, "rate_limited");
    app.send(garbage("198.51.100.8"))
        .await
        .assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn a_header_of_a_million_columns_is_refused_early_with_a_small_answer() {
    let app = TestApp::spawn();
    let mut header = "a,".repeat(1_000_000);
    header.push_str("\nx\n");
    let started = std::time::Instant::now();
    let reply = app
        .upload("/api/v1/bulk/stakeholders", "text/csv", header)
        .await;
    let problem = reply.assert_problem(422, "header_too_large");
    assert!(reply.body.len() < 16 * 1024, "{} bytes", reply.body.len());
    assert!(
        problem["detail"].as_str().unwrap().contains("16384 bytes"),
        "{problem}"
    );
    // Short but wide: the column count is capped too, with names listed sparingly.
    let wide = format!(
        "kind,name__en,{}\n",
        (0..300)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let reply = app
        .upload("/api/v1/bulk/stakeholders", "text/csv", wide)
        .await;
    let problem = reply.assert_problem(422, "header_too_large");
    assert!(
        problem["detail"].as_str().unwrap().contains("302 columns"),
        "{problem}"
    );
    let unknown = format!(
        "kind,name__en,{}\nnhri,X,{}\n",
        (0..150)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(","),
        ",".repeat(149)
    );
    let reply = app
        .upload("/api/v1/bulk/stakeholders", "text/csv", unknown)
        .await;
    let problem = reply.assert_problem(422, "unreadable_file");
    assert!(
        problem["detail"].as_str().unwrap().contains("and 130 more"),
        "{problem}"
    );
    // Not a timing assertion of the service, a guard against the test hanging for minutes.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

/// A row over the cap (4 MiB) is one bad row: passed over without being kept, listed with its
/// line, the rows after it read; an atomic upload with one writes nothing, a partial one
/// writes every other row and says which was refused.
#[actix_web::test]
async fn a_row_without_end_is_refused_at_its_cap() {
    let app = TestApp::spawn();
    let too_large = |reply: upr_tc_tests::Reply, line: u64| {
        let problem = reply.assert_problem(422, "import_rejected");
        let errors = problem["report"]["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{problem}");
        assert_eq!(
            (errors[0]["code"].as_str(), errors[0]["line"].as_u64()),
            (Some("row_too_large"), Some(line)),
            "{problem}"
        );
    };
    let long = format!("kind,name__en\nnhri,\"{}\"\n", "x".repeat(5 * 1024 * 1024));
    too_large(
        app.upload("/api/v1/bulk/stakeholders", "text/csv", long)
            .await,
        2,
    );
    let cells = format!("kind,name__en\n{}\n", ",".repeat(5 * 1024 * 1024));
    too_large(
        app.upload("/api/v1/bulk/stakeholders", "text/csv", cells)
            .await,
        2,
    );
    let line = format!(
        "{{\"kind\": \"nhri\", \"name\": {{\"en\": \"{}\"}}}}\n",
        "x".repeat(5 * 1024 * 1024)
    );
    too_large(
        app.upload(
            "/api/v1/bulk/stakeholders",
            "application/x-ndjson",
            line.clone(),
        )
        .await,
        1,
    );
    assert!(app.all("/api/v1/stakeholders").await.is_empty());
    // In the partial mode the rows before and after it are written.
    let csv = format!(
        "kind,name__en\nnhri,Before\nnhri,\"{}\"\nnhri,After\n",
        "x".repeat(5 * 1024 * 1024)
    );
    // Two rows written and the one over the cap, at `line`, refused.
    let partial = |reply: upr_tc_tests::Reply, line: u64| {
        let r = reply.assert_ok_json();
        assert_eq!(
            (r["created"].as_u64(), r["rejected"].as_u64()),
            (Some(2), Some(1)),
            "{r}"
        );
        assert_eq!(r["errors"][0]["line"], line, "{r}");
    };
    partial(
        app.upload("/api/v1/bulk/stakeholders?mode=partial", "text/csv", csv)
            .await,
        3,
    );
    let ndjson = format!(
        "{{\"kind\": \"nhri\", \"name\": {{\"en\": \"First\"}}}}\n{line}\
         {{\"kind\": \"nhri\", \"name\": {{\"en\": \"Last\"}}}}\n"
    );
    partial(
        app.upload(
            "/api/v1/bulk/stakeholders?mode=partial",
            "application/x-ndjson",
            ndjson,
        )
        .await,
        2,
    );
    let names = stakeholder_names(&app).await;
    assert_eq!(names.len(), 4, "{names:?}");
    // Blank lines are no part of a row, however many there are.
    let blanks = format!(
        "kind,name__en\n{}nhri,After blank lines\n",
        "\r\n\n".repeat(2 * 1024 * 1024)
    );
    let report = app
        .upload("/api/v1/bulk/stakeholders", "text/csv", blanks)
        .await
        .assert_ok_json();
    assert_eq!(
        (report["created"].as_u64(), report["rejected"].as_u64()),
        (Some(1), Some(0)),
        "{report}"
    );
    // A million cells within the cap are counted, not kept: a row error.
    let cells = format!("kind,name__en\n{}\n", ",".repeat(1_000_000));
    let r = app
        .upload("/api/v1/bulk/stakeholders?mode=partial", "text/csv", cells)
        .await
        .assert_ok_json();
    assert_eq!(r["errors"][0]["code"], "wrong_cell_count", "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1000001 cells")
    );
    // A long row within the cap is only a row.
    let fine = format!("kind,name__en\nnhri,\"{}\"\n", "x".repeat(100_000));
    let r = app
        .upload("/api/v1/bulk/stakeholders?mode=partial", "text/csv", fine)
        .await
        .assert_ok_json();
    assert_eq!(r["rejected"], 1, "{r}");
}

#[actix_web::test]
async fn an_import_answer_lists_the_first_thousand_errors_and_counts_the_rest() {
    let app = TestApp::spawn();
    let mut csv = String::from("kind,name__en,country\n");
    for i in 0..1_500 {
        // An unknown kind, which the message quotes.
        csv.push_str(&format!("{},Name {i},KEN\n", "z".repeat(1_000)));
    }
    let r = app
        .upload("/api/v1/bulk/stakeholders?mode=partial", "text/csv", csv)
        .await
        .assert_ok_json();
    assert_eq!(r["rejected"], 1_500);
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1_000);
    assert_eq!(r["errors_not_listed"], 500);
    assert!(
        errors
            .iter()
            .all(|e| e["message"].as_str().unwrap().chars().count() <= 301)
    );
}

#[actix_web::test]
async fn a_ranked_search_pages_only_so_deep_and_a_small_request_is_served_beside_it() {
    let app = TestApp::spawn();
    let lines: Vec<String> = (0..1_100)
        .map(|i| {
            upr_tc_tests::json!({"state_under_review": "KEN", "session": 8,
                "text": {"en": format!("Protect the rights of the child, number {i}.")}})
            .to_string()
        })
        .collect();
    let r = app
        .upload(
            "/api/v1/bulk/recommendations",
            "application/x-ndjson",
            lines.join("\n"),
        )
        .await;
    assert_eq!(r.assert_ok_json()["created"], 1_100);

    // Cursors are opaque (crate::cursor): a deep one is made with the service's own key, as a
    // client could only by replaying one of an older version with a deeper cap.
    app.get("/api/v1/recommendations?q=rights&limit=200&cursor=o100000")
        .await
        .assert_problem(400, "invalid_parameter");
    for deep in [100_000, 1_000] {
        let cursor = app.service.state.cursors.encode(Kind::Offset, deep);
        let reply = app
            .get(&format!(
                "/api/v1/recommendations?q=rights&limit=200&cursor={cursor}"
            ))
            .await;
        let problem = reply.assert_problem(400, "search_too_deep");
        assert!(
            problem["detail"].as_str().unwrap().contains("narrow"),
            "{problem}"
        );
    }
    // A small request beside them is served as usual.
    app.get("/api/v1/recommendations?limit=1")
        .await
        .assert_ok_json();

    // Paging a ranked search ends at its depth (the last page cut there), and the cursor
    // beyond it says so: a client that pages learns it has not had every match.
    let mut served = 0;
    let mut url = "/api/v1/recommendations?q=rights&limit=7".to_owned();
    let beyond = loop {
        let reply = app.get(&url).await;
        if reply.status == 400 {
            break reply;
        }
        let page = reply.assert_ok_json();
        served += page["items"].as_array().unwrap().len();
        let cursor = page["next_cursor"]
            .as_str()
            .expect("a cursor while more were found");
        url = format!("/api/v1/recommendations?q=rights&limit=7&cursor={cursor}");
    };
    assert_eq!(served, 1_000);
    beyond.assert_problem(400, "search_too_deep");
    // A search whose matches end within the depth ends with no cursor.
    let few = app
        .get("/api/v1/recommendations?q=rights%20number%201099")
        .await
        .assert_ok_json();
    assert!(few["next_cursor"].is_null(), "{few}");
    // Without `q` the list pages by position, as deep as it goes.
    assert_eq!(app.all("/api/v1/recommendations").await.len(), 1_100);
    // An export of the search is every match, in creation order (unranked, a page keyed by the
    // last item: no page costs more than the first), beyond the depth of ranked pages.
    let export = app
        .send(
            actix_web::test::TestRequest::get()
                .uri("/api/v1/recommendations?q=rights")
                .insert_header(("Accept", "application/x-ndjson")),
        )
        .await;
    assert_eq!(export.status, 200);
    let texts: Vec<String> = export
        .text()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["text"]["en"].to_string())
        .collect();
    assert_eq!(texts.len(), 1_100);
    assert!(texts[0].contains("number 0."), "{}", texts[0]);
    assert!(texts[1_099].contains("number 1099."), "{}", texts[1_099]);
}

/// A ranked search beyond the limit waits its turn for a little while (searches take tens of
/// milliseconds), and is a 503 with `Retry-After` when none ends in that time; lists are
/// served meanwhile.
#[actix_web::test]
async fn ranked_searches_beyond_their_limit_wait_briefly_and_lists_are_served() {
    let app = TestApp::spawn_with(|s| s.limits.search_limit = Some(2));
    app.create(
        "/api/v1/recommendations",
        &upr_tc_tests::recommendation("KEN", 8, "Protect the rights of the child."),
    )
    .await;
    // Two searches running (their permits held here, as two slow searches would hold them).
    let searches = app.service.state.searches.clone();
    assert_eq!(searches.available_permits(), 2);
    let held = searches.clone().try_acquire_many_owned(2).unwrap();
    let refused = app.get("/api/v1/recommendations?q=child").await;
    refused.assert_problem(503, "service_unavailable");
    assert!(
        refused
            .header("retry-after")
            .is_some_and(|s| s.parse::<u64>().is_ok())
    );
    // Lists without `q`, and exports of a search (unranked, under the export limit), are served.
    let list = app.get("/api/v1/recommendations").await.assert_ok_json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let export = app
        .send(
            Request::get()
                .uri("/api/v1/recommendations?q=child")
                .insert_header(("Accept", "application/x-ndjson")),
        )
        .await;
    assert_eq!(export.status, 200, "{}", export.text());
    assert_eq!(export.text().lines().count(), 1);
    // A permit given back while a search waits: it runs.
    let (found, ()) = futures_util::join!(app.get("/api/v1/recommendations?q=child"), async {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
        drop(held);
    });
    let found = found.assert_ok_json();
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        searches.available_permits(),
        2,
        "a search gives its permit back"
    );
}

/// Matches and the coordination view, which take seconds, have permits of their own, as many
/// as the searches': callers who keep them all busy keep no search waiting, and searches that
/// take every permit of theirs keep no ranking waiting.
#[actix_web::test]
async fn rankings_of_matches_have_their_own_limit_beside_the_searches() {
    let app = TestApp::spawn_with(|s| s.limits.search_limit = Some(1));
    let recommendation = app
        .create(
            "/api/v1/recommendations",
            &upr_tc_tests::recommendation("KEN", 8, "Protect the rights of the child."),
        )
        .await;
    let path = format!(
        "/api/v1/recommendations/{}/potential-partners",
        recommendation["id"].as_str().unwrap()
    );
    let rankings = [path.as_str(), "/api/v1/states/KEN/coordination"];
    let search = "/api/v1/recommendations?q=child";
    let state = &app.service.state;
    let held = state.rankings.clone().try_acquire_owned().unwrap();
    for refused in rankings {
        app.get(refused)
            .await
            .assert_problem(503, "service_unavailable");
    }
    let found = app.get(search).await.assert_ok_json();
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    drop(held);
    // Another search (one already ranked is given as kept, with no permit).
    let held = state.searches.clone().try_acquire_owned().unwrap();
    app.get("/api/v1/recommendations?q=rights")
        .await
        .assert_problem(503, "service_unavailable");
    for served in rankings {
        app.get(served).await.assert_ok_json();
    }
    drop(held);
    assert_eq!(
        (
            state.searches.available_permits(),
            state.rankings.available_permits()
        ),
        (1, 1),
        "each gives its permit back"
    );
}

/// Counting a report takes a permit of the rankings. A caller of the full report who finds
/// them all taken has it as last counted, without waiting, and a 503 only when none was counted
/// yet; the public report is never given as last counted, since it may name an activity hidden
/// since (found by an audit: a withdrawn activity's title among the good practices for some 2 s
/// under load): it waits for a permit, then is a 503.
#[actix_web::test]
async fn a_report_counted_before_needs_no_permit_of_the_rankings() {
    let app = TestApp::spawn_with(|s| s.limits.search_limit = Some(1));
    let (public, full) = (
        "/api/v1/reports/annual?year=2026",
        "/api/v1/reports/annual?year=2026&scope=full",
    );
    let admin = app.admin_token();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let agency = app
        .create(
            "/api/v1/stakeholders",
            &upr_tc_tests::stakeholder("un_entity", Some("CHE"), "Reporting agency"),
        )
        .await;
    let mut body = upr_tc_tests::activity(&["KEN"], "Withdrawn while counting");
    body["submitter"] = agency["id"].clone();
    let made = app.create("/api/v1/activities", &body).await;
    let granted = app
        .send_json(
            Method::POST,
            "/api/v1/consents",
            Some(&kenya),
            &json!({"decision": "granted", "scope": "all"}),
        )
        .await;
    assert_eq!(granted.status, 201, "{}", granted.text());
    let rankings = app.service.state.rankings.clone();
    let held = rankings.clone().try_acquire_owned().unwrap();
    app.get(public)
        .await
        .assert_problem(503, "service_unavailable");
    drop(held);
    let counted = app.get(public).await.assert_ok_json();
    assert!(
        counted.to_string().contains("Withdrawn while counting"),
        "{counted}"
    );
    let counted_full = app.get_as(full, &admin).await.assert_ok_json();
    let held = rankings.clone().try_acquire_owned().unwrap();
    assert_eq!(
        app.get(public).await.assert_ok_json(),
        counted,
        "as counted"
    );
    // Kenya withdraws its consent to the activity: while the permits are taken, the full
    // report as last counted, the public one not at all; then each counted anew.
    let withdrawn = app
        .send_json(
            Method::POST,
            "/api/v1/consents",
            Some(&kenya),
            &json!({"decision": "withdrawn", "scope": "activity", "activity_id": made["id"]}),
        )
        .await;
    assert_eq!(withdrawn.status, 201, "{}", withdrawn.text());
    assert_eq!(
        app.get_as(full, &admin).await.assert_ok_json(),
        counted_full,
        "last counted"
    );
    app.get(public)
        .await
        .assert_problem(503, "service_unavailable");
    drop(held);
    let anew = app.get(public).await.assert_ok_json();
    assert!(
        !anew.to_string().contains("Withdrawn while counting"),
        "{anew}"
    );
    assert_ne!(
        app.get_as(full, &admin).await.assert_ok_json()["generated_at"],
        counted_full["generated_at"],
        "counted anew"
    );
    assert_eq!(rankings.available_permits(), 1, "the permit given back");
}

/// An atomic upload holds the write lock from its first row to its last, and every other
/// writer waits for it: a contributor's or a State's writes at most `UPR_TC_ATOMIC_ROW_LIMIT`
/// rows (found by an audit: a contributor sending 100,000 unchanged rows again and again kept
/// States' consents failing). A row past them is refused and nothing is written; a partial
/// upload, which commits each batch, and admin's have no such bound, nor a dry run.
#[actix_web::test]
async fn an_atomic_upload_of_a_contributor_writes_at_most_so_many_rows() {
    let app = TestApp::spawn_with(|s| s.limits.atomic_rows = 3);
    let org = app
        .create(
            "/api/v1/stakeholders",
            &upr_tc_tests::stakeholder("civil_society_organization", Some("KEN"), "Many rows"),
        )
        .await;
    let token = app.token(Role::Contributor, None, Some(org["id"].as_str().unwrap()));
    let csv = |title: &str| {
        let mut csv = String::from("title__en,states_concerned,status\n");
        for i in 0..4 {
            csv.push_str(&format!("{title} {i},KEN,implementation\n"));
        }
        csv
    };
    let problem = app
        .upload_as(
            "/api/v1/bulk/activities",
            "text/csv",
            csv("Atomic"),
            Some(&token),
        )
        .await
        .assert_problem(422, "import_rejected");
    let errors = problem["report"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{problem}");
    assert_eq!(
        (&errors[0]["line"], &errors[0]["code"]),
        (&json!(5), &json!("too_many_rows")),
        "{problem}"
    );
    let mine = format!(
        "/api/v1/activities?stakeholder={}",
        org["id"].as_str().unwrap()
    );
    assert!(
        app.all_as(&mine, &token).await.is_empty(),
        "nothing written"
    );
    // A dry run rolls back each batch, and holds the lock no longer: not bounded.
    let dry = app
        .upload_as(
            "/api/v1/bulk/activities?dry_run=true",
            "text/csv",
            csv("Atomic"),
            Some(&token),
        )
        .await
        .assert_ok_json();
    assert_eq!(dry["created"], 4, "{dry}");
    // Rows of long texts count for more: at most as many KiB of items as rows (found by an
    // audit: 1,980 rows of 30 kB held the lock a minute).
    let long = "word ".repeat(400);
    let heavy = format!(
        "title__en,summary__en,states_concerned,status\nHeavy 1,{long},KEN,implementation\n\
         Heavy 2,{long},KEN,implementation\n"
    );
    let problem = app
        .upload_as("/api/v1/bulk/activities", "text/csv", heavy, Some(&token))
        .await
        .assert_problem(422, "import_rejected");
    let errors = problem["report"]["errors"].as_array().unwrap();
    assert_eq!(
        (&errors[0]["line"], &errors[0]["code"]),
        (&json!(3), &json!("too_many_rows")),
        "{problem}"
    );
    let partial = app
        .upload_as(
            "/api/v1/bulk/activities?mode=partial",
            "text/csv",
            csv("Partial"),
            Some(&token),
        )
        .await
        .assert_ok_json();
    assert_eq!(partial["created"], 4, "{partial}");
    let mut admins = csv("By admin").replace("status\n", "status,submitter\n");
    admins = admins.replace(
        ",implementation\n",
        &format!(",implementation,{}\n", org["id"].as_str().unwrap()),
    );
    let by_admin = app
        .upload("/api/v1/bulk/activities", "text/csv", admins)
        .await
        .assert_ok_json();
    assert_eq!(by_admin["created"], 4, "{by_admin}");
}

/// The rows are read ahead of the writes: an upload that stops at a row over the cap, after a
/// batch of good rows was already written in its transaction, still writes nothing in the
/// atomic mode.
#[actix_web::test]
async fn an_upload_stopped_after_a_written_batch_leaves_nothing_in_atomic_mode() {
    let app = TestApp::spawn();
    let mut csv = String::from("kind,name__en\n");
    for i in 0..600 {
        csv.push_str(&format!("nhri,Read ahead {i}\n"));
    }
    // The good rows alone would all be written.
    let dry = app
        .upload(
            "/api/v1/bulk/stakeholders?dry_run=true",
            "text/csv",
            csv.clone(),
        )
        .await
        .assert_ok_json();
    assert_eq!(
        (dry["created"].as_u64(), dry["rejected"].as_u64()),
        (Some(600), Some(0)),
        "{dry}"
    );
    csv.push_str(&format!("nhri,\"{}\"\n", "x".repeat(5 * 1024 * 1024)));
    app.upload("/api/v1/bulk/stakeholders", "text/csv", csv)
        .await
        .assert_problem(422, "import_rejected");
    let stored = app.all("/api/v1/stakeholders").await;
    assert!(
        !stored.iter().any(|s| s["name"]["en"]
            .as_str()
            .unwrap_or("")
            .starts_with("Read ahead")),
        "nothing of the stopped upload stays"
    );
}

/// A list of far more items than a field takes (a megabyte of `"en",`) is refused as too many,
/// in a body and in a row: its duplicates are not first sorted out one by one (time that grew
/// with the square of its length: 150,000 items took seconds, holding the write lock on a
/// `PATCH`).
#[actix_web::test]
async fn a_list_of_far_too_many_items_is_refused_as_it_is() {
    let app = upr_tc_tests::TestApp::spawn_with(|s| s.json_limit = 2 * 1024 * 1024);
    let many = vec!["en"; 150_000];
    let body = upr_tc_tests::json!({"kind": "academia", "name": {"en": "Many languages"},
        "languages": many});
    let reply = app
        .send_json(
            actix_web::http::Method::POST,
            "/api/v1/stakeholders",
            Some(&app.admin_token()),
            &body,
        )
        .await;
    let problem = reply.assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["pointer"], "/languages", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "too_many", "{problem}");
    let row = format!(
        "kind,name__en,regions\nacademia,Many regions,{}\n",
        vec!["2"; 150_000].join("|")
    );
    let report = app
        .upload("/api/v1/bulk/stakeholders?mode=partial", "text/csv", row)
        .await
        .assert_ok_json();
    assert_eq!(report["rejected"], 1, "{report}");
    assert_eq!(report["errors"][0]["column"], "regions", "{report}");
}

/// A connection that stops making progress while no handler works on it is shut after
/// `UPR_TC_EXPORT_SEND_TIMEOUT` (`upr_tc::stalled`): actix-http times only a connection's
/// first request head, and one byte of a second request held a connection for ever. A handler
/// at work (a long poll of the feed, longer than that time) is not cut.
#[actix_web::test]
async fn a_connection_stopped_mid_request_is_shut_and_a_long_poll_is_not() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let app = TestApp::spawn_with(|s| s.limits.export_send_timeout = Duration::from_millis(400));
    let addr = app.listen();
    let stalled = app.service.state.metrics.connections_stalled();
    let before = stalled.get();
    let (shut_after, long_poll) = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream
            .write_all(b"GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n")
            .unwrap();
        let mut answer = [0u8; 4096];
        let n = stream.read(&mut answer).unwrap();
        assert!(answer[..n].starts_with(b"HTTP/1.1 200"));
        // One byte of the next request, then nothing.
        stream.write_all(b"G").unwrap();
        let started = Instant::now();
        let end = stream.read(&mut answer);
        assert!(
            matches!(end, Ok(0))
                || end
                    .as_ref()
                    .is_err_and(|e| e.kind() != std::io::ErrorKind::WouldBlock
                        && e.kind() != std::io::ErrorKind::TimedOut),
            "still open after 20 s: {end:?}"
        );
        let shut_after = started.elapsed();

        let mut poll = std::net::TcpStream::connect(addr).unwrap();
        poll.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        poll.write_all(
            b"GET /api/v1/changes?wait=2 HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
        let mut long_poll = String::new();
        poll.read_to_string(&mut long_poll).unwrap();
        (shut_after, long_poll)
    })
    .await
    .unwrap();
    assert!(shut_after < Duration::from_secs(20), "{shut_after:?}");
    assert!(long_poll.starts_with("HTTP/1.1 200"), "{long_poll}");
    assert!(stalled.get() > before);
}

/// One caller runs at most its share of the searches at once (a quarter of the permits, at
/// least one): beyond it, its search waits for one of its own to end, and is a 429 with
/// `Retry-After` when none ends in time, having taken none of the service's permits; another
/// caller's searches run meanwhile. The same for the other rankings. (With the budgets of
/// requests off, as in the other tests, so are the shares.)
#[actix_web::test]
async fn a_caller_beyond_its_share_of_searches_waits_for_its_own_and_others_are_served() {
    use std::time::Duration;
    let app = TestApp::spawn_with(|s| {
        s.limits.search_limit = Some(4);
        s.rate_limits = Some(Default::default());
    });
    app.create(
        "/api/v1/recommendations",
        &upr_tc_tests::recommendation("KEN", 8, "Protect the rights of the child."),
    )
    .await;
    let state = &app.service.state;
    assert_eq!(state.search_shares.each(), Some(1));
    let admin = app.admin_token();
    // The token's caller has a search running: its share, held here.
    let caller = format!("token|{}|tester", upr_tc_tests::ISSUER);
    let held = state
        .search_shares
        .take(caller.clone(), Duration::ZERO)
        .await
        .unwrap();
    let refused = app.get_as("/api/v1/recommendations?q=child", &admin).await;
    let problem = refused.assert_problem(429, "rate_limited");
    assert!(
        problem["detail"].as_str().unwrap().contains("1 searches"),
        "{problem}"
    );
    assert!(
        refused
            .header("retry-after")
            .is_some_and(|s| s.parse::<u64>().is_ok())
    );
    assert_eq!(state.searches.available_permits(), 4, "none taken");
    // An anonymous caller searches meanwhile.
    let found = app
        .get("/api/v1/recommendations?q=rights")
        .await
        .assert_ok_json();
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    // One of its own ending while it waits: it runs.
    let (found, ()) = futures_util::join!(
        app.get_as("/api/v1/recommendations?q=protect", &admin),
        async {
            actix_web::rt::time::sleep(Duration::from_millis(300)).await;
            drop(held);
        }
    );
    assert_eq!(found.assert_ok_json()["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            state.search_shares.callers(),
            state.searches.available_permits()
        ),
        (0, 4),
        "every share and permit given back"
    );
    // The other rankings: a State's coordination view.
    let held = state
        .ranking_shares
        .take(caller, Duration::ZERO)
        .await
        .unwrap();
    app.get_as("/api/v1/states/KEN/coordination", &admin)
        .await
        .assert_problem(429, "rate_limited");
    app.get("/api/v1/states/KEN/coordination")
        .await
        .assert_ok_json();
    drop(held);
    assert_eq!(state.ranking_shares.callers(), 0);
}

/// Whether `done` holds within ten seconds, looked at every 10 ms.
fn within_seconds(done: &dyn Fn() -> bool) -> bool {
    let started = std::time::Instant::now();
    while !done() && started.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    done()
}

/// The connection reset, not closed: gone at once, as a client that hangs up.
fn hang_up(stream: std::net::TcpStream) {
    let socket = socket2::SockRef::from(&stream);
    socket.set_linger(Some(std::time::Duration::ZERO)).unwrap();
    drop(stream);
}

/// A search's, a ranking's and a report's permits are held by the read itself, not by the
/// request: a client that hangs up while its read runs gets none back until the read is done
/// (else a caller could run as many reads at once as it could open and drop connections).
/// Each read is held while the test looks (`upr_tc::held`).
#[actix_web::test]
async fn a_client_that_hangs_up_leaves_its_running_read_holding_its_permit() {
    use std::io::Write;
    use std::time::Duration;
    let app = TestApp::spawn_with(|s| s.limits.search_limit = Some(2));
    let addr = app.listen();
    let state = &app.service.state;
    // Each read, the word that holds it, and the permits it takes one of.
    let reads = [
        (
            "/api/v1/recommendations?q=hangingupsearch",
            "hangingupsearch",
            &state.searches,
        ),
        (
            "/api/v1/states/TUV/coordination",
            "coordination\u{1}TUV",
            &state.rankings,
        ),
        (
            "/api/v1/reports/annual?year=2087",
            "Year(2087)",
            &state.rankings,
        ),
    ];
    for (path, word, permits) in reads {
        let every = permits.available_permits();
        let hold = upr_tc::held::hold(word);
        let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
        let stream = actix_web::rt::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream.write_all(request.as_bytes()).unwrap();
            stream
        })
        .await
        .unwrap();
        assert!(
            within_seconds(&|| upr_tc::held::holding(word)),
            "{path}: the read runs"
        );
        assert_eq!(
            permits.available_permits(),
            every - 1,
            "{path}: the read took its permit"
        );
        hang_up(stream);
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            permits.available_permits(),
            every - 1,
            "{path}: still held by the read after its client hung up"
        );
        drop(hold);
        assert!(
            within_seconds(&|| permits.available_permits() == every),
            "{path}: given back once the read is done"
        );
    }
}

/// The English names of the stakeholders stored, in the list's order.
async fn stakeholder_names(app: &TestApp) -> Vec<String> {
    app.all("/api/v1/stakeholders")
        .await
        .iter()
        .map(|s| s["name"]["en"].as_str().unwrap().to_owned())
        .collect()
}

/// An admin token of its own subject: a caller of its own, as the shares tell callers apart.
fn admin_named(app: &TestApp, subject: &str) -> String {
    app.service
        .keys
        .mint(
            upr_tc::auth::Role::Admin,
            subject,
            None,
            None,
            chrono::Duration::hours(1),
        )
        .unwrap()
}

const ORGS: &str = "/api/v1/bulk/stakeholders";

fn organisations(name: &str) -> String {
    format!("kind,country,name__en\nacademia,KEN,{name}\n")
}

/// Opens an upload of organisations as `token`, and sends `body` of a body of `length` bytes
/// (one that starts `gzip:` is said to be compressed, and cut short first).
fn upload_started(
    addr: std::net::SocketAddr,
    token: &str,
    body: &str,
    length: usize,
) -> std::net::TcpStream {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let coding = if body.starts_with("gzip:") {
        "Content-Encoding: gzip\r\n"
    } else {
        ""
    };
    let head = format!(
        "POST {ORGS} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: text/csv\r\n{coding}Content-Length: {length}\r\n\r\n{body}"
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream
}

/// Bodies not compressed cost the disk what their clients send while they arrive: one caller
/// has two arriving at once (one, and the retry of one that stalled), a 429 past them; one
/// whole or given up makes room.
#[actix_web::test]
async fn a_caller_has_two_uploads_arriving_at_once() {
    let app = TestApp::spawn();
    let addr = app.listen();
    let token = admin_named(&app, "arriving-uploader");
    let start = |token: String| {
        actix_web::rt::task::spawn_blocking(move || {
            upload_started(addr, &token, "kind,country,name__en\n", 100_000)
        })
    };
    let first = start(token.clone()).await.unwrap();
    let second = start(token.clone()).await.unwrap();
    let state = &app.service.state;
    assert!(
        within_seconds(&|| state.arriving_shares.taken() == 2),
        "both arriving"
    );
    let problem = app
        .upload_as(ORGS, "text/csv", organisations("Third"), Some(&token))
        .await
        .assert_problem(429, "rate_limited");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("2 bulk uploads arriving"),
        "{problem}"
    );
    // Another caller's is served meanwhile.
    let other = app
        .upload(ORGS, "text/csv", organisations("Another's"))
        .await
        .assert_ok_json();
    assert_eq!(other["created"], 1, "{other}");
    hang_up(first);
    assert!(within_seconds(&|| state.arriving_shares.taken() == 1));
    let third = app
        .upload_as(ORGS, "text/csv", organisations("Third"), Some(&token))
        .await
        .assert_ok_json();
    assert_eq!(third["created"], 1, "{third}");
    hang_up(second);
    assert!(within_seconds(&|| state.arriving_shares.callers() == 0));
}

/// JSON bodies are held in memory until they are whole: one caller has four of over 64 KiB
/// arriving at once, a 429 past them before any of it is read; its small bodies and other
/// callers' large ones are served meanwhile, and one given up makes room.
#[actix_web::test]
async fn a_caller_has_four_large_json_bodies_arriving_at_once() {
    use std::io::Write;
    let app = TestApp::spawn();
    let addr = app.listen();
    let token = admin_named(&app, "large-bodies");
    let start = |token: String| {
        actix_web::rt::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            write!(
                stream,
                "POST /api/v1/stakeholders HTTP/1.1\r\nHost: test\r\n\
                 Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
                 Content-Length: 200000\r\n\r\n{{\"kind\": "
            )
            .unwrap();
            stream
        })
    };
    let mut arriving = Vec::new();
    for _ in 0..4 {
        arriving.push(start(token.clone()).await.unwrap());
    }
    let state = &app.service.state;
    assert!(
        within_seconds(&|| state.large_bodies.taken() == 4),
        "four arriving"
    );
    let organisation = |name: &str, padding: usize| {
        format!(
            r#"{{"kind": "academia", "country": "KEN", "name": {{"en": "{name}"}}}}{}"#,
            " ".repeat(padding)
        )
    };
    let post = |token: &str, body: String| {
        Request::post()
            .uri("/api/v1/stakeholders")
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", "application/json"))
            .set_payload(body)
    };
    let reply = app.send(post(&token, organisation("Fifth", 100_000))).await;
    let problem = reply.assert_problem(429, "rate_limited");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("4 JSON bodies of over 64 KiB arriving"),
        "{problem}"
    );
    assert!(reply.header("retry-after").is_some());
    // A body sent compressed is held in memory as it arrives, however small it is coded: it
    // takes a share too.
    let coded = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(organisation("Coded", 100_000).as_bytes())
            .unwrap();
        e.finish().unwrap()
    };
    assert!(coded.len() < 4096);
    let reply = app
        .send(
            post(&token, String::new())
                .insert_header(("Content-Encoding", "gzip"))
                .set_payload(coded.clone()),
        )
        .await;
    reply.assert_problem(429, "rate_limited");
    // Its small bodies, and another caller's large one, are served meanwhile.
    let small = app.send(post(&token, organisation("Small", 0))).await;
    assert_eq!(small.status, 201, "{}", small.text());
    let other = admin_named(&app, "another-large-body");
    let others = app
        .send(post(&other, organisation("Another's", 100_000)))
        .await;
    assert_eq!(others.status, 201, "{}", others.text());
    hang_up(arriving.pop().unwrap());
    assert!(within_seconds(&|| state.large_bodies.taken() == 3));
    let fifth = app.send(post(&token, organisation("Fifth", 100_000))).await;
    assert_eq!(fifth.status, 201, "{}", fifth.text());
    let coded = app
        .send(
            post(&token, String::new())
                .insert_header(("Content-Encoding", "gzip"))
                .set_payload(coded),
        )
        .await;
    assert_eq!(coded.status, 201, "{}", coded.text());
    let names = stakeholder_names(&app).await;
    assert_eq!(names.len(), 4, "{names:?}");
    for stream in arriving {
        hang_up(stream);
    }
    assert!(within_seconds(&|| state.large_bodies.callers() == 0));
}

/// A client that pipelines requests without end on one connection (and reads the answers)
/// keeps no other connection waiting: actix-http serves them one after another within one
/// turn of its worker, which kept every other connection of that worker waiting until a new
/// one was answered 408; each request now spends part of its connection's turn.
#[actix_web::test]
async fn a_client_that_pipelines_without_end_keeps_no_other_connection_waiting() {
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicBool, Ordering};
    let app = TestApp::spawn();
    let addr = app.listen();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let flood = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            let mut reader = stream.try_clone().unwrap();
            let answers = std::thread::spawn(move || {
                let (mut sink, mut answers) = (vec![0; 1 << 16], 0);
                while let Ok(n) = reader.read(&mut sink)
                    && n > 0
                {
                    answers += sink[..n].windows(9).filter(|w| w == b"HTTP/1.1 ").count();
                }
                answers
            });
            let burst = "GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n".repeat(200);
            while !stop.load(Ordering::Relaxed) && stream.write_all(burst.as_bytes()).is_ok() {}
            let _ = stream.shutdown(std::net::Shutdown::Both);
            answers.join().unwrap()
        })
    };
    std::thread::sleep(std::time::Duration::from_secs(1));
    // Connections are handed to the workers in turn: among six, some are the flooded one's.
    for _ in 0..6 {
        let answer = actix_web::rt::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(30)))
                .unwrap();
            write!(
                stream,
                "GET /health/live HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            answer
        })
        .await
        .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    stop.store(true, Ordering::Relaxed);
    assert!(
        flood.join().unwrap() > 1000,
        "the flood was answered meanwhile"
    );
}

/// A JSON body sent in chunks says no length: it counts as large once more than 64 KiB of it
/// has arrived, so a small one is served while its caller has four large ones arriving, and
/// a large one is refused there, nothing of it written.
#[actix_web::test]
async fn a_json_body_sent_in_chunks_counts_as_large_once_it_is() {
    use std::io::{Read, Write};
    let app = TestApp::spawn();
    let addr = app.listen();
    let token = admin_named(&app, "chunked-bodies");
    let state = &app.service.state;
    let key = format!("token|{}|chunked-bodies", upr_tc_tests::ISSUER);
    let send = |name: &'static str, padding: usize| {
        let token = token.clone();
        actix_web::rt::task::spawn_blocking(move || {
            let body = format!(
                r#"{{"kind": "academia", "country": "KEN", "name": {{"en": "{name}"}}}}{}"#,
                " ".repeat(padding)
            );
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            let mut sent = write!(
                stream,
                "POST /api/v1/stakeholders HTTP/1.1\r\nHost: test\r\n\
                 Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
                 Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            );
            for piece in body.as_bytes().chunks(8192) {
                sent = sent
                    .and_then(|()| write!(stream, "{:x}\r\n", piece.len()))
                    .and_then(|()| stream.write_all(piece))
                    .and_then(|()| write!(stream, "\r\n"));
            }
            let _ = sent.and_then(|()| write!(stream, "0\r\n\r\n"));
            // A body refused part way may be cut with a reset rather than answered.
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            answer
        })
    };
    let held: Vec<_> = (0..4)
        .map(|_| state.large_bodies.try_take(key.clone()).unwrap())
        .collect();
    let small = send("Small, in chunks", 0).await.unwrap();
    assert!(small.starts_with("HTTP/1.1 201"), "{small}");
    let large = send("Large, in chunks", 100_000).await.unwrap();
    assert!(
        large.is_empty() || large.starts_with("HTTP/1.1 429") && large.contains("rate_limited"),
        "{large}"
    );
    drop(held);
    assert!(within_seconds(&|| state.large_bodies.callers() == 0));
    let served = send("Large, in chunks, later", 100_000).await.unwrap();
    assert!(served.starts_with("HTTP/1.1 201"), "{served}");
    let names = stakeholder_names(&app).await;
    assert_eq!(
        names,
        ["Small, in chunks", "Large, in chunks, later"],
        "{names:?}"
    );
    assert!(within_seconds(&|| state.large_bodies.callers() == 0));
}

/// A caller sends one bulk upload at a time: its second is a 429 before any of it is read,
/// and nothing of it is written; another caller's is served meanwhile.
#[actix_web::test]
async fn a_caller_sends_one_bulk_upload_at_a_time() {
    let app = TestApp::spawn();
    let state = &app.service.state;
    let (first, second) = (
        admin_named(&app, "first-uploader"),
        admin_named(&app, "second-uploader"),
    );
    let held = state
        .upload_shares
        .try_take(format!("token|{}|first-uploader", upr_tc_tests::ISSUER))
        .unwrap();
    let reply = app
        .upload_as(ORGS, "text/csv", organisations("Refused"), Some(&first))
        .await;
    let problem = reply.assert_problem(429, "rate_limited");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("one at a time"),
        "{problem}"
    );
    assert!(
        reply
            .header("retry-after")
            .is_some_and(|s| s.parse::<u64>().is_ok())
    );
    let served = app
        .upload_as(ORGS, "text/csv", organisations("Served"), Some(&second))
        .await
        .assert_ok_json();
    assert_eq!(served["created"], 1, "{served}");
    drop(held);
    let served = app
        .upload_as(ORGS, "text/csv", organisations("Later"), Some(&first))
        .await
        .assert_ok_json();
    assert_eq!(served["created"], 1, "{served}");
    let names = stakeholder_names(&app).await;
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(!names.contains(&"Refused".to_owned()), "{names:?}");
    assert_eq!(state.upload_shares.callers(), 0);
}

/// The caller's share is taken once its upload is whole (a compressed one's as it starts to
/// arrive, given back when its client hangs up before the body is whole); its turn to be
/// written (`UPR_TC_UPLOAD_LIMIT`) is held by the import itself, which runs on when its client has gone (else a caller could write as
/// many at once as it could open and drop connections).
#[actix_web::test]
async fn an_upload_holds_its_share_once_whole_or_compressed_and_its_turn_while_written() {
    use std::time::Duration;
    let app = TestApp::spawn_with(|s| s.limits.upload_limit = Some(1));
    let addr = app.listen();
    let state = &app.service.state;
    let send = move |token: String, body: String, length: usize| {
        actix_web::rt::task::spawn_blocking(move || upload_started(addr, &token, &body, length))
    };
    // Half a body not compressed: it costs the disk what its client sends, and takes no share
    // until it is whole, so that a retry of a stalled upload is served.
    let slow = send(
        admin_named(&app, "slow-uploader"),
        "kind,country,name__en\n".into(),
        1000,
    )
    .await
    .unwrap();
    let served = app
        .upload_as(
            ORGS,
            "text/csv",
            organisations("Retried"),
            Some(&admin_named(&app, "slow-uploader")),
        )
        .await
        .assert_ok_json();
    assert_eq!(served["created"], 1, "{served}");
    assert_eq!(state.upload_shares.callers(), 0);
    assert_eq!(state.uploads.available_permits(), 1, "no turn taken");
    hang_up(slow);
    // A compressed upload takes the share before any of it is received and decoded
    // (`decoding::middleware`): a few kilobytes may decode to the whole limit.
    let coded = send(admin_named(&app, "slow-uploader"), "gzip:".into(), 1000)
        .await
        .unwrap();
    assert!(
        within_seconds(&|| state.upload_shares.callers() == 1),
        "the share is taken while a compressed body arrives"
    );
    let busy = app
        .upload_as(
            ORGS,
            "text/csv",
            organisations("Beside"),
            Some(&admin_named(&app, "slow-uploader")),
        )
        .await;
    busy.assert_problem(429, "rate_limited");
    hang_up(coded);
    assert!(
        within_seconds(&|| state.upload_shares.callers() == 0),
        "given back when the client hangs up"
    );
    // A whole upload, held as it is written.
    let hold = upr_tc::held::hold("held-uploader");
    let body = organisations("Held");
    let writing = send(admin_named(&app, "held-uploader"), body.clone(), body.len())
        .await
        .unwrap();
    assert!(
        within_seconds(&|| upr_tc::held::holding("held-uploader")),
        "the import runs"
    );
    assert_eq!(state.uploads.available_permits(), 0, "its turn taken");
    hang_up(writing);
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        state.uploads.available_permits(),
        0,
        "still held by the import after its client hung up"
    );
    assert_eq!(state.upload_shares.callers(), 1, "and the caller's share");
    drop(hold);
    assert!(
        within_seconds(
            &|| state.uploads.available_permits() == 1 && state.upload_shares.callers() == 0
        ),
        "given back once the import is done"
    );
    assert_eq!(app.all("/api/v1/stakeholders").await.len(), 2, "written");
}

/// An upload received whole waits for its turn to be written (`UPR_TC_UPLOAD_LIMIT`), then is
/// a 503 with `Retry-After`, nothing of it written, while another holds every turn.
#[actix_web::test]
async fn an_upload_waits_for_its_turn_then_is_told_to_retry() {
    let app = TestApp::spawn_with(|s| {
        s.limits.upload_limit = Some(1);
        s.limits.upload_wait = std::time::Duration::from_millis(300);
    });
    let state = &app.service.state;
    let turn = state.uploads.clone().try_acquire_owned().unwrap();
    let reply = app.upload(ORGS, "text/csv", organisations("Waited")).await;
    reply.assert_problem(503, "service_unavailable");
    assert!(
        reply
            .header("retry-after")
            .is_some_and(|s| s.parse::<u64>().is_ok())
    );
    assert!(app.all("/api/v1/stakeholders").await.is_empty());
    assert_eq!(
        state.upload_shares.callers(),
        0,
        "the caller's share given back"
    );
    drop(turn);
    let written = app
        .upload(ORGS, "text/csv", organisations("Waited"))
        .await
        .assert_ok_json();
    assert_eq!(written["created"], 1, "{written}");
}
