//! The change feed: every write records what changed, in the same transaction, for two
//! audiences. `full` (admin) has every change with the full representation. `public`
//! (anonymous and sync callers) has what they may see: an `upsert` with the public
//! representation while an item is public, a `delete` when it stops being public (consent
//! refused or withdrawn, submission withdrawn, deletion), which also silences the item's
//! earlier upserts on the public feed.
//!
//! Commit order: writers are serialised (`super::lock_writes`), so rows are numbered in the
//! order their transactions commit, and the committed rows are always a prefix of the
//! numbering (with gaps where a transaction rolled back). A reader that asks for rows after
//! `n` up to the highest committed number it saw can never skip a row.
//!
//! Storage: the last upsert of an item keeps no copy of the item, which its row holds; the
//! database copies the document into that change before the row is written again or deleted
//! (triggers of `2026-11-30-060000_feed_by_reference`), so older changes keep theirs.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::DbConnection;
use super::schema::changes::dsl;
use super::sql::feed::{Packed, Record};
use super::stored::unreadable;
use super::time::{now, stored};

/// Who reads the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Public,
    Full,
}

impl Audience {
    /// What of the items this audience is given (a snapshot of them, `routes::changes`).
    pub fn access(self) -> crate::domain::publication::Access {
        use crate::domain::publication::Access;
        match self {
            Self::Public => Access::Public,
            Self::Full => Access::Everything,
        }
    }
}

/// What happened to an item, as the feed says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// The item is new or changed: `data` is its representation.
    Upsert,
    /// The item is gone (deleted, or no longer public).
    Delete,
}

/// The kinds of item the feed carries.
pub const TYPES: [&str; 6] = [
    "recommendation",
    "stakeholder",
    "activity",
    "consent",
    "assistance_request",
    "offer",
];

/// What the public feed says of a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Public {
    /// Nothing: the item was not public and is not.
    Silent,
    /// An upsert with the full representation (the item is public as it is).
    SameAsFull,
    /// An upsert with this public representation.
    Upsert(String),
    /// The item is deleted, or stopped being public.
    Delete,
}

/// One change to record, for both feeds.
pub struct Change {
    pub entity: &'static str,
    pub id: String,
    /// The full representation after the change, as the item's row stores it now: the feed
    /// keeps no copy of it (`sql::feed`), but the row's number (`seq`); `None` for a deletion.
    pub full: Option<Fed>,
    pub public: Public,
}

/// An item as an upsert leaves it: the number of the row that holds it (`seq`), where the
/// feed reads it, and its full representation.
pub struct Fed {
    pub row: i64,
    pub json: String,
}

impl Change {
    /// A change of an item that was public or not (`was_public`) and now has the public
    /// representation `after` (`None`: not public): an upsert while the item is public, a
    /// delete when it stops being public, nothing for the public when it was not and is not.
    pub fn new(
        entity: &'static str,
        id: String,
        full: Option<Fed>,
        was_public: bool,
        after: Option<String>,
    ) -> Self {
        let public = match (was_public, after) {
            (_, Some(data)) if full.as_ref().is_some_and(|f| f.json == data) => Public::SameAsFull,
            (_, Some(data)) => Public::Upsert(data),
            (true, None) => Public::Delete,
            (false, None) => Public::Silent,
        };
        Self {
            entity,
            id,
            full,
            public,
        }
    }
}

/// Silences the public feed's upserts so far of these items (`(kind, id)`): they say nothing
/// to the public any more (the full feed keeps them), so that a reader who starts later never
/// reads what they said. One statement for each kind of item and run of ids (a withdrawal may
/// hide thousands).
pub fn forget_public(
    conn: &mut DbConnection,
    items: &mut [(&str, &str)],
) -> diesel::QueryResult<()> {
    use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
    items.sort_unstable();
    for of_entity in items.chunk_by(|a, b| a.0 == b.0) {
        for run in of_entity.chunks(super::RUN) {
            diesel::update(
                dsl::changes
                    .filter(dsl::entity.eq(run[0].0))
                    .filter(dsl::entity_id.eq_any(run.iter().map(|(_, id)| *id)))
                    .filter(dsl::public_op.eq("upsert")),
            )
            .set((
                dsl::public_op.eq(None::<&str>),
                dsl::public_data.eq(None::<&str>),
            ))
            .execute(conn)?;
        }
    }
    Ok(())
}

