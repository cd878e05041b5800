//! OHCHR UPR matrices (`format=ohchr-matrix`): Word documents the tests build in each
//! cycle's way of writing them, documents that are not matrices, damaged archives, and a
//! matrix whose recommendations a UPR Info export stored first.

use std::io::Write;

use upr_tc::auth::Role;
use upr_tc_tests::{TestApp, counted, json, told};

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const RECS: &str = "/api/v1/bulk/recommendations";

/// A table row: a heading across the table, or cells of lines.
#[derive(Clone)]
enum Row<'a> {
    Heading(&'a str),
    Cells(Vec<Vec<&'a str>>),
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A paragraph, its text cut into runs where Word would (every 7 characters).
fn paragraph(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let runs: String = chars
        .chunks(7)
        .map(|c| {
            let t: String = c.iter().collect();
            format!(
                r#"<w:r><w:t xml:space="preserve">{}</w:t></w:r>"#,
                escape(&t)
            )
        })
        .collect();
    format!("<w:p>{runs}</w:p>")
}

/// A Word document: an optional page header, paragraphs before the table, and the table.
fn docx(header: Option<&str>, before: &[&str], columns: &[&str], rows: &[Row<'_>]) -> Vec<u8> {
    docx_of_tables(header, before, &[(columns, rows)])
}

/// A table: its header row, then its rows.
fn table(columns: &[&str], rows: &[Row<'_>]) -> String {
    let mut table = String::from("<w:tbl>");
    let cell = |lines: &[&str]| {
        let ps: String = lines.iter().map(|l| paragraph(l)).collect();
        // A cell holds at least one paragraph.
        format!(
            "<w:tc>{}</w:tc>",
            if ps.is_empty() { "<w:p/>".into() } else { ps }
        )
    };
    // No columns: a table without a header row.
    if !columns.is_empty() {
        table.push_str("<w:tr>");
        for c in columns {
            table.push_str(&cell(&[c]));
        }
        table.push_str("</w:tr>");
    }
    for row in rows {
        table.push_str("<w:tr>");
        match row {
            Row::Heading(text) => table.push_str(&format!(
                r#"<w:tc><w:tcPr><w:gridSpan w:val="{}"/></w:tcPr>{}</w:tc>"#,
                columns.len(),
                paragraph(text)
            )),
            Row::Cells(cells) => {
                for c in cells {
                    table.push_str(&cell(c));
                }
            }
        }
        table.push_str("</w:tr>");
    }
    table.push_str("</w:tbl>");
    table
}

/// A Word document of several tables, a paragraph between each two.
fn docx_of_tables(
    header: Option<&str>,
    before: &[&str],
    tables: &[(&[&str], &[Row<'_>])],
) -> Vec<u8> {
    let all: String = tables
        .iter()
        .map(|(columns, rows)| table(columns, rows) + "<w:p/>")
        .collect();
    let body: String = before.iter().map(|p| paragraph(p)).collect();
    const NS: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {NS}><w:body>{body}{all}</w:body></w:document>"#
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let mut part = |name: &str, text: &str| {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    };
    part(
        "[Content_Types].xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#,
    );
    part(
        "_rels/.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#,
    );
    part("word/document.xml", &document);
    if let Some(header) = header {
        part(
            "word/header1.xml",
            &format!(r#"<w:hdr {NS}>{}</w:hdr>"#, paragraph(header)),
        );
    }
    zip.finish().unwrap().into_inner()
}

const FOURTH: [&str; 4] = [
    "Recommendation and recommending State",
    "Position of the State under review",
    "Human rights themes and groups of persons",
    "Relevant SDGs",
];

/// A 4th-cycle matrix: the review in the page header, groups of persons inside the themes
/// column, SDGs in their own, one paragraph with two texts, a theme no vocabulary has, empty
/// cells.
fn fourth_cycle() -> Vec<u8> {
    docx(
        Some("UPR of Slovenia (4th Cycle - 48th Session) Thematic list of recommendations*"),
        &[],
        &FOURTH,
        &[
            Row::Heading("Theme: Ratification of & accession to international instruments"),
            Row::Cells(vec![
                vec![
                    "140.7 Ratify the Optional Protocol to the International Covenant on Economic, Social and Cultural Rights (Maldives) (Portugal);",
                    "Source of Position: A/HRC/59/15/Add.1 - Para.3",
                ],
                vec!["Supported"],
                vec![
                    "- Ratification of & accession to international instruments",
                    "- Economic, social & cultural rights - general measures of implementation",
                    "Groups of Persons: ",
                    "- Public officials",
                ],
                vec![
                    "- 1 - NO POVERTY",
                    "- 16 - PEACE, JUSTICE AND STRONG INSTITUTIONS",
                ],
            ]),
            Row::Cells(vec![
                vec![
                    "140.8 Complete the process of ratification of the Convention (Ukraine); Increase efforts towards ratification of the Convention, 1930 (No. 29) (Slovakia) (Venezuela (Bolivarian Republic of));",
                    "Source of Position: A/HRC/59/15/Add.1 - Para.4",
                ],
                vec!["Supported/Noted"],
                vec![
                    "- Ratification of & accession to international instruments",
                    "- Space law & human rights",
                    "Groups of Persons: ",
                    "- Astronauts",
                    "- Stateless persons",
                ],
                vec!["- 10 - REDUCED INEQUALITIES", "- 99 - NOT A GOAL"],
            ]),
            Row::Heading("Theme: Right to education"),
            Row::Cells(vec![
                vec![
                    "140.9 Guarantee access to education for Roma children (Chile).",
                    "Source of Position: A/HRC/59/15/Add.1 - Para.5",
                ],
                vec!["Noted"],
                vec![],
                vec![],
            ]),
        ],
    )
}

#[actix_web::test]
async fn a_fourth_cycle_matrix_imports_each_text_with_its_row() {
    let app = TestApp::spawn();
    let url = format!("{RECS}?format=ohchr-matrix");
    let r = app
        .upload(&url, DOCX, fourth_cycle())
        .await
        .assert_ok_json();
    assert_eq!(
        (&r["received"], &r["created"], &r["rejected"], &r["matched"]),
        (&json!(4), &json!(4), &json!(0), &json!(0)),
        "{r}"
    );
    // The parameter alone says what the file is, whatever generic type a client sends.
    for generic in [
        "application/octet-stream",
        "application/x-www-form-urlencoded",
        "text/csv",
    ] {
        let again = app
            .upload(&url, generic, fourth_cycle())
            .await
            .assert_ok_json();
        assert_eq!(again["unchanged"], 4, "{generic}: {again}");
    }
    // The theme, the group and the SDG no vocabulary has, each on its row.
    let warnings: Vec<(u64, &str)> = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["line"].as_u64().unwrap(), w["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        warnings,
        vec![
            (4, "unknown_theme"),
            (4, "unknown_group_of_persons"),
            (4, "unknown_sdg")
        ],
        "{r}"
    );

    let recs = app
        .all("/api/v1/recommendations?state_under_review=SVN&session=48")
        .await;
    assert_eq!(recs.len(), 4);
    let by_start = |start: &str| {
        recs.iter()
            .find(|r| r["text"]["en"].as_str().unwrap().starts_with(start))
            .unwrap_or_else(|| panic!("no text starts with {start}: {recs:?}"))
    };
    let first = by_start("Ratify the Optional Protocol");
    assert_eq!(
        first["text"]["en"],
        "Ratify the Optional Protocol to the International Covenant on Economic, Social and Cultural Rights"
    );
    assert_eq!(first["recommending_states"], json!(["MDV", "PRT"]));
    assert_eq!(first["paragraph"], "140.7");
    assert_eq!(first["cycle"], 4);
    // The matrix names the session, not the year: the 48th was held in 2025.
    assert_eq!(first["review_year"], 2025);
    assert_eq!(first["response"], "supported");
    assert_eq!(
        first["source"],
        json!({"symbol": "A/HRC/59/15/Add.1", "paragraph": "3"})
    );
    assert_eq!(
        first["themes"],
        json!(["uhri_ratification_accession", "uhri_esc_rights_general"])
    );
    assert_eq!(first["affected_persons"], json!(["public_officials"]));
    assert_eq!(first["sdg_goals"], json!(["1", "16"]));
    assert_eq!(first["sources"], json!(["ohchr-matrix"]));

    // One paragraph, two texts: each its own States, both the paragraph's number and row.
    let ukraine = by_start("Complete the process");
    let slovakia = by_start("Increase efforts");
    assert_eq!(ukraine["recommending_states"], json!(["UKR"]));
    assert_eq!(
        slovakia["text"]["en"],
        "Increase efforts towards ratification of the Convention, 1930 (No. 29)"
    );
    assert_eq!(slovakia["recommending_states"], json!(["SVK", "VEN"]));
    for rec in [ukraine, slovakia] {
        assert_eq!(rec["paragraph"], "140.8");
        assert_eq!(rec["response"], "supported_in_part");
        assert_eq!(rec["response_original"], "Supported/Noted");
        assert_eq!(rec["themes"], json!(["uhri_ratification_accession"]));
        assert_eq!(rec["themes_original"], json!(["Space law & human rights"]));
        assert_eq!(rec["affected_persons"], json!(["stateless_persons"]));
        assert_eq!(rec["affected_persons_original"], json!(["Astronauts"]));
        assert_eq!(rec["sdg_goals"], json!(["10"]));
    }
    // Empty cells: nothing said, nothing stored.
    let roma = by_start("Guarantee access");
    assert_eq!(roma["recommending_states"], json!(["CHL"]));
    assert_eq!(roma["response"], "noted");
    assert_eq!(roma["themes"], json!([]));
    for absent in ["sdg_goals", "themes_original", "affected_persons_original"] {
        assert!(
            roma.get(absent).is_none(),
            "{absent} is left out when empty: {roma}"
        );
    }

    // Found by SDG goal and by source.
    for (query, n) in [
        ("sdg_goal=16", 1),
        ("sdg_goal=10", 2),
        ("source=ohchr-matrix", 4),
        ("source=upr-info", 0),
        ("sdg_goal=16&source=ohchr-matrix", 1),
    ] {
        let found = app.all(&format!("/api/v1/recommendations?{query}")).await;
        assert_eq!(found.len(), n, "{query}");
    }
    app.get("/api/v1/recommendations?sdg_goal=18")
        .await
        .assert_problem(400, "invalid_parameter");

    // The same matrix again changes nothing.
    let again = app
        .upload(&url, DOCX, fourth_cycle())
        .await
        .assert_ok_json();
    assert_eq!(
        (
            &again["created"],
            &again["updated"],
            &again["unchanged"],
            &again["matched"]
        ),
        (&json!(0), &json!(0), &json!(4), &json!(4)),
        "{again}"
    );
    // And the content type alone says what it is.
    let plain = app
        .upload(RECS, DOCX, fourth_cycle())
        .await
        .assert_ok_json();
    assert_eq!(plain["unchanged"], 4, "{plain}");
}

#[actix_web::test]
async fn a_review_is_given_back_in_the_columns_of_the_matrix() {
    let app = TestApp::spawn();
    app.upload(&format!("{RECS}?format=ohchr-matrix"), DOCX, fourth_cycle())
        .await
        .assert_ok_json();
    let reply = app
        .get("/api/v1/recommendations?state_under_review=Slovenia&session=48&format=matrix")
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text());
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/csv")
    );
    let disposition = reply.header("content-disposition").unwrap().to_owned();
    assert!(
        disposition.contains("upr-tc-matrix-SVN-48-"),
        "{disposition}"
    );
    let text = reply.text();
    let mut csv = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = csv.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        header,
        [
            "Paragraph",
            "Recommendation",
            "Recommending States",
            "Position",
            "Source of position",
            "Themes",
            "Groups of persons",
            "SDGs"
        ]
    );
    let rows: Vec<Vec<String>> = csv
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let paragraphs: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(paragraphs, ["140.7", "140.8", "140.8", "140.9"]);
    assert_eq!(
        rows[0][1..],
        [
            "Ratify the Optional Protocol to the International Covenant on Economic, Social and Cultural Rights",
            "Maldives; Portugal",
            "Supported",
            "A/HRC/59/15/Add.1 - Para.3",
            "Ratification of & accession to international instruments; Economic, social & cultural rights - general measures of implementation",
            "Public officials",
            "SDG 1; SDG 16",
        ]
    );
    let slovakia = rows.iter().find(|r| r[1].starts_with("Increase")).unwrap();
    assert_eq!(slovakia[2], "Slovakia; Venezuela (Bolivarian Republic of)");
    assert_eq!(
        slovakia[5],
        "Ratification of & accession to international instruments; Space law & human rights"
    );

    // One review only.
    app.get("/api/v1/recommendations?state_under_review=SVN&format=matrix")
        .await
        .assert_problem(400, "review_required");
    app.get("/api/v1/recommendations?session=48&format=matrix")
        .await
        .assert_problem(400, "review_required");
}

/// A 2nd-cycle matrix: no title, UHRI codes before the themes, `Affected persons:` in the
/// themes column, several States in one parenthesis, an assessment column.
fn second_cycle() -> Vec<u8> {
    docx(
        None,
        &[],
        &[
            "Recommendation",
            "Position",
            "Full list of themes",
            "Assessment/comments on level of implementation",
        ],
        &[
            Row::Heading("Theme: A12 Acceptance of international norms"),
            Row::Cells(vec![
                vec![
                    "115.8 Ratify ICRMW (Senegal, Sierra Leone, Venezuela (Bolivarian Republic of),Peru, Uruguay);",
                    "Source of position: A/HRC/28/15/Add.1 - Para. 5",
                ],
                vec!["Noted"],
                vec![
                    "A12 Acceptance of international norms",
                    "G4 Migrants",
                    "Affected persons:",
                    "- migrants",
                    "- general",
                ],
                vec![],
            ]),
        ],
    )
}

#[actix_web::test]
async fn a_second_cycle_matrix_names_its_review_through_the_upload() {
    let app = TestApp::spawn();
    let problem = app
        .upload(&format!("{RECS}?format=ohchr-matrix"), DOCX, second_cycle())
        .await
        .assert_problem(422, "unreadable_file");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("state") && detail.contains("session"),
        "{detail}"
    );

    let url = format!("{RECS}?format=ohchr-matrix&state=Slovenia&session=20");
    let r = app
        .upload(&url, DOCX, second_cycle())
        .await
        .assert_ok_json();
    assert_eq!(
        (&r["created"], &r["warnings"]),
        (&json!(1), &json!([])),
        "{r}"
    );
    let recs = app
        .all("/api/v1/recommendations?state_under_review=SVN")
        .await;
    assert_eq!(recs.len(), 1);
    let rec = &recs[0];
    assert_eq!((&rec["session"], &rec["cycle"]), (&json!(20), &json!(2)));
    assert_eq!(rec["text"]["en"], "Ratify ICRMW");
    assert_eq!(
        rec["recommending_states"],
        json!(["SEN", "SLE", "VEN", "PER", "URY"])
    );
    assert_eq!(
        rec["themes"],
        json!(["uhri_ratification_accession", "uhri_migrants"])
    );
    assert_eq!(rec["affected_persons"], json!(["migrants", "general"]));
    assert_eq!(
        rec["source"],
        json!({"symbol": "A/HRC/28/15/Add.1", "paragraph": "5"})
    );

    // A document that names another review than the upload says is refused.
    let other = docx(
        Some("UPR of Slovenia (4th Cycle - 48th Session)"),
        &[],
        &FOURTH,
        &[],
    );
    let problem = app
        .upload(
            &format!("{RECS}?format=ohchr-matrix&session=47"),
            DOCX,
            other,
        )
        .await
        .assert_problem(422, "unreadable_file");
    assert!(
        problem["detail"].as_str().unwrap().contains("48"),
        "{problem}"
    );
}

/// A matrix of the third cycle's layout (Slovenia's 34th session): no title in the header,
/// the review named in the first paragraphs, themes in one column.
fn third_cycle(rows: &[Row]) -> Vec<u8> {
    docx(
        None,
        &[
            "Universal Periodic Review - 34th session",
            "Thematic list of recommendations - Slovenia",
        ],
        &[
            "Recommendation",
            "Position",
            "Full list of themes",
            "Assessment/comments on level of implementation",
        ],
        rows,
    )
}

#[actix_web::test]
async fn a_third_cycle_matrix_reads_sdgs_and_persons_inside_the_themes_column() {
    let app = TestApp::spawn();
    let doc = third_cycle(&[Row::Cells(vec![
        vec![
            "121.1 Ratify the International Convention for the Protection of All Persons from Enforced Disappearance (France) (Lithuania);",
            "Source of Position: A/HRC/43/15 - Para 121",
        ],
        vec!["Supported"],
        vec![
            "- Acceptance of international norms",
            "- Enforced disappearances",
            "SDGs: ",
            "- 16 - PEACE, JUSTICE AND STRONG INSTITUTIONS",
            "- 16 - PEACE, JUSTICE AND STRONG INSTITUTIONS",
            "- 5, SDG 10; 18",
            "- 5 - GENDER EQUALITY, 17 - PARTNERSHIPS FOR THE GOALS",
            "Affected persons: ",
            "- Disappeared persons",
            "- Women",
        ],
        vec![],
    ])]);
    let r = app
        .upload(&format!("{RECS}?format=ohchr-matrix"), DOCX, doc)
        .await
        .assert_ok_json();
    assert_eq!(r["created"], 1, "{r}");
    let rec = &app
        .all("/api/v1/recommendations?state_under_review=SVN&session=34")
        .await[0];
    assert_eq!(
        rec["themes"],
        json!([
            "uhri_ratification_accession",
            "uhri_enforced_disappearances"
        ])
    );
    // Goals listed on one line are each read, and the one no goal is told.
    assert_eq!(rec["sdg_goals"], json!(["16", "5", "10", "17"]));
    let told: Vec<&str> = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["code"] == "unknown_sdg")
        .map(|w| w["message"].as_str().unwrap())
        .collect();
    assert_eq!(told, ["`18` is not an SDG goal or target: left out"], "{r}");
    assert_eq!(
        rec["affected_persons"],
        json!(["disappeared_persons", "women_and_girls"])
    );
    assert_eq!(
        rec["source"],
        json!({"symbol": "A/HRC/43/15", "paragraph": "121"})
    );
}

#[actix_web::test]
async fn what_is_not_a_matrix_is_refused_whole() {
    let app = TestApp::spawn();
    let url = format!("{RECS}?format=ohchr-matrix&state=SVN&session=48");
    let letter = docx(
        Some("UPR of Slovenia (4th Cycle - 48th Session)"),
        &["Dear Minister,"],
        &["Item", "Cost"],
        &[Row::Cells(vec![vec!["Chairs"], vec!["12"]])],
    );
    let mut damaged = fourth_cycle();
    damaged.truncate(damaged.len() / 2);
    for (why, body, says) in [
        ("a letter", letter, "not an OHCHR UPR matrix"),
        ("a damaged archive", damaged, "not a Word document"),
        (
            "CSV sent as a Word document",
            b"To,Text\nKEN,x\n".to_vec(),
            "not a Word document",
        ),
    ] {
        let problem = app
            .upload(&url, DOCX, body)
            .await
            .assert_problem(422, "unreadable_file");
        assert!(
            problem["detail"].as_str().unwrap().contains(says),
            "{why}: {problem}"
        );
    }
    // A Word or Excel file sent as CSV is named as what it is, whichever CSV it was sent as.
    let word97 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0\0\0".to_vec();
    for (body, says) in [(fourth_cycle(), "a zip archive"), (word97, "Office 97")] {
        for url in [RECS.to_owned(), format!("{RECS}?format=upr-info")] {
            let problem = app
                .upload(&url, "text/csv", body.clone())
                .await
                .assert_problem(422, "unreadable_file");
            let detail = problem["detail"].as_str().unwrap();
            assert!(
                detail.contains(says) && detail.contains("CSV UTF-8"),
                "{url}: {problem}"
            );
        }
    }
    // A matrix named for another kind of item.
    app.upload(
        "/api/v1/bulk/stakeholders?format=ohchr-matrix",
        DOCX,
        fourth_cycle(),
    )
    .await
    .assert_problem(415, "unsupported_media_type");
    app.upload("/api/v1/bulk/stakeholders?state=SVN", "text/csv", "kind\n")
        .await
        .assert_problem(400, "invalid_query");
    assert!(app.all("/api/v1/recommendations").await.is_empty());
}

#[actix_web::test]
async fn only_admin_imports_a_matrix_and_a_dry_run_writes_nothing() {
    let app = TestApp::spawn();
    let url = format!("{RECS}?format=ohchr-matrix");
    let org = uuid::Uuid::now_v7().to_string();
    for token in [
        app.token(Role::State, Some("SVN"), None),
        app.token(Role::Contributor, None, Some(&org)),
        app.token(Role::Sync, None, None),
    ] {
        app.upload_as(&url, DOCX, fourth_cycle(), Some(&token))
            .await
            .assert_problem(403, "forbidden");
    }
    let dry = app
        .upload(&format!("{url}&dry_run=true"), DOCX, fourth_cycle())
        .await
        .assert_ok_json();
    assert_eq!(
        (&dry["created"], &dry["dry_run"]),
        (&json!(4), &json!(true))
    );
    assert!(app.all("/api/v1/recommendations").await.is_empty());
}

#[actix_web::test]
async fn a_matrix_enriches_what_a_upr_info_export_stored() {
    let app = TestApp::spawn();
    // UPR Info's wording of two of the matrix's texts: quotes and a trailing full stop, a
    // space Word lost, another case; and one text the matrix does not have.
    let export = [
        "To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session",
        "Slovenia,EEG,EU,\"\"\"Ratify the Optional Protocol to the International Covenant on Economic, Social and Cultural Rights.\"\"\",Maldives,Asia,,Accepted,5,International instruments,48",
        "Slovenia,EEG,EU,Guarantee access to education forRoma children,Chile,GRULAC,,Noted,4,Right to education,48",
        "Slovenia,EEG,EU,Protect journalists.,Chile,GRULAC,,Accepted,4,Freedom of opinion and expression,48",
    ]
    .join("\n");
    let r = app
        .upload(&format!("{RECS}?format=upr-info"), "text/csv", export)
        .await
        .assert_ok_json();
    assert_eq!(r["created"], 3, "{r}");
    let before = app
        .all("/api/v1/recommendations?state_under_review=SVN")
        .await;
    let head = app.get("/api/v1/changes?limit=1000").await.assert_ok_json();
    let cursor = head["next_cursor"].as_str().unwrap().to_owned();

    let r = app
        .upload(&format!("{RECS}?format=ohchr-matrix"), DOCX, fourth_cycle())
        .await
        .assert_ok_json();
    assert_eq!(
        (&r["matched"], &r["updated"], &r["created"]),
        (&json!(2), &json!(2), &json!(2)),
        "two texts enrich what is stored, two are new: {r}"
    );
    let after = app
        .all("/api/v1/recommendations?state_under_review=SVN")
        .await;
    assert_eq!(after.len(), 5, "nothing is duplicated");
    let protocol = after
        .iter()
        .find(|r| {
            r["text"]["en"]
                .as_str()
                .unwrap()
                .contains("Optional Protocol")
        })
        .unwrap();
    let was = before.iter().find(|r| r["id"] == protocol["id"]).unwrap();
    // The stored text stays; the matrix adds what UPR Info does not carry.
    assert_eq!(protocol["text"], was["text"]);
    assert_eq!(protocol["recommending_states"], json!(["MDV", "PRT"]));
    assert_eq!(protocol["action_category"], 5);
    assert_eq!(protocol["paragraph"], "140.7");
    assert_eq!(protocol["sdg_goals"], json!(["1", "16"]));
    assert_eq!(protocol["affected_persons"], json!(["public_officials"]));
    assert_eq!(
        protocol["themes"],
        json!([
            "international_instruments",
            "uhri_ratification_accession",
            "uhri_esc_rights_general"
        ])
    );
    assert_eq!(protocol["sources"], json!(["upr-info", "ohchr-matrix"]));
    assert_eq!(protocol["version"], 2);
    let roma = after
        .iter()
        .find(|r| r["text"]["en"].as_str().unwrap().contains("Roma"))
        .unwrap();
    assert_eq!(roma["response"], "noted");
    assert_eq!(roma["paragraph"], "140.9");

    // The enrichment reaches partners as updates of the same items.
    let changes = app
        .get(&format!("/api/v1/changes?after={cursor}&limit=100"))
        .await
        .assert_ok_json();
    let updated: Vec<&str> = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["op"] == "upsert" && c["data"]["version"] == 2)
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(updated.len(), 2, "{changes}");
    assert!(updated.contains(&protocol["id"].as_str().unwrap()));

    // A UPR Info export imported again keeps what the matrix brought.
    let export = "To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session\n\
        Slovenia,EEG,EU,Protect journalists.,Chile,GRULAC,,Accepted,4,Freedom of opinion and expression,48\n\
        Slovenia,EEG,EU,Guarantee access to education forRoma children,Chile,GRULAC,,Noted,4,Right to education,48\n";
    app.upload(&format!("{RECS}?format=upr-info"), "text/csv", export)
        .await
        .assert_ok_json();
    let roma_again = app
        .get(&format!(
            "/api/v1/recommendations/{}",
            roma["id"].as_str().unwrap()
        ))
        .await
        .assert_ok_json();
    assert_eq!(roma_again["paragraph"], "140.9");
    assert_eq!(roma_again["sources"], json!(["upr-info", "ohchr-matrix"]));
}

#[actix_web::test]
async fn the_slovenia_matrix_imports_as_254_recommendations() {
    let Some(bytes) = upr_tc_tests::ohchr_matrix() else {
        return;
    };
    let app = TestApp::spawn();
    let url = format!("{RECS}?format=ohchr-matrix");
    let r = app.upload(&url, DOCX, bytes.clone()).await.assert_ok_json();
    assert_eq!(
        (&r["received"], &r["created"], &r["rejected"]),
        (&json!(254), &json!(254), &json!(0)),
        "{r}"
    );
    assert_eq!(
        r["warnings"],
        json!([]),
        "every label is in the vocabularies"
    );
    let recs = app
        .all("/api/v1/recommendations?state_under_review=SVN&session=48")
        .await;
    assert_eq!(recs.len(), 254);
    for rec in &recs {
        assert!(
            rec["paragraph"].as_str().unwrap().starts_with("140."),
            "{rec}"
        );
        assert!(rec["response"].is_string(), "{rec}");
        assert!(rec["source"]["symbol"] == "A/HRC/59/15/Add.1", "{rec}");
        assert!(!rec["themes"].as_array().unwrap().is_empty(), "{rec}");
        assert!(
            !rec["recommending_states"].as_array().unwrap().is_empty(),
            "{rec}"
        );
    }
    let supported = recs.iter().filter(|r| r["response"] == "supported").count();
    assert_eq!((supported, recs.len() - supported), (217, 37));
    let last = recs.iter().find(|r| r["paragraph"] == "140.254").unwrap();
    assert_eq!(last["recommending_states"], json!(["IRQ"]));
    assert_eq!(
        last["affected_persons"],
        json!(["public_officials", "stateless_persons"])
    );
    assert_eq!(last["sdg_goals"], json!(["10", "16"]));

    let again = app.upload(&url, DOCX, bytes).await.assert_ok_json();
    assert_eq!(
        (&again["unchanged"], &again["matched"]),
        (&json!(254), &json!(254)),
        "{again}"
    );
}

#[actix_web::test]
async fn a_retried_matrix_upload_replays_its_report() {
    let app = TestApp::spawn();
    let upload = |key: &'static str| {
        upr_tc_tests::Request::post()
            .uri("/api/v1/bulk/recommendations")
            .insert_header(("Authorization", format!("Bearer {}", app.admin_token())))
            .insert_header(("Content-Type", DOCX))
            .insert_header(("Idempotency-Key", key))
            .set_payload(fourth_cycle())
    };
    let first = app.send(upload("matrix-1")).await.assert_ok_json();
    assert_eq!(first["created"], 4, "{first}");
    let again = app.send(upload("matrix-1")).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), first, "the first report again");
    assert_eq!(app.all("/api/v1/recommendations").await.len(), 4);
}

