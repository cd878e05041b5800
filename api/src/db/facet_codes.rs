//! The facets of recommendations, numbered: each (facet, value) any recommendation has is kept
//! once in `recommendation_facet_values` under a number, and a recommendation's facet rows are
//! that number and the recommendation's position (`migrations/*/2026-12-02-210000_facet_codes`).
//! A filter finds the value's number, then walks its recommendations in order
//! (`Table::facet_filter`). Numbers are added as values first appear and never removed, so a
//! number once read stays that value's.

use std::collections::HashMap;

use diesel::prelude::*;

use super::DbConnection;
use super::documents::Document;
use super::schema::{recommendation_facet_values as values, recommendation_facets as rows};
use super::sql::{KEY_LIST, keys};
use crate::domain::recommendation::Recommendation;

/// The table of the numbered values, as the recommendations' table description names it.
const VALUES: &str = match Recommendation::TABLE.facet_values {
    Some(table) => table,
    None => panic!("the recommendations' facets are numbered"),
};

/// Adds `(seq, facet, value)` rows, numbering the values not numbered yet.
pub fn insert(conn: &mut DbConnection, facets: &[(i64, &str, &str)]) -> QueryResult<()> {
    if facets.is_empty() {
        return Ok(());
    }
    let codes = codes(conn, facets.iter().map(|(_, f, v)| (*f, *v)))?;
    let rows = facets
        .iter()
        .map(|(seq, facet, value)| {
            let seq = i32::try_from(*seq).map_err(|_| out_of_range(*seq))?;
            // Every value was numbered just before; a value the database matched to none
            // (a comparison that differs from Rust's) fails the write, not the thread.
            let code = *codes
                .get(&(*facet, *value))
                .ok_or_else(|| unnumbered(facet, value))?;
            Ok((rows::code.eq(code), rows::recommendation_seq.eq(seq)))
        })
        .collect::<QueryResult<Vec<_>>>()?;
    super::in_runs!(conn, &rows, |c, run| diesel::insert_into(rows::table)
        .values(run)
        .execute(c)?);
    Ok(())
}

/// Whether any recommendation has had `value` as its `facet` (a value is numbered when it
/// first appears, and stays).
pub fn known(conn: &mut DbConnection, facet: &str, value: &str) -> QueryResult<bool> {
    let query = values::table
        .filter(values::facet.eq(facet))
        .filter(values::value.eq(value))
        .select(values::code);
    let found: Option<i32> = super::per_engine!(&mut *conn, c => query.first(c).optional()?);
    Ok(found.is_some())
}

/// Removes the facet rows of the recommendation at `seq`.
pub fn delete(conn: &mut DbConnection, seq: i64) -> QueryResult<()> {
    let seq = i32::try_from(seq).map_err(|_| out_of_range(seq))?;
    diesel::delete(rows::table.filter(rows::recommendation_seq.eq(seq))).execute(conn)?;
    Ok(())
}

/// The number of each of `pairs`, those not numbered yet numbered first. Writers take turns
/// (`super::tx::write`), so no other transaction numbers the same value meanwhile.
fn codes<'a>(
    conn: &mut DbConnection,
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> QueryResult<HashMap<(&'a str, &'a str), i32>> {
    let mut wanted: Vec<(&str, &str)> = pairs.collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut known = numbered(conn, &wanted)?;
    let missing: Vec<(&str, &str)> = wanted
        .iter()
        .filter(|p| !known.contains_key(*p))
        .copied()
        .collect();
    if !missing.is_empty() {
        for chunk in missing.chunks(500) {
            let new: Vec<_> = chunk
                .iter()
                .map(|(f, v)| (values::facet.eq(*f), values::value.eq(*v)))
                .collect();
            super::per_engine!(&mut *conn, c => diesel::insert_into(values::table)
                .values(&new)
                .execute(c))?;
        }
        known.extend(numbered(conn, &missing)?);
    }
    Ok(known)
}

/// The numbers of those of `pairs` that have one. One look-up a facet, of its own values: one
/// for all, every facet asked for against every value, made the database look up each pair of
/// the two lists (a batch's 200 values and 6 facets, 1,200 look-ups). `pairs` come sorted, so
/// each facet's are together.
fn numbered<'a>(
    conn: &mut DbConnection,
    pairs: &[(&'a str, &'a str)],
) -> QueryResult<HashMap<(&'a str, &'a str), i32>> {
    let mut out = HashMap::with_capacity(pairs.len());
    for of_facet in pairs.chunk_by(|a, b| a.0 == b.0) {
        let facet = of_facet[0].0;
        for chunk in of_facet.chunks(KEY_LIST) {
            let values: Vec<&str> = chunk.iter().map(|(_, v)| *v).collect();
            // Found by hashing, not by a search of the chunk for each: a batch of an import
            // asks for a few hundred.
            let found: HashMap<String, i32> = keys::codes(conn, VALUES, facet, &values)?
                .into_iter()
                .map(|c| (c.value, c.code))
                .collect();
            for pair in chunk {
                if let Some(code) = found.get(pair.1) {
                    out.insert(*pair, *code);
                }
            }
        }
    }
    Ok(out)
}

fn unnumbered(facet: &str, value: &str) -> diesel::result::Error {
    diesel::result::Error::SerializationError(
        format!("the {facet} facet's value `{value}` has no number after numbering").into(),
    )
}

fn out_of_range(seq: i64) -> diesel::result::Error {
    diesel::result::Error::SerializationError(
        format!("recommendation position {seq} is beyond what its facet rows hold").into(),
    )
}
