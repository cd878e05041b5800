//! The coordination view of a State, as a pure function of what is stored: which of its
//! accepted recommendations no activity serves (gaps), and which several actors serve at the
//! same time (possible duplication).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::domain::needs::Period;
use crate::domain::{ActivityId, RecommendationId, StakeholderId};

/// An activity linked to one of the State's recommendations, as the view needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub recommendation: RecommendationId,
    pub activity: ActivityId,
    pub submitter: StakeholderId,
    /// When it runs (actual dates, else planned); an open end reaches as far as it must.
    pub period: Period,
    /// Cancelled: it serves nothing and duplicates nothing.
    pub cancelled: bool,
}

/// Gaps and possible duplication among a State's accepted recommendations.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// The accepted recommendations no (live) activity serves, in the order given.
    pub gaps: Vec<RecommendationId>,
    /// Recommendations served by activities of different submitters whose periods overlap,
    /// with those activities (each with its submitter), in the order of `accepted`.
    pub duplication: Vec<(RecommendationId, Vec<ActivityId>)>,
}

/// What `links` (activities the caller may see) say of the `accepted` recommendations.
pub fn findings(accepted: &[RecommendationId], links: &[Link]) -> Findings {
    let mut by_recommendation: BTreeMap<RecommendationId, Vec<&Link>> = BTreeMap::new();
    for link in links.iter().filter(|l| !l.cancelled) {
        by_recommendation
            .entry(link.recommendation)
            .or_default()
            .push(link);
    }
    let mut out = Findings::default();
    for id in accepted {
        let Some(serving) = by_recommendation.get(id) else {
            out.gaps.push(*id);
            continue;
        };
        let concurrent = concurrent(serving);
        if !concurrent.is_empty() {
            out.duplication
                .push((*id, concurrent.into_iter().collect()));
        }
    }
    out
}

/// The activities among `serving` that run at the same time as one of another submitter, in
/// O(n log n) rather than by every pair: two periods share a day when each starts no later than
/// the other ends. Taking the activities by when they end, and the others in by when they start
/// as long as they start no later than that, the latest end among those of another submitter
/// says whether one of them is still running when this one starts.
fn concurrent(serving: &[&Link]) -> BTreeSet<ActivityId> {
    let start = |l: &Link| l.period.start.unwrap_or(NaiveDate::MIN);
    let end = |l: &Link| l.period.end.unwrap_or(NaiveDate::MAX);
    let mut by_start: Vec<&Link> = serving.to_vec();
    by_start.sort_by_key(|l| start(l));
    let mut by_end: Vec<&Link> = serving.to_vec();
    by_end.sort_by_key(|l| end(l));
    // The latest end among those taken in, and the latest of a submitter other than its own.
    let mut latest: [Option<(NaiveDate, StakeholderId)>; 2] = [None, None];
    let mut taken = by_start.iter().peekable();
    let mut out = BTreeSet::new();
    for link in by_end {
        while let Some(next) = taken.next_if(|n| start(n) <= end(link)) {
            let candidate = (end(next), next.submitter);
            latest = match latest {
                [Some(first), second] if first.1 == candidate.1 => {
                    [Some(first.max(candidate)), second]
                }
                [Some(first), _] if candidate.0 > first.0 => [Some(candidate), Some(first)],
                [first, Some(second)] if second.1 == candidate.1 => {
                    [first, Some(second.max(candidate))]
                }
                [first, Some(second)] if candidate.0 <= second.0 => [first, Some(second)],
                [None, _] => [Some(candidate), None],
                [first, _] => [first, Some(candidate)],
            };
        }
        let other = latest
            .iter()
            .flatten()
            .find(|(_, submitter)| *submitter != link.submitter);
        if other.is_some_and(|(latest_end, _)| *latest_end >= start(link)) {
            out.insert(link.activity);
        }
    }
    out
}

