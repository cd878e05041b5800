//! Storage shared by the document tables (recommendations, stakeholders): each item is its API
//! document as JSON, plus the columns, facet rows and full-text entry its filters use. Every
//! write goes through here, in one transaction, so the document and its indexes never differ.

use chrono::{DateTime, SecondsFormat, Utc};
use diesel::connection::SimpleConnection;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::DbConnection;
use super::audit::{self, Actor, Operation};
use super::changes::{self, Change};
use super::query::{DocumentRow, Sql, Value, execute, fts5_terms, load, load_documents, load_ids};
use crate::domain::{ExternalRef, Stored, normalise_text};
use crate::error::ApiError;

/// An item stored in a document table.
pub trait Document: Serialize + DeserializeOwned {
    /// What clients send: the item without id, version and timestamps.
    type Content: PartialEq + Clone + Serialize + DeserializeOwned;

    const TABLE: Table;

    fn new(stored: Stored, content: Self::Content) -> Self;
    fn stored(&self) -> &Stored;
    fn content(&self) -> &Self::Content;

    fn id(&self) -> Uuid {
        self.stored().id
    }
    fn version(&self) -> i64 {
        self.stored().version
    }
    fn created_at(&self) -> DateTime<Utc> {
        self.stored().created_at
    }
    fn updated_at(&self) -> DateTime<Utc> {
        self.stored().updated_at
    }
    /// Computes what the item derives from other stored data before it is written (for an
    /// activity: its submitter's kind and the publication rule's verdict). Called inside the
    /// write transaction.
    fn derive(&mut self, _conn: &mut DbConnection) -> diesel::QueryResult<()> {
        Ok(())
    }
    /// [`Document::derive`] for many items at once (a bulk batch), sharing what they read.
    fn derive_many<'a>(
        conn: &mut DbConnection,
        items: impl Iterator<Item = &'a mut Self>,
    ) -> diesel::QueryResult<()>
    where
        Self: 'a,
    {
        for item in items {
            item.derive(conn)?;
        }
        Ok(())
    }
    /// Refuses a deletion while other items refer to this one; by default, never.
    fn before_delete(_conn: &mut DbConnection, _id: Uuid) -> Result<(), WriteError> {
        Ok(())
    }
    /// Brings what depends on this item up to date after it changed (`before` is `None` for a
    /// creation); by default, nothing depends on it.
    fn after_write(
        &self,
        _conn: &mut DbConnection,
        _before: Option<&Self>,
    ) -> diesel::QueryResult<()> {
        Ok(())
    }
    /// The representation anonymous and sync callers see, given the full one (JSON); `None`
    /// while the item is not public. By default the item is public as it is.
    fn public_json(&self, full: &str) -> Option<String> {
        Some(full.to_owned())
    }
    /// The table's own columns (besides id, document, version and the timestamps).
    fn columns(&self) -> Vec<(&'static str, Value)>;
    /// `(facet, value)` rows for the multi-valued filters.
    fn facets(&self) -> Vec<(&'static str, String)>;
    fn search_text(&self) -> String;
    /// The partner keys an item's content carries.
    fn refs_of(content: &Self::Content) -> &[ExternalRef];
    fn external_refs(&self) -> &[ExternalRef] {
        Self::refs_of(self.content())
    }
    /// Within what a partner key is unique (the `entity` of `external_refs`): the kind of item,
    /// unless a kind scopes its keys more narrowly.
    fn ref_scope(_content: &Self::Content) -> String {
        Self::TABLE.entity.to_owned()
    }
    /// A key that finds the same item imported again, when the kind has one.
    fn natural_key(content: &Self::Content) -> Option<String>;
}

/// Where a page starts: after an item (lists in creation order) or at a rank position
/// (ranked search).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Start,
    After(i64),
    Offset(i64),
}

/// What a bulk upsert did with one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// A table of documents and its companions.
pub struct Table {
    /// The kind of item, as the audit trail and external references name it.
    pub entity: &'static str,
    pub table: &'static str,
    pub facets: &'static str,
    pub facet_key: &'static str,
    /// The FTS5 table (SQLite); PostgreSQL keeps a generated `search` column instead.
    pub search: &'static str,
    /// What makes two items the same (the natural key), in words.
    pub same: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("not found")]
    NotFound,
    #[error("the item has changed: its version is now {current}")]
    Stale { current: i64 },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl From<WriteError> for ApiError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::NotFound => ApiError::NotFound("No item has this id.".into()),
            WriteError::Stale { current } => ApiError::PreconditionFailed(format!(
                "The item has changed since you read it: its ETag is now \"{current}\". Read it again and retry."
            )),
            WriteError::Conflict(detail) => ApiError::Conflict(detail),
            WriteError::Forbidden(detail) => ApiError::Forbidden(detail),
            WriteError::Db(e) => ApiError::internal(e),
        }
    }
}

