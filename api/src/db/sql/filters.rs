//! Lists filtered by any combination of their filters: each filter an `AND` clause over the
//! table aliased `r` (consent records: `c`), most of them a set of items read from the facet
//! rows. The DSL could say each clause, but not a query whose clauses are chosen at run time
//! and shared with the full-text search of `search`, which is hand-written too; so the
//! clauses are written here, once, for both.

use super::search::Position;
use super::{DocumentRow, Sql, load_documents};
use crate::db::DbConnection;
use crate::db::activities::filter::Filter as ActivityFilter;
use crate::db::assistance_requests::Filter as RequestFilter;
use crate::db::consents::Filter as ConsentFilter;
use crate::db::documents::Document;
use crate::db::offers::Filter as OfferFilter;
use crate::db::recommendations::Filter as RecommendationFilter;
use crate::db::stakeholders::Filter as StakeholderFilter;
use crate::db::table::Table;
use crate::domain::CountryCode;
use crate::domain::activity::Activity;
use crate::domain::assistance_request::AssistanceRequest;
use crate::domain::offer::{Offer, Place};
use crate::domain::publication::Access;
use crate::domain::recommendation::Recommendation;
use crate::domain::stakeholder::Stakeholder;

impl Table {
    /// ` AND r.seq IN (…)`: the item has this value of a multi-valued facet. Written as a set
    /// of items, not as an `EXISTS` for each: SQLite then reads the few items of a rare value
    /// from the facet's index, in order, rather than every row of the table until a page is
    /// full (PostgreSQL plans both as one semi-join). A numbered facet table
    /// (`db::facet_codes`) is read by the value's number, found first.
    pub fn facet_filter(&self, sql: &mut Sql, facet: &str, value: Option<&str>) {
        if let Some(value) = value {
            sql.push(&format!(
                " AND r.seq IN (SELECT f.{} FROM {} f WHERE ",
                self.facet_key, self.facets
            ));
            let of = match self.facet_values {
                Some(values) => {
                    sql.push(&format!("f.code = (SELECT v.code FROM {values} v WHERE "));
                    "v"
                }
                None => {
                    sql.push("(");
                    "f"
                }
            };
            sql.push(&format!("{of}.facet = "))
                .text(facet)
                .push(&format!(" AND {of}.value = "))
                .text(value)
                .push("))");
        }
    }
}

impl RecommendationFilter {
    pub fn apply(&self, sql: &mut Sql) {
        if let Some(states) = &self.states_under_review {
            sql.push(" AND r.state_under_review IN ").text_list(states);
        }
        if let Some(cycle) = self.cycle {
            sql.push(" AND r.cycle = ").int(cycle);
        }
        if let Some(session) = self.session {
            sql.push(" AND r.session = ").int(session);
        }
        if let Some(response) = self.response {
            sql.push(" AND r.response = ").text(response.as_str());
        }
        if let Some(category) = self.action_category {
            sql.push(" AND r.action_category = ").int(category);
        }
        let t = &Recommendation::TABLE;
        t.facet_filter(
            sql,
            "recommending_state",
            self.recommending_state.as_ref().map(CountryCode::as_str),
        );
        t.facet_filter(sql, "theme", self.theme.as_deref());
        t.facet_filter(sql, "affected_persons", self.affected_persons.as_deref());
        t.facet_filter(sql, "sdg_target", self.sdg_target.as_deref());
        t.facet_filter(sql, "sdg_goal", self.sdg_goal.as_deref());
        t.facet_filter(sql, "source", self.source.as_deref());
    }
}

impl StakeholderFilter {
    pub fn apply(&self, sql: &mut Sql) {
        if let Some(kind) = self.kind {
            sql.push(" AND r.kind = ").text(kind.as_str());
        }
        if let Some(country) = &self.country {
            sql.push(" AND r.country = ").text(country.clone());
        }
        let t = &Stakeholder::TABLE;
        t.facet_filter(sql, "theme", self.theme.as_deref());
        t.facet_filter(sql, "language", self.language.as_deref());
        t.facet_filter(sql, "region", self.region.as_deref());
    }
}

