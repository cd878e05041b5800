//! Bulk uploads: the project's CSV, UPR Info exports and NDJSON; atomic and partial modes;
//! dry runs; re-imports that change nothing; and every way a file can be wrong. Assistance
//! requests and offers: `needs`.

mod matrix;
mod needs;

use std::collections::{HashMap, HashSet};

use upr_tc::auth::Role;
use upr_tc_tests::{TestApp, counted, json, told};

const RECS: &str = "/api/v1/bulk/recommendations";
const ORGS: &str = "/api/v1/bulk/stakeholders";

const OWN_CSV: &str = "state_under_review,session,text__en,text__fr,recommending_states,response,themes,sdg_targets,external_refs\n\
KEN,8,\"Ratify the Convention, and its Protocol.\",Ratifier la Convention.,AUT|BRA,supported,womens_rights|justice,5.1|16.3,uhri:k-1\n\
UGA,12,\"Adopt a law\non torture.\",,FRA,noted,torture_and_cid_treatment,,\n\
FRA,15,Strengthen the NHRI.,,KEN,supported_in_part,nhri,,\n";

fn report(reply: &upr_tc_tests::Reply) -> serde_json::Value {
    reply.assert_ok_json()
}

/// The columns of a UPR Info export.
const UPR_INFO_HEADER: &str =
    "To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session";

/// The report of a UPR Info export uploaded in partial mode.
async fn upr_info(app: &TestApp, csv: &str) -> serde_json::Value {
    let url = format!("{RECS}?format=upr-info&mode=partial");
    report(&app.upload(&url, "text/csv", csv.to_owned()).await)
}

/// The texts of the recommendations stored, in whichever language each is.
async fn stored_texts(app: &TestApp) -> HashSet<String> {
    app.all("/api/v1/recommendations")
        .await
        .iter()
        .flat_map(|r| r["text"].as_object().unwrap().values())
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}

fn counts(r: &serde_json::Value) -> (u64, u64, u64, u64, u64) {
    let n = |k: &str| r[k].as_u64().unwrap();
    (
        n("received"),
        n("created"),
        n("updated"),
        n("unchanged"),
        n("rejected"),
    )
}

#[actix_web::test]
async fn own_csv_imports_and_imports_again_as_unchanged() {
    let app = TestApp::spawn();
    let r = report(&app.upload(RECS, "text/csv", OWN_CSV).await);
    assert_eq!(counts(&r), (3, 3, 0, 0, 0), "{r}");
    let items = app
        .all("/api/v1/recommendations?state_under_review=KEN")
        .await;
    assert_eq!(items.len(), 1);
    let ken = &items[0];
    assert_eq!(
        ken["text"],
        json!({"en": "Ratify the Convention, and its Protocol.", "fr": "Ratifier la Convention."})
    );
    assert_eq!(ken["recommending_states"], json!(["AUT", "BRA"]));
    assert_eq!(ken["themes"], json!(["womens_rights", "justice"]));
    assert_eq!(
        ken["external_refs"],
        json!([{"source": "uhri", "external_id": "k-1"}])
    );
    let uga = &app
        .all("/api/v1/recommendations?state_under_review=UGA")
        .await[0];
    assert_eq!(
        uga["text"]["en"], "Adopt a law\non torture.",
        "quoted newlines stay"
    );

    let again = report(&app.upload(RECS, "text/csv", OWN_CSV).await);
    assert_eq!(counts(&again), (3, 0, 0, 3, 0), "{again}");
    // A changed row updates its item, found by its partner key.
    let changed = OWN_CSV.replace(
        "Ratify the Convention, and its Protocol.",
        "Ratify the Convention and its Optional Protocol.",
    );
    let r = report(&app.upload(RECS, "text/csv", changed).await);
    assert_eq!(counts(&r), (3, 0, 1, 2, 0), "{r}");
    assert_eq!(app.all("/api/v1/recommendations").await.len(), 3);
}

#[actix_web::test]
async fn any_line_ending_and_a_byte_order_mark_read_the_same() {
    for (name, body) in [
        ("LF", OWN_CSV.to_owned()),
        ("CRLF", OWN_CSV.replace('\n', "\r\n")),
        ("CR", OWN_CSV.replace('\n', "\r")),
        ("BOM", format!("\u{feff}{OWN_CSV}")),
    ] {
        let app = TestApp::spawn();
        let r = report(&app.upload(RECS, "text/csv", body).await);
        assert_eq!(counts(&r), (3, 3, 0, 0, 0), "{name}: {r}");
    }
}

/// A batch's look-ups (`db::sql::keys`) answer exactly what is stored, whatever the length of
/// their list (padded to a few lengths with its last key), on both engines. An import would
/// not show a wrong answer: a batch whose keys were wrongly found free goes item by item.
#[actix_web::test]
async fn a_batchs_look_ups_of_keys_find_exactly_what_is_stored() {
    use upr_tc::db::sql::keys;
    let app = TestApp::spawn();
    let rows: String = (0..20)
        .map(|i| format!("KEN,8,Look-up item {i}.,,,,justice|nhri,,\n"))
        .collect();
    let csv = format!("{}\n{rows}", OWN_CSV.lines().next().unwrap());
    let r = report(&app.upload(RECS, "text/csv", csv).await);
    assert_eq!(counts(&r), (20, 20, 0, 0, 0), "{r}");
    let mut conn = app.service.state.pool.get().unwrap();
    #[derive(diesel::QueryableByName)]
    struct Key {
        #[diesel(sql_type = diesel::sql_types::Text)]
        natural_key: String,
    }
    let stored: Vec<String> = {
        use diesel::RunQueryDsl;
        diesel::sql_query("SELECT natural_key FROM recommendations ORDER BY seq")
            .load::<Key>(&mut **conn)
            .unwrap()
            .into_iter()
            .map(|k| k.natural_key)
            .collect()
    };
    assert_eq!(stored.len(), 20);
    for (held, unknown) in [(0, 1), (1, 0), (3, 5), (13, 7), (20, 600)] {
        let mut asked: Vec<String> = stored[..held].to_vec();
        asked.extend((0..unknown).map(|i| format!("no such key {i}")));
        asked.reverse();
        let mut found = keys::taken(&mut conn, "recommendations", &asked).unwrap();
        found.sort();
        let mut expected = stored[..held].to_vec();
        expected.sort();
        assert_eq!(found, expected, "{held} held among {} asked", asked.len());
    }
    let mut codes: Vec<String> = keys::codes(
        &mut conn,
        "recommendation_facet_values",
        "theme",
        &["nhri", "no such theme", "justice", "KEN"],
    )
    .unwrap()
    .into_iter()
    .map(|c| c.value)
    .collect();
    codes.sort();
    assert_eq!(codes, ["justice", "nhri"], "a theme's values only");
}

#[actix_web::test]
async fn an_atomic_upload_with_a_bad_row_writes_nothing_and_lists_every_bad_row() {
    let app = TestApp::spawn();
    let body = format!("{OWN_CSV}XXX,8,Unknown State.,,,,,,\nKEN,99,Bad session.,,,,astrology,,\n");
    let reply = app.upload(RECS, "text/csv", body.clone()).await;
    let problem = reply.assert_problem(422, "import_rejected");
    let r = &problem["report"];
    assert_eq!(
        counts(r),
        (5, 0, 0, 0, 2),
        "nothing was written, so nothing is counted but the bad rows: {r}"
    );
    assert_eq!(
        (&r["dry_run"], &r["written"]),
        (&json!(false), &json!(false))
    );
    let errors = r["errors"].as_array().unwrap();
    let lines: HashSet<u64> = errors.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert_eq!(
        lines,
        HashSet::from([5, 6]),
        "rows are numbered from the header, row 1, as a spreadsheet shows them: {errors:?}"
    );
    let columns: HashSet<&str> = errors
        .iter()
        .map(|e| e["column"].as_str().unwrap())
        .collect();
    assert!(
        columns.contains("state_under_review")
            && columns.contains("session")
            && columns.contains("themes"),
        "{columns:?}"
    );
    assert!(
        app.all("/api/v1/recommendations").await.is_empty(),
        "nothing was written"
    );

    // The same file in partial mode writes the good rows.
    let r = report(
        &app.upload(&format!("{RECS}?mode=partial"), "text/csv", body)
            .await,
    );
    assert_eq!(counts(&r), (5, 3, 0, 0, 2), "{r}");
    assert_eq!(app.all("/api/v1/recommendations").await.len(), 3);
}

#[actix_web::test]
async fn a_dry_run_checks_everything_and_writes_nothing() {
    let app = TestApp::spawn();
    let r = report(
        &app.upload(&format!("{RECS}?dry_run=true"), "text/csv", OWN_CSV)
            .await,
    );
    assert_eq!(counts(&r), (3, 3, 0, 0, 0));
    assert_eq!(r["dry_run"], true);
    assert!(app.all("/api/v1/recommendations").await.is_empty());
    let bad = format!("{OWN_CSV}XXX,8,Unknown State.,,,,,,\n");
    let r = report(
        &app.upload(&format!("{RECS}?dry_run=true&mode=atomic"), "text/csv", bad)
            .await,
    );
    assert_eq!(r["rejected"], 1, "a dry run reports instead of refusing");
    // A file of several batches (each checked and rolled back on its own, so that a dry run
    // never holds the write lock for the whole file) reports what the real upload does, a row
    // for an item of an earlier batch folded alike.
    let mut large = String::from("state_under_review,session,text__en\n");
    for i in 0..1_300 {
        large.push_str(&format!("KEN,26,Recommendation number {i}.\n"));
    }
    large.push_str("KEN,26,RECOMMENDATION NUMBER 3\n");
    let dry = report(
        &app.upload(&format!("{RECS}?dry_run=true"), "text/csv", large.clone())
            .await,
    );
    assert!(app.all("/api/v1/recommendations").await.is_empty());
    let real = report(&app.upload(RECS, "text/csv", large).await);
    for field in [
        "received",
        "created",
        "updated",
        "unchanged",
        "rejected",
        "folded",
    ] {
        assert_eq!(dry[field], real[field], "{field}: {dry} {real}");
    }
    assert_eq!(
        (real["created"].as_u64(), real["folded"].as_u64()),
        (Some(1_300), Some(1)),
        "{real}"
    );
}

#[actix_web::test]
async fn files_that_cannot_be_read_are_refused_whole() {
    let app = TestApp::spawn();
    for (why, body) in [
        ("empty", String::new()),
        (
            "header only, missing a column",
            "state_under_review,text__en\n".to_owned(),
        ),
        (
            "missing column",
            "state_under_review,text__en\nKEN,Ratify.\n".to_owned(),
        ),
        (
            "no text column",
            "state_under_review,session\nKEN,8\n".to_owned(),
        ),
        (
            "unknown column",
            "state_under_review,session,text__en,colour\nKEN,8,x,blue\n".to_owned(),
        ),
        ("not CSV", "{\"state_under_review\": \"KEN\"}\n".to_owned()),
    ] {
        let reply = app.upload(RECS, "text/csv", body).await;
        let problem = reply.assert_problem(422, "unreadable_file");
        assert!(!problem["detail"].as_str().unwrap().is_empty(), "{why}");
    }
    let problem = app
        .upload(RECS, "text/csv", "state_under_review,text__en\nKEN,x\n")
        .await
        .assert_problem(422, "unreadable_file");
    assert!(
        problem["detail"].as_str().unwrap().contains("session"),
        "the missing column is named: {problem}"
    );
    assert!(app.all("/api/v1/recommendations").await.is_empty());
}

