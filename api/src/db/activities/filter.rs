//! What a list of activities asks for, as SQL over the `activities r` row: the filters, and
//! what the caller may see.

use uuid::Uuid;

use crate::db::documents::Document;
use crate::db::query::Sql;
use crate::domain::activity::{Activity, ActivityStatus};
use crate::domain::publication::{Access, Publication};
use crate::domain::stakeholder::StakeholderKind;

/// What a list asks for; every part is optional and they combine with AND.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Who is asking: what it may see besides public activities.
    pub access: Access,
    /// Concerns one of these States.
    pub states: Option<Vec<String>>,
    /// Concerns a State of this regional group (its `snake_case` name).
    pub regional_group: Option<String>,
    pub stakeholder: Option<Uuid>,
    pub role: Option<String>,
    pub submitter_kind: Option<StakeholderKind>,
    pub recommendation: Option<Uuid>,
    pub theme: Option<String>,
    pub sdg_target: Option<String>,
    pub modality: Option<String>,
    pub status: Option<ActivityStatus>,
    pub funding_source: Option<String>,
    /// Runs on or after this date (ISO), i.e. has not ended before it.
    pub active_from: Option<String>,
    /// Runs on or before this date (ISO), i.e. has not started after it.
    pub active_to: Option<String>,
    pub good_practice: Option<bool>,
    pub peer_to_peer: Option<bool>,
    /// Submitted, and awaiting this State's consent.
    pub awaiting_consent_of: Option<String>,
    pub publication: Option<Publication>,
}

impl Filter {
    pub fn new(access: Access) -> Self {
        Self {
            access,
            states: None,
            regional_group: None,
            stakeholder: None,
            role: None,
            submitter_kind: None,
            recommendation: None,
            theme: None,
            sdg_target: None,
            modality: None,
            status: None,
            funding_source: None,
            active_from: None,
            active_to: None,
            good_practice: None,
            peer_to_peer: None,
            awaiting_consent_of: None,
            publication: None,
        }
    }

    pub fn apply(&self, sql: &mut Sql) {
        access_filter(sql, &self.access);
        let t = &Activity::TABLE;
        if let Some(states) = &self.states {
            sql.push(" AND EXISTS (SELECT 1 FROM activity_facets f WHERE f.activity_seq = r.seq AND f.facet = 'state' AND f.value IN ")
                .text_list(states)
                .push(")");
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
            sql.push(" AND r.good_practice = ").int(i64::from(flag));
        }
        if let Some(flag) = self.peer_to_peer {
            sql.push(" AND r.peer_to_peer = ").int(i64::from(flag));
        }
        if let Some(state) = &self.awaiting_consent_of {
            sql.push(" AND r.publication = 'submitted'");
            t.facet_filter(sql, "awaiting", Some(state));
        }
        if let Some(publication) = self.publication {
            sql.push(" AND r.publication = ").text(publication.as_str());
        }
    }
}

/// The SQL twin of `publication::may_see`, over the stored verdict (`r.public`).
pub fn access_filter(sql: &mut Sql, access: &Access) {
    match access {
        Access::Everything => {}
        Access::Public => {
            sql.push(" AND r.public = 1");
        }
        Access::Submitter(id) => {
            sql.push(" AND (r.public = 1 OR r.submitter = ")
                .text(id.to_string())
                .push(")");
        }
        Access::State(state) => {
            sql.push(" AND (r.public = 1 OR r.submitter_state = ")
                .text(state.clone())
                .push(" OR (r.publication = 'submitted' AND EXISTS (SELECT 1 FROM activity_facets v WHERE v.activity_seq = r.seq AND v.facet = 'state' AND v.value = ")
                .text(state.clone())
                .push(")))");
        }
    }
}
