//! The fast path of a bulk import: the new items of a batch inserted in a few statements.

use super::DbConnection;
use super::audit::{self, Actor};
use super::changes::{self, Change, Fed};
use super::documents::{Document, WriteError, row_of};
use super::sql::search::insert_search;
use super::sql::statements::stamp;
use super::table::{held_external, insert_external};
use super::time::now;
use crate::domain::{Id, Stored};

/// Inserts, in a few statements, those of `contents` that are new: no stored item has their
/// natural key or partner keys, nor does an earlier one of the batch. Returns the indexes of
/// the others, for the item-by-item path. Call inside a savepoint: on an error the caller
/// rolls the batch back and takes every item the slow way.
pub fn insert_new<D: Document>(
    conn: &mut DbConnection,
    actor: &Actor,
    contents: &[D::Content],
) -> Result<Vec<usize>, WriteError> {
    use std::collections::{HashMap, HashSet};
    let item_keys: Vec<String> = contents.iter().map(D::natural_key).collect();
    // The keys only: no document to read, parse and key again.
    let mut taken_keys: HashSet<String> = D::taken_keys(conn, &item_keys)?.into_iter().collect();
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
    let mut taken_refs: HashSet<(String, String, String)> = if ids.is_empty() {
        HashSet::new()
    } else {
        held_external(conn, &scopes, &ids)?.into_iter().collect()
    };
    let at = now();
    let mut fresh: Vec<(D, String)> = Vec::new();
    let mut others = Vec::new();
    for (i, (content, key)) in contents.iter().zip(item_keys).enumerate() {
        let doc = D::new(Stored::new(D::Id::new_v7(), at), content.clone());
        let scope = D::ref_scope(content);
        let refs: Vec<(String, String, String)> = doc
            .external_refs()
            .iter()
            .map(|r| (scope.clone(), r.source.clone(), r.external_id.clone()))
            .collect();
        let clash = taken_keys.contains(&key) || refs.iter().any(|r| taken_refs.contains(r));
        if clash {
            others.push(i);
            continue;
        }
        taken_keys.insert(key.clone());
        taken_refs.extend(refs);
        fresh.push((doc, key));
    }
    D::derive_many(conn, fresh.iter_mut().map(|(doc, _)| doc))?;
    for chunk in fresh.chunks(200) {
        // The feed rows of the creations reuse each document's JSON; the audit entries read
        // the items from them.
        let mut rows = Vec::with_capacity(chunk.len());
        let mut created = Vec::with_capacity(chunk.len());
        for (doc, key) in chunk {
            let (row, json) = row_of(conn, doc, key.clone());
            rows.push(row);
            created.push((doc.id().to_string(), json));
        }
        let seqs: HashMap<String, i64> = D::insert_rows(conn, &rows)?.into_iter().collect();
        let mut facets = Vec::new();
        let mut search = Vec::new();
        let mut refs = Vec::new();
        for (doc, _) in chunk {
            let seq = seqs[&doc.id().to_string()];
            facets.extend(doc.facets().into_iter().map(|(f, v)| (seq, f, v)));
            // SQLite's full-text table holds the terms (PostgreSQL's are in the row).
            if let DbConnection::Sqlite(_) = conn {
                search.push((seq, doc.search_text()));
            }
            let scope = D::ref_scope(doc.content());
            refs.extend(
                doc.external_refs()
                    .iter()
                    .map(|r| (doc.id().to_string(), scope.clone(), r.clone())),
            );
        }
        let facets: Vec<(i64, &str, &str)> = facets
            .iter()
            .map(|(seq, f, v)| (*seq, *f, v.as_str()))
            .collect();
        D::insert_facets(conn, &facets)?;
        insert_search(conn, &D::TABLE, &search)?;
        insert_external(conn, &refs)?;
        let inserted: Vec<i64> = seqs.values().copied().collect();
        stamp(conn, &D::TABLE, &inserted)?;
        let feed = chunk
            .iter()
            .zip(&created)
            .map(|((doc, _), (id, json))| {
                let public = doc.public_json(json);
                let full = Fed {
                    row: seqs[id],
                    json: json.clone(),
                };
                Change::new(D::TABLE.entity, id.clone(), Some(full), false, public)
            })
            .collect();
        changes::record(conn, feed)?;
        let ids = created.into_iter().map(|(id, _)| id).collect();
        audit::record_created(conn, actor, D::TABLE.entity, ids)?;
    }
    Ok(others)
}
