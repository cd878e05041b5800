//! `GET /api/v1/changes` (the change feed) and `GET /api/v1/export` (the snapshot a partner
//! loads first): together they let a partner database keep an exact copy of the public data.
//! Load the snapshot, then follow the feed from the cursor the snapshot names, always resuming
//! from `next_cursor`: every change arrives exactly once, in commit order
//! (`db::changes`, docs/decisions/0006).

use std::sync::Arc;

use std::time::{Duration, Instant};
use tokio::sync::OwnedSemaphorePermit;

use actix_web::{HttpResponse, get, web};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::policy;
use crate::auth::Identity;
use crate::cursor::Cursors;
use crate::db::DbConnection;
use crate::db::changes::{self, After, Audience, Changes, FeedChange, Op, Page, TYPES};
use crate::error::{ApiError, ApiResult};
use crate::routes::support::{PageBody, spare_read_connection, with_read_db, with_read_db_on};
use crate::startup::AppState;

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;
const MAX_WAIT: u64 = 30;
/// How often a waiting request looks for new changes.
const POLL: Duration = Duration::from_millis(100);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Where to resume: the `next_cursor` of the previous page, or the `X-Changes-Cursor` of a
    /// snapshot (opaque); omitted, the feed starts at its beginning.
    #[param(pattern = "^[A-Za-z0-9_-]{22}$", example = "Jq3xYk0b9mW2vQ8sLr5tNA")]
    pub after: Option<String>,
    /// Changes per page, 1 to 1000 (default 100); fewer when their items pass 4 MiB.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Only these kinds, comma-separated: `recommendation`, `stakeholder`, `activity`,
    /// `consent`, `assistance_request`, `offer`.
    #[param(
        pattern = "^(recommendation|stakeholder|activity|consent|assistance_request|offer)(,(recommendation|stakeholder|activity|consent|assistance_request|offer))*$",
        example = "activity,consent"
    )]
    pub types: Option<String>,
    /// When there is nothing new, hold the request open up to this many seconds (at most 30)
    /// and answer as soon as a change arrives, or at once when the service is stopping.
    #[param(minimum = 0, maximum = 30)]
    pub wait: Option<u64>,
}

/// One change, as the feed serves it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedItem {
    /// The position of this change, opaque: resume after it with `after`.
    #[schema(pattern = "^[A-Za-z0-9_-]{22}$", example = "Jq3xYk0b9mW2vQ8sLr5tNA")]
    pub cursor: String,
    /// `recommendation`, `stakeholder`, `activity`, `consent`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub op: Op,
    pub at: chrono::DateTime<chrono::Utc>,
    /// The item's representation for an upsert (the public one on the public feed); `null`
    /// for a delete.
    #[schema(value_type = Option<Value>)]
    pub data: Option<Box<serde_json::value::RawValue>>,
}

/// A page of the change feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesPage {
    pub items: Vec<FeedItem>,
    /// Where to resume, always (also when `items` is empty): pass it as `after`. Opaque: it
    /// says nothing of how many changes there were.
    #[schema(pattern = "^[A-Za-z0-9_-]{22}$", example = "Jq3xYk0b9mW2vQ8sLr5tNA")]
    pub next_cursor: String,
    /// More changes are there already: ask again at once.
    pub has_more: bool,
}

pub(crate) fn types_param(types: &Option<String>) -> ApiResult<Option<Vec<String>>> {
    let Some(types) = types else {
        return Ok(None);
    };
    // In one order, once each: the same kinds are the same feed (and the same pages read
    // ahead), however they were written.
    let mut list: Vec<String> = types.split(',').map(str::to_owned).collect();
    list.sort_unstable();
    list.dedup();
    if let Some(bad) = list.iter().find(|t| !TYPES.contains(&t.as_str())) {
        return Err(ApiError::invalid_parameter(
            "types",
            format!("`{bad}` is not one of {}", TYPES.join(", ")),
        ));
    }
    Ok(Some(list))
}

/// The feed position of an `after` cursor (`crate::cursor`); the start when there is none.
fn position_param(cursors: &Cursors, after: &Option<String>) -> ApiResult<After> {
    match after.as_deref().map(|a| cursors.decode_feed(a)) {
        None => Ok(After::default()),
        Some(Some((seq, under))) => Ok(After { seq, under }),
        Some(_) => Err(ApiError::invalid_parameter(
            "after",
            "is not a cursor this service gave out",
        )),
    }
}

