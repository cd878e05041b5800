//! Activities in the document store: their columns, facets and filters, and the stored verdict
//! of the publication rule, recomputed (with `domain::publication`) whenever a fact it reads
//! changes: the activity itself, a consent record of a State it concerns, or its submitter's
//! kind or country.
//!
//! The filters of a list are in `filter`, the stored verdicts and their re-evaluation in
//! `verdicts`, the participants that declined in `declined`.

pub mod declined;
pub mod filter;
pub mod verdicts;

use std::collections::HashMap;

use diesel::prelude::*;

use super::DbConnection;
use super::documents::{Document, WriteError, first_shown_at, parse_document};
use super::table::{Table, document_table};
use super::time::StoredTime;
use crate::domain::FieldError;
use crate::domain::Language;
use crate::domain::activity::{Activity, ActivityContent, ActivityInput};
use crate::domain::publication::{Publication, Visibility};
use crate::domain::{
    ActivityId, AssistanceRequestId, ExternalRef, OfferId, RecommendationId, StakeholderId, Stored,
};
use verdicts::{Facts, stored_state};

/// What activities name that may not be deleted while they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Referenced {
    /// As submitter or participant.
    Stakeholder(StakeholderId),
    /// As a recommendation it helps implement.
    Recommendation(RecommendationId),
    /// As the assistance request it answers.
    AssistanceRequest(AssistanceRequestId),
    /// As the offer it delivers.
    Offer(OfferId),
}

/// The stakeholders of an activity: its submitter and its participants, each once: those whose
/// offers may cite it.
fn stakeholders_of(activity: &Activity) -> Vec<StakeholderId> {
    let c = &activity.content;
    let mut out: Vec<StakeholderId> = c.submitter.into_iter().collect();
    for p in &c.participants {
        if !out.contains(&p.stakeholder) {
            out.push(p.stakeholder);
        }
    }
    out
}

/// How many stored activities refer to this stakeholder or recommendation.
pub fn references_to(conn: &mut DbConnection, target: Referenced) -> diesel::QueryResult<i64> {
    use super::schema::activity_facets::dsl as f;
    let (facet, id) = match target {
        Referenced::Stakeholder(id) => ("stakeholder", id.to_string()),
        Referenced::Recommendation(id) => ("recommendation", id.to_string()),
        Referenced::AssistanceRequest(id) => ("assistance_request", id.to_string()),
        Referenced::Offer(id) => ("offer", id.to_string()),
    };
    f::activity_facets
        .filter(f::facet.eq(facet))
        .filter(f::value.eq(id))
        .count()
        .get_result(conn)
}

impl Document for Activity {
    type Input = ActivityInput;
    type Content = ActivityContent;
    type Id = ActivityId;

    const TABLE: Table = Table {
        entity: "activity",
        table: "activities",
        facets: "activity_facets",
        facet_key: "activity_seq",
        facet_values: None,
        search: "activity_search",
        same: "submitter, title and planned start",
        hides_items: true,
        first_shown: Some("submitted_at"),
    };

    fn new(stored: Stored<ActivityId>, content: ActivityContent) -> Self {
        Self {
            stored,
            content,
            visibility: Visibility::default(),
            derived: Default::default(),
        }
    }

    fn stored(&self) -> &Stored<ActivityId> {
        &self.stored
    }

    fn content(&self) -> &ActivityContent {
        &self.content
    }

    fn derive(&mut self, conn: &mut DbConnection) -> diesel::QueryResult<()> {
        Facts::default().derive(conn, self)
    }

