//! Activities as IATI 2.03 activity XML (`iati-activities`), so that aid-transparency tools
//! (d-portal, the IATI datastore, national aid-management systems) read them as they read any
//! IATI publisher's file.
//!
//! Identifiers. IATI wants every activity identifier to be globally unique and stable, and
//! every organisation to carry a `ref`. This repository's stakeholders have no registered IATI
//! organisation identifiers, so both are minted under one project-owned prefix, [`PREFIX`]:
//! `XI-UPRTC-{stakeholder uuid}` for an organisation, and for an activity its reporting
//! organisation's `ref`, a hyphen and the activity's UUID (`XI-UPRTC-{submitter}-{activity}`),
//! as the IATI Standard's rule 1.1.21 wants every activity identifier to begin. An activity
//! keeps its id, and its submitter unless `admin` names another (a new reporting organisation,
//! so a new identifier); the identifier written before this rule was kept (`XI-UPRTC-{activity
//! uuid}`, which never changes) is given as an `other-identifier` of type B1 (previous activity
//! identifier), so that a consumer that stored it finds the activity again. The prefix says whose identifier it is and keeps it
//! apart from real registration agencies' (`XM-DAC-…`, `GB-COH-…`). `XI-UPRTC` is not an
//! agency code on the IATI organisation-registration-agency list: a consumer that checks
//! identifiers against that list will flag it, which is the truth (none of these organisations
//! has been registered).
//!
//! The mapping, element by element, in the order the schema's sequence wants:
//! - `iati-activity`: `last-updated-datetime` from `updated_at`, `xml:lang="en"` (the default
//!   language; every narrative says its language anyway), `default-currency` from the budget.
//! - `reporting-org`: the submitter (type: its kind's IATI OrganisationType, from the reference
//!   data).
//! - `title`, `description`: one `narrative` per language. Description type 1 (general) is the
//!   summary, or the title again when there is none (IATI requires a description); results and
//!   lessons learned are descriptions of type 4 (other), in that order: IATI's `result` element
//!   needs indicators this repository does not hold.
//! - `participating-org`: each participant in its IATI role; the submitter too, as role 2
//!   (accountable: it answers for the record), when it is not among them in any role.
//! - `activity-status`, `activity-date` (types 1–4 from the planned and actual dates).
//! - `activity-scope`: 4 (national) for one State concerned, 3 (multi-national) for several.
//! - `recipient-country`: each State concerned by its ISO alpha-2 code; with several, the
//!   percentages split 100 evenly (in hundredths, the last one takes the remainder).
//! - `sector`: DAC 5-digit code 15160 (Human rights), 100 %.
//! - `tag`: each SDG goal (vocabulary 2) and target (vocabulary 3), then each linked UPR
//!   recommendation: vocabulary 99 (the reporting organisation's own), its id as the code, and
//!   a narrative naming it (IATI tools keep tags of any vocabulary; no IATI codelist holds UPR
//!   recommendations).
//! - `budget`: type 1 (original), status 1 (indicative), over the planned period: only when the
//!   budget and both planned dates are known, since IATI requires the period. IATI's rules
//!   allow a budget period of a year at most, so a longer period is cut into years from the
//!   planned start (the last one shorter), the amount shared among them by their days (in the
//!   amount's own decimals, the last taking the remainder, so that they add up to it), each
//!   valued at its start.
//! - `document-link`: each document, its format guessed from the address (a page when the
//!   address has no file extension), category A08 (results, outcomes and outputs: what the
//!   reports and publications about an activity are), its title or else its address.
//!
//! Not mapped: themes, modality, funding sources, good practice and peer-to-peer flags (no
//! IATI codelist holds them), and partner keys.
//!
//! Every text goes through quick-xml's writer, which escapes it; characters XML 1.0 cannot
//! carry at all (control characters, which the API accepts) become U+FFFD.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::io::{self, Write};

use crate::domain::{ActivityId, StakeholderId};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::domain::Multilingual;
use crate::domain::activity::{Activity, DocumentLink};
use crate::domain::stakeholder::Stakeholder;
use crate::reference::reference;

