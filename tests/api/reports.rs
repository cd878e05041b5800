//! The annual report: every figure checked against counts this file makes from its own
//! fixtures (a model apart from the report's queries), public and full; who may ask for what;
//! one table as JSON and CSV.

use std::collections::BTreeMap;

use chrono::Datelike;

use actix_web::http::header;
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc_tests::{Request, TestApp, activity, json, recommendation, stakeholder};

use crate::activities::{consent, submit};

/// One activity of the fixtures, as the model sees it.
struct Fixture {
    title: &'static str,
    states: &'static [&'static str],
    /// The submitter's kind.
    kind: &'static str,
    modality: &'static str,
    status: &'static str,
    themes: &'static [&'static str],
    sdg_targets: &'static [&'static str],
    funding: &'static [&'static str],
    /// Planned start and end (no actual dates).
    period: (&'static str, &'static str),
    /// The roles of its participants (each played by the other organisation).
    roles: &'static [&'static str],
    /// The recommendations it serves: places in `RECOMMENDATIONS`.
    serves: &'static [usize],
    /// Its budget: amount (at most two decimals here) and currency.
    budget: (&'static str, &'static str),
}

/// Recommendations: the State under review, the session (so the cycle: 5 is the first, 30
/// the third, 45 the fourth), and whether it was accepted.
const RECOMMENDATIONS: [(&str, i64, bool); 5] = [
    ("KEN", 5, true),
    ("KEN", 45, true),
    ("KEN", 45, false),
    ("UGA", 30, true),
    ("TZA", 45, true),
];

fn cycle_of(session: i64) -> u64 {
    match session {
        1..=12 => 1,
        13..=26 => 2,
        27..=40 => 3,
        _ => 4,
    }
}

/// Kenya consents to everything; Uganda to everything, then refuses the prison monitoring by
/// name; Tanzania to what the NGO submits: the rest of what concerns it awaits its consent.
const FIXTURES: [Fixture; 6] = [
    Fixture {
        title: "Training of judges in Kenya",
        states: &["KEN"],
        kind: "un_entity",
        modality: "training",
        status: "implementation",
        themes: &["justice"],
        sdg_targets: &["16.3"],
        funding: &["vftc"],
        period: ("2026-01-15", "2026-12-31"),
        roles: &["funding"],
        serves: &[0],
        budget: ("25000.00", "USD"),
    },
    Fixture {
        title: "A family code for Kenya and Uganda",
        states: &["KEN", "UGA"],
        kind: "civil_society_organization",
        modality: "legislative_advice",
        status: "implementation",
        themes: &["womens_rights", "rights_of_the_child"],
        sdg_targets: &["5.1", "5.2"],
        funding: &["un_regular_budget"],
        period: ("2025-06-01", "2026-03-31"),
        roles: &["implementing", "funding"],
        serves: &[1, 3],
        budget: ("1200.5", "EUR"),
    },
    Fixture {
        title: "Prison monitoring in Uganda",
        states: &["UGA"],
        kind: "un_entity",
        modality: "training",
        status: "closed",
        themes: &["detention"],
        sdg_targets: &["16.3"],
        funding: &["vftc"],
        period: ("2025-01-01", "2025-12-31"),
        roles: &[],
        serves: &[3],
        budget: ("300", "USD"),
    },
    Fixture {
        title: "Elections in Tanzania",
        states: &["TZA"],
        kind: "civil_society_organization",
        modality: "training",
        status: "implementation",
        themes: &["justice"],
        sdg_targets: &["16.7"],
        funding: &["vftc"],
        period: ("2026-02-01", "2026-10-31"),
        roles: &[],
        serves: &[4],
        budget: ("10.25", "USD"),
    },
    Fixture {
        title: "Kenya and Tanzania together",
        states: &["KEN", "TZA"],
        kind: "un_entity",
        modality: "legislative_advice",
        status: "pipeline",
        themes: &["womens_rights"],
        sdg_targets: &["5.1"],
        funding: &["un_regular_budget"],
        period: ("2026-05-01", "2027-04-30"),
        roles: &["implementing"],
        serves: &[1],
        budget: ("99.99", "EUR"),
    },
    Fixture {
        title: "Kenya, long ago",
        states: &["KEN"],
        kind: "un_entity",
        modality: "training",
        status: "closed",
        themes: &["justice"],
        sdg_targets: &["16.3"],
        funding: &["vftc"],
        period: ("2020-01-01", "2020-12-31"),
        roles: &[],
        serves: &[],
        budget: ("5", "CHF"),
    },
];

