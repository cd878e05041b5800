//! The CSV columns of each importable kind, and how a row becomes an item.

use super::columns::{Columns, Row};
use super::{Format, Group, Importable};
use crate::app::{self, policy, uploads::Uploader};
use crate::db::DbConnection;
use crate::db::documents::WriteError;

use crate::domain::recommendation::{
    Recommendation, RecommendationContent, RecommendationInput, Response, Source, matching_key,
    year_of_session,
};
use crate::domain::stakeholder::{
    Contact, NhriAccreditation, Stakeholder, StakeholderContent, StakeholderInput, StakeholderKind,
};
use crate::domain::validate::add_missing;
use crate::domain::{ExternalRef, Language, Multilingual};

pub(super) type CellErrors = Vec<(String, String, String)>;

/// What a CSV row reads as ([`row_content`]).
pub(super) type CsvRead<T> = Result<T, (T, CellErrors)>;

/// A row's content, or what is wrong with its cells and the content read from the rest of them
/// (each bad cell's value left out), which the reader checks further (`columns::read`): every
/// bad cell of a row is told at once. `missing` names a required column the row left empty (one
/// whose value did not read is told so instead).
pub(super) fn row_content<T>(
    content: T,
    missing: Option<&str>,
    mut errors: CellErrors,
) -> Result<T, (T, CellErrors)> {
    if let Some(column) = missing
        && !errors.iter().any(|(c, _, _)| c == column)
    {
        errors.push((
            column.into(),
            "required".into(),
            format!("the {column} is required"),
        ));
    }
    if errors.is_empty() {
        Ok(content)
    } else {
        Err((content, errors))
    }
}

/// `source:id|source:id`.
pub(super) fn external_refs(row: &Row<'_>, errors: &mut CellErrors) -> Vec<ExternalRef> {
    row.list("external_refs")
        .into_iter()
        .filter_map(|r| match r.split_once(':') {
            Some((source, id)) => Some(ExternalRef {
                source: source.trim().to_owned(),
                external_id: id.trim().to_owned(),
            }),
            None => {
                errors.push((
                    "external_refs".into(),
                    "invalid".into(),
                    format!("`{r}` is not `source:id`"),
                ));
                None
            }
        })
        .collect()
}

/// A `snake_case` value of a closed list, read through serde.
pub(super) fn named<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    column: &str,
    errors: &mut CellErrors,
) -> Option<T> {
    let v = row.get(column)?;
    match serde_json::from_value(serde_json::Value::String(v.to_owned())) {
        Ok(value) => Some(value),
        Err(_) => {
            errors.push((
                column.into(),
                "unknown_value".into(),
                format!("`{v}` is not a value of {column}"),
            ));
            None
        }
    }
}

/// A spreadsheet's `response`: one of the API's values, or the wording of older data (Accepted,
/// Rejected, Supported in part: DESIGN §2) read as one, its words kept as `response_original`
/// when that column says nothing.
fn response_cells(row: &Row<'_>, errors: &mut CellErrors) -> (Option<Response>, Option<String>) {
    let original = row.get("response_original").map(str::to_owned);
    let Some(cell) = row.get("response") else {
        return (None, original);
    };
    match Response::from_original(cell) {
        Some(response) if response.as_str() == cell => (Some(response), original),
        Some(response) => (Some(response), original.or_else(|| Some(cell.to_owned()))),
        None => (named(row, "response", errors), original),
    }
}

impl Importable for Recommendation {
    fn csv_columns() -> Columns {
        Columns {
            required: &["state_under_review", "session"],
            optional: &[
                "id",
                "cycle",
                "version",
                "created_at",
                "updated_at",
                "recommending_states",
                "review_year",
                "response",
                "response_original",
                "source_symbol",
                "source_paragraph",
                "action_category",
                "themes",
                "affected_persons",
                "sdg_targets",
                "external_refs",
                "paragraph",
                "sdg_goals",
                "themes_original",
                "affected_persons_original",
                "sources",
            ],
            multilingual: &[("text", true)],
        }
    }

