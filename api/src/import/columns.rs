//! CSV in the project's own columns: one row per item, a column per field, `name__fr` for
//! each language of a multilingual field, `|` between the values of a list. Also the CSV
//! reading every CSV format shares: any line ending, a leading byte-order mark, cells decoded
//! as UTF-8 (or another encoding, for exports known to use one).

use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;

use encoding_rs::Encoding;

use super::entities::restore;
use super::{ImportError, Importable, Item, RecordSink, RowError, Sink};
use crate::domain::{Language, Multilingual};

/// The most columns a CSV header may have. The widest file this service writes, an activity
/// export, has 74; a UPR Info export has 11.
pub const MAX_COLUMNS: usize = 200;
/// The longest CSV header, in bytes: refused before more of it is read.
pub const MAX_HEADER_BYTES: u64 = 16 * 1024;
/// The longest row (CSV record or NDJSON line), in bytes: room for every text of an activity
/// at its longest, in every language, refused before more of it is read.
pub const MAX_ROW_BYTES: u64 = 4 * 1024 * 1024;
/// The CSV reader's buffer: it reads at most this much beyond the record it parses.
const BUFFER: usize = 8 * 1024;
/// Names a message lists before it says how many more there are.
const LISTED_NAMES: usize = 20;

/// `a, b, c` — or the first few and how many more, so a message stays short.
pub(super) fn listed(names: &[&str]) -> String {
    let mut text = names
        .iter()
        .take(LISTED_NAMES)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > LISTED_NAMES {
        text.push_str(&format!(" and {} more", names.len() - LISTED_NAMES));
    }
    text
}

/// The error [`Capped`] reads when a record runs past its cap.
#[derive(Debug)]
struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a record is too long")
    }
}

impl std::error::Error for RecordTooLong {}

/// Reads no further than `limit` bytes into the input (moved on by the reader at each record),
/// so that a record without end — a header of a million columns — fails after a few
/// kilobytes instead of being buffered whole: the csv crate has no cap of its own.
struct Capped<R> {
    inner: R,
    read: u64,
    limit: Rc<Cell<u64>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let room = self.limit.get().saturating_sub(self.read);
        if room == 0 {
            return Err(std::io::Error::other(RecordTooLong));
        }
        let wanted = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..wanted])?;
        self.read += n as u64;
        Ok(n)
    }
}

/// The 422 of a header or a row over its cap.
fn too_long(line: u64) -> ImportError {
    if line == 1 {
        ImportError::Limit {
            code: "header_too_large",
            detail: format!(
                "The CSV header is longer than {MAX_HEADER_BYTES} bytes; a header has at most \
                 {MAX_COLUMNS} columns."
            ),
        }
    } else {
        ImportError::Limit {
            code: "row_too_large",
            detail: format!(
                "Row {line} is longer than {MAX_ROW_BYTES} bytes: the upload stops there."
            ),
        }
    }
}

/// The columns of an entity's CSV format.
pub struct Columns {
    /// Columns every file must have.
    pub required: &'static [&'static str],
    /// Columns a file may have.
    pub optional: &'static [&'static str],
    /// Multilingual fields: `(name, required)`; their columns are `name__ar` … `name__zh`.
    pub multilingual: &'static [(&'static str, bool)],
}

impl Columns {
    fn knows(&self, header: &str) -> bool {
        if self.required.contains(&header) || self.optional.contains(&header) {
            return true;
        }
        match header.split_once("__") {
            Some((field, lang)) => {
                self.multilingual.iter().any(|(f, _)| *f == field)
                    && Language::ALL.iter().any(|l| l.code() == lang)
            }
            None => false,
        }
    }

    /// The column a field error belongs to: `/text/fr` is `text__fr`, `/source/symbol` is
    /// `source_symbol`, `/themes/2` is `themes`.
    pub fn column_of(&self, pointer: &str) -> String {
        let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
        match parts.as_slice() {
            [field, lang] if self.multilingual.iter().any(|(f, _)| f == field) => {
                format!("{field}__{lang}")
            }
            [field, sub] if self.knows(&format!("{field}_{sub}")) => format!("{field}_{sub}"),
            [field, ..] => (*field).to_owned(),
            [] => String::new(),
        }
    }

