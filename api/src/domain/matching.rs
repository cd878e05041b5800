//! The matching function (docs/domain.md §3, issue 11): how well an offer of help fits a State's need,
//! as a score from 0 to 1 and the reasons for it. A pure function of the two, of what the
//! offering stakeholder has done (its track record, read from public activities), of the words
//! compared (`words`) and of the day. Decision 0009 explains the weights.
//!
//! Two bands: an offer that can serve the need (it serves the State, shares a language, and is
//! available when the help is needed) scores at least [`CAN_SERVE`]; one that cannot scores
//! less than that whatever else it shares, so it ranks below every offer that can, and its
//! explanation says which condition failed.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::needs::Period;
use crate::domain::offer::{OfferContent, Place};
use crate::domain::words::{Rarity, Terms, Vocabulary};
use crate::reference::reference;

/// What every offer that can serve gets: the floor of the upper band.
pub const CAN_SERVE: f64 = 0.2;
/// How much the factors of an offer that cannot serve count: its score stays below
/// [`CAN_SERVE`] (the factors' weights sum to `1 - CAN_SERVE`).
const CANNOT_SERVE_SCALE: f64 = 0.24;

/// The factors and their weights, which sum to `1 - CAN_SERVE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FactorName {
    /// Whether the offer can serve at all: where it serves, a shared language, when.
    CanServe,
    /// The share of the need's themes the offer covers.
    Themes,
    /// The share of the need's SDG targets the offer covers (half for another target of the
    /// same goal).
    SdgTargets,
    /// Whether it offers a kind of help asked for.
    Modality,
    /// Whether it works in a language asked for.
    Language,
    /// How closely it names the State: by name, by region or group, or anywhere.
    Serves,
    /// Whether it is available when the help is needed.
    Period,
    /// How much the words of the need (its description and its recommendations) and of the
    /// offer (its description and capacity) have in common.
    Words,
    /// What the stakeholder has done: public activities on the same themes, in the same
    /// region, good practices.
    TrackRecord,
    /// A State offering its own experience, peer to peer, with good practices on the theme.
    PeerToPeer,
}

impl FactorName {
    pub fn weight(self) -> f64 {
        match self {
            Self::CanServe => CAN_SERVE,
            Self::Themes => 0.20,
            Self::SdgTargets => 0.06,
            Self::Modality => 0.12,
            Self::Language => 0.06,
            Self::Serves => 0.04,
            Self::Period => 0.04,
            Self::Words => 0.14,
            Self::TrackRecord => 0.10,
            Self::PeerToPeer => 0.04,
        }
    }
}

/// One reason of a score.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Factor {
    pub factor: FactorName,
    /// Its most: what it adds when fully met.
    pub weight: f64,
    /// What it adds to this score (the contributions sum to the score).
    pub contribution: f64,
    /// Why, for a person.
    pub detail: String,
}

/// A score and its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Score {
    /// From 0 to 1; every offer that can serve scores at least 0.2, every other less.
    pub score: f64,
    /// Whether the offer can serve the need at all (else `explanation` says why not).
    pub can_serve: bool,
    pub explanation: Vec<Factor>,
}

/// A need: an assistance request, or what a recommendation asks of its State.
#[derive(Debug, Clone)]
pub struct Need<'a> {
    /// The State, and where it lies.
    pub place: &'a Place,
    pub themes: &'a [String],
    /// For each of `themes`, the themes of the other vocabulary that cover the same ground
    /// ([`equivalents_of`]): looked up once a need, not once an offer.
    pub theme_equivalents: &'a [&'static [String]],
    pub sdg_targets: &'a [String],
    /// Kinds of help asked for; any when empty.
    pub modalities: &'a [String],
    /// Languages the help must be given in; any when empty.
    pub languages: &'a [String],
    /// For each of `languages`, the codes that meet it ([`language_equivalents_of`]).
    pub language_equivalents: &'a [&'static [String]],
    pub period: Option<&'a Period>,
    pub words: &'a Terms,
}

