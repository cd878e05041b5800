//! The diesel schema (`upr_tc::db::schema`) against the database the migrations build, on the
//! engine under test: the same tables, and in each the same columns, with the same nullability
//! and a type of the same family. A migration that adds, drops or changes a column without the
//! schema (or the reverse) fails here.

use std::collections::BTreeMap;

use diesel::RunQueryDsl;
use diesel::sql_types::{Integer, Text};
use upr_tc::db::DbConnection;
use upr_tc::db::schema::TABLES;
use upr_tc_tests::TestApp;

#[derive(diesel::QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    ty: String,
    #[diesel(sql_type = Integer)]
    nullable: i32,
}

/// (type, nullable) of each column of each table the migrations built, but the engines' own
/// search tables and columns (SQLite's FTS5 tables, PostgreSQL's `tsvector` columns), and
/// diesel's migration table.
fn database_columns(conn: &mut DbConnection) -> BTreeMap<String, BTreeMap<String, (String, bool)>> {
    let query = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT m.name AS table_name, c.name AS name, c.type AS ty, \
             CASE WHEN c.\"notnull\" = 1 THEN 0 ELSE 1 END AS nullable \
             FROM sqlite_master m, pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' \
             AND m.name NOT LIKE '%\\_search%' ESCAPE '\\' AND m.name <> '__diesel_schema_migrations'"
        }
        DbConnection::Postgres(_) => {
            "SELECT table_name::text AS table_name, column_name::text AS name, \
             data_type::text AS ty, CASE WHEN is_nullable = 'YES' THEN 1 ELSE 0 END AS nullable \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND udt_name <> 'tsvector' \
             AND table_name <> '__diesel_schema_migrations'"
        }
    };
    let mut tables: BTreeMap<String, BTreeMap<String, (String, bool)>> = BTreeMap::new();
    for c in diesel::sql_query(query).load::<Column>(conn).unwrap() {
        tables
            .entry(c.table_name)
            .or_default()
            .insert(c.name, (c.ty.to_ascii_lowercase(), c.nullable == 1));
    }
    tables
}

/// The family of a diesel type as `schema.rs` writes it, and whether it is `Nullable`.
fn family(diesel_type: &str) -> (String, bool) {
    let t: String = diesel_type.split_whitespace().collect();
    match t
        .strip_prefix("Nullable<")
        .and_then(|t| t.strip_suffix('>'))
    {
        Some(inner) => (inner.to_ascii_lowercase(), true),
        None => (t.to_ascii_lowercase(), false),
    }
}

/// Whether a column the database declares as `declared` holds the diesel type family `family`.
/// SQLite has few types: its INTEGER is 64 bits and holds booleans as 0 and 1, and it keeps
/// times as text. PostgreSQL's are distinct: a time is a `timestamp`, a flag a `boolean`.
fn fits(sqlite: bool, declared: &str, family: &str) -> bool {
    let allowed: &[&str] = match (sqlite, declared) {
        (true, "integer") => &["integer", "bigint", "bool"],
        (true, "text") => &["text", "timestamp"],
        (false, "integer") => &["integer"],
        (_, "bigint") => &["bigint"],
        (false, "text" | "character varying") => &["text"],
        (false, "boolean") => &["bool"],
        (_, "timestamp" | "timestamp with time zone" | "timestamp without time zone") => {
            &["timestamp"]
        }
        _ => &[],
    };
    allowed.contains(&family)
}

#[test]
fn the_schema_matches_the_migrated_database() {
    let app = TestApp::spawn();
    let mut conn = app.service.state.pool.get().unwrap();
    let mut database = database_columns(&mut conn);
    let sqlite = conn.backend_name() == "sqlite";
    let mut problems = Vec::new();
    for (table, columns) in TABLES {
        let Some(mut found) = database.remove(*table) else {
            problems.push(format!("{table}: in schema.rs, not in the database"));
            continue;
        };
        for (column, diesel_type) in *columns {
            let (family, nullable) = family(diesel_type);
            match found.remove(*column) {
                None => problems.push(format!(
                    "{table}.{column}: in schema.rs, not in the database"
                )),
                Some((declared, db_nullable)) => {
                    if !fits(sqlite, &declared, &family) {
                        problems.push(format!(
                            "{table}.{column}: {diesel_type} in schema.rs, {declared} in the database"
                        ));
                    }
                    if nullable != db_nullable {
                        problems.push(format!(
                            "{table}.{column}: nullable {nullable} in schema.rs, {db_nullable} in the database"
                        ));
                    }
                }
            }
        }
        for column in found.keys() {
            problems.push(format!(
                "{table}.{column}: in the database, not in schema.rs"
            ));
        }
    }
    for table in database.keys() {
        problems.push(format!("{table}: in the database, not in schema.rs"));
    }
    assert!(
        problems.is_empty(),
        "schema.rs and the {} migrations disagree:\n{}",
        conn.backend_name(),
        problems.join("\n")
    );
}

#[test]
fn the_comparison_sees_a_difference() {
    // The check itself: a type of another family, and nullability, are told apart.
    assert!(fits(true, "integer", "bigint"));
    assert!(!fits(true, "text", "integer"));
    assert!(!fits(true, "bigint", "integer"));
    // PostgreSQL keeps times and flags in their own types, not in text and integers.
    assert!(fits(true, "text", "timestamp"));
    assert!(!fits(false, "text", "timestamp"));
    assert!(fits(true, "integer", "bool"));
    assert!(!fits(false, "integer", "bool"));
    assert!(fits(false, "boolean", "bool"));
    assert_eq!(family("Nullable < Text >"), ("text".to_owned(), true));
    assert_eq!(family("BigInt"), ("bigint".to_owned(), false));
}