#[actix_web::test]
async fn the_uhri_vocabularies_are_listed_with_every_cycles_wording() {
    let app = TestApp::spawn();
    let themes = app.get("/api/v1/reference/themes").await.assert_ok_json();
    let uhri = themes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "uhri")
        .expect("a UHRI vocabulary");
    let ratification = uhri["themes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "uhri_ratification_accession")
        .unwrap();
    assert_eq!(
        ratification["label"]["en"],
        "Ratification of & accession to international instruments"
    );
    for older in ["Acceptance of international norms", "A12"] {
        assert!(
            ratification["uhri"]
                .as_array()
                .unwrap()
                .contains(&json!(older)),
            "{ratification}"
        );
    }
    let persons = app
        .get("/api/v1/reference/affected-persons")
        .await
        .assert_ok_json();
    let migrants = persons["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "migrants")
        .unwrap();
    assert_eq!(
        migrants["uhri_variants"],
        json!(["Migrants & domestic workers"])
    );
}

#[actix_web::test]
async fn a_upr_info_export_imported_after_a_matrix_enriches_its_recommendations() {
    let app = TestApp::spawn();
    app.upload(&format!("{RECS}?format=ohchr-matrix"), DOCX, fourth_cycle())
        .await
        .assert_ok_json();
    // UPR Info's wording: a space Word lost, another case and a full stop.
    let export = "To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session\n\
        Slovenia,EEG,EU,Ratify the Optional Protocol to the InternationalCovenant on economic social and cultural rights.,Portugal,WEOG,EU,Accepted,5,International instruments,48\n\
        Slovenia,EEG,EU,Ratify the Optional Protocol to the International Covenant on Economic Social and Cultural Rights,Maldives,Asia,,Accepted,5,International instruments,48\n";
    let r = app
        .upload(&format!("{RECS}?format=upr-info"), "text/csv", export)
        .await
        .assert_ok_json();
    assert_eq!(
        (
            &r["received"],
            &r["folded"],
            &r["matched"],
            &r["updated"],
            &r["created"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(1), &json!(0)),
        "the two rows are one text, and that text the matrix's: {r}"
    );
    let recs = app
        .all("/api/v1/recommendations?state_under_review=SVN")
        .await;
    assert_eq!(recs.len(), 4, "nothing is duplicated");
    let protocol = recs.iter().find(|r| r["paragraph"] == "140.7").unwrap();
    assert_eq!(
        protocol["text"]["en"],
        "Ratify the Optional Protocol to the International Covenant on Economic, Social and Cultural Rights",
        "the matrix's text stays"
    );
    assert_eq!(protocol["sources"], json!(["ohchr-matrix", "upr-info"]));
    assert_eq!(protocol["action_category"], 5);
    assert_eq!(
        (&protocol["response"], &protocol["response_original"]),
        (&json!("supported"), &json!("Supported")),
        "the matrix's position stays"
    );
    assert_eq!(protocol["recommending_states"], json!(["MDV", "PRT"]));
    assert!(
        protocol["themes"]
            .as_array()
            .unwrap()
            .contains(&json!("international_instruments")),
        "{protocol}"
    );
}

#[actix_web::test]
async fn a_bad_row_stops_an_atomic_import_and_is_listed_by_a_partial_one() {
    let app = TestApp::spawn();
    let doc = || {
        docx(
            Some("UPR of Slovenia (4th Cycle - 48th Session)"),
            &[],
            &FOURTH,
            &[
                Row::Cells(vec![
                    vec!["140.1 Ratify the Convention (Chile);"],
                    vec!["Supported"],
                    vec![],
                    vec![],
                ]),
                Row::Cells(vec![
                    vec!["140.2 Adopt a law (Atlantis);"],
                    vec!["Supported"],
                    vec![],
                    vec![],
                ]),
                Row::Cells(vec![
                    vec!["140.3 Fund the NHRI (Peru);"],
                    vec!["Perhaps"],
                    vec![],
                    vec![],
                ]),
            ],
        )
    };
    let url = format!("{RECS}?format=ohchr-matrix");
    let problem = app
        .upload(&url, DOCX, doc())
        .await
        .assert_problem(422, "import_rejected");
    assert!(
        app.all("/api/v1/recommendations").await.is_empty(),
        "{problem}"
    );

    let r = app
        .upload(&format!("{url}&mode=partial"), DOCX, doc())
        .await
        .assert_ok_json();
    assert_eq!(
        (&r["created"], &r["rejected"]),
        (&json!(1), &json!(2)),
        "{r}"
    );
    let errors: Vec<(u64, &str, &str)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap(),
                e["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (3, "Recommendation", "no_recommending_state"),
            (4, "Position", "unknown_response")
        ]
    );
}

#[actix_web::test]
async fn a_matrix_of_one_table_a_theme_is_read_whole() {
    let app = TestApp::spawn();
    let row = |text: &'static str| {
        Row::Cells(vec![
            vec![text],
            vec!["Supported"],
            vec!["- Right to health"],
            vec![],
        ])
    };
    let first = [row("140.1 Ratify the Convention (Chile);")];
    let second = [
        Row::Heading("Theme: Right to health"),
        row("140.2 Adopt a law (Peru);"),
        row("140.3 Adopt another law (Chile)"),
    ];
    let doc = docx_of_tables(
        Some("UPR of Slovenia (4th Cycle - 48th Session)"),
        &[],
        &[(&FOURTH, &first), (&FOURTH, &second)],
    );
    let r = app
        .upload(
            &format!("{RECS}?format=ohchr-matrix&mode=partial"),
            DOCX,
            doc,
        )
        .await
        .assert_ok_json();
    assert_eq!(
        (&r["received"], &r["created"]),
        (&json!(3), &json!(3)),
        "{r}"
    );
    let recs = app
        .all("/api/v1/recommendations?theme=uhri_right_to_health")
        .await;
    assert_eq!(recs.len(), 3);
}

