//! A UPR recommendation: what a client sends, how it is checked, and what is stored and served.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::FieldError;
use crate::domain::Language;
use crate::domain::codes::{
    AffectedPersonsCode, LabelAsWritten, SdgGoalCode, SdgTargetCode, SourceName, StateCode,
    ThemeCode,
};
use crate::domain::validate::{Errors, dedup, integer, optional_integer};
use crate::domain::{
    CountryCode, ExternalRef, Multilingual, RecommendationId, Stored, normalise_text,
};
use crate::reference::reference;

/// The reviewed State's position on a recommendation. Named `RecommendationResponse` in the
/// contract: generated clients have a `Response` type of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = RecommendationResponse)]
pub enum Response {
    Supported,
    SupportedInPart,
    Noted,
}

impl Response {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Supported => "supported",
            Self::SupportedInPart => "supported_in_part",
            Self::Noted => "noted",
        }
    }

    /// Whether a position's words say the State has not responded yet (`Pending`, `No
    /// response`, as exports made between a review and its adoption say): no response, as an
    /// empty cell, the words kept.
    pub fn awaited(original: &str) -> bool {
        matches!(
            normalise_text(original).as_str(),
            "pending"
                | "response pending"
                | "no response"
                | "no response yet"
                | "not responded"
                | "awaiting response"
                | "en attente"
        )
    }

    /// Reads a position as UPR Info's exports and OHCHR's matrices write it, in English or in
    /// French: Supported / Noted, a matrix's `Supported/Noted` for a paragraph supported in
    /// part, older data's Accepted / Rejected.
    pub fn from_original(original: &str) -> Option<Self> {
        match normalise_text(original).as_str() {
            "supported" | "accepted" | "accept" | "agreed" | "appuyee" | "acceptee"
            | "soutenue" | "apoyada" | "aceptada" => Some(Self::Supported),
            "supported in part"
            | "partially supported"
            | "partially accepted"
            | "supported noted"
            | "supported partially"
            | "appuyee notee"
            | "acceptee notee"
            | "apoyada parcialmente"
            | "apoyada anotada"
            | "apoyada en parte"
            | "apoyada se toma nota" => Some(Self::SupportedInPart),
            "noted" | "rejected" | "not accepted" | "not supported" | "notee" | "prise en note"
            | "anotada" | "se toma nota" | "tomada nota" | "rechazada" => Some(Self::Noted),
            _ => None,
        }
    }

    /// What [`Self::from_original`] reads, for an error that names a position it does not.
    pub const READ: &str = "Supported, Supported in part or Supported/Noted, Noted, or older \
                            data's Accepted or Rejected (or the French or Spanish words)";
}

/// Where the State's position is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Document symbol.
    #[schema(
        example = "A/HRC/43/15",
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub symbol: String,
    /// Paragraph in that document.
    #[schema(
        example = "121.1",
        max_length = 50,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub paragraph: Option<String>,
}

// `S` is how the States are held: the strings a client sends (so a code that does not read is
// a 422 naming its field, not a 400 from the JSON reader) until `validate` makes them
// `CountryCode`s (`RecommendationContent`, what is stored). The doc comment below is the
// contract's.
/// The content of a recommendation, as created or replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, bound(deserialize = "S: Deserialize<'de>"))]
pub struct RecommendationInput<S = String> {
    /// ISO alpha-3 code of the State under review.
    #[schema(value_type = StateCode, example = "KEN")]
    pub state_under_review: S,
    /// ISO alpha-3 codes of the States that made it.
    #[serde(default)]
    #[schema(value_type = Vec<StateCode>, example = json!(["AUT", "BRA"]), max_items = 200)]
    pub recommending_states: Vec<S>,
    /// Working Group session: 1 to 54 are the sessions of the first four cycles; 55 to 68 are
    /// the fifth's, as projected from the fourth's calendar until the Council schedules them.
    #[schema(example = 35, minimum = 1, maximum = 68)]
    #[serde(deserialize_with = "integer")]
    pub session: i64,
    /// Year of the review. An import of a UPR Info export or an OHCHR matrix, which name the
    /// session only, gives the year the session was held in.
    #[schema(example = 2020, minimum = 2008, maximum = 2100)]
    #[serde(default, deserialize_with = "optional_integer")]
    pub review_year: Option<i64>,
    /// The recommendation, in one or more of the six UN languages.
    pub text: Multilingual,
    /// The State's position; null while pending.
    pub response: Option<Response>,
    /// The position as the source words it (e.g. UPR Info's `Accepted`).
    #[schema(
        example = "Accepted",
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub response_original: Option<String>,
    pub source: Option<Source>,
    /// UPR Info's action category, 1 (minimal action) to 5 (specific action).
    #[schema(minimum = 1, maximum = 5)]
    #[serde(default, deserialize_with = "optional_integer")]
    pub action_category: Option<i64>,
    /// Codes of `/api/v1/reference/themes`.
    #[serde(default)]
    #[schema(value_type = Vec<ThemeCode>, example = json!(["womens_rights"]), max_items = 100)]
    pub themes: Vec<String>,
    /// Codes of `/api/v1/reference/affected-persons`.
    #[serde(default)]
    #[schema(value_type = Vec<AffectedPersonsCode>, example = json!(["women_and_girls"]), max_items = 100)]
    pub affected_persons: Vec<String>,
    /// SDG target codes, e.g. `16.3`.
    #[serde(default)]
    #[schema(value_type = Vec<SdgTargetCode>, example = json!(["5.1", "16.3"]), max_items = 169)]
    pub sdg_targets: Vec<String>,
    /// Keys of this recommendation in partner databases.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub external_refs: Vec<ExternalRef>,
    /// Its paragraph in the Working Group's report, as OHCHR's matrices number it; the texts
    /// of one paragraph share it. Left out of an answer when there is none, as each of the
    /// four lists after it is when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        example = "140.7",
        max_length = 50,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub paragraph: Option<String>,
    /// SDG goals, `1` to `17` (`/api/v1/reference/sdg-goals`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<SdgGoalCode>, example = json!(["16"]), max_items = 17)]
    pub sdg_goals: Vec<String>,
    /// Themes a source names that no vocabulary of `/api/v1/reference/themes` has yet, as the
    /// source writes them: a newer matrix imports before the vocabulary catches up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<LabelAsWritten>, example = json!(["Business & human rights"]), max_items = 100)]
    pub themes_original: Vec<String>,
    /// Groups of persons a source names that `/api/v1/reference/affected-persons` does not
    /// have, as the source writes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<LabelAsWritten>, example = json!(["Persons affected by natural disasters"]), max_items = 100)]
    pub affected_persons_original: Vec<String>,
    /// Where it was imported from: `upr-info` (a UPR Info export), `ohchr-matrix` (OHCHR's
    /// thematic list of recommendations). An import adds its own; a client may name others.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<SourceName>, example = json!(["upr-info", "ohchr-matrix"]), max_items = 20)]
    pub sources: Vec<String>,
}

