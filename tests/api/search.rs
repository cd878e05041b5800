//! Search that finds what people mean: words folded and stemmed in the language of each text,
//! Chinese in pairs of characters, the query analysed the same way, on both engines.

use std::collections::HashSet;

use serde_json::{Value, json};
use upr_tc_tests::{TestApp, count, recommendation};

const PATH: &str = "/api/v1/recommendations";

async fn found(app: &TestApp, q: &str) -> HashSet<String> {
    // Percent-encoded: every byte that is not an ASCII letter or digit.
    let q: String = q
        .bytes()
        .map(|b| match b.is_ascii_alphanumeric() {
            true => (b as char).to_string(),
            false => format!("%{b:02X}"),
        })
        .collect();
    app.all(&format!("{PATH}?q={q}"))
        .await
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn create(app: &TestApp, text: Value) -> String {
    let mut body = recommendation("KEN", 8, "placeholder");
    body["text"] = text;
    app.create(PATH, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn words_find_their_other_forms_in_each_language() {
    let app = TestApp::spawn();
    let child = create(&app, json!({"en": "Protect the child from violence."})).await;
    let children = create(&app, json!({"en": "Protect children in detention."})).await;
    let women = create(&app, json!({"en": "Empower women and girls."})).await;
    let defenders = create(
        &app,
        json!({"en": "Protect human rights defenders and journalists."}),
    )
    .await;
    let enfants = create(&app, json!({"fr": "Protéger les enfants migrants."})).await;
    let enfant = create(&app, json!({"fr": "Garantir les droits de l'enfant."})).await;
    let egalite = create(&app, json!({"fr": "Promouvoir l'égalité des FEMMES."})).await;
    let ninos = create(&app, json!({"es": "Proteger a los niños indígenas."})).await;
    let ru = create(&app, json!({"ru": "Защищать права детей-инвалидов."})).await;
    let zh = create(&app, json!({"zh": "保护儿童权利，加强司法独立。"})).await;

    let both = HashSet::from([child.clone(), children.clone()]);
    assert_eq!(found(&app, "child").await, both);
    assert_eq!(found(&app, "Children").await, both);
    assert_eq!(found(&app, "woman").await, HashSet::from([women.clone()]));
    assert_eq!(found(&app, "defender").await, HashSet::from([defenders]));
    let french = HashSet::from([enfants.clone(), enfant.clone()]);
    assert_eq!(found(&app, "enfant").await, french);
    assert_eq!(found(&app, "ENFANTS").await, french);
    assert_eq!(found(&app, "egalite femme").await, HashSet::from([egalite]));
    assert_eq!(found(&app, "nino").await, HashSet::from([ninos]));
    assert_eq!(found(&app, "дети").await, HashSet::from([ru]));
    assert_eq!(found(&app, "儿童").await, HashSet::from([zh.clone()]));
    assert_eq!(found(&app, "儿童权利").await, HashSet::from([zh.clone()]));
    assert_eq!(
        found(&app, "司法 protect").await,
        HashSet::new(),
        "every word"
    );
    assert!(found(&app, "童年").await.is_empty(), "another pair");
    // Every word must be found, in any of its forms.
    assert_eq!(
        found(&app, "protecting children").await,
        HashSet::from([child.clone(), children.clone()])
    );
    assert_eq!(
        found(&app, "child detentions").await,
        HashSet::from([children])
    );
    assert!(found(&app, "childhood").await.is_empty());
    // A word Arabic's stemmer takes whole (the tatweel, a letter to Unicode) is kept as it is.
    let tatweel = create(&app, json!({"ar": "حماية الأطفال ـ"})).await;
    assert_eq!(found(&app, "ـ").await, HashSet::from([tatweel]));
}

/// The stop words of a text's language are not kept for it, and a query's stop words ask for
/// nothing beside its other words.
#[actix_web::test]
async fn stop_words_are_not_kept_nor_asked_for() {
    let app = TestApp::spawn();
    let en = create(&app, json!({"en": "Ensure the rights of the child."})).await;
    let es = create(&app, json!({"es": "Garantizar los derechos del hijo."})).await;
    let son = create(&app, json!({"en": "Protect the son and the daughter."})).await;
    let fr = create(
        &app,
        json!({"fr": "Protéger son enfant et les droits de la femme."}),
    )
    .await;
    assert!(found(&app, "the").await.is_empty(), "not kept in English");
    assert!(found(&app, "los").await.is_empty(), "nor in Spanish");
    assert_eq!(
        found(&app, "rights of the child").await,
        found(&app, "rights child").await
    );
    assert_eq!(
        found(&app, "the rights of the child").await,
        HashSet::from([en])
    );
    assert_eq!(found(&app, "derechos del hijo").await, HashSet::from([es]));
    // `son` is a stop word in French and Spanish, a word in English: alone it finds the
    // English text; beside another word it asks for nothing.
    assert_eq!(found(&app, "son").await, HashSet::from([son]));
    assert_eq!(found(&app, "son enfant").await, HashSet::from([fr]));
    // An acronym is kept whatever its letters spell.
    let who = create(
        &app,
        json!({"en": "Cooperate with WHO on the rights of the child."}),
    )
    .await;
    assert_eq!(found(&app, "WHO").await, HashSet::from([who.clone()]));
    assert_eq!(found(&app, "WHO child").await, HashSet::from([who]));
}

/// The terms an older analysis stored are written again at start.
#[actix_web::test]
async fn stored_terms_are_written_again_when_the_analysis_changes() {
    let app = TestApp::spawn();
    let id = create(&app, json!({"en": "Protect children in detention."})).await;
    {
        use diesel::prelude::*;
        use upr_tc::db::schema::{instance::dsl as i, recommendations::dsl as r};
        let mut conn = app.service.state.pool.get().unwrap();
        // What the first analysis stored: folded words, no stems.
        diesel::update(r::recommendations)
            .set(r::search_text.eq("protect children in detention"))
            .execute(&mut **conn)
            .unwrap();
        if conn.backend_name() == "sqlite" {
            diesel::sql_query(
                "UPDATE recommendation_search SET body = 'protect children in detention'",
            )
            .execute(&mut **conn)
            .unwrap();
        }
        diesel::update(i::instance)
            .set(i::analysis_version.eq(1))
            .execute(&mut **conn)
            .unwrap();
    }
    assert!(found(&app, "child").await.is_empty(), "the old terms");
    let mut conn = app.service.state.pool.get().unwrap();
    conn.migrate().unwrap();
    drop(conn);
    assert_eq!(found(&app, "child").await, HashSet::from([id]));
}

/// The real export in ../shared/data, when it is there (it is in CI): each singular finds every
/// recommendation its plural finds.
#[actix_web::test]
async fn on_the_upr_info_export_a_singular_finds_what_its_plural_finds() {
    let Some(bytes) = upr_tc_tests::upr_info_export() else {
        return;
    };
    let app = TestApp::spawn();
    app.upload(
        "/api/v1/bulk/recommendations?format=upr-info&mode=partial",
        "text/csv",
        bytes,
    )
    .await
    .assert_ok_json();
    for (singular, plural) in [
        ("child", "children"),
        ("woman", "women"),
        ("defender", "defenders"),
        ("convention", "conventions"),
    ] {
        let (one, many) = (found(&app, singular).await, found(&app, plural).await);
        assert!(many.len() > 100, "{plural}: {}", many.len());
        assert_eq!(one, many, "{singular} and {plural} find the same");
    }
}

/// Each item's terms are stored once: in SQLite's full-text table (contentless for the
/// catalogue), in the `search` column on PostgreSQL; either way the row's `search_text` is left
/// empty. Natural keys are 128 bits. Search follows every write all the same: an edit, a
/// deletion.
#[actix_web::test]
async fn terms_stored_once_follow_edits_and_deletions() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let id = create(&app, json!({"en": "Prevent torture in prisons."})).await;
    let other = create(&app, json!({"en": "Prevent torture in police cells."})).await;
    assert_eq!(
        found(&app, "torture").await,
        HashSet::from([id.clone(), other.clone()])
    );
    let reply = app
        .send_json(
            actix_web::http::Method::PATCH,
            &format!("{PATH}/{id}"),
            Some(&admin),
            &json!({"text": {"en": "Provide safe drinking water."}}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(found(&app, "torture").await, HashSet::from([other.clone()]));
    assert_eq!(found(&app, "water").await, HashSet::from([id.clone()]));
    let reply = app
        .send_json(
            actix_web::http::Method::DELETE,
            &format!("{PATH}/{other}"),
            Some(&admin),
            &json!(null),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert!(found(&app, "torture").await.is_empty());
    assert!(found(&app, "prevent").await.is_empty());

    let sqlite = app.service.state.pool.get().unwrap().backend_name() == "sqlite";
    let with_terms = count(
        &app,
        "SELECT COUNT(*) AS n FROM recommendations WHERE search_text <> ''",
    );
    assert_eq!(with_terms, 0);
    if !sqlite {
        // The edited item's terms, as the edit left them, and no other item's.
        let searchable = count(
            &app,
            "SELECT COUNT(*) AS n FROM recommendations \
             WHERE search @@ to_tsquery('simple', 'water') AND search <> ''::tsvector",
        );
        assert_eq!(searchable, 1);
        let left = count(
            &app,
            "SELECT COUNT(*) AS n FROM recommendations WHERE search <> ''::tsvector",
        );
        assert_eq!(left, 1);
    }
    let long_keys = count(
        &app,
        "SELECT COUNT(*) AS n FROM recommendations WHERE length(natural_key) <> 32",
    );
    assert_eq!(long_keys, 0);
}

/// What `pointer` names in each item of a page.
fn each(page: &Value, pointer: &str) -> Vec<Value> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.pointer(pointer).cloned().unwrap_or(Value::Null))
        .collect()
}

/// A ranked page asked again of unchanged data is the page ranked before: a document changed
/// behind the service's back (no write, so no new version of the data) is still seen as it
/// was; the next write makes the page stale, and the search ranks again.
#[actix_web::test]
async fn a_ranked_page_is_kept_until_the_data_changes() {
    let app = TestApp::spawn();
    let id = create(&app, json!({"en": "Abolish the death penalty."})).await;
    let texts = |page: Value| each(&page, "/text/en");
    let search = format!("{PATH}?q=penalty&limit=20");
    // A change behind the service's back (no audit entry, no change): the page ranked before
    // is given again. Its version moves with every write of the process outside a request
    // (other tests write beside this one) and at the poll that sees this test's own creation:
    // tried again until no such write came between.
    let rewrite = |from: &str, to: &str| {
        use diesel::RunQueryDsl;
        let mut conn = app.service.state.pool.get().unwrap();
        diesel::sql_query(format!(
            "UPDATE recommendations SET document = replace(document, '{from}', '{to}')"
        ))
        .execute(&mut **conn)
        .unwrap();
    };
    for attempt in 0.. {
        assert!(attempt < 50, "never a quiet moment");
        // Each attempt its own page (a page read after a write is kept under the new version).
        let search = format!("{PATH}?q=penalty&limit={}", 20 + attempt);
        let version = app.service.state.watch.version();
        let first = app.get(&search).await.assert_ok_json();
        assert_eq!(texts(first.clone()), [json!("Abolish the death penalty.")]);
        rewrite("Abolish", "Keep");
        let again = app.get(&search).await.assert_ok_json();
        if version.is_none() || app.service.state.watch.version() != version {
            rewrite("Keep", "Abolish");
            std::thread::sleep(std::time::Duration::from_millis(30));
            continue;
        }
        assert_eq!(again, first, "kept");
        break;
    }
    assert_eq!(
        app.get(&format!("{PATH}?q=penalty&limit=19"))
            .await
            .assert_ok_json()["items"][0]["text"]["en"],
        "Keep the death penalty.",
        "another page size is another page"
    );
    create(&app, json!({"en": "Ratify the Convention."})).await;
    assert_eq!(
        texts(app.get(&search).await.assert_ok_json()),
        [json!("Keep the death penalty.")],
        "ranked again after a write"
    );
    assert_eq!(found(&app, "penalty").await, HashSet::from([id]));
}

/// While every ranking permit is taken, a kept page is still given; a search not kept is a 503.
#[actix_web::test]
async fn a_kept_page_is_given_while_every_ranking_permit_is_taken() {
    let app = TestApp::spawn();
    create(&app, json!({"en": "Protect human rights defenders."})).await;
    let searches = app.service.state.searches.clone();
    // Tried again until no write came between the page and its asking again (see
    // `a_ranked_page_is_kept_until_the_data_changes`): a write makes the kept page stale, and
    // the search would have to rank again, for which no permit is left.
    for attempt in 0.. {
        assert!(attempt < 50, "never a quiet moment");
        let kept = format!("{PATH}?q=defenders&limit={}", 20 + attempt);
        let version = app.service.state.watch.version();
        let page = app.get(&kept).await.assert_ok_json();
        let every = searches.available_permits() as u32;
        let held = searches.clone().acquire_many_owned(every).await.unwrap();
        let again = app.get(&kept).await;
        if version.is_none() || app.service.state.watch.version() != version {
            drop(held);
            std::thread::sleep(std::time::Duration::from_millis(30));
            continue;
        }
        assert_eq!(again.assert_ok_json(), page);
        app.get(&format!("{PATH}?q=protect"))
            .await
            .assert_problem(503, "service_unavailable");
        break;
    }
}

/// A page ranked for a caller who sees hidden activities is never given to one who does not:
/// the conditions of each caller's access are part of what a page is kept under.
#[actix_web::test]
async fn a_page_ranked_for_one_access_is_not_given_to_another() {
    use crate::activities::{organisation, submit};
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Awaiting consent NGO").await;
    let (_, other) = organisation(&app, "Another NGO").await;
    // Tanzania has given no consent: the activity is the submitter's and admin's alone.
    let hidden = submit(
        &app,
        &token,
        &upr_tc_tests::activity(&["TZA"], "okapi training"),
    )
    .await;
    let search = "/api/v1/activities?q=okapi";
    let ids = |page: Value| each(&page, "/id");
    let own = ids(app.get_as(search, &token).await.assert_ok_json());
    assert_eq!(own, [hidden["id"].clone()]);
    let admin = ids(app
        .get_as(search, &app.admin_token())
        .await
        .assert_ok_json());
    assert_eq!(admin, [hidden["id"].clone()]);
    assert!(ids(app.get(search).await.assert_ok_json()).is_empty());
    assert!(ids(app.get_as(search, &other).await.assert_ok_json()).is_empty());
}
