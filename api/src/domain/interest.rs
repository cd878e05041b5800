//! A provider's interest in a State's assistance request, citing its offer (the matching
//! function, issue 11): the State (or `admin`) accepts one, and the request is matched, or
//! declines it; the provider withdraws it while it is pending; an accepted one becomes an
//! activity ([`activity_from_match`]). Interests are never public: the request's State, the
//! provider and `admin` read them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::activity::{ActivityInput, ActivityStatus, Participant, ParticipantRole};
use crate::domain::assistance_request::AssistanceRequest;
use crate::domain::offer::Offer;
use crate::domain::publication::Publication;
use crate::domain::validate::Errors;
use crate::domain::{
    ActivityId, AssistanceRequestId, FieldError, InterestId, Multilingual, OfferId, StakeholderId,
    Stored,
};

/// The longest message to the State, in characters.
pub const MAX_MESSAGE: usize = 4_000;
/// The longest title an activity made from a match takes from the request's description.
pub const MAX_TITLE: usize = 200;

/// Where an interest stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InterestStatus {
    /// Expressed, and waiting for the State's answer.
    Pending,
    /// The State took it: the request is matched.
    Accepted,
    /// The State declined it, or accepted another.
    Declined,
    /// The provider withdrew it.
    Withdrawn,
}

impl InterestStatus {
    pub const ALL: [Self; 4] = [
        Self::Pending,
        Self::Accepted,
        Self::Declined,
        Self::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What a provider sends to express interest in a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterestInput {
    /// The offer it cites: open, serving the request's State, and the caller's own (its
    /// organisation's for a `contributor`, its own stakeholder's for a `state`; any for
    /// `admin`).
    #[schema(value_type = Uuid)]
    pub offer: OfferId,
    /// A word to the State: what the provider proposes.
    #[schema(
        example = "We can train 40 prosecutors in Nairobi in the second half of the year.",
        max_length = 4000,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub message: Option<String>,
}

impl InterestInput {
    pub fn validate(self) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::default();
        e.optional_text("/message", self.message.as_deref(), MAX_MESSAGE);
        e.into_result(self)
    }
}

/// An interest as stored and served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Interest {
    #[serde(flatten)]
    pub stored: Stored<InterestId>,
    /// The request it is for.
    #[schema(value_type = Uuid)]
    pub assistance_request: AssistanceRequestId,
    /// The offer it cites.
    #[schema(value_type = Uuid)]
    pub offer: OfferId,
    /// The provider: the offer's stakeholder.
    #[schema(value_type = Uuid)]
    pub stakeholder: StakeholderId,
    pub status: InterestStatus,
    /// The provider's word to the State.
    pub message: Option<String>,
    /// The activity created from the match (`POST …/activity`), once there is one.
    #[schema(value_type = Option<Uuid>)]
    pub activity: Option<ActivityId>,
    /// When it was accepted, declined or withdrawn; `null` while pending.
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Why an interest may not move to a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decided(pub InterestStatus);

impl Interest {
    /// The interest in `next`: only a pending one is accepted, declined or withdrawn.
    pub fn becomes(&self, next: InterestStatus) -> Result<InterestStatus, Decided> {
        if self.status == InterestStatus::Pending && next != InterestStatus::Pending {
            Ok(next)
        } else {
            Err(Decided(self.status))
        }
    }
}

/// A title from a description: each language's first line that is not blank, cut at
/// [`MAX_TITLE`] characters (with `…` where it was cut).
pub fn title_of(description: &Multilingual) -> Multilingual {
    let cut = |text: &Option<String>| -> Option<String> {
        let text = text.as_deref()?;
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !crate::domain::validate::is_blank(l))?;
        Some(if line.chars().count() > MAX_TITLE {
            let mut short: String = line.chars().take(MAX_TITLE - 1).collect();
            short = short.trim_end().to_owned();
            short.push('…');
            crate::domain::validate::with_directions_closed(short)
        } else {
            line.to_owned()
        })
    };
    Multilingual {
        ar: cut(&description.ar),
        en: cut(&description.en),
        es: cut(&description.es),
        fr: cut(&description.fr),
        ru: cut(&description.ru),
        zh: cut(&description.zh),
    }
}

