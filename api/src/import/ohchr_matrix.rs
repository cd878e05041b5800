//! OHCHR's thematic list of recommendations (the "UPR matrix"), a Word document published for
//! every review: one table, a row per recommendation paragraph (its number, the text or texts
//! with their recommending States in parentheses, `Source of Position: …`), the State's
//! position, the UHRI themes and groups of persons, and the SDGs; rows grouped under
//! `Theme: …` headings.
//!
//! The cycles write it differently, and every way is read:
//! - 2nd cycle: a UHRI code before each theme (`A12 Acceptance of international norms`);
//! - 3rd cycle: `SDGs:` and `Affected persons:` headings inside the themes column;
//! - 4th cycle: `Groups of Persons:` inside the themes column, SDGs in a column of their own
//!   (`- 16 - PEACE, JUSTICE AND STRONG INSTITUTIONS`);
//! - one numbered paragraph may hold several texts, each with its own States
//!   (`121.2 Complete … (Ukraine); Increase efforts … (Slovakia);`): each is a recommendation,
//!   and they share the paragraph number;
//! - empty cells, heading rows, and French matrices (`Recommandation`, `ODD`).
//!
//! The matrix is every table whose header names a recommendation column and a position column
//! (one, or one a theme), and a table without a header that continues one ([`continues`]). A
//! layout may give the paragraph number or the source of the position a column of its own. A
//! row's line number is its row in the table, the header being row 1,
//! counted on through the tables that follow. Each text of a row counts as one row of the
//! import's report.

use super::docx::{Block, Docx};
use super::{ImportError, RowError};
use crate::domain::recommendation::{Response, trailing_states};
use crate::domain::{CountryCode, Language};
use crate::reference::reference;

/// The name an import gives this source in a recommendation's `sources`.
pub const SOURCE: &str = "ohchr-matrix";

/// The State under review and the session, as the document or the caller gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Review {
    pub state: Option<String>,
    pub session: Option<i64>,
}

/// One recommendation of the matrix, mapped to the repository's codes.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub line: u64,
    pub paragraph: Option<String>,
    pub language: Language,
    pub text: String,
    pub recommending_states: Vec<String>,
    pub response: Option<Response>,
    pub response_original: Option<String>,
    /// `Source of Position`: the document symbol and its paragraph.
    pub source: Option<(String, Option<String>)>,
    pub themes: Vec<String>,
    pub themes_original: Vec<String>,
    pub affected_persons: Vec<String>,
    pub affected_persons_original: Vec<String>,
    pub sdg_goals: Vec<String>,
    pub sdg_targets: Vec<String>,
}

/// What a matrix holds: its review, and each row as recommendations (or why it cannot be
/// read), with the warnings of its labels that no vocabulary has.
pub struct Matrix {
    pub review: Review,
    pub rows: Vec<MatrixRow>,
    /// What was passed over or read in a way to be checked, of the document rather than of a
    /// row: a column of no use here, a table read as the continuation of the one before it.
    pub warnings: Vec<RowError>,
}

pub struct MatrixRow {
    pub line: u64,
    pub entries: Result<Vec<Entry>, Vec<RowError>>,
    pub warnings: Vec<RowError>,
}

/// The columns of a matrix, by what their header says.
#[derive(Debug, Default, Clone)]
struct Columns {
    recommendation: usize,
    position: usize,
    themes: Option<usize>,
    persons: Option<usize>,
    sdgs: Option<usize>,
    /// The paragraph number, where a layout gives it a column of its own (`Para.`).
    paragraph: Option<usize>,
    /// `Source of position`, where a layout gives it a column of its own.
    source: Option<usize>,
    /// How many cells the header has.
    width: usize,
    /// The header's other columns, which are passed over: where they are, and their names.
    unread: Vec<(usize, String)>,
}

/// The headers of a column of paragraph numbers, folded and their letters alone: `No.`,
/// `N°`, `Para.`.
const PARAGRAPH_HEADERS: [&str; 8] = [
    "para",
    "paragraph",
    "paragraphe",
    "no",
    "n",
    "nr",
    "number",
    "numero",
];

const RECOMMENDATION: &str = "Recommendation";
const POSITION: &str = "Position";
const THEMES: &str = "Themes";
const SDGS: &str = "SDGs";

