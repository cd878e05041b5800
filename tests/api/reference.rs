//! Reference data: complete, correct names, and the country lookup real imports rely on.

use std::collections::HashSet;

use upr_tc::domain::CountryCode;
use upr_tc::reference::{CountryStatus, reference};
use upr_tc_tests::{TestApp, json};

const LANGUAGES: [&str; 6] = ["ar", "en", "es", "fr", "ru", "zh"];

#[test]
fn member_and_observer_states_have_proper_names_in_six_languages() {
    let data = reference();
    let members = data
        .countries
        .iter()
        .filter(|c| c.status == CountryStatus::MemberState)
        .count();
    let observers: Vec<&str> = data
        .countries
        .iter()
        .filter(|c| c.status == CountryStatus::ObserverState)
        .map(|c| c.alpha3.as_str())
        .collect();
    assert_eq!(members, 193);
    assert_eq!(observers, ["PSE", "VAT"]);
    for c in data
        .countries
        .iter()
        .filter(|c| c.status != CountryStatus::Territory)
    {
        let names = serde_json::to_value((&c.short_name, &c.formal_name)).unwrap();
        for set in names.as_array().unwrap() {
            for lang in LANGUAGES {
                let name = set[lang]
                    .as_str()
                    .unwrap_or_else(|| panic!("{} has no {lang} name", c.alpha3));
                assert!(
                    !name.is_empty() && name.trim() == name,
                    "{}: `{name}`",
                    c.alpha3
                );
                assert!(
                    !name.contains('*'),
                    "{}: annotation mark in `{name}`",
                    c.alpha3
                );
            }
        }
        if c.status == CountryStatus::MemberState {
            assert!(
                c.regional_group.is_some(),
                "{} has no regional group",
                c.alpha3
            );
        }
    }
    for c in &data.countries {
        assert!(
            c.short_name.en.is_some(),
            "{} has no English name",
            c.alpha3
        );
    }
}

#[test]
fn development_categories_are_current() {
    let data = reference();
    // The UN list of least developed countries after Bhutan (2023) and Sao Tome and Principe
    // (2024) graduated.
    assert_eq!(data.countries.iter().filter(|c| c.ldc).count(), 44);
    assert!(!data.country("STP").unwrap().ldc && !data.country("BTN").unwrap().ldc);
    assert!(data.country("STP").unwrap().sids);
    assert!(data.country("NPL").unwrap().lldc);
}

#[test]
fn renamed_states_carry_their_current_names() {
    let data = reference();
    let name = |code: &str| data.country(code).unwrap().short_name.en.clone().unwrap();
    assert_eq!(name("TUR"), "Türkiye");
    assert_eq!(name("CIV"), "Côte d'Ivoire");
    assert_eq!(name("SWZ"), "Eswatini");
    assert_eq!(name("MKD"), "North Macedonia");
    assert_eq!(name("CZE"), "Czechia");
    assert_eq!(
        data.country("CIV").unwrap().short_name.ru.as_deref(),
        Some("Кот-д'Ивуар")
    );
}

#[test]
fn regional_groups_have_their_members() {
    let data = reference();
    let count = |g: &str| {
        data.countries
            .iter()
            .filter(|c| {
                c.regional_group
                    .is_some_and(|rg| serde_json::to_value(rg).unwrap() == g)
            })
            .count()
    };
    // As the Council groups States for the UPR: Kiribati and Cyprus with Asia-Pacific; Türkiye,
    // Israel and the United States with the Western European and other States.
    assert_eq!(count("african"), 54);
    assert_eq!(count("asia_pacific"), 54);
    assert_eq!(count("eastern_european"), 23);
    assert_eq!(count("latin_american_and_caribbean"), 33);
    assert_eq!(count("western_european_and_others"), 29);
    let group =
        |code: &str| serde_json::to_value(data.country(code).unwrap().regional_group).unwrap();
    assert_eq!(group("TUR"), "western_european_and_others");
    assert_eq!(group("KIR"), "asia_pacific");
    assert_eq!(group("PSE"), serde_json::Value::Null);
}

