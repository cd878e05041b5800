//! Bulk import, shared by `POST /api/v1/bulk/{resource}` and `upr-tc import`: rows are read
//! from a stream (CSV in the project's columns, a UPR Info export, or NDJSON of the API's own
//! create representation), checked, and written in short transactions — or in one, for the
//! atomic mode — so memory does not grow with the file. An OHCHR UPR matrix, a Word document,
//! is read whole (a zip needs its end first) within the upload's size limit.

mod activities;
mod columns;
pub mod docx;
mod entities;
mod matrix_import;
mod needs;
pub mod ohchr_matrix;
pub mod upr_info;

pub use upr_info::guess_charset;

use std::io::Read;

use serde::Serialize;
use utoipa::ToSchema;

use crate::app::Principal;
use crate::app::policy::Upload;
use crate::app::uploads::{Uploader, uploader};
use crate::db::DbConnection;
use crate::db::batch::{Ahead, insert_new};
use crate::db::documents::{Document, Outcome, WriteError, upsert_with};
use crate::db::tx::Tx;
use crate::domain::activity::Activity;
use crate::domain::assistance_request::AssistanceRequest;
use crate::domain::json::{AsGiven, JsonError};
use crate::domain::offer::Offer;
use crate::domain::recommendation::Recommendation;
use crate::domain::stakeholder::Stakeholder;
use crate::domain::{ExternalRef, FieldError};

pub use columns::{Columns, Row};
pub use entities::{CsvExport, neutralise};

/// The UTF-8 byte order mark: a spreadsheet needs it first to read a CSV file as UTF-8 (an
/// export for people begins with it); a reader takes it for no part of the first line.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";
pub use upr_info::Group;

/// The formats an upload can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// CSV in the project's own columns.
    Csv,
    /// A UPR Info database export (CSV), recommendations only.
    UprInfo,
    /// One JSON object per line, each the API's create representation.
    Ndjson,
    /// OHCHR's thematic list of recommendations of one review (the "UPR matrix"), a Word
    /// document (.docx), recommendations only: it enriches what is stored of the same review.
    OhchrMatrix,
}

/// Why a `charset` named for a file (an upload's `Content-Type` or `charset` parameter,
/// `upr-tc import --charset`) does not do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CharsetError {
    /// No encoding has this label (or the Encoding Standard maps it to "replacement", which
    /// would read every cell as U+FFFD).
    Unknown(String),
    /// An encoding the file's format cannot be in.
    NotForFormat(String),
}

impl std::fmt::Display for CharsetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown(label) => write!(
                f,
                "`{label}` is no encoding this service reads: send the file as UTF-8, or name \
                 its encoding (such as `windows-1252`)"
            ),
            Self::NotForFormat(why) => f.write_str(why),
        }
    }
}

/// The encoding a file of `format` is read in when `label` names one: any label of the WHATWG
/// Encoding Standard for CSV (a UPR Info export's own is found without one, `guess_charset`);
/// NDJSON is UTF-8, as all JSON is (UTF-8 itself, or ASCII, whose every text is UTF-8 too);
/// a Word document says its own. One rule for uploads and `upr-tc import`.
pub fn charset(
    format: Format,
    label: &str,
) -> Result<Option<&'static encoding_rs::Encoding>, CharsetError> {
    let encoding = encoding_rs::Encoding::for_label_no_replacement(label.trim().as_bytes())
        .ok_or_else(|| CharsetError::Unknown(label.to_owned()))?;
    match format {
        Format::Csv | Format::UprInfo => Ok(Some(encoding)),
        Format::Ndjson if encoding == encoding_rs::UTF_8 || names_ascii(label) => Ok(None),
        Format::Ndjson => Err(CharsetError::NotForFormat(
            "NDJSON is UTF-8, as all JSON is: send it so, without another `charset`".into(),
        )),
        Format::OhchrMatrix => Err(CharsetError::NotForFormat(
            "a Word document (.docx) says its own encoding: name no `charset` for it".into(),
        )),
    }
}

/// Whether a charset label names ASCII (as the WHATWG Encoding Standard labels it), whose every
/// text reads the same in UTF-8 and in every encoding that keeps ASCII's bytes as they are
/// (`encoding_rs::Encoding::is_ascii_compatible`; not UTF-16): a file said to be ASCII agrees
/// with any of those.
pub fn names_ascii(label: &str) -> bool {
    ["us-ascii", "ascii", "ansi_x3.4-1968"]
        .iter()
        .any(|a| label.trim().eq_ignore_ascii_case(a))
}

/// What happens to good rows when some rows are bad.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, ToSchema, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One bad row and nothing is written.
    #[default]
    Atomic,
    /// Good rows are written, bad rows are listed.
    Partial,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub format: Format,
    pub mode: Mode,
    pub dry_run: bool,
    /// Who imports (`app::uploads::uploader`): what its rows may write, and the audit trail's
    /// actor.
    pub uploader: Uploader,
    /// For an OHCHR matrix: the State under review and the session, where the document does
    /// not say.
    pub review: ohchr_matrix::Review,
    /// The encoding a CSV file says it is in (the `charset` of its `Content-Type`), for cells
    /// that are not UTF-8; `None`: UTF-8, or Mac Roman for a UPR Info export, as they come.
    pub charset: Option<&'static encoding_rs::Encoding>,
    /// The most rows, and KiB of items as JSON, the upload writes in the atomic mode
    /// (`app::policy::atomic_rows`): a row past them is refused, `too_many_rows`, and so nothing
    /// is written; `None`: no bound. Where there is one (a contributor's or a State's upload),
    /// and for a dry run, a batch is also at most `BATCH_BYTES` of items.
    pub atomic_rows: Option<u64>,
}

