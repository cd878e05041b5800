//! Reference data shipped inside the binary (`api/reference/*.json`), so a fresh start has it:
//! countries with their names in the six UN languages, the Council's regional groups, SDG goals
//! and targets, UPR cycles, IATI activity statuses and organisation roles, stakeholder kinds and
//! modalities. Parsed once, on first use.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{Multilingual, normalise_name, normalise_text};

/// A region of the UN M49 standard.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Area {
    /// M49 code, three digits.
    #[schema(example = "002")]
    pub code: String,
    #[schema(example = "Africa")]
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountryStatus {
    /// One of the 193 Member States of the United Nations.
    MemberState,
    /// A non-member observer State (Holy See, State of Palestine).
    ObserverState,
    /// A territory, listed so partners can use its code.
    Territory,
}

/// The Human Rights Council's five regional groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegionalGroup {
    African,
    AsiaPacific,
    EasternEuropean,
    LatinAmericanAndCaribbean,
    WesternEuropeanAndOthers,
}

impl RegionalGroup {
    /// A group as people write it: the API's name, or a label of UPR Info's exports and the
    /// Council's usage (`WEOG`, `GRULAC`, `EEG`, `Africa`, `Asia-Pacific`, …), in any case.
    pub fn from_label(label: &str) -> Option<Self> {
        let folded: String = label
            .trim()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        Some(match folded.as_str() {
            "african" | "africa" | "africangroup" | "ag" => Self::African,
            "asiapacific" | "asia" | "asiapacificgroup" | "apg" => Self::AsiaPacific,
            "easterneuropean" | "easterneurope" | "easterneuropeangroup" | "eeg" => {
                Self::EasternEuropean
            }
            "latinamericanandcaribbean" | "latinamericaandcaribbean" | "grulac" => {
                Self::LatinAmericanAndCaribbean
            }
            "westerneuropeanandothers" | "westerneuropeanandothersgroup" | "weog" => {
                Self::WesternEuropeanAndOthers
            }
            _ => return None,
        })
    }

    /// The name the API uses (its `snake_case` serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::African => "african",
            Self::AsiaPacific => "asia_pacific",
            Self::EasternEuropean => "eastern_european",
            Self::LatinAmericanAndCaribbean => "latin_american_and_caribbean",
            Self::WesternEuropeanAndOthers => "western_european_and_others",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Country {
    #[schema(example = "KE")]
    pub alpha2: String,
    #[schema(example = "KEN")]
    pub alpha3: String,
    /// ISO 3166-1 numeric code.
    #[schema(example = "404")]
    pub numeric: String,
    /// UN M49 code.
    #[schema(example = "404")]
    pub m49: String,
    pub region: Option<Area>,
    pub sub_region: Option<Area>,
    pub intermediate_region: Option<Area>,
    pub status: CountryStatus,
    /// The Council's regional group, for UN member States.
    pub regional_group: Option<RegionalGroup>,
    /// Least developed country.
    pub ldc: bool,
    /// Landlocked developing country.
    pub lldc: bool,
    /// Small island developing State.
    pub sids: bool,
    /// UNTERM short name; all six languages for member and observer States.
    pub short_name: Multilingual,
    /// UNTERM formal name.
    pub formal_name: Multilingual,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SdgGoal {
    #[schema(example = "16")]
    pub code: String,
    pub title: Multilingual,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SdgTarget {
    #[schema(example = "16.3")]
    pub code: String,
    #[schema(example = "16")]
    pub goal: String,
    pub title: Multilingual,
}

/// A UPR cycle and the Working Group sessions it spans.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Cycle {
    #[schema(example = 4)]
    pub number: u8,
    pub name: Multilingual,
    pub start_year: u16,
    pub end_year: u16,
    pub first_session: u16,
    pub last_session: u16,
    /// Its sessions and their years are projected from the cycle before's calendar, until the
    /// Council schedules them: a recommendation of one is stored without a `review_year`.
    #[serde(default)]
    pub projected: bool,
}

/// The Working Group sessions held (or scheduled) in a year (`reference/session-years.json`).
#[derive(Debug, Clone, Deserialize)]
struct SessionYear {
    year: u16,
    sessions: Vec<u16>,
}

/// An entry of an IATI codelist, with the name the API uses for it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CodelistEntry {
    /// The IATI code.
    #[schema(example = "2")]
    pub code: String,
    /// The name this API uses in its own fields.
    #[schema(example = "implementation")]
    pub name: String,
    pub title: Multilingual,
    pub description: Multilingual,
}

/// A language of ISO 639, as languages are written here: the two-letter code of ISO 639-1 where
/// the language has one, else the three-letter code of ISO 639-3 (or of ISO 639-2, for a
/// collection of languages). The other codes of the language are taken for it on writes and
/// in filters, and stored as `code`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LanguageEntry {
    #[schema(example = "fr")]
    pub code: String,
    /// The three-letter code (ISO 639-2/T, ISO 639-3) where `code` has two letters, else null.
    #[serde(default)]
    #[schema(example = "fra")]
    pub alpha3: Option<String>,
    /// The bibliographic code of ISO 639-2/B where it differs, else null.
    #[serde(default)]
    #[schema(example = "fre")]
    pub bibliographic: Option<String>,
    /// The English name ISO 639 gives.
    #[schema(example = "French")]
    pub name: String,
    /// The macrolanguage it is a variety of (`sw` for `swh`, Kiswahili), else null: matching
    /// takes a language and its macrolanguage as one.
    #[serde(default)]
    #[schema(example = json!(null))]
    pub macrolanguage: Option<String>,
    /// Codes retired in its favour (ISO 639-1's `iw` for `he`, ISO 639-3's `mol` for `ro`),
    /// taken for it.
    #[serde(default)]
    #[schema(example = json!([]))]
    pub former: Vec<String>,
}

