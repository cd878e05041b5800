//! A consent record: a State's decision about publishing the activities that concern it.
//! Records are never changed or deleted; a change of mind is a new record.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::FieldError;
use crate::domain::caller::ActingRole;
use crate::domain::codes::StateCode;
pub use crate::domain::publication::ScopeKind;
use crate::domain::publication::{Decision, Scope};
use crate::domain::validate::Errors;
use crate::domain::{ActivityId, ConsentId, CountryCode, StakeholderId};

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
    /// For scope `activity`: the version of the activity the State read (its `version`, or
    /// its `ETag`'s number). A grant by name is for the activity's content when it is recorded
    /// (`granted_content`); with this, one recorded after the activity changed is refused
    /// (412), so that it never covers a content the State did not read. Not checked for a
    /// State taken off the activity, whose lift of its refusal covers no content.
    #[schema(minimum = 1, example = 3)]
    pub activity_version: Option<i64>,
    /// Where the decision is recorded, e.g. the note verbale's symbol. Required from `admin`.
    #[schema(
        example = "Note verbale 123/2026",
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub reference: Option<String>,
    #[schema(
        example = "Consent given for every activity the Ministry of Justice reported.",
        max_length = 2000,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub note: Option<String>,
    /// When the State decided (e.g. the date of the note verbale); the time of recording when
    /// omitted. Not later than a day ahead of the service's clock (`in_future`); kept to the
    /// microsecond. Records take effect in the order they are recorded.
    pub decided_at: Option<DateTime<Utc>>,
}

/// Who recorded a consent record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordedBy {
    /// `state` or `admin` (or `operator` for the command line).
    pub role: ActingRole,
    /// The token's subject; shown to `admin` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// A stored consent record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "ConsentDocument", try_from = "ConsentDocument")]
pub struct Consent {
    pub id: ConsentId,
    pub state: CountryCode,
    pub decision: Decision,
    /// What it covers, with its target.
    pub scope: Scope,
    pub reference: Option<String>,
    pub note: Option<String>,
    pub decided_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: RecordedBy,
    /// For a grant by name: the digest of the activity's content it was given for
    /// (`ActivityContent::consented`); empty for a lift by a State taken off the activity,
    /// which was given for no content.
    pub granted_content: Option<String>,
}

// A `Consent` as JSON and the contract write it: the scope's name, and its target in
// `stakeholder_id` or `activity_id`. Its doc comment is the contract's description.
/// A stored consent record.
#[derive(Serialize, Deserialize, ToSchema)]
#[schema(as = Consent)]
struct ConsentDocument {
    #[schema(value_type = Uuid)]
    id: ConsentId,
    #[schema(value_type = StateCode)]
    state: CountryCode,
    decision: Decision,
    scope: ScopeKind,
    #[schema(value_type = Option<Uuid>)]
    stakeholder_id: Option<StakeholderId>,
    #[schema(value_type = Option<Uuid>)]
    activity_id: Option<ActivityId>,
    reference: Option<String>,
    note: Option<String>,
    decided_at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    recorded_by: RecordedBy,
    /// For a grant by name: a digest of the activity's content as the State granted it (all
    /// but its publication state and its States concerned). The grant holds for that content:
    /// changed since, the activity awaits the State's consent again (unless a wider grant of
    /// the State covers it), and a new grant by name is for the content then. Empty for a
    /// State taken off the activity that lifts its refusal of it: it holds for no content, so
    /// put back on the activity, the State is asked again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "3f1c0a9e5b7d2c4e8a6b1d0f9e7c5a3b")]
    granted_content: Option<String>,
}

impl From<Consent> for ConsentDocument {
    fn from(c: Consent) -> Self {
        let (stakeholder_id, activity_id) = match c.scope {
            Scope::All => (None, None),
            Scope::Submitter(id) => (Some(id), None),
            Scope::Activity(id) => (None, Some(id)),
        };
        Self {
            id: c.id,
            state: c.state,
            decision: c.decision,
            scope: c.scope.kind(),
            stakeholder_id,
            activity_id,
            reference: c.reference,
            note: c.note,
            decided_at: c.decided_at,
            recorded_at: c.recorded_at,
            recorded_by: c.recorded_by,
            granted_content: c.granted_content,
        }
    }
}

impl TryFrom<ConsentDocument> for Consent {
    type Error = String;

    fn try_from(d: ConsentDocument) -> Result<Self, String> {
        let scope = match (d.scope, d.stakeholder_id, d.activity_id) {
            (ScopeKind::All, None, None) => Scope::All,
            (ScopeKind::Submitter, Some(id), None) => Scope::Submitter(id),
            (ScopeKind::Activity, None, Some(id)) => Scope::Activity(id),
            (kind, _, _) => {
                return Err(format!(
                    "consent record {}: scope `{}` with other targets",
                    d.id,
                    kind.as_str()
                ));
            }
        };
        Ok(Self {
            id: d.id,
            state: d.state,
            decision: d.decision,
            scope,
            reference: d.reference,
            note: d.note,
            decided_at: d.decided_at,
            recorded_at: d.recorded_at,
            recorded_by: d.recorded_by,
            granted_content: d.granted_content,
        })
    }
}

impl utoipa::PartialSchema for Consent {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        ConsentDocument::schema()
    }
}

impl ToSchema for Consent {
    fn name() -> std::borrow::Cow<'static, str> {
        ConsentDocument::name()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        ConsentDocument::schemas(schemas)
    }
}

/// A consent record's content, checked: the State (when given), the decision, what it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidConsent {
    pub state: Option<CountryCode>,
    pub decision: Decision,
    pub scope: Scope,
    pub reference: Option<String>,
    pub note: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// For scope `activity`: the version of the activity the State read.
    pub activity_version: Option<i64>,
}

impl ConsentInput {
    /// Checks what needs no database: the State's code, the ids the scope requires, texts.
    pub fn validate(self) -> Result<ValidConsent, Vec<FieldError>> {
        let mut e = Errors::default();
        let state = self
            .state
            .as_deref()
            .and_then(|code| e.country("/state", code, CountryCode::parse_state));
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
        if self.activity_version.is_some() && self.scope != ScopeKind::Activity {
            e.add(
                "/activity_version",
                "not_allowed",
                format!(
                    "scope `{}` takes no `activity_version`",
                    self.scope.as_str()
                ),
            );
        } else if self.activity_version.is_some_and(|v| v < 1) {
            e.add(
                "/activity_version",
                "invalid",
                "is not a version this repository gave out (a whole number from 1)",
            );
        }
        e.optional_text("/reference", self.reference.as_deref(), 200);
        e.optional_text("/note", self.note.as_deref(), 2000);
        e.year("/decided_at", self.decided_at);
        let target = match self.scope {
            ScopeKind::All => None,
            ScopeKind::Submitter => self.stakeholder_id.map(Uuid::from),
            ScopeKind::Activity => self.activity_id.map(Uuid::from),
        };
        let valid = Scope::of(self.scope, target).map(|scope| ValidConsent {
            state,
            decision: self.decision,
            scope,
            reference: self.reference,
            note: self.note,
            decided_at: self.decided_at,
            activity_version: self.activity_version,
        });
        match (e.into_result(()), valid) {
            (Ok(()), Some(valid)) => Ok(valid),
            (Err(errors), _) => Err(errors),
            // Every scope without its target was refused above.
            (Ok(()), None) => Err(vec![FieldError::new("/scope", "invalid", "no target")]),
        }
    }
}
