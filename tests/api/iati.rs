//! Activities as IATI 2.03 XML: `Accept: application/xml` on one activity and on the list,
//! valid against the IATI schema, under the same publication rule as every public surface.

use actix_web::http::Method;
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc_tests::{Request, TestApp, activity, json, stakeholder};

use crate::activities::{consent, item, organisation, submit};

const XML: &str = "application/xml";
const LIST: &str = "/api/v1/activities";

/// GET with `Accept: application/xml` (and a token, and other headers, when given).
async fn xml(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> upr_tc_tests::Reply {
    let mut req = Request::get().uri(path).insert_header(("Accept", XML));
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    for (name, value) in headers {
        req = req.insert_header((*name, *value));
    }
    app.send(req).await
}

/// Asserts a 200 XML answer that the IATI 2.03 schema accepts; returns its text.
#[track_caller]
fn valid_iati(reply: &upr_tc_tests::Reply) -> String {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        reply.content_type().starts_with(XML),
        "content type {}",
        reply.content_type()
    );
    let text = reply.text();
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/iati-schema/iati-activities-schema.xsd");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("activities.xml");
    std::fs::write(&file, &text).unwrap();
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&file)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "xmllint could not run ({e}): install it with `apt-get install -y libxml2-utils` (CI does)"
            )
        });
    assert!(
        out.status.success(),
        "not valid IATI 2.03:\n{}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// An activity's IATI identifier: its reporting organisation's (its submitter's) ref, a
/// hyphen and its id (IATI rule 1.1.21).
fn identifier(a: &Value) -> String {
    format!(
        "<iati-identifier>XI-UPRTC-{}-{}</iati-identifier>",
        a["submitter"].as_str().unwrap(),
        a["id"].as_str().unwrap()
    )
}

#[actix_web::test]
async fn one_activity_and_the_list_read_as_valid_iati_and_only_public_ones_for_the_public() {
    let app = TestApp::spawn();
    let (org, token) = organisation(&app, "Kituo Cha Sheria").await;
    let funder = app
        .create(
            "/api/v1/stakeholders",
            &stakeholder("un_entity", None, "OHCHR"),
        )
        .await;
    let mut body = activity(&["KEN", "UGA"], "Child justice training");
    body["summary"]["fr"] = json!("Formation des juges & procureurs <2026>.");
    body["participants"] = json!([{"stakeholder": funder["id"], "role": "funding"}]);
    body["results"] = json!({"en": "120 judges trained."});
    body["actual_start"] = json!("2026-02-01");
    let public = submit(&app, &token, &body).await;
    let hidden = submit(&app, &token, &activity(&["TZA"], "Hidden training")).await;
    for state in ["KEN", "UGA"] {
        let t = app.token(Role::State, Some(state), None);
        consent(&app, &t, json!({"decision": "granted", "scope": "all"})).await;
    }

    // One activity.
    let reply = xml(&app, &item(&public), None, &[]).await;
    let text = valid_iati(&reply);
    for needle in [
        identifier(&public),
        format!(r#"<reporting-org ref="XI-UPRTC-{org}" type="22">"#),
        format!(
            r#"<participating-org ref="XI-UPRTC-{}" role="1" type="40">"#,
            funder["id"].as_str().unwrap()
        ),
        format!(r#"<participating-org ref="XI-UPRTC-{org}" role="2" type="22">"#),
        r#"<narrative xml:lang="en">Child justice training</narrative>"#.into(),
        r#"<narrative xml:lang="fr">Child justice training (fr)</narrative>"#.into(),
        r#"<narrative xml:lang="fr">Formation des juges &amp; procureurs &lt;2026&gt;.</narrative>"#
            .into(),
        r#"<activity-status code="2"/>"#.into(),
        r#"<activity-date type="2" iso-date="2026-02-01"/>"#.into(),
        r#"<recipient-country code="KE" percentage="50"/>"#.into(),
        r#"<recipient-country code="UG" percentage="50"/>"#.into(),
        r#"<sector vocabulary="1" code="15160" percentage="100"/>"#.into(),
        r#"<tag vocabulary="3" code="16.3"/>"#.into(),
        r#"<value currency="USD" value-date="2026-01-15">25000.00</value>"#.into(),
        r#"<document-link url="https://example.org/report.pdf" format="application/pdf">"#
            .into(),
    ] {
        assert!(text.contains(&needle), "no `{needle}` in\n{text}");
    }

    // Its own weak ETag, honoured, and changed when a stakeholder it names is renamed.
    let tag = reply.header("etag").unwrap().to_owned();
    assert!(tag.starts_with("W/\"iati-"), "{tag}");
    let json_tag = app.get(&item(&public)).await;
    assert_ne!(json_tag.header("etag"), Some(tag.as_str()));
    let vary = |r: &upr_tc_tests::Reply| {
        r.header("vary")
            .is_some_and(|v| v.split(',').any(|h| h.trim() == "Accept"))
    };
    assert!(
        vary(&json_tag) && vary(&reply),
        "both representations say they vary"
    );
    let again = xml(&app, &item(&public), None, &[("If-None-Match", &tag)]).await;
    assert_eq!(again.status, 304);
    let renamed = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/stakeholders/{}", funder["id"].as_str().unwrap()),
            Some(&app.admin_token()),
            &json!({"name": {"en": "Office of the High Commissioner"}}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    let after = xml(&app, &item(&public), None, &[("If-None-Match", &tag)]).await;
    assert!(
        valid_iati(&after).contains("Office of the High Commissioner"),
        "the new name is served"
    );
    assert_ne!(after.header("etag"), Some(tag.as_str()));

    // Not public: absent for the public, present for admin.
    xml(&app, &item(&hidden), None, &[])
        .await
        .assert_problem(404, "not_found");
    let admin = app.admin_token();
    let text = valid_iati(&xml(&app, &item(&hidden), Some(&admin), &[]).await);
    assert!(text.contains(&identifier(&hidden)), "{text}");

    // The list: one document.
    let text = valid_iati(&xml(&app, LIST, None, &[]).await);
    assert_eq!(text.matches("<iati-activity ").count(), 1, "{text}");
    assert!(text.contains(&identifier(&public)), "{text}");
    assert!(!text.contains(&identifier(&hidden)), "{text}");
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let text = valid_iati(&xml(&app, LIST, Some(&admin), &[]).await);
    assert_eq!(text.matches("<iati-activity ").count(), 2, "{text}");
    assert!(text.contains(&identifier(&hidden)), "{text}");
    // With the list's filters.
    let text = valid_iati(&xml(&app, &format!("{LIST}?state=TZA"), Some(&admin), &[]).await);
    assert_eq!(text.matches("<iati-activity ").count(), 1, "{text}");
    assert!(text.contains(&identifier(&hidden)), "{text}");

    // Kinds without an XML form refuse it (406), as any `Accept` that takes none of what they
    // answer with; a browser's `Accept`, which ends with `*/*`, gets JSON.
    xml(&app, "/api/v1/stakeholders", None, &[])
        .await
        .assert_problem(406, "not_acceptable");
    app.send(Request::get().uri(LIST).insert_header((
        "Accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    )))
    .await
    .assert_ok_json();
}

#[actix_web::test]
async fn the_xml_list_holds_every_matching_activity_past_one_page() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Kituo Cha Sheria").await;
    // Past the export's page of 500: the document spans pages, and stays one document.
    let lines: Vec<String> = (0..520)
        .map(|i| {
            let mut a = activity(&["KEN"], &format!("Training {i}"));
            a["publication"] = json!("draft");
            a.to_string()
        })
        .collect();
    let report = app
        .upload_as(
            "/api/v1/bulk/activities",
            "application/x-ndjson",
            lines.join("\n"),
            Some(&token),
        )
        .await
        .assert_ok_json();
    assert_eq!(report["created"], 520, "{report}");

    let text = valid_iati(&xml(&app, LIST, Some(&token), &[]).await);
    assert_eq!(text.matches("<iati-activity ").count(), 520);
    assert_eq!(text.matches("<iati-activities ").count(), 1);
    assert!(text.trim_end().ends_with("</iati-activities>"));
    // Drafts are nobody's business but their submitter's.
    let empty = xml(&app, LIST, None, &[]).await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.text().matches("<iati-activity ").count(), 0);
}