/// A recommendation's validated content: its States known codes. It writes and reads the same
/// JSON as the [`RecommendationInput`] it came from.
pub type RecommendationContent = RecommendationInput<CountryCode>;

/// A stored recommendation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Recommendation {
    #[serde(flatten)]
    pub stored: Stored<RecommendationId>,
    /// The UPR cycle of the session.
    #[schema(example = 3, minimum = 1)]
    pub cycle: i64,
    #[serde(flatten)]
    #[schema(value_type = RecommendationInput)]
    pub content: RecommendationContent,
}

pub const MAX_TEXT: usize = 20_000;

impl RecommendationInput {
    /// Checks every field and brings codes to their canonical form (upper-case country codes,
    /// the cycle derived from the session).
    pub fn validate(mut self) -> Result<RecommendationContent, Vec<FieldError>> {
        let mut e = Errors::default();
        let state_under_review = e.country(
            "/state_under_review",
            &self.state_under_review,
            CountryCode::parse_state,
        );
        let mut recommending_states = Vec::with_capacity(self.recommending_states.len());
        e.each(
            "/recommending_states",
            &self.recommending_states,
            200,
            |e, at, s| recommending_states.extend(e.country(at, s, CountryCode::parse_state)),
        );
        // `ken` and `KEN` are one State.
        dedup(&mut recommending_states);
        let data = reference();
        if self.cycle().is_none() {
            let last = data.cycles.last().map_or(0, |c| c.last_session);
            e.add(
                "/session",
                "out_of_range",
                format!("must be a Working Group session of a UPR cycle: 1 to {last}"),
            );
        }
        if let Some(year) = self.review_year
            && !(2008..=2100).contains(&year)
        {
            e.add("/review_year", "out_of_range", "must be from 2008 to 2100");
        }
        e.multilingual("/text", &self.text, MAX_TEXT);
        e.optional_text("/response_original", self.response_original.as_deref(), 100);
        if let Some(source) = &self.source {
            e.text("/source/symbol", &source.symbol, 100);
            e.optional_text("/source/paragraph", source.paragraph.as_deref(), 50);
        }
        if let Some(category) = self.action_category
            && !(1..=5).contains(&category)
        {
            e.add("/action_category", "out_of_range", "must be from 1 to 5");
        }
        e.themes("/themes", &mut self.themes);
        e.distinct(
            "/affected_persons",
            &mut self.affected_persons,
            100,
            |e, at, code| {
                if data.affected_persons(code).is_none() {
                    e.add(
                        at,
                        "unknown_code",
                        format!("`{code}` is not a code of /api/v1/reference/affected-persons"),
                    );
                }
            },
        );
        e.sdg_targets("/sdg_targets", &mut self.sdg_targets);
        ExternalRef::validate_all(&mut e, "/external_refs", &mut self.external_refs);
        e.optional_text("/paragraph", self.paragraph.as_deref(), 50);
        e.distinct("/sdg_goals", &mut self.sdg_goals, 17, |e, at, code| {
            if !data.sdg_goals.iter().any(|g| g.code == *code) {
                e.add(at, "unknown_code", format!("`{code}` is not an SDG goal"));
            }
        });
        for (pointer, labels) in [
            ("/themes_original", &mut self.themes_original),
            (
                "/affected_persons_original",
                &mut self.affected_persons_original,
            ),
        ] {
            e.distinct(pointer, labels, 100, |e, at, label| e.text(at, label, 300));
        }
        e.distinct("/sources", &mut self.sources, 20, |e, at, source| {
            if !ExternalRef::is_source_name(source) {
                e.add(
                    at,
                    "invalid",
                    "must be lower-case letters, digits, `.`, `_` or `-`, at most 50",
                );
            }
        });
        let content = state_under_review.map(|state_under_review| RecommendationInput {
            state_under_review,
            recommending_states,
            session: self.session,
            review_year: self.review_year,
            text: self.text,
            response: self.response,
            response_original: self.response_original,
            source: self.source,
            action_category: self.action_category,
            themes: self.themes,
            affected_persons: self.affected_persons,
            sdg_targets: self.sdg_targets,
            external_refs: self.external_refs,
            paragraph: self.paragraph,
            sdg_goals: self.sdg_goals,
            themes_original: self.themes_original,
            affected_persons_original: self.affected_persons_original,
            sources: self.sources,
        });
        e.into_valid(content)
    }
}