impl ActivityFilter {
    pub fn apply(&self, sql: &mut Sql) {
        access_filter(sql, &self.access);
        let t = &Activity::TABLE;
        if let Some(states) = &self.states {
            sql.push(" AND r.seq IN (SELECT f.activity_seq FROM activity_facets f WHERE f.facet = 'state' AND f.value IN ")
                .text_list(states);
            // For the public, only the facets of public activities (their verdict, copied by
            // the database: `public_facets`); the activity's own verdict is still checked.
            if matches!(self.access, Access::Public) {
                sql.push(" AND ").flag("f.public", true);
            }
            sql.push(")");
        }
        t.facet_filter(sql, "regional_group", self.regional_group.as_deref());
        match (&self.stakeholder, &self.role) {
            (Some(id), Some(role)) => {
                t.facet_filter(sql, "participant", Some(&format!("{id}|{role}")));
            }
            (Some(id), None) => t.facet_filter(sql, "stakeholder", Some(&id.to_string())),
            (None, Some(role)) => t.facet_filter(sql, "role", Some(role)),
            (None, None) => {}
        }
        if let Some(kind) = self.submitter_kind {
            sql.push(" AND r.submitter_kind = ").text(kind.as_str());
        }
        let recommendation = self.recommendation.map(|r| r.to_string());
        t.facet_filter(sql, "recommendation", recommendation.as_deref());
        let request = self.assistance_request.map(|r| r.to_string());
        t.facet_filter(sql, "assistance_request", request.as_deref());
        let offer = self.offer.map(|o| o.to_string());
        t.facet_filter(sql, "offer", offer.as_deref());
        t.facet_filter(sql, "theme", self.theme.as_deref());
        t.facet_filter(sql, "sdg_target", self.sdg_target.as_deref());
        t.facet_filter(sql, "funding_source", self.funding_source.as_deref());
        if let Some(modality) = &self.modality {
            sql.push(" AND r.modality = ").text(modality.clone());
        }
        if let Some(status) = self.status {
            sql.push(" AND r.status = ").text(status.as_str());
        }
        if let Some(from) = &self.active_from {
            sql.push(" AND (r.active_to IS NULL OR r.active_to >= ")
                .text(from.clone())
                .push(")");
        }
        if let Some(to) = &self.active_to {
            sql.push(" AND (r.active_from IS NULL OR r.active_from <= ")
                .text(to.clone())
                .push(")");
        }
        if let Some(flag) = self.good_practice {
            sql.push(" AND ").flag("r.good_practice", flag);
        }
        if let Some(flag) = self.peer_to_peer {
            sql.push(" AND ").flag("r.peer_to_peer", flag);
        }
        if let Some(state) = &self.awaiting_consent_of {
            sql.push(" AND r.publication = 'submitted'");
            t.facet_filter(sql, "awaiting", Some(state.as_str()));
        }
        if let Some(publication) = self.publication {
            sql.push(" AND r.publication = ").text(publication.as_str());
        }
    }
}

impl RequestFilter {
    pub fn apply(&self, sql: &mut Sql) {
        // The SQL twin of `assistance_requests::may_see`: public ones, and a State's own.
        match &self.access {
            Access::Everything => {}
            Access::Public | Access::Submitter(_) => {
                sql.push(" AND ").flag("r.public", true);
            }
            Access::State(state) => {
                sql.push(" AND (")
                    .flag("r.public", true)
                    .push(" OR r.state = ")
                    .text(state.as_str())
                    .push(")");
            }
        }
        if let Some(states) = &self.states {
            sql.push(" AND r.state IN ").text_list(states);
        }
        if let Some(status) = self.status {
            sql.push(" AND r.status = ").text(status.as_str());
        }
        let t = &AssistanceRequest::TABLE;
        t.facet_filter(sql, "regional_group", self.regional_group.as_deref());
        let recommendation = self.recommendation.map(|r| r.to_string());
        t.facet_filter(sql, "recommendation", recommendation.as_deref());
        t.facet_filter(sql, "theme", self.theme.as_deref());
        t.facet_filter(sql, "sdg_target", self.sdg_target.as_deref());
        t.facet_filter(sql, "modality", self.modality.as_deref());
        t.facet_filter(sql, "language", self.language.as_deref());
    }
}

impl OfferFilter {
    pub fn apply(&self, sql: &mut Sql) {
        // The SQL twin of `app::offers::may_see`: public ones, and a stakeholder's own.
        match &self.access {
            Access::Everything => {}
            Access::Public => {
                sql.push(" AND ").flag("r.public", true);
            }
            Access::Submitter(id) => {
                // `app::offers::may_see`: not a State's own stakeholder's.
                sql.push(" AND (")
                    .flag("r.public", true)
                    .push(" OR r.stakeholder IN (SELECT s.id FROM stakeholders s WHERE s.id = ")
                    .text(id.to_string())
                    .push(" AND s.own_state IS NULL))");
            }
            Access::State(state) => {
                sql.push(" AND (")
                    .flag("r.public", true)
                    .push(" OR r.stakeholder IN (SELECT s.id FROM stakeholders s WHERE s.own_state = ")
                    .text(state.as_str())
                    .push("))");
            }
        }
        if let Some(status) = self.status {
            sql.push(" AND r.status = ").text(status.as_str());
        }
        if let Some(id) = self.stakeholder {
            sql.push(" AND r.stakeholder = ").text(id.to_string());
        }
        if let Some(flag) = self.peer_to_peer {
            sql.push(" AND ").flag("r.peer_to_peer", flag);
        }
        if let Some(kind) = self.stakeholder_kind {
            sql.push(" AND r.stakeholder IN (SELECT k.id FROM stakeholders k WHERE k.kind = ")
                .text(kind.as_str())
                .push(")");
        }
        // Where it serves: a State by name, by one of its areas or its group; or everywhere
        // (no place named).
        let everywhere = " OR NOT EXISTS (SELECT 1 FROM offer_facets w WHERE w.offer_seq = r.seq AND w.facet IN ('state', 'region', 'regional_group')))";
        if let Some(state) = &self.serves {
            let Place { areas, group, .. } = Place::of(state);
            sql.push(" AND (EXISTS (SELECT 1 FROM offer_facets w WHERE w.offer_seq = r.seq AND ((w.facet = 'state' AND w.value = ")
                .text(state.as_str())
                .push(") OR (w.facet = 'region' AND w.value IN ")
                .text_list(&areas)
                .push(")");
            if let Some(group) = group {
                sql.push(" OR (w.facet = 'regional_group' AND w.value = ")
                    .text(group.as_str())
                    .push(")");
            }
            sql.push("))").push(everywhere);
        }
        if let Some(group) = &self.regional_group {
            sql.push(" AND (EXISTS (SELECT 1 FROM offer_facets w WHERE w.offer_seq = r.seq AND w.facet = 'regional_group' AND w.value = ")
                .text(group.clone())
                .push(")")
                .push(everywhere);
        }
        let t = &Offer::TABLE;
        t.facet_filter(sql, "theme", self.theme.as_deref());
        t.facet_filter(sql, "sdg_target", self.sdg_target.as_deref());
        t.facet_filter(sql, "modality", self.modality.as_deref());
        t.facet_filter(sql, "language", self.language.as_deref());
    }
}

