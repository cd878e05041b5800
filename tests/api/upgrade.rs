//! Upgrading a database in place. `tests/fixtures/upgrade/<engine>.json` holds a database as
//! the service of an older commit left it (written through its API by
//! `tests/fixtures/upgrade/generate.py`) and what that service answered about it. Each test
//! migrates an empty database as far as the fixture's own migrations went, loads its rows,
//! and starts the service, which applies every later migration, whatever the head is now; then
//! every item, audit entry, change and consent record is there and every answer is the same.
//! The rows are kept on both engines, each fixture being the rows that engine was given.

use std::collections::HashMap;

use actix_web::http::header;
use diesel::backend::Backend;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc::config::DatabaseUrl;
use upr_tc::db::{DbConnection, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use upr_tc::startup::Service;
use upr_tc_tests::{Request, TestApp, TestDb, json, settings};

/// The tables, parents first: the order the rows are loaded in. SQLite's full-text tables
/// (keyed by `seq`) come last; the PostgreSQL fixture has none (its `search` columns are
/// generated).
const TABLES: &[&str] = &[
    "instance",
    "cursor_secret",
    "recommendations",
    "recommendation_facets",
    "stakeholders",
    "stakeholder_facets",
    "activities",
    "activity_facets",
    "consents",
    "external_refs",
    "audit_log",
    "changes",
    "idempotency_keys",
    "recommendation_search",
    "stakeholder_search",
    "activity_search",
];

/// The headers an answer is compared by (those `generate.py` keeps): the ones that say
/// something about the data. `Date` and `X-Request-Id` differ from run to run and are not
/// recorded; no body differs (every answer is read from the stored rows, times included, and
/// no answer with a time of its own, such as IATI XML's `generated-datetime`, is recorded).
const HEADERS: &[&str] = &[
    "content-type",
    "etag",
    "link",
    "x-changes-cursor",
    "location",
];

fn fixture(engine: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/upgrade")
        .join(format!("{engine}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Applies, one by one, the migrations not applied yet up to `version` (included).
fn migrate_to<C, B>(conn: &mut C, source: EmbeddedMigrations, version: &str)
where
    C: MigrationHarness<B>,
    B: Backend,
{
    for migration in conn
        .pending_migrations(source)
        .expect("read the migrations")
    {
        if migration.name().version().to_string().as_str() <= version {
            conn.run_migration(&*migration)
                .unwrap_or_else(|e| panic!("migration {}: {e}", migration.name()));
        }
    }
}

/// Reverts, one by one, the migrations applied after `version`.
fn revert_to<C, B>(conn: &mut C, source: impl Fn() -> EmbeddedMigrations, version: &str)
where
    C: MigrationHarness<B>,
    B: Backend,
{
    loop {
        let applied = conn
            .applied_migrations()
            .expect("read the applied migrations");
        match applied.iter().map(|v| v.to_string()).max() {
            Some(last) if last.as_str() > version => {
                conn.revert_last_migration(source())
                    .unwrap_or_else(|e| panic!("reverting {last}: {e}"));
            }
            _ => return,
        }
    }
}

/// A JSON value of the fixture as an SQL literal.
fn literal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("'{}'", s.replace('\'', "''")),
        other => panic!("a fixture cell is a string, a number or null: {other}"),
    }
}

/// Loads the fixture's rows and counters, as they were, in one transaction.
fn load(conn: &mut DbConnection, fixture: &Value) {
    let mut sql = String::from("BEGIN;\n");
    // Rows the migrations made, which the fixture's replace.
    sql.push_str("DELETE FROM instance;\nDELETE FROM cursor_secret;\n");
    for table in TABLES {
        let Some(t) = fixture["tables"].get(*table) else {
            continue;
        };
        let columns: Vec<&str> = t["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        for row in t["rows"].as_array().unwrap() {
            let values: Vec<String> = row.as_array().unwrap().iter().map(literal).collect();
            sql.push_str(&format!(
                "INSERT INTO {table} ({}) VALUES ({});\n",
                columns.join(", "),
                values.join(", ")
            ));
        }
    }
    let sequences = fixture["sequences"].as_object().unwrap();
    for (table, counter) in sequences {
        match conn {
            DbConnection::Sqlite(_) => sql.push_str(&format!(
                "DELETE FROM sqlite_sequence WHERE name = '{table}';\n\
                 INSERT INTO sqlite_sequence (name, seq) VALUES ('{table}', {counter});\n"
            )),
            DbConnection::Postgres(_) => sql.push_str(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'seq'), {}, {});\n",
                counter["last_value"], counter["is_called"]
            )),
        }
    }
    sql.push_str("COMMIT;");
    conn.batch_execute(&sql).expect("load the fixture's rows");
}

