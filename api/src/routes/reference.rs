//! Read-only reference data under `/api/v1/reference/`. Lists are complete: each answers in
//! one page (`next_cursor` is null); all but the languages' are small.

use actix_web::{get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult, FieldError};
use crate::reference::{
    AffectedPersons, CodelistEntry, Country, CountryStatus, Cycle, LanguageEntry, SdgGoal,
    SdgTarget, ThemeVocabulary, VocabularyEntry, reference,
};
use crate::routes::page_type;
use crate::routes::support::regional_group_param;

page_type!(CountryPage, Country);
page_type!(SdgGoalPage, SdgGoal);
page_type!(SdgTargetPage, SdgTarget);
page_type!(CyclePage, Cycle);
page_type!(CodelistPage, CodelistEntry);
page_type!(VocabularyPage, VocabularyEntry);
page_type!(ThemeVocabularyPage, ThemeVocabulary);
page_type!(AffectedPersonsPage, AffectedPersons);
page_type!(LanguagePage, LanguageEntry);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CountryQuery {
    /// Only member States, observer States or territories.
    pub status: Option<CountryStatus>,
    /// Only the member States of one of the Council's regional groups.
    ///
    /// A group: `african`, `asia_pacific`, `eastern_european`, `latin_american_and_caribbean`,
    /// `western_european_and_others`, or a label (`WEOG`, `GRULAC`, `EEG`, `Africa`, `Asia-Pacific`).
    #[param(value_type = Option<String>, example = "WEOG")]
    pub regional_group: Option<String>,
}

/// Countries and territories with ISO and M49 codes, regions, regional groups, LDC/LLDC/SIDS
/// flags and names in the six UN languages.
#[utoipa::path(
    tag = "reference",
    operation_id = "list_countries",
    params(CountryQuery),
    responses((status = 200, description = "All matching countries, in one page", body = CountryPage))
)]
#[get("/countries")]
pub async fn list_countries(
    query: crate::routes::query::Query<CountryQuery>,
) -> ApiResult<web::Json<CountryPage>> {
    let group = regional_group_param("regional_group", &query.regional_group)?;
    let items = reference()
        .countries
        .iter()
        .filter(|c| query.status.is_none_or(|s| c.status == s))
        .filter(|c| group.is_none_or(|g| c.regional_group == Some(g)))
        .cloned()
        .collect();
    Ok(web::Json(CountryPage::complete(items)))
}

/// One country, found by ISO alpha-3, alpha-2 or numeric code, or by a name as exports write it
/// ("Côte d'Ivoire", "DPR Korea", "St Lucia", a former name, a name in another UN language).
#[utoipa::path(
    tag = "reference",
    operation_id = "get_country",
    params(("code" = String, Path, description = "A code or a name", example = "KEN")),
    responses((status = 200, description = "The country", body = Country))
)]
#[get("/countries/{code}")]
pub async fn get_country(code: web::Path<String>) -> ApiResult<web::Json<Country>> {
    if code.as_str() == "resolve" {
        // The sibling route `POST /countries/resolve`, asked with the wrong method.
        return Err(ApiError::MethodNotAllowed {
            detail: "GET is not allowed on /api/v1/reference/countries/resolve.".into(),
            allow: crate::head::allow(&[actix_web::http::Method::POST]),
        });
    }
    reference()
        .lookup_country(&code)
        .cloned()
        .map(web::Json)
        .ok_or_else(|| ApiError::NotFound(format!("No country or territory is known as `{code}`.")))
}

/// A name or code of a country, as it stands in a partner's data.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(value_type = String, max_length = 200, example = "DPR Korea")]
pub struct CountryName(pub String);

