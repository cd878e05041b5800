//! A technical-cooperation or capacity-building activity: what a client sends, how it is
//! checked, and what is stored and served. Whether it is public is decided in `publication`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::FieldError;
use crate::domain::Language;
use crate::domain::codes::{
    CURRENCIES, CurrencyCode, FundingSourceCode, ModalityCode, SdgTargetCode, StateCode, ThemeCode,
};
use crate::domain::publication::{Publication, Visibility};
use crate::domain::recommendation::MAX_TEXT;
use crate::domain::stakeholder::LanguageCode;
use crate::domain::validate::{Errors, dedup};
use crate::domain::{
    ActivityId, AssistanceRequestId, CountryCode, ExternalRef, Multilingual, OfferId,
    RecommendationId, StakeholderId, Stored, normalise_text,
};
use crate::reference::reference;

/// The most documents an activity links to.
const MAX_DOCUMENTS: usize = 50;

/// How a stakeholder takes part (IATI OrganisationRole, by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantRole {
    Funding,
    Accountable,
    Extending,
    Implementing,
}

impl ParticipantRole {
    pub const ALL: [Self; 4] = [
        Self::Funding,
        Self::Accountable,
        Self::Extending,
        Self::Implementing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Funding => "funding",
            Self::Accountable => "accountable",
            Self::Extending => "extending",
            Self::Implementing => "implementing",
        }
    }

    /// The IATI OrganisationRole code.
    pub fn iati_code(self) -> &'static str {
        match self {
            Self::Funding => "1",
            Self::Accountable => "2",
            Self::Extending => "3",
            Self::Implementing => "4",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// IATI activity status, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityStatus {
    Pipeline,
    Implementation,
    Finalisation,
    Closed,
    Cancelled,
    Suspended,
}

impl ActivityStatus {
    pub const ALL: [Self; 6] = [
        Self::Pipeline,
        Self::Implementation,
        Self::Finalisation,
        Self::Closed,
        Self::Cancelled,
        Self::Suspended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pipeline => "pipeline",
            Self::Implementation => "implementation",
            Self::Finalisation => "finalisation",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
            Self::Suspended => "suspended",
        }
    }

    /// The IATI ActivityStatus code.
    pub fn iati_code(self) -> &'static str {
        match self {
            Self::Pipeline => "1",
            Self::Implementation => "2",
            Self::Finalisation => "3",
            Self::Closed => "4",
            Self::Cancelled => "5",
            Self::Suspended => "6",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A stakeholder taking part in an activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Participant {
    /// The stakeholder's id.
    #[schema(value_type = Uuid)]
    pub stakeholder: StakeholderId,
    pub role: ParticipantRole,
}

/// The money an activity has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// A decimal amount, written as a string so no precision is lost: `25000` or `25000.50`.
    #[schema(example = "25000.00", pattern = "^[0-9]{1,15}(\\.[0-9]{1,4})?$")]
    pub amount: String,
    #[schema(value_type = CurrencyCode, example = "USD")]
    pub currency: String,
}

/// A document about an activity: a report, an agenda, a publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentLink {
    #[schema(
        example = "https://www.ohchr.org/en/documents/report.pdf",
        max_length = 500,
        pattern = "^https?://[^\\s\\u0000\\[\\]]+$"
    )]
    pub url: String,
    #[schema(
        example = "Mid-term report on the implementation of UPR recommendations",
        max_length = 500,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub title: Option<String>,
    /// The document's language, ISO 639.
    #[schema(value_type = Option<LanguageCode>)]
    pub language: Option<String>,
}

