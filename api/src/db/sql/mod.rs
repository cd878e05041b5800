//! The only hand-written SQL, for what the DSL cannot say: full-text search and its ranking
//! (`search`), the change feed with each last change's item read from its row (`feed`), lists
//! filtered by any combination of facets (`filters`), and statements that are not queries
//! (`statements`: connection settings, transaction modes, the write lock), a batch's
//! look-ups of keys in statements of a few fixed lengths (`keys`), a bulk write's runs of
//! rows with the values they share bound once (`rows`), and the publication rule's verdicts of
//! many activities in one statement (`verdicts`).
//! Everything else is written with diesel's DSL against `super::schema`.
//!
//! Queries are built with [`Sql`]: `?` placeholders (numbered `$1, $2, …` for PostgreSQL
//! before the query runs) for every value; identifiers come only from constants, never from
//! input.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::DbConnection;
use super::time::StoredTime;

pub mod coordination;
pub mod feed;
pub mod filters;
pub mod keys;
pub mod matching;
pub mod report;
pub mod rows;
pub mod search;
pub mod statements;
pub mod time_limit;
pub mod verdicts;

/// The most a page of a list, of an export or of the change feed holds of items, in bytes: a
/// page of items near their largest (an offer of six languages of 20,000 characters) holds
/// fewer than its `limit`, and its cursor goes on after the last one given. What a page holds
/// waits in memory for a client that does not read it; pages of usual items are far below
/// (a thousand changes of the feed, a megabyte).
pub const PAGE_BYTES: usize = 4 << 20;

/// How many of the items of these sizes a page holds: those within [`PAGE_BYTES`], and the
/// first one whatever its size.
pub fn within_page_bytes(sizes: impl IntoIterator<Item = usize>) -> usize {
    let mut total: usize = 0;
    let mut count = 0;
    for size in sizes {
        total = total.saturating_add(size);
        if count > 0 && total > PAGE_BYTES {
            break;
        }
        count += 1;
    }
    count
}

#[derive(Debug, Clone)]
pub enum Value {
    Text(String),
    Int(i64),
    /// A time, as a `Timestamp` column keeps it.
    Time(StoredTime),
    /// A text or NULL.
    MaybeText(Option<String>),
    /// A number or NULL.
    MaybeInt(Option<i64>),
}

/// An engine a [`Value`] is bound on.
pub trait Engine:
    diesel::backend::Backend
    + diesel::sql_types::HasSqlType<Text>
    + diesel::sql_types::HasSqlType<BigInt>
    + diesel::sql_types::HasSqlType<Timestamp>
{
}

impl Engine for diesel::sqlite::Sqlite {}
impl Engine for diesel::pg::Pg {}

/// No text, no number: a NULL bound as [`Value::MaybeText`] or [`Value::MaybeInt`].
static NO_TEXT: Option<String> = None;
static NO_INT: Option<i64> = None;

/// Binds `value` where the statement is.
fn bind<'b, DB: Engine>(
    out: &mut diesel::query_builder::AstPass<'_, 'b, DB>,
    value: &'b Value,
) -> QueryResult<()>
where
    String: diesel::serialize::ToSql<Text, DB>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    StoredTime: diesel::serialize::ToSql<Timestamp, DB>,
{
    match value {
        Value::Text(t) | Value::MaybeText(Some(t)) => out.push_bind_param::<Text, String>(t),
        Value::Int(i) | Value::MaybeInt(Some(i)) => out.push_bind_param::<BigInt, i64>(i),
        Value::Time(t) => out.push_bind_param::<Timestamp, StoredTime>(t),
        Value::MaybeText(None) => out.push_bind_param::<Nullable<Text>, _>(&NO_TEXT),
        Value::MaybeInt(None) => out.push_bind_param::<Nullable<BigInt>, _>(&NO_INT),
    }
}

/// A SQL text and its bound values, in order, for one engine.
#[derive(Debug, Default, Clone)]
pub struct Sql {
    pub text: String,
    pub binds: Vec<Value>,
    /// Written for SQLite (else PostgreSQL): where the two spell a thing differently.
    sqlite: bool,
    /// Prepared once per connection and kept (`Sql::keep_plan`).
    keep: bool,
}

impl Sql {
    /// A statement for the engine of `conn`.
    pub fn new(conn: &DbConnection, text: &str) -> Self {
        Self::for_engine(matches!(conn, DbConnection::Sqlite(_)), text)
    }

    fn for_engine(sqlite: bool, text: &str) -> Self {
        Self {
            text: text.to_owned(),
            binds: vec![],
            sqlite,
            keep: false,
        }
    }

    /// Whether the statement is written for SQLite: for a condition that only one engine's
    /// planner needs written another way.
    pub fn is_sqlite(&self) -> bool {
        self.sqlite
    }

