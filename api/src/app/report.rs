//! The annual report (issue 12): the facts of the activities in scope, read once, and the
//! tables `domain::report` counts from them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Error, Result};
use crate::db::DbConnection;
use crate::db::sql::report::{activities, facets};
use crate::domain::Language;
use crate::domain::activity::ActivityStatus;
use crate::domain::report::{ACTIVITY_TABLES, ActivityFacts, ReportScope, Table, activity_table};

/// A year's report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub year: i32,
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
            _ => &mut a.funding_sources,
        };
        list.push(row.value);
    }
    Ok(by_seq.into_values().collect())
}

/// Every table of `year`'s report, in `language`.
pub fn annual(
    conn: &mut DbConnection,
    scope: ReportScope,
    year: i32,
    language: Language,
) -> Result<Report> {
    let facts = facts(conn, scope)?;
    Ok(Report {
        year,
        generated_at: Utc::now(),
        scope,
        lang: language,
        tables: ACTIVITY_TABLES
            .iter()
            .map(|name| activity_table(name, &facts, year, language))
            .collect(),
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
    if !ACTIVITY_TABLES.contains(&name) {
        return Err(Error::NotFound(format!(
            "The report has no table `{name}`: its tables are {}.",
            ACTIVITY_TABLES.join(", ")
        )));
    }
    let facts = facts(conn, scope)?;
    Ok(activity_table(name, &facts, year, language))
}