    fn derive_many<'a>(
        conn: &mut DbConnection,
        items: impl Iterator<Item = &'a mut Self>,
    ) -> diesel::QueryResult<()> {
        let mut facts = Facts::default();
        for item in items {
            facts.derive(conn, item)?;
        }
        Ok(())
    }

    fn is_public(&self) -> bool {
        self.visibility.public
    }

    /// Offers stop citing it while it is not public (`offers::withhold`), before the feed
    /// says it is gone; and those of a stakeholder that no longer submitted it nor takes part
    /// in it stop citing it for good (`offers::uncite_by`).
    fn after_write(
        &self,
        conn: &mut DbConnection,
        before: Option<&Self>,
    ) -> diesel::QueryResult<()> {
        let Some(before) = before else {
            return Ok(());
        };
        let now = stakeholders_of(self);
        let gone: Vec<StakeholderId> = stakeholders_of(before)
            .into_iter()
            .filter(|s| !now.contains(s))
            .collect();
        if !gone.is_empty() {
            super::offers::uncite_by(conn, self.stored.id, &gone)?;
        }
        if before.visibility.public && !self.visibility.public {
            super::offers::withhold(conn, &[self.stored.id])?;
        }
        Ok(())
    }

    /// Offers cite it again once it is public again (`offers::give_back`), after the feed
    /// gives it.
    fn after_feed(&self, conn: &mut DbConnection, before: &Self) -> diesel::QueryResult<()> {
        if !before.visibility.public && self.visibility.public {
            super::offers::give_back(conn, &[self.stored.id])?;
        }
        Ok(())
    }

    /// Offers stop citing it (`offers::uncite`).
    fn before_delete(conn: &mut DbConnection, id: ActivityId) -> Result<(), WriteError> {
        super::offers::uncite(conn, &[id])?;
        Ok(())
    }

    /// Only while it is public.
    fn public_json(&self, full: &str) -> Option<String> {
        self.visibility.public.then(|| full.to_owned())
    }

    fn columns(&self) -> ActivityColumns {
        let c = &self.content;
        ActivityColumns {
            submitter: c.submitter.unwrap_or_default().to_string(),
            submitter_kind: self.derived.submitter_kind.as_str().to_owned(),
            submitter_state: self.derived.submitter_state.as_ref().map(|s| s.to_string()),
            publication: c.publication.as_str().to_owned(),
            status: c.status.as_str().to_owned(),
            modality: c.modality.clone(),
            good_practice: c.good_practice,
            peer_to_peer: c.peer_to_peer,
            active_from: c.active_from().map(|d| d.to_string()),
            active_to: c.active_to().map(|d| d.to_string()),
            public: self.visibility.public,
            budget_currency: c.budget.as_ref().map(|b| b.currency.clone()),
            budget_amount: c.budget.as_ref().map(|b| b.amount.clone()),
            submitted_at: first_shown_at(self),
        }
    }

    fn shown(&self) -> bool {
        self.content.publication == Publication::Submitted
    }

    fn facets(&self) -> Vec<(&'static str, String)> {
        let c = &self.content;
        let mut out: Vec<(&'static str, String)> = Vec::new();
        out.extend(c.states_concerned.iter().map(|s| ("state", s.to_string())));
        let data = crate::reference::reference();
        for state in &c.states_concerned {
            if let Some(group) = data.country(state.as_str()).and_then(|c| c.regional_group)
                && !out.contains(&("regional_group", group.as_str().to_owned()))
            {
                out.push(("regional_group", group.as_str().to_owned()));
            }
        }
        for p in &c.participants {
            let id = p.stakeholder.to_string();
            out.push(("participant", format!("{id}|{}", p.role.as_str())));
            let role = ("role", p.role.as_str().to_owned());
            if !out.contains(&role) {
                out.push(role);
            }
        }
        out.extend(
            stakeholders_of(self)
                .into_iter()
                .map(|s| ("stakeholder", s.to_string())),
        );
        out.extend(
            c.recommendations
                .iter()
                .map(|r| ("recommendation", r.to_string())),
        );
        out.extend(
            c.assistance_request
                .map(|r| ("assistance_request", r.to_string())),
        );
        out.extend(c.offer.map(|o| ("offer", o.to_string())));
        out.extend(c.themes.iter().map(|v| ("theme", v.clone())));
        out.extend(c.sdg_targets.iter().map(|v| ("sdg_target", v.clone())));
        out.extend(
            c.funding_sources
                .iter()
                .map(|v| ("funding_source", v.clone())),
        );
        out.extend(verdict_facets(&self.visibility));
        out
    }

    fn search_texts_of(content: &Self::Content) -> Vec<(Language, &str)> {
        content.search_texts()
    }

    fn refs_of(content: &ActivityContent) -> &[ExternalRef] {
        &content.external_refs
    }

    /// A partner key is unique among one submitter's activities: another submitter's key is
    /// not taken (so a caller learns nothing of activities it cannot see), and an import finds
    /// only its submitter's.
    fn ref_scope(content: &ActivityContent) -> String {
        format!("activity:{}", content.submitter.unwrap_or_default())
    }

    fn natural_key(content: &ActivityContent) -> String {
        content.natural_key()
    }

    /// The participants that took themselves off it are kept off an activity of its new key.
    fn after_rekey(&self, conn: &mut DbConnection, key: &str) -> diesel::QueryResult<()> {
        declined::rekey(conn, self.stored.id, key)
    }
}

