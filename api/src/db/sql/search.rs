//! Lists of documents: a page of a filtered list in creation order, keyed by the last item, or
//! ranked by a full-text query (FTS5 on SQLite; on PostgreSQL the `search` column, under a
//! time limit). Both engines index the terms `domain::analysis` gives each text and are asked
//! for the terms it gives the query, so both find the same items.

use super::time_limit::with_time_limit;
use super::{DocumentRow, Sql, bound_page, execute, load_documents, load_page_documents};
use crate::db::DbConnection;
use crate::db::documents::{Document, parse_document};
use crate::db::table::Table;
use crate::domain::analysis::Query;

/// Where a page starts: after an item (lists in creation order) or at a rank position
/// (ranked search, and the rankings of matches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Start,
    After(i64),
    /// At a rank, of whatever the ranking holds now (matches; and the ranked-search cursors
    /// given before they named what they rank).
    Offset(i64),
    /// At rank `at` of a ranked search over the items that existed when its first page was
    /// read (`seq` up to `upto`): an item created while a client pages through the results
    /// does not push those it has seen onto the next page again.
    Ranked {
        at: i64,
        upto: i64,
    },
}

/// How long one ranked search may run: a search for a word nearly every item holds ranks
/// every match, and a few of them must not hold the database from everyone else.
pub const SEARCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs a ranked search under [`SEARCH_TIMEOUT`] (`time_limit`; on SQLite its statement
/// calls `upr_tc_in_time()`).
fn ranked_with_timeout(
    conn: &mut DbConnection,
    sql: &Sql,
) -> diesel::QueryResult<(Vec<RankedRow>, bool)> {
    with_time_limit(conn, SEARCH_TIMEOUT, |c| load_page_documents(c, sql))
}

/// A row of a ranked search's page: its item, and the last item the search finds
/// ([`Position::Ranked`]'s `upto`).
#[derive(diesel::QueryableByName)]
struct RankedRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    document: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    top: i64,
}

impl super::PageRow for RankedRow {
    fn document(&self) -> &str {
        &self.document
    }
}

/// What a ranked search selects as its `top`: on its first page, the last of the items it
/// finds, as the caller's conditions choose them (where `upto` is known, a stand-in: it is in
/// the cursor). In a table with hidden items, not the table's last item: that moves when
/// anyone writes a draft, and the next page's cursor (and the page's ETag) would tell callers
/// who may not see it that a hidden item was made.
fn top(upto: Option<i64>) -> &'static str {
    // Once known, it is not read again (and a number written into the text would make each
    // cursor's statement a text of its own, none kept for long: `Sql::keep_plan`).
    match upto {
        None => "max(seq) OVER ()",
        Some(_) => "CAST(0 AS BIGINT)",
    }
}

/// The order of a filtered list that has a query `q`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By relevance: what a person searching wants first.
    Relevance,
    /// In creation order, keyed by the last item: what an export of a search reads, page after
    /// page. Each page costs what one page costs, however deep it is (a ranked page at depth n
    /// ranks every match and skips n).
    Creation,
}

/// What page of a table's list to read.
#[derive(Clone, Copy)]
pub struct PageQuery<'a> {
    /// Adds the list's conditions (the table is aliased `r`).
    pub filters: &'a dyn Fn(&mut Sql),
    /// The full-text query, if any.
    pub q: Option<&'a str>,
    pub position: Position,
    pub limit: i64,
    /// The order when there is a `q`; without one, always creation order.
    pub order: Order,
}

impl<'a> PageQuery<'a> {
    /// The page at `position` in creation order.
    pub fn creation(
        filters: &'a dyn Fn(&mut Sql),
        q: Option<&'a str>,
        position: Position,
        limit: i64,
    ) -> Self {
        Self {
            filters,
            q,
            position,
            limit,
            order: Order::Creation,
        }
    }
}

impl Table {
    /// One page of a filtered list, and where the next one starts. Without `q` the order is
    /// creation order and pages are keyed by the last item, so paging while others write
    /// yields each item once; with `q`, `order` says.
    pub fn page<D: Document>(
        &self,
        conn: &mut DbConnection,
        query: &PageQuery,
    ) -> diesel::QueryResult<(Vec<D>, Option<Position>)> {
        let (documents, next) = self.page_stored(conn, query)?;
        let items = documents
            .iter()
            .map(|d| parse_document(d))
            .collect::<Result<_, _>>()?;
        Ok((items, next))
    }

