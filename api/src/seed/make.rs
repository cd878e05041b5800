//! The items of the seeded data, made as clients send them (the API's create representation):
//! stakeholders, recommendations, activities, consent records, offers and assistance
//! requests, each with what later items need to know of it.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};

use super::phrases::{
    self, ACADEMIA_FORMS, LESSONS, ORG_FOCUS, ORG_FORMS, OTHER_FORMS, PRIVATE_FORMS,
    REGIONAL_MECHANISMS, REGIONAL_ORGANISATIONS, TOPICS, Topic, UN_ENTITIES, one,
};
use super::world::{Table, World, add_months, as_of, draw, month_year};
use crate::domain::activity::{
    ActivityInput, ActivityStatus, Budget, DocumentLink, Participant, ParticipantRole,
};
use crate::domain::assistance_request::{AssistanceRequestInput, RequestStatus};
use crate::domain::consent::{ConsentInput, ScopeKind};
use crate::domain::needs::Period;
use crate::domain::offer::{OfferInput, OfferStatus};
use crate::domain::publication::{Decision, Publication};
use crate::domain::recommendation::{RecommendationInput, Response, Source, year_of_session};
use crate::domain::stakeholder::{Contact, NhriAccreditation, StakeholderInput, StakeholderKind};
use crate::domain::{ActivityId, ExternalRef, Multilingual, RecommendationId, StakeholderId};
use crate::reference::RegionalGroup;

/// Text in English only.
fn english(text: impl Into<String>) -> Multilingual {
    Multilingual {
        en: Some(text.into()),
        ..Multilingual::default()
    }
}

/// A country's name as organisations' names use it: without what follows in brackets
/// ("Bolivia (Plurinational State of)" → "Bolivia").
fn plain(name: &str) -> &str {
    name.split(" (").next().unwrap_or(name)
}

/// The letters of a web address made from a name.
fn slug(name: &str) -> String {
    let initials: String = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() > 3 || w.chars().all(|c| c.is_ascii_uppercase()))
        .filter_map(|w| w.chars().next())
        .collect::<String>()
        .to_ascii_lowercase();
    if initials.is_empty() {
        "org".into()
    } else {
        initials
    }
}

/// A stakeholder as the data needs to know it.
pub struct Org {
    pub kind: StakeholderKind,
    /// Index in `World::states`, for national bodies and a State's own stakeholder.
    pub state: Option<usize>,
    /// Indexes in `TOPICS` of what it works on.
    pub topics: Vec<usize>,
    pub languages: Vec<&'static str>,
    /// How many activities it submits and takes part in, relative to others of its kind.
    pub weight: f64,
    pub name: String,
    pub id: StakeholderId,
}

/// How many organisations of each kind (besides the States' own stakeholders) make
/// `organisations`.
fn kind_counts(organisations: usize, states: usize) -> Vec<(StakeholderKind, usize)> {
    use StakeholderKind::*;
    let quota =
        |per_mille: usize, cap: usize| ((organisations * per_mille + 500) / 1000).clamp(1, cap);
    let mut counts = vec![
        (UnEntity, quota(60, usize::MAX)),
        (InternationalOrganization, quota(30, usize::MAX)),
        (
            RegionalOrganization,
            quota(10, REGIONAL_ORGANISATIONS.len() * 4),
        ),
        (
            RegionalHumanRightsMechanism,
            quota(3, REGIONAL_MECHANISMS.len()),
        ),
        (Nhri, quota(27, states)),
        (Nmirf, quota(21, states)),
        (Parliament, quota(21, states)),
        (Academia, quota(120, states * ACADEMIA_FORMS.len())),
        (PrivateSector, quota(30, states * PRIVATE_FORMS.len())),
        (Other, quota(30, states * OTHER_FORMS.len())),
    ];
    let others: usize = counts.iter().map(|(_, n)| n).sum();
    counts.push((
        CivilSocietyOrganization,
        organisations.saturating_sub(others).max(1),
    ));
    counts
}

