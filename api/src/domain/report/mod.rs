//! The annual report's figures (issue 12): tables of how many activities count in a year, by
//! State, group, region, kind of stakeholder, modality, theme, SDG goal, source of funding and
//! status, each row keyed by a code (`KEN`, `un_entity`, `training`) with its label in the
//! language asked for, and the previous year beside it. A pure function of the facts the
//! database gives and of the reference data: which activities take part (public ones, or every
//! one for `admin`'s full scope) is decided by the query that reads the facts.

mod pipeline;

pub use pipeline::{
    ItemFacts, PIPELINE_TABLES, Standing, consent_table, matching_table, standings,
    submissions_table,
};

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::activity::ActivityStatus;
use crate::domain::multilingual::Multilingual;
use crate::domain::{ActivityId, Language, RecommendationId};
use crate::reference::{RegionalGroup, reference};

/// Which activities a report counts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, serde::Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReportScope {
    /// Public activities only: what anyone may see in the lists, so a figure reveals nothing
    /// they do not.
    #[default]
    Public,
    /// Every activity, public or not (`admin` only), marked as such.
    Full,
}

impl ReportScope {
    /// Whether a report of this scope may be given as it was last counted while another caller
    /// counts (the data may have changed since): the full report, whose reader sees every
    /// activity. A public report counted before a State withdrew its consent, refused or an
    /// activity was deleted would still name that activity (its title among the good
    /// practices, its counts: found by an audit, for some 2 s under load), so it is counted
    /// from the data as it is.
    pub fn may_be_given_as_last_counted(self) -> bool {
        self == Self::Full
    }
}

/// A code (a State, a theme, a role, …): kept inline, as nearly every code is short, so that
/// the facts of every activity stay small (`app::report` keeps them between reports).
pub type Code = compact_str::CompactString;

/// What the report reads of one activity.
#[derive(Debug, Clone, Default)]
pub struct ActivityFacts {
    pub id: ActivityId,
    /// Its title, when it is put forward as a good practice.
    pub practice: Option<Box<Multilingual>>,
    /// Whether it is public now (the stored verdict of the publication rule).
    pub public: bool,
    /// The day it was first submitted, if it was.
    pub submitted: Option<NaiveDate>,
    /// How each State concerned stands on publishing it, when it is submitted.
    pub consent: Vec<(Code, Standing)>,
    /// Its actual start, else its planned start.
    pub from: Option<NaiveDate>,
    /// Its actual end, else its planned end.
    pub to: Option<NaiveDate>,
    /// When it was recorded.
    pub created: Option<NaiveDate>,
    pub status: Option<ActivityStatus>,
    pub modality: Option<Code>,
    /// The kind of its submitter.
    pub submitter_kind: Option<Code>,
    pub states: Vec<Code>,
    pub themes: Vec<Code>,
    pub sdg_targets: Vec<Code>,
    pub funding_sources: Vec<Code>,
    /// The roles its participants play.
    pub roles: Vec<Code>,
    /// The recommendations it serves.
    pub recommendations: Vec<RecommendationId>,
    /// Its budget: currency, and amount as written (a decimal, at most four places).
    pub budget: Option<(Code, Code)>,
}

/// What a table counts: the activities of a year (beside the year before), or every activity
/// (the live statistics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Span {
    Year(i32),
    All,
}

impl Span {
    /// Whether an activity counts in this span, and in the year before (never, for `All`).
    fn counts(self, a: &ActivityFacts) -> (bool, bool) {
        match self {
            Self::Year(year) => (a.counts_in(year), a.counts_in(year - 1)),
            Self::All => (true, false),
        }
    }

    /// The figure columns: the span's, then the year before's when there is one.
    fn columns(self, figures: &[&str], before: &str) -> Vec<String> {
        let mut columns: Vec<String> = ["code", "label"]
            .iter()
            .chain(figures)
            .map(|c| (*c).to_owned())
            .collect();
        if matches!(self, Self::Year(_)) {
            columns.push(before.to_owned());
        }
        columns
    }
}

/// An accepted recommendation (supported, or supported in part): what coverage counts.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub id: RecommendationId,
    pub state: Code,
    pub cycle: i32,
}

