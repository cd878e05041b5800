//! The only hand-written SQL, for what the DSL cannot say: full-text search and its ranking
//! (`search`), the change feed with each last change's item read from its row (`feed`), lists
//! filtered by any combination of facets (`filters`), and statements that are not queries
//! (`statements`: connection settings, transaction modes, the write lock).
//! Everything else is written with diesel's DSL against `super::schema`.
//!
//! Queries are built with [`Sql`]: `?` placeholders (numbered `$1, $2, …` for PostgreSQL
//! before the query runs) for every value; identifiers come only from constants, never from
//! input.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::DbConnection;

pub mod coordination;
pub mod feed;
pub mod filters;
pub mod matching;
pub mod report;
pub mod search;
pub mod statements;

#[derive(Debug, Clone)]
pub enum Value {
    Text(String),
    Int(i64),
}

/// A SQL text and its bound values, in order, for one engine.
#[derive(Debug, Default, Clone)]
pub struct Sql {
    pub text: String,
    pub binds: Vec<Value>,
    /// Written for SQLite (else PostgreSQL): where the two spell a thing differently.
    sqlite: bool,
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
        }
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

    fn numbered(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 16);
        let mut n = 0;
        for c in self.text.chars() {
            if c == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(c);
            }
        }
        out
    }
}

/// A row of a document table: its sequence number and its stored JSON document.
#[derive(Debug, Queryable, QueryableByName)]
pub struct DocumentRow {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Text)]
    pub document: String,
}

macro_rules! bound {
    ($query:expr, $binds:expr) => {{
        let mut q = $query.into_boxed();
        for value in $binds {
            q = match value {
                Value::Text(t) => q.bind::<Text, _>(t.clone()),
                Value::Int(i) => q.bind::<BigInt, _>(*i),
            };
        }
        q
    }};
}

/// Runs a query whose columns `T` names.
pub fn load<T>(conn: &mut DbConnection, sql: &Sql) -> QueryResult<Vec<T>>
where
    T: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static,
{
    match conn {
        DbConnection::Sqlite(c) => bound!(diesel::sql_query(&sql.text), &sql.binds).load(c),
        DbConnection::Postgres(c) => bound!(diesel::sql_query(sql.numbered()), &sql.binds).load(c),
    }
}

/// Runs a query that selects `seq` and `document`.
pub fn load_documents(conn: &mut DbConnection, sql: &Sql) -> QueryResult<Vec<DocumentRow>> {
    load(conn, sql)
}

/// Runs a statement; returns the number of rows it touched.
pub fn execute(conn: &mut DbConnection, sql: &Sql) -> QueryResult<usize> {
    match conn {
        DbConnection::Sqlite(c) => bound!(diesel::sql_query(&sql.text), &sql.binds).execute(c),
        DbConnection::Postgres(c) => {
            bound!(diesel::sql_query(sql.numbered()), &sql.binds).execute(c)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        let mut sql = Sql::for_engine(false, "SELECT 1 WHERE a = ");
        sql.text("x").push(" AND b IN ").text_list(&["p", "q"]);
        assert_eq!(sql.numbered(), "SELECT 1 WHERE a = $1 AND b IN ($2, $3)");
        assert_eq!(sql.binds.len(), 3);
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
