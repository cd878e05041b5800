//! Collects every problem of a request body at once, each under the JSON pointer of its
//! field, so a client (or a bulk upload's row report) learns all of them in one answer.

use crate::domain::Multilingual;
use crate::error::FieldError;

#[derive(Debug, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, pointer: impl Into<String>, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(pointer, code, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was added.
    pub fn into_result<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }

    /// A free-text field: not blank, no NUL, at most `max` characters.
    pub fn text(&mut self, pointer: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
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

    /// Each item passes `check`. Callers remove duplicates first ([`dedup`]).
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