/// The time format stored: fixed width, so text order is time order on both backends.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Now, at the precision stored, so a document read back equals the one written.
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::parse_from_rfc3339(&timestamp(t))
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(t)
}

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (so two writers queue on the
/// busy timeout instead of failing when a read lock is upgraded), an ordinary one on
/// PostgreSQL. Rolled back when `f` fails.
pub fn write<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::Connection;
    match conn {
        DbConnection::Sqlite(_) => {
            conn.batch_execute("BEGIN IMMEDIATE")?;
            let mut guard = Rollback(Some(conn));
            let result = f(guard.0.as_deref_mut().expect("connection"));
            let conn = guard.0.take().expect("connection");
            match result {
                Ok(value) => {
                    if let Err(e) = conn.batch_execute("COMMIT") {
                        let _ = conn.batch_execute("ROLLBACK");
                        return Err(e.into());
                    }
                    Ok(value)
                }
                Err(e) => {
                    conn.batch_execute("ROLLBACK")?;
                    Err(e)
                }
            }
        }
        DbConnection::Postgres(_) => conn.transaction(|c| {
            super::lock_writes(c)?;
            f(c)
        }),
    }
}

/// Transactions held open across many calls, for bulk imports: `BEGIN IMMEDIATE` on SQLite,
/// and one savepoint per item so a failing item is undone alone (PostgreSQL would otherwise
/// abort the whole transaction at the first error).
pub struct Tx;

impl Tx {
    pub fn begin(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        match conn {
            DbConnection::Sqlite(_) => conn.batch_execute("BEGIN IMMEDIATE"),
            DbConnection::Postgres(_) => {
                conn.batch_execute("BEGIN")?;
                super::lock_writes(conn)
            }
        }
    }

    pub fn commit(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        conn.batch_execute("COMMIT")
    }

    pub fn rollback(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        conn.batch_execute("ROLLBACK")
    }

    pub fn savepoint(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        conn.batch_execute("SAVEPOINT item")
    }

    pub fn release(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        conn.batch_execute("RELEASE SAVEPOINT item")
    }

    pub fn rollback_to(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        conn.batch_execute("ROLLBACK TO SAVEPOINT item; RELEASE SAVEPOINT item")
    }

    pub fn savepoint_batch(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        conn.batch_execute("SAVEPOINT batch")
    }

    pub fn release_batch(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        conn.batch_execute("RELEASE SAVEPOINT batch")
    }

    pub fn rollback_batch(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        conn.batch_execute("ROLLBACK TO SAVEPOINT batch; RELEASE SAVEPOINT batch")
    }
}

/// Rolls back a manual SQLite transaction when the code inside it panics.
struct Rollback<'a>(Option<&'a mut DbConnection>);

impl Drop for Rollback<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            let _ = conn.batch_execute("ROLLBACK");
        }
    }
}

pub fn parse<T: DeserializeOwned>(row: &DocumentRow) -> Result<T, diesel::result::Error> {
    serde_json::from_str(&row.document)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("documents serialise")
}

impl Table {
    /// The row with this id.
    pub fn find(
        &self,
        conn: &mut DbConnection,
        id: &str,
    ) -> diesel::QueryResult<Option<DocumentRow>> {
        let mut sql = Sql::new(&format!(
            "SELECT seq, document FROM {} WHERE id = ",
            self.table
        ));
        sql.text(id);
        Ok(load_documents(conn, &sql)?.into_iter().next())
    }

    /// The id of the item a partner's key names, within `scope` (`Document::ref_scope`).
    pub fn find_external(
        &self,
        conn: &mut DbConnection,
        scope: &str,
        r: &ExternalRef,
    ) -> diesel::QueryResult<Option<String>> {
        // The id only: no document to read and parse.
        let mut sql = Sql::new("SELECT entity_id AS id FROM external_refs WHERE entity = ");
        sql.text(scope)
            .push(" AND source = ")
            .text(r.source.clone());
        sql.push(" AND external_id = ").text(r.external_id.clone());
        Ok(load_ids(conn, &sql)?.into_iter().next())
    }

