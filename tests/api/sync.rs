//! The change feed and the snapshot: a partner that loads the snapshot and follows the feed
//! from its cursor holds exactly the public data, whatever writers do meanwhile.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::http::Method;
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc_tests::{Request, TestApp, activity, count, json, recommendation, stakeholder};

use crate::activities::{consent, item, organisation, submit};

/// A partner's copy: `(type, id)` → the item's public representation.
pub type Copy = BTreeMap<(String, String), Value>;

/// The feed position an opaque cursor holds (read with the service's own key: a client cannot);
/// `""`, the start.
pub fn position(app: &TestApp, cursor: &str) -> u64 {
    if cursor.is_empty() {
        return 0;
    }
    match app.service.state.cursors.decode_feed(cursor) {
        Some((n, _)) => n as u64,
        None => panic!("{cursor} is not a feed cursor"),
    }
}

/// Follows the feed from `after` (`""`: the start) until it has nothing more; applies each change to `copy`.
/// Checks that positions only grow. Returns where to resume.
pub async fn follow(
    app: &TestApp,
    token: Option<&str>,
    after: &str,
    copy: &mut Copy,
    seen: &mut BTreeSet<u64>,
) -> String {
    let mut after = after.to_owned();
    loop {
        let path = if after.is_empty() {
            "/api/v1/changes?limit=7".to_owned()
        } else {
            format!("/api/v1/changes?after={after}&limit=7")
        };
        let page = match token {
            Some(t) => app.get_as(&path, t).await,
            None => app.get(&path).await,
        }
        .assert_ok_json();
        for change in page["items"].as_array().unwrap() {
            let cursor = position(app, change["cursor"].as_str().unwrap());
            assert!(seen.insert(cursor), "change {cursor} seen twice");
            assert!(cursor > position(app, &after), "out of order");
            let key = (
                change["type"].as_str().unwrap().to_owned(),
                change["id"].as_str().unwrap().to_owned(),
            );
            match change["op"].as_str().unwrap() {
                "upsert" => {
                    copy.insert(key, change["data"].clone());
                }
                "delete" => {
                    copy.remove(&key);
                }
                other => panic!("op {other}"),
            }
        }
        let next = page["next_cursor"].as_str().unwrap().to_owned();
        assert!(position(app, &next) >= position(app, &after));
        after = next;
        if !page["has_more"].as_bool().unwrap() {
            return after;
        }
    }
}

/// The public data as the lists show it to an anonymous caller.
pub async fn public_data(app: &TestApp) -> Copy {
    let mut out = Copy::new();
    for (kind, path) in [
        ("recommendation", "/api/v1/recommendations"),
        ("stakeholder", "/api/v1/stakeholders"),
        ("activity", "/api/v1/activities"),
        ("consent", "/api/v1/consents"),
    ] {
        for x in app.all(path).await {
            out.insert((kind.to_owned(), x["id"].as_str().unwrap().to_owned()), x);
        }
    }
    out
}

/// Loads the snapshot: the copy and the cursor to follow from.
pub async fn snapshot(app: &TestApp, types: &str) -> (Copy, String) {
    snapshot_as(app, None, types).await
}

/// [`snapshot`] as the caller of `token`.
pub async fn snapshot_as(app: &TestApp, token: Option<&str>, types: &str) -> (Copy, String) {
    let path = format!("/api/v1/export{types}");
    let reply = match token {
        Some(t) => app.get_as(&path, t).await,
        None => app.get(&path).await,
    };
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.content_type(), "application/x-ndjson");
    let cursor = reply.header("x-changes-cursor").unwrap().to_owned();
    let mut copy = Copy::new();
    for line in reply.text().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let key = (
            v["type"].as_str().unwrap().to_owned(),
            v["id"].as_str().unwrap().to_owned(),
        );
        assert!(
            copy.insert(key, v["data"].clone()).is_none(),
            "twice: {line}"
        );
    }
    (copy, cursor)
}

/// Callers who ask for a snapshot while it is being read are given that one, file and cursor:
/// it is read once. Asked again once it has been read, it is given again while the data is
/// unchanged, and read again after a write.
#[actix_web::test]
async fn callers_asking_while_a_snapshot_is_read_are_given_that_one() {
    let app = TestApp::spawn();
    for n in 0..3 {
        app.create(
            "/api/v1/recommendations",
            &recommendation("KEN", 40 + n, "Shared"),
        )
        .await;
    }
    let state = &app.service.state;
    let sync = app.token(Role::Sync, None, None);
    // Every turn at reading the database for an export is taken: the snapshot waits for one
    // until both callers have asked.
    let turns = state.export_reads.clone();
    let held = turns
        .clone()
        .acquire_many_owned(turns.available_permits() as u32)
        .await
        .unwrap();
    let (read, asked) = state.snapshots.counts();
    let release = async {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while state.snapshots.counts().1 < asked + 2 && std::time::Instant::now() < deadline {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        drop(held);
    };
    // Two callers (an anonymous one and a partner's token): both read the public snapshot.
    let (anonymous, partner, ()) = futures_util::join!(
        app.get("/api/v1/export"),
        app.get_as("/api/v1/export", &sync),
        release
    );
    assert_eq!(state.snapshots.counts(), (read + 1, asked + 2));
    for reply in [&anonymous, &partner] {
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.text().lines().count(), 3);
    }
    assert_eq!(anonymous.body, partner.body);
    assert_eq!(
        anonymous.header("x-changes-cursor"),
        partner.header("x-changes-cursor")
    );

    // Read, it is given to no one else: a later caller gets the data as it is then.
    app.create(
        "/api/v1/recommendations",
        &recommendation("KEN", 43, "Shared"),
    )
    .await;
    let (copy, cursor) = snapshot(&app, "").await;
    assert_eq!(copy.len(), 4);
    assert_ne!(Some(cursor.as_str()), anonymous.header("x-changes-cursor"));
    assert_eq!(state.snapshots.counts(), (read + 2, asked + 3));

    // Asked again while the data is unchanged, the snapshot read is given again, file and
    // cursor, not read again: a caller asking for snapshot after snapshot reads the database
    // once.
    let (again, again_cursor) = snapshot(&app, "").await;
    assert_eq!((again, again_cursor), (copy, cursor));
    assert_eq!(state.snapshots.counts(), (read + 2, asked + 4));
    app.create(
        "/api/v1/recommendations",
        &recommendation("KEN", 44, "Shared"),
    )
    .await;

    // A reading whose every caller went away before its turn came reads nothing.
    let held = turns
        .clone()
        .acquire_many_owned(turns.available_permits() as u32)
        .await
        .unwrap();
    let gone = actix_web::rt::time::timeout(
        std::time::Duration::from_millis(200),
        app.get("/api/v1/export"),
    )
    .await;
    assert!(gone.is_err(), "the caller gave up waiting");
    drop(held);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(state.snapshots.counts(), (read + 2, asked + 5));
    let (copy, _) = snapshot(&app, "").await;
    assert_eq!(copy.len(), 5);
    assert_eq!(state.snapshots.counts(), (read + 3, asked + 6));
}