/// A table cut without its header row, as a document converted from a PDF cuts it at a page,
/// is read as the rest of the matrix's table, and the report says so; a table after it that
/// is no part of the matrix (other columns) is passed over as before.
#[actix_web::test]
async fn a_table_cut_without_its_header_is_read_as_the_rest_of_the_matrix() {
    let app = TestApp::spawn();
    let row = |text: &'static str, position: &'static str| {
        Row::Cells(vec![
            vec![text],
            vec![position],
            vec!["- Right to health"],
            vec![],
        ])
    };
    let first = [row("140.1 Ratify the Convention (Chile);", "Supported")];
    let rest = [
        row("140.2 Adopt a law (Peru);", "Noted"),
        row("140.3 Adopt another law (Chile)", "Supported"),
    ];
    let legend = [Row::Cells(vec![vec!["*"], vec!["Unedited version"]])];
    // After another table: an annex, however like the matrix, is not its continuation.
    let annex = [
        row("Recommendations per cluster (summary)", "Supported"),
        row("Recommendations per cluster (detail)", "Noted"),
    ];
    let doc = docx_of_tables(
        Some("UPR of Slovenia (4th Cycle - 48th Session)"),
        &[],
        &[
            (&FOURTH, &first),
            (&[], &rest),
            (&[], &legend),
            (&[], &annex),
        ],
    );
    let r = app
        .upload(&format!("{RECS}?format=ohchr-matrix"), DOCX, doc)
        .await
        .assert_ok_json();
    assert_eq!(
        counted(&r, &["received", "created", "rejected"]),
        [3, 3, 0],
        "{r}"
    );
    assert_eq!(told(&r, "warnings"), [(3, "table_continued".into())], "{r}");
    let noted = app.all("/api/v1/recommendations?response=noted").await;
    assert_eq!(noted.len(), 1);
    assert_eq!(noted[0]["paragraph"], "140.2", "{}", noted[0]);
}