/// A row that could not be imported.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct RowError {
    /// The row's number in the file: the header is row 1 of a CSV file; an NDJSON file counts
    /// lines.
    pub line: u64,
    /// The column (CSV) or JSON pointer (NDJSON) at fault, when one is.
    pub column: Option<String>,
    pub code: String,
    pub message: String,
}

impl RowError {
    /// An error of one cell, at `line` in `column`.
    pub fn in_column(line: u64, column: &str, code: &str, message: String) -> Self {
        Self {
            line,
            column: Some(column.to_owned()),
            code: code.to_owned(),
            message,
        }
    }

    /// The warning of a column of `source` (`a UPR Info export`) that the service does not
    /// read, on the header's line.
    pub fn passed_over(line: u64, column: String, source: &str) -> Self {
        Self {
            line,
            message: format!(
                "`{column}` is not a column this service reads of {source}: its values were \
                 passed over"
            ),
            column: Some(column),
            code: "unknown_column".into(),
        }
    }
}

/// The language `text` reads as, when that is not the `expected` one its source gives its
/// texts (a UPR Info export's English, a matrix's language), with the warning of `column` at
/// `line` saying where it is stored instead.
pub(crate) fn other_language(
    line: u64,
    column: &str,
    text: &str,
    expected: crate::domain::Language,
) -> Option<(crate::domain::Language, RowError)> {
    let other = crate::domain::analysis::language_of(text).filter(|l| *l != expected)?;
    let warning = RowError::in_column(
        line,
        column,
        "text_language",
        format!(
            "the text reads as {}: stored as `text.{}`, not `text.{}`",
            other.name(),
            other.code(),
            expected.code()
        ),
    );
    Some((other, warning))
}

/// The top-level field a JSON pointer names: `/text/en` → `text`.
fn field_of(pointer: &str) -> &str {
    pointer
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
}

/// What an import did. `received`, `rejected` and `folded` count rows; `created`, `updated`
/// and `unchanged` count items. Every row is one of them: `received` is `created + updated +
/// unchanged + rejected + folded`, but for an atomic import with bad rows (a dry run's too):
/// nothing of it is written, and its good rows count in `received` alone.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ImportReport {
    pub received: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// Rows folded into an earlier row's item: a UPR Info export has one row per recommending
    /// State, and the rows of one text in one review are one recommendation; in any format, a
    /// row for the item an earlier row of the upload took (the same id, natural key or partner
    /// key), whose values are left out (a `same_item` warning names both lines).
    pub folded: u64,
    /// Rows of a UPR Info export or an OHCHR matrix that found a recommendation of the same
    /// review already stored (from either source, or an earlier import), whatever the small
    /// differences of their texts: they enrich it (`updated`) or find it as it is
    /// (`unchanged`). Each text of a matrix counts as a row. 0 for the other formats.
    pub matched: u64,
    /// A dry run was asked for (`dry_run=true`): every row was checked, nothing written.
    pub dry_run: bool,
    /// Whether what the import made of its rows was written: `false` for a dry run, and for an
    /// atomic import with bad rows, of which nothing is written.
    pub written: bool,
    /// What is wrong with the bad rows: the first 1,000 errors (at most 20 of one row), each
    /// message at most 300 characters.
    pub errors: Vec<RowError>,
    /// Errors found beyond those listed in `errors`.
    pub errors_not_listed: u64,
    /// What was read but not as written, on rows that were imported: a matrix's theme or group
    /// of persons that no vocabulary has yet (kept as written), an SDG that is none (left
    /// out), a column of a UPR Info export that the service does not read (passed over, line
    /// 1). The first 1,000, as `errors` are listed.
    pub warnings: Vec<RowError>,
    /// Warnings found beyond those listed in `warnings`.
    pub warnings_not_listed: u64,
}

/// Errors an answer lists, so that its size does not grow with the file.
const MAX_LISTED_ERRORS: usize = 1_000;
/// Errors listed of one row: a row of many bad cells does not crowd out the others.
const MAX_ROW_ERRORS: usize = 20;
/// Characters of one error message (which may quote a cell).
const MAX_MESSAGE: usize = 300;

impl ImportReport {
    fn reject(&mut self, errors: Vec<RowError>) {
        self.rejected += 1;
        self.errors_not_listed += list(&mut self.errors, errors);
    }

    /// Lists warnings within the caps, each row's (the warnings of one line) as one row's:
    /// the warnings of a whole export given at once are not held to the cap of one row.
    fn warn(&mut self, warnings: Vec<RowError>) {
        let mut rest = warnings.into_iter().peekable();
        while let Some(first) = rest.next() {
            let line = first.line;
            let mut row = vec![first];
            while let Some(next) = rest.next_if(|w| w.line == line) {
                row.push(next);
            }
            self.warnings_not_listed += list(&mut self.warnings, row);
        }
    }

    /// The header's warnings, listed before the rows' as the header is before the rows, within
    /// the caps of one row; the rows' then past the cap of all are counted as not listed.
    fn warn_first(&mut self, warnings: Vec<RowError>) {
        let rows = std::mem::take(&mut self.warnings);
        self.warn(warnings);
        let room = MAX_LISTED_ERRORS.saturating_sub(self.warnings.len());
        self.warnings_not_listed += rows.len().saturating_sub(room) as u64;
        self.warnings.extend(rows.into_iter().take(room));
    }
}

