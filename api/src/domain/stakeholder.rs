//! A stakeholder: an organisation that acts, funds, submits or asks for help.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::FieldError;
use crate::domain::Language;
use crate::domain::codes::{CountryCodeValue, RegionCode, ThemeCode};
use crate::domain::recommendation::MAX_TEXT;
use crate::domain::validate::{Errors, is_space};
use crate::domain::{
    CountryCode, ExternalRef, Multilingual, StakeholderId, Stored, normalise_text,
};
use crate::reference::reference;

/// Kinds of stakeholder (docs/domain.md §3); labels at `/api/v1/reference/stakeholder-kinds`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StakeholderKind {
    State,
    UnEntity,
    InternationalOrganization,
    RegionalOrganization,
    RegionalHumanRightsMechanism,
    Nhri,
    CivilSocietyOrganization,
    Nmirf,
    Parliament,
    Academia,
    PrivateSector,
    #[default]
    Other,
}

impl StakeholderKind {
    pub const ALL: [Self; 12] = [
        Self::State,
        Self::UnEntity,
        Self::InternationalOrganization,
        Self::RegionalOrganization,
        Self::RegionalHumanRightsMechanism,
        Self::Nhri,
        Self::CivilSocietyOrganization,
        Self::Nmirf,
        Self::Parliament,
        Self::Academia,
        Self::PrivateSector,
        Self::Other,
    ];

    /// The kind `as_str` names.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::State => "state",
            Self::UnEntity => "un_entity",
            Self::InternationalOrganization => "international_organization",
            Self::RegionalOrganization => "regional_organization",
            Self::RegionalHumanRightsMechanism => "regional_human_rights_mechanism",
            Self::Nhri => "nhri",
            Self::CivilSocietyOrganization => "civil_society_organization",
            Self::Nmirf => "nmirf",
            Self::Parliament => "parliament",
            Self::Academia => "academia",
            Self::PrivateSector => "private_sector",
            Self::Other => "other",
        }
    }

    /// National bodies belong to one country, which they must name.
    pub fn is_national(self) -> bool {
        matches!(
            self,
            Self::State | Self::Nhri | Self::Nmirf | Self::Parliament
        )
    }

    /// Bodies of a State's own government, which that State's token may edit.
    pub fn is_state_body(self) -> bool {
        matches!(self, Self::State | Self::Nmirf | Self::Parliament)
    }
}

/// GANHRI accreditation of a national human rights institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum NhriAccreditation {
    A,
    B,
}

/// How to reach the organisation. Private: only those who edit it see it (`admin`, the
/// organisation's own contributors, a State for its own State's bodies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[schema(
        example = "Focal point for the UPR",
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub name: Option<String>,
    #[schema(
        example = "focal.point@example.org",
        max_length = 254,
        pattern = "^[^@\\s\\u0000]+@[^@\\s\\u0000]+\\.[^@\\s\\u0000]+$"
    )]
    pub email: Option<String>,
    #[schema(
        example = "+41 22 917 90 00",
        max_length = 50,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub phone: Option<String>,
}

// `C` is how the country is held: the string a client sends (so a code that does not read is a
// 422 naming `/country`, not a 400 from the JSON reader) until `validate` makes it a
// `CountryCode` (`StakeholderContent`, what is stored). The doc comment below is the contract's.
/// The content of a stakeholder, as created or replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StakeholderInput<C = String> {
    pub kind: StakeholderKind,
    /// Name in one or more of the six UN languages.
    pub name: Multilingual,
    pub acronym: Option<Multilingual>,
    /// ISO alpha-3 code of its country, for national bodies (States, NHRIs, NMIRFs,
    /// parliaments, national civil society).
    #[schema(value_type = Option<CountryCodeValue>, example = "KEN")]
    pub country: Option<C>,
    /// For NHRIs: GANHRI accreditation status (ignored for other kinds).
    pub nhri_accreditation: Option<NhriAccreditation>,
    #[schema(
        example = "https://www.knchr.org",
        max_length = 500,
        pattern = "^https?://[^\\s\\u0000\\[\\]]+$"
    )]
    pub website: Option<String>,
    pub contact: Option<Contact>,
    /// Expertise: codes of `/api/v1/reference/themes`.
    #[serde(default)]
    #[schema(value_type = Vec<ThemeCode>, max_items = 100)]
    pub themes: Vec<String>,
    /// Working languages, ISO 639 codes (`/api/v1/reference/languages`).
    #[serde(default)]
    #[schema(value_type = Vec<LanguageCode>, example = json!(["en", "sw"]), max_items = 50)]
    pub languages: Vec<String>,
    /// Regions served: UN M49 area codes (`001` the world, `002` Africa, `202` Sub-Saharan
    /// Africa, …).
    #[serde(default)]
    #[schema(value_type = Vec<RegionCode>, example = json!(["014"]), max_items = 50)]
    pub regions: Vec<String>,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub external_refs: Vec<ExternalRef>,
}

/// A stakeholder's validated content: its country a known code. It writes and reads the same
/// JSON as the [`StakeholderInput`] it came from.
pub type StakeholderContent = StakeholderInput<CountryCode>;

/// A stored stakeholder. `contact` is present only for callers allowed to see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Stakeholder {
    #[serde(flatten)]
    pub stored: Stored<StakeholderId>,
    #[serde(flatten)]
    #[schema(value_type = StakeholderInput)]
    pub content: StakeholderContent,
}

/// The code kept for a language given by any of its ISO 639 codes (`fre` is `fr`).
pub fn language_code(code: &str) -> Option<&'static str> {
    reference().language(code).map(|l| l.code.as_str())
}