/// A layout that gives the paragraph number and the source of the position columns of their
/// own is read by them; a column of no use here is named in a warning, not passed over in
/// silence, and a `Source of position` column before the position's is not taken for it.
#[actix_web::test]
async fn a_matrix_with_columns_of_its_own_reads_them_and_names_those_it_passes_over() {
    let app = TestApp::spawn();
    let columns = [
        "No.",
        "Source of position",
        "Recommendation and recommending State",
        "Position of the State under review",
        "Assessment of implementation",
        "Relevant SDGs",
        "Resources needed",
    ];
    let rows = [Row::Cells(vec![
        vec!["140.1"],
        vec!["A/HRC/59/15/Add.1 - Para.3"],
        vec!["Ratify the Convention (Chile)."],
        vec!["Supported"],
        vec!["Partly done"],
        vec!["- 16 - PEACE, JUSTICE AND STRONG INSTITUTIONS"],
        vec!["Two experts"],
    ])];
    let doc = docx(
        Some("UPR of Slovenia (4th Cycle - 48th Session)"),
        &[],
        &columns,
        &rows,
    );
    let r = app
        .upload(&format!("{RECS}?format=ohchr-matrix"), DOCX, doc)
        .await
        .assert_ok_json();
    assert_eq!(counted(&r, &["created", "rejected"]), [1, 0], "{r}");
    assert_eq!(
        told(&r, "warnings"),
        [(1, "unknown_column".into()), (1, "unknown_column".into())],
        "{r}"
    );
    assert_eq!(
        r["warnings"][0]["column"], "Assessment of implementation",
        "{r}"
    );
    assert_eq!(r["warnings"][1]["column"], "Resources needed", "{r}");
    let stored = app.all("/api/v1/recommendations").await;
    assert_eq!(stored[0]["paragraph"], "140.1", "{}", stored[0]);
    assert_eq!(
        stored[0]["source"],
        json!({"symbol": "A/HRC/59/15/Add.1", "paragraph": "3"}),
        "{}",
        stored[0]
    );
    assert_eq!(stored[0]["response"], "supported", "{}", stored[0]);
    assert_eq!(stored[0]["sdg_goals"], json!(["16"]), "{}", stored[0]);
}

