//! A State's need for technical cooperation: what it asks for, for which of its accepted
//! recommendations, in which languages and when. Its words are the State's own, so an open
//! request is public once filed (by the State, or by `admin` on its behalf with the reference
//! of the State's note).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Language;
use crate::domain::codes::{ModalityCode, SdgTargetCode, StateCode};
use crate::domain::needs::Period;
use crate::domain::recommendation::MAX_TEXT;
use crate::domain::stakeholder::LanguageCode;
use crate::domain::validate::Errors;
use crate::domain::{
    AssistanceRequestId, CountryCode, FieldError, Multilingual, RecommendationId, Stored,
    normalise_text,
};

/// Where a request stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Being written: seen only by the State and `admin`.
    Draft,
    /// Public, and looking for help.
    #[default]
    Open,
    /// The State accepted a provider's interest.
    Matched,
    Closed,
}

impl RequestStatus {
    pub const ALL: [Self; 4] = [Self::Draft, Self::Open, Self::Matched, Self::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Matched => "matched",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

// `S` is how the State is held: the string a client sends until `validate` makes it a
// `CountryCode` (`AssistanceRequestContent`, what is stored). The doc comment below is the
// contract's.
/// The content of an assistance request, as filed or replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, bound(deserialize = "S: Deserialize<'de>"))]
pub struct AssistanceRequestInput<S = String> {
    /// The State asking, ISO alpha-3: a `state` token's own State.
    #[schema(value_type = StateCode, example = "KEN")]
    pub state: S,
    /// The reference of the State's request when `admin` files or changes it on the State's
    /// behalf (a note verbale symbol); required then, unless the request is written as it is.
    #[schema(
        example = "Note verbale 123/2026",
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub reference: Option<String>,
    /// Ids of the State's accepted recommendations the help is for.
    #[serde(default)]
    #[schema(value_type = Vec<Uuid>, max_items = 500)]
    pub recommendations: Vec<RecommendationId>,
    /// Codes of `/api/v1/reference/themes`.
    #[serde(default)]
    #[schema(value_type = Vec<crate::domain::codes::ThemeCode>, max_items = 100)]
    pub themes: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<SdgTargetCode>, max_items = 169)]
    pub sdg_targets: Vec<String>,
    /// The kinds of help asked for.
    #[serde(default)]
    #[schema(value_type = Vec<ModalityCode>, max_items = 20)]
    pub modalities: Vec<String>,
    /// Languages the help must be given in (ISO 639); any when empty.
    #[serde(default)]
    #[schema(value_type = Vec<LanguageCode>, max_items = 50)]
    pub languages: Vec<String>,
    /// When the help is needed.
    pub period: Option<Period>,
    pub description: Multilingual,
    #[serde(default)]
    pub status: RequestStatus,
}

/// A valid request, as stored.
pub type AssistanceRequestContent = AssistanceRequestInput<CountryCode>;

/// An assistance request as stored and served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AssistanceRequest {
    #[serde(flatten)]
    pub stored: Stored<AssistanceRequestId>,
    #[serde(flatten)]
    #[schema(value_type = AssistanceRequestInput)]
    pub content: AssistanceRequestContent,
}

impl AssistanceRequestInput {
    pub fn validate(mut self) -> Result<AssistanceRequestContent, Vec<FieldError>> {
        let mut e = Errors::default();
        let state = e.country("/state", &self.state, CountryCode::parse_state);
        e.optional_text("/reference", self.reference.as_deref(), 200);
        e.distinct(
            "/recommendations",
            &mut self.recommendations,
            500,
            |_, _, _| {},
        );
        e.themes("/themes", &mut self.themes);
        e.sdg_targets("/sdg_targets", &mut self.sdg_targets);
        e.modalities("/modalities", &mut self.modalities);
        e.languages("/languages", &mut self.languages);
        e.period("/period", self.period.as_ref());
        e.multilingual("/description", &self.description, MAX_TEXT);
        let content = state.map(|state| AssistanceRequestInput {
            state,
            reference: self.reference,
            recommendations: self.recommendations,
            themes: self.themes,
            sdg_targets: self.sdg_targets,
            modalities: self.modalities,
            languages: self.languages,
            period: Period::given(self.period),
            description: self.description,
            status: self.status,
        });
        e.into_valid(content)
    }
}

impl AssistanceRequestContent {
    /// The State and the description's first text: the same request filed twice is one.
    pub fn natural_key(&self) -> String {
        let description = self
            .description
            .texts()
            .next()
            .map(|(_, t)| normalise_text(t))
            .unwrap_or_default();
        crate::digest::natural_key(format!("{}|{description}", self.state))
    }
}

impl<S> AssistanceRequestInput<S> {
    /// Every language's description, for full-text search.
    pub fn search_texts(&self) -> Vec<(Language, &str)> {
        self.description.texts().collect()
    }
}