    /// Inserts a row; `columns` must include `id`. Returns its `seq`.
    pub fn insert(
        &self,
        conn: &mut DbConnection,
        columns: &[(&str, Value)],
    ) -> Result<i64, WriteError> {
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        let mut sql = Sql::new(&format!(
            "INSERT INTO {} ({}) VALUES (",
            self.table,
            names.join(", ")
        ));
        for (i, (_, value)) in columns.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            bind(&mut sql, value);
        }
        sql.push(")");
        execute(conn, &sql).map_err(conflict_on_unique)?;
        let id = columns
            .iter()
            .find_map(|(n, v)| match (n, v) {
                (&"id", Value::Text(id)) => Some(id.clone()),
                _ => None,
            })
            .expect("an id column");
        self.find(conn, &id)?
            .map(|row| row.seq)
            .ok_or(WriteError::NotFound)
    }

    pub fn update(
        &self,
        conn: &mut DbConnection,
        seq: i64,
        columns: &[(&str, Value)],
    ) -> Result<(), WriteError> {
        let mut sql = Sql::new(&format!("UPDATE {} SET ", self.table));
        for (i, (name, value)) in columns.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push(name).push(" = ");
            bind(&mut sql, value);
        }
        sql.push(" WHERE seq = ").int(seq);
        execute(conn, &sql).map_err(conflict_on_unique)?;
        Ok(())
    }

    /// Replaces the facet rows of an item: `(facet, value)` pairs.
    pub fn set_facets(
        &self,
        conn: &mut DbConnection,
        seq: i64,
        facets: &[(&str, &str)],
    ) -> diesel::QueryResult<()> {
        let mut sql = Sql::new(&format!(
            "DELETE FROM {} WHERE {} = ",
            self.facets, self.facet_key
        ));
        sql.int(seq);
        execute(conn, &sql)?;
        for chunk in facets.chunks(100) {
            let mut sql = Sql::new(&format!(
                "INSERT INTO {} ({}, facet, value) VALUES ",
                self.facets, self.facet_key
            ));
            for (i, (facet, value)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .int(seq)
                    .push(", ")
                    .text(*facet)
                    .push(", ")
                    .text(*value)
                    .push(")");
            }
            execute(conn, &sql)?;
        }
        Ok(())
    }

    /// Keeps the SQLite full-text entry of an item (PostgreSQL's column is generated).
    pub fn set_search(
        &self,
        conn: &mut DbConnection,
        seq: i64,
        text: Option<&str>,
    ) -> diesel::QueryResult<()> {
        if let DbConnection::Sqlite(_) = conn {
            let mut sql = Sql::new(&format!("DELETE FROM {} WHERE rowid = ", self.search));
            sql.int(seq);
            execute(conn, &sql)?;
            if let Some(text) = text {
                let mut sql = Sql::new(&format!(
                    "INSERT INTO {} (rowid, body) VALUES (",
                    self.search
                ));
                sql.int(seq).push(", ").text(text).push(")");
                execute(conn, &sql)?;
            }
        }
        Ok(())
    }

    /// Records the partner keys of an item within `scope`; a key another item holds there is a
    /// conflict.
    pub fn set_external_refs(
        &self,
        conn: &mut DbConnection,
        scope: &str,
        id: &str,
        refs: &[ExternalRef],
    ) -> Result<(), WriteError> {
        for r in refs {
            if let Some(holder) = self.find_external(conn, scope, r)?
                && holder != id
            {
                return Err(WriteError::Conflict(format!(
                    "The external reference {}:{} belongs to {} {holder}.",
                    r.source, r.external_id, self.entity
                )));
            }
        }
        // Ids are unique across kinds: whatever scope the keys were held in before (an
        // activity's moves with its submitter), they go.
        let mut sql = Sql::new("DELETE FROM external_refs WHERE entity_id = ");
        sql.text(id);
        execute(conn, &sql)?;
        for r in refs {
            let mut sql = Sql::new(
                "INSERT INTO external_refs (entity, source, external_id, entity_id) VALUES (",
            );
            sql.text(scope).push(", ").text(r.source.clone()).push(", ");
            sql.text(r.external_id.clone())
                .push(", ")
                .text(id)
                .push(")");
            execute(conn, &sql)?;
        }
        Ok(())
    }

    pub fn delete(&self, conn: &mut DbConnection, seq: i64, id: &str) -> Result<(), WriteError> {
        self.set_search(conn, seq, None)?;
        self.set_external_refs(conn, self.entity, id, &[])?;
        let mut sql = Sql::new(&format!(
            "DELETE FROM {} WHERE {} = ",
            self.facets, self.facet_key
        ));
        sql.int(seq);
        execute(conn, &sql)?;
        let mut sql = Sql::new(&format!("DELETE FROM {} WHERE seq = ", self.table));
        sql.int(seq);
        execute(conn, &sql)?;
        Ok(())
    }
}