/// Records changes; call inside the write transaction that made them.
pub fn record(conn: &mut DbConnection, changes: Vec<Change>) -> diesel::QueryResult<()> {
    use super::sql::Value;
    use super::sql::rows::{self, RunOf};
    use diesel::{ExpressionMethods, RunQueryDsl};
    let at = stored(now());
    let changes: Vec<_> = changes
        .into_iter()
        .map(|c| {
            let (public_op, public_data) = match c.public {
                Public::Silent => (None, None),
                Public::SameAsFull => (Some("upsert"), None),
                Public::Upsert(data) => (Some("upsert"), Some(data)),
                Public::Delete => (Some("delete"), None),
            };
            let op = if c.full.is_some() { "upsert" } else { "delete" };
            let shared = (c.entity, op, public_op);
            (shared, c.full.map(|f| f.row), c.id, public_data)
        })
        .collect();
    // An item that stops being public takes what the public feed said of it with it: its
    // earlier upserts say nothing to the public any more (the full feed keeps them), so that
    // a reader who starts after the refusal never reads what was refused. A partner who read
    // them reads the delete.
    let mut gone: Vec<(&str, &str)> = changes
        .iter()
        .filter(|((_, _, public_op), ..)| *public_op == Some("delete"))
        .map(|((entity, ..), _, id, _)| (*entity, id.as_str()))
        .collect();
    forget_public(conn, &mut gone)?;
    let mut changes = changes.into_iter().peekable();
    while changes.peek().is_some() {
        let run: Vec<_> = changes.by_ref().take(super::RUN).collect();
        if run.len() == super::RUN && run.iter().all(|c| c.0 == run[0].0) {
            // A whole run of one kind and operations: those, its time and the NULL of `data`
            // (the item as its row stores it, `sql::feed`: no copy) bound once (`sql::rows`).
            let (entity, op, public_op) = run[0].0;
            let shared = [
                Value::Text(entity.to_owned()),
                Value::Text(op.to_owned()),
                Value::Time(at),
                Value::MaybeText(None),
                Value::MaybeText(public_op.map(str::to_owned)),
            ];
            let mut own = Vec::with_capacity(run.len() * rows::Changes::OWN.len());
            for (_, row, id, public_data) in run {
                own.extend([
                    Value::MaybeInt(row),
                    Value::Text(id),
                    Value::MaybeText(public_data),
                ]);
            }
            rows::insert_run::<rows::Changes>(conn, &shared, &own)?;
            continue;
        }
        // Owned values: a statement diesel keeps is known by its type, which may borrow
        // nothing.
        let values: Vec<_> = run
            .into_iter()
            .map(|((entity, op, public_op), row, id, public_data)| {
                (
                    dsl::entity.eq(entity),
                    dsl::op.eq(op),
                    dsl::item_seq.eq(row),
                    dsl::entity_id.eq(id),
                    dsl::at.eq(at),
                    // The item as its row stores it (`sql::feed`): no copy.
                    dsl::data.eq(None::<String>),
                    dsl::public_op.eq(public_op),
                    dsl::public_data.eq(public_data),
                )
            })
            .collect();
        super::in_runs!(conn, &values, |c, run| diesel::insert_into(dsl::changes)
            .values(run)
            .execute(c)?);
    }
    Ok(())
}

/// One change as a feed reads it (`routes::changes` writes it, its position made opaque),
/// borrowed from its page ([`Changes`]).
#[derive(Debug, Clone, Copy)]
pub struct FeedChange<'a> {
    /// Its position in the feed.
    pub seq: i64,
    pub kind: &'a str,
    pub id: &'a str,
    pub op: Op,
    /// When (`time::write_rfc3339` writes it as a `DateTime<Utc>` serialises).
    pub at: NaiveDateTime,
    /// The item's representation for an upsert (the public one on the public feed), as stored:
    /// JSON, which is all the database holds there (`documents_are_json`).
    pub data: Option<&'a str>,
}

/// The changes of a page of the feed, in order: the text the database gave them in
/// (`sql::feed::Packed`), read once, and where each change's fields lie in it.
#[derive(Debug, Default)]
pub struct Changes {
    text: String,
    changes: Vec<Record>,
}