/// The title of the activity Uganda refuses by name.
const REFUSED: &str = "Prison monitoring in Uganda";

impl Fixture {
    fn public(&self) -> bool {
        self.states.iter().all(|s| {
            matches!(
                self.standing(s),
                "own" | "granted_all" | "granted_submitter" | "granted_activity"
            )
        })
    }

    /// How a State concerned stands on publishing it: a column of `consent_by_state`.
    fn standing(&self, state: &str) -> &'static str {
        match state {
            "UGA" if self.title == REFUSED => "refused",
            "TZA" if self.kind == "civil_society_organization" => "granted_submitter",
            "TZA" => "awaiting",
            _ => "granted_all",
        }
    }

    /// Whether it counts in `year` (every activity counts when there is none), and in the
    /// year before.
    fn counts(&self, year: Option<i32>) -> (bool, bool) {
        let year_of = |d: &str| d[..4].parse::<i32>().unwrap();
        let within = |y: i32| year_of(self.period.0) <= y && y <= year_of(self.period.1);
        match year {
            Some(y) => (within(y), within(y - 1)),
            None => (true, false),
        }
    }

    /// The codes of a table this activity counts under, as this file knows them: the three
    /// States are African, in Africa (002); Uganda is a least developed and landlocked
    /// developing country, Tanzania a least developed one.
    fn keys(&self, table: &str) -> Vec<String> {
        let mut keys: Vec<String> = match table {
            "activities_by_state" => self.states.iter().map(|s| s.to_string()).collect(),
            "activities_by_regional_group" => vec!["african".into()],
            "activities_by_region" => vec!["002".into()],
            "activities_by_country_group" => self
                .states
                .iter()
                .flat_map(|s| match *s {
                    "UGA" => vec!["ldc", "lldc"],
                    "TZA" => vec!["ldc"],
                    _ => vec![],
                })
                .map(str::to_owned)
                .collect(),
            "activities_by_stakeholder_kind" => vec![self.kind.into()],
            "activities_by_role" => self.roles.iter().map(|s| s.to_string()).collect(),
            "activities_by_modality" => vec![self.modality.into()],
            "activities_by_theme" => self.themes.iter().map(|s| s.to_string()).collect(),
            "activities_by_sdg_goal" => self
                .sdg_targets
                .iter()
                .map(|t| t.split('.').next().unwrap().to_owned())
                .collect(),
            "activities_by_funding_source" => self.funding.iter().map(|s| s.to_string()).collect(),
            "activities_by_status" => vec![self.status.into()],
            other => panic!("no model of {other}"),
        };
        keys.sort();
        keys.dedup();
        keys
    }
}

const TABLES: [&str; 18] = [
    "activities_by_state",
    "activities_by_regional_group",
    "activities_by_region",
    "activities_by_country_group",
    "activities_by_stakeholder_kind",
    "activities_by_role",
    "activities_by_modality",
    "activities_by_theme",
    "activities_by_sdg_goal",
    "activities_by_funding_source",
    "activities_by_status",
    "budget_by_currency",
    "recommendation_coverage_by_state",
    "recommendation_coverage_by_cycle",
    "consent_by_state",
    "submissions_by_month",
    "matching_summary",
    "good_practices",
];

/// The columns of `consent_by_state`: the public scope's first four only.
const STANDINGS: [&str; 6] = [
    "own",
    "granted_all",
    "granted_submitter",
    "granted_activity",
    "refused",
    "awaiting",
];

/// The titles of the good practices in scope that count in `year` (every one when `None`):
/// every fixture is one (`activity` makes good practices).
fn good_practices(year: Option<i32>, full: bool) -> Vec<String> {
    let mut titles: Vec<String> = FIXTURES
        .iter()
        .filter(|f| (full || f.public()) && f.counts(year).0)
        .map(|f| f.title.to_owned())
        .collect();
    titles.sort_by_key(|t| t.to_lowercase());
    titles
}

/// The titles a good-practices table lists, in its order.
fn titles(table: &Value) -> Vec<String> {
    assert_eq!(
        table["columns"],
        json!(["code", "label", "states", "status"])
    );
    table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_str().unwrap().to_owned())
        .collect()
}