    /// Asks for the statement to be prepared once per connection and its plan kept, as the
    /// DSL's statements are, instead of parsed and planned at every run: for a statement run
    /// on every request (a list's page, the change feed's) whose text is one of few. Texts
    /// vary with the filters asked and the lengths of their lists, so at most
    /// [`KEPT_TEXTS`] texts are kept in all; others run as before.
    pub fn keep_plan(&mut self) -> &mut Self {
        self.keep = true;
        self
    }

    /// `column` holds `value`, a flag: `column = 1` (or `0`) on SQLite, where flags are 0 and 1
    /// and the partial indexes say `= 1`; `column` (or `NOT column`) on PostgreSQL, where they
    /// are booleans and the partial indexes say `WHERE column`. `column` is a constant.
    pub fn flag(&mut self, column: &'static str, value: bool) -> &mut Self {
        match (self.sqlite, value) {
            (true, true) => self.push(&format!("{column} = 1")),
            (true, false) => self.push(&format!("{column} = 0")),
            (false, true) => self.push(column),
            (false, false) => self.push(&format!("NOT {column}")),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    pub fn text(&mut self, value: impl Into<String>) -> &mut Self {
        self.text.push('?');
        self.binds.push(Value::Text(value.into()));
        self
    }

    pub fn int(&mut self, value: i64) -> &mut Self {
        self.text.push('?');
        self.binds.push(Value::Int(value));
        self
    }

    /// `(?, ?, …)` for an `IN` list of numbers; never empty (an empty list matches nothing).
    pub fn int_list(&mut self, values: &[i64]) -> &mut Self {
        self.list(values.iter().map(|v| Value::Int(*v)))
    }

    /// `(?, ?, …)` for an `IN` list; never empty (an empty list matches nothing).
    pub fn text_list(&mut self, values: &[impl AsRef<str>]) -> &mut Self {
        self.list(values.iter().map(|v| Value::Text(v.as_ref().to_owned())))
    }

    /// `(?, ?), (?, ?), …` for rows of `VALUES`: a position and a text each.
    pub fn seq_text_rows(&mut self, rows: &[(i64, String)]) -> &mut Self {
        for (i, (seq, text)) in rows.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push("(")
                .int(*seq)
                .push(", ")
                .text(text.clone())
                .push(")");
        }
        self
    }

    /// `(?, ?, …)` for an `IN` list of at most [`KEY_LIST`] keys, padded to the next of a
    /// few lengths (8, 16, 32, … 512) by repeating its last key, which changes nothing an `IN`
    /// matches: the statement's text is then one of few, and may be kept
    /// ([`Sql::keep_plan`]) rather than parsed and planned again at every batch of an import.
    pub fn key_list(&mut self, values: &[impl AsRef<str>]) -> &mut Self {
        assert!(values.len() <= KEY_LIST, "at most {KEY_LIST} keys a list");
        let padded = values.len().next_power_of_two().max(8);
        let last = values.last().map(|v| v.as_ref());
        let values = values
            .iter()
            .map(|v| v.as_ref())
            .chain(std::iter::repeat_n(last, padded - values.len()).flatten());
        self.list(values.map(|v| Value::Text(v.to_owned())))
    }

    fn list(&mut self, values: impl Iterator<Item = Value>) -> &mut Self {
        let start = self.binds.len();
        self.push("(");
        for value in values {
            if self.binds.len() > start {
                self.push(", ");
            }
            self.text.push('?');
            self.binds.push(value);
        }
        if self.binds.len() == start {
            self.push("NULL");
        }
        self.push(")")
    }
}

/// The most keys an `IN` list of [`Sql::key_list`] holds: those of a batch of an import
/// ([`crate::db::BATCH`]).
pub const KEY_LIST: usize = crate::db::BATCH;

/// A row of a document table: its sequence number and its stored JSON document.
#[derive(Debug, Queryable, QueryableByName)]
pub struct DocumentRow {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Text)]
    pub document: String,
}

/// A row of a page ([`load_page_documents`]): what it holds of a document.
pub trait PageRow:
    QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static
{
    fn document(&self) -> &str;
}

impl PageRow for DocumentRow {
    fn document(&self) -> &str {
        &self.document
    }
}

/// How many texts of statements asked to be kept ([`Sql::keep_plan`]) are kept, in all: each
/// connection holds a prepared statement (on PostgreSQL, a plan in its server process) for
/// each, so a caller who asks for every combination of filters does not grow them without end.
pub const KEPT_TEXTS: usize = 256;

/// Whether the statement `sql` is prepared once and kept: asked for, and its text among the
/// first [`KEPT_TEXTS`] asked for.
fn kept(sql: &Sql) -> bool {
    use std::collections::HashSet;
    use std::sync::{LazyLock, Mutex};
    static TEXTS: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Default::default);
    sql.keep
        && admit(
            &mut TEXTS.lock().unwrap_or_else(|e| e.into_inner()),
            &sql.text,
            KEPT_TEXTS,
        )
}