/// The media type clients ask for.
pub const XML: &str = "application/xml";
/// The IATI standard version written.
pub const VERSION: &str = "2.03";
/// The project-owned prefix of the identifiers minted here (see the module's documentation).
pub const PREFIX: &str = "XI-UPRTC";
/// OECD DAC CRS purpose code (sector vocabulary 1) of every activity: Human rights.
pub const HUMAN_RIGHTS_SECTOR: &str = "15160";
/// IATI DocumentCategory of every document: A08, results, outcomes and outputs.
pub const DOCUMENT_CATEGORY: &str = "A08";

/// The stakeholders an activity names, by id, for their names and kinds.
pub type Organisations = HashMap<StakeholderId, Stakeholder>;

/// The IATI activity identifier of an activity: its reporting organisation's `ref`, a hyphen,
/// and its id (rule 1.1.21).
pub fn activity_identifier(submitter: StakeholderId, id: ActivityId) -> String {
    format!("{}-{id}", organisation_ref(submitter))
}

/// The identifier an activity had before [`activity_identifier`] began with its reporting
/// organisation's `ref`; written as its previous identifier.
pub fn previous_identifier(id: ActivityId) -> String {
    format!("{PREFIX}-{id}")
}

/// IATI OtherIdentifierType B1: previous activity identifier.
const PREVIOUS_IDENTIFIER: &str = "B1";
/// IATI TagVocabulary 99: the reporting organisation's own; the tags of linked recommendations.
const OWN_VOCABULARY: &str = "99";

/// The IATI organisation reference of a stakeholder.
pub fn organisation_ref(id: StakeholderId) -> String {
    format!("{PREFIX}-{id}")
}

/// The stakeholders `activities` name (submitters and participants), to load before writing.
pub fn named_stakeholders<'a>(
    activities: impl IntoIterator<Item = &'a Activity>,
) -> Vec<StakeholderId> {
    let mut ids = BTreeSet::new();
    for a in activities {
        ids.extend(a.content.submitter);
        ids.extend(a.content.participants.iter().map(|p| p.stakeholder));
    }
    ids.into_iter().collect()
}

/// An `iati-activities` document written piece by piece into memory: [`Self::take`] hands
/// over what is written so far, so an export sends it page by page and holds one page at most.
pub struct Activities {
    writer: Writer<Vec<u8>>,
}

/// Writing into a `Vec` cannot fail; quick-xml's signatures say `io::Result` for every sink.
const IN_MEMORY: &str = "writing XML into memory cannot fail";

impl Activities {
    /// The XML declaration and the root's start tag.
    pub fn start(generated: DateTime<Utc>) -> Self {
        let mut writer = Writer::new_with_indent(Vec::new(), b' ', 1);
        let generated = datetime(generated);
        let root = BytesStart::new("iati-activities").with_attributes([
            ("version", VERSION),
            ("generated-datetime", generated.as_str()),
        ]);
        writer
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
            .and_then(|()| writer.write_event(Event::Start(root)))
            .expect(IN_MEMORY);
        Self { writer }
    }

    /// Writes one activity; `organisations` holds the stakeholders it names (those missing
    /// are written with their reference only).
    pub fn push(&mut self, activity: &Activity, organisations: &Organisations) {
        write_activity(&mut self.writer, activity, organisations).expect(IN_MEMORY);
    }

    /// What is written and not taken yet.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(self.writer.get_mut())
    }

    /// The root's end tag, and what was not taken yet.
    pub fn finish(mut self) -> Vec<u8> {
        self.writer
            .write_event(Event::End(BytesEnd::new("iati-activities")))
            .expect(IN_MEMORY);
        let mut out = self.take();
        out.push(b'\n');
        out
    }
}

/// A whole document holding `activities`.
pub fn document(
    activities: &[Activity],
    organisations: &Organisations,
    generated: DateTime<Utc>,
) -> Vec<u8> {
    let mut doc = Activities::start(generated);
    for a in activities {
        doc.push(a, organisations);
    }
    doc.finish()
}

fn datetime(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The text with every character XML 1.0 cannot carry replaced by U+FFFD.
fn xml_chars(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && !matches!(c, '\u{fffe}' | '\u{ffff}'))
    };
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(
            text.chars()
                .map(|c| if allowed(c) { c } else { '\u{fffd}' })
                .collect(),
        )
    }
}