/// The code kept for a language given by any of its ISO 639 codes (`fre` and `FR` are `fr`),
/// or one of ISO 639-2's range for local use (`qaa` to `qtz`, which name what a community
/// agrees on), in lower case.
pub fn kept_language_code(code: &str) -> Option<String> {
    language_code(code).map(str::to_owned).or_else(|| {
        let code = code.to_ascii_lowercase();
        let b = code.as_bytes();
        (b.len() == 3 && b[0] == b'q' && (b'a'..=b't').contains(&b[1]) && b[2].is_ascii_lowercase())
            .then_some(code)
    })
}

/// M49 codes a stakeholder may serve: the world and every region the country list uses.
pub fn is_region_code(code: &str) -> bool {
    code == "001"
        || reference().countries.iter().any(|c| {
            [&c.region, &c.sub_region, &c.intermediate_region]
                .into_iter()
                .flatten()
                .any(|a| a.code == code)
        })
}

/// An ISO 639 language code, as the contract states it.
pub struct LanguageCode;

impl utoipa::PartialSchema for LanguageCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "A language of /api/v1/reference/languages by its ISO 639 code, kept as the \
                 code listed there (`fre` and `fra` are kept as `fr`).",
            ))
            .pattern(Some("^[a-z]{2,3}$"))
            .examples(["sw"])
            .into()
    }
}

impl utoipa::ToSchema for LanguageCode {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("LanguageCode")
    }
}

/// The contract's e-mail pattern: `local@domain.tld`, no spaces, one `@`.
fn is_email(email: &str) -> bool {
    let plain = |s: &str| {
        !s.is_empty()
            && !s.contains(|c: char| {
                is_space(c) || crate::domain::is_invisible(c) || c == '\0' || c == '@'
            })
    };
    match email.split_once('@') {
        Some((local, domain)) => {
            plain(local)
                && plain(domain)
                && domain
                    .char_indices()
                    .any(|(i, c)| c == '.' && i > 0 && i + 1 < domain.len())
        }
        None => false,
    }
}

impl StakeholderInput {
    pub fn validate(mut self) -> Result<StakeholderContent, Vec<FieldError>> {
        let mut e = Errors::default();
        e.multilingual("/name", &self.name, MAX_TEXT);
        if let Some(acronym) = &self.acronym {
            e.multilingual("/acronym", acronym, MAX_TEXT);
        }
        let country = self
            .country
            .as_deref()
            .and_then(|code| e.country("/country", code, CountryCode::parse));
        if self.kind != StakeholderKind::Nhri {
            self.nhri_accreditation = None;
        }
        if let Some(website) = &self.website {
            e.web_address("/website", website);
        }
        if let Some(contact) = &self.contact {
            e.optional_text("/contact/name", contact.name.as_deref(), 200);
            e.optional_text("/contact/phone", contact.phone.as_deref(), 50);
            if let Some(email) = &contact.email {
                if email.chars().count() > 254 {
                    e.add(
                        "/contact/email",
                        "too_long",
                        "must be at most 254 characters",
                    );
                } else if !is_email(email) {
                    e.add(
                        "/contact/email",
                        "invalid_email",
                        "is not an e-mail address",
                    );
                }
            }
        }
        e.themes("/themes", &mut self.themes);
        e.languages("/languages", &mut self.languages);
        e.distinct("/regions", &mut self.regions, 50, |e, at, code| {
            if !is_region_code(code) {
                e.add(
                    at,
                    "unknown_code",
                    format!("`{code}` is not an M49 area code"),
                );
            }
        });
        ExternalRef::validate_all(&mut e, "/external_refs", &mut self.external_refs);
        e.into_result(StakeholderInput {
            country,
            kind: self.kind,
            name: self.name,
            acronym: self.acronym,
            nhri_accreditation: self.nhri_accreditation,
            website: self.website,
            contact: self.contact,
            themes: self.themes,
            languages: self.languages,
            regions: self.regions,
            external_refs: self.external_refs,
        })
    }
}

impl StakeholderContent {
    /// Kind, country and name: what tells one organisation from another where a file gives
    /// no id nor partner key (an import finds the stored one by it; the same organisation
    /// registered twice is one).
    pub fn natural_key(&self) -> String {
        let name = self.key_name().map(|(_, name)| name).unwrap_or_default();
        format!(
            "{}|{}|{name}",
            self.kind.as_str(),
            self.country.as_ref().map_or("", |c| c.as_str())
        )
    }

    /// The name of [`natural_key`](Self::natural_key): the first of its texts, normalised, and
    /// its language.
    pub fn key_name(&self) -> Option<(Language, String)> {
        self.name
            .texts()
            .next()
            .map(|(language, text)| (language, normalise_text(text)))
    }
}

impl<C> StakeholderInput<C> {
    pub fn search_texts(&self) -> Vec<(Language, &str)> {
        let acronyms = self.acronym.iter().flat_map(|a| a.texts());
        self.name.texts().chain(acronyms).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `as_str`, `parse` and serde name every kind alike, and `ALL` holds each once.
    #[test]
    fn every_kind_reads_back_as_written() {
        let mut seen = std::collections::HashSet::new();
        for kind in StakeholderKind::ALL {
            assert!(seen.insert(kind), "{kind:?} twice");
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, kind.as_str());
            assert_eq!(StakeholderKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(StakeholderKind::parse("State"), None);
        // The reference list names the same kinds: one added to the enum and the list but
        // not to ALL would not read back from the database.
        let reference: Vec<serde_json::Value> =
            serde_json::from_str(include_str!("../../reference/stakeholder-kinds.json")).unwrap();
        let codes: Vec<&str> = reference
            .iter()
            .map(|k| k["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes.len(), StakeholderKind::ALL.len());
        assert!(
            codes.iter().all(|c| StakeholderKind::parse(c).is_some()),
            "{codes:?}"
        );
    }
}