    /// Checks the header row: every required column present, no unknown column.
    fn check(&self, headers: &[String]) -> Result<(), ImportError> {
        let missing: Vec<&str> = self
            .required
            .iter()
            .copied()
            .filter(|c| !headers.iter().any(|h| h == c))
            .collect();
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!("missing column(s): {}", listed(&missing)));
        }
        for (field, required) in self.multilingual {
            if *required && !headers.iter().any(|h| h.starts_with(&format!("{field}__"))) {
                problems.push(format!(
                    "no `{field}__xx` column (xx one of ar, en, es, fr, ru, zh)"
                ));
            }
        }
        let unknown: Vec<&str> = headers
            .iter()
            .map(String::as_str)
            .filter(|h| !self.knows(h))
            .collect();
        if !unknown.is_empty() {
            problems.push(format!("unknown column(s): {}", listed(&unknown)));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = headers.iter().find(|h| !seen.insert(h.as_str())) {
            problems.push(format!("column {dup} appears twice"));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ImportError::File(format!(
                "The CSV header is not usable: {}.",
                problems.join("; ")
            )))
        }
    }
}

/// One CSV row, by column name.
pub struct Row<'a> {
    headers: &'a [String],
    values: Vec<String>,
}

impl Row<'_> {
    /// A cell, without the `'` an export put before it; empty cells are absent.
    pub fn get(&self, column: &str) -> Option<&str> {
        let i = self.headers.iter().position(|h| h == column)?;
        self.values
            .get(i)
            .map(|v| restore(v.trim()))
            .filter(|v| !v.is_empty())
    }

    /// A list cell: values separated by `|`.
    pub fn list(&self, column: &str) -> Vec<String> {
        self.get(column)
            .map(|v| {
                v.split('|')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `name__xx` cells of a multilingual field, or `None` when all are empty.
    pub fn multilingual(&self, field: &str) -> Option<Multilingual> {
        let cell = |l: Language| {
            self.get(&format!("{field}__{}", l.code()))
                .map(str::to_owned)
        };
        let m = Multilingual {
            ar: cell(Language::Ar),
            en: cell(Language::En),
            es: cell(Language::Es),
            fr: cell(Language::Fr),
            ru: cell(Language::Ru),
            zh: cell(Language::Zh),
        };
        let any = m.texts().next().is_some();
        any.then_some(m)
    }

    /// An integer cell; a cell that is not one is an error on that column.
    pub fn integer(&self, column: &str, errors: &mut Vec<(String, String, String)>) -> Option<i64> {
        let v = self.get(column)?;
        match v.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push((
                    column.into(),
                    "not_a_number".into(),
                    format!("`{v}` is not a whole number"),
                ));
                None
            }
        }
    }
}

