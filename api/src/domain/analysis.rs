//! How texts are cut into the terms that search and matching compare: folded for case and
//! accents (`normalise_words`), each word reduced to its stem in the language the text is
//! written in (Snowball, for the five UN languages it covers: Arabic, English, French, Russian,
//! Spanish), and Chinese (with Japanese and Korean scripts) cut into overlapping pairs of
//! characters, since it is not written in words separated by spaces. A query's language is not
//! known: each of its words matches the word's stem in any of the languages (`Query`).
//!
//! Both database engines index the terms this module writes (`index_text`) and search for those
//! of the query, so a search finds the same items on SQLite and PostgreSQL.

use rust_stemmers::{Algorithm, Stemmer};

use crate::domain::{Language, is_invisible, normalise_words};

/// The version of the analysis below: stored terms written by an older one are written again
/// when the service starts (`db::sql::search::reindex_if_analysis_changed`). Raise it with any
/// change to what `terms` gives for a text.
/// Version 8 reads past the Hangul fillers, letters that show nothing (`domain::is_invisible`).
pub const ANALYSIS_VERSION: i32 = 8;

/// The languages whose words are stemmed, each with its Snowball algorithm.
const STEMMED: [(Language, Algorithm); 5] = [
    (Language::En, Algorithm::English),
    (Language::Fr, Algorithm::French),
    (Language::Es, Algorithm::Spanish),
    (Language::Ru, Algorithm::Russian),
    (Language::Ar, Algorithm::Arabic),
];

/// Whether `folded` (a word as `normalise_words` gives it) is a stop word of `language`: one of
/// NLTK's list for it, folded the same way. Chinese has none: its texts are cut into pairs.
fn is_stop_word(language: Language, folded: &str) -> bool {
    use std::collections::HashSet;
    use std::sync::OnceLock;
    static LISTS: OnceLock<Vec<(Language, HashSet<String>)>> = OnceLock::new();
    let lists = LISTS.get_or_init(|| {
        STEMMED
            .iter()
            .map(|(language, _)| {
                let words = stop_words::lookup(language.code()).unwrap_or_default();
                // `don't` folds to two words, each already in the list.
                let folded = words
                    .iter()
                    .map(|w| normalise_words(w))
                    .filter(|w| !w.is_empty() && !w.contains(' '))
                    .collect();
                (*language, folded)
            })
            .collect()
    });
    lists
        .iter()
        .any(|(l, words)| *l == language && words.contains(folded))
}

/// The UN language `text` is written in, when it says so clearly (a sentence does, a few
/// words may not); `None` when it does not. Arabic, Chinese and Russian are told by their
/// scripts, English, French and Spanish by their letters' sequences (whatlang's trigrams); a
/// text read as French or Spanish must also have two more of that language's stop words than
/// of English's, as an English text of Latin words may read as French (`Establish a de jure
/// moratorium on executions, commute death sentences`).
pub fn language_of(text: &str) -> Option<Language> {
    use whatlang::Lang;
    // Most texts say so in their first words, at a tenth of the trigrams' cost.
    if reads_as_english(text) {
        return Some(Language::En);
    }
    static DETECTOR: std::sync::LazyLock<whatlang::Detector> = std::sync::LazyLock::new(|| {
        whatlang::Detector::with_allowlist(vec![
            Lang::Ara,
            Lang::Eng,
            Lang::Spa,
            Lang::Fra,
            Lang::Rus,
            Lang::Cmn,
        ])
    });
    let info = DETECTOR.detect(text).filter(whatlang::Info::is_reliable)?;
    let language = match info.lang() {
        Lang::Ara => Language::Ar,
        Lang::Eng => Language::En,
        Lang::Spa => Language::Es,
        Lang::Fra => Language::Fr,
        Lang::Rus => Language::Ru,
        Lang::Cmn => Language::Zh,
        _ => return None,
    };
    if matches!(language, Language::Fr | Language::Es) {
        // Words of two letters or more, not written in capitals: `a` folds as `à`, `UN` as
        // French and Spanish `un`.
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| w.chars().count() >= 2 && !w.chars().all(char::is_uppercase))
            .map(normalise_words)
            .collect();
        let stop_words = |l: Language| words.iter().filter(|w| is_stop_word(l, w)).count();
        // Two more than English's: a Latin phrase (`de jure`, `de facto`) or a shared word
        // (`on`) is not enough.
        if stop_words(language) < stop_words(Language::En) + 2 {
            return None;
        }
    }
    Some(language)
}