/// A code of one of the repository's own vocabularies.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VocabularyEntry {
    #[schema(example = "training")]
    pub code: String,
    pub label: Multilingual,
    pub description: Multilingual,
    /// For stakeholder kinds: the closest IATI OrganisationType code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iati_organisation_type: Option<String>,
}

/// A subject of a theme vocabulary.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Theme {
    #[schema(example = "womens_rights")]
    pub code: String,
    pub label: Multilingual,
    /// The labels UPR Info database exports use for it (what `?format=upr-info` imports map).
    #[serde(default)]
    pub upr_info: Vec<String>,
    /// The labels and codes OHCHR's UPR matrices and the Universal Human Rights Index use
    /// for it, in every cycle's wording (what `?format=ohchr-matrix` imports map).
    #[serde(default)]
    pub uhri: Vec<String>,
    /// The themes of the other vocabulary that cover the same ground: a UHRI theme's UPR Info
    /// issues, and a UPR Info issue's UHRI themes. Matching counts an offer or an activity on
    /// one as on the other.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<crate::domain::codes::ThemeCode>, example = json!(["torture_and_cid_treatment"]))]
    pub equivalents: Vec<String>,
    /// The broader theme, when the vocabulary nests them.
    #[serde(default)]
    pub broader: Option<String>,
}

/// A versioned list of themes (the UPR Info issues list; room for UHRI themes).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ThemeVocabulary {
    #[schema(example = "upr-info")]
    pub id: String,
    #[schema(example = "2")]
    pub version: String,
    pub title: Multilingual,
    pub source: String,
    pub themes: Vec<Theme>,
}

#[derive(Debug, Deserialize)]
struct ThemeFile {
    vocabularies: Vec<ThemeVocabulary>,
}

/// A group of persons a recommendation or activity concerns.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AffectedPersons {
    #[schema(example = "women_and_girls")]
    pub code: String,
    pub label: Multilingual,
    /// The corresponding OHCHR Universal Human Rights Index label.
    pub uhri: Option<String>,
    /// Other labels OHCHR's UPR matrices have used for it (`Affected persons:` of the 3rd
    /// cycle).
    #[serde(default)]
    pub uhri_variants: Vec<String>,
}