// `S` is how the States concerned are held: the strings a client sends (so a code that does not
// read is a 422 naming its field, not a 400 from the JSON reader) until `validate` makes them
// `CountryCode`s (`ActivityContent`, what is stored). The doc comment below is the contract's.
/// The content of an activity, as created or replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, bound(deserialize = "S: Deserialize<'de>"))]
pub struct ActivityInput<S = String> {
    pub title: Multilingual,
    pub summary: Option<Multilingual>,
    /// The beneficiary States, ISO alpha-3: each must consent before the activity is public
    /// (unless it submitted the activity itself).
    #[schema(value_type = Vec<StateCode>, example = json!(["KEN"]), min_items = 1, max_items = 50)]
    pub states_concerned: Vec<S>,
    /// The stakeholders taking part, each with its IATI role.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub participants: Vec<Participant>,
    /// The submitting stakeholder. Implied by a `contributor` token (its organisation) and by a
    /// `state` token (the State's own stakeholder); an `admin` gives it.
    #[schema(value_type = Option<Uuid>)]
    pub submitter: Option<StakeholderId>,
    /// Ids of the recommendations it helps implement; each concerns one of the States
    /// concerned.
    #[serde(default)]
    #[schema(value_type = Vec<Uuid>, max_items = 500)]
    pub recommendations: Vec<RecommendationId>,
    /// The assistance request it answers (an activity made from a match names it): a request
    /// of one of the States concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Uuid>)]
    pub assistance_request: Option<AssistanceRequestId>,
    /// The offer it delivers (an activity made from a match names it): an offer of its
    /// submitter or of one of its participants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Uuid>)]
    pub offer: Option<OfferId>,
    #[schema(value_type = Option<ModalityCode>)]
    pub modality: Option<String>,
    pub status: ActivityStatus,
    pub planned_start: Option<NaiveDate>,
    pub planned_end: Option<NaiveDate>,
    pub actual_start: Option<NaiveDate>,
    pub actual_end: Option<NaiveDate>,
    pub budget: Option<Budget>,
    /// Codes of `/api/v1/reference/funding-sources`.
    #[serde(default)]
    #[schema(value_type = Vec<FundingSourceCode>, max_items = 20)]
    pub funding_sources: Vec<String>,
    /// Codes of `/api/v1/reference/themes`.
    #[serde(default)]
    #[schema(value_type = Vec<ThemeCode>, max_items = 100)]
    pub themes: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<SdgTargetCode>, max_items = 169)]
    pub sdg_targets: Vec<String>,
    pub results: Option<Multilingual>,
    pub lessons_learned: Option<Multilingual>,
    /// Put forward as a good practice.
    #[serde(default)]
    pub good_practice: bool,
    /// Offered as peer-to-peer assistance to States that ask for it.
    #[serde(default)]
    pub peer_to_peer: bool,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub documents: Vec<DocumentLink>,
    /// `draft` (the default) until its submitter submits it.
    #[serde(default = "draft")]
    pub publication: Publication,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub external_refs: Vec<ExternalRef>,
}

fn draft() -> Publication {
    Publication::Draft
}

/// An activity's validated content: the States concerned known codes. It writes and reads the
/// same JSON as the [`ActivityInput`] it came from.
pub type ActivityContent = ActivityInput<CountryCode>;

impl ActivityContent {
    /// The digest of what a State's grant by name is given for (`publication::ConsentFact`):
    /// the content but for its publication state (withdrawn and submitted again, it says the
    /// same) and its States concerned (each decides for itself). Stored with the grant.
    ///
    /// Fields that say nothing (`null`, `false`, an empty list or object) are left out of it, so
    /// that a field a later release adds, absent from every stored activity, changes no digest.
    pub fn consented(&self) -> String {
        let mut value = serde_json::to_value(self).expect("activities serialise");
        if let Some(fields) = value.as_object_mut() {
            fields.remove("publication");
            fields.remove("states_concerned");
        }
        said(&mut value);
        crate::digest::sha256_hex(value.to_string(), 16)
    }
}

/// `value` without the members of its objects, at any depth, that say nothing.
fn said(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(fields) => {
            fields.values_mut().for_each(said);
            fields.retain(|_, v| {
                !matches!(v, Value::Null | Value::Bool(false))
                    && !v.as_array().is_some_and(Vec::is_empty)
                    && !v.as_object().is_some_and(serde_json::Map::is_empty)
            });
        }
        Value::Array(items) => items.iter_mut().for_each(said),
        _ => {}
    }
}

/// A stored activity. `visibility` says whether it is public and, if not, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Activity {
    #[serde(flatten)]
    pub stored: Stored<ActivityId>,
    #[serde(flatten)]
    #[schema(value_type = ActivityInput)]
    pub content: ActivityContent,
    pub visibility: Visibility,
    /// What the rule and the filters read from the submitter; not part of the document.
    #[serde(skip)]
    pub derived: Derived,
}

/// What an activity derives from its submitter when it is written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Derived {
    /// The submitter's stakeholder kind.
    pub submitter_kind: crate::domain::stakeholder::StakeholderKind,
    /// The State the submitter is, when it is a State's own stakeholder.
    pub submitter_state: Option<CountryCode>,
}

