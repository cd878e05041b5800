//! The stakeholders that took themselves off an activity that named them as participants: no
//! later write names one of them on that activity, nor on another of its natural key, again but
//! admin's (`app::activities`).

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::activity_declined_participants::dsl as d;
use crate::domain::{ActivityId, StakeholderId};

/// Records that `stakeholder` declined to take part in `activity`, whose natural key is
/// `natural_key` (once, however often it is told).
pub fn record(
    conn: &mut DbConnection,
    activity: ActivityId,
    stakeholder: StakeholderId,
    natural_key: &str,
) -> QueryResult<()> {
    let known = d::activity_declined_participants
        .filter(d::activity_id.eq(activity.to_string()))
        .filter(d::stakeholder_id.eq(stakeholder.to_string()))
        .count()
        .get_result::<i64>(conn)?;
    if known == 0 {
        diesel::insert_into(d::activity_declined_participants)
            .values((
                d::activity_id.eq(activity.to_string()),
                d::stakeholder_id.eq(stakeholder.to_string()),
                d::natural_key.eq(natural_key),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Gives the declines of `activity` its natural key `natural_key` (`documents::reindex` wrote
/// the activity's anew: a character that shows nothing is read past).
pub fn rekey(conn: &mut DbConnection, activity: ActivityId, natural_key: &str) -> QueryResult<()> {
    diesel::update(
        d::activity_declined_participants.filter(d::activity_id.eq(activity.to_string())),
    )
    .set(d::natural_key.eq(natural_key))
    .execute(conn)
    .map(drop)
}

/// Those of `stakeholders` that declined to take part in `activity` (if it exists yet), or in
/// an activity of `natural_key`.
pub fn among(
    conn: &mut DbConnection,
    activity: Option<ActivityId>,
    natural_key: &str,
    stakeholders: &[StakeholderId],
) -> QueryResult<Vec<StakeholderId>> {
    if stakeholders.is_empty() {
        return Ok(vec![]);
    }
    let named: Vec<String> = stakeholders.iter().map(StakeholderId::to_string).collect();
    let id = activity.map(|a| a.to_string()).unwrap_or_default();
    let rows: Vec<String> = d::activity_declined_participants
        .filter(d::activity_id.eq(id).or(d::natural_key.eq(natural_key)))
        .filter(d::stakeholder_id.eq_any(&named))
        .select(d::stakeholder_id)
        .load(conn)?;
    Ok(stakeholders
        .iter()
        .filter(|s| rows.contains(&s.to_string()))
        .copied()
        .collect())
}