/// A database as the fixture's commit left it, upgraded by the service, which runs on it.
fn upgraded() -> (TestApp, Value, DatabaseUrl) {
    let (db, url) = TestDb::create();
    let engine = match url {
        DatabaseUrl::Sqlite(_) => "sqlite",
        DatabaseUrl::Postgres(_) => "postgres",
    };
    let fixture = fixture(engine);
    let version = fixture["version"].as_str().unwrap().to_owned();
    {
        let pool = upr_tc::db::connect(&url, 1).expect("open the database");
        let mut conn = pool.get().unwrap();
        match &mut **conn {
            DbConnection::Sqlite(c) => migrate_to(c, SQLITE_MIGRATIONS, &version),
            DbConnection::Postgres(c) => migrate_to(c, POSTGRES_MIGRATIONS, &version),
        }
        load(&mut conn, &fixture);
        assert!(
            !conn.is_migrated().unwrap(),
            "the fixture is at the head already: there is nothing to upgrade"
        );
    }
    // The service migrates the rest as it starts.
    let service = Service::build(settings(url.clone())).expect("the service upgrades and starts");
    let app = TestApp { service, db };
    let mut conn = app.service.state.pool.get().unwrap();
    assert!(conn.is_migrated().unwrap(), "every migration is applied");
    drop(conn);
    (app, fixture, url)
}

/// Where two JSON values first differ, as a JSON pointer with both sides.
fn difference(at: &str, expected: &Value, actual: &Value) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let mut keys: Vec<&String> = e.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let (e, a) = (e.get(k), a.get(k));
                match (e, a) {
                    (Some(e), Some(a)) => difference(&format!("{at}/{k}"), e, a),
                    _ => Some(format!("{at}/{k}: {e:?} then, {a:?} now")),
                }
            })
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(i, (e, a))| difference(&format!("{at}/{i}"), e, a)),
        (e, a) if e == a => None,
        (e, a) => Some(format!("{at}: {e} then, {a} now")),
    }
}

/// The token of the role an answer was recorded as.
fn token(app: &TestApp, claims: &Value) -> Option<String> {
    let role = match claims.get("role")?.as_str()? {
        "admin" => Role::Admin,
        "state" => Role::State,
        "contributor" => Role::Contributor,
        "sync" => Role::Sync,
        other => panic!("a role: {other}"),
    };
    Some(app.token(
        role,
        claims.get("state").and_then(Value::as_str),
        claims.get("stakeholder").and_then(Value::as_str),
    ))
}