impl Columns {
    /// The columns a header row names, when it is a matrix's: a recommendation column and a
    /// position column at least.
    fn of(header: &[Vec<String>]) -> Option<Self> {
        let texts: Vec<String> = header.iter().map(|cell| fold(&cell.join(" "))).collect();
        let find = |pred: &dyn Fn(&str) -> bool| texts.iter().position(|t| pred(t));
        // English, French (`Recommandation et État recommandant`) or Spanish (`Recomendación
        // y Estado recomendante`), the languages whose positions are read.
        let names_recommendation = |t: &str| {
            t.contains("recommendation")
                || t.contains("recommandation")
                || t.contains("recomendacion")
        };
        let recommendation = find(&|t| names_recommendation(t))?;
        // `Source of position` (a word `source`, not `Resources`), unless it is the position's
        // own header (`Position / Source of position`).
        let names_source = |t: &str| {
            t.split(|c: char| !c.is_alphanumeric())
                .any(|w| w == "source" || w == "fuente")
        };
        let names_position = |t: &str| {
            (t.contains("position") || t.contains("posicion")) && !names_recommendation(t)
        };
        let position = find(&|t| names_position(t) && !names_source(t))
            .or_else(|| find(&|t| names_position(t)))?;
        let source =
            find(&|t| names_source(t) && !names_recommendation(t)).filter(|i| *i != position);
        let names_themes =
            |t: &str| t.contains("theme") || t.split(' ').any(|w| w.starts_with("tema"));
        let themes = find(&names_themes);
        let sdgs = find(&|t| {
            t.contains("sdg") || t.split(' ').any(|w| matches!(w, "odd" | "odds" | "ods"))
        });
        let persons = find(&|t| {
            (t.contains("persons") || t.contains("personnes") || t.contains("personas"))
                && !names_themes(t)
        });
        let paragraph = find(&|t| {
            let letters: String = t.chars().filter(|c| c.is_alphanumeric()).collect();
            PARAGRAPH_HEADERS.contains(&letters.as_str())
        });
        let read = [
            Some(recommendation),
            Some(position),
            themes,
            persons,
            sdgs,
            paragraph,
            source,
        ];
        let unread = header
            .iter()
            .enumerate()
            .filter(|(i, _)| !read.contains(&Some(*i)))
            .map(|(i, cell)| (i, cell.join(" ").trim().to_owned()))
            .filter(|(_, name)| !name.is_empty())
            .collect();
        Some(Self {
            recommendation,
            position,
            themes,
            persons,
            sdgs,
            paragraph,
            source,
            width: header.len(),
            unread,
        })
    }
}

/// Lower case, accents folded, for headings and keywords.
fn fold(text: &str) -> String {
    crate::domain::normalise_text(text)
}

/// Reads the matrix of a document; `given` is what the caller says of the review, used where
/// the document says nothing and checked where it does.
pub fn read(docx: &Docx, given: &Review) -> Result<Matrix, ImportError> {
    // The matrix's tables: one, or one a theme, each with its header row; or a table without
    // one right after a matrix's, as a document converted from a PDF cuts a table at its pages.
    let mut tables: Vec<Table<'_>> = Vec::new();
    // Whether another table came since the matrix's last: what follows it is no continuation.
    let mut interrupted = false;
    for block in &docx.body {
        let Block::Table(rows) = block else { continue };
        let Some(header) = rows.first() else { continue };
        match (Columns::of(header), tables.last()) {
            (Some(columns), _) => {
                tables.push(Table {
                    columns,
                    rows,
                    headed: true,
                });
                interrupted = false;
            }
            (None, Some(last)) if !interrupted && continues(&last.columns, rows) => {
                tables.push(Table {
                    columns: last.columns.clone(),
                    rows,
                    headed: false,
                });
            }
            (None, _) => interrupted = true,
        }
    }
    let Some(Table { rows: first, .. }) = tables.first() else {
        return Err(ImportError::File(
            "This is not an OHCHR UPR matrix: the document has no table whose header names a \
             recommendation column and a position column (headings read: `Recommendation`, \
             `Recommandation` or `Recomendación`, and `Position` or `Posición`, in English, \
             French or Spanish)."
                .into(),
        ));
    };
    let review = review_of(docx, given)?;
    let heading = fold(&first[0].concat().join(" "));
    let language = if heading.contains("recommandation") {
        Language::Fr
    } else if heading.contains("recomendacion") {
        Language::Es
    } else {
        Language::En
    };
    let mut out = Vec::new();
    let mut warnings: Vec<RowError> = Vec::new();
    // Rows are numbered through the tables in order, each one's header counted.
    let mut before = 0u64;
    let mut header = None;
    for table in &tables {
        if table.headed {
            header = table.rows.first();
            // A column left empty (the assessment a 2nd-cycle matrix leaves to the State) is
            // passed over in silence.
            let filled = |i: usize| {
                table.rows[1..].iter().any(|cells| {
                    cells.len() > 1
                        && cells
                            .get(i)
                            .is_some_and(|c| c.iter().any(|l| !l.trim().is_empty()))
                })
            };
            for (i, name) in &table.columns.unread {
                if filled(*i) && !warnings.iter().any(|w| w.column.as_ref() == Some(name)) {
                    warnings.push(RowError::passed_over(
                        before + 1,
                        name.clone(),
                        "an OHCHR matrix",
                    ));
                }
            }
        } else {
            warnings.push(RowError {
                line: before + 1,
                column: None,
                code: "table_continued".into(),
                message: format!(
                    "a table without a header row follows the matrix's table: its {} rows were \
                     read as that table's, by its columns",
                    table.rows.len()
                ),
            });
        }
        read_rows(
            &mut out,
            &table.columns,
            header.map(Vec::as_slice),
            &table.rows[usize::from(table.headed)..],
            before + u64::from(table.headed),
            language,
        );
        before += table.rows.len() as u64;
    }
    Ok(Matrix {
        review,
        rows: out,
        warnings,
    })
}

