//! The tables of the pipeline, from submission to match: how States stand on publishing the
//! activities that concern them (`consent_by_state`), when activities were first submitted
//! (`submissions_by_month`), and what matching did (`matching_summary`).

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use rustc_hash::FxHashMap;
use serde_json::Value;

use super::{ActivityFacts, ReportScope, Span, Table, in_language, label};
use crate::domain::publication::{self, ConsentFact, Decision, Publication, ScopeKind};
use crate::domain::{CountryCode, Language};

/// The tables of the pipeline, in the order a report shows them.
pub const PIPELINE_TABLES: [&str; 3] = [
    "consent_by_state",
    "submissions_by_month",
    "matching_summary",
];

/// How a State concerned stands on publishing a submitted activity (docs/domain.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The submitter is the State's own stakeholder: its consent is not asked.
    Own,
    /// Granted, by the record of this scope that decides.
    Granted(ScopeKind),
    /// Refused or withdrawn.
    Refused,
    /// No record yet: awaiting the State's consent.
    Awaiting,
}

/// How each State concerned stands on publishing a submitted activity, by the rule's own
/// reading of the records (`publication::governing`); nothing for one not submitted.
/// `consents` holds the records of each State.
///
/// `public` is the activity's stored verdict: a grant by name given for another content than
/// the activity's now is no grant (`publication::visibility`), which the records alone do not
/// tell (the report does not read the content). A submitted activity that is not public though
/// every State concerned granted or is its submitter is taken to await the States whose grant
/// by name named a content (a grant recorded before grants named one holds whatever the
/// content).
pub fn standings(
    activity: &publication::ActivityFacts,
    consents: &HashMap<CountryCode, Vec<ConsentFact>>,
    public: bool,
) -> Vec<(super::Code, Standing)> {
    if activity.publication != Publication::Submitted {
        return Vec::new();
    }
    // Each State's standing, and whether it stands on a grant by name that named a content.
    let mut standings: Vec<(super::Code, Standing, bool)> = activity
        .states_concerned
        .iter()
        .map(|state| {
            let (standing, named) = if activity.submitter_state.as_ref() == Some(state) {
                (Standing::Own, false)
            } else {
                let records = consents.get(state).map_or(&[][..], Vec::as_slice);
                match publication::governing(activity, state, records) {
                    Some(c) if c.decision == Decision::Granted => (
                        Standing::Granted(c.scope.kind()),
                        c.scope.kind() == ScopeKind::Activity && c.content.is_some(),
                    ),
                    Some(_) => (Standing::Refused, false),
                    None => (Standing::Awaiting, false),
                }
            };
            (state.as_str().into(), standing, named)
        })
        .collect();
    if !public
        && standings
            .iter()
            .all(|(_, s, _)| matches!(s, Standing::Own | Standing::Granted(_)))
    {
        for (_, standing, named) in &mut standings {
            if *named {
                *standing = Standing::Awaiting;
            }
        }
    }
    standings
        .into_iter()
        .map(|(code, standing, _)| (code, standing))
        .collect()
}

/// The figure columns of `consent_by_state`, each with the standing it counts. Refusals and
/// those awaiting are counts of activities that are not public: the full scope's only.
const STANDINGS: [(&str, Standing); 6] = [
    ("own", Standing::Own),
    ("granted_all", Standing::Granted(ScopeKind::All)),
    ("granted_submitter", Standing::Granted(ScopeKind::Submitter)),
    ("granted_activity", Standing::Granted(ScopeKind::Activity)),
    ("refused", Standing::Refused),
    ("awaiting", Standing::Awaiting),
];

/// Each State's submitted activities counting in the span, by how it stands on publishing
/// them: its own, granted (by the scope of the record that decides), and, in the full scope,
/// refused and awaiting. The most first, then by code.
pub fn consent_table<'a>(
    activities: impl IntoIterator<Item = &'a ActivityFacts>,
    scope: ReportScope,
    span: Span,
    language: Language,
) -> Table {
    let shown = match scope {
        ReportScope::Public => 4,
        ReportScope::Full => STANDINGS.len(),
    };
    let mut counts: FxHashMap<&str, [u64; STANDINGS.len()]> = FxHashMap::default();
    for a in activities {
        if !span.counts(a).0 {
            continue;
        }
        for (state, standing) in &a.consent {
            if let Some(i) = STANDINGS[..shown].iter().position(|(_, s)| s == standing) {
                counts.entry(state.as_str()).or_default()[i] += 1;
            }
        }
    }
    let mut counts: Vec<(&str, [u64; STANDINGS.len()])> = counts.into_iter().collect();
    counts.sort_by(|a, b| {
        let total = |n: &[u64]| n.iter().sum::<u64>();
        total(&b.1).cmp(&total(&a.1)).then_with(|| a.0.cmp(b.0))
    });
    let mut columns = vec!["code".to_owned(), "label".to_owned()];
    columns.extend(STANDINGS[..shown].iter().map(|(c, _)| (*c).to_owned()));
    Table {
        name: "consent_by_state".into(),
        title: in_language(
            language,
            (
                "Consent to publication, by State concerned",
                "Consentement à la publication, par État concerné",
            ),
        ),
        columns,
        rows: counts
            .into_iter()
            .map(|(state, n)| {
                let mut row = vec![
                    Value::from(state),
                    Value::from(label("activities_by_state", state, language)),
                ];
                row.extend(n[..shown].iter().map(|n| Value::from(*n)));
                row
            })
            .collect(),
    }
}

