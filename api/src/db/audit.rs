//! The audit trail: an append-only record of every write (the database refuses to change or
//! delete an entry). Written in the same transaction as the change it records.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Text};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::DbConnection;
use super::query::{Sql, execute, load, stored_json, stored_time, unreadable};
use super::search::Position;
use super::time::{now, timestamp};
use crate::domain::caller::Caller;

/// Who made a change.
#[derive(Debug, Clone)]
pub struct Actor {
    pub subject: String,
    pub role: String,
}

impl Actor {
    pub fn of(caller: &Caller) -> Self {
        let role = serde_json::to_value(caller.role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        Self {
            subject: caller.subject.clone(),
            role,
        }
    }

    /// An operator at the machine, through `upr-tc` commands.
    pub fn operator() -> Self {
        let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        Self {
            subject: format!("upr-tc@{user}"),
            role: "operator".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Create,
    Update,
    Delete,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

/// What changed: the new document, the old one, or the fields that differ.
fn changes(before: Option<&Value>, after: Option<&Value>) -> Value {
    match (before, after) {
        (None, Some(after)) => serde_json::json!({ "after": after }),
        (Some(before), None) => serde_json::json!({ "before": before }),
        (Some(Value::Object(b)), Some(Value::Object(a))) => {
            let mut changed = Map::new();
            let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
            for key in keys {
                if matches!(key.as_str(), "version" | "updated_at") {
                    continue;
                }
                let (old, new) = (
                    b.get(key).unwrap_or(&Value::Null),
                    a.get(key).unwrap_or(&Value::Null),
                );
                if old != new {
                    changed.insert(
                        key.clone(),
                        serde_json::json!({ "before": old, "after": new }),
                    );
                }
            }
            serde_json::json!({ "changed": changed })
        }
        (before, after) => serde_json::json!({ "before": before, "after": after }),
    }
}

/// Records one change.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    entity: &str,
    entity_id: &str,
    operation: Operation,
    before: Option<&Value>,
    after: Option<&Value>,
) -> diesel::QueryResult<()> {
    let changes = changes(before, after).to_string();
    record_many(
        conn,
        actor,
        entity,
        operation,
        &[(entity_id.to_owned(), changes)],
    )
}

/// Records creations in bulk: `(id, document JSON)` pairs, the JSON as stored, so a large
/// import does not serialise every document twice.
pub fn record_created(
    conn: &mut DbConnection,
    actor: &Actor,
    entity: &str,
    created: Vec<(String, String)>,
) -> diesel::QueryResult<()> {
    let rows: Vec<(String, String)> = created
        .into_iter()
        .map(|(id, doc)| (id, format!("{{\"after\":{doc}}}")))
        .collect();
    record_many(conn, actor, entity, Operation::Create, &rows)
}

fn record_many(
    conn: &mut DbConnection,
    actor: &Actor,
    entity: &str,
    operation: Operation,
    rows: &[(String, String)],
) -> diesel::QueryResult<()> {
    let at = timestamp(now());
    for chunk in rows.chunks(200) {
        let mut sql = Sql::new(
            "INSERT INTO audit_log (at, actor, role, entity, entity_id, operation, changes) VALUES ",
        );
        for (i, (id, changes)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .text(at.clone())
                .push(", ")
                .text(actor.subject.clone())
                .push(", ");
            sql.text(actor.role.clone())
                .push(", ")
                .text(entity)
                .push(", ")
                .text(id.clone())
                .push(", ");
            sql.text(operation.as_str())
                .push(", ")
                .text(changes.clone())
                .push(")");
        }
        execute(conn, &sql)?;
    }
    Ok(())
}

/// One recorded change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the trail; entries are numbered in the order they were written.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// The token's subject.
    pub actor: String,
    /// The role it acted in (`admin`, `state`, `contributor`, or `operator` for commands run on
    /// the server).
    pub role: String,
    /// `recommendation`, `stakeholder`, …
    pub entity: String,
    pub entity_id: String,
    pub operation: Operation,
    /// `{"after": …}` for a creation, `{"before": …}` for a deletion, `{"changed": {field:
    /// {"before", "after"}}}` for an update.
    pub changes: Value,
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    at: String,
    #[diesel(sql_type = Text)]
    actor: String,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Text)]
    entity: String,
    #[diesel(sql_type = Text)]
    entity_id: String,
    #[diesel(sql_type = Text)]
    operation: String,
    #[diesel(sql_type = Text)]
    changes: String,
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A page of the trail, oldest first, and where the next one starts.
pub fn list(
    conn: &mut DbConnection,
    f: &Filter,
    position: Position,
    limit: i64,
) -> diesel::QueryResult<(Vec<AuditEntry>, Option<Position>)> {
    let mut sql = Sql::new(
        "SELECT seq, at, actor, role, entity, entity_id, operation, changes FROM audit_log WHERE 1 = 1",
    );
    if let Some(entity) = &f.entity {
        sql.push(" AND entity = ").text(entity.clone());
    }
    if let Some(id) = &f.entity_id {
        sql.push(" AND entity_id = ").text(id.clone());
    }
    if let Some(actor) = &f.actor {
        sql.push(" AND actor = ").text(actor.clone());
    }
    if let Some(from) = f.from {
        sql.push(" AND at >= ").text(timestamp(from));
    }
    if let Some(to) = f.to {
        sql.push(" AND at < ").text(timestamp(to));
    }
    if let Position::After(seq) = position {
        sql.push(" AND seq > ").int(seq);
    }
    sql.push(" ORDER BY seq LIMIT ").int(limit + 1);
    let rows: Vec<Row> = load(conn, &sql)?;
    let more = rows.len() as i64 > limit;
    let entries: Vec<AuditEntry> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| {
            Ok(AuditEntry {
                seq: r.seq,
                at: stored_time(&r.at)?,
                actor: r.actor,
                role: r.role,
                entity: r.entity,
                entity_id: r.entity_id,
                operation: match r.operation.as_str() {
                    "create" => Operation::Create,
                    "update" => Operation::Update,
                    "delete" => Operation::Delete,
                    other => {
                        return Err(unreadable(format!(
                            "audit entry {}: operation `{other}`",
                            r.seq
                        )));
                    }
                },
                changes: stored_json(&r.changes)?,
            })
        })
        .collect::<diesel::QueryResult<_>>()?;
    let next = if more {
        entries.last().map(|e| Position::After(e.seq))
    } else {
        None
    };
    Ok((entries, next))
}
