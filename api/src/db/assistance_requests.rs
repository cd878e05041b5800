//! Assistance requests in the document store: their columns, facets and filters. A draft is
//! the State's and `admin`'s only; every other status is public (`public`).

use diesel::prelude::*;

use super::DbConnection;
use super::activities::Referenced;
use super::documents::{
    Document, WriteError, first_shown_at, holds_former_languages, kept_languages,
};
use super::table::{Table, document_table};
use super::time::StoredTime;
use crate::domain::Language;
use crate::domain::assistance_request::{
    AssistanceRequest, AssistanceRequestContent, AssistanceRequestInput, RequestStatus,
};
use crate::domain::publication::Access;
use crate::domain::recommendation::Response;
use crate::domain::{AssistanceRequestId, ExternalRef, FieldError, RecommendationId, Stored};
use crate::reference::reference;

/// The filters of a list of requests.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Which requests the caller sees.
    pub access: Access,
    /// Asked by one of these States.
    pub states: Option<Vec<String>>,
    pub regional_group: Option<String>,
    pub recommendation: Option<RecommendationId>,
    pub theme: Option<String>,
    pub sdg_target: Option<String>,
    pub modality: Option<String>,
    pub language: Option<String>,
    pub status: Option<RequestStatus>,
}

impl Filter {
    pub fn new(access: Access) -> Self {
        Self {
            access,
            states: None,
            regional_group: None,
            recommendation: None,
            theme: None,
            sdg_target: None,
            modality: None,
            language: None,
            status: None,
        }
    }
}

impl AssistanceRequest {
    /// Whether anonymous callers see it: every status but a draft.
    pub fn public(&self) -> bool {
        self.content.status != RequestStatus::Draft
    }
}

/// Whether a caller with `access` sees a request: a public one, or its own State's.
pub fn may_see(access: &Access, request: &AssistanceRequestContent) -> bool {
    request.status != RequestStatus::Draft
        || match access {
            Access::Everything => true,
            Access::State(state) => *state == request.state,
            Access::Public | Access::Submitter(_) => false,
        }
}

impl Document for AssistanceRequest {
    type Input = AssistanceRequestInput;
    type Content = AssistanceRequestContent;
    type Id = AssistanceRequestId;

    const TABLE: Table = Table {
        entity: "assistance_request",
        table: "assistance_requests",
        facets: "assistance_request_facets",
        facet_key: "assistance_request_seq",
        facet_values: None,
        search: "assistance_request_search",
        same: "State and description",
        hides_items: true,
        first_shown: Some("opened_at"),
    };

    fn new(stored: Stored<AssistanceRequestId>, content: AssistanceRequestContent) -> Self {
        Self { stored, content }
    }

    fn stored(&self) -> &Stored<AssistanceRequestId> {
        &self.stored
    }

    fn content(&self) -> &AssistanceRequestContent {
        &self.content
    }

    fn is_public(&self) -> bool {
        self.public()
    }

    /// Interests and activities name it: its history stays, and the State closes it instead.
    fn before_delete(conn: &mut DbConnection, id: AssistanceRequestId) -> Result<(), WriteError> {
        let n = super::interests::naming_request(conn, id)?;
        if n > 0 {
            return Err(WriteError::Conflict(format!(
                "{n} interests were expressed in this request: close it (`status: closed`) instead of deleting it."
            )));
        }
        // Not how many: some may be drafts the State does not see.
        if super::activities::references_to(conn, Referenced::AssistanceRequest(id))? > 0 {
            return Err(WriteError::Conflict(
                "Activities answer this request: close it (`status: closed`) instead of deleting it."
                    .into(),
            ));
        }
        Ok(())
    }

    /// Only while it is public.
    fn public_json(&self, full: &str) -> Option<String> {
        self.public().then(|| full.to_owned())
    }

    fn columns(&self) -> AssistanceRequestColumns {
        AssistanceRequestColumns {
            state: self.content.state.to_string(),
            status: self.content.status.as_str().to_owned(),
            public: self.public(),
            opened_at: first_shown_at(self),
        }
    }

    fn shown(&self) -> bool {
        matches!(
            self.content.status,
            RequestStatus::Open | RequestStatus::Matched
        )
    }

    fn holds_former_codes(&self) -> bool {
        holds_former_languages(&self.content.languages)
    }