/// A matrix imported again with a text corrected: the corrected text is a new recommendation
/// (a paragraph may hold several), and the report warns that its paragraph is stored with a
/// text the matrix no longer has, naming that recommendation, so a person can tell a
/// correction; a paragraph whose stored text the matrix still has is no correction.
#[actix_web::test]
async fn a_corrected_text_of_a_matrix_is_told_beside_the_text_it_corrects() {
    let app = TestApp::spawn();
    let matrix = |texts: &[&str]| {
        let rows: Vec<Row> = texts
            .iter()
            .map(|text| {
                Row::Cells(vec![
                    vec![*text, "Source of Position: A/HRC/43/15 - Para 121"],
                    vec!["Supported"],
                    vec!["- Acceptance of international norms"],
                    vec![],
                ])
            })
            .collect();
        third_cycle(&rows)
    };
    let url = format!("{RECS}?format=ohchr-matrix");
    let first = [
        "121.1 Ratify the Convention agaisnt Torture (France);",
        "121.2 Ratify the Optional Protocol (Lithuania); Ratify the Optional Protocol promptly (Chile);",
    ];
    let r = app
        .upload(&url, DOCX, matrix(&first))
        .await
        .assert_ok_json();
    assert_eq!(r["created"], 3, "{r}");
    let typo = app
        .all("/api/v1/recommendations?state_under_review=SVN&session=34")
        .await
        .into_iter()
        .find(|rec| rec["text"]["en"].as_str().unwrap().contains("agaisnt"))
        .unwrap();
    let corrected = [
        "121.1 Ratify the Convention against Torture (France);",
        first[1],
    ];
    let r = app
        .upload(&url, DOCX, matrix(&corrected))
        .await
        .assert_ok_json();
    assert_eq!(counted(&r, &["created", "unchanged"]), [1, 2], "{r}");
    let told: Vec<&serde_json::Value> = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["code"] == "paragraph_stored_with_another_text")
        .collect();
    assert_eq!(told.len(), 1, "{r}");
    let message = told[0]["message"].as_str().unwrap();
    assert!(
        message.contains("121.1") && message.contains(typo["id"].as_str().unwrap()),
        "{r}"
    );
}