    fn from_csv(row: &Row<'_>) -> CsvRead<RecommendationInput> {
        let mut errors = Vec::new();
        let session = row.integer("session", &mut errors);
        let (response, response_original) = response_cells(row, &mut errors);
        let input = RecommendationInput {
            state_under_review: row.country("state_under_review").unwrap_or_default(),
            recommending_states: row.countries("recommending_states"),
            session: session.unwrap_or_default(),
            review_year: row.integer("review_year", &mut errors),
            text: row.multilingual("text").unwrap_or_default(),
            response,
            response_original,
            source: row.get("source_symbol").map(|symbol| Source {
                symbol: symbol.to_owned(),
                paragraph: row.get("source_paragraph").map(str::to_owned),
            }),
            action_category: row.integer("action_category", &mut errors),
            themes: row.list("themes"),
            affected_persons: row.list("affected_persons"),
            sdg_targets: row.list("sdg_targets"),
            external_refs: external_refs(row, &mut errors),
            paragraph: row.get("paragraph").map(str::to_owned),
            sdg_goals: row.list("sdg_goals"),
            themes_original: row.list("themes_original"),
            affected_persons_original: row.list("affected_persons_original"),
            sources: row.list("sources"),
        };
        row_content(input, session.is_none().then_some("session"), errors)
    }

    /// A UPR Info export lists each recommending State on its own row, and a later export may
    /// add States: what it brings is added to what is known, so importing it again changes
    /// nothing.
    fn merge(
        existing: &RecommendationContent,
        incoming: RecommendationContent,
        format: Format,
    ) -> RecommendationContent {
        if format == Format::OhchrMatrix {
            return enriched_by_matrix(existing, incoming);
        }
        if format != Format::UprInfo {
            return incoming;
        }
        let mut merged = incoming;
        let mut states = existing.recommending_states.clone();
        add_missing(&mut states, std::mem::take(&mut merged.recommending_states));
        merged.recommending_states = states;
        let mut themes = existing.themes.clone();
        add_missing(&mut themes, std::mem::take(&mut merged.themes));
        merged.themes = themes;
        // What UPR Info does not carry is kept.
        merged.affected_persons = existing.affected_persons.clone();
        merged.sdg_targets = existing.sdg_targets.clone();
        merged.source = existing.source.clone();
        // A year given before stays; one derived from the session fills a gap.
        merged.review_year = existing.review_year.or(merged.review_year);
        merged.external_refs = existing.external_refs.clone();
        merged.paragraph = existing.paragraph.clone();
        merged.sdg_goals = existing.sdg_goals.clone();
        let mut themes_original = existing.themes_original.clone();
        add_missing(
            &mut themes_original,
            std::mem::take(&mut merged.themes_original),
        );
        merged.themes_original = themes_original;
        merged.affected_persons_original = existing.affected_persons_original.clone();
        let mut sources = existing.sources.clone();
        add_missing(&mut sources, std::mem::take(&mut merged.sources));
        merged.sources = sources;
        // The stored texts stay (one may be a matrix's, the official wording; decision 0013);
        // the export's fills the language it is written in when none is stored in it, unless
        // it is stored already under another (an import before its language was told).
        let mut text = existing.text.clone();
        for (language, incoming) in merged.text.texts() {
            let key = matching_key(incoming);
            if text.get(language).is_none()
                && !existing.text.texts().any(|(_, t)| matching_key(t) == key)
            {
                *text.slot_mut(language) = Some(incoming.to_owned());
            }
        }
        merged.text = text;
        // So does a matrix's position (OHCHR's is the official record), and any response
        // where the export gives none (`Pending` in an export older than the response).
        if merged.response.is_none()
            || existing
                .sources
                .iter()
                .any(|s| s == super::ohchr_matrix::SOURCE)
        {
            merged.response = existing.response;
            merged.response_original = existing.response_original.clone();
        }
        merged
    }