/// One `narrative` per language present, each saying its language.
fn narratives<W: Write>(w: &mut Writer<W>, text: &Multilingual) -> io::Result<()> {
    for (language, t) in text.texts() {
        w.create_element("narrative")
            .with_attribute(("xml:lang", language.code()))
            .write_text_content(BytesText::new(&xml_chars(t)))?;
    }
    Ok(())
}

/// A `narrative` in the activity's default language (English) or no language in particular.
fn plain_narrative<W: Write>(w: &mut Writer<W>, text: &str) -> io::Result<()> {
    w.create_element("narrative")
        .write_text_content(BytesText::new(&xml_chars(text)))?;
    Ok(())
}

/// An element whose content is narratives.
fn text_element<W: Write>(
    w: &mut Writer<W>,
    name: &str,
    attributes: &[(&str, &str)],
    text: &Multilingual,
) -> io::Result<()> {
    w.create_element(name)
        .with_attributes(attributes.iter().copied())
        .write_inner_content(|w| narratives(w, text))?;
    Ok(())
}

/// What IATI says of an organisation: its reference, type and names.
struct Organisation<'a> {
    reference: String,
    kind: Option<&'a str>,
    name: Option<&'a Multilingual>,
}

fn organisation(id: StakeholderId, organisations: &Organisations) -> Organisation<'_> {
    let found = organisations.get(&id);
    Organisation {
        reference: organisation_ref(id),
        kind: found.map(|s| {
            let kind = s.content.kind.as_str();
            reference()
                .stakeholder_kinds
                .iter()
                .find(|k| k.code == kind)
                .and_then(|k| k.iati_organisation_type.as_deref())
                // 90: Other.
                .unwrap_or("90")
        }),
        name: found.map(|s| &s.content.name),
    }
}

/// `reporting-org`: the submitter. Its `type` and a narrative are required: a submitter that
/// could not be read (which the database's references prevent) is written as type 90 (other)
/// named by its reference.
fn reporting_org<W: Write>(w: &mut Writer<W>, org: &Organisation) -> io::Result<()> {
    w.create_element("reporting-org")
        .with_attributes([
            ("ref", org.reference.as_str()),
            ("type", org.kind.unwrap_or("90")),
        ])
        .write_inner_content(|w| match org.name {
            Some(name) => narratives(w, name),
            None => plain_narrative(w, &org.reference),
        })?;
    Ok(())
}

fn participating_org<W: Write>(
    w: &mut Writer<W>,
    org: &Organisation,
    role: &str,
) -> io::Result<()> {
    let mut element = w
        .create_element("participating-org")
        .with_attributes([("ref", org.reference.as_str()), ("role", role)]);
    if let Some(kind) = org.kind {
        element = element.with_attribute(("type", kind));
    }
    match org.name {
        Some(name) => element.write_inner_content(|w| narratives(w, name))?,
        None => element.write_empty()?,
    };
    Ok(())
}

/// A budget's periods of a year at most from `start` to `end` (both included), each with its
/// share of `amount` by its days: the shares are in the amount's decimals and add up to it.
fn budget_periods(
    start: NaiveDate,
    end: NaiveDate,
    amount: &str,
) -> Vec<(NaiveDate, NaiveDate, String)> {
    let mut periods = Vec::new();
    let mut from = start;
    loop {
        let year_end = from
            .checked_add_months(chrono::Months::new(12))
            .and_then(|d| d.pred_opt())
            .unwrap_or(end);
        let to = year_end.min(end);
        periods.push((from, to));
        match to.succ_opt() {
            Some(next) if to < end => from = next,
            _ => break,
        }
    }
    // The amount as a whole number of its smallest unit (`25000.50`: 2500050 hundredths).
    let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    let units: Option<i128> = format!("{whole}{fraction}").parse().ok();
    let (Some(units), true) = (units, periods.len() > 1) else {
        return periods
            .into_iter()
            .map(|(from, to)| (from, to, amount.to_owned()))
            .collect();
    };
    let days = |from: NaiveDate, to: NaiveDate| i128::from((to - from).num_days() + 1);
    let total = days(start, end).max(1);
    let format = |u: i128| {
        let digits = format!("{u:0width$}", width = fraction.len() + 1);
        let (w, f) = digits.split_at(digits.len() - fraction.len());
        if f.is_empty() {
            w.to_owned()
        } else {
            format!("{w}.{f}")
        }
    };
    let mut left = units;
    let last = periods.len() - 1;
    periods
        .into_iter()
        .enumerate()
        .map(|(i, (from, to))| {
            let share = if i == last {
                left
            } else {
                units * days(from, to) / total
            };
            left -= share;
            (from, to, format(share))
        })
        .collect()
}

