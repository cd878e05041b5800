//! The words of a text as the matching function compares them: the terms search finds
//! (`analysis`: folded, stemmed in the text's language, so that "trafficking" meets
//! "traffickers" and "femmes" meets "femme"), without the words every text has.

use std::collections::HashMap;

use crate::domain::analysis::{Piece, analyse};
use crate::domain::{Language, Multilingual};

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

impl Words {
    /// Adds the words of `text`, written in `language`.
    pub fn add(&mut self, language: Language, text: &str) {
        analyse(language, text, |piece| {
            let term = match piece {
                Piece::Word { folded, term } => {
                    let common = folded.chars().count() < 3 || STOP_WORDS.contains(&folded);
                    if common || folded.chars().all(|c| c.is_ascii_digit()) {
                        return;
                    }
                    term
                }
                Piece::Pair(pair) => pair.to_owned(),
            };
            *self.0.entry(term).or_default() += 1.0;
        });
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

/// The numbers a [`Vocabulary`] gives terms: texts are compared as lists of them, which is
/// much cheaper than comparing words when one need is compared with thousands of offers.
pub type TermId = u32;

/// The terms of a text as numbers of one [`Vocabulary`], in increasing order, each with how
/// often it occurs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Terms(Vec<(TermId, f32)>);

impl Terms {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Gives each term a number, the same each time: the texts compared must have their terms
/// numbered by the same vocabulary.
#[derive(Debug, Default, Clone)]
pub struct Vocabulary {
    ids: HashMap<String, TermId>,
    terms: Vec<String>,
}

impl Vocabulary {
    /// The terms of `words`, numbered (new terms get new numbers).
    pub fn terms(&mut self, words: &Words) -> Terms {
        // New terms numbered in the order of their text, not of the map (whose order differs
        // from one map to the next): the same texts read in the same order give the same
        // numbers, and so the same words, in the same order, where an explanation's ties are cut.
        let mut sorted: Vec<(&String, &f32)> = words.0.iter().collect();
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut out: Vec<(TermId, f32)> = sorted
            .into_iter()
            .map(|(term, n)| {
                let id = match self.ids.get(term) {
                    Some(id) => *id,
                    None => {
                        let id = TermId::try_from(self.terms.len()).unwrap_or(TermId::MAX);
                        self.ids.insert(term.clone(), id);
                        self.terms.push(term.clone());
                        id
                    }
                };
                (id, *n)
            })
            .collect();
        out.sort_unstable_by_key(|(id, _)| *id);
        Terms(out)
    }

    /// The term numbered `id`.
    pub fn term(&self, id: TermId) -> &str {
        self.terms.get(id as usize).map_or("", String::as_str)
    }
}

/// How rare each term is among the texts compared (inverse document frequency): a term most
/// texts share says little about which of them fits.
#[derive(Debug, Default)]
pub struct Rarity {
    weights: Vec<f32>,
    default: f32,
}

/// In how many of some texts each term occurs: what [`Rarity`] is computed from, kept so
/// that one set of texts serves many comparisons.
#[derive(Debug, Default, Clone)]
pub struct Frequencies {
    counts: Vec<u32>,
    texts: u32,
}

impl Frequencies {
    pub fn add(&mut self, terms: &Terms) {
        self.texts += 1;
        for (id, _) in &terms.0 {
            let i = *id as usize;
            if i >= self.counts.len() {
                self.counts.resize(i + 1, 0);
            }
            self.counts[i] += 1;
        }
    }

    /// The rarity of each term over these texts and `more`.
    pub fn rarity(&self, more: &[&Terms]) -> Rarity {
        let mut f = self.clone();
        for terms in more {
            f.add(terms);
        }
        let n = f.texts;
        let idf = |df: u32| ((1.0 + n as f32) / (1.0 + df as f32)).ln() + 1.0;
        Rarity {
            weights: f.counts.into_iter().map(idf).collect(),
            default: idf(0),
        }
    }
}

impl Rarity {
    /// The rarity of each term over these texts.
    pub fn over<'a>(texts: impl IntoIterator<Item = &'a Terms>) -> Self {
        let mut f = Frequencies::default();
        for terms in texts {
            f.add(terms);
        }
        f.rarity(&[])
    }

    fn of(&self, id: TermId) -> f32 {
        self.weights
            .get(id as usize)
            .copied()
            .unwrap_or(self.default)
    }

    fn norm(&self, t: &Terms) -> f32 {
        t.0.iter()
            .map(|(id, tf)| (tf * self.of(*id)).powi(2))
            .sum::<f32>()
            .sqrt()
    }

    /// The cosine of the two texts' weighted terms (0: nothing shared, 1: the same words),
    /// and, when `top` is asked for, the shared terms that weigh most, heaviest first, at
    /// most five.
    pub fn similarity(&self, a: &Terms, b: &Terms, top: bool) -> (f32, Vec<TermId>) {
        let (na, nb) = (self.norm(a), self.norm(b));
        if na == 0.0 || nb == 0.0 {
            return (0.0, vec![]);
        }
        let mut dot = 0.0;
        let mut shared: Vec<(f32, TermId)> = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < a.0.len() && j < b.0.len() {
            let ((x, tx), (y, ty)) = (a.0[i], b.0[j]);
            match x.cmp(&y) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    let w = tx * ty * self.of(x).powi(2);
                    dot += w;
                    if top {
                        shared.push((w, x));
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        shared.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.cmp(&y.1)));
        let top = shared.into_iter().take(5).map(|(_, t)| t).collect();
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
        assert_eq!(w.0.get("woman"), Some(&2.0), "women is a woman");
        assert!(!w.0.contains_key("the") && !w.0.contains_key("and"));
        let mut fr = Words::default();
        fr.add(Language::Fr, "Protéger les femmes et la femme rurale");
        assert_eq!(fr.0.get("femm"), Some(&2.0), "{fr:?}");
    }

    #[test]
    fn the_same_texts_are_numbered_the_same_every_time() {
        let text = "Train judges, prosecutors, police officers and lawyers on the rights of \
                    women, children, migrants and persons with disabilities";
        let numbered = || {
            let mut v = Vocabulary::default();
            let terms = v.terms(&en(text));
            terms
                .0
                .iter()
                .map(|(id, _)| v.term(*id).to_owned())
                .collect::<Vec<_>>()
        };
        let first = numbered();
        assert!(first.len() > 10, "{first:?}");
        for _ in 0..20 {
            assert_eq!(numbered(), first);
        }
    }

    #[test]
    fn similarity_weighs_rare_words_more() {
        let mut v = Vocabulary::default();
        let texts = [
            v.terms(&en("training of judges on domestic violence")),
            v.terms(&en("training of police officers")),
            v.terms(&en("training of teachers")),
        ];
        let rarity = Rarity::over(&texts);
        let query = v.terms(&en("judges training"));
        let (to_judges, shared) = rarity.similarity(&query, &texts[0], true);
        let (to_police, _) = rarity.similarity(&query, &texts[1], true);
        assert!(to_judges > to_police, "{to_judges} > {to_police}");
        assert_eq!(v.term(shared[0]), "judg", "the rarer shared word first");
        assert_eq!(shared.len(), 2, "judg and train are shared: {shared:?}");
        let (quick, none) = rarity.similarity(&query, &texts[0], false);
        assert_eq!(
            (quick, none.len()),
            (to_judges, 0),
            "the same value, no words"
        );
        assert_eq!(rarity.similarity(&query, &Terms::default(), true).0, 0.0);
    }
}
