//! The change feed's items. The last upsert of an item carries no copy of it (`data` is NULL):
//! the item's row is read instead (`item_seq`, `2026-12-03-000000_feed_item_rows`), which holds
//! the item as that change left it (the migration `2026-11-30-060000_feed_by_reference` and its
//! triggers keep it so). The audit trail's creations read the item the same way, from its
//! first change.

use std::collections::HashMap;
use std::ops::Range;

use chrono::NaiveDateTime;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::{Sql, load};
use crate::db::DbConnection;
use crate::db::changes::{Audience, Op};
use crate::db::time::stored_time_of_text;

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

/// The first `limit` changes of the window, each upsert with its item, packed in one text
/// ([`Packed`]); of those, only the changes up to the first whose items before it reach
/// `sql::PAGE_BYTES` (on PostgreSQL, the rest of its part of 64 changes too; [`Packed::cut`]
/// says when others were left out), so that what is read of a page is bounded whatever the
/// size of its items.
///
/// A text a change rather than six values (on PostgreSQL, a few texts for the page): a page of
/// 1,000 changes is a megabyte of documents, and a row of six columns cost the service a value
/// decoded and copied, and an allocation, for each (on PostgreSQL, a message a row as well).
pub fn page(conn: &mut DbConnection, window: &Window, limit: i64) -> diesel::QueryResult<Packed> {
    #[derive(diesel::QueryableByName)]
    struct Part {
        #[diesel(sql_type = Nullable<Text>)]
        packed: Option<String>,
        #[diesel(sql_type = BigInt)]
        changes: i64,
        /// The parts of the page, those past its bytes included.
        #[diesel(sql_type = BigInt)]
        parts: i64,
    }
    #[derive(diesel::QueryableByName)]
    struct Change {
        #[diesel(sql_type = Text)]
        packed: String,
    }
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
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    let unit = if sqlite { "char(31)" } else { "chr(31)" };
    let packed = format!(
        "p.seq || {unit} || p.entity || {unit} || p.entity_id || {unit} \
         || COALESCE(p.op, '') || {unit} || p.at || {unit} \
         || COALESCE(octet_length(p.data), -1) || {unit} || COALESCE(p.data, '')"
    );
    let changes = format!(
        "(SELECT c.seq, c.entity, c.entity_id, {op} AS op, CAST(c.at AS TEXT) AS at, \
         {data} AS data FROM changes c WHERE "
    );
    // SQLite gives a text a change as it reads them, and the service stops reading once the
    // page's bytes are reached. PostgreSQL sends the whole result: the page is packed in parts
    // of at most 64 changes (by position), so that no value is larger than some tens of
    // kilobytes of usual items (libpq keeps a buffer as large as the largest message it was
    // sent for as long as its connection lives), and the statement leaves out the parts past
    // the page's bytes itself, by a running sum of the parts' lengths (which it knows without
    // reading the items); a running sum over the changes themselves cost the feed a tenth of
    // its pace (docs/benchmarks.md). The changes in each part come in no promised order
    // (`unpack` puts them in order). A change with a field that is NULL would drop out of its
    // part (`||` makes it NULL, and the aggregate passes over NULLs): none can be, the
    // operation is written so that one would read as no operation, and the changes are
    // counted beside each part, which must hold as many.
    let mut sql = if sqlite {
        Sql::new(conn, &format!("SELECT {packed} AS packed FROM {changes}"))
    } else {
        Sql::new(
            conn,
            &format!(
                "SELECT g.packed, g.changes, g.parts FROM (SELECT g.packed, g.changes, \
                 COUNT(*) OVER () AS parts, COALESCE(SUM(g.bytes) OVER (ORDER BY g.part \
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before \
                 FROM (SELECT p.seq / 64 AS part, string_agg({packed}, '') AS packed, \
                 COUNT(*) AS changes, SUM(octet_length(p.data)) AS bytes FROM {changes}"
            ),
        )
    };
    window.conditions(&mut sql);
    sql.push(" ORDER BY c.seq LIMIT ").int(limit).push(") p");
    if sqlite {
        // In order, whatever the plan: the service stops at the first change past the bound.
        sql.push(" ORDER BY p.seq");
    } else {
        sql.push(" GROUP BY p.seq / 64) g) g WHERE g.before < ")
            .push(&super::PAGE_BYTES.to_string());
    }
    sql.keep_plan();
    let mut page = Packed::default();
    match conn {
        DbConnection::Sqlite(c) => super::sqlite_rows(c, &sql, |change: Change| {
            if page.text.len() >= super::PAGE_BYTES {
                page.cut = true;
                return false;
            }
            page.text.push_str(&change.packed);
            page.changes += 1;
            true
        })?,
        DbConnection::Postgres(_) => {
            let parts = load::<Part>(conn, &sql)?;
            page.text.reserve(
                parts
                    .iter()
                    .map(|p| p.packed.as_ref().map_or(0, String::len))
                    .sum(),
            );
            page.cut = parts.first().is_some_and(|p| p.parts > parts.len() as i64);
            for part in parts {
                page.text.push_str(part.packed.as_deref().unwrap_or(""));
                page.changes += part.changes;
            }
        }
    }
    Ok(page)
}