fn bind(sql: &mut Sql, value: &Value) {
    match value {
        Value::Text(t) => sql.text(t.clone()),
        Value::Int(i) => sql.int(*i),
        Value::Null => sql.push("NULL"),
    };
}

fn conflict_on_unique(err: diesel::result::Error) -> WriteError {
    use diesel::result::{DatabaseErrorKind, Error};
    match err {
        // A State has one own stakeholder (`stakeholders_own_state`): in the message on SQLite,
        // the constraint's name on PostgreSQL.
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
            if info.message().contains("own_state")
                || info.constraint_name().is_some_and(|c| c.contains("own_state")) =>
        {
            WriteError::Conflict(
                "This State has its own stakeholder already: a State has one stakeholder of kind `state`."
                    .into(),
            )
        }
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            WriteError::Conflict("An item with the same natural key already exists.".into())
        }
        other => WriteError::Db(other),
    }
}

/// Every column of a row; `natural_key` is the item's, computed by the caller (it is not cheap).
fn all_columns<D: Document>(doc: &D, natural_key: Option<String>) -> Vec<(&'static str, Value)> {
    let mut columns = vec![("id", Value::Text(doc.id().to_string()))];
    columns.extend(doc.columns());
    if let Some(key) = natural_key {
        columns.push(("natural_key", Value::Text(key)));
    }
    columns.push((
        "search_text",
        Value::Text(normalise_text(&doc.search_text())),
    ));
    columns.push(("document", Value::Text(to_json(doc))));
    columns.push(("version", Value::Int(doc.version())));
    columns.push(("created_at", Value::Text(timestamp(doc.created_at()))));
    columns.push(("updated_at", Value::Text(timestamp(doc.updated_at()))));
    columns
}

/// Records a change of an item in the feed: `before` and `after` are `None` for a creation and
/// a deletion.
pub fn feed<D: Document>(
    conn: &mut DbConnection,
    before: Option<&D>,
    after: Option<&D>,
) -> diesel::QueryResult<()> {
    let entity = D::TABLE.entity;
    let Some(id) = after.or(before).map(|d| d.id().to_string()) else {
        return Ok(());
    };
    let old_public = before.and_then(|d| d.public_json(&to_json(d)));
    let out = match after {
        Some(doc) => {
            let full = to_json(doc);
            let new_public = doc.public_json(&full);
            vec![Change::new(
                entity,
                id,
                Some(full),
                old_public.as_deref(),
                new_public,
            )]
        }
        None => vec![Change::new(entity, id, None, old_public.as_deref(), None)],
    };
    changes::record(conn, out)
}

/// Writes the indexes of a stored row: facets, full text, partner keys.
fn index<D: Document>(conn: &mut DbConnection, seq: i64, doc: &D) -> Result<(), WriteError> {
    let facets = doc.facets();
    let pairs: Vec<(&str, &str)> = facets.iter().map(|(f, v)| (*f, v.as_str())).collect();
    D::TABLE.set_facets(conn, seq, &pairs)?;
    D::TABLE.set_search(conn, seq, Some(&normalise_text(&doc.search_text())))?;
    let scope = D::ref_scope(doc.content());
    D::TABLE.set_external_refs(conn, &scope, &doc.id().to_string(), doc.external_refs())?;
    Ok(())
}

pub fn get<D: Document>(conn: &mut DbConnection, id: Uuid) -> diesel::QueryResult<Option<D>> {
    D::TABLE
        .find(conn, &id.to_string())?
        .map(|row| parse(&row))
        .transpose()
}

fn find_by_natural_key<D: Document>(
    conn: &mut DbConnection,
    content: &D::Content,
) -> diesel::QueryResult<Option<D>> {
    let Some(key) = D::natural_key(content) else {
        return Ok(None);
    };
    let mut sql = Sql::new(&format!(
        "SELECT seq, document FROM {} WHERE natural_key = ",
        D::TABLE.table
    ));
    sql.text(key);
    load_documents(conn, &sql)?.first().map(parse).transpose()
}

