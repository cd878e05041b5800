//! The activities linked to a State's recommendations that a caller may see, for the
//! coordination view: one query over the recommendation facets of activities, joined to the
//! recommendations of that State, through the same access filter as every list of activities.

use diesel::sql_types::{Nullable, Text};

use super::filters::access_filter;
use super::{Sql, load};
use crate::db::DbConnection;
use crate::domain::CountryCode;
use crate::domain::publication::Access;

/// One activity's link to one of the State's recommendations.
#[derive(Debug, diesel::QueryableByName)]
pub struct LinkRow {
    #[diesel(sql_type = Text)]
    pub recommendation: String,
    #[diesel(sql_type = Text)]
    pub activity: String,
    #[diesel(sql_type = Text)]
    pub submitter: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub active_from: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub active_to: Option<String>,
}

/// Every link from an activity `access` sees to a recommendation made to `state`.
pub fn links(
    conn: &mut DbConnection,
    state: &CountryCode,
    access: &Access,
) -> diesel::QueryResult<Vec<LinkRow>> {
    let mut sql = Sql::new(
        conn,
        "SELECT f.value AS recommendation, r.id AS activity, r.submitter, r.status, \
         r.active_from, r.active_to \
         FROM activity_facets f \
         JOIN activities r ON r.seq = f.activity_seq \
         JOIN recommendations rc ON rc.id = f.value \
         WHERE f.facet = 'recommendation' AND rc.state_under_review = ",
    );
    sql.text(state.as_str());
    access_filter(&mut sql, access);
    sql.push(" ORDER BY r.seq");
    load(conn, &sql)
}