/// Whether a table is a list (no figures, no chart) rather than counts.
fn is_list(table: &str) -> bool {
    table == "good_practices"
}

/// The model's table: each code's figures in `year` (over every fixture when `None`), then
/// in the year before (when there is a year), over the fixtures in scope.
fn expected(table: &str, year: Option<i32>, full: bool) -> BTreeMap<String, Vec<Value>> {
    let fixtures: Vec<&Fixture> = FIXTURES.iter().filter(|f| full || f.public()).collect();
    let mut counts: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    if table == "consent_by_state" {
        let shown = if full { 6 } else { 4 };
        for f in fixtures.iter().filter(|f| f.counts(year).0) {
            for state in f.states {
                let column = STANDINGS.iter().position(|c| *c == f.standing(state));
                counts
                    .entry(state.to_string())
                    .or_insert_with(|| vec![0; 6])[column.unwrap()] += 1;
            }
        }
        return counts
            .into_iter()
            .map(|(k, n)| (k, n[..shown].iter().map(|n| json!(n)).collect()))
            .collect();
    }
    if table == "submissions_by_month" {
        // Every fixture was first submitted just now, by this test.
        let now = chrono::Utc::now().date_naive();
        let (this_year, this_month) = (now.year(), now.month());
        let n = fixtures.len() as u64;
        let count = |y: i32, m: u32| {
            json!(if (y, m) == (this_year, this_month) {
                n
            } else {
                0
            })
        };
        return match year {
            Some(y) => (1..=12)
                .map(|m| (format!("{y}-{m:02}"), vec![count(y, m), count(y - 1, m)]))
                .collect(),
            None => [(format!("{this_year}-{this_month:02}"), vec![json!(n)])].into(),
        };
    }
    if table == "matching_summary" {
        // The fixtures have no request nor offer (tests/api/interests.rs matches).
        let zero = if year.is_some() {
            vec![json!(0), json!(0)]
        } else {
            vec![json!(0)]
        };
        let none = if year.is_some() {
            vec![Value::Null, Value::Null]
        } else {
            vec![Value::Null]
        };
        return [
            ("requests_opened", zero.clone()),
            ("requests_matched", zero.clone()),
            ("offers_opened", zero),
            ("median_days_to_match", none),
        ]
        .map(|(k, v)| (k.to_owned(), v))
        .into();
    }
    if table.starts_with("recommendation_coverage") {
        for (i, (state, session, accepted)) in RECOMMENDATIONS.iter().enumerate() {
            if !accepted {
                continue;
            }
            let served = |this: bool| {
                fixtures.iter().any(|f| {
                    let (now, before) = f.counts(year);
                    f.serves.contains(&i) && if this { now } else { before }
                })
            };
            let key = match table {
                "recommendation_coverage_by_state" => state.to_string(),
                _ => cycle_of(*session).to_string(),
            };
            let e = counts.entry(key).or_insert_with(|| vec![0, 0, 0]);
            e[0] += 1;
            e[1] += u64::from(served(true));
            e[2] += u64::from(served(false));
        }
        return counts
            .into_iter()
            .map(|(k, n)| {
                let share = (n[1] as f64 / n[0] as f64 * 1000.0).round() / 1000.0;
                let mut figures = vec![json!(n[0]), json!(n[1]), json!(share)];
                if year.is_some() {
                    figures.push(json!(n[2]));
                }
                (k, figures)
            })
            .collect();
    }
    if table == "budget_by_currency" {
        // Cents: every amount here has at most two decimals.
        let cents = |amount: &str| {
            let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
            whole.parse::<u64>().unwrap() * 100 + format!("{fraction:0<2}").parse::<u64>().unwrap()
        };
        let written = |c: u64| format!("{}.{:02}", c / 100, c % 100);
        for f in &fixtures {
            let (this, before) = f.counts(year);
            if !this && !before {
                continue;
            }
            let e = counts
                .entry(f.budget.1.to_owned())
                .or_insert_with(|| vec![0, 0, 0]);
            e[0] += u64::from(this);
            e[1] += if this { cents(f.budget.0) } else { 0 };
            e[2] += if before { cents(f.budget.0) } else { 0 };
        }
        return counts
            .into_iter()
            .map(|(k, n)| {
                let mut figures = vec![json!(n[0]), json!(written(n[1]))];
                if year.is_some() {
                    figures.push(json!(written(n[2])));
                }
                (k, figures)
            })
            .collect();
    }
    for f in fixtures {
        let (this, before) = f.counts(year);
        if !this && !before {
            continue;
        }
        for key in f.keys(table) {
            let e = counts.entry(key).or_insert_with(|| vec![0, 0]);
            e[0] += u64::from(this);
            e[1] += u64::from(before);
        }
    }
    counts
        .into_iter()
        .map(|(k, n)| {
            let figures = if year.is_some() {
                vec![json!(n[0]), json!(n[1])]
            } else {
                vec![json!(n[0])]
            };
            (k, figures)
        })
        .collect()
}

