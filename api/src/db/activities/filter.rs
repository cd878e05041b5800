//! What a list of activities asks for, as SQL over the `activities r` row: the filters, and
//! what the caller may see.

use crate::domain::{AssistanceRequestId, CountryCode, OfferId, RecommendationId, StakeholderId};

use crate::domain::activity::ActivityStatus;
use crate::domain::publication::{Access, Publication};
use crate::domain::stakeholder::StakeholderKind;

/// What a list asks for; every part is optional and they combine with AND.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Who is asking: what it may see besides public activities.
    pub access: Access,
    /// Concerns one of these States.
    pub states: Option<Vec<CountryCode>>,
    /// Concerns a State of this regional group (its `snake_case` name).
    pub regional_group: Option<String>,
    pub stakeholder: Option<StakeholderId>,
    pub role: Option<String>,
    pub submitter_kind: Option<StakeholderKind>,
    pub recommendation: Option<RecommendationId>,
    /// Answers this assistance request.
    pub assistance_request: Option<AssistanceRequestId>,
    /// Delivers this offer.
    pub offer: Option<OfferId>,
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
    pub awaiting_consent_of: Option<CountryCode>,
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
            assistance_request: None,
            offer: None,
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
}
