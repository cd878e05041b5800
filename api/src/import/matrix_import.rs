//! An OHCHR matrix imported: read whole, then each text checked and written as every
//! import's rows are, matched with what is stored of the same review by [`matching_key`]
//! (`Importable::loose_match`, decision 0013): a match enriches the stored recommendation
//! (`Importable::merge`), a text that matches nothing is a new one.

use std::collections::HashMap;
use std::io::Read;

use super::ohchr_matrix::{self, Entry, Review};
use super::{ImportError, ImportReport, Item, Options, Writer, docx};
use crate::db::DbConnection;
use crate::domain::Multilingual;
use crate::domain::recommendation::{
    Recommendation, RecommendationInput, Source, matching_key, year_of_session,
};

/// The matrix column a field error belongs to.
pub(super) fn column_of(pointer: &str) -> String {
    match super::field_of(pointer) {
        "text"
        | "recommending_states"
        | "paragraph"
        | "source"
        | "state_under_review"
        | "session" => "Recommendation",
        "response" | "response_original" => "Position",
        "themes" | "themes_original" | "affected_persons" | "affected_persons_original" => "Themes",
        "sdg_goals" | "sdg_targets" => "SDGs",
        other => other,
    }
    .to_owned()
}

fn input_of(entry: Entry, review: &(String, i64)) -> RecommendationInput {
    let mut text = Multilingual::default();
    *text.slot_mut(entry.language) = Some(entry.text);
    RecommendationInput {
        state_under_review: review.0.clone(),
        recommending_states: entry.recommending_states,
        session: review.1,
        review_year: year_of_session(review.1),
        text,
        response: entry.response,
        response_original: entry.response_original,
        source: entry
            .source
            .map(|(symbol, paragraph)| Source { symbol, paragraph }),
        action_category: None,
        themes: entry.themes,
        affected_persons: entry.affected_persons,
        sdg_targets: entry.sdg_targets,
        external_refs: Vec::new(),
        paragraph: entry.paragraph,
        sdg_goals: entry.sdg_goals,
        themes_original: entry.themes_original,
        affected_persons_original: entry.affected_persons_original,
        sources: vec![ohchr_matrix::SOURCE.to_owned()],
    }
}

/// Reads one matrix whole: the document unzipped and parsed, its review named. This needs no
/// connection, and a bulk upload does it before it takes one (`routes::bulk`): a large document
/// holds no connection while it is parsed.
pub fn read(mut input: impl Read, given: &Review) -> Result<ohchr_matrix::Matrix, ImportError> {
    // The caller bounds what is read: a bulk upload by its size limit, `upr-tc import` by
    // the file.
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    let document = docx::read(&bytes).map_err(|e| ImportError::File(e.to_string()))?;
    drop(bytes);
    ohchr_matrix::read(&document, given)
}

/// Imports one matrix read by [`read`].
pub fn import(
    conn: &mut DbConnection,
    matrix: ohchr_matrix::Matrix,
    options: Options,
) -> Result<ImportReport, ImportError> {
    let Review {
        state: Some(state),
        session: Some(session),
    } = matrix.review
    else {
        unreachable!("ohchr_matrix::read names the review or refuses the document")
    };
    let review = (state, session);

    // The matrix's texts, one entry per text: the same text twice in the document is one
    // recommendation (folded), its States and labels joined.
    let mut entries: Vec<(String, Entry)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut writer = Writer::<Recommendation>::new(conn, options);
    for row in matrix.rows {
        match row.entries {
            Err(errors) => {
                writer.report.received += 1;
                writer.bad_row(errors);
            }
            Ok(texts) => {
                writer.report.warn(row.warnings);
                for entry in texts {
                    writer.report.received += 1;
                    let key = matching_key(&entry.text);
                    match index.get(&key) {
                        Some(&i) => {
                            writer.report.folded += 1;
                            fold(&mut entries[i].1, entry);
                        }
                        None => {
                            index.insert(key.clone(), entries.len());
                            entries.push((key, entry));
                        }
                    }
                }
            }
        }
    }
    writer.report.warn_first(matrix.warnings);
    warn_of_corrections(&mut writer, &review, &entries)?;
    // Each is matched with what is stored of the review (`Importable::loose_match`).
    for (_, entry) in entries {
        let item = Item {
            line: entry.line,
            id: None,
            content: input_of(entry, &review),
        };
        if let Err(e) = writer.take(super::check::<Recommendation>(
            super::Format::OhchrMatrix,
            item,
        )) {
            writer.abort();
            return Err(e);
        }
    }
    writer.finish()
}

/// Warns of each text of the matrix that matches nothing stored where a recommendation of
/// the review is stored under the same paragraph with a text in the same language that the
/// matrix no longer has: most likely the matrix corrects that text, and importing it makes a
/// second recommendation beside the first, which only a person can tell. (A paragraph may hold
/// several texts, each its own recommendation: a stored text the matrix still has is no sign
/// of a correction.)
fn warn_of_corrections(
    writer: &mut Writer<'_, Recommendation>,
    review: &(String, i64),
    entries: &[(String, Entry)],
) -> Result<(), ImportError> {
    let keys: std::collections::HashSet<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    let stored = crate::db::recommendations::of_review(writer.conn, &review.0, review.1)?;
    let stored_keys: std::collections::HashSet<String> = stored
        .iter()
        .flat_map(|r| r.content.text.texts().map(|(_, t)| matching_key(t)))
        .collect();
    let mut warnings = Vec::new();
    for (key, entry) in entries {
        let Some(paragraph) = &entry.paragraph else {
            continue;
        };
        if stored_keys.contains(key) {
            continue;
        }
        let replaced: Vec<String> = stored
            .iter()
            .filter(|r| r.content.paragraph.as_ref() == Some(paragraph))
            // Stored in the matrix's language: one that is not (an English matrix's, and this
            // one in French) is no text this one corrects, and is found by its paragraph.
            .filter(|r| r.content.text.get(entry.language).is_some())
            .filter(|r| {
                !r.content
                    .text
                    .texts()
                    .any(|(_, t)| keys.contains(matching_key(t).as_str()))
            })
            .map(|r| r.stored.id.to_string())
            .collect();
        if !replaced.is_empty() {
            warnings.push(super::RowError {
                line: entry.line,
                column: Some("Recommendation".into()),
                code: "paragraph_stored_with_another_text".into(),
                message: format!(
                    "paragraph {paragraph} is stored with a text this matrix does not have \
                     (recommendation {}): this text is a new recommendation beside it; if it \
                     corrects that text, edit the stored recommendation instead, or delete it",
                    replaced.join(", ")
                ),
            });
        }
    }
    writer.report.warn(warnings);
    Ok(())
}

/// A text the matrix lists twice: the second's States and labels join the first's.
fn fold(first: &mut Entry, again: Entry) {
    use crate::domain::validate::add_missing;
    add_missing(&mut first.recommending_states, again.recommending_states);
    add_missing(&mut first.themes, again.themes);
    add_missing(&mut first.themes_original, again.themes_original);
    add_missing(&mut first.affected_persons, again.affected_persons);
    add_missing(
        &mut first.affected_persons_original,
        again.affected_persons_original,
    );
    add_missing(&mut first.sdg_goals, again.sdg_goals);
    add_missing(&mut first.sdg_targets, again.sdg_targets);
}