/// `n` percentages that add up to exactly 100, in hundredths: even shares, the last one
/// taking the remainder.
fn shares(n: usize) -> Vec<String> {
    if n == 0 {
        return vec![];
    }
    let each = 10_000 / n as u32;
    let last = 10_000 - each * (n as u32 - 1);
    let format = |h: u32| {
        if h.is_multiple_of(100) {
            format!("{}", h / 100)
        } else {
            format!("{}.{:02}", h / 100, h % 100)
        }
    };
    (0..n)
        .map(|i| format(if i + 1 == n { last } else { each }))
        .collect()
}

/// The IATI FileFormat (a media type) of a document, from its address's file extension; an
/// address without one is taken for a web page.
fn document_format(url: &str) -> &'static str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    let Some((_, path)) = path.split_once('/') else {
        return "text/html";
    };
    let file = path.rsplit('/').next().unwrap_or_default();
    let Some((_, extension)) = file.rsplit_once('.') else {
        return "text/html";
    };
    match extension.to_ascii_lowercase().as_str() {
        "pdf" => "application/pdf",
        "htm" | "html" | "php" | "asp" | "aspx" | "jsp" => "text/html",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "xml" => "application/xml",
        "json" => "application/json",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "zip" => "application/zip",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

fn document_link<W: Write>(w: &mut Writer<W>, d: &DocumentLink) -> io::Result<()> {
    let url = xml_chars(&d.url);
    w.create_element("document-link")
        .with_attributes([("url", url.as_ref()), ("format", document_format(&d.url))])
        .write_inner_content(|w| {
            w.create_element("title").write_inner_content(|w| {
                plain_narrative(w, d.title.as_deref().unwrap_or(&d.url))
            })?;
            w.create_element("category")
                .with_attribute(("code", DOCUMENT_CATEGORY))
                .write_empty()?;
            if let Some(language) = &d.language {
                w.create_element("language")
                    .with_attribute(("code", language.as_str()))
                    .write_empty()?;
            }
            Ok(())
        })?;
    Ok(())
}

fn date_element<W: Write>(
    w: &mut Writer<W>,
    name: &str,
    kind: Option<&str>,
    date: NaiveDate,
) -> io::Result<()> {
    let date = date.to_string();
    let mut element = w.create_element(name);
    if let Some(kind) = kind {
        element = element.with_attribute(("type", kind));
    }
    element
        .with_attribute(("iso-date", date.as_str()))
        .write_empty()?;
    Ok(())
}

fn write_activity<W: Write>(
    w: &mut Writer<W>,
    a: &Activity,
    organisations: &Organisations,
) -> io::Result<()> {
    let c = &a.content;
    let updated = datetime(a.stored.updated_at);
    let mut element = w.create_element("iati-activity").with_attributes([
        ("last-updated-datetime", updated.as_str()),
        ("xml:lang", "en"),
    ]);
    if let Some(budget) = &c.budget {
        element = element.with_attribute(("default-currency", budget.currency.as_str()));
    }
    element.write_inner_content(|w| {
        // The submitter is always set on a stored activity; the nil id stands for one that is
        // not, which the reader then sees as an unknown organisation.
        let submitter_id = c.submitter.unwrap_or_default();
        w.create_element("iati-identifier").write_text_content(BytesText::new(
            &activity_identifier(submitter_id, a.stored.id),
        ))?;
        let submitter = organisation(submitter_id, organisations);
        reporting_org(w, &submitter)?;

        text_element(w, "title", &[], &c.title)?;
        text_element(w, "description", &[("type", "1")], c.summary.as_ref().unwrap_or(&c.title))?;
        for text in [&c.results, &c.lessons_learned].into_iter().flatten() {
            text_element(w, "description", &[("type", "4")], text)?;
        }

        for p in &c.participants {
            let org = organisation(p.stakeholder, organisations);
            participating_org(w, &org, p.role.iati_code())?;
        }
        if !c.participants.iter().any(|p| p.stakeholder == submitter_id) {
            participating_org(w, &submitter, "2")?;
        }
        w.create_element("other-identifier")
            .with_attributes([
                ("ref", previous_identifier(a.stored.id).as_str()),
                ("type", PREVIOUS_IDENTIFIER),
            ])
            .write_empty()?;

        w.create_element("activity-status")
            .with_attribute(("code", c.status.iati_code()))
            .write_empty()?;
        let dates = [
            ("1", c.planned_start),
            ("2", c.actual_start),
            ("3", c.planned_end),
            ("4", c.actual_end),
        ];
        let mut dated = false;
        for (kind, date) in dates {
            if let Some(date) = date {
                date_element(w, "activity-date", Some(kind), date)?;
                dated = true;
            }
        }
        if !dated {
            // IATI requires a date; with none given, the day the activity was recorded stands
            // as its planned start, and says so.
            let recorded = a.stored.created_at.date_naive().to_string();
            w.create_element("activity-date")
                .with_attributes([("type", "1"), ("iso-date", recorded.as_str())])
                .write_inner_content(|w| {
                    w.create_element("narrative")
                        .with_attribute(("xml:lang", "en"))
                        .write_text_content(BytesText::new(
                            "No date was given: the date the activity was recorded in the repository.",
                        ))?;
                    Ok(())
                })?;
        }

        let countries: Vec<&str> = c
            .states_concerned
            .iter()
            .filter_map(|s| reference().country(s.as_str()))
            .map(|country| country.alpha2.as_str())
            .collect();
        if !countries.is_empty() {
            let scope = if countries.len() == 1 { "4" } else { "3" };
            w.create_element("activity-scope")
                .with_attribute(("code", scope))
                .write_empty()?;
        }
        let percentages = shares(countries.len());
        for (code, percentage) in countries.iter().zip(&percentages) {
            let mut element = w
                .create_element("recipient-country")
                .with_attribute(("code", *code));
            if countries.len() > 1 {
                element = element.with_attribute(("percentage", percentage.as_str()));
            }
            element.write_empty()?;
        }

        w.create_element("sector")
            .with_attributes([
                ("vocabulary", "1"),
                ("code", HUMAN_RIGHTS_SECTOR),
                ("percentage", "100"),
            ])
            .write_empty()?;

        let goals: BTreeSet<(u32, &str)> = c
            .sdg_targets
            .iter()
            .filter_map(|t| reference().sdg_target(t))
            .map(|t| (t.goal.parse().unwrap_or(u32::MAX), t.goal.as_str()))
            .collect();
        for (_, goal) in goals {
            w.create_element("tag")
                .with_attributes([("vocabulary", "2"), ("code", goal)])
                .write_empty()?;
        }
        for target in &c.sdg_targets {
            w.create_element("tag")
                .with_attributes([("vocabulary", "3"), ("code", xml_chars(target).as_ref())])
                .write_empty()?;
        }
        for recommendation in &c.recommendations {
            let code = recommendation.to_string();
            w.create_element("tag")
                .with_attributes([("vocabulary", OWN_VOCABULARY), ("code", code.as_str())])
                .write_inner_content(|w| {
                    plain_narrative(w, &format!("UPR recommendation {code}"))
                })?;
        }

        if let (Some(budget), Some(start), Some(end)) = (&c.budget, c.planned_start, c.planned_end)
        {
            for (from, to, value) in budget_periods(start, end, &budget.amount) {
                w.create_element("budget")
                    .with_attributes([("type", "1"), ("status", "1")])
                    .write_inner_content(|w| {
                        date_element(w, "period-start", None, from)?;
                        date_element(w, "period-end", None, to)?;
                        let value_date = from.to_string();
                        w.create_element("value")
                            .with_attributes([
                                ("currency", budget.currency.as_str()),
                                ("value-date", value_date.as_str()),
                            ])
                            .write_text_content(BytesText::new(&xml_chars(&value)))?;
                        Ok(())
                    })?;
            }
        }

        for d in &c.documents {
            document_link(w, d)?;
        }
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests;
