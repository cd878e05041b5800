//! Matches, ranked and explained (issue 11): the offers for a State's request, the open
//! requests an offer could answer, and the stakeholders that could help implement a
//! recommendation. Candidates are what the caller may see (public ones for public callers);
//! track records count public activities only, whoever asks, so no score tells of an activity
//! that is not public. The score is `domain::matching`'s.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::NaiveDate;

use super::{Error, Result};
use crate::db::DbConnection;
use crate::db::assistance_requests::Filter as RequestFilter;
use crate::db::documents::{self, parse_document};
use crate::db::offers::Filter as OfferFilter;
use crate::db::sql::matching::{activity_facts, offer_keys, requests, track_records};
use crate::db::stored::unreadable;
use crate::db::table::Rows;
use crate::domain::assistance_request::{
    AssistanceRequest, AssistanceRequestContent, RequestStatus,
};
use crate::domain::matching::{Candidate, Need, Score, Texts, TrackRecord, rank_score, score};
use crate::domain::needs::Period;
use crate::domain::offer::{Offer, OfferContent, OfferStatus, Place};
use crate::domain::publication::Access;
use crate::domain::recommendation::Recommendation;
use crate::domain::stakeholder::{Stakeholder, StakeholderKind};
use crate::domain::words::{Frequencies, Rarity, Terms, Vocabulary, Words};
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
fn rank<T, K: Ord>(items: &mut [Ranked<T>], id: impl Fn(&T) -> K) {
    // Ids are unique: no two items are equal, so an unstable sort gives one order.
    items.sort_unstable_by(|a, b| {
        b.score
            .can_serve
            .cmp(&a.score.can_serve)
            .then(b.score.score.total_cmp(&a.score.score))
            .then_with(|| id(&a.item).cmp(&id(&b.item)))
    });
}

/// Which part of a ranking is asked for: those scoring at least `min_score`, from the
/// `start`th, at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub min_score: f64,
    pub start: usize,
    pub limit: usize,
}

impl Window {
    /// The first `limit`, whatever their score.
    pub fn first(limit: usize) -> Self {
        Self {
            min_score: 0.0,
            start: 0,
            limit,
        }
    }

    /// The part of `ranked` this window shows, and where the next part starts when there
    /// is one.
    fn cut<T>(&self, ranked: Vec<Ranked<T>>) -> (Vec<Ranked<T>>, Option<usize>) {
        let kept: Vec<Ranked<T>> = ranked
            .into_iter()
            .filter(|r| r.score.score >= self.min_score)
            .collect();
        let total = kept.len();
        let end = self.start.saturating_add(self.limit).min(total);
        let items = kept.into_iter().skip(self.start).take(self.limit).collect();
        (items, (end < total).then_some(end))
    }
}

/// A part of a ranking, explained, and where the next part starts when there is one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<Ranked<T>>,
    pub next: Option<usize>,
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

/// The track records of `stakeholders` (all with one, when `None`) for a need on `themes`: an
/// activity on a theme the other vocabulary says covers the same ground counts
/// (`Theme::equivalents`).
fn tracks(
    conn: &mut DbConnection,
    stakeholders: Option<&[String]>,
    themes: &[String],
    state: &CountryCode,
) -> Result<HashMap<String, TrackRecord>> {
    let themes = reference().themes_with_equivalents(themes);
    let rows = track_records(conn, stakeholders, &themes, &region_states(state))?;
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

    /// Its record for a need on `themes` in `states`: `themes` with their equivalents
    /// (`NeedOf::themes_covered`), so that an activity on an equivalent theme counts, as in
    /// [`tracks`].
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

/// The words of these recommendations' texts, by id.
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

/// A request as matching compares it: where its State lies, and its words numbered.
struct NeedOf<'a> {
    request: &'a AssistanceRequestContent,
    place: Place,
    theme_equivalents: Vec<&'static [String]>,
    language_equivalents: Vec<&'static [String]>,
    /// Its themes and their equivalents, for track records (`Record::on`): expanded once a
    /// need, not once a stakeholder it is compared with.
    themes_covered: Vec<String>,
    words: Terms,
}

impl<'a> NeedOf<'a> {
    fn new(request: &'a AssistanceRequestContent, words: Terms) -> Self {
        Self {
            request,
            place: Place::of(&request.state),
            theme_equivalents: crate::domain::matching::equivalents_of(&request.themes),
            language_equivalents: crate::domain::matching::language_equivalents_of(
                &request.languages,
            ),
            themes_covered: reference().themes_with_equivalents(&request.themes),
            words,
        }
    }