pub struct Reference {
    pub countries: Vec<Country>,
    by_alpha3: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
    /// The same names by how they look (`domain::look_alike_keys`).
    by_look: HashMap<String, usize>,
    pub sdg_goals: Vec<SdgGoal>,
    pub sdg_targets: Vec<SdgTarget>,
    pub cycles: Vec<Cycle>,
    /// The year of each Working Group session, by its number.
    session_years: HashMap<u16, u16>,
    pub activity_statuses: Vec<CodelistEntry>,
    pub organisation_roles: Vec<CodelistEntry>,
    pub stakeholder_kinds: Vec<VocabularyEntry>,
    pub modalities: Vec<VocabularyEntry>,
    pub funding_sources: Vec<VocabularyEntry>,
    pub theme_vocabularies: Vec<ThemeVocabulary>,
    pub affected_persons: Vec<AffectedPersons>,
    pub languages: Vec<LanguageEntry>,
    /// Each code of a language (its own, three-letter, bibliographic, former) -> its index.
    languages_by_code: HashMap<String, usize>,
    /// For each language, by index: `Reference::language_equivalents`.
    language_equivalents: Vec<Vec<String>>,
    /// Theme code -> (vocabulary index, theme index).
    themes_by_code: HashMap<String, (usize, usize)>,
    /// Normalised UPR Info issue label -> theme code.
    themes_by_upr_info: HashMap<String, String>,
    /// Normalised UHRI label or code -> theme code.
    themes_by_uhri: HashMap<String, String>,
    /// Normalised UHRI label of a group of persons -> affected persons code.
    persons_by_uhri: HashMap<String, String>,
}

/// Makes `Theme::equivalents` hold both ways: `themes.json` writes them on the UHRI themes, and
/// each UPR Info issue gains the UHRI themes that name it. Every code named must be a theme of
/// another vocabulary.
fn equivalents_both_ways(vocabularies: &mut [ThemeVocabulary]) {
    let vocabulary_of: HashMap<String, usize> = vocabularies
        .iter()
        .enumerate()
        .flat_map(|(v, voc)| voc.themes.iter().map(move |t| (t.code.clone(), v)))
        .collect();
    let mut back: Vec<(String, String)> = Vec::new();
    for (v, vocabulary) in vocabularies.iter().enumerate() {
        for theme in &vocabulary.themes {
            for e in &theme.equivalents {
                match vocabulary_of.get(e.as_str()) {
                    Some(&w) if w != v => back.push((e.clone(), theme.code.clone())),
                    _ => panic!(
                        "theme {} names {e} as its equivalent: not a theme of another vocabulary",
                        theme.code
                    ),
                }
            }
        }
    }
    for (code, equivalent) in back {
        let theme = vocabularies
            .iter_mut()
            .flat_map(|v| v.themes.iter_mut())
            .find(|t| t.code == code)
            .expect("checked above");
        if !theme.equivalents.contains(&equivalent) {
            theme.equivalents.push(equivalent);
        }
    }
}

/// For each language, every code of its family: its own codes, its macrolanguage's, and for a
/// macrolanguage its varieties'.
fn language_families(
    languages: &[LanguageEntry],
    by_code: &HashMap<String, usize>,
) -> Vec<Vec<String>> {
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, language) in languages.iter().enumerate() {
        if let Some(macrolanguage) = &language.macrolanguage {
            let m = *by_code
                .get(macrolanguage)
                .unwrap_or_else(|| panic!("{} names unknown {macrolanguage}", language.code));
            members.entry(m).or_default().push(i);
        }
    }
    let codes_of = |l: &LanguageEntry| -> Vec<String> {
        std::iter::once(&l.code)
            .chain(&l.alpha3)
            .chain(&l.bibliographic)
            .chain(&l.former)
            .cloned()
            .collect()
    };
    languages
        .iter()
        .enumerate()
        .map(|(i, language)| {
            let macrolanguage = language.macrolanguage.as_ref().map(|m| by_code[m]);
            let varieties = members.get(&i).into_iter().flatten().copied();
            let mut codes: Vec<String> = std::iter::once(i)
                .chain(macrolanguage)
                .chain(varieties)
                .flat_map(|f| codes_of(&languages[f]))
                .collect();
            codes.shrink_to_fit();
            codes
        })
        .collect()
}

fn parse<T: for<'de> Deserialize<'de>>(name: &str, json: &str) -> T {
    // The files are part of the source tree and checked by the tests; a bad one is a build bug.
    serde_json::from_str(json).unwrap_or_else(|e| panic!("reference/{name} is invalid: {e}"))
}

