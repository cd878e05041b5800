//! Assistance requests and offers as CSV: the columns of an export, one per field, one per
//! language for texts (`description__fr`), `|` between the values of a list; and how a row of
//! them (an export's, edited or not) becomes an item again, held to the rules of its command.

use super::activities::{date, flag, uuid};
use super::entities::{
    CellErrors, CsvExport, CsvRead, joined, language_columns, languages_of, named, neutralise,
    row_content,
};
use super::{Columns, Importable, NOT_YOURS, Row};
use crate::app::{self, policy, uploads::Uploader};
use crate::db::DbConnection;
use crate::db::documents::WriteError;
use crate::domain::FieldError;
use crate::domain::assistance_request::{
    AssistanceRequest, AssistanceRequestContent, AssistanceRequestInput,
};
use crate::domain::needs::Period;
use crate::domain::offer::{Offer, OfferContent, OfferInput};

/// `period_start` and `period_end` (YYYY-MM-DD): no time frame when both are empty.
fn period(row: &Row<'_>, errors: &mut CellErrors) -> Option<Period> {
    let start = date(row, "period_start", errors);
    let end = date(row, "period_end", errors);
    (start.is_some() || end.is_some()).then_some(Period { start, end })
}

/// A list of ids.
fn ids<I: crate::domain::Id>(row: &Row<'_>, column: &str, errors: &mut CellErrors) -> Vec<I> {
    row.list(column)
        .iter()
        .filter_map(|v| uuid(v, column, errors))
        .collect()
}

/// A list of values of a closed list, each read through serde.
fn named_list<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    column: &str,
    errors: &mut CellErrors,
) -> Vec<T> {
    row.list(column)
        .into_iter()
        .filter_map(
            |v| match serde_json::from_value(serde_json::Value::String(v.clone())) {
                Ok(value) => Some(value),
                Err(_) => {
                    errors.push((
                        column.into(),
                        "unknown_value".into(),
                        format!("`{v}` is not a value of {column}"),
                    ));
                    None
                }
            },
        )
        .collect()
}

impl Importable for AssistanceRequest {
    fn csv_columns() -> Columns {
        Columns {
            required: &["state"],
            optional: &[
                "id",
                "version",
                "created_at",
                "updated_at",
                "status",
                "reference",
                "recommendations",
                "themes",
                "sdg_targets",
                "modalities",
                "languages",
                "period_start",
                "period_end",
            ],
            multilingual: &[("description", true)],
        }
    }

    fn from_csv(row: &Row<'_>) -> CsvRead<AssistanceRequestInput> {
        let mut errors = Vec::new();
        let status = named(row, "status", &mut errors);
        let state = row.country("state");
        let missing = state.is_none().then_some("state");
        let input = AssistanceRequestInput {
            state: state.unwrap_or_default(),
            reference: row.get("reference").map(str::to_owned),
            recommendations: ids(row, "recommendations", &mut errors),
            themes: row.list("themes"),
            sdg_targets: row.list("sdg_targets"),
            modalities: row.list("modalities"),
            languages: row.list("languages"),
            period: period(row, &mut errors),
            description: row.multilingual("description").unwrap_or_default(),
            status: status.unwrap_or_default(),
        };
        row_content(input, missing, errors)
    }

    /// `prepare` fills in what the natural key is made of.
    const KEYS_AHEAD: bool = false;

    /// A State files for itself, `admin` for any State, and the recommendations are the
    /// State's accepted ones: as `app::assistance_requests` checks one request (the reference
    /// `admin` gives is checked against what the row is written over: `may_write`).
    fn prepare(
        conn: &mut DbConnection,
        content: AssistanceRequestContent,
        uploader: &Uploader,
    ) -> Result<AssistanceRequestContent, Vec<FieldError>> {
        app::assistance_requests::check_row(conn, uploader, content)
    }

    /// A State changes only its own requests; `admin` any.
    fn may_update(
        existing: &AssistanceRequest,
        _incoming: &AssistanceRequestContent,
        uploader: &Uploader,
    ) -> Result<(), String> {
        policy::request_filer(&uploader.principal)
            .and_then(|filer| policy::may_change_request(&filer, &existing.content))
            .map_err(|_| NOT_YOURS.to_owned())
    }