/// A table of the service's answer, as the model's shape: each code's figures.
fn counted(table: &Value) -> BTreeMap<String, Vec<Value>> {
    assert_eq!(table["columns"][0], "code");
    assert_eq!(table["columns"][1], "label");
    table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let cells = r.as_array().unwrap();
            assert_eq!(cells.len(), table["columns"].as_array().unwrap().len());
            (cells[0].as_str().unwrap().to_owned(), cells[2..].to_vec())
        })
        .collect()
}

/// The fixtures, submitted by a UN entity and an NGO, with the consent of Kenya, Uganda
/// (but for what it refuses) and Tanzania (for the NGO's); and the id of what Uganda refuses.
async fn fixtures() -> (TestApp, String) {
    let app = TestApp::spawn();
    let mut tokens = BTreeMap::new();
    let mut ids = BTreeMap::new();
    for kind in ["un_entity", "civil_society_organization"] {
        let made = app
            .create(
                "/api/v1/stakeholders",
                &stakeholder(kind, Some("CHE"), &format!("A {kind}")),
            )
            .await;
        let id = made["id"].as_str().unwrap().to_owned();
        tokens.insert(kind, app.token(Role::Contributor, None, Some(&id)));
        ids.insert(kind, id);
    }
    let mut recommendations = Vec::new();
    for (i, (state, session, accepted)) in RECOMMENDATIONS.iter().enumerate() {
        let mut body = recommendation(state, *session, &format!("Recommendation {i}"));
        if !accepted {
            body["response"] = json!("noted");
        }
        let made = app.create("/api/v1/recommendations", &body).await;
        recommendations.push(made["id"].clone());
    }
    let mut refused = String::new();
    for f in &FIXTURES {
        let mut body = activity(f.states, f.title);
        let other = if f.kind == "un_entity" {
            "civil_society_organization"
        } else {
            "un_entity"
        };
        body["participants"] = json!(
            f.roles
                .iter()
                .map(|r| json!({"stakeholder": ids[other], "role": r}))
                .collect::<Vec<_>>()
        );
        body["recommendations"] = json!(
            f.serves
                .iter()
                .map(|i| recommendations[*i].clone())
                .collect::<Vec<_>>()
        );
        body["modality"] = json!(f.modality);
        body["status"] = json!(f.status);
        body["themes"] = json!(f.themes);
        body["sdg_targets"] = json!(f.sdg_targets);
        body["funding_sources"] = json!(f.funding);
        body["planned_start"] = json!(f.period.0);
        body["planned_end"] = json!(f.period.1);
        body["budget"] = json!({"amount": f.budget.0, "currency": f.budget.1});
        let made = submit(&app, &tokens[f.kind], &body).await;
        if f.title == REFUSED {
            refused = made["id"].as_str().unwrap().to_owned();
        }
    }
    for state in ["KEN", "UGA"] {
        let token = app.token(Role::State, Some(state), None);
        consent(&app, &token, json!({"decision": "granted", "scope": "all"})).await;
    }
    let uganda = app.token(Role::State, Some("UGA"), None);
    let by_name = json!({"decision": "refused", "scope": "activity", "activity_id": refused});
    consent(&app, &uganda, by_name).await;
    let tanzania = app.token(Role::State, Some("TZA"), None);
    let ngo = json!({"decision": "granted", "scope": "submitter",
        "stakeholder_id": ids["civil_society_organization"]});
    consent(&app, &tanzania, ngo).await;
    (app, refused)
}