/// What the States of an activity are counted by, in the tables of places.
#[derive(Debug, Clone, Copy)]
enum Place {
    Group,
    Region,
    CountryGroup,
}

impl ActivityFacts {
    /// Gives back what its lists hold beyond their items: the facts of every activity are
    /// kept between reports, and a list that grew one push at a time holds room for four.
    pub fn shrink(&mut self) {
        for list in [
            &mut self.states,
            &mut self.themes,
            &mut self.sdg_targets,
            &mut self.funding_sources,
            &mut self.roles,
        ] {
            list.shrink_to_fit();
        }
        self.consent.shrink_to_fit();
        self.recommendations.shrink_to_fit();
    }

    /// The regional groups, M49 regions and country groups (`ldc`, `lldc`, `sids`) of its
    /// States, from the reference data, each once, passed to `count` without allocating.
    /// Found when counted, not kept: the facts of every activity are held between reports,
    /// and three lists each would be about a quarter of them.
    fn each_place(&self, table: Place, count: &mut impl FnMut(&'static str)) {
        let data = reference();
        let countries = || self.states.iter().filter_map(|s| data.country(s));
        let places = || {
            countries().flat_map(move |c| {
                let found: [Option<&'static str>; 3] = match table {
                    Place::Group => [c.regional_group.map(RegionalGroup::as_str), None, None],
                    Place::Region => [c.region.as_ref().map(|r| r.code.as_str()), None, None],
                    Place::CountryGroup => [
                        c.ldc.then_some("ldc"),
                        c.lldc.then_some("lldc"),
                        c.sids.then_some("sids"),
                    ],
                };
                found.into_iter().flatten()
            })
        };
        // A State or two an activity, rarely more: each place is looked for among those
        // before it rather than collected to be made unique.
        for (i, place) in places().enumerate() {
            if !places().take(i).any(|p| p == place) {
                count(place);
            }
        }
    }

    /// Whether it counts in `year`: its actual (else planned) period overlaps the year, an open
    /// end running on; with no date at all, the year it was recorded.
    pub fn counts_in(&self, year: i32) -> bool {
        // Starting by the year's last day is starting in it or before; ending on its first
        // day or after is ending in it or after.
        match (self.from, self.to) {
            (None, None) => self.created.is_some_and(|d| d.year() == year),
            (from, to) => {
                from.is_none_or(|f| f.year() <= year) && to.is_none_or(|t| t.year() >= year)
            }
        }
    }
}

/// One table of a report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Table {
    /// Its name, as in `/reports/annual/{year}/{table}`.
    pub name: String,
    /// Its title, in the language asked for.
    pub title: String,
    /// The names of the columns: `code`, `label`, then the figures.
    pub columns: Vec<String>,
    /// One row per code: the code, its label, then a figure for each figure column (`null`
    /// where there is none to give, such as a median of nothing).
    #[schema(value_type = Vec<Vec<Option<Cell>>>)]
    pub rows: Vec<Vec<Value>>,
}

/// A cell of a row: a code or a label (text), or a figure (a number).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum Cell {
    Text(String),
    Number(f64),
}

/// The tables of activities, in the order a report shows them.
pub const ACTIVITY_TABLES: [&str; 11] = [
    "activities_by_state",
    "activities_by_regional_group",
    "activities_by_region",
    "activities_by_country_group",
    "activities_by_stakeholder_kind",
    "activities_by_role",
    "activities_by_modality",
    "activities_by_theme",
    "activities_by_sdg_goal",
    "activities_by_funding_source",
    "activities_by_status",
];