/// A matrix OHCHR wrote in French (for a francophone State) is read as the English one is:
/// its columns by their French headings, its texts stored as French, its recommending States
/// by their French names, its positions (`Acceptée`, `Notée`) and its review from the page
/// header.
#[actix_web::test]
async fn a_french_matrix_is_read_by_its_french_headings() {
    let app = TestApp::spawn();
    let doc = docx(
        Some("EPU de la Côte d'Ivoire (4e cycle - 47e session)"),
        &[],
        &[
            "Recommandation et État recommandant",
            "Position de l'État examiné",
            "Thèmes relatifs aux droits de l'homme et groupes de personnes",
            "ODD pertinents",
        ],
        &[
            Row::Cells(vec![
                vec![
                    "145.1 Ratifier le Protocole facultatif se rapportant à la Convention contre la torture (France)",
                ],
                vec!["Acceptée"],
                vec![],
                vec!["- 16 - PAIX, JUSTICE ET INSTITUTIONS EFFICACES"],
            ]),
            Row::Cells(vec![
                vec!["145.2 Abolir la peine de mort en toutes circonstances (Espagne) (Mexique)"],
                vec!["Notée"],
                vec![],
                vec![],
            ]),
        ],
    );
    let r = app
        .upload(&format!("{RECS}?format=ohchr-matrix"), DOCX, doc)
        .await
        .assert_ok_json();
    assert_eq!(r["created"], 2, "{r}");
    let mut recs = app
        .all("/api/v1/recommendations?state_under_review=CIV&session=47")
        .await;
    recs.sort_by_key(|r| r["paragraph"].as_str().unwrap().to_owned());
    let seen: Vec<_> = recs
        .iter()
        .map(|r| {
            (
                r["paragraph"].clone(),
                r["text"]["fr"].is_string() && r["text"]["en"].is_null(),
                r["response"].clone(),
                r["recommending_states"].clone(),
                r["sdg_goals"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                json!("145.1"),
                true,
                json!("supported"),
                json!(["FRA"]),
                json!(["16"])
            ),
            (
                json!("145.2"),
                true,
                json!("noted"),
                json!(["ESP", "MEX"]),
                json!(null)
            ),
        ]
    );
}

/// A table pasted together from pieces holds its header row again between the rows: it is read
/// past, not refused as a recommendation that names no State.
#[actix_web::test]
async fn a_header_row_repeated_in_the_table_is_read_past() {
    let app = TestApp::spawn();
    let text = |t: &'static str| {
        Row::Cells(vec![
            vec![t, "Source of Position: A/HRC/43/15 - Para 121"],
            vec!["Supported"],
            vec![],
            vec![],
        ])
    };
    let header = Row::Cells(vec![
        vec!["Recommendation"],
        vec!["Position"],
        vec!["Full list of themes"],
        vec!["Assessment/comments on level of implementation"],
    ]);
    let doc = third_cycle(&[
        text("121.1 Ratify the Convention against Torture (France);"),
        header,
        text("121.2 Ratify the Optional Protocol (Lithuania);"),
    ]);
    let r = app
        .upload(&format!("{RECS}?format=ohchr-matrix"), DOCX, doc)
        .await
        .assert_ok_json();
    assert_eq!(counted(&r, &["created", "rejected"]), [2, 0], "{r}");
}