#[test]
fn sdgs_cycles_and_codelists_are_complete() {
    let data = reference();
    assert_eq!(data.sdg_goals.len(), 17);
    let goal16 = &data.sdg_goals[15];
    assert_eq!(goal16.code, "16");
    assert!(
        goal16
            .title
            .en
            .as_deref()
            .unwrap()
            .starts_with("Promote peaceful"),
        "titles carry no `Goal 16.` prefix"
    );
    assert!(
        goal16
            .title
            .fr
            .as_deref()
            .unwrap()
            .starts_with("Promouvoir")
    );
    assert_eq!(data.sdg_targets.len(), 169);
    let codes: HashSet<&str> = data.sdg_targets.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(codes.len(), 169);
    assert!(codes.contains("16.3") && codes.contains("17.19") && codes.contains("1.a"));
    for t in &data.sdg_targets {
        assert!(t.title.en.is_some() && t.title.fr.is_some(), "{}", t.code);
    }
    assert_eq!(data.cycles.len(), 5);
    assert_eq!(data.cycle_of_session(1).unwrap().number, 1);
    assert_eq!(data.cycle_of_session(13).unwrap().number, 2);
    assert_eq!(data.cycle_of_session(40).unwrap().number, 3);
    assert_eq!(data.cycle_of_session(41).unwrap().number, 4);
    assert_eq!(data.cycle_of_session(55).unwrap().number, 5);
    assert!(data.cycle_of_session(0).is_none());
    assert!(data.cycle_of_session(69).is_none());
    let statuses: Vec<&str> = data
        .activity_statuses
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        statuses,
        [
            "pipeline",
            "implementation",
            "finalisation",
            "closed",
            "cancelled",
            "suspended"
        ]
    );
    let roles: Vec<&str> = data
        .organisation_roles
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        roles,
        ["funding", "accountable", "extending", "implementing"]
    );
    assert_eq!(data.stakeholder_kinds.len(), 12);
    assert_eq!(data.modalities.len(), 10);
    for entry in data.stakeholder_kinds.iter().chain(&data.modalities) {
        let labels = serde_json::to_value(&entry.label).unwrap();
        for lang in LANGUAGES {
            assert!(
                labels[lang].as_str().is_some_and(|l| !l.is_empty()),
                "{} lacks {lang}",
                entry.code
            );
        }
    }
}

