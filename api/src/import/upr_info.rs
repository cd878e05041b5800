//! The UPR Info database export: `To, To-Rgrp, To-Org, Text, From, From-Rgrp, From-Org,
//! Response, Action, Issue, Session`, one row per recommending State, in UPR Info's own
//! spelling of country names, with HTML entities here and there, saved in Mac Roman by older
//! exports. Rows with the same State under review, session and text are one recommendation;
//! they come together within each State's review, which is read as a block.

use std::io::Read;

use super::columns::{listed, records};
use super::{Counts, ImportError, Importable, Item, RowError, Sink};
use crate::domain::CountryCode;
use crate::domain::recommendation::{Response, matching_key};
use crate::domain::validate::add_missing;
use crate::reference::reference;

/// The name an import gives this source in a recommendation's `sources`.
pub const SOURCE: &str = "upr-info";

/// The labels `themes_original` takes (`Recommendation`'s own check): a row naming more is
/// refused, so more are not held.
const MAX_THEMES_ORIGINAL: usize = 100;

const REQUIRED: [&str; 7] = [
    "To", "Text", "From", "Response", "Action", "Issue", "Session",
];
const KNOWN: [&str; 11] = [
    "To",
    "To-Rgrp",
    "To-Org",
    "Text",
    "From",
    "From-Rgrp",
    "From-Org",
    "Response",
    "Action",
    "Issue",
    "Session",
];

/// The rows of one recommendation, already mapped to the repository's codes.
#[derive(Debug, Clone)]
pub struct Group {
    pub line: u64,
    pub state_under_review: String,
    pub session: i64,
    pub text: String,
    pub recommending_states: Vec<String>,
    pub response: Option<Response>,
    pub response_original: Option<String>,
    pub action_category: Option<i64>,
    pub themes: Vec<String>,
    /// Issues the UPR Info vocabulary of `api/reference` does not have (UPR Info adds some
    /// from time to time), kept as written.
    pub themes_original: Vec<String>,
    /// The language `text` reads as (the export does not say): English unless it is clearly
    /// another.
    pub language: crate::domain::Language,
    /// What of the row is not imported as written: as many as a report lists of one row, and
    /// how many more there were.
    pub warnings: Vec<RowError>,
    pub warnings_not_listed: u64,
}

/// The UPR Info column a field error belongs to.
pub fn column_of(pointer: &str) -> String {
    match super::field_of(pointer) {
        "state_under_review" => "To",
        "recommending_states" => "From",
        "text" => "Text",
        "session" => "Session",
        "response" | "response_original" => "Response",
        "action_category" => "Action",
        "themes" => "Issue",
        other => other,
    }
    .to_owned()
}

/// The States an export names, each looked up once: an export names some two hundred States in
/// tens of thousands of rows, and a look-up folds the name first.
#[derive(Default)]
struct States(std::collections::HashMap<String, Result<String, String>>);

impl States {
    fn of(&mut self, name: &str) -> Result<String, String> {
        if let Some(known) = self.0.get(name) {
            return known.clone();
        }
        let found = CountryCode::lookup(name)
            .ok()
            .and_then(|c| CountryCode::parse_state(c.as_str()).ok())
            .map(|c| c.to_string())
            .ok_or_else(|| {
                format!("`{name}` is not a UN member or observer State this repository knows")
            });
        self.0.insert(name.to_owned(), found.clone());
        found
    }
}

struct Cells<'a> {
    headers: &'a [String],
    values: &'a [String],
}

impl Cells<'_> {
    fn get(&self, column: &str) -> String {
        let i = self
            .headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(column));
        let raw = i
            .and_then(|i| self.values.get(i))
            .map(String::as_str)
            .unwrap_or("");
        html_escape::decode_html_entities(raw).trim().to_owned()
    }
}

/// A whole number, also as a spreadsheet may have written it (`35.0`).
fn whole_number(cell: &str) -> Option<i64> {
    cell.parse::<i64>().ok().or_else(|| {
        let n = cell.parse::<f64>().ok()?;
        (n.fract() == 0.0 && n.abs() < 1e6).then_some(n as i64)
    })
}