    /// A UPR Info export's or a matrix's text is the stored recommendation of the same review
    /// whose text has the same `matching_key` (decision 0013); the review's are read once.
    fn loose_match(
        conn: &mut crate::db::DbConnection,
        keys: &mut super::LooseKeys,
        content: &RecommendationContent,
        format: Format,
    ) -> diesel::QueryResult<Option<uuid::Uuid>> {
        if !matches!(format, Format::UprInfo | Format::OhchrMatrix) {
            return Ok(None);
        }
        let review = format!("{}|{}", content.state_under_review, content.session);
        if !keys.contains_key(&review) {
            let mut stored = std::collections::HashMap::new();
            let state = content.state_under_review.as_str();
            for rec in crate::db::recommendations::of_review(conn, state, content.session)? {
                for (_, text) in rec.content.text.texts() {
                    stored
                        .entry(matching_key(text))
                        .or_insert_with(|| rec.stored.id.into());
                }
                // The same recommendation in a language it is not stored in yet (a matrix in
                // French of a review stored from the English one): known by its paragraph and
                // its States, when no other recommendation shares them. Only a matrix asks.
                if format != Format::OhchrMatrix {
                    continue;
                }
                for language in Language::ALL {
                    if rec.content.text.get(language).is_none()
                        && let Some(key) = translation_key(language, &rec.content)
                    {
                        let id: uuid::Uuid = rec.stored.id.into();
                        stored
                            .entry(key)
                            .and_modify(|held| {
                                if *held != id {
                                    *held = uuid::Uuid::nil();
                                }
                            })
                            .or_insert(id);
                    }
                }
            }
            keys.insert(review.clone(), stored);
        }
        let stored = &keys[&review];
        if stored.is_empty() {
            // A review imported for the first time: nothing to match.
            return Ok(None);
        }
        let by_text = content
            .text
            .texts()
            .find_map(|(_, text)| stored.get(&matching_key(text)).copied());
        let by_paragraph = || {
            if format != Format::OhchrMatrix {
                return None;
            }
            let (language, _) = content.text.texts().next()?;
            let id = *stored.get(&translation_key(language, content)?)?;
            (!id.is_nil()).then_some(id)
        };
        Ok(by_text.or_else(by_paragraph))
    }

    fn from_upr_info(group: Group) -> Option<RecommendationInput> {
        Some(RecommendationInput {
            state_under_review: group.state_under_review,
            recommending_states: group.recommending_states,
            session: group.session,
            review_year: year_of_session(group.session),
            // In the language it reads as (`upr_info::read`).
            text: {
                let mut text = Multilingual::default();
                *text.slot_mut(group.language) = Some(group.text);
                text
            },
            response: group.response,
            response_original: group.response_original,
            source: None,
            action_category: group.action_category,
            themes: group.themes,
            affected_persons: vec![],
            sdg_targets: vec![],
            external_refs: vec![],
            paragraph: None,
            sdg_goals: vec![],
            themes_original: group.themes_original,
            affected_persons_original: vec![],
            sources: vec![super::upr_info::SOURCE.to_owned()],
        })
    }
}

/// What finds a recommendation of a review by its paragraph and recommending States when its
/// text is not stored in `language` ([`Importable::loose_match`]); none without a paragraph.
pub(super) fn translation_key(
    language: Language,
    content: &RecommendationContent,
) -> Option<String> {
    let paragraph = content.paragraph.as_deref()?;
    let mut states: Vec<&str> = content
        .recommending_states
        .iter()
        .map(|s| s.as_str())
        .collect();
    states.sort_unstable();
    Some(format!(
        "\u{1}{}\u{1}{paragraph}\u{1}{}",
        language.code(),
        states.join(",")
    ))
}

/// What a matrix row makes of a recommendation already stored (decision 0013): the stored
/// text stays (it is what the item is known by) and a language it lacks is added; the
/// position, its source and the paragraph are the matrix's, OHCHR's being the official record;
/// every list gains what it lacks; nothing else changes. Importing the same matrix again
/// changes nothing.
fn enriched_by_matrix(
    existing: &RecommendationContent,
    incoming: RecommendationContent,
) -> RecommendationContent {
    let mut merged = existing.clone();
    for (language, text) in incoming.text.texts() {
        let slot = merged.text.slot_mut(language);
        if slot.is_none() {
            *slot = Some(text.to_owned());
        }
    }
    if incoming.response.is_some() {
        merged.response = incoming.response;
        merged.response_original = incoming.response_original;
    }
    merged.source = incoming.source.or(merged.source);
    merged.paragraph = incoming.paragraph.or(merged.paragraph);
    merged.review_year = merged.review_year.or(incoming.review_year);
    add_missing(
        &mut merged.recommending_states,
        incoming.recommending_states,
    );
    add_missing(&mut merged.themes, incoming.themes);
    add_missing(&mut merged.themes_original, incoming.themes_original);
    add_missing(&mut merged.affected_persons, incoming.affected_persons);
    add_missing(
        &mut merged.affected_persons_original,
        incoming.affected_persons_original,
    );
    add_missing(&mut merged.sdg_goals, incoming.sdg_goals);
    add_missing(&mut merged.sdg_targets, incoming.sdg_targets);
    add_missing(&mut merged.sources, incoming.sources);
    merged
}

