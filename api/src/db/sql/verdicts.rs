//! The verdicts of many activities written at once, after a State's decision or a change of
//! the rule (`db::activities::verdicts`): on PostgreSQL one statement of arrays for a few
//! hundred activities, where a statement for each was a round trip, most of the time a State's
//! blanket decision held the write lock; on SQLite, in the process itself, a statement each.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};

use crate::db::DbConnection;

/// What the rule's verdict writes of one activity: its document (which holds the verdict) and
/// the columns lists filter on.
pub struct Verdict {
    pub seq: i64,
    pub document: String,
    pub public: bool,
    pub submitter_kind: String,
    pub submitter_state: Option<String>,
}

/// Activities a statement writes on PostgreSQL: a few megabytes of documents at most.
pub const AT_ONCE: usize = 500;

/// The columns of each activity by its `seq`, from arrays of equal length: the triggers on
/// `activities` run for each row as they do for an update of one.
const SET_POSTGRES: &str = "UPDATE activities AS a \
     SET document = v.document, public = v.public, submitter_kind = v.submitter_kind, \
         submitter_state = v.submitter_state \
     FROM unnest($1, $2, $3, $4, $5) AS v(seq, document, public, submitter_kind, submitter_state) \
     WHERE a.seq = v.seq";

/// Writes the verdicts, in the order given.
pub fn write(conn: &mut DbConnection, verdicts: &[Verdict]) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            use crate::db::schema::activities::dsl as a;
            for v in verdicts {
                diesel::update(a::activities.filter(a::seq.eq(v.seq)))
                    .set((
                        a::document.eq(&v.document),
                        a::public.eq(v.public),
                        a::submitter_kind.eq(&v.submitter_kind),
                        a::submitter_state.eq(&v.submitter_state),
                    ))
                    .execute(c)?;
            }
        }
        DbConnection::Postgres(c) => {
            for chunk in verdicts.chunks(AT_ONCE) {
                let column = |f: fn(&Verdict) -> String| chunk.iter().map(f).collect::<Vec<_>>();
                diesel::sql_query(SET_POSTGRES)
                    .bind::<Array<BigInt>, _>(chunk.iter().map(|v| v.seq).collect::<Vec<_>>())
                    .bind::<Array<Text>, _>(column(|v| v.document.clone()))
                    .bind::<Array<Bool>, _>(chunk.iter().map(|v| v.public).collect::<Vec<_>>())
                    .bind::<Array<Text>, _>(column(|v| v.submitter_kind.clone()))
                    .bind::<Array<Nullable<Text>>, _>(
                        chunk
                            .iter()
                            .map(|v| v.submitter_state.clone())
                            .collect::<Vec<_>>(),
                    )
                    .execute(c)?;
            }
        }
    }
    Ok(())
}