/// The French matrix of a review already stored from the English one adds the French texts to
/// the recommendations it has, found by paragraph and recommending States (their texts differ
/// by language), rather than making a second recommendation of each, or warning of
/// corrections that are translations.
#[actix_web::test]
async fn a_french_matrix_of_a_review_stored_in_english_adds_its_texts() {
    let app = TestApp::spawn();
    let matrix = |header: &str, columns: [&str; 2], rows: &[(&'static str, &'static str)]| {
        let rows: Vec<Row> = rows
            .iter()
            .map(|(text, position)| Row::Cells(vec![vec![*text], vec![*position], vec![], vec![]]))
            .collect();
        docx(
            Some(header),
            &[],
            &[columns[0], columns[1], "Themes", "SDGs"],
            &rows,
        )
    };
    let english = matrix(
        "UPR of Côte d'Ivoire (4th Cycle - 47th Session)",
        ["Recommendation and recommending State", "Position"],
        &[
            (
                "145.1 Ratify the Optional Protocol to the Convention against Torture (France)",
                "Supported",
            ),
            (
                "145.2 Abolish the death penalty in all circumstances (Spain) (Mexico)",
                "Noted",
            ),
            (ENGLISH_ROW, "Supported"),
        ],
    );
    let french = matrix(
        "EPU de la Côte d'Ivoire (4e cycle - 47e session)",
        [
            "Recommandation et État recommandant",
            "Position de l'État examiné",
        ],
        &[
            (
                "145.1 Ratifier le Protocole facultatif se rapportant à la Convention contre la torture (France)",
                "Acceptée",
            ),
            (
                "145.2 Abolir la peine de mort en toutes circonstances (Espagne) (Mexique)",
                "Notée",
            ),
            // A row the French matrix left in English.
            (ENGLISH_ROW, "Acceptée"),
        ],
    );
    let url = format!("{RECS}?format=ohchr-matrix");
    let r = app.upload(&url, DOCX, english).await.assert_ok_json();
    assert_eq!(r["created"], 3, "{r}");
    assert_eq!(r["warnings"], json!([]), "{r}");
    let r = app.upload(&url, DOCX, french).await.assert_ok_json();
    assert_eq!(
        counted(&r, &["created", "updated", "matched"]),
        [0, 3, 3],
        "{r}"
    );
    // The row left in English is read as English, said, and finds its English text (whose
    // position's words it gives).
    assert_eq!(told(&r, "warnings"), [(4, "text_language".into())], "{r}");
    let recs = app
        .all("/api/v1/recommendations?state_under_review=CIV&session=47")
        .await;
    assert_eq!(recs.len(), 3);
    for rec in &recs {
        let paragraph = rec["paragraph"].as_str().unwrap();
        let french = rec["text"]["fr"].is_string();
        assert!(rec["text"]["en"].is_string(), "{rec}");
        assert_eq!(french, paragraph != "145.3", "{rec}");
    }
}

const ENGLISH_ROW: &str = "145.3 Guarantee the independence of the judiciary and access to \
                           justice for all, in law and in practice (Chile)";