/// The stakeholders: every member State's own, then `organisations` others of every kind.
pub fn stakeholders(world: &mut World, organisations: usize) -> (Vec<StakeholderInput>, Vec<Org>) {
    let mut inputs = Vec::new();
    let mut orgs = Vec::new();
    let mut taken: HashSet<(StakeholderKind, Option<usize>, String)> = HashSet::new();
    for (i, state) in world.states.iter().enumerate() {
        let a2 = state.country.alpha2.to_ascii_lowercase();
        inputs.push(StakeholderInput {
            kind: StakeholderKind::State,
            name: state.country.short_name.clone(),
            acronym: None,
            country: Some(state.code.to_owned()),
            nhri_accreditation: None,
            website: Some(format!("https://mfa.{a2}.example.org")),
            contact: Some(Contact {
                name: Some("UPR focal point, Ministry of Foreign Affairs".into()),
                email: Some(format!("upr@mfa.{a2}.example.org")),
                phone: None,
            }),
            themes: Vec::new(),
            languages: state.languages.iter().map(|l| (*l).to_owned()).collect(),
            regions: Vec::new(),
            external_refs: Vec::new(),
        });
        orgs.push(Org {
            kind: StakeholderKind::State,
            state: Some(i),
            topics: Vec::new(),
            languages: state.languages.clone(),
            weight: 1.0,
            name: state.name.to_owned(),
            id: StakeholderId::default(),
        });
    }
    let n = world.states.len();
    let aid = Table::new(world.states.iter().map(|s| s.aid + 0.5));
    // National bodies: one of each kind in a State at most.
    let mut national_order: Vec<usize> = (0..n).collect();
    for (kind, count) in kind_counts(organisations, n) {
        national_order.shuffle(&mut world.rng);
        let mut made = 0;
        let mut attempts = 0;
        while made < count && attempts < count * 50 {
            attempts += 1;
            let rng = &mut world.rng;
            let (name, acronym, state, weight): (String, Option<String>, Option<usize>, f64) =
                match kind {
                    StakeholderKind::UnEntity => {
                        if made < UN_ENTITIES.len() {
                            let (name, acronym) = UN_ENTITIES[made];
                            let weight = if acronym == "OHCHR" {
                                6.0
                            } else {
                                3.0 - made as f64 * 0.1
                            };
                            (name.into(), Some(acronym.into()), None, weight)
                        } else {
                            let (name, acronym) = UN_ENTITIES[draw(
                                rng,
                                &[6.0, 5.0, 5.0, 3.0, 3.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0],
                            )];
                            let s = aid.draw(rng).unwrap_or(0);
                            let country = world.states[s].name;
                            (
                                format!("{name} in {country}"),
                                Some(acronym.into()),
                                Some(s),
                                rng.random_range(0.5..2.0),
                            )
                        }
                    }
                    StakeholderKind::InternationalOrganization => {
                        let prefix = ["International", "Global", "World"]
                            .choose(rng)
                            .copied()
                            .unwrap_or("International");
                        (
                            format!("{prefix} {} {}", one(rng, ORG_FORMS), one(rng, ORG_FOCUS)),
                            None,
                            None,
                            rng.random_range(0.3..2.0),
                        )
                    }
                    StakeholderKind::RegionalOrganization => {
                        let base = REGIONAL_ORGANISATIONS[made % REGIONAL_ORGANISATIONS.len()];
                        let name = match made / REGIONAL_ORGANISATIONS.len() {
                            0 => base.to_owned(),
                            1 => format!("{base}, Human Rights Unit"),
                            2 => format!("{base}, Gender Directorate"),
                            _ => format!("{base}, Legal Affairs Department"),
                        };
                        (name, None, None, rng.random_range(0.3..1.5))
                    }
                    StakeholderKind::RegionalHumanRightsMechanism => {
                        (REGIONAL_MECHANISMS[made].to_owned(), None, None, 0.5)
                    }
                    StakeholderKind::Nhri
                    | StakeholderKind::Nmirf
                    | StakeholderKind::Parliament => {
                        let s = national_order[made];
                        let country = world.states[s].name;
                        let forms: &[&str] = match kind {
                            StakeholderKind::Nhri => &[
                                "National Human Rights Commission of {c}",
                                "Ombudsman of {c}",
                                "Human Rights Commission of {c}",
                                "Office of the Public Defender of {c}",
                            ],
                            StakeholderKind::Nmirf => &[
                                "National Mechanism for Implementation, Reporting and Follow-up of {c}",
                                "Inter-ministerial Committee on Human Rights of {c}",
                                "National Human Rights Reporting Committee of {c}",
                            ],
                            _ => &[
                                "Parliament of {c}",
                                "National Assembly of {c}",
                                "Human Rights Committee of the Parliament of {c}",
                            ],
                        };
                        (
                            one(rng, forms).replace("{c}", country),
                            None,
                            Some(s),
                            rng.random_range(0.5..2.0),
                        )
                    }
                    StakeholderKind::Academia
                    | StakeholderKind::PrivateSector
                    | StakeholderKind::Other => {
                        let forms = match kind {
                            StakeholderKind::Academia => ACADEMIA_FORMS,
                            StakeholderKind::PrivateSector => PRIVATE_FORMS,
                            _ => OTHER_FORMS,
                        };
                        let s = rng.random_range(0..n);
                        let country = plain(world.states[s].name);
                        (
                            one(rng, forms).replace("{c}", country),
                            None,
                            Some(s),
                            rng.random_range(0.1..1.0),
                        )
                    }
                    _ => {
                        let (form, focus) = (one(rng, ORG_FORMS), one(rng, ORG_FOCUS));
                        if rng.random_bool(0.15) {
                            (
                                format!("{form} {focus} International"),
                                None,
                                None,
                                rng.random_range(0.5..3.0),
                            )
                        } else {
                            let s = aid.draw(rng).unwrap_or(0);
                            let country = plain(world.states[s].name);
                            let name = if rng.random_bool(0.5) {
                                format!("{country} {form} {focus}")
                            } else {
                                format!("{form} {focus} – {country}")
                            };
                            (
                                name,
                                None,
                                Some(s),
                                rng.random::<f64>().powi(2) * 2.0 + 0.05,
                            )
                        }
                    }
                };
            if !taken.insert((kind, state, name.clone())) {
                continue;
            }
            made += 1;
            let topics: Vec<usize> = {
                let k = rng_topics(world, kind);
                let weights: Vec<f64> = TOPICS.iter().map(|t| f64::from(t.weight)).collect();
                let mut picked = Vec::new();
                for _ in 0..k {
                    let t = world.weighted(&weights);
                    if !picked.contains(&t) {
                        picked.push(t);
                    }
                }
                picked
            };
            let languages = match state {
                Some(s) => world.states[s].languages.clone(),
                None => {
                    let mut l = vec!["en"];
                    for other in ["fr", "es", "ar", "ru", "zh"] {
                        if world.chance(0.3) {
                            l.push(other);
                        }
                    }
                    l
                }
            };
            let host = slug(acronym.as_deref().unwrap_or(&name));
            let suffix = state
                .map(|s| format!("-{}", world.states[s].country.alpha2.to_ascii_lowercase()))
                .unwrap_or_default();
            let domain = format!("{host}{suffix}.example.org");
            let international = state.is_none()
                || matches!(kind, StakeholderKind::UnEntity if made <= UN_ENTITIES.len());
            let regions = if international && world.chance(0.3) {
                let mut r: Vec<String> = ["002", "019", "142", "150", "009"]
                    .choose_multiple(&mut world.rng, 2)
                    .map(|r| (*r).to_owned())
                    .collect();
                r.truncate(if world.chance(0.5) { 1 } else { 2 });
                r
            } else {
                Vec::new()
            };
            let nhri_accreditation = (kind == StakeholderKind::Nhri)
                .then(|| match world.rng.random_range(0..20) {
                    0..12 => Some(NhriAccreditation::A),
                    12..17 => Some(NhriAccreditation::B),
                    _ => None,
                })
                .flatten();
            inputs.push(StakeholderInput {
                kind,
                name: english(name.clone()),
                acronym: acronym.map(english),
                country: state.map(|s| world.states[s].code.to_owned()),
                nhri_accreditation,
                website: world.chance(0.75).then(|| format!("https://www.{domain}")),
                contact: world.chance(0.5).then(|| Contact {
                    name: Some("Programme focal point".into()),
                    email: Some(format!("info@{domain}")),
                    phone: world.chance(0.5).then(|| {
                        format!(
                            "+{} {:07}",
                            world.rng.random_range(1..999),
                            world.rng.random_range(0..10_000_000)
                        )
                    }),
                }),
                themes: {
                    let mut t: Vec<String> = topics
                        .iter()
                        .map(|&t| TOPICS[t].themes[0].to_owned())
                        .collect();
                    t.dedup();
                    t
                },
                languages: languages.iter().map(|l| (*l).to_owned()).collect(),
                regions,
                external_refs: Vec::new(),
            });
            orgs.push(Org {
                kind,
                state,
                topics,
                languages,
                weight,
                name,
                id: StakeholderId::default(),
            });
        }
    }
    (inputs, orgs)
}

