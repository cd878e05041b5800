//! The words of a text as the matching function compares them: folded as the search engine
//! folds them (`normalise_text`: lower case, no diacritics, split on what is not a letter or
//! digit), without the words every text has, and stemmed in the text's language, so that
//! "trafficking" meets "traffickers" and "femmes" meets "femme".

use std::collections::HashMap;

use rust_stemmers::{Algorithm, Stemmer};

use crate::domain::{Language, Multilingual, normalise_text};

/// Words too common in this repository's texts to say what one is about, in the six UN
/// languages where they are written with Latin or Cyrillic letters (after folding).
const STOP_WORDS: &[&str] = &[
    // English
    "the",
    "and",
    "for",
    "with",
    "that",
    "this",
    "from",
    "its",
    "their",
    "into",
    "other",
    "all",
    "are",
    "has",
    "have",
    "was",
    "were",
    "which",
    "such",
    "also",
    "been",
    "not",
    "any",
    "including",
    "ensure",
    "continue",
    "take",
    "measures",
    "necessary",
    "further",
    "efforts",
    "order",
    "state",
    "states",
    "national",
    "international",
    "human",
    "rights",
    "right",
    "support",
    "help",
    "assistance",
    "technical",
    "cooperation",
    "programme",
    "project",
    // French
    "les",
    "des",
    "une",
    "dans",
    "par",
    "pour",
    "sur",
    "aux",
    "est",
    "son",
    "ses",
    "qui",
    "que",
    "avec",
    "plus",
    "leur",
    "leurs",
    "droits",
    "homme",
    "mesures",
    "assurer",
    "afin",
    // Spanish
    "los",
    "las",
    "del",
    "por",
    "para",
    "con",
    "una",
    "sus",
    "que",
    "derechos",
    "humanos",
    "medidas",
    "garantizar",
    // Russian
    "и",
    "в",
    "на",
    "по",
    "для",
    "с",
    "о",
    "прав",
    "права",
    "человека",
    "меры",
];

/// The terms of a text and how often each occurs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Words(pub HashMap<String, f32>);

fn stemmer(language: Language) -> Option<Stemmer> {
    let algorithm = match language {
        Language::Ar => Algorithm::Arabic,
        Language::En => Algorithm::English,
        Language::Es => Algorithm::Spanish,
        Language::Fr => Algorithm::French,
        Language::Ru => Algorithm::Russian,
        // Chinese is not written in words separated by spaces: its runs are kept whole.
        Language::Zh => return None,
    };
    Some(Stemmer::create(algorithm))
}

impl Words {
    /// Adds the words of `text`, written in `language`.
    pub fn add(&mut self, language: Language, text: &str) {
        let stemmer = stemmer(language);
        for word in normalise_text(text).split(' ') {
            if word.chars().count() < 3 || STOP_WORDS.contains(&word) {
                continue;
            }
            if word.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let term = match &stemmer {
                Some(s) => s.stem(word).into_owned(),
                None => word.to_owned(),
            };
            *self.0.entry(term).or_default() += 1.0;
        }
    }

    /// Adds every language's text of `text`.
    pub fn add_all(&mut self, text: &Multilingual) {
        for (language, t) in text.texts() {
            self.add(language, t);
        }
    }

    pub fn of(texts: &[&Multilingual]) -> Self {
        let mut words = Self::default();
        for t in texts {
            words.add_all(t);
        }
        words
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// How rare each term is among the texts compared (inverse document frequency): a term most
/// texts share says little about which of them fits.
#[derive(Debug, Default)]
pub struct Rarity {
    weights: HashMap<String, f32>,
    default: f32,
}

/// In how many of some texts each term occurs: what [`Rarity`] is computed from, kept so
/// that one set of texts serves many comparisons.
#[derive(Debug, Default, Clone)]
pub struct Frequencies {
    counts: HashMap<String, u32>,
    texts: u32,
}

impl Frequencies {
    pub fn add(&mut self, words: &Words) {
        self.texts += 1;
        for term in words.0.keys() {
            *self.counts.entry(term.clone()).or_default() += 1;
        }
    }

    /// The rarity of each term over these texts and `more`.
    pub fn rarity(&self, more: &[&Words]) -> Rarity {
        let mut counts = self.counts.clone();
        for words in more {
            for term in words.0.keys() {
                *counts.entry(term.clone()).or_default() += 1;
            }
        }
        let n = self.texts + more.len() as u32;
        let idf = |df: u32| ((1.0 + n as f32) / (1.0 + df as f32)).ln() + 1.0;
        Rarity {
            weights: counts
                .into_iter()
                .map(|(term, df)| (term, idf(df)))
                .collect(),
            default: idf(0),
        }
    }
}

impl Rarity {
    /// The rarity of each term over these texts.
    pub fn over<'a>(texts: impl IntoIterator<Item = &'a Words>) -> Self {
        let mut f = Frequencies::default();
        for words in texts {
            f.add(words);
        }
        f.rarity(&[])
    }

    fn of(&self, term: &str) -> f32 {
        self.weights.get(term).copied().unwrap_or(self.default)
    }

    /// The cosine of the two texts' weighted terms (0: nothing shared, 1: the same words),
    /// and the shared terms that weigh most, heaviest first.
    pub fn similarity(&self, a: &Words, b: &Words) -> (f32, Vec<String>) {
        let norm = |w: &Words| {
            w.0.iter()
                .map(|(t, tf)| (tf * self.of(t)).powi(2))
                .sum::<f32>()
                .sqrt()
        };
        let (na, nb) = (norm(a), norm(b));
        if na == 0.0 || nb == 0.0 {
            return (0.0, vec![]);
        }
        let mut shared: Vec<(f32, &String)> =
            a.0.iter()
                .filter_map(|(t, tf)| b.0.get(t).map(|tf2| (tf * tf2 * self.of(t).powi(2), t)))
                .collect();
        let dot: f32 = shared.iter().map(|(w, _)| w).sum();
        shared.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.cmp(y.1)));
        let top = shared.into_iter().take(5).map(|(_, t)| t.clone()).collect();
        ((dot / (na * nb)).clamp(0.0, 1.0), top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn en(text: &str) -> Words {
        let mut w = Words::default();
        w.add(Language::En, text);
        w
    }

    #[test]
    fn words_are_folded_stemmed_and_common_ones_left_out() {
        let w = en("Combat the trafficking of women; protect trafficked Women and girls.");
        assert_eq!(w.0.get("traffick"), Some(&2.0), "{w:?}");
        assert_eq!(w.0.get("women"), Some(&2.0));
        assert!(!w.0.contains_key("the") && !w.0.contains_key("and"));
        let mut fr = Words::default();
        fr.add(Language::Fr, "Protéger les femmes et la femme rurale");
        assert_eq!(fr.0.get("femm"), Some(&2.0), "{fr:?}");
    }

    #[test]
    fn similarity_weighs_rare_words_more() {
        let texts = [
            en("training of judges on domestic violence"),
            en("training of police officers"),
            en("training of teachers"),
        ];
        let rarity = Rarity::over(&texts);
        let query = en("judges training");
        let (to_judges, shared) = rarity.similarity(&query, &texts[0]);
        let (to_police, _) = rarity.similarity(&query, &texts[1]);
        assert!(to_judges > to_police, "{to_judges} > {to_police}");
        assert_eq!(shared[0], "judg", "the rarer shared word first: {shared:?}");
        assert_eq!(rarity.similarity(&query, &Words::default()).0, 0.0);
    }
}