    fn need(&self) -> Need<'_> {
        let r = self.request;
        Need {
            place: &self.place,
            themes: &r.themes,
            theme_equivalents: &self.theme_equivalents,
            sdg_targets: &r.sdg_targets,
            modalities: &r.modalities,
            languages: &r.languages,
            language_equivalents: &self.language_equivalents,
            period: r.period.as_ref(),
            words: &self.words,
        }
    }
}

fn stakeholder_key(offer: &OfferContent) -> String {
    offer.stakeholder.map(|s| s.to_string()).unwrap_or_default()
}

/// An offer as matching reads it: its document and its words, numbered by the cache's
/// vocabulary. One per version of an offer: a version is never written twice.
#[derive(Debug)]
struct Cached {
    version: i64,
    offer: Offer,
    words: Terms,
}

/// The offers matching has read, each parsed and its words folded and stemmed once per
/// version rather than on every ranking: what makes ranking thousands of offers cheap. Held
/// by the service and shared by its workers; which offers take part is still read from the
/// database on every ranking, with the caller's access, so the cache decides nothing of what
/// a caller sees. Several instances of the service each keep their own.
#[derive(Debug, Default)]
pub struct OfferCache {
    entries: Mutex<HashMap<OfferId, Arc<Cached>>>,
    vocabulary: RwLock<Vocabulary>,
}

/// Entries kept beyond the offers of the last ranking (offers since closed or changed).
const CACHE_SLACK: usize = 1_024;

impl OfferCache {
    fn vocabulary(&self) -> std::sync::RwLockReadGuard<'_, Vocabulary> {
        self.vocabulary.read().unwrap_or_else(|e| e.into_inner())
    }

    fn terms(&self, words: &Words) -> Terms {
        let mut v = self.vocabulary.write().unwrap_or_else(|e| e.into_inner());
        v.terms(words)
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<OfferId, Arc<Cached>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The open offers a caller with `access` may see (only of stakeholders of `kind`, when
    /// asked), read once and ranked for as many needs as asked: the match list of one
    /// request, or the best matches of each open request of the coordination view.
    pub fn pool(
        &self,
        conn: &mut DbConnection,
        access: &Access,
        kind: Option<StakeholderKind>,
    ) -> Result<OfferPool<'_>> {
        let mut filter = OfferFilter::new(access.clone());
        filter.status = Some(OfferStatus::Open);
        filter.stakeholder_kind = kind;
        let keys = offer_keys(conn, &filter)?
            .into_iter()
            .map(|k| {
                let id: OfferId =
                    k.id.parse()
                        .map_err(|e| unreadable(format!("offer id `{}`: {e}", k.id)))?;
                Ok((id, k.version, k.by_state != 0))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut found: Vec<Option<Arc<Cached>>> = {
            let entries = self.entries();
            keys.iter()
                .map(|k| entries.get(&k.0).filter(|c| c.version == k.1).cloned())
                .collect()
        };
        let missing: Vec<String> = keys
            .iter()
            .zip(&found)
            .filter(|(_, f)| f.is_none())
            .map(|(k, _)| k.0.to_string())
            .collect();
        let mut read: HashMap<OfferId, Arc<Cached>> = HashMap::new();
        for row in Offer::find_rows(conn, &missing)? {
            let offer: Offer = documents::parse(&row)?;
            let words = self.terms(&offer_words(&offer.content));
            let cached = Cached {
                version: offer.stored.version,
                offer,
                words,
            };
            read.insert(cached.offer.stored.id, Arc::new(cached));
        }
        let mut candidates = Vec::with_capacity(keys.len());
        for (&(id, version, by_state), found) in keys.iter().zip(found.iter_mut()) {
            let cached = match found.take() {
                Some(c) => c,
                // One that changed since its key was read has left what the filter let
                // through: it takes no part in this ranking.
                None => match read.get(&id) {
                    Some(c) if c.version == version => c.clone(),
                    _ => continue,
                },
            };
            candidates.push((cached, by_state));
        }
        {
            let mut entries = self.entries();
            entries.extend(read);
            if entries.len() > candidates.len() * 2 + CACHE_SLACK {
                let current: std::collections::HashSet<OfferId> =
                    candidates.iter().map(|(c, _)| c.offer.stored.id).collect();
                entries.retain(|id, _| current.contains(id));
            }
        }
        let mut frequencies = Frequencies::default();
        for (c, _) in &candidates {
            frequencies.add(&c.words);
        }
        let mut makers: Vec<String> = candidates
            .iter()
            .map(|(c, _)| stakeholder_key(&c.offer.content))
            .collect();
        makers.sort_unstable();
        makers.dedup();
        Ok(OfferPool {
            cache: self,
            candidates,
            frequencies,
            makers,
        })
    }
}

/// The open offers a caller may see, as the cache holds them, and what their words weigh.
pub struct OfferPool<'c> {
    cache: &'c OfferCache,
    /// Each offer, and whether a State makes it.
    candidates: Vec<(Arc<Cached>, bool)>,
    frequencies: Frequencies,
    /// The stakeholders that make them, once each.
    makers: Vec<String>,
}

/// One need compared with every offer of a pool: rank them, then explain the few shown.
pub struct Ranking<'p> {
    pool: &'p OfferPool<'p>,
    need: NeedOf<'p>,
    rarity: Rarity,
    tracks: HashMap<StakeholderId, TrackRecord>,
    today: NaiveDate,
    /// Best first, each with its offer's place in the pool; scores without explanation.
    pub ranked: Vec<Ranked<usize>>,
}

