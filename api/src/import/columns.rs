//! CSV in the project's own columns: one row per item, a column per field, `name__fr` for
//! each language of a multilingual field, `|` between the values of a list. Also the CSV
//! reading every CSV format shares: any line ending, a leading byte-order mark, cells decoded
//! as UTF-8 (or another encoding, for exports known to use one).

use std::io::Read;

use encoding_rs::Encoding;

use super::entities::restore;
use super::{ImportError, Importable, Item, RecordSink, RowError, Sink};
use crate::domain::{Language, Multilingual};

/// The most columns a CSV header may have. The widest file this service writes, an activity
/// export, has 52; a UPR Info export has 11.
pub const MAX_COLUMNS: usize = 200;
/// The longest CSV header, in bytes: refused before more of it is read.
pub const MAX_HEADER_BYTES: u64 = 16 * 1024;
/// The longest row (CSV record or NDJSON line), in bytes: room for every text of an activity
/// at its longest, in every language, refused before more of it is read.
pub const MAX_ROW_BYTES: u64 = 4 * 1024 * 1024;
/// The CSV reader's buffer: it reads at most this much beyond the cap of a record.
const BUFFER: usize = 8 * 1024;
/// Names a message lists before it says how many more there are.
const LISTED_NAMES: usize = 20;

/// `a, b, c` — or the first few and how many more, so a message stays short.
pub(super) fn listed(names: &[&str]) -> String {
    let mut text = names
        .iter()
        .take(LISTED_NAMES)
        .map(|name| shown(name))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > LISTED_NAMES {
        text.push_str(&format!(" and {} more", names.len() - LISTED_NAMES));
    }
    text
}

/// The code of the country a cell names (see [`Row::country`]), or the cell as it is.
fn code_of_country(cell: &str) -> String {
    use crate::domain::CountryCode;
    if CountryCode::parse(cell).is_ok() {
        return cell.to_owned();
    }
    CountryCode::lookup(cell).map_or_else(|_| cell.to_owned(), |c| c.as_str().to_owned())
}

/// A column's name as a message shows it: control characters escaped (a file that is not a
/// CSV at all names its bytes as columns) and at most 60 characters.
fn shown(name: &str) -> String {
    let mut text = String::new();
    for c in name.chars().take(60) {
        if c.is_control() {
            text.extend(c.escape_default());
        } else {
            text.push(c);
        }
    }
    if name.chars().nth(60).is_some() {
        text.push('…');
    }
    text
}

/// Reads CSV records one at a time with `csv_core`, within caps the csv crate does not have: a
/// record's bytes (read no further than a buffer past the cap) and its cells (at most one more
/// than a header may have; the rest are counted, not kept). So neither a header of a million
/// columns nor a row of a million cells is held in memory.
struct Records<B> {
    core: csv_core::Reader,
    /// What separates cells: a comma, or what the header uses instead ([`Records::separator`]).
    separator: u8,
    input: B,
    /// The cells of the record read last, one after the other.
    out: Vec<u8>,
    /// Where each kept cell ends in `out`.
    ends: Vec<usize>,
    /// Cells kept, and cells counted.
    kept: usize,
    count: usize,
    /// The bytes of the record being read, as written, while the input has not ended it (at
    /// most its cap and a buffer more): what tells whether it ends inside a quoted cell.
    raw: Vec<u8>,
}

/// How a record read ended.
enum Outcome {
    Record,
    End,
    /// Its bytes ran past the cap (a row's rest read and passed over, a header's not).
    TooLong,
    /// The input ended inside a quoted cell: the file was cut short, and the cell (read to
    /// the end) is not what was written.
    Unterminated,
}

impl<B: std::io::BufRead> Records<B> {
    fn new(input: B) -> Self {
        Self {
            core: csv_core::Reader::new(),
            separator: b',',
            input,
            out: vec![0; BUFFER],
            ends: vec![0; MAX_COLUMNS + 1],
            kept: 0,
            count: 0,
            raw: Vec::new(),
        }
    }

