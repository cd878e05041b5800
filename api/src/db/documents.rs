//! Storage shared by the document tables (recommendations, stakeholders): each item is its API
//! document as JSON, plus the columns, facet rows and full-text entry its filters use. Every
//! write goes through here, in one transaction, so the document and its indexes never differ.
//!
//! Beside it: the table's rows (`table`), lists and search (`sql::search`), the batch insert of
//! a bulk import (`batch`), transactions (`tx`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::DbConnection;
use super::audit::{self, Actor, Operation};
use super::changes::{self, Change, Fed};
use super::sql::DocumentRow;
use super::sql::search::{documents_after, rewrite_search, set_search};
use super::sql::statements::stamp;
use super::table::{Common, Rows, Table, set_external_refs};
use super::time::{now, stored};
use crate::domain::analysis::index_text;
use crate::domain::validate::Validate;
use crate::domain::{ExternalRef, Id, Language, Stored};

/// An item stored in a document table.
pub trait Document: Rows + Serialize + DeserializeOwned {
    /// What clients send: the item without id, version and timestamps.
    type Input: Serialize + DeserializeOwned + Validate<Valid = Self::Content>;
    /// What is stored: an input once valid, which writes the same JSON.
    type Content: PartialEq + Clone + Serialize + DeserializeOwned;
    /// The kind's id.
    type Id: Id;

    const TABLE: Table;

    fn new(stored: Stored<Self::Id>, content: Self::Content) -> Self;
    fn stored(&self) -> &Stored<Self::Id>;
    fn content(&self) -> &Self::Content;