/// Names to resolve to ISO codes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveCountries {
    /// Up to 1,000 names or codes.
    #[schema(max_items = 1000, example = json!(["DPR Korea", "Cote d'Ivoire", "St Lucia", "Turkey"]))]
    pub names: Vec<CountryName>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountryResolution {
    /// The name as sent.
    pub name: String,
    /// The ISO alpha-3 code it designates, or null when it designates no known country.
    #[schema(example = "PRK")]
    pub alpha3: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountryResolutions {
    /// One result per name sent, in the same order.
    pub results: Vec<CountryResolution>,
}

const MAX_NAMES: usize = 1000;
const MAX_NAME_LEN: usize = 200;

/// Resolves names as real exports write them (codes, names in the six UN languages, former
/// names, abbreviations) to ISO alpha-3 codes, the way bulk imports do.
#[utoipa::path(
    tag = "reference",
    operation_id = "resolve_countries",
    request_body = ResolveCountries,
    responses((status = 200, description = "A result per name", body = CountryResolutions))
)]
#[post("/countries/resolve")]
pub async fn resolve_countries(
    body: crate::routes::body::Json<ResolveCountries>,
) -> ApiResult<web::Json<CountryResolutions>> {
    let names: Vec<String> = body.into_inner().names.into_iter().map(|n| n.0).collect();
    let mut errors = Vec::new();
    if names.len() > MAX_NAMES {
        errors.push(FieldError::new(
            "/names",
            "too_many",
            format!("at most {MAX_NAMES} names per request"),
        ));
    }
    for (i, name) in names.iter().enumerate() {
        if name.chars().count() > MAX_NAME_LEN {
            errors.push(FieldError::new(
                format!("/names/{i}"),
                "too_long",
                format!("at most {MAX_NAME_LEN} characters"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let data = reference();
    let results = names
        .into_iter()
        .map(|name| CountryResolution {
            alpha3: data.lookup_country(&name).map(|c| c.alpha3.clone()),
            name,
        })
        .collect();
    Ok(web::Json(CountryResolutions { results }))
}

/// The 17 Sustainable Development Goals.
#[utoipa::path(
    tag = "reference",
    operation_id = "list_sdg_goals",
    responses((status = 200, description = "All goals", body = SdgGoalPage))
)]
#[get("/sdg-goals")]
pub async fn list_sdg_goals() -> web::Json<SdgGoalPage> {
    web::Json(SdgGoalPage::complete(reference().sdg_goals.clone()))
}

#[derive(Debug, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SdgTargetQuery {
    /// Only the targets of this goal (`1` to `17`).
    #[param(example = "16", pattern = "^([1-9]|1[0-7])$")]
    pub goal: Option<String>,
}

/// The 169 SDG targets.
#[utoipa::path(
    tag = "reference",
    operation_id = "list_sdg_targets",
    params(SdgTargetQuery),
    responses((status = 200, description = "All matching targets", body = SdgTargetPage))
)]
#[get("/sdg-targets")]
pub async fn list_sdg_targets(
    query: crate::routes::query::Query<SdgTargetQuery>,
) -> ApiResult<web::Json<SdgTargetPage>> {
    let data = reference();
    if let Some(goal) = &query.goal
        && !data.sdg_goals.iter().any(|g| &g.code == goal)
    {
        return Err(ApiError::invalid_parameter(
            "goal",
            format!("`{goal}` is not an SDG goal (1 to 17)"),
        ));
    }
    let items = data
        .sdg_targets
        .iter()
        .filter(|t| query.goal.as_ref().is_none_or(|g| &t.goal == g))
        .cloned()
        .collect();
    Ok(web::Json(SdgTargetPage::complete(items)))
}

/// UPR cycles and the Working Group sessions each spans.
#[utoipa::path(
    tag = "reference",
    operation_id = "list_cycles",
    responses((status = 200, description = "All cycles", body = CyclePage))
)]
#[get("/cycles")]
pub async fn list_cycles() -> web::Json<CyclePage> {
    web::Json(CyclePage::complete(reference().cycles.clone()))
}

/// IATI 2.03 activity statuses, with the names activities use.
#[utoipa::path(
    tag = "reference",
    operation_id = "list_activity_statuses",
    responses((status = 200, description = "All statuses", body = CodelistPage))
)]
#[get("/activity-statuses")]
pub async fn list_activity_statuses() -> web::Json<CodelistPage> {
    web::Json(CodelistPage::complete(
        reference().activity_statuses.clone(),
    ))
}

