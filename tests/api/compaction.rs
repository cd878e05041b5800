//! The change feed compacted past its horizon: read from the start it still gives every item
//! as it is; a cursor older than the compaction is answered 410 and a fresh snapshot is served.

use std::collections::BTreeSet;

use actix_web::http::Method;
use chrono::{Duration, Utc};
use upr_tc::auth::Role;
use upr_tc::db::changes::{self, Compaction};
use upr_tc_tests::{TestApp, activity, json, recommendation};

use crate::activities::{consent, item, organisation, submit};
use crate::sync::{Copy, every_change, follow, public_data, snapshot};

const RECS: &str = "/api/v1/recommendations";

fn compact(app: &TestApp, before: chrono::DateTime<Utc>) -> Compaction {
    let mut conn = app.service.state.pool.get().unwrap();
    changes::compact(&mut conn, before).unwrap()
}

/// Every change of the full feed from the start: `(type, id, op)`.
async fn full_feed(app: &TestApp) -> Vec<(String, String, String)> {
    every_change(app, &app.admin_token())
        .await
        .into_iter()
        .map(|(kind, id, op, _)| (kind, id, op))
        .collect()
}

#[actix_web::test]
async fn a_compacted_feed_gives_every_item_as_it_is_and_refuses_older_cursors() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let kept = app.create(RECS, &recommendation("KEN", 8, "Kept")).await;
    let kept_path = format!("{RECS}/{}", kept["id"].as_str().unwrap());
    for text in ["Kept, edited", "Kept, edited again"] {
        let body = json!({"text": {"en": text}});
        let reply = app
            .send_json(Method::PATCH, &kept_path, Some(&admin), &body)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    // More items than a page of `follow` holds (7), so that a reader from the start pages
    // through what is compacted.
    for i in 0..12 {
        app.create(
            RECS,
            &recommendation("KEN", 8, &format!("Many, number {i}")),
        )
        .await;
    }
    let gone = app.create(RECS, &recommendation("KEN", 8, "Gone")).await;
    let gone_path = format!("{RECS}/{}", gone["id"].as_str().unwrap());
    let reply = app
        .send_json(Method::DELETE, &gone_path, Some(&admin), &json!(null))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    // An activity published, hidden again, then edited while hidden: the public feed's last
    // word on it is the delete, which compaction keeps.
    let (_, ngo) = organisation(&app, "Compacted NGO").await;
    let kenya = app.token(Role::State, Some("KEN"), None);
    let a = submit(&app, &ngo, &activity(&["KEN"], "Shown then hidden")).await;
    consent(&app, &kenya, json!({"decision": "granted", "scope": "all"})).await;
    // A partner that followed the feed this far.
    let (mut partner, mut seen) = (Copy::new(), BTreeSet::new());
    let early = follow(&app, None, "", &mut partner, &mut seen).await;
    assert!(partner.contains_key(&("activity".to_owned(), a["id"].as_str().unwrap().to_owned())));
    consent(
        &app,
        &kenya,
        json!({"decision": "withdrawn", "scope": "all"}),
    )
    .await;
    let edit = json!({"title": {"en": "Hidden, edited"}});
    let reply = app
        .send_json(Method::PATCH, &item(&a), Some(&ngo), &edit)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let before = full_feed(&app).await;

    // Nothing is older than the horizon yet: nothing changes.
    let none = compact(&app, Utc::now() - Duration::days(1));
    assert_eq!(
        none,
        Compaction {
            floor: 0,
            removed: 0
        }
    );
    assert_eq!(full_feed(&app).await, before);

    let done = compact(&app, Utc::now() + Duration::seconds(1));
    assert!(done.removed > 0 && done.floor > 0, "{done:?}");
    let after = full_feed(&app).await;
    assert!(after.len() < before.len(), "{after:?}");
    let of = |id: &serde_json::Value| {
        after
            .iter()
            .filter(|(_, i, _)| i == id.as_str().unwrap())
            .count()
    };
    assert_eq!(of(&kept["id"]), 1, "only the last change of an item");
    assert_eq!(of(&gone["id"]), 0, "nothing of an item since deleted");

    // From the start, a partner still ends with the public data, and admin with every item.
    let mut fresh = Copy::new();
    let head = follow(&app, None, "", &mut fresh, &mut BTreeSet::new()).await;
    assert_eq!(fresh, public_data(&app).await);
    let mut full = Copy::new();
    follow(&app, Some(&admin), "", &mut full, &mut BTreeSet::new()).await;
    assert_eq!(
        full[&(
            "recommendation".to_owned(),
            kept["id"].as_str().unwrap().to_owned()
        )]["text"]["en"],
        "Kept, edited again"
    );

    // The partner's older cursor is refused with what to do; the feed's head is served.
    let problem = app
        .get(&format!("/api/v1/changes?after={early}"))
        .await
        .assert_problem(410, "cursor_expired");
    assert!(problem["detail"].as_str().unwrap().contains("snapshot"));
    app.get(&format!("/api/v1/changes?after={head}"))
        .await
        .assert_ok_json();

    // A fresh snapshot's cursor is served, and what follows it reaches the partner.
    let (mut copy, cursor) = snapshot(&app, "").await;
    app.create(RECS, &recommendation("KEN", 8, "After the compaction"))
        .await;
    follow(&app, None, &cursor, &mut copy, &mut BTreeSet::new()).await;
    assert_eq!(copy, public_data(&app).await);

    // Compacting again finds nothing more to remove.
    let again = compact(&app, Utc::now() + Duration::seconds(1));
    assert_eq!(again.removed, 0, "{again:?}");

    // A reader from the start, one page into what is compacted, goes on while the floor
    // stays; once a compaction moves it (and may have taken an item's deletion with the
    // rest of it), that reader is told to take a snapshot too.
    let first = app.get("/api/v1/changes?limit=2").await.assert_ok_json();
    let within = first["next_cursor"].as_str().unwrap().to_owned();
    let second = app
        .get(&format!("/api/v1/changes?after={within}&limit=2"))
        .await
        .assert_ok_json();
    assert_eq!(second["items"].as_array().unwrap().len(), 2, "{second}");
    let reply = app
        .send_json(Method::DELETE, &kept_path, Some(&admin), &json!(null))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    let moved = compact(&app, Utc::now() + Duration::seconds(1));
    assert!(moved.floor > again.floor, "{moved:?} {again:?}");
    app.get(&format!("/api/v1/changes?after={within}&limit=2"))
        .await
        .assert_problem(410, "cursor_expired");
    let mut fresh = Copy::new();
    follow(&app, None, "", &mut fresh, &mut BTreeSet::new()).await;
    assert_eq!(fresh, public_data(&app).await);
}