fn taken<D: Document>(other: &D) -> WriteError {
    WriteError::Conflict(format!(
        "{} {} is the same: the same {}.",
        D::TABLE.entity,
        other.id(),
        D::TABLE.same
    ))
}

/// Inserts, in a few statements, those of `contents` that are new: no stored item has their
/// natural key or partner keys, nor does an earlier one of the batch. Returns the indexes of
/// the others, for the item-by-item path. Call inside a savepoint: on an error the caller
/// rolls the batch back and takes every item the slow way.
pub fn insert_new<D: Document>(
    conn: &mut DbConnection,
    actor: &Actor,
    contents: &[D::Content],
) -> Result<Vec<usize>, WriteError> {
    use std::collections::HashSet;
    let item_keys: Vec<Option<String>> = contents.iter().map(D::natural_key).collect();
    let keys: Vec<String> = item_keys.iter().flatten().cloned().collect();
    let mut taken_keys: HashSet<String> = HashSet::new();
    let mut taken_refs: HashSet<(String, String, String)> = HashSet::new();
    for chunk in keys.chunks(500) {
        // The keys only: no document to read, parse and key again.
        let mut sql = Sql::new(&format!(
            "SELECT natural_key AS id FROM {} WHERE natural_key IN ",
            D::TABLE.table
        ));
        sql.text_list(chunk);
        taken_keys.extend(load_ids(conn, &sql)?);
    }
    let ids: Vec<String> = contents
        .iter()
        .flat_map(|c| D::refs_of(c).iter().map(|r| r.external_id.clone()))
        .collect();
    let mut scopes: Vec<String> = contents
        .iter()
        .filter(|c| !D::refs_of(c).is_empty())
        .map(D::ref_scope)
        .collect();
    scopes.sort_unstable();
    scopes.dedup();
    for chunk in ids.chunks(500) {
        #[derive(diesel::QueryableByName)]
        struct Key {
            #[diesel(sql_type = diesel::sql_types::Text)]
            entity: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            source: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            external_id: String,
        }
        let mut sql =
            Sql::new("SELECT entity, source, external_id FROM external_refs WHERE entity IN ");
        sql.text_list(&scopes)
            .push(" AND external_id IN ")
            .text_list(chunk);
        taken_refs.extend(
            load::<Key>(conn, &sql)?
                .into_iter()
                .map(|k| (k.entity, k.source, k.external_id)),
        );
    }
    let at = now();
    let mut fresh: Vec<(D, Option<String>)> = Vec::new();
    let mut others = Vec::new();
    for (i, (content, key)) in contents.iter().zip(item_keys).enumerate() {
        let doc = D::new(Stored::new(Uuid::now_v7(), at), content.clone());
        let scope = D::ref_scope(content);
        let refs: Vec<(String, String, String)> = doc
            .external_refs()
            .iter()
            .map(|r| (scope.clone(), r.source.clone(), r.external_id.clone()))
            .collect();
        let clash = key.as_ref().is_some_and(|k| taken_keys.contains(k))
            || refs.iter().any(|r| taken_refs.contains(r));
        if clash {
            others.push(i);
            continue;
        }
        taken_keys.extend(key.clone());
        taken_refs.extend(refs);
        fresh.push((doc, key));
    }
    D::derive_many(conn, fresh.iter_mut().map(|(doc, _)| doc))?;
    for chunk in fresh.chunks(200) {
        let mut sql = Sql::default();
        // The audit entries of the creations reuse each document's JSON.
        let mut created = Vec::with_capacity(chunk.len());
        for (row, (doc, key)) in chunk.iter().enumerate() {
            let columns = all_columns(doc, key.clone());
            if let Some((_, Value::Text(json))) = columns.iter().find(|(n, _)| *n == "document") {
                created.push((doc.id().to_string(), json.clone()));
            }
            if row == 0 {
                let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
                sql.push(&format!(
                    "INSERT INTO {} ({}) VALUES ",
                    D::TABLE.table,
                    names.join(", ")
                ));
            } else {
                sql.push(", ");
            }
            sql.push("(");
            for (i, (_, value)) in columns.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                bind(&mut sql, value);
            }
            sql.push(")");
        }
        sql.push(" RETURNING seq, id AS document");
        let seqs: std::collections::HashMap<String, i64> = load_documents(conn, &sql)?
            .into_iter()
            .map(|r| (r.document, r.seq))
            .collect();
        let mut facets = Vec::new();
        let mut search = Vec::new();
        let mut refs = Vec::new();
        for (doc, _) in chunk {
            let seq = seqs[&doc.id().to_string()];
            facets.extend(doc.facets().into_iter().map(|(f, v)| (seq, f, v)));
            search.push((seq, normalise_text(&doc.search_text())));
            let scope = D::ref_scope(doc.content());
            refs.extend(
                doc.external_refs()
                    .iter()
                    .map(|r| (doc.id().to_string(), scope.clone(), r.clone())),
            );
        }
        for part in facets.chunks(500) {
            let mut sql = Sql::new(&format!(
                "INSERT INTO {} ({}, facet, value) VALUES ",
                D::TABLE.facets,
                D::TABLE.facet_key
            ));
            for (i, (seq, facet, value)) in part.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .int(*seq)
                    .push(", ")
                    .text(*facet)
                    .push(", ")
                    .text(value.clone())
                    .push(")");
            }
            execute(conn, &sql)?;
        }
        if let DbConnection::Sqlite(_) = conn {
            for part in search.chunks(500) {
                let mut sql = Sql::new(&format!(
                    "INSERT INTO {} (rowid, body) VALUES ",
                    D::TABLE.search
                ));
                for (i, (seq, body)) in part.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.push("(")
                        .int(*seq)
                        .push(", ")
                        .text(body.clone())
                        .push(")");
                }
                execute(conn, &sql)?;
            }
        }
        for part in refs.chunks(500) {
            let mut sql = Sql::new(
                "INSERT INTO external_refs (entity, source, external_id, entity_id) VALUES ",
            );
            for (i, (id, scope, r)) in part.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .text(scope.clone())
                    .push(", ")
                    .text(r.source.clone())
                    .push(", ");
                sql.text(r.external_id.clone())
                    .push(", ")
                    .text(id.clone())
                    .push(")");
            }
            execute(conn, &sql)?;
        }
        let feed = chunk
            .iter()
            .zip(&created)
            .map(|((doc, _), (id, json))| {
                let public = doc.public_json(json);
                Change::new(
                    D::TABLE.entity,
                    id.clone(),
                    Some(json.clone()),
                    None,
                    public,
                )
            })
            .collect();
        changes::record(conn, feed)?;
        audit::record_created(conn, actor, D::TABLE.entity, created)?;
    }
    Ok(others)
}

