//! The text of a Word document (`.docx`, Office Open XML), as far as an import needs it: the
//! paragraphs and tables of its body and the text of its page headers. A `.docx` is a zip of
//! XML parts; the zip is read with the `zip` crate and each part with `quick-xml`, element by
//! element, never by guessing at positions in the text.
//!
//! Only `w:t` carries text (a field's code, `w:instrText`, and deleted text, `w:delText`, do
//! not); a tab is a space and a line break (`w:br`, `w:cr`) starts a new line. A table cell is
//! its lines; a cell merged with the one above (`w:vMerge` without `restart`) has that cell's
//! lines, and a table nested in a cell adds its lines to the cell's.

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::Event;

/// What a document holds, in order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Docx {
    /// The text of each page header, its lines joined by a space.
    pub headers: Vec<String>,
    pub body: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A paragraph's lines.
    Paragraph(Vec<String>),
    Table(Vec<Row>),
}

/// A table row's cells, each its lines (empty lines left out).
pub type Row = Vec<Vec<String>>;

/// The most a part of the document may hold once decompressed: far above any real matrix
/// (OHCHR's for a 254-recommendation review is 1.2 MB), and what a small archive that
/// unpacks to gigabytes (a zip bomb) is stopped at.
pub const MAX_PART: u64 = 16 * 1024 * 1024;
/// Header parts read at most.
const MAX_HEADERS: usize = 16;
/// The most a page header or the package's relationships may hold once decompressed (a real
/// one holds a few lines).
const MAX_SMALL_PART: u64 = 256 * 1024;
/// The most cells and paragraphs a part may hold: far above any real matrix (OHCHR's for a
/// 254-recommendation review holds some 1,300 cells), and what a body of millions of empty
/// cells, each a few bytes of XML but an allocation once read, is stopped at.
const MAX_ELEMENTS: usize = 200_000;
/// Tables in tables read at most: a table's lines move into the cell that holds it as it
/// ends, so that each level deeper costs another move of every line within it.
const MAX_TABLE_DEPTH: usize = 16;
/// Columns one cell spans at most (`w:gridSpan`): a page holds some tens.
const MAX_SPAN: usize = 1_000;

/// Why a document cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum DocxError {
    #[error("The upload is not a Word document (.docx): {0}.")]
    NotDocx(String),
    #[error("The document's part {part} is larger than {limit} bytes once decompressed.")]
    TooLarge { part: String, limit: u64 },
    #[error(
        "The document's part {part} holds more than {MAX_ELEMENTS} tables, rows, cells and paragraphs."
    )]
    TooManyElements { part: String },
    #[error("The document's part {part} holds tables in tables more than {MAX_TABLE_DEPTH} deep.")]
    TooDeep { part: String },
    #[error("The document's part {part} is not well-formed XML: {message}.")]
    Xml { part: String, message: String },
}

/// Reads a `.docx` from its bytes.
pub fn read(bytes: &[u8]) -> Result<Docx, DocxError> {
    use super::columns::Document;
    match Document::of(bytes) {
        Some(Document::Zip) => {}
        Some(Document::Pdf) => {
            return Err(DocxError::NotDocx(
                "it is a PDF document; the matrix is read from the Word document (.docx) OHCHR \
                 publishes beside it"
                    .into(),
            ));
        }
        Some(kind @ Document::Office97) => {
            return Err(DocxError::NotDocx(format!(
                "it is {}: open the matrix in Word or LibreOffice and save it as a Word \
                 document (.docx)",
                kind.described()
            )));
        }
        // Not a zip archive: the archive reader says what is wrong with it.
        None => {}
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        DocxError::NotDocx(format!("it is not a zip archive, or a damaged one ({e})"))
    })?;
    let main = main_part(&mut zip)?;
    let other = if main.starts_with("xl/") {
        Some("an Excel workbook (.xlsx)")
    } else if main.starts_with("ppt/") {
        Some("a PowerPoint presentation (.pptx)")
    } else {
        None
    };
    if let Some(kind) = other {
        return Err(DocxError::NotDocx(format!(
            "it is {kind}; the matrix is read from a Word document: open the matrix OHCHR \
             published in Word or LibreOffice and save it as a Word document (.docx)"
        )));
    }
    let document = part(&mut zip, &main, MAX_PART)?.ok_or_else(|| {
        if zip.index_for_name("content.xml").is_some() {
            DocxError::NotDocx(
                "it is an OpenDocument file (.odt, .ods): open it in LibreOffice or Word and \
                 save it as a Word document (.docx)"
                    .into(),
            )
        } else {
            DocxError::NotDocx(format!("the archive has no main document part ({main})"))
        }
    })?;
    let body = blocks(&main, &document)?;
    let mut header_names: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| {
            n.strip_prefix("word/header")
                .is_some_and(|rest| rest.ends_with(".xml") && !rest.contains('/'))
        })
        .map(|n| n.into_owned())
        .collect();
    header_names.sort();
    header_names.truncate(MAX_HEADERS);
    let mut headers = Vec::new();
    for name in header_names {
        if let Some(xml) = part(&mut zip, &name, MAX_SMALL_PART)? {
            let lines: Vec<String> = blocks(&name, &xml)?
                .into_iter()
                .flat_map(|b| match b {
                    Block::Paragraph(lines) => lines,
                    Block::Table(rows) => rows.into_iter().flatten().flatten().collect(),
                })
                .collect();
            headers.push(lines.join(" "));
        }
    }
    Ok(Docx { headers, body })
}

