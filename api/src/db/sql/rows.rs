//! A bulk write's rows, a whole run ([`RUN`]) of them in one statement, with the values every
//! row of the run holds bound once, in the first row, and named by their numbers in the others:
//! an import's audit entries share their time, actor, role, kind and operation, and its changes
//! their kind, operations and time, which diesel's DSL binds again for every row.

use std::marker::PhantomData;

use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::{Engine, Value, bind};
use crate::db::time::StoredTime;
use crate::db::{DbConnection, RUN};

/// The columns of a table that a whole run of rows fills: those every row of the run holds
/// the same value in ([`SHARED`](RunOf::SHARED)), then each row's own.
pub trait RunOf: 'static {
    const TABLE: &'static str;
    const SHARED: &'static [&'static str];
    const OWN: &'static [&'static str];
}

/// The audit trail's entries of one operation by one actor (`db::audit`).
pub struct AuditEntries;

impl RunOf for AuditEntries {
    const TABLE: &'static str = "audit_log";
    const SHARED: &'static [&'static str] = &["at", "actor", "role", "entity", "operation"];
    const OWN: &'static [&'static str] = &["entity_id", "changes"];
}

/// The feed's changes of one kind and operations (`db::changes`).
pub struct Changes;

impl RunOf for Changes {
    const TABLE: &'static str = "changes";
    const SHARED: &'static [&'static str] = &["entity", "op", "at", "data", "public_op"];
    const OWN: &'static [&'static str] = &["item_seq", "entity_id", "public_data"];
}

/// Inserts a whole run of rows of `K`'s table: `shared`, the values of `K::SHARED` every row
/// holds, and `own`, each row's values of `K::OWN` one row after the other.
pub fn insert_run<K: RunOf>(
    conn: &mut DbConnection,
    shared: &[Value],
    own: &[Value],
) -> QueryResult<()> {
    // The statement is known by its type alone (`QueryId`): another length would be run as
    // the text prepared for a whole run.
    assert_eq!(shared.len(), K::SHARED.len(), "{}: shared values", K::TABLE);
    assert_eq!(own.len(), RUN * K::OWN.len(), "{}: a whole run", K::TABLE);
    let run = Run::<K> {
        shared,
        own,
        kind: PhantomData,
    };
    crate::db::per_engine!(conn, c => run.execute(c))?;
    Ok(())
}

/// A whole run's statement. Its text depends on `K` alone, so diesel prepares it once per
/// connection and finds it again by its type; a statement of text ([`super::Sql`]) is found by
/// its text, which would be written and hashed again at every run.
struct Run<'a, K> {
    shared: &'a [Value],
    own: &'a [Value],
    kind: PhantomData<K>,
}

/// How an engine names the `n`th value bound, for `n` up to 8: the same value again.
trait Numbered {
    const AGAIN: [&'static str; 9];
}

impl Numbered for diesel::sqlite::Sqlite {
    const AGAIN: [&'static str; 9] = ["?0", "?1", "?2", "?3", "?4", "?5", "?6", "?7", "?8"];
}

impl Numbered for diesel::pg::Pg {
    const AGAIN: [&'static str; 9] = ["$0", "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8"];
}

impl<DB: Engine + Numbered, K: RunOf> QueryFragment<DB> for Run<'_, K>
where
    String: diesel::serialize::ToSql<Text, DB>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    StoredTime: diesel::serialize::ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("INSERT INTO ");
        out.push_sql(K::TABLE);
        out.push_sql(" (");
        for (i, column) in K::SHARED.iter().chain(K::OWN).enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_sql(column);
        }
        out.push_sql(") VALUES ");
        for (r, own) in self.own.chunks(K::OWN.len()).enumerate() {
            out.push_sql(if r == 0 { "(" } else { ", (" });
            // The shared values are bound first, so the `n`th of them is the `n`th bound.
            for (i, value) in self.shared.iter().enumerate() {
                if i > 0 {
                    out.push_sql(", ");
                }
                if r == 0 {
                    bind(&mut out, value)?;
                } else {
                    out.push_sql(DB::AGAIN[i + 1]);
                }
            }
            for value in own {
                out.push_sql(", ");
                bind(&mut out, value)?;
            }
            out.push_sql(")");
        }
        Ok(())
    }
}

impl<K: RunOf> QueryId for Run<'_, K> {
    type QueryId = K;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<K, C: Connection> RunQueryDsl<C> for Run<'_, K> {}

#[cfg(test)]
mod tests {
    use super::*;

    struct Table;

    impl RunOf for Table {
        const TABLE: &'static str = "t";
        const SHARED: &'static [&'static str] = &["a", "b"];
        const OWN: &'static [&'static str] = &["c"];
    }

    /// The shared values are bound once, in the first row, and named by their numbers in the
    /// others, as each engine numbers them; each row's own values are bound in order.
    #[test]
    fn shared_values_are_bound_once_and_named_again() {
        let shared = [Value::Text("same".into()), Value::MaybeInt(None)];
        let own: Vec<Value> = (0..RUN as i64).map(Value::Int).collect();
        let run = Run::<Table> {
            shared: &shared,
            own: &own,
            kind: PhantomData,
        };
        let sqlite = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&run).to_string();
        assert!(
            sqlite
                .starts_with("INSERT INTO t (a, b, c) VALUES (?, ?, ?), (?1, ?2, ?), (?1, ?2, ?)"),
            "{sqlite}"
        );
        assert!(
            sqlite.contains(r#"-- binds: ["same", None, 0, 1, 2, "#),
            "{sqlite}"
        );
        let pg = diesel::debug_query::<diesel::pg::Pg, _>(&run).to_string();
        assert!(
            pg.starts_with(
                "INSERT INTO t (a, b, c) VALUES ($1, $2, $3), ($1, $2, $4), ($1, $2, $5)"
            ),
            "{pg}"
        );
        assert_eq!(pg.matches("($1, $2, $").count(), RUN, "{pg}");
    }
}
