//! Assistance requests and offers as CSV: the columns of an export, one per field, one per
//! language for texts (`description__fr`), `|` between the values of a list.

use super::entities::{CsvExport, joined, language_columns, languages_of, neutralise};
use crate::domain::assistance_request::AssistanceRequest;
use crate::domain::needs::Period;
use crate::domain::offer::Offer;

fn period_cells(period: Option<&Period>) -> [String; 2] {
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    [
        day(period.and_then(|p| p.start)),
        day(period.and_then(|p| p.end)),
    ]
}

fn columns(head: &[&str], texts: &[&str], tail: &[&str]) -> Vec<String> {
    let mut h: Vec<String> = head.iter().map(|c| (*c).to_owned()).collect();
    for field in texts {
        h.extend(language_columns(field));
    }
    h.extend(tail.iter().map(|c| (*c).to_owned()));
    h
}

impl CsvExport for AssistanceRequest {
    fn csv_header() -> Vec<String> {
        columns(
            &["id", "state", "status", "reference"],
            &["description"],
            &[
                "recommendations",
                "themes",
                "sdg_targets",
                "modalities",
                "languages",
                "period_start",
                "period_end",
                "version",
                "created_at",
                "updated_at",
            ],
        )
    }

    fn csv_record(&self) -> Vec<String> {
        let c = &self.content;
        let mut r = vec![
            self.stored.id.to_string(),
            c.state.to_string(),
            c.status.as_str().to_owned(),
            c.reference.clone().unwrap_or_default(),
        ];
        r.extend(languages_of(Some(&c.description)));
        r.extend([
            joined(
                &c.recommendations
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>(),
            ),
            joined(&c.themes),
            joined(&c.sdg_targets),
            joined(&c.modalities),
            joined(&c.languages),
        ]);
        r.extend(period_cells(c.period.as_ref()));
        r.extend([
            self.stored.version.to_string(),
            crate::db::time::rfc3339(self.stored.created_at),
            crate::db::time::rfc3339(self.stored.updated_at),
        ]);
        r.into_iter().map(neutralise).collect()
    }
}

impl CsvExport for Offer {
    fn csv_header() -> Vec<String> {
        columns(
            &["id", "stakeholder", "status"],
            &["description", "capacity"],
            &[
                "themes",
                "sdg_targets",
                "modalities",
                "languages",
                "states",
                "regions",
                "regional_groups",
                "peer_to_peer",
                "activities",
                "period_start",
                "period_end",
                "version",
                "created_at",
                "updated_at",
            ],
        )
    }

    fn csv_record(&self) -> Vec<String> {
        let c = &self.content;
        let mut r = vec![
            self.stored.id.to_string(),
            c.stakeholder.map(|s| s.to_string()).unwrap_or_default(),
            c.status.as_str().to_owned(),
        ];
        r.extend(languages_of(Some(&c.description)));
        r.extend(languages_of(c.capacity.as_ref()));
        r.extend([
            joined(&c.themes),
            joined(&c.sdg_targets),
            joined(&c.modalities),
            joined(&c.languages),
            joined(&c.states.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
            joined(&c.regions),
            joined(
                &c.regional_groups
                    .iter()
                    .map(|g| g.as_str())
                    .collect::<Vec<_>>(),
            ),
            c.peer_to_peer.to_string(),
            joined(
                &c.activities
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>(),
            ),
        ]);
        r.extend(period_cells(c.period.as_ref()));
        r.extend([
            self.stored.version.to_string(),
            crate::db::time::rfc3339(self.stored.created_at),
            crate::db::time::rfc3339(self.stored.updated_at),
        ]);
        r.into_iter().map(neutralise).collect()
    }
}