    /// [`Table::page`] with each item as stored: its JSON document, not read into its type
    /// (the database holds only JSON there: `documents_are_json`).
    pub fn page_stored(
        &self,
        conn: &mut DbConnection,
        &PageQuery {
            filters,
            q,
            position,
            limit,
            order,
        }: &PageQuery,
    ) -> diesel::QueryResult<(Vec<String>, Option<Position>)> {
        let ranked = order == Order::Relevance;
        let sqlite = matches!(conn, DbConnection::Sqlite(_));
        // Both engines search the query's terms: folded, stemmed, Chinese in pairs.
        let query = q.map(Query::parse);
        if let Some(None) = query {
            return Ok((vec![], None));
        }
        let q = query.flatten();
        let q = q.as_ref();
        let offset = match position {
            Position::Offset(n) | Position::Ranked { at: n, .. } => n,
            _ => 0,
        };
        // A ranked search reads the items it found when its first page was read: those up to
        // the last of them (`top`). In a table whose items are all public, that is its last
        // item, read by its index: the window over every match costs the first page a fifth
        // more or so (docs/benchmarks.md), and would tell nothing more.
        let upto = match position {
            Position::Ranked { upto, .. } if ranked && q.is_some() => Some(upto),
            _ if ranked && q.is_some() && !self.hides_items => Some(self.last_seq(conn)?),
            _ => None,
        };
        let mut sql;
        match (q, sqlite) {
            (None, _) => {
                sql = Sql::new(
                    conn,
                    &format!("SELECT r.seq, r.document FROM {} r WHERE 1 = 1", self.table),
                );
                filters(&mut sql);
                keyset(&mut sql, "r.seq", position, limit);
            }
            (Some(q), true) => {
                let s = self.search;
                // A table with hidden items is ranked by how often the query's terms occur in
                // the item itself (each occurrence is marked by two characters), as
                // PostgreSQL's `ts_rank` does, not by FTS5's `rank`: its bm25 weighs a term by
                // how many stored items hold it, hidden ones too, so the order of public
                // results would tell anyone which words unpublished activities contain. It
                // reads each match's text and costs more (docs/benchmarks.md); tables whose
                // items are all public keep `rank`. Lower ranks first.
                let rank = if self.hides_items {
                    format!("length({s}.body) - length(highlight({s}, 0, char(1), char(2)))")
                } else {
                    format!("{s}.rank")
                };
                // The matches drive the query (`CROSS JOIN` keeps SQLite's planner from turning
                // it round): driven by a filter's index instead, SQLite asked the full-text
                // index about each row the filter kept, which took 11 s for
                // `q=rights&session=33` at UN scale against 80 ms for a ranking
                // (docs/benchmarks.md), and 790 ms against 34 ms for a page in creation order.
                // A ranking reads every match; a page in creation order reads the matches in
                // the order of the full-text table's rowids (the items' `seq`), which FTS5
                // gives as it goes, up to the page's end (sorted by `r.seq`, every match was
                // read with its document for each page).
                let select = if ranked {
                    format!("SELECT r.seq, {rank} AS k")
                } else {
                    "SELECT r.seq, r.document".to_owned()
                };
                sql = Sql::new(
                    conn,
                    &format!(
                        "{select} FROM {s} CROSS JOIN {} r ON r.seq = {s}.rowid WHERE {s} MATCH ",
                        self.table
                    ),
                );
                sql.text(q.fts5());
                filters(&mut sql);
                if ranked {
                    if let Some(upto) = upto {
                        sql.push(" AND r.seq <= ").int(upto);
                    }
                    // Checked on one match in 64 (a call on each match served 0.83 times the
                    // searches a second under load; docs/benchmarks.md): the search ends at
                    // its time limit.
                    sql.push(" AND (r.seq % 64 <> 0 OR upr_tc_in_time())");
                    self.ranked_page(&mut sql, limit, offset, upto);
                } else {
                    keyset(&mut sql, &format!("{s}.rowid"), position, limit);
                }
            }
            (Some(q), false) => {
                if ranked {
                    sql = Sql::new(
                        conn,
                        "SELECT r.seq, -ts_rank(r.search, to_tsquery('simple', ",
                    );
                    sql.text(q.tsquery()).push(")) AS k");
                } else {
                    sql = Sql::new(conn, "SELECT r.seq, r.document");
                }
                sql.push(&format!(
                    " FROM {} r WHERE r.search @@ to_tsquery('simple', ",
                    self.table
                ));
                sql.text(q.tsquery()).push(")");
                filters(&mut sql);
                if ranked {
                    if let Some(upto) = upto {
                        sql.push(" AND r.seq <= ").int(upto);
                    }
                    self.ranked_page(&mut sql, limit, offset, upto);
                } else {
                    keyset(&mut sql, "r.seq", position, limit);
                }
            }
        }
        let ranked = ranked && q.is_some();
        if ranked {
            bound_page(sqlite, &mut sql, "q.k, q.seq", ", q.top");
        } else {
            bound_page(sqlite, &mut sql, "q.seq", "");
        }
        // Run on every request, with a text of a few shapes: planned once per connection.
        sql.keep_plan();
        let (mut rows, cut, upto) = if ranked {
            let (rows, cut) = ranked_with_timeout(conn, &sql)?;
            let upto = upto.or_else(|| rows.first().map(|r| r.top));
            let rows = rows
                .into_iter()
                .map(|r| DocumentRow {
                    seq: r.seq,
                    document: r.document,
                })
                .collect();
            (rows, cut, upto)
        } else {
            let (rows, cut) = load_page_documents(conn, &sql)?;
            (rows, cut, None)
        };
        let mut more = cut || rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let fit = super::within_page_bytes(rows.iter().map(|r| r.document.len()));
        if fit < rows.len() {
            rows.truncate(fit);
            more = true;
        }
        let next = match (more, upto, rows.last()) {
            (true, None, Some(last)) => Some(Position::After(last.seq)),
            (true, Some(upto), _) => Some(Position::Ranked {
                at: offset + rows.len() as i64,
                upto,
            }),
            _ => None,
        };
        Ok((rows.into_iter().map(|r| r.document).collect(), next))
    }
}

