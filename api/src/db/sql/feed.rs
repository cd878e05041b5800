//! The change feed's items. The last upsert of an item carries no copy of it (`data` is NULL):
//! the item's row is read instead (`item_seq`, `2026-12-03-000000_feed_item_rows`), which holds
//! the item as that change left it (the migration `2026-11-30-060000_feed_by_reference` and its
//! triggers keep it so). The audit trail's creations read the item the same way, from its
//! first change.

use std::collections::HashMap;

use diesel::sql_types::{BigInt, Nullable, Text};

use super::{Sql, load};
use crate::db::DbConnection;
use crate::db::changes::Audience;

/// A change as a feed reads it: for the public, its public operation and representation.
#[derive(Debug, diesel::QueryableByName)]
pub struct Row {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Text)]
    pub entity: String,
    #[diesel(sql_type = Text)]
    pub entity_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub op: Option<String>,
    /// When, as text (`db::time::rfc3339_of_text` reads it).
    #[diesel(sql_type = Text)]
    pub at: String,
    /// The item, for an upsert.
    #[diesel(sql_type = Nullable<Text>)]
    pub data: Option<String>,
}

/// The tables of the kinds of item the feed carries (`changes::TYPES`).
const TABLES: [(&str, &str); 6] = [
    ("recommendation", "recommendations"),
    ("stakeholder", "stakeholders"),
    ("activity", "activities"),
    ("consent", "consents"),
    ("assistance_request", "assistance_requests"),
    ("offer", "offers"),
];

/// The item an upsert carries, as SQL over a change aliased `c`: its `data`, or the item's
/// row when that change is the item's last, found by its number (`item_seq`, the primary key:
/// one index instead of two). The id is checked too, so that a number that no longer holds
/// the item reads nothing (the feed stops with an error) rather than another item; checked in
/// what is selected, not in the condition, where PostgreSQL would look the row up by its id.
pub fn item_of_change() -> String {
    let mut stored = String::from("COALESCE(c.data, CASE c.entity");
    for (entity, table) in TABLES {
        stored.push_str(&format!(
            " WHEN '{entity}' THEN (SELECT CASE WHEN t.id = c.entity_id THEN t.document END \
             FROM {table} t WHERE t.seq = c.item_seq)"
        ));
    }
    stored.push_str(" END)");
    stored
}

/// The items as created: for each `(kind, id)`, what the first change of the item in the feed
/// carries (absent when the feed has no change of it). One query for all of them.
pub fn as_created(
    conn: &mut DbConnection,
    items: &[(String, String)],
) -> diesel::QueryResult<HashMap<(String, String), String>> {
    #[derive(diesel::QueryableByName)]
    struct Item {
        #[diesel(sql_type = Text)]
        entity: String,
        #[diesel(sql_type = Text)]
        entity_id: String,
        #[diesel(sql_type = Nullable<Text>)]
        data: Option<String>,
    }
    if items.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<&str> = items.iter().map(|(_, id)| id.as_str()).collect();
    let mut sql = Sql::new(
        conn,
        &format!(
            "SELECT c.entity, c.entity_id, {} AS data FROM changes c WHERE c.seq IN \
             (SELECT MIN(m.seq) FROM changes m WHERE m.entity_id IN ",
            item_of_change()
        ),
    );
    sql.text_list(&ids).push(" GROUP BY m.entity, m.entity_id)");
    Ok(load::<Item>(conn, &sql)?
        .into_iter()
        .filter_map(|i| Some(((i.entity, i.entity_id), i.data?)))
        .filter(|(key, _)| items.contains(key))
        .collect())
}

/// The floor of the feed's compaction (`instance.feed_floor`) and the position of its last
/// change (0 when none), of the public changes only when `public`: in one statement, since
/// every page of the feed reads both (`changes::head_after`).
pub fn ends(conn: &mut DbConnection, public: bool) -> diesel::QueryResult<(i64, i64)> {
    #[derive(diesel::QueryableByName)]
    struct Ends {
        #[diesel(sql_type = BigInt)]
        floor: i64,
        #[diesel(sql_type = BigInt)]
        last: i64,
    }
    let only = if public {
        " WHERE public_op IS NOT NULL"
    } else {
        ""
    };
    let mut sql = Sql::new(
        conn,
        &format!(
            "SELECT (SELECT feed_floor FROM instance LIMIT 1) AS floor, \
             COALESCE((SELECT MAX(seq) FROM changes{only}), 0) AS last"
        ),
    );
    sql.keep_plan();
    let ends = load::<Ends>(conn, &sql)?
        .pop()
        .ok_or(diesel::result::Error::NotFound)?;
    Ok((ends.floor, ends.last))
}

/// Which changes a page of the feed is read from: those after `after` up to `head` that
/// `audience` is given, of the given types (all when `None`).
pub struct Window<'a> {
    pub audience: Audience,
    pub after: i64,
    pub head: i64,
    pub types: Option<&'a [String]>,
}

impl Window<'_> {
    /// The window's conditions, as SQL over a change aliased `c`, after ` WHERE `.
    fn conditions(&self, sql: &mut Sql) {
        sql.push("c.seq > ")
            .int(self.after)
            .push(" AND c.seq <= ")
            .int(self.head);
        if let Some(types) = self.types {
            sql.push(" AND c.entity IN ").text_list(types);
        }
        if self.audience == Audience::Public {
            sql.push(" AND c.public_op IS NOT NULL");
        }
    }
}

/// The first `limit` changes of the window, in order, each upsert with its item.
pub fn page(conn: &mut DbConnection, window: &Window, limit: i64) -> diesel::QueryResult<Vec<Row>> {
    let item = item_of_change();
    // The public feed: its own operation, and the public representation where it differs
    // from the full one; no item read for a change the public sees as a delete.
    let (op, data) = match window.audience {
        Audience::Full => ("c.op", format!("CASE WHEN c.op = 'upsert' THEN {item} END")),
        Audience::Public => (
            "c.public_op",
            format!("CASE WHEN c.public_op = 'upsert' THEN COALESCE(c.public_data, {item}) END"),
        ),
    };
    let mut sql = Sql::new(
        conn,
        &format!(
            "SELECT c.seq, c.entity, c.entity_id, {op} AS op, CAST(c.at AS TEXT) AS at, \
             {data} AS data \
             FROM changes c WHERE "
        ),
    );
    window.conditions(&mut sql);
    sql.push(" ORDER BY c.seq LIMIT ").int(limit).keep_plan();
    load(conn, &sql)
}

/// Where the page after the window's first page of `limit` changes starts, when that page is
/// full and more changes follow it: the position of its last change. Read from the feed's
/// indexes alone, without the items.
pub fn page_end(
    conn: &mut DbConnection,
    window: &Window,
    limit: i64,
) -> diesel::QueryResult<Option<i64>> {
    #[derive(diesel::QueryableByName)]
    struct Seq {
        #[diesel(sql_type = BigInt)]
        seq: i64,
    }
    let mut sql = Sql::new(conn, "SELECT c.seq FROM changes c WHERE ");
    window.conditions(&mut sql);
    sql.push(" ORDER BY c.seq LIMIT 2 OFFSET ")
        .int(limit - 1)
        .keep_plan();
    let seqs = load::<Seq>(conn, &sql)?;
    // The page's last change, and one after it.
    Ok((seqs.len() == 2).then(|| seqs[0].seq))
}