impl Importable for Stakeholder {
    fn csv_columns() -> Columns {
        Columns {
            required: &["kind"],
            optional: &[
                "id",
                "version",
                "created_at",
                "updated_at",
                "country",
                "nhri_accreditation",
                "website",
                "contact_name",
                "contact_email",
                "contact_phone",
                "themes",
                "languages",
                "regions",
                "external_refs",
            ],
            multilingual: &[("name", true), ("acronym", false)],
        }
    }

    fn from_csv(row: &Row<'_>) -> CsvRead<StakeholderInput> {
        let mut errors = Vec::new();
        let kind: Option<StakeholderKind> = named(row, "kind", &mut errors);
        let accreditation: Option<NhriAccreditation> =
            named(row, "nhri_accreditation", &mut errors);
        let contact = Contact {
            name: row.get("contact_name").map(str::to_owned),
            email: row.get("contact_email").map(str::to_owned),
            phone: row.get("contact_phone").map(str::to_owned),
        };
        let has_contact =
            contact.name.is_some() || contact.email.is_some() || contact.phone.is_some();
        let input = StakeholderInput {
            kind: kind.unwrap_or(StakeholderKind::Other),
            name: row.multilingual("name").unwrap_or_default(),
            acronym: row.multilingual("acronym"),
            country: row.country("country"),
            nhri_accreditation: accreditation,
            website: row.get("website").map(str::to_owned),
            contact: has_contact.then_some(contact),
            themes: row.list("themes"),
            languages: row.list("languages"),
            regions: row.list("regions"),
            external_refs: external_refs(row, &mut errors),
        };
        row_content(input, kind.is_none().then_some("kind"), errors)
    }

    /// Contact details a row leaves out are kept, as a replacement through the API keeps them.
    fn merge(
        existing: &StakeholderContent,
        incoming: StakeholderContent,
        _format: Format,
    ) -> StakeholderContent {
        app::stakeholders::keeping_contact(existing, incoming)
    }

    /// Registering stakeholders is `admin`'s: a row that names none registered says so.
    fn may_create(uploader: &Uploader) -> Result<(), String> {
        policy::may_register_stakeholder(&uploader.principal).map_err(|e| {
            format!(
                "This row names no registered stakeholder (by its `id`, a partner key, or its \
                 kind, country and name), so it would register one. {e}"
            )
        })
    }

    /// A contributor changes its own organisation, a State its own bodies, neither the fields
    /// only `admin` sets: as through the API.
    fn may_update(
        existing: &Stakeholder,
        incoming: &StakeholderContent,
        uploader: &Uploader,
    ) -> Result<(), String> {
        policy::may_edit_stakeholder(
            &uploader.principal,
            existing.stored.id,
            &existing.content,
            incoming,
        )
        .map_err(|e| e.to_string())
    }

    /// Names another organisation bears are `admin`'s to give, as through the API.
    fn may_write(
        conn: &mut DbConnection,
        existing: Option<&Self>,
        incoming: &StakeholderContent,
        uploader: &Uploader,
    ) -> Result<(), WriteError> {
        let Some(existing) = existing else {
            return Ok(());
        };
        app::stakeholders::not_borne_by_others(
            conn,
            &uploader.principal,
            existing.stored.id,
            &existing.content,
            incoming,
        )
        .map_err(|e| match e {
            app::Error::Db(e) => WriteError::Db(e),
            other => WriteError::Forbidden(other.to_string()),
        })
    }
}

/// What a cell may begin with for [`neutralise`] to prefix it: what a spreadsheet would run as
/// a formula, and `'` itself, so that the import can tell the prefix from a value's own `'`.
const GUARDED: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a leading tab or
/// carriage return) are written with a leading `'`, so an exported file opened in a
/// spreadsheet never executes what a submitter typed. A cell that begins with `'` gets one
/// too, so [`restore`] undoes exactly this and a value's own `'` survives a round trip.
pub fn neutralise(cell: String) -> String {
    if cell.starts_with(GUARDED) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// Undoes [`neutralise`] on an imported cell: one leading `'` goes when what follows it is
/// something `neutralise` prefixes; any other `'` is the value's own.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(GUARDED) => rest,
        _ => cell,
    }
}

pub(super) fn joined(values: &[impl AsRef<str>]) -> String {
    let values: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
    values.join("|")
}

pub(super) fn refs_cell(refs: &[ExternalRef]) -> String {
    refs.iter()
        .map(|r| format!("{}:{}", r.source, r.external_id))
        .collect::<Vec<_>>()
        .join("|")
}

