use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::reference::{CountryStatus, reference};

/// An ISO 3166-1 alpha-3 code of a country or territory the repository knows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CountryCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO 3166-1 alpha-3 code this repository knows")]
pub struct UnknownCountry(pub String);

impl CountryCode {
    /// Accepts an alpha-3 code of any known country or territory (upper or lower case).
    pub fn parse(code: &str) -> Result<Self, UnknownCountry> {
        let upper = code.trim().to_ascii_uppercase();
        match reference().country(&upper) {
            Some(c) => Ok(Self(c.alpha3.clone())),
            None => Err(UnknownCountry(code.to_owned())),
        }
    }

    /// Accepts the alpha-3 code of a UN member or observer State only.
    pub fn parse_state(code: &str) -> Result<Self, UnknownCountry> {
        let parsed = Self::parse(code)?;
        match reference().country(&parsed.0).map(|c| c.status) {
            Some(CountryStatus::MemberState | CountryStatus::ObserverState) => Ok(parsed),
            _ => Err(UnknownCountry(code.to_owned())),
        }
    }

    /// Resolves what real exports write for a country: ISO alpha-3, alpha-2 or numeric codes,
    /// names in the six UN languages, and the aliases of `reference/country-aliases.json`
    /// ("DPR Korea", "Cote d'Ivoire", "Bosnia & Herzegovina", "St Lucia", former names).
    pub fn lookup(name: &str) -> Result<Self, UnknownCountry> {
        reference()
            .lookup_country(name)
            .map(|c| Self(c.alpha3.clone()))
            .ok_or_else(|| UnknownCountry(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A country of the reference data is known by construction.
impl From<&crate::reference::Country> for CountryCode {
    fn from(country: &crate::reference::Country) -> Self {
        Self(country.alpha3.clone())
    }
}

impl AsRef<str> for CountryCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for CountryCode {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The form names are compared in: that of [`normalise_text`], with a leading "the" dropped.
/// "Côte d’Ivoire" and "cote d'ivoire" meet as `cote d ivoire`.
pub fn normalise_name(name: &str) -> String {
    let out = normalise_text(name);
    match out.strip_prefix("the ") {
        Some(rest) => rest.to_owned(),
        None => out,
    }
}

/// A name as it looks: [`normalise_name`]'s form, in lower case and in upper case, with each
/// letter read as the one it may be taken for (Unicode's confusables, UTS #39: a Cyrillic `е`
/// as a Latin `e`), so that two names a reader cannot tell apart share a key. Confusables are
/// told of letters in their case (a Cyrillic `К` is a Latin `K`, its `к` is not a `k`), hence
/// both cases. A character that shows as a blank as wide as a letter (a Hangul filler, the
/// blank braille pattern) is read as the space it looks like, not left out as the other
/// characters that show nothing are (found by an audit: `Sri` U+3164 `Lanka`).
pub fn look_alike_keys(name: &str) -> [String; 2] {
    let shows_as_space = |c: char| {
        matches!(
            c,
            '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}' | '\u{2800}'
        )
    };
    let spaced: String;
    let name = if name.contains(shows_as_space) {
        spaced = name
            .chars()
            .map(|c| if shows_as_space(c) { ' ' } else { c })
            .collect();
        &spaced
    } else {
        name
    };
    let name = normalise_name(name);
    let key = |cased: String| {
        let skeleton: String = unicode_security::confusable_detection::skeleton(&cased).collect();
        normalise_name(&skeleton)
    };
    [key(name.to_lowercase()), key(name.to_uppercase())]
}

/// Accents and case folded, `&` read as "and", punctuation and spacing collapsed to single
/// spaces: the form in which two spellings of the same words are equal.
pub fn normalise_text(text: &str) -> String {
    fold(text, false)
}

/// [`normalise_text`] as search reads words (`domain::analysis`): the Cyrillic short i (`й`)
/// stays itself rather than losing its breve to `и`, since Russian's stemmer reads adjective
/// endings by it (`судебной`, `судебный` and `судебная` are one word only so).
pub fn normalise_words(text: &str) -> String {
    fold(text, true)
}

fn fold(text: &str, keep_short_i: bool) -> String {
    if text.is_ascii() {
        return normalise_ascii(text);
    }
    // Characters that show nothing (a zero-width space, a soft hyphen, a direction mark) are
    // not there: a name copied from a web page with one inside a word is the same name.
    let visible: String;
    let text = if text.contains(is_invisible) {
        visible = text.chars().filter(|c| !is_invisible(*c)).collect();
        visible.as_str()
    } else {
        text
    };
    // `й` as one character or as `и` and its combining breve (U+0306).
    let short_i = keep_short_i && text.contains(['й', 'Й', '\u{306}']);
    let folded: String = if short_i {
        let mut folded = String::with_capacity(text.len());
        for c in text.nfc() {
            if matches!(c, 'й' | 'Й') {
                folded.push('й');
            } else {
                let bare = std::iter::once(c).nfkd().filter(|c| !is_combining_mark(*c));
                folded.extend(bare.flat_map(char::to_lowercase));
            }
        }
        folded
    } else {
        text.nfkd()
            .filter(|c| !is_combining_mark(*c))
            .flat_map(char::to_lowercase)
            .collect::<String>()
    }
    .replace('&', " and ");
    let mut out = String::with_capacity(folded.len());
    for word in folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A character that shows nothing between letters: the soft hyphen, the combining grapheme
/// joiner, zero-width spaces and joiners, direction marks, embeddings, overrides and isolates,
/// the byte order mark, variation selectors, tag characters, interlinear annotation marks and
/// musical format characters; and the Hangul fillers, Khmer's inherent vowels and the blank
/// braille pattern, letters and symbols that show nothing (a name of `\u{3164}` looks blank).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{34f}'
            | '\u{61c}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{17b4}'
            | '\u{17b5}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e007f}'
            | '\u{e0100}'..='\u{e01ef}'
    )
}

/// [`normalise_text`] for ASCII text, which needs no Unicode decomposition: most of what
/// imports bring, and the hot path of a bulk upload.
fn normalise_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(b.to_ascii_lowercase() as char);
        } else if b == b'&' {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str("and");
            gap = true;
        } else {
            gap = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise_to_one_form() {
        assert_eq!(normalise_name("Côte d’Ivoire"), "cote d ivoire");
        assert_eq!(
            normalise_name("  Bosnia & Herzegovina "),
            "bosnia and herzegovina"
        );
        assert_eq!(normalise_name("The Gambia"), "gambia");
        assert_eq!(normalise_name("St. Lucia"), "st lucia");
        assert_eq!(normalise_name("Türkiye"), "turkiye");
        assert_eq!(normalise_name("&Co"), "and co");
    }

    #[test]
    fn characters_that_show_nothing_do_not_split_or_change_a_name() {
        for copy in [
            "U\u{200b}NDP",
            "UN\u{ad}DP",
            "\u{feff}UNDP",
            "\u{202e}UNDP\u{202c}",
            "U\u{2060}N\u{200d}D\u{200e}P",
            "U\u{34f}N\u{fe0f}D\u{e0041}P",
        ] {
            assert_eq!(normalise_text(copy), "undp", "{copy:?}");
            assert_eq!(normalise_words(copy), "undp", "{copy:?}");
        }
        assert_eq!(normalise_text("a\u{200b} b"), "a b");
    }

    #[test]
    fn the_ascii_path_agrees_with_the_unicode_one() {
        for text in [
            "Bosnia & Herzegovina",
            "  St. Lucia!! ",
            "a&b",
            "&",
            "",
            "x--y__z 9",
            "A & & B",
            "Q&A&",
        ] {
            let unicode: String = {
                let folded = text.to_lowercase().replace('&', " and ");
                folded
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            assert_eq!(normalise_ascii(text), unicode, "`{text}`");
        }
    }
}
