//! Activities in CSV: the columns, how a row becomes an activity, and the export row (which
//! imports back). Lists are separated by `|`; a participant is `stakeholder-id:role`.

use crate::domain::Id;
use chrono::NaiveDate;

use super::entities::{
    CellErrors, CsvRead, external_refs, joined, language_columns, languages_of, named, neutralise,
    refs_cell, row_content,
};
use super::{Columns, CsvExport, Format, Importable, NOT_YOURS, Row};
use crate::app::{self, policy, uploads::Uploader};
use crate::db::DbConnection;
use crate::db::documents::WriteError;
use crate::domain::FieldError;
use crate::domain::activity::{
    Activity, ActivityContent, ActivityInput, Budget, DocumentLink, Participant,
};
use crate::domain::publication::Publication;

pub(super) fn date(row: &Row<'_>, column: &str, errors: &mut CellErrors) -> Option<NaiveDate> {
    let v = row.get(column)?;
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push((
                column.into(),
                "invalid_date".into(),
                format!("`{v}` is not a date written YYYY-MM-DD"),
            ));
            None
        }
    }
}

pub(super) fn flag(row: &Row<'_>, column: &str, errors: &mut CellErrors) -> bool {
    match row.get(column).map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "no" | "0") => false,
        Some("true" | "yes" | "1") => true,
        Some(other) => {
            errors.push((
                column.into(),
                "invalid".into(),
                format!("`{other}` is not true or false"),
            ));
            false
        }
    }
}

pub(super) fn uuid<I: Id>(v: &str, column: &str, errors: &mut CellErrors) -> Option<I> {
    match v.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.push((
                column.into(),
                "invalid_id".into(),
                format!("`{v}` is not an id"),
            ));
            None
        }
    }
}

fn participants(row: &Row<'_>, errors: &mut CellErrors) -> Vec<Participant> {
    row.list("participants")
        .into_iter()
        .filter_map(|p| {
            let Some((id, role)) = p.split_once(':') else {
                errors.push((
                    "participants".into(),
                    "invalid".into(),
                    format!("`{p}` is not `stakeholder-id:role`"),
                ));
                return None;
            };
            let stakeholder = uuid(id.trim(), "participants", errors)?;
            let role = role.trim();
            match serde_json::from_value(serde_json::Value::String(role.into())) {
                Ok(role) => Some(Participant { stakeholder, role }),
                Err(_) => {
                    errors.push((
                        "participants".into(),
                        "unknown_value".into(),
                        format!("`{role}` is not funding, accountable, extending or implementing"),
                    ));
                    None
                }
            }
        })
        .collect()
}

impl Importable for Activity {
    fn csv_columns() -> Columns {
        Columns {
            required: &["states_concerned", "status"],
            optional: &[
                "id",
                "version",
                "created_at",
                "updated_at",
                "submitter",
                "participants",
                "recommendations",
                "assistance_request",
                "offer",
                "modality",
                "planned_start",
                "planned_end",
                "actual_start",
                "actual_end",
                "budget_amount",
                "budget_currency",
                "funding_sources",
                "themes",
                "sdg_targets",
                "good_practice",
                "peer_to_peer",
                "documents",
                "publication",
                "external_refs",
                "public",
                "reasons",
            ],
            multilingual: &[
                ("title", true),
                ("summary", false),
                ("results", false),
                ("lessons_learned", false),
            ],
        }
    }

    fn from_csv(row: &Row<'_>) -> CsvRead<ActivityInput> {
        let mut errors = Vec::new();
        let status = named(row, "status", &mut errors);
        let publication: Option<Publication> = named(row, "publication", &mut errors);
        let budget = match (row.get("budget_amount"), row.get("budget_currency")) {
            (None, None) => None,
            (amount, currency) => Some(Budget {
                amount: amount.unwrap_or_default().to_owned(),
                currency: currency.unwrap_or_default().to_owned(),
            }),
        };
        let recommendations = row
            .list("recommendations")
            .iter()
            .filter_map(|r| uuid(r, "recommendations", &mut errors))
            .collect();
        let submitter = row
            .get("submitter")
            .and_then(|s| uuid(s, "submitter", &mut errors));
        let assistance_request = row
            .get("assistance_request")
            .and_then(|s| uuid(s, "assistance_request", &mut errors));
        let offer = row.get("offer").and_then(|s| uuid(s, "offer", &mut errors));
        let input = ActivityInput {
            title: row.multilingual("title").unwrap_or_default(),
            summary: row.multilingual("summary"),
            states_concerned: row.countries("states_concerned"),
            participants: participants(row, &mut errors),
            submitter,
            recommendations,
            assistance_request,
            offer,
            modality: row.get("modality").map(str::to_owned),
            status: status.unwrap_or(crate::domain::activity::ActivityStatus::Pipeline),
            planned_start: date(row, "planned_start", &mut errors),
            planned_end: date(row, "planned_end", &mut errors),
            actual_start: date(row, "actual_start", &mut errors),
            actual_end: date(row, "actual_end", &mut errors),
            budget,
            funding_sources: row.list("funding_sources"),
            themes: row.list("themes"),
            sdg_targets: row.list("sdg_targets"),
            results: row.multilingual("results"),
            lessons_learned: row.multilingual("lessons_learned"),
            good_practice: flag(row, "good_practice", &mut errors),
            peer_to_peer: flag(row, "peer_to_peer", &mut errors),
            documents: row
                .list("documents")
                .into_iter()
                .map(|url| DocumentLink {
                    url,
                    title: None,
                    language: None,
                })
                .collect(),
            publication: publication.unwrap_or(Publication::Draft),
            external_refs: external_refs(row, &mut errors),
        };
        row_content(input, status.is_none().then_some("status"), errors)
    }