impl<'p> Ranking<'p> {
    fn candidate(&self, i: usize) -> Candidate<'_> {
        let (cached, by_state) = &self.pool.candidates[i];
        Candidate {
            offer: &cached.offer.content,
            words: &cached.words,
            track: cached
                .offer
                .content
                .stakeholder
                .and_then(|s| self.tracks.get(&s))
                .copied()
                .unwrap_or_default(),
            by_state: *by_state,
        }
    }

    /// The offer at place `i` of the pool, with its score explained.
    pub fn explain(&self, i: usize) -> Ranked<Offer> {
        let vocabulary = self.pool.cache.vocabulary();
        let texts = Texts {
            rarity: &self.rarity,
            vocabulary: &vocabulary,
        };
        Ranked {
            score: score(&self.need.need(), &self.candidate(i), &texts, self.today),
            item: self.pool.candidates[i].0.offer.clone(),
        }
    }

    /// The offers of `window`, each with its score explained.
    pub fn page(mut self, window: Window) -> Page<Offer> {
        let (items, next) = window.cut(std::mem::take(&mut self.ranked));
        let items = items.into_iter().map(|r| self.explain(r.item)).collect();
        Page { items, next }
    }
}

impl OfferPool<'_> {
    /// The offers ranked for `request`, best first.
    pub fn rank<'p>(
        &'p self,
        conn: &mut DbConnection,
        request: &'p AssistanceRequestContent,
        today: NaiveDate,
    ) -> Result<Ranking<'p>> {
        let recommendations = recommendation_words(conn, &request.recommendations)?;
        let words = self.cache.terms(&request_words(request, &recommendations));
        let tracks = tracks(conn, Some(&self.makers), &request.themes, &request.state)?
            .into_iter()
            .filter_map(|(s, t)| Some((s.parse().ok()?, t)))
            .collect();
        let rarity = self.frequencies.rarity(&[&words]);
        let mut ranking = Ranking {
            pool: self,
            need: NeedOf::new(request, words),
            rarity,
            tracks,
            today,
            ranked: Vec::new(),
        };
        let vocabulary = self.cache.vocabulary();
        let texts = Texts {
            rarity: &ranking.rarity,
            vocabulary: &vocabulary,
        };
        let need = ranking.need.need();
        let mut ranked: Vec<Ranked<usize>> = (0..self.candidates.len())
            .map(|i| Ranked {
                score: rank_score(&need, &ranking.candidate(i), &texts, today),
                item: i,
            })
            .collect();
        rank(&mut ranked, |i| self.candidates[*i].0.offer.stored.id);
        drop(vocabulary);
        ranking.ranked = ranked;
        Ok(ranking)
    }
}

/// The offers for request `id` a caller with `access` sees, best first, the part `window`
/// asks for; only of stakeholders of `kind` when given. Not found if the caller may not see
/// the request.
pub fn for_request(
    conn: &mut DbConnection,
    cache: &OfferCache,
    access: &Access,
    (id, kind): (crate::domain::AssistanceRequestId, Option<StakeholderKind>),
    window: Window,
    today: NaiveDate,
) -> Result<Page<Offer>> {
    let request = super::assistance_requests::visible(conn, id, access)?;
    let pool = cache.pool(conn, access, kind)?;
    Ok(pool.rank(conn, &request.content, today)?.page(window))
}