#[actix_web::test]
async fn every_figure_is_the_models_public_and_full() {
    let (app, _) = fixtures().await;
    for year in [2025, 2026, 2027] {
        let public = app
            .get(&format!("/api/v1/reports/annual?year={year}"))
            .await
            .assert_ok_json();
        assert_eq!(public["scope"], "public");
        assert_eq!(public["year"], year);
        let full = app
            .get_as(
                &format!("/api/v1/reports/annual?year={year}&scope=full"),
                &app.admin_token(),
            )
            .await
            .assert_ok_json();
        assert_eq!(full["scope"], "full");
        let names: Vec<&str> = public["tables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, TABLES);
        for (i, table) in TABLES.iter().enumerate() {
            if is_list(table) {
                assert_eq!(
                    titles(&public["tables"][i]),
                    good_practices(Some(year), false)
                );
                assert_eq!(titles(&full["tables"][i]), good_practices(Some(year), true));
                continue;
            }
            assert_eq!(
                counted(&public["tables"][i]),
                expected(table, Some(year), false),
                "{table} {year}, public"
            );
            assert_eq!(
                counted(&full["tables"][i]),
                expected(table, Some(year), true),
                "{table} {year}, full"
            );
        }
    }
    // The figures of 2026 by State, as a person reads them: the most first, then by code.
    let states = app
        .get("/api/v1/reports/annual/2026/activities_by_state")
        .await
        .assert_ok_json();
    assert_eq!(
        states["rows"],
        json!([
            ["KEN", "Kenya", 2, 1],
            ["TZA", "United Republic of Tanzania (the)", 1, 0],
            ["UGA", "Uganda", 1, 1]
        ])
    );
}

#[actix_web::test]
async fn who_asks_for_what_and_in_which_form() {
    let (app, _) = fixtures().await;
    // The full report is admin's: 401 anonymous, 403 for any other role.
    app.get("/api/v1/reports/annual?scope=full")
        .await
        .assert_problem(401, "unauthorized");
    for token in [
        app.token(Role::State, Some("KEN"), None),
        app.token(Role::Sync, None, None),
    ] {
        app.get_as("/api/v1/reports/annual?year=2026&scope=full", &token)
            .await
            .assert_problem(403, "forbidden");
        app.get_as(
            "/api/v1/reports/annual/2026/activities_by_state?scope=full",
            &token,
        )
        .await
        .assert_problem(403, "forbidden");
    }
    // Bad years, scopes and tables.
    for (path, code) in [
        ("/api/v1/reports/annual?year=1999", "invalid_parameter"),
        (
            "/api/v1/reports/annual/2101/activities_by_state",
            "invalid_parameter",
        ),
        ("/api/v1/reports/annual?year=abc", "invalid_query"),
        ("/api/v1/reports/annual?scope=everything", "invalid_query"),
        ("/api/v1/reports/annual?lang=de", "invalid_query"),
        ("/api/v1/reports/annual?colour=red", "invalid_query"),
    ] {
        app.get(path).await.assert_problem(400, code);
    }
    app.get("/api/v1/reports/annual/2026/activities_by_mood")
        .await
        .assert_problem(404, "not_found");
    // French titles and labels, French named by any of its codes in any case.
    for lang in ["fr", "FR", "fra", "fre"] {
        let fr = app
            .get(&format!(
                "/api/v1/reports/annual/2026/activities_by_regional_group?lang={lang}"
            ))
            .await
            .assert_ok_json();
        assert_eq!(fr["title"], "Activités par groupe régional", "{lang}");
        assert_eq!(fr["rows"][0][1], "États d'Afrique");
    }
    let problem = app
        .get("/api/v1/reports/annual?lang=deu")
        .await
        .assert_problem(400, "invalid_query");
    assert!(
        problem.to_string().contains("six UN languages"),
        "{problem}"
    );
    // One table as CSV, with the column names first.
    let csv = app
        .send(
            Request::get()
                .uri("/api/v1/reports/annual/2026/activities_by_modality")
                .insert_header((header::ACCEPT, "text/csv")),
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.header("content-type").unwrap().starts_with("text/csv"),
        "{:?}",
        csv.header("content-type")
    );
    let text = csv.text();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["code", "label", "activities", "previous_year"]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let expected = expected("activities_by_modality", Some(2026), false);
    assert_eq!(rows.len(), expected.len());
    for row in rows {
        let figures: Vec<String> = expected[&row[0]].iter().map(Value::to_string).collect();
        assert_eq!(row[2..], figures);
    }
    // The ETag of the figures: unchanged figures, 304.
    let first = app.get("/api/v1/reports/annual?year=2026").await;
    let tag = first.header("etag").unwrap().to_owned();
    let again = app
        .send(
            Request::get()
                .uri("/api/v1/reports/annual?year=2026")
                .insert_header((header::IF_NONE_MATCH, tag)),
        )
        .await;
    assert_eq!(again.status, 304);
}

/// A dashboard polling the statistics, or readers of this year's report, over data unchanged
/// since it was counted, are given it as kept: no connection of the pool is taken (with every
/// connection taken, they are still answered; with every permit of the rankings taken, they
/// are too: `hostile::a_report_counted_before_needs_no_permit_of_the_rankings`).
#[actix_web::test]
async fn a_report_of_unchanged_data_is_given_without_a_connection() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    for (path, token) in [
        ("/api/v1/statistics", None),
        ("/api/v1/statistics?scope=full", Some(admin.as_str())),
        ("/api/v1/reports/annual?year=2026", None),
    ] {
        let (first, again, _held) = app
            .read_again_taking(path, token, |app| app.every_connection())
            .await;
        assert_eq!(again.assert_ok_json(), first, "{path}");
    }
}