document_table! {
    Activity => activities (activity_facets . activity_seq), ActivityRow, ActivityColumns {
        submitter: String,
        submitter_kind: String,
        submitter_state: Option<String>,
        publication: String,
        status: String,
        modality: Option<String>,
        good_practice: bool,
        peer_to_peer: bool,
        active_from: Option<String>,
        active_to: Option<String>,
        public: bool,
        budget_currency: Option<String>,
        budget_amount: Option<String>,
        #[diesel(skip_update)]
        submitted_at: Option<StoredTime>,
    }
}

/// The facets that the publication rule's verdict gives an activity (the rest come from its
/// content): the States awaited and those that refused.
pub fn verdict_facets(v: &Visibility) -> Vec<(&'static str, String)> {
    let awaiting = v
        .awaiting_consent_of
        .iter()
        .map(|s| ("awaiting", s.to_string()));
    let refused = v.refused_by.iter().map(|s| ("refused", s.to_string()));
    awaiting.chain(refused).collect()
}

/// One activity with what it derives from its submitter, whoever may see it.
pub fn get(conn: &mut DbConnection, id: ActivityId) -> diesel::QueryResult<Option<Activity>> {
    use super::schema::activities::dsl as a;
    let found = a::activities
        .filter(a::id.eq(id.to_string()))
        .select((a::document, a::submitter_kind, a::submitter_state))
        .first::<(String, String, Option<String>)>(conn)
        .optional()?;
    let Some((document, kind, state)) = found else {
        return Ok(None);
    };
    let mut activity: Activity = parse_document(&document)?;
    activity.derived.submitter_kind = verdicts::stored_kind(&kind)?;
    activity.derived.submitter_state = state.as_deref().map(stored_state).transpose()?;
    Ok(Some(activity))
}