#[actix_web::test]
async fn a_row_that_is_not_utf8_or_has_the_wrong_cell_count_is_a_row_error() {
    let app = TestApp::spawn();
    let mut body = OWN_CSV.as_bytes().to_vec();
    body.extend_from_slice(b"KEN,21,Caf\xe9 au lait.,,,,,,\n");
    body.extend_from_slice(b"KEN,21,Too few cells\n");
    let r = report(
        &app.upload(&format!("{RECS}?mode=partial"), "text/csv", body)
            .await,
    );
    assert_eq!(counts(&r), (5, 3, 0, 0, 2), "{r}");
    let codes: HashSet<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        HashSet::from(["invalid_encoding", "wrong_cell_count"])
    );
}

/// A file cut short inside a quoted cell (an upload broken off, a quote left open) is not
/// taken as it ends: the row is an error, so an atomic upload writes nothing, and a partial
/// one writes every row but that one. So for a UPR Info export.
#[actix_web::test]
async fn a_file_cut_inside_a_quoted_cell_is_a_row_error_not_a_shorter_text() {
    let app = TestApp::spawn();
    let mut cut = OWN_CSV.to_owned();
    cut.push_str("KEN,11,\"Truncated in the mid");
    let problem = app
        .upload(&format!("{RECS}?mode=atomic"), "text/csv", cut.clone())
        .await
        .assert_problem(422, "import_rejected");
    let error = &problem["report"]["errors"][0];
    assert_eq!(error["line"], 5, "{problem}");
    assert_eq!(error["code"], "unterminated_quote", "{problem}");
    assert_eq!(app.all("/api/v1/recommendations").await.len(), 0);
    let r = report(
        &app.upload(&format!("{RECS}?mode=partial"), "text/csv", cut)
            .await,
    );
    assert_eq!(counts(&r), (4, 3, 0, 0, 1), "{r}");
    let texts = stored_texts(&app).await;
    assert!(!texts.iter().any(|t| t.contains("Truncated")), "{texts:?}");
    let export = "To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session\r\n\
                  Kenya,African Group,,\"Ratify the Convention\",France,WEOG,EU,Accepted,4,Justice,10\r\n\
                  Kenya,African Group,,\"Adopt a law on tor";
    let problem = app
        .upload(
            &format!("{RECS}?format=upr-info&mode=atomic"),
            "text/csv",
            export,
        )
        .await
        .assert_problem(422, "import_rejected");
    assert_eq!(
        problem["report"]["errors"][0]["code"], "unterminated_quote",
        "{problem}"
    );
}

/// What spreadsheets and other tools leave in a file is read past: the empty columns after the
/// last one (their cells empty), a byte order mark before an NDJSON file's first line; files
/// separated by semicolons or tabs are read so, UTF-16 is read where a byte order mark or the
/// charset says so, and a file separated by bars is refused with a word on how to save it.
#[actix_web::test]
async fn what_spreadsheets_leave_in_a_file_is_read_past() {
    let app = TestApp::spawn();
    let csv = "state_under_review,session,text__en,,\r\nKEN,26,Ratify.,,\r\nKEN,27,Adopt.,\r\nKEN,28,Repeal.\r\nKEN,29,Filled.,x,\r\n";
    let r = report(
        &app.upload(&format!("{RECS}?mode=partial"), "text/csv", csv)
            .await,
    );
    assert_eq!(counts(&r), (4, 3, 0, 0, 1), "{r}");
    assert_eq!(r["errors"][0]["code"], "wrong_cell_count", "{r}");
    assert_eq!(r["errors"][0]["line"], 5, "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("under a column the header gives no name"),
        "{r}"
    );
    // A line of the wrong shape is told of each field at fault, all on its line.
    let ndjson = "{\"state_under_review\": \"UGA\", \"session\": \"26\", \"text\": {\"en\": \"x\"}, \"colour\": 1}\n";
    let r = report(
        &app.upload(
            &format!("{RECS}?mode=partial"),
            "application/x-ndjson",
            ndjson,
        )
        .await,
    );
    let told: HashSet<(u64, &str)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["column"].as_str().unwrap()))
        .collect();
    assert_eq!(
        told,
        HashSet::from([(1, "/session"), (1, "/colour")]),
        "{r}"
    );
    assert_eq!(r["rejected"], 1, "{r}");
    let ndjson = "\u{feff}{\"state_under_review\": \"UGA\", \"session\": 26, \"text\": {\"en\": \"With a mark\"}}\n";
    let r = report(&app.upload(RECS, "application/x-ndjson", ndjson).await);
    assert_eq!(r["created"], 1, "{r}");
    // "CSV" as a spreadsheet saves it where a comma is the decimal mark (semicolons), and
    // "Unicode text" (UTF-16 with a byte order mark, tabs), or UTF-16 its charset names.
    let semicolons = "state_under_review;session;text__en\nKEN;26;\"Ratify, soon.\"\n";
    let r = report(&app.upload(RECS, "text/csv", semicolons).await);
    assert_eq!(r["created"], 1, "{r}");
    let utf16 = |text: &str, mark: bool| -> Vec<u8> {
        let mark = mark.then_some(0xfeff_u16);
        mark.into_iter()
            .chain(text.encode_utf16())
            .flat_map(u16::to_le_bytes)
            .collect()
    };
    let tabs = "state_under_review\tsession\ttext__fr\r\nKEN\t26\tRéformer, vite.\r\n";
    let r = report(&app.upload(RECS, "text/csv", utf16(tabs, true)).await);
    assert_eq!(r["created"], 1, "{r}");
    let named = "state_under_review,session,text__fr\nKEN,27,Égalité.\n";
    let r = report(
        &app.upload(RECS, "text/csv; charset=utf-16le", utf16(named, false))
            .await,
    );
    assert_eq!(r["created"], 1, "{r}");
    let texts: HashSet<String> = app
        .all("/api/v1/recommendations")
        .await
        .iter()
        .filter_map(|r| r["text"]["fr"].as_str().or(r["text"]["en"].as_str()))
        .map(str::to_owned)
        .collect();
    for text in ["Ratify, soon.", "Réformer, vite.", "Égalité."] {
        assert!(texts.contains(text), "{text}: {texts:?}");
    }
    let problem = app
        .upload(
            RECS,
            "text/csv",
            "state_under_review|session|text__en\nKEN|26|Ratify.\n",
        )
        .await
        .assert_problem(422, "unreadable_file");
    assert!(
        problem["detail"].as_str().unwrap().contains("bars"),
        "{problem}"
    );
    assert_eq!(app.all("/api/v1/recommendations").await.len(), 7);
    // Columns named in another case, and countries by name (as the lists' filters take them).
    let named = "State_Under_Review,Session,Text__EN,Recommending_States\n\
        Kenya,26,Named by country.,France|Germany|Côte d'Ivoire\n\
        Atlantis,26,No such State.,\n";
    let r = report(
        &app.upload(&format!("{RECS}?mode=partial"), "text/csv", named)
            .await,
    );
    assert_eq!(counts(&r), (2, 1, 0, 0, 1), "{r}");
    assert_eq!(r["errors"][0]["column"], "state_under_review", "{r}");
    let found = app
        .get("/api/v1/recommendations?q=named%20country")
        .await
        .assert_ok_json();
    let item = &found["items"][0];
    assert_eq!(item["state_under_review"], "KEN", "{found}");
    assert_eq!(
        item["recommending_states"],
        json!(["FRA", "DEU", "CIV"]),
        "{found}"
    );
}

/// A spreadsheet's `response` in the wording of older data (DESIGN §2) is read as the API's
/// value, its words kept; a word that is none of them is still refused, naming the column.
#[actix_web::test]
async fn a_response_in_older_wording_is_read_and_its_words_kept() {
    let app = TestApp::spawn();
    let csv = "state_under_review,session,text__en,response,response_original\n\
        KEN,26,One.,Accepted,\n\
        KEN,26,Two.,Supported ,\n\
        KEN,26,Three.,Rejected,Rejected (A/HRC/17/10/Add.1)\n\
        KEN,26,Four.,supported_in_part,\n\
        KEN,26,Five.,Maybe,\n";
    let r = report(
        &app.upload(&format!("{RECS}?mode=partial"), "text/csv", csv)
            .await,
    );
    assert_eq!(counts(&r), (5, 4, 0, 0, 1), "{r}");
    assert_eq!(r["errors"][0]["line"], 6, "{r}");
    assert_eq!(r["errors"][0]["column"], "response", "{r}");
    let by_text: HashMap<String, serde_json::Value> = app
        .all("/api/v1/recommendations")
        .await
        .into_iter()
        .map(|r| (r["text"]["en"].as_str().unwrap().to_owned(), r))
        .collect();
    for (text, response, original) in [
        ("One.", "supported", Some("Accepted")),
        ("Two.", "supported", Some("Supported")),
        ("Three.", "noted", Some("Rejected (A/HRC/17/10/Add.1)")),
        ("Four.", "supported_in_part", None),
    ] {
        let r = &by_text[text];
        assert_eq!(r["response"], response, "{r}");
        assert_eq!(r["response_original"].as_str(), original, "{r}");
    }
}