/// The main document part's name: what the package's relationships name as the office
/// document, `word/document.xml` in every file Word writes.
fn main_part(zip: &mut zip::ZipArchive<Cursor<&[u8]>>) -> Result<String, DocxError> {
    const DEFAULT: &str = "word/document.xml";
    let Some(rels) = part(zip, "_rels/.rels", MAX_SMALL_PART)? else {
        return Ok(DEFAULT.to_owned());
    };
    let mut reader = Reader::from_str(&rels);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "Relationship" => {
                let attr = |name: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == name)
                        .map(|a| a.value.to_string())
                };
                if attr("Type").is_some_and(|t| t.ends_with("/officeDocument"))
                    && let Some(target) = attr("Target")
                {
                    return Ok(target.trim_start_matches('/').to_owned());
                }
            }
            Ok(Event::Eof) => return Ok(DEFAULT.to_owned()),
            Ok(_) => {}
            Err(e) => {
                return Err(DocxError::Xml {
                    part: "_rels/.rels".into(),
                    message: e.to_string(),
                });
            }
        }
    }
}

/// A part's text, `None` when the archive has no such part.
fn part(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    limit: u64,
) -> Result<Option<String>, DocxError> {
    let file = match zip.by_name(name) {
        Ok(file) => file,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => {
            return Err(DocxError::NotDocx(format!(
                "its part {name} cannot be read ({e})"
            )));
        }
    };
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| DocxError::NotDocx(format!("its part {name} cannot be read ({e})")))?;
    if bytes.len() as u64 > limit {
        return Err(DocxError::TooLarge {
            part: name.into(),
            limit,
        });
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| DocxError::NotDocx(format!("its part {name} is not UTF-8")))
}

/// A table being read: its rows, the row and cell open, and for each cell of the row the grid
/// column it starts at.
#[derive(Default)]
struct Table {
    rows: Vec<Row>,
    /// For each finished row, the grid column each cell starts at.
    columns: Vec<Vec<usize>>,
    row: Option<(Row, Vec<usize>, usize)>,
    cell: Option<Cell>,
}

#[derive(Default)]
struct Cell {
    lines: Vec<String>,
    span: usize,
    /// Merged with the cell above.
    continued: bool,
}

