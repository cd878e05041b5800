//! The annual report's figures (issue 12): tables of how many activities count in a year, by
//! State, group, region, kind of stakeholder, modality, theme, SDG goal, source of funding and
//! status, each row keyed by a code (`KEN`, `un_entity`, `training`) with its label in the
//! language asked for, and the previous year beside it. A pure function of the facts the
//! database gives and of the reference data: which activities take part (public ones, or every
//! one for `admin`'s full scope) is decided by the query that reads the facts.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::Language;
use crate::domain::activity::ActivityStatus;
use crate::domain::multilingual::Multilingual;
use crate::reference::{RegionalGroup, reference};

/// Which activities a report counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportScope {
    /// Public activities only: what anyone may see in the lists, so a figure reveals nothing
    /// they do not.
    #[default]
    Public,
    /// Every activity, public or not (`admin` only), marked as such.
    Full,
}

/// What the report reads of one activity.
#[derive(Debug, Clone, Default)]
pub struct ActivityFacts {
    /// Its actual start, else its planned start.
    pub from: Option<NaiveDate>,
    /// Its actual end, else its planned end.
    pub to: Option<NaiveDate>,
    /// When it was recorded.
    pub created: Option<NaiveDate>,
    pub status: Option<ActivityStatus>,
    pub modality: Option<String>,
    /// The kind of its submitter.
    pub submitter_kind: Option<String>,
    pub states: Vec<String>,
    pub themes: Vec<String>,
    pub sdg_targets: Vec<String>,
    pub funding_sources: Vec<String>,
}

impl ActivityFacts {
    /// Whether it counts in `year`: its actual (else planned) period overlaps the year, an open
    /// end running on; with no date at all, the year it was recorded.
    pub fn counts_in(&self, year: i32) -> bool {
        let (Some(first), Some(last)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            return false;
        };
        match (self.from, self.to) {
            (None, None) => self.created.is_some_and(|d| d.year() == year),
            (from, to) => from.is_none_or(|f| f <= last) && to.is_none_or(|t| t >= first),
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
    /// One row per code: the code, its label, then a number for each figure column.
    #[schema(value_type = Vec<Vec<Object>>)]
    pub rows: Vec<Vec<Value>>,
}

/// The tables of activities, in the order a report shows them.
pub const ACTIVITY_TABLES: [&str; 10] = [
    "activities_by_state",
    "activities_by_regional_group",
    "activities_by_region",
    "activities_by_country_group",
    "activities_by_stakeholder_kind",
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
        "activities_by_modality" => ("Activities by modality", "Activités par modalité"),
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

/// The codes of one table an activity counts under (each once).
fn keys(name: &str, a: &ActivityFacts) -> BTreeSet<String> {
    let data = reference();
    let countries = || a.states.iter().filter_map(|s| data.country(s));
    match name {
        "activities_by_state" => a.states.iter().cloned().collect(),
        "activities_by_regional_group" => countries()
            .filter_map(|c| c.regional_group.map(RegionalGroup::as_str))
            .map(str::to_owned)
            .collect(),
        "activities_by_region" => countries()
            .filter_map(|c| c.region.as_ref().map(|r| r.code.clone()))
            .collect(),
        "activities_by_country_group" => countries()
            .flat_map(|c| {
                [("ldc", c.ldc), ("lldc", c.lldc), ("sids", c.sids)]
                    .into_iter()
                    .filter(|(_, yes)| *yes)
                    .map(|(k, _)| k.to_owned())
            })
            .collect(),
        "activities_by_stakeholder_kind" => a.submitter_kind.iter().cloned().collect(),
        "activities_by_modality" => a.modality.iter().cloned().collect(),
        "activities_by_theme" => a.themes.iter().cloned().collect(),
        "activities_by_sdg_goal" => a
            .sdg_targets
            .iter()
            .map(|t| t.split('.').next().unwrap_or(t).to_owned())
            .collect(),
        "activities_by_funding_source" => a.funding_sources.iter().cloned().collect(),
        "activities_by_status" => a.status.iter().map(|s| s.as_str().to_owned()).collect(),
        _ => BTreeSet::new(),
    }
}

/// The label of a code of one table.
fn label(name: &str, code: &str, language: Language) -> String {
    let data = reference();
    match name {
        "activities_by_state" => {
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
        "activities_by_status" => {
            let iati = ActivityStatus::ALL
                .into_iter()
                .find(|s| s.as_str() == code)
                .map(ActivityStatus::iati_code);
            label_of(
                iati.and_then(|i| data.activity_statuses.iter().find(|s| s.code == i))
                    .map(|s| &s.title),
                language,
                code,
            )
        }
        _ => code.to_owned(),
    }
}

/// Table `name` over `activities` for `year`: how many count under each code in the year
/// and in the one before; the most first, then by code. Codes with none in either year are
/// left out.
pub fn activity_table(
    name: &str,
    activities: &[ActivityFacts],
    year: i32,
    language: Language,
) -> Table {
    let mut counts: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for a in activities {
        let (this, before) = (a.counts_in(year), a.counts_in(year - 1));
        if !this && !before {
            continue;
        }
        for key in keys(name, a) {
            let entry = counts.entry(key).or_default();
            entry.0 += u64::from(this);
            entry.1 += u64::from(before);
        }
    }
    let mut rows: Vec<(String, (u64, u64))> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(&b.0)));
    Table {
        name: name.to_owned(),
        title: in_language(language, title(name)),
        columns: vec![
            "code".into(),
            "label".into(),
            "activities".into(),
            "previous_year".into(),
        ],
        rows: rows
            .into_iter()
            .map(|(code, (this, before))| {
                let label = label(name, &code, language);
                vec![
                    Value::from(code),
                    Value::from(label),
                    Value::from(this),
                    Value::from(before),
                ]
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
        let groups = activity_table("activities_by_regional_group", &facts, 2026, Language::Fr);
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
        let states = activity_table("activities_by_state", &facts, 2026, Language::En);
        let codes: Vec<&Value> = states.rows.iter().map(|r| &r[0]).collect();
        assert_eq!(codes, [&Value::from("KEN"), &Value::from("UGA")]);
        assert_eq!(states.rows[0][2..], [Value::from(1), Value::from(1)]);
        assert_eq!(states.rows[0][1], "Kenya");
    }
}
