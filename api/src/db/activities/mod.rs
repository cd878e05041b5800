//! Activities in the document store: their columns, facets and filters, and the stored verdict
//! of the publication rule, recomputed (with `domain::publication`) whenever a fact it reads
//! changes: the activity itself, a consent record of a State it concerns, or its submitter's
//! kind or country.
//!
//! The filters of a list are in `filter`, the stored verdicts and their re-evaluation in
//! `verdicts`.

pub mod filter;
pub mod verdicts;

use std::collections::HashMap;

use diesel::sql_types::{BigInt, Nullable, Text};
use uuid::Uuid;

use super::DbConnection;
use super::documents::{Document, parse};
use super::query::{Sql, Value, count, load, load_ids};
use super::table::Table;
use crate::domain::FieldError;
use crate::domain::activity::{Activity, ActivityInput};
use crate::domain::publication::Visibility;
use crate::domain::{ExternalRef, Stored};
use verdicts::Facts;

/// How many stored activities refer to this stakeholder (as submitter or participant) or this
/// recommendation: those may not be deleted.
pub fn references_to(conn: &mut DbConnection, facet: &str, id: Uuid) -> diesel::QueryResult<i64> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM activity_facets WHERE facet = ");
    sql.text(facet).push(" AND value = ").text(id.to_string());
    count(conn, &sql)
}

impl Document for Activity {
    type Content = ActivityInput;

    const TABLE: Table = Table {
        entity: "activity",
        table: "activities",
        facets: "activity_facets",
        facet_key: "activity_seq",
        search: "activity_search",
        same: "submitter, title and planned start",
        hides_items: true,
    };

    fn new(stored: Stored, content: ActivityInput) -> Self {
        Self {
            stored,
            content,
            visibility: Visibility::default(),
            derived: Default::default(),
        }
    }

    fn stored(&self) -> &Stored {
        &self.stored
    }