    /// Reads cells separated as the header's are, before the first record is read: by commas,
    /// or by semicolons or tabs when the header's first line has no comma but one of those (a
    /// spreadsheet saves "CSV" with semicolons where a comma is the decimal mark, as in French,
    /// Spanish and Russian, and "Unicode text" with tabs).
    fn separator(&mut self) -> std::io::Result<()> {
        let start = self.input.fill_buf()?;
        let line = start.split(|b| *b == b'\n').next().unwrap_or_default();
        if line.contains(&b',') {
            return Ok(());
        }
        if let Some(separator) = [b';', b'\t'].into_iter().find(|s| line.contains(s)) {
            self.separator = separator;
            self.core = csv_core::ReaderBuilder::new().delimiter(separator).build();
        }
        Ok(())
    }

    /// The next record; one past `cap` bytes is [`Outcome::TooLong`], and with `pass_over` the
    /// rest of it is read and dropped first, so that the next record can be read.
    fn next(&mut self, cap: u64, pass_over: bool) -> std::io::Result<Outcome> {
        use csv_core::ReadRecordResult as R;
        let (mut outlen, mut consumed) = (0, 0u64);
        (self.kept, self.count) = (0, 0);
        let mut overflowed = false;
        let mut too_long = false;
        self.raw.clear();
        // Blank lines before a record are no part of it (csv_core passes over them too, but
        // as bytes of the record it reads next): passed over here, so that megabytes of them
        // do not count against the next record's cap.
        loop {
            let input = self.input.fill_buf()?;
            let blank = input
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            if blank == 0 {
                break;
            }
            self.input.consume(blank);
        }
        loop {
            let input = self.input.fill_buf()?;
            let at_end = input.is_empty();
            let (result, nin, nout, nend) =
                self.core
                    .read_record(input, &mut self.out[outlen..], &mut self.ends[self.kept..]);
            // Only a record the input has not ended yet is kept as written: one that ends at
            // the end of the input was read over calls that all ended so (the last with no
            // input), and one read whole in a call is not the input's last.
            if !too_long && !matches!(result, R::Record | R::End) {
                self.raw.extend_from_slice(&input[..nin]);
            }
            self.input.consume(nin);
            consumed += nin as u64;
            self.count += nend;
            if !overflowed {
                outlen += nout;
                self.kept += nend;
            }
            if consumed > cap && !too_long {
                if !pass_over {
                    return Ok(Outcome::TooLong);
                }
                // Read on to its end, keeping nothing of it.
                (too_long, overflowed) = (true, true);
                (self.kept, outlen) = (0, 0);
                self.raw = Vec::new();
            }
            match result {
                R::Record | R::End if too_long => return Ok(Outcome::TooLong),
                R::InputEmpty => {}
                R::OutputFull if overflowed => outlen = 0,
                R::OutputFull => {
                    let size = (self.out.len() * 2).min(cap as usize + BUFFER);
                    self.out.resize(size, 0);
                }
                // More cells than any header may have: count the rest, keep none of them.
                R::OutputEndsFull => {
                    overflowed = true;
                    (self.kept, outlen) = (0, 0);
                }
                R::Record if at_end && ends_quoted(&self.raw, self.separator) => {
                    return Ok(Outcome::Unterminated);
                }
                R::Record => return Ok(Outcome::Record),
                R::End => return Ok(Outcome::End),
            }
        }
    }

    /// The cells of the record read last; empty when there were more than a header may have.
    fn cells(&self) -> impl Iterator<Item = &[u8]> {
        let ends = &self.ends[..self.kept];
        ends.iter().enumerate().map(move |(i, &end)| {
            let start = if i == 0 { 0 } else { ends[i - 1] };
            &self.out[start..end]
        })
    }
}

