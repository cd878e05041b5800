//! Collects every problem of a request body at once, each under the JSON pointer of its
//! field, so a client (or a bulk upload's row report) learns all of them in one answer.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Multilingual;
use crate::domain::country::{CountryCode, UnknownCountry};

/// One bad field of a request: where it is (a JSON pointer into the body, or `/name` of a
/// query or path parameter) and what is wrong with it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// JSON pointer (RFC 6901) of the bad field.
    #[schema(example = "/title/en")]
    pub pointer: String,
    /// A stable snake_case code for the kind of mistake.
    #[schema(example = "required")]
    pub code: String,
    /// What is wrong, for a person.
    pub message: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// Content that checks itself (what needs no database): each kind's input.
pub trait Validate: Sized {
    /// What a valid input becomes: itself, or a type whose codes are parsed.
    type Valid;
    fn validate(self) -> Result<Self::Valid, Vec<FieldError>>;
}

/// `Validate` for inputs whose own `validate` method says it.
macro_rules! validated_by_own_method {
    ($($input:ty => $valid:ty),+) => {
        $(impl Validate for $input {
            type Valid = $valid;
            fn validate(self) -> Result<$valid, Vec<FieldError>> {
                <$input>::validate(self)
            }
        })+
    };
}

validated_by_own_method!(
    crate::domain::activity::ActivityInput => crate::domain::activity::ActivityContent,
    crate::domain::recommendation::RecommendationInput
        => crate::domain::recommendation::RecommendationContent,
    crate::domain::stakeholder::StakeholderInput => crate::domain::stakeholder::StakeholderContent,
    crate::domain::assistance_request::AssistanceRequestInput
        => crate::domain::assistance_request::AssistanceRequestContent,
    crate::domain::offer::OfferInput => crate::domain::offer::OfferContent
);

/// White space as the contract's patterns (ECMA-262 `\s`) mean it, so a value the contract
/// allows is never refused here: Unicode white space without U+0085, with U+FEFF.
pub fn is_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// Blank: nothing but white space (as [`is_space`] means it) and characters that show nothing
/// (`domain::is_invisible`: a zero-width space, a soft hyphen, a direction mark, …).
pub fn is_blank(text: &str) -> bool {
    text.chars()
        .all(|c| is_space(c) || crate::domain::is_invisible(c))
}

/// The direction embeddings and overrides (U+202A, U+202B, U+202D, U+202E, each closed by
/// U+202C) and isolates (U+2066 to U+2068, closed by U+2069) that `text` leaves open: whether a
/// line before its last left one open (a line break ends them all, as Unicode's bidirectional
/// algorithm ends them with the paragraph), and the characters that would close those its last
/// line leaves open, innermost first. `(false, [])` is a text that turns no text shown after
/// it around.
pub fn open_directions(text: &str) -> (bool, Vec<char>) {
    const PDF: char = '\u{202c}';
    const PDI: char = '\u{2069}';
    let (mut earlier, mut closers) = (false, Vec::new());
    for c in text.chars() {
        match c {
            '\u{202a}' | '\u{202b}' | '\u{202d}' | '\u{202e}' => closers.push(PDF),
            '\u{2066}'..='\u{2068}' => closers.push(PDI),
            // A PDF closes an embedding opened inside the innermost isolate only.
            PDF if closers.last() == Some(&PDF) => {
                closers.pop();
            }
            // A PDI closes its isolate and whatever was opened inside it.
            PDI => {
                if let Some(at) = closers.iter().rposition(|c| *c == PDI) {
                    closers.truncate(at);
                }
            }
            '\n' | '\r' | '\u{1c}'..='\u{1e}' | '\u{85}' | '\u{2029}' => {
                earlier |= !closers.is_empty();
                closers.clear();
            }
            _ => {}
        }
    }
    closers.reverse();
    (earlier, closers)
}

/// `text` (one line) with the direction embeddings, overrides and isolates it leaves open
/// closed at its end ([`open_directions`]): a text cut short keeps what it opened to itself.
pub fn with_directions_closed(mut text: String) -> String {
    let (_, closers) = open_directions(&text);
    text.extend(closers);
    text
}

