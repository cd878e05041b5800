//! Code lists as the contract states them: enums built from the reference data, so an SDK
//! knows every valid country, theme or target code, and a fuzzer never mistakes an unknown
//! code for a valid one.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use crate::domain::stakeholder::is_region_code;
use crate::reference::{CountryStatus, reference};

/// An enum of `values`; with `names`, the name of each value in a generated client
/// (`x-enum-varnames`: `names` and the value, for codes that are numbers, which generators
/// otherwise name by their position, `VALUE_15` for goal 16).
fn enum_schema(description: &str, values: Vec<String>, names: Option<&str>) -> RefOr<Schema> {
    let varnames = names.map(|prefix| {
        let named: Vec<String> = values
            .iter()
            .map(|v| {
                let v: String = v
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
                format!("{prefix}_{}", v.to_ascii_uppercase())
            })
            .collect();
        utoipa::openapi::extensions::ExtensionsBuilder::new()
            .add("x-enum-varnames", named)
            .build()
    });
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values))
        .extensions(varnames)
        .into()
}

macro_rules! code_schema {
    ($name:ident, $description:expr, $values:expr) => {
        code_schema!($name, $description, $values, None);
    };
    ($name:ident, $description:expr, $values:expr, $names:expr) => {
        #[doc = $description]
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                enum_schema($description, $values, $names)
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

code_schema!(
    StateCode,
    "ISO 3166-1 alpha-3 code of a UN member or observer State (lower case is accepted too).",
    reference()
        .countries
        .iter()
        .filter(|c| c.status != CountryStatus::Territory)
        .map(|c| c.alpha3.clone())
        .collect()
);

code_schema!(
    CountryCodeValue,
    "ISO 3166-1 alpha-3 code of a country or territory (lower case is accepted too).",
    reference()
        .countries
        .iter()
        .map(|c| c.alpha3.clone())
        .collect()
);

code_schema!(
    ThemeCode,
    "A code of `/api/v1/reference/themes`.",
    reference()
        .theme_vocabularies
        .iter()
        .flat_map(|v| v.themes.iter().map(|t| t.code.clone()))
        .collect()
);

code_schema!(
    AffectedPersonsCode,
    "A code of `/api/v1/reference/affected-persons`.",
    reference()
        .affected_persons
        .iter()
        .map(|a| a.code.clone())
        .collect()
);

code_schema!(
    SdgTargetCode,
    "An SDG target code of `/api/v1/reference/sdg-targets`.",
    reference()
        .sdg_targets
        .iter()
        .map(|t| t.code.clone())
        .collect(),
    Some("TARGET")
);

code_schema!(
    SdgGoalCode,
    "An SDG goal of `/api/v1/reference/sdg-goals`, `1` to `17`.",
    reference()
        .sdg_goals
        .iter()
        .map(|g| g.code.clone())
        .collect(),
    Some("GOAL")
);

/// Declares a string schema by its pattern and length.
macro_rules! text_schema {
    ($name:ident, $description:expr, $pattern:expr, $max:expr, $example:expr) => {
        #[doc = $description]
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some($description))
                    .pattern(Some($pattern))
                    .min_length(Some(1))
                    .max_length(Some($max))
                    .examples([$example])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

text_schema!(
    SourceName,
    "The name of a source or partner database: lower-case letters, digits, `.`, `_` or `-`.",
    "^[a-z0-9][a-z0-9._-]*$",
    50,
    "ohchr-matrix"
);

text_schema!(
    LabelAsWritten,
    "A label as its source writes it.",
    "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
    300,
    "Business & human rights"
);

code_schema!(
    RegionCode,
    "A UN M49 area code: `001` the world, or a region of `/api/v1/reference/countries`.",
    {
        let mut codes: Vec<String> = reference()
            .countries
            .iter()
            .flat_map(|c| [&c.region, &c.sub_region, &c.intermediate_region])
            .flatten()
            .map(|a| a.code.clone())
            .chain(["001".to_owned()])
            .filter(|c| is_region_code(c))
            .collect();
        codes.sort();
        codes.dedup();
        codes
    },
    Some("M49")
);

code_schema!(
    ModalityCode,
    "A code of `/api/v1/reference/modalities`.",
    reference()
        .modalities
        .iter()
        .map(|m| m.code.clone())
        .collect()
);

code_schema!(
    FundingSourceCode,
    "A code of `/api/v1/reference/funding-sources`.",
    reference()
        .funding_sources
        .iter()
        .map(|m| m.code.clone())
        .collect()
);

code_schema!(
    CurrencyCode,
    "An active ISO 4217 currency code.",
    CURRENCIES.iter().map(|c| (*c).to_owned()).collect()
);

/// The active ISO 4217 currency codes, and the funds codes IATI accepts (XDR, XAU, …) left out.
pub const CURRENCIES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
    "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];
