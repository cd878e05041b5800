//! What assistance requests and offers share: a time frame, and the codes of the help asked or
//! given (themes, SDG targets, modalities, languages), checked alike for both.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::validate::Errors;
use crate::reference::reference;

/// A time frame; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// The first day, ISO 8601.
    pub start: Option<NaiveDate>,
    /// The last day, ISO 8601; not before `start`.
    pub end: Option<NaiveDate>,
}

impl Period {
    /// Whether the two time frames share a day (an open end reaches as far as it must).
    pub fn overlaps(&self, other: &Period) -> bool {
        let starts_before_other_ends = match (self.start, other.end) {
            (Some(s), Some(e)) => s <= e,
            _ => true,
        };
        let ends_after_other_starts = match (self.end, other.start) {
            (Some(e), Some(s)) => e >= s,
            _ => true,
        };
        starts_before_other_ends && ends_after_other_starts
    }

    /// A time frame open at both ends is none: `{}` is stored as no `period`, as a CSV row
    /// with empty `period_start` and `period_end` reads, so an export imports back unchanged.
    pub fn given(period: Option<Period>) -> Option<Period> {
        period.filter(|p| p.start.is_some() || p.end.is_some())
    }

    /// Whether the time frame ended before `day`.
    pub fn ended_before(&self, day: NaiveDate) -> bool {
        self.end.is_some_and(|end| end < day)
    }
}

impl Errors {
    /// A time frame whose end is not before its start.
    pub fn period(&mut self, pointer: &str, period: Option<&Period>) {
        if let Some(period) = period {
            self.year(&format!("{pointer}/start"), period.start);
            self.year(&format!("{pointer}/end"), period.end);
        }
        if let Some(Period {
            start: Some(start),
            end: Some(end),
        }) = period
            && end < start
        {
            self.add(
                format!("{pointer}/end"),
                "before_start",
                format!("ends ({end}) before it starts ({start})"),
            );
        }
    }

    /// Modality codes of `/api/v1/reference/modalities`, deduplicated.
    pub fn modalities(&mut self, pointer: &str, modalities: &mut Vec<String>) {
        let data = reference();
        self.distinct(pointer, modalities, 20, |e, at, code| {
            if data.modality(code).is_none() {
                e.add(
                    at,
                    "unknown_code",
                    format!("`{code}` is not a modality of /api/v1/reference/modalities"),
                );
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Option<NaiveDate> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn periods_overlap_when_they_share_a_day() {
        let y2027 = Period {
            start: day("2027-01-01"),
            end: day("2027-12-31"),
        };
        let y2026 = Period {
            start: day("2026-01-01"),
            end: day("2026-12-31"),
        };
        let from_dec = Period {
            start: day("2026-12-31"),
            end: None,
        };
        let open = Period {
            start: None,
            end: None,
        };
        assert!(!y2027.overlaps(&y2026) && !y2026.overlaps(&y2027));
        assert!(from_dec.overlaps(&y2026) && from_dec.overlaps(&y2027));
        assert!(open.overlaps(&y2026));
        assert!(y2026.ended_before("2027-01-01".parse().unwrap()));
        assert!(!open.ended_before("2027-01-01".parse().unwrap()));
    }
}