/// How the words of the texts compared are weighed and read.
#[derive(Debug, Clone, Copy)]
pub struct Texts<'a> {
    pub rarity: &'a Rarity,
    /// What the terms' numbers stand for.
    pub vocabulary: &'a Vocabulary,
}

/// What a stakeholder has done, from public activities only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrackRecord {
    /// Its public activities on one of the need's themes.
    pub on_themes: u32,
    /// Those in the need's State or a State of the same sub-region.
    pub in_region: u32,
    /// Those put forward as good practices.
    pub good_practices: u32,
}

/// An offer, with what matching needs besides its content.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub offer: &'a OfferContent,
    pub words: &'a Terms,
    pub track: TrackRecord,
    /// The offering stakeholder is a State (its own stakeholder).
    pub by_state: bool,
}

fn listed<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let items: Vec<String> = items.into_iter().map(|s| s.as_ref().to_owned()).collect();
    items.join(", ")
}

/// The need's themes an offer covers: each it names, or one the other vocabulary says covers
/// the same ground (`Theme::equivalents`: an offer on `torture_and_cid_treatment` covers a
/// recommendation a matrix filed under `uhri_torture`).
fn covered<'a>(
    wanted: &'a [String],
    equivalents: &'a [&'static [String]],
    offered: &'a [String],
) -> impl Iterator<Item = &'a String> + Clone {
    wanted
        .iter()
        .enumerate()
        .filter(move |(i, w)| {
            offered.contains(w)
                || equivalents
                    .get(*i)
                    .is_some_and(|eq| eq.iter().any(|e| offered.contains(e)))
        })
        .map(|(_, w)| w)
}

/// For each of `themes`, the themes of the other vocabulary that cover the same ground
/// (`Theme::equivalents`; none for a code no vocabulary has).
pub fn equivalents_of(themes: &[String]) -> Vec<&'static [String]> {
    themes
        .iter()
        .map(|t| {
            reference()
                .theme(t)
                .map_or(&[][..], |t| t.equivalents.as_slice())
        })
        .collect()
}

/// For each language asked for, the codes that meet it (`Reference::language_equivalents`):
/// looked up once a need, not once an offer.
pub fn language_equivalents_of(languages: &[String]) -> Vec<&'static [String]> {
    languages
        .iter()
        .map(|l| reference().language_equivalents(l))
        .collect()
}

/// Those of `wanted` that `offered` has, in the order wanted.
fn common<'a>(
    wanted: &'a [String],
    offered: &'a [String],
) -> impl Iterator<Item = &'a String> + Clone {
    wanted.iter().filter(|w| offered.contains(w))
}

/// A detail of the explanation, written only when one is asked for: ranking thousands of
/// offers needs their scores, and only the page shown needs the words.
macro_rules! detail {
    ($explain:expr, $($format:tt)+) => {
        if $explain { format!($($format)+) } else { String::new() }
    };
}