/// A page of changes in one text, as [`page`] reads it: for each change, in any order, its
/// position, kind, id, operation and time, each followed by a U+001F; then the length in
/// bytes of its item (-1 for none) and a U+001F; then the item. The item is found by its
/// length, not by a separator, so that nothing it holds can be taken for the next change.
#[derive(Default)]
pub struct Packed {
    pub text: String,
    /// How many changes the database packed.
    pub changes: i64,
    /// Whether changes of the window were left out after the page's bytes were reached.
    pub cut: bool,
}

/// One change of a [`Packed`] page: its kind, id and item as where they lie in the text.
#[derive(Debug)]
pub struct Record {
    pub seq: i64,
    pub entity: Range<usize>,
    pub entity_id: Range<usize>,
    pub op: Op,
    pub at: NaiveDateTime,
    pub data: Option<Range<usize>>,
}

impl Packed {
    /// The changes, in the order of their positions; an error that says what does not read,
    /// for a page that is not as [`page`] writes it, that holds a position twice or that does
    /// not hold as many changes as it says, or a change that is not one: an operation other
    /// than an upsert with its item or a delete without one, a time that is none. Such a
    /// change stops the feed (a 500) rather than reach a partner as something else.
    pub fn unpack(&self) -> Result<Vec<Record>, String> {
        let text = &self.text;
        let mut at = 0;
        // The next field that ends with a U+001F.
        let field = |at: &mut usize| -> Result<Range<usize>, String> {
            let start = *at;
            let len = text[start..]
                .find('\u{1f}')
                .ok_or_else(|| format!("a change cut short at byte {start}"))?;
            *at = start + len + 1;
            Ok(start..start + len)
        };
        let mut records: Vec<Record> = Vec::new();
        while at < text.len() {
            let seq = field(&mut at)?;
            let seq: i64 = text[seq.clone()]
                .parse()
                .map_err(|_| format!("position `{}`", &text[seq]))?;
            let (entity, entity_id, op, time) = (
                field(&mut at)?,
                field(&mut at)?,
                field(&mut at)?,
                field(&mut at)?,
            );
            let length = field(&mut at)?;
            let data = match text[length.clone()].parse::<i64>() {
                Ok(-1) => None,
                Ok(n) => {
                    let end = usize::try_from(n)
                        .ok()
                        .and_then(|n| at.checked_add(n))
                        .filter(|end| text.is_char_boundary(*end) && *end <= text.len())
                        .ok_or_else(|| format!("change {seq}: item of {n} bytes"))?;
                    let data = at..end;
                    at = end;
                    Some(data)
                }
                Err(_) => return Err(format!("change {seq}: length `{}`", &text[length])),
            };
            let op = match (&text[op], &data) {
                ("upsert", Some(_)) => Op::Upsert,
                ("delete", None) => Op::Delete,
                (op, data) => {
                    return Err(format!(
                        "change {seq}: operation `{op}` with data present: {}",
                        data.is_some()
                    ));
                }
            };
            let at = stored_time_of_text(&text[time.clone()])
                .ok_or_else(|| format!("change {seq}: time `{}`", &text[time]))?;
            records.push(Record {
                seq,
                entity,
                entity_id,
                op,
                at,
                data,
            });
        }
        records.sort_unstable_by_key(|r| r.seq);
        if let Some(twice) = records.windows(2).find(|w| w[0].seq == w[1].seq) {
            return Err(format!("change {} twice", twice[0].seq));
        }
        if records.len() as i64 != self.changes {
            return Err(format!(
                "{} changes packed, {} read",
                self.changes,
                records.len()
            ));
        }
        Ok(records)
    }
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

#[cfg(test)]
mod tests {
    use super::Packed;
    use crate::db::changes::Op;