/// How many topics an organisation of `kind` works on.
fn rng_topics(world: &mut World, kind: StakeholderKind) -> usize {
    match kind {
        StakeholderKind::UnEntity | StakeholderKind::InternationalOrganization => {
            world.rng.random_range(2..=5)
        }
        StakeholderKind::Nhri | StakeholderKind::Nmirf | StakeholderKind::Parliament => {
            world.rng.random_range(3..=6)
        }
        _ => world.rng.random_range(1..=3),
    }
}

/// A recommendation as the data needs to know it.
pub struct Rec {
    pub state: u16,
    pub topic: u8,
    /// Supported, or supported in part.
    pub accepted: bool,
    pub id: RecommendationId,
}

/// How many recommendations each State receives in each cycle, `total` in all: fewer in the
/// first cycle, most in the fourth, as in the UPR so far.
pub fn quotas(world: &World, total: usize) -> Vec<[usize; 4]> {
    const CYCLES: [f64; 4] = [0.09, 0.23, 0.32, 0.36];
    let sum: f64 = world.states.iter().map(|s| s.received).sum();
    let mut shares: Vec<(usize, usize, f64)> = Vec::new();
    for (s, state) in world.states.iter().enumerate() {
        for (c, w) in CYCLES.iter().enumerate() {
            shares.push((s, c, total as f64 * w * state.received / sum));
        }
    }
    let mut out = vec![[0usize; 4]; world.states.len()];
    let mut given = 0;
    for &(s, c, share) in &shares {
        out[s][c] = share.floor() as usize;
        given += out[s][c];
    }
    // The largest remainders take what rounding down left.
    shares.sort_by(|a, b| {
        let (ra, rb) = (a.2 - a.2.floor(), b.2 - b.2.floor());
        rb.total_cmp(&ra).then((a.0, a.1).cmp(&(b.0, b.1)))
    });
    for &(s, c, _) in shares.iter().take(total.saturating_sub(given)) {
        out[s][c] += 1;
    }
    out
}

/// One review: a State's recommendations in one cycle, in the order of the report.
pub struct Review {
    pub state: usize,
    pub cycle: usize,
    pub count: usize,
}

/// Every review, in the order they took place (by session, then State).
pub fn reviews(world: &World, quotas: &[[usize; 4]]) -> Vec<Review> {
    let mut out: Vec<(u16, usize, usize)> = Vec::new();
    for (s, state) in world.states.iter().enumerate() {
        for (c, &session) in state.sessions.iter().enumerate() {
            out.push((session, s, c));
        }
    }
    out.sort_unstable();
    out.into_iter()
        .map(|(_, state, cycle)| Review {
            state,
            cycle,
            count: quotas[state][cycle],
        })
        .collect()
}

/// Makes the recommendations of reviews, one at a time.
pub struct RecMaker {
    /// Voices of the States (how many recommendations each makes).
    voices: Table,
    /// Natural keys made so far: a text made twice in one review is made again.
    keys: HashSet<String>,
}

impl RecMaker {
    pub fn new(world: &World) -> Self {
        Self {
            voices: Table::new(world.states.iter().map(|s| s.voice)),
            keys: HashSet::new(),
        }
    }

    /// The `index`th recommendation (from 0) of a review, what the data keeps of it, and its
    /// natural key.
    pub fn make(
        &mut self,
        world: &mut World,
        review: &Review,
        index: usize,
    ) -> (RecommendationInput, Rec, String) {
        let state = &world.states[review.state];
        let session = state.sessions[review.cycle];
        let topic_weights = state.topics.clone();
        let code = state.code;
        let topic_index = draw(&mut world.rng, &topic_weights);
        let topic = &TOPICS[topic_index];
        let rng = &mut world.rng;
        // Most recommendations come from one State; some texts from several.
        let count = match rng.random_range(0..100) {
            0..82 => 1,
            82..92 => 2,
            92..97 => 3,
            _ => rng.random_range(4..=6),
        };
        let mut recommending: Vec<String> = Vec::new();
        while recommending.len() < count {
            let s = self.voices.draw(rng).unwrap_or(0);
            let code_s = world.states[s].code;
            if s != review.state && !recommending.iter().any(|r| r == code_s) {
                recommending.push(code_s.to_owned());
            }
        }
        let cycle = review.cycle + 1;
        let (response, original) = if session == 54 && rng.random_bool(0.4) {
            (None, None)
        } else {
            let roll: u32 = rng.random_range(0..100);
            let response = match roll {
                0..61 => Response::Supported,
                61..66 => Response::SupportedInPart,
                _ => Response::Noted,
            };
            let original = match (cycle, response) {
                (1 | 2, Response::Supported) => Some("Accepted"),
                (1 | 2, Response::SupportedInPart) => Some("Partially accepted"),
                (1, Response::Noted) if roll.is_multiple_of(3) => Some("Rejected"),
                (1 | 2, Response::Noted) => Some("Noted"),
                _ => None,
            };
            (Some(response), original)
        };
        let themes = {
            let k = rng.random_range(1..=topic.themes.len());
            topic.themes[..k].iter().map(|t| (*t).to_owned()).collect()
        };
        let affected_persons = if topic.persons.is_empty() || rng.random_bool(0.35) {
            Vec::new()
        } else {
            let k = rng.random_range(1..=topic.persons.len().min(2));
            topic
                .persons
                .choose_multiple(rng, k)
                .map(|p| (*p).to_owned())
                .collect()
        };
        let sdg_targets = if rng.random_bool(0.5) {
            Vec::new()
        } else {
            let k = rng.random_range(1..=topic.sdg.len().min(2));
            topic
                .sdg
                .choose_multiple(rng, k)
                .map(|t| (*t).to_owned())
                .collect()
        };
        // The report of the Working Group: adopted three sessions of the Council a year.
        let council = u32::from(session) + 7;
        let paragraph = 90 + (review.state * 7 + review.cycle * 13) % 70;
        let mut input = RecommendationInput {
            state_under_review: code.to_owned(),
            recommending_states: recommending,
            session: i64::from(session),
            review_year: year_of_session(i64::from(session)),
            text: Multilingual::default(),
            response,
            response_original: original.map(str::to_owned),
            source: Some(Source {
                symbol: format!("A/HRC/{council}/{}", 1 + review.state % 16),
                paragraph: Some(format!("{paragraph}.{}", index + 1)),
            }),
            action_category: None,
            themes,
            affected_persons,
            sdg_goals: goals_of(&sdg_targets),
            sdg_targets,
            external_refs: Vec::new(),
            paragraph: Some(format!("{paragraph}.{}", index + 1)),
            themes_original: Vec::new(),
            affected_persons_original: Vec::new(),
            sources: Vec::new(),
        };
        // The words: made again when the review has a recommendation worded alike.
        let mut tries = 0;
        let key = loop {
            let target = 100 + (500.0 * rng.random::<f64>().powf(2.6)) as usize;
            let (mut text, category) = phrases::recommendation(rng, topic, target);
            tries += 1;
            if tries > 20 {
                // Vanishingly rare: keep it apart from its twin.
                text.pop();
                text.push_str(&format!(", as recommended in paragraph {}.", index + 1));
            }
            input.text = english(text);
            input.action_category = Some(category);
            let key = input.natural_key();
            if self.keys.insert(key.clone()) {
                break key;
            }
        };
        let accepted = matches!(
            input.response,
            Some(Response::Supported | Response::SupportedInPart)
        );
        let rec = Rec {
            state: review.state as u16,
            topic: topic_index as u8,
            accepted,
            id: RecommendationId::default(),
        };
        (input, rec, key)
    }
}