/// A table's title in English and in French.
fn title(name: &str) -> (&'static str, &'static str) {
    match name {
        "activities_by_state" => ("Activities by State", "Activités par État"),
        "activities_by_regional_group" => (
            "Activities by regional group",
            "Activités par groupe régional",
        ),
        "activities_by_region" => ("Activities by region (M49)", "Activités par région (M49)"),
        "activities_by_country_group" => (
            "Activities in least developed countries, landlocked developing countries and small island developing States",
            "Activités dans les pays les moins avancés, les pays en développement sans littoral et les petits États insulaires en développement",
        ),
        "activities_by_stakeholder_kind" => (
            "Activities by kind of submitter",
            "Activités par type d'auteur",
        ),
        "activities_by_role" => (
            "Activities by role of the participants",
            "Activités par rôle des participants",
        ),
        "activities_by_modality" => ("Activities by modality", "Activités par modalité"),
        "recommendation_coverage_by_state" => (
            "Accepted recommendations served by activities, by State",
            "Recommandations acceptées servies par des activités, par État",
        ),
        "recommendation_coverage_by_cycle" => (
            "Accepted recommendations served by activities, by UPR cycle",
            "Recommandations acceptées servies par des activités, par cycle de l'EPU",
        ),
        "activities_by_theme" => ("Activities by theme", "Activités par thème"),
        "activities_by_sdg_goal" => (
            "Activities by SDG goal",
            "Activités par objectif de développement durable",
        ),
        "activities_by_funding_source" => (
            "Activities by source of funding",
            "Activités par source de financement",
        ),
        "activities_by_status" => ("Activities by status", "Activités par état d'avancement"),
        _ => ("", ""),
    }
}

fn in_language(language: Language, (en, fr): (&'static str, &'static str)) -> String {
    match language {
        Language::Fr => fr.to_owned(),
        _ => en.to_owned(),
    }
}

/// A label from the reference data, in `language`, else in English, else the code.
fn label_of(text: Option<&Multilingual>, language: Language, code: &str) -> String {
    text.and_then(|t| t.get(language).or(t.get(Language::En)))
        .map_or_else(|| code.to_owned(), str::to_owned)
}

fn group_label(group: &str, language: Language) -> String {
    let names = match group {
        "african" => ("African States", "États d'Afrique"),
        "asia_pacific" => ("Asia-Pacific States", "États d'Asie et du Pacifique"),
        "eastern_european" => ("Eastern European States", "États d'Europe orientale"),
        "latin_american_and_caribbean" => (
            "Latin American and Caribbean States",
            "États d'Amérique latine et des Caraïbes",
        ),
        "western_european_and_others" => (
            "Western European and other States",
            "États d'Europe occidentale et autres États",
        ),
        "ldc" => ("Least developed countries", "Pays les moins avancés"),
        "lldc" => (
            "Landlocked developing countries",
            "Pays en développement sans littoral",
        ),
        "sids" => (
            "Small island developing States",
            "Petits États insulaires en développement",
        ),
        other => return other.to_owned(),
    };
    in_language(language, names)
}

/// Calls `count` with each code of one table an activity counts under, each once, without
/// allocating (a report counts 50,000 activities many times over). The lists read from the
/// database hold each value once (the facet table's key); SDG goals, from targets, may repeat.
fn each_key<'a>(name: &str, a: &'a ActivityFacts, mut count: impl FnMut(&'a str)) {
    let mut each = |list: &'a [Code]| list.iter().for_each(|s| count(s));
    match name {
        "activities_by_state" => each(&a.states),
        "activities_by_role" => each(&a.roles),
        "activities_by_theme" => each(&a.themes),
        "activities_by_funding_source" => each(&a.funding_sources),
        "activities_by_regional_group" => a.each_place(Place::Group, &mut |p| count(p)),
        "activities_by_region" => a.each_place(Place::Region, &mut |p| count(p)),
        "activities_by_country_group" => a.each_place(Place::CountryGroup, &mut |p| count(p)),
        "activities_by_stakeholder_kind" => a.submitter_kind.iter().for_each(|k| count(k)),
        "activities_by_modality" => a.modality.iter().for_each(|m| count(m)),
        "activities_by_status" => a.status.iter().for_each(|s| count(s.as_str())),
        "activities_by_sdg_goal" => {
            let mut goals: Vec<&'a str> = a
                .sdg_targets
                .iter()
                .map(|t| t.split('.').next().unwrap_or(t))
                .collect();
            goals.sort_unstable();
            goals.dedup();
            goals.into_iter().for_each(count);
        }
        _ => {}
    }
}