/// A name and, for UNTERM's "Bahamas (the)" or "Bolivia (Plurinational State of)", the name
/// without its parenthesis.
fn name_variants(name: &str) -> Vec<String> {
    let mut out = vec![normalise_name(name)];
    if let Some(open) = name.rfind(" (")
        && name.ends_with(')')
    {
        out.push(normalise_name(&name[..open]));
    }
    out.retain(|s| !s.is_empty());
    out
}

impl Reference {
    fn load() -> Self {
        let countries: Vec<Country> = parse(
            "countries.json",
            include_str!("../reference/countries.json"),
        );
        let aliases: HashMap<String, String> = parse(
            "country-aliases.json",
            include_str!("../reference/country-aliases.json"),
        );
        let by_alpha3: HashMap<String, usize> = countries
            .iter()
            .enumerate()
            .map(|(i, c)| (c.alpha3.clone(), i))
            .collect();

        // Names derived from the country file; a name two countries share is dropped unless
        // the alias table decides it.
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut ambiguous = Vec::new();
        for (i, c) in countries.iter().enumerate() {
            let names = c
                .short_name
                .texts()
                .chain(c.formal_name.texts())
                .map(|(_, t)| t);
            for key in names.flat_map(name_variants) {
                match by_name.insert(key.clone(), i) {
                    Some(other) if other != i => ambiguous.push(key),
                    _ => {}
                }
            }
        }
        for key in ambiguous {
            by_name.remove(&key);
        }
        for c in &countries {
            by_name.insert(c.alpha2.to_lowercase(), by_alpha3[&c.alpha3]);
            by_name.insert(c.alpha3.to_lowercase(), by_alpha3[&c.alpha3]);
        }
        for (alias, alpha3) in aliases {
            let index = *by_alpha3
                .get(&alpha3)
                .unwrap_or_else(|| panic!("alias `{alias}` names unknown country {alpha3}"));
            by_name.insert(normalise_name(&alias), index);
        }
        let by_look = by_name
            .iter()
            .flat_map(|(name, &i)| crate::domain::look_alike_keys(name).map(|key| (key, i)))
            .collect();

        let mut themes: ThemeFile = parse("themes.json", include_str!("../reference/themes.json"));
        equivalents_both_ways(&mut themes.vocabularies);
        let mut themes_by_code = HashMap::new();
        let mut themes_by_upr_info = HashMap::new();
        let mut themes_by_uhri = HashMap::new();
        for (v, vocabulary) in themes.vocabularies.iter().enumerate() {
            for (t, theme) in vocabulary.themes.iter().enumerate() {
                if themes_by_code.insert(theme.code.clone(), (v, t)).is_some() {
                    panic!("theme code {} is in two vocabularies", theme.code);
                }
                for label in &theme.upr_info {
                    themes_by_upr_info.insert(normalise_text(label), theme.code.clone());
                }
                for label in &theme.uhri {
                    if let Some(other) =
                        themes_by_uhri.insert(normalise_text(label), theme.code.clone())
                        && other != theme.code
                    {
                        panic!("UHRI label `{label}` is of {other} and {}", theme.code);
                    }
                }
            }
        }

        let affected_persons: Vec<AffectedPersons> = parse(
            "affected-persons.json",
            include_str!("../reference/affected-persons.json"),
        );
        let mut persons_by_uhri = HashMap::new();
        for persons in &affected_persons {
            let labels = persons
                .uhri
                .iter()
                .chain(&persons.uhri_variants)
                .chain(&persons.label.en);
            for label in labels {
                persons_by_uhri.insert(normalise_text(label), persons.code.clone());
            }
        }

        let languages: Vec<LanguageEntry> = parse(
            "languages.json",
            include_str!("../reference/languages.json"),
        );
        let mut languages_by_code = HashMap::new();
        for (i, language) in languages.iter().enumerate() {
            let codes = std::iter::once(&language.code)
                .chain(&language.alpha3)
                .chain(&language.bibliographic)
                .chain(&language.former);
            for code in codes {
                if languages_by_code.insert(code.clone(), i).is_some() {
                    panic!("language code {code} is given twice");
                }
            }
        }

        let language_equivalents = language_families(&languages, &languages_by_code);

        Self {
            countries,
            by_alpha3,
            by_name,
            by_look,
            sdg_goals: parse(
                "sdg-goals.json",
                include_str!("../reference/sdg-goals.json"),
            ),
            sdg_targets: parse(
                "sdg-targets.json",
                include_str!("../reference/sdg-targets.json"),
            ),
            cycles: parse("cycles.json", include_str!("../reference/cycles.json")),
            session_years: parse::<Vec<SessionYear>>(
                "session-years.json",
                include_str!("../reference/session-years.json"),
            )
            .into_iter()
            .flat_map(|y| y.sessions.into_iter().map(move |s| (s, y.year)))
            .collect(),
            activity_statuses: parse(
                "activity-statuses.json",
                include_str!("../reference/activity-statuses.json"),
            ),
            organisation_roles: parse(
                "organisation-roles.json",
                include_str!("../reference/organisation-roles.json"),
            ),
            stakeholder_kinds: parse(
                "stakeholder-kinds.json",
                include_str!("../reference/stakeholder-kinds.json"),
            ),
            modalities: parse(
                "modalities.json",
                include_str!("../reference/modalities.json"),
            ),
            funding_sources: parse(
                "funding-sources.json",
                include_str!("../reference/funding-sources.json"),
            ),
            themes_by_code,
            themes_by_upr_info,
            themes_by_uhri,
            theme_vocabularies: themes.vocabularies,
            persons_by_uhri,
            affected_persons,
            languages,
            languages_by_code,
            language_equivalents,
        }
    }