impl Changes {
    pub fn iter(&self) -> impl ExactSizeIterator<Item = FeedChange<'_>> {
        self.changes.iter().map(|c| FeedChange {
            seq: c.seq,
            kind: &self.text[c.entity.clone()],
            id: &self.text[c.entity_id.clone()],
            op: c.op,
            at: c.at,
            data: c.data.clone().map(|d| &self.text[d]),
        })
    }

    pub fn len(&self) -> usize {
        self.changes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The bytes of the items together.
    pub fn data_len(&self) -> usize {
        self.changes
            .iter()
            .map(|c| c.data.as_ref().map_or(0, ExactSizeIterator::len))
            .sum()
    }

    /// The first `limit` changes of a packed page (fewer when their items are over
    /// `sql::PAGE_BYTES`), and whether it held more; an error for a page or a change that does
    /// not read (`Packed::unpack`).
    fn of(packed: Packed, limit: usize) -> diesel::QueryResult<(Self, bool)> {
        let mut changes = packed.unpack().map_err(unreadable)?;
        let more = packed.cut || changes.len() > limit;
        changes.truncate(limit);
        let fit = super::sql::within_page_bytes(
            changes
                .iter()
                .map(|c| c.data.as_ref().map_or(0, ExactSizeIterator::len)),
        );
        let more = more || fit < changes.len();
        changes.truncate(fit);
        Ok((
            Self {
                text: packed.text,
                changes,
            },
            more,
        ))
    }

    /// Changes made for a test of how they are written.
    #[cfg(test)]
    pub fn of_test(changes: &[FeedChange<'_>]) -> Self {
        let mut text = String::new();
        let mut records = Vec::new();
        for c in changes {
            let mut push = |s: &str| {
                text.push_str(s);
                text.len() - s.len()..text.len()
            };
            records.push(Record {
                seq: c.seq,
                entity: push(c.kind),
                entity_id: push(c.id),
                op: c.op,
                at: c.at,
                data: c.data.map(push),
            });
        }
        Self {
            text,
            changes: records,
        }
    }
}

/// The floor of compaction (`floor`) and the position of the last change `audience` is given
/// (0 when none), read in one statement (`sql::feed::ends`): every page of the feed reads
/// both. For the full feed, the highest position committed (positions are shared by both
/// feeds); for the public feed, its last public change, which hidden writes do not move.
/// Either way everything up to it is committed (writers commit in the order they are numbered).
fn ends(conn: &mut DbConnection, audience: Audience) -> diesel::QueryResult<(i64, i64)> {
    super::sql::feed::ends(conn, audience == Audience::Public)
}

/// The head of the public feed: where a snapshot of public items stands. Never below the floor
/// of compaction, so a snapshot's cursor is never one the feed refuses (the public feed
/// carries nothing between its last change and the floor).
pub fn public_head(conn: &mut DbConnection) -> diesel::QueryResult<i64> {
    head(conn, Audience::Public)
}

/// The head of `audience`'s feed: where a snapshot of what it is given stands, never below the
/// floor of compaction ([`public_head`]).
pub fn head(conn: &mut DbConnection, audience: Audience) -> diesel::QueryResult<i64> {
    let (floor, last) = ends(conn, audience)?;
    Ok(last.max(floor))
}

/// The position at or below which the feed is compacted (0 when it never was): below it only
/// the last change of each item is left, so a reader resuming from a position under it would
/// miss changes, and is refused (`expired`).
pub fn floor(conn: &mut DbConnection) -> diesel::QueryResult<i64> {
    use super::schema::instance::dsl as i;
    use diesel::{QueryDsl, RunQueryDsl};
    i::instance.select(i::feed_floor).first(conn)
}

/// Where a reader of the feed stands: after the change `seq` (0: the start). A position below
/// the floor of compaction is a reader from the start going through what was compacted; it
/// holds what the floor stood at when it was given (`under`, the floor's low 32 bits), and is
/// good while the floor stays there: a compaction that moves it may take away every change of
/// an item deleted since, its deletion too, which a reader that read the item still needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct After {
    pub seq: i64,
    pub under: Option<u32>,
}

impl After {
    /// The position `seq` as given to a reader while the floor stands at `floor`.
    pub fn given(seq: i64, floor: i64) -> Self {
        Self {
            seq,
            under: (seq < floor).then_some(floor as u32),
        }
    }

    /// Whether changes after it are all still there with the floor at `floor`.
    fn kept(self, floor: i64) -> bool {
        self.seq == 0 || self.seq >= floor || self.under == Some(floor as u32)
    }
}

/// What a reader of the feed is given.
#[derive(Debug)]
pub enum Page {
    /// The changes after its position, where to resume, and whether more are there already;
    /// the positions as given with the floor where it stood (`After::given`).
    Changes(Changes, After, bool, i64),
    /// Its position is below the floor of compaction: the changes after it are no longer all
    /// there. The start of the feed (0) never expires: from there a reader gets the last change
    /// of each item up to the floor, then every change.
    Expired,
}

/// What one compaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Compaction {
    /// The floor after it.
    pub floor: i64,
    /// Changes removed.
    pub removed: usize,
}