fn to_value<T: Serialize>(doc: &T) -> serde_json::Value {
    serde_json::to_value(doc).expect("documents serialise")
}

/// Inserts a validated item; call inside a write transaction.
pub fn insert<D: Document>(
    conn: &mut DbConnection,
    actor: &Actor,
    content: D::Content,
    id: Uuid,
) -> Result<D, WriteError> {
    if let Some(existing) = find_by_natural_key::<D>(conn, &content)? {
        return Err(taken(&existing));
    }
    let at = now();
    let mut doc = D::new(Stored::new(id, at), content);
    doc.derive(conn)?;
    let key = D::natural_key(doc.content());
    let seq = D::TABLE.insert(conn, &all_columns(&doc, key))?;
    index(conn, seq, &doc)?;
    audit::record(
        conn,
        actor,
        D::TABLE.entity,
        &id.to_string(),
        Operation::Create,
        None,
        Some(&to_value(&doc)),
    )?;
    feed(conn, None, Some(&doc))?;
    Ok(doc)
}

/// The item, after checking the version the client last read (`If-Match`).
fn current<D: Document>(
    conn: &mut DbConnection,
    id: Uuid,
    if_match: Option<i64>,
) -> Result<(i64, D), WriteError> {
    let row = D::TABLE
        .find(conn, &id.to_string())?
        .ok_or(WriteError::NotFound)?;
    let doc: D = parse(&row)?;
    match if_match {
        Some(expected) if expected != doc.version() => Err(WriteError::Stale {
            current: doc.version(),
        }),
        _ => Ok((row.seq, doc)),
    }
}

/// Reads an item for a change (call inside a write transaction), for checks that need it.
pub fn for_update<D: Document>(
    conn: &mut DbConnection,
    id: Uuid,
    if_match: Option<i64>,
) -> Result<D, WriteError> {
    current(conn, id, if_match).map(|(_, doc)| doc)
}