    fn id(&self) -> Self::Id {
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
    /// Refuses a deletion while other items refer to this one, or brings them up to date
    /// before it goes; by default, nothing.
    fn before_delete(_conn: &mut DbConnection, _id: Self::Id) -> Result<(), WriteError> {
        Ok(())
    }
    /// Brings what depends on this item up to date after it changed (`before` is `None` for a
    /// creation), before the change is in the feed; by default, nothing depends on it.
    fn after_write(
        &self,
        _conn: &mut DbConnection,
        _before: Option<&Self>,
    ) -> diesel::QueryResult<()> {
        Ok(())
    }
    /// Brings what depends on this item up to date once its change is in the feed, so that the
    /// feed gives it before what names it; by default, nothing.
    fn after_feed(&self, _conn: &mut DbConnection, _before: &Self) -> diesel::QueryResult<()> {
        Ok(())
    }
    /// Whether the item is shown as its kind's first showing counts (`Table::first_shown`: an
    /// activity submitted, a request or an offer opened); by default never.
    fn shown(&self) -> bool {
        false
    }
    /// Whether anonymous and sync callers see the item; by default they do.
    fn is_public(&self) -> bool {
        true
    }
    /// The representation anonymous and sync callers see, given the full one (JSON); `None`
    /// while the item is not public ([`Document::is_public`]). By default the item is public
    /// as it is.
    fn public_json(&self, full: &str) -> Option<String> {
        Some(full.to_owned())
    }
    /// Whether the item's JSON is its stored fields, then [`Document::derived_members`], then
    /// its content's fields, in that order: a bulk import then writes its content's JSON ahead
    /// of the writes (`batch::Ahead`), and the writer only puts the parts together
    /// ([`json_with_content`]). By default not.
    const CONTENT_LAST: bool = false;
    /// The members of the item's JSON between its stored fields and its content's
    /// (`"cycle":3`), or nothing, when [`Document::CONTENT_LAST`].
    fn derived_members(&self) -> String {
        String::new()
    }
    /// The table's own columns (besides those every document table has).
    fn columns(&self) -> Self::Columns;
    /// `(facet, value)` rows for the multi-valued filters.
    fn facets(&self) -> Vec<(&'static str, String)>;
    /// Whether the item holds a code its facets write otherwise: a language by a code other
    /// than the one kept for it (`eng`), as items written before languages were kept as one
    /// may (`reindex` writes their facets again). By default not.
    fn holds_former_codes(&self) -> bool {
        false
    }
    /// Brings what holds the item's natural key up to date once `reindex` gave it `key`; by
    /// default, nothing does.
    fn after_rekey(&self, _conn: &mut DbConnection, _key: &str) -> diesel::QueryResult<()> {
        Ok(())
    }
    /// The texts search finds an item by, each in its language: its content's.
    fn search_texts_of(content: &Self::Content) -> Vec<(Language, &str)>;
    /// The terms of an item's texts, as the full-text index of either engine stores them.
    fn terms_of(content: &Self::Content) -> String {
        index_text(Self::search_texts_of(content))
    }
    fn search_text(&self) -> String {
        Self::terms_of(self.content())
    }
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
    /// A key that finds the same item imported again.
    fn natural_key(content: &Self::Content) -> String;
}

/// What a bulk upsert did with one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
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
    /// Fields of the item that the write refuses (a rule that needs what it is written over).
    #[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<crate::domain::FieldError>),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

pub fn parse<T: DeserializeOwned>(row: &DocumentRow) -> Result<T, diesel::result::Error> {
    parse_document(&row.document)
}

/// A stored JSON document.
pub fn parse_document<T: DeserializeOwned>(document: &str) -> Result<T, diesel::result::Error> {
    serde_json::from_str(document)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("documents serialise")
}

/// The JSON of `doc` given its content's (`to_json(doc.content())`, made ahead): its stored
/// fields, its derived members and its content's fields, as `to_json(doc)` writes them, for a
/// kind whose JSON is laid out so ([`Document::CONTENT_LAST`]); `to_json(doc)` for another.
pub fn json_with_content<D: Document>(doc: &D, content: &str) -> String {
    if !D::CONTENT_LAST {
        return to_json(doc);
    }
    let stored = to_json(doc.stored());
    let derived = doc.derived_members();
    // Each part's members, without their braces.
    let parts = [
        &stored[1..stored.len() - 1],
        &derived,
        &content[1..content.len() - 1],
    ];
    let mut json = String::with_capacity(stored.len() + derived.len() + content.len());
    json.push('{');
    for part in parts.into_iter().filter(|p| !p.is_empty()) {
        if json.len() > 1 {
            json.push(',');
        }
        json.push_str(part);
    }
    json.push('}');
    json
}

/// The row to write for an item, whose JSON is `document`; `natural_key` is the item's,
/// computed by the caller (it is not cheap), and so are its `terms` when it has them already.
/// `search_text` hands the item's terms to PostgreSQL, which makes its `search` column of them
/// as the row is written and keeps no copy (the trigger of `2026-12-02-000000_lean_indexes`);
/// SQLite keeps them in the item's FTS5 entry only (`sql::search`). Either way the row's
/// `search_text` is left empty.
pub(super) fn row_of<D: Document>(
    conn: &DbConnection,
    doc: &D,
    document: String,
    natural_key: String,
    terms: Option<String>,
) -> (D::Row, String) {
    let common = Common {
        id: doc.id().to_string(),
        natural_key,
        search_text: match conn {
            DbConnection::Postgres(_) => terms.unwrap_or_else(|| doc.search_text()),
            DbConnection::Sqlite(_) => String::new(),
        },
        document: document.clone(),
        version: doc.version(),
        created_at: stored(doc.created_at()),
        updated_at: stored(doc.updated_at()),
    };
    (D::row(common, doc.columns()), document)
}

/// Records a change of an item in the feed: `before` is `None` for a creation, `after` (the
/// number of its row, the item and its JSON as stored) `None` for a deletion.
pub fn feed<D: Document>(
    conn: &mut DbConnection,
    before: Option<&D>,
    after: Option<(i64, &D, String)>,
) -> diesel::QueryResult<()> {
    let Some(id) = after
        .as_ref()
        .map(|(_, d, _)| d.id())
        .or(before.map(|d| d.id()))
    else {
        return Ok(());
    };
    let was_public = before.is_some_and(|d| d.is_public());
    let change = match after {
        Some((row, doc, json)) => {
            let public = doc.public_json(&json);
            let full = Fed { row, json };
            Change::new(
                D::TABLE.entity,
                id.to_string(),
                Some(full),
                was_public,
                public,
            )
        }
        None => Change::new(D::TABLE.entity, id.to_string(), None, was_public, None),
    };
    changes::record(conn, vec![change])
}

/// The first-shown column of an item's row as it is inserted (`Table::first_shown`): the time
/// of the write when the item is shown. Updates leave the column out: the write that first
/// shows a stored item marks it with [`stamp`].
pub fn first_shown_at<D: Document>(doc: &D) -> Option<super::time::StoredTime> {
    doc.shown().then(|| stored(doc.updated_at()))
}

/// Writes the indexes of a stored row: facets, full text and partner keys.
fn index<D: Document>(conn: &mut DbConnection, seq: i64, doc: &D) -> Result<(), WriteError> {
    let facets = doc.facets();
    let pairs: Vec<(&str, &str)> = facets.iter().map(|(f, v)| (*f, v.as_str())).collect();
    D::set_facets(conn, seq, &pairs)?;
    // SQLite's full-text table holds the terms (PostgreSQL's are in the row, `row_of`).
    if let DbConnection::Sqlite(_) = conn {
        set_search(conn, &D::TABLE, seq, Some(&doc.search_text()))?;
    }
    let scope = D::ref_scope(doc.content());
    let id = doc.id().to_string();
    set_external_refs(conn, D::TABLE.entity, &scope, &id, doc.external_refs())?;
    Ok(())
}

/// Writes what is derived from every stored item of `D` by the text analysis and the
/// reference data again, a thousand items at a time: its full-text terms; its facets where
/// it holds a language by a former code (`Document::holds_former_codes`); its natural key
/// where its document holds a character that shows nothing, which keys once split words at
/// (`domain::is_invisible`), unless another item holds the key it now has: that one is named
/// in the log and both are kept. Returns how many items.
pub fn reindex<D: Document>(conn: &mut DbConnection) -> diesel::QueryResult<usize> {
    let (mut after, mut count) = (0, 0);
    loop {
        let rows = documents_after(conn, &D::TABLE, after, 1000)?;
        let Some(last) = rows.last() else {
            return Ok(count);
        };
        after = last.seq;
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            let doc = parse::<D>(row)?;
            if doc.holds_former_codes() {
                let facets = doc.facets();
                let pairs: Vec<(&str, &str)> =
                    facets.iter().map(|(f, v)| (*f, v.as_str())).collect();
                D::set_facets(conn, row.seq, &pairs)?;
            }
            if row.document.contains(crate::domain::is_invisible) {
                let key = D::natural_key(doc.content());
                let other = crate::db::sql::search::rekey(conn, &D::TABLE, row.seq, &key)?;
                if other.is_none() {
                    doc.after_rekey(conn, &key)?;
                }
                if let Some(other) = other {
                    tracing::warn!(
                        entity = D::TABLE.entity,
                        id = %doc.id(),
                        same_as = other,
                        "keeps its natural key: read without the characters that show nothing \
                         in it, it is the same as another item's, and it cannot be written again \
                         until one of the two is renamed or deleted"
                    );
                }
            }
            entries.push((row.seq, doc.search_text()));
        }
        rewrite_search(conn, &D::TABLE, &entries)?;
        count += entries.len();
    }
}

/// Languages as facets and filters write them, each once: the code kept for each, or as
/// stored where the reference data knows no such code (an item written before codes were
/// checked). An item of an older release may hold two codes of one language (`en`, `eng`).
pub fn kept_languages(codes: &[String]) -> impl Iterator<Item = String> {
    let mut kept: Vec<String> = codes
        .iter()
        .map(|code| {
            crate::domain::stakeholder::language_code(code)
                .unwrap_or(code)
                .to_owned()
        })
        .collect();
    crate::domain::validate::dedup(&mut kept);
    kept.into_iter()
}

/// Whether any of `languages` is held by a code other than the one kept for it.
pub fn holds_former_languages(languages: &[String]) -> bool {
    languages
        .iter()
        .any(|l| crate::domain::stakeholder::language_code(l).is_some_and(|k| k != l))
}

/// An item as stored: its JSON document, not read into its type (the database holds only JSON
/// there: `documents_are_json`), and its version (what its `ETag` says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub document: String,
    pub version: i64,
}