/// Spellings found in UPR Info, UHRI and national exports, with the State each designates.
const SPELLINGS: &[(&str, &str)] = &[
    ("DPR Korea", "PRK"),
    ("Democratic People's Republic of Korea", "PRK"),
    ("North Korea", "PRK"),
    ("Republic of Korea", "KOR"),
    ("South Korea", "KOR"),
    ("Korea, Republic of", "KOR"),
    ("Cote d'Ivoire", "CIV"),
    ("Côte d’Ivoire", "CIV"),
    ("Ivory Coast", "CIV"),
    ("Bosnia & Herzegovina", "BIH"),
    ("Bosnia and Herzegovina", "BIH"),
    ("St Lucia", "LCA"),
    ("St. Lucia", "LCA"),
    ("Saint Lucia", "LCA"),
    ("St Kitts & Nevis", "KNA"),
    ("St Vincent & the Grenadines", "VCT"),
    ("Sao Tome & Principe", "STP"),
    ("Antigua & Barbuda", "ATG"),
    ("Trinidad & Tobago", "TTO"),
    ("Turkey", "TUR"),
    ("Türkiye", "TUR"),
    ("Swaziland", "SWZ"),
    ("Macedonia", "MKD"),
    ("The former Yugoslav Republic of Macedonia", "MKD"),
    ("Burma", "MMR"),
    ("Czech Republic", "CZE"),
    ("Cape Verde", "CPV"),
    ("East Timor", "TLS"),
    ("Timor Leste", "TLS"),
    ("Zaire", "COD"),
    ("DRC", "COD"),
    ("DR Congo", "COD"),
    ("Democratic Republic of the Congo", "COD"),
    ("Congo", "COG"),
    ("Republic of the Congo", "COG"),
    ("UK", "GBR"),
    ("United Kingdom", "GBR"),
    ("USA", "USA"),
    ("United States of America", "USA"),
    ("UAE", "ARE"),
    ("Lao PDR", "LAO"),
    ("Laos", "LAO"),
    ("Iran", "IRN"),
    ("Iran (Islamic Republic of)", "IRN"),
    ("Venezuela", "VEN"),
    ("Bolivia", "BOL"),
    ("Syria", "SYR"),
    ("Syrian Arab Republic", "SYR"),
    ("Russia", "RUS"),
    ("Russian Federation", "RUS"),
    ("Moldova", "MDA"),
    ("Tanzania", "TZA"),
    ("Viet Nam", "VNM"),
    ("Vietnam", "VNM"),
    ("Brunei", "BRN"),
    ("Micronesia", "FSM"),
    ("Holy See", "VAT"),
    ("Palestine", "PSE"),
    ("State of Palestine", "PSE"),
    ("Gambia", "GMB"),
    ("The Gambia", "GMB"),
    ("Bahamas", "BHS"),
    ("Netherlands", "NLD"),
    ("Sudan", "SDN"),
    ("South Sudan", "SSD"),
    ("Guinea", "GIN"),
    ("Guinea-Bissau", "GNB"),
    ("Equatorial Guinea", "GNQ"),
    ("Papua New Guinea", "PNG"),
    ("Niger", "NER"),
    ("Nigeria", "NGA"),
    ("Dominica", "DMA"),
    ("Dominican Republic", "DOM"),
    ("Kenya", "KEN"),
    ("KEN", "KEN"),
    ("ke", "KEN"),
    ("404", "KEN"),
    ("Libyan Arab Jamahiriya", "LBY"),
    ("Libya", "LBY"),
    ("Lao People's Democratic Republic", "LAO"),
    ("United Republic of Tanzania", "TZA"),
    ("Republic of Moldova", "MDA"),
    ("Brunei Darussalam", "BRN"),
    ("Guinea Bissau", "GNB"),
    ("Timor-Leste", "TLS"),
    ("Kyrgyzstan", "KGZ"),
    ("Kyrgyz Republic", "KGZ"),
    ("Slovak Republic", "SVK"),
    ("Saint Vincent and the Grenadines", "VCT"),
    ("Federated States of Micronesia", "FSM"),
    ("Micronesia (Federated States of)", "FSM"),
    ("Venezuela (Bolivarian Republic of)", "VEN"),
    ("Bolivia (Plurinational State of)", "BOL"),
    ("Iran, Islamic Republic of", "IRN"),
    ("Korea (Republic of)", "KOR"),
    ("DPRK", "PRK"),
    ("Democratic Republic of Congo", "COD"),
    ("Congo (Republic of)", "COG"),
    ("Eswatini", "SWZ"),
    ("North Macedonia", "MKD"),
    ("Czechia", "CZE"),
    ("Cabo Verde", "CPV"),
    ("Myanmar", "MMR"),
    ("Netherlands (Kingdom of the)", "NLD"),
    ("United States", "USA"),
    ("Great Britain", "GBR"),
    (
        "United Kingdom of Great Britain and Northern Ireland",
        "GBR",
    ),
    ("Occupied Palestinian Territory", "PSE"),
    ("Vatican", "VAT"),
    ("Allemagne", "DEU"),
    ("Alemania", "DEU"),
    ("Германия", "DEU"),
    ("德国", "DEU"),
    ("ألمانيا", "DEU"),
];