/// A text whose letters were all lost to an encoding that could not write them: question
/// marks and no letter at all (`????? ??????? ??????`, an Arabic text a spreadsheet saved as
/// windows-1252). No text of the repository is that: a title or a recommendation has words.
pub fn lost_its_letters(text: &str) -> bool {
    text.contains('?') && !text.chars().any(char::is_alphabetic)
}

/// An integer, also when written `13.0`: JSON Schema's `integer` allows that form.
pub fn integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    use serde::Deserialize;
    let n = serde_json::Number::deserialize(d)?;
    match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => Ok(i),
        (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(serde::de::Error::custom(format!("{n} is not an integer"))),
    }
}

/// [`integer`] for an optional field.
pub fn optional_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(serde::Deserialize)]
    struct Wrap(#[serde(deserialize_with = "integer")] i64);
    use serde::Deserialize;
    Option::<Wrap>::deserialize(d).map(|w| w.map(|w| w.0))
}

#[derive(Debug, Default)]
pub struct Errors(pub Vec<FieldError>);

/// The years a day of the repository's may fall in ([`Errors::year`]).
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2999;

impl Errors {
    pub fn add(&mut self, pointer: impl Into<String>, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(pointer, code, message));
    }

    /// A country code as a client sends it, read with `parse` (`CountryCode::parse`, or
    /// `parse_state` where a State is meant); one that does not read is an `unknown_country`
    /// error at `pointer`.
    pub fn country(
        &mut self,
        pointer: impl Into<String>,
        code: &str,
        parse: fn(&str) -> Result<CountryCode, UnknownCountry>,
    ) -> Option<CountryCode> {
        parse(code)
            .map_err(|err| self.add(pointer, "unknown_country", err.to_string()))
            .ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was added.
    /// What a validation built, `None` only where it added an error.
    pub fn into_valid<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(value) if self.0.is_empty() => Ok(value),
            _ => Err(self.0),
        }
    }

    pub fn into_result<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }

    /// A day or a time of the repository's (an activity's dates, a time frame's, when a consent
    /// was decided): its year within [`YEARS`]. Stored and exported days are written
    /// `YYYY-MM-DD`, which a year of five digits or before year 1 does not fit, and such a
    /// year is always a slip of the keyboard.
    pub fn year(&mut self, pointer: &str, day: Option<impl chrono::Datelike + std::fmt::Display>) {
        if let Some(day) = day
            && !YEARS.contains(&day.year())
        {
            self.add(
                pointer,
                "out_of_range",
                format!(
                    "`{day}` is not in a year from {} to {}",
                    YEARS.start(),
                    YEARS.end()
                ),
            );
        }
    }

    /// A free-text field: not blank, no NUL, at most `max` characters.
    pub fn text(&mut self, pointer: &str, value: &str, max: usize) {
        if is_blank(value) {
            self.add(pointer, "blank", "must not be blank");
        } else if value.contains('\0') {
            self.add(
                pointer,
                "invalid_character",
                "must not contain NUL characters",
            );
        } else if value.chars().count() > max {
            self.add(
                pointer,
                "too_long",
                format!("must be at most {max} characters"),
            );
        } else if open_directions(value) != (false, vec![]) {
            self.add(
                pointer,
                "open_direction",
                "opens a direction embedding, override or isolate (U+202A, U+202B, U+202D, \
                 U+202E, U+2066 to U+2068) that it does not close (U+202C, U+2069) before its \
                 line ends: shown in a list or a page, the text after it would be turned around",
            );
        } else if lost_its_letters(value) {
            self.add(
                pointer,
                "lost_characters",
                "holds question marks and no letter, as a text becomes whose letters an \
                 encoding could not write (a spreadsheet's CSV saved in windows-1252 puts a `?` \
                 for each Arabic, Cyrillic or Chinese letter): if it came from a file, save the \
                 file as UTF-8 (\"CSV UTF-8\") and send it again",
            );
        }
    }

    pub fn optional_text(&mut self, pointer: &str, value: Option<&str>, max: usize) {
        if let Some(v) = value {
            self.text(pointer, v, max);
        }
    }

    /// A multilingual text: at least one language, each one a valid text.
    pub fn multilingual(&mut self, pointer: &str, value: &Multilingual, max: usize) {
        let mut any = false;
        for (language, text) in value.texts() {
            any = true;
            self.text(&format!("{pointer}/{}", language.code()), text, max);
        }
        if !any {
            self.add(
                pointer,
                "required",
                "needs a text in at least one of ar, en, es, fr, ru, zh",
            );
        }
    }

    /// A list that stands for a set: at most `max_items` as sent (the contract's `maxItems`
    /// counts every item, duplicates too), each item as sent passes `check` (a pointer names
    /// the item where the caller put it), then duplicates are removed ([`dedup`]). A list of
    /// too many is refused as it is: removing its duplicates takes time that grows with the
    /// square of its length (150,000 items sent took seconds).
    pub fn distinct<T: PartialEq>(
        &mut self,
        pointer: &str,
        items: &mut Vec<T>,
        max_items: usize,
        check: impl FnMut(&mut Self, &str, &T),
    ) {
        self.each(pointer, items, max_items, check);
        if items.len() <= max_items {
            dedup(items);
        }
    }

    /// At most `max_items`, each passing `check`.
    pub fn each<T>(
        &mut self,
        pointer: &str,
        items: &[T],
        max_items: usize,
        mut check: impl FnMut(&mut Self, &str, &T),
    ) {
        if items.len() > max_items {
            self.add(pointer, "too_many", format!("at most {max_items} items"));
            return;
        }
        for (i, item) in items.iter().enumerate() {
            check(self, &format!("{pointer}/{i}"), item);
        }
    }
}