/// A State's stance on publishing the activities that concern it: the consent records it
/// makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stance {
    GrantAll,
    RefuseAll,
    /// Grants all, then withdraws.
    GrantThenWithdraw,
    /// Grants some submitters only.
    GrantSubmitters,
    /// Grants all, refuses one submitter.
    GrantAllRefuseSubmitter,
    /// Grants all, then refuses some activities by name.
    GrantAllRefuseSome,
    /// Refuses all, then grants some activities by name.
    RefuseAllGrantSome,
    Silent,
}

impl Stance {
    pub fn draw(world: &mut World) -> Self {
        const STANCES: [(Stance, f64); 8] = [
            (Stance::GrantAll, 55.0),
            (Stance::RefuseAll, 8.0),
            (Stance::GrantThenWithdraw, 6.0),
            (Stance::GrantSubmitters, 8.0),
            (Stance::GrantAllRefuseSubmitter, 2.0),
            (Stance::GrantAllRefuseSome, 7.0),
            (Stance::RefuseAllGrantSome, 4.0),
            (Stance::Silent, 10.0),
        ];
        let weights: Vec<f64> = STANCES.iter().map(|(_, w)| *w).collect();
        STANCES[world.weighted(&weights)].0
    }

    /// Whether it decides on some activities by name, once they exist.
    pub fn by_name(self) -> Option<Decision> {
        match self {
            Self::GrantAllRefuseSome => Some(Decision::Refused),
            Self::RefuseAllGrantSome => Some(Decision::Granted),
            _ => None,
        }
    }
}

/// A consent record of `state` recorded by `admin` on its behalf, with the note verbale it
/// came in.
pub fn consent(
    world: &mut World,
    state: usize,
    decision: Decision,
    scope: ScopeKind,
    target: Option<uuid::Uuid>,
    from: NaiveDate,
    to: NaiveDate,
) -> ConsentInput {
    let day = world.day(from, to);
    let code = world.states[state].code;
    let number = world.rng.random_range(100..1000);
    let note = world.chance(0.3).then(|| {
        match decision {
            Decision::Granted => "The State agrees to the publication of the activities concerned.",
            Decision::Refused => {
                "The State does not agree to the publication of the activities concerned."
            }
            Decision::Withdrawn => "The State withdraws its earlier agreement to publication.",
        }
        .to_owned()
    });
    ConsentInput {
        state: Some(code.to_owned()),
        decision,
        scope,
        stakeholder_id: (scope == ScopeKind::Submitter)
            .then(|| target.map(Into::into))
            .flatten(),
        activity_id: (scope == ScopeKind::Activity)
            .then(|| target.map(Into::into))
            .flatten(),
        reference: Some(format!("{code}/NV/{}/{number}", day.year())),
        activity_version: None,
        note,
        decided_at: Some(Utc.from_utc_datetime(&day.and_hms_opt(10, 0, 0).expect("a time"))),
    }
}

/// An activity as the data needs to know it.
pub struct Act {
    pub states: Vec<u16>,
    pub submitter: u32,
    pub submitted: bool,
    pub id: ActivityId,
    pub public: bool,
}

/// The organisations of each kind, and of each kind in each State, to draw submitters and
/// participants from.
pub struct Pools {
    kinds: Vec<(StakeholderKind, Vec<usize>, Table)>,
    /// Of each kind, those of no one country.
    international: Vec<(StakeholderKind, Vec<usize>, Table)>,
    national: Vec<Vec<(StakeholderKind, usize)>>,
}

impl Pools {
    pub fn new(orgs: &[Org], states: usize) -> Self {
        let pool = |international: bool| {
            StakeholderKind::ALL
                .iter()
                .map(|&kind| {
                    let members: Vec<usize> = (0..orgs.len())
                        .filter(|&i| orgs[i].kind == kind)
                        .filter(|&i| !international || orgs[i].state.is_none())
                        .collect();
                    let table = Table::new(members.iter().map(|&i| orgs[i].weight));
                    (kind, members, table)
                })
                .collect()
        };
        let (kinds, international) = (pool(false), pool(true));
        let mut national = vec![Vec::new(); states];
        for (i, org) in orgs.iter().enumerate() {
            if let Some(s) = org.state {
                national[s].push((org.kind, i));
            }
        }
        Self {
            kinds,
            international,
            national,
        }
    }

    /// An organisation of `kind` of no one country, by weight.
    pub fn international(&self, world: &mut World, kind: StakeholderKind) -> Option<usize> {
        let (_, members, table) = self.international.iter().find(|(k, _, _)| *k == kind)?;
        table.draw(&mut world.rng).map(|i| members[i])
    }

    /// An organisation of `kind`, by weight.
    pub fn of_kind(&self, world: &mut World, kind: StakeholderKind) -> Option<usize> {
        let (_, members, table) = self.kinds.iter().find(|(k, _, _)| *k == kind)?;
        table.draw(&mut world.rng).map(|i| members[i])
    }

    /// An organisation of `kind` in State `state`.
    pub fn national(
        &self,
        world: &mut World,
        state: usize,
        kind: StakeholderKind,
    ) -> Option<usize> {
        let here: Vec<usize> = self.national[state]
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, i)| *i)
            .collect();
        here.choose(&mut world.rng).copied()
    }
}

/// The recommendations of each State on each topic, and the accepted ones of each State.
pub struct RecIndex {
    by_topic: Vec<Vec<Vec<u32>>>,
}

impl RecIndex {
    pub fn new(recs: &[Rec], states: usize) -> Self {
        let mut by_topic = vec![vec![Vec::new(); TOPICS.len()]; states];
        for (i, r) in recs.iter().enumerate() {
            by_topic[usize::from(r.state)][usize::from(r.topic)].push(i as u32);
        }
        Self { by_topic }
    }