/// English's commonest words, none of them a word of French or Spanish.
const ENGLISH_MARKS: [&str; 8] = ["the", "of", "and", "to", "its", "for", "with", "that"];

/// Whether two of [`ENGLISH_MARKS`] are among the first hundred words of `text`.
fn reads_as_english(text: &str) -> bool {
    let mut seen = [false; ENGLISH_MARKS.len()];
    for word in text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .take(100)
    {
        if let Some(i) = ENGLISH_MARKS
            .iter()
            .position(|m| m.eq_ignore_ascii_case(word))
        {
            seen[i] = true;
            if seen.iter().filter(|s| **s).count() >= 2 {
                return true;
            }
        }
    }
    false
}

/// The words of `text` written in capitals, of two letters or more, folded: acronyms (`WHO`,
/// `IT`), which are kept even where their letters spell a stop word.
fn acronyms(text: &str) -> Vec<String> {
    // A character that shows nothing is not there (`W\u{200b}HO` is `WHO`), as folding reads it.
    text.split(|c: char| !c.is_alphanumeric() && !is_invisible(c))
        .filter(|w| {
            let mut letters = w.chars().filter(|c| !is_invisible(*c));
            letters.clone().count() >= 2 && letters.all(char::is_uppercase)
        })
        .map(normalise_words)
        .collect()
}

fn stemmer(language: Language) -> Option<Stemmer> {
    STEMMED
        .iter()
        .find(|(l, _)| *l == language)
        .map(|(_, a)| Stemmer::create(*a))
}

/// English words whose plural or other form Snowball leaves apart from the singular, in the
/// words this repository's texts use most ("children" 3,573 times in UPR Info's export of
/// sessions 1-5, "child" 1,772 times): the form put in their place before stemming. A word
/// ending in one of the forms (`schoolchildren`, `businesswomen`) is read the same way.
const ENGLISH_FORMS: [(&str, &str); 3] =
    [("children", "child"), ("women", "woman"), ("men", "man")];

/// `word` (folded) with an English irregular form put back to its singular.
fn english_singular(word: &str) -> Option<String> {
    ENGLISH_FORMS.iter().find_map(|(form, singular)| {
        let prefix = word.strip_suffix(form)?;
        // `men` alone, or after a word that ends in `wo` or a compound's first word:
        // `specimen` and `abdomen` are not plurals.
        if *form == "men" && !prefix.is_empty() {
            return None;
        }
        Some(format!("{prefix}{singular}"))
    })
}

/// The stem of a folded word in `language`, or the word itself where the language has no
/// stemmer.
fn stem(stemmer: Option<&Stemmer>, language: Language, word: &str) -> String {
    let singular = (language == Language::En)
        .then(|| english_singular(word))
        .flatten();
    let word = singular.as_deref().unwrap_or(word);
    match stemmer.map(|s| s.stem(word)) {
        // A stemmer may take all of a word (Arabic's takes the tatweel `ـ`, a letter to
        // Unicode, whole): the word stays itself, since an empty term is not a term either
        // engine can store or search.
        Some(stem) if !stem.is_empty() => stem.into_owned(),
        _ => word.to_owned(),
    }
}

/// Whether `c` belongs to a script written without spaces between words (Chinese, and the
/// Japanese and Korean scripts that share its texts): such runs are cut into pairs.
fn unspaced(c: char) -> bool {
    matches!(c,
        '\u{2E80}'..='\u{2FDF}'     // radicals
        | '\u{3040}'..='\u{30FF}'   // hiragana, katakana
        | '\u{3100}'..='\u{31FF}'   // bopomofo, kana extensions
        | '\u{3400}'..='\u{4DBF}'   // CJK extension A
        | '\u{4E00}'..='\u{9FFF}'   // CJK unified ideographs
        | '\u{AC00}'..='\u{D7AF}'   // Hangul syllables
        | '\u{F900}'..='\u{FAFF}'   // CJK compatibility ideographs
        | '\u{20000}'..='\u{3FFFF}' // CJK extensions B and later
    )
}

/// One piece of a text as analysed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A word written with spaces around it: as folded, and its term.
    Word { folded: &'a str, term: String },
    /// A pair of characters of a run written without spaces (a run of one character alone).
    Pair(&'a str),
}

impl Piece<'_> {
    pub fn term(&self) -> &str {
        match self {
            Piece::Word { term, .. } => term,
            Piece::Pair(pair) => pair,
        }
    }
}

