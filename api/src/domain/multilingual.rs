use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The six official languages of the United Nations.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Ar,
    En,
    Es,
    Fr,
    Ru,
    Zh,
}

impl Language {
    pub const ALL: [Language; 6] = [Self::Ar, Self::En, Self::Es, Self::Fr, Self::Ru, Self::Zh];

    pub fn code(self) -> &'static str {
        match self {
            Self::Ar => "ar",
            Self::En => "en",
            Self::Es => "es",
            Self::Fr => "fr",
            Self::Ru => "ru",
            Self::Zh => "zh",
        }
    }

    /// The UN language of an ISO 639 code in any case (`fr`, `FR`, `fra`, `fre`); `None` for
    /// any other language, or for no language.
    pub fn of_code(code: &str) -> Option<Self> {
        let kept = crate::domain::stakeholder::language_code(code)?;
        Self::ALL.into_iter().find(|l| l.code() == kept)
    }

    /// A parameter that names a UN language by any of its ISO 639 codes, in any case
    /// (`lang=FR`, `lang=fra`), as filters take languages (`deserialize_with`).
    pub fn any_code<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        let Some(code) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        Self::of_code(&code).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{code}` is not one of the six UN languages (ar, en, es, fr, ru, zh)"
            ))
        })
    }

    /// Its name in English.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ar => "Arabic",
            Self::En => "English",
            Self::Es => "Spanish",
            Self::Fr => "French",
            Self::Ru => "Russian",
            Self::Zh => "Chinese",
        }
    }
}

/// Declares `Multilingual` with one optional text per language, each with the same rules.
macro_rules! multilingual {
    ($($(#[doc = $doc:literal])* $lang:ident = $example:literal,)+) => {
        /// A human-readable text in one or more of the six UN languages.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        #[schema(
            min_properties = 1,
            example = json!({
                "en": "Ratify the Optional Protocol to the Convention against Torture.",
                "fr": "Ratifier le Protocole facultatif se rapportant à la Convention contre la torture.",
            })
        )]
        pub struct Multilingual {
            $(
                $(#[doc = $doc])*
                #[serde(
                    default,
                    skip_serializing_if = "Option::is_none",
                    deserialize_with = "present"
                )]
                #[schema(
                    example = $example,
                    nullable = false,
                    max_length = 20000,
                    pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
                )]
                pub $lang: Option<String>,
            )+
        }
    };
}

multilingual! {
    /// Arabic.
    ar = "التصديق على البروتوكول الاختياري لاتفاقية مناهضة التعذيب.",
    /// English.
    en = "Ratify the Optional Protocol to the Convention against Torture.",
    /// Spanish.
    es = "Ratificar el Protocolo Facultativo de la Convención contra la Tortura.",
    /// French.
    fr = "Ratifier le Protocole facultatif se rapportant à la Convention contre la torture.",
    /// Russian.
    ru = "Ратифицировать Факультативный протокол к Конвенции против пыток.",
    /// Chinese.
    zh = "批准《禁止酷刑公约任择议定书》。",
}

/// A language that is present has a text: `null` is refused, as the contract says.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

impl Multilingual {
    pub fn get(&self, language: Language) -> Option<&str> {
        match language {
            Language::Ar => self.ar.as_deref(),
            Language::En => self.en.as_deref(),
            Language::Es => self.es.as_deref(),
            Language::Fr => self.fr.as_deref(),
            Language::Ru => self.ru.as_deref(),
            Language::Zh => self.zh.as_deref(),
        }
    }

    /// The text of `language`, to set or take.
    pub fn slot_mut(&mut self, language: Language) -> &mut Option<String> {
        match language {
            Language::Ar => &mut self.ar,
            Language::En => &mut self.en,
            Language::Es => &mut self.es,
            Language::Fr => &mut self.fr,
            Language::Ru => &mut self.ru,
            Language::Zh => &mut self.zh,
        }
    }

    /// The texts present, in the order of [`Language::ALL`].
    pub fn texts(&self) -> impl Iterator<Item = (Language, &str)> {
        Language::ALL
            .into_iter()
            .filter_map(|l| self.get(l).map(|t| (l, t)))
    }
}
