//! Consent records: written once (the database refuses to change or delete one), each write
//! re-evaluating the activities of its State in the same transaction.

use uuid::Uuid;

use super::DbConnection;
use super::activities::verdicts::refresh_state;
use super::audit::{self, Actor, Operation};
use super::changes::{self, Change};
use super::documents::{WriteError, parse, to_json};
use super::query::{Sql, count, execute, load_documents};
use super::search::Position;
use super::time::timestamp;
use crate::domain::consent::{Consent, ScopeKind};
use crate::domain::publication::{Access, Decision};

/// Records a consent; call inside a write transaction. Returns how many activities of the
/// State changed verdict.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    consent: &Consent,
) -> Result<usize, WriteError> {
    let mut sql = Sql::new(
        "INSERT INTO consents (id, state, decision, scope, target, document, recorded_at) VALUES (",
    );
    sql.text(consent.id.to_string())
        .push(", ")
        .text(consent.state.clone())
        .push(", ")
        .text(consent.decision.as_str())
        .push(", ");
    sql.text(consent.scope.as_str()).push(", ");
    match consent.target() {
        Some(target) => sql.text(target.to_string()),
        None => sql.push("NULL"),
    };
    sql.push(", ")
        .text(to_json(consent))
        .push(", ")
        .text(timestamp(consent.recorded_at))
        .push(")");
    execute(conn, &sql)?;
    let after = serde_json::to_value(consent).expect("consents serialise");
    audit::record(
        conn,
        actor,
        "consent",
        &consent.id.to_string(),
        Operation::Create,
        None,
        Some(&after),
    )?;
    let changed = refresh_state(conn, &consent.state)?;
    // The feed: the record in full for admin; for the public as `public_view` shows it.
    let id = consent.id.to_string();
    let full = to_json(consent);
    let public = public_view(consent).map(|p| to_json(&p));
    let feed = vec![Change::new("consent", id, Some(full), None, public)];
    changes::record(conn, feed)?;
    Ok(changed)
}

/// What a list of consent records asks for.
#[derive(Debug, Clone)]
pub struct Filter {
    pub access: Access,
    pub state: Option<String>,
    pub decision: Option<Decision>,
    pub scope: Option<ScopeKind>,
    pub stakeholder_id: Option<Uuid>,
    pub activity_id: Option<Uuid>,
}

/// Which records a caller sees: records about all submissions or a submitter's are public; a
/// record about one activity is between the State and whoever may see that activity, never
/// public (not in lists, the public feed or the snapshot, whatever becomes of the activity).
fn access_filter(sql: &mut Sql, access: &Access) {
    match access {
        Access::Everything => {}
        Access::Public => {
            sql.push(" AND c.scope <> 'activity'");
        }
        other => {
            sql.push(" AND (c.scope <> 'activity' OR EXISTS (SELECT 1 FROM activities r WHERE r.id = c.target");
            super::activities::filter::access_filter(sql, other);
            sql.push("))");
        }
    }
}

/// A consent record as the public sees it, if it does: without who recorded it.
pub fn public_view(consent: &Consent) -> Option<Consent> {
    (consent.scope != ScopeKind::Activity).then(|| {
        let mut public = consent.clone();
        public.recorded_by.subject = None;
        public
    })
}

/// A page of records in the order they were recorded.
pub fn list(
    conn: &mut DbConnection,
    f: &Filter,
    position: Position,
    limit: i64,
) -> diesel::QueryResult<(Vec<Consent>, Option<Position>)> {
    let mut sql = Sql::new("SELECT c.seq, c.document FROM consents c WHERE 1 = 1");
    access_filter(&mut sql, &f.access);
    if let Some(state) = &f.state {
        sql.push(" AND c.state = ").text(state.clone());
    }
    if let Some(decision) = f.decision {
        sql.push(" AND c.decision = ").text(decision.as_str());
    }
    if let Some(scope) = f.scope {
        sql.push(" AND c.scope = ").text(scope.as_str());
    }
    if let Some(id) = f.stakeholder_id {
        sql.push(" AND c.scope = 'submitter' AND c.target = ")
            .text(id.to_string());
    }
    if let Some(id) = f.activity_id {
        sql.push(" AND c.scope = 'activity' AND c.target = ")
            .text(id.to_string());
    }
    if let Position::After(seq) = position {
        sql.push(" AND c.seq > ").int(seq);
    }
    sql.push(" ORDER BY c.seq LIMIT ").int(limit + 1);
    let rows = load_documents(conn, &sql)?;
    let more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next = if more {
        rows.last().map(|r| Position::After(r.seq))
    } else {
        None
    };
    let items = rows.iter().map(parse).collect::<Result<_, _>>()?;
    Ok((items, next))
}

pub fn get(conn: &mut DbConnection, id: Uuid) -> diesel::QueryResult<Option<Consent>> {
    let mut sql = Sql::new("SELECT seq, document FROM consents WHERE id = ");
    sql.text(id.to_string());
    load_documents(conn, &sql)?.first().map(parse).transpose()
}

/// The most recent record of each scope and target of a State, oldest first.
pub fn latest_of_state(
    conn: &mut DbConnection,
    state: &str,
    access: &Access,
) -> diesel::QueryResult<Vec<Consent>> {
    let mut sql = Sql::new(
        "SELECT c.seq, c.document FROM consents c WHERE c.seq IN (SELECT MAX(seq) FROM consents WHERE state = ",
    );
    sql.text(state)
        .push(" GROUP BY scope, COALESCE(target, ''))");
    access_filter(&mut sql, access);
    sql.push(" ORDER BY c.seq");
    load_documents(conn, &sql)?.iter().map(parse).collect()
}

/// How many of a State's activities (submitted, concerning it) are public, and, with
/// `hidden`, how many await its consent and how many it refused.
pub fn counts(
    conn: &mut DbConnection,
    state: &str,
    hidden: bool,
) -> diesel::QueryResult<(i64, Option<(i64, i64)>)> {
    let mut how_many = |facet: &str, public: bool| -> diesel::QueryResult<i64> {
        let mut sql = Sql::new(
            "SELECT COUNT(*) AS n FROM activities r JOIN activity_facets f ON f.activity_seq = r.seq WHERE f.facet = ",
        );
        sql.text(facet).push(" AND f.value = ").text(state);
        if public {
            sql.push(" AND r.public = 1");
        } else {
            sql.push(" AND r.publication = 'submitted'");
        }
        count(conn, &sql)
    };
    let public = how_many("state", true)?;
    if !hidden {
        return Ok((public, None));
    }
    Ok((
        public,
        Some((how_many("awaiting", false)?, how_many("refused", false)?)),
    ))
}

/// Whether a State has recorded a decision about this one activity (scope `activity`).
pub fn decided_by_name(conn: &mut DbConnection, activity: Uuid) -> diesel::QueryResult<bool> {
    use super::schema::consents::dsl;
    use diesel::prelude::*;
    diesel::select(diesel::dsl::exists(
        dsl::consents
            .filter(dsl::scope.eq(ScopeKind::Activity.as_str()))
            .filter(dsl::target.eq(activity.to_string())),
    ))
    .get_result(conn)
}