/// A table of the matrix.
struct Table<'a> {
    columns: Columns,
    rows: &'a [super::docx::Row],
    /// Whether its first row is its header (else it continues the table before it).
    headed: bool,
}

/// Whether a table without a matrix's header is the rest of the matrix's table before it: as
/// many cells a row as that table's header (or one, a heading), and a position read in the
/// position column of most of its rows.
fn continues(columns: &Columns, rows: &[super::docx::Row]) -> bool {
    let full: Vec<_> = rows.iter().filter(|cells| cells.len() > 1).collect();
    let read = full
        .iter()
        .filter(|cells| {
            cells
                .get(columns.position)
                .is_some_and(|cell| Response::from_original(&cell.join(" ")).is_some())
        })
        .count();
    rows.iter()
        .all(|cells| cells.len() == columns.width || cells.len() == 1)
        && read > 0
        && read * 2 >= full.len()
}

/// The rows of one table (its header taken off), numbered from `before`; `header` the matrix's
/// header, which a table pasted together from pieces repeats.
fn read_rows(
    out: &mut Vec<MatrixRow>,
    columns: &Columns,
    header: Option<&[Vec<String>]>,
    rows: &[super::docx::Row],
    before: u64,
    language: Language,
) {
    let folded = |cells: &[Vec<String>]| -> Vec<String> {
        cells.iter().map(|c| fold(&c.join(" "))).collect()
    };
    let header = header.map(folded);
    for (i, cells) in rows.iter().enumerate() {
        let line = before + i as u64 + 1;
        // The header again, as a table pasted together from pieces has it.
        if header.as_ref() == Some(&folded(cells)) {
            continue;
        }
        let cell = |i: usize| cells.get(i).map(Vec::as_slice).unwrap_or(&[]);
        let text_lines = cell(columns.recommendation);
        // A heading between rows (`Theme: …`), or a row with nothing in it.
        let others_empty = cells
            .iter()
            .enumerate()
            .all(|(k, c)| k == columns.recommendation || c.is_empty());
        let heading = text_lines
            .first()
            .is_some_and(|l| fold(l).starts_with("theme"))
            && others_empty;
        if text_lines.is_empty() && others_empty || heading || cells.len() == 1 {
            continue;
        }
        let mut warnings = Vec::new();
        let entries = row(
            line,
            language,
            columns,
            cells,
            &mut |column: &str, code: &str, message: String| {
                warnings.push(RowError::in_column(line, column, code, message))
            },
        );
        out.push(MatrixRow {
            line,
            entries,
            warnings,
        });
    }
}

type Warn<'a> = &'a mut dyn FnMut(&str, &str, String);

