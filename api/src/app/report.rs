//! The annual report (issue 12): the facts of the activities in scope, read once, and the
//! tables `domain::report` counts from them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Error, Result};
use crate::db::DbConnection;
use crate::db::recommendations::accepted_keys;
use crate::db::sql::report::{
    activities, data_version, facets, good_practices as sql_good_practices,
};
use crate::digest::sha256_hex;
use crate::domain::Language;
use crate::domain::activity::Activity;
use crate::domain::activity::ActivityStatus;
use crate::domain::report::{
    ACTIVITY_TABLES, Accepted, ActivityFacts, COVERAGE_TABLES, GoodPractice, ReportScope, Span,
    Table, activity_table, budget_table, coverage_table, good_practices_table,
};

/// A year's report, or the live statistics (no year).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    /// The year counted; `null` for the statistics, which count every activity.
    pub year: Option<i32>,
    pub generated_at: DateTime<Utc>,
    /// `public`: over public activities only; `full`: over every activity (`admin` only).
    pub scope: ReportScope,
    /// The language of the titles and labels.
    pub lang: Language,
    pub tables: Vec<Table>,
}

fn date(text: Option<&str>) -> Option<NaiveDate> {
    text.and_then(|t| t.get(..10)?.parse().ok())
}

/// The facts of every activity in `scope`.
pub fn facts(conn: &mut DbConnection, scope: ReportScope) -> Result<Vec<ActivityFacts>> {
    let public_only = scope == ReportScope::Public;
    let mut by_seq: HashMap<i64, ActivityFacts> = HashMap::new();
    for row in activities(conn, public_only)? {
        by_seq.insert(
            row.seq,
            ActivityFacts {
                from: date(row.active_from.as_deref()),
                to: date(row.active_to.as_deref()),
                created: date(Some(&row.created)),
                status: ActivityStatus::ALL
                    .into_iter()
                    .find(|s| s.as_str() == row.status),
                modality: row.modality,
                submitter_kind: Some(row.submitter_kind),
                budget: row.budget_currency.zip(row.budget_amount),
                ..Default::default()
            },
        );
    }
    for row in facets(conn, public_only)? {
        let Some(a) = by_seq.get_mut(&row.seq) else {
            continue;
        };
        let list = match row.facet.as_str() {
            "state" => &mut a.states,
            "theme" => &mut a.themes,
            "sdg_target" => &mut a.sdg_targets,
            "role" => &mut a.roles,
            "recommendation" => &mut a.recommendations,
            _ => &mut a.funding_sources,
        };
        list.push(row.value);
    }
    Ok(by_seq.into_values().collect())
}

/// The activities in scope put forward as good practices.
fn good_practices(conn: &mut DbConnection, scope: ReportScope) -> Result<Vec<GoodPractice>> {
    let mut out = Vec::new();
    for row in sql_good_practices(conn, scope == ReportScope::Public)? {
        let a: Activity = crate::db::documents::parse_document(&row.document)?;
        let c = &a.content;
        out.push(GoodPractice {
            id: a.stored.id.to_string(),
            title: c.title.clone(),
            facts: ActivityFacts {
                from: c.active_from(),
                to: c.active_to(),
                created: Some(a.stored.created_at.date_naive()),
                status: Some(c.status),
                states: c.states_concerned.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            },
        });
    }
    Ok(out)
}

/// Every accepted recommendation.
fn accepted(conn: &mut DbConnection) -> Result<Vec<Accepted>> {
    Ok(accepted_keys(conn)?
        .into_iter()
        .map(|(id, state, cycle)| Accepted { id, state, cycle })
        .collect())
}

/// Every table over the activities in `scope`, for `span`.
fn tables(
    conn: &mut DbConnection,
    scope: ReportScope,
    span: Span,
    language: Language,
) -> Result<Vec<Table>> {
    let facts = facts(conn, scope)?;
    let accepted = accepted(conn)?;
    let good = good_practices(conn, scope)?;
    let activities = ACTIVITY_TABLES
        .iter()
        .map(|name| activity_table(name, &facts, span, language));
    let coverage = COVERAGE_TABLES
        .iter()
        .map(|name| coverage_table(name, &accepted, &facts, span, language));
    let budgets = std::iter::once(budget_table(&facts, span, language));
    let listed = std::iter::once(good_practices_table(&good, span, language));
    Ok(activities
        .chain(budgets)
        .chain(coverage)
        .chain(listed)
        .collect())
}

/// What a report is counted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Asked {
    pub scope: ReportScope,
    /// A year (the annual report), or every activity (the statistics).
    pub span: Span,
    pub language: Language,
}

/// A report as counted, and the weak ETag of its figures, computed once when it is counted so
/// that a reader who has them gets a 304 without the report being written out again.
#[derive(Debug)]
pub struct Counted {
    pub report: Report,
    /// `W/"…"`, of the tables (not of when they were counted).
    pub tag: String,
}

impl Counted {
    /// The ETag of one form of the report (`json`, `html`) or of one table in one form.
    pub fn tag_of(&self, part: &str) -> String {
        format!("W/\"{}\"", sha256_hex(format!("{}|{part}", self.tag), 8))
    }
}

/// The reports counted, kept while the data they were counted from is unchanged
/// (`db::sql::report::data_version`): a dashboard polling the statistics, or many readers of
/// this year's report, cost one small query each rather than a pass over every activity.
/// Held by the service; each instance keeps its own.
#[derive(Debug, Default)]
pub struct ReportCache {
    kept: Mutex<Kept>,
}

/// The version of the data the reports were counted from, and the reports.
#[derive(Debug, Default)]
struct Kept {
    version: Option<(i64, i64)>,
    reports: HashMap<Asked, Arc<Counted>>,
}

/// Reports kept for one version of the data, at most (years, scopes and languages asked).
const KEPT: usize = 64;

/// The report asked for, counted from the data as it is now, or kept from when it was the
/// same.
pub fn counted(conn: &mut DbConnection, cache: &ReportCache, asked: Asked) -> Result<Arc<Counted>> {
    let version = data_version(conn)?;
    {
        let kept = cache.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.version == Some(version)
            && let Some(counted) = kept.reports.get(&asked)
        {
            return Ok(counted.clone());
        }
    }
    let tables = tables(conn, asked.scope, asked.span, asked.language)?;
    let counted = Arc::new(Counted {
        tag: sha256_hex(crate::db::documents::to_json(&tables), 8),
        report: Report {
            year: match asked.span {
                Span::Year(y) => Some(y),
                Span::All => None,
            },
            generated_at: Utc::now(),
            scope: asked.scope,
            lang: asked.language,
            tables,
        },
    });
    let mut kept = cache.kept.lock().unwrap_or_else(|e| e.into_inner());
    if kept.version != Some(version) || kept.reports.len() >= KEPT {
        *kept = Kept {
            version: Some(version),
            reports: HashMap::new(),
        };
    }
    kept.reports.insert(asked, counted.clone());
    Ok(counted)
}

/// The table of that name; not found when the report has none.
pub fn table<'a>(report: &'a Report, name: &str) -> Result<&'a Table> {
    report
        .tables
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = report.tables.iter().map(|t| t.name.as_str()).collect();
            Error::NotFound(format!(
                "The report has no table `{name}`: its tables are {}.",
                names.join(", ")
            ))
        })
}