impl Table {
    /// The sequence number of the table's latest item (0 when it has none).
    fn last_seq(&self, conn: &mut DbConnection) -> diesel::QueryResult<i64> {
        let mut sql = Sql::new(
            conn,
            &format!(
                "SELECT coalesce(max(seq), 0) AS seq, '' AS document FROM {}",
                self.table
            ),
        );
        sql.keep_plan();
        Ok(load_documents(conn, &sql)?.first().map_or(0, |row| row.seq))
    }

    /// Ends a query that selects each match's `r.seq` and its rank `k` (lower first) with
    /// ` ORDER BY k, r.seq LIMIT … OFFSET …`, and reads the documents of that page alone: the
    /// ranking sorts numbers, not every match's document. Each row also says the search's
    /// `top` ([`top`]; computed over the matches as a query around theirs: SQLite's full-text
    /// functions cannot be called beside a window function).
    fn ranked_page(&self, sql: &mut Sql, limit: i64, offset: i64, upto: Option<i64>) {
        sql.text = format!("SELECT seq, k, {} AS top FROM ({}) r", top(upto), sql.text);
        sql.push(" ORDER BY k, r.seq LIMIT ")
            .int(limit + 1)
            .push(" OFFSET ")
            .int(offset);
        sql.text = format!(
            "SELECT d.seq, d.document, p.k, p.top FROM ({}) p JOIN {} d ON d.seq = p.seq \
             ORDER BY p.k, p.seq",
            sql.text, self.table
        );
    }
}

/// Keeps the SQLite full-text entry of an item (PostgreSQL's `search` column is generated):
/// FTS5 tables are SQLite's own, outside the shared schema.
pub fn set_search(
    conn: &mut DbConnection,
    table: &Table,
    seq: i64,
    text: Option<&str>,
) -> diesel::QueryResult<()> {
    if let DbConnection::Sqlite(_) = conn {
        let mut sql = Sql::new(
            conn,
            &format!("DELETE FROM {} WHERE rowid = ", table.search),
        );
        sql.int(seq);
        execute(conn, &sql)?;
        if let Some(text) = text {
            insert_search(conn, table, &[(seq, text.to_owned())])?;
        }
    }
    Ok(())
}

