//! Matches, ranked and explained (issue 11): the offers for a State's request, the open
//! requests an offer could answer, and the stakeholders that could help implement a
//! recommendation. Candidates are what the caller may see (public ones for public callers);
//! track records count public activities only, whoever asks, so no score tells of an activity
//! that is not public. The score is `domain::matching`'s.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::{Error, Result};
use crate::db::DbConnection;
use crate::db::assistance_requests::Filter as RequestFilter;
use crate::db::documents::{self, parse_document};
use crate::db::offers::Filter as OfferFilter;
use crate::db::sql::matching::{activity_facts, offers, requests, track_records};
use crate::db::stored::unreadable;
use crate::db::table::Rows;
use crate::domain::assistance_request::{
    AssistanceRequest, AssistanceRequestContent, RequestStatus,
};
use crate::domain::matching::{Candidate, Need, Score, TrackRecord, score};
use crate::domain::needs::Period;
use crate::domain::offer::{Offer, OfferContent, OfferStatus};
use crate::domain::publication::Access;
use crate::domain::recommendation::Recommendation;
use crate::domain::stakeholder::{Stakeholder, StakeholderKind};
use crate::domain::words::{Frequencies, Rarity, Words};
use crate::domain::{CountryCode, OfferId, RecommendationId, StakeholderId};
use crate::reference::reference;

/// An item and how well it fits.
#[derive(Debug, Clone)]
pub struct Ranked<T> {
    pub score: Score,
    pub item: T,
}

/// An offer for a request, and why it fits.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OfferMatch {
    /// From 0 to 1; every offer that can serve scores at least 0.2, every other less.
    pub score: f64,
    /// Whether it can serve at all: serves the State, shares a language, is available when
    /// needed. If not, the `can_serve` factor says which condition failed.
    pub can_serve: bool,
    /// The factors of the score; their contributions sum to it.
    pub explanation: Vec<crate::domain::matching::Factor>,
    pub offer: Offer,
}

impl OfferMatch {
    pub fn from(score: Score, offer: Offer) -> Self {
        Self {
            score: score.score,
            can_serve: score.can_serve,
            explanation: score.explanation,
            offer,
        }
    }
}

/// Best first: those that can serve, then by score, then by id.
fn rank<T>(items: &mut [Ranked<T>], id: impl Fn(&T) -> String) {
    items.sort_by(|a, b| {
        b.score
            .can_serve
            .cmp(&a.score.can_serve)
            .then(b.score.score.total_cmp(&a.score.score))
            .then_with(|| id(&a.item).cmp(&id(&b.item)))
    });
}

/// The States that count as the region of `state` for a track record: those of its
/// sub-region (itself when the reference data gives none).
fn region_states(state: &CountryCode) -> Vec<String> {
    let data = reference();
    let sub = data
        .country(state.as_str())
        .and_then(|c| c.sub_region.as_ref())
        .map(|a| a.code.clone());
    match sub {
        Some(sub) => data
            .countries
            .iter()
            .filter(|c| c.sub_region.as_ref().is_some_and(|a| a.code == sub))
            .map(|c| c.alpha3.clone())
            .collect(),
        None => vec![state.to_string()],
    }
}

/// The track records of `stakeholders` (all with one, when `None`) for a need.
fn tracks(
    conn: &mut DbConnection,
    stakeholders: Option<&[String]>,
    themes: &[String],
    state: &CountryCode,
) -> Result<HashMap<String, TrackRecord>> {
    let rows = track_records(conn, stakeholders, themes, &region_states(state))?;
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.stakeholder,
                TrackRecord {
                    on_themes: count(r.on_themes),
                    in_region: count(r.in_states),
                    good_practices: count(r.good_practices),
                },
            )
        })
        .collect())
}

/// One stakeholder's public activities (their themes and States, and whether each is a good
/// practice), read once to tell its track record for many needs.
struct Record(Vec<(Vec<String>, Vec<String>, bool)>);

impl Record {
    fn of(conn: &mut DbConnection, stakeholder: &str) -> Result<Self> {
        let mut by_activity: std::collections::BTreeMap<i64, (Vec<String>, Vec<String>, bool)> =
            Default::default();
        for row in activity_facts(conn, stakeholder)? {
            let entry = by_activity.entry(row.seq).or_default();
            entry.2 = row.good_practice != 0;
            match row.facet.as_str() {
                "theme" => entry.0.push(row.value),
                _ => entry.1.push(row.value),
            }
        }
        Ok(Self(by_activity.into_values().collect()))
    }