    /// A CSV row carries each document's address alone: the title and language stored for a
    /// document at the same address are kept, so that an export imported again (edited or
    /// not) loses nothing.
    fn merge(
        existing: &ActivityContent,
        mut incoming: ActivityContent,
        format: Format,
    ) -> ActivityContent {
        if format != Format::Csv {
            return incoming;
        }
        for document in &mut incoming.documents {
            let bare = document.title.is_none() && document.language.is_none();
            if let Some(stored) = existing.documents.iter().find(|d| d.url == document.url)
                && bare
            {
                document.clone_from(stored);
            }
        }
        incoming
    }

    /// `prepare` fills in what the natural key is made of.
    const KEYS_AHEAD: bool = false;

    /// The submitter the uploader implies (a row naming another one is refused), and the
    /// references checked against the database: as `app::activities` checks one activity.
    fn prepare(
        conn: &mut DbConnection,
        content: ActivityContent,
        uploader: &Uploader,
    ) -> Result<ActivityContent, Vec<FieldError>> {
        app::activities::check_row(conn, uploader, content)
    }

    /// An uploader other than `admin` updates only its own activities.
    fn may_update(
        existing: &Activity,
        _incoming: &ActivityContent,
        uploader: &Uploader,
    ) -> Result<(), String> {
        policy::may_change_activity(&uploader.author, existing.content.submitter)
            .map_err(|_| NOT_YOURS.to_owned())
    }

    /// A row naming anew a participant that took itself off the activity (or off one of its
    /// natural key): as `app::activities` refuses a write naming it.
    fn may_write(
        conn: &mut DbConnection,
        existing: Option<&Self>,
        incoming: &ActivityContent,
        uploader: &Uploader,
    ) -> Result<(), WriteError> {
        app::activities::not_declined(
            conn,
            existing.map(|e| e.stored.id),
            &uploader.author,
            existing.map(|e| &e.content),
            incoming,
        )
        .map_err(|e| match e {
            app::Error::Invalid(errors) => WriteError::Invalid(errors),
            app::Error::Db(e) => WriteError::Db(e),
            other => WriteError::Conflict(other.to_string()),
        })
    }

    fn may_create_with_id(uploader: &Uploader) -> bool {
        policy::may_choose_activity_id(&uploader.author)
    }
}

impl CsvExport for Activity {
    fn csv_header() -> Vec<String> {
        let mut h: Vec<String> = vec!["id".into()];
        h.extend(language_columns("title"));
        h.extend(language_columns("summary"));
        h.extend(
            [
                "states_concerned",
                "status",
                "submitter",
                "participants",
                "recommendations",
                "modality",
                "planned_start",
                "planned_end",
                "actual_start",
                "actual_end",
                "budget_amount",
                "budget_currency",
                "funding_sources",
                "themes",
                "sdg_targets",
            ]
            .map(String::from),
        );
        h.extend(language_columns("results"));
        h.extend(language_columns("lessons_learned"));
        h.extend(
            [
                "good_practice",
                "peer_to_peer",
                "documents",
                "publication",
                "external_refs",
                "public",
                "reasons",
                "version",
                "created_at",
                "updated_at",
                // Added after the others (issue 11), so that the columns before keep their
                // places.
                "assistance_request",
                "offer",
            ]
            .map(String::from),
        );
        h
    }

    fn csv_record(&self) -> Vec<String> {
        let c = &self.content;
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let mut r = vec![self.stored.id.to_string()];
        r.extend(languages_of(Some(&c.title)));
        r.extend(languages_of(c.summary.as_ref()));
        let participants: Vec<String> = c
            .participants
            .iter()
            .map(|p| format!("{}:{}", p.stakeholder, p.role.as_str()))
            .collect();
        let recommendations: Vec<String> =
            c.recommendations.iter().map(|r| r.to_string()).collect();
        let documents: Vec<String> = c.documents.iter().map(|d| d.url.clone()).collect();
        r.extend([
            joined(&c.states_concerned),
            c.status.as_str().to_owned(),
            c.submitter.map(|s| s.to_string()).unwrap_or_default(),
            joined(&participants),
            joined(&recommendations),
            c.modality.clone().unwrap_or_default(),
            date(c.planned_start),
            date(c.planned_end),
            date(c.actual_start),
            date(c.actual_end),
            c.budget
                .as_ref()
                .map(|b| b.amount.clone())
                .unwrap_or_default(),
            c.budget
                .as_ref()
                .map(|b| b.currency.clone())
                .unwrap_or_default(),
            joined(&c.funding_sources),
            joined(&c.themes),
            joined(&c.sdg_targets),
        ]);
        r.extend(languages_of(c.results.as_ref()));
        r.extend(languages_of(c.lessons_learned.as_ref()));
        r.extend([
            c.good_practice.to_string(),
            c.peer_to_peer.to_string(),
            joined(&documents),
            c.publication.as_str().to_owned(),
            refs_cell(&c.external_refs),
            self.visibility.public.to_string(),
            self.visibility.reasons.join("|"),
            self.stored.version.to_string(),
            crate::db::time::rfc3339(self.stored.created_at),
            crate::db::time::rfc3339(self.stored.updated_at),
            c.assistance_request
                .map(|r| r.to_string())
                .unwrap_or_default(),
            c.offer.map(|o| o.to_string()).unwrap_or_default(),
        ]);
        r.into_iter().map(neutralise).collect()
    }
}
