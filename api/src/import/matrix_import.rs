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
    let paired = pair_across_languages(&mut writer, &review, &entries)?;
    // Each is matched with what is stored of the review (`Importable::loose_match`), or with
    // the one it was paired with.
    for (i, (_, entry)) in entries.into_iter().enumerate() {
        let id = paired.get(&i).copied();
        writer.report.matched += u64::from(id.is_some());
        let item = Item {
            line: entry.line,
            id,
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

/// Pairs texts of the matrix with recommendations of the review stored from another source in
/// another language, which neither their texts nor a paragraph find (a UPR Info export's, in
/// English, and the review's matrix in French: found by an outside check, which had every
/// recommendation of the review stored twice): a text no stored text matches, in a language
/// a stored recommendation without a paragraph lacks, is paired with it where the two are the
/// only ones of the review by the same recommending States, in that language, and give the same
/// position, as a person would pair them. Each text not paired where such recommendations are
/// stored is warned of (`not_paired`): it is a new recommendation beside them. Returns the
/// stored recommendation of each text paired, by its place in `entries`.
fn pair_across_languages(
    writer: &mut Writer<'_, Recommendation>,
    review: &(String, i64),
    entries: &[(String, Entry)],
) -> Result<HashMap<usize, uuid::Uuid>, ImportError> {
    use crate::domain::Language;
    let group = |language: Language, states: &mut dyn Iterator<Item = &str>| {
        let mut states: Vec<&str> = states.collect();
        states.sort_unstable();
        states.dedup();
        format!("{}|{}", language.code(), states.join(","))
    };
    let stored = crate::db::recommendations::of_review(writer.conn, &review.0, review.1)?;
    let stored_keys: std::collections::HashSet<String> = stored
        .iter()
        .flat_map(|r| r.content.text.texts().map(|(_, t)| matching_key(t)))
        .collect();
    // What a paragraph finds (`Importable::loose_match`): its number and States.
    let paragraphs: std::collections::HashSet<(&str, String)> = stored
        .iter()
        .filter_map(|r| {
            let states = &mut r.content.recommending_states.iter().map(|s| s.as_str());
            Some((r.content.paragraph.as_deref()?, group(Language::En, states)))
        })
        .collect();
    // The stored recommendations a text could be, by language and States, and how many lack
    // each language.
    let mut candidates: HashMap<String, Vec<&Recommendation>> = HashMap::new();
    let mut lacking: HashMap<Language, usize> = HashMap::new();
    for rec in stored.iter().filter(|r| r.content.paragraph.is_none()) {
        for language in Language::ALL {
            if rec.content.text.get(language).is_none() {
                let states = &mut rec.content.recommending_states.iter().map(|s| s.as_str());
                candidates
                    .entry(group(language, states))
                    .or_default()
                    .push(rec);
                *lacking.entry(language).or_default() += 1;
            }
        }
    }
    if candidates.is_empty() {
        return Ok(HashMap::new());
    }
    // The texts nothing stored finds, by the same (their States are codes, as stored).
    let mut unfound: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, (key, entry)) in entries.iter().enumerate() {
        let states = || entry.recommending_states.iter().map(String::as_str);
        let by_paragraph = entry
            .paragraph
            .as_deref()
            .is_some_and(|p| paragraphs.contains(&(p, group(Language::En, &mut states()))));
        if !stored_keys.contains(key) && !by_paragraph {
            unfound
                .entry(group(entry.language, &mut states()))
                .or_default()
                .push(i);
        }
    }
    // A row of the matrix that could not be read could be any State's: nothing is paired
    // then, since a text left alone in its group may not be alone in the matrix.
    let whole = writer.report.rejected == 0;
    let mut paired = HashMap::new();
    let mut warnings = Vec::new();
    for (key, texts) in &unfound {
        let recs = candidates.get(key).map_or(&[][..], Vec::as_slice);
        if whole
            && let ([i], [rec]) = (texts.as_slice(), recs)
            && rec.content.response == entries[*i].1.response
        {
            paired.insert(*i, rec.stored.id.into());
            continue;
        }
        for &i in texts {
            let entry = &entries[i].1;
            let Some(&all) = lacking.get(&entry.language) else {
                continue;
            };
            warnings.push(super::RowError {
                line: entry.line,
                column: Some("Recommendation".into()),
                code: "not_paired".into(),
                message: format!(
                    "no stored text of the review is this one, and {all} recommendation(s) of \
                     the review are stored without a text in {} ({} by the same recommending \
                     States), from another source such as a UPR Info export: which of them this \
                     one is, if any, cannot be told{}, so it is a new recommendation beside \
                     them; a person adds its text to the one it is, and deletes this one",
                    entry.language.code(),
                    recs.len(),
                    if whole {
                        ""
                    } else {
                        " (a row of the matrix could not be read)"
                    },
                ),
            });
        }
    }
    warnings.sort_by_key(|w| w.line);
    writer.report.warn(warnings);
    Ok(paired)
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