impl Errors {
    /// Theme codes of `/api/v1/reference/themes`, deduplicated.
    pub fn themes(&mut self, pointer: &str, themes: &mut Vec<String>) {
        let data = crate::reference::reference();
        self.distinct(pointer, themes, 100, |e, at, code| {
            if data.theme(code).is_none() {
                e.add(
                    at,
                    "unknown_code",
                    format!("`{code}` is not a theme of /api/v1/reference/themes"),
                );
            }
        });
    }

    /// A language of `/api/v1/reference/languages` by any of its ISO 639 codes, in any case,
    /// written as the code kept for it (`fre`, `fra` and `FR` are `fr`), so that one language
    /// is one code wherever it is compared.
    pub fn language(&mut self, pointer: &str, code: &mut String) {
        match crate::domain::stakeholder::kept_language_code(code) {
            Some(kept) if *code != kept => *code = kept,
            Some(_) => {}
            None if is_language_shape(code) => {
                self.add(pointer, "unknown_code", unknown_language(code))
            }
            None => self.add(pointer, "invalid", unknown_language(code)),
        }
    }

    /// Languages as [`Self::language`] writes them, deduplicated (`en` and `eng` are one).
    pub fn languages(&mut self, pointer: &str, languages: &mut Vec<String>) {
        const MAX: usize = 50;
        if languages.len() <= MAX {
            for (i, code) in languages.iter_mut().enumerate() {
                self.language(&format!("{pointer}/{i}"), code);
            }
        }
        self.distinct(pointer, languages, MAX, |_, _, _| {});
    }

    /// A web address as the contract states it (`^https?://[^\s\u0000\[\]]+$`, at most 500
    /// characters; `[` and `]` are left out so no URL parser misreads a host).
    pub fn web_address(&mut self, pointer: &str, url: &str) {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        let valid = rest.is_some_and(|r| {
            !r.is_empty()
                && !r.contains(|c: char| {
                    is_space(c) || crate::domain::is_invisible(c) || matches!(c, '\0' | '[' | ']')
                })
        });
        if url.chars().count() > 500 {
            self.add(pointer, "too_long", "must be at most 500 characters");
        } else if !valid {
            self.add(
                pointer,
                "invalid_url",
                "must be an http:// or https:// address without spaces or characters that show \
                 nothing (a direction override would show it as another address)",
            );
        }
    }

    /// SDG target codes, deduplicated.
    pub fn sdg_targets(&mut self, pointer: &str, targets: &mut Vec<String>) {
        let data = crate::reference::reference();
        self.distinct(pointer, targets, 169, |e, at, code| {
            if data.sdg_target(code).is_none() {
                e.add(at, "unknown_code", format!("`{code}` is not an SDG target"));
            }
        });
    }
}

