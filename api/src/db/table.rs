//! A document table's rows, in diesel's DSL: the row by id or natural key, inserts and updates
//! of its typed row, its facet rows, and the partner keys kept beside it (`external_refs`).
//!
//! Each document kind declares its table with [`document_table!`]: the row struct (the
//! columns every document table has, then its own) and the [`Rows`] implementation over that
//! table's DSL. The full-text entry of SQLite is the search module's (`sql::search`).

use diesel::prelude::*;

use super::DbConnection;
use super::documents::WriteError;
use super::schema::external_refs;
use super::sql::DocumentRow;
use crate::domain::ExternalRef;

/// What names a document table where SQL is written by hand (`sql::search`, `sql::filters`),
/// and what the audit trail, the feed and messages call its items. Constants only.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// The kind of item, as the audit trail and external references name it.
    pub entity: &'static str,
    pub table: &'static str,
    pub facets: &'static str,
    pub facet_key: &'static str,
    /// Where the numbers of a `numbered` facet table's (facet, value) pairs are kept
    /// (`super::facet_codes`); `None` where its rows name both.
    pub facet_values: Option<&'static str>,
    /// The FTS5 table (SQLite); PostgreSQL keeps a generated `search` column instead.
    pub search: &'static str,
    /// What makes two items the same (the natural key), in words.
    pub same: &'static str,
    /// Whether some of its items are hidden from some callers (activities awaiting consent,
    /// drafts): a ranked search on SQLite must then not weigh terms by how many stored items
    /// hold them (`sql::search`).
    pub hides_items: bool,
    /// The column that keeps when an item was first shown (`Document::shown`: an activity
    /// submitted, a request or an offer opened): written with the row when it is inserted
    /// shown, else by the write that first shows it (`sql::statements::stamp`), and never
    /// again (the row's updates leave it out).
    pub first_shown: Option<&'static str>,
}

/// The columns every document table has, for a row about to be written.
pub struct Common {
    pub id: String,
    pub natural_key: String,
    pub search_text: String,
    pub document: String,
    pub version: i64,
    pub created_at: super::time::StoredTime,
    pub updated_at: super::time::StoredTime,
}

/// A document table's rows, in the DSL of its own table (implemented by [`document_table!`]).
pub trait Rows {
    /// The table's own columns (besides those of [`Common`]), as the document gives them.
    type Columns;
    /// A whole row, as inserted and updated.
    type Row;

