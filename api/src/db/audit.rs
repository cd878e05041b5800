//! The audit trail: an append-only record of every write (the database refuses to change or
//! delete an entry). Written in the same transaction as the change it records.
//!
//! Storage: the creation of an item the change feed carries keeps no copy of the item, which is
//! what the item's first change in the feed carries (`sql::feed::as_created`); compaction
//! writes the item into the entry before that change may go, the one update the database
//! lets an entry have (migration `2026-11-30-070000_audit_by_reference`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::DbConnection;
use super::sql::feed::as_created;
use super::sql::search::Position;
use super::stored::{stored_json, unreadable};
use super::time::{now, read, stored};
use crate::domain::caller::{ActingRole, Caller};

/// Who made a change.
#[derive(Debug, Clone)]
pub struct Actor {
    pub subject: String,
    pub role: ActingRole,
}

impl Actor {
    pub fn of(caller: &Caller) -> Self {
        Self {
            subject: caller.subject.clone(),
            role: caller.role.into(),
        }
    }

    /// An operator at the machine, through `upr-tc` commands.
    pub fn operator() -> Self {
        let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        Self {
            subject: format!("upr-tc@{user}"),
            role: ActingRole::Operator,
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
    let changes = match operation {
        Operation::Create if fed(entity) => None,
        _ => Some(changes(before, after).to_string()),
    };
    record_many(
        conn,
        actor,
        entity,
        operation,
        &[(entity_id.to_owned(), changes)],
    )
}

/// Whether the change feed carries items of `entity`: then a creation's entry is read from
/// the item's first change.
fn fed(entity: &str) -> bool {
    super::changes::TYPES.contains(&entity)
}

/// Records creations in bulk, of items the change feed carries (their first change holds
/// them): their ids.
pub fn record_created(
    conn: &mut DbConnection,
    actor: &Actor,
    entity: &str,
    created: Vec<String>,
) -> diesel::QueryResult<()> {
    debug_assert!(fed(entity), "{entity}: the feed does not carry it");
    let rows: Vec<(String, Option<String>)> = created.into_iter().map(|id| (id, None)).collect();
    record_many(conn, actor, entity, Operation::Create, &rows)
}

fn record_many(
    conn: &mut DbConnection,
    actor: &Actor,
    entity: &str,
    operation: Operation,
    rows: &[(String, Option<String>)],
) -> diesel::QueryResult<()> {
    use super::schema::audit_log::dsl as a;
    let at = stored(now());
    for chunk in rows.chunks(200) {
        let values: Vec<_> = chunk
            .iter()
            .map(|(id, changes)| {
                (
                    a::at.eq(&at),
                    a::actor.eq(&actor.subject),
                    a::role.eq(actor.role.as_str()),
                    a::entity.eq(entity),
                    a::entity_id.eq(id),
                    a::operation.eq(operation.as_str()),
                    a::changes.eq(changes.as_deref()),
                )
            })
            .collect();
        super::per_engine!(&mut *conn, c => diesel::insert_into(a::audit_log)
            .values(&values)
            .execute(c))?;
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
    pub role: ActingRole,
    /// `recommendation`, `stakeholder`, …
    pub entity: String,
    pub entity_id: String,
    pub operation: Operation,
    /// `{"after": …}` for a creation, `{"before": …}` for a deletion, `{"changed": {field:
    /// {"before", "after"}}}` for an update.
    pub changes: Value,
}

/// A row of the trail, as stored.
#[derive(diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = super::schema::audit_log)]
struct Row {
    seq: i64,
    at: chrono::NaiveDateTime,
    actor: String,
    role: String,
    entity: String,
    entity_id: String,
    operation: String,
    /// `None`: a creation, read from the item's first change.
    changes: Option<String>,
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
    use super::schema::audit_log::dsl as a;
    let mut query = a::audit_log.select(Row::as_select()).into_boxed();
    if let Some(entity) = &f.entity {
        query = query.filter(a::entity.eq(entity));
    }
    if let Some(id) = &f.entity_id {
        query = query.filter(a::entity_id.eq(id));
    }
    if let Some(actor) = &f.actor {
        query = query.filter(a::actor.eq(actor));
    }
    if let Some(from) = f.from {
        query = query.filter(a::at.ge(stored(from)));
    }
    if let Some(to) = f.to {
        query = query.filter(a::at.lt(stored(to)));
    }
    if let Position::After(seq) = position {
        query = query.filter(a::seq.gt(seq));
    }
    let rows: Vec<Row> = query.order(a::seq).limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<Row> = rows.into_iter().take(limit as usize).collect();
    let read_from_feed: Vec<(String, String)> = rows
        .iter()
        .filter(|r| r.changes.is_none())
        .map(|r| (r.entity.clone(), r.entity_id.clone()))
        .collect();
    let mut created = as_created(conn, &read_from_feed)?;
    let entries: Vec<AuditEntry> = rows
        .into_iter()
        .map(|r| {
            let changes = match &r.changes {
                Some(changes) => stored_json(changes)?,
                None => {
                    let key = (r.entity.clone(), r.entity_id.clone());
                    let item = created.remove(&key).ok_or_else(|| {
                        unreadable(format!("audit entry {}: the item as created", r.seq))
                    })?;
                    serde_json::json!({ "after": stored_json(&item)? })
                }
            };
            Ok(AuditEntry {
                seq: r.seq,
                at: read(r.at),
                actor: r.actor,
                role: ActingRole::parse(&r.role).ok_or_else(|| {
                    unreadable(format!("audit entry {}: role `{}`", r.seq, r.role))
                })?,
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
                changes,
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