/// A CSV row with several bad cells is told of each at once (up to 20), the cells that do
/// not read and what the others hold wrong alike, not of the first alone.
#[actix_web::test]
async fn every_bad_cell_of_a_row_is_told_at_once() {
    let app = TestApp::spawn();
    let csv = "state_under_review,session,text__en,response,recommending_states,themes,\
        action_category,sdg_targets\n\
        KEN,48,Ratify it,maybe,ZZZ,not_a_theme,9,99.9\n\
        QQQ,,,bogus,,,,\n";
    let r = report(
        &app.upload(
            &format!("{RECS}?mode=partial&dry_run=true"),
            "text/csv",
            csv,
        )
        .await,
    );
    let columns = |line: u64| {
        let mut told: Vec<String> = r["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["line"] == line)
            .map(|e| e["column"].as_str().unwrap().to_owned())
            .collect();
        told.sort();
        told
    };
    assert_eq!(
        columns(2),
        [
            "action_category",
            "recommending_states",
            "response",
            "sdg_targets",
            "themes"
        ],
        "{r}"
    );
    assert_eq!(
        columns(3),
        ["response", "session", "state_under_review", "text"],
        "{r}"
    );
}

/// Two rows of one upload that name one partner key are one item, whatever their texts: the
/// later is folded into the earlier with a warning naming the key, rather than writing over
/// it (a partner's file that gives two of its records one key by mistake).
#[actix_web::test]
async fn rows_of_one_upload_with_one_partner_key_are_one_item() {
    let app = TestApp::spawn();
    let csv = "state_under_review,session,text__en,external_refs\n\
        KEN,43,Ratify the first convention,partnerdb:R-900\n\
        FRA,30,Ratify another convention,partnerdb:R-900\n\
        UGA,26,Ratify a third convention,partnerdb:R-901|other:R-900\n";
    for dry_run in [true, false] {
        let r = report(
            &app.upload(&format!("{RECS}?dry_run={dry_run}"), "text/csv", csv)
                .await,
        );
        assert_eq!(
            (r["created"].as_u64(), r["folded"].as_u64()),
            (Some(2), Some(1)),
            "{r}"
        );
        let warning = &r["warnings"][0];
        assert_eq!(
            (warning["line"].as_u64(), warning["code"].as_str()),
            (Some(3), Some("same_item")),
            "{r}"
        );
        let message = warning["message"].as_str().unwrap();
        assert!(
            message.contains("line 2") && message.contains("partnerdb:R-900"),
            "{r}"
        );
    }
    let stored = app.all("/api/v1/recommendations").await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    let first = stored
        .iter()
        .find(|r| r["state_under_review"] == "KEN")
        .unwrap();
    assert_eq!(first["version"], 1, "never written over: {first}");
    assert_eq!(first["session"], 43);
    // Rows that name their items' ids are those items: one giving another item's partner key
    // is refused, not folded into the other.
    let other = stored
        .iter()
        .find(|r| r["state_under_review"] == "UGA")
        .unwrap();
    let by_id = format!(
        "id,state_under_review,session,text__en,external_refs\n\
         {},KEN,43,Ratify the first convention,partnerdb:R-900\n\
         {},UGA,26,Ratify a third convention,partnerdb:R-900\n",
        first["id"].as_str().unwrap(),
        other["id"].as_str().unwrap()
    );
    let r = report(
        &app.upload(&format!("{RECS}?mode=partial"), "text/csv", by_id)
            .await,
    );
    assert_eq!(
        (
            r["unchanged"].as_u64(),
            r["rejected"].as_u64(),
            r["folded"].as_u64()
        ),
        (Some(1), Some(1), Some(0)),
        "{r}"
    );
    assert_eq!(r["errors"][0]["line"], 3, "{r}");
}

/// Two rows of one upload for the same item (texts that differ only in case and punctuation
/// have one natural key) are one item: the later is folded into the earlier with a warning
/// naming both lines, so they never write over each other, and the same file uploaded again
/// changes nothing.
#[actix_web::test]
async fn rows_of_one_upload_for_the_same_item_are_folded() {
    let app = TestApp::spawn();
    let ndjson = concat!(
        "{\"state_under_review\":\"KEN\",\"session\":43,\"text\":{\"en\":\"Strengthen the national human rights institution X\"}}\n",
        "{\"state_under_review\":\"KEN\",\"session\":43,\"text\":{\"en\":\"Strengthen the National Human Rights Institution X.\"}}\n",
    );
    let first = report(&app.upload(RECS, "application/x-ndjson", ndjson).await);
    assert_eq!(
        (first["created"].as_u64(), first["folded"].as_u64()),
        (Some(1), Some(1)),
        "{first}"
    );
    let warning = &first["warnings"][0];
    assert_eq!(
        (warning["line"].as_u64(), warning["code"].as_str()),
        (Some(2), Some("same_item")),
        "{first}"
    );
    assert!(
        warning["message"].as_str().unwrap().contains("line 1"),
        "{first}"
    );
    for _ in 0..2 {
        let again = report(&app.upload(RECS, "application/x-ndjson", ndjson).await);
        assert_eq!(
            (
                again["unchanged"].as_u64(),
                again["updated"].as_u64(),
                again["folded"].as_u64()
            ),
            (Some(1), Some(0), Some(1)),
            "{again}"
        );
    }
    let stored = app.all("/api/v1/recommendations").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["version"], 1, "never written over");
    assert_eq!(
        stored[0]["text"]["en"],
        "Strengthen the national human rights institution X"
    );
    // Each row folded is named, past the 20 errors or warnings one row may have.
    let many: String = (0..30)
        .map(|n| format!("KEN,44,Ratify the convention{}\n", ".".repeat(n)))
        .collect();
    let r = report(
        &app.upload(
            RECS,
            "text/csv",
            format!("state_under_review,session,text__en\n{many}"),
        )
        .await,
    );
    assert_eq!(r["folded"], 29, "{r}");
    assert_eq!(r["warnings"].as_array().unwrap().len(), 29, "{r}");
    assert_eq!(r["warnings_not_listed"], 0, "{r}");
}

/// A file of no rows (a partner's nightly file on a day with nothing new) is read as nothing
/// new: a CSV or UPR Info header alone, an NDJSON file of no lines. A CSV file without even a
/// header says nothing of its columns, and is refused.
#[actix_web::test]
async fn a_file_of_no_rows_is_nothing_new() {
    let app = TestApp::spawn();
    let upr_info =
        "To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session\r\n";
    for (url, content_type, body) in [
        (
            RECS.to_owned(),
            "text/csv",
            "state_under_review,session,text__en\n",
        ),
        (format!("{RECS}?format=upr-info"), "text/csv", upr_info),
        (RECS.to_owned(), "application/x-ndjson", ""),
    ] {
        let r = report(&app.upload(&url, content_type, body).await);
        assert_eq!(
            (r["received"].as_u64(), r["created"].as_u64()),
            (Some(0), Some(0)),
            "{url}: {r}"
        );
    }
    app.upload(RECS, "text/csv", "")
        .await
        .assert_problem(422, "unreadable_file");
    // A header that is not a UPR Info export's names what it misses, and what it holds (a
    // heading renamed is seen at once).
    let problem = app
        .upload(
            &format!("{RECS}?format=upr-info"),
            "text/csv",
            upr_info.replace(",Issue", ",Issues"),
        )
        .await
        .assert_problem(422, "unreadable_file");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("missing column(s): Issue;"), "{detail}");
    assert!(detail.contains("Issues"), "{detail}");
    // Nor one that names a column it reads twice: which holds the values is anyone's guess.
    let problem = app
        .upload(
            &format!("{RECS}?format=upr-info"),
            "text/csv",
            upr_info.replace("Session", "Session,Text"),
        )
        .await
        .assert_problem(422, "unreadable_file");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("column Text twice"), "{detail}");
}

