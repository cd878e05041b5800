//! The fast path of a bulk import: the new items of a batch inserted in a few statements.

use super::DbConnection;
use super::audit::{self, Actor};
use super::changes::{self, Change, Fed};
use super::documents::{Document, WriteError, json_with_content, row_of, to_json};
use super::sql::search::insert_search;
use super::table::{held_external, insert_external};
use super::time::now;
use crate::domain::{Id, Stored};

/// What an item's content alone gives, worked out before its batch is written (on an import's
/// reader thread, beside the writes): its natural key, its search terms, and the content's
/// JSON where the item's JSON ends with it (`Document::CONTENT_LAST`).
pub struct Ahead {
    pub natural_key: String,
    pub terms: String,
    pub json: Option<String>,
}

impl Ahead {
    pub fn of<D: Document>(content: &D::Content) -> Self {
        Self {
            natural_key: D::natural_key(content),
            terms: D::terms_of(content),
            json: D::CONTENT_LAST.then(|| to_json(content)),
        }
    }
}

/// An item's search terms and its content's JSON (if made), as worked out ahead.
type Worked = (String, Option<String>);

/// Inserts, in a few statements, those of `contents` that are new: no stored item has their
/// natural key or partner keys, nor does an earlier one of the batch. Returns the indexes of
/// the others, for the item-by-item path. Call inside a savepoint: on an error the caller
/// rolls the batch back and takes every item the slow way. `ahead` holds, for each item of
/// `contents`, what was worked out of it already, if anything (`Ahead`).
pub fn insert_new<D: Document>(
    conn: &mut DbConnection,
    actor: &Actor,
    contents: Vec<D::Content>,
    ahead: Vec<Option<Ahead>>,
) -> Result<Vec<usize>, WriteError> {
    use std::collections::{HashMap, HashSet};
    debug_assert_eq!(contents.len(), ahead.len());
    let (item_keys, mut ahead): (Vec<String>, Vec<Option<Worked>>) = contents
        .iter()
        .zip(ahead)
        .map(|(content, ahead)| match ahead {
            Some(Ahead {
                natural_key,
                terms,
                json,
            }) => {
                // What was worked out before is what the content gives now.
                debug_assert_eq!(natural_key, D::natural_key(content));
                (natural_key, Some((terms, json)))
            }
            None => (D::natural_key(content), None),
        })
        .unzip();
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
    let mut fresh: Vec<(D, String, Option<Worked>)> = Vec::new();
    let mut others = Vec::new();
    for (i, (content, key)) in contents.into_iter().zip(item_keys).enumerate() {
        let scope = D::ref_scope(&content);
        let refs: Vec<(String, String, String)> = D::refs_of(&content)
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
        let doc = D::new(Stored::new(D::Id::new_v7(), at), content);
        fresh.push((doc, key, ahead[i].take()));
    }
    D::derive_many(conn, fresh.iter_mut().map(|(doc, _, _)| doc))?;
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    for chunk in fresh.chunks_mut(super::RUN) {
        // The feed rows of the creations reuse each document's JSON; the audit entries read
        // the items from them.
        let mut rows = Vec::with_capacity(chunk.len());
        let mut created = Vec::with_capacity(chunk.len());
        // SQLite's full-text table holds the terms (PostgreSQL's are in the row).
        let mut search = Vec::new();
        for (doc, key, ahead) in chunk.iter_mut() {
            let (terms, json) = match ahead.take() {
                Some((terms, Some(content))) => (terms, json_with_content(doc, &content)),
                Some((terms, None)) => (terms, to_json(doc)),
                None => (doc.search_text(), to_json(doc)),
            };
            debug_assert_eq!(terms, doc.search_text(), "the terms worked out ahead");
            debug_assert_eq!(json, to_json(doc), "the JSON put together of its parts");
            let (row, json) = if sqlite {
                search.push(terms);
                row_of(conn, doc, json, key.clone(), None)
            } else {
                row_of(conn, doc, json, key.clone(), Some(terms))
            };
            rows.push(row);
            created.push((doc.id().to_string(), json));
        }
        let seqs: HashMap<String, i64> = D::insert_rows(conn, &rows)?.into_iter().collect();
        let mut facets = Vec::new();
        let mut refs = Vec::new();
        let mut search = search.into_iter();
        let mut indexed = Vec::new();
        for (doc, _, _) in chunk.iter() {
            let seq = seqs[&doc.id().to_string()];
            facets.extend(doc.facets().into_iter().map(|(f, v)| (seq, f, v)));
            if let Some(terms) = search.next() {
                indexed.push((seq, terms));
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
        insert_search(conn, &D::TABLE, &indexed)?;
        insert_external(conn, &refs)?;
        let feed = chunk
            .iter()
            .zip(&created)
            .map(|((doc, _, _), (id, json))| {
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
        #[cfg(feature = "failpoints")]
        if told_to_fail(actor) {
            return Err(WriteError::Db(diesel::result::Error::QueryBuilderError(
                "the fail point batch::insert_new".into(),
            )));
        }
    }
    Ok(others)
}

/// Whether a test asked this actor's batches to fail once a run of them is written: the fail
/// point `batch::insert_new` set to `return(SUBJECT)` fails the batches of the actor `SUBJECT`
/// only, so that tests running beside it keep the fast path.
#[cfg(feature = "failpoints")]
fn told_to_fail(actor: &Actor) -> bool {
    let told = || {
        fail::fail_point!("batch::insert_new", |subject: Option<String>| {
            subject.as_deref() == Some(actor.subject.as_str())
        });
        false
    };
    told()
}