    /// Up to `k` recommendations of `state` on `topic`, accepted ones (and, with `noted`, a
    /// few others).
    pub fn pick(
        &self,
        world: &mut World,
        recs: &[Rec],
        state: usize,
        topic: usize,
        k: usize,
        noted: bool,
    ) -> Vec<RecommendationId> {
        let all = &self.by_topic[state][topic];
        let mut picked: Vec<RecommendationId> = Vec::new();
        for _ in 0..k * 3 {
            if picked.len() >= k {
                break;
            }
            let Some(&i) = all.choose(&mut world.rng) else {
                break;
            };
            let r = &recs[i as usize];
            if (r.accepted || noted && world.chance(0.1)) && !picked.contains(&r.id) {
                picked.push(r.id);
            }
        }
        picked
    }

    /// Whether `state` has accepted recommendations on `topic`.
    pub fn has_accepted(&self, recs: &[Rec], state: usize, topic: usize) -> bool {
        self.by_topic[state][topic]
            .iter()
            .any(|&i| recs[i as usize].accepted)
    }
}

const MODALITIES: [(&str, f64); 10] = [
    ("training", 28.0),
    ("legislative_advice", 10.0),
    ("institution_building", 12.0),
    ("data_and_indicators", 6.0),
    ("awareness_raising", 10.0),
    ("peer_exchange", 6.0),
    ("needs_assessment", 6.0),
    ("nmirf_support", 7.0),
    ("reporting_support", 10.0),
    ("other", 5.0),
];

fn modality(world: &mut World) -> &'static str {
    let weights: Vec<f64> = MODALITIES.iter().map(|(_, w)| *w).collect();
    MODALITIES[world.weighted(&weights)].0
}

/// What an offer or a request names a modality in a sentence.
fn modality_phrase(modality: &str) -> &'static str {
    match modality {
        "training" => "training and training of trainers",
        "legislative_advice" => "legislative advice and comments on draft laws",
        "institution_building" => "support to institution building",
        "data_and_indicators" => "support on human rights indicators and data",
        "awareness_raising" => "awareness-raising materials and campaigns",
        "peer_exchange" => "peer-to-peer exchanges and study visits",
        "needs_assessment" => "needs assessments",
        "nmirf_support" => {
            "support to national mechanisms for implementation, reporting and follow-up"
        }
        "reporting_support" => "support in preparing national reports",
        _ => "technical assistance",
    }
}

/// "Kenya", "Kenya and Uganda", "Kenya, Uganda and Rwanda".
fn names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Makes activities one at a time.
pub struct ActMaker<'a> {
    pub orgs: &'a [Org],
    pub recs: &'a [Rec],
    pub index: &'a RecIndex,
    pub pools: &'a Pools,
    aid: Table,
    keys: HashSet<String>,
    iati: usize,
}

impl<'a> ActMaker<'a> {
    pub fn new(
        world: &World,
        orgs: &'a [Org],
        recs: &'a [Rec],
        index: &'a RecIndex,
        pools: &'a Pools,
    ) -> Self {
        Self {
            orgs,
            recs,
            index,
            pools,
            aid: Table::new(world.states.iter().map(|s| s.aid)),
            keys: HashSet::new(),
            iati: 0,
        }
    }

    /// The submitter of an activity concerning `state`.
    fn submitter(&self, world: &mut World, state: usize) -> usize {
        use StakeholderKind::*;
        const KINDS: [(StakeholderKind, f64); 12] = [
            (State, 10.0),
            (UnEntity, 30.0),
            (CivilSocietyOrganization, 22.0),
            (InternationalOrganization, 10.0),
            (Nhri, 7.0),
            (RegionalOrganization, 4.0),
            (Academia, 6.0),
            (Nmirf, 3.0),
            (Parliament, 2.0),
            (RegionalHumanRightsMechanism, 2.0),
            (PrivateSector, 2.0),
            (Other, 2.0),
        ];
        let weights: Vec<f64> = KINDS.iter().map(|(_, w)| *w).collect();
        let kind = KINDS[world.weighted(&weights)].0;
        let national = match kind {
            State => return state,
            // The State's own institutions; where it has none, the United Nations.
            Nhri | Nmirf | Parliament => {
                return self
                    .pools
                    .national(world, state, kind)
                    .or_else(|| self.pools.international(world, UnEntity))
                    .unwrap_or(state);
            }
            UnEntity | CivilSocietyOrganization if world.chance(0.6) => {
                self.pools.national(world, state, kind)
            }
            Academia | PrivateSector | Other => self.pools.national(world, state, kind),
            _ => None,
        };
        // Else a body that works across borders (not another State's).
        national
            .or_else(|| self.pools.international(world, kind))
            .or_else(|| self.pools.international(world, UnEntity))
            .unwrap_or(state)
    }