/// Whether a `From` cell says that the recommending State is not known (UPR Info writes
/// `(Unknown)`).
fn names_no_state(cell: &str) -> bool {
    cell.trim_matches(|c| c == '(' || c == ')')
        .trim()
        .eq_ignore_ascii_case("unknown")
}

/// Whether a row's cells are the header's names, each in its place.
fn repeats_header(headers: &[String], values: &[String]) -> bool {
    headers.len() >= REQUIRED.len()
        && headers
            .iter()
            .zip(values.iter().chain(std::iter::repeat(&String::new())))
            .all(|(h, v)| v.trim().eq_ignore_ascii_case(h.trim()))
}

/// One row, mapped; or the reasons it cannot be.
fn row(cells: &Cells<'_>, line: u64, states: &mut States) -> Result<Group, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut err = |column: &str, code: &str, message: String| {
        errors.push(RowError::in_column(line, column, code, message))
    };
    let to_cell = cells.get("To");
    let to = if to_cell.is_empty() {
        // A spreadsheet's merged cells keep the value in the first row of the merge only.
        err(
            "To",
            "blank",
            "the cell is empty: every row names the State under review (cells merged in a \
             spreadsheet keep their value in the first row only: unmerge them, filling each row)"
                .into(),
        );
        None
    } else {
        states
            .of(&to_cell)
            .map_err(|m| err("To", "unknown_country", m))
            .ok()
    };
    // UPR Info attributes some recommendations of the first sessions to no State
    // (`(Unknown)`): they are imported with none, and gain the States of other rows of
    // their text.
    let from_cell = cells.get("From");
    let from = if names_no_state(&from_cell) {
        Some(None)
    } else if from_cell.is_empty() {
        err(
            "From",
            "blank",
            "the cell is empty: every row names the recommending State, or `(Unknown)`".into(),
        );
        None
    } else {
        states
            .of(&from_cell)
            .map(Some)
            .map_err(|m| err("From", "unknown_country", m))
            .ok()
    };
    let text = cells.get("Text");
    if text.is_empty() {
        err("Text", "blank", "the recommendation has no text".into());
    }
    let session_cell = cells.get("Session");
    let session = whole_number(&session_cell)
        .ok_or_else(|| {
            let message = if session_cell.is_empty() {
                "the cell is empty: every row names the session of its review".to_owned()
            } else {
                format!("`{session_cell}` is not a session number")
            };
            err("Session", "not_a_number", message)
        })
        .ok();
    let original = cells.get("Response");
    let response = if original.is_empty() || Response::awaited(&original) {
        None
    } else {
        let r = Response::from_original(&original);
        if r.is_none() {
            err(
                "Response",
                "unknown_response",
                format!(
                    "`{original}` is not a position this service reads: {} (nor Pending, or an \
                     empty cell, for a recommendation not responded to yet)",
                    Response::READ
                ),
            );
        }
        r
    };
    let action_cell = cells.get("Action");
    let action_category = if action_cell.is_empty() {
        None
    } else {
        match whole_number(&action_cell) {
            Some(n) if (1..=5).contains(&n) => Some(n),
            _ => {
                err(
                    "Action",
                    "out_of_range",
                    format!("`{action_cell}` is not an action category from 1 to 5"),
                );
                None
            }
        }
    };
    let (mut themes, mut themes_original) = (Vec::<String>::new(), Vec::<String>::new());
    let (mut warnings, mut warnings_not_listed) = (Vec::new(), 0);
    if matches!(from, Some(None)) {
        warnings.push(RowError::in_column(
            line,
            "From",
            "no_recommending_state",
            format!(
                "`{from_cell}`: the export names no recommending State on this row; imported \
                 without one (the other rows of its text add theirs)"
            ),
        ));
    }
    for issue in cells
        .get("Issue")
        .split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        match reference().theme_of_upr_info_issue(issue) {
            Some(code) if !themes.iter().any(|t| t == code) => themes.push(code.to_owned()),
            Some(_) => {}
            // Past a row's cap of listed warnings, and past what `themes_original` takes (the
            // row is refused then), an `Issue` cell of a million names holds nothing more.
            None => {
                if warnings.len() == super::MAX_ROW_ERRORS {
                    warnings_not_listed += 1;
                } else {
                    warnings.push(RowError::in_column(
                        line,
                        "Issue",
                        "unknown_issue",
                        format!(
                            "`{issue}` is not an issue of the UPR Info vocabulary: kept as \
                             written (`themes_original`)"
                        ),
                    ));
                }
                if themes_original.len() <= MAX_THEMES_ORIGINAL {
                    add_missing(&mut themes_original, vec![issue.to_owned()]);
                }
            }
        }
    }
    match (to, from, session, errors.is_empty()) {
        (Some(to), Some(from), Some(session), true) => Ok(Group {
            line,
            state_under_review: to,
            session,
            text,
            recommending_states: from.into_iter().collect(),
            response,
            response_original: (!original.is_empty()).then_some(original),
            action_category,
            themes,
            themes_original,
            // Told once a text's first row is read (`read`).
            language: crate::domain::Language::En,
            warnings,
            warnings_not_listed,
        }),
        _ => Err(errors),
    }
}