/// Adds the SQLite full-text entries of new items: `(seq, folded text)`.
pub fn insert_search(
    conn: &mut DbConnection,
    table: &Table,
    entries: &[(i64, String)],
) -> diesel::QueryResult<()> {
    if let DbConnection::Sqlite(_) = conn {
        // As few statements as can be: FTS5 writes what it holds of the transaction to the
        // index as a new segment at every statement (its savepoint), and the segments are
        // merged later. An import gives a run of rows at a time (`db::RUN`): that many rows
        // make a statement whose text is always the same, kept rather than parsed and planned
        // again for each run.
        for part in entries.chunks(500) {
            let mut sql = Sql::new(
                conn,
                &format!("INSERT INTO {} (rowid, body) VALUES ", table.search),
            );
            sql.seq_text_rows(part);
            if part.len() == crate::db::RUN {
                sql.keep_plan();
            }
            execute(conn, &sql)?;
        }
    }
    Ok(())
}

/// The conditions `filters` writes for the engine (`sqlite` or not), as text: the statement
/// and its values (what a page they chose is kept under, `app::kept`).
pub fn conditions(sqlite: bool, filters: &dyn Fn(&mut Sql)) -> String {
    let mut sql = Sql::for_engine(sqlite, "");
    filters(&mut sql);
    format!("{}\u{1}{:?}", sql.text, sql.binds)
}

/// ` AND r.seq > … ORDER BY r.seq LIMIT …`: a page in creation order after `position`, by
/// `seq` (`r.seq`, or what equals it: a full-text table's rowid).
fn keyset(sql: &mut Sql, seq: &str, position: Position, limit: i64) {
    if let Position::After(after) = position {
        sql.push(&format!(" AND {seq} > ")).int(after);
    }
    sql.push(&format!(" ORDER BY {seq} LIMIT ")).int(limit + 1);
}

/// `seq` and `document` of up to `limit` items of a table after `after` (a `seq`), in order.
pub fn documents_after(
    conn: &mut DbConnection,
    table: &Table,
    after: i64,
    limit: i64,
) -> diesel::QueryResult<Vec<DocumentRow>> {
    let mut sql = Sql::new(
        conn,
        &format!("SELECT seq, document FROM {} WHERE seq > ", table.table),
    );
    sql.int(after).push(" ORDER BY seq LIMIT ").int(limit);
    load_documents(conn, &sql)
}

/// Gives the item at `seq` the natural key `key`, unless another item holds it: returns that
/// item's id, or `None` when the key is the item's.
pub fn rekey(
    conn: &mut DbConnection,
    table: &Table,
    seq: i64,
    key: &str,
) -> diesel::QueryResult<Option<String>> {
    let t = table.table;
    let mut sql = Sql::new(conn, &format!("UPDATE {t} SET natural_key = "));
    sql.text(key)
        .push(" WHERE seq = ")
        .int(seq)
        .push(&format!(
            " AND NOT EXISTS (SELECT 1 FROM {t} WHERE natural_key = "
        ))
        .text(key)
        .push(")");
    if execute(conn, &sql)? > 0 {
        return Ok(None);
    }
    #[derive(diesel::QueryableByName)]
    struct Holder {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let mut sql = Sql::new(conn, &format!("SELECT id FROM {t} WHERE natural_key = "));
    sql.text(key).push(" AND seq <> ").int(seq);
    Ok(super::load::<Holder>(conn, &sql)?.pop().map(|h| h.id))
}

/// Writes the full-text terms of stored items again: `(seq, terms)`. PostgreSQL makes its
/// `search` column of the terms written to `search_text`; SQLite's FTS5 entries, which alone
/// hold its terms, are written anew (`documents::row_of`).
pub fn rewrite_search(
    conn: &mut DbConnection,
    table: &Table,
    entries: &[(i64, String)],
) -> diesel::QueryResult<()> {
    if let DbConnection::Postgres(_) = conn {
        // Five hundred rows a statement, not one: a round trip each is what a reindex waits on.
        for part in entries.chunks(500) {
            let mut sql = Sql::new(conn, "WITH v (seq, terms) AS (VALUES ");
            sql.seq_text_rows(part);
            let t = table.table;
            sql.push(&format!(
                ") UPDATE {t} SET search_text = v.terms FROM v WHERE {t}.seq = v.seq"
            ));
            execute(conn, &sql)?;
        }
    }
    if let DbConnection::Sqlite(_) = conn {
        for part in entries.chunks(500) {
            let seqs: Vec<i64> = part.iter().map(|(seq, _)| *seq).collect();
            let mut sql = Sql::new(
                conn,
                &format!("DELETE FROM {} WHERE rowid IN ", table.search),
            );
            sql.int_list(&seqs);
            execute(conn, &sql)?;
        }
        insert_search(conn, table, entries)?;
    }
    Ok(())
}