    fn on(&self, themes: &[String], states: &[String]) -> TrackRecord {
        let mut t = TrackRecord::default();
        for (its_themes, its_states, good) in &self.0 {
            if !its_themes.iter().any(|x| themes.contains(x)) {
                continue;
            }
            t.on_themes += 1;
            t.in_region += u32::from(its_states.iter().any(|x| states.contains(x)));
            t.good_practices += u32::from(*good);
        }
        t
    }
}

/// The texts of these recommendations, by id.
fn recommendation_words(
    conn: &mut DbConnection,
    ids: &[RecommendationId],
) -> Result<HashMap<RecommendationId, Words>> {
    let mut keys: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out = HashMap::new();
    for chunk in keys.chunks(500) {
        for row in Recommendation::find_rows(conn, chunk)? {
            let r: Recommendation = documents::parse(&row)?;
            out.insert(r.stored.id, Words::of(&[&r.content.text]));
        }
    }
    Ok(out)
}

/// The words of a request: its description and the texts of its recommendations.
fn request_words(
    request: &AssistanceRequestContent,
    recommendations: &HashMap<RecommendationId, Words>,
) -> Words {
    let mut words = Words::of(&[&request.description]);
    for id in &request.recommendations {
        if let Some(w) = recommendations.get(id) {
            for (term, n) in &w.0 {
                *words.0.entry(term.clone()).or_default() += n;
            }
        }
    }
    words
}

fn offer_words(offer: &OfferContent) -> Words {
    let mut texts = vec![&offer.description];
    texts.extend(offer.capacity.as_ref());
    Words::of(&texts)
}

fn need_of<'a>(r: &'a AssistanceRequestContent, words: &'a Words) -> Need<'a> {
    Need {
        state: &r.state,
        themes: &r.themes,
        sdg_targets: &r.sdg_targets,
        modalities: &r.modalities,
        languages: &r.languages,
        period: r.period.as_ref(),
        words,
    }
}

fn stakeholder_key(offer: &OfferContent) -> String {
    offer.stakeholder.map(|s| s.to_string()).unwrap_or_default()
}

/// The open offers a caller may see (only of stakeholders of one kind, when asked), read once
/// and ranked for as many needs as asked: the match list of one request, or the best matches
/// of each open request of the coordination view.
pub struct OfferPool {
    /// Each offer, its words, and whether a State makes it.
    candidates: Vec<(Offer, Words, bool)>,
    frequencies: Frequencies,
    /// The stakeholders that make them, once each.
    makers: Vec<String>,
}

impl OfferPool {
    pub fn load(
        conn: &mut DbConnection,
        access: &Access,
        kind: Option<StakeholderKind>,
    ) -> Result<Self> {
        let mut filter = OfferFilter::new(access.clone());
        filter.status = Some(OfferStatus::Open);
        filter.stakeholder_kind = kind;
        let rows = offers(conn, &filter)?;
        let mut candidates = Vec::with_capacity(rows.len());
        let mut frequencies = Frequencies::default();
        for row in rows {
            let offer: Offer = parse_document(&row.document)?;
            let words = offer_words(&offer.content);
            frequencies.add(&words);
            candidates.push((offer, words, row.by_state != 0));
        }
        let mut makers: Vec<String> = candidates
            .iter()
            .map(|(o, _, _)| stakeholder_key(&o.content))
            .collect();
        makers.sort_unstable();
        makers.dedup();
        Ok(Self {
            candidates,
            frequencies,
            makers,
        })
    }