    /// An activity, what the data keeps of it, and its natural key.
    pub fn make(&mut self, world: &mut World) -> (ActivityInput, Act, String) {
        // The States concerned: one mostly, several of a region sometimes.
        let first = self.aid.draw(&mut world.rng).unwrap_or(0);
        let count = match world.rng.random_range(0..100) {
            0..72 => 1,
            72..92 => 2,
            _ => world.rng.random_range(3..=5),
        };
        let group = world.states[first].country.regional_group;
        let mut states = vec![first];
        for _ in 0..count * 5 {
            if states.len() >= count {
                break;
            }
            let s = self.aid.draw(&mut world.rng).unwrap_or(0);
            if !states.contains(&s)
                && (world.states[s].country.regional_group == group || world.chance(0.2))
            {
                states.push(s);
            }
        }
        let topic_index = {
            let weights = world.states[first].topics.clone();
            world.weighted(&weights)
        };
        let topic: &Topic = &TOPICS[topic_index];
        let modality = modality(world);
        let submitter = self.submitter(world, first);
        // Participants: other organisations, each with a role.
        let mut participants: Vec<Participant> = Vec::new();
        let wanted = match world.rng.random_range(0..100) {
            0..25 => 0,
            25..60 => 1,
            60..85 => 2,
            _ => world.rng.random_range(3..=4),
        };
        for _ in 0..wanted * 3 {
            if participants.len() >= wanted {
                break;
            }
            let (who, role) = match world.rng.random_range(0..4) {
                0 => (
                    self.pools
                        .national(world, first, StakeholderKind::CivilSocietyOrganization)
                        .or_else(|| self.pools.national(world, first, StakeholderKind::Nhri)),
                    ParticipantRole::Implementing,
                ),
                1 => {
                    // Donors: Western States and the United Nations' funds.
                    let donor = if world.chance(0.5) {
                        let weog: Vec<usize> = (0..world.states.len())
                            .filter(|&s| {
                                world.states[s].country.regional_group
                                    == Some(RegionalGroup::WesternEuropeanAndOthers)
                            })
                            .collect();
                        weog.choose(&mut world.rng).copied()
                    } else {
                        self.pools.international(world, StakeholderKind::UnEntity)
                    };
                    (donor, ParticipantRole::Funding)
                }
                2 => (
                    self.pools
                        .national(world, first, StakeholderKind::Nmirf)
                        .or(Some(first)),
                    ParticipantRole::Accountable,
                ),
                _ => (
                    self.pools
                        .national(world, first, StakeholderKind::UnEntity)
                        .or_else(|| self.pools.international(world, StakeholderKind::UnEntity)),
                    ParticipantRole::Extending,
                ),
            };
            if let Some(who) = who
                && who != submitter
                && !participants
                    .iter()
                    .any(|p| p.stakeholder == self.orgs[who].id)
            {
                participants.push(Participant {
                    stakeholder: self.orgs[who].id,
                    role,
                });
            }
        }
        // The recommendations it serves: accepted ones of the States concerned on its topic.
        let mut recommendations = Vec::new();
        if world.chance(0.75) {
            let k = world.rng.random_range(1..=6);
            for &s in &states {
                let per = if s == first { k } else { (k / 2).max(1) };
                recommendations.extend(self.index.pick(
                    world,
                    self.recs,
                    s,
                    topic_index,
                    per,
                    true,
                ));
            }
        }
        // When it runs.
        let planned_start = world.day(
            NaiveDate::from_ymd_opt(2016, 1, 1).expect("a date"),
            NaiveDate::from_ymd_opt(2027, 6, 30).expect("a date"),
        );
        let months = [1, 2, 3, 6, 6, 9, 12, 12, 18, 24, 36]
            .choose(&mut world.rng)
            .copied()
            .unwrap_or(12);
        let planned_end = add_months(planned_start, months) - chrono::Duration::days(1);
        let today = as_of();
        let status = if world.chance(0.02) {
            ActivityStatus::Cancelled
        } else if world.chance(0.02) {
            ActivityStatus::Suspended
        } else if planned_start > today {
            ActivityStatus::Pipeline
        } else if planned_end >= today {
            ActivityStatus::Implementation
        } else if world.chance(0.85) {
            ActivityStatus::Closed
        } else {
            ActivityStatus::Finalisation
        };
        let started = !matches!(status, ActivityStatus::Pipeline) && planned_start <= today;
        let actual_start = started.then(|| {
            (planned_start + chrono::Duration::days(world.rng.random_range(0..60))).min(today)
        });
        let actual_end = match (status, actual_start) {
            (ActivityStatus::Closed, Some(start)) => {
                let end = planned_end + chrono::Duration::days(world.rng.random_range(-10..90));
                Some(end.clamp(start, today))
            }
            _ => None,
        };
        let orgs = self.orgs;
        let org = &orgs[submitter];
        let audience = one(&mut world.rng, topic.audiences);
        let subject = one(&mut world.rng, topic.subjects);
        let state_names: Vec<&str> = states.iter().map(|&s| world.states[s].name).collect();
        let where_ = names(&state_names);
        let cycle = if planned_start.year() >= 2022 {
            4
        } else if planned_start.year() >= 2017 {
            3
        } else {
            2
        };
        let persons = topic
            .persons
            .choose(&mut world.rng)
            .and_then(|p| phrases::persons_phrase(p))
            .map(|p| format!(", with particular attention to {p}"))
            .unwrap_or_default();
        let summary = format!(
            "The activity supports {where_} in implementing the recommendations on {subject} accepted in the {} cycle of the universal periodic review. It {}{persons}. {} leads it{}.",
            phrases::ordinal(cycle),
            phrases::modality_work(modality).replace("{a}", audience),
            org.name,
            match participants.len() {
                0 => String::new(),
                1 => " with one partner".to_owned(),
                n => format!(" with {n} partners"),
            },
        );
        let finished = matches!(
            status,
            ActivityStatus::Closed | ActivityStatus::Finalisation
        );
        let results = (finished && world.chance(0.8)).then(|| {
            let n = world.rng.random_range(12..400);
            english(format!(
                "{}.",
                phrases::modality_result(modality)
                    .replace("{n}", &n.to_string())
                    .replace("{a}", audience)
            ))
        });
        let lessons_learned =
            (results.is_some() && world.chance(0.4)).then(|| english(one(&mut world.rng, LESSONS)));
        let budget = world.chance(0.65).then(|| {
            let amount =
                (5_000.0 * 400f64.powf(world.rng.random::<f64>()) / 100.0).round() as u64 * 100;
            let currency = [
                "USD", "USD", "USD", "USD", "USD", "USD", "EUR", "EUR", "CHF", "GBP", "SEK", "NOK",
                "CAD", "JPY",
            ]
            .choose(&mut world.rng)
            .copied()
            .unwrap_or("USD");
            Budget {
                amount: amount.to_string(),
                currency: currency.to_owned(),
            }
        });
        let funding_sources = {
            let mut f: Vec<String> = Vec::new();
            if org.kind == StakeholderKind::UnEntity {
                f.push("un_entity".into());
            }
            if world.chance(0.5) {
                let pool = [
                    "vftc",
                    "upr_vf_fta",
                    "bilateral",
                    "bilateral",
                    "national_budget",
                    "multilateral",
                    "un_regular_budget",
                    "private",
                    "other",
                ];
                f.push(one(&mut world.rng, &pool).to_owned());
            }
            f.dedup();
            f
        };
        let publication = match world.rng.random_range(0..100) {
            0..88 => Publication::Submitted,
            88..97 => Publication::Draft,
            _ => Publication::Withdrawn,
        };
        let peer_to_peer = if org.kind == StakeholderKind::State {
            world.chance(0.4)
        } else {
            modality == "peer_exchange" && world.chance(0.3)
        };
        let has_document = world.chance(0.25);
        let external_refs = if org.kind == StakeholderKind::UnEntity && world.chance(0.2) {
            self.iati += 1;
            vec![ExternalRef {
                source: "iati".into(),
                external_id: format!("XM-DAC-41114-UPR-{:06}", self.iati),
            }]
        } else {
            Vec::new()
        };
        let good_practice = finished && world.chance(0.08);
        let k = world.rng.random_range(1..=topic.themes.len());
        let themes = topic.themes[..k].iter().map(|t| (*t).to_owned()).collect();
        let k = world.rng.random_range(0..=topic.sdg.len());
        let sdg_targets = topic
            .sdg
            .choose_multiple(&mut world.rng, k)
            .map(|t| (*t).to_owned())
            .collect();
        let mut input = ActivityInput {
            title: Multilingual::default(),
            summary: Some(english(summary)),
            states_concerned: states
                .iter()
                .map(|&s| world.states[s].code.to_owned())
                .collect(),
            participants,
            submitter: Some(org.id),
            recommendations,
            assistance_request: None,
            offer: None,
            modality: Some(modality.to_owned()),
            status,
            planned_start: Some(planned_start),
            planned_end: Some(planned_end),
            actual_start,
            actual_end,
            budget,
            funding_sources,
            themes,
            sdg_targets,
            results,
            lessons_learned,
            good_practice,
            peer_to_peer,
            documents: Vec::new(),
            publication,
            external_refs,
        };
        // The title: made again when the same submitter has one like it starting that day.
        let mut title;
        let mut attempt = 0;
        let key = loop {
            let template = one(&mut world.rng, phrases::activity_title(modality));
            title = template
                .replace("{a}", audience)
                .replace("{s}", subject)
                .replace("{c}", &where_);
            if attempt >= 5 {
                title.push_str(&format!(" (phase {})", attempt - 3));
            }
            if let Some(first) = title.get(..1) {
                title = format!("{}{}", first.to_uppercase(), &title[1..]);
            }
            input.title = english(title.clone());
            let key = input.natural_key();
            if self.keys.insert(key.clone()) {
                break key;
            }
            attempt += 1;
        };
        if has_document {
            input.documents.push(DocumentLink {
                url: format!(
                    "https://docs.example.org/tc/{}/{}.pdf",
                    planned_start.year(),
                    slug(&title)
                ),
                title: Some(
                    if finished {
                        "Final report"
                    } else {
                        "Project document"
                    }
                    .into(),
                ),
                language: Some("en".into()),
            });
        }
        let act = Act {
            states: states.iter().map(|&s| s as u16).collect(),
            submitter: submitter as u32,
            submitted: publication == Publication::Submitted,
            id: ActivityId::default(),
            public: false,
        };
        (input, act, key)
    }
}

