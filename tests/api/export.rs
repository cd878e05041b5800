//! Lists as files: `Accept: text/csv` and `application/x-ndjson` stream the whole filtered
//! result; CSV uses the import columns, so an export can be edited and imported again.

use serde_json::Value;
use upr_tc_tests::{Request, TestApp, json, recommendation, stakeholder};

async fn export(
    app: &TestApp,
    path: &str,
    accept: &str,
    token: Option<&str>,
) -> upr_tc_tests::Reply {
    let mut req = Request::get().uri(path).insert_header(("Accept", accept));
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    app.send(req).await
}

fn csv_rows(text: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect()
}

#[actix_web::test]
async fn every_matching_item_is_exported_past_one_page() {
    let app = TestApp::spawn();
    let lines: Vec<String> = (0..620)
        .map(|i| json!({"state_under_review": if i % 2 == 0 { "KEN" } else { "FRA" }, "session": 8, "text": {"en": format!("Item {i}.")}}).to_string())
        .collect();
    let r = app
        .upload(
            "/api/v1/bulk/recommendations",
            "application/x-ndjson",
            lines.join("\n"),
        )
        .await;
    assert_eq!(r.assert_ok_json()["created"], 620);

    let reply = export(
        &app,
        "/api/v1/recommendations?state_under_review=KEN",
        "application/x-ndjson",
        None,
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type(), "application/x-ndjson");
    let items: Vec<Value> = reply
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(items.len(), 310);
    assert!(items.iter().all(|i| i["state_under_review"] == "KEN"));
    let listed = app
        .all("/api/v1/recommendations?state_under_review=KEN")
        .await;
    assert_eq!(
        items, listed,
        "the export holds what the list pages hold, in the same order"
    );

    let reply = export(&app, "/api/v1/recommendations?q=item", "text/csv", None).await;
    assert!(reply.content_type().starts_with("text/csv"));
    assert_eq!(csv_rows(&reply.text()).len(), 620);
}

#[actix_web::test]
async fn csv_exports_round_trip_and_never_carry_formulas() {
    let app = TestApp::spawn();
    let mut formula = recommendation("KEN", 8, "=HYPERLINK(\"http://evil.example\",\"click\")");
    formula["text"]["fr"] = json!("Ratifier, vite.");
    formula["response_original"] = json!("@SUM(A1:A2)");
    app.create("/api/v1/recommendations", &formula).await;
    app.create(
        "/api/v1/recommendations",
        &recommendation("UGA", 12, "Adopt a law\non torture, soon."),
    )
    .await;

    let reply = export(&app, "/api/v1/recommendations", "text/csv", None).await;
    let text = reply.text();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let ken = rows
        .iter()
        .find(|r| &r[col("state_under_review")] == "KEN")
        .unwrap();
    assert!(
        ken[col("text__en")].starts_with("'="),
        "a formula is neutralised: {}",
        &ken[col("text__en")]
    );
    assert!(ken[col("response_original")].starts_with("'@"));
    assert_eq!(&ken[col("text__fr")], "Ratifier, vite.");
    assert_eq!(&ken[col("recommending_states")], "AUT|BRA");
    let uga = rows
        .iter()
        .find(|r| &r[col("state_under_review")] == "UGA")
        .unwrap();
    assert_eq!(&uga[col("text__en")], "Adopt a law\non torture, soon.");

    // The export imports into another repository as the same recommendations.
    let other = TestApp::spawn();
    let r = other
        .upload("/api/v1/bulk/recommendations", "text/csv", text.clone())
        .await
        .assert_ok_json();
    assert_eq!(
        (r["created"].as_u64(), r["rejected"].as_u64()),
        (Some(2), Some(0)),
        "{r}"
    );
    let copy = other
        .all("/api/v1/recommendations?state_under_review=UGA")
        .await;
    assert_eq!(copy[0]["text"]["en"], "Adopt a law\non torture, soon.");
    assert_eq!(copy[0]["themes"], json!(["womens_rights"]));
    // So does the NDJSON export, into this repository (unchanged: its lines' ids) and another.
    let lines = export(
        &app,
        "/api/v1/recommendations",
        "application/x-ndjson",
        None,
    )
    .await
    .text();
    let r = app
        .upload(
            "/api/v1/bulk/recommendations",
            "application/x-ndjson",
            lines.clone(),
        )
        .await
        .assert_ok_json();
    assert_eq!(r["unchanged"], 2, "{r}");
    let third = TestApp::spawn();
    let r = third
        .upload(
            "/api/v1/bulk/recommendations",
            "application/x-ndjson",
            lines,
        )
        .await
        .assert_ok_json();
    assert_eq!(r["created"], 2, "{r}");
}