/// What an activity's references name that does not exist: its submitter, participants and
/// recommendations (each recommendation must also concern one of the States concerned).
pub fn check_references(
    conn: &mut DbConnection,
    input: &ActivityContent,
) -> diesel::QueryResult<Vec<FieldError>> {
    use super::schema::{recommendations::dsl as r, stakeholders::dsl as s};
    let mut errors = Vec::new();
    let mut ids: Vec<String> = input
        .participants
        .iter()
        .map(|p| p.stakeholder.to_string())
        .collect();
    ids.extend(input.submitter.map(|s| s.to_string()));
    let known: Vec<String> = s::stakeholders
        .filter(s::id.eq_any(&ids))
        .select(s::id)
        .load(conn)?;
    if let Some(submitter) = input.submitter
        && !known.contains(&submitter.to_string())
    {
        errors.push(FieldError::new(
            "/submitter",
            "unknown_stakeholder",
            format!("no stakeholder has the id {submitter}"),
        ));
    }
    for (i, p) in input.participants.iter().enumerate() {
        if !known.contains(&p.stakeholder.to_string()) {
            errors.push(FieldError::new(
                format!("/participants/{i}/stakeholder"),
                "unknown_stakeholder",
                format!("no stakeholder has the id {}", p.stakeholder),
            ));
        }
    }
    let ids: Vec<String> = input
        .recommendations
        .iter()
        .map(|r| r.to_string())
        .collect();
    let mut found: HashMap<String, String> = HashMap::new();
    for chunk in ids.chunks(500) {
        found.extend(
            r::recommendations
                .filter(r::id.eq_any(chunk))
                .select((r::id, r::state_under_review))
                .load::<(String, String)>(conn)?,
        );
    }
    errors.extend(check_match(conn, input)?);
    for (i, id) in ids.iter().enumerate() {
        match found.get(id) {
            None => errors.push(FieldError::new(
                format!("/recommendations/{i}"),
                "unknown_recommendation",
                format!("no recommendation has the id {id}"),
            )),
            Some(state) if !input.states_concerned.iter().any(|s| s == state.as_str()) => {
                errors.push(FieldError::new(
                    format!("/recommendations/{i}"),
                    "state_not_concerned",
                    format!(
                        "the recommendation was made to {state}, which is not among the States concerned"
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(errors)
}

/// What an activity's `assistance_request` and `offer` name that they may not: a request or
/// an offer that does not exist or is a draft; a request of a State the activity does not
/// concern, or that its submitter does not answer (the State's own stakeholder answers its
/// State's requests, a provider those in which the State accepted its interest); an offer that
/// is not its submitter's. A draft is its author's alone: no activity cites it, and the answer
/// is that of an unknown id, so it tells nothing of the draft. Naming another's request or
/// offer takes that other's word (an accepted interest, or being the submitter), so no one
/// ties an item to activities its owner does not know of (a request or offer that activities
/// name stays public: `app::offers::cited_stays`).
fn check_match(
    conn: &mut DbConnection,
    input: &ActivityContent,
) -> diesel::QueryResult<Vec<FieldError>> {
    use super::schema::{assistance_requests::dsl as r, offers::dsl as o};
    use crate::domain::interest::InterestStatus;
    let mut errors = Vec::new();
    let submitter = input.submitter.unwrap_or_default();
    if let Some(id) = input.assistance_request {
        let state: Option<String> = r::assistance_requests
            .filter(r::id.eq(id.to_string()))
            .filter(r::status.ne("draft"))
            .select(r::state)
            .first(conn)
            .optional()?;
        let answers = |conn: &mut DbConnection, state: &str| -> diesel::QueryResult<bool> {
            if super::stakeholders::bound_state(conn, submitter)?
                .is_some_and(|s| s.as_str() == state)
            {
                return Ok(true);
            }
            let accepted = super::interests::with_status(conn, id, &[InterestStatus::Accepted])?;
            Ok(accepted.iter().any(|i| i.stakeholder == submitter))
        };
        match state {
            None => errors.push(FieldError::new(
                "/assistance_request",
                "unknown_assistance_request",
                format!("no assistance request has the id {id}"),
            )),
            Some(state) if !input.states_concerned.iter().any(|s| s == state.as_str()) => errors
                .push(FieldError::new(
                    "/assistance_request",
                    "state_not_concerned",
                    format!("the request is {state}'s, which is not among the States concerned"),
                )),
            Some(state) if !answers(conn, &state)? => errors.push(FieldError::new(
                "/assistance_request",
                "interest_not_accepted",
                format!(
                    "the submitter answers {state}'s request only once {state} accepted its interest in it (or as {state}'s own stakeholder)"
                ),
            )),
            Some(_) => {}
        }
    }
    if let Some(id) = input.offer {
        let stakeholder: Option<String> = o::offers
            .filter(o::id.eq(id.to_string()))
            .filter(o::status.ne("draft"))
            .select(o::stakeholder)
            .first(conn)
            .optional()?;
        match stakeholder {
            None => errors.push(FieldError::new(
                "/offer",
                "unknown_offer",
                format!("no offer has the id {id}"),
            )),
            Some(maker) if maker != submitter.to_string() => errors.push(FieldError::new(
                "/offer",
                "not_the_submitters",
                format!(
                    "the offer is stakeholder {maker}'s: an activity delivers an offer of its submitter"
                ),
            )),
            Some(_) => {}
        }
    }
    Ok(errors)
}