/// The item with this id as stored, for a caller who may see all of it
/// (`routes::support::stored_by_id`).
pub fn get_stored<D: Document>(
    conn: &mut DbConnection,
    id: D::Id,
) -> diesel::QueryResult<Option<StoredDocument>> {
    let Some((document, version)) = D::find_stored(conn, &id.to_string())? else {
        return Ok(None);
    };
    Ok(Some(StoredDocument { document, version }))
}

pub fn get<D: Document>(conn: &mut DbConnection, id: D::Id) -> diesel::QueryResult<Option<D>> {
    D::find_row(conn, &id.to_string())?
        .map(|row| parse(&row))
        .transpose()
}

fn find_by_natural_key<D: Document>(
    conn: &mut DbConnection,
    content: &D::Content,
) -> diesel::QueryResult<Option<D>> {
    D::find_by_key(conn, &D::natural_key(content))?
        .map(|row| parse(&row))
        .transpose()
}

fn taken<D: Document>(other: &D) -> WriteError {
    WriteError::Conflict(format!(
        "{} {} is the same: the same {}.",
        D::TABLE.entity,
        other.id(),
        D::TABLE.same
    ))
}

fn to_value<T: Serialize>(doc: &T) -> serde_json::Value {
    serde_json::to_value(doc).expect("documents serialise")
}

