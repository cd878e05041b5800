//! Recommendations in the document store: their columns, facets and filters.

use super::activities::Referenced;
use super::documents::Document;
use super::table::{Table, document_table};
use crate::domain::Language;
use crate::domain::recommendation::{
    Recommendation, RecommendationContent, RecommendationInput, Response,
};
use crate::domain::{CountryCode, ExternalRef, RecommendationId, Stored};

/// What a list asks for; every part is optional and they combine with AND.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// The State under review is one of these (from `state_under_review` and `regional_group`).
    pub states_under_review: Option<Vec<CountryCode>>,
    pub recommending_state: Option<CountryCode>,
    pub cycle: Option<i64>,
    pub session: Option<i64>,
    pub response: Option<Response>,
    pub theme: Option<String>,
    pub affected_persons: Option<String>,
    pub sdg_target: Option<String>,
    pub sdg_goal: Option<String>,
    /// A source it was imported from (`upr-info`, `ohchr-matrix`).
    pub source: Option<String>,
    pub action_category: Option<i64>,
}

impl Document for Recommendation {
    type Input = RecommendationInput;
    type Content = RecommendationContent;
    type Id = RecommendationId;

    const TABLE: Table = Table {
        entity: "recommendation",
        table: "recommendations",
        facets: "recommendation_facets",
        facet_key: "recommendation_seq",
        facet_values: Some("recommendation_facet_values"),
        search: "recommendation_search",
        same: "State under review, session and text",
        hides_items: false,
        first_shown: None,
    };

    fn new(stored: Stored<RecommendationId>, content: RecommendationContent) -> Self {
        Self {
            stored,
            cycle: content.cycle().unwrap_or_default(),
            content,
        }
    }

    const CONTENT_LAST: bool = true;

    fn derived_members(&self) -> String {
        format!("\"cycle\":{}", self.cycle)
    }

    fn stored(&self) -> &Stored<RecommendationId> {
        &self.stored
    }

    fn content(&self) -> &RecommendationContent {
        &self.content
    }

    fn before_delete(
        conn: &mut super::DbConnection,
        id: RecommendationId,
    ) -> Result<(), super::documents::WriteError> {
        let n = super::activities::references_to(conn, Referenced::Recommendation(id))?;
        if n > 0 {
            return Err(super::documents::WriteError::Conflict(format!(
                "{} implement this recommendation; change {} first.",
                how_many(n, "activity helps", "activities help"),
                if n == 1 { "it" } else { "them" }
            )));
        }
        let n = super::assistance_requests::naming_recommendation(conn, id)?;
        if n > 0 {
            return Err(super::documents::WriteError::Conflict(format!(
                "{} for help with this recommendation; change {} first.",
                how_many(n, "assistance request asks", "assistance requests ask"),
                if n == 1 { "it" } else { "them" }
            )));
        }
        Ok(())
    }

    fn columns(&self) -> RecommendationColumns {
        let c = &self.content;
        // Validated: a session of a UPR cycle (1 to 68), a category of a few values.
        let small = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
        RecommendationColumns {
            state_under_review: c.state_under_review.to_string(),
            cycle: small(self.cycle),
            session: small(c.session),
            response: c.response.map(|r| r.as_str().to_owned()),
            action_category: c.action_category.map(small),
        }
    }

    fn facets(&self) -> Vec<(&'static str, String)> {
        let c = &self.content;
        let mut out = Vec::new();
        out.extend(
            c.recommending_states
                .iter()
                .map(|v| ("recommending_state", v.to_string())),
        );
        out.extend(c.themes.iter().map(|v| ("theme", v.clone())));
        out.extend(
            c.affected_persons
                .iter()
                .map(|v| ("affected_persons", v.clone())),
        );
        out.extend(c.sdg_targets.iter().map(|v| ("sdg_target", v.clone())));
        out.extend(c.sdg_goals.iter().map(|v| ("sdg_goal", v.clone())));
        out.extend(c.sources.iter().map(|v| ("source", v.clone())));
        out
    }

    fn search_texts_of(content: &Self::Content) -> Vec<(Language, &str)> {
        content.search_texts()
    }

    fn refs_of(content: &RecommendationContent) -> &[ExternalRef] {
        &content.external_refs
    }

    fn natural_key(content: &RecommendationContent) -> String {
        content.natural_key()
    }
}

document_table! {
    Recommendation => recommendations (recommendation_facets . recommendation_seq numbered),
    RecommendationRow, RecommendationColumns {
        state_under_review: String,
        cycle: i32,
        session: i32,
        response: Option<String>,
        action_category: Option<i32>,
    }
}

/// The State's accepted recommendations (supported, or supported in part), oldest first.
pub fn accepted_of(
    conn: &mut super::DbConnection,
    state: &CountryCode,
) -> diesel::QueryResult<Vec<Recommendation>> {
    use super::schema::recommendations::dsl as r;
    use diesel::prelude::*;
    let accepted = [Response::Supported, Response::SupportedInPart].map(Response::as_str);
    let documents = r::recommendations
        .filter(r::state_under_review.eq(state.as_str()))
        .filter(r::response.eq_any(accepted))
        .order(r::seq)
        .select(r::document)
        .load::<String>(conn)?;
    parsed(&documents)
}

/// Recommendations read from their stored documents.
fn parsed(documents: &[String]) -> diesel::QueryResult<Vec<Recommendation>> {
    documents
        .iter()
        .map(|d| super::documents::parse_document(d))
        .collect()
}

/// The accepted recommendations (supported, or supported in part) after the id `after`, up to
/// `limit` of them in the order of their ids: each one's id, State under review and UPR cycle,
/// for the report's coverage.
pub fn accepted_keys(
    conn: &mut super::DbConnection,
    after: Option<&str>,
    limit: i64,
) -> diesel::QueryResult<Vec<(String, String, i32)>> {
    use super::schema::recommendations::dsl as r;
    use diesel::prelude::*;
    let accepted = [Response::Supported, Response::SupportedInPart].map(Response::as_str);
    let mut query = r::recommendations
        .filter(r::response.eq_any(accepted))
        .select((r::id, r::state_under_review, r::cycle))
        .order(r::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(r::id.gt(after.to_owned()));
    }
    query.load(conn)
}

/// The recommendations of one review (the State under review at one session), oldest first.
pub fn of_review(
    conn: &mut super::DbConnection,
    state: &str,
    session: i64,
) -> diesel::QueryResult<Vec<Recommendation>> {
    use super::schema::recommendations::dsl as r;
    use diesel::prelude::*;
    let Ok(session) = i32::try_from(session) else {
        return Ok(Vec::new());
    };
    // Found through the State's index, the session compared on each of its rows: a State has
    // a few reviews, a session many States. Without statistics SQLite took the session's index
    // (`session + 0` is no column it has an index on), and read every row of the session for
    // each review an import matches against: a third of a million instructions a review.
    let documents = r::recommendations
        .filter(r::state_under_review.eq(state))
        .filter((r::session + 0).eq(session))
        .order(r::seq)
        .select(r::document)
        .load::<String>(conn)?;
    parsed(&documents)
}

/// `n` items that do something, as a sentence begins: `1 activity helps`, `2 activities help`.
fn how_many(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