#[actix_web::test]
async fn a_stakeholder_export_keeps_contact_details_private() {
    let app = TestApp::spawn();
    app.create(
        "/api/v1/stakeholders",
        &stakeholder("nhri", Some("KEN"), "KNCHR"),
    )
    .await;
    let public = export(&app, "/api/v1/stakeholders", "application/x-ndjson", None)
        .await
        .text();
    assert!(!public.contains("focal@example.org"));
    let public_csv = export(&app, "/api/v1/stakeholders", "text/csv", None)
        .await
        .text();
    assert!(!public_csv.contains("focal@example.org"));
    assert!(public_csv.contains("KNCHR"));
    let admin = export(
        &app,
        "/api/v1/stakeholders",
        "text/csv",
        Some(&app.admin_token()),
    )
    .await
    .text();
    assert!(admin.contains("focal@example.org"));
}

#[actix_web::test]
async fn a_bad_filter_is_a_problem_before_any_export_starts() {
    let app = TestApp::spawn();
    let reply = export(
        &app,
        "/api/v1/recommendations?theme=astrology",
        "text/csv",
        None,
    )
    .await;
    reply.assert_problem(400, "invalid_parameter");
}

#[actix_web::test]
async fn a_csv_export_imports_back_unchanged_whatever_its_cells_begin_with() {
    let app = TestApp::spawn();
    let tricky = [
        "+1 555 0100",
        "=SUM(A1)",
        "-5",
        "@x",
        "'quoted",
        "''",
        "'+1",
        "plain",
    ];
    for (i, value) in tricky.iter().enumerate() {
        let mut body = stakeholder("civil_society_organization", None, value);
        body["name"]["fr"] = json!(format!("{value} {i}"));
        body["acronym"] = json!({"en": value});
        body["contact"]["phone"] = json!(value);
        app.create("/api/v1/stakeholders", &body).await;
    }
    let admin = app.admin_token();
    let csv = export(&app, "/api/v1/stakeholders", "text/csv", Some(&admin))
        .await
        .text();
    let before = app.all("/api/v1/stakeholders").await;

    // Imported back into the same repository, nothing changes.
    let r = app
        .upload("/api/v1/bulk/stakeholders", "text/csv", csv.clone())
        .await
        .assert_ok_json();
    assert_eq!(
        (r["unchanged"].as_u64(), r["updated"].as_u64()),
        (Some(tricky.len() as u64), Some(0)),
        "{r}"
    );

    // Into another one, each value arrives as it was typed.
    let other = TestApp::spawn();
    other
        .upload("/api/v1/bulk/stakeholders", "text/csv", csv)
        .await
        .assert_ok_json();
    let admin = other.admin_token();
    for item in &before {
        let copy = other
            .get_as(
                &format!("/api/v1/stakeholders/{}", item["id"].as_str().unwrap()),
                &admin,
            )
            .await
            .assert_ok_json();
        let value = item["name"]["en"].as_str().unwrap();
        assert_eq!(copy["name"], item["name"], "{value}");
        assert_eq!(copy["acronym"]["en"], value);
        assert_eq!(copy["contact"]["phone"], value);
    }
}

/// What a browser sends when a person opens an address: it cannot ask for CSV with `Accept`.
const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// Asserts that `reply` is a file to save, named `upr-tc-{name}-{today}.{extension}`.
#[track_caller]
fn downloaded(reply: &upr_tc_tests::Reply, name: &str, extension: &str) {
    assert_eq!(reply.status, 200, "{}", reply.text());
    let today = chrono::Utc::now().format("%Y-%m-%d");
    assert_eq!(
        reply.header("content-disposition"),
        Some(format!("attachment; filename=\"upr-tc-{name}-{today}.{extension}\"").as_str()),
    );
}

