//! A stakeholder's offer of help: what it can give (themes, SDG targets, modalities,
//! languages), where (States, M49 regions, the Council's regional groups, or anywhere) and
//! when, citing its past activities. A State may offer its own experience, peer to peer.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Language;
use crate::domain::codes::{ModalityCode, RegionCode, SdgTargetCode, StateCode, ThemeCode};
use crate::domain::needs::Period;
use crate::domain::recommendation::MAX_TEXT;
use crate::domain::stakeholder::{LanguageCode, is_region_code};
use crate::domain::validate::{Errors, dedup};
use crate::domain::{
    ActivityId, CountryCode, FieldError, Multilingual, OfferId, StakeholderId, Stored,
    normalise_text,
};
use crate::reference::RegionalGroup;

/// The most past activities an offer cites (the contract's `maxItems` of `activities`).
pub const MAX_CITED_ACTIVITIES: usize = 100;

/// Where an offer stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    /// Being written: seen only by its stakeholder and `admin`.
    Draft,
    /// Public, and available.
    #[default]
    Open,
    /// No longer available; still public.
    Closed,
}

impl OfferStatus {
    pub const ALL: [Self; 3] = [Self::Draft, Self::Open, Self::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

// `S` is how the States served are held: the strings a client sends until `validate` makes
// them `CountryCode`s (`OfferContent`, what is stored). The doc comment below is the
// contract's.
/// The content of an offer, as made or replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, bound(deserialize = "S: Deserialize<'de>"))]
pub struct OfferInput<S = String> {
    /// The offering stakeholder. Implied by a `contributor` token (its organisation) and by a
    /// `state` token (the State's own stakeholder); an `admin` gives it.
    #[schema(value_type = Option<Uuid>)]
    pub stakeholder: Option<StakeholderId>,
    /// Codes of `/api/v1/reference/themes`.
    #[serde(default)]
    #[schema(value_type = Vec<ThemeCode>, max_items = 100)]
    pub themes: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<SdgTargetCode>, max_items = 169)]
    pub sdg_targets: Vec<String>,
    /// The kinds of help offered.
    #[serde(default)]
    #[schema(value_type = Vec<ModalityCode>, max_items = 20)]
    pub modalities: Vec<String>,
    /// Languages the help can be given in (ISO 639).
    #[serde(default)]
    #[schema(value_type = Vec<LanguageCode>, max_items = 50)]
    pub languages: Vec<String>,
    /// States served, ISO alpha-3. With `regions` and `regional_groups` empty too, the offer
    /// serves every State.
    #[serde(default)]
    #[schema(value_type = Vec<StateCode>, max_items = 250)]
    pub states: Vec<S>,
    /// M49 areas served (`002` Africa, `142` Asia, `001` the world, …).
    #[serde(default)]
    #[schema(value_type = Vec<RegionCode>, max_items = 50)]
    pub regions: Vec<String>,
    /// The Human Rights Council's regional groups served.
    #[serde(default)]
    #[schema(max_items = 5)]
    pub regional_groups: Vec<RegionalGroup>,
    /// What it can give: experts, days, funds.
    pub capacity: Option<Multilingual>,
    /// When it is available.
    pub period: Option<Period>,
    pub description: Multilingual,
    /// Offered by a State from its own experience, peer to peer: only a State's own offer is
    /// (another's is a 422 `not_a_state`).
    #[serde(default)]
    pub peer_to_peer: bool,
    /// Ids of the stakeholder's past activities it cites.
    #[serde(default)]
    #[schema(value_type = Vec<Uuid>, max_items = 100)]
    pub activities: Vec<ActivityId>,
    #[serde(default)]
    pub status: OfferStatus,
}

/// A valid offer, as stored.
pub type OfferContent = OfferInput<CountryCode>;

/// An offer as stored and served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Offer {
    #[serde(flatten)]
    pub stored: Stored<OfferId>,
    #[serde(flatten)]
    #[schema(value_type = OfferInput)]
    pub content: OfferContent,
}