/// While one caller counts, another is given the figures as last counted, which may be older
/// than the data: they are not kept as the data's, and the next caller after the counting has
/// the figures of the data as it is. (The first caller is held while it counts:
/// `upr_tc::held`.)
#[actix_web::test]
async fn figures_given_while_another_counts_are_not_kept_as_current() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let app = TestApp::spawn_with(|s| s.limits.search_limit = Some(4));
    let admin = app.admin_token();
    let full = "/api/v1/statistics?scope=full";
    let before = app.get_as(full, &admin).await.assert_ok_json();
    // A write that changes the full figures: an agency's activity.
    let agency = app
        .create(
            "/api/v1/stakeholders",
            &stakeholder("un_entity", Some("CHE"), "Counting agency"),
        )
        .await;
    let mut body = activity(&["KEN"], "Counted while another counts");
    body["submitter"] = agency["id"].clone();
    app.create("/api/v1/activities", &body).await;
    // Another caller counts, and is held while it does.
    let addr = app.listen();
    let word = "span: All, language: Ar";
    let hold = upr_tc::held::hold(word);
    let request = format!(
        "GET {full}&lang=ar HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\
         Authorization: Bearer {admin}\r\n\r\n"
    );
    let counting = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    });
    let started = Instant::now();
    while !upr_tc::held::holding(word) && started.elapsed() < Duration::from_secs(10) {
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    let during = app.get_as(full, &admin).await.assert_ok_json();
    drop(hold);
    assert!(counting.await.unwrap().starts_with("HTTP/1.1 200"));
    assert_eq!(
        during["tables"], before["tables"],
        "as last counted, while another counts"
    );
    let after = app.get_as(full, &admin).await.assert_ok_json();
    assert_ne!(
        after["tables"], before["tables"],
        "counted anew, not the figures given meanwhile"
    );
}