/// The open requests a caller with `access` sees that offer `id` could answer, best first,
/// the part `window` asks for.
pub fn for_offer(
    conn: &mut DbConnection,
    access: &Access,
    id: OfferId,
    window: Window,
    today: NaiveDate,
) -> Result<Page<AssistanceRequest>> {
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
    let mut vocabulary = Vocabulary::default();
    let needs: Vec<NeedOf> = candidates
        .iter()
        .map(|r| {
            let words = vocabulary.terms(&request_words(&r.content, &recommendations));
            NeedOf::new(&r.content, words)
        })
        .collect();
    let words = vocabulary.terms(&offer_words(&offer.content));
    let rarity = Rarity::over(needs.iter().map(|n| &n.words).chain([&words]));
    let texts = Texts {
        rarity: &rarity,
        vocabulary: &vocabulary,
    };
    let record = Record::of(conn, &stakeholder_key(&offer.content))?;
    let candidate = |need: &NeedOf| Candidate {
        offer: &offer.content,
        words: &words,
        track: record.on(&need.themes_covered, &region_states(&need.request.state)),
        by_state,
    };
    let mut ranked: Vec<Ranked<usize>> = needs
        .iter()
        .enumerate()
        .map(|(i, need)| Ranked {
            score: rank_score(&need.need(), &candidate(need), &texts, today),
            item: i,
        })
        .collect();
    rank(&mut ranked, |i| candidates[*i].stored.id);
    let (items, next) = window.cut(ranked);
    let items = items
        .into_iter()
        .map(|r| {
            let need = &needs[r.item];
            Ranked {
                score: score(&need.need(), &candidate(need), &texts, today),
                item: candidates[r.item].clone(),
            }
        })
        .collect();
    Ok(Page { items, next })
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

/// What a potential partner is ranked by: its best offer (its place in the ranking of the
/// offers), or its profile.
enum Basis {
    Offer(usize),
    Profile(Box<OfferContent>, Terms),
}

/// The stakeholders that could help implement recommendation `id`, best first, the part
/// `window` asks for: each by its open offer that fits best, or, with none the caller sees,
/// by its profile; those with no open offer and no public activity on the recommendation's
/// themes are left out.
pub fn partners(
    conn: &mut DbConnection,
    cache: &OfferCache,
    access: &Access,
    (id, kind): (RecommendationId, Option<StakeholderKind>),
    window: Window,
    today: NaiveDate,
) -> Result<Page<Partner>> {
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
    let pool = cache.pool(conn, access, kind)?;
    let ranking = pool.rank(conn, &request, today)?;
    // Each stakeholder's best offer (the first, as they are ranked).
    let mut best: HashMap<StakeholderId, Ranked<usize>> = HashMap::new();
    for ranked in &ranking.ranked {
        if let Some(s) = pool.candidates[ranked.item].0.offer.content.stakeholder {
            best.entry(s).or_insert_with(|| ranked.clone());
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
    // Those with no offer are compared by their profiles, among themselves.
    let mut vocabulary = Vocabulary::default();
    let words = vocabulary.terms(&Words::of(&[&r.text]));
    let need = NeedOf::new(&request, words);
    let mut out: Vec<Ranked<(StakeholderId, Basis)>> = Vec::new();
    for (sid, s) in &stakeholders {
        if let Some(ranked) = best.get(sid) {
            out.push(Ranked {
                score: ranked.score.clone(),
                item: (*sid, Basis::Offer(ranked.item)),
            });
        } else if kind.is_none_or(|k| s.content.kind == k) {
            let words = vocabulary.terms(&Words::of(&[&s.content.name]));
            out.push(Ranked {
                score: Score {
                    score: 0.0,
                    can_serve: false,
                    explanation: vec![],
                },
                item: (*sid, Basis::Profile(Box::new(profile_offer(s)), words)),
            });
        }
    }
    let rarity = Rarity::over(
        out.iter()
            .filter_map(|r| match &r.item.1 {
                Basis::Profile(_, w) => Some(w),
                Basis::Offer(_) => None,
            })
            .chain([&need.words]),
    );
    let texts = Texts {
        rarity: &rarity,
        vocabulary: &vocabulary,
    };
    let profile = |sid: &StakeholderId, offer: &OfferContent, words: &Terms, explain: bool| {
        let s = &stakeholders[sid];
        let candidate = Candidate {
            offer,
            words,
            track: tracks.get(&sid.to_string()).copied().unwrap_or_default(),
            by_state: crate::db::stakeholders::own_state(&s.content).is_some(),
        };
        let scorer = if explain { score } else { rank_score };
        scorer(&need.need(), &candidate, &texts, today)
    };
    for r in &mut out {
        if let (sid, Basis::Profile(offer, words)) = &r.item {
            r.score = profile(sid, offer, words, false);
        }
    }
    rank(&mut out, |(sid, _)| *sid);
    let (items, next) = window.cut(out);
    let mut explained = Vec::with_capacity(items.len());
    for Ranked {
        item: (sid, basis), ..
    } in items
    {
        let stakeholder = stakeholders[&sid].clone();
        let (score, offer) = match basis {
            Basis::Offer(i) => {
                let offer = ranking.explain(i);
                (offer.score, Some(offer.item))
            }
            Basis::Profile(offer, words) => (profile(&sid, &offer, &words, true), None),
        };
        explained.push(Ranked {
            score,
            item: Partner { stakeholder, offer },
        });
    }
    Ok(Page {
        items: explained,
        next,
    })
}