/// Replaces the content of an item; call inside a write transaction.
pub fn replace<D: Document>(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
    content: D::Content,
    if_match: Option<i64>,
) -> Result<D, WriteError> {
    let (seq, old) = current::<D>(conn, id, if_match)?;
    if let Some(other) = find_by_natural_key::<D>(conn, &content)?
        && other.id() != id
    {
        return Err(taken(&other));
    }
    let stored = Stored {
        id,
        version: old.version() + 1,
        created_at: old.created_at(),
        updated_at: now(),
    };
    let mut doc = D::new(stored, content);
    doc.derive(conn)?;
    let key = D::natural_key(doc.content());
    D::TABLE.update(conn, seq, &all_columns(&doc, key))?;
    index(conn, seq, &doc)?;
    doc.after_write(conn, Some(&old))?;
    let (before, after) = (to_value(&old), to_value(&doc));
    audit::record(
        conn,
        actor,
        D::TABLE.entity,
        &id.to_string(),
        Operation::Update,
        Some(&before),
        Some(&after),
    )?;
    feed(conn, Some(&old), Some(&doc))?;
    Ok(doc)
}

pub fn delete<D: Document>(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
    if_match: Option<i64>,
) -> Result<D, WriteError> {
    let (seq, old) = current::<D>(conn, id, if_match)?;
    D::before_delete(conn, id)?;
    D::TABLE.delete(conn, seq, &id.to_string())?;
    let before = to_value(&old);
    audit::record(
        conn,
        actor,
        D::TABLE.entity,
        &id.to_string(),
        Operation::Delete,
        Some(&before),
        None,
    )?;
    feed::<D>(conn, Some(&old), None)?;
    Ok(old)
}

/// What an existing item becomes when an import brings new content for it.
pub type Merge<'a, C> = &'a dyn Fn(&C, C) -> Result<C, WriteError>;

/// Creates, updates or leaves alone the item this content designates: by its id when the import
/// gives one, else by a partner key, then by the natural key; `merge` decides what an existing item becomes. Call inside a write
/// transaction.
pub fn upsert_with<D: Document>(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Option<Uuid>,
    content: D::Content,
    refs: &[ExternalRef],
    merge: Merge<'_, D::Content>,
) -> Result<(Outcome, D), WriteError> {
    let existing = match id {
        // The file names the item: that one is updated, or created under that id.
        Some(id) => get::<D>(conn, id)?,
        None => {
            let mut by_ref = None;
            let scope = D::ref_scope(&content);
            for r in refs {
                if let Some(found) = D::TABLE.find_external(conn, &scope, r)? {
                    by_ref = Uuid::parse_str(&found).ok();
                    break;
                }
            }
            match by_ref {
                Some(found) => get::<D>(conn, found)?,
                None => find_by_natural_key::<D>(conn, &content)?,
            }
        }
    };
    match existing {
        Some(doc) => {
            let content = merge(doc.content(), content)?;
            if *doc.content() == content {
                Ok((Outcome::Unchanged, doc))
            } else {
                Ok((
                    Outcome::Updated,
                    replace(conn, actor, doc.id(), content, None)?,
                ))
            }
        }
        None => {
            let id = id.unwrap_or_else(Uuid::now_v7);
            Ok((Outcome::Created, insert(conn, actor, content, id)?))
        }
    }
}

/// How long one ranked search may run on PostgreSQL: a search for a word nearly every item
/// holds ranks every match, and a few of them must not hold the database from everyone else.
pub const SEARCH_TIMEOUT_MS: u32 = 5_000;

/// Runs a ranked search under [`SEARCH_TIMEOUT_MS`] (PostgreSQL). The setting is put back
/// after; inside a transaction that the timeout aborted, the rollback puts it back.
fn ranked_with_timeout(
    conn: &mut DbConnection,
    sql: &Sql,
) -> diesel::QueryResult<Vec<DocumentRow>> {
    conn.batch_execute(&format!("SET statement_timeout = {SEARCH_TIMEOUT_MS}"))?;
    let rows = load_documents(conn, sql);
    let reset = conn.batch_execute("RESET statement_timeout");
    let rows = rows?;
    reset?;
    Ok(rows)
}

impl Table {
    /// ` AND EXISTS (…)`: the item has this value of a multi-valued facet.
    pub fn facet_filter(&self, sql: &mut Sql, facet: &str, value: Option<&str>) {
        if let Some(value) = value {
            sql.push(&format!(
                " AND EXISTS (SELECT 1 FROM {} f WHERE f.{} = r.seq AND f.facet = ",
                self.facets, self.facet_key
            ));
            sql.text(facet)
                .push(" AND f.value = ")
                .text(value)
                .push(")");
        }
    }