    /// The offers' scores for `request`, best first, each with its offer's place in the pool.
    pub fn rank(
        &self,
        conn: &mut DbConnection,
        request: &AssistanceRequestContent,
        today: NaiveDate,
    ) -> Result<Vec<Ranked<usize>>> {
        let recommendations = recommendation_words(conn, &request.recommendations)?;
        let words = request_words(request, &recommendations);
        let tracks = tracks(conn, Some(&self.makers), &request.themes, &request.state)?;
        let rarity = self.frequencies.rarity(&[&words]);
        let need = need_of(request, &words);
        let mut ranked: Vec<Ranked<usize>> = self
            .candidates
            .iter()
            .enumerate()
            .map(|(i, (offer, offer_words, by_state))| {
                let candidate = Candidate {
                    offer: &offer.content,
                    words: offer_words,
                    track: tracks
                        .get(&stakeholder_key(&offer.content))
                        .copied()
                        .unwrap_or_default(),
                    by_state: *by_state,
                };
                Ranked {
                    score: score(&need, &candidate, &rarity, today),
                    item: i,
                }
            })
            .collect();
        rank(&mut ranked, |i| self.candidates[*i].0.stored.id.to_string());
        Ok(ranked)
    }

    /// The offer at this place of the pool.
    pub fn offer(&self, i: usize) -> &Offer {
        &self.candidates[i].0
    }

    /// The offers ranked as [`OfferPool::rank`] ranks them, taken out of the pool.
    pub fn into_ranked(self, ranked: Vec<Ranked<usize>>) -> Vec<Ranked<Offer>> {
        let mut offers: Vec<Option<Offer>> = self
            .candidates
            .into_iter()
            .map(|(o, _, _)| Some(o))
            .collect();
        ranked
            .into_iter()
            .filter_map(|r| {
                offers[r.item].take().map(|item| Ranked {
                    score: r.score,
                    item,
                })
            })
            .collect()
    }
}

/// The open offers a caller with `access` sees that fit `request`, best first; only of
/// stakeholders of `kind` when given.
pub fn ranked_offers(
    conn: &mut DbConnection,
    access: &Access,
    request: &AssistanceRequestContent,
    kind: Option<StakeholderKind>,
    today: NaiveDate,
) -> Result<Vec<Ranked<Offer>>> {
    let pool = OfferPool::load(conn, access, kind)?;
    let ranked = pool.rank(conn, request, today)?;
    Ok(pool.into_ranked(ranked))
}

/// The offers for request `id`, if the caller may see the request.
pub fn for_request(
    conn: &mut DbConnection,
    access: &Access,
    id: crate::domain::AssistanceRequestId,
    kind: Option<StakeholderKind>,
    today: NaiveDate,
) -> Result<Vec<Ranked<Offer>>> {
    let request = super::assistance_requests::visible(conn, id, access)?;
    ranked_offers(conn, access, &request.content, kind, today)
}

/// The open requests a caller with `access` sees that offer `id` could answer, best first.
pub fn for_offer(
    conn: &mut DbConnection,
    access: &Access,
    id: OfferId,
    today: NaiveDate,
) -> Result<Vec<Ranked<AssistanceRequest>>> {
    let offer = super::offers::visible(conn, id, access)?;
    let by_state = match offer.content.stakeholder {
        Some(s) => crate::db::stakeholders::bound_state(conn, s)?.is_some(),
        None => false,
    };
    let mut filter = RequestFilter::new(access.clone());
    filter.status = Some(RequestStatus::Open);
    let mut candidates = Vec::new();
    for row in requests(conn, &filter)? {
        candidates.push(parse_document::<AssistanceRequest>(&row.document)?);
    }
    let ids: Vec<RecommendationId> = candidates
        .iter()
        .flat_map(|r| r.content.recommendations.iter().copied())
        .collect();
    let recommendations = recommendation_words(conn, &ids)?;
    let needs_words: Vec<Words> = candidates
        .iter()
        .map(|r| request_words(&r.content, &recommendations))
        .collect();
    let words = offer_words(&offer.content);
    let rarity = Rarity::over(needs_words.iter().chain([&words]));
    let record = Record::of(conn, &stakeholder_key(&offer.content))?;
    let mut ranked = Vec::with_capacity(candidates.len());
    for (request, request_words) in candidates.into_iter().zip(&needs_words) {
        let track = record.on(
            &request.content.themes,
            &region_states(&request.content.state),
        );
        let candidate = Candidate {
            offer: &offer.content,
            words: &words,
            track,
            by_state,
        };
        let score = score(
            &need_of(&request.content, request_words),
            &candidate,
            &rarity,
            today,
        );
        ranked.push(Ranked {
            score,
            item: request,
        });
    }
    rank(&mut ranked, |r| r.stored.id.to_string());
    Ok(ranked)
}