/// A UPR Info export with columns this service does not read (a later export's, or one a user
/// added) is read all the same: each such column is passed over, named in a warning, and its
/// values are nowhere.
#[actix_web::test]
async fn a_upr_info_export_with_columns_of_its_own_is_read_and_they_are_named() {
    let app = TestApp::spawn();
    let file = "To,To-Rgrp,To-Org,Text,Cycle,From,From-Rgrp,From-Org,Response,Action,Issue,Session,Colour\r\n\
                Chad,Africa,,Ratify the Optional Protocol,1,France,WEOG,EU,Accepted,4,Justice,17,Blue\r\n\
                Chad,Africa,,Ratify the Optional Protocol,1,Brazil,GRULAC,,Accepted,4,Justice,17,Green\r\n";
    for dry_run in [true, false] {
        let r = report(
            &app.upload(
                &format!("{RECS}?format=upr-info&dry_run={dry_run}"),
                "text/csv",
                file,
            )
            .await,
        );
        assert_eq!(
            (
                r["received"].as_u64(),
                r["created"].as_u64(),
                r["folded"].as_u64()
            ),
            (Some(2), Some(1), Some(1)),
            "{r}"
        );
        let warnings = r["warnings"].as_array().unwrap();
        let ignored: Vec<(&str, &str, u64)> = warnings
            .iter()
            .filter(|w| w["code"] == "unknown_column")
            .map(|w| {
                (
                    w["column"].as_str().unwrap(),
                    w["code"].as_str().unwrap(),
                    w["line"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            ignored,
            [
                ("Cycle", "unknown_column", 1),
                ("Colour", "unknown_column", 1)
            ],
            "{r}"
        );
    }
    let stored = app.all("/api/v1/recommendations").await;
    assert_eq!(stored.len(), 1);
    let text = stored[0].to_string();
    assert!(!text.contains("Blue") && !text.contains("Green"), "{text}");
    assert_eq!(stored[0]["recommending_states"], json!(["FRA", "BRA"]));
}

/// A UPR Info export that names no charset is read as Mac Roman (UPR Info's own exports) or as
/// windows-1252 (the same file saved again by a spreadsheet on Windows), as the whole file
/// tells: a text then reads as written, and the same export in UTF-8 finds it again rather
/// than making a second one.
#[actix_web::test]
async fn an_unlabelled_upr_info_export_is_read_in_the_encoding_its_bytes_tell() {
    let app = TestApp::spawn();
    let header =
        b"To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session\r\n";
    let row = |text: &[u8], session: &str| -> Vec<u8> {
        let mut row = b"Chad,Africa,,".to_vec();
        row.extend_from_slice(text);
        row.extend_from_slice(
            format!(",France,WEOG,EU,Accepted,4,Justice,{session}\r\n").as_bytes(),
        );
        row
    };
    let file = |rows: &[Vec<u8>]| -> Vec<u8> {
        let mut file = header.to_vec();
        for r in rows {
            file.extend_from_slice(r);
        }
        file
    };
    // windows-1252: é is 0xE9, the quotes 0x93 and 0x94, the dash 0x96.
    let windows = file(&[
        row(b"Bring Mr. Hiss\xe8ne Habr\xe9 to justice \x96 now", "17"),
        row(
            b"Ensure \x93equality before the law\x94 in C\xf4te d\x92Ivoire",
            "17",
        ),
    ]);
    // Mac Roman: é is 0x8E, è 0x8F, ô 0x99, the quotes 0xD2 and 0xD3, the apostrophe 0xD5.
    let mac = file(&[row(
        b"R\x8eformer la justice p\x8enale \xd2sans d\x8elai\xd3 \x88 Gen\x8fve",
        "18",
    )]);
    for (file, url) in [
        (windows, format!("{RECS}?format=upr-info")),
        (mac, format!("{RECS}?format=upr-info")),
    ] {
        let r = report(&app.upload(&url, "text/csv", file).await);
        assert_eq!(r["rejected"], 0, "{r}");
    }
    let texts = stored_texts(&app).await;
    let expected = [
        "Bring Mr. Hissène Habré to justice – now",
        "Ensure “equality before the law” in Côte d’Ivoire",
        "Réformer la justice pénale “sans délai” à Genève",
    ];
    for text in expected {
        assert!(texts.contains(text), "{text}: {texts:?}");
    }
    // UPR Info's own export, as it comes, reads as Mac Roman.
    if let Some(export) = upr_tc_tests::upr_info_export() {
        let guess = upr_tc::import::guess_charset(&mut std::io::Cursor::new(export)).unwrap();
        assert_eq!(guess, None, "the real export is Mac Roman");
    }
    // The same export in UTF-8 finds what the windows-1252 one made.
    let utf8 = file(&[
        row(expected[0].as_bytes(), "17"),
        row(expected[1].as_bytes(), "17"),
    ]);
    let r = report(
        &app.upload(&format!("{RECS}?format=upr-info"), "text/csv", utf8)
            .await,
    );
    assert_eq!(
        (r["created"].as_u64(), r["unchanged"].as_u64()),
        (Some(0), Some(2)),
        "{r}"
    );
}

/// A CSV file saved in another encoding than UTF-8 is read in the one its `charset` names: a
/// UPR Info export saved again by Excel on Windows (windows-1252) is not read as Mac Roman, the
/// encoding of UPR Info's own exports; a file that says it is UTF-8 is read as nothing else,
/// and a charset no encoding has is a 415.
#[actix_web::test]
async fn a_csv_file_is_read_in_the_charset_it_names() {
    let app = TestApp::spawn();
    let mut export =
        b"To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session\r\n"
            .to_vec();
    export.extend_from_slice(
        b"Kenya,Africa,,Equit\xe9 \x93before the law\x94,France,WEOG,EU,Accepted,4,Justice,10\r\n",
    );
    let r = report(
        &app.upload(
            &format!("{RECS}?format=upr-info"),
            "text/csv; charset=windows-1252",
            export.clone(),
        )
        .await,
    );
    assert_eq!(r["created"], 1, "{r}");
    let own = b"state_under_review,session,text__en\nKEN,26,R\xe9former la justice\n".to_vec();
    let r = report(
        &app.upload(RECS, "text/csv;charset=\"ISO-8859-1\"", own.clone())
            .await,
    );
    assert_eq!(r["created"], 1, "{r}");
    let texts = stored_texts(&app).await;
    assert_eq!(
        texts,
        HashSet::from([
            "Equité “before the law”".to_owned(),
            "Réformer la justice".to_owned()
        ])
    );
    let r = report(
        &app.upload(
            &format!("{RECS}?mode=partial"),
            "text/csv; charset=utf-8",
            own.clone(),
        )
        .await,
    );
    assert_eq!(r["errors"][0]["code"], "invalid_encoding", "{r}");
    for charset in ["klingon", "iso-2022-kr"] {
        app.upload(RECS, &format!("text/csv; charset={charset}"), own.clone())
            .await
            .assert_problem(415, "unsupported_media_type");
    }
}

#[actix_web::test]
async fn an_ndjson_file_of_lines_that_are_not_utf8_lists_each_line() {
    let app = TestApp::spawn();
    let body = b"{\"state_under_review\": \"KEN\", \"caf\xe9\": 1}\n\xff\xfe\n".to_vec();
    let r = report(
        &app.upload(
            &format!("{RECS}?mode=partial"),
            "application/x-ndjson",
            body,
        )
        .await,
    );
    assert_eq!(r["received"], 2, "{r}");
    assert_eq!(r["rejected"], 2, "{r}");
    assert!(
        r["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["code"] == "invalid_encoding"),
        "{r}"
    );
}

/// A JSON array, or items written over several lines, sent as NDJSON is refused as a file
/// that is not one item a line, saying how to write one, not row by row; nothing is written.
#[actix_web::test]
async fn json_that_is_not_one_item_a_line_is_refused_saying_so() {
    let app = TestApp::spawn();
    let item = r#"{"state_under_review": "KEN", "session": 26, "text": {"en": "An item."}}"#;
    for (body, says) in [
        (format!("[{item}, {item}]\n"), "is a JSON array"),
        (format!("[\n  {item}\n]\n"), "is a JSON array"),
        (
            "{\n  \"state_under_review\": \"KEN\",\n  \"session\": 26\n}\n".to_owned(),
            "over several lines",
        ),
    ] {
        let problem = app
            .upload(
                &format!("{RECS}?mode=partial"),
                "application/x-ndjson",
                body,
            )
            .await
            .assert_problem(422, "unreadable_file");
        let detail = problem["detail"].as_str().unwrap();
        let jq = if says == "is a JSON array" {
            "jq -c '.[]'"
        } else {
            "jq -c ."
        };
        assert!(detail.contains(says) && detail.contains(jq), "{detail}");
    }
    assert!(app.all("/api/v1/recommendations").await.is_empty());
    // One item a line is read as ever.
    let r = report(
        &app.upload(RECS, "application/x-ndjson", format!("{item}\n"))
            .await,
    );
    assert_eq!(r["created"], 1, "{r}");
}

/// A small export in UPR Info's layout, written for these tests: bare CR line endings, Mac
/// Roman bytes, entities, one row per recommending State, a row whose State is unknown.
fn upr_info_fixture() -> Vec<u8> {
    let rows = [
        "To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session",
        "Cote d'Ivoire,Africa,AU,\"Ratify the Optional Protocol, as soon as possible.\",France,WEOG,EU,Accepted,5,\"Torture and other CID treatment,International instruments\",6",
        "Cote d'Ivoire,Africa,AU,\"Ratify the Optional Protocol, as soon as possible.\",Brazil,GRULAC,,Accepted,5,\"Torture and other CID treatment,International instruments\",6",
        "Cote d'Ivoire,Africa,AU,Protect women&#39;s rights.,DPR Korea,Asia,,Noted,3,Women's rights,6",
        "Cote d'Ivoire,Africa,AU,\"Ratify the Optional Protocol, as soon as possible.\",St Lucia,GRULAC,,Accepted,5,\"Torture and other CID treatment,International instruments\",6",
        "Bosnia & Herzegovina,EEG,,Combat trafficking.,&#40;Unknown&#41;,,,Rejected,4,Trafficking,7",
        "Bosnia & Herzegovina,EEG,,Combat trafficking.,Turkey,WEOG,,Rejected,4,Trafficking,7",
        "Bosnia & Herzegovina,EEG,,Consider the caf\u{e9} workers.,Chile,GRULAC,,Accepted,2,Labour,7",
    ];
    let text = rows.join("\r") + "\r";
    // Mac Roman: é is 0x8E.
    text.chars()
        .flat_map(|c| {
            if c == '\u{e9}' {
                vec![0x8e]
            } else {
                c.to_string().into_bytes()
            }
        })
        .collect()
}

#[actix_web::test]
async fn a_upr_info_export_becomes_one_recommendation_per_text() {
    let app = TestApp::spawn();
    let path = format!("{RECS}?format=upr-info&mode=partial");
    let r = report(&app.upload(&path, "text/csv", upr_info_fixture()).await);
    assert_eq!(counts(&r), (7, 4, 0, 0, 0), "{r}");
    // The two rows that name France's text again, by Brazil and St Lucia, fold into it, and
    // Turkey's row into the row that names no State: every row is accounted for.
    assert_eq!(r["folded"], 3, "{r}");
    assert_eq!(r["errors"], json!([]), "{r}");

    let civ = app
        .all("/api/v1/recommendations?state_under_review=CIV&session=6")
        .await;
    assert_eq!(civ.len(), 2);
    let protocol = civ
        .iter()
        .find(|r| r["text"]["en"].as_str().unwrap().starts_with("Ratify"))
        .unwrap();
    assert_eq!(
        protocol["recommending_states"],
        json!(["FRA", "BRA", "LCA"])
    );
    assert_eq!(protocol["response"], "supported");
    assert_eq!(protocol["response_original"], "Accepted");
    assert_eq!(protocol["action_category"], 5);
    assert_eq!(protocol["cycle"], 1);
    // UPR Info gives the session, not the year: the sixth was held in 2009.
    assert_eq!(protocol["review_year"], 2009);
    assert_eq!(
        protocol["themes"],
        json!(["torture_and_cid_treatment", "international_instruments"])
    );
    let women = civ
        .iter()
        .find(|r| r["text"]["en"] == "Protect women's rights.")
        .expect("entities are decoded");
    assert_eq!(women["recommending_states"], json!(["PRK"]));
    assert_eq!(women["response"], "noted");
    let bih = app
        .all("/api/v1/recommendations?state_under_review=BIH")
        .await;
    let trafficking = bih
        .iter()
        .find(|r| r["text"]["en"] == "Combat trafficking.")
        .unwrap();
    assert_eq!(trafficking["recommending_states"], json!(["TUR"]));
    assert_eq!(trafficking["response_original"], "Rejected");
    assert!(
        bih.iter()
            .any(|r| r["text"]["en"] == "Consider the café workers."),
        "Mac Roman is decoded"
    );

    let again = report(&app.upload(&path, "text/csv", upr_info_fixture()).await);
    assert_eq!(
        counts(&again),
        (7, 0, 0, 4, 0),
        "importing it again creates nothing: {again}"
    );
    assert_eq!(again["folded"], 3, "{again}");
}

/// UPR Info attributes some recommendations to no State (`(Unknown)`): each is imported with
/// no recommending State, in an atomic import too; a name that is no State is still refused.
#[actix_web::test]
async fn a_upr_info_row_of_no_known_state_imports_and_one_of_a_wrong_state_does_not() {
    let app = TestApp::spawn();
    let header = "To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session";
    let unknown = "Indonesia,Asia,,Identify capacity-building needs.,&#40;Unknown&#41;,,,Accepted,3,Trafficking,1";
    let csv = format!("{header}\r{unknown}\r");
    let r = report(
        &app.upload(&format!("{RECS}?format=upr-info"), "text/csv", csv)
            .await,
    );
    assert_eq!(counts(&r), (1, 1, 0, 0, 0), "{r}");
    // Imported, but not as a row that names its State is: the report says so.
    assert_eq!(
        (
            r["warnings"][0]["line"].as_u64(),
            r["warnings"][0]["column"].as_str(),
            r["warnings"][0]["code"].as_str()
        ),
        (Some(2), Some("From"), Some("no_recommending_state")),
        "{r}"
    );
    assert!(
        r["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("`(Unknown)`"),
        "{r}"
    );
    let idn = app
        .all("/api/v1/recommendations?state_under_review=IDN")
        .await;
    assert_eq!(idn.len(), 1);
    assert_eq!(idn[0]["recommending_states"], json!([]));
    assert_eq!(idn[0]["response"], "supported");

    let wrong = "Indonesia,Asia,,Protect defenders.,Atlantis,,,Accepted,3,Trafficking,1";
    let csv = format!("{header}\r{wrong}\r");
    let r = report(
        &app.upload(
            &format!("{RECS}?format=upr-info&mode=partial"),
            "text/csv",
            csv,
        )
        .await,
    );
    assert_eq!(counts(&r), (1, 0, 0, 0, 1), "{r}");
    assert_eq!(
        (
            r["errors"][0]["line"].as_u64(),
            r["errors"][0]["column"].as_str(),
            r["errors"][0]["code"].as_str()
        ),
        (Some(2), Some("From"), Some("unknown_country")),
        "{r}"
    );
}

/// What a spreadsheet leaves in an export is named for what it is: a State under review left
/// empty below the first row of merged cells is an empty cell (not "`` is not a State"), and the
/// header of a second export put after the first, and a total under the rows, are read past
/// with a warning, not as bad rows that stop an atomic import (found by an outside check).
#[actix_web::test]
async fn a_merged_cell_and_a_repeated_header_are_named_for_what_they_are() {
    let app = TestApp::spawn();
    let header = "To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session";
    let csv = [
        header,
        "Kenya,Africa,,Protect defenders.,Chile,GRULAC,,Accepted,3,Human rights defenders,8",
        ",,,Protect journalists.,Chile,GRULAC,,Accepted,3,Freedom of expression,8",
        header,
        "Kenya,Africa,,Ratify the Convention against Torture.,,,,Accepted,5,Torture,8",
        "Kenya,Africa,,Abolish the death penalty.,France,WEOG,,Noted,5,Death penalty,8",
        "Total: 4 recommendations,,,,,,,,,,",
    ]
    .join("\n");
    let r = upr_info(&app, &csv).await;
    assert_eq!(
        counted(&r, &["received", "created", "rejected"]),
        [4, 2, 2],
        "{r}"
    );
    let errors: Vec<(u64, String, String)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (3, "To".to_owned(), "blank".to_owned()),
            (5, "From".to_owned(), "blank".to_owned())
        ],
        "{r}"
    );
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("merged"),
        "{r}"
    );
    assert_eq!(
        told(&r, "warnings"),
        [(4, "header_repeated".into()), (7, "not_a_row".into())],
        "{r}"
    );
}

/// The year a UPR Info export gives (its session's) fills a recommendation that had none, and
/// leaves one given before as it is.
#[actix_web::test]
async fn a_upr_info_export_fills_a_missing_review_year_and_keeps_a_given_one() {
    let app = TestApp::spawn();
    let own = "state_under_review,session,text__en,review_year\n\
               CIV,6,\"Ratify the Optional Protocol, as soon as possible.\",2010\n\
               CIV,6,Protect women's rights.,\n";
    let r = report(&app.upload(RECS, "text/csv", own).await);
    assert_eq!(counts(&r), (2, 2, 0, 0, 0), "{r}");
    let path = format!("{RECS}?format=upr-info&mode=partial");
    let r = report(&app.upload(&path, "text/csv", upr_info_fixture()).await);
    assert_eq!(r["matched"], 2, "{r}");
    let civ = app
        .all("/api/v1/recommendations?state_under_review=CIV&session=6")
        .await;
    let year = |start: &str| {
        civ.iter()
            .find(|r| r["text"]["en"].as_str().unwrap().starts_with(start))
            .unwrap_or_else(|| panic!("{start}: {civ:?}"))["review_year"]
            .clone()
    };
    assert_eq!(civ.len(), 2, "{civ:?}");
    assert_eq!(year("Ratify"), 2010, "given before: kept");
    assert_eq!(year("Protect"), 2009, "missing: the session's year");
}

#[actix_web::test]
async fn a_upr_info_export_sent_as_the_projects_csv_is_named_with_its_format() {
    let app = TestApp::spawn();
    let reply = app.upload(RECS, "text/csv", upr_info_fixture()).await;
    let problem = reply.assert_problem(422, "unreadable_file");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("UPR Info export"), "{problem}");
    assert!(detail.contains("format=upr-info"), "{problem}");
    assert!(
        app.all("/api/v1/recommendations").await.is_empty(),
        "nothing is written"
    );
}

#[actix_web::test]
async fn ndjson_of_the_create_representation_imports() {
    let app = TestApp::spawn();
    let lines = [
        json!({"state_under_review": "KEN", "session": 8, "text": {"en": "One."}}).to_string(),
        String::new(),
        json!({"state_under_review": "KEN", "session": 8, "text": {"en": "Two."}, "themes": ["nhri"]}).to_string(),
        "{not json".to_owned(),
        json!({"state_under_review": "KEN", "session": 8, "text": {"en": "Three."}, "colour": "blue"}).to_string(),
        json!({"state_under_review": "KEN", "session": 8, "text": {"en": "Four."}, "response": 5}).to_string(),
    ];
    let r = report(
        &app.upload(
            &format!("{RECS}?mode=partial"),
            "application/x-ndjson",
            lines.join("\n"),
        )
        .await,
    );
    assert_eq!(counts(&r), (5, 2, 0, 0, 3), "{r}");
    let errors: Vec<(u64, &str, Option<&str>)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["code"].as_str().unwrap(),
                e["column"].as_str(),
            )
        })
        .collect();
    // A line that is not JSON, and lines of JSON of the wrong shape, each named where it is
    // wrong (a number where a word of a list is meant too).
    assert_eq!(
        errors,
        [
            (4, "malformed_json", None),
            (5, "invalid_row", Some("/colour")),
            (6, "invalid_row", Some("/response")),
        ],
        "{r}"
    );
}

