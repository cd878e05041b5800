//! What the annual report reads (issue 12): the activities with the columns they are counted
//! by, and their facets (States, themes, SDG targets, sources of funding, roles,
//! recommendations), every one or those named, without reading a document (but a good
//! practice's, for its title); the assistance requests and offers with the days they opened
//! and matched; and what was written since a point of the audit trail.

use diesel::sql_types::{BigInt, Bool, Nullable, Text};

use super::{Sql, load};
use crate::db::DbConnection;

/// An activity's columns the report counts by.
#[derive(Debug, diesel::QueryableByName)]
pub struct ActivityRow {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub submitter: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub submitter_state: Option<String>,
    #[diesel(sql_type = Text)]
    pub publication: String,
    #[diesel(sql_type = Bool)]
    pub public: bool,
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
    /// The day it was first submitted, `YYYY-MM-DD`.
    #[diesel(sql_type = Nullable<Text>)]
    pub submitted: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub budget_currency: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub budget_amount: Option<String>,
    /// Its document when it is put forward as a good practice (the list shows its title).
    #[diesel(sql_type = Nullable<Text>)]
    pub practice: Option<String>,
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

/// `AND r.id IN (…)` when only some activities are read.
fn only(sql: &mut Sql, ids: Option<&[String]>) {
    if let Some(ids) = ids {
        sql.push(" AND r.id IN ").text_list(ids);
    }
}

/// How many activities there are.
pub fn activity_count(conn: &mut DbConnection) -> diesel::QueryResult<usize> {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let sql = Sql::new(conn, "SELECT COUNT(*) AS n FROM activities");
    let counted: Vec<Count> = load(conn, &sql)?;
    Ok(counted.first().map_or(0, |c| c.n.max(0) as usize))
}

/// Up to `limit` activities after `after` (a `seq`), in order: of every activity, or of those
/// with these ids (at most a few hundred: the caller cuts).
pub fn activities(
    conn: &mut DbConnection,
    ids: Option<&[String]>,
    after: i64,
    limit: i64,
) -> diesel::QueryResult<Vec<ActivityRow>> {
    let mut sql = Sql::new(
        conn,
        "SELECT r.seq, r.id, r.submitter, r.submitter_state, r.publication, r.public, r.status, \
         r.modality, r.submitter_kind, r.active_from, r.active_to, \
         substr(CAST(r.created_at AS TEXT), 1, 10) AS created, \
         substr(CAST(r.submitted_at AS TEXT), 1, 10) AS submitted, r.budget_currency, \
         r.budget_amount, CASE WHEN ",
    );
    sql.flag("r.good_practice", true)
        .push(" THEN r.document END AS practice FROM activities r WHERE r.seq > ")
        .int(after);
    only(&mut sql, ids);
    sql.push(" ORDER BY r.seq LIMIT ").int(limit);
    load(conn, &sql)
}

/// The States, themes, SDG targets, sources of funding, participants' roles and
/// recommendations of the activities `seqs` holds (after its start, up to its end): of every
/// one, or of those with these ids.
pub fn facets(
    conn: &mut DbConnection,
    ids: Option<&[String]>,
    seqs: (i64, i64),
) -> diesel::QueryResult<Vec<FacetRow>> {
    let mut sql = Sql::new(
        conn,
        "SELECT f.activity_seq AS seq, f.facet, f.value FROM activity_facets f \
         JOIN activities r ON r.seq = f.activity_seq WHERE f.facet IN \
         ('state', 'theme', 'sdg_target', 'funding_source', 'role', 'recommendation') \
         AND f.activity_seq > ",
    );
    sql.int(seqs.0).push(" AND f.activity_seq <= ").int(seqs.1);
    only(&mut sql, ids);
    load(conn, &sql)
}

/// An assistance request or an offer, as the matching summary counts it.
#[derive(Debug, diesel::QueryableByName)]
pub struct ItemRow {
    #[diesel(sql_type = Bool)]
    pub public: bool,
    /// The day it first opened, `YYYY-MM-DD`.
    #[diesel(sql_type = Nullable<Text>)]
    pub opened: Option<String>,
    /// The day an interest in it was accepted (requests only).
    #[diesel(sql_type = Nullable<Text>)]
    pub matched: Option<String>,
}

/// Every assistance request that opened, with the day an interest in it was accepted.
pub fn requests(conn: &mut DbConnection) -> diesel::QueryResult<Vec<ItemRow>> {
    let sql = Sql::new(
        conn,
        "SELECT r.public, substr(CAST(r.opened_at AS TEXT), 1, 10) AS opened, \
         (SELECT substr(CAST(MIN(i.decided_at) AS TEXT), 1, 10) FROM interests i \
          WHERE i.assistance_request = r.id AND i.status = 'accepted') AS matched \
         FROM assistance_requests r WHERE r.opened_at IS NOT NULL",
    );
    load(conn, &sql)
}

/// Every offer that opened.
pub fn offers(conn: &mut DbConnection) -> diesel::QueryResult<Vec<ItemRow>> {
    let sql = Sql::new(
        conn,
        "SELECT r.public, substr(CAST(r.opened_at AS TEXT), 1, 10) AS opened, \
         CAST(NULL AS TEXT) AS matched FROM offers r WHERE r.opened_at IS NOT NULL",
    );
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

/// An entry of the audit trail: what was written.
#[derive(Debug, diesel::QueryableByName)]
pub struct Written {
    #[diesel(sql_type = Text)]
    pub entity: String,
    #[diesel(sql_type = Text)]
    pub entity_id: String,
}

/// What was written after entry `from` of the audit trail up to entry `to`, at most `limit`
/// entries.
pub fn written(
    conn: &mut DbConnection,
    from: i64,
    to: i64,
    limit: i64,
) -> diesel::QueryResult<Vec<Written>> {
    let mut sql = Sql::new(conn, "SELECT entity, entity_id FROM audit_log WHERE seq > ");
    sql.int(from)
        .push(" AND seq <= ")
        .int(to)
        .push(" ORDER BY seq LIMIT ")
        .int(limit);
    load(conn, &sql)
}

/// The ids of the activities a write of these consent records or stakeholders may change:
/// those concerning the records' States (how the State stands on each), those the records
/// name (a State taken off an activity may still lift its refusal of it by name), and those
/// the stakeholders submitted (their kind, and whether they are a State's own).
pub fn touched(
    conn: &mut DbConnection,
    consents: &[String],
    stakeholders: &[String],
) -> diesel::QueryResult<Vec<String>> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = Text)]
        id: String,
    }
    let mut sql = Sql::new(conn, "SELECT r.id FROM activities r WHERE r.submitter IN ");
    sql.text_list(stakeholders)
        .push(
            " UNION SELECT r.id FROM activities r JOIN activity_facets f \
             ON f.activity_seq = r.seq AND f.facet = 'state' \
             WHERE f.value IN (SELECT c.state FROM consents c WHERE c.id IN ",
        )
        .text_list(consents)
        .push(
            ") UNION SELECT c.target FROM consents c \
             WHERE c.scope = 'activity' AND c.target IS NOT NULL AND c.id IN ",
        )
        .text_list(consents);
    let ids: Vec<Id> = load(conn, &sql)?;
    Ok(ids.into_iter().map(|i| i.id).collect())
}