/// Inserts a validated item; call inside a write transaction.
pub fn insert<D: Document>(
    conn: &mut DbConnection,
    actor: &Actor,
    content: D::Content,
    id: D::Id,
) -> Result<D, WriteError> {
    let key = D::natural_key(&content);
    insert_keyed(conn, actor, content, id, key)
}

/// [`insert`] under `key` rather than the content's natural key (an activity a State makes
/// from a match, `domain::activity::ActivityInput::match_key`); a later write of the item keys
/// it by its content again.
pub fn insert_keyed<D: Document>(
    conn: &mut DbConnection,
    actor: &Actor,
    content: D::Content,
    id: D::Id,
    key: String,
) -> Result<D, WriteError> {
    if let Some(existing) = D::find_by_key(conn, &key)? {
        return Err(taken(&parse::<D>(&existing)?));
    }
    let at = now();
    let mut doc = D::new(Stored::new(id, at), content);
    doc.derive(conn)?;
    let (row, json) = row_of(conn, &doc, to_json(&doc), key, None);
    let seq = D::insert_rows(conn, &[row])?
        .first()
        .map(|(_, seq)| *seq)
        .ok_or(WriteError::NotFound)?;
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
    feed(conn, None, Some((seq, &doc, json)))?;
    Ok(doc)
}

/// What a write asks of the version of the item it changes (RFC 9110 §13.1), from the
/// client's `If-Match` and `If-None-Match`: none of it holding is a stale version (412).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expected {
    /// `If-Match`: one of these versions (none, for tags this service did not give).
    pub one_of: Option<Vec<i64>>,
    /// `If-None-Match`: none of these versions.
    pub none_of: Vec<i64>,
    /// `If-None-Match: *`: no item at all, which an item being changed never holds.
    pub no_item: bool,
}

impl Expected {
    /// Nothing asked: any version.
    pub const ANY: Self = Self {
        one_of: None,
        none_of: Vec::new(),
        no_item: false,
    };

    /// `If-Match` naming `version`.
    pub fn version(version: i64) -> Self {
        Self {
            one_of: Some(vec![version]),
            ..Self::ANY
        }
    }