#[actix_web::test]
async fn stakeholders_import_from_csv() {
    let app = TestApp::spawn();
    let csv = "kind,name__en,name__fr,acronym__en,country,website,contact_email,themes,languages,regions\n\
nhri,Kenya National Commission on Human Rights,,KNCHR,KEN,https://www.knchr.org,info@knchr.org,justice|nhri,en|sw,014\n\
un_entity,United Nations Development Programme,Programme des Nations Unies pour le développement,UNDP,,https://www.undp.org,,development,en|fr|es,001\n\
secret_society,Nobody,,,,,,,,\n";
    let r = report(
        &app.upload(&format!("{ORGS}?mode=partial"), "text/csv", csv)
            .await,
    );
    assert_eq!(counts(&r), (3, 2, 0, 0, 1), "{r}");
    assert_eq!(r["errors"][0]["column"], "kind");
    let again = report(
        &app.upload(&format!("{ORGS}?mode=partial"), "text/csv", csv)
            .await,
    );
    assert_eq!(
        counts(&again),
        (3, 0, 0, 2, 1),
        "the same organisations are not registered twice: {again}"
    );
    let knchr = app.all("/api/v1/stakeholders?country=KEN").await;
    assert_eq!(knchr[0]["acronym"]["en"], "KNCHR");
    assert!(
        knchr[0]
            .get("contact")
            .is_none_or(serde_json::Value::is_null),
        "contact stays private"
    );
}

#[actix_web::test]
async fn only_admin_uploads() {
    let app = TestApp::spawn();
    let org = uuid::Uuid::now_v7().to_string();
    for token in [
        app.token(Role::State, Some("KEN"), None),
        app.token(Role::Contributor, None, Some(&org)),
        app.token(Role::Sync, None, None),
    ] {
        app.upload_as(RECS, "text/csv", OWN_CSV, Some(&token))
            .await
            .assert_problem(403, "forbidden");
    }
    app.upload_as(RECS, "text/csv", OWN_CSV, None)
        .await
        .assert_problem(401, "unauthorized");
    assert!(app.all("/api/v1/recommendations").await.is_empty());
}

#[actix_web::test]
async fn wrong_content_types_and_oversized_uploads_are_refused() {
    let app = TestApp::spawn_with(|s| s.bulk_limit = 1000);
    app.upload(RECS, "application/json", "[]")
        .await
        .assert_problem(415, "unsupported_media_type");
    for generic in ["application/octet-stream", "text/plain", ""] {
        app.upload(RECS, generic, OWN_CSV)
            .await
            .assert_problem(415, "unsupported_media_type");
    }
    // A file inside a form is not unwrapped, whatever `format` says: the answer says how to send
    // it.
    let form = format!(
        "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{OWN_CSV}\r\n--x--\r\n"
    );
    for path in [RECS.to_owned(), format!("{RECS}?format=upr-info")] {
        let problem = app
            .upload(&path, "multipart/form-data; boundary=x", form.clone())
            .await
            .assert_problem(415, "unsupported_media_type");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("--data-binary"),
            "{problem}"
        );
    }
    let big = format!("{OWN_CSV}{}", "KEN,8,Padding row.,,,,,,\n".repeat(100));
    app.upload(RECS, "text/csv", big)
        .await
        .assert_problem(413, "payload_too_large");
    assert!(app.all("/api/v1/recommendations").await.is_empty());
}

/// `format` says what a file is, whatever content type it is sent as: a generated client sends
/// every file as one type (`text/csv`, or `application/octet-stream`), whatever it holds.
#[actix_web::test]
async fn the_format_a_request_names_wins_over_its_content_type() {
    let app = TestApp::spawn();
    for (i, sent_as) in [
        "application/octet-stream",
        "text/csv",
        "application/x-ndjson",
    ]
    .into_iter()
    .enumerate()
    {
        let row = json!({
            "kind": "academia",
            "country": "KEN",
            "name": {"en": format!("University {i}")},
        });
        let r = report(
            &app.upload(
                &format!("{ORGS}?format=ndjson"),
                sent_as,
                format!("{row}\n"),
            )
            .await,
        );
        assert_eq!(counts(&r), (1, 1, 0, 0, 0), "{sent_as}: {r}");
        let csv = format!("kind,country,name__en\nacademia,UGA,College {i}\n");
        let r = report(
            &app.upload(&format!("{ORGS}?format=csv"), sent_as, csv)
                .await,
        );
        assert_eq!(counts(&r), (1, 1, 0, 0, 0), "{sent_as}: {r}");
    }
    assert_eq!(app.all("/api/v1/stakeholders").await.len(), 6);
    // What a format cannot be, whatever the type: a UPR Info export or a matrix of anything but
    // recommendations; NDJSON in another encoding than UTF-8.
    for format in ["upr-info", "ohchr-matrix"] {
        let problem = app
            .upload(&format!("{ORGS}?format={format}"), "text/csv", "kind\n")
            .await
            .assert_problem(415, "unsupported_media_type");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("holds recommendations"),
            "{problem}"
        );
    }
    let row = json!({"kind": "academia", "country": "KEN", "name": {"en": "Université"}});
    app.upload(
        &format!("{ORGS}?format=ndjson"),
        "text/csv; charset=windows-1252",
        format!("{row}\n"),
    )
    .await
    .assert_problem(415, "unsupported_media_type");
    assert_eq!(
        app.all("/api/v1/stakeholders").await.len(),
        6,
        "nothing written"
    );
    // ASCII is UTF-8 too.
    let row = json!({"kind": "academia", "country": "KEN", "name": {"en": "College of law"}});
    let r = report(
        &app.upload(
            &format!("{ORGS}?format=ndjson"),
            "application/x-ndjson; charset=us-ascii",
            format!("{row}\n"),
        )
        .await,
    );
    assert_eq!(counts(&r), (1, 1, 0, 0, 0), "{r}");
}