/// The year of a Working Group session, for sources that give the session and not the year
/// (UPR Info's exports, OHCHR's matrices, the seed); `None` for a session the calendar does not
/// list, or lists as projected (a cycle the Council has not scheduled yet): a year stored stays,
/// and a projected one could be wrong. An import after the release that schedules it fills it.
pub fn year_of_session(session: i64) -> Option<i64> {
    let session = u16::try_from(session).ok()?;
    let data = reference();
    if data.cycle_of_session(session).is_none_or(|c| c.projected) {
        return None;
    }
    data.year_of_session(session).map(i64::from)
}

impl<S: std::fmt::Display> RecommendationInput<S> {
    /// The UPR cycle of the session.
    pub fn cycle(&self) -> Option<i64> {
        u16::try_from(self.session)
            .ok()
            .and_then(|s| reference().cycle_of_session(s))
            .map(|c| i64::from(c.number))
    }

    /// State under review, session and normalised text (hashed, as texts are long): the same
    /// recommendation imported twice has the same key, whatever its spacing, case or
    /// punctuation.
    pub fn natural_key(&self) -> String {
        let text = self
            .text
            .texts()
            .next()
            .map(|(_, t)| normalise_text(t))
            .unwrap_or_default();
        crate::digest::natural_key(format!(
            "{}|{}|{}",
            self.state_under_review, self.session, text
        ))
    }

    /// Every language's text, for full-text search.
    pub fn search_texts(&self) -> Vec<(Language, &str)> {
        self.text.texts().collect()
    }
}

/// The parenthesised State names that end `text` (`… (Maldives) (Portugal);`, a State's name
/// may hold parentheses of its own: `(Venezuela (Bolivarian Republic of))`; one parenthesis
/// may list several, `(Senegal, Peru)`), and the text before them without its closing `;`. A parenthesis that names no State ends the run: `…
/// Convention, 1930 (No. 29) (Chile)` keeps `(No. 29)`.
pub fn trailing_states(text: &str) -> (&str, Vec<String>) {
    let mut rest = text.trim_end().trim_end_matches([';', ',', '.']).trim_end();
    let mut names = Vec::new();
    while rest.ends_with(')') {
        // The parenthesis that opens the last group.
        let mut depth = 0usize;
        let mut open = None;
        for (i, c) in rest.char_indices().rev() {
            match c {
                ')' => depth += 1,
                '(' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        open = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(open) = open else { break };
        let inner = rest[open + 1..rest.len() - 1].trim();
        let is_state = |name: &str| {
            CountryCode::lookup(name)
                .ok()
                .is_some_and(|c| CountryCode::parse_state(c.as_str()).is_ok())
        };
        let group: Vec<&str> = if is_state(inner) {
            vec![inner]
        } else {
            let parts = split_top_level(inner, ',');
            if parts.len() < 2 || !parts.iter().all(|p| is_state(p)) {
                break;
            }
            parts
        };
        names.extend(group.into_iter().rev().map(str::to_owned));
        rest = rest[..open].trim_end();
    }
    names.reverse();
    (rest.trim_end_matches([';', ',']).trim_end(), names)
}

/// What two sources' texts of one recommendation have in common however each wrote it: the
/// words of [`normalise_text`] (case, accents, punctuation and quotes left out) run together,
/// so a space Word lost between two words does not matter, without the State names in
/// parentheses at its end. Decision 0013.
pub fn matching_key(text: &str) -> String {
    let (text, _) = trailing_states(text);
    normalise_text(text).replace(' ', "")
}

/// `text` cut at each `separator` outside parentheses, each part trimmed, empty ones left out.
fn split_top_level(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if c == separator && depth == 0 => {
                parts.push(text[start..i].trim());
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts.retain(|p| !p.is_empty());
    parts
}
