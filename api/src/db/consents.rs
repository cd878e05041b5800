//! Consent records: written once (the database refuses to change or delete one), each write
//! re-evaluating the activities of its State in the same transaction.

use diesel::prelude::*;

use super::DbConnection;
use super::activities::verdicts::refresh_state;
use super::audit::{self, Actor, Operation};
use super::changes::{self, Change, Fed};
use super::documents::{WriteError, parse, parse_document, to_json};
use super::sql::filters;
use super::sql::search::Position;
use super::time::stored;
use crate::domain::consent::{Consent, ScopeKind};
use crate::domain::publication::{Access, Decision, Publication, Scope};
use crate::domain::{ActivityId, ConsentId, CountryCode, StakeholderId};

/// Records a consent; call inside a write transaction. Returns how many activities of the
/// State changed verdict.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    consent: &Consent,
) -> Result<usize, WriteError> {
    use super::schema::consents::dsl as c;
    let full = to_json(consent);
    let values = (
        c::id.eq(consent.id.to_string()),
        c::state.eq(consent.state.as_str()),
        c::decision.eq(consent.decision.as_str()),
        c::scope.eq(consent.scope.kind().as_str()),
        c::target.eq(consent.scope.target().map(|t| t.to_string())),
        c::document.eq(&full),
        c::recorded_at.eq(stored(consent.recorded_at)),
        c::granted_content.eq(consent.granted_content.as_deref()),
    );
    let row: i64 = super::per_engine!(&mut *conn, db => diesel::insert_into(c::consents)
        .values(&values)
        .returning(c::seq)
        .get_result(db))?;
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
    let mut changed = refresh_state(conn, &consent.state)?;
    // A decision by name about an activity the State was taken off (`app::consents::record`).
    if let Scope::Activity(id) = consent.scope {
        changed += super::activities::verdicts::refresh_taken_off(conn, id, &consent.state)?;
    }
    // The feed: the record in full for admin; for the public as `public_view` shows it.
    let id = consent.id.to_string();
    let public = public_view(consent).map(|p| to_json(&p));
    let full = Fed { row, json: full };
    let feed = vec![Change::new("consent", id, Some(full), false, public)];
    changes::record(conn, feed)?;
    Ok(changed)
}

/// What a list of consent records asks for.
#[derive(Debug, Clone)]
pub struct Filter {
    pub access: Access,
    pub state: Option<CountryCode>,
    pub decision: Option<Decision>,
    pub scope: Option<ScopeKind>,
    pub stakeholder_id: Option<StakeholderId>,
    pub activity_id: Option<ActivityId>,
}

/// A consent record as the public sees it, if it does: without who recorded it.
pub fn public_view(consent: &Consent) -> Option<Consent> {
    (!matches!(consent.scope, Scope::Activity(_))).then(|| {
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
    let rows = filters::consents(conn, f, position, limit)?;
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

pub fn get(conn: &mut DbConnection, id: ConsentId) -> diesel::QueryResult<Option<Consent>> {
    use super::schema::consents::dsl as c;
    c::consents
        .filter(c::id.eq(id.to_string()))
        .select(c::document)
        .first::<String>(conn)
        .optional()?
        .map(|d| parse_document(&d))
        .transpose()
}

/// The most recent record of each scope and target of a State, oldest first.
pub fn latest_of_state(
    conn: &mut DbConnection,
    state: &CountryCode,
    access: &Access,
) -> diesel::QueryResult<Vec<Consent>> {
    filters::latest_consents(conn, state, access)?
        .iter()
        .map(parse)
        .collect()
}

/// How many of a State's activities (submitted, concerning it) are public, and, with
/// `hidden`, how many await its consent and how many it refused.
pub fn counts(
    conn: &mut DbConnection,
    state: &CountryCode,
    hidden: bool,
) -> diesel::QueryResult<(i64, Option<(i64, i64)>)> {
    let mut how_many = |facet: &str, public: bool| -> diesel::QueryResult<i64> {
        use super::schema::{activities::dsl as a, activity_facets::dsl as f};
        let query = a::activities
            .inner_join(f::activity_facets)
            .filter(f::facet.eq(facet))
            .filter(f::value.eq(state.as_str()))
            .into_boxed();
        let query = if public {
            query.filter(a::public.eq(true))
        } else {
            query.filter(a::publication.eq(Publication::Submitted.as_str()))
        };
        query.count().get_result(conn)
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

/// The decision of a State's latest record by name on an activity, if it made one.
pub fn latest_by_name(
    conn: &mut DbConnection,
    activity: ActivityId,
    state: &CountryCode,
) -> diesel::QueryResult<Option<Decision>> {
    use super::schema::consents::dsl;
    dsl::consents
        .filter(dsl::scope.eq(ScopeKind::Activity.as_str()))
        .filter(dsl::target.eq(activity.to_string()))
        .filter(dsl::state.eq(state.as_str()))
        .order(dsl::seq.desc())
        .select(dsl::decision)
        .first::<String>(conn)
        .optional()?
        .map(|d| {
            Decision::parse(&d)
                .ok_or_else(|| super::stored::unreadable(format!("consent decision `{d}`")))
        })
        .transpose()
}

/// Whether any State has recorded a decision about this one activity (scope `activity`).
pub fn decided_by_name(conn: &mut DbConnection, activity: ActivityId) -> diesel::QueryResult<bool> {
    use super::schema::consents::dsl;
    let by_name = dsl::consents
        .filter(dsl::scope.eq(ScopeKind::Activity.as_str()))
        .filter(dsl::target.eq(activity.to_string()));
    diesel::select(diesel::dsl::exists(by_name)).get_result(conn)
}