/// Whether a CSV header is a UPR Info export's: every column the export always has (others
/// beside them, as a later export may add, are passed over).
pub fn is_export_header(headers: &[String]) -> bool {
    REQUIRED
        .iter()
        .all(|r| headers.iter().any(|h| h.trim().eq_ignore_ascii_case(r)))
}

/// A UPR Info export's header: every column it needs. The columns it does not know are
/// returned, to be passed over with a warning: UPR Info adds columns to its exports from time to
/// time, and the rows are no less readable for them.
fn check_header(headers: &[String]) -> Result<Vec<String>, ImportError> {
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|r| !headers.iter().any(|h| h.trim().eq_ignore_ascii_case(r)))
        .collect();
    if !missing.is_empty() {
        // What it has instead, so that a renamed heading (`State under Review` for `To`) is
        // seen at once; a header of hundreds of columns is named in part.
        let found: Vec<&str> = headers
            .iter()
            .map(|h| h.trim())
            .filter(|h| !h.is_empty())
            .take(20)
            .collect();
        return Err(ImportError::File(format!(
            "This is not a UPR Info export: missing column(s): {}; its header names {} (a UPR \
             Info export's columns are To, Text, From, Response, Action, Issue and Session, with \
             To-Rgrp, To-Org, From-Rgrp and From-Org).",
            listed(&missing),
            if found.is_empty() {
                "no column".to_owned()
            } else {
                listed(&found)
            }
        )));
    }
    // Which of two columns of one name holds a recommendation's values is anyone's guess.
    if let Some(twice) = KNOWN.iter().find(|k| {
        headers
            .iter()
            .filter(|h| h.trim().eq_ignore_ascii_case(k))
            .count()
            > 1
    }) {
        return Err(ImportError::File(format!(
            "The UPR Info export's header names the column {twice} twice: keep one."
        )));
    }
    Ok(headers
        .iter()
        .filter(|h| !KNOWN.iter().any(|k| h.trim().eq_ignore_ascii_case(k)))
        .cloned()
        .collect())
}