    /// The language with this ISO 639 code, in any case: its own, three-letter or
    /// bibliographic.
    pub fn language(&self, code: &str) -> Option<&LanguageEntry> {
        let index = match self.languages_by_code.get(code) {
            Some(i) => Some(i),
            None if code.len() <= 3 => self.languages_by_code.get(&code.to_ascii_lowercase()),
            None => None,
        };
        index.map(|&i| &self.languages[i])
    }

    /// The codes matching takes as meeting a language asked for by `code`: the language's
    /// codes (an item stored before its codes were kept as one may hold
    /// `eng`), its macrolanguage's and, for a macrolanguage, its varieties' (an offer in
    /// Kiswahili, `swh`, serves a need in Swahili, `sw`, and one in Swahili a need in
    /// Kiswahili). Two varieties of one macrolanguage do not meet: Mandarin and Cantonese are
    /// both Chinese.
    pub fn language_equivalents(&self, code: &str) -> &[String] {
        self.language(code)
            .and_then(|l| self.languages_by_code.get(&l.code))
            .map_or(&[], |&i| self.language_equivalents[i].as_slice())
    }

    /// The country with this alpha-3 code (upper case).
    pub fn country(&self, alpha3: &str) -> Option<&Country> {
        self.by_alpha3.get(alpha3).map(|&i| &self.countries[i])
    }