/// A snapshot holds every kind of item, each kind a run of its file: asked for some kinds and
/// then others (every combination in turn), the database is read once while the data is
/// unchanged, and each answer holds its kinds alone, in the file's order.
#[actix_web::test]
async fn a_snapshot_of_any_kinds_is_sent_from_the_one_read() {
    let app = TestApp::spawn();
    let kenya = app.token(Role::State, Some("KEN"), None);
    app.create(
        "/api/v1/recommendations",
        &recommendation("KEN", 22, "Kinds"),
    )
    .await;
    app.create(
        "/api/v1/stakeholders",
        &stakeholder("academia", None, "Kinds"),
    )
    .await;
    // Recommendations of more than the 64 KiB an answer's piece reads: their run spans pieces.
    let mut csv = String::from("state_under_review,session,text__en\n");
    for i in 0..400 {
        csv.push_str(&format!(
            "UGA,26,Recommendation number {i} on the rights of the child.\n"
        ));
    }
    let report = app
        .upload("/api/v1/bulk/recommendations", "text/csv", csv)
        .await
        .assert_ok_json();
    assert_eq!(report["created"], 400, "{report}");
    submit(&app, &kenya, &activity(&["KEN"], "Kenya's own")).await;
    consent(&app, &kenya, json!({"decision": "granted", "scope": "all"})).await;
    let (whole, cursor) = snapshot(&app, "").await;
    let recommendations = app.get("/api/v1/export?types=recommendation").await.text();
    assert!(
        recommendations.len() > 2 * 64 * 1024,
        "{}",
        recommendations.len()
    );
    let state = &app.service.state;
    let (read, _) = state.snapshots.counts();
    for types in [
        "activity",
        "consent,recommendation",
        "offer",
        "stakeholder,activity,consent",
        "recommendation,stakeholder,activity,consent,assistance_request,offer",
    ] {
        let (part, at) = snapshot(&app, &format!("?types={types}")).await;
        assert_eq!(at, cursor, "{types}");
        let wanted: BTreeSet<&str> = types.split(',').collect();
        let expected: Copy = whole
            .iter()
            .filter(|(k, _)| wanted.contains(k.0.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(part, expected, "{types}");
    }
    assert_eq!(state.snapshots.counts().0, read, "read once");
    // Lines of a kind come together, in the order of the whole.
    let reply = app
        .get("/api/v1/export?types=consent,recommendation")
        .await
        .text();
    let mut kinds: Vec<String> = reply
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let count = kinds.len();
    kinds.dedup();
    assert_eq!(kinds, ["recommendation", "consent"]);
    assert_eq!(count, 401 + 1, "401 recommendations, a consent");
}

#[actix_web::test]
async fn a_withdrawal_reaches_a_partner_as_a_delete() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Feed NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let sync = app.token(Role::Sync, None, None);
    let a = submit(&app, &token, &activity(&["KEN"], "Followed")).await;
    let id = a["id"].as_str().unwrap();
    let (mut copy, mut seen) = (Copy::new(), BTreeSet::new());
    let mut cursor = follow(&app, Some(&sync), "", &mut copy, &mut seen).await;
    let key = ("activity".to_owned(), id.to_owned());
    assert!(!copy.contains_key(&key), "not public yet");
    // The organisation's contact details are not in the public feed.
    let org = copy
        .iter()
        .find(|(k, _)| k.0 == "stakeholder")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(org["contact"].is_null(), "{org}");

    consent(&app, &kenya, json!({"decision": "granted", "scope": "all"})).await;
    cursor = follow(&app, Some(&sync), &cursor, &mut copy, &mut seen).await;
    assert_eq!(copy[&key]["visibility"]["public"], true);
    let withdrawal = consent(
        &app,
        &kenya,
        json!({"decision": "withdrawn", "scope": "all"}),
    )
    .await;
    let page = app
        .get_as(
            &format!("/api/v1/changes?after={cursor}&types=activity"),
            &sync,
        )
        .await
        .assert_ok_json();
    assert_eq!(page["items"][0]["op"], "delete", "{page}");
    assert_eq!(page["items"][0]["id"], id);
    assert!(page["items"][0]["data"].is_null());
    follow(&app, Some(&sync), &cursor, &mut copy, &mut seen).await;
    assert!(!copy.contains_key(&key));
    assert_eq!(copy, public_data(&app).await);

    // admin follows the full feed: the activity throughout, with why it is hidden.
    let mut full = Copy::new();
    follow(
        &app,
        Some(&app.admin_token()),
        "",
        &mut full,
        &mut BTreeSet::new(),
    )
    .await;
    assert_eq!(
        full[&key]["visibility"]["reasons"],
        json!([format!(
            "consent withdrawn by KEN (record {}, scope all)",
            withdrawal["id"].as_str().unwrap()
        )])
    );
    assert!(
        full.iter()
            .any(|(k, v)| k.0 == "stakeholder" && v["contact"].is_object())
    );
}

/// What the public feed said of an activity goes with its consent: a reader who starts after
/// the withdrawal reads neither its title nor any of its fields, only that it is gone; the
/// full feed keeps the whole history.
#[actix_web::test]
async fn a_reader_who_starts_after_a_withdrawal_never_reads_what_was_withdrawn() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Feed NGO").await;
    let mozambique = app.token(Role::State, Some("MOZ"), None);
    let a = submit(
        &app,
        &token,
        &activity(&["MOZ"], "Confidential dialogue with the prison service"),
    )
    .await;
    let id = a["id"].as_str().unwrap();
    let by_name =
        |decision: &str| json!({"decision": decision, "scope": "activity", "activity_id": id});
    consent(&app, &mozambique, by_name("granted")).await;
    let patch = app
        .send_json(
            Method::PATCH,
            &item(&a),
            Some(&token),
            &json!({"summary": {"en": "Edited while public"}}),
        )
        .await;
    assert_eq!(patch.status, 200, "{}", patch.text());
    consent(&app, &mozambique, by_name("withdrawn")).await;
    for token in [None, Some(app.token(Role::Sync, None, None))] {
        let page = match &token {
            Some(t) => app.get_as("/api/v1/changes?limit=1000", t).await,
            None => app.get("/api/v1/changes?limit=1000").await,
        }
        .assert_ok_json();
        let text = page.to_string();
        assert!(!text.contains("Confidential"), "{text}");
        assert!(!text.contains("Edited while public"), "{text}");
        let ops: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["id"] == id)
            .map(|c| c["op"].as_str().unwrap())
            .collect();
        assert_eq!(ops, ["delete"]);
    }
    let full = every_change(&app, &app.admin_token()).await;
    let ops: Vec<&str> = full
        .iter()
        .filter(|c| c.1 == id)
        .map(|c| c.2.as_str())
        .collect();
    assert_eq!(ops, ["upsert", "upsert", "upsert", "upsert"], "{full:?}");
    // Granted again, it is shown again from then on.
    consent(&app, &mozambique, by_name("granted")).await;
    let page = app
        .get("/api/v1/changes?limit=1000&types=activity")
        .await
        .assert_ok_json();
    let ops: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["op"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["delete", "upsert"]);
    // A blanket withdrawal hides many at once, and silences what was said of each.
    let others = [
        submit(&app, &token, &activity(&["MOZ"], "Second")).await,
        submit(&app, &token, &activity(&["MOZ"], "Third")).await,
    ];
    consent(
        &app,
        &mozambique,
        json!({"decision": "granted", "scope": "all"}),
    )
    .await;
    consent(
        &app,
        &mozambique,
        json!({"decision": "withdrawn", "scope": "all"}),
    )
    .await;
    let page = app
        .get("/api/v1/changes?limit=1000&types=activity")
        .await
        .assert_ok_json();
    for other in &others {
        let ops: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["id"] == other["id"])
            .map(|c| c["op"].as_str().unwrap())
            .collect();
        assert_eq!(ops, ["delete"], "{page}");
    }
}