/// The label of a code of one table.
fn label(name: &str, code: &str, language: Language) -> String {
    let data = reference();
    match name {
        "activities_by_state" | "recommendation_coverage_by_state" => {
            label_of(data.country(code).map(|c| &c.short_name), language, code)
        }
        "activities_by_regional_group" | "activities_by_country_group" => {
            group_label(code, language)
        }
        "activities_by_region" => data
            .countries
            .iter()
            .filter_map(|c| c.region.as_ref())
            .find(|r| r.code == code)
            .map_or_else(|| code.to_owned(), |r| r.name.clone()),
        "activities_by_stakeholder_kind" => label_of(
            data.stakeholder_kinds
                .iter()
                .find(|k| k.code == code)
                .map(|k| &k.label),
            language,
            code,
        ),
        "activities_by_modality" => label_of(data.modality(code).map(|m| &m.label), language, code),
        "activities_by_theme" => label_of(data.theme(code).map(|t| &t.label), language, code),
        "activities_by_sdg_goal" => label_of(
            data.sdg_goals
                .iter()
                .find(|g| g.code == code)
                .map(|g| &g.title),
            language,
            code,
        ),
        "activities_by_funding_source" => {
            label_of(data.funding_source(code).map(|f| &f.label), language, code)
        }
        "activities_by_status" => label_of(
            data.activity_statuses
                .iter()
                .find(|s| s.name == code)
                .map(|s| &s.title),
            language,
            code,
        ),
        "activities_by_role" => label_of(
            data.organisation_roles
                .iter()
                .find(|r| r.name == code)
                .map(|r| &r.title),
            language,
            code,
        ),
        "recommendation_coverage_by_cycle" => label_of(
            data.cycles
                .iter()
                .find(|c| c.number.to_string() == code)
                .map(|c| &c.name),
            language,
            code,
        ),
        _ => code.to_owned(),
    }
}

/// Rows of counts by code, the most first (by the first count), then by code. Each row is the
/// code, its label, `figures` of its counts, then its last count when the span has a year
/// before.
fn rows<const N: usize>(
    name: &str,
    counts: BTreeMap<String, [u64; N]>,
    language: Language,
    span: Span,
    figures: impl Fn(&[u64; N]) -> Vec<Value>,
) -> Vec<Vec<Value>> {
    let mut counts: Vec<(String, [u64; N])> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1[0].cmp(&a.1[0]).then_with(|| a.0.cmp(&b.0)));
    counts
        .into_iter()
        .map(|(code, n)| {
            let label = label(name, &code, language);
            let mut row = vec![Value::from(code), Value::from(label)];
            row.extend(figures(&n));
            if matches!(span, Span::Year(_)) {
                row.push(Value::from(n[N - 1]));
            }
            row
        })
        .collect()
}

/// Table `name` over `activities`: how many count under each code in the span, and in the
/// year before it. Codes with none in either are left out.
pub fn activity_table<'a>(
    name: &str,
    activities: impl IntoIterator<Item = &'a ActivityFacts>,
    span: Span,
    language: Language,
) -> Table {
    let mut counted: FxHashMap<&str, [u64; 2]> = FxHashMap::default();
    for a in activities {
        let (this, before) = span.counts(a);
        if !this && !before {
            continue;
        }
        each_key(name, a, |key| {
            let entry = counted.entry(key).or_default();
            entry[0] += u64::from(this);
            entry[1] += u64::from(before);
        });
    }
    let counts: BTreeMap<String, [u64; 2]> = counted
        .into_iter()
        .map(|(k, n)| (k.to_owned(), n))
        .collect();
    Table {
        name: name.to_owned(),
        title: in_language(language, title(name)),
        columns: span.columns(&["activities"], "previous_year"),
        rows: rows(name, counts, language, span, |n| vec![Value::from(n[0])]),
    }
}

/// A decimal amount in ten-thousandths (the finest a budget is written in), so that sums are
/// exact; `None` when it is not such a decimal.
fn ten_thousandths(amount: &str) -> Option<i128> {
    let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    if whole.is_empty()
        || fraction.len() > 4
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let padded = format!("{fraction:0<4}");
    Some(whole.parse::<i128>().ok()? * 10_000 + padded.parse::<i128>().ok()?)
}