/// Calls `f` with each piece of `folded` (a text as `normalise_words` gives it) in order: a
/// word (`false`) or a pair of characters (`true`).
fn pieces_of<'a>(folded: &'a str, mut f: impl FnMut(&'a str, bool)) {
    for w in folded.split(' ').filter(|w| !w.is_empty()) {
        if !w.chars().any(unspaced) {
            f(w, false);
            continue;
        }
        // A word mixing scripts (`人权2030`) is cut where the script changes.
        let (mut start, mut run_unspaced) = (0, false);
        for (i, c) in w.char_indices() {
            let u = unspaced(c);
            if i > 0 && u != run_unspaced {
                run(&w[start..i], run_unspaced, &mut f);
                start = i;
            }
            run_unspaced = u;
        }
        run(&w[start..], run_unspaced, &mut f);
    }
}

/// A run of one script: a word, or the overlapping pairs of its characters (the run itself
/// when it has one character).
fn run<'a>(run: &'a str, unspaced: bool, f: &mut impl FnMut(&'a str, bool)) {
    if !unspaced {
        return f(run, false);
    }
    let bounds: Vec<usize> = run
        .char_indices()
        .map(|(i, _)| i)
        .chain([run.len()])
        .collect();
    if bounds.len() <= 2 {
        return f(run, true);
    }
    for w in bounds.windows(3) {
        f(&run[w[0]..w[2]], true);
    }
}

/// The pieces of `text`, written in `language`, in order.
pub fn analyse(language: Language, text: &str, f: impl FnMut(Piece<'_>)) {
    analyse_words(language, text, |_| true, f);
}

/// The pieces of `text` as [`analyse`] gives them, but the words (as folded) `keep` refuses,
/// which are not stemmed.
fn analyse_words(
    language: Language,
    text: &str,
    keep: impl Fn(&str) -> bool,
    mut f: impl FnMut(Piece<'_>),
) {
    let stemmer = stemmer(language);
    let folded = normalise_words(text);
    pieces_of(&folded, |piece, pair| {
        if pair {
            f(Piece::Pair(piece))
        } else if keep(piece) {
            let term = stem(stemmer.as_ref(), language, piece);
            f(Piece::Word {
                folded: piece,
                term,
            })
        }
    });
}

/// The terms of texts, each in its own language, separated by spaces, their stop words left
/// out (but those written in capitals, as acronyms): what the full-text index of each engine
/// stores for an item.
pub fn index_text<'a>(texts: impl IntoIterator<Item = (Language, &'a str)>) -> String {
    let mut out = String::new();
    for (language, text) in texts {
        let acronyms = acronyms(text);
        let keep =
            |folded: &str| !is_stop_word(language, folded) || acronyms.iter().any(|a| a == folded);
        analyse_words(language, text, keep, |piece| {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(piece.term());
        });
    }
    out
}

/// What a person searches for: each group of terms must be found, any one term of a group will
/// do. A word gives a group of its stems in each language (and the word as folded, for texts
/// in a language without a stemmer); a pair of characters a group of its own. A word that is a
/// stop word in any of the languages asks for nothing, since the texts of that language do not
/// keep it (`son` is one in Spanish and French, not in English), unless it is written in
/// capitals (`WHO`, which texts keep as an acronym): the query's other words are searched for.
/// A query of stop words alone is searched for as typed, and finds them where a text's
/// language keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query(pub Vec<Vec<String>>);

impl Query {
    /// The query `q` as typed; `None` when it has nothing to search for.
    pub fn parse(q: &str) -> Option<Query> {
        let folded = normalise_words(q);
        let stemmers: Vec<(Language, Stemmer)> = STEMMED
            .iter()
            .map(|(l, a)| (*l, Stemmer::create(*a)))
            .collect();
        let acronyms = acronyms(q);
        let mut groups: Vec<(Vec<String>, bool)> = Vec::new();
        pieces_of(&folded, |piece, pair| {
            let mut group = vec![piece.to_owned()];
            let mut stop = false;
            if !pair {
                let acronym = acronyms.iter().any(|a| a == piece);
                for (language, s) in &stemmers {
                    stop |= !acronym && is_stop_word(*language, piece);
                    let term = stem(Some(s), *language, piece);
                    if !group.contains(&term) {
                        group.push(term);
                    }
                }
            }
            groups.push((group, stop));
        });
        if groups.iter().any(|(_, stop)| !stop) {
            groups.retain(|(_, stop)| !stop);
        }
        let mut groups: Vec<Vec<String>> = groups.into_iter().map(|(g, _)| g).collect();
        groups.dedup();
        (!groups.is_empty()).then_some(Query(groups))
    }