/// Positions compacted in one write transaction: the write lock is held for one step at a
/// time, never for the whole of a first compaction of a long feed.
const COMPACTION_STEP: i64 = 10_000;

/// Compacts the feed up to the last change older than `before`: at or below that position, a
/// change another change of the same item supersedes is removed (for each feed: the public
/// one keeps each item's last public change), and so is every change of an item since deleted.
/// A reader from the start still ends with every item as it is; one whose cursor is below the
/// new floor is told to take a fresh snapshot. Step by step, each step in a write
/// transaction of its own that moves the floor.
pub fn compact(conn: &mut DbConnection, before: DateTime<Utc>) -> diesel::QueryResult<Compaction> {
    use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
    let target: Option<i64> = dsl::changes
        .filter(dsl::at.lt(stored(before)))
        .select(dsl::seq)
        .order(dsl::seq.desc())
        .first(conn)
        .optional()?;
    let mut done = Compaction {
        floor: floor(conn)?,
        removed: 0,
    };
    let Some(target) = target else {
        return Ok(done);
    };
    while done.floor < target {
        let upto = (done.floor + COMPACTION_STEP).min(target);
        let removed = super::tx::write(conn, |c| -> diesel::QueryResult<usize> {
            use super::schema::instance::dsl as i;
            // Another instance may have moved the floor meanwhile: start from where it is.
            let from: i64 = i::instance.select(i::feed_floor).first(c)?;
            if from >= upto {
                return Ok(0);
            }
            let removed = super::sql::statements::compact_changes(c, from, upto)?;
            diesel::update(i::instance)
                .set(i::feed_floor.eq(upto))
                .execute(c)?;
            Ok(removed)
        })?;
        done = Compaction {
            floor: upto,
            removed: done.removed + removed,
        };
    }
    Ok(done)
}

/// Where the page after the page of `limit` changes after `after` starts, when it has
/// changes already: what that page's `Page::Changes` would say to resume from (`read`), found
/// without reading its items, so not where a page cut short by `sql::PAGE_BYTES` ends (a page
/// read ahead from there is not asked for, and is dropped). `None` when that page is the last,
/// or `after` has expired.
pub fn page_after(
    conn: &mut DbConnection,
    audience: Audience,
    after: After,
    types: Option<&[String]>,
    limit: i64,
) -> diesel::QueryResult<Option<After>> {
    match head_after(conn, audience, after)? {
        Some((head, floor)) => {
            let window = super::sql::feed::Window {
                audience,
                after: after.seq,
                head,
                types,
            };
            let end = super::sql::feed::page_end(conn, &window, limit)?;
            Ok(end.map(|seq| After::given(seq, floor)))
        }
        None => Ok(None),
    }
}

/// How far a page after `after` reads, and the floor of compaction: the audience's head, never
/// below the floor (a reader from the start moves past the compacted positions). `None` when
/// the changes after `after` are no longer all there ([`After::kept`]).
fn head_after(
    conn: &mut DbConnection,
    audience: Audience,
    after: After,
) -> diesel::QueryResult<Option<(i64, i64)>> {
    let (floor, last) = ends(conn, audience)?;
    if !after.kept(floor) {
        return Ok(None);
    }
    Ok(Some((last.max(floor), floor)))
}

/// A page of the feed after `after`, of the given types (all when `None`), and the position to
/// resume from. The audience's head is read first and the page is bounded by it: everything up
/// to it is committed, so when the page is the last one, resuming from the head skips nothing.
/// The public feed's head is its last public change, never the head of all changes: a cursor
/// that moved with hidden writes would say when they happen.
pub fn read(
    conn: &mut DbConnection,
    audience: Audience,
    after: After,
    types: Option<&[String]>,
    limit: i64,
) -> diesel::QueryResult<Page> {
    let Some((head, floor)) = head_after(conn, audience, after)? else {
        return Ok(Page::Expired);
    };
    if head <= after.seq {
        // Nothing committed since: what a waiting partner mostly asks.
        let at = After::given(after.seq, floor);
        return Ok(Page::Changes(Changes::default(), at, false, floor));
    }
    let window = super::sql::feed::Window {
        audience,
        after: after.seq,
        head,
        types,
    };
    let (items, more) = Changes::of(
        super::sql::feed::page(conn, &window, limit + 1)?,
        limit as usize,
    )?;
    // Where to resume: after the last change given, or the audience's head at the end (a
    // reader of some types passes over the others once).
    let next = match (more, items.changes.last()) {
        (true, Some(last)) => last.seq,
        _ => head.max(after.seq),
    };
    Ok(Page::Changes(items, After::given(next, floor), more, floor))
}