const MONTHS: [(&str, &str); 12] = [
    ("January", "janvier"),
    ("February", "février"),
    ("March", "mars"),
    ("April", "avril"),
    ("May", "mai"),
    ("June", "juin"),
    ("July", "juillet"),
    ("August", "août"),
    ("September", "septembre"),
    ("October", "octobre"),
    ("November", "novembre"),
    ("December", "décembre"),
];

/// `2026-03` and `March 2026` (`mars 2026`).
fn month(year: i32, month: u32, language: Language) -> (String, String) {
    let name = MONTHS[(month as usize).saturating_sub(1) % 12];
    (
        format!("{year:04}-{month:02}"),
        format!("{} {year}", in_language(language, name)),
    )
}

/// How many activities were first submitted in each month: the twelve months of the year,
/// each beside the same month of the year before; or, for every activity, each month that
/// has any, in order. A submission counts in the month it was first submitted, whatever
/// happened to it since.
pub fn submissions_table<'a>(
    activities: impl IntoIterator<Item = &'a ActivityFacts>,
    span: Span,
    language: Language,
) -> Table {
    let mut by_month: BTreeMap<(i32, u32), u64> = BTreeMap::new();
    for day in activities.into_iter().filter_map(|a| a.submitted) {
        *by_month.entry((day.year(), day.month())).or_default() += 1;
    }
    let of = |year: i32, m: u32| Value::from(by_month.get(&(year, m)).copied().unwrap_or(0));
    let rows = match span {
        Span::Year(year) => (1..=12)
            .map(|m| {
                let (code, label) = month(year, m, language);
                vec![
                    Value::from(code),
                    Value::from(label),
                    of(year, m),
                    of(year - 1, m),
                ]
            })
            .collect(),
        Span::All => by_month
            .iter()
            .map(|(&(year, m), n)| {
                let (code, label) = month(year, m, language);
                vec![Value::from(code), Value::from(label), Value::from(*n)]
            })
            .collect(),
    };
    Table {
        name: "submissions_by_month".into(),
        title: in_language(
            language,
            (
                "Activities first submitted, by month",
                "Activités soumises pour la première fois, par mois",
            ),
        ),
        columns: span.columns(&["submissions"], "previous_year"),
        rows,
    }
}

/// What the matching summary reads of an assistance request or an offer.
#[derive(Debug, Clone, Default)]
pub struct ItemFacts {
    /// Whether it is public now.
    pub public: bool,
    /// The day it was first opened (out of draft), if it was.
    pub opened: Option<NaiveDate>,
    /// For a request: the day an interest in it was accepted, if one was.
    pub matched: Option<NaiveDate>,
}

/// The median of some numbers; `None` when there are none.
fn median(mut values: Vec<i64>) -> Option<f64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2] as f64),
        _ => Some((values[n / 2 - 1] + values[n / 2]) as f64 / 2.0),
    }
}