/// What a recorded answer is now that the contract has changed on purpose since the fixture
/// was written, each change named here: an answer differs from the recorded one only by
/// these.
///
/// - Issue 11: the CSV export of activities has two more columns at the end,
///   `assistance_request` and `offer`, empty for the fixture's activities (none came from a
///   match).
/// - Issue 13: an update's audit entry carries its JSON Patch (`patch`), which for an entry
///   written before is read from its summary: each field `add`ed where it was `null` before,
///   else `test`ed and `replace`d.
/// - A list's cursor names its list ([`same_positions`]): the next page's cursor is another
///   text for the same position, and a cursor given before is still taken.
/// - A State's consent summary (`/states/{code}/consent`) carries an `ETag`.
/// - A page of the change feed that has more links the next (`Link`), as a list's page does.
///
/// An answer whose body changed so has a new `ETag` too.
fn as_changed_since(path: &str, accept: Option<&str>, body: &Value) -> Value {
    if path.starts_with("/api/v1/audit") {
        let mut body = body.clone();
        for entry in body["items"].as_array_mut().into_iter().flatten() {
            let Some(changed) = entry["changes"]["changed"].as_object() else {
                continue;
            };
            let mut patch = Vec::new();
            for (field, sides) in changed {
                let path = format!("/{field}");
                if sides["before"].is_null() {
                    patch.push(json!({"op": "add", "path": path, "value": sides["after"]}));
                } else {
                    patch.push(json!({"op": "test", "path": path, "value": sides["before"]}));
                    patch.push(json!({"op": "replace", "path": path, "value": sides["after"]}));
                }
            }
            entry["patch"] = Value::Array(patch);
        }
        return body;
    }
    let Value::String(text) = body else {
        return body.clone();
    };
    if !(path.starts_with("/api/v1/activities?") && accept == Some("text/csv")) {
        return body.clone();
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut writer = csv::Writer::from_writer(Vec::new());
    for (i, record) in reader.records().enumerate() {
        let mut record = record.expect("the recorded CSV reads");
        let added: [&str; 2] = if i == 0 {
            ["assistance_request", "offer"]
        } else {
            ["", ""]
        };
        record.extend(added);
        writer.write_record(&record).unwrap();
    }
    Value::String(String::from_utf8(writer.into_inner().unwrap()).unwrap())
}

/// `text` with each cursor in it (`cursor=…` of a link, or a `next_cursor`) written as the
/// position it stands for, which cursors given before and after they named their list (and
/// its filters) agree on.
fn same_positions(app: &TestApp, text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest
        .find("cursor=")
        .or_else(|| rest.find("\"next_cursor\":\""))
    {
        let start = at + rest[at..].find(['=', ':']).unwrap() + 1;
        let start = start + usize::from(rest[start..].starts_with('"'));
        out.push_str(&rest[..start]);
        let cursor: String = rest[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        // A cursor that does not read stays as it is, and so differs.
        match app.service.state.cursors.position_of(&cursor) {
            Some(position) => out.push_str(&format!("{position:?}")),
            None => out.push_str(&cursor),
        }
        rest = &rest[start + cursor.len()..];
    }
    out.push_str(rest);
    out
}

/// Asks each recorded request again; returns what differs.
async fn compare_answers(app: &TestApp, fixture: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    // A newer build may compute a body's tag otherwise (`digest::tag`), and a client's cached
    // copy is then sent once more: what must hold is that what had one tag then has one tag
    // now, and two different tags then are two different tags now.
    let (mut tags, mut tagged) = (HashMap::new(), HashMap::new());
    for recorded in fixture["answers"].as_array().unwrap() {
        let path = recorded["path"].as_str().unwrap();
        let mut req = Request::get().uri(path);
        if let Some(accept) = recorded["accept"].as_str() {
            req = req.insert_header((header::ACCEPT, accept));
        }
        if let Some(token) = token(app, &recorded["as"]) {
            req = req.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        }
        let reply = app.send(req).await;
        let who = recorded["as"]["role"].as_str().unwrap_or("anonymous");
        let what = format!("GET {path} as {who}");
        if reply.status.as_u16() as u64 != recorded["status"].as_u64().unwrap() {
            problems.push(format!(
                "{what}: status {} then, {} now: {}",
                recorded["status"],
                reply.status,
                reply.text()
            ));
            continue;
        }
        let mut then = as_changed_since(path, recorded["accept"].as_str(), &recorded["body"]);
        // The list a cursor names: the path's last segment.
        let scope = path.split('?').next().unwrap().rsplit('/').next().unwrap();
        let mut now_body = match &then {
            Value::String(_) => Value::Null,
            _ => reply.json(),
        };
        for body in [&mut then, &mut now_body] {
            if let Some(cursor) = body.get("next_cursor").and_then(Value::as_str)
                && let Some(position) = app.service.state.cursors.position_of(cursor)
            {
                body["next_cursor"] = Value::String(format!("{position:?}"));
            }
        }
        let newly_tagged = path.starts_with("/api/v1/states/") && path.ends_with("/consent");
        for name in HEADERS {
            if *name == "etag" && (then != recorded["body"] || newly_tagged) {
                continue;
            }
            let (then, now) = (
                recorded["headers"]
                    .get(*name)
                    .and_then(Value::as_str)
                    .map(|v| same_positions(app, v)),
                reply.header(name).map(|v| same_positions(app, v)),
            );
            let (then, now) = (then.as_deref(), now.as_deref());
            let newly_linked = *name == "link"
                && then.is_none()
                && scope == "changes"
                && recorded["body"]["has_more"] == true
                && now.is_some_and(|link| link.ends_with("; rel=\"next\""));
            if newly_linked {
                continue;
            }
            if *name == "etag"
                && let (Some(then), Some(now)) = (then, now)
            {
                let seen = tags
                    .entry(then.to_owned())
                    .or_insert_with(|| now.to_owned());
                let given = tagged
                    .entry(now.to_owned())
                    .or_insert_with(|| then.to_owned());
                if seen != now || given != then {
                    problems.push(format!(
                        "{what}: tag {then:?} then is {now:?} now, elsewhere {seen:?}; \
                         {now:?} now was {given:?} then"
                    ));
                }
            } else if then != now {
                problems.push(format!("{what}: header {name} {then:?} then, {now:?} now"));
            }
        }
        let found = match &then {
            Value::String(text) if reply.text() != *text => Some(format!(
                "the body differs:\n{text}\nthen, now:\n{}",
                reply.text()
            )),
            Value::String(_) => None,
            body => difference("", body, &now_body),
        };
        if let Some(found) = found {
            problems.push(format!("{what}: {found}"));
        }
    }
    problems
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Keys {
    #[diesel(sql_type = Text)]
    keys: String,
}

/// Each table's row count and keys (`seq`, and the id where it has one) against the fixture's:
/// values are compared through the API, whose answers do not depend on how a later migration
/// stores them (a text time or a `timestamp`).
fn compare_rows(conn: &mut DbConnection, fixture: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for table in TABLES {
        let Some(t) = fixture["tables"].get(*table) else {
            continue;
        };
        let columns: Vec<&str> = t["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let rows = t["rows"].as_array().unwrap();
        let n = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Count>(conn)
            .unwrap()
            .n;
        if n as usize != rows.len() {
            problems.push(format!("{table}: {} rows then, {n} now", rows.len()));
        }
        for key in ["seq", "id"] {
            let Some(i) = columns.iter().position(|c| *c == key) else {
                continue;
            };
            let mut then: Vec<String> = rows
                .iter()
                .map(|r| match &r[i] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            then.sort();
            let now = diesel::sql_query(format!(
                "SELECT CAST({key} AS TEXT) AS keys FROM {table} ORDER BY 1"
            ))
            .load::<Keys>(conn)
            .unwrap();
            let mut now: Vec<String> = now.into_iter().map(|k| k.keys).collect();
            now.sort();
            if then != now {
                problems.push(format!("{table}.{key}: {then:?} then, {now:?} now"));
            }
        }
    }
    problems
}

/// When each activity of the fixture was first submitted, to the second, read here from its
/// audit entries (a creation's document, an update's changed `publication`), apart from the
/// migration that fills `submitted_at` from them; of those still stored.
fn first_submissions(fixture: &Value) -> std::collections::BTreeMap<String, String> {
    let audit = &fixture["tables"]["audit_log"];
    let column = |name: &str| {
        audit["columns"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c == name)
            .unwrap()
    };
    let (at, entity, id, operation, changes) = (
        column("at"),
        column("entity"),
        column("entity_id"),
        column("operation"),
        column("changes"),
    );
    let mut first = std::collections::BTreeMap::new();
    for row in audit["rows"].as_array().unwrap() {
        if row[entity] != "activity" {
            continue;
        }
        let changed: Value = serde_json::from_str(row[changes].as_str().unwrap()).unwrap();
        if row[operation] == "delete" {
            first.remove(row[id].as_str().unwrap());
            continue;
        }
        if changed["after"]["publication"] == "submitted"
            || changed["publication"]["after"] == "submitted"
        {
            let second = row[at].as_str().unwrap()[..19].replace('T', " ");
            first
                .entry(row[id].as_str().unwrap().to_owned())
                .or_insert(second);
        }
    }
    first
}

#[actix_web::test]
async fn a_database_of_an_older_commit_upgrades_in_place_with_every_row_and_answer() {
    let (app, fixture, _) = upgraded();
    let mut conn = app.service.state.pool.get().unwrap();
    let rows = compare_rows(&mut conn, &fixture);
    assert!(
        rows.is_empty(),
        "rows lost or changed:\n{}",
        rows.join("\n")
    );
    if let DbConnection::Sqlite(_) = &**conn {
        let broken = diesel::sql_query("SELECT COUNT(*) AS n FROM pragma_foreign_key_check()")
            .get_result::<Count>(&mut **conn)
            .unwrap()
            .n;
        assert_eq!(broken, 0, "PRAGMA foreign_key_check finds rows");
        let integrity =
            diesel::sql_query("SELECT integrity_check AS keys FROM pragma_integrity_check()")
                .load::<Keys>(&mut **conn)
                .unwrap();
        let integrity: Vec<String> = integrity.into_iter().map(|k| k.keys).collect();
        assert_eq!(integrity, ["ok"], "PRAGMA integrity_check");
        // The lists of the checks written as comparisons in the tables the older commit made.
        let listed = crate::schema::tables_checked_against_lists(&mut conn);
        assert!(listed.is_empty(), "checked against a list: {listed:?}");
        // The feed's AUTOINCREMENT counter went with its rebuilt table.
        let counters = diesel::sql_query(
            "SELECT name || '=' || seq AS keys FROM sqlite_sequence ORDER BY name",
        )
        .load::<Keys>(&mut **conn)
        .unwrap();
        let counters: Vec<String> = counters.into_iter().map(|k| k.keys).collect();
        let then: Vec<String> = fixture["sequences"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, seq)| format!("{name}={seq}"))
            .collect();
        assert_eq!(counters, then, "sqlite_sequence");
    }
    // The day each activity was first submitted, filled from the audit trail.
    let stamped = diesel::sql_query(
        "SELECT id || '=' || substr(CAST(submitted_at AS TEXT), 1, 19) AS keys FROM activities \
         WHERE submitted_at IS NOT NULL ORDER BY id",
    )
    .load::<Keys>(&mut **conn)
    .unwrap();
    let stamped: Vec<String> = stamped.into_iter().map(|k| k.keys).collect();
    let expected: Vec<String> = first_submissions(&fixture)
        .into_iter()
        .map(|(id, at)| format!("{id}={at}"))
        .collect();
    assert!(!expected.is_empty(), "the fixture submits activities");
    assert_eq!(stamped, expected, "activities.submitted_at");
    drop(conn);
    let answers = compare_answers(&app, &fixture).await;
    assert!(
        answers.is_empty(),
        "{} of {} answers differ after the upgrade:\n{}",
        answers.len(),
        fixture["answers"].as_array().unwrap().len(),
        answers.join("\n\n")
    );

    // And the upgraded database takes writes: a State withdraws its consent, and the feed goes
    // on after where it stood (the next position was not given before).
    let admin = app.admin_token();
    let head = fixture["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "/api/v1/changes?limit=200" && a["as"]["role"] == "admin")
        .and_then(|a| a["body"]["next_cursor"].as_str())
        .expect("the full feed's head was recorded")
        .to_owned();
    let kenya = app.token(Role::State, Some("KEN"), None);
    let reply = app
        .send_json(
            actix_web::http::Method::POST,
            "/api/v1/consents",
            Some(&kenya),
            &json!({"decision": "withdrawn", "scope": "all"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let after = app
        .get_as(&format!("/api/v1/changes?after={head}"), &admin)
        .await
        .assert_ok_json();
    let new: Vec<&str> = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert!(new.contains(&"consent"), "{after}");
    assert!(
        new.contains(&"activity"),
        "the withdrawal hides Kenya's activities: {after}"
    );
}

/// An INSERT of one column set, each value an SQL literal.
fn insert(table: &str, row: &[(&str, &str)]) -> String {
    let (columns, values): (Vec<&str>, Vec<&str>) = row.iter().copied().unzip();
    format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        columns.join(", "),
        values.join(", ")
    )
}

/// `row` with one column's value replaced.
fn with<'a>(row: &[(&'a str, &'a str)], column: &str, value: &'a str) -> Vec<(&'a str, &'a str)> {
    row.iter()
        .map(|&(c, v)| if c == column { (c, value) } else { (c, v) })
        .collect()
}

/// Runs `sql` in a transaction of its own, committed: the error, if the database refuses it
/// (a deferred foreign key is checked at the commit).
fn write(conn: &mut DbConnection, sql: &str) -> Result<(), diesel::result::Error> {
    conn.transaction(|c| c.batch_execute(sql))
}

#[actix_web::test]
async fn the_upgraded_database_refuses_rows_that_break_its_rules() {
    let (app, _, _) = upgraded();
    let mut conn = app.service.state.pool.get().unwrap();
    let submitter = diesel::sql_query("SELECT id AS keys FROM stakeholders ORDER BY seq LIMIT 1")
        .get_result::<Keys>(&mut **conn)
        .unwrap()
        .keys;
    let submitter = format!("'{submitter}'");
    let stakeholder = [
        ("id", "'01a22a00-0000-7000-8000-000000000001'"),
        ("kind", "'academia'"),
        ("country", "NULL"),
        ("natural_key", "'academia||upgrade test'"),
        ("search_text", "'upgrade test'"),
        ("document", "'{}'"),
        ("version", "1"),
        ("created_at", "'2026-11-29T00:00:00Z'"),
        ("updated_at", "'2026-11-29T00:00:00Z'"),
    ];
    // Flags as quoted literals: an integer where the column is INTEGER, `false` where it is
    // boolean.
    let activity = [
        ("id", "'01a22a00-0000-7000-8000-000000000002'"),
        ("submitter", submitter.as_str()),
        ("submitter_kind", "'academia'"),
        ("publication", "'draft'"),
        ("status", "'pipeline'"),
        ("good_practice", "'0'"),
        ("peer_to_peer", "'0'"),
        ("public", "'0'"),
        ("natural_key", "'upgrade test activity'"),
        ("search_text", "'upgrade test'"),
        ("document", "'{}'"),
        ("version", "1"),
        ("created_at", "'2026-11-29T00:00:00Z'"),
        ("updated_at", "'2026-11-29T00:00:00Z'"),
    ];
    let consent = [
        ("id", "'01a22a00-0000-7000-8000-000000000003'"),
        ("state", "'KEN'"),
        ("decision", "'granted'"),
        ("scope", "'activity'"),
        ("target", "'01a22a00-0000-7000-8000-000000000002'"),
        ("document", "'{}'"),
        ("recorded_at", "'2026-11-29T00:00:00Z'"),
    ];
    let refused = [
        (
            "an enumerated value the code does not write",
            insert("stakeholders", &with(&stakeholder, "kind", "'ministry'")),
        ),
        (
            "an id that is not a UUID in canonical form",
            insert(
                "stakeholders",
                &with(&stakeholder, "id", "'01A22A00-0000-7000-8000-000000000001'"),
            ),
        ),
        (
            "an activity whose submitter is no stakeholder",
            insert(
                "activities",
                &with(
                    &activity,
                    "submitter",
                    "'01a22a00-0000-7000-8000-0000000000ff'",
                ),
            ),
        ),
        (
            "a consent record about an activity that does not exist",
            insert("consents", &consent),
        ),
    ];
    for (what, sql) in &refused {
        assert!(
            write(&mut conn, sql).is_err(),
            "the database takes {what}: {sql}"
        );
    }
    // The same rows with every value right are taken: the refusals were the rules' doing.
    for sql in [
        insert("stakeholders", &stakeholder),
        insert("activities", &activity),
        insert("consents", &consent),
    ] {
        write(&mut conn, &sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

#[actix_web::test]
async fn the_constraints_migration_reverts_and_a_row_it_would_refuse_stops_it_unchanged() {
    let (TestApp { service, db }, fixture, url) = upgraded();
    let version = fixture["version"].as_str().unwrap();
    let mut conn = service.state.pool.get().unwrap();
    match &mut **conn {
        DbConnection::Sqlite(c) => revert_to(c, || SQLITE_MIGRATIONS, version),
        DbConnection::Postgres(c) => revert_to(c, || POSTGRES_MIGRATIONS, version),
    }
    // Reverted: the rules are gone, and a stakeholder of an unknown kind gets in.
    conn.batch_execute(
        "INSERT INTO stakeholders (id, kind, natural_key, search_text, document, version, \
         created_at, updated_at) VALUES ('01a22a00-0000-7000-8000-000000000009', 'ministry', \
         'ministry||x', 'x', '{}', 1, '2026-11-29T00:00:00Z', '2026-11-29T00:00:00Z')",
    )
    .expect("no rule after the revert");
    // Migrating again fails on it and changes nothing; without it, the upgrade is whole again.
    let error = conn.migrate().expect_err("the row breaks a rule");
    assert!(
        format!("{error:#}").contains("stakeholders_kind_check"),
        "the error names the constraint: {error:#}"
    );
    assert!(!conn.is_migrated().unwrap());
    let rows = compare_rows(&mut conn, &fixture);
    assert!(
        rows.len() == 3 && rows.iter().all(|r| r.starts_with("stakeholders")),
        "nothing but the new stakeholder changed: {rows:?}"
    );
    conn.batch_execute(
        "DELETE FROM stakeholders WHERE id = '01a22a00-0000-7000-8000-000000000009'",
    )
    .unwrap();
    conn.migrate().expect("the upgrade applies again");
    drop(conn);
    drop(service);
    let service = Service::build(settings(url)).expect("the service starts");
    let app = TestApp { service, db };
    let answers = compare_answers(&app, &fixture).await;
    assert!(answers.is_empty(), "{}", answers.join("\n\n"));
}

/// A migration that PostgreSQL aborts to break a deadlock with a serving instance's writer is
/// run again, and the upgrade ends. The writer holds `activities` (as an insert does) and then
/// asks for `recommendations`, which the facet migration locks before it asks for `activities`;
/// the migration waited first, so PostgreSQL aborts it. SQLite takes one writer at a time and
/// has no such deadlock.
#[test]
fn a_migration_aborted_to_break_a_deadlock_is_run_again() {
    let (_db, url) = TestDb::create();
    let DatabaseUrl::Postgres(database) = &url else {
        return;
    };
    let pool = upr_tc::db::connect(&url, 1).expect("open the database");
    let mut conn = pool.get().unwrap();
    conn.migrate().unwrap();
    match &mut **conn {
        DbConnection::Postgres(c) => revert_to(c, || POSTGRES_MIGRATIONS, "20261204000000"),
        DbConnection::Sqlite(_) => unreachable!("a PostgreSQL URL"),
    }
    let mut writer = PgConnection::establish(database).unwrap();
    writer
        .batch_execute("BEGIN; LOCK TABLE activities IN ROW EXCLUSIVE MODE")
        .unwrap();
    let migrating = std::thread::spawn(move || {
        let migrated = conn.migrate().map_err(|e| format!("{e:#}"));
        (migrated, conn.is_migrated().unwrap())
    });
    // The migration holds `recommendations` and waits for `activities` by now.
    std::thread::sleep(std::time::Duration::from_millis(300));
    writer
        .batch_execute("LOCK TABLE recommendations IN ROW EXCLUSIVE MODE")
        .expect("the writer is not the one aborted: it waited second");
    std::thread::sleep(std::time::Duration::from_millis(200));
    writer.batch_execute("COMMIT").unwrap();
    let (migrated, is_migrated) = migrating.join().unwrap();
    let applied = migrated.expect("the upgrade ends");
    assert!(
        applied.contains(&"20261204010000".to_owned()),
        "{applied:?}"
    );
    assert!(is_migrated, "every migration is applied");
}

/// A new database's migrations are said oldest first on either engine (PostgreSQL lists what
/// it has applied newest first).
#[test]
fn migrations_applied_are_said_oldest_first() {
    let (_db, url) = upr_tc_tests::TestDb::create();
    let pool = upr_tc::db::connect(&url, 1).unwrap();
    let applied = pool.get().unwrap().migrate().unwrap();
    assert!(applied.len() > 10, "{applied:?}");
    let mut in_order = applied.clone();
    in_order.sort();
    assert_eq!(applied, in_order);
}