/// Whether `text` is among the texts kept, adding it while there are fewer than `capacity`.
fn admit(texts: &mut std::collections::HashSet<String>, text: &str, capacity: usize) -> bool {
    texts.contains(text) || (texts.len() < capacity && texts.insert(text.to_owned()))
}

/// A statement as diesel runs it: the text, each `?` a bind that each engine writes as it
/// numbers them (`$1, $2, …` on PostgreSQL), and whether diesel may prepare it once per
/// connection and keep it, by its text ([`Sql::keep_plan`]); else it is parsed and planned at
/// every run, as `diesel::sql_query` always is.
struct Statement<'a> {
    text: &'a str,
    binds: &'a [Value],
    keep: bool,
}

impl<'a> Statement<'a> {
    fn of(sql: &'a Sql) -> Self {
        Self {
            text: &sql.text,
            binds: &sql.binds,
            keep: kept(sql),
        }
    }
}

impl<DB: Engine> diesel::query_builder::QueryFragment<DB> for Statement<'_>
where
    String: diesel::serialize::ToSql<Text, DB>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    StoredTime: diesel::serialize::ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        if !self.keep {
            out.unsafe_to_cache_prepared();
        }
        debug_assert_eq!(self.text.matches('?').count(), self.binds.len());
        let mut pieces = self.text.split('?');
        out.push_sql(pieces.next().unwrap_or_default());
        for (piece, value) in pieces.zip(self.binds) {
            bind(&mut out, value)?;
            out.push_sql(piece);
        }
        Ok(())
    }
}

impl diesel::query_builder::QueryId for Statement<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for Statement<'_> {
    type SqlType = diesel::sql_types::Untyped;
}

impl<C: Connection> RunQueryDsl<C> for Statement<'_> {}

/// Runs a query whose columns `T` names.
pub fn load<T>(conn: &mut DbConnection, sql: &Sql) -> QueryResult<Vec<T>>
where
    T: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static,
{
    crate::db::per_engine!(conn, c => Statement::of(sql).load(c))
}

/// Runs a query that selects `seq` and `document`.
pub fn load_documents(conn: &mut DbConnection, sql: &Sql) -> QueryResult<Vec<DocumentRow>> {
    load(conn, sql)
}

/// Runs a page's query, which selects `seq` and `document` in the page's order, made a page's
/// by [`bound_page`]: the rows up to the first whose documents before it reach
/// [`PAGE_BYTES`] (that one included), and whether rows were left out past them. What is read
/// of a page is so bounded, whatever its `limit` and the size of its items: SQLite gives rows
/// one by one as it reads them, and the next row is read only to know that there is one;
/// PostgreSQL sends the whole result, each document past the bound left out by the statement
/// (empty: no document is, they are JSON).
pub fn load_page_documents<T: PageRow>(
    conn: &mut DbConnection,
    sql: &Sql,
) -> QueryResult<(Vec<T>, bool)> {
    match conn {
        DbConnection::Sqlite(c) => {
            let (mut rows, mut before, mut cut) = (Vec::new(), 0, false);
            sqlite_rows(c, sql, |row: T| {
                // Past the bound, the row says only that the page goes on.
                cut = before >= PAGE_BYTES;
                if !cut {
                    before += row.document().len();
                    rows.push(row);
                }
                !cut
            })?;
            Ok((rows, cut))
        }
        DbConnection::Postgres(c) => {
            let mut rows: Vec<T> = Statement::of(sql).load(c)?;
            let within = rows.iter().take_while(|r| !r.document().is_empty()).count();
            let cut = within < rows.len();
            rows.truncate(within);
            Ok((rows, cut))
        }
    }
}

/// Makes a page's query, which selects `seq` and `document` (and what `order` names) in the
/// page's order `order` (over its columns, as `q.…`), and the columns `more` lists (`, q.top`),
/// read as [`load_page_documents`] reads it: on PostgreSQL, each document is empty where the documents before it (a running sum of
/// their lengths, which PostgreSQL knows without reading them) reach [`PAGE_BYTES`]. The sum
/// is over the page's rows alone, after its `LIMIT`: the query keeps its own plan (a sort of
/// the first rows of many matches, not of all of them).
pub fn bound_page(sqlite: bool, sql: &mut Sql, order: &str, more: &str) {
    if !sqlite {
        sql.text = format!(
            "SELECT q.seq, CASE WHEN COALESCE(SUM(octet_length(q.document)) OVER (ORDER BY \
             {order} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) < {PAGE_BYTES} \
             THEN q.document ELSE '' END AS document{more} FROM ({}) q ORDER BY {order}",
            sql.text
        );
    }
}