/// `n / (n + 1)`: more evidence counts, less and less.
fn saturating(n: u32) -> f64 {
    f64::from(n) / (f64::from(n) + 1.0)
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Whether the offer can serve, and why not.
fn conditions(need: &Need, offer: &OfferContent, today: NaiveDate, explain: bool) -> Vec<String> {
    let mut failed = Vec::new();
    if !offer.serves_place(need.place) {
        let places = || {
            let mut places: Vec<String> = offer.states.iter().map(|s| s.to_string()).collect();
            places.extend(offer.regions.iter().map(|r| area_name(r)));
            places.extend(offer.regional_groups.iter().map(|g| g.as_str().to_owned()));
            places.join(", ")
        };
        failed.push(detail!(
            explain,
            "does not serve {}: serves {}",
            need.place.state,
            places()
        ));
    }
    if !need.languages.is_empty()
        && !offer.languages.is_empty()
        && covered(need.languages, need.language_equivalents, &offer.languages)
            .next()
            .is_none()
    {
        failed.push(detail!(
            explain,
            "no shared language: asks for {}, offers {}",
            listed(need.languages),
            listed(&offer.languages)
        ));
    }
    if let Some(period) = &offer.period {
        if period.ended_before(today) {
            failed.push(detail!(
                explain,
                "no longer available: its period ended on {}",
                period.end.expect("ended")
            ));
        } else if let Some(wanted) = need.period
            && !period.overlaps(wanted)
        {
            failed.push(detail!(
                explain,
                "not available when needed: available {}, needed {}",
                describe(period),
                describe(wanted)
            ));
        }
    }
    failed
}

fn describe(p: &Period) -> String {
    match (p.start, p.end) {
        (Some(s), Some(e)) => format!("{s} to {e}"),
        (Some(s), None) => format!("from {s}"),
        (None, Some(e)) => format!("until {e}"),
        (None, None) => "at any time".into(),
    }
}

/// An M49 area's name and code: "Africa (002)".
fn area_name(code: &str) -> String {
    if code == "001" {
        return "the world (001)".into();
    }
    reference()
        .countries
        .iter()
        .flat_map(|c| [&c.region, &c.sub_region, &c.intermediate_region])
        .flatten()
        .find(|a| a.code == code)
        .map_or_else(|| code.to_owned(), |a| format!("{} ({code})", a.name))
}

/// Each factor's value (0 to 1) and detail.
fn factors(
    need: &Need,
    c: &Candidate,
    texts: &Texts,
    explain: bool,
) -> Vec<(FactorName, f64, String)> {
    let offer = c.offer;
    let mut out = Vec::new();

    // Themes: the share of the need's themes it covers.
    let shared = covered(need.themes, need.theme_equivalents, &offer.themes);
    let n = shared.clone().count();
    out.push(if need.themes.is_empty() {
        (
            FactorName::Themes,
            0.0,
            detail!(explain, "the need names no theme"),
        )
    } else {
        let share = n as f64 / need.themes.len() as f64;
        let detail = if n == 0 {
            detail!(
                explain,
                "no shared theme: needs {}, offers {}",
                listed(need.themes),
                listed(&offer.themes)
            )
        } else {
            detail!(
                explain,
                "shares {} of the {} themes needed: {}",
                n,
                need.themes.len(),
                listed(shared)
            )
        };
        (FactorName::Themes, share, detail)
    });

    // SDG targets: the same target counts whole, another of the same goal half.
    out.push(if need.sdg_targets.is_empty() {
        (
            FactorName::SdgTargets,
            0.0,
            detail!(explain, "the need names no SDG target"),
        )
    } else {
        fn goal(t: &str) -> &str {
            t.split('.').next().unwrap_or(t)
        }
        let same = common(need.sdg_targets, &offer.sdg_targets);
        let near = need.sdg_targets.iter().filter(|t| {
            !offer.sdg_targets.contains(t) && offer.sdg_targets.iter().any(|o| goal(o) == goal(t))
        });
        let (n_same, n_near) = (same.clone().count(), near.clone().count());
        let value = (n_same as f64 + 0.5 * n_near as f64) / need.sdg_targets.len() as f64;
        let detail = match (n_same == 0, n_near == 0) {
            (true, true) => detail!(
                explain,
                "no shared SDG target or goal: needs {}",
                listed(need.sdg_targets)
            ),
            (false, true) => detail!(explain, "shares SDG targets {}", listed(same)),
            (true, false) => detail!(
                explain,
                "works on the goals of SDG targets {}",
                listed(near)
            ),
            (false, false) => detail!(
                explain,
                "shares SDG targets {}, and works on the goals of {}",
                listed(same),
                listed(near)
            ),
        };
        (FactorName::SdgTargets, value, detail)
    });

    // Modality.
    out.push(if need.modalities.is_empty() {
        (
            FactorName::Modality,
            1.0,
            detail!(explain, "the need takes any kind of help"),
        )
    } else {
        let mut shared = common(need.modalities, &offer.modalities).peekable();
        if shared.peek().is_none() {
            (
                FactorName::Modality,
                0.0,
                detail!(
                    explain,
                    "offers {} where {} is asked for",
                    if offer.modalities.is_empty() {
                        "no stated kind of help".to_owned()
                    } else {
                        listed(&offer.modalities)
                    },
                    listed(need.modalities)
                ),
            )
        } else {
            (
                FactorName::Modality,
                1.0,
                detail!(explain, "offers {}", listed(shared)),
            )
        }
    });

    // Language.
    let mut shared =
        covered(need.languages, need.language_equivalents, &offer.languages).peekable();
    out.push(if need.languages.is_empty() {
        (
            FactorName::Language,
            1.0,
            detail!(explain, "the need takes any language"),
        )
    } else if offer.languages.is_empty() {
        (
            FactorName::Language,
            0.5,
            detail!(explain, "the offer names no language"),
        )
    } else if shared.peek().is_none() {
        (
            FactorName::Language,
            0.0,
            detail!(
                explain,
                "asks for {}, offers {}",
                listed(need.languages),
                listed(&offer.languages)
            ),
        )
    } else {
        (
            FactorName::Language,
            1.0,
            detail!(explain, "works in {}", listed(shared)),
        )
    });

    // Where it serves: by name, by area or group, anywhere.
    out.push(if offer.states.contains(&need.place.state) {
        (
            FactorName::Serves,
            1.0,
            detail!(explain, "serves {} by name", need.place.state),
        )
    } else if let Some(area) = offer.regions.iter().find(|r| need.place.areas.contains(r)) {
        (
            FactorName::Serves,
            0.8,
            detail!(
                explain,
                "serves {}, where {} is",
                area_name(area),
                need.place.state
            ),
        )
    } else if let Some(g) = need
        .place
        .group
        .filter(|g| offer.regional_groups.contains(g))
    {
        (
            FactorName::Serves,
            0.8,
            detail!(
                explain,
                "serves the {} group, of which {} is",
                g.as_str(),
                need.place.state
            ),
        )
    } else if offer.serves_everywhere() {
        (
            FactorName::Serves,
            0.6,
            detail!(explain, "serves every State"),
        )
    } else {
        (
            FactorName::Serves,
            0.0,
            detail!(explain, "does not serve {}", need.place.state),
        )
    });

    // When.
    out.push(match (&offer.period, need.period) {
        (Some(p), Some(w)) if p.overlaps(w) => (
            FactorName::Period,
            1.0,
            detail!(explain, "available {}, needed {}", describe(p), describe(w)),
        ),
        (Some(p), Some(w)) => (
            FactorName::Period,
            0.0,
            detail!(explain, "available {}, needed {}", describe(p), describe(w)),
        ),
        (Some(p), None) => (
            FactorName::Period,
            1.0,
            detail!(explain, "available {}", describe(p)),
        ),
        (None, _) => (
            FactorName::Period,
            1.0,
            detail!(explain, "available at any time"),
        ),
    });

    // Words.
    let (similarity, shared) = texts.rarity.similarity(need.words, c.words, explain);
    // A cosine of 0.5 between two short texts is already close: it counts fully.
    let value = (f64::from(similarity) * 2.0).min(1.0);
    out.push((
        FactorName::Words,
        value,
        if shared.is_empty() {
            detail!(explain, "no word of the need is in the offer")
        } else {
            detail!(
                explain,
                "similarity {:.2}; shared words: {}",
                similarity,
                listed(shared.iter().map(|t| texts.vocabulary.term(*t)))
            )
        },
    ));

    // Track record.
    let t = c.track;
    let value = 0.5 * saturating(t.on_themes)
        + 0.3 * saturating(t.in_region)
        + 0.2 * saturating(t.good_practices);
    out.push((
        FactorName::TrackRecord,
        value,
        if t.on_themes == 0 {
            detail!(explain, "no public activity on these themes yet")
        } else {
            detail!(
                explain,
                "{} public activities on these themes, {} of them in the region, {} good practices",
                t.on_themes,
                t.in_region,
                t.good_practices
            )
        },
    ));

    // Peer to peer.
    out.push(if c.by_state && offer.peer_to_peer {
        if t.good_practices > 0 {
            (
                FactorName::PeerToPeer,
                1.0,
                detail!(
explain,
                    "a State offering its own experience, with {} good practices on these themes",
                    t.good_practices
                ),
            )
        } else {
            (
                FactorName::PeerToPeer,
                0.5,
                detail!(explain, "a State offering its own experience, without a good practice on these themes yet"),
            )
        }
    } else {
        (
            FactorName::PeerToPeer,
            0.0,
            detail!(explain, "not a State's peer-to-peer offer"),
        )
    });
    out
}

/// How well `candidate` fits `need` on `today`, and why; `texts` weighs and reads the words
/// of the texts compared.
pub fn score(need: &Need, candidate: &Candidate, texts: &Texts, today: NaiveDate) -> Score {
    evaluate(need, candidate, texts, today, true)
}

/// [`score`] without its explanation (`explanation` is empty): the same score, for ranking
/// many candidates of which only a page is shown.
pub fn rank_score(need: &Need, candidate: &Candidate, texts: &Texts, today: NaiveDate) -> Score {
    evaluate(need, candidate, texts, today, false)
}

fn evaluate(
    need: &Need,
    candidate: &Candidate,
    texts: &Texts,
    today: NaiveDate,
    explain: bool,
) -> Score {
    let failed = conditions(need, candidate.offer, today, explain);
    let can_serve = failed.is_empty();
    let scale = if can_serve { 1.0 } else { CANNOT_SERVE_SCALE };
    let first = Factor {
        factor: FactorName::CanServe,
        weight: CAN_SERVE,
        contribution: if can_serve { CAN_SERVE } else { 0.0 },
        detail: if can_serve {
            detail!(explain, "can serve {}", need.place.state)
        } else {
            detail!(
                explain,
                "cannot serve, so every other factor counts {:.0}%: {}",
                CANNOT_SERVE_SCALE * 100.0,
                failed.join("; ")
            )
        },
    };
    let mut total = first.contribution;
    let mut explanation = Vec::with_capacity(if explain { 10 } else { 0 });
    if explain {
        explanation.push(first);
    }
    for (factor, value, detail) in factors(need, candidate, texts, explain) {
        let weight = factor.weight();
        let contribution = round(weight * value * scale);
        total += contribution;
        if explain {
            explanation.push(Factor {
                factor,
                weight,
                contribution,
                detail,
            });
        }
    }
    Score {
        score: round(total).clamp(0.0, 1.0),
        can_serve,
        explanation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::words::Words;
    use crate::domain::{CountryCode, Language};
    use crate::reference::RegionalGroup;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    /// The terms of an English text, numbered by `vocabulary`.
    fn words(vocabulary: &mut Vocabulary, text: &str) -> Terms {
        let mut w = Words::default();
        w.add(Language::En, text);
        vocabulary.terms(&w)
    }

    /// Scores with every word as rare as every other.
    fn scored_with(need: &Need, c: &Candidate, vocabulary: &Vocabulary, today: NaiveDate) -> Score {
        let rarity = Rarity::default();
        let texts = Texts {
            rarity: &rarity,
            vocabulary,
        };
        let full = score(need, c, &texts, today);
        let quick = rank_score(need, c, &texts, today);
        assert_eq!(
            (quick.score, quick.can_serve),
            (full.score, full.can_serve),
            "ranking scores as explaining does"
        );
        assert!(quick.explanation.is_empty());
        full
    }

    fn offer() -> OfferContent {
        OfferContent {
            stakeholder: None,
            themes: strings(&["womens_rights"]),
            sdg_targets: strings(&["5.1"]),
            modalities: strings(&["legislative_advice"]),
            languages: strings(&["fr"]),
            states: vec![],
            regions: strings(&["002"]),
            regional_groups: vec![],
            capacity: None,
            period: Some(Period {
                start: Some(day("2027-01-01")),
                end: Some(day("2027-12-31")),
            }),
            description: crate::domain::Multilingual {
                en: Some("x".into()),
                ..Default::default()
            },
            peer_to_peer: false,
            activities: vec![],
            status: Default::default(),
        }
    }

    #[derive(Clone)]
    struct Fixture {
        place: Place,
        vocabulary: Vocabulary,
        themes: Vec<String>,
        targets: Vec<String>,
        modalities: Vec<String>,
        languages: Vec<String>,
        language_equivalents: Vec<&'static [String]>,
        period: Period,
        words: Terms,
    }

    impl Fixture {
        fn kenya() -> Self {
            let mut vocabulary = Vocabulary::default();
            let words = words(&mut vocabulary, "law against discrimination of women");
            Self {
                place: Place::of(&CountryCode::parse("KEN").unwrap()),
                vocabulary,
                themes: strings(&["womens_rights"]),
                targets: strings(&["5.1"]),
                modalities: strings(&["legislative_advice"]),
                languages: strings(&["fr"]),
                language_equivalents: language_equivalents_of(&strings(&["fr"])),
                period: Period {
                    start: Some(day("2027-01-01")),
                    end: Some(day("2027-12-31")),
                },
                words,
            }
        }

        fn need(&self) -> Need<'_> {
            Need {
                place: &self.place,
                themes: &self.themes,
                // Its themes are all UPR Info's: the API tests compare across vocabularies.
                theme_equivalents: &[],
                sdg_targets: &self.targets,
                modalities: &self.modalities,
                languages: &self.languages,
                language_equivalents: &self.language_equivalents,
                period: Some(&self.period),
                words: &self.words,
            }
        }
    }

    fn scored(f: &Fixture, o: &OfferContent) -> Score {
        let mut f = f.clone();
        let w = words(
            &mut f.vocabulary,
            "drafting laws on discrimination against women",
        );
        let c = Candidate {
            offer: o,
            words: &w,
            track: TrackRecord::default(),
            by_state: false,
        };
        scored_with(&f.need(), &c, &f.vocabulary, day("2026-11-29"))
    }

    fn factor(s: &Score, name: FactorName) -> &Factor {
        s.explanation.iter().find(|f| f.factor == name).unwrap()
    }

    #[test]
    fn weights_sum_to_one_and_contributions_to_the_score() {
        let names = [
            FactorName::CanServe,
            FactorName::Themes,
            FactorName::SdgTargets,
            FactorName::Modality,
            FactorName::Language,
            FactorName::Serves,
            FactorName::Period,
            FactorName::Words,
            FactorName::TrackRecord,
            FactorName::PeerToPeer,
        ];
        let total: f64 = names.iter().map(|n| n.weight()).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        let f = Fixture::kenya();
        let s = scored(&f, &offer());
        let sum: f64 = s.explanation.iter().map(|x| x.contribution).sum();
        assert!((sum - s.score).abs() < 1e-3, "{sum} vs {}", s.score);
        assert_eq!(s.explanation.len(), names.len());
    }

    #[test]
    fn a_language_meets_its_macrolanguage_and_its_other_codes_but_not_a_sibling() {
        for (asked, offered, meet) in [
            ("sw", "swh", true),
            ("swh", "sw", true),
            ("zh", "cmn", true),
            ("cmn", "yue", false),
            ("fr", "fra", true),
            ("fra", "fr", true),
            ("fra", "fre", true),
            ("he", "iw", true),
            ("fr", "en", false),
        ] {
            let mut f = Fixture::kenya();
            f.languages = strings(&[asked]);
            f.language_equivalents = language_equivalents_of(&f.languages);
            let mut o = offer();
            o.languages = strings(&[offered]);
            let s = scored(&f, &o);
            assert_eq!(s.can_serve, meet, "{asked} / {offered}");
        }
    }

    #[test]
    fn each_hard_condition_drops_the_offer_below_every_one_that_can_serve() {
        let f = Fixture::kenya();
        let perfect = scored(&f, &offer());
        assert!(
            perfect.can_serve && perfect.score > CAN_SERVE,
            "{perfect:?}"
        );
        let mut english = offer();
        english.languages = strings(&["en"]);
        let mut asia = offer();
        asia.regions = strings(&["142"]);
        let mut past = offer();
        past.period = Some(Period {
            start: Some(day("2024-01-01")),
            end: Some(day("2025-12-31")),
        });
        let mut later = offer();
        later.period = Some(Period {
            start: Some(day("2029-01-01")),
            end: None,
        });
        let mut nothing_shared = offer();
        nothing_shared.themes = strings(&["elections"]);
        nothing_shared.sdg_targets = vec![];
        nothing_shared.modalities = strings(&["training"]);
        nothing_shared.regions = vec![];
        let poor_but_serving = scored(&f, &nothing_shared);
        assert!(poor_but_serving.can_serve);
        for (o, why) in [
            (english, "no shared language"),
            (asia, "does not serve KEN: serves Asia (142)"),
            (past, "no longer available: its period ended on 2025-12-31"),
            (later, "not available when needed"),
        ] {
            let s = scored(&f, &o);
            assert!(!s.can_serve, "{why}");
            assert!(
                s.score < poor_but_serving.score,
                "{why}: {} < {}",
                s.score,
                poor_but_serving.score
            );
            let detail = &factor(&s, FactorName::CanServe).detail;
            assert!(detail.contains(why), "{detail}");
        }
    }

    #[test]
    fn where_it_serves_counts_most_by_name() {
        let f = Fixture::kenya();
        let mut by_name = offer();
        by_name.regions = vec![];
        by_name.states = vec![CountryCode::parse("KEN").unwrap()];
        let mut by_group = offer();
        by_group.regions = vec![];
        by_group.regional_groups = vec![RegionalGroup::African];
        let mut anywhere = offer();
        anywhere.regions = vec![];
        let value = |o: &OfferContent| factor(&scored(&f, o), FactorName::Serves).contribution;
        assert!(value(&by_name) > value(&by_group));
        assert!(value(&by_group) > value(&anywhere));
        assert!(
            value(&offer()) == value(&by_group),
            "a region and a group alike"
        );
    }

    #[test]
    fn sdg_targets_of_the_same_goal_count_half() {
        let f = Fixture::kenya();
        let mut near = offer();
        near.sdg_targets = strings(&["5.2"]);
        let s = scored(&f, &near);
        let x = factor(&s, FactorName::SdgTargets);
        assert!((x.contribution - x.weight * 0.5).abs() < 1e-4, "{x:?}");
        assert!(
            x.detail.contains("goals of SDG targets 5.1"),
            "{}",
            x.detail
        );
    }

    #[test]
    fn track_record_and_peer_to_peer_add_evidence() {
        let mut f = Fixture::kenya();
        let mut p2p = offer();
        p2p.peer_to_peer = true;
        let w = words(&mut f.vocabulary, "x");
        let plain = Candidate {
            offer: &p2p,
            words: &w,
            track: TrackRecord::default(),
            by_state: true,
        };
        let proven = Candidate {
            track: TrackRecord {
                on_themes: 3,
                in_region: 1,
                good_practices: 1,
            },
            ..plain.clone()
        };
        let today = day("2026-11-29");
        let a = scored_with(&f.need(), &plain, &f.vocabulary, today);
        let b = scored_with(&f.need(), &proven, &f.vocabulary, today);
        assert!(b.score > a.score);
        assert_eq!(
            factor(&b, FactorName::PeerToPeer).contribution,
            FactorName::PeerToPeer.weight()
        );
        assert!(
            factor(&b, FactorName::TrackRecord)
                .detail
                .contains("3 public activities")
        );
    }
}