/// IATI 2.03 organisation roles of an activity's participants.
#[utoipa::path(
    tag = "reference",
    operation_id = "list_organisation_roles",
    responses((status = 200, description = "All roles", body = CodelistPage))
)]
#[get("/organisation-roles")]
pub async fn list_organisation_roles() -> web::Json<CodelistPage> {
    web::Json(CodelistPage::complete(
        reference().organisation_roles.clone(),
    ))
}

/// Kinds of stakeholder: States, UN entities, NHRIs, civil society and the others.
#[utoipa::path(
    tag = "reference",
    operation_id = "list_stakeholder_kinds",
    responses((status = 200, description = "All kinds", body = VocabularyPage))
)]
#[get("/stakeholder-kinds")]
pub async fn list_stakeholder_kinds() -> web::Json<VocabularyPage> {
    web::Json(VocabularyPage::complete(
        reference().stakeholder_kinds.clone(),
    ))
}

/// Modalities of technical cooperation: training, legislative advice, peer exchange, …
#[utoipa::path(
    tag = "reference",
    operation_id = "list_modalities",
    responses((status = 200, description = "All modalities", body = VocabularyPage))
)]
#[get("/modalities")]
pub async fn list_modalities() -> web::Json<VocabularyPage> {
    web::Json(VocabularyPage::complete(reference().modalities.clone()))
}

/// Where an activity's money comes from (`funding_sources` of an activity).
#[utoipa::path(
    tag = "reference",
    operation_id = "list_funding_sources",
    responses((status = 200, description = "All funding sources", body = VocabularyPage))
)]
#[get("/funding-sources")]
pub async fn list_funding_sources() -> web::Json<VocabularyPage> {
    web::Json(VocabularyPage::complete(
        reference().funding_sources.clone(),
    ))
}

/// Theme vocabularies, versioned: the UPR Info issues list, with room for UHRI themes. Theme
/// codes are unique across vocabularies.
#[utoipa::path(
    tag = "reference",
    operation_id = "list_themes",
    responses((status = 200, description = "All vocabularies with their themes", body = ThemeVocabularyPage))
)]
#[get("/themes")]
pub async fn list_themes() -> web::Json<ThemeVocabularyPage> {
    web::Json(ThemeVocabularyPage::complete(
        reference().theme_vocabularies.clone(),
    ))
}

/// Groups of persons a recommendation or activity concerns.
#[utoipa::path(
    tag = "reference",
    operation_id = "list_affected_persons",
    responses((status = 200, description = "All groups", body = AffectedPersonsPage))
)]
#[get("/affected-persons")]
pub async fn list_affected_persons() -> web::Json<AffectedPersonsPage> {
    web::Json(AffectedPersonsPage::complete(
        reference().affected_persons.clone(),
    ))
}

/// The languages of ISO 639 that stakeholders work in, offers give help in, requests ask for
/// and documents are written in: every language with a code in ISO 639-1 or ISO 639-3, and the
/// collections of languages of ISO 639-2. Any code of a language (`fr`, `fra`, `fre`) is taken
/// on writes and in filters, and kept as its `code`.
#[utoipa::path(
    tag = "reference",
    operation_id = "list_languages",
    responses((status = 200, description = "All languages", body = LanguagePage))
)]
#[get("/languages")]
pub async fn list_languages() -> actix_web::HttpResponse {
    // Some 8,000 languages, 800 kB: written once, not at every request.
    static PAGE: std::sync::OnceLock<web::Bytes> = std::sync::OnceLock::new();
    let page = PAGE.get_or_init(|| {
        let page = LanguagePage::complete(reference().languages.clone());
        serde_json::to_vec(&page)
            .expect("the languages serialise")
            .into()
    });
    actix_web::HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(page.clone())
}

/// One language, by any of its ISO 639 codes, in any case.
#[utoipa::path(
    tag = "reference",
    operation_id = "get_language",
    params(("code" = String, Path, description = "An ISO 639 code", example = "fre")),
    responses((status = 200, description = "The language", body = LanguageEntry))
)]
#[get("/languages/{code}")]
pub async fn get_language(code: web::Path<String>) -> ApiResult<web::Json<LanguageEntry>> {
    reference()
        .language(&code)
        .cloned()
        .map(web::Json)
        .ok_or_else(|| ApiError::NotFound(crate::domain::validate::unknown_language(&code) + "."))
}