/// A period starting between `from` and `to`, of six months to three years, sometimes open
/// at its end.
fn period(world: &mut World, from: NaiveDate, to: NaiveDate) -> Period {
    let start = world.day(from, to);
    let months = world.rng.random_range(6..=36);
    Period {
        start: Some(start),
        end: (!world.chance(0.2)).then(|| add_months(start, months) - chrono::Duration::days(1)),
    }
}

/// The themes and SDG targets of a need or an offer about `topic`.
fn codes(world: &mut World, topic: &Topic) -> (Vec<String>, Vec<String>) {
    let themes = topic
        .themes
        .iter()
        .take(2)
        .map(|t| (*t).to_owned())
        .collect();
    let k = world.rng.random_range(0..=2);
    let targets = topic.sdg.iter().take(k).map(|t| (*t).to_owned()).collect();
    (themes, targets)
}

fn languages_of(world: &mut World, offered: &[&'static str]) -> Vec<String> {
    let mut out: Vec<String> = offered.iter().take(3).map(|l| (*l).to_owned()).collect();
    if out.is_empty() || world.chance(0.3) && !out.iter().any(|l| l == "en") {
        out.push("en".into());
    }
    out
}

/// Makes offers one at a time.
pub struct OfferMaker<'a> {
    orgs: &'a [Org],
    pools: &'a Pools,
    /// The public activities each organisation submitted, to cite.
    public_by_submitter: Vec<Vec<ActivityId>>,
    keys: HashSet<String>,
}

impl<'a> OfferMaker<'a> {
    pub fn new(orgs: &'a [Org], pools: &'a Pools, acts: &[Act]) -> Self {
        let mut public_by_submitter = vec![Vec::new(); orgs.len()];
        for a in acts.iter().filter(|a| a.public) {
            public_by_submitter[a.submitter as usize].push(a.id);
        }
        Self {
            orgs,
            pools,
            public_by_submitter,
            keys: HashSet::new(),
        }
    }

    pub fn make(&mut self, world: &mut World) -> OfferInput {
        use StakeholderKind::*;
        const KINDS: [(StakeholderKind, f64); 9] = [
            (UnEntity, 30.0),
            (InternationalOrganization, 15.0),
            (CivilSocietyOrganization, 20.0),
            (Nhri, 8.0),
            (Academia, 10.0),
            (State, 12.0),
            (RegionalOrganization, 3.0),
            (RegionalHumanRightsMechanism, 1.0),
            (PrivateSector, 1.0),
        ];
        let weights: Vec<f64> = KINDS.iter().map(|(_, w)| *w).collect();
        let kind = KINDS[world.weighted(&weights)].0;
        let who = if kind == State {
            world.rng.random_range(0..world.states.len())
        } else {
            self.pools
                .of_kind(world, kind)
                .or_else(|| self.pools.of_kind(world, CivilSocietyOrganization))
                .unwrap_or(0)
        };
        let orgs = self.orgs;
        let org = &orgs[who];
        let topic_index = match org.topics.choose(&mut world.rng) {
            Some(&t) => t,
            None => {
                let weights: Vec<f64> = TOPICS.iter().map(|t| f64::from(t.weight)).collect();
                world.weighted(&weights)
            }
        };
        let topic = &TOPICS[topic_index];
        let mut modalities: Vec<String> = Vec::new();
        for _ in 0..world.rng.random_range(1..=3) {
            let m = modality(world).to_owned();
            if !modalities.contains(&m) {
                modalities.push(m);
            }
        }
        let where_roll = world.rng.random_range(0..100);
        let (states, regions, regional_groups) = match where_roll {
            0..35 => (Vec::new(), Vec::new(), Vec::new()),
            35..60 => {
                let r = [
                    "002", "019", "142", "150", "009", "202", "014", "011", "035", "145", "419",
                ];
                let k = world.rng.random_range(1..=2);
                (
                    Vec::new(),
                    r.choose_multiple(&mut world.rng, k)
                        .map(|c| (*c).to_owned())
                        .collect(),
                    Vec::new(),
                )
            }
            60..80 => {
                let groups = [
                    RegionalGroup::African,
                    RegionalGroup::AsiaPacific,
                    RegionalGroup::EasternEuropean,
                    RegionalGroup::LatinAmericanAndCaribbean,
                    RegionalGroup::WesternEuropeanAndOthers,
                ];
                let k = world.rng.random_range(1..=2);
                (
                    Vec::new(),
                    Vec::new(),
                    groups.choose_multiple(&mut world.rng, k).copied().collect(),
                )
            }
            _ => {
                let mut s: Vec<String> = org
                    .state
                    .map(|s| world.states[s].code.to_owned())
                    .into_iter()
                    .collect();
                for _ in 0..world.rng.random_range(1..=8) {
                    let code = world.states[world.rng.random_range(0..world.states.len())]
                        .code
                        .to_owned();
                    if !s.contains(&code) {
                        s.push(code);
                    }
                }
                (s, Vec::new(), Vec::new())
            }
        };
        let subject = one(&mut world.rng, topic.subjects);
        let audience = one(&mut world.rng, topic.audiences);
        let phrase = modality_phrase(&modalities[0]);
        let mut description = String::new();
        for attempt in 0..20 {
            description = match world.rng.random_range(0..4) {
                0 => format!("{} offers {phrase} on {subject} for {audience}.", org.name),
                1 => format!(
                    "Expert support on {subject}: {phrase} for {audience}, available on request."
                ),
                2 => format!(
                    "{} can provide {phrase} to help States {}.",
                    org.name,
                    one(&mut world.rng, topic.actions).replace(" its ", " their ")
                ),
                _ => format!(
                    "Drawing on its experience of {subject}, {} offers {phrase} to States that ask for it.",
                    org.name
                ),
            };
            if attempt >= 8 {
                description.push_str(&format!(
                    " Available from {}.",
                    month_year(world.day(as_of() - chrono::Duration::days(700), as_of()))
                ));
            }
            let key = format!("{who}|{}", crate::domain::normalise_text(&description));
            if self.keys.insert(key) {
                break;
            }
        }
        let cited = &self.public_by_submitter[who];
        let activities = if cited.is_empty() || world.chance(0.5) {
            Vec::new()
        } else {
            let k = world.rng.random_range(1..=cited.len().min(3));
            cited.choose_multiple(&mut world.rng, k).copied().collect()
        };
        let capacity = world.chance(0.7).then(|| {
            english(match world.rng.random_range(0..3) {
                0 => format!(
                    "Up to {} experts for {} days a year",
                    world.rng.random_range(1..8),
                    world.rng.random_range(5..60)
                ),
                1 => format!(
                    "A team of {} trainers, available for {} weeks",
                    world.rng.random_range(2..10),
                    world.rng.random_range(1..12)
                ),
                _ => format!(
                    "Funding of up to USD {},000 per project",
                    world.rng.random_range(10..500)
                ),
            })
        });
        let status = match world.rng.random_range(0..100) {
            0..80 => OfferStatus::Open,
            80..92 => OfferStatus::Closed,
            _ => OfferStatus::Draft,
        };
        let languages = languages_of(world, &org.languages);
        let (themes, sdg_targets) = codes(world, topic);
        OfferInput {
            stakeholder: Some(org.id),
            themes,
            sdg_targets,
            modalities,
            languages,
            states,
            regions,
            regional_groups,
            capacity,
            period: world.chance(0.7).then(|| {
                period(
                    world,
                    NaiveDate::from_ymd_opt(2025, 1, 1).expect("a date"),
                    NaiveDate::from_ymd_opt(2027, 6, 30).expect("a date"),
                )
            }),
            description: english(description),
            peer_to_peer: kind == State,
            activities,
            status,
        }
    }
}