/// Reads the blocks of one part.
fn blocks(name: &str, xml: &str) -> Result<Vec<Block>, DocxError> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    let mut tables: Vec<Table> = Vec::new();
    // The paragraph open: its lines, the last one being written.
    let mut paragraph: Option<Vec<String>> = None;
    let mut in_text = false;
    // Inside an element whose text is not the document's (`mc:Fallback`, a copy of
    // `mc:Choice`), counted so nesting works.
    let mut skipping = 0usize;
    let mut elements = 0usize;
    // The bytes of the lines cells merged with the cell above were given: each gets a copy of
    // that cell's, and a few bytes of XML would otherwise copy megabytes again and again.
    let mut copied = 0u64;
    let xml_error = |e: quick_xml::Error| DocxError::Xml {
        part: name.into(),
        message: e.to_string(),
    };
    loop {
        let event = reader.read_event().map_err(xml_error)?;
        match &event {
            Event::Start(e) if e.name().as_ref() == "mc:Fallback" => {
                skipping += 1;
                continue;
            }
            Event::End(e) if e.name().as_ref() == "mc:Fallback" => {
                skipping = skipping.saturating_sub(1);
                continue;
            }
            Event::Eof => break,
            _ if skipping > 0 => continue,
            _ => {}
        }
        if let Event::Start(e) | Event::Empty(e) = &event
            && matches!(e.name().as_ref(), "w:p" | "w:tc" | "w:tr" | "w:tbl")
        {
            elements += 1;
            if elements > MAX_ELEMENTS {
                return Err(DocxError::TooManyElements { part: name.into() });
            }
        }
        match event {
            Event::Start(e) => match e.name().as_ref() {
                "w:p" => paragraph = Some(vec![String::new()]),
                "w:t" => in_text = true,
                "w:tbl" if tables.len() >= MAX_TABLE_DEPTH => {
                    return Err(DocxError::TooDeep { part: name.into() });
                }
                "w:tbl" => tables.push(Table::default()),
                "w:tr" => {
                    if let Some(t) = tables.last_mut() {
                        t.row = Some((Vec::new(), Vec::new(), 0));
                    }
                }
                "w:tc" => {
                    if let Some(t) = tables.last_mut() {
                        t.cell = Some(Cell {
                            span: 1,
                            ..Cell::default()
                        });
                    }
                }
                _ => {}
            },
            Event::Empty(e) => match e.name().as_ref() {
                "w:tab" | "w:noBreakHyphen" => {
                    if let Some(line) = paragraph.as_mut().and_then(|p| p.last_mut()) {
                        line.push(if e.name().as_ref() == "w:tab" {
                            ' '
                        } else {
                            '-'
                        });
                    }
                }
                "w:br" | "w:cr" => {
                    if let Some(p) = paragraph.as_mut() {
                        p.push(String::new());
                    }
                }
                "w:gridSpan" | "w:vMerge" => {
                    let value = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == "val")
                        .map(|a| a.value.to_string());
                    if let Some(cell) = tables.last_mut().and_then(|t| t.cell.as_mut()) {
                        if e.name().as_ref() == "w:gridSpan" {
                            cell.span = value
                                .and_then(|v| v.parse().ok())
                                .unwrap_or(1)
                                .clamp(1, MAX_SPAN);
                        } else {
                            cell.continued = value.as_deref() != Some("restart");
                        }
                    }
                }
                _ => {}
            },
            Event::Text(t) if in_text => {
                if let Some(line) = paragraph.as_mut().and_then(|p| p.last_mut()) {
                    line.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) if in_text => {
                let text = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => quick_xml::escape::resolve_predefined_entity(&r).map(str::to_owned),
                };
                if let (Some(text), Some(line)) =
                    (text, paragraph.as_mut().and_then(|p| p.last_mut()))
                {
                    line.push_str(&text);
                }
            }
            Event::End(e) => match e.name().as_ref() {
                "w:t" => in_text = false,
                "w:p" => {
                    let lines: Vec<String> = paragraph
                        .take()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|l| l.trim().to_owned())
                        .filter(|l| !l.is_empty())
                        .collect();
                    if tables.is_empty() {
                        out.push(Block::Paragraph(lines));
                    } else if let Some(cell) = tables.last_mut().and_then(|t| t.cell.as_mut()) {
                        cell.lines.extend(lines);
                    }
                    // (A paragraph between cells, which is not valid, is dropped.)
                }
                "w:tc" => {
                    if let Some(t) = tables.last_mut()
                        && let (Some(cell), Some((row, starts, column))) =
                            (t.cell.take(), t.row.as_mut())
                    {
                        let lines = if cell.continued {
                            // The lines of the cell above that starts at the same column.
                            let above: Vec<String> = t
                                .columns
                                .last()
                                .and_then(|above| above.iter().position(|c| c == column))
                                .and_then(|i| t.rows.last().and_then(|r| r.get(i)))
                                .cloned()
                                .unwrap_or_default();
                            copied += above.iter().map(|l| l.len() as u64).sum::<u64>();
                            if copied > MAX_PART {
                                return Err(DocxError::TooLarge {
                                    part: name.into(),
                                    limit: MAX_PART,
                                });
                            }
                            above
                        } else {
                            cell.lines
                        };
                        row.push(lines);
                        starts.push(*column);
                        *column = column.saturating_add(cell.span);
                    }
                }
                "w:tr" => {
                    if let Some(t) = tables.last_mut()
                        && let Some((row, starts, _)) = t.row.take()
                    {
                        t.rows.push(row);
                        t.columns.push(starts);
                    }
                }
                "w:tbl" => {
                    if let Some(t) = tables.pop() {
                        match tables.last_mut().and_then(|outer| outer.cell.as_mut()) {
                            // A table in a cell: its lines are the cell's.
                            Some(cell) => cell.lines.extend(t.rows.into_iter().flatten().flatten()),
                            None => out.push(Block::Table(t.rows)),
                        }
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(xml: &str) -> Vec<Block> {
        let doc = format!(
            r#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>{xml}</w:body></w:document>"#
        );
        blocks("word/document.xml", &doc).unwrap()
    }

    #[test]
    fn runs_join_and_only_text_counts() {
        let blocks = body(
            r#"<w:p><w:r><w:t>4</w:t></w:r><w:r><w:t>8</w:t></w:r><w:r><w:t xml:space="preserve">th Session &amp; more</w:t></w:r>
               <w:r><w:instrText> PAGE </w:instrText></w:r><w:del><w:r><w:delText>gone</w:delText></w:r></w:del>
               <w:r><w:tab/><w:t>a&#x2019;b</w:t><w:br/><w:t>next line</w:t></w:r></w:p>"#,
        );
        assert_eq!(
            blocks,
            vec![Block::Paragraph(vec![
                "48th Session & more a\u{2019}b".into(),
                "next line".into()
            ])]
        );
    }

    #[test]
    fn cells_hold_their_lines_and_merged_cells_repeat_the_one_above() {
        let blocks = body(
            r#"<w:tbl>
                 <w:tr><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>Theme: X</w:t></w:r></w:p></w:tc></w:tr>
                 <w:tr><w:tc><w:p><w:r><w:t>1.1 Do (Chile);</w:t></w:r></w:p><w:p/><w:p><w:r><w:t>Source</w:t></w:r></w:p></w:tc>
                       <w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>Supported</w:t></w:r></w:p></w:tc></w:tr>
                 <w:tr><w:tc><w:p><w:r><w:t>1.2 Do</w:t></w:r></w:p>
                         <w:tbl><w:tr><w:tc><w:p><w:r><w:t>nested</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:tc>
                       <w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc></w:tr>
               </w:tbl>
               <mc:AlternateContent><mc:Choice><w:p><w:r><w:t>shown</w:t></w:r></w:p></mc:Choice>
               <mc:Fallback><w:p><w:r><w:t>copy</w:t></w:r></w:p></mc:Fallback></mc:AlternateContent>"#,
        );
        assert_eq!(
            blocks,
            vec![
                Block::Table(vec![
                    vec![vec!["Theme: X".into()]],
                    vec![
                        vec!["1.1 Do (Chile);".into(), "Source".into()],
                        vec!["Supported".into()]
                    ],
                    vec![
                        vec!["1.2 Do".into(), "nested".into()],
                        vec!["Supported".into()]
                    ],
                ]),
                Block::Paragraph(vec!["shown".into()]),
            ]
        );
    }

    #[test]
    fn a_part_that_unpacks_beyond_the_cap_is_refused_unread() {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("word/document.xml", options).unwrap();
        let block = vec![b' '; 1024 * 1024];
        for _ in 0..=(MAX_PART / block.len() as u64) {
            std::io::Write::write_all(&mut zip, &block).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        assert!(
            bytes.len() < 1024 * 1024,
            "{} bytes compressed",
            bytes.len()
        );
        assert!(matches!(read(&bytes), Err(DocxError::TooLarge { .. })));
    }

    /// Tables in tables are read to a depth, and a cell's span to a width, that no document
    /// needs: a deeper one is refused (each level moves every line within it once more), and a
    /// span of `usize::MAX` is a wide cell rather than an overflow.
    #[test]
    fn tables_nested_too_deep_and_cells_too_wide_are_bounded() {
        let nested = |depth: usize| {
            format!(
                "{}<w:p><w:r><w:t>deep</w:t></w:r></w:p>{}",
                "<w:tbl><w:tr><w:tc>".repeat(depth),
                "</w:tc></w:tr></w:tbl>".repeat(depth)
            )
        };
        assert_eq!(
            body(&nested(MAX_TABLE_DEPTH)),
            vec![Block::Table(vec![vec![vec!["deep".to_owned()]]])]
        );
        let doc = format!(
            "<w:document><w:body>{}</w:body></w:document>",
            nested(MAX_TABLE_DEPTH + 1)
        );
        let err = blocks("word/document.xml", &doc).unwrap_err();
        assert!(matches!(err, DocxError::TooDeep { .. }), "{err}");
        let wide = format!(
            r#"<w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="{}"/></w:tcPr><w:p><w:r><w:t>a</w:t></w:r></w:p></w:tc><w:tc><w:tcPr><w:gridSpan w:val="{}"/></w:tcPr><w:p><w:r><w:t>b</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#,
            usize::MAX,
            usize::MAX
        );
        assert_eq!(
            body(&wide),
            vec![Block::Table(vec![vec![
                vec!["a".to_owned()],
                vec!["b".to_owned()]
            ]])]
        );
    }

    /// Small as an archive, costly once read: a body of more empty cells than any matrix has,
    /// or a page header of megabytes, is refused.
    #[test]
    fn a_body_of_very_many_cells_or_a_very_large_header_is_refused() {
        let archive = |files: &[(&str, String)]| {
            let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for (name, text) in files {
                zip.start_file(*name, options).unwrap();
                std::io::Write::write_all(&mut zip, text.as_bytes()).unwrap();
            }
            zip.finish().unwrap().into_inner()
        };
        let body = |cells: usize| {
            format!(
                "<w:document><w:body><w:tbl><w:tr>{}</w:tr></w:tbl></w:body></w:document>",
                "<w:tc/>".repeat(cells)
            )
        };
        let bytes = archive(&[("word/document.xml", body(MAX_ELEMENTS + 1))]);
        assert!(bytes.len() < 64 * 1024, "{} bytes compressed", bytes.len());
        let err = read(&bytes).unwrap_err();
        assert!(matches!(err, DocxError::TooManyElements { .. }), "{err}");
        assert!(read(&archive(&[("word/document.xml", body(1_000))])).is_ok());

        // One large cell, and rows of cells merged with it: each a copy of its lines.
        let merged = format!(
            "<w:document><w:body><w:tbl><w:tr><w:tc><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:tc></w:tr>{}</w:tbl></w:body></w:document>",
            "x".repeat(1 << 20),
            r#"<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr></w:tc></w:tr>"#.repeat(20)
        );
        let bytes = archive(&[("word/document.xml", merged)]);
        assert!(bytes.len() < 64 * 1024, "{} bytes compressed", bytes.len());
        let err = read(&bytes).unwrap_err();
        assert!(matches!(err, DocxError::TooLarge { .. }), "{err}");

        let header = format!("<w:hdr>{}</w:hdr>", " ".repeat(MAX_SMALL_PART as usize));
        let bytes = archive(&[("word/document.xml", body(4)), ("word/header1.xml", header)]);
        let err = read(&bytes).unwrap_err();
        assert!(
            matches!(&err, DocxError::TooLarge { part, .. } if part == "word/header1.xml"),
            "{err}"
        );
    }

    #[test]
    fn what_is_not_a_docx_says_so() {
        assert!(matches!(read(b"not a zip"), Err(DocxError::NotDocx(_))));
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("readme.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, b"hello").unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let err = read(&bytes).unwrap_err().to_string();
        assert!(err.contains("no main document part"), "{err}");
        // What people save a matrix as, each named.
        let archive = |files: &[(&str, &str)]| {
            let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
            for (name, text) in files {
                zip.start_file(*name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                std::io::Write::write_all(&mut zip, text.as_bytes()).unwrap();
            }
            zip.finish().unwrap().into_inner()
        };
        let workbook = archive(&[(
            "_rels/.rels",
            r#"<Relationships><Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        )]);
        let odt = archive(&[
            ("mimetype", "application/vnd.oasis.opendocument.text"),
            ("content.xml", "<x/>"),
        ]);
        let word97 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0\0\0".to_vec();
        for (bytes, says) in [(workbook, ".xlsx"), (odt, ".odt"), (word97, ".doc)")] {
            let err = read(&bytes).unwrap_err().to_string();
            assert!(
                err.contains(says) && err.contains("save it as"),
                "{says}: {err}"
            );
        }
    }
}