/// The real export in ../shared/data, when it is there (it is in CI): every row imports or is
/// reported, and each State's review has as many recommendations as the file has texts.
#[actix_web::test]
async fn the_upr_info_sessions_1_to_5_export_imports() {
    let Some(bytes) = upr_tc_tests::upr_info_export() else {
        return;
    };
    let app = TestApp::spawn();
    let url = format!("{RECS}?format=upr-info&mode=partial");
    let r = report(&app.upload(&url, "text/csv", bytes.clone()).await);
    assert_eq!(r["received"], 6094);
    // Every row of the real export reads, those that name no State among them.
    assert_eq!(r["rejected"], 0, "{r}");
    // Every row is accounted for.
    let n = |k: &str| r[k].as_u64().unwrap();
    assert!(n("folded") > 0, "{r}");
    assert_eq!(
        n("created") + n("updated") + n("unchanged") + n("rejected") + n("folded"),
        6094,
        "{r}"
    );
    let rejected = r["rejected"].as_u64().unwrap();
    assert_eq!(
        rejected as usize,
        r["errors"].as_array().unwrap().len(),
        "every rejected row is listed"
    );
    for e in r["errors"].as_array().unwrap() {
        assert!(
            e["line"].as_u64().unwrap() > 1 && e["column"].is_string(),
            "{e}"
        );
    }

    // Expected: distinct texts per (State under review, session), from the file itself.
    let text = encoding_rs::MACINTOSH.decode(&bytes).0.into_owned();
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let mut expected: HashMap<(String, String), HashSet<String>> = HashMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        let state =
            upr_tc::domain::CountryCode::lookup(&html_escape::decode_html_entities(&row[0]))
                .unwrap()
                .to_string();
        let key = upr_tc::domain::normalise_text(&html_escape::decode_html_entities(&row[3]));
        expected
            .entry((state, row[10].to_owned()))
            .or_default()
            .insert(key);
    }
    let total: usize = expected.values().map(HashSet::len).sum();
    assert_eq!(r["created"].as_u64().unwrap() as usize, total, "{r}");
    let all = app.all("/api/v1/recommendations").await;
    let mut found: HashMap<(String, String), usize> = HashMap::new();
    for rec in &all {
        let key = (
            rec["state_under_review"].as_str().unwrap().to_owned(),
            rec["session"].to_string(),
        );
        *found.entry(key).or_default() += 1;
    }
    for (key, texts) in &expected {
        assert_eq!(found.get(key).copied().unwrap_or(0), texts.len(), "{key:?}");
    }
    let again = report(&app.upload(&url, "text/csv", bytes).await);
    assert_eq!(
        (again["created"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );
}

/// The batch fast path must work on both databases, not silently fall back to item by item.
#[actix_web::test]
async fn the_batch_path_takes_new_items_with_partner_keys() {
    use upr_tc::domain::recommendation::{
        Recommendation, RecommendationContent, RecommendationInput,
    };
    let app = TestApp::spawn();
    let contents: Vec<RecommendationContent> = (0..3)
        .map(|i| {
            let mut r = upr_tc_tests::recommendation("KEN", 8, &format!("Batch {i}."));
            r["external_refs"] = json!([{"source": "uhri", "external_id": format!("b-{i}")}]);
            serde_json::from_value::<RecommendationInput>(r)
                .unwrap()
                .validate()
                .unwrap()
        })
        .collect();
    let mut conn = app.service.state.pool.get().unwrap();
    let actor = upr_tc::db::audit::Actor::operator();
    // Keys and terms worked out ahead for two items (as an import's reader does), not for the
    // third.
    let ahead = contents
        .iter()
        .enumerate()
        .map(|(i, c)| (i < 2).then(|| upr_tc::db::batch::Ahead::of::<Recommendation>(c)))
        .collect();
    let others =
        upr_tc::db::batch::insert_new::<Recommendation>(&mut conn, &actor, contents.clone(), ahead)
            .expect("the fast path");
    assert!(others.is_empty());
    // Written again, each is found by its keys and left to the item-by-item path.
    let none = contents.iter().map(|_| None).collect();
    let others = upr_tc::db::batch::insert_new::<Recommendation>(&mut conn, &actor, contents, none)
        .expect("the fast path");
    assert_eq!(others, [0, 1, 2]);
    let key = upr_tc::domain::ExternalRef {
        source: "uhri".into(),
        external_id: "b-1".into(),
    };
    let entity = <Recommendation as upr_tc::db::documents::Document>::TABLE.entity;
    assert!(
        upr_tc::db::table::find_external(&mut conn, entity, &key)
            .unwrap()
            .is_some()
    );
    drop(conn);
    // Search finds each by its terms, whichever way they were made.
    let found = app.all("/api/v1/recommendations?q=batch").await;
    assert_eq!(found.len(), 3, "{found:?}");
}

/// An import that fails with an item's savepoint still open rolls back its whole transaction,
/// not only the savepoint: nothing it wrote stays, and the connection can write again.
#[actix_web::test]
async fn a_rollback_with_a_savepoint_open_ends_the_whole_transaction() {
    use upr_tc::db::tx::Tx;
    let app = TestApp::spawn();
    let mut conn = app.service.state.pool.get().unwrap();
    let actor = upr_tc::db::audit::Actor::operator();
    Tx::begin(&mut conn).unwrap();
    let contents: Vec<_> = ["Rolled back"]
        .iter()
        .map(|name| {
            let input: upr_tc::domain::stakeholder::StakeholderInput = serde_json::from_value(
                upr_tc_tests::stakeholder("civil_society_organization", Some("KEN"), name),
            )
            .unwrap();
            upr_tc::domain::validate::Validate::validate(input).unwrap()
        })
        .collect();
    upr_tc::db::batch::insert_new::<upr_tc::domain::stakeholder::Stakeholder>(
        &mut conn,
        &actor,
        contents,
        vec![None],
    )
    .unwrap();
    Tx::savepoint(&mut conn).unwrap();
    Tx::rollback(&mut conn).unwrap();
    // A new write transaction opens: the old one is not still open beneath a savepoint.
    Tx::begin(&mut conn).expect("no transaction left open");
    Tx::rollback(&mut conn).unwrap();
    drop(conn);
    assert!(
        app.all("/api/v1/stakeholders")
            .await
            .iter()
            .all(|s| s["name"]["en"] != "Rolled back"),
        "nothing the rolled-back transaction wrote stays"
    );
}

/// An upload refused at the door (a type the service does not read, a declared size over the
/// limit) writes nothing, not even the State's own stakeholder its first upload registers.
#[actix_web::test]
async fn an_upload_refused_at_the_door_registers_nothing() {
    let app = TestApp::spawn();
    let kenya = app.token(Role::State, Some("KEN"), None);
    app.upload_as(
        "/api/v1/bulk/activities",
        "text/plain",
        "title__en,states_concerned,status\nA,KEN,implementation\n".to_owned(),
        Some(&kenya),
    )
    .await
    .assert_problem(415, "unsupported_media_type");
    let states = app.all("/api/v1/stakeholders?kind=state").await;
    assert!(states.is_empty(), "registered: {states:?}");
    // The same upload with its type is taken, and registers Kenya as it submits.
    app.upload_as(
        "/api/v1/bulk/activities",
        "text/csv",
        "title__en,states_concerned,status\nA,KEN,implementation\n".to_owned(),
        Some(&kenya),
    )
    .await
    .assert_ok_json();
    assert_eq!(app.all("/api/v1/stakeholders?kind=state").await.len(), 1);
}

/// An administrator's subject of its own (`prefix` and a new id), and a token for it: its
/// uploads' audit entries are found by it.
fn admin_of_its_own(app: &TestApp, prefix: &str) -> (String, String) {
    let subject = format!("{prefix}-{}", uuid::Uuid::now_v7());
    let token = app
        .service
        .keys
        .mint(
            Role::Admin,
            &subject,
            None,
            None,
            chrono::Duration::hours(1),
        )
        .unwrap();
    (subject, token)
}

/// The project's CSV of `items` recommendations, row `i` being `row(i)`.
fn recommendations_csv(items: usize, row: impl Fn(usize) -> String) -> String {
    let mut csv = String::from("state_under_review,session,text__en,themes,external_refs\n");
    for i in 0..items {
        csv.push_str(&row(i));
        csv.push('\n');
    }
    csv
}

/// A batch whose fast path fails with a whole run of it written (the fail point
/// `batch::insert_new`) is rolled back to before it and written item by item: every item once,
/// with one change, one audit entry, its facets, search terms and partner keys, and nothing
/// of the attempt that failed. The upload again finds every item by its keys.
#[actix_web::test]
async fn a_batch_whose_fast_path_fails_is_written_item_by_item() {
    const ITEMS: usize = 300;
    let app = TestApp::spawn();
    // The fail point fails this subject's batches only: tests beside it keep the fast path.
    let (subject, token) = admin_of_its_own(&app, "fallback");
    let csv = recommendations_csv(ITEMS, |i| {
        format!("KEN,8,Fallback item {i}.,justice,uhri:f-{i}")
    });
    fail::cfg("batch::insert_new", &format!("return({subject})")).unwrap();
    let reply = app
        .upload_as(RECS, "text/csv", csv.clone(), Some(&token))
        .await;
    fail::remove("batch::insert_new");
    let r = report(&reply);
    assert_eq!(counts(&r), (ITEMS as u64, ITEMS as u64, 0, 0, 0), "{r}");

    let items = app
        .all("/api/v1/recommendations?state_under_review=KEN")
        .await;
    let texts: HashSet<&str> = items
        .iter()
        .map(|r| r["text"]["en"].as_str().unwrap())
        .collect();
    assert_eq!((items.len(), texts.len()), (ITEMS, ITEMS));
    let ids: HashSet<&str> = items.iter().map(|r| r["id"].as_str().unwrap()).collect();
    // Written one by one: the fast path gives a whole batch one time of creation.
    let times: HashSet<&str> = items
        .iter()
        .map(|r| r["created_at"].as_str().unwrap())
        .collect();
    assert!(times.len() > 1, "the batch was written by the fast path");
    assert_eq!(
        app.all("/api/v1/recommendations?theme=justice").await.len(),
        ITEMS
    );
    assert_eq!(
        app.all("/api/v1/recommendations?q=fallback").await.len(),
        ITEMS
    );

    // One change and one audit entry an item, none of the rolled-back run.
    let feed = app
        .get("/api/v1/changes?types=recommendation&limit=1000")
        .await
        .assert_ok_json();
    let fed: Vec<&str> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(fed.len(), ITEMS, "{} changes", fed.len());
    assert_eq!(fed.iter().copied().collect::<HashSet<_>>(), ids);
    let trail = app
        .all_as(&format!("/api/v1/audit?actor={subject}"), &token)
        .await;
    assert_eq!(trail.len(), ITEMS);
    for entry in &trail {
        assert_eq!(entry["operation"], "create", "{entry}");
        assert_eq!(
            entry["changes"]["after"]["id"], entry["entity_id"],
            "{entry}"
        );
        assert!(
            ids.contains(entry["entity_id"].as_str().unwrap()),
            "{entry}"
        );
    }

    // The same upload again: each item found by its keys, nothing new.
    let again = report(&app.upload(RECS, "text/csv", csv).await);
    assert_eq!(
        counts(&again),
        (ITEMS as u64, 0, 0, ITEMS as u64, 0),
        "{again}"
    );
    let key = upr_tc::domain::ExternalRef {
        source: "uhri".into(),
        external_id: "f-7".into(),
    };
    let entity =
        <upr_tc::domain::recommendation::Recommendation as upr_tc::db::documents::Document>::TABLE
            .entity;
    let mut conn = app.service.state.pool.get().unwrap();
    assert!(
        upr_tc::db::table::find_external(&mut conn, entity, &key)
            .unwrap()
            .is_some()
    );
}

/// A batch on the fast path (a whole run of 256 items and the rest of it, in one batch, which
/// gives every item one time of creation) records one change and one audit entry an item, each
/// naming it: the feed carries each item as stored, to the public and to an administrator,
/// and the trail says who wrote it, in which role, and what it was created as. A whole run's
/// shared values are bound once (`sql::rows`): one bound wrong would be refused by the
/// database, and the batch written item by item, with a time of creation each.
#[actix_web::test]
async fn a_fast_batch_records_one_change_and_one_audit_entry_an_item() {
    const ITEMS: usize = 300;
    let app = TestApp::spawn();
    let (subject, token) = admin_of_its_own(&app, "fast");
    let csv = recommendations_csv(ITEMS, |i| format!("UGA,9,Fast item {i}.,justice,"));
    let r = report(&app.upload_as(RECS, "text/csv", csv, Some(&token)).await);
    assert_eq!(counts(&r), (ITEMS as u64, ITEMS as u64, 0, 0, 0), "{r}");
    let items = app
        .all("/api/v1/recommendations?state_under_review=UGA")
        .await;
    assert_eq!(items.len(), ITEMS);
    let times: HashSet<&str> = items
        .iter()
        .map(|r| r["created_at"].as_str().unwrap())
        .collect();
    assert_eq!(times.len(), 1, "written by the fast path, as one batch");
    let by_id: HashMap<&str, &serde_json::Value> = items
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r))
        .collect();

    let path = "/api/v1/changes?types=recommendation&limit=1000";
    let admin = app.admin_token();
    for feed in [
        app.get(path).await.assert_ok_json(),
        app.get_as(path, &admin).await.assert_ok_json(),
    ] {
        let changes = feed["items"].as_array().unwrap();
        assert_eq!(changes.len(), ITEMS);
        let mut seen = HashSet::new();
        for change in changes {
            let id = change["id"].as_str().unwrap();
            assert_eq!(change["op"], "upsert", "{change}");
            assert_eq!(change["type"], "recommendation", "{change}");
            assert_eq!(&change["data"], by_id[id], "{change}");
            assert!(seen.insert(id), "{id}: two changes");
        }
    }

    let trail = app
        .all_as(&format!("/api/v1/audit?actor={subject}"), &token)
        .await;
    assert_eq!(trail.len(), ITEMS);
    let mut seen = HashSet::new();
    for entry in &trail {
        let id = entry["entity_id"].as_str().unwrap();
        assert_eq!(entry["operation"], "create", "{entry}");
        assert_eq!(entry["role"], "admin", "{entry}");
        assert_eq!(entry["entity"], "recommendation", "{entry}");
        assert_eq!(&entry["changes"]["after"], by_id[id], "{entry}");
        assert!(seen.insert(id), "{id}: two entries");
    }
}