    /// Whether an item of `version` is what the write asks for.
    pub fn holds(&self, version: i64) -> bool {
        self.one_of.as_ref().is_none_or(|v| v.contains(&version))
            && !self.none_of.contains(&version)
            && !self.no_item
    }

    /// The write's refusal when an item of `version` is not what it asks for.
    pub fn check(&self, version: i64) -> Result<(), WriteError> {
        if self.holds(version) {
            Ok(())
        } else {
            Err(WriteError::Stale { current: version })
        }
    }
}

/// The item, after checking the version the client last read (`If-Match`, `If-None-Match`).
fn current<D: Document>(
    conn: &mut DbConnection,
    id: D::Id,
    expected: &Expected,
) -> Result<(i64, D), WriteError> {
    let row = D::find_row(conn, &id.to_string())?.ok_or(WriteError::NotFound)?;
    let doc: D = parse(&row)?;
    expected.check(doc.version())?;
    Ok((row.seq, doc))
}

/// Replaces the content of an item; call inside a write transaction. Content equal to what is
/// stored writes nothing (no new version, audit entry or change in the feed, as an import
/// leaves such an item unchanged) and gives the item as it is.
pub fn replace<D: Document>(
    conn: &mut DbConnection,
    actor: &Actor,
    id: D::Id,
    content: D::Content,
    expected: &Expected,
) -> Result<D, WriteError> {
    let (seq, old) = current::<D>(conn, id, expected)?;
    if *old.content() == content {
        return Ok(old);
    }
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
    let (row, json) = row_of(
        conn,
        &doc,
        to_json(&doc),
        D::natural_key(doc.content()),
        None,
    );
    D::update_row(conn, seq, &row)?;
    index(conn, seq, &doc)?;
    if doc.shown() && !old.shown() {
        stamp(conn, &D::TABLE, seq)?;
    }
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
    feed(conn, Some(&old), Some((seq, &doc, json)))?;
    doc.after_feed(conn, &old)?;
    Ok(doc)
}

pub fn delete<D: Document>(
    conn: &mut DbConnection,
    actor: &Actor,
    id: D::Id,
    expected: &Expected,
) -> Result<D, WriteError> {
    let (seq, old) = current::<D>(conn, id, expected)?;
    D::before_delete(conn, id)?;
    set_search(conn, &D::TABLE, seq, None)?;
    set_external_refs(conn, D::TABLE.entity, D::TABLE.entity, &id.to_string(), &[])?;
    D::delete_row(conn, seq)?;
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

/// What an import makes of the item its content designates (`None` when there is none, and it
/// is to be created), or why it may not write it: decided before anything is written.
pub type Merge<'a, D> = &'a dyn Fn(
    &mut DbConnection,
    Option<&D>,
    <D as Document>::Content,
) -> Result<<D as Document>::Content, WriteError>;

/// Creates, updates or leaves alone the item this content designates: by its id when the import
/// gives one, else by a partner key, then by the natural key; `merge` decides what the item
/// becomes, or refuses it. Call inside a write transaction.
pub fn upsert_with<D: Document>(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Option<D::Id>,
    content: D::Content,
    refs: &[ExternalRef],
    merge: Merge<'_, D>,
) -> Result<(Outcome, D), WriteError> {
    let existing = match id {
        // The file names the item: that one is updated, or created under that id.
        Some(id) => get::<D>(conn, id)?,
        None => {
            let mut by_ref = None;
            let scope = D::ref_scope(&content);
            for r in refs {
                if let Some(found) = super::table::find_external(conn, &scope, r)? {
                    by_ref = found.parse().ok();
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
            let content = merge(conn, Some(&doc), content)?;
            if *doc.content() == content {
                Ok((Outcome::Unchanged, doc))
            } else {
                Ok((
                    Outcome::Updated,
                    replace(conn, actor, doc.id(), content, &Expected::ANY)?,
                ))
            }
        }
        None => {
            let content = merge(conn, None, content)?;
            let id = id.unwrap_or_else(D::Id::new_v7);
            Ok((Outcome::Created, insert(conn, actor, content, id)?))
        }
    }
}