    /// One page of a filtered list (the table is aliased `r` in `filters`), and where the next
    /// one starts. Without `q` the order is creation order and pages are keyed by the last
    /// item, so paging while others write yields each item once; with `q` the order is
    /// relevance.
    pub fn list<D: Document>(
        &self,
        conn: &mut DbConnection,
        filters: &dyn Fn(&mut Sql),
        q: Option<&str>,
        position: Position,
        limit: i64,
    ) -> diesel::QueryResult<(Vec<D>, Option<Position>)> {
        self.select(conn, filters, q, position, limit, true)
    }

    /// Every item of a filtered list that matches `q`, in creation order, a page at a time,
    /// keyed by the last item: what an export of a search reads. Unranked, so each page costs
    /// what one page costs, however deep it is (a ranked page at depth n ranks every match and
    /// skips n).
    pub fn scan<D: Document>(
        &self,
        conn: &mut DbConnection,
        filters: &dyn Fn(&mut Sql),
        q: Option<&str>,
        position: Position,
        limit: i64,
    ) -> diesel::QueryResult<(Vec<D>, Option<Position>)> {
        self.select(conn, filters, q, position, limit, false)
    }

    fn select<D: Document>(
        &self,
        conn: &mut DbConnection,
        filters: &dyn Fn(&mut Sql),
        q: Option<&str>,
        position: Position,
        limit: i64,
        ranked: bool,
    ) -> diesel::QueryResult<(Vec<D>, Option<Position>)> {
        let sqlite = matches!(conn, DbConnection::Sqlite(_));
        // Both engines search the folded text (no accents, no case, no punctuation), so a
        // query finds the same items on SQLite and PostgreSQL.
        let folded = q.map(normalise_text);
        let q = folded.as_deref();
        let offset = match position {
            Position::Offset(n) => n,
            _ => 0,
        };
        let mut sql;
        match (q, sqlite) {
            (None, _) => {
                sql = Sql::new(&format!(
                    "SELECT r.seq, r.document FROM {} r WHERE 1 = 1",
                    self.table
                ));
                filters(&mut sql);
                keyset(&mut sql, position, limit);
            }
            (Some(q), true) => {
                let Some(terms) = fts5_terms(q) else {
                    return Ok((vec![], None));
                };
                let s = self.search;
                sql = Sql::new(&format!(
                    "SELECT r.seq, r.document FROM {s} JOIN {} r ON r.seq = {s}.rowid WHERE {s} MATCH ",
                    self.table
                ));
                sql.text(terms);
                filters(&mut sql);
                if ranked {
                    sql.push(&format!(" ORDER BY {s}.rank, r.seq LIMIT "))
                        .int(limit + 1);
                    sql.push(" OFFSET ").int(offset);
                } else {
                    keyset(&mut sql, position, limit);
                }
            }
            (Some(q), false) => {
                sql = Sql::new(&format!(
                    "SELECT r.seq, r.document FROM {} r WHERE r.search @@ websearch_to_tsquery('simple', ",
                    self.table
                ));
                sql.text(q).push(")");
                filters(&mut sql);
                if ranked {
                    sql.push(" ORDER BY ts_rank(r.search, websearch_to_tsquery('simple', ");
                    sql.text(q).push(")) DESC, r.seq LIMIT ").int(limit + 1);
                    sql.push(" OFFSET ").int(offset);
                } else {
                    keyset(&mut sql, position, limit);
                }
            }
        }
        let ranked = ranked && q.is_some();
        let rows = if ranked && !sqlite {
            ranked_with_timeout(conn, &sql)?
        } else {
            load_documents(conn, &sql)?
        };
        let more = rows.len() as i64 > limit;
        let rows = &rows[..rows.len().min(limit as usize)];
        let next = match (more, ranked, rows.last()) {
            (true, false, Some(last)) => Some(Position::After(last.seq)),
            (true, true, _) => Some(Position::Offset(offset + limit)),
            _ => None,
        };
        let items = rows.iter().map(parse).collect::<Result<_, _>>()?;
        Ok((items, next))
    }
}

/// ` AND r.seq > … ORDER BY r.seq LIMIT …`: a page in creation order after `position`.
fn keyset(sql: &mut Sql, position: Position, limit: i64) {
    if let Position::After(seq) = position {
        sql.push(" AND r.seq > ").int(seq);
    }
    sql.push(" ORDER BY r.seq LIMIT ").int(limit + 1);
}