/// The French matrix of a review stored from a UPR Info export in English: the export gives
/// no paragraph, and the texts differ by language, so a text is paired with the stored
/// recommendation where the two are the review's only ones by the same recommending States and
/// give the same position (found by an outside check, which had every recommendation of such a
/// review stored twice); the texts that cannot be told apart are new ones, each warned of.
#[actix_web::test]
async fn a_french_matrix_of_a_review_stored_from_upr_info_pairs_what_it_can_tell() {
    let app = TestApp::spawn();
    let export = [
        "To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session",
        "Côte d'Ivoire,Africa,,Ratify the Optional Protocol to the Convention against Torture.,France,WEOG,,Accepted,5,Torture,47",
        "Côte d'Ivoire,Africa,,Abolish the death penalty in all circumstances.,Spain,WEOG,,Noted,5,Death penalty,47",
        "Côte d'Ivoire,Africa,,Abolish the death penalty in all circumstances.,Mexico,GRULAC,,Noted,5,Death penalty,47",
        "Côte d'Ivoire,Africa,,Guarantee the independence of the judiciary.,Chile,GRULAC,,Accepted,4,Justice,47",
        "Côte d'Ivoire,Africa,,Protect journalists.,Chile,GRULAC,,Accepted,4,Freedom of expression,47",
        "Côte d'Ivoire,Africa,,Adopt a law on human rights defenders.,Norway,WEOG,,Accepted,4,Human rights defenders,47",
    ]
    .join("\n");
    let r = app
        .upload(&format!("{RECS}?format=upr-info"), "text/csv", export)
        .await
        .assert_ok_json();
    assert_eq!(r["created"], 5, "{r}");
    let rows: Vec<Row> = [
        ("145.1 Ratifier le Protocole facultatif se rapportant à la Convention contre la torture (France)", "Acceptée"),
        ("145.2 Abolir la peine de mort en toutes circonstances (Espagne) (Mexique)", "Notée"),
        ("145.3 Garantir l'indépendance du pouvoir judiciaire (Chili)", "Acceptée"),
        ("145.4 Protéger les journalistes (Chili)", "Acceptée"),
        // The export says Norway's was accepted: not paired.
        ("145.5 Adopter une loi sur les défenseurs des droits de l'homme (Norvège)", "Notée"),
        // No stored recommendation is Brazil's: new, and said, since it may be one stored
        // under other States.
        ("145.6 Protéger les enfants (Brésil)", "Acceptée"),
    ]
    .iter()
    .map(|(text, position)| Row::Cells(vec![vec![*text], vec![*position], vec![], vec![]]))
    .collect();
    let french = docx(
        Some("EPU de la Côte d'Ivoire (4e cycle - 47e session)"),
        &[],
        &[
            "Recommandation et État recommandant",
            "Position de l'État examiné",
            "Thèmes",
            "ODD",
        ],
        &rows,
    );
    // A row of the matrix that cannot be read could be any State's: nothing is paired.
    let mut unread = rows.clone();
    unread.push(Row::Cells(vec![
        vec!["145.7 Ratifier la Convention (France)"],
        vec!["Peut-être"],
        vec![],
        vec![],
    ]));
    let header = [
        "Recommandation et État recommandant",
        "Position de l'État examiné",
        "Thèmes",
        "ODD",
    ];
    let title = Some("EPU de la Côte d'Ivoire (4e cycle - 47e session)");
    let dry = app
        .upload(
            &format!("{RECS}?format=ohchr-matrix&mode=partial&dry_run=true"),
            DOCX,
            docx(title, &[], &header, &unread),
        )
        .await
        .assert_ok_json();
    assert_eq!(
        counted(&dry, &["created", "updated", "rejected"]),
        [6, 0, 1],
        "{dry}"
    );
    let r = app
        .upload(&format!("{RECS}?format=ohchr-matrix"), DOCX, french)
        .await
        .assert_ok_json();
    assert_eq!(
        counted(&r, &["created", "updated", "matched"]),
        [4, 2, 2],
        "{r}"
    );
    let warned: Vec<(u64, String)> = told(&r, "warnings")
        .into_iter()
        .filter(|(_, code)| code == "not_paired")
        .collect();
    assert_eq!(
        warned,
        [
            (4, "not_paired".into()),
            (5, "not_paired".into()),
            (6, "not_paired".into()),
            (7, "not_paired".into())
        ],
        "{r}"
    );
    let recs = app
        .all("/api/v1/recommendations?state_under_review=CIV&session=47")
        .await;
    assert_eq!(recs.len(), 9);
    let both: Vec<(String, serde_json::Value)> = recs
        .iter()
        .filter(|r| r["text"]["en"].is_string() && r["text"]["fr"].is_string())
        .map(|r| {
            (
                r["paragraph"].as_str().unwrap().to_owned(),
                r["recommending_states"].clone(),
            )
        })
        .collect();
    let mut both = both;
    both.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        both,
        [
            ("145.1".to_owned(), json!(["FRA"])),
            ("145.2".to_owned(), json!(["ESP", "MEX"]))
        ]
    );
    // Imported again, the matrix changes nothing: its texts are stored now.
    let again = app
        .upload(
            &format!("{RECS}?format=ohchr-matrix"),
            DOCX,
            docx(
                Some("EPU de la Côte d'Ivoire (4e cycle - 47e session)"),
                &[],
                &[
                    "Recommandation et État recommandant",
                    "Position de l'État examiné",
                    "Thèmes",
                    "ODD",
                ],
                &rows,
            ),
        )
        .await
        .assert_ok_json();
    assert_eq!(
        counted(&again, &["created", "updated", "unchanged"]),
        [0, 0, 6],
        "{again}"
    );
}

/// A matrix OHCHR wrote in Spanish (for a Spanish-speaking State) is read as the French one is:
/// its columns by their Spanish headings, its texts stored as Spanish, its recommending States
/// by their Spanish names, its positions (`Apoyada`, `Se toma nota`) and its review from the
/// page header (found by an outside check: it was refused as no matrix).
#[actix_web::test]
async fn a_spanish_matrix_is_read_by_its_spanish_headings() {
    let app = TestApp::spawn();
    let doc = docx(
        Some("EPU de Bolivia (Estado Plurinacional de) (4º ciclo - 48º período de sesiones)"),
        &[],
        &[
            "Recomendación y Estado recomendante",
            "Posición del Estado examinado",
            "Temas de derechos humanos y grupos de personas",
            "ODS pertinentes",
        ],
        &[
            Row::Cells(vec![
                vec![
                    "112.1 Ratificar el Protocolo Facultativo de la Convención contra la Tortura (Francia)",
                ],
                vec!["Apoyada"],
                vec![],
                vec!["- 16 - PAZ, JUSTICIA E INSTITUCIONES SÓLIDAS"],
            ]),
            Row::Cells(vec![
                vec![
                    "112.2 Abolir la pena de muerte en todas las circunstancias (España) (México)",
                ],
                vec!["Se toma nota"],
                vec![],
                vec![],
            ]),
        ],
    );
    let r = app
        .upload(&format!("{RECS}?format=ohchr-matrix"), DOCX, doc)
        .await
        .assert_ok_json();
    assert_eq!(r["created"], 2, "{r}");
    let mut recs = app
        .all("/api/v1/recommendations?state_under_review=BOL&session=48")
        .await;
    recs.sort_by_key(|r| r["paragraph"].as_str().unwrap().to_owned());
    let seen: Vec<_> = recs
        .iter()
        .map(|r| {
            (
                r["paragraph"].clone(),
                r["text"]["es"].is_string() && r["text"]["en"].is_null(),
                r["response"].clone(),
                r["recommending_states"].clone(),
                r["sdg_goals"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                json!("112.1"),
                true,
                json!("supported"),
                json!(["FRA"]),
                json!(["16"])
            ),
            (
                json!("112.2"),
                true,
                json!("noted"),
                json!(["ESP", "MEX"]),
                json!(null)
            ),
        ]
    );
}