/// Makes assistance requests one at a time.
pub struct RequestMaker<'a> {
    recs: &'a [Rec],
    index: &'a RecIndex,
    aid: Table,
    keys: HashSet<String>,
}

impl<'a> RequestMaker<'a> {
    pub fn new(world: &World, recs: &'a [Rec], index: &'a RecIndex) -> Self {
        Self {
            recs,
            index,
            aid: Table::new(world.states.iter().map(|s| s.aid)),
            keys: HashSet::new(),
        }
    }

    pub fn make(&mut self, world: &mut World) -> AssistanceRequestInput {
        let state = self.aid.draw(&mut world.rng).unwrap_or(0);
        // A topic the State accepted recommendations on, mostly.
        let weights: Vec<f64> = (0..TOPICS.len())
            .map(|t| {
                let w = world.states[state].topics[t];
                if self.index.has_accepted(self.recs, state, t) {
                    w
                } else {
                    w * 0.05
                }
            })
            .collect();
        let topic_index = world.weighted(&weights);
        let topic = &TOPICS[topic_index];
        let k = world.rng.random_range(1..=5);
        let recommendations = if world.chance(0.85) {
            self.index
                .pick(world, self.recs, state, topic_index, k, false)
        } else {
            Vec::new()
        };
        let mut modalities: Vec<String> = vec![modality(world).to_owned()];
        if world.chance(0.4) {
            let m = modality(world).to_owned();
            if !modalities.contains(&m) {
                modalities.push(m);
            }
        }
        let code = world.states[state].code;
        let name = world.states[state].name;
        let cycle = world.rng.random_range(2..=4u8);
        let audience = one(&mut world.rng, topic.audiences);
        let mut description = String::new();
        for attempt in 0..20 {
            let action = one(&mut world.rng, topic.actions);
            description = format!(
                "{name} requests support to {action}, in follow-up to the recommendations it supported in the {} cycle of the universal periodic review. The support should include {} for {audience}.",
                phrases::ordinal(cycle),
                modality_phrase(&modalities[0]),
            );
            if world.chance(0.5) || attempt >= 4 {
                description.push_str(" The national mechanism for implementation, reporting and follow-up will coordinate it");
                if attempt >= 4 {
                    description.push_str(&format!(
                        " from {}",
                        month_year(world.day(as_of() - chrono::Duration::days(900), as_of()))
                    ));
                }
                description.push('.');
            }
            let key = format!("{code}|{}", crate::domain::normalise_text(&description));
            if self.keys.insert(key) {
                break;
            }
        }
        let status = match world.rng.random_range(0..100) {
            0..75 => RequestStatus::Open,
            75..90 => RequestStatus::Closed,
            _ => RequestStatus::Draft,
        };
        let spoken = world.states[state].languages.clone();
        let languages = languages_of(world, &spoken);
        let number = world.rng.random_range(100..1000);
        let (themes, sdg_targets) = codes(world, topic);
        AssistanceRequestInput {
            state: code.to_owned(),
            reference: Some(format!(
                "{code}/NV/{}/{number}",
                world.rng.random_range(2024..=2026)
            )),
            recommendations,
            themes,
            sdg_targets,
            modalities,
            languages,
            period: world.chance(0.8).then(|| {
                period(
                    world,
                    NaiveDate::from_ymd_opt(2025, 1, 1).expect("a date"),
                    NaiveDate::from_ymd_opt(2028, 6, 30).expect("a date"),
                )
            }),
            description: english(description),
            status,
        }
    }
}

/// The SDG goals of targets (`16.3` is of goal `16`), each once.
fn goals_of(targets: &[String]) -> Vec<String> {
    let mut goals: Vec<String> = Vec::new();
    for target in targets {
        let goal = target.split('.').next().unwrap_or_default();
        if !goals.iter().any(|g| g == goal) {
            goals.push(goal.to_owned());
        }
    }
    goals
}