/// A stakeholder that could help, and the offer of its that fits best (none: it is ranked on
/// what it says it does, its expertise, and on its track record).
#[derive(Debug, Clone)]
pub struct Partner {
    pub stakeholder: Stakeholder,
    pub offer: Option<Offer>,
}

/// What a stakeholder's profile says it does, as an offer with no period or kind of help.
fn profile_offer(s: &Stakeholder) -> OfferContent {
    let c = &s.content;
    OfferContent {
        stakeholder: Some(s.stored.id),
        themes: c.themes.clone(),
        sdg_targets: vec![],
        modalities: vec![],
        languages: c.languages.clone(),
        states: vec![],
        regions: c.regions.clone(),
        regional_groups: vec![],
        capacity: None,
        period: None,
        description: c.name.clone(),
        peer_to_peer: false,
        activities: vec![],
        status: OfferStatus::Open,
    }
}

/// The stakeholders that could help implement recommendation `id`, best first: each by its
/// open offer that fits best, or, with none the caller sees, by its profile; those with no
/// open offer and no public activity on the recommendation's themes are left out.
pub fn partners(
    conn: &mut DbConnection,
    access: &Access,
    id: RecommendationId,
    kind: Option<StakeholderKind>,
    today: NaiveDate,
) -> Result<Vec<Ranked<Partner>>> {
    let recommendation: Recommendation = documents::get(conn, id)?
        .ok_or_else(|| Error::NotFound(format!("No recommendation has the id {id}.")))?;
    let r = &recommendation.content;
    // The need a recommendation states: its State, themes and targets, any kind of help, in
    // any language, at any time.
    let request = AssistanceRequestContent {
        state: r.state_under_review.clone(),
        reference: None,
        recommendations: vec![id],
        themes: r.themes.clone(),
        sdg_targets: r.sdg_targets.clone(),
        modalities: vec![],
        languages: vec![],
        period: None::<Period>,
        description: r.text.clone(),
        status: RequestStatus::Open,
    };
    let offers = ranked_offers(conn, access, &request, kind, today)?;
    // Each stakeholder's best offer (the first, as they are ranked).
    let mut best: HashMap<StakeholderId, Ranked<Offer>> = HashMap::new();
    for ranked in offers {
        if let Some(s) = ranked.item.content.stakeholder {
            best.entry(s).or_insert(ranked);
        }
    }
    let tracks = tracks(conn, None, &r.themes, &r.state_under_review)?;
    let mut ids: Vec<StakeholderId> = best.keys().copied().collect();
    for key in tracks.keys() {
        let s: StakeholderId = key
            .parse()
            .map_err(|e| unreadable(format!("stakeholder id `{key}`: {e}")))?;
        ids.push(s);
    }
    ids.sort_unstable();
    ids.dedup();
    let stakeholders = crate::db::stakeholders::get_many(conn, ids.iter().copied())?;
    let words = Words::of(&[&r.text]);
    let mut profiles: Vec<(Stakeholder, OfferContent, Words)> = Vec::new();
    for (sid, s) in &stakeholders {
        if best.contains_key(sid) || kind.is_some_and(|k| s.content.kind != k) {
            continue;
        }
        let offer = profile_offer(s);
        let w = Words::of(&[&s.content.name]);
        profiles.push((s.clone(), offer, w));
    }
    let rarity = Rarity::over(profiles.iter().map(|(_, _, w)| w).chain([&words]));
    let need = need_of(&request, &words);
    let mut out: Vec<Ranked<Partner>> = Vec::new();
    for (sid, ranked) in best {
        let Some(s) = stakeholders.get(&sid) else {
            continue;
        };
        out.push(Ranked {
            score: ranked.score,
            item: Partner {
                stakeholder: s.clone(),
                offer: Some(ranked.item),
            },
        });
    }
    for (s, offer, w) in profiles {
        let candidate = Candidate {
            offer: &offer,
            words: &w,
            track: tracks
                .get(&s.stored.id.to_string())
                .copied()
                .unwrap_or_default(),
            by_state: crate::db::stakeholders::own_state(&s.content).is_some(),
        };
        let score = score(&need, &candidate, &rarity, today);
        out.push(Ranked {
            score,
            item: Partner {
                stakeholder: s,
                offer: None,
            },
        });
    }
    rank(&mut out, |p| p.stakeholder.stored.id.to_string());
    Ok(out)
}