/// Two or three letters: what an ISO 639 code looks like.
fn is_language_shape(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Why `code` is not a language: a tag of a language as spoken somewhere (`en-GB`, `pt_BR`) is
/// told the code of its language alone.
pub fn unknown_language(code: &str) -> String {
    let data = crate::reference::reference();
    match code.split_once(['-', '_']) {
        Some((primary, _)) if data.language(primary).is_some() => format!(
            "`{code}` is not an ISO 639 code of /api/v1/reference/languages: a language is \
             named alone, `{}`",
            data.language(primary).map_or(primary, |l| l.code.as_str())
        ),
        _ => format!("`{code}` is not an ISO 639 code of /api/v1/reference/languages, e.g. `en`"),
    }
}

/// Removes repeated items, keeping the first of each: a code listed twice means it once.
pub fn dedup<T: PartialEq>(items: &mut Vec<T>) {
    let mut i = 0;
    while i < items.len() {
        if items[..i].contains(&items[i]) {
            items.remove(i);
        } else {
            i += 1;
        }
    }
}

/// Appends the items `into` does not hold yet, in their order: the union of two lists.
pub fn add_missing<T: PartialEq>(into: &mut Vec<T>, items: impl IntoIterator<Item = T>) {
    for item in items {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

/// Prefixes pointers, so errors of a nested or bulk item point into the whole document.
pub fn nest(prefix: &str, errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.pointer = format!("{prefix}{}", e.pointer);
            e
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_of_question_marks_lost_its_letters() {
        for lost in ["????? ??????? ??????", "??????", "?? 2020 ??", "? ?"] {
            assert!(lost_its_letters(lost), "{lost}");
        }
        for kept in [
            "Why?",
            "Ratify the Convention??",
            "القضاء?",
            "司法?",
            "2020",
            "",
            "Судебной власти ??",
        ] {
            assert!(!lost_its_letters(kept), "{kept}");
        }
        let mut e = Errors::default();
        e.text("/text/ar", "????? ???????", 100);
        e.text("/text/en", "Abolish the death penalty?", 100);
        let errors = e.into_result(()).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            (errors[0].pointer.as_str(), errors[0].code.as_str()),
            ("/text/ar", "lost_characters")
        );
    }

    /// Characters that show nothing are no text: a name of zero-width spaces is blank.
    #[test]
    fn a_text_of_characters_that_show_nothing_is_blank() {
        for blank in [
            "\u{200b}",
            " \u{2060}\u{feff} ",
            "\u{ad}\u{200e}",
            "\u{e0041}",
            "\u{3164}\u{115f}",
            "\u{ffa0}",
            "\u{2800}\u{17b4}\u{fff9}\u{1d173}",
        ] {
            assert!(is_blank(blank), "{blank:?}");
        }
        for kept in ["U\u{200b}NDP", "\u{200f}اليونسكو", "a"] {
            assert!(!is_blank(kept), "{kept:?}");
        }
    }

    /// A text may not leave a direction override, embedding or isolate open: `Evil\u{202e}gnp`
    /// shows as `Evilpng`, and the text after it where it is shown is turned around too.
    #[test]
    fn a_text_closes_the_directions_it_opens() {
        let open = |t: &str| open_directions(t) != (false, vec![]);
        for closed in [
            "UNESCO",
            "\u{202b}منظمة\u{202c} (UNESCO)",
            "\u{2067}اليونسكو\u{2069}",
            // A PDI closes what was opened inside its isolate.
            "\u{2068}a\u{202e}b\u{2069}",
            "\u{200f}اليونسكو\u{200e}",
        ] {
            assert!(!open(closed), "{closed:?}");
        }
        for opened in [
            "Evil\u{202e}gnp",
            "\u{2066}a",
            // A PDF does not close an isolate, nor an embedding outside the isolate it is in.
            "\u{2066}a\u{202c}",
            "\u{202b}a\u{2066}b\u{202c}",
            // A line ends what it opened: the next line does not close it.
            "\u{202e}a\n\u{202c}b",
        ] {
            assert!(open(opened), "{opened:?}");
        }
        let mut e = Errors::default();
        e.text("/name/en", "Evil\u{202e}gnp.exe", 100);
        let errors = e.into_result(()).unwrap_err();
        assert_eq!(errors[0].code, "open_direction");
        let closed = with_directions_closed("\u{202b}a\u{2066}b".to_owned());
        assert_eq!(closed, "\u{202b}a\u{2066}b\u{2069}\u{202c}");
        assert!(!open(&closed));
    }
}