/// One row of the table as its recommendations.
fn row(
    line: u64,
    language: Language,
    columns: &Columns,
    cells: &[Vec<String>],
    warn: Warn<'_>,
) -> Result<Vec<Entry>, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut err = |column: &str, code: &str, message: String| {
        errors.push(RowError::in_column(line, column, code, message))
    };
    let cell = |i: usize| cells.get(i).map(Vec::as_slice).unwrap_or(&[]);

    // The texts, then `Source of Position: …` (and anything after it, which is not the
    // recommendation's).
    let mut texts = Vec::new();
    let mut source = None;
    for l in cell(columns.recommendation) {
        if let Some(rest) = strip_label(l, &["source of position", "source de la position"]) {
            source = source_of(rest);
            break;
        }
        texts.push(l.as_str());
    }
    if source.is_none()
        && let Some(i) = columns.source
    {
        let text = cell(i).join(" ");
        let labels = ["source of position", "source de la position"];
        source = source_of(strip_label(&text, &labels).unwrap_or(&text));
    }
    let joined = texts.join(" ");
    let (paragraph, body) = paragraph_number(&joined);
    let paragraph = paragraph.or_else(|| {
        let text = cell(columns.paragraph?).join(" ");
        let number = text.trim().trim_end_matches('.');
        (number.contains('.')
            && number
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())))
        .then(|| number.to_owned())
    });
    let mut pieces = Vec::new();
    for (text, names) in split_texts(body) {
        let mut states = Vec::new();
        for name in &names {
            match state_code(name) {
                Some(code) if !states.contains(&code) => states.push(code),
                Some(_) => {}
                None => err(
                    RECOMMENDATION,
                    "unknown_country",
                    format!("`{name}` is not a UN member or observer State this repository knows"),
                ),
            }
        }
        pieces.push((text, states));
    }
    if pieces.iter().all(|(t, _)| t.is_empty()) {
        err(
            RECOMMENDATION,
            "blank",
            "the row has no recommendation text".into(),
        );
    }
    for (text, states) in &pieces {
        if !text.is_empty() && states.is_empty() {
            err(
                RECOMMENDATION,
                "no_recommending_state",
                format!(
                    "`{}` names no recommending State in parentheses",
                    shorten(text)
                ),
            );
        }
    }

    let original = cell(columns.position).join(" ").trim().to_owned();
    let response = if original.is_empty() || Response::awaited(&original) {
        None
    } else {
        let r = Response::from_original(&original);
        if r.is_none() {
            err(
                POSITION,
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

    let mut labels = Labels::default();
    if let Some(i) = columns.themes {
        labels.read(cell(i), Kind::Theme, warn);
    }
    if let Some(i) = columns.persons {
        labels.read(cell(i), Kind::Persons, warn);
    }
    if let Some(i) = columns.sdgs {
        labels.read(cell(i), Kind::Sdg, warn);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // A text left in another language than the matrix's (a row of a French matrix not
    // translated) is stored in its own, and said.
    let languages: Vec<Language> = pieces
        .iter()
        .map(
            |(text, _)| match super::other_language(line, RECOMMENDATION, text, language) {
                Some((other, warning)) => {
                    warn(RECOMMENDATION, &warning.code, warning.message);
                    other
                }
                None => language,
            },
        )
        .collect();
    Ok(pieces
        .into_iter()
        .zip(languages)
        .map(|((text, recommending_states), language)| Entry {
            line,
            paragraph: paragraph.clone(),
            language,
            text,
            recommending_states,
            response,
            response_original: (!original.is_empty()).then(|| original.clone()),
            source: source.clone(),
            themes: labels.themes.clone(),
            themes_original: labels.themes_original.clone(),
            affected_persons: labels.persons.clone(),
            affected_persons_original: labels.persons_original.clone(),
            sdg_goals: labels.goals.clone(),
            sdg_targets: labels.targets.clone(),
        })
        .collect())
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The rest of `line` after one of `labels` and its colon, compared folded.
fn strip_label<'a>(line: &'a str, labels: &[&str]) -> Option<&'a str> {
    let (head, rest) = line.split_once(':')?;
    let head = fold(head);
    labels.iter().any(|l| head == *l).then_some(rest.trim())
}

/// `A/HRC/59/15/Add.1 - Para.3` → the symbol and `3`.
fn source_of(text: &str) -> Option<(String, Option<String>)> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let (symbol, paragraph) = match text.rsplit_once(" - ") {
        Some((symbol, para)) => {
            let para = para.trim();
            let number = para
                .trim_start_matches(|c: char| c.is_alphabetic() || c == '.' || c == ' ')
                .trim();
            (
                symbol.trim(),
                (!number.is_empty()).then(|| number.to_owned()),
            )
        }
        None => (text, None),
    };
    // `A/HRC/28/15/Add.1, para. 3 - Para. 3`: the paragraph said twice.
    let symbol = symbol.split(',').next().unwrap_or(symbol).trim();
    Some((symbol.to_owned(), paragraph))
}

/// `140.7 Ratify …` → `140.7` and the rest.
fn paragraph_number(text: &str) -> (Option<String>, &str) {
    let text = text.trim();
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number = text[..end].trim_end_matches('.');
    let is_number = number.contains('.')
        && number.split('.').all(|p| !p.is_empty())
        && text[end..].starts_with(char::is_whitespace);
    if is_number {
        (Some(number.to_owned()), text[end..].trim_start())
    } else {
        (None, text)
    }
}

/// The texts of a paragraph, each with the names in the parentheses that end it: a text ends
/// where a run of parenthesised State names is followed by `;`, or by the end.
fn split_texts(body: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = body.trim();
    while !rest.is_empty() {
        match next_end(rest) {
            Some(end) => {
                let (text, names) = trailing_states(&rest[..end]);
                out.push((text.to_owned(), names));
                rest = rest[end..].trim_start_matches([';', ' ']).trim();
            }
            None => {
                let (text, names) = trailing_states(rest);
                out.push((text.to_owned(), names));
                break;
            }
        }
    }
    out
}

/// The end of the first text of `text` that is followed by `;` and more text: just after the
/// parenthesised State names before that `;`.
fn next_end(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut last_group_end = None;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            // A parenthesis closed that none opened ends no group: the State names are looked
            // for only behind a group (else `a);a);…` looked back over the whole text at each
            // `;`).
            ')' if depth == 0 => last_group_end = None,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    last_group_end = Some(i + 1);
                }
            }
            ';' if depth == 0 => {
                let after = text[i + 1..].trim();
                let before = text[..i].trim_end();
                if !after.is_empty()
                    && last_group_end == Some(before.len())
                    && !trailing_states(before).1.is_empty()
                {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn state_code(name: &str) -> Option<String> {
    CountryCode::lookup(name)
        .ok()
        .and_then(|c| CountryCode::parse_state(c.as_str()).ok())
        .map(|c| c.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Theme,
    Persons,
    Sdg,
}

#[derive(Debug, Default)]
struct Labels {
    themes: Vec<String>,
    themes_original: Vec<String>,
    persons: Vec<String>,
    persons_original: Vec<String>,
    goals: Vec<String>,
    targets: Vec<String>,
}

fn push_new(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

impl Labels {
    /// Reads a cell's lines, starting as `kind`; a heading line (`Groups of Persons:`,
    /// `Affected persons:`, `SDGs:`) switches to its kind for the lines after it.
    fn read(&mut self, lines: &[String], kind: Kind, warn: Warn<'_>) {
        let mut kind = kind;
        for line in lines {
            let mut line = line.as_str();
            if let Some((head, rest)) = line.split_once(':') {
                let head = fold(head);
                let switched = match head.as_str() {
                    "groups of persons"
                    | "affected persons"
                    | "groupes de personnes"
                    | "personnes concernees"
                    | "persons affected" => Some(Kind::Persons),
                    "sdgs" | "sdg" | "odd" | "relevant sdgs" => Some(Kind::Sdg),
                    "themes" | "theme" | "human rights themes" => Some(Kind::Theme),
                    _ => None,
                };
                if let Some(k) = switched {
                    kind = k;
                    line = rest;
                }
            }
            let label = line
                .trim()
                .trim_start_matches(['-', '\u{2013}', '\u{2022}', '\u{25aa}', '\u{f0b7}'])
                .trim();
            if label.is_empty() {
                continue;
            }
            match kind {
                Kind::Theme => self.theme(label, warn),
                Kind::Persons => self.persons(label, warn),
                Kind::Sdg => self.sdg(label, warn),
            }
        }
    }

    fn theme(&mut self, label: &str, warn: Warn<'_>) {
        // `A12 Acceptance of international norms`: a UHRI code, then the name.
        let (code, name) = match label.split_once(' ') {
            Some((code, name)) if is_uhri_code(code) => (Some(code), name.trim()),
            _ => (None, label),
        };
        let data = reference();
        let found = data
            .theme_of_uhri(name)
            .or_else(|| code.and_then(|c| data.theme_of_uhri(c)));
        match found {
            Some(code) => push_new(&mut self.themes, code.to_owned()),
            None => {
                warn(
                    THEMES,
                    "unknown_theme",
                    format!("`{label}` is not a theme of the UHRI vocabulary: kept as written"),
                );
                push_new(&mut self.themes_original, label.to_owned());
            }
        }
    }

    fn persons(&mut self, label: &str, warn: Warn<'_>) {
        match reference().affected_persons_of_uhri(label) {
            Some(code) => push_new(&mut self.persons, code.to_owned()),
            None => {
                warn(
                    THEMES,
                    "unknown_group_of_persons",
                    format!(
                        "`{label}` is not a group of persons of the UHRI vocabulary: kept as written"
                    ),
                );
                push_new(&mut self.persons_original, label.to_owned());
            }
        }
    }

    /// `16 - PEACE, JUSTICE AND STRONG INSTITUTIONS`, `SDG 16`, `Goal 16`, a target `16.3`, or
    /// several of them on one line (`SDGs: 16, 18`, `5 - GENDER EQUALITY; 16 - PEACE, …`),
    /// each read: the line is cut where a comma or semicolon and a space come before a number
    /// (a goal's name holds commas of its own, and `16,3` is a target in French).
    fn sdg(&mut self, label: &str, warn: Warn<'_>) {
        let mut pieces: Vec<String> = Vec::new();
        for piece in label.split([',', ';']) {
            let starts_anew = piece.starts_with(' ') && numbered(piece);
            match pieces.last_mut() {
                Some(last) if !starts_anew => {
                    last.push(',');
                    last.push_str(piece);
                }
                _ => pieces.push(piece.to_owned()),
            }
        }
        for piece in pieces {
            let piece = piece.trim();
            if !piece.is_empty() {
                self.one_sdg(piece, warn);
            }
        }
    }

    fn one_sdg(&mut self, label: &str, warn: Warn<'_>) {
        let folded = fold(label);
        let rest = sdg_number(&folded);
        let number: String = label
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || c.is_ascii_lowercase())
            .collect();
        let number = number.trim_end_matches('.');
        let data = reference();
        let starts_with_number = rest.starts_with(|c: char| c.is_ascii_digit());
        let (goal, target) = match number.split_once('.') {
            Some((goal, _)) => (goal, Some(number)),
            None => (number, None),
        };
        if starts_with_number && data.sdg_goals.iter().any(|g| g.code == goal) {
            push_new(&mut self.goals, goal.to_owned());
            if let Some(target) = target
                && data.sdg_target(target).is_some()
            {
                push_new(&mut self.targets, target.to_owned());
            }
        } else {
            warn(
                SDGS,
                "unknown_sdg",
                format!("`{label}` is not an SDG goal or target: left out"),
            );
        }
    }
}

/// What follows a goal's name in an SDG label (`SDG 16`, `Goal 16`), folded: its number first
/// when it names one.
fn sdg_number(folded: &str) -> &str {
    ["sdg ", "goal ", "odd ", "objectif "]
        .iter()
        .find_map(|p| folded.strip_prefix(p))
        .unwrap_or(folded)
}

/// Whether an SDG label starts with a number (`16`, `SDG 5`), as each of a list of them does;
/// a goal's name holds commas of its own (`16 - PEACE, JUSTICE AND STRONG INSTITUTIONS`).
fn numbered(label: &str) -> bool {
    sdg_number(&fold(label)).starts_with(|c: char| c.is_ascii_digit())
}

/// `A12`, `B31`, `D51`, `G4`: a capital letter and one to three digits.
fn is_uhri_code(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && (1..=3).contains(&chars.clone().count())
        && chars.all(|c| c.is_ascii_digit())
}

/// The review the document names (its page header or the paragraphs before its table: `UPR
/// of Slovenia (4th Cycle - 48th Session)`), checked against what the caller gives.
fn review_of(docx: &Docx, given: &Review) -> Result<Review, ImportError> {
    let mut candidates: Vec<String> = docx.headers.clone();
    for block in &docx.body {
        match block {
            Block::Paragraph(lines) => candidates.push(lines.join(" ")),
            Block::Table(_) => break,
        }
    }
    // The first State and the first session named, wherever each is.
    let mut found = Review::default();
    for review in candidates.iter().map(|t| review_in(t)) {
        found.state = found.state.or(review.state);
        found.session = found.session.or(review.session);
    }
    let disagree = |what: &str, found: &str, given: &str| {
        ImportError::File(format!(
            "The document is a matrix of {what} {found}, and the upload says {given}."
        ))
    };
    let state = match (&found.state, &given.state) {
        (Some(f), Some(g)) => {
            let g_code = state_code(g).unwrap_or_else(|| g.to_uppercase());
            if *f != g_code {
                return Err(disagree("the review of", f, g));
            }
            Some(f.clone())
        }
        (Some(f), None) => Some(f.clone()),
        (None, Some(g)) => Some(state_code(g).ok_or_else(|| {
            ImportError::File(format!(
                "`{g}` is not a UN member or observer State this repository knows."
            ))
        })?),
        (None, None) => None,
    };
    let session = match (found.session, given.session) {
        (Some(f), Some(g)) if f != g => {
            return Err(disagree("session", &f.to_string(), &g.to_string()));
        }
        (f, g) => f.or(g),
    };
    match (state, session) {
        (Some(state), Some(session)) => Ok(Review {
            state: Some(state),
            session: Some(session),
        }),
        (state, session) => Err(ImportError::File(format!(
            "The document does not say {}: give it (`--state` and `--session`, or the query \
             parameters `state` and `session`).",
            match (state, session) {
                (None, None) => "which State was reviewed, nor at which session",
                (None, Some(_)) => "which State was reviewed",
                _ => "at which session of the Working Group",
            }
        ))),
    }
}

/// The State and session a title names: `UPR of Slovenia (4th Cycle - 48th Session)`,
/// `EPU de la France (4e cycle - 43e session)`, `EPU de Bolivia (4º ciclo - 48º período de
/// sesiones)`; a symbol `A/HRC/WG.6/48/SVN/1` names both.
fn review_in(title: &str) -> Review {
    let mut review = Review::default();
    // A Working Group document symbol.
    if let Some(at) = title.find("A/HRC/WG.6/") {
        let mut parts = title[at + "A/HRC/WG.6/".len()..].split('/');
        review.session = parts.next().and_then(|s| s.trim().parse().ok());
        review.state = parts
            .next()
            .map(|s| s.trim().to_owned())
            .filter(|s| CountryCode::parse_state(s).is_ok());
    }
    let folded = fold(title);
    let words: Vec<&str> = folded.split(' ').collect();
    for (i, w) in words.iter().enumerate() {
        let is_session = *w == "session" || *w == "sesion";
        // Spanish: `48º período de sesiones`.
        let of_sessions = *w == "sesiones" && i > 2 && words[i - 2..i] == ["periodo", "de"];
        let before = if of_sessions { i.saturating_sub(2) } else { i };
        if (is_session || of_sessions) && before > 0 && review.session.is_none() {
            let number: String = words[before - 1]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            review.session = number.parse().ok().filter(|n| (1..=200).contains(n));
        }
    }
    if review.state.is_none() {
        // `UPR of X (`, `EPU de X (`: the longest run of words after `of`/`de` that names a
        // State.
        let lower = title.to_lowercase();
        for marker in [
            "upr of ",
            "epu de la ",
            "epu de l'",
            "epu du ",
            "epu des ",
            "epu de ",
        ] {
            if let Some(at) = lower.find(marker) {
                let rest = &title[at + marker.len()..];
                let name = rest.split('(').next().unwrap_or("");
                let name = name.split([' ', '\u{a0}']).collect::<Vec<_>>().join(" ");
                let name = name
                    .split(" - ")
                    .next()
                    .and_then(|n| n.split(" \u{2013} ").next())
                    .unwrap_or("")
                    .trim();
                if let Some(code) = state_code(name) {
                    review.state = Some(code);
                    break;
                }
            }
        }
    }
    if review.state.is_none() {
        // `Thematic list of recommendations - Slovenia`: a part of the title that is a State.
        review.state = title
            .split([':', '\u{2013}', '\u{2014}'])
            .flat_map(|part| part.split(" - "))
            .find_map(|part| state_code(part.trim()));
    }
    review
}

/// The columns of [`csv`], in the order of OHCHR's matrix.
pub const CSV_COLUMNS: [&str; 8] = [
    "Paragraph",
    "Recommendation",
    "Recommending States",
    "Position",
    "Source of position",
    "Themes",
    "Groups of persons",
    "SDGs",
];

/// One review's recommendations as an NMIRF tracking tool reads OHCHR's matrix: a row each, in
/// the order of their paragraphs (`140.2` before `140.10`; those without one last, as
/// stored), with the States, themes and groups named in English and lists separated by `; `.
pub fn csv(mut recs: Vec<crate::domain::recommendation::Recommendation>) -> Vec<u8> {
    fn order(paragraph: Option<&str>) -> (bool, Vec<u64>) {
        match paragraph {
            Some(p) => (
                false,
                p.split('.')
                    .map(|n| n.parse().unwrap_or(u64::MAX))
                    .collect(),
            ),
            None => (true, Vec::new()),
        }
    }
    recs.sort_by_cached_key(|r| order(r.content.paragraph.as_deref()));
    let data = reference();
    let mut out = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = out.write_record(CSV_COLUMNS);
    for rec in recs {
        let c = rec.content;
        let states: Vec<String> = c
            .recommending_states
            .iter()
            .map(|s| {
                data.country(s.as_str())
                    .and_then(|country| country.short_name.en.clone())
                    .unwrap_or_else(|| s.to_string())
            })
            .collect();
        let position = c.response_original.clone().or_else(|| {
            c.response.map(|r| {
                match r {
                    Response::Supported => "Supported",
                    Response::SupportedInPart => "Supported/Noted",
                    Response::Noted => "Noted",
                }
                .to_owned()
            })
        });
        let source = c.source.as_ref().map(|s| match &s.paragraph {
            Some(p) => format!("{} - Para.{p}", s.symbol),
            None => s.symbol.clone(),
        });
        let mut themes: Vec<String> = c
            .themes
            .iter()
            .map(|t| {
                data.theme(t)
                    .and_then(|theme| theme.label.en.clone())
                    .unwrap_or_else(|| t.clone())
            })
            .collect();
        themes.extend(c.themes_original.iter().cloned());
        let mut groups: Vec<String> = c
            .affected_persons
            .iter()
            .map(|code| {
                data.affected_persons(code)
                    .and_then(|p| p.uhri.clone().or_else(|| p.label.en.clone()))
                    .unwrap_or_else(|| code.clone())
            })
            .collect();
        groups.extend(c.affected_persons_original.iter().cloned());
        let text = c
            .text
            .get(Language::En)
            .or_else(|| c.text.texts().next().map(|(_, t)| t))
            .unwrap_or_default()
            .to_owned();
        let sdgs: Vec<String> = c.sdg_goals.iter().map(|g| format!("SDG {g}")).collect();
        let record = [
            c.paragraph.clone().unwrap_or_default(),
            text,
            states.join("; "),
            position.unwrap_or_default(),
            source.unwrap_or_default(),
            themes.join("; "),
            groups.join("; "),
            sdgs.join("; "),
        ];
        let _ = out.write_record(record.map(super::neutralise));
    }
    out.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_of_one_paragraph_are_cut_at_their_states() {
        let (number, body) = paragraph_number(
            "121.2 Complete the process of ratification (Ukraine); Increase efforts towards \
             ratification of the Convention, 1930 (No. 29) (Slovakia) (Venezuela (Bolivarian Republic of));",
        );
        assert_eq!(number.as_deref(), Some("121.2"));
        let texts = split_texts(body);
        assert_eq!(
            texts,
            vec![
                (
                    "Complete the process of ratification".to_owned(),
                    vec!["Ukraine".to_owned()]
                ),
                (
                    "Increase efforts towards ratification of the Convention, 1930 (No. 29)"
                        .to_owned(),
                    vec![
                        "Slovakia".to_owned(),
                        "Venezuela (Bolivarian Republic of)".to_owned()
                    ]
                ),
            ]
        );
    }

    /// Parentheses closed that none opened end no run of State names: a text of a hundred
    /// thousand of them is one text, read once (the names were looked for behind each `;`, back
    /// over the whole text before it).
    #[test]
    fn parentheses_closed_that_none_opened_are_read_once() {
        let text = "a);".repeat(100_000);
        let texts = split_texts(&text);
        assert_eq!(texts.len(), 1);
        assert!(texts[0].1.is_empty());
        let texts = split_texts("Adopt it 1) now; (Chile); then fund it (Peru);");
        assert_eq!(
            texts,
            vec![
                ("Adopt it 1) now".to_owned(), vec!["Chile".to_owned()]),
                ("then fund it".to_owned(), vec!["Peru".to_owned()]),
            ]
        );
    }

    #[test]
    fn a_semicolon_inside_a_text_does_not_cut_it() {
        let texts = split_texts("Adopt a law; and fund it (Chile) (Peru);");
        assert_eq!(
            texts,
            vec![(
                "Adopt a law; and fund it".to_owned(),
                vec!["Chile".to_owned(), "Peru".to_owned()]
            )]
        );
    }

    #[test]
    fn titles_name_the_review() {
        assert_eq!(
            review_in(
                "UPR of Slovenia (4th Cycle - 48th Session) Thematic list of recommendations*"
            ),
            Review {
                state: Some("SVN".into()),
                session: Some(48)
            }
        );
        assert_eq!(
            review_in("EPU de la France (4e cycle – 43e session)"),
            Review {
                state: Some("FRA".into()),
                session: Some(43)
            }
        );
        assert_eq!(
            review_in("A/HRC/WG.6/34/SVN/1"),
            Review {
                state: Some("SVN".into()),
                session: Some(34)
            }
        );
    }

    #[test]
    fn states_resolve_as_every_cycle_names_them() {
        let names = [
            "the former Yugoslav Republic of Macedonia",
            "North Macedonia",
            "Bolivarian Republic of Venezuela",
            "Venezuela (Bolivarian Republic of)",
            "Islamic Republic of Iran",
            "Iran (Islamic Republic of)",
            "State of Palestine",
            "Republic of Korea",
            "Democratic People's Republic of Korea",
            "Plurinational State of Bolivia",
            "Bolivia (Plurinational State of)",
            "United Republic of Tanzania",
            "Lao People's Democratic Republic",
            "Republic of Moldova",
            "C\u{f4}te d\u{2019}Ivoire",
            "T\u{fc}rkiye",
            "Turkey",
            "Czechia",
            "Czech Republic",
            "Eswatini",
            "Swaziland",
            "Cabo Verde",
            "Micronesia (Federated States of)",
            "Democratic Republic of the Congo",
            "Congo",
            "Syrian Arab Republic",
            "Viet Nam",
            "Kingdom of the Netherlands",
            "Netherlands",
            "United Kingdom of Great Britain and Northern Ireland",
            "United States of America",
            "Russian Federation",
            "Holy See",
            "Gambia",
            "Bahamas",
            "Brunei Darussalam",
            "Timor-Leste",
            "Saint Vincent and the Grenadines",
        ];
        let unknown: Vec<&str> = names
            .into_iter()
            .filter(|n| state_code(n).is_none())
            .collect();
        assert!(unknown.is_empty(), "not resolved: {unknown:?}");
    }

    #[test]
    fn positions_and_sources_read() {
        assert_eq!(
            Response::from_original("Supported"),
            Some(Response::Supported)
        );
        assert_eq!(
            Response::from_original("Supported/Noted"),
            Some(Response::SupportedInPart)
        );
        assert_eq!(Response::from_original("Noted"), Some(Response::Noted));
        assert_eq!(Response::from_original("Maybe"), None);
        // Spanish matrices' and exports' words.
        assert_eq!(
            Response::from_original("Apoyada"),
            Some(Response::Supported)
        );
        assert_eq!(
            Response::from_original("Se toma nota"),
            Some(Response::Noted)
        );
        assert_eq!(
            Response::from_original("Apoyada/Anotada"),
            Some(Response::SupportedInPart)
        );
        // Not yet responded to: no response, as an empty cell.
        assert!(Response::awaited("Pending") && Response::awaited(" no  response "));
        assert!(!Response::awaited("Noted"));
        assert_eq!(
            source_of("A/HRC/59/15/Add.1 - Para.3"),
            Some(("A/HRC/59/15/Add.1".into(), Some("3".into())))
        );
        assert_eq!(
            source_of("A/HRC/28/15/Add.1, para. 3 - Para. 3"),
            Some(("A/HRC/28/15/Add.1".into(), Some("3".into())))
        );
        assert_eq!(
            source_of("A/HRC/43/15/Add.1"),
            Some(("A/HRC/43/15/Add.1".into(), None))
        );
        assert_eq!(
            source_of("A/HRC/43/15 - Para 121"),
            Some(("A/HRC/43/15".into(), Some("121".into())))
        );
    }
}