/// Every create, update and delete, in commit order. Anonymous and `sync` callers (and
/// contributors and States) follow the public feed: an `upsert` with the public
/// representation while an item is public, a `delete` when it stops being public (consent
/// refused or withdrawn, submission withdrawn, deletion). `admin` follows the full feed.
///
/// The feed keeps every change for a time (`UPR_TC_FEED_HORIZON`, 90 days by default); older
/// ones are compacted to the last change of each item. Read from the start, it still gives
/// every item as it is (until the next compaction, hourly); a cursor older than the last
/// compaction is answered 410 `cursor_expired`: load a fresh snapshot (`GET /api/v1/export`)
/// and follow the feed from its `X-Changes-Cursor`.
#[utoipa::path(
    tag = "sync",
    operation_id = "list_changes",
    params(ChangesQuery),
    responses(
        (status = 200, description = "A page of changes", body = ChangesPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"`: the next page, while `has_more`"))),
        (status = 410, description = "The cursor is older than the feed keeps (`cursor_expired`): \
            load a fresh snapshot and follow the feed from its `X-Changes-Cursor`",
            body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/changes")]
pub async fn list_changes(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    identity: Identity,
    query: crate::routes::query::Query<ChangesQuery>,
) -> ApiResult<HttpResponse> {
    let audience = feed_audience(&identity);
    let after = position_param(&state.cursors, &query.after)?;
    let types = types_param(&query.types)?;
    let limit = match query.limit {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::invalid_parameter(
                "limit",
                format!("must be from 1 to {MAX_LIMIT}"),
            ));
        }
    };
    let wait = match query.wait {
        Some(w) if w > MAX_WAIT => {
            return Err(ApiError::invalid_parameter(
                "wait",
                format!("must be at most {MAX_WAIT} seconds"),
            ));
        }
        w => Duration::from_secs(w.unwrap_or(0)),
    };
    let deadline = Instant::now() + wait;
    let feed = Feed {
        state: state.clone(),
        audience,
        types,
        limit,
    };
    let ahead = match state.read.watch.version() {
        Some(version) => {
            let read = feed.clone().read(after, None);
            let read = async move { read.await.ok().flatten() };
            state.feed_ahead.take(&feed.key(after), version, read).await
        }
        None => None,
    };
    let page = match ahead {
        Some(page) if !page.empty => page,
        _ => loop {
            // Read before the page: a write committed after it moves the version.
            let seen = state.read.watch.version();
            let page = feed.clone().read(after, None).await?.ok_or_else(|| {
                ApiError::CursorExpired(
                    "This cursor is older than the change feed keeps: the changes after it \
                     have been compacted. Load a fresh snapshot (GET /api/v1/export) and follow \
                     the feed from its X-Changes-Cursor."
                        .to_owned(),
                )
            })?;
            let over = || {
                Instant::now() + POLL > deadline
                    || state.stopping.load(std::sync::atomic::Ordering::SeqCst)
            };
            if !page.empty || over() {
                break Arc::new(page);
            }
            // The feed is read again only once the data's version has moved (or is not
            // known): a client waiting on a quiet feed costs no reads.
            loop {
                actix_web::rt::time::sleep(POLL).await;
                let now = state.read.watch.version();
                if now.is_none() || now != seen || over() {
                    break;
                }
            }
            if over() && state.read.watch.version().is_some_and(|v| Some(v) == seen) {
                break Arc::new(page);
            }
        },
    };
    let mut res = HttpResponse::Ok();
    res.content_type("application/json");
    if page.more {
        feed.read_ahead(page.next);
        // As a list's page names the next: only while there is more to take now.
        res.insert_header((
            actix_web::http::header::LINK,
            crate::routes::support::next_link(
                &req,
                "after",
                &feed_cursor(&state.cursors, page.next),
            ),
        ));
    }
    Ok(res.body(page.body.clone()))
}

