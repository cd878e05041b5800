//! A batch's look-ups of keys: which natural keys rows already hold, and the numbers of facet
//! values. A batch of an import asks for up to [`KEY_LIST`] keys at once; written with the
//! DSL's `eq_any`, each such statement had a text of its own length and was parsed and planned
//! again at every batch (with a batch's remainders, statements prepared were 4 % of an SQLite
//! import's writing). Here the lists are padded to one of a few lengths ([`Sql::key_list`])
//! and the statements kept.

use diesel::QueryResult;
use diesel::QueryableByName;
use diesel::sql_types::{Integer, Text};

use super::{KEY_LIST, Sql, load};
use crate::db::DbConnection;

#[derive(QueryableByName)]
struct Key {
    #[diesel(sql_type = Text)]
    natural_key: String,
}

/// Those of `keys` that rows of `table` (a document table, a constant) hold as their natural
/// key.
pub fn taken(conn: &mut DbConnection, table: &str, keys: &[String]) -> QueryResult<Vec<String>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(KEY_LIST) {
        let mut sql = Sql::new(
            conn,
            &format!("SELECT natural_key FROM {table} WHERE natural_key IN "),
        );
        sql.key_list(chunk).keep_plan();
        out.extend(load::<Key>(conn, &sql)?.into_iter().map(|k| k.natural_key));
    }
    Ok(out)
}

/// A facet's value and its number.
#[derive(QueryableByName)]
pub struct Code {
    #[diesel(sql_type = Text)]
    pub value: String,
    #[diesel(sql_type = Integer)]
    pub code: i32,
}

/// Those of `values` of `facet` that `table` (a table of facet values, a constant) numbers,
/// with their numbers.
pub fn codes(
    conn: &mut DbConnection,
    table: &str,
    facet: &str,
    values: &[&str],
) -> QueryResult<Vec<Code>> {
    let mut sql = Sql::new(
        conn,
        &format!("SELECT value, code FROM {table} WHERE facet = "),
    );
    sql.text(facet)
        .push(" AND value IN ")
        .key_list(values)
        .keep_plan();
    load(conn, &sql)
}