/// An export edited in a spreadsheet and saved as windows-1252 lost every letter of its Arabic,
/// Russian and Chinese texts (a spreadsheet writes `?` for each letter the encoding cannot
/// write): imported again, the row is refused, each such text named, and the stored texts stay
/// as they were instead of being replaced by question marks.
#[actix_web::test]
async fn a_text_whose_letters_an_encoding_lost_is_refused() {
    let app = TestApp::spawn();
    let mut rec = upr_tc_tests::recommendation("KEN", 35, "Strengthen the judiciary");
    rec["text"]["fr"] = json!("Renforcer l'indépendance du pouvoir judiciaire");
    rec["text"]["ar"] = json!("تعزيز استقلال القضاء");
    rec["text"]["ru"] = json!("Укрепить независимость судебной власти");
    rec["text"]["zh"] = json!("加强司法独立");
    let made = app.create("/api/v1/recommendations", &rec).await;
    let admin = app.admin_token();
    let export = app
        .get_as(
            "/api/v1/recommendations?state_under_review=KEN&format=csv",
            &admin,
        )
        .await;
    assert_eq!(export.status, 200);
    // What a spreadsheet writes in windows-1252: é as 0xE9, a `?` for what it cannot write.
    let lossy: Vec<u8> = export
        .text()
        .chars()
        .map(|c| match c {
            c if c.is_ascii() => c as u8,
            'é' => 0xE9,
            _ => b'?',
        })
        .collect();
    let r = report(
        &app.upload(
            &format!("{RECS}?mode=partial"),
            "text/csv; charset=windows-1252",
            lossy,
        )
        .await,
    );
    assert_eq!(counted(&r, &["rejected", "updated"]), [1, 0], "{r}");
    let mut lost: Vec<(&str, &str)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["column"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    lost.sort_unstable();
    assert_eq!(
        lost,
        [
            ("text__ar", "lost_characters"),
            ("text__ru", "lost_characters"),
            ("text__zh", "lost_characters"),
        ],
        "{r}"
    );
    let stored = app
        .get(&format!(
            "/api/v1/recommendations/{}",
            made["id"].as_str().unwrap()
        ))
        .await
        .assert_ok_json();
    assert_eq!(stored["version"], 1);
    assert_eq!(stored["text"], made["text"]);
}

/// An export made between a review and the adoption of its outcome says a recommendation
/// awaits its response (`Pending`, `No Response`): it is imported with no response, the words
/// kept, as an empty cell is; a word that is no response at all is refused, the message naming
/// both ways to say "not yet". An issue UPR Info added after the vocabulary is kept as written
/// with a warning, a number a spreadsheet wrote as `35.0` is read, and an empty session is
/// named as empty.
#[actix_web::test]
async fn a_upr_info_row_awaiting_its_response_imports_with_none() {
    let app = TestApp::spawn();
    let csv = format!(
        "{UPR_INFO_HEADER}\n\
        Kenya,Africa,,Ratify the Convention.,France,WEOG,EU,Pending,4,\"Justice,Digital rights\",35\n\
        Kenya,Africa,,Abolish the death penalty.,Spain,WEOG,EU,No Response,4.0,Justice,35.0\n\
        Kenya,Africa,,Protect defenders.,Chile,GRULAC,,Maybe,4,Justice,35\n\
        Kenya,Africa,,Free the press.,Chile,GRULAC,,Accepted,4,Justice,\n"
    );
    let r = upr_info(&app, &csv).await;
    assert_eq!(counted(&r, &["created", "rejected"]), [2, 2], "{r}");
    // A session left empty says so (a number written `35.0` reads as 35).
    assert_eq!(
        told(&r, "errors"),
        [(4, "unknown_response".into()), (5, "not_a_number".into())],
        "{r}"
    );
    assert!(
        r["errors"][1]["message"]
            .as_str()
            .unwrap()
            .contains("empty"),
        "{r}"
    );
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Pending"),
        "{r}"
    );
    let mut stored: Vec<(String, serde_json::Value, serde_json::Value)> = app
        .all("/api/v1/recommendations")
        .await
        .into_iter()
        .map(|r| {
            (
                r["text"]["en"].as_str().unwrap().to_owned(),
                r["response"].clone(),
                r["response_original"].clone(),
            )
        })
        .collect();
    stored.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        stored,
        [
            (
                "Abolish the death penalty.".to_owned(),
                json!(null),
                json!("No Response")
            ),
            (
                "Ratify the Convention.".to_owned(),
                json!(null),
                json!("Pending")
            ),
        ]
    );
    // An issue UPR Info added since the vocabulary was written is kept as written, with a
    // warning, not a reason to refuse the row.
    assert_eq!(told(&r, "warnings"), [(2, "unknown_issue".into())], "{r}");
    let ratify = app.all("/api/v1/recommendations?q=ratify").await.remove(0);
    assert_eq!(ratify["themes"], json!(["justice"]), "{ratify}");
    assert_eq!(
        ratify["themes_original"],
        json!(["Digital rights"]),
        "{ratify}"
    );
    // The response given later is taken, and an export older than it does not take it back.
    for (response, expected) in [("Accepted", "supported"), ("Pending", "supported")] {
        let row = format!(
            "{UPR_INFO_HEADER}\nKenya,Africa,,Ratify the Convention.,France,WEOG,EU,{response},4,Justice,35\n"
        );
        upr_info(&app, &row).await;
        let ratify = app.all("/api/v1/recommendations?q=ratify").await.remove(0);
        assert_eq!(ratify["response"], expected, "{response}: {ratify}");
        assert_eq!(
            ratify["response_original"], "Accepted",
            "{response}: {ratify}"
        );
    }
}

/// A UPR Info export reads a position as an OHCHR matrix does (one rule for both): a
/// matrix's `Supported/Noted` is supported in part, a French position is read, and one it
/// cannot read is refused with the words it can.
#[actix_web::test]
async fn a_upr_info_export_reads_positions_as_a_matrix_does() {
    let app = TestApp::spawn();
    let csv = format!(
        "{UPR_INFO_HEADER}\n\
        Kenya,Africa,,Allow visits.,Chile,GRULAC,,Supported/Noted,4,Justice,35\n\
        Kenya,Africa,,Free the press.,France,WEOG,EU,Notée,4,Justice,35\n\
        Kenya,Africa,,Protect defenders.,Chile,GRULAC,,Considered,4,Justice,35\n"
    );
    let r = upr_info(&app, &csv).await;
    assert_eq!(counted(&r, &["created", "rejected"]), [2, 1], "{r}");
    assert_eq!(told(&r, "errors"), [(4, "unknown_response".into())], "{r}");
    let message = r["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("Supported/Noted") && message.contains("Accepted"),
        "{r}"
    );
    let visits = app.all("/api/v1/recommendations?q=visits").await.remove(0);
    assert_eq!(visits["response"], "supported_in_part", "{visits}");
    assert_eq!(visits["response_original"], "Supported/Noted", "{visits}");
    let press = app.all("/api/v1/recommendations?q=press").await.remove(0);
    assert_eq!(press["response"], "noted", "{press}");
}