/// Which feed a caller follows, and which snapshot it is given: `admin` the full one.
pub(crate) fn feed_audience(identity: &Identity) -> Audience {
    if policy::reads_full_feed(identity.0.as_ref()) {
        Audience::Full
    } else {
        Audience::Public
    }
}

/// Everything that chooses a page of the feed but its position.
#[derive(Clone)]
struct Feed {
    state: web::Data<AppState>,
    audience: Audience,
    types: Option<Vec<String>>,
    limit: i64,
}

impl Feed {
    /// What the page after `after` is held under when read ahead.
    fn key(&self, after: After) -> String {
        let Self {
            audience,
            types,
            limit,
            ..
        } = self;
        format!("{audience:?}\u{1}{types:?}\u{1}{limit}\u{1}{after:?}")
    }

    /// The page after `after`, answered; `None` when `after` is older than the feed keeps.
    /// Read on the connection `spare` holds, else on one waited for as every request does.
    async fn read(
        self,
        after: After,
        spare: Option<OwnedSemaphorePermit>,
    ) -> ApiResult<Option<FeedPage>> {
        let Self {
            state,
            audience,
            types,
            limit,
        } = self;
        let read = move |conn: &mut DbConnection| {
            Ok(changes::read(
                conn,
                audience,
                after,
                types.as_deref(),
                limit,
            )?)
        };
        let page = match spare {
            Some(permit) => with_read_db_on(&state, permit, read).await?,
            None => with_read_db(&state, read).await?,
        };
        Ok(match page {
            Page::Changes(items, next, more, floor) => Some(FeedPage {
                body: Bytes::from(page_body(&state.cursors, &items, next, more, floor)),
                next,
                more,
                empty: items.is_empty(),
            }),
            Page::Expired => None,
        })
    }

    /// Starts reading the page after `after` ahead, from the data at `version`, on a spare
    /// connection (none: not read ahead).
    fn start(&self, after: After, version: i64) {
        let Some(spare) = spare_read_connection(&self.state) else {
            return;
        };
        let read = self.clone().read(after, Some(spare));
        let read = async move { read.await.ok().flatten() };
        self.state.feed_ahead.start(self.key(after), version, read);
    }

    /// A client catching up asks for the next page (after `next`) as soon as it has this one:
    /// it is read now, and the one after it beside it (where that starts is said by the next
    /// page when it is read already, else read first from the feed's index alone), so that
    /// each core reads one while the client takes this one.
    /// Only on spare connections (`http::spare_read_connection`) and within the read-ahead's
    /// own bounds (`app::read_ahead`).
    fn read_ahead(&self, next: After) {
        let Some(version) = self.state.read.watch.version() else {
            return;
        };
        self.start(next, version);
        // Where the page after it starts: said by that page when it is read already (a client
        // kept up with), else read from the feed's index.
        if let Some(page) = self.state.feed_ahead.finished(&self.key(next), version) {
            if page.more {
                self.start(page.next, version);
            }
            return;
        }
        let Some(permit) = self.state.feed_ahead.permit() else {
            return;
        };
        let Some(spare) = spare_read_connection(&self.state) else {
            return;
        };
        let feed = self.clone();
        actix_web::rt::spawn(async move {
            let Feed {
                audience,
                ref types,
                limit,
                ..
            } = feed;
            let types = types.clone();
            let after = with_read_db_on(&feed.state, spare, move |conn| {
                Ok(changes::page_after(
                    conn,
                    audience,
                    next,
                    types.as_deref(),
                    limit,
                )?)
            })
            .await;
            drop(permit);
            if let Ok(Some(after)) = after {
                feed.start(after, version);
            }
        });
    }
}

/// A page of the feed as answered.
pub struct FeedPage {
    body: Bytes,
    /// Where the next page starts, and whether it has changes already.
    next: After,
    more: bool,
    /// Whether it has no change.
    empty: bool,
}

impl crate::app::read_ahead::Weighed for FeedPage {
    fn weight(&self) -> usize {
        self.body.len()
    }
}

/// What holds pages of the feed read ahead, within what may be kept (`UPR_TC_KEPT_BYTES`):
/// four pages of at most a sixteenth of it each (3 MiB by default; a page of 1,000 public
/// recommendations is about 1 MB); none when nothing may be kept.
pub fn feed_ahead(kept_bytes: usize) -> crate::app::read_ahead::ReadAhead<FeedPage> {
    let slots = if kept_bytes == 0 { 0 } else { 4 };
    crate::app::read_ahead::ReadAhead::new(slots, kept_bytes / 16)
}