pub(super) fn languages_of(m: Option<&Multilingual>) -> Vec<String> {
    crate::domain::Language::ALL
        .iter()
        .map(|l| m.and_then(|m| m.get(*l)).unwrap_or("").to_owned())
        .collect()
}

pub(super) fn language_columns(field: &str) -> Vec<String> {
    crate::domain::Language::ALL
        .iter()
        .map(|l| format!("{field}__{}", l.code()))
        .collect()
}

/// An item as a CSV row in the import columns, plus the read-only ones (id, version, …), so
/// an export can be edited and imported again.
pub trait CsvExport {
    fn csv_header() -> Vec<String>;
    fn csv_record(&self) -> Vec<String>;
}

impl CsvExport for Recommendation {
    fn csv_header() -> Vec<String> {
        let mut h: Vec<String> = ["id", "state_under_review", "session", "cycle"]
            .map(String::from)
            .to_vec();
        h.extend(language_columns("text"));
        h.extend(
            [
                "recommending_states",
                "review_year",
                "response",
                "response_original",
                "source_symbol",
                "source_paragraph",
                "action_category",
                "themes",
                "affected_persons",
                "sdg_targets",
                "external_refs",
                "paragraph",
                "sdg_goals",
                "themes_original",
                "affected_persons_original",
                "sources",
                "version",
                "created_at",
                "updated_at",
            ]
            .map(String::from),
        );
        h
    }

    fn csv_record(&self) -> Vec<String> {
        let c = &self.content;
        let mut r = vec![
            self.stored.id.to_string(),
            c.state_under_review.to_string(),
            c.session.to_string(),
            self.cycle.to_string(),
        ];
        r.extend(languages_of(Some(&c.text)));
        r.extend([
            joined(&c.recommending_states),
            c.review_year.map(|y| y.to_string()).unwrap_or_default(),
            c.response
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
            c.response_original.clone().unwrap_or_default(),
            c.source
                .as_ref()
                .map(|s| s.symbol.clone())
                .unwrap_or_default(),
            c.source
                .as_ref()
                .and_then(|s| s.paragraph.clone())
                .unwrap_or_default(),
            c.action_category.map(|a| a.to_string()).unwrap_or_default(),
            joined(&c.themes),
            joined(&c.affected_persons),
            joined(&c.sdg_targets),
            refs_cell(&c.external_refs),
            c.paragraph.clone().unwrap_or_default(),
            joined(&c.sdg_goals),
            joined(&c.themes_original),
            joined(&c.affected_persons_original),
            joined(&c.sources),
            self.stored.version.to_string(),
            crate::db::time::rfc3339(self.stored.created_at),
            crate::db::time::rfc3339(self.stored.updated_at),
        ]);
        r.into_iter().map(neutralise).collect()
    }
}

impl CsvExport for Stakeholder {
    fn csv_header() -> Vec<String> {
        let mut h: Vec<String> = ["id", "kind"].map(String::from).to_vec();
        h.extend(language_columns("name"));
        h.extend(language_columns("acronym"));
        h.extend(
            [
                "country",
                "nhri_accreditation",
                "website",
                "contact_name",
                "contact_email",
                "contact_phone",
                "themes",
                "languages",
                "regions",
                "external_refs",
                "version",
                "created_at",
                "updated_at",
            ]
            .map(String::from),
        );
        h
    }

    fn csv_record(&self) -> Vec<String> {
        let c = &self.content;
        let contact = c.contact.as_ref();
        let mut r = vec![self.stored.id.to_string(), c.kind.as_str().to_owned()];
        r.extend(languages_of(Some(&c.name)));
        r.extend(languages_of(c.acronym.as_ref()));
        r.extend([
            c.country
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_default(),
            c.nhri_accreditation
                .map(|a| format!("{a:?}"))
                .unwrap_or_default(),
            c.website.clone().unwrap_or_default(),
            contact.and_then(|x| x.name.clone()).unwrap_or_default(),
            contact.and_then(|x| x.email.clone()).unwrap_or_default(),
            contact.and_then(|x| x.phone.clone()).unwrap_or_default(),
            joined(&c.themes),
            joined(&c.languages),
            joined(&c.regions),
            refs_cell(&c.external_refs),
            self.stored.version.to_string(),
            crate::db::time::rfc3339(self.stored.created_at),
            crate::db::time::rfc3339(self.stored.updated_at),
        ]);
        r.into_iter().map(neutralise).collect()
    }
}