#[actix_web::test]
async fn a_browser_downloads_a_list_as_a_file_with_format() {
    use crate::activities::{consent, item, organisation, submit};
    use upr_tc::auth::Role;

    let app = TestApp::spawn();
    for (state, text) in [("KEN", "Ratify the convention."), ("FRA", "Adopt a law.")] {
        app.create("/api/v1/recommendations", &recommendation(state, 8, text))
            .await;
    }

    // `format` from a browser: the whole list as a file, named for the list and the day.
    let reply = export(&app, "/api/v1/recommendations?format=csv", BROWSER, None).await;
    downloaded(&reply, "recommendations", "csv");
    assert!(reply.content_type().starts_with("text/csv"));
    assert_eq!(csv_rows(&reply.text()).len(), 2);
    let reply = export(
        &app,
        "/api/v1/recommendations?format=ndjson&state_under_review=KEN",
        BROWSER,
        None,
    )
    .await;
    downloaded(&reply, "recommendations", "ndjson");
    assert_eq!(reply.text().lines().count(), 1, "the filter still applies");

    // Asked with `Accept`, a file too; `format` wins over `Accept`, `json` is the page.
    let reply = export(&app, "/api/v1/recommendations", "text/csv", None).await;
    downloaded(&reply, "recommendations", "csv");
    let reply = export(
        &app,
        "/api/v1/recommendations?format=json",
        "text/csv",
        None,
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type(), "application/json");
    assert_eq!(reply.header("content-disposition"), None);
    assert_eq!(reply.json()["items"].as_array().unwrap().len(), 2);
    let reply = export(&app, "/api/v1/stakeholders?format=csv", "*/*", None).await;
    downloaded(&reply, "stakeholders", "csv");
    for list in ["offers", "assistance-requests"] {
        let token = app.admin_token();
        let path = format!("/api/v1/{list}?format=ndjson");
        let reply = export(&app, &path, "*/*", Some(&token)).await;
        downloaded(&reply, list, "ndjson");
    }

    // Recommendations have no XML form; a format nobody serves is refused, naming the choices.
    for junk in ["xml", "xlsx", "CSV", ""] {
        let reply = export(
            &app,
            &format!("/api/v1/recommendations?format={junk}"),
            BROWSER,
            None,
        )
        .await;
        let problem = reply.assert_problem(400, "invalid_query");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("`ndjson`"), "{junk}: {detail}");
    }

    // Activities: the list and one activity as IATI XML, and a report's table as CSV.
    let (_, token) = organisation(&app, "Kituo Cha Sheria").await;
    let public = submit(&app, &token, &upr_tc_tests::activity(&["KEN"], "Training")).await;
    let state = app.token(Role::State, Some("KEN"), None);
    consent(&app, &state, json!({"decision": "granted", "scope": "all"})).await;
    let reply = export(&app, "/api/v1/activities?format=xml", BROWSER, None).await;
    downloaded(&reply, "activities", "xml");
    assert!(reply.content_type().starts_with("application/xml"));
    assert!(reply.text().contains("<iati-activities"));
    let reply = export(
        &app,
        &format!("{}?format=xml", item(&public)),
        BROWSER,
        None,
    )
    .await;
    let id = public["id"].as_str().unwrap();
    downloaded(&reply, &format!("activity-{id}"), "xml");
    assert!(reply.text().contains("<iati-activity"));
    let reply = export(
        &app,
        &format!("{}?format=json", item(&public)),
        XML_ONLY,
        None,
    )
    .await;
    assert_eq!(reply.content_type(), "application/json");
    assert_eq!(reply.json()["id"], public["id"]);
    let reply = export(
        &app,
        &format!("{}?format=csv", item(&public)),
        BROWSER,
        None,
    )
    .await;
    reply.assert_problem(400, "invalid_query");

    let year = chrono::Utc::now().format("%Y");
    let path = format!("/api/v1/reports/annual/{year}/activities_by_state?format=csv");
    let reply = export(&app, &path, BROWSER, None).await;
    downloaded(&reply, &format!("annual-{year}-activities_by_state"), "csv");
    assert!(reply.text().contains("KEN"), "{}", reply.text());

    // The snapshot partners start from is a file too.
    let token = app.token(Role::Sync, None, None);
    let reply = export(&app, "/api/v1/export", "*/*", Some(&token)).await;
    downloaded(&reply, "snapshot", "ndjson");
}