/// A period from the stored text of its ends (`YYYY-MM-DD`); an end that does not read is
/// open.
pub fn period_of(from: Option<&str>, to: Option<&str>) -> Period {
    let day = |d: Option<&str>| d.and_then(|d| d.parse::<NaiveDate>().ok());
    Period {
        start: day(from),
        end: day(to),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Id;

    fn link(rec: RecommendationId, submitter: StakeholderId, from: &str, to: &str) -> Link {
        Link {
            recommendation: rec,
            activity: ActivityId::new_v7(),
            submitter,
            period: period_of(Some(from), Some(to)),
            cancelled: false,
        }
    }

    #[test]
    fn gaps_are_the_accepted_recommendations_nothing_serves() {
        let [a, b, c] = [(); 3].map(|_| RecommendationId::new_v7());
        let s = StakeholderId::new_v7();
        let mut cancelled = link(c, s, "2026-01-01", "2026-12-31");
        cancelled.cancelled = true;
        let found = findings(
            &[a, b, c],
            &[link(b, s, "2026-01-01", "2026-12-31"), cancelled],
        );
        assert_eq!(
            found.gaps,
            vec![a, c],
            "a cancelled activity serves nothing"
        );
        assert!(found.duplication.is_empty());
    }

    #[test]
    fn duplication_is_different_actors_at_the_same_time() {
        let [r1, r2, r3] = [(); 3].map(|_| RecommendationId::new_v7());
        let [s1, s2] = [(); 2].map(|_| StakeholderId::new_v7());
        let same_actor = [
            link(r1, s1, "2026-01-01", "2026-12-31"),
            link(r1, s1, "2026-06-01", "2027-06-30"),
        ];
        let one_after_another = [
            link(r2, s1, "2025-01-01", "2025-12-31"),
            link(r2, s2, "2026-01-01", "2026-12-31"),
        ];
        let overlapping = [
            link(r3, s1, "2026-01-01", "2026-12-31"),
            link(r3, s2, "2026-11-01", "2027-03-31"),
        ];
        let links: Vec<Link> = same_actor
            .iter()
            .chain(&one_after_another)
            .chain(&overlapping)
            .cloned()
            .collect();
        let found = findings(&[r1, r2, r3], &links);
        assert!(found.gaps.is_empty());
        let mut expected = vec![overlapping[0].activity, overlapping[1].activity];
        expected.sort();
        assert_eq!(found.duplication, vec![(r3, expected)]);
    }

    /// The sweep finds what comparing every pair finds, on periods of every kind: open at
    /// either end, a day long, ending before they start, sharing only their first or last
    /// day, by few submitters.
    #[test]
    fn concurrent_activities_are_those_every_pair_compared_finds() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(13);
        let submitters = [(); 4].map(|_| StakeholderId::new_v7());
        let day =
            |n: i64| NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(n as u64);
        for round in 0..2_000 {
            let size = rng.random_range(0..12);
            let links: Vec<Link> = (0..size)
                .map(|_| {
                    // Some end before they start, as stored text may say.
                    let start = rng.random_range(3..33);
                    let length = rng.random_range(-3..6);
                    Link {
                        recommendation: RecommendationId::default(),
                        activity: ActivityId::new_v7(),
                        submitter: submitters[rng.random_range(0..1 + round % 4)],
                        period: Period {
                            start: rng.random_bool(0.85).then(|| day(start)),
                            end: rng.random_bool(0.85).then(|| day(start + length)),
                        },
                        cancelled: false,
                    }
                })
                .collect();
            let serving: Vec<&Link> = links.iter().collect();
            let mut pairs = BTreeSet::new();
            for (i, a) in links.iter().enumerate() {
                for b in &links[i + 1..] {
                    if a.submitter != b.submitter && a.period.overlaps(&b.period) {
                        pairs.insert(a.activity);
                        pairs.insert(b.activity);
                    }
                }
            }
            assert_eq!(concurrent(&serving), pairs, "{links:#?}");
        }
    }
}