    /// A page packed by hand as [`super::page`] packs it: each change's item is found by its
    /// length, whatever it holds, and the changes come out in order; what is not so packed,
    /// holds a change twice, or holds a change that is none, is refused.
    #[test]
    fn a_packed_page_is_read_by_the_lengths_of_its_items() {
        let item = "{\"a\":\"\u{1f}\u{1e}é\"}";
        let packed = format!(
            "5\u{1f}activity\u{1f}id-5\u{1f}delete\u{1f}2026-12-03 10:00:01\u{1f}-1\u{1f}\
             3\u{1f}recommendation\u{1f}id-3\u{1f}upsert\u{1f}2026-12-03 10:00:00\u{1f}{}\u{1f}{item}",
            item.len()
        );
        let page = Packed {
            text: packed,
            changes: 2,
            cut: false,
        };
        let records = page.unpack().unwrap();
        let text = |r: &std::ops::Range<usize>| &page.text[r.clone()];
        assert_eq!(records.len(), 2);
        assert_eq!(
            (
                records[0].seq,
                text(&records[0].entity),
                text(&records[0].entity_id),
                records[0].op
            ),
            (3, "recommendation", "id-3", Op::Upsert)
        );
        assert_eq!(records[0].data.as_ref().map(text), Some(item));
        assert_eq!(
            (records[1].seq, records[1].op, records[1].at.to_string()),
            (5, Op::Delete, "2026-12-03 10:00:01".to_owned())
        );
        assert_eq!(records[1].data, None);
        let packed = |text: &str, changes| Packed {
            text: text.to_owned(),
            changes,
            cut: false,
        };
        assert!(packed("", 0).unpack().unwrap().is_empty());
        // A change the text does not hold.
        let one = "5\u{1f}a\u{1f}b\u{1f}delete\u{1f}2026-12-03 10:00:00\u{1f}-1\u{1f}";
        assert_eq!(packed(one, 1).unpack().unwrap().len(), 1);
        assert!(packed(one, 2).unpack().is_err());
        for bad in [
            // A change twice.
            format!("{one}{one}"),
            // Cut short, and an item longer than what is left.
            "3\u{1f}a\u{1f}b\u{1f}upsert".to_owned(),
            "3\u{1f}a\u{1f}b\u{1f}upsert\u{1f}2026-12-03 10:00:00\u{1f}9\u{1f}{}".to_owned(),
            // A length inside a character, and no length.
            "3\u{1f}a\u{1f}b\u{1f}upsert\u{1f}2026-12-03 10:00:00\u{1f}1\u{1f}é".to_owned(),
            "3\u{1f}a\u{1f}b\u{1f}upsert\u{1f}2026-12-03 10:00:00\u{1f}x\u{1f}{}".to_owned(),
            "x\u{1f}a\u{1f}b\u{1f}delete\u{1f}2026-12-03 10:00:00\u{1f}-1\u{1f}".to_owned(),
            // An upsert without its item, a delete with one, no operation, no time.
            "3\u{1f}a\u{1f}b\u{1f}upsert\u{1f}2026-12-03 10:00:00\u{1f}-1\u{1f}".to_owned(),
            "3\u{1f}a\u{1f}b\u{1f}delete\u{1f}2026-12-03 10:00:00\u{1f}2\u{1f}{}".to_owned(),
            "3\u{1f}a\u{1f}b\u{1f}\u{1f}2026-12-03 10:00:00\u{1f}2\u{1f}{}".to_owned(),
            "3\u{1f}a\u{1f}b\u{1f}upsert\u{1f}yesterday\u{1f}2\u{1f}{}".to_owned(),
        ] {
            assert!(packed(&bad, 1).unpack().is_err(), "{bad:?}");
            assert!(packed(&bad, 2).unpack().is_err(), "{bad:?}");
        }
    }
}
