//! A document table's rows: the row by id or by partner key, inserts and updates of its
//! columns, and the companions kept beside it (facet rows, the full-text entry, partner keys).

use super::DbConnection;
use super::documents::WriteError;
use super::query::{DocumentRow, Sql, Value, execute, load_documents, load_ids};
use crate::domain::ExternalRef;

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
    /// Whether some of its items are hidden from some callers (activities awaiting consent,
    /// drafts): a ranked search on SQLite must then not weigh terms by how many stored items
    /// hold them (`search::Table::select`).
    pub hides_items: bool,
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

pub(super) fn bind(sql: &mut Sql, value: &Value) {
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
