//! Recommendations in the document store: their columns, facets and filters.

use super::documents::Document;
use super::query::{Sql, Value};
use super::table::Table;
use crate::domain::recommendation::{Recommendation, RecommendationInput, Response};
use crate::domain::{ExternalRef, Stored};

/// What a list asks for; every part is optional and they combine with AND.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// The State under review is one of these (from `state_under_review` and `regional_group`).
    pub states_under_review: Option<Vec<String>>,
    pub recommending_state: Option<String>,
    pub cycle: Option<i64>,
    pub session: Option<i64>,
    pub response: Option<Response>,
    pub theme: Option<String>,
    pub affected_persons: Option<String>,
    pub sdg_target: Option<String>,
    pub action_category: Option<i64>,
}

impl Filter {
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
            self.recommending_state.as_deref(),
        );
        t.facet_filter(sql, "theme", self.theme.as_deref());
        t.facet_filter(sql, "affected_persons", self.affected_persons.as_deref());
        t.facet_filter(sql, "sdg_target", self.sdg_target.as_deref());
    }
}

impl Document for Recommendation {
    type Content = RecommendationInput;

    const TABLE: Table = Table {
        entity: "recommendation",
        table: "recommendations",
        facets: "recommendation_facets",
        facet_key: "recommendation_seq",
        search: "recommendation_search",
        same: "State under review, session and text",
        hides_items: false,
    };

    fn new(stored: Stored, content: RecommendationInput) -> Self {
        Self {
            stored,
            cycle: content.cycle().unwrap_or_default(),
            content,
        }
    }

    fn stored(&self) -> &Stored {
        &self.stored
    }

    fn content(&self) -> &RecommendationInput {
        &self.content
    }

    fn before_delete(
        conn: &mut super::DbConnection,
        id: uuid::Uuid,
    ) -> Result<(), super::documents::WriteError> {
        let n = super::activities::references_to(conn, "recommendation", id)?;
        if n > 0 {
            return Err(super::documents::WriteError::Conflict(format!(
                "{n} activities help implement this recommendation; change them first."
            )));
        }
        Ok(())
    }

    fn columns(&self) -> Vec<(&'static str, Value)> {
        let c = &self.content;
        vec![
            (
                "state_under_review",
                Value::Text(c.state_under_review.clone()),
            ),
            ("cycle", Value::Int(self.cycle)),
            ("session", Value::Int(c.session)),
            (
                "response",
                c.response
                    .map_or(Value::Null, |r| Value::Text(r.as_str().into())),
            ),
            (
                "action_category",
                c.action_category.map_or(Value::Null, Value::Int),
            ),
        ]
    }

    fn facets(&self) -> Vec<(&'static str, String)> {
        let c = &self.content;
        let mut out = Vec::new();
        out.extend(
            c.recommending_states
                .iter()
                .map(|v| ("recommending_state", v.clone())),
        );
        out.extend(c.themes.iter().map(|v| ("theme", v.clone())));
        out.extend(
            c.affected_persons
                .iter()
                .map(|v| ("affected_persons", v.clone())),
        );
        out.extend(c.sdg_targets.iter().map(|v| ("sdg_target", v.clone())));
        out
    }

    fn search_text(&self) -> String {
        self.content.search_text()
    }

    fn refs_of(content: &RecommendationInput) -> &[ExternalRef] {
        &content.external_refs
    }

    fn natural_key(content: &RecommendationInput) -> Option<String> {
        Some(content.natural_key())
    }
}