fn is_amount(s: &str) -> bool {
    let (whole, fraction) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    let digits = |t: &str, max: usize| {
        !t.is_empty() && t.len() <= max && t.bytes().all(|b| b.is_ascii_digit())
    };
    digits(whole, 15) && fraction.is_none_or(|f| digits(f, 4))
}

/// Why an activity cannot have the submitter a request gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitterError {
    /// `admin` names the submitter; none was given.
    Required,
    /// The caller names a stakeholder other than the one it submits as.
    NotYours,
}

impl SubmitterError {
    pub fn field_error(self) -> FieldError {
        match self {
            Self::Required => FieldError::new(
                "/submitter",
                "required",
                "an admin names the submitting stakeholder",
            ),
            Self::NotYours => FieldError::new(
                "/submitter",
                "forbidden",
                "a contributor submits for its own organisation, a State as itself",
            ),
        }
    }
}

/// The submitter of a new activity, the one rule for every way in (the API and bulk uploads):
/// `own` is the stakeholder the caller submits as — its organisation, or its State's own
/// stakeholder — and `None` for `admin`, who must name one. Naming another is refused.
pub fn submitter_of(
    own: Option<StakeholderId>,
    given: Option<StakeholderId>,
) -> Result<StakeholderId, SubmitterError> {
    match (own, given) {
        (Some(own), Some(given)) if own != given => Err(SubmitterError::NotYours),
        (Some(own), _) => Ok(own),
        (None, Some(given)) => Ok(given),
        (None, None) => Err(SubmitterError::Required),
    }
}

impl ActivityInput {
    /// Checks every field that needs no database, and brings codes to their canonical form.
    /// The references (submitter, participants, recommendations) are checked by the caller.
    pub fn validate(mut self) -> Result<ActivityContent, Vec<FieldError>> {
        let mut e = Errors::default();
        e.multilingual("/title", &self.title, 1_000);
        for (pointer, text) in [
            ("/summary", &self.summary),
            ("/results", &self.results),
            ("/lessons_learned", &self.lessons_learned),
        ] {
            if let Some(text) = text {
                e.multilingual(pointer, text, MAX_TEXT);
            }
        }
        if self.states_concerned.is_empty() {
            e.add(
                "/states_concerned",
                "required",
                "name at least one State concerned",
            );
        }
        let mut states_concerned = Vec::with_capacity(self.states_concerned.len());
        e.each(
            "/states_concerned",
            &self.states_concerned,
            50,
            |e, at, s| states_concerned.extend(e.country(at, s, CountryCode::parse_state)),
        );
        // `ken` and `KEN` are one State.
        dedup(&mut states_concerned);
        e.distinct("/participants", &mut self.participants, 100, |_, _, _| {});
        e.distinct(
            "/recommendations",
            &mut self.recommendations,
            500,
            |_, _, _| {},
        );
        let data = reference();
        if let Some(m) = &self.modality
            && data.modality(m).is_none()
        {
            e.add(
                "/modality",
                "unknown_code",
                format!("`{m}` is not a code of /api/v1/reference/modalities"),
            );
        }
        for (pointer, day) in [
            ("/planned_start", self.planned_start),
            ("/planned_end", self.planned_end),
            ("/actual_start", self.actual_start),
            ("/actual_end", self.actual_end),
        ] {
            e.year(pointer, day);
        }
        for (pointer, start, end) in [
            ("/planned_end", self.planned_start, self.planned_end),
            ("/actual_end", self.actual_start, self.actual_end),
        ] {
            if let (Some(start), Some(end)) = (start, end)
                && end < start
            {
                e.add(pointer, "before_start", "must not be before the start");
            }
        }
        if let Some(budget) = &mut self.budget {
            if !is_amount(&budget.amount) {
                e.add(
                    "/budget/amount",
                    "invalid",
                    "must be a decimal amount such as `25000` or `25000.50`",
                );
            }
            budget.currency = budget.currency.to_ascii_uppercase();
            if !CURRENCIES.contains(&budget.currency.as_str()) {
                e.add(
                    "/budget/currency",
                    "unknown_code",
                    "must be an active ISO 4217 currency code such as `USD`",
                );
            }
        }
        e.distinct(
            "/funding_sources",
            &mut self.funding_sources,
            20,
            |e, at, code| {
                if data.funding_source(code).is_none() {
                    e.add(
                        at,
                        "unknown_code",
                        format!("`{code}` is not a code of /api/v1/reference/funding-sources"),
                    );
                }
            },
        );
        e.themes("/themes", &mut self.themes);
        e.sdg_targets("/sdg_targets", &mut self.sdg_targets);
        if self.documents.len() <= MAX_DOCUMENTS {
            for (i, d) in self.documents.iter_mut().enumerate() {
                if let Some(language) = &mut d.language {
                    e.language(&format!("/documents/{i}/language"), language);
                }
            }
        }
        e.distinct(
            "/documents",
            &mut self.documents,
            MAX_DOCUMENTS,
            |e, at, d| {
                e.web_address(&format!("{at}/url"), &d.url);
                e.optional_text(&format!("{at}/title"), d.title.as_deref(), 500);
            },
        );
        ExternalRef::validate_all(&mut e, "/external_refs", &mut self.external_refs);
        e.into_result(ActivityInput {
            states_concerned,
            title: self.title,
            summary: self.summary,
            participants: self.participants,
            submitter: self.submitter,
            recommendations: self.recommendations,
            assistance_request: self.assistance_request,
            offer: self.offer,
            modality: self.modality,
            status: self.status,
            planned_start: self.planned_start,
            planned_end: self.planned_end,
            actual_start: self.actual_start,
            actual_end: self.actual_end,
            budget: self.budget,
            funding_sources: self.funding_sources,
            themes: self.themes,
            sdg_targets: self.sdg_targets,
            results: self.results,
            lessons_learned: self.lessons_learned,
            good_practice: self.good_practice,
            peer_to_peer: self.peer_to_peer,
            documents: self.documents,
            publication: self.publication,
            external_refs: self.external_refs,
        })
    }
}

