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

    /// The service itself, keeping a rule after a write of another item changed what the rule
    /// reads (an offer that stops citing an activity no longer public).
    pub fn service() -> Self {
        Self {
            subject: "upr-tc".into(),
            role: ActingRole::Operator,
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

/// One operation of a JSON Patch (RFC 6902), as an update's entry keeps it: a field's value
/// before is a `test`, so that the patch applies only to the item as it was and an auditor
/// reads both sides.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum PatchOperation {
    /// A field the item did not have.
    #[schema(title = "PatchAdd")]
    Add { path: String, value: Value },
    /// A field the item no longer has (after a `test` of its value).
    #[schema(title = "PatchRemove")]
    Remove { path: String },
    /// A field's new value (after a `test` of its old one).
    #[schema(title = "PatchReplace")]
    Replace { path: String, value: Value },
    /// A field's value before the change.
    #[schema(title = "PatchTest")]
    Test { path: String, value: Value },
}

/// A field's JSON Pointer (RFC 6901).
fn pointer(field: &str) -> String {
    format!("/{}", field.replace('~', "~0").replace('/', "~1"))
}

/// The field a top-level JSON Pointer names.
fn field_of(pointer: &str) -> Option<String> {
    let token = pointer.strip_prefix('/')?;
    (!token.contains('/')).then(|| token.replace("~1", "/").replace("~0", "~"))
}

/// The patch from one document to the next, field by field (a field whose value changed is
/// replaced whole), every field included: the item's creation and its updates' patches, applied
/// in order, give the item as it is.
fn patch(before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<PatchOperation> {
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut ops = Vec::new();
    for key in keys {
        let path = pointer(key);
        match (before.get(key), after.get(key)) {
            (Some(old), Some(new)) if old != new => ops.extend(replaced(path, old, new)),
            (None, Some(new)) => ops.push(PatchOperation::Add {
                path,
                value: new.clone(),
            }),
            (Some(old), None) => {
                ops.push(PatchOperation::Test {
                    path: path.clone(),
                    value: old.clone(),
                });
                ops.push(PatchOperation::Remove { path });
            }
            _ => {}
        }
    }
    ops
}

/// A field's value replaced: a `test` of the old, a `replace` by the new.
fn replaced(path: String, old: &Value, new: &Value) -> [PatchOperation; 2] {
    [
        PatchOperation::Test {
            path: path.clone(),
            value: old.clone(),
        },
        PatchOperation::Replace {
            path,
            value: new.clone(),
        },
    ]
}

/// Fields an update's summary leaves out: they change with every update.
fn bookkeeping(field: &str) -> bool {
    matches!(field, "version" | "updated_at")
}

/// An update's summary, `{"changed": {field: {"before", "after"}}}` (a field absent on one
/// side is `null` there), read from its patch.
fn changed_of(ops: &[PatchOperation]) -> Value {
    let mut changed: Map<String, Value> = Map::new();
    for op in ops {
        let (path, side, value) = match op {
            PatchOperation::Test { path, value } => (path, "before", value.clone()),
            PatchOperation::Add { path, value } | PatchOperation::Replace { path, value } => {
                (path, "after", value.clone())
            }
            PatchOperation::Remove { path } => (path, "after", Value::Null),
        };
        let Some(field) = field_of(path).filter(|f| !bookkeeping(f)) else {
            continue;
        };
        let entry = changed
            .entry(field)
            .or_insert_with(|| serde_json::json!({ "before": null, "after": null }));
        entry[side] = value;
    }
    serde_json::json!({ "changed": changed })
}

/// The patch of an update written before entries kept patches (only its summary): each field
/// replaced, or added where it was `null` (`add` replaces a field that exists); `version` and
/// `updated_at` were not kept.
fn patch_of_changed(changed: &Map<String, Value>) -> Vec<PatchOperation> {
    let mut ops = Vec::new();
    for (field, sides) in changed {
        let path = pointer(field);
        let (old, new) = (&sides["before"], &sides["after"]);
        if old.is_null() {
            ops.push(PatchOperation::Add {
                path,
                value: new.clone(),
            });
        } else {
            ops.extend(replaced(path, old, new));
        }
    }
    ops
}

/// What an entry stores: the new document, the old one, or an update's patch.
fn stored_changes(before: Option<&Value>, after: Option<&Value>) -> Value {
    match (before, after) {
        (None, Some(after)) => serde_json::json!({ "after": after }),
        (Some(before), None) => serde_json::json!({ "before": before }),
        (Some(Value::Object(b)), Some(Value::Object(a))) => {
            serde_json::json!({ "patch": patch(b, a) })
        }
        (before, after) => serde_json::json!({ "before": before, "after": after }),
    }
}

/// An entry's `changes` and `patch` from what it stores.
fn read_changes(stored: Value) -> diesel::QueryResult<(Value, Option<Vec<PatchOperation>>)> {
    if let Some(ops) = stored.get("patch") {
        let ops: Vec<PatchOperation> = serde_json::from_value(ops.clone())
            .map_err(|e| unreadable(format!("an audit entry's patch: {e}")))?;
        return Ok((changed_of(&ops), Some(ops)));
    }
    let patch = match stored.get("changed") {
        Some(Value::Object(changed)) => Some(patch_of_changed(changed)),
        _ => None,
    };
    Ok((stored, patch))
}

/// The last entry of the audit trail (0 when there is none): every write writes one, so
/// while it is unchanged, so is what was written.
pub fn head(conn: &mut DbConnection) -> diesel::QueryResult<i64> {
    use super::schema::audit_log::dsl as a;
    let head: Option<i64> = a::audit_log.select(diesel::dsl::max(a::seq)).first(conn)?;
    Ok(head.unwrap_or(0))
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
        _ => Some(stored_changes(before, after).to_string()),
    };
    record_many(
        conn,
        actor,
        entity,
        operation,
        vec![(entity_id.to_owned(), changes)],
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
    let rows = created.into_iter().map(|id| (id, None)).collect();
    record_many(conn, actor, entity, Operation::Create, rows)
}

fn record_many(
    conn: &mut DbConnection,
    actor: &Actor,
    entity: &str,
    operation: Operation,
    rows: Vec<(String, Option<String>)>,
) -> diesel::QueryResult<()> {
    use super::schema::audit_log::dsl as a;
    use super::sql::Value;
    use super::sql::rows::{AuditEntries, RunOf, insert_run};
    let at = stored(now());
    // Whole runs with their time, actor, role, kind and operation bound once (`sql::rows`).
    let whole = rows.len() / super::RUN * super::RUN;
    let mut rows = rows.into_iter();
    if whole > 0 {
        let shared = [
            Value::Time(at),
            Value::Text(actor.subject.clone()),
            Value::Text(actor.role.as_str().to_owned()),
            Value::Text(entity.to_owned()),
            Value::Text(operation.as_str().to_owned()),
        ];
        let own: Vec<Value> = rows
            .by_ref()
            .take(whole)
            .flat_map(|(id, changes)| [Value::Text(id), Value::MaybeText(changes)])
            .collect();
        for run in own.chunks(super::RUN * AuditEntries::OWN.len()) {
            insert_run::<AuditEntries>(conn, &shared, run)?;
        }
    }
    // Owned values: a statement diesel keeps is known by its type, which may borrow nothing.
    let values: Vec<_> = rows
        .map(|(id, changes)| {
            (
                a::at.eq(at),
                a::actor.eq(actor.subject.clone()),
                a::role.eq(actor.role.as_str()),
                a::entity.eq(entity.to_owned()),
                a::entity_id.eq(id),
                a::operation.eq(operation.as_str()),
                a::changes.eq(changes),
            )
        })
        .collect();
    super::in_runs!(conn, &values, |c, run| diesel::insert_into(a::audit_log)
        .values(run)
        .execute(c)?);
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
    /// {"before", "after"}}}` for an update (`version` and `updated_at` left out).
    pub changes: Value,
    /// An update as a JSON Patch (RFC 6902), each field's value before as a `test`: the
    /// creation's `changes.after` and each update's `patch`, applied in the trail's order, give
    /// the item as it is (updates recorded before patches were kept: without `version` and
    /// `updated_at`, and a field shown as `null` before may have been absent). Absent for
    /// creations and deletions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<Vec<PatchOperation>>,
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
            let (changes, patch) = match &r.changes {
                Some(changes) => read_changes(stored_json(changes)?)?,
                None => {
                    let key = (r.entity.clone(), r.entity_id.clone());
                    let item = created.remove(&key).ok_or_else(|| {
                        unreadable(format!("audit entry {}: the item as created", r.seq))
                    })?;
                    (serde_json::json!({ "after": stored_json(&item)? }), None)
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
                patch,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_escape_and_read_back_any_field() {
        for field in ["response", "a/b", "~x~/", ""] {
            assert_eq!(field_of(&pointer(field)).as_deref(), Some(field));
        }
        assert_eq!(pointer("a/b~c"), "/a~1b~0c");
        assert_eq!(field_of("/a/b"), None, "not a field of the item");
    }

    #[test]
    fn the_summary_read_from_a_patch_is_the_fields_before_and_after() {
        let before = json!({"a": 1, "b": "x", "gone": true, "version": 1, "same": [1]});
        let after = json!({"a": 2, "b": "x", "new/one": null, "version": 2, "same": [1]});
        let ops = patch(before.as_object().unwrap(), after.as_object().unwrap());
        assert_eq!(
            serde_json::to_value(&ops).unwrap(),
            json!([
                {"op": "test", "path": "/a", "value": 1},
                {"op": "replace", "path": "/a", "value": 2},
                {"op": "test", "path": "/gone", "value": true},
                {"op": "remove", "path": "/gone"},
                {"op": "add", "path": "/new~1one", "value": null},
                {"op": "test", "path": "/version", "value": 1},
                {"op": "replace", "path": "/version", "value": 2},
            ])
        );
        assert_eq!(
            changed_of(&ops),
            json!({"changed": {
                "a": {"before": 1, "after": 2},
                "gone": {"before": true, "after": null},
                "new/one": {"before": null, "after": null},
            }})
        );
        let stored = stored_changes(Some(&before), Some(&after));
        let (changes, read) = read_changes(stored).unwrap();
        assert_eq!((changes, read), (changed_of(&ops), Some(ops)));
    }
}