    fn facets(&self) -> Vec<(&'static str, String)> {
        let c = &self.content;
        let mut out: Vec<(&'static str, String)> = Vec::new();
        if let Some(group) = reference()
            .country(c.state.as_str())
            .and_then(|c| c.regional_group)
        {
            out.push(("regional_group", group.as_str().to_owned()));
        }
        out.extend(
            c.recommendations
                .iter()
                .map(|r| ("recommendation", r.to_string())),
        );
        out.extend(c.themes.iter().map(|v| ("theme", v.clone())));
        out.extend(c.sdg_targets.iter().map(|v| ("sdg_target", v.clone())));
        out.extend(c.modalities.iter().map(|v| ("modality", v.clone())));
        out.extend(kept_languages(&c.languages).map(|v| ("language", v)));
        out
    }

    fn search_texts_of(content: &Self::Content) -> Vec<(Language, &str)> {
        content.search_texts()
    }

    fn refs_of(_content: &AssistanceRequestContent) -> &[ExternalRef] {
        &[]
    }

    fn natural_key(content: &AssistanceRequestContent) -> String {
        content.natural_key()
    }
}

document_table! {
    AssistanceRequest => assistance_requests (assistance_request_facets . assistance_request_seq),
    AssistanceRequestRow, AssistanceRequestColumns {
        state: String,
        status: String,
        public: bool,
        #[diesel(skip_update)]
        opened_at: Option<StoredTime>,
    }
}

/// What a request's recommendations are that they may not be: unknown, made to another State,
/// or not accepted (noted, or not responded to yet). Matching serves accepted ones only.
pub fn check_references(
    conn: &mut DbConnection,
    content: &AssistanceRequestContent,
) -> QueryResult<Vec<FieldError>> {
    use super::schema::recommendations::dsl as r;
    let ids: Vec<String> = content
        .recommendations
        .iter()
        .map(|r| r.to_string())
        .collect();
    let mut found: std::collections::HashMap<String, (String, Option<String>)> =
        std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        for (id, state, response) in r::recommendations
            .filter(r::id.eq_any(chunk))
            .select((r::id, r::state_under_review, r::response))
            .load::<(String, String, Option<String>)>(conn)?
        {
            found.insert(id, (state, response));
        }
    }
    let mut errors = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let at = format!("/recommendations/{i}");
        match found.get(id) {
            None => errors.push(FieldError::new(
                at,
                "unknown_recommendation",
                format!("no recommendation has the id {id}"),
            )),
            Some((state, _)) if state != content.state.as_str() => {
                errors.push(FieldError::new(
                    at,
                    "another_state",
                    format!(
                        "the recommendation was made to {state}; a request is for its own State's recommendations ({})",
                        content.state
                    ),
                ))
            }
            Some((_, response)) => {
                let accepted = [Response::Supported, Response::SupportedInPart]
                    .iter()
                    .any(|r| response.as_deref() == Some(r.as_str()));
                if !accepted {
                    errors.push(FieldError::new(
                        at,
                        "not_accepted",
                        format!(
                            "the State has {} this recommendation; a request is for accepted (supported) recommendations",
                            response.as_deref().map_or("not responded to", |_| "noted")
                        ),
                    ))
                }
            }
        }
    }
    Ok(errors)
}

/// How many requests ask for help with this recommendation (it may not be deleted while any
/// does).
pub fn naming_recommendation(conn: &mut DbConnection, id: RecommendationId) -> QueryResult<i64> {
    use super::schema::assistance_request_facets::dsl as f;
    f::assistance_request_facets
        .filter(f::facet.eq("recommendation"))
        .filter(f::value.eq(id.to_string()))
        .count()
        .get_result(conn)
}

/// The State's first `limit` open requests, oldest first, whoever may see them.
pub fn open_of(
    conn: &mut DbConnection,
    state: &crate::domain::CountryCode,
    limit: usize,
) -> QueryResult<Vec<AssistanceRequest>> {
    use super::schema::assistance_requests::dsl as a;
    a::assistance_requests
        .filter(a::state.eq(state.as_str()))
        .filter(a::status.eq(RequestStatus::Open.as_str()))
        .order(a::seq)
        .limit(limit as i64)
        .select(a::document)
        .load::<String>(conn)?
        .iter()
        .map(|d| super::documents::parse_document(d))
        .collect()
}

/// How many open requests the State has.
pub fn count_open(conn: &mut DbConnection, state: &crate::domain::CountryCode) -> QueryResult<i64> {
    use super::schema::assistance_requests::dsl as a;
    a::assistance_requests
        .filter(a::state.eq(state.as_str()))
        .filter(a::status.eq(RequestStatus::Open.as_str()))
        .count()
        .get_result(conn)
}
