//! The annual report (issue 12): the facts of the activities in scope, read once, and the
//! tables `domain::report` counts from them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Error, Result};
use crate::db::DbConnection;
use crate::db::recommendations::accepted_keys;
use crate::db::sql::report::{activities, facets};
use crate::domain::Language;
use crate::domain::activity::ActivityStatus;
use crate::domain::report::{
    ACTIVITY_TABLES, Accepted, ActivityFacts, COVERAGE_TABLES, ReportScope, Span, Table,
    activity_table, coverage_table,
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

/// Every accepted recommendation.
fn accepted(conn: &mut DbConnection) -> Result<Vec<Accepted>> {
    Ok(accepted_keys(conn)?
        .into_iter()
        .map(|(id, state, cycle)| Accepted { id, state, cycle })
        .collect())
}

/// Every table, or the one named, over the activities in `scope`, for `span`.
fn tables(
    conn: &mut DbConnection,
    scope: ReportScope,
    span: Span,
    language: Language,
    only: Option<&str>,
) -> Result<Vec<Table>> {
    let wanted = |name: &str| only.is_none_or(|o| o == name);
    let facts = facts(conn, scope)?;
    let mut out: Vec<Table> = ACTIVITY_TABLES
        .iter()
        .filter(|n| wanted(n))
        .map(|name| activity_table(name, &facts, span, language))
        .collect();
    if COVERAGE_TABLES.iter().any(|n| wanted(n)) {
        let accepted = accepted(conn)?;
        out.extend(
            COVERAGE_TABLES
                .iter()
                .filter(|n| wanted(n))
                .map(|name| coverage_table(name, &accepted, &facts, span, language)),
        );
    }
    Ok(out)
}

/// Every table of `year`'s report, in `language`.
pub fn annual(
    conn: &mut DbConnection,
    scope: ReportScope,
    year: i32,
    language: Language,
) -> Result<Report> {
    Ok(Report {
        year: Some(year),
        generated_at: Utc::now(),
        scope,
        lang: language,
        tables: tables(conn, scope, Span::Year(year), language, None)?,
    })
}

/// The same tables over every activity in `scope`, whatever its period: the live statistics.
pub fn statistics(
    conn: &mut DbConnection,
    scope: ReportScope,
    language: Language,
) -> Result<Report> {
    Ok(Report {
        year: None,
        generated_at: Utc::now(),
        scope,
        lang: language,
        tables: tables(conn, scope, Span::All, language, None)?,
    })
}

/// One table of `year`'s report; not found when the report has no table of that name.
pub fn table(
    conn: &mut DbConnection,
    scope: ReportScope,
    year: i32,
    language: Language,
    name: &str,
) -> Result<Table> {
    tables(conn, scope, Span::Year(year), language, Some(name))?
        .pop()
        .ok_or_else(|| {
            let names: Vec<&str> = ACTIVITY_TABLES
                .iter()
                .chain(&COVERAGE_TABLES)
                .copied()
                .collect();
            Error::NotFound(format!(
                "The report has no table `{name}`: its tables are {}.",
                names.join(", ")
            ))
        })
}