/// A page of the feed, [`ChangesPage`] as JSON, written as it is read (`support::PageBody`):
/// each change's stored document is copied once, into the answer, and no page of typed items
/// is built first (a page of 1,000 changes carries megabytes of them). The bytes are those
/// `ChangesPage` serialises to (the test below holds them to it): every value but the
/// documents is written by serde.
fn page_body(cursors: &Cursors, items: &Changes, next: After, more: bool, floor: i64) -> Vec<u8> {
    // Writing into a `Vec` fails only for a value that refuses to serialise, and none here can.
    fn value(out: &mut Vec<u8>, v: &impl Serialize) {
        serde_json::to_writer(out, v).expect("a feed value serialises");
    }
    let capacity = items.data_len() + items.len() * 192 + 96;
    let body = PageBody::of(capacity, items.iter(), |out, change: FeedChange<'_>| {
        out.extend_from_slice(b"{\"cursor\":");
        value(out, &feed_cursor(cursors, After::given(change.seq, floor)));
        out.extend_from_slice(b",\"type\":");
        value(out, &change.kind);
        out.extend_from_slice(b",\"id\":");
        value(out, &change.id);
        out.extend_from_slice(b",\"op\":");
        value(out, &change.op);
        out.extend_from_slice(b",\"at\":\"");
        // Read from a time by `changes::read`, which refuses what this cannot write.
        let _ = crate::db::time::write_rfc3339(out, change.at);
        out.extend_from_slice(b"\",\"data\":");
        match change.data {
            Some(data) => out.extend_from_slice(data.as_bytes()),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    });
    body.finish(Some(&feed_cursor(cursors, next)), Some(more))
}

/// The cursor of a position of the feed.
fn feed_cursor(cursors: &Cursors, after: After) -> String {
    cursors.encode_feed(after.seq, after.under)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::value::RawValue;

    use super::*;
    use crate::cursor::Kind;

    /// The page written by hand is, byte for byte, the page `ChangesPage` serialises to: upserts
    /// and deletes, times with and without fractions of a second, text that must be escaped.
    #[test]
    fn a_page_written_by_hand_is_the_page_serde_writes() {
        let cursors = Cursors::new("a secret of this installation, long enough");
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 6, 13, 1).unwrap();
        let later = at + chrono::Duration::microseconds(123_450);
        // As the store gives it (`db::time::stored_time_of_text`).
        let stored = |t: chrono::DateTime<chrono::Utc>| {
            crate::db::time::stored_time_of_text(&t.naive_utc().to_string()).unwrap()
        };
        let changes = [
            FeedChange {
                seq: 7,
                kind: "recommendation",
                id: "0192f000-0000-7000-8000-000000000001",
                op: Op::Upsert,
                at: stored(later),
                data: Some(r#"{"text":{"en":"Ratify \"CAT\"…"}}"#),
            },
            FeedChange {
                seq: 9,
                kind: "activity",
                id: "a \"quoted\" id\u{1}",
                op: Op::Delete,
                at: stored(at),
                data: None,
            },
        ];
        for (items, next, more) in [(&changes[..], 9, true), (&changes[..0], 0, false)] {
            let by_serde = serde_json::to_vec(&ChangesPage {
                items: items
                    .iter()
                    .zip([later, at])
                    .map(|(c, at)| FeedItem {
                        cursor: cursors.encode(Kind::Feed, c.seq),
                        kind: c.kind.to_owned(),
                        id: c.id.to_owned(),
                        op: c.op,
                        at,
                        data: c.data.map(|d| RawValue::from_string(d.to_owned()).unwrap()),
                    })
                    .collect(),
                next_cursor: cursors.encode(Kind::Feed, next),
                has_more: more,
            })
            .unwrap();
            let items = Changes::of_test(items);
            let by_hand = page_body(&cursors, &items, After::given(next, 0), more, 0);
            assert_eq!(
                String::from_utf8(by_hand).unwrap(),
                String::from_utf8(by_serde).unwrap()
            );
        }
    }
}