const XML_ONLY: &str = "application/xml";

/// The byte order mark that tells a spreadsheet a CSV file is UTF-8.
const BOM: &[u8] = b"\xEF\xBB\xBF";

#[actix_web::test]
async fn a_csv_file_for_a_browser_begins_with_a_byte_order_mark() {
    let app = TestApp::spawn();
    let mut arabic = recommendation(
        "KEN",
        8,
        "Ratifier la convention relative aux droits de l'élève.",
    );
    arabic["text"]["ar"] = json!("التصديق على الاتفاقية");
    app.create("/api/v1/recommendations", &arabic).await;
    app.create(
        "/api/v1/recommendations",
        &recommendation("KEN", 8, "Сократить сроки содержания под стражей."),
    )
    .await;
    let starts_with_mark = |reply: &upr_tc_tests::Reply| {
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert!(reply.content_type().starts_with("text/csv"));
        assert!(
            reply.header("vary").is_some_and(|v| v.contains("Accept")),
            "{:?}",
            reply.header("vary")
        );
        reply.body.starts_with(BOM)
    };

    // A browser's download: the mark once, before the header line; the rows as without it.
    let list = "/api/v1/recommendations?format=csv";
    let for_people = export(&app, list, BROWSER, None).await;
    assert!(starts_with_mark(&for_people));
    assert_eq!(for_people.body.windows(3).filter(|w| *w == BOM).count(), 1);
    let for_programs = export(&app, list, "*/*", None).await;
    assert!(!starts_with_mark(&for_programs));
    assert_eq!(&for_people.body[BOM.len()..], &for_programs.body[..]);
    assert!(!starts_with_mark(
        &export(&app, "/api/v1/recommendations", "text/csv", None).await
    ));
    // A client that says it takes no HTML (`q=0`) is no browser.
    let no_html = export(&app, list, "text/html;q=0, text/csv", None).await;
    assert!(!starts_with_mark(&no_html));

    // Imported back, with its mark, nothing changes.
    let r = app
        .upload(
            "/api/v1/bulk/recommendations",
            "text/csv",
            for_people.body.clone(),
        )
        .await
        .assert_ok_json();
    assert_eq!(
        (r["unchanged"].as_u64(), r["created"].as_u64()),
        (Some(2), Some(0)),
        "{r}"
    );

    // One review as OHCHR's matrix lists it.
    let matrix = "/api/v1/recommendations?state_under_review=KEN&session=8&format=matrix";
    assert!(starts_with_mark(&export(&app, matrix, BROWSER, None).await));
    assert!(!starts_with_mark(&export(&app, matrix, "*/*", None).await));

    // A report's table: two bodies, so two tags; one is no 304 for the other.
    let year = chrono::Utc::now().format("%Y");
    let table = format!("/api/v1/reports/annual/{year}/activities_by_state?format=csv");
    let for_people = export(&app, &table, BROWSER, None).await;
    let for_programs = export(&app, &table, "*/*", None).await;
    assert!(starts_with_mark(&for_people));
    assert!(!starts_with_mark(&for_programs));
    assert_ne!(for_people.header("etag"), for_programs.header("etag"));
    // A browser holding one variant's tag.
    let holding = |reply: &upr_tc_tests::Reply| {
        Request::get()
            .uri(&table)
            .insert_header(("Accept", BROWSER))
            .insert_header(("If-None-Match", reply.header("etag").unwrap().to_owned()))
    };
    assert!(starts_with_mark(&app.send(holding(&for_programs)).await));
    assert_eq!(app.send(holding(&for_people)).await.status, 304);
}