    fn row(common: Common, own: Self::Columns) -> Self::Row;
    /// `seq` and `document` of the row with this id.
    fn find_row(conn: &mut DbConnection, id: &str) -> QueryResult<Option<DocumentRow>>;
    /// `document` and `version` of the row with this id.
    fn find_stored(conn: &mut DbConnection, id: &str) -> QueryResult<Option<(String, i64)>>;
    /// `seq` and `document` of the row with this natural key.
    fn find_by_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<DocumentRow>>;
    /// Those of `keys` that a stored row has.
    fn taken_keys(conn: &mut DbConnection, keys: &[String]) -> QueryResult<Vec<String>>;
    /// `seq` and `document` of the rows with these ids, in no particular order.
    fn find_rows(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<DocumentRow>>;
    /// Inserts rows; returns each one's `(id, seq)`.
    fn insert_rows(
        conn: &mut DbConnection,
        rows: &[Self::Row],
    ) -> Result<Vec<(String, i64)>, WriteError>;
    fn update_row(conn: &mut DbConnection, seq: i64, row: &Self::Row) -> Result<(), WriteError>;
    /// Adds `(seq, facet, value)` rows.
    fn insert_facets(conn: &mut DbConnection, facets: &[(i64, &str, &str)]) -> QueryResult<()>;
    /// Removes the facet rows of an item.
    fn delete_facets(conn: &mut DbConnection, seq: i64) -> QueryResult<()>;
    /// Removes the row itself (its facets first: they refer to it).
    fn delete_row(conn: &mut DbConnection, seq: i64) -> QueryResult<()>;

    /// Replaces the facet rows of an item: `(facet, value)` pairs.
    fn set_facets(conn: &mut DbConnection, seq: i64, facets: &[(&str, &str)]) -> QueryResult<()> {
        Self::delete_facets(conn, seq)?;
        let rows: Vec<(i64, &str, &str)> = facets.iter().map(|(f, v)| (seq, *f, *v)).collect();
        Self::insert_facets(conn, &rows)
    }
}

/// Declares a document kind's table: `Document => table (facet table . its key column)`, the
/// row struct's name, and the table's own columns with their Rust types. A facet table
/// `numbered` keeps a number for each (facet, value) instead of both (`super::facet_codes`).
macro_rules! document_table {
    ($doc:ty => $table:ident ($facets:ident . $key:ident $($numbered:ident)?), $row:ident, $columns:ident {
        $($(#[$attr:meta])* $field:ident : $type:ty),* $(,)?
    }) => {
        /// The table's own columns, as the document gives them.
        pub struct $columns {
            $(pub $field: $type),*
        }

        /// A whole row of the table, as inserted and updated.
        #[derive(diesel::Insertable, diesel::AsChangeset)]
        // `None` is written as `NULL` (not left to a default), so that many rows go in one
        // statement on SQLite too, and an update clears what the document no longer has.
        #[diesel(
            table_name = $crate::db::schema::$table,
            treat_none_as_null = true,
            treat_none_as_default_value = false
        )]
        pub struct $row {
            id: String,
            natural_key: String,
            search_text: String,
            document: String,
            version: i64,
            created_at: $crate::db::time::StoredTime,
            updated_at: $crate::db::time::StoredTime,
            $($(#[$attr])* $field: $type),*
        }

        impl $crate::db::table::Rows for $doc {
            type Columns = $columns;
            type Row = $row;

            fn row(c: $crate::db::table::Common, own: $columns) -> $row {
                $row {
                    id: c.id,
                    natural_key: c.natural_key,
                    search_text: c.search_text,
                    document: c.document,
                    version: c.version,
                    created_at: c.created_at,
                    updated_at: c.updated_at,
                    $($field: own.$field),*
                }
            }

            fn find_row(
                conn: &mut $crate::db::DbConnection,
                id: &str,
            ) -> diesel::QueryResult<Option<$crate::db::sql::DocumentRow>> {
                use diesel::prelude::*;
                use $crate::db::schema::$table::dsl as t;
                t::$table
                    .filter(t::id.eq(id))
                    .select((t::seq, t::document))
                    .first(conn)
                    .optional()
            }

            fn find_stored(
                conn: &mut $crate::db::DbConnection,
                id: &str,
            ) -> diesel::QueryResult<Option<(String, i64)>> {
                use diesel::prelude::*;
                use $crate::db::schema::$table::dsl as t;
                t::$table
                    .filter(t::id.eq(id))
                    .select((t::document, t::version))
                    .first(conn)
                    .optional()
            }

            fn find_by_key(
                conn: &mut $crate::db::DbConnection,
                key: &str,
            ) -> diesel::QueryResult<Option<$crate::db::sql::DocumentRow>> {
                use diesel::prelude::*;
                use $crate::db::schema::$table::dsl as t;
                t::$table
                    .filter(t::natural_key.eq(key))
                    .select((t::seq, t::document))
                    .first(conn)
                    .optional()
            }

            fn taken_keys(
                conn: &mut $crate::db::DbConnection,
                keys: &[String],
            ) -> diesel::QueryResult<Vec<String>> {
                $crate::db::sql::keys::taken(conn, stringify!($table), keys)
            }

            fn find_rows(
                conn: &mut $crate::db::DbConnection,
                ids: &[String],
            ) -> diesel::QueryResult<Vec<$crate::db::sql::DocumentRow>> {
                use diesel::prelude::*;
                use $crate::db::schema::$table::dsl as t;
                let mut out = Vec::new();
                for chunk in ids.chunks(500) {
                    out.extend(
                        t::$table
                            .filter(t::id.eq_any(chunk))
                            .select((t::seq, t::document))
                            .load(conn)?,
                    );
                }
                Ok(out)
            }

            fn insert_rows(
                conn: &mut $crate::db::DbConnection,
                rows: &[$row],
            ) -> Result<Vec<(String, i64)>, $crate::db::documents::WriteError> {
                use diesel::prelude::*;
                use $crate::db::schema::$table::dsl as t;
                let mut out = Vec::with_capacity(rows.len());
                $crate::db::in_runs!(conn, rows, |c, run| {
                    let inserted: Vec<(String, i64)> = diesel::insert_into(t::$table)
                        .values(run)
                        .returning((t::id, t::seq))
                        .get_results(c)
                        .map_err($crate::db::table::conflict_on_unique)?;
                    out.extend(inserted);
                });
                Ok(out)
            }

            fn update_row(
                conn: &mut $crate::db::DbConnection,
                seq: i64,
                row: &$row,
            ) -> Result<(), $crate::db::documents::WriteError> {
                use diesel::prelude::*;
                use $crate::db::schema::$table::dsl as t;
                diesel::update(t::$table.filter(t::seq.eq(seq)))
                    .set(row)
                    .execute(conn)
                    .map_err($crate::db::table::conflict_on_unique)?;
                Ok(())
            }

            $crate::db::table::facet_rows!($facets, $key $(, $numbered)?);

            fn delete_row(
                conn: &mut $crate::db::DbConnection,
                seq: i64,
            ) -> diesel::QueryResult<()> {
                use diesel::prelude::*;
                use $crate::db::schema::$table::dsl as t;
                <Self as $crate::db::table::Rows>::delete_facets(conn, seq)?;
                diesel::delete(t::$table.filter(t::seq.eq(seq))).execute(conn)?;
                Ok(())
            }
        }
    };
}
pub(crate) use document_table;

/// The facet rows' writes of [`document_table!`]: rows of (key, facet, value), or, for a
/// `numbered` facet table, of (number, key) through `super::facet_codes`.
macro_rules! facet_rows {
    ($facets:ident, $key:ident) => {
        fn insert_facets(
            conn: &mut $crate::db::DbConnection,
            facets: &[(i64, &str, &str)],
        ) -> diesel::QueryResult<()> {
            use diesel::prelude::*;
            use $crate::db::schema::$facets::dsl as f;
            // Owned values: a statement diesel keeps is known by its type, which may
            // borrow nothing.
            let rows: Vec<_> = facets
                .iter()
                .map(|(seq, facet, value)| {
                    (
                        f::$key.eq(*seq),
                        f::facet.eq(facet.to_string()),
                        f::value.eq(value.to_string()),
                    )
                })
                .collect();
            $crate::db::in_runs!(conn, &rows, |c, run| diesel::insert_into(f::$facets)
                .values(run)
                .execute(c)?);
            Ok(())
        }

        fn delete_facets(conn: &mut $crate::db::DbConnection, seq: i64) -> diesel::QueryResult<()> {
            use diesel::prelude::*;
            use $crate::db::schema::$facets::dsl as f;
            diesel::delete(f::$facets.filter(f::$key.eq(seq))).execute(conn)?;
            Ok(())
        }
    };
    ($facets:ident, $key:ident, numbered) => {
        fn insert_facets(
            conn: &mut $crate::db::DbConnection,
            facets: &[(i64, &str, &str)],
        ) -> diesel::QueryResult<()> {
            $crate::db::facet_codes::insert(conn, facets)
        }

        fn delete_facets(conn: &mut $crate::db::DbConnection, seq: i64) -> diesel::QueryResult<()> {
            $crate::db::facet_codes::delete(conn, seq)
        }
    };
}
pub(crate) use facet_rows;

/// The id of the item a partner's key names, within `scope` (`Document::ref_scope`).
pub fn find_external(
    conn: &mut DbConnection,
    scope: &str,
    r: &ExternalRef,
) -> QueryResult<Option<String>> {
    use external_refs::dsl as x;
    x::external_refs
        .filter(x::entity.eq(scope))
        .filter(x::source.eq(&r.source))
        .filter(x::external_id.eq(&r.external_id))
        .select(x::entity_id)
        .first(conn)
        .optional()
}

/// Which of these partner keys (`external_id`s within `scopes`) are held: `(scope, source,
/// external_id)` of each.
pub fn held_external(
    conn: &mut DbConnection,
    scopes: &[String],
    external_ids: &[String],
) -> QueryResult<Vec<(String, String, String)>> {
    use external_refs::dsl as x;
    let mut out = Vec::new();
    for chunk in external_ids.chunks(500) {
        out.extend(
            x::external_refs
                .filter(x::entity.eq_any(scopes))
                .filter(x::external_id.eq_any(chunk))
                .select((x::entity, x::source, x::external_id))
                .load::<(String, String, String)>(conn)?,
        );
    }
    Ok(out)
}

/// Adds partner keys: `(item id, scope, key)`.
pub fn insert_external(
    conn: &mut DbConnection,
    refs: &[(String, String, ExternalRef)],
) -> QueryResult<()> {
    use external_refs::dsl as x;
    // Owned values: a statement diesel keeps is known by its type, which may borrow nothing.
    let rows: Vec<_> = refs
        .iter()
        .map(|(id, scope, r)| {
            (
                x::entity.eq(scope.clone()),
                x::source.eq(r.source.clone()),
                x::external_id.eq(r.external_id.clone()),
                x::entity_id.eq(id.clone()),
            )
        })
        .collect();
    super::in_runs!(conn, &rows, |c, run| diesel::insert_into(x::external_refs)
        .values(run)
        .execute(c)?);
    Ok(())
}

/// Records the partner keys of an item within `scope`; a key another item holds there is a
/// conflict. `entity` names the kind of item in the message.
pub fn set_external_refs(
    conn: &mut DbConnection,
    entity: &str,
    scope: &str,
    id: &str,
    refs: &[ExternalRef],
) -> Result<(), WriteError> {
    for r in refs {
        if let Some(holder) = find_external(conn, scope, r)?
            && holder != id
        {
            return Err(WriteError::Conflict(format!(
                "The external reference {}:{} belongs to {entity} {holder}.",
                r.source, r.external_id
            )));
        }
    }
    // Ids are unique across kinds: whatever scope the keys were held in before (an
    // activity's moves with its submitter), they go.
    use external_refs::dsl as x;
    diesel::delete(x::external_refs.filter(x::entity_id.eq(id))).execute(conn)?;
    let rows: Vec<(String, String, ExternalRef)> = refs
        .iter()
        .map(|r| (id.to_owned(), scope.to_owned(), r.clone()))
        .collect();
    insert_external(conn, &rows)?;
    Ok(())
}

/// A unique index refused a write: the same item exists, or a State would have two own
/// stakeholders.
pub fn conflict_on_unique(err: diesel::result::Error) -> WriteError {
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