/// Reads CSV records as text: each cell decoded as UTF-8, or with `fallback` when it is not
/// UTF-8. Calls `each(line, cells)`; returns the header row.
pub fn records(
    input: impl Read,
    fallback: Option<&'static Encoding>,
    each: RecordSink<'_>,
) -> Result<Vec<String>, ImportError> {
    let limit = Rc::new(Cell::new(MAX_HEADER_BYTES + BUFFER as u64));
    let input = Capped {
        inner: input,
        read: 0,
        limit: limit.clone(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .buffer_capacity(BUFFER)
        .from_reader(input);
    let mut record = csv::ByteRecord::new();
    let mut headers: Option<Vec<String>> = None;
    // Rows are numbered as a spreadsheet numbers them, the header being row 1: csv's own line
    // count follows LF only, and exports with bare CR line endings exist.
    let mut line = 0u64;
    loop {
        let start = reader.position().byte();
        let cap = if headers.is_none() {
            MAX_HEADER_BYTES
        } else {
            MAX_ROW_BYTES
        };
        // The reader may hold up to a buffer of what follows when a record ends.
        limit.set(start + cap + BUFFER as u64);
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) if reader.position().byte() - start > cap => return Err(too_long(line + 1)),
            Ok(true) => {}
            Err(e) => match e.kind() {
                csv::ErrorKind::Io(io) if io.get_ref().is_some_and(|e| e.is::<RecordTooLong>()) => {
                    return Err(too_long(line + 1));
                }
                csv::ErrorKind::Io(_) => {
                    let csv::ErrorKind::Io(io) = e.into_kind() else {
                        unreachable!()
                    };
                    return Err(ImportError::Read(io));
                }
                _ => {
                    return Err(ImportError::File(format!(
                        "The file is not readable as CSV: {e}"
                    )));
                }
            },
        }
        line += 1;
        match &headers {
            None if record.len() > MAX_COLUMNS => {
                return Err(ImportError::Limit {
                    code: "header_too_large",
                    detail: format!(
                        "The CSV header has {} columns; a header has at most {MAX_COLUMNS}.",
                        record.len()
                    ),
                });
            }
            None => {
                let cells = decode(&record, fallback)
                    .map_err(|_| ImportError::File("The CSV header is not UTF-8 text.".into()))?;
                let names: Vec<String> = cells
                    .iter()
                    .enumerate()
                    .map(|(i, h)| {
                        let h = if i == 0 {
                            h.trim_start_matches('\u{feff}')
                        } else {
                            h
                        };
                        h.trim().to_owned()
                    })
                    .collect();
                headers = Some(names);
            }
            Some(h) => {
                if record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
                    continue;
                }
                // Counted before decoding: a row of a million empty cells is not turned into
                // a million strings.
                let cells = if record.len() == h.len() {
                    decode(&record, fallback).map_err(|message| RowError {
                        line,
                        column: None,
                        code: "invalid_encoding".into(),
                        message,
                    })
                } else {
                    Err(RowError {
                        line,
                        column: None,
                        code: "wrong_cell_count".into(),
                        message: format!(
                            "the row has {} cells; the header has {}",
                            record.len(),
                            h.len()
                        ),
                    })
                };
                each(h, line, cells)?;
            }
        }
    }
    headers.ok_or_else(|| ImportError::File("The upload is empty: it has no header row.".into()))
}

fn decode(
    record: &csv::ByteRecord,
    fallback: Option<&'static Encoding>,
) -> Result<Vec<String>, String> {
    record
        .iter()
        .map(|cell| match (std::str::from_utf8(cell), fallback) {
            (Ok(text), _) => Ok(text.to_owned()),
            (Err(_), Some(encoding)) => {
                Ok(encoding.decode_without_bom_handling(cell).0.into_owned())
            }
            (Err(e), None) => Err(format!("the row is not UTF-8 text ({e})")),
        })
        .collect()
}

/// Reads a CSV file of the project's own columns; returns the number of rows received.
pub fn read<D: Importable>(
    input: impl Read,
    each: Sink<'_, D::Content>,
) -> Result<u64, ImportError> {
    let columns = D::csv_columns();
    let mut received = 0;
    let mut checked = false;
    records(input, None, &mut |headers, line, cells| {
        if !checked {
            columns.check(headers)?;
            checked = true;
        }
        received += 1;
        let values = match cells {
            Ok(values) => values,
            Err(e) => return each(None, vec![e]),
        };
        let row = Row { headers, values };
        let id = match row.get("id").map(uuid::Uuid::parse_str) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(_)) => {
                let message = "is not an id this repository gave out (a UUID)".to_owned();
                let error = RowError {
                    line,
                    column: Some("id".into()),
                    code: "invalid".into(),
                    message,
                };
                return each(None, vec![error]);
            }
        };
        match D::from_csv(&row) {
            Ok(content) => each(Some(Item { line, id, content }), vec![]),
            Err(errors) => each(
                None,
                errors
                    .into_iter()
                    .map(|(column, code, message)| RowError {
                        line,
                        column: Some(column),
                        code,
                        message,
                    })
                    .collect(),
            ),
        }
    })
    .and_then(|headers| {
        if checked {
            Ok(())
        } else {
            columns.check(&headers)
        }
    })?;
    if received == 0 {
        return Err(ImportError::File(
            "The file has a header but no rows.".into(),
        ));
    }
    Ok(received)
}
