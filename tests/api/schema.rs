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

#[derive(diesel::QueryableByName)]
struct Definition {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    sql: String,
}

/// The SQLite tables whose definition checks a value against a list of texts (`IN ('a', …)`
/// or `NOT IN`, however spaced), which SQLite builds as a temporary index again for every row
/// it checks (`2026-12-04-020000_checks_without_in_lists`: the same checks as comparisons).
pub fn tables_checked_against_lists(conn: &mut DbConnection) -> Vec<String> {
    let tables = diesel::sql_query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL",
    )
    .load::<Definition>(conn)
    .unwrap();
    assert!(tables.iter().any(|t| t.name == "audit_log"));
    tables
        .into_iter()
        .filter(|t| {
            let compact: String = t.sql.split_whitespace().collect();
            compact.contains("IN('")
        })
        .map(|t| t.name)
        .collect()
}

/// A column checked against a list of values refuses any other value, on both engines; on
/// SQLite no table's check is written as a list of texts.
#[test]
fn a_column_checked_against_a_list_refuses_what_is_not_in_it() {
    let app = TestApp::spawn();
    let mut conn = app.service.state.pool.get().unwrap();
    if conn.backend_name() == "sqlite" {
        let listed = tables_checked_against_lists(&mut conn);
        assert!(listed.is_empty(), "checked against a list: {listed:?}");
    }
    let id = "0192f000-0000-7000-8000-000000000001";
    let audit = |role: &str, entity: &str, operation: &str| {
        format!(
            "INSERT INTO audit_log (at, actor, role, entity, entity_id, operation, changes) \
             VALUES ('2026-12-04T00:00:00Z', 'x', '{role}', '{entity}', '{id}', '{operation}', '[]')"
        )
    };
    let change = |entity: &str, op: &str, public_op: &str| {
        format!(
            "INSERT INTO changes (entity, entity_id, at, op, data, public_op) \
             VALUES ('{entity}', '{id}', '2026-12-04T00:00:00Z', '{op}', \
             CASE WHEN '{op}' = 'upsert' THEN '{{}}' END, '{public_op}')"
        )
    };
    let refused = [
        (audit("root", "offer", "update"), "audit_log_role_check"),
        (audit("sync", "planet", "update"), "audit_log_entity_check"),
        (audit("sync", "offer", "merge"), "audit_log_operation_check"),
        (change("planet", "upsert", "upsert"), "changes_entity_check"),
        (change("offer", "merge", "upsert"), "changes_op_check"),
        (
            change("offer", "delete", "merge"),
            "changes_public_op_check",
        ),
    ];
    for (statement, check) in &refused {
        let error = diesel::sql_query(statement)
            .execute(&mut **conn)
            .expect_err(statement);
        assert!(error.to_string().contains(check), "{statement}: {error}");
    }
    // Each list's last value and first are let through.
    for statement in [
        audit("operator", "interest", "delete"),
        audit("admin", "recommendation", "create"),
        change("offer", "delete", "delete"),
        change("recommendation", "upsert", "upsert"),
    ] {
        diesel::sql_query(&statement)
            .execute(&mut **conn)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}