    /// The country a code or name designates: alpha-3, alpha-2, numeric, a name in one of the
    /// six UN languages, or a known alias.
    pub fn lookup_country(&self, input: &str) -> Option<&Country> {
        let trimmed = input.trim();
        if trimmed.len() == 3 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return self.countries.iter().find(|c| c.numeric == trimmed);
        }
        self.by_name
            .get(&normalise_name(trimmed))
            .map(|&i| &self.countries[i])
    }

    /// The country whose name `input` is ([`Reference::lookup_country`]) or looks like to a
    /// reader: `Кenya` with a Cyrillic `К`. Not one whose code it is: `CAN`, `PER` or `MAR` is
    /// an organisation's acronym as often as a country's code.
    pub fn country_looked_like(&self, input: &str) -> Option<&Country> {
        let trimmed = input.trim();
        let is_code = |c: &Country| {
            [&c.alpha2, &c.alpha3, &c.numeric]
                .iter()
                .any(|code| code.eq_ignore_ascii_case(trimmed))
        };
        self.lookup_country(input)
            .or_else(|| {
                crate::domain::look_alike_keys(input)
                    .iter()
                    .find_map(|key| self.by_look.get(key))
                    .map(|&i| &self.countries[i])
            })
            .filter(|c| !is_code(c))
    }

    /// The theme with this code, in whichever vocabulary has it.
    pub fn theme(&self, code: &str) -> Option<&Theme> {
        self.themes_by_code
            .get(code)
            .map(|&(v, t)| &self.theme_vocabularies[v].themes[t])
    }

    /// The theme code of an issue label as UPR Info exports write it.
    pub fn theme_of_upr_info_issue(&self, label: &str) -> Option<&str> {
        self.themes_by_upr_info
            .get(&normalise_text(label))
            .map(String::as_str)
    }

    /// `themes` and every theme the other vocabulary says covers the same ground, each once.
    pub fn themes_with_equivalents(&self, themes: &[String]) -> Vec<String> {
        let mut all = themes.to_vec();
        for t in themes {
            for e in self.theme(t).map_or(&[][..], |t| &t.equivalents) {
                if !all.contains(e) {
                    all.push(e.clone());
                }
            }
        }
        all
    }

    /// The theme code of a label (or a 2nd-cycle code, `A12`) as OHCHR's UPR matrices write
    /// it.
    pub fn theme_of_uhri(&self, label: &str) -> Option<&str> {
        self.themes_by_uhri
            .get(&normalise_text(label))
            .map(String::as_str)
    }

    /// The affected persons code of a group of persons as OHCHR's UPR matrices write it.
    pub fn affected_persons_of_uhri(&self, label: &str) -> Option<&str> {
        self.persons_by_uhri
            .get(&normalise_text(label))
            .map(String::as_str)
    }

    pub fn affected_persons(&self, code: &str) -> Option<&AffectedPersons> {
        self.affected_persons.iter().find(|a| a.code == code)
    }

    pub fn modality(&self, code: &str) -> Option<&VocabularyEntry> {
        self.modalities.iter().find(|m| m.code == code)
    }

    pub fn funding_source(&self, code: &str) -> Option<&VocabularyEntry> {
        self.funding_sources.iter().find(|m| m.code == code)
    }

    pub fn sdg_target(&self, code: &str) -> Option<&SdgTarget> {
        self.sdg_targets.iter().find(|t| t.code == code)
    }

    /// The year a Working Group session was held in (or is to be), as OHCHR's calendar of
    /// sessions gives it; `None` for a session it does not list.
    pub fn year_of_session(&self, session: u16) -> Option<u16> {
        self.session_years.get(&session).copied()
    }

    /// The cycle a Working Group session belongs to.
    pub fn cycle_of_session(&self, session: u16) -> Option<&Cycle> {
        self.cycles
            .iter()
            .find(|c| (c.first_session..=c.last_session).contains(&session))
    }
}

static REFERENCE: LazyLock<Reference> = LazyLock::new(Reference::load);

/// The reference data, parsed on first use.
pub fn reference() -> &'static Reference {
    &REFERENCE
}

#[cfg(test)]
mod tests {

    /// A name a reader cannot tell from a State's is that State's: a Cyrillic or Greek letter
    /// for a Latin one; a name merely like it is not.
    #[test]
    fn a_name_that_looks_like_a_states_is_that_states() {
        let data = reference();
        for name in [
            "K\u{0435}nya",
            "\u{041a}enya",
            "\u{039a}enya (le)",
            "Ug\u{0430}nda",
            "KENYA",
            // A blank as wide as a letter, where the space is.
            "Sri\u{3164}Lanka",
            "Sri\u{2800}Lanka",
        ] {
            let found = data.country_looked_like(name).map(|c| c.alpha3.as_str());
            assert!(
                matches!(found, Some("KEN" | "UGA" | "LKA")),
                "{name}: {found:?}"
            );
        }
        for name in [
            "Kenya Human Rights Commission",
            "Amnesty International",
            "Ken ya",
            // Codes: organisations' acronyms as often (the Climate Action Network's `CAN`).
            "CAN",
            "per",
            "KE",
            "404",
        ] {
            assert!(data.country_looked_like(name).is_none(), "{name}");
        }
    }

    use super::*;

