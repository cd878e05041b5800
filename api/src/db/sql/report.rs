//! What the annual report reads (issue 12): every activity in scope with the columns it
//! counts by, and the facets it counts by (States, themes, SDG targets, sources of funding,
//! roles, recommendations),
//! in two queries, neither of which reads a document. Public only, or every activity.

use diesel::sql_types::{BigInt, Nullable, Text};

use super::{Sql, load};
use crate::db::DbConnection;

/// An activity's columns the report counts by.
#[derive(Debug, diesel::QueryableByName)]
pub struct ActivityRow {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub modality: Option<String>,
    #[diesel(sql_type = Text)]
    pub submitter_kind: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub active_from: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub active_to: Option<String>,
    /// The day it was recorded, `YYYY-MM-DD`.
    #[diesel(sql_type = Text)]
    pub created: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub budget_currency: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub budget_amount: Option<String>,
}

/// A facet of an activity the report counts by.
#[derive(Debug, diesel::QueryableByName)]
pub struct FacetRow {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Text)]
    pub facet: String,
    #[diesel(sql_type = Text)]
    pub value: String,
}

fn scope(sql: &mut Sql, public_only: bool) {
    if public_only {
        sql.push(" WHERE ").flag("r.public", true);
    }
}

/// The activities in scope: public ones only, or all.
pub fn activities(
    conn: &mut DbConnection,
    public_only: bool,
) -> diesel::QueryResult<Vec<ActivityRow>> {
    let mut sql = Sql::new(
        conn,
        "SELECT r.seq, r.status, r.modality, r.submitter_kind, r.active_from, r.active_to, \
         substr(CAST(r.created_at AS TEXT), 1, 10) AS created, r.budget_currency, \
         r.budget_amount FROM activities r",
    );
    scope(&mut sql, public_only);
    load(conn, &sql)
}

/// The States, themes, SDG targets, sources of funding, participants' roles and
/// recommendations of the activities in scope.
pub fn facets(conn: &mut DbConnection, public_only: bool) -> diesel::QueryResult<Vec<FacetRow>> {
    let mut sql = Sql::new(
        conn,
        "SELECT f.activity_seq AS seq, f.facet, f.value FROM activity_facets f \
         JOIN activities r ON r.seq = f.activity_seq AND f.facet IN \
         ('state', 'theme', 'sdg_target', 'funding_source', 'role', 'recommendation')",
    );
    scope(&mut sql, public_only);
    load(conn, &sql)
}

/// What the figures depend on: the last entry of the audit trail (every write writes one) and
/// how many activities are public (a publication rule applied anew at start-up writes none).
/// While both are unchanged, so is every report.
pub fn data_version(conn: &mut DbConnection) -> diesel::QueryResult<(i64, i64)> {
    #[derive(diesel::QueryableByName)]
    struct Version {
        #[diesel(sql_type = BigInt)]
        head: i64,
        #[diesel(sql_type = BigInt)]
        public: i64,
    }
    let mut sql = Sql::new(
        conn,
        "SELECT (SELECT COALESCE(MAX(seq), 0) FROM audit_log) AS head, \
         (SELECT COUNT(*) FROM activities r WHERE ",
    );
    sql.flag("r.public", true).push(") AS public");
    let v: Vec<Version> = load(conn, &sql)?;
    Ok(v.first().map_or((0, 0), |v| (v.head, v.public)))
}

/// A good practice in scope: its id and document.
#[derive(Debug, diesel::QueryableByName)]
pub struct GoodPracticeRow {
    #[diesel(sql_type = Text)]
    pub document: String,
}

/// The activities in scope put forward as good practices.
pub fn good_practices(
    conn: &mut DbConnection,
    public_only: bool,
) -> diesel::QueryResult<Vec<GoodPracticeRow>> {
    let mut sql = Sql::new(conn, "SELECT r.document FROM activities r WHERE ");
    sql.flag("r.good_practice", true);
    if public_only {
        sql.push(" AND ").flag("r.public", true);
    }
    sql.push(" ORDER BY r.seq");
    load(conn, &sql)
}