    fn content(&self) -> &ActivityInput {
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

    /// Only while it is public.
    fn public_json(&self, full: &str) -> Option<String> {
        self.visibility.public.then(|| full.to_owned())
    }

    fn columns(&self) -> Vec<(&'static str, Value)> {
        let c = &self.content;
        let text = |v: Option<String>| v.map_or(Value::Null, Value::Text);
        vec![
            (
                "submitter",
                Value::Text(c.submitter.unwrap_or_default().to_string()),
            ),
            (
                "submitter_kind",
                Value::Text(self.derived.submitter_kind.as_str().to_owned()),
            ),
            (
                "submitter_state",
                text(self.derived.submitter_state.clone()),
            ),
            ("publication", Value::Text(c.publication.as_str().into())),
            ("status", Value::Text(c.status.as_str().into())),
            ("modality", text(c.modality.clone())),
            ("good_practice", Value::Int(i64::from(c.good_practice))),
            ("peer_to_peer", Value::Int(i64::from(c.peer_to_peer))),
            ("active_from", text(c.active_from().map(|d| d.to_string()))),
            ("active_to", text(c.active_to().map(|d| d.to_string()))),
            ("public", Value::Int(i64::from(self.visibility.public))),
        ]
    }

    fn facets(&self) -> Vec<(&'static str, String)> {
        let c = &self.content;
        let mut out: Vec<(&'static str, String)> = Vec::new();
        out.extend(c.states_concerned.iter().map(|s| ("state", s.clone())));
        let data = crate::reference::reference();
        for state in &c.states_concerned {
            if let Some(group) = data.country(state).and_then(|c| c.regional_group)
                && !out.contains(&("regional_group", group.as_str().to_owned()))
            {
                out.push(("regional_group", group.as_str().to_owned()));
            }
        }
        let mut stakeholders: Vec<String> = Vec::new();
        if let Some(submitter) = c.submitter {
            stakeholders.push(submitter.to_string());
        }
        for p in &c.participants {
            let id = p.stakeholder.to_string();
            out.push(("participant", format!("{id}|{}", p.role.as_str())));
            let role = ("role", p.role.as_str().to_owned());
            if !out.contains(&role) {
                out.push(role);
            }
            if !stakeholders.contains(&id) {
                stakeholders.push(id);
            }
        }
        out.extend(stakeholders.into_iter().map(|s| ("stakeholder", s)));
        out.extend(
            c.recommendations
                .iter()
                .map(|r| ("recommendation", r.to_string())),
        );
        out.extend(c.themes.iter().map(|v| ("theme", v.clone())));
        out.extend(c.sdg_targets.iter().map(|v| ("sdg_target", v.clone())));
        out.extend(
            c.funding_sources
                .iter()
                .map(|v| ("funding_source", v.clone())),
        );
        let v = &self.visibility;
        out.extend(
            v.awaiting_consent_of
                .iter()
                .map(|s| ("awaiting", s.clone())),
        );
        out.extend(v.refused_by.iter().map(|s| ("refused", s.clone())));
        out
    }

    fn search_text(&self) -> String {
        self.content.search_text()
    }

    fn refs_of(content: &ActivityInput) -> &[ExternalRef] {
        &content.external_refs
    }

    /// A partner key is unique among one submitter's activities: another submitter's key is
    /// not taken (so a caller learns nothing of activities it cannot see), and an import finds
    /// only its submitter's.
    fn ref_scope(content: &ActivityInput) -> String {
        format!("activity:{}", content.submitter.unwrap_or_default())
    }

    fn natural_key(content: &ActivityInput) -> Option<String> {
        Some(content.natural_key())
    }
}

#[derive(diesel::QueryableByName)]
struct ActivityRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    document: String,
    #[diesel(sql_type = Text)]
    submitter_kind: String,
    #[diesel(sql_type = Nullable<Text>)]
    submitter_state: Option<String>,
}

/// One activity with what it derives from its submitter, whoever may see it.
pub fn get(conn: &mut DbConnection, id: Uuid) -> diesel::QueryResult<Option<Activity>> {
    let mut sql = Sql::new(
        "SELECT seq, document, submitter_kind, submitter_state FROM activities WHERE id = ",
    );
    sql.text(id.to_string());
    let Some(row) = load::<ActivityRow>(conn, &sql)?.into_iter().next() else {
        return Ok(None);
    };
    let mut activity: Activity = parse(&super::query::DocumentRow {
        seq: row.seq,
        document: row.document,
    })?;
    activity.derived.submitter_kind = verdicts::stored_kind(&row.submitter_kind)?;
    activity.derived.submitter_state = row.submitter_state;
    Ok(Some(activity))
}

/// What an activity's references name that does not exist: its submitter, participants and
/// recommendations (each recommendation must also concern one of the States concerned).
pub fn check_references(
    conn: &mut DbConnection,
    input: &ActivityInput,
) -> diesel::QueryResult<Vec<FieldError>> {
    #[derive(diesel::QueryableByName)]
    struct Made {
        #[diesel(sql_type = Text)]
        id: String,
        #[diesel(sql_type = Text)]
        state_under_review: String,
    }
    let mut errors = Vec::new();
    let mut ids: Vec<String> = input
        .participants
        .iter()
        .map(|p| p.stakeholder.to_string())
        .collect();
    ids.extend(input.submitter.map(|s| s.to_string()));
    let mut sql = Sql::new("SELECT id FROM stakeholders WHERE id IN ");
    sql.text_list(&ids);
    let known = load_ids(conn, &sql)?;
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
        let mut sql = Sql::new("SELECT id, state_under_review FROM recommendations WHERE id IN ");
        sql.text_list(chunk);
        found.extend(
            load::<Made>(conn, &sql)?
                .into_iter()
                .map(|r| (r.id, r.state_under_review)),
        );
    }
    for (i, id) in ids.iter().enumerate() {
        match found.get(id) {
            None => errors.push(FieldError::new(
                format!("/recommendations/{i}"),
                "unknown_recommendation",
                format!("no recommendation has the id {id}"),
            )),
            Some(state) if !input.states_concerned.contains(state) => {
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