#[test]
fn export_spellings_resolve_to_their_state() {
    let mut wrong = Vec::new();
    for (name, alpha3) in SPELLINGS {
        match CountryCode::lookup(name) {
            Ok(code) if code.as_str() == *alpha3 => {}
            other => wrong.push(format!("{name} -> {other:?}, expected {alpha3}")),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn every_state_resolves_by_each_of_its_own_names() {
    for c in reference()
        .countries
        .iter()
        .filter(|c| c.status != CountryStatus::Territory)
    {
        for (_, name) in c.short_name.texts().chain(c.formal_name.texts()) {
            let found = CountryCode::lookup(name).map(|x| x.to_string());
            assert_eq!(found.as_deref(), Ok(c.alpha3.as_str()), "`{name}`");
        }
    }
}

#[test]
fn ambiguous_and_unknown_names_resolve_to_nothing() {
    for name in [
        "Korea",
        "Atlantis",
        "",
        "   ",
        "(Unknown)",
        "Guinea Guinea",
        "999",
    ] {
        assert!(CountryCode::lookup(name).is_err(), "`{name}` resolved");
    }
}

#[actix_web::test]
async fn countries_are_listed_and_filtered() {
    let app = TestApp::spawn();
    let all = app
        .get("/api/v1/reference/countries")
        .await
        .assert_ok_json();
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        reference().countries.len()
    );
    assert_eq!(all["next_cursor"], serde_json::Value::Null);
    let members = app
        .get("/api/v1/reference/countries?status=member_state")
        .await
        .assert_ok_json();
    assert_eq!(members["items"].as_array().unwrap().len(), 193);
    let weog = app
        .get("/api/v1/reference/countries?status=member_state&regional_group=western_european_and_others")
        .await
        .assert_ok_json();
    let codes: Vec<&str> = weog["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["alpha3"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"USA") && codes.contains(&"ISR") && !codes.contains(&"KEN"));
}

#[actix_web::test]
async fn a_country_is_found_by_code_or_name() {
    let app = TestApp::spawn();
    for key in ["KEN", "ke", "404", "Kenya", "Republic%20of%20Kenya"] {
        let c = app
            .get(&format!("/api/v1/reference/countries/{key}"))
            .await
            .assert_ok_json();
        assert_eq!(c["alpha3"], "KEN", "{key}");
        assert_eq!(c["short_name"]["fr"], "Kenya (le)");
    }
    app.get("/api/v1/reference/countries/Atlantis")
        .await
        .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn names_resolve_in_bulk() {
    let app = TestApp::spawn();
    let reply = app
        .post_json(
            "/api/v1/reference/countries/resolve",
            &json!({"names": ["DPR Korea", "Atlantis", "St Lucia", "", "K\u{0}EN"]}),
        )
        .await
        .assert_ok_json();
    assert_eq!(
        reply["results"],
        json!([
            {"name": "DPR Korea", "alpha3": "PRK"},
            {"name": "Atlantis", "alpha3": null},
            {"name": "St Lucia", "alpha3": "LCA"},
            {"name": "", "alpha3": null},
            {"name": "K\u{0}EN", "alpha3": null},
        ])
    );
}

#[actix_web::test]
async fn other_reference_lists_are_served() {
    let app = TestApp::spawn();
    for (path, count) in [
        ("sdg-goals", 17),
        ("sdg-targets", 169),
        ("sdg-targets?goal=16", 12),
        ("cycles", 5),
        ("activity-statuses", 6),
        ("organisation-roles", 4),
        ("stakeholder-kinds", 12),
        ("modalities", 10),
    ] {
        let page = app
            .get(&format!("/api/v1/reference/{path}"))
            .await
            .assert_ok_json();
        assert_eq!(page["items"].as_array().unwrap().len(), count, "{path}");
        assert!(page["next_cursor"].is_null());
    }
}

#[actix_web::test]
async fn a_language_is_found_by_any_of_its_codes() {
    let app = TestApp::spawn();
    let page = app
        .get("/api/v1/reference/languages")
        .await
        .assert_ok_json();
    let items = page["items"].as_array().unwrap();
    let codes: HashSet<&str> = items.iter().map(|l| l["code"].as_str().unwrap()).collect();
    assert_eq!(codes.len(), items.len(), "a language is listed once");
    for code in LANGUAGES
        .iter()
        .chain(&["sw", "pt", "fil", "kri", "tpi", "sgn"])
    {
        assert!(codes.contains(code), "{code}");
    }
    assert!(!codes.contains("fra") && !codes.contains("fre") && !codes.contains("eng"));
    for key in ["fr", "fra", "fre", "FR", "Fre"] {
        let language = app
            .get(&format!("/api/v1/reference/languages/{key}"))
            .await
            .assert_ok_json();
        assert_eq!(
            language,
            json!({
                "code": "fr",
                "alpha3": "fra",
                "bibliographic": "fre",
                "name": "French",
                "macrolanguage": null,
                "former": [],
            }),
            "{key}"
        );
    }
    let krio = app
        .get("/api/v1/reference/languages/kri")
        .await
        .assert_ok_json();
    assert_eq!(
        krio,
        json!({
            "code": "kri",
            "alpha3": null,
            "bibliographic": null,
            "name": "Krio",
            "macrolanguage": null,
            "former": [],
        })
    );
    let kiswahili = app
        .get("/api/v1/reference/languages/swh")
        .await
        .assert_ok_json();
    assert_eq!(kiswahili["macrolanguage"], "sw");
    for (former, code) in [("iw", "he"), ("mo", "ro"), ("mol", "ro")] {
        let language = app
            .get(&format!("/api/v1/reference/languages/{former}"))
            .await
            .assert_ok_json();
        assert_eq!(language["code"], code, "{former}");
    }
    app.get("/api/v1/reference/languages/xx")
        .await
        .assert_problem(404, "not_found");
    let regional = app
        .get("/api/v1/reference/languages/pt-BR")
        .await
        .assert_problem(404, "not_found");
    assert!(
        regional["detail"].as_str().unwrap().contains("`pt`"),
        "{regional}"
    );
}