#[actix_web::test]
async fn the_feed_checks_its_parameters_and_always_says_where_to_resume() {
    let app = TestApp::spawn();
    let empty = app.get("/api/v1/changes").await.assert_ok_json();
    assert_eq!(empty["items"], json!([]));
    assert_eq!(empty["has_more"], false);
    assert_eq!(position(&app, empty["next_cursor"].as_str().unwrap()), 0);
    app.create("/api/v1/recommendations", &recommendation("KEN", 20, "One"))
        .await;
    app.create("/api/v1/recommendations", &recommendation("KEN", 20, "Two"))
        .await;
    let reply = app
        .get("/api/v1/changes?limit=1&types=recommendation")
        .await;
    let first = reply.assert_ok_json();
    assert_eq!(first["has_more"], true);
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let next = first["next_cursor"].as_str().unwrap();
    // While there is more, `Link` names the next page as a list's page does.
    assert_eq!(
        reply.header("link"),
        Some(
            format!("</api/v1/changes?limit=1&types=recommendation&after={next}>; rel=\"next\"")
                .as_str()
        )
    );
    let reply = app.get(&format!("/api/v1/changes?after={next}")).await;
    let rest = reply.assert_ok_json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["has_more"], false);
    assert_eq!(reply.header("link"), None);
    // Filtered to a kind that has nothing: the cursor still moves to the last public change.
    let none = app
        .get("/api/v1/changes?types=activity,offer")
        .await
        .assert_ok_json();
    assert!(none["items"].as_array().unwrap().is_empty());
    assert_eq!(none["next_cursor"], rest["next_cursor"]);
    for bad in [
        "types=planet",
        "after=-1",
        "after=abc",
        "limit=0",
        "limit=1001",
        "wait=31",
    ] {
        let reply = app.get(&format!("/api/v1/changes?{bad}")).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert_eq!(reply.content_type(), "application/problem+json");
    }
}

/// The ids of the changes from `after` to the end of the feed, `limit` a page, and how many
/// pages that took.
async fn ids_to_the_end(app: &TestApp, after: &str, limit: usize) -> (Vec<String>, usize) {
    let (mut after, mut ids, mut pages) = (after.to_owned(), Vec::new(), 0);
    loop {
        let path = match after.as_str() {
            "" => format!("/api/v1/changes?limit={limit}"),
            after => format!("/api/v1/changes?limit={limit}&after={after}"),
        };
        let page = app.get(&path).await.assert_ok_json();
        pages += 1;
        for change in page["items"].as_array().unwrap() {
            ids.push(change["id"].as_str().unwrap().to_owned());
        }
        after = page["next_cursor"].as_str().unwrap().to_owned();
        if page["has_more"] == false {
            return (ids, pages);
        }
        settled(app).await;
    }
}