/// Ten-thousandths written as a decimal with two places at least: `25000.00`, `0.1250`.
fn decimal(n: i128) -> String {
    let (whole, fraction) = (n / 10_000, n % 10_000);
    let fraction = format!("{fraction:04}");
    let fraction = fraction.trim_end_matches('0');
    format!("{whole}.{fraction:0<2}")
}

/// The budgets of the activities that count in the span, by currency: how many have one in
/// that currency, and their total (a decimal string, exact), beside the year before's total.
pub fn budget_table<'a>(
    activities: impl IntoIterator<Item = &'a ActivityFacts>,
    span: Span,
    language: Language,
) -> Table {
    let mut by_currency: BTreeMap<String, (u64, i128, i128)> = BTreeMap::new();
    for a in activities {
        let Some((currency, amount)) = &a.budget else {
            continue;
        };
        let Some(n) = ten_thousandths(amount) else {
            continue;
        };
        let (this, before) = span.counts(a);
        if !this && !before {
            continue;
        }
        let e = by_currency.entry(currency.to_string()).or_default();
        if this {
            e.0 += 1;
            e.1 += n;
        }
        if before {
            e.2 += n;
        }
    }
    let mut rows: Vec<(String, (u64, i128, i128))> = by_currency.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(&b.0)));
    Table {
        name: "budget_by_currency".into(),
        title: in_language(language, ("Budgets by currency", "Budgets par monnaie")),
        columns: span.columns(&["activities", "total"], "total_previous_year"),
        rows: rows
            .into_iter()
            .map(|(currency, (n, total, before))| {
                let mut row = vec![
                    Value::from(currency.clone()),
                    Value::from(currency),
                    Value::from(n),
                    Value::from(decimal(total)),
                ];
                if matches!(span, Span::Year(_)) {
                    row.push(Value::from(decimal(before)));
                }
                row
            })
            .collect(),
    }
}

/// The activities put forward as good practices that count in the span, by title: each row
/// its id, its title in the language asked (else the first it has), its States and status.
pub fn good_practices_table<'a>(
    activities: impl IntoIterator<Item = &'a ActivityFacts>,
    span: Span,
    language: Language,
) -> Table {
    let mut rows: Vec<Vec<Value>> = activities
        .into_iter()
        .filter(|a| span.counts(a).0)
        .filter_map(|a| {
            let title = a.practice.as_ref()?;
            let title = title
                .get(language)
                .or_else(|| title.texts().next().map(|(_, t)| t))
                .unwrap_or_default();
            Some(vec![
                Value::from(a.id.to_string()),
                Value::from(title),
                Value::from(a.states.join(" ")),
                Value::from(a.status.map_or("", ActivityStatus::as_str)),
            ])
        })
        .collect();
    rows.sort_by(|a, b| {
        let key = |r: &Vec<Value>| (r[1].as_str().unwrap_or("").to_lowercase(), r[0].to_string());
        key(a).cmp(&key(b))
    });
    Table {
        name: "good_practices".into(),
        title: in_language(language, ("Good practices", "Bonnes pratiques")),
        columns: ["code", "label", "states", "status"]
            .map(str::to_owned)
            .to_vec(),
        rows,
    }
}

/// The tables of coverage, in the order a report shows them.
pub const COVERAGE_TABLES: [&str; 2] = [
    "recommendation_coverage_by_state",
    "recommendation_coverage_by_cycle",
];