impl OfferInput {
    pub fn validate(mut self) -> Result<OfferContent, Vec<FieldError>> {
        let mut e = Errors::default();
        e.themes("/themes", &mut self.themes);
        e.sdg_targets("/sdg_targets", &mut self.sdg_targets);
        e.modalities("/modalities", &mut self.modalities);
        e.languages("/languages", &mut self.languages);
        let mut states = Vec::with_capacity(self.states.len());
        if self.states.len() > 250 {
            e.add("/states", "too_many", "at most 250 items");
        } else {
            for (i, code) in self.states.iter().enumerate() {
                if let Some(c) = e.country(format!("/states/{i}"), code, CountryCode::parse_state) {
                    states.push(c);
                }
            }
        }
        dedup(&mut states);
        e.distinct("/regions", &mut self.regions, 50, |e, at, code| {
            if !is_region_code(code) {
                e.add(
                    at,
                    "unknown_code",
                    format!("`{code}` is not an M49 area code"),
                );
            }
        });
        e.distinct(
            "/regional_groups",
            &mut self.regional_groups,
            5,
            |_, _, _| {},
        );
        if let Some(capacity) = &self.capacity {
            e.multilingual("/capacity", capacity, MAX_TEXT);
        }
        e.period("/period", self.period.as_ref());
        e.multilingual("/description", &self.description, MAX_TEXT);
        e.distinct(
            "/activities",
            &mut self.activities,
            MAX_CITED_ACTIVITIES,
            |_, _, _| {},
        );
        e.into_result(OfferInput {
            stakeholder: self.stakeholder,
            themes: self.themes,
            sdg_targets: self.sdg_targets,
            modalities: self.modalities,
            languages: self.languages,
            states,
            regions: self.regions,
            regional_groups: self.regional_groups,
            capacity: self.capacity,
            period: Period::given(self.period),
            description: self.description,
            peer_to_peer: self.peer_to_peer,
            activities: self.activities,
            status: self.status,
        })
    }
}

/// A State and where it lies: the M49 areas, the world (`001`) first, then its region,
/// sub-region and intermediate region; and its regional group. Computed once for a need and
/// compared with many offers.
#[derive(Debug, Clone)]
pub struct Place {
    pub state: CountryCode,
    pub areas: Vec<String>,
    pub group: Option<RegionalGroup>,
}

impl Place {
    pub fn of(state: &CountryCode) -> Self {
        let mut areas = vec!["001".to_owned()];
        let country = crate::reference::reference().country(state.as_str());
        if let Some(c) = country {
            areas.extend(
                [&c.region, &c.sub_region, &c.intermediate_region]
                    .into_iter()
                    .flatten()
                    .map(|a| a.code.clone()),
            );
        }
        Self {
            state: state.clone(),
            areas,
            group: country.and_then(|c| c.regional_group),
        }
    }
}

impl OfferContent {
    /// Whether it serves this State: names it, one of its areas or its regional group, or
    /// serves everywhere.
    pub fn serves(&self, state: &CountryCode) -> bool {
        self.serves_place(&Place::of(state))
    }

    /// [`OfferContent::serves`], for a place already worked out.
    pub fn serves_place(&self, place: &Place) -> bool {
        self.serves_everywhere()
            || self.states.contains(&place.state)
            || self.regions.iter().any(|r| place.areas.contains(r))
            || place
                .group
                .is_some_and(|g| self.regional_groups.contains(&g))
    }

    /// Whether it serves every State: no State, region or group named.
    pub fn serves_everywhere(&self) -> bool {
        self.states.is_empty() && self.regions.is_empty() && self.regional_groups.is_empty()
    }

    /// The stakeholder and the description's first text: the same offer made twice is one.
    pub fn natural_key(&self) -> String {
        let description = self
            .description
            .texts()
            .next()
            .map(|(_, t)| normalise_text(t))
            .unwrap_or_default();
        let stakeholder = self.stakeholder.map(|s| s.to_string()).unwrap_or_default();
        crate::digest::natural_key(format!("{stakeholder}|{description}"))
    }
}

impl<S> OfferInput<S> {
    /// Every language's description and capacity, for full-text search.
    pub fn search_texts(&self) -> Vec<(Language, &str)> {
        let capacity = self.capacity.iter().flat_map(|c| c.texts());
        self.description.texts().chain(capacity).collect()
    }
}
