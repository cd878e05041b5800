//! A consent record: a State's decision about publishing the activities that concern it.
//! Records are never changed or deleted; a change of mind is a new record.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::FieldError;
use crate::domain::codes::StateCode;
use crate::domain::publication::Decision;
use crate::domain::validate::Errors;
use crate::domain::{ActivityId, ConsentId, CountryCode, StakeholderId};

/// What a consent record covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    /// Every submission concerning the State.
    All,
    /// Every submission of one stakeholder (`stakeholder_id`).
    Submitter,
    /// One activity (`activity_id`).
    Activity,
}

impl ScopeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Submitter => "submitter",
            Self::Activity => "activity",
        }
    }
}

/// A consent record as a State (or `admin` on its behalf) records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// The State deciding. Implied by a `state` token (which may name only its own State);
    /// required from `admin`.
    #[schema(value_type = Option<StateCode>, example = "KEN")]
    pub state: Option<String>,
    pub decision: Decision,
    pub scope: ScopeKind,
    /// For scope `submitter`: the submitting stakeholder whose activities it covers.
    #[schema(value_type = Option<Uuid>)]
    pub stakeholder_id: Option<StakeholderId>,
    /// For scope `activity`: the activity it covers.
    #[schema(value_type = Option<Uuid>)]
    pub activity_id: Option<ActivityId>,
    /// Where the decision is recorded, e.g. the note verbale's symbol. Required from `admin`.
    #[schema(
        example = "Note verbale 123/2026",
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub reference: Option<String>,
    #[schema(max_length = 2000, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub note: Option<String>,
    /// When the State decided (e.g. the date of the note verbale); the time of recording when
    /// omitted. Records take effect in the order they are recorded.
    pub decided_at: Option<DateTime<Utc>>,
}

/// Who recorded a consent record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordedBy {
    /// `state` or `admin` (or `operator` for the command line).
    pub role: String,
    /// The token's subject; shown to `admin` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// A stored consent record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Consent {
    #[schema(value_type = Uuid)]
    pub id: ConsentId,
    #[schema(value_type = StateCode)]
    pub state: CountryCode,
    pub decision: Decision,
    pub scope: ScopeKind,
    #[schema(value_type = Option<Uuid>)]
    pub stakeholder_id: Option<StakeholderId>,
    #[schema(value_type = Option<Uuid>)]
    pub activity_id: Option<ActivityId>,
    pub reference: Option<String>,
    pub note: Option<String>,
    pub decided_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: RecordedBy,
}

impl Consent {
    /// The stakeholder or activity the record covers, as the `target` column stores it.
    pub fn target(&self) -> Option<Uuid> {
        match self.scope {
            ScopeKind::All => None,
            ScopeKind::Submitter => self.stakeholder_id.map(Uuid::from),
            ScopeKind::Activity => self.activity_id.map(Uuid::from),
        }
    }
}

impl ConsentInput {
    /// Checks what needs no database: the State's code, the ids the scope requires, texts.
    pub fn validate(mut self) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::default();
        if let Some(state) = &self.state {
            match CountryCode::parse_state(state) {
                Ok(code) => self.state = Some(code.to_string()),
                Err(err) => e.add("/state", "unknown_country", err.to_string()),
            }
        }
        let needs = |e: &mut Errors, field: &str, present: bool, wanted: bool| {
            if wanted && !present {
                e.add(
                    format!("/{field}"),
                    "required",
                    format!("scope `{}` needs `{field}`", self.scope.as_str()),
                );
            } else if present && !wanted {
                e.add(
                    format!("/{field}"),
                    "not_allowed",
                    format!("scope `{}` takes no `{field}`", self.scope.as_str()),
                );
            }
        };
        needs(
            &mut e,
            "stakeholder_id",
            self.stakeholder_id.is_some(),
            self.scope == ScopeKind::Submitter,
        );
        needs(
            &mut e,
            "activity_id",
            self.activity_id.is_some(),
            self.scope == ScopeKind::Activity,
        );
        e.optional_text("/reference", self.reference.as_deref(), 200);
        e.optional_text("/note", self.note.as_deref(), 2000);
        e.into_result(self)
    }
}