/// Table `name` of coverage: each State's (or UPR cycle's) accepted recommendations, how
/// many of them an activity counting in the span serves, the share, and how many an activity
/// of the year before serves.
pub fn coverage_table<'a>(
    name: &str,
    accepted: &[Accepted],
    activities: impl IntoIterator<Item = &'a ActivityFacts>,
    span: Span,
    language: Language,
) -> Table {
    let mut served: FxHashMap<RecommendationId, (bool, bool)> = FxHashMap::default();
    for a in activities {
        let (this, before) = span.counts(a);
        for r in &a.recommendations {
            let entry = served.entry(*r).or_default();
            entry.0 |= this;
            entry.1 |= before;
        }
    }
    let mut counts: BTreeMap<String, [u64; 3]> = BTreeMap::new();
    for r in accepted {
        let key = match name {
            "recommendation_coverage_by_cycle" => r.cycle.to_string(),
            _ => r.state.to_string(),
        };
        let (this, before) = served.get(&r.id).copied().unwrap_or_default();
        let entry = counts.entry(key).or_default();
        entry[0] += 1;
        entry[1] += u64::from(this);
        entry[2] += u64::from(before);
    }
    // Thousandths: 0.25 is a quarter.
    let share = |n: &[u64; 3]| (n[1] as f64 / n[0] as f64 * 1000.0).round() / 1000.0;
    Table {
        name: name.to_owned(),
        title: in_language(language, title(name)),
        columns: span.columns(&["accepted", "served", "share"], "served_previous_year"),
        rows: rows(name, counts, language, span, |n| {
            vec![Value::from(n[0]), Value::from(n[1]), Value::from(share(n))]
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Option<NaiveDate> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn budgets_are_summed_exactly() {
        assert_eq!(ten_thousandths("25000"), Some(250_000_000));
        assert_eq!(ten_thousandths("0.5"), Some(5_000));
        assert_eq!(ten_thousandths("1.2345"), Some(12_345));
        assert_eq!(ten_thousandths("1.23456"), None);
        assert_eq!(ten_thousandths("-1"), None);
        assert_eq!(ten_thousandths(".5"), None);
        assert_eq!(decimal(250_000_000), "25000.00");
        assert_eq!(decimal(12_345), "1.2345");
        assert_eq!(decimal(5_000), "0.50");
        let facts = [
            ("999999999999999.9999", "USD"),
            ("0.0001", "USD"),
            ("10", "EUR"),
        ]
        .map(|(amount, currency)| ActivityFacts {
            created: Some("2026-01-01".parse().unwrap()),
            budget: Some((currency.into(), amount.into())),
            ..Default::default()
        });
        let t = budget_table(&facts, Span::All, Language::En);
        assert_eq!(t.columns, ["code", "label", "activities", "total"]);
        assert_eq!(
            t.rows[0],
            [
                Value::from("USD"),
                Value::from("USD"),
                Value::from(2),
                Value::from("1000000000000000.00")
            ]
        );
    }

    #[test]
    fn an_activity_counts_in_each_year_its_period_overlaps() {
        let a = ActivityFacts {
            from: day("2025-11-01"),
            to: day("2026-02-28"),
            ..Default::default()
        };
        assert!(!a.counts_in(2024) && a.counts_in(2025) && a.counts_in(2026));
        assert!(!a.counts_in(2027));
        let running = ActivityFacts {
            from: day("2025-06-01"),
            ..Default::default()
        };
        assert!(running.counts_in(2030) && !running.counts_in(2024));
        let undated = ActivityFacts {
            created: day("2026-03-02"),
            ..Default::default()
        };
        assert!(undated.counts_in(2026) && !undated.counts_in(2025));
    }

    #[test]
    fn a_table_counts_each_activity_once_per_code_with_the_year_before() {
        let kenya_uganda = ActivityFacts {
            from: day("2026-01-01"),
            states: vec!["KEN".into(), "UGA".into()],
            ..Default::default()
        };
        let kenya_last_year = ActivityFacts {
            from: day("2025-01-01"),
            to: day("2025-12-31"),
            states: vec!["KEN".into()],
            ..Default::default()
        };
        let facts = [kenya_uganda, kenya_last_year];
        let groups = activity_table(
            "activities_by_regional_group",
            &facts,
            Span::Year(2026),
            Language::Fr,
        );
        assert_eq!(groups.title, "Activités par groupe régional");
        assert_eq!(
            groups.rows,
            [vec![
                Value::from("african"),
                Value::from("États d'Afrique"),
                Value::from(1),
                Value::from(1),
            ]],
            "Kenya and Uganda are one African activity"
        );
        let states = activity_table(
            "activities_by_state",
            &facts,
            Span::Year(2026),
            Language::En,
        );
        let codes: Vec<&Value> = states.rows.iter().map(|r| &r[0]).collect();
        assert_eq!(codes, [&Value::from("KEN"), &Value::from("UGA")]);
        assert_eq!(states.rows[0][2..], [Value::from(1), Value::from(1)]);
        assert_eq!(states.rows[0][1], "Kenya");
    }
}