/// The activity a match makes: the request's State concerned, its recommendations, its
/// themes and SDG targets (the offer's when the request names none), the first of its
/// modalities the offer also offers, its period as the planned dates, its description as the
/// title (its first line) and summary; the provider submits it and implements it; in the
/// pipeline, a draft (the provider submits it when it is ready), naming the request and the
/// offer it came from.
pub fn activity_from_match(
    request: &AssistanceRequest,
    offer: &Offer,
    provider: StakeholderId,
) -> ActivityInput {
    let (r, o) = (&request.content, &offer.content);
    let or_offers = |asked: &Vec<String>, offered: &Vec<String>| {
        if asked.is_empty() {
            offered.clone()
        } else {
            asked.clone()
        }
    };
    let period = r.period.unwrap_or(crate::domain::needs::Period {
        start: None,
        end: None,
    });
    ActivityInput {
        title: title_of(&r.description),
        summary: Some(r.description.clone()),
        states_concerned: vec![r.state.to_string()],
        participants: vec![Participant {
            stakeholder: provider,
            role: ParticipantRole::Implementing,
        }],
        submitter: Some(provider),
        recommendations: r.recommendations.clone(),
        assistance_request: Some(request.stored.id),
        offer: Some(offer.stored.id),
        modality: r
            .modalities
            .iter()
            .find(|m| o.modalities.contains(m))
            .cloned(),
        status: ActivityStatus::Pipeline,
        planned_start: period.start,
        planned_end: period.end,
        actual_start: None,
        actual_end: None,
        budget: None,
        funding_sources: vec![],
        themes: or_offers(&r.themes, &o.themes),
        sdg_targets: or_offers(&r.sdg_targets, &o.sdg_targets),
        results: None,
        lessons_learned: None,
        good_practice: false,
        peer_to_peer: o.peer_to_peer,
        documents: vec![],
        publication: Publication::Draft,
        external_refs: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Id;

    /// A line of characters that show nothing is no title; a cut keeps the direction it
    /// opened to the title.
    #[test]
    fn a_title_cut_short_shows_what_it_holds() {
        let long = format!("\u{202b}{}\u{202c}", "ع".repeat(MAX_TITLE + 10));
        let description = Multilingual {
            ar: Some(format!("\u{200b}\u{2060}\n{long}")),
            ..Default::default()
        };
        let title = title_of(&description).ar.unwrap();
        assert!(
            title.starts_with('\u{202b}') && title.ends_with("…\u{202c}"),
            "{title:?}"
        );
        assert_eq!(
            crate::domain::validate::open_directions(&title),
            (false, vec![])
        );
    }

    #[test]
    fn a_title_is_the_first_line_cut_short() {
        let description = Multilingual {
            en: Some("\n  Reform of the family code  \nWe need advice on…".into()),
            fr: Some("é".repeat(MAX_TITLE + 10)),
            ..Default::default()
        };
        let title = title_of(&description);
        assert_eq!(title.en.as_deref(), Some("Reform of the family code"));
        let fr = title.fr.unwrap();
        assert_eq!(fr.chars().count(), MAX_TITLE);
        assert!(fr.ends_with('…'));
        assert_eq!(title.ar, None);
    }

    #[test]
    fn only_a_pending_interest_is_decided() {
        let mut interest = Interest {
            stored: Stored::new(InterestId::new_v7(), chrono::Utc::now()),
            assistance_request: AssistanceRequestId::default(),
            offer: OfferId::default(),
            stakeholder: StakeholderId::default(),
            status: InterestStatus::Pending,
            message: None,
            activity: None,
            decided_at: None,
        };
        assert_eq!(
            interest.becomes(InterestStatus::Accepted),
            Ok(InterestStatus::Accepted)
        );
        assert!(interest.becomes(InterestStatus::Pending).is_err());
        interest.status = InterestStatus::Declined;
        assert_eq!(
            interest.becomes(InterestStatus::Accepted),
            Err(Decided(InterestStatus::Declined))
        );
    }
}