    /// Every session of every cycle has one year, within its cycle's years; a cycle's first
    /// and last sessions are held in its first and last years; years never go back.
    #[test]
    fn each_session_has_a_year_within_its_cycle() {
        let r = reference();
        let mut last = 0;
        for cycle in &r.cycles {
            for session in cycle.first_session..=cycle.last_session {
                let year = r
                    .year_of_session(session)
                    .expect("a year for every session");
                assert!(
                    (cycle.start_year..=cycle.end_year).contains(&year),
                    "session {session}: {year}"
                );
                assert!(year >= last, "session {session}: {year} after {last}");
                last = year;
            }
            assert_eq!(
                r.year_of_session(cycle.first_session),
                Some(cycle.start_year)
            );
            assert_eq!(r.year_of_session(cycle.last_session), Some(cycle.end_year));
        }
        let listed: usize = r
            .cycles
            .iter()
            .map(|c| usize::from(c.last_session - c.first_session) + 1)
            .sum();
        assert_eq!(
            r.session_years.len(),
            listed,
            "a session outside the cycles"
        );
        // Two known sessions: the first, and the 48th (Slovenia's third review, January 2025).
        assert_eq!(r.year_of_session(1), Some(2008));
        assert_eq!(r.year_of_session(48), Some(2025));
        // The fifth cycle, projected from the fourth's calendar: its first session in the year
        // the fourth ends, as the fourth's was (an import of session 55 must not wait for a
        // release).
        assert_eq!(r.year_of_session(55), Some(2027));
        assert_eq!(r.cycle_of_session(55).map(|c| c.number), Some(5));
        assert_eq!(r.year_of_session(69), None);
    }

    #[test]
    fn equivalent_themes_hold_both_ways_and_nowhere_else() {
        let r = reference();
        let of = |code: &str| &r.theme(code).unwrap().equivalents;
        assert_eq!(of("uhri_torture"), &["torture_and_cid_treatment"]);
        assert_eq!(of("torture_and_cid_treatment"), &["uhri_torture"]);
        assert!(
            of("uhri_budget_resources").is_empty(),
            "none where none is said"
        );
        // Six UHRI themes of persons with disabilities name one UPR Info issue, which names
        // them all back.
        let back = &r.theme("persons_with_disabilities").unwrap().equivalents;
        assert_eq!(back.len(), 6, "{back:?}");
        for vocabulary in &r.theme_vocabularies {
            for theme in &vocabulary.themes {
                for e in &theme.equivalents {
                    assert!(
                        r.theme(e).unwrap().equivalents.contains(&theme.code),
                        "{} names {e}, which does not name it back",
                        theme.code
                    );
                }
            }
        }
        assert_eq!(
            r.themes_with_equivalents(&["uhri_torture".into(), "torture_and_cid_treatment".into()]),
            ["uhri_torture", "torture_and_cid_treatment"]
        );
    }

    #[test]
    fn regional_groups_are_read_as_people_write_them() {
        for (label, group) in [
            (
                "western_european_and_others",
                RegionalGroup::WesternEuropeanAndOthers,
            ),
            ("WEOG", RegionalGroup::WesternEuropeanAndOthers),
            ("grulac", RegionalGroup::LatinAmericanAndCaribbean),
            (
                "Latin American and Caribbean",
                RegionalGroup::LatinAmericanAndCaribbean,
            ),
            ("EEG", RegionalGroup::EasternEuropean),
            ("Africa", RegionalGroup::African),
            ("Asia-Pacific", RegionalGroup::AsiaPacific),
            ("asia_pacific", RegionalGroup::AsiaPacific),
        ] {
            assert_eq!(RegionalGroup::from_label(label), Some(group), "{label}");
        }
        for other in ["", "Europe", "WEOGX", "others"] {
            assert_eq!(RegionalGroup::from_label(other), None, "{other}");
        }
    }

    #[test]
    fn regional_group_names_are_their_serde_names() {
        use RegionalGroup::*;
        for g in [
            African,
            AsiaPacific,
            EasternEuropean,
            LatinAmericanAndCaribbean,
            WesternEuropeanAndOthers,
        ] {
            assert_eq!(serde_json::to_value(g).unwrap(), g.as_str());
        }
    }
}