#[actix_web::test]
async fn the_statistics_count_every_activity_in_scope() {
    let (app, refused) = fixtures().await;
    let public = app.get("/api/v1/statistics").await;
    let tag = public.header("etag").unwrap().to_owned();
    let public = public.assert_ok_json();
    assert_eq!(public["year"], Value::Null);
    // To the microsecond, as every time the service gives.
    let at = public["generated_at"].as_str().unwrap();
    let fraction = at.split_once('.').map_or("Z", |(_, f)| f);
    assert!(fraction.len() <= "123456Z".len(), "{at}");
    let full = app
        .get_as("/api/v1/statistics?scope=full", &app.admin_token())
        .await
        .assert_ok_json();
    for (i, table) in TABLES.iter().enumerate() {
        if is_list(table) {
            assert_eq!(titles(&public["tables"][i]), good_practices(None, false));
            assert_eq!(titles(&full["tables"][i]), good_practices(None, true));
            continue;
        }
        assert_eq!(
            counted(&public["tables"][i]),
            expected(table, None, false),
            "{table}, public"
        );
        assert_eq!(
            counted(&full["tables"][i]),
            expected(table, None, true),
            "{table}, full"
        );
    }
    // Polled: unchanged figures, 304; a new public activity changes them.
    let poll = || {
        Request::get()
            .uri("/api/v1/statistics")
            .insert_header((header::IF_NONE_MATCH, tag.clone()))
    };
    assert_eq!(app.send(poll()).await.status, 304);
    let (_, token) = crate::activities::organisation(&app, "Late NGO").await;
    // A write the public does not see changes nothing it is given, not even when the figures
    // were counted (which would tell a poller that something hidden was written).
    let before = app.get("/api/v1/statistics").await.assert_ok_json();
    submit(&app, &token, &activity(&["MLT"], "Awaiting Malta")).await;
    let hidden = app.get("/api/v1/statistics").await.assert_ok_json();
    assert_eq!(hidden, before);
    assert_eq!(app.send(poll()).await.status, 304);
    submit(&app, &token, &activity(&["KEN"], "One more")).await;
    assert_eq!(app.send(poll()).await.status, 200);
    let anew = app.get("/api/v1/statistics").await.assert_ok_json();
    assert_ne!(anew["generated_at"], before["generated_at"]);
    app.get("/api/v1/statistics?scope=full")
        .await
        .assert_problem(401, "unauthorized");
    // Tanzania consents to all, Uganda to what it refused: everything is public, and the
    // public figures are the full ones (but for the columns of refusals and waits, which the
    // public figures do not have).
    for state in ["TZA", "MLT"] {
        let token = app.token(Role::State, Some(state), None);
        consent(&app, &token, json!({"decision": "granted", "scope": "all"})).await;
    }
    let uganda = app.token(Role::State, Some("UGA"), None);
    let by_name = json!({"decision": "granted", "scope": "activity", "activity_id": refused});
    consent(&app, &uganda, by_name).await;
    let full = app
        .get_as("/api/v1/statistics?scope=full", &app.admin_token())
        .await
        .assert_ok_json();
    let public = app.get("/api/v1/statistics").await.assert_ok_json();
    for (public, full) in public["tables"]
        .as_array()
        .unwrap()
        .iter()
        .zip(full["tables"].as_array().unwrap())
    {
        if public["name"] != "consent_by_state" {
            assert_eq!(public, full);
            continue;
        }
        let rows = full["rows"].as_array().unwrap();
        let cut: Vec<&[Value]> = rows.iter().map(|r| &r.as_array().unwrap()[..6]).collect();
        assert_eq!(public["rows"], json!(cut));
        assert!(rows.iter().all(|r| r[6] == 0 && r[7] == 0), "{rows:?}");
    }
}