/// Runs a query on SQLite and gives its rows to `take` as SQLite reads them, until `take`
/// says to stop (`false`): no row after that is read.
pub fn sqlite_rows<T>(
    conn: &mut diesel::SqliteConnection,
    sql: &Sql,
    mut take: impl FnMut(T) -> bool,
) -> QueryResult<()>
where
    T: QueryableByName<diesel::sqlite::Sqlite> + 'static,
{
    use diesel::connection::DefaultLoadingMode;
    for row in Statement::of(sql).load_iter::<T, DefaultLoadingMode>(conn)? {
        if !take(row?) {
            break;
        }
    }
    Ok(())
}

/// Runs a statement; returns the number of rows it touched.
pub fn execute(conn: &mut DbConnection, sql: &Sql) -> QueryResult<usize> {
    crate::db::per_engine!(conn, c => Statement::of(sql).execute(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_holds_items_within_its_bytes_and_at_least_one() {
        assert_eq!(within_page_bytes([]), 0);
        assert_eq!(
            within_page_bytes([PAGE_BYTES * 2, 1]),
            1,
            "the first, whatever its size"
        );
        assert_eq!(
            within_page_bytes([PAGE_BYTES / 2, PAGE_BYTES / 2, 1]),
            2,
            "exactly full"
        );
        assert_eq!(within_page_bytes([PAGE_BYTES / 2, PAGE_BYTES / 2 + 1]), 1);
        assert_eq!(within_page_bytes([1, usize::MAX, 1]), 1, "no overflow");
    }

    #[test]
    fn a_key_list_is_padded_to_one_of_a_few_lengths_with_its_last_key() {
        let texts = |n: usize| {
            let keys: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
            let mut sql = Sql::for_engine(true, "");
            sql.key_list(&keys);
            (sql.text, sql.binds)
        };
        for (n, len) in [(0, 0), (1, 8), (8, 8), (9, 16), (100, 128), (512, 512)] {
            let (text, binds) = texts(n);
            assert_eq!(binds.len(), len, "{n} keys");
            assert_eq!(text.matches('?').count(), binds.len());
            if n > 0 {
                let last = format!("k{}", n - 1);
                assert!(
                    binds[n - 1..]
                        .iter()
                        .all(|b| matches!(b, Value::Text(t) if *t == last)),
                    "{n} keys: padded with the last"
                );
            } else {
                assert_eq!(text, "(NULL)", "an empty list matches nothing");
            }
        }
        assert_eq!(
            texts(9).0,
            texts(16).0,
            "one text for every length up to 16"
        );
    }

    #[test]
    #[should_panic(expected = "at most 512 keys")]
    fn a_key_list_holds_at_most_a_batch() {
        let keys = vec!["k"; KEY_LIST + 1];
        Sql::for_engine(true, "").key_list(&keys);
    }

    #[test]
    fn placeholders_are_written_as_each_engine_numbers_them() {
        let mut sql = Sql::for_engine(false, "SELECT 1 WHERE a = ");
        sql.text("x").push(" AND b IN ").text_list(&["p", "q"]);
        let pg = diesel::debug_query::<diesel::pg::Pg, _>(&Statement::of(&sql)).to_string();
        assert!(
            pg.starts_with("SELECT 1 WHERE a = $1 AND b IN ($2, $3) -- binds: "),
            "{pg}"
        );
        let sqlite =
            diesel::debug_query::<diesel::sqlite::Sqlite, _>(&Statement::of(&sql)).to_string();
        assert!(
            sqlite.starts_with("SELECT 1 WHERE a = ? AND b IN (?, ?) -- binds: "),
            "{sqlite}"
        );
        assert_eq!(sql.binds.len(), 3);
    }

    #[test]
    fn only_so_many_texts_are_kept() {
        let mut texts = std::collections::HashSet::new();
        assert!(admit(&mut texts, "a", 2));
        assert!(admit(&mut texts, "b", 2));
        assert!(!admit(&mut texts, "c", 2), "a third text is not kept");
        assert!(admit(&mut texts, "a", 2), "a text kept stays kept");
        assert_eq!(texts.len(), 2);
    }

    #[test]
    fn flags_are_written_as_each_engine_keeps_them() {
        let mut pg = Sql::for_engine(false, "WHERE ");
        pg.flag("r.public", true)
            .push(" AND ")
            .flag("r.good_practice", false);
        assert_eq!(pg.text, "WHERE r.public AND NOT r.good_practice");
        let mut sqlite = Sql::for_engine(true, "WHERE ");
        sqlite
            .flag("r.public", true)
            .push(" AND ")
            .flag("r.good_practice", false);
        assert_eq!(sqlite.text, "WHERE r.public = 1 AND r.good_practice = 0");
    }
}