/// The encoding of a UPR Info export that names none, from the whole file: UPR Info's own
/// exports are Mac Roman, and the same file saved again by a spreadsheet on Windows is
/// windows-1252, which Mac Roman reads without an error as other letters (`HabrÈ` for
/// `Habré`; the text then never matches the right one again). Each line that is not UTF-8 is
/// read both ways and each reading counts the letters that are out of place in a text of the
/// UPR ([`out_of_place`]); windows-1252 only where it reads the file with fewer. `None` (Mac
/// Roman, and UTF-8 for what is UTF-8) when nothing tells them apart. The file is read from
/// where it stands and left there.
pub fn guess_charset(
    file: &mut (impl std::io::Read + std::io::Seek),
) -> std::io::Result<Option<&'static encoding_rs::Encoding>> {
    use std::io::{BufRead, SeekFrom};
    let start = file.stream_position()?;
    let (mut mac, mut windows) = (0u64, 0u64);
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, &mut *file);
    let mut line = Vec::new();
    loop {
        line.clear();
        // A line without end is read a mebibyte at a time: what is counted is letters.
        if (&mut reader).take(1 << 20).read_until(b'\n', &mut line)? == 0 {
            break;
        }
        // Exports with bare carriage returns are one "line" here, read in pieces alike.
        if std::str::from_utf8(&line).is_ok() {
            continue;
        }
        mac += out_of_place(&encoding_rs::MACINTOSH.decode_without_bom_handling(&line).0);
        windows += out_of_place(
            &encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&line)
                .0,
        );
    }
    drop(reader);
    file.seek(SeekFrom::Start(start))?;
    Ok((windows < mac).then_some(encoding_rs::WINDOWS_1252))
}

/// How many characters of `text` are out of place in a text of the UPR, as a wrong reading of
/// its bytes leaves them: control characters; a capital that is not Latin-1's after a small
/// letter (`HissËne`, `dÕIvoire`); a symbol between letters (`C™te`); signs no UPR text uses
/// (`‡`, `‰`, `∂`, `√`, `≈`, `Ž` inside a word).
fn out_of_place(text: &str) -> u64 {
    let chars: Vec<char> = text.chars().collect();
    let mut count = 0;
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii() {
            continue;
        }
        let before = i.checked_sub(1).map(|j| chars[j]).unwrap_or(' ');
        let after = chars.get(i + 1).copied().unwrap_or(' ');
        let odd = if c.is_control() {
            true
        } else if c.is_uppercase() {
            before.is_lowercase()
        } else if c.is_alphabetic()
            || matches!(c, '\u{2018}' | '\u{2019}' | '\u{00a0}' | '\u{00ad}')
        {
            false
        } else {
            (before.is_alphabetic() && after.is_alphabetic())
                || matches!(
                    c,
                    '‡' | '‰'
                        | '∂'
                        | '√'
                        | '≈'
                        | '∆'
                        | '∑'
                        | '∏'
                        | 'π'
                        | '∫'
                        | 'Ω'
                        | '◊'
                        | '¬'
                        | 'ƒ'
                        | '†'
                )
        };
        count += u64::from(odd);
    }
    count
}