/// Adds a row's `items` to `listed`, within the caps; returns how many were left out.
fn list(listed: &mut Vec<RowError>, items: Vec<RowError>) -> u64 {
    let total = items.len();
    let room = MAX_LISTED_ERRORS
        .saturating_sub(listed.len())
        .min(MAX_ROW_ERRORS);
    listed.extend(items.into_iter().take(room).map(|mut e| {
        if let Some((cut, _)) = e.message.char_indices().nth(MAX_MESSAGE) {
            e.message.truncate(cut);
            e.message.push('…');
        }
        e
    }));
    total.saturating_sub(room) as u64
}

/// Why an upload as a whole cannot be read (as opposed to a bad row).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    File(String),
    /// A header or row over a cap of `columns`: the upload stops.
    #[error("{detail}")]
    Limit { code: &'static str, detail: String },
    #[error("the upload could not be read: {0}")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    /// The importer may not upload this kind of item at all.
    #[error(transparent)]
    Refused(#[from] crate::app::Error),
}

/// Why a row naming an id is refused when the id is another's or names nothing: one answer for
/// both, so an import tells nothing of items the importer cannot see.
pub const NOT_YOURS: &str = "none of the items this importer may change has this id";

/// A kind of item that can be imported.
pub trait Importable: Document {
    /// The CSV columns of the project's own format.
    fn csv_columns() -> Columns;
    /// Builds the content of one CSV row (columns already checked); with bad cells, what they
    /// are and the content of the rest (`entities::row_content`).
    fn from_csv(row: &columns::Row<'_>) -> entities::CsvRead<Self::Input>;
    /// The content to store when an import in `format` meets an item that exists: by
    /// default, the import's.
    fn merge(_existing: &Self::Content, incoming: Self::Content, _format: Format) -> Self::Content {
        incoming
    }
    /// Checks what needs the database and fills in what the uploader implies; by default,
    /// nothing.
    fn prepare(
        _conn: &mut DbConnection,
        content: Self::Content,
        _uploader: &Uploader,
    ) -> Result<Self::Content, Vec<FieldError>> {
        Ok(content)
    }
    /// Whether the uploader may create an item (and why not); by default, yes.
    fn may_create(_uploader: &Uploader) -> Result<(), String> {
        Ok(())
    }
    /// Whether `prepare` leaves what an item's natural key and search terms are made of as the
    /// row gave it, so that the reader may work them out beside the writes (`Ahead`): true
    /// for a kind whose `prepare` is the default. Debug builds check each one.
    const KEYS_AHEAD: bool = true;
    /// Whether the uploader may make `existing` into `incoming` (and why not); by default, yes.
    fn may_update(
        _existing: &Self,
        _incoming: &Self::Content,
        _uploader: &Uploader,
    ) -> Result<(), String> {
        Ok(())
    }
    /// Whether `incoming` may be written over `existing` (`None`: as a new item) by the
    /// uploader, by the rules of the item's life that need the database or what it is written
    /// over; by default, yes. A refusal is the row's (`WriteError::Conflict`, or `Invalid` for
    /// fields at fault, reported on their columns); a database error fails the upload.
    fn may_write(
        _conn: &mut DbConnection,
        _existing: Option<&Self>,
        _incoming: &Self::Content,
        _uploader: &Uploader,
    ) -> Result<(), WriteError> {
        Ok(())
    }
    /// Whether the uploader may create an item under an id its file gives; by default, when it
    /// may create items. Where it may not, a row naming an id that is not one of its own items
    /// is refused with the same answer whether the id exists or not (`NOT_YOURS`).
    fn may_create_with_id(uploader: &Uploader) -> bool {
        Self::may_create(uploader).is_ok()
    }
    /// The stored item a row of `format` is, found by a looser key than the natural one where
    /// two sources word one item differently (decision 0013); by default, none. `keys` holds
    /// what earlier rows of the import read.
    fn loose_match(
        _conn: &mut DbConnection,
        _keys: &mut LooseKeys,
        _content: &Self::Content,
        _format: Format,
    ) -> diesel::QueryResult<Option<uuid::Uuid>> {
        Ok(None)
    }
    /// The item a group of UPR Info rows describes; only recommendations have this format.
    fn from_upr_info(_group: upr_info::Group) -> Option<Self::Input> {
        None
    }
}

/// For each group of stored items (a review), the items by their loose key.
pub type LooseKeys =
    std::collections::HashMap<String, std::collections::HashMap<String, uuid::Uuid>>;

/// Receives each row read: an item to write, or the errors that keep a row out.
pub type Sink<'a, C> = &'a mut dyn FnMut(Option<Item<C>>, Vec<RowError>) -> Result<(), ImportError>;

/// Receives each CSV record: the header, the row number, and its cells (or why it has none).
pub type RecordSink<'a> =
    &'a mut dyn FnMut(&[String], u64, Result<Vec<String>, RowError>) -> Result<(), ImportError>;

/// One item ready to write, with the lines it came from.
pub struct Item<C> {
    pub line: u64,
    /// The item's id, when the file gives one (a CSV export carries it): the item with this id
    /// is updated, or created with it.
    pub id: Option<uuid::Uuid>,
    pub content: C,
}

/// Writes items as they come, and counts.
struct Writer<'c, D: Importable> {
    conn: &'c mut DbConnection,
    options: Options,
    report: ImportReport,
    in_tx: bool,
    /// Good items gathered for the next batch, each with what was worked out of it ahead.
    pending: Vec<(Item<D::Content>, Option<Ahead>)>,
    /// What `Importable::loose_match` has read of the stored items.
    loose: LooseKeys,
    /// The items this upload has taken so far (a 64-bit hash of their id or natural key, and
    /// of their partner keys up to [`SEEN_REFS`]: 16 bytes a row and a key, not the key's
    /// text, so that a 64 MiB file of short rows holds some 20 MB here, and its keys 16 MB
    /// more at most; two different keys share a hash by chance about once in 10^7 files of a
    /// million rows), with their line.
    seen: std::collections::HashMap<u64, u64>,
    /// How many partner keys `seen` holds.
    refs_seen: usize,
    /// How many rows were taken, good and bad.
    rows: u64,
    /// The bytes of the content of the good rows taken (as JSON), and of those pending.
    bytes: u64,
    pending_bytes: u64,
    /// Whether a row was refused at the atomic bound already (the rows after it are not).
    refused_at_bound: bool,
    _kind: std::marker::PhantomData<D>,
}

/// How many partner keys an upload's rows are folded by ([`Writer::item`]): a row may carry
/// fifty, and a file of short rows millions, each held as its rows' keys are (16 bytes). Past
/// it, a row for an item an earlier row took by partner key writes over it, as one uploaded
/// later would.
const SEEN_REFS: usize = 1_000_000;

impl<'c, D: Importable> Writer<'c, D> {
    fn new(conn: &'c mut DbConnection, options: Options) -> Self {
        Self {
            conn,
            options,
            report: ImportReport::default(),
            in_tx: false,
            pending: Vec::new(),
            loose: LooseKeys::new(),
            seen: std::collections::HashMap::new(),
            refs_seen: 0,
            rows: 0,
            bytes: 0,
            pending_bytes: 0,
            refused_at_bound: false,
            _kind: std::marker::PhantomData,
        }
    }

    fn bad_row(&mut self, errors: Vec<RowError>) {
        self.report.reject(errors);
    }

    /// Takes one checked item: what needs the database is checked, and a good item joins the
    /// batch being gathered.
    fn item(&mut self, item: Item<D::Content>, ahead: Option<Ahead>) -> Result<(), ImportError> {
        let (line, id, given) = (item.line, item.id, item.id);
        let content = match D::prepare(self.conn, item.content, &self.options.uploader) {
            Ok(content) => content,
            Err(errors) => {
                let rows = row_errors::<D>(self.options.format, line, errors);
                self.bad_row(rows);
                return Ok(());
            }
        };
        let id = match id {
            Some(id) => Some(id),
            None => {
                let found =
                    D::loose_match(self.conn, &mut self.loose, &content, self.options.format)?;
                self.report.matched += u64::from(found.is_some());
                found
            }
        };
        // A row for an item an earlier row of this upload took (the same id, or the same
        // natural key: a text that differs only in case or punctuation) is folded into it, so
        // that the two never write over each other and the same file uploaded again changes
        // nothing.
        // The row's own id, not one a loose match found: two texts of a matrix that match one
        // stored recommendation both enrich it.
        let hash = |key: &str| {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::hash::DefaultHasher::new();
            key.hash(&mut hasher);
            hasher.finish()
        };
        // The key the reader made is hashed where it lies, not copied first (every row).
        let key = match (given, &ahead) {
            (Some(id), _) => hash(&id.to_string()),
            (None, Some(ahead)) => hash(&ahead.natural_key),
            (None, None) => hash(&D::natural_key(&content)),
        };
        // Its partner keys too: two rows of other texts that name one key are one item, which
        // the second would otherwise write over. Not a row that names its id (one whose key
        // is another item's is refused as it is written), nor past [`SEEN_REFS`] keys.
        let refs = if given.is_none() && self.refs_seen < SEEN_REFS {
            D::refs_of(&content)
        } else {
            &[]
        };
        let scope = if refs.is_empty() {
            String::new()
        } else {
            D::ref_scope(&content)
        };
        let refs: Vec<(u64, &ExternalRef)> = refs
            .iter()
            .map(|r| {
                let key = format!("ref\u{1}{scope}\u{1}{}\u{1}{}", r.source, r.external_id);
                (hash(&key), r)
            })
            .collect();
        let same = match self.seen.get(&key) {
            Some(first) => Some((
                *first,
                if given.is_some() { "id" } else { D::TABLE.same }.to_owned(),
            )),
            None => refs.iter().find_map(|(key, r)| {
                let first = self.seen.get(key)?;
                Some((
                    *first,
                    format!("partner key `{}:{}`", r.source, r.external_id),
                ))
            }),
        };
        if let Some((first, same)) = same {
            self.report.folded += 1;
            self.report.warn(vec![RowError {
                line,
                column: None,
                code: "same_item".into(),
                message: format!(
                    "the same item as line {first} (the same {same}): folded into it, this row's values left out"
                ),
            }]);
            return Ok(());
        }
        self.seen.insert(key, line);
        self.refs_seen += refs.len();
        for (key, _) in refs {
            self.seen.entry(key).or_insert(line);
        }
        // An atomic import with a bad row writes nothing: once one is seen, only check.
        if self.options.mode == Mode::Atomic && self.report.rejected > 0 {
            self.pending.clear();
            self.pending_bytes = 0;
            return Ok(());
        }
        self.pending.push((Item { line, id, content }, ahead));
        // A batch is written in one transaction (a partial upload's, a dry run's): rows of long
        // texts and many codes make it short, so that it holds the write lock about as long as
        // one of short rows does (found by an audit: 512 rows of 30 kB each held it 15 s).
        if self.pending.len() >= crate::db::BATCH || self.pending_bytes >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Whether the row just taken is the first past the rows an atomic upload writes
    /// ([`Options::atomic_rows`]).
    fn past_atomic_rows(&self) -> bool {
        self.options.mode == Mode::Atomic
            && !self.refused_at_bound
            && self
                .options
                .atomic_rows
                .is_some_and(|most| self.rows > most || self.bytes > most * 1024)
    }

    fn too_many_rows(&self, line: u64) -> RowError {
        let most = self.options.atomic_rows.unwrap_or_default();
        RowError {
            line,
            column: None,
            code: "too_many_rows".into(),
            message: format!(
                "An atomic upload writes at most {most} rows and {most} KiB of items (as JSON: \
                 rows of long texts or many codes count for more), \
                 `UPR_TC_ATOMIC_ROW_LIMIT`, since every other writer, a State recording its \
                 consent among them, waits for it: nothing of this one was written. Send the \
                 file in parts, or with `mode=partial`, which writes it a batch at a time."
            ),
        }
    }

    /// Takes what the reader sent of one row.
    fn take(&mut self, row: Checked<D::Content>) -> Result<(), ImportError> {
        self.rows += 1;
        let size = match &row {
            Ok((item, _)) if self.options.atomic_rows.is_some() || self.options.dry_run => {
                json_size(&item.content)
            }
            _ => 0,
        };
        self.bytes += size;
        let past = self.past_atomic_rows();
        self.refused_at_bound |= past;
        match row {
            Ok((item, _)) if past => {
                self.bad_row(vec![self.too_many_rows(item.line)]);
            }
            Err(mut errors) if past => {
                let line = errors.first().map_or(0, |e| e.line);
                errors.insert(0, self.too_many_rows(line));
                self.bad_row(errors);
            }
            Ok((item, ahead)) => {
                self.pending_bytes += size;
                self.item(item, ahead)?
            }
            Err(errors) => self.bad_row(errors),
        }
        // An atomic upload with a bad row writes nothing: what it wrote goes now, and the
        // write lock with it, while the rest of its rows are only checked.
        if self.options.mode == Mode::Atomic && self.report.rejected > 0 && self.in_tx {
            self.pending.clear();
            self.pending_bytes = 0;
            Tx::rollback(self.conn)?;
            self.in_tx = false;
        }
        Ok(())
    }

    /// Writes the gathered batch: new items in a few multi-row statements, the others (items
    /// that exist, or that the fast path could not take) one by one, each in a savepoint so a
    /// failing item leaves the others. In partial mode each batch is its own transaction.
    fn flush(&mut self) -> Result<(), ImportError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if !self.in_tx {
            Tx::begin_after_others(self.conn)?;
            self.in_tx = true;
        }
        let (batch, mut ahead): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.pending).into_iter().unzip();
        self.pending_bytes = 0;
        // Items that name their id take the item-by-item path, and so does every item of an
        // uploader who may not create items (each is refused or updates one it may change).
        let creates = D::may_create(&self.options.uploader).is_ok();
        let mut fast = Vec::new();
        let mut slow = Vec::new();
        for (i, item) in batch.iter().enumerate() {
            let uploader = &self.options.uploader;
            if creates
                && item.id.is_none()
                && D::may_write(self.conn, None, &item.content, uploader).is_ok()
            {
                fast.push(i);
            } else {
                slow.push(i);
            }
        }
        let contents: Vec<D::Content> = fast.iter().map(|&i| batch[i].content.clone()).collect();
        let ahead = fast.iter().map(|&i| ahead[i].take()).collect();
        let actor = self.options.uploader.actor();
        Tx::savepoint(self.conn)?;
        match insert_new::<D>(self.conn, &actor, contents, ahead) {
            Ok(others) => {
                Tx::release(self.conn)?;
                self.report.created += (fast.len() - others.len()) as u64;
                slow.extend(others.into_iter().map(|k| fast[k]));
            }
            Err(e) => {
                // A writer that raced this import took a key, or a bug: either way the items go
                // the slow way, and the log says which so a bug cannot hide behind the fallback.
                tracing::warn!(error = %e, items = fast.len(), "bulk fast path failed; writing item by item");
                Tx::rollback_to(self.conn)?;
                slow.extend(fast);
            }
        }
        slow.sort_unstable();
        let options = self.options.clone();
        let merge = |conn: &mut DbConnection, existing: Option<&D>, incoming: D::Content| {
            let content = match existing {
                Some(existing) => {
                    let content = D::merge(existing.content(), incoming, options.format);
                    D::may_update(existing, &content, &options.uploader)
                        .map_err(WriteError::Forbidden)?;
                    content
                }
                None => {
                    D::may_create(&options.uploader).map_err(WriteError::Forbidden)?;
                    incoming
                }
            };
            D::may_write(conn, existing, &content, &options.uploader)?;
            Ok(content)
        };
        let mut batch: Vec<Option<Item<D::Content>>> = batch.into_iter().map(Some).collect();
        for i in slow {
            let Some(Item { line, id, content }) = batch[i].take() else {
                continue;
            };
            if let Some(id) = id
                && !D::may_create_with_id(&options.uploader)
                && D::find_row(self.conn, &id.to_string())?.is_none()
            {
                self.bad_row(vec![RowError {
                    line,
                    column: None,
                    code: "forbidden".into(),
                    message: NOT_YOURS.into(),
                }]);
                continue;
            }
            Tx::savepoint(self.conn)?;
            let refs = D::refs_of(&content).to_vec();
            let id = id.map(D::Id::from);
            match upsert_with::<D>(self.conn, &actor, id, content, &refs, &merge) {
                Ok((outcome, _)) => {
                    Tx::release(self.conn)?;
                    match outcome {
                        Outcome::Created => self.report.created += 1,
                        Outcome::Updated => self.report.updated += 1,
                        Outcome::Unchanged => self.report.unchanged += 1,
                    }
                }
                Err(WriteError::Db(e)) => return Err(e.into()),
                Err(WriteError::Invalid(errors)) => {
                    Tx::rollback_to(self.conn)?;
                    self.bad_row(row_errors::<D>(options.format, line, errors));
                }
                Err(e) => {
                    Tx::rollback_to(self.conn)?;
                    let code = match e {
                        WriteError::Conflict(_) => "conflict",
                        WriteError::Forbidden(_) => "forbidden",
                        _ => "rejected",
                    };
                    self.bad_row(vec![RowError {
                        line,
                        column: None,
                        code: code.into(),
                        message: e.to_string(),
                    }]);
                }
            }
        }
        if self.options.dry_run {
            // A dry run writes nothing: each batch is rolled back once checked, so that it never
            // holds the write lock longer than a batch (a large file checked whole kept every
            // other writer waiting for its length). The rows of a later batch do not see the
            // items of an earlier one; a row for an item an earlier row took is folded before
            // it gets here (`seen`).
            Tx::rollback(self.conn)?;
            self.in_tx = false;
        } else if self.options.mode == Mode::Partial {
            Tx::commit(self.conn)?;
            self.in_tx = false;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<ImportReport, ImportError> {
        if !(self.options.mode == Mode::Atomic && self.report.rejected > 0) {
            self.flush()?;
        }
        let discard =
            self.options.dry_run || (self.options.mode == Mode::Atomic && self.report.rejected > 0);
        if self.in_tx {
            if discard {
                Tx::rollback(self.conn)?;
            } else {
                Tx::commit(self.conn)?;
            }
        }
        if self.options.mode == Mode::Atomic && self.report.rejected > 0 {
            // Nothing was written, and nothing is counted but the rows that stopped it.
            self.report.created = 0;
            self.report.updated = 0;
            self.report.unchanged = 0;
        }
        self.report.dry_run = self.options.dry_run;
        self.report.written = !discard;
        Ok(self.report)
    }

    /// Rolls back what is open after a failure of the whole upload.
    fn abort(&mut self) {
        if self.in_tx {
            let _ = Tx::rollback(self.conn);
            self.in_tx = false;
        }
    }
}

/// A row as the reader hands it to the writer: an item checked as far as the database is not
/// needed, with what could be worked out of it ahead; or what keeps the row out.
type Checked<C> = Result<(Item<C>, Option<Ahead>), Vec<RowError>>;

/// The bytes of content a batch gathers at most before it is written (`Writer::item`).
const BATCH_BYTES: u64 = 1024 * 1024;

/// The length of `value` as JSON, counted without writing it anywhere.
fn json_size(value: &impl Serialize) -> u64 {
    struct Count(u64);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len() as u64;
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).map_or(0, |()| count.0)
}

/// Rows read ahead of the writer: the reader waits when this many are not yet taken, so memory
/// does not grow with the file when the writes are the slower side.
const READ_AHEAD: usize = 1_024;

/// The errors of an item's content as the rows of an import in `format` name its columns.
fn row_errors<D: Importable>(format: Format, line: u64, errors: Vec<FieldError>) -> Vec<RowError> {
    errors
        .into_iter()
        .map(|e| RowError {
            line,
            column: Some(match format {
                Format::Csv => D::csv_columns().column_of(&e.pointer),
                Format::UprInfo => upr_info::column_of(&e.pointer),
                Format::OhchrMatrix => matrix_import::column_of(&e.pointer),
                Format::Ndjson => e.pointer,
            }),
            code: e.code,
            message: e.message,
        })
        .collect()
}

/// Checks an item read from a row, as far as that needs no database, and works out its key and
/// terms where the kind allows (`Importable::KEYS_AHEAD`).
fn check<D: Importable>(format: Format, item: Item<D::Input>) -> Checked<D::Content> {
    let Item { line, id, content } = item;
    let content = crate::domain::validate::Validate::validate(content)
        .map_err(|errors| row_errors::<D>(format, line, errors))?;
    let ahead = D::KEYS_AHEAD.then(|| Ahead::of::<D>(&content));
    Ok((Item { line, id, content }, ahead))
}

/// What the reader counted: rows received, rows folded into an earlier row's item, the
/// columns it passed over (a UPR Info export's that it does not read), and what it saw of the
/// rows it folded that was not imported as written.
#[derive(Debug, Default)]
pub struct Counts {
    pub received: u64,
    pub folded: u64,
    pub ignored: Vec<String>,
    pub warnings: Listed,
}

/// Row errors held within the caps of a report as a reader finds them, and how many were left
/// out: a reader that finds them over a whole file holds no more of them than a report lists.
#[derive(Debug, Default)]
pub struct Listed {
    pub items: Vec<RowError>,
    pub not_listed: u64,
}

impl Listed {
    /// One row's, within the caps.
    pub fn add(&mut self, row: Vec<RowError>) {
        self.not_listed += list(&mut self.items, row);
    }
}

impl Counts {
    fn received(received: u64) -> Self {
        Self {
            received,
            ..Self::default()
        }
    }
}

/// Reads and checks the rows of `input` in `format`, handing each to `send` in file order.
fn read_rows<D: Importable>(
    input: impl Read,
    (format, charset): (Format, Option<&'static encoding_rs::Encoding>),
    send: &mut dyn FnMut(Checked<D::Content>) -> Result<(), ImportError>,
) -> Result<Counts, ImportError> {
    let mut each = |item: Option<Item<D::Input>>, errors: Vec<RowError>| match item {
        Some(item) => send(check::<D>(format, item)),
        None => send(Err(errors)),
    };
    match format {
        Format::Ndjson => ndjson::<D>(input, &mut each).map(Counts::received),
        Format::Csv => columns::read::<D>(input, charset, &mut each).map(Counts::received),
        Format::UprInfo => upr_info::read::<D>(input, charset, &mut each),
        Format::OhchrMatrix => Err(ImportError::File(
            "The ohchr-matrix format holds recommendations only.".into(),
        )),
    }
}

/// Imports a stream of rows of kind `D`. The rows are read, parsed and checked on a thread of
/// their own while this one writes those read before (at most `READ_AHEAD` of them wait).
pub fn import<D: Importable>(
    conn: &mut DbConnection,
    input: impl Read + Send,
    options: Options,
) -> Result<ImportReport, ImportError>
where
    D::Content: Send,
{
    let format = (options.format, options.charset);
    let mut writer = Writer::<D>::new(conn, options);
    let (read, written) = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Checked<D::Content>>(READ_AHEAD);
        let reader = std::thread::Builder::new()
            .name("import-reader".into())
            .spawn_scoped(scope, move || {
                read_rows::<D>(input, format, &mut |row| {
                    // The writer stopped (its error is the import's): stop reading too.
                    tx.send(row)
                        .map_err(|_| ImportError::File("the import stopped".into()))
                })
            })
            .map_err(ImportError::Read)?;
        let written = rx.iter().try_for_each(|row| writer.take(row));
        if written.is_err() {
            // Its transaction ends now, not once the reader has finished the read it is in
            // (a file that is a slow pipe would hold the write lock meanwhile).
            writer.abort();
        }
        // A writer that failed drops its end here, so that a reader waiting to send stops.
        drop(rx);
        let read = match reader.join() {
            Ok(read) => read,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        Ok::<_, ImportError>((read, written))
    })
    .inspect_err(|_| writer.abort())?;
    match written.and(read) {
        Ok(counts) => {
            writer.report.received = counts.received;
            writer.report.folded += counts.folded;
            let ignored = counts
                .ignored
                .into_iter()
                .map(|column| RowError::passed_over(1, column, "a UPR Info export"));
            writer.report.warn_first(ignored.collect());
            writer.report.warn(counts.warnings.items);
            writer.report.warnings_not_listed += counts.warnings.not_listed;
            writer.finish()
        }
        Err(e) => {
            writer.abort();
            Err(e)
        }
    }
}

/// Imports items made in memory rather than read from a file (`upr-tc seed`): each is checked
/// and written as an NDJSON row of the same content would be, numbered from 1 as lines are.
pub fn import_items<D: Importable>(
    conn: &mut DbConnection,
    items: impl IntoIterator<Item = D::Input>,
    options: Options,
) -> Result<ImportReport, ImportError> {
    let mut writer = Writer::<D>::new(conn, options);
    for (line, content) in (1..).zip(items) {
        writer.report.received += 1;
        let item = Item {
            line,
            id: None,
            content,
        };
        if let Err(e) = writer.take(check::<D>(Format::Ndjson, item)) {
            writer.abort();
            return Err(e);
        }
    }
    writer.finish()
}

/// An upload made ready to be written: a matrix read whole, before any connection is taken;
/// rows of the other formats, which are read as they are written.
pub enum Prepared<R> {
    Rows(R),
    Matrix(ohchr_matrix::Matrix),
}

/// Reads what must be read whole before anything is written (a matrix); needs no connection.
pub fn prepare<R: Read>(
    kind: Upload,
    input: R,
    options: &Options,
) -> Result<Prepared<R>, ImportError> {
    Ok(match kind {
        Upload::Recommendations if options.format == Format::OhchrMatrix => {
            Prepared::Matrix(matrix_import::read(input, &options.review)?)
        }
        _ => Prepared::Rows(input),
    })
}

/// Writes an upload made ready by [`prepare`].
pub fn import_prepared(
    conn: &mut DbConnection,
    kind: Upload,
    prepared: Prepared<impl Read + Send>,
    options: Options,
) -> Result<ImportReport, ImportError> {
    let input = match prepared {
        Prepared::Matrix(matrix) => return matrix_import::import(conn, matrix, options),
        Prepared::Rows(input) => input,
    };
    match kind {
        Upload::Recommendations => import::<Recommendation>(conn, input, options),
        Upload::Stakeholders => import::<Stakeholder>(conn, input, options),
        Upload::Activities => import::<Activity>(conn, input, options),
        Upload::AssistanceRequests => import::<AssistanceRequest>(conn, input, options),
        Upload::Offers => import::<Offer>(conn, input, options),
    }
}

/// Imports a stream of rows of `kind`.
pub fn import_kind(
    conn: &mut DbConnection,
    kind: Upload,
    input: impl Read + Send,
    options: Options,
) -> Result<ImportReport, ImportError> {
    let prepared = prepare(kind, input, &options)?;
    import_prepared(conn, kind, prepared, options)
}

/// `upr-tc import`: an operator at the machine imports a file, with `admin`'s rights and under
/// the same rules as an upload (`app::uploads`).
pub fn by_operator(
    conn: &mut DbConnection,
    kind: Upload,
    input: impl Read + Send,
    (format, charset): (Format, Option<&'static encoding_rs::Encoding>),
    mode: Mode,
    dry_run: bool,
    review: ohchr_matrix::Review,
) -> Result<ImportReport, ImportError> {
    let uploader = uploader(conn, &Principal::Operator, kind, dry_run)?;
    let options = Options {
        format,
        mode,
        dry_run,
        uploader,
        review,
        charset,
        atomic_rows: None,
    };
    import_kind(conn, kind, input, options)
}

/// Refuses, by its first line, a file of JSON that is not one item a line: a JSON array (what
/// an API returns, saved as it came) or items written over several lines; each of its lines
/// would be a row refused for a reason that does not say it.
fn not_one_item_a_line(first: &str) -> Result<(), ImportError> {
    const NDJSON: &str = "NDJSON holds one JSON object a line, each item whole on its own line";
    if first.starts_with('[') {
        Err(ImportError::File(format!(
            "The file is a JSON array, not NDJSON: {NDJSON} (`jq -c '.[]' FILE.json` writes an \
             array's items so)."
        )))
    } else if first == "{" {
        Err(ImportError::File(format!(
            "The file's first item is written over several lines: {NDJSON} (`jq -c . FILE.json` \
             writes items so)."
        )))
    } else {
        Ok(())
    }
}

/// Reads NDJSON rows, one item a line; returns how many rows were received.
fn ndjson<D: Importable>(input: impl Read, each: Sink<'_, D::Input>) -> Result<u64, ImportError> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, input);
    let mut line = Vec::new();
    let mut number = 0u64;
    let mut received = 0u64;
    loop {
        line.clear();
        // A line without end is refused at the cap, not buffered whole.
        if (&mut reader)
            .take(columns::MAX_ROW_BYTES + 1)
            .read_until(b'\n', &mut line)?
            == 0
        {
            break;
        }
        number += 1;
        if line.len() as u64 > columns::MAX_ROW_BYTES {
            // One bad row: the rest of the line is read and dropped.
            if line.last() != Some(&b'\n') {
                reader.skip_until(b'\n')?;
            }
            received += 1;
            each(None, vec![columns::row_too_long(number)])?;
            continue;
        }
        // A byte order mark, which some tools write first, is not part of the first line.
        let row = if number == 1 {
            line.strip_prefix(BOM).unwrap_or(&line)
        } else {
            &line
        };
        let text = match std::str::from_utf8(row) {
            Ok(t) => t.trim(),
            Err(_) => {
                // A row, if a bad one: a file of nothing but such lines is not empty.
                received += 1;
                each(
                    None,
                    vec![RowError {
                        line: number,
                        column: None,
                        code: "invalid_encoding".into(),
                        message: "the line is not UTF-8".into(),
                    }],
                )?;
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        if received == 0 {
            not_one_item_a_line(text)?;
        }
        received += 1;
        match crate::domain::json::as_given::<D::Input>(text) {
            // A line of an export names the item it updates by its `id`, as a CSV export's
            // `id` column does; its `version` is not a condition of the upload.
            Ok(AsGiven { id, content, .. }) => each(
                Some(Item {
                    line: number,
                    id,
                    content,
                }),
                vec![],
            )?,
            Err(e) => {
                let errors = match e {
                    JsonError::Shape(fields) => fields
                        .into_iter()
                        .map(|field| RowError {
                            line: number,
                            column: Some(field.pointer),
                            code: "invalid_row".into(),
                            message: field.message,
                        })
                        .collect(),
                    JsonError::Malformed(e) => vec![RowError {
                        line: number,
                        column: None,
                        code: "malformed_json".into(),
                        message: e.to_string(),
                    }],
                };
                each(None, errors)?
            }
        }
    }
    // No line is a file of no rows (a day with nothing new), as a CSV header alone is.
    Ok(received)
}

#[cfg(test)]
mod charset_tests {
    use super::{CharsetError, Format, charset};

    #[test]
    fn a_charset_is_read_for_csv_and_only_utf_8_for_ndjson() {
        let latin = encoding_rs::WINDOWS_1252;
        assert_eq!(charset(Format::Csv, "latin1"), Ok(Some(latin)));
        assert_eq!(charset(Format::UprInfo, " cp1252 "), Ok(Some(latin)));
        for label in ["utf-8", "UTF8", "us-ascii", "ascii"] {
            assert_eq!(charset(Format::Ndjson, label), Ok(None), "{label}");
        }
        assert!(matches!(
            charset(Format::Ndjson, "latin1"),
            Err(CharsetError::NotForFormat(_))
        ));
        assert!(matches!(
            charset(Format::OhchrMatrix, "utf-8"),
            Err(CharsetError::NotForFormat(_))
        ));
        for label in ["klingon", "replacement", "iso-2022-kr", ""] {
            assert!(
                matches!(charset(Format::Csv, label), Err(CharsetError::Unknown(_))),
                "{label}"
            );
        }
    }
}