/// The SQL twin of `publication::may_see`, over the stored verdict (`r.public`).
pub fn access_filter(sql: &mut Sql, access: &Access) {
    match access {
        Access::Everything => {}
        Access::Public => {
            sql.push(" AND ").flag("r.public", true);
        }
        Access::Submitter(id) => {
            // `publication::submitted_by`: not a State's own stakeholder's.
            sql.push(" AND (")
                .flag("r.public", true)
                .push(" OR (r.submitter = ")
                .text(id.to_string())
                .push(" AND r.submitter_state IS NULL))");
        }
        Access::State(state) => {
            sql.push(" AND (").flag("r.public", true).push(" OR r.submitter_state = ")
                .text(state.as_str())
                .push(" OR (r.publication = 'submitted' AND EXISTS (SELECT 1 FROM activity_facets v WHERE v.activity_seq = r.seq AND v.facet = 'state' AND v.value = ")
                .text(state.as_str())
                .push(")))");
        }
    }
}

/// Which records a caller sees: records about all submissions or a submitter's are public; a
/// record about one activity is between its State, the activity's submitter and `admin`
/// (`publication::may_read_decision_by_name`), never public (not in lists, the public feed or
/// the snapshot, whatever becomes of the activity).
fn consent_access(sql: &mut Sql, access: &Access) {
    match access {
        Access::Everything => {}
        Access::Public => {
            sql.push(" AND c.scope <> 'activity'");
        }
        Access::Submitter(id) => {
            sql.push(" AND (c.scope <> 'activity' OR EXISTS (SELECT 1 FROM activities r WHERE r.id = c.target AND r.submitter = ")
                .text(id.to_string())
                .push(" AND r.submitter_state IS NULL))");
        }
        Access::State(state) => {
            sql.push(" AND (c.scope <> 'activity' OR c.state = ")
                .text(state.as_str())
                .push(" OR EXISTS (SELECT 1 FROM activities r WHERE r.id = c.target AND r.submitter_state = ")
                .text(state.as_str())
                .push("))");
        }
    }
}

/// A page of consent records (`seq, document`) in the order they were recorded, one more
/// than `limit` when there are more.
pub fn consents(
    conn: &mut DbConnection,
    f: &ConsentFilter,
    position: Position,
    limit: i64,
) -> diesel::QueryResult<Vec<DocumentRow>> {
    let mut sql = Sql::new(conn, "SELECT c.seq, c.document FROM consents c WHERE 1 = 1");
    consent_access(&mut sql, &f.access);
    if let Some(state) = &f.state {
        sql.push(" AND c.state = ").text(state.as_str());
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
    sql.push(" ORDER BY c.seq LIMIT ")
        .int(limit + 1)
        .keep_plan();
    load_documents(conn, &sql)
}

/// The most recent record (`seq, document`) of each scope and target of a State that the
/// caller sees, oldest first.
pub fn latest_consents(
    conn: &mut DbConnection,
    state: &CountryCode,
    access: &Access,
) -> diesel::QueryResult<Vec<DocumentRow>> {
    let mut sql = Sql::new(
        conn,
        "SELECT c.seq, c.document FROM consents c WHERE c.seq IN (SELECT MAX(seq) FROM consents WHERE state = ",
    );
    sql.text(state.as_str())
        .push(" GROUP BY scope, COALESCE(target, ''))");
    consent_access(&mut sql, access);
    sql.push(" ORDER BY c.seq");
    load_documents(conn, &sql)
}