/// Requests opened and matched, offers opened, and the median number of days from a
/// request's opening to its match, over those matched in the span (`null` when none was):
/// one row each, beside the year before.
pub fn matching_table(
    requests: &[ItemFacts],
    offers: &[ItemFacts],
    span: Span,
    language: Language,
) -> Table {
    // Whether a day is in the span, and in the year before it.
    let when = |day: Option<NaiveDate>| match (span, day) {
        (_, None) => (false, false),
        (Span::All, Some(_)) => (true, false),
        (Span::Year(y), Some(d)) => (d.year() == y, d.year() == y - 1),
    };
    let count = |items: &[ItemFacts], day: fn(&ItemFacts) -> Option<NaiveDate>| {
        items.iter().fold([0_u64; 2], |mut n, item| {
            let (this, before) = when(day(item));
            n[0] += u64::from(this);
            n[1] += u64::from(before);
            n
        })
    };
    let days = |in_year: fn((bool, bool)) -> bool| {
        median(
            requests
                .iter()
                .filter(|r| in_year(when(r.matched)))
                .filter_map(|r| Some((r.matched? - r.opened?).num_days()))
                .collect(),
        )
    };
    let figures: [(&str, (&str, &str), [Value; 2]); 4] = [
        (
            "requests_opened",
            (
                "Assistance requests opened",
                "Demandes d'assistance ouvertes",
            ),
            count(requests, |r| r.opened).map(Value::from),
        ),
        (
            "requests_matched",
            (
                "Assistance requests matched with an offer",
                "Demandes d'assistance appariées à une offre",
            ),
            count(requests, |r| r.matched).map(Value::from),
        ),
        (
            "offers_opened",
            (
                "Offers of assistance opened",
                "Offres d'assistance ouvertes",
            ),
            count(offers, |o| o.opened).map(Value::from),
        ),
        (
            "median_days_to_match",
            (
                "Median days from a request's opening to its match",
                "Nombre médian de jours entre l'ouverture d'une demande et son appariement",
            ),
            [days(|w| w.0), days(|w| w.1)].map(Value::from),
        ),
    ];
    Table {
        name: "matching_summary".into(),
        title: in_language(language, ("Matching", "Appariement")),
        columns: span.columns(&["value"], "previous_year"),
        rows: figures
            .into_iter()
            .map(|(code, words, [this, before])| {
                let mut row = vec![
                    Value::from(code),
                    Value::from(in_language(language, words)),
                    this,
                ];
                if matches!(span, Span::Year(_)) {
                    row.push(before);
                }
                row
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Option<NaiveDate> {
        Some(s.parse().unwrap())
    }

    /// A submitted activity that is not public though its State granted it by name awaits that
    /// State when the grant named a content (the content changed since); a grant that named
    /// none (recorded before grants did) still counts as granted.
    #[test]
    fn a_grant_by_name_for_another_content_counts_as_awaiting() {
        use crate::domain::publication::{ConsentFact, Scope};
        let activity = publication::ActivityFacts {
            id: uuid::Uuid::from_u128(1).into(),
            publication: Publication::Submitted,
            submitter: uuid::Uuid::from_u128(7).into(),
            submitter_state: None,
            states_concerned: vec![CountryCode::parse("KEN").unwrap()],
            content: None,
        };
        let grant = |content: Option<&str>| ConsentFact {
            id: uuid::Uuid::from_u128(9).into(),
            seq: 1,
            state: CountryCode::parse("KEN").unwrap(),
            decision: Decision::Granted,
            scope: Scope::Activity(activity.id),
            content: content.map(str::to_owned),
        };
        let of = |content: Option<&str>, public: bool| {
            let consents =
                HashMap::from([(CountryCode::parse("KEN").unwrap(), vec![grant(content)])]);
            standings(&activity, &consents, public)[0].1
        };
        assert_eq!(of(Some("a"), false), Standing::Awaiting);
        assert_eq!(of(Some("a"), true), Standing::Granted(ScopeKind::Activity));
        assert_eq!(of(None, false), Standing::Granted(ScopeKind::Activity));
    }

    #[test]
    fn the_median_of_an_even_count_is_between_the_middle_two() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![9, 1, 5]), Some(5.0));
        assert_eq!(median(vec![4, 1, 10, 3]), Some(3.5));
    }

    #[test]
    fn matching_counts_each_date_in_its_year() {
        let requests = [
            ItemFacts {
                opened: day("2025-12-01"),
                matched: day("2026-01-10"),
                ..Default::default()
            },
            ItemFacts {
                opened: day("2026-02-01"),
                matched: day("2026-02-03"),
                ..Default::default()
            },
            ItemFacts {
                opened: day("2026-05-01"),
                ..Default::default()
            },
        ];
        let t = matching_table(&requests, &[], Span::Year(2026), Language::En);
        let row = |code: &str| t.rows.iter().find(|r| r[0] == code).unwrap()[2..].to_vec();
        assert_eq!(row("requests_opened"), [Value::from(2), Value::from(1)]);
        assert_eq!(row("requests_matched"), [Value::from(2), Value::from(0)]);
        assert_eq!(row("offers_opened"), [Value::from(0), Value::from(0)]);
        // 40 days and 2 days.
        assert_eq!(
            row("median_days_to_match"),
            [Value::from(21.0), Value::Null]
        );
    }

    #[test]
    fn public_consent_figures_show_no_refusal_or_wait() {
        let a = ActivityFacts {
            from: day("2026-03-01"),
            consent: vec![
                ("KEN".into(), Standing::Granted(ScopeKind::Submitter)),
                ("UGA".into(), Standing::Awaiting),
            ],
            ..Default::default()
        };
        let full = consent_table([&a], ReportScope::Full, Span::Year(2026), Language::En);
        assert_eq!(full.columns.len(), 8);
        assert_eq!(full.rows[0][0], "KEN");
        assert_eq!(full.rows[0][4], 1);
        assert_eq!(full.rows[1][7], 1, "Uganda's awaiting");
        let public = consent_table([&a], ReportScope::Public, Span::Year(2026), Language::En);
        assert_eq!(
            public.columns,
            [
                "code",
                "label",
                "own",
                "granted_all",
                "granted_submitter",
                "granted_activity"
            ]
        );
        assert_eq!(public.rows.len(), 1, "awaiting is not shown in public");
    }

    #[test]
    fn submissions_fill_every_month_of_the_year() {
        let a = ActivityFacts {
            submitted: day("2025-03-15"),
            ..Default::default()
        };
        let t = submissions_table([&a], Span::Year(2026), Language::Fr);
        assert_eq!(t.rows.len(), 12);
        assert_eq!(
            t.rows[2][..],
            [
                Value::from("2026-03"),
                Value::from("mars 2026"),
                Value::from(0),
                Value::from(1)
            ]
        );
    }
}