/// Until nothing is being read ahead.
async fn settled(app: &TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !app.service.state.feed_ahead.idle() {
        assert!(
            std::time::Instant::now() < deadline,
            "a read ahead never ends"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}

/// A client catching up is given the next pages as they were read while it took the one
/// before (`app::read_ahead`); a page read ahead before a write is read again after it.
#[actix_web::test]
async fn pages_read_ahead_are_given_only_while_nothing_was_written() {
    const METRICS: &str = "scrape-me-if-you-can-0123456789";
    let app = TestApp::spawn_with(|s| s.metrics.token = Some(METRICS.into()));
    let mut ids = Vec::new();
    for text in ["One", "Two", "Three", "Four", "Five"] {
        let created = app
            .create("/api/v1/recommendations", &recommendation("KEN", 20, text))
            .await;
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while app.service.state.watch.version().is_none() {
        assert!(std::time::Instant::now() < deadline, "no version read");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // The first page makes the second (Three, Four) and the third (Five, the last) be read
    // ahead; once the second is given, a write adds Six to the third.
    let first = app.get("/api/v1/changes?limit=2").await.assert_ok_json();
    settled(&app).await;
    let path = format!(
        "/api/v1/changes?limit=2&after={}",
        first["next_cursor"].as_str().unwrap()
    );
    let second = app.get(&path).await.assert_ok_json();
    assert_eq!(second["items"][1]["id"].as_str(), Some(ids[3].as_str()));
    settled(&app).await;
    let six = app
        .create("/api/v1/recommendations", &recommendation("KEN", 20, "Six"))
        .await;
    ids.push(six["id"].as_str().unwrap().to_owned());
    let (rest, _) = ids_to_the_end(&app, second["next_cursor"].as_str().unwrap(), 2).await;
    assert_eq!(rest, ids[4..], "the page after the write, read again");
    // Pages are given as read ahead. Every write of this process makes them stale, and other
    // tests of this process write beside this one: the feed is read again until no write came
    // between.
    let hits = |text: &str| {
        let series = r#"upr_tc_kept_reads_total{store="feed_ahead",outcome="hit"} "#;
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let scrape = || {
        app.send(
            Request::get()
                .uri("/metrics")
                .insert_header(("Authorization", format!("Bearer {METRICS}"))),
        )
    };
    for attempt in 0.. {
        assert!(attempt < 200, "never a quiet moment");
        let version = app.service.state.watch.version();
        let before = scrape().await.text();
        let (all, pages) = ids_to_the_end(&app, "", 2).await;
        let after = scrape().await.text();
        assert_eq!(all, ids);
        assert_eq!(pages, 3);
        if version.is_none() || app.service.state.watch.version() != version {
            continue;
        }
        assert_eq!(hits(&after) - hits(&before), 2.0, "{after}");
        break;
    }
}

/// From the feed's head, a request that waits `wait` seconds for changes and, 300 ms into
/// its wait, `meanwhile`: the page it answered, what `meanwhile` gave, the head, and how long
/// the request took. Not a race to win: whichever comes first, the page must say what
/// `meanwhile` did; the delay only makes it likely that it happens while the request waits.
async fn waiting_while<T>(
    app: &TestApp,
    wait: u64,
    meanwhile: impl std::future::Future<Output = T>,
) -> (Value, T, String, std::time::Duration) {
    let head = app.get("/api/v1/changes").await.assert_ok_json()["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = std::time::Instant::now();
    let path = format!("/api/v1/changes?after={head}&wait={wait}");
    let later = async {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
        meanwhile.await
    };
    let (reply, done) = futures_util::join!(app.get(&path), later);
    (reply.assert_ok_json(), done, head, started.elapsed())
}

#[actix_web::test]
async fn a_waiting_request_answers_when_a_change_arrives() {
    let app = TestApp::spawn();
    let late = recommendation("UGA", 21, "Late");
    let write = app.create("/api/v1/recommendations", &late);
    let (page, created, _, took) = waiting_while(&app, 10, write).await;
    assert_eq!(page["items"][0]["id"], created["id"]);
    assert!(took < std::time::Duration::from_secs(5));
    // With nothing new, the wait ends empty at its deadline.
    let next = page["next_cursor"].as_str().unwrap();
    let started = std::time::Instant::now();
    let page = app
        .get(&format!("/api/v1/changes?after={next}&wait=1"))
        .await
        .assert_ok_json();
    assert!(page["items"].as_array().unwrap().is_empty());
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
}

/// A service told to stop answers its waiting requests at once (an empty page that resumes
/// where they asked), rather than keep a restart waiting for their waits to end.
#[actix_web::test]
async fn a_waiting_request_answers_when_the_service_stops() {
    let app = TestApp::spawn();
    let stop = async {
        app.service
            .state
            .stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let (page, (), head, took) = waiting_while(&app, 30, stop).await;
    assert!(page["items"].as_array().unwrap().is_empty(), "{page}");
    assert_eq!(page["next_cursor"], head.as_str());
    assert!(took < std::time::Duration::from_secs(10));
}

#[actix_web::test]
async fn a_snapshot_then_the_feed_equals_the_public_data() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Snapshot NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    app.create(
        "/api/v1/recommendations",
        &recommendation("KEN", 22, "Before"),
    )
    .await;
    submit(&app, &kenya, &activity(&["KEN"], "Kenya's own")).await;
    submit(&app, &token, &activity(&["KEN"], "Awaiting")).await;
    let (mut copy, cursor) = snapshot(&app, "").await;
    assert_eq!(copy, public_data(&app).await);
    // Only some kinds.
    let (activities_only, _) = snapshot(&app, "?types=activity").await;
    assert!(activities_only.keys().all(|k| k.0 == "activity"));
    assert_eq!(activities_only.len(), 1);
    app.get("/api/v1/export?types=planet")
        .await
        .assert_problem(400, "invalid_parameter");
    // Changes after the snapshot arrive through the feed.
    consent(&app, &kenya, json!({"decision": "granted", "scope": "all"})).await;
    app.create(
        "/api/v1/stakeholders",
        &stakeholder("academia", None, "After"),
    )
    .await;
    follow(&app, None, &cursor, &mut copy, &mut BTreeSet::new()).await;
    assert_eq!(copy, public_data(&app).await);
}

/// `admin`'s snapshot is of everything, whole, and stands where the full feed stands: with the
/// full feed after it, it makes what the full feed makes from its start, hidden items too.
#[actix_web::test]
async fn an_admin_snapshot_then_the_full_feed_is_every_item() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, ngo) = organisation(&app, "Full snapshot NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let awaiting = submit(&app, &ngo, &activity(&["KEN"], "Awaiting")).await;
    let mut draft = activity(&["KEN"], "A draft");
    draft["publication"] = json!("draft");
    let draft = submit(&app, &ngo, &draft).await;
    consent(
        &app,
        &kenya,
        json!({"decision": "refused", "scope": "activity",
        "activity_id": awaiting["id"]}),
    )
    .await;
    let (mut copy, cursor) = snapshot_as(&app, Some(&admin), "").await;
    for a in [&awaiting, &draft] {
        let key = ("activity".to_owned(), a["id"].as_str().unwrap().to_owned());
        assert!(
            copy.contains_key(&key),
            "{key:?} hidden, in admin's snapshot"
        );
    }
    assert!(
        copy.keys().any(|k| k.0 == "consent"),
        "the refusal by name too"
    );
    let (public, _) = snapshot(&app, "").await;
    assert!(public.len() < copy.len());
    // Hidden writes after the snapshot reach the copy through the full feed.
    let edit = json!({"title": {"en": "A draft, edited"}});
    let reply = app
        .send_json(Method::PATCH, &item(&draft), Some(&ngo), &edit)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    follow(&app, Some(&admin), &cursor, &mut copy, &mut BTreeSet::new()).await;
    let mut everything = Copy::new();
    follow(
        &app,
        Some(&admin),
        "",
        &mut everything,
        &mut BTreeSet::new(),
    )
    .await;
    assert_eq!(copy, everything);
}

/// Several writers create, update, delete, submit and withdraw consent side by side while a
/// partner follows the feed; at the end its copy is the public data and no change came twice.
/// Repeated, to meet many interleavings.
#[actix_web::test]
async fn a_partner_following_concurrent_writers_misses_nothing() {
    let app = TestApp::spawn();
    let (org, token) = organisation(&app, "Busy NGO").await;
    let _ = org;
    let admin = app.admin_token();
    let states = ["KEN", "UGA", "TZA"];
    let (mut copy, cursor) = snapshot(&app, "").await;
    let mut cursor = cursor;
    let mut seen = BTreeSet::new();
    for round in 0..6 {
        let writer = |w: usize| {
            let (app, admin, token) = (&app, admin.clone(), token.clone());
            async move {
                for i in 0..4 {
                    let tag = format!("r{round} w{w} i{i}");
                    let rec = app
                        .create(
                            "/api/v1/recommendations",
                            &recommendation(states[w % 3], 23, &tag),
                        )
                        .await;
                    let path = format!("/api/v1/recommendations/{}", rec["id"].as_str().unwrap());
                    if i % 2 == 0 {
                        app.send_json(
                            Method::PATCH,
                            &path,
                            Some(&admin),
                            &json!({"action_category": 2}),
                        )
                        .await
                        .assert_ok_json();
                    } else {
                        let reply = app
                            .send(
                                Request::delete()
                                    .uri(&path)
                                    .insert_header(("Authorization", format!("Bearer {admin}"))),
                            )
                            .await;
                        assert_eq!(reply.status, 204);
                    }
                    let state = states[(w + i) % 3];
                    let a = submit(app, &token, &activity(&[state], &tag)).await;
                    let decision = ["granted", "withdrawn", "refused"][(w + i + round) % 3];
                    consent(
                        app,
                        &app.token(Role::State, Some(state), None),
                        json!({"decision": decision, "scope": "activity", "activity_id": a["id"]}),
                    )
                    .await;
                    if i == 3 {
                        app.send_json(
                            Method::PATCH,
                            &item(&a),
                            Some(&token),
                            &json!({"publication": "withdrawn"}),
                        )
                        .await
                        .assert_ok_json();
                    }
                }
            }
        };
        let poller = async {
            let mut c = cursor.clone();
            for _ in 0..20 {
                c = follow(&app, None, &c, &mut copy, &mut seen).await;
                // Paces the poller among the writers; no assertion depends on when it looks.
                actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            c
        };
        let (_, _, _, c) = futures_util::join!(writer(0), writer(1), writer(2), poller);
        cursor = follow(&app, None, &c, &mut copy, &mut seen).await;
        assert_eq!(copy, public_data(&app).await, "after round {round}");
    }
}

/// The interleaving that skips a change when writers are not serialised, made certain: one
/// write holds its transaction open while another commits and a reader reads the feed. The
/// reader must still see both, once each.
///
/// No delay decides the order. The first write inserts and then waits for the test's signal to
/// commit; the second says when it is about to write, and the test then waits until it is seen
/// waiting for a lock (PostgreSQL `pg_locks`) or finished, before the reader reads. With the
/// write lock (`db::lock_writes`) it waits for the advisory lock, and the reader sees nothing
/// new yet; without it, it commits a higher number first, the reader moves past the lower one
/// still uncommitted, and the test fails, every time. The lock is PostgreSQL's: on SQLite,
/// `BEGIN IMMEDIATE` holds the second write back, which no other connection can observe, so
/// there the test checks the same outcome without seeing the wait.
#[actix_web::test]
async fn a_change_committed_late_is_not_skipped() {
    use std::sync::mpsc;
    use upr_tc::db::audit::Actor;
    use upr_tc::db::documents;
    use upr_tc::db::tx::{Tx, write};
    use upr_tc::domain::recommendation::{
        Recommendation, RecommendationContent, RecommendationInput,
    };
    use upr_tc_tests::{SecondWriter, backend_pid, until_waiting_or_finished};

    let app = TestApp::spawn();
    let head = app.get("/api/v1/changes").await.assert_ok_json()["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let input = |text: &str| -> RecommendationContent {
        serde_json::from_value::<RecommendationInput>(recommendation("KEN", 24, text))
            .unwrap()
            .validate()
            .unwrap()
    };
    let (slow, fast) = (input("Committed last"), input("Committed first"));
    let pool = app.service.state.pool.clone();
    let (inserted, has_inserted) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let held = std::thread::spawn({
        let pool = pool.clone();
        move || {
            let mut conn = pool.get().unwrap();
            Tx::begin(&mut conn).unwrap();
            documents::insert::<Recommendation>(
                &mut conn,
                &Actor::operator(),
                slow,
                upr_tc::domain::Id::new_v7(),
            )
            .unwrap();
            inserted.send(()).unwrap();
            // Until the test says so (or fails: the sender is dropped).
            let _ = released.recv();
            Tx::commit(&mut conn).unwrap();
        }
    });
    has_inserted.recv().unwrap();
    let (about_to_write, is_about_to_write) = mpsc::channel();
    let quick = std::thread::spawn({
        let pool = pool.clone();
        move || {
            let mut conn = pool.get().unwrap();
            about_to_write.send(backend_pid(&mut conn)).unwrap();
            write(&mut conn, |c| {
                documents::insert::<Recommendation>(
                    c,
                    &Actor::operator(),
                    fast,
                    upr_tc::domain::Id::new_v7(),
                )
            })
            .unwrap();
        }
    });
    let pid = is_about_to_write.recv().unwrap();
    let second = until_waiting_or_finished(&pool, pid, &quick);
    let (mut copy, mut seen) = (Copy::new(), BTreeSet::new());
    let cursor = follow(&app, None, &head, &mut copy, &mut seen).await;
    let committed_beside = quick.is_finished();
    release.send(()).unwrap();
    held.join().unwrap();
    quick.join().unwrap();
    follow(&app, None, &cursor, &mut copy, &mut seen).await;
    let texts: BTreeSet<&str> = copy
        .values()
        .map(|r| r["text"]["en"].as_str().unwrap())
        .collect();
    assert_eq!(texts, BTreeSet::from(["Committed first", "Committed last"]));
    assert!(
        !committed_beside
            && (second == SecondWriter::Unobservable
                || second == SecondWriter::Waiting("advisory".into())),
        "the second write was not held back by the write lock: {second:?}"
    );
}

/// A cursor as the contract states it: 22 base64url characters, nothing else.
fn opaque(cursor: &str) -> bool {
    cursor.len() == 22
        && cursor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[actix_web::test]
async fn cursors_are_opaque_and_only_those_given_out_are_taken() {
    let app = TestApp::spawn();
    let (_, token) = organisation(&app, "Opaque NGO").await;
    for i in 0..3 {
        app.create(
            "/api/v1/recommendations",
            &recommendation("KEN", 20, &format!("Item {i}")),
        )
        .await;
    }
    // A hidden write (an activity awaiting consent) between two public ones.
    submit(&app, &token, &activity(&["KEN"], "Hidden")).await;
    app.create(
        "/api/v1/recommendations",
        &recommendation("UGA", 20, "Last"),
    )
    .await;

    // Lists.
    let page = app
        .get("/api/v1/recommendations?limit=2")
        .await
        .assert_ok_json();
    let next = page["next_cursor"].as_str().unwrap().to_owned();
    assert!(opaque(&next), "{next}");
    let search = app
        .get("/api/v1/recommendations?q=item&limit=1")
        .await
        .assert_ok_json();
    let ranked = search["next_cursor"].as_str().unwrap().to_owned();
    assert!(opaque(&ranked), "{ranked}");
    app.get(&format!("/api/v1/recommendations?limit=2&cursor={next}"))
        .await
        .assert_ok_json();

    // A list's cursor goes on through the list its first page asked for: the same filters, in
    // whatever order, with any `limit` (as another build of the service would take them: the
    // cursor holds what was asked, not how this build reads it); other filters or another `q`
    // are a 400, not a page of that list read from where the first stopped.
    let kenya = app
        .get("/api/v1/recommendations?state_under_review=KEN&session=20&limit=1")
        .await
        .assert_ok_json();
    let in_kenya = kenya["next_cursor"].as_str().unwrap().to_owned();
    let again = app
        .get(&format!(
            "/api/v1/recommendations?session=20&limit=5&state_under_review=KEN&cursor={in_kenya}"
        ))
        .await
        .assert_ok_json();
    assert_eq!(again["items"].as_array().unwrap().len(), 2, "{again}");
    for other in [
        format!("state_under_review=UGA&session=20&cursor={in_kenya}"),
        format!("state_under_review=KEN&cursor={in_kenya}"),
        format!("cursor={in_kenya}"),
        format!("state_under_review=KEN&session=20&q=item&cursor={in_kenya}"),
        format!("q=last&cursor={ranked}"),
        format!("q=item&session=20&cursor={ranked}"),
    ] {
        let problem = app
            .get(&format!("/api/v1/recommendations?{other}"))
            .await
            .assert_problem(400, "invalid_parameter");
        assert!(
            problem.to_string().contains("with these filters"),
            "{other}: {problem}"
        );
    }
    // So do the other lists': the audit trail's, by its filters.
    let admin = app.admin_token();
    let audit = app
        .get_as("/api/v1/audit?entity=recommendation&limit=1", &admin)
        .await
        .assert_ok_json();
    let in_audit = audit["next_cursor"].as_str().unwrap().to_owned();
    app.get_as(
        &format!("/api/v1/audit?entity=recommendation&limit=2&cursor={in_audit}"),
        &admin,
    )
    .await
    .assert_ok_json();
    app.get_as(
        &format!("/api/v1/audit?entity=activity&cursor={in_audit}"),
        &admin,
    )
    .await
    .assert_problem(400, "invalid_parameter");
    // One given out before cursors named their filters names the list alone: taken with any.
    let older =
        app.service
            .state
            .cursors
            .encode_for(upr_tc::cursor::Kind::After, "recommendations", 1);
    app.get(&format!(
        "/api/v1/recommendations?state_under_review=UGA&cursor={older}"
    ))
    .await
    .assert_ok_json();

    // The feed: every cursor it gives out, the snapshot's included.
    let feed = app.get("/api/v1/changes").await.assert_ok_json();
    let head = feed["next_cursor"].as_str().unwrap().to_owned();
    assert!(opaque(&head));
    assert!(
        feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| opaque(c["cursor"].as_str().unwrap()))
    );
    let (_, snapshot) = snapshot(&app, "").await;
    assert!(opaque(&snapshot), "{snapshot}");
    assert_eq!(snapshot, head, "the same position, the same cursor");

    // Positions as they were once written, forged or altered cursors, and one kind's cursor
    // given as another's are refused.
    let mut tampered = next.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [
        "a5",
        "o200",
        "5",
        "AAAAAAAAAAAAAAAAAAAAAA",
        &tampered,
        &head,
    ] {
        app.get(&format!("/api/v1/recommendations?cursor={bad}"))
            .await
            .assert_problem(400, "invalid_parameter");
    }
    for bad in [
        "0",
        "5",
        "AAAAAAAAAAAAAAAAAAAAAA",
        &tampered,
        &next,
        &ranked,
    ] {
        app.get(&format!("/api/v1/changes?after={bad}"))
            .await
            .assert_problem(400, "invalid_parameter");
    }

    // Another instance on the same database reads them: the key lives in the database.
    let other = upr_tc::startup::Service::build((*app.service.settings).clone()).unwrap();
    assert_eq!(
        other.state.cursors.decode(&head),
        app.service.state.cursors.decode(&head)
    );
    assert!(other.state.cursors.decode(&head).is_some());
}

/// Each change of a feed, from the start, as `token` reads it: `(type, id, op, data)`.
pub async fn every_change(app: &TestApp, token: &str) -> Vec<(String, String, String, Value)> {
    let page = app
        .get_as("/api/v1/changes?limit=1000", token)
        .await
        .assert_ok_json();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_owned();
            (s("type"), s("id"), s("op"), c["data"].clone())
        })
        .collect()
}

/// Every change of the feed `token` reads, from its start, `limit` a page.
async fn changes_in_pages(app: &TestApp, token: &str, limit: usize) -> Vec<Value> {
    let (mut after, mut changes) = (String::new(), Vec::new());
    loop {
        let query = if after.is_empty() {
            format!("/api/v1/changes?limit={limit}")
        } else {
            format!("/api/v1/changes?limit={limit}&after={after}")
        };
        let page = app.get_as(&query, token).await.assert_ok_json();
        changes.extend(page["items"].as_array().unwrap().iter().cloned());
        after = page["next_cursor"].as_str().unwrap().to_owned();
        if !page["has_more"].as_bool().unwrap() {
            return changes;
        }
    }
}

/// The feed keeps no copy of an item its row holds: the last change of each item is served
/// from the row, and a change stops being the last only after the database has copied the
/// item into it. Whatever was written since, each change still shows the item as it left it,
/// on both feeds.
#[actix_web::test]
async fn each_change_shows_the_item_as_it_left_it_and_only_older_changes_keep_a_copy() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let rec = app
        .create(
            "/api/v1/recommendations",
            &recommendation("KEN", 8, "Edited"),
        )
        .await;
    let path = format!("/api/v1/recommendations/{}", rec["id"].as_str().unwrap());
    for text in ["Edited once", "Edited twice"] {
        let reply = app
            .send_json(
                Method::PATCH,
                &path,
                Some(&admin),
                &json!({"text": {"en": text}}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    let gone = app
        .create("/api/v1/recommendations", &recommendation("KEN", 8, "Gone"))
        .await;
    let gone_path = format!("/api/v1/recommendations/{}", gone["id"].as_str().unwrap());
    let reply = app
        .send_json(Method::DELETE, &gone_path, Some(&admin), &json!(null))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    // An activity whose verdict the database changes when Kenya consents, then withdraws.
    let (_, ngo) = organisation(&app, "Copy NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let a = submit(&app, &ngo, &activity(&["KEN"], "Shown, then not")).await;
    consent(&app, &kenya, json!({"decision": "granted", "scope": "all"})).await;
    let public_while_shown = every_change(&app, &app.token(Role::Sync, None, None)).await;
    consent(
        &app,
        &kenya,
        json!({"decision": "withdrawn", "scope": "all"}),
    )
    .await;

    let full = every_change(&app, &admin).await;
    let of = |id: &Value| -> Vec<(String, Value)> {
        full.iter()
            .filter(|c| c.1 == id.as_str().unwrap())
            .map(|c| (c.2.clone(), c.3.clone()))
            .collect()
    };
    let texts: Vec<(String, Value, Value)> = of(&rec["id"])
        .into_iter()
        .map(|(op, d)| (op, d["version"].clone(), d["text"]["en"].clone()))
        .collect();
    assert_eq!(
        texts,
        vec![
            ("upsert".into(), json!(1), json!("Edited")),
            ("upsert".into(), json!(2), json!("Edited once")),
            ("upsert".into(), json!(3), json!("Edited twice")),
        ]
    );
    let gone_changes = of(&gone["id"]);
    assert_eq!(gone_changes.len(), 2, "{gone_changes:?}");
    assert_eq!(gone_changes[0].1["text"]["en"], "Gone");
    assert_eq!(gone_changes[1], ("delete".into(), Value::Null));
    let shown: Vec<Value> = of(&a["id"])
        .iter()
        .map(|(_, d)| d["visibility"]["public"].clone())
        .collect();
    assert_eq!(shown, vec![json!(false), json!(true), json!(false)]);
    // The public feed, read again now, still has every other item as it was shown; the
    // activity Kenya withdrew took what the public feed said of it with it: a reader who
    // starts now reads only that it is gone.
    let public_now = every_change(&app, &app.token(Role::Sync, None, None)).await;
    let activity_id = a["id"].as_str().unwrap();
    let others = |changes: &[(String, String, String, Value)]| -> Vec<_> {
        changes
            .iter()
            .filter(|c| c.1 != activity_id)
            .cloned()
            .collect()
    };
    assert_eq!(
        others(&public_now)[..others(&public_while_shown).len()],
        others(&public_while_shown)[..],
        "the public feed rewrote its past"
    );
    assert!(
        public_while_shown
            .iter()
            .any(|c| c.1 == activity_id && c.2 == "upsert")
    );
    let of_activity: Vec<_> = public_now.iter().filter(|c| c.1 == activity_id).collect();
    assert_eq!(of_activity.len(), 1, "{of_activity:?}");
    assert_eq!(of_activity[0].2, "delete");

    // What is stored: a copy only in the changes another change of the same item followed.
    let copies = count(
        &app,
        "SELECT COUNT(*) AS n FROM changes WHERE data IS NOT NULL",
    );
    let followed = count(
        &app,
        "SELECT COUNT(*) AS n FROM changes c WHERE c.op = 'upsert' AND EXISTS \
         (SELECT 1 FROM changes l WHERE l.entity = c.entity AND l.entity_id = c.entity_id \
         AND l.seq > c.seq)",
    );
    assert_eq!(copies, followed);
    // A change recorded without a write of the document would make the last one show the
    // item as it is now: the database refuses it.
    let unwritten = format!(
        "INSERT INTO changes (entity, entity_id, at, op, data) VALUES \
         ('recommendation', '{}', '2026-11-30 00:00:00', 'upsert', '{{}}')",
        rec["id"].as_str().unwrap()
    );
    let mut conn = app.service.state.pool.get().unwrap();
    let refused = diesel::connection::SimpleConnection::batch_execute(&mut **conn, &unwritten);
    assert!(refused.is_err(), "a change without its document write");
    // An upsert with no copy of its item must say which row holds it (`item_seq`), else the
    // feed could not read it: the database refuses one that does not, and takes it when it
    // does (a new item's first change, so only that rule applies).
    let nowhere = "INSERT INTO changes (entity, entity_id, at, op) VALUES ('recommendation', \
                   '0192f000-0000-7000-8000-0000000000aa', '2026-11-30 00:00:00', 'upsert')";
    let refused = diesel::connection::SimpleConnection::batch_execute(&mut **conn, nowhere);
    assert!(
        refused.is_err(),
        "an upsert that says neither what nor where"
    );
    let somewhere = nowhere
        .replace("op)", "op, item_seq)")
        .replace("'upsert')", "'upsert', 1)");
    diesel::connection::SimpleConnection::batch_execute(
        &mut **conn,
        &format!("BEGIN; {somewhere}; ROLLBACK"),
    )
    .expect("an upsert that says which row holds its item");
    drop(conn);
    assert_eq!(
        copies, 5,
        "two of the recommendation, the one deleted, two of the activity"
    );
}

/// The last change of each item is read from the item's row, whether the rows of a page's items
/// lie close together (with rows between that the page does not want: an item whose last
/// change is on a later page) or far apart (items deleted between them): each change carries
/// its own item, on pages of every size.
#[actix_web::test]
async fn a_page_reads_each_item_from_its_row_whether_its_items_lie_together_or_apart() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let sync = app.token(Role::Sync, None, None);
    let mut recs = Vec::new();
    for i in 1..=12 {
        let rec = recommendation("KEN", 8, &format!("Item {i}"));
        recs.push(app.create("/api/v1/recommendations", &rec).await);
    }
    let path = |r: &Value| format!("/api/v1/recommendations/{}", r["id"].as_str().unwrap());
    let reply = app
        .send_json(
            Method::PATCH,
            &path(&recs[1]),
            Some(&admin),
            &json!({"text": {"en": "Item 2, edited"}}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    // Items 4 to 10 deleted: the living ones' rows lie far apart.
    for r in &recs[3..10] {
        let reply = app
            .send_json(Method::DELETE, &path(r), Some(&admin), &json!(null))
            .await;
        assert_eq!(reply.status, 204, "{}", reply.text());
    }
    let as_created: BTreeMap<String, Value> = recs
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_owned(), r.clone()))
        .collect();
    for limit in [1, 3, 5, 1000] {
        let mut texts = Vec::new();
        for change in changes_in_pages(&app, &sync, limit).await {
            let id = change["id"].as_str().unwrap();
            assert_eq!(change["type"], "recommendation");
            match change["op"].as_str().unwrap() {
                "upsert" => {
                    assert_eq!(change["data"]["id"], id, "limit {limit}");
                    texts.push(change["data"]["text"]["en"].clone());
                    if change["data"]["version"] == 1 {
                        assert_eq!(change["data"], as_created[id], "limit {limit}");
                    }
                }
                op => {
                    assert_eq!(op, "delete");
                    assert_eq!(change["data"], Value::Null);
                    texts.push(Value::Null);
                }
            }
        }
        // A deleted item's upserts say nothing to the public any more: only its delete.
        let mut expected: Vec<Value> = [1, 2, 3, 11, 12].map(|i| json!(format!("Item {i}"))).into();
        expected.push(json!("Item 2, edited"));
        expected.extend(std::iter::repeat_n(Value::Null, 7));
        assert_eq!(texts, expected, "limit {limit}");
    }
}

#[actix_web::test]
async fn a_change_whose_row_holds_another_item_stops_the_feed_rather_than_show_it() {
    let app = TestApp::spawn();
    let first = app
        .create(
            "/api/v1/recommendations",
            &recommendation("KEN", 8, "First"),
        )
        .await;
    let second = app
        .create(
            "/api/v1/recommendations",
            &recommendation("KEN", 8, "Second"),
        )
        .await;
    let sync = app.token(Role::Sync, None, None);
    let page = app.get_as("/api/v1/changes", &sync).await.assert_ok_json();
    assert_eq!(page["items"][0]["data"], first);
    // The first change made to name the second item's row, as a bug or a hand in the
    // database could: the feed reads the row's number, and checks the id it holds.
    let mut conn = app.service.state.pool.get().unwrap();
    diesel::connection::SimpleConnection::batch_execute(
        &mut **conn,
        &format!(
            "UPDATE changes SET item_seq = (SELECT seq FROM recommendations WHERE id = '{}') \
             WHERE entity_id = '{}'",
            second["id"].as_str().unwrap(),
            first["id"].as_str().unwrap()
        ),
    )
    .unwrap();
    drop(conn);
    let reply = app.get_as("/api/v1/changes", &sync).await;
    reply.assert_problem(500, "internal_error");
    assert!(
        !reply.text().contains("Second"),
        "the other item's text: {}",
        reply.text()
    );
}

/// A page of many changes is read from the database in parts (on PostgreSQL, 64 positions
/// each, in no promised order): each change comes once, in order, with its own item, on pages
/// that hold several parts and on pages that end inside one.
#[actix_web::test]
async fn a_page_of_many_changes_comes_whole_and_in_order() {
    let app = TestApp::spawn();
    let mut csv = String::from("state_under_review,session,text__en\n");
    for i in 1..=300 {
        csv.push_str(&format!("KEN,8,Recommendation number {i}.\n"));
    }
    app.upload("/api/v1/bulk/recommendations", "text/csv", csv)
        .await
        .assert_ok_json();
    let sync = app.token(Role::Sync, None, None);
    let expected: Vec<String> = (1..=300)
        .map(|i| format!("Recommendation number {i}."))
        .collect();
    for limit in [1000, 100, 7] {
        let (mut last, mut texts) = (0, Vec::new());
        for change in changes_in_pages(&app, &sync, limit).await {
            let at = position(&app, change["cursor"].as_str().unwrap());
            assert!(at > last, "change {at} after {last}, limit {limit}");
            last = at;
            assert_eq!(change["op"], "upsert");
            assert_eq!(change["data"]["id"], change["id"], "limit {limit}");
            texts.push(change["data"]["text"]["en"].as_str().unwrap().to_owned());
        }
        assert_eq!(texts, expected, "limit {limit}");
    }
}