    /// Matched only with an accepted interest, and by `admin` with the reference of the State's
    /// request unless nothing changes, as every write of a request
    /// (`app::assistance_requests::status_fits`, `policy::reference_given`).
    fn may_write(
        conn: &mut DbConnection,
        existing: Option<&Self>,
        incoming: &AssistanceRequestContent,
        uploader: &Uploader,
    ) -> Result<(), WriteError> {
        let filer = policy::request_filer(&uploader.principal).map_err(row_refusal)?;
        policy::reference_given(&filer, existing.map(|e| &e.content), incoming).map_err(
            |e| match e {
                app::Error::Invalid(errors) => WriteError::Invalid(errors),
                other => row_refusal(other),
            },
        )?;
        let id = existing.map(|e| e.stored.id);
        app::assistance_requests::status_fits(conn, id, incoming.status).map_err(row_refusal)?;
        match existing {
            Some(current) => app::assistance_requests::answered_stays(conn, current, incoming)
                .map_err(row_refusal),
            None => Ok(()),
        }
    }

    fn may_create_with_id(uploader: &Uploader) -> bool {
        policy::request_filer(&uploader.principal)
            .is_ok_and(|filer| policy::may_choose_request_id(&filer))
    }
}

impl Importable for Offer {
    fn csv_columns() -> Columns {
        Columns {
            required: &[],
            optional: &[
                "id",
                "version",
                "created_at",
                "updated_at",
                "stakeholder",
                "status",
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
            ],
            multilingual: &[("description", true), ("capacity", false)],
        }
    }

    fn from_csv(row: &Row<'_>) -> CsvRead<OfferInput> {
        let mut errors = Vec::new();
        let status = named(row, "status", &mut errors);
        let stakeholder = row
            .get("stakeholder")
            .and_then(|s| uuid(s, "stakeholder", &mut errors));
        let input = OfferInput {
            stakeholder,
            themes: row.list("themes"),
            sdg_targets: row.list("sdg_targets"),
            modalities: row.list("modalities"),
            languages: row.list("languages"),
            states: row.countries("states"),
            regions: row.list("regions"),
            regional_groups: named_list(row, "regional_groups", &mut errors),
            capacity: row.multilingual("capacity"),
            period: period(row, &mut errors),
            description: row.multilingual("description").unwrap_or_default(),
            peer_to_peer: flag(row, "peer_to_peer", &mut errors),
            activities: ids(row, "activities", &mut errors),
            status: status.unwrap_or_default(),
        };
        row_content(input, None, errors)
    }

    /// `prepare` fills in what the natural key is made of.
    const KEYS_AHEAD: bool = false;

    /// The stakeholder the uploader implies (a row naming another one is refused; `admin`'s
    /// rows name theirs), and the activities it cites its own public ones: as `app::offers`
    /// checks one offer.
    fn prepare(
        conn: &mut DbConnection,
        content: OfferContent,
        uploader: &Uploader,
    ) -> Result<OfferContent, Vec<FieldError>> {
        app::offers::check_row(conn, uploader, content)
    }

    /// An uploader other than `admin` changes only its own stakeholder's offers.
    fn may_update(
        existing: &Offer,
        _incoming: &OfferContent,
        uploader: &Uploader,
    ) -> Result<(), String> {
        policy::may_change_offer(&uploader.author, existing.content.stakeholder)
            .map_err(|_| NOT_YOURS.to_owned())
    }

    /// Cited, it stays its stakeholder's and public, and a list of activities changed is the
    /// list, as every write of an offer (`app::offers::cited_stays`, `app::offers::relisted`).
    fn may_write(
        conn: &mut DbConnection,
        existing: Option<&Self>,
        incoming: &OfferContent,
        _uploader: &Uploader,
    ) -> Result<(), WriteError> {
        match existing {
            Some(current) => app::offers::cited_stays(conn, current, incoming)
                .and_then(|()| app::offers::relisted(conn, current, incoming))
                .map_err(row_refusal),
            None => Ok(()),
        }
    }

    fn may_create_with_id(uploader: &Uploader) -> bool {
        policy::may_choose_offer_id(&uploader.author)
    }
}

/// A command's refusal of a row as the row's: its messages; a database that fails is not a
/// row's fault, and fails the upload.
fn row_refusal(e: app::Error) -> WriteError {
    match e {
        app::Error::Invalid(errors) => WriteError::Conflict(
            errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        app::Error::Db(e) => WriteError::Db(e),
        other => WriteError::Conflict(other.to_string()),
    }
}

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