impl<S> ActivityInput<S> {
    /// When it runs: actual dates where known, else planned ones.
    pub fn active_from(&self) -> Option<NaiveDate> {
        self.actual_start.or(self.planned_start)
    }

    pub fn active_to(&self) -> Option<NaiveDate> {
        self.actual_end.or(self.planned_end)
    }

    /// Submitter, normalised title and planned start (hashed): the same activity imported
    /// twice has the same key.
    pub fn natural_key(&self) -> String {
        crate::digest::natural_key(self.key_text())
    }

    /// The key of an activity a State makes from a match in its provider's name where the
    /// provider holds one of the same [`natural_key`](Self::natural_key), which the State may
    /// not see (`app::interests::make_activity`): the natural key's parts and the request and
    /// offer it answers, so that the State learns nothing of the provider's activities. The
    /// provider, who sees both, is told of the other when it next writes this one.
    pub fn match_key(&self) -> String {
        let named = |id: Option<String>| id.unwrap_or_default();
        crate::digest::natural_key(format!(
            "{}|{}|{}",
            self.key_text(),
            named(self.assistance_request.map(|r| r.to_string())),
            named(self.offer.map(|o| o.to_string()))
        ))
    }

    fn key_text(&self) -> String {
        let title = self
            .title
            .texts()
            .next()
            .map(|(_, t)| normalise_text(t))
            .unwrap_or_default();
        let submitter = self.submitter.map(|s| s.to_string()).unwrap_or_default();
        let start = self
            .planned_start
            .map(|d| d.to_string())
            .unwrap_or_default();
        format!("{submitter}|{title}|{start}")
    }

    /// Every language's title, summary, results and lessons, for full-text search.
    pub fn search_texts(&self) -> Vec<(Language, &str)> {
        let mut parts: Vec<(Language, &str)> = self.title.texts().collect();
        for text in [&self.summary, &self.results, &self.lessons_learned]
            .into_iter()
            .flatten()
        {
            parts.extend(text.texts());
        }
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn the_submitter_rule() {
        let (own, other) = (
            StakeholderId::from(Uuid::from_u128(1)),
            StakeholderId::from(Uuid::from_u128(2)),
        );
        assert_eq!(submitter_of(Some(own), None), Ok(own));
        assert_eq!(submitter_of(Some(own), Some(own)), Ok(own));
        assert_eq!(
            submitter_of(Some(own), Some(other)),
            Err(SubmitterError::NotYours)
        );
        assert_eq!(submitter_of(None, Some(other)), Ok(other));
        assert_eq!(submitter_of(None, None), Err(SubmitterError::Required));
    }

    #[test]
    fn amounts_are_plain_decimals() {
        for good in ["0", "25000", "25000.5", "1.2345", "999999999999999"] {
            assert!(is_amount(good), "{good}");
        }
        for bad in ["", ".5", "5.", "-1", "1e5", "1,000", "1.23456", "1 000"] {
            assert!(!is_amount(bad), "{bad}");
        }
    }
}
