//! The change feed's items. The last upsert of an item carries no copy of it (`data` is NULL):
//! the item's row is read instead, which holds the item as that change left it (the migration
//! `2026-11-30-060000_feed_by_reference` and its triggers keep it so). The audit trail's
//! creations read the item the same way, from its first change.

use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::{Sql, load};
use crate::db::DbConnection;
use crate::db::changes::Audience;

/// A change as a feed reads it: for the public, its public operation and data.
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
    #[diesel(sql_type = Timestamp)]
    pub at: chrono::NaiveDateTime,
    #[diesel(sql_type = Nullable<Text>)]
    pub data: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub public_data: Option<String>,
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
/// row when that change is the item's last.
pub fn item_of_change() -> String {
    let mut stored = String::from("COALESCE(c.data, CASE c.entity");
    for (entity, table) in TABLES {
        stored.push_str(&format!(
            " WHEN '{entity}' THEN (SELECT t.document FROM {table} t WHERE t.id = c.entity_id)"
        ));
    }
    stored.push_str(" END)");
    stored
}

/// The item as created: what the first change of an item in the feed carries (`None` when the
/// feed has no change of it).
pub fn as_created(
    conn: &mut DbConnection,
    entity: &str,
    id: &str,
) -> diesel::QueryResult<Option<String>> {
    #[derive(diesel::QueryableByName)]
    struct Item {
        #[diesel(sql_type = Nullable<Text>)]
        data: Option<String>,
    }
    let mut sql = Sql::new(
        conn,
        &format!(
            "SELECT {} AS data FROM changes c WHERE c.entity = ",
            item_of_change()
        ),
    );
    sql.text(entity)
        .push(" AND c.entity_id = ")
        .text(id)
        .push(" ORDER BY c.seq LIMIT 1");
    Ok(load::<Item>(conn, &sql)?.pop().and_then(|i| i.data))
}

/// The changes after `after` up to `head`, of the given types (all when `None`), at most
/// `limit` of them, in order, each upsert with its item.
pub fn page(
    conn: &mut DbConnection,
    audience: Audience,
    after: i64,
    head: i64,
    types: Option<&[String]>,
    limit: i64,
) -> diesel::QueryResult<Vec<Row>> {
    let op = match audience {
        Audience::Full => "c.op",
        Audience::Public => "c.public_op",
    };
    let item = item_of_change();
    let mut sql = Sql::new(
        conn,
        &format!(
            "SELECT c.seq, c.entity, c.entity_id, {op} AS op, c.at, \
             CASE WHEN c.op = 'upsert' THEN {item} END AS data, \
             c.public_data FROM changes c WHERE c.seq > "
        ),
    );
    sql.int(after).push(" AND c.seq <= ").int(head);
    if let Some(types) = types {
        sql.push(" AND c.entity IN ").text_list(types);
    }
    if audience == Audience::Public {
        sql.push(" AND c.public_op IS NOT NULL");
    }
    sql.push(" ORDER BY c.seq LIMIT ").int(limit);
    load(conn, &sql)
}