    /// The query in FTS5's syntax (SQLite): every term quoted, so nothing a person types is
    /// read as an operator.
    pub fn fts5(&self) -> String {
        self.render(" AND ", " OR ", |t| format!("\"{t}\""))
    }

    /// The query in `to_tsquery`'s syntax (PostgreSQL): every term quoted.
    pub fn tsquery(&self) -> String {
        self.render(" & ", " | ", |t| format!("'{t}'"))
    }

    fn render(&self, and: &str, or: &str, quote: impl Fn(&str) -> String) -> String {
        self.0
            .iter()
            .map(|group| {
                let terms: Vec<String> = group.iter().map(|t| quote(t)).collect();
                format!("({})", terms.join(or))
            })
            .collect::<Vec<_>>()
            .join(and)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(language: Language, text: &str) -> String {
        index_text([(language, text)])
    }

    #[test]
    fn english_words_meet_their_plurals_and_irregular_forms() {
        assert_eq!(
            terms(Language::En, "Children's rights; the child"),
            "child right child"
        );
        assert_eq!(terms(Language::En, "women woman"), "woman woman");
        assert_eq!(terms(Language::En, "schoolchildren"), "schoolchild");
        assert_eq!(terms(Language::En, "men specimen"), "man specimen");
        assert_eq!(terms(Language::En, "Defenders defender"), "defend defend");
    }

    #[test]
    fn each_language_has_its_own_stems() {
        assert_eq!(terms(Language::Fr, "Enfants enfant"), "enfant enfant");
        assert_eq!(terms(Language::Fr, "femmes FEMME"), "femm femm");
        assert_eq!(terms(Language::Es, "niños niño"), "nin nin");
        assert_eq!(
            terms(Language::Ru, "детей дети"),
            terms(Language::Ru, "дети дети")
        );
        // Russian adjectives in every case and gender, which end in `й` as often as not: the
        // short i keeps its breve, so each form meets the others (`судебной` once folded to
        // `судебнои`, which no other form stems to).
        let stems = |text: &str| terms(Language::Ru, text);
        for forms in [
            ["судебной власти", "судебная власть", "судебный власть"],
            ["смертной казни", "смертная казнь", "смертную казнь"],
        ] {
            assert_eq!(stems(forms[0]), stems(forms[1]), "{forms:?}");
            assert_eq!(stems(forms[0]), stems(forms[2]), "{forms:?}");
        }
        // `й` written as `и` and a combining breve reads the same.
        assert_eq!(stems("судебнои\u{306}"), stems("судебной"));
        let q = Query::parse("судебная").unwrap();
        assert!(q.0[0].contains(&stems("судебной")), "{q:?}");
        // Chinese has no stemmer: pairs of characters.
        assert_eq!(terms(Language::Zh, "儿童权利"), "儿童 童权 权利");
        assert_eq!(terms(Language::Zh, "人 2030年目标"), "人 2030 年目 目标");
    }

    #[test]
    fn a_query_word_matches_its_stem_in_any_language() {
        let q = Query::parse("Children").unwrap();
        assert_eq!(q.0.len(), 1);
        assert!(q.0[0].contains(&"child".to_owned()), "{q:?}");
        assert!(q.0[0].contains(&"children".to_owned()), "{q:?}");
        let fr = Query::parse("enfants").unwrap();
        assert!(fr.0[0].contains(&"enfant".to_owned()), "{fr:?}");
        let zh = Query::parse("儿童权利").unwrap();
        assert_eq!(zh.0, [vec!["儿童"], vec!["童权"], vec!["权利"]]);
        assert_eq!(Query::parse(" -*() "), None);
    }

    #[test]
    fn no_word_becomes_an_empty_term() {
        for language in Language::ALL {
            for word in ["ـ", "ــ", "ال", "و", "بال", "s", "é", "у", "y"] {
                let terms = terms(language, word);
                // A stop word gives no term at all; any other word a term that is not empty.
                let stop = is_stop_word(language, &crate::domain::normalise_words(word));
                assert_eq!(terms.is_empty(), stop, "{language:?} {word}");
                assert!(
                    stop || terms.split(' ').all(|t| !t.is_empty()),
                    "{language:?} {word}"
                );
            }
        }
        let query = Query::parse("ـ ال s").expect("three words");
        assert!(query.0.iter().flatten().all(|t| !t.is_empty()));
    }

    #[test]
    fn stop_words_are_left_out_of_texts_in_their_language_and_of_queries() {
        assert_eq!(
            terms(
                Language::En,
                "Ensure that all of the children are protected"
            ),
            "ensur child protect"
        );
        assert_eq!(
            terms(Language::Fr, "Le droit à l'éducation des enfants"),
            "droit educ enfant"
        );
        assert_eq!(
            terms(Language::Es, "los derechos de las niñas"),
            "derech nin"
        );
        // `son` is a stop word in Spanish, not in English.
        assert_eq!(terms(Language::Es, "son"), "");
        assert_eq!(terms(Language::En, "son"), "son");
        // In a query, a stop word of any language asks for nothing beside other words...
        let q = Query::parse("the rights of the son").unwrap();
        assert_eq!(q.0.len(), 1, "{q:?}");
        assert!(q.0[0].contains(&"right".to_owned()), "{q:?}");
        // ...and a query of stop words alone is searched for as typed.
        let son = Query::parse("son").unwrap();
        assert!(son.0[0].contains(&"son".to_owned()), "{son:?}");
        // An acronym is kept whatever its letters spell, in texts and in queries.
        assert_eq!(
            terms(Language::En, "Ask WHO and the IT team."),
            "ask who it team"
        );
        assert_eq!(Query::parse("WHO guidelines").unwrap().0.len(), 2);
        assert_eq!(
            terms(Language::En, "Ask W\u{200b}HO and the I\u{ad}T team."),
            terms(Language::En, "Ask WHO and the IT team."),
            "a character that shows nothing is not there"
        );
        assert_eq!(Query::parse("who guidelines").unwrap().0.len(), 1);
    }

    #[test]
    fn queries_render_quoted() {
        let q = Query(vec![vec!["a".into(), "b".into()], vec!["or".into()]]);
        assert_eq!(q.fts5(), "(\"a\" OR \"b\") AND (\"or\")");
        assert_eq!(q.tsquery(), "('a' | 'b') & ('or')");
    }

    #[test]
    fn a_text_says_which_language_it_is_written_in() {
        for (text, language) in [
            (
                "Continue its efforts to combat torture and ill-treatment in places of detention.",
                Language::En,
            ),
            (
                "Poursuivre ses efforts pour lutter contre la torture et les mauvais traitements.",
                Language::Fr,
            ),
            (
                "Continuar sus esfuerzos para garantizar la independencia del poder judicial.",
                Language::Es,
            ),
            (
                "Ратифицировать Факультативный протокол к Конвенции против пыток.",
                Language::Ru,
            ),
            (
                "التصديق على البروتوكول الاختياري لاتفاقية مناهضة التعذيب.",
                Language::Ar,
            ),
            ("批准《禁止酷刑公约任择议定书》。", Language::Zh),
        ] {
            assert_eq!(super::language_of(text), Some(language), "{text}");
        }
        assert_eq!(super::language_of(""), None);
        // Read as French by its letters, English by its words.
        assert_eq!(
            super::language_of(
                "Continue to incorporate CEDAW principles into its domestic legislation."
            ),
            Some(Language::En)
        );
        assert_eq!(
            super::language_of(
                "Continue incorporating CEDAW principles into domestic legislation."
            ),
            None
        );
        // Read as French by its letters (`de jure`, `a`, `on`); its stop words do not say so.
        for english in [
            "Establish a de jure moratorium on executions, commute death sentences",
            "Institute a de jure moratorium on capital executions",
            "Establish a de facto moratorium on UN executions",
        ] {
            assert_ne!(super::language_of(english), Some(Language::Fr), "{english}");
        }
        // Short French and Spanish texts that say so by their words.
        assert_eq!(
            super::language_of("Abolir la peine de mort dans la législation."),
            Some(Language::Fr)
        );
        assert_eq!(
            super::language_of("Abolir la pena de muerte en la legislación."),
            Some(Language::Es)
        );
    }
}