/// Whether `record`, the bytes of a CSV record, ends inside a quoted cell (a cell that starts
/// with `"` and whose closing `"` never came), as csv_core reads it: a `"` within an unquoted
/// cell is a character of it, and `""` within a quoted cell is one `"`.
fn ends_quoted(record: &[u8], separator: u8) -> bool {
    #[derive(PartialEq)]
    enum At {
        CellStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut at = At::CellStart;
    for &b in record {
        at = match (at, b) {
            (At::CellStart, b'"') => At::Quoted,
            (At::Quoted, b'"') => At::QuoteInQuoted,
            (At::Quoted, _) => At::Quoted,
            (At::QuoteInQuoted, b'"') => At::Quoted,
            (_, b'\n' | b'\r') => At::CellStart,
            (_, b) if b == separator => At::CellStart,
            _ => At::Unquoted,
        };
    }
    at == At::Quoted
}

/// The 422 of a header over its cap.
fn header_too_long() -> ImportError {
    ImportError::Limit {
        code: "header_too_large",
        detail: format!(
            "The CSV header is longer than {MAX_HEADER_BYTES} bytes; a header has at most \
             {MAX_COLUMNS} columns."
        ),
    }
}

/// The error of a row (or an NDJSON line) over its cap: one bad row, passed over.
pub(super) fn row_too_long(line: u64) -> RowError {
    RowError {
        line,
        column: None,
        code: "row_too_large".into(),
        message: format!("the row is longer than {MAX_ROW_BYTES} bytes, the most a row may be"),
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

    /// Checks the header row: every required column present, no unknown column. A UPR Info
    /// export's header is named as such, with the format that reads it.
    fn check(&self, headers: &[String]) -> Result<(), ImportError> {
        if headers
            .first()
            .is_some_and(|h| h.trim_start().starts_with('{'))
        {
            return Err(ImportError::File(
                "This is NDJSON (a JSON object a line), not CSV: send it with `format=ndjson` \
                 (or as `application/x-ndjson`; `--format ndjson` for `upr-tc import`)."
                    .into(),
            ));
        }
        if super::upr_info::is_export_header(headers) {
            return Err(ImportError::File(
                "This is a UPR Info export (columns To, Text, From, Response, Action, Issue, \
                 Session), not the project's CSV: import it as recommendations with \
                 `--format upr-info` (`/api/v1/bulk/recommendations?format=upr-info`)."
                    .into(),
            ));
        }
        let missing: Vec<&str> = self
            .required
            .iter()
            .copied()
            .filter(|c| !headers.iter().any(|h| h.eq_ignore_ascii_case(c)))
            .collect();
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!("missing column(s): {}", listed(&missing)));
        }
        for (field, required) in self.multilingual {
            let prefix = format!("{field}__");
            let named = |h: &String| {
                h.get(..prefix.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(&prefix))
            };
            if *required && !headers.iter().any(named) {
                problems.push(format!(
                    "no `{field}__xx` column (xx one of ar, en, es, fr, ru, zh)"
                ));
            }
        }
        // A spreadsheet's `State_Under_Review` is `state_under_review` (`Row::get`).
        let unknown: Vec<&str> = headers
            .iter()
            .map(String::as_str)
            .filter(|h| !self.knows(&h.to_ascii_lowercase()))
            .collect();
        if !unknown.is_empty() {
            problems.push(format!("unknown column(s): {}", listed(&unknown)));
        }
        // Semicolons and tabs are read as separators (`Records::separator`); bars are not.
        if let [only] = headers
            && only.contains('|')
        {
            problems.push(
                "the header is one column holding `|`: the file looks separated by bars \
                 rather than commas; save it as comma-separated CSV (\"CSV UTF-8\" in a \
                 spreadsheet)"
                    .to_owned(),
            );
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = headers
            .iter()
            .find(|h| !seen.insert(h.to_ascii_lowercase()))
        {
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

/// The values of a list cell read at most: one more than the most any field takes (500, the
/// recommendations of an activity).
pub const LIST_VALUES: usize = 501;

/// One CSV row, by column name.
pub struct Row<'a> {
    headers: &'a [String],
    values: Vec<String>,
}

impl Row<'_> {
    /// A cell, without the `'` an export put before it; empty cells are absent. Columns are
    /// named in any case.
    pub fn get(&self, column: &str) -> Option<&str> {
        let i = self
            .headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(column))?;
        self.values
            .get(i)
            .map(|v| restore(v.trim()))
            .filter(|v| !v.is_empty())
    }

    /// A list cell: values separated by `|`; no more than [`LIST_VALUES`], which is more than
    /// any field takes (so that a cell of more is refused by its field's check, each value of
    /// a cell of millions not read, nor each told to be wrong).
    pub fn list(&self, column: &str) -> Vec<String> {
        self.get(column)
            .map(|v| {
                v.split('|')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .take(LIST_VALUES)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A cell naming a country: its code as written, or the code of the name or alias it gives
    /// (`Kenya`, `Côte d'Ivoire`, `DPR Korea`), as the lists' filters take them; a cell that
    /// names none is left as it is, for the item's checks to refuse.
    pub fn country(&self, column: &str) -> Option<String> {
        self.get(column).map(code_of_country)
    }

    /// A list cell of countries, each as [`Row::country`] reads one.
    pub fn countries(&self, column: &str) -> Vec<String> {
        self.list(column)
            .iter()
            .map(|c| code_of_country(c))
            .collect()
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
    let (input, fallback) = utf8_of(input, fallback)?;
    let mut reader = Records::new(input);
    reader.separator()?;
    let mut headers: Option<Vec<String>> = None;
    // Cells a row may have: the header's, and the empty columns a spreadsheet leaves after
    // them (whose cells must be empty too).
    let mut width = 0;
    // Rows are numbered as a spreadsheet numbers them, the header being row 1: csv's own line
    // count follows LF only, and exports with bare CR line endings exist.
    let mut line = 0u64;
    loop {
        let cap = if headers.is_none() {
            MAX_HEADER_BYTES
        } else {
            MAX_ROW_BYTES
        };
        let unterminated = match reader.next(cap, headers.is_some())? {
            Outcome::End => break,
            Outcome::TooLong => match headers {
                None => return Err(header_too_long()),
                Some(ref h) => {
                    line += 1;
                    each(h, line, Err(row_too_long(line)))?;
                    continue;
                }
            },
            Outcome::Record => false,
            Outcome::Unterminated => true,
        };
        line += 1;
        if unterminated {
            let message = "the file ends inside this row's quoted cell, whose closing quote \
                           never came: the file was cut short, or a quote is missing";
            match headers {
                None => return Err(ImportError::File(format!("The CSV header: {message}."))),
                Some(ref h) => {
                    each(
                        h,
                        line,
                        Err(RowError {
                            line,
                            column: None,
                            code: "unterminated_quote".into(),
                            message: message.into(),
                        }),
                    )?;
                    break;
                }
            }
        }
        match &headers {
            None if reader.count > MAX_COLUMNS => {
                return Err(ImportError::Limit {
                    code: "header_too_large",
                    detail: format!(
                        "The CSV header has {} columns; a header has at most {MAX_COLUMNS}.",
                        reader.count
                    ),
                });
            }
            None => {
                let cells = decode(reader.cells(), fallback)
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
                width = names.len();
                let mut names = names;
                while names.last().is_some_and(String::is_empty) {
                    names.pop();
                }
                headers = Some(names);
            }
            Some(h) => {
                if reader.count == reader.kept
                    && reader
                        .cells()
                        .all(|c| c.iter().all(u8::is_ascii_whitespace))
                {
                    continue;
                }
                // Counted before decoding: a row of a million empty cells is not turned into
                // a million strings.
                let fits = reader.count == h.len()
                    || ((h.len()..=width).contains(&reader.count)
                        && reader.count == reader.kept
                        && reader
                            .cells()
                            .skip(h.len())
                            .all(|c| c.iter().all(u8::is_ascii_whitespace)));
                let cells = if fits {
                    decode(reader.cells().take(h.len()), fallback).map_err(|message| RowError {
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
                        message: if (h.len()..=width).contains(&reader.count) {
                            // A value under a column the header leaves without a name.
                            format!(
                                "the row has a value after its first {} cells, under a column \
                                 the header gives no name: name the column, or empty its cells",
                                h.len()
                            )
                        } else {
                            format!(
                                "the row has {} cells; the header has {}",
                                reader.count,
                                if reader.count < h.len() {
                                    h.len()
                                } else {
                                    width
                                }
                            )
                        },
                    })
                };
                each(h, line, cells)?;
            }
        }
    }
    headers.ok_or_else(|| ImportError::File("The upload is empty: it has no header row.".into()))
}

/// The upload as UTF-8 where it is UTF-16 (a byte order mark says so, as a spreadsheet's
/// "Unicode text" begins, or its charset does), with the encoding its cells that are not UTF-8
/// are read in; any other upload as it comes, its cells decoded one by one ([`decode`]).
fn utf8_of<'a>(
    input: impl Read + 'a,
    charset: Option<&'static Encoding>,
) -> Result<(Box<dyn std::io::BufRead + 'a>, Option<&'static Encoding>), ImportError> {
    use std::io::BufRead;
    let mut input = std::io::BufReader::with_capacity(BUFFER, input);
    let utf16 = [encoding_rs::UTF_16LE, encoding_rs::UTF_16BE];
    let start = input.fill_buf()?;
    if let Some(kind) = Document::of(start).map(Document::described) {
        return Err(ImportError::File(format!(
            "This is {kind}, not CSV text: open it in the program that made it and save the \
             sheet as \"CSV UTF-8\" (a UPR matrix, a Word document .docx, is read by the \
             recommendations upload with `format=ohchr-matrix`)."
        )));
    }
    let marked = start.starts_with(&[0xff, 0xfe]) || start.starts_with(&[0xfe, 0xff]);
    if !marked && !charset.is_some_and(|c| utf16.contains(&c)) {
        return Ok((Box::new(input), charset));
    }
    // The mark, when there is one, says which UTF-16 it is, whatever the charset says.
    let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(charset.filter(|c| utf16.contains(c)))
        .bom_override(true)
        .strip_bom(true)
        .build(input);
    Ok((
        Box::new(std::io::BufReader::with_capacity(BUFFER, decoded)),
        None,
    ))
}

/// A kind of document people send where text is meant (a spreadsheet's own format, a word
/// processor's), told by the bytes it starts with: CSV takes none of them, a matrix the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    Zip,
    Office97,
    Pdf,
}

impl Document {
    const MAGIC: [(&'static [u8], Document); 3] = [
        (b"PK\x03\x04", Document::Zip),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", Document::Office97),
        (b"%PDF-", Document::Pdf),
    ];

    /// What a file that starts with `start` is, when it is one of these.
    pub fn of(start: &[u8]) -> Option<Self> {
        Self::MAGIC
            .iter()
            .find(|(magic, _)| start.starts_with(magic))
            .map(|(_, kind)| *kind)
    }

    /// What it is, in words.
    pub fn described(self) -> &'static str {
        match self {
            Document::Zip => {
                "a zip archive (an Excel workbook .xlsx, an OpenDocument spreadsheet .ods or a \
                 Word document .docx)"
            }
            Document::Office97 => {
                "an Office 97–2003 file (an Excel workbook .xls or a Word document .doc)"
            }
            Document::Pdf => "a PDF document",
        }
    }
}

fn decode<'a>(
    cells: impl Iterator<Item = &'a [u8]>,
    fallback: Option<&'static Encoding>,
) -> Result<Vec<String>, String> {
    // A file that says it is UTF-8 is read as nothing else.
    let fallback = fallback.filter(|e| *e != encoding_rs::UTF_8);
    cells
        .map(|cell| match (std::str::from_utf8(cell), fallback) {
            (Ok(text), _) => Ok(text.to_owned()),
            (Err(_), Some(encoding)) => {
                Ok(encoding.decode_without_bom_handling(cell).0.into_owned())
            }
            (Err(e), None) => Err(format!(
                "the row is not UTF-8 text ({e}): save the file as UTF-8, or say its encoding \
                 (an upload's `charset=windows-1252` parameter, or \
                 `text/csv; charset=windows-1252` as its Content-Type; \
                 `--charset windows-1252` for `upr-tc import`)"
            )),
        })
        .collect()
}

/// Reads a CSV file of the project's own columns; returns the number of rows received.
/// Reads the rows of a CSV file in the project's columns; cells that are not UTF-8 are read in
/// `charset` when the upload names one, else are row errors.
pub fn read<D: Importable>(
    input: impl Read,
    charset: Option<&'static Encoding>,
    each: Sink<'_, D::Input>,
) -> Result<u64, ImportError> {
    let columns = D::csv_columns();
    let mut received = 0;
    let mut checked = false;
    records(input, charset, &mut |headers, line, cells| {
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
            Err((content, errors)) => {
                let mut errors: Vec<RowError> = errors
                    .into_iter()
                    .map(|(column, code, message)| RowError {
                        line,
                        column: Some(column),
                        code,
                        message,
                    })
                    .collect();
                // What the other cells hold wrong, told with the bad ones.
                if let Err(more) = crate::domain::validate::Validate::validate(content) {
                    for e in more {
                        let column = columns.column_of(&e.pointer);
                        if !errors.iter().any(|r| r.column.as_deref() == Some(&*column)) {
                            errors.push(RowError {
                                line,
                                column: Some(column),
                                code: e.code,
                                message: e.message,
                            });
                        }
                    }
                }
                each(None, errors)
            }
        }
    })
    .and_then(|headers| {
        if checked {
            Ok(())
        } else {
            columns.check(&headers)
        }
    })?;
    // A header alone is a file of no rows (a day with nothing new), not a broken one.
    Ok(received)
}

#[cfg(test)]
mod tests {
    use super::{LIST_VALUES, Row, ends_quoted, listed};

    /// A list cell of a million values is read no further than one past what any field takes.
    #[test]
    fn a_list_cell_is_read_no_further_than_any_field_takes() {
        let headers = ["recommendations".to_owned()];
        let row = Row {
            headers: &headers,
            values: vec!["x|".repeat(1_000_000)],
        };
        assert_eq!(row.list("recommendations").len(), LIST_VALUES);
        let row = Row {
            headers: &headers,
            values: vec![" a | b ||c ".to_owned()],
        };
        assert_eq!(row.list("Recommendations"), ["a", "b", "c"]);
    }

    /// A record ends inside a quoted cell only when a cell opened with a quote is never closed;
    /// quotes inside unquoted cells and doubled quotes are characters.
    #[test]
    fn a_record_cut_inside_a_quoted_cell_is_told_apart() {
        for cut in [
            &b"KEN,11,\"truncated in the mid"[..],
            b"KEN,\"a\"\"b",
            b"\"first line\nsecond",
            b"KEN,12,TR4b,\"",
        ] {
            assert!(ends_quoted(cut, b','), "{}", String::from_utf8_lossy(cut));
        }
        for whole in [
            &b"KEN,11,\"closed\""[..],
            b"KEN,\"a\"\"b\"",
            b"KEN,5\" screen,x",
            b"KEN,\"a\"b,c",
            b"\"one\ntwo\",x\n",
            b"",
        ] {
            assert!(
                !ends_quoted(whole, b','),
                "{}",
                String::from_utf8_lossy(whole)
            );
        }
    }

    /// A header of bytes that are no CSV is listed escaped and cut short, the names beyond
    /// the first twenty counted.
    #[test]
    fn listed_names_are_escaped_cut_short_and_counted() {
        assert_eq!(listed(&["To", "From"]), "To, From");
        let long = "x".repeat(70);
        assert_eq!(
            listed(&["a\u{1}\u{0}b", &long]),
            format!("a\\u{{1}}\\u{{0}}b, {}…", "x".repeat(60))
        );
        let many = vec!["c"; 25];
        assert_eq!(
            listed(&many),
            format!("{} and 5 more", vec!["c"; 20].join(", "))
        );
    }
}
