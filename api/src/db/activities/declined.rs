//! The stakeholders that took themselves off an activity that named them as participants: no
//! later write names one of them on that activity again but admin's (`app::activities`).

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::activity_declined_participants::dsl as d;
use crate::domain::{ActivityId, StakeholderId};

/// Records that `stakeholder` declined to take part in `activity` (once, however often it is
/// told).
pub fn record(
    conn: &mut DbConnection,
    activity: ActivityId,
    stakeholder: StakeholderId,
) -> QueryResult<()> {
    let row = (
        d::activity_id.eq(activity.to_string()),
        d::stakeholder_id.eq(stakeholder.to_string()),
    );
    let known = d::activity_declined_participants
        .filter(d::activity_id.eq(activity.to_string()))
        .filter(d::stakeholder_id.eq(stakeholder.to_string()))
        .count()
        .get_result::<i64>(conn)?;
    if known == 0 {
        diesel::insert_into(d::activity_declined_participants)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Those of `stakeholders` that declined to take part in `activity`.
pub fn among(
    conn: &mut DbConnection,
    activity: ActivityId,
    stakeholders: &[StakeholderId],
) -> QueryResult<Vec<StakeholderId>> {
    if stakeholders.is_empty() {
        return Ok(vec![]);
    }
    let named: Vec<String> = stakeholders.iter().map(StakeholderId::to_string).collect();
    let rows: Vec<String> = d::activity_declined_participants
        .filter(d::activity_id.eq(activity.to_string()))
        .filter(d::stakeholder_id.eq_any(&named))
        .select(d::stakeholder_id)
        .load(conn)?;
    Ok(stakeholders
        .iter()
        .filter(|s| rows.contains(&s.to_string()))
        .copied()
        .collect())
}