#[actix_web::test]
async fn the_report_is_a_self_contained_page_for_people() {
    let (app, _) = fixtures().await;
    for (lang, heading) in [
        ("en", "Technical cooperation and capacity-building"),
        ("fr", "Coopération technique et renforcement des capacités"),
        ("es", "Technical cooperation and capacity-building"),
    ] {
        let reply = app
            .send(
                Request::get()
                    .uri(&format!("/api/v1/reports/annual?year=2026&lang={lang}"))
                    .insert_header((header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")),
            )
            .await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        let text = reply.text();
        let page = scraper::Html::parse_document(&text);
        assert!(page.errors.is_empty(), "{lang}: {:?}", page.errors);
        let select = |css: &str| {
            let selector = scraper::Selector::parse(css).unwrap();
            page.select(&selector).count()
        };
        assert_eq!(select(&format!("html[lang={lang}]")), 1);
        let h1 = scraper::Selector::parse("h1").unwrap();
        let title: String = page.select(&h1).next().unwrap().text().collect();
        assert!(
            title.starts_with(heading) && title.ends_with("2026"),
            "{title}"
        );
        // A section, a table and a chart for each table with rows; every bar drawn.
        let report = app
            .get(&format!("/api/v1/reports/annual?year=2026&lang={lang}"))
            .await
            .assert_ok_json();
        let tables = report["tables"].as_array().unwrap();
        let filled: Vec<&Value> = tables.iter().filter(|t| t["rows"] != json!([])).collect();
        // A chart of the share, the submissions or the activities: none of a list or of a
        // table of other figures.
        let charted: Vec<&&Value> =
            filled
                .iter()
                .filter(|t| {
                    t["columns"].as_array().unwrap().iter().any(|c| {
                        ["share", "submissions", "activities"].contains(&c.as_str().unwrap())
                    })
                })
                .collect();
        assert_eq!(select("section[id]"), tables.len());
        assert_eq!(select("section[id] > table"), filled.len());
        assert_eq!(select("section[id] > svg[role=img]"), charted.len());
        let bars: usize = charted
            .iter()
            .map(|t| t["rows"].as_array().unwrap().len().min(12))
            .sum();
        assert_eq!(select("svg rect"), bars);
        // Labels in the language asked come from the report itself.
        let label = tables[1]["rows"][0][1].as_str().unwrap();
        assert!(text.contains(label), "{label}");
        // Nothing to fetch: no script, no external resource; the icon is empty and inline, so
        // that a browser does not ask for /favicon.ico.
        assert_eq!(select("link[rel=icon][href='data:,']"), 1);
        assert_eq!(
            select("script, link:not([href^='data:']), img, iframe, object"),
            0
        );
        let without_namespace = text.replace("http://www.w3.org/2000/svg", "");
        assert!(!without_namespace.contains("://"), "an address in the page");
    }
}

/// The figures the service keeps up to date after each write (it reads what the write
/// changed), against figures counted anew from the database.
#[actix_web::test]
async fn figures_kept_up_to_date_are_those_counted_anew() {
    use actix_web::http::Method;
    use upr_tc::app::report::{Asked, ReportCache, counted};
    use upr_tc::domain::Language;
    use upr_tc::domain::report::{ReportScope, Span};

    let (app, _) = fixtures().await;
    let admin = app.admin_token();
    let check = |what: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            for (scope, span, path) in [
                (
                    ReportScope::Full,
                    Span::All,
                    "/api/v1/statistics?scope=full".to_owned(),
                ),
                (
                    ReportScope::Public,
                    Span::All,
                    "/api/v1/statistics".to_owned(),
                ),
                (
                    ReportScope::Full,
                    Span::Year(2026),
                    "/api/v1/reports/annual?year=2026&scope=full".to_owned(),
                ),
            ] {
                let kept = app.get_as(&path, &admin).await.assert_ok_json();
                let mut conn = app.service.state.pool.get().unwrap();
                let asked = Asked {
                    scope,
                    span,
                    language: Language::En,
                };
                let (anew, _) = counted(&mut conn, &ReportCache::default(), asked).unwrap();
                let anew = serde_json::to_value(&anew.report.tables).unwrap();
                assert_eq!(kept["tables"], anew, "{what}: {path}");
            }
        }
    };
    check("first").await;
    // A new activity, public at once (Kenya consents to all).
    let (ngo, token) = crate::activities::organisation(&app, "Late NGO").await;
    let mut body = activity(&["KEN"], "One more");
    body["planned_start"] = json!("2026-04-01");
    body["themes"] = json!(["detention"]);
    let made = submit(&app, &token, &body).await;
    check("after a creation").await;
    // Changed: another status, another theme, and Uganda too (which awaits nothing: it
    // consented to all).
    let path = format!("/api/v1/activities/{}", made["id"].as_str().unwrap());
    app.send_json(
        Method::PATCH,
        &path,
        Some(&token),
        &json!({"status": "closed", "themes": ["justice"], "states_concerned": ["KEN", "UGA"]}),
    )
    .await
    .assert_ok_json();
    check("after an update").await;
    // Deleted.
    let reply = app
        .send_json(Method::DELETE, &path, Some(&admin), &json!(null))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    check("after a deletion").await;
    // A State withdraws its consent: every activity concerning it is hidden.
    let kenya = app.token(Role::State, Some("KEN"), None);
    consent(
        &app,
        &kenya,
        json!({"decision": "withdrawn", "scope": "all"}),
    )
    .await;
    check("after a withdrawal").await;
    // The NGO (Kenyan) submits again, and awaits Kenya's consent; the registry then finds it
    // is Kenya's own government: its activities need no consent.
    submit(&app, &token, &activity(&["KEN"], "Kenya's own")).await;
    check("after a submission awaiting consent").await;
    app.send_json(
        Method::PATCH,
        &format!("/api/v1/stakeholders/{ngo}"),
        Some(&admin),
        &json!({"kind": "state"}),
    )
    .await
    .assert_ok_json();
    check("after a stakeholder became a State's own").await;
}
