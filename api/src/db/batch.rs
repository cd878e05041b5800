//! The fast path of a bulk import: the new items of a batch inserted in a few statements.

use uuid::Uuid;

use super::DbConnection;
use super::audit::{self, Actor};
use super::changes::{self, Change};
use super::documents::{Document, WriteError, all_columns};
use super::query::{Sql, Value, execute, load, load_documents, load_ids};
use super::table::bind;
use super::time::now;
use crate::domain::{Stored, normalise_text};

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