/// Reads an export; returns the number of rows received, of those folded into an earlier
/// row's recommendation (the same text in the same review, made by another State), and the
/// columns passed over.
pub fn read<D: Importable>(
    input: impl Read,
    charset: Option<&'static encoding_rs::Encoding>,
    each: Sink<'_, D::Input>,
) -> Result<Counts, ImportError> {
    let mut received = 0;
    let mut folded = 0;
    let mut checked = false;
    let mut ignored = Vec::new();
    let mut warnings = super::Listed::default();
    // The groups of the current review (State under review and session), in file order.
    let mut block: Option<(String, i64)> = None;
    let mut groups: Vec<Group> = Vec::new();
    // Where each text's group is in `groups`, by its `matching_key`.
    let mut index: std::collections::HashMap<String, usize> = Default::default();
    let mut states = States::default();

    let flush = |groups: &mut Vec<Group>, each: Sink<'_, D::Input>| -> Result<(), ImportError> {
        for group in groups.drain(..) {
            let line = group.line;
            match D::from_upr_info(group) {
                Some(content) => each(
                    Some(Item {
                        line,
                        id: None,
                        content,
                    }),
                    vec![],
                )?,
                None => {
                    return Err(ImportError::File(
                        "The upr-info format holds recommendations only.".into(),
                    ));
                }
            }
        }
        Ok(())
    };

    // UPR Info's exports are in Mac Roman; a file saved again in another encoding says so in
    // its `charset`.
    let headers = records(
        input,
        Some(charset.unwrap_or(encoding_rs::MACINTOSH)),
        &mut |headers, line, cells| {
            if !checked {
                ignored = check_header(headers)?;
                checked = true;
            }
            let values = match cells {
                Ok(values) => values,
                Err(e) => {
                    received += 1;
                    return each(None, vec![e]);
                }
            };
            // The header again, as two exports put one after the other hold it: read past.
            if repeats_header(headers, &values) {
                warnings.add(vec![RowError {
                    line,
                    column: None,
                    code: "header_repeated".into(),
                    message: "the header row again (two exports put one after the other?): \
                              read past"
                        .into(),
                }]);
                return Ok(());
            }
            // A note under the rows (`Total: 30 recommendations`), in one cell: no text, no
            // recommending State, no session.
            let cells = Cells {
                headers,
                values: &values,
            };
            if ["Text", "From", "Session"]
                .iter()
                .all(|c| cells.get(c).is_empty())
            {
                warnings.add(vec![RowError {
                    line,
                    column: None,
                    code: "not_a_row".into(),
                    message: "no text, no recommending State and no session: not a \
                              recommendation (a note or a total under the rows?), read past"
                        .into(),
                }]);
                return Ok(());
            }
            received += 1;
            let mut group = match row(
                &Cells {
                    headers,
                    values: &values,
                },
                line,
                &mut states,
            ) {
                Ok(group) => group,
                Err(errors) => return each(None, errors),
            };
            warnings.add(std::mem::take(&mut group.warnings));
            warnings.not_listed += group.warnings_not_listed;
            let this_block = (group.state_under_review.clone(), group.session);
            if block.as_ref() != Some(&this_block) {
                flush(&mut groups, each)?;
                index.clear();
                block = Some(this_block);
            }
            // Two rows of a text are one recommendation however their texts are spaced
            // (decision 0013).
            let key = matching_key(&group.text);
            match index.get(&key) {
                Some(&i) => {
                    folded += 1;
                    let existing = &mut groups[i];
                    if existing.response.is_none() && group.response.is_some() {
                        // A row awaiting the response and one that gives it: the response.
                        existing.response = group.response;
                        existing.response_original = group.response_original.clone();
                    } else if group.response.is_some() && group.response != existing.response {
                        let said = |original: &Option<String>| {
                            original.as_deref().unwrap_or("no response").to_owned()
                        };
                        warnings.add(vec![RowError {
                            line,
                            column: Some("Response".into()),
                            code: "conflicting_response".into(),
                            message: format!(
                                "`{}` is another response than line {}'s (`{}`) to the same \
                                 recommendation (the same text in the same review): line {}'s \
                                 is kept",
                                said(&group.response_original),
                                existing.line,
                                said(&existing.response_original),
                                existing.line
                            ),
                        }]);
                    }
                    add_missing(&mut existing.recommending_states, group.recommending_states);
                    add_missing(&mut existing.themes, group.themes);
                    if existing.themes_original.len() <= MAX_THEMES_ORIGINAL {
                        add_missing(&mut existing.themes_original, group.themes_original);
                    }
                }
                None => {
                    // UPR Info's texts are English but for a few in French or Spanish, which
                    // the export does not tell apart; one stored in another language is said.
                    if let Some((other, warning)) = super::other_language(
                        line,
                        "Text",
                        &group.text,
                        crate::domain::Language::En,
                    ) {
                        group.language = other;
                        warnings.add(vec![warning]);
                    }
                    index.insert(key, groups.len());
                    groups.push(group);
                }
            }
            Ok(())
        },
    )?;
    if !checked {
        // A header and nothing else.
        ignored = check_header(&headers)?;
    }
    flush(&mut groups, each)?;
    Ok(Counts {
        received,
        folded,
        ignored,
        warnings,
    })
}