/// Every warning of an export is listed, up to the report's cap of all, not the 20 of one row:
/// each row whose issue no vocabulary has is named, to be looked at.
#[actix_web::test]
async fn the_warnings_of_many_rows_are_each_listed() {
    let app = TestApp::spawn();
    let rows: String = (0..45)
        .map(|n| {
            format!("Kenya,Africa,,Ratify convention number {n}.,France,WEOG,EU,Accepted,4,Issue {n},35\n")
        })
        .collect();
    let r = upr_info(&app, &format!("{UPR_INFO_HEADER}\n{rows}")).await;
    assert_eq!(counted(&r, &["created", "rejected"]), [45, 0], "{r}");
    let told = told(&r, "warnings");
    assert_eq!(told.len(), 45, "{r}");
    assert!(told.iter().all(|(_, code)| code == "unknown_issue"), "{r}");
    assert_eq!(
        told.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
        (2..47).collect::<Vec<_>>(),
        "{r}"
    );
    assert_eq!(r["warnings_not_listed"], 0, "{r}");
}

/// An `Issue` cell naming many issues no vocabulary has: its row's first 20 listed and the rest
/// counted, all kept up to what `themes_original` takes; past that, the row is refused, and a
/// cell of a hundred thousand costs no more than one of a hundred and one.
#[actix_web::test]
async fn an_issue_cell_of_many_unknown_issues_is_told_within_the_caps() {
    let app = TestApp::spawn();
    let issues = |n: usize| {
        (0..n)
            .map(|i| format!("Issue {i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let csv = format!(
        "{UPR_INFO_HEADER}
        Kenya,Africa,,Ratify the convention.,France,WEOG,EU,Accepted,4,\"{}\",35
        Kenya,Africa,,Free the press.,France,WEOG,EU,Accepted,4,\"{}\",35
",
        issues(60),
        issues(100_000)
    );
    let r = upr_info(&app, &csv).await;
    assert_eq!(counted(&r, &["created", "rejected"]), [1, 1], "{r}");
    let warned = told(&r, "warnings");
    assert!(
        warned.iter().all(|(_, code)| code == "unknown_issue"),
        "{r}"
    );
    for line in [2, 3] {
        let listed = warned.iter().filter(|(l, _)| *l == line).count();
        assert_eq!(listed, 20, "line {line}: {r}");
    }
    // 60 - 20 of line 2, 100,000 - 20 of line 3.
    assert_eq!(r["warnings_not_listed"], 40 + 99_980, "{r}");
    let errors = told(&r, "errors");
    assert_eq!(errors[0].0, 3, "{r}");
    let kept = app.all("/api/v1/recommendations").await.remove(0);
    assert_eq!(
        kept["themes_original"].as_array().unwrap().len(),
        60,
        "{kept}"
    );
}

/// Two rows of a UPR Info export for one recommendation (one row per recommending State) that
/// give it different responses: one recommendation, the first row's response kept, and a
/// warning on the other row naming both, so the difference is not lost in silence.
#[actix_web::test]
async fn rows_of_one_recommendation_with_different_responses_are_told() {
    let app = TestApp::spawn();
    let csv = format!(
        "{UPR_INFO_HEADER}\n\
        Kenya,Africa,,Abolish the death penalty.,Spain,WEOG,EU,Accepted,4,Justice,35\n\
        Kenya,Africa,,Abolish the death penalty.,Italy,WEOG,EU,Noted,4,Justice,35\n\
        Kenya,Africa,,Abolish the death penalty.,France,WEOG,EU,Accepted,4,Justice,35\n"
    );
    let r = upr_info(&app, &csv).await;
    assert_eq!(counted(&r, &["created", "folded"]), [1, 2], "{r}");
    assert_eq!(
        told(&r, "warnings"),
        [(3, "conflicting_response".into())],
        "{r}"
    );
    let message = r["warnings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("`Noted`") && message.contains("`Accepted`"),
        "{r}"
    );
    let stored = app.all("/api/v1/recommendations").await;
    assert_eq!(stored[0]["response"], "supported");
    assert_eq!(
        stored[0]["recommending_states"],
        json!(["ESP", "ITA", "FRA"])
    );
}

#[actix_web::test]
async fn a_upr_info_text_is_stored_in_the_language_it_is_written_in() {
    let app = TestApp::spawn();
    // Texts as UPR Info's exports carry them: mostly English, a few in French or Spanish.
    let french = "Poursuivre ses efforts pour lutter contre la torture et les mauvais \
                  traitements dans les lieux de détention.";
    let spanish = "Continuar sus esfuerzos para garantizar la independencia del poder \
                   judicial y el acceso a la justicia.";
    let english = "Continue its efforts to combat torture and ill-treatment in places of \
                   detention.";
    let csv = format!(
        "{UPR_INFO_HEADER}\n\
        Kenya,Africa,,{french},France,WEOG,EU,Accepted,4,Justice,35\n\
        Kenya,Africa,,{spanish},Chile,GRULAC,,Accepted,4,Justice,35\n\
        Kenya,Africa,,{english},Canada,WEOG,,Accepted,4,Justice,35\n\
        Kenya,Africa,,Ratify the Convention.,Chile,GRULAC,,Accepted,4,Justice,35\n"
    );
    let r = upr_info(&app, &csv).await;
    assert_eq!(counted(&r, &["created", "rejected"]), [4, 0], "{r}");
    // Each text stored in another language than English is said.
    assert_eq!(
        told(&r, "warnings"),
        [(2, "text_language".into()), (3, "text_language".into())],
        "{r}"
    );
    assert!(
        r["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("reads as French: stored as `text.fr`"),
        "{r}"
    );
    let text_of = |items: &[serde_json::Value], start: &str| {
        items
            .iter()
            .find(|r| {
                r["text"]
                    .as_object()
                    .unwrap()
                    .values()
                    .any(|t| t.as_str().unwrap().starts_with(start))
            })
            .unwrap_or_else(|| panic!("no text begins with {start}"))["text"]
            .clone()
    };
    let stored = app.all("/api/v1/recommendations").await;
    assert_eq!(text_of(&stored, "Poursuivre"), json!({"fr": french}));
    assert_eq!(text_of(&stored, "Continuar"), json!({"es": spanish}));
    assert_eq!(text_of(&stored, "Continue"), json!({"en": english}));
    assert_eq!(
        text_of(&stored, "Ratify"),
        json!({"en": "Ratify the Convention."})
    );

    // Each is searched in its own language: `lutte` finds the French text's `lutter` (an
    // English stem of `lutter` keeps its ending).
    let found = app.all("/api/v1/recommendations?q=lutte").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0]["text"]["fr"].is_string());

    // Imported again, nothing changes; a text an earlier import stored as English (as every
    // text was) is matched, not given a second copy under its language.
    let r = upr_info(&app, &csv).await;
    assert_eq!(
        counted(&r, &["created", "updated", "unchanged"]),
        [0, 0, 4],
        "{r}"
    );
    let other = TestApp::spawn();
    let mut earlier = upr_tc_tests::recommendation("KEN", 35, french);
    earlier["recommending_states"] = json!(["FRA"]);
    earlier["themes"] = json!([]);
    other.create("/api/v1/recommendations", &earlier).await;
    let r = upr_info(&other, &csv).await;
    assert_eq!(counted(&r, &["created", "rejected"]), [3, 0], "{r}");
    let stored = other.all("/api/v1/recommendations").await;
    assert_eq!(text_of(&stored, "Poursuivre"), json!({"en": french}));
}

/// A generated client sends every file as `text/csv`, naming no charset: the `charset`
/// parameter says what a spreadsheet saved, and two that disagree are refused (ASCII disagrees
/// with none). A file of NDJSON
/// sent as CSV (what such a client does without `format`) is named as NDJSON.
#[actix_web::test]
async fn an_upload_says_its_charset_by_a_parameter() {
    let app = TestApp::spawn();
    // windows-1252: é is 0xE9.
    let csv = b"kind,country,name__en\nacademia,KEN,Universit\xe9 de Nairobi\n".to_vec();
    let r = report(
        &app.upload(&format!("{ORGS}?mode=partial"), "text/csv", csv.clone())
            .await,
    );
    assert_eq!(counts(&r), (1, 0, 0, 0, 1), "not UTF-8, and not said: {r}");
    let message = r["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("charset=windows-1252"), "{message}");
    let r = report(
        &app.upload(
            &format!("{ORGS}?charset=windows-1252"),
            "text/csv",
            csv.clone(),
        )
        .await,
    );
    assert_eq!(counts(&r), (1, 1, 0, 0, 0), "{r}");
    let made = app.all("/api/v1/stakeholders").await;
    assert_eq!(made[0]["name"]["en"], "Université de Nairobi");
    // The same encoding by two labels is one; two encodings are refused before anything is
    // read.
    let r = report(
        &app.upload(
            &format!("{ORGS}?charset=cp1252&dry_run=true"),
            "text/csv; charset=windows-1252",
            csv.clone(),
        )
        .await,
    );
    assert_eq!(counts(&r), (1, 0, 0, 1, 0), "{r}");
    // ASCII agrees with either: the other one says how the file reads.
    for (parameter, typed) in [("us-ascii", "windows-1252"), ("windows-1252", "us-ascii")] {
        let r = report(
            &app.upload(
                &format!("{ORGS}?charset={parameter}&dry_run=true"),
                &format!("text/csv; charset={typed}"),
                csv.clone(),
            )
            .await,
        );
        assert_eq!(counts(&r), (1, 0, 0, 1, 0), "{parameter} and {typed}: {r}");
    }
    let r = report(
        &app.upload(
            &format!("{ORGS}?charset=utf-8&dry_run=true&mode=partial"),
            "text/csv; charset=us-ascii",
            csv.clone(),
        )
        .await,
    );
    assert_eq!(counts(&r), (1, 0, 0, 0, 1), "read as UTF-8, as said: {r}");
    // But not with UTF-16, which reads ASCII's bytes otherwise.
    app.upload(
        &format!("{ORGS}?charset=ascii&dry_run=true"),
        "text/csv; charset=utf-16le",
        csv.clone(),
    )
    .await
    .assert_problem(400, "invalid_parameter");
    let problem = app
        .upload(
            &format!("{ORGS}?charset=utf-8"),
            "text/csv; charset=windows-1252",
            csv,
        )
        .await
        .assert_problem(400, "invalid_parameter");
    assert!(
        problem["detail"].as_str().unwrap().contains("charset"),
        "{problem}"
    );
    app.upload(&format!("{ORGS}?charset=klingon"), "text/csv", "kind\n")
        .await
        .assert_problem(400, "invalid_parameter");
    // A Word document says its own encoding.
    app.upload(
        &format!("{RECS}?format=ohchr-matrix&charset=latin1"),
        "text/csv",
        "PK",
    )
    .await
    .assert_problem(400, "invalid_parameter");
    // NDJSON sent as CSV.
    let row = json!({"kind": "academia", "country": "KEN", "name": {"en": "College"}});
    let problem = app
        .upload(ORGS, "text/csv", format!("{row}\n"))
        .await
        .assert_problem(422, "unreadable_file");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("format=ndjson"),
        "{problem}"
    );
    assert_eq!(app.all("/api/v1/stakeholders").await.len(), 1);
}
