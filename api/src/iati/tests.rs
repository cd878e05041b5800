use super::*;
use crate::domain::activity::{
    ActivityContent, ActivityInput, ActivityStatus, Budget, Derived, Participant, ParticipantRole,
};
use crate::domain::publication::{Publication, Visibility};
use crate::domain::stakeholder::{StakeholderInput, StakeholderKind};
use crate::domain::{Id, Language, Stored};

fn text(pairs: &[(Language, &str)]) -> Multilingual {
    let mut m = Multilingual::default();
    for (language, t) in pairs {
        let slot = match language {
            Language::Ar => &mut m.ar,
            Language::En => &mut m.en,
            Language::Es => &mut m.es,
            Language::Fr => &mut m.fr,
            Language::Ru => &mut m.ru,
            Language::Zh => &mut m.zh,
        };
        *slot = Some((*t).to_owned());
    }
    m
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn stakeholder(kind: StakeholderKind, name: Multilingual) -> Stakeholder {
    Stakeholder {
        stored: Stored::new(Id::new_v7(), at("2026-01-02T03:04:05Z")),
        content: StakeholderInput {
            kind,
            name,
            acronym: None,
            country: None,
            nhri_accreditation: None,
            website: None,
            contact: None,
            themes: vec![],
            languages: vec![],
            regions: vec![],
            external_refs: vec![],
        },
    }
}

fn state_code(code: &str) -> crate::domain::CountryCode {
    crate::domain::CountryCode::parse_state(code).unwrap()
}

fn content(submitter: StakeholderId) -> ActivityContent {
    ActivityInput {
        title: text(&[(Language::En, "Child justice training")]),
        summary: None,
        states_concerned: vec![state_code("KEN")],
        participants: vec![],
        submitter: Some(submitter),
        recommendations: vec![],
        assistance_request: None,
        offer: None,
        modality: None,
        status: ActivityStatus::Pipeline,
        planned_start: None,
        planned_end: None,
        actual_start: None,
        actual_end: None,
        budget: None,
        funding_sources: vec![],
        themes: vec![],
        sdg_targets: vec![],
        results: None,
        lessons_learned: None,
        good_practice: false,
        peer_to_peer: false,
        documents: vec![],
        publication: Publication::Submitted,
        external_refs: vec![],
    }
}

fn activity(content: ActivityContent) -> Activity {
    let mut stored = Stored::new(Id::new_v7(), at("2026-02-01T08:00:00Z"));
    stored.updated_at = at("2026-03-04T10:11:12Z");
    Activity {
        stored,
        content,
        visibility: Visibility::default(),
        derived: Derived::default(),
    }
}

/// Every field filled, several languages, two States, a budget, participants, awkward text.
fn full() -> (Activity, Organisations, [StakeholderId; 3]) {
    let submitter = stakeholder(
        StakeholderKind::CivilSocietyOrganization,
        text(&[
            (Language::En, "Kituo Cha Sheria"),
            (Language::Fr, "Centre juridique"),
        ]),
    );
    let funder = stakeholder(
        StakeholderKind::UnEntity,
        text(&[
            (Language::En, "OHCHR"),
            (Language::Ar, "مفوضية حقوق الإنسان"),
            (Language::Zh, "人权高专办"),
        ]),
    );
    let state = stakeholder(StakeholderKind::State, text(&[(Language::Es, "Kenia")]));
    let ids = [submitter.stored.id, funder.stored.id, state.stored.id];
    let mut c = content(ids[0]);
    c.title = text(&[
        (Language::En, "Child justice <training> & \"more\""),
        (Language::Fr, "Formation à la justice des mineurs"),
        (Language::Ru, "Обучение по вопросам правосудия"),
    ]);
    c.summary = Some(text(&[
        (Language::En, "Judges\u{1}and prosecutors.\nTwo lines."),
        (Language::Es, "Jueces y fiscales."),
    ]));
    c.results = Some(text(&[(Language::En, "120 judges trained.")]));
    c.lessons_learned = Some(text(&[(Language::Ar, "دروس مستفادة")]));
    c.states_concerned = vec![state_code("KEN"), state_code("UGA"), state_code("TZA")];
    c.participants = vec![
        Participant {
            stakeholder: ids[1],
            role: ParticipantRole::Funding,
        },
        Participant {
            stakeholder: ids[2],
            role: ParticipantRole::Implementing,
        },
    ];
    c.modality = Some("training".into());
    c.status = ActivityStatus::Implementation;
    c.planned_start = Some(date("2026-01-15"));
    c.planned_end = Some(date("2026-12-31"));
    c.actual_start = Some(date("2026-02-01"));
    c.actual_end = Some(date("2026-11-30"));
    c.budget = Some(Budget {
        amount: "25000.50".into(),
        currency: "EUR".into(),
    });
    c.sdg_targets = vec!["16.3".into(), "5.1".into(), "16.10".into()];
    c.recommendations = vec![
        "01a23300-0000-7000-8000-000000000001".parse().unwrap(),
        "01a23300-0000-7000-8000-000000000002".parse().unwrap(),
    ];
    c.documents = vec![
        DocumentLink {
            url: "https://example.org/report.PDF?x=1&y=2".into(),
            title: Some("Report".into()),
            language: Some("en".into()),
        },
        DocumentLink {
            url: "https://example.org".into(),
            title: None,
            language: None,
        },
    ];
    let orgs = [submitter, funder, state]
        .into_iter()
        .map(|s| (s.stored.id, s))
        .collect();
    (activity(c), orgs, ids)
}

fn xml(activities: &[Activity], orgs: &Organisations) -> String {
    String::from_utf8(document(activities, orgs, at("2026-05-06T07:08:09Z"))).unwrap()
}

/// Validates against the IATI 2.03 schema with xmllint; the answer is xmllint's output.
pub fn schema_errors(xml: &str) -> Option<String> {
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/iati-schema/iati-activities-schema.xsd");
    assert!(
        schema.exists(),
        "the IATI schema is missing at {}",
        schema.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("activities.xml");
    std::fs::write(&file, xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&file)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "xmllint could not run ({e}): install it with `apt-get install -y libxml2-utils` (CI does)"
            )
        });
    (!out.status.success()).then(|| String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_full_activity_is_valid_iati() {
    let (a, orgs, ids) = full();
    let out = xml(std::slice::from_ref(&a), &orgs);
    if let Some(errors) = schema_errors(&out) {
        panic!("not valid IATI 2.03:\n{errors}\n{out}");
    }
    let has = |needle: &str| assert!(out.contains(needle), "no `{needle}` in\n{out}");
    has(r#"<iati-activities version="2.03" generated-datetime="2026-05-06T07:08:09Z">"#);
    has(r#"last-updated-datetime="2026-03-04T10:11:12Z" xml:lang="en" default-currency="EUR">"#);
    // The identifier begins with the reporting organisation's ref and a hyphen (IATI rule
    // 1.1.21); the one written before that rule is its previous identifier.
    has(&format!(
        "<iati-identifier>XI-UPRTC-{}-{}</iati-identifier>",
        ids[0], a.stored.id
    ));
    has(&format!(
        r#"<reporting-org ref="XI-UPRTC-{}" type="22">"#,
        ids[0]
    ));
    has(&format!(
        r#"<other-identifier ref="XI-UPRTC-{}" type="B1"/>"#,
        a.stored.id
    ));
    // Each linked recommendation, as a tag of the reporting organisation's own vocabulary.
    for n in 1..=2 {
        let id = format!("01a23300-0000-7000-8000-00000000000{n}");
        has(&format!(r#"<tag vocabulary="99" code="{id}">"#));
        has(&format!("<narrative>UPR recommendation {id}</narrative>"));
    }
    // Narratives per language, escaped; a control character replaced.
    has(
        r#"<narrative xml:lang="en">Child justice &lt;training&gt; &amp; &quot;more&quot;</narrative>"#,
    );
    has(r#"<narrative xml:lang="fr">Formation à la justice des mineurs</narrative>"#);
    has(r#"<narrative xml:lang="ru">Обучение по вопросам правосудия</narrative>"#);
    has("<narrative xml:lang=\"en\">Judges\u{fffd}and prosecutors.\nTwo lines.</narrative>");
    has(r#"<narrative xml:lang="ar">مفوضية حقوق الإنسان</narrative>"#);
    has(r#"<narrative xml:lang="zh">人权高专办</narrative>"#);
    // Participants in their roles, and the submitter as accountable.
    has(&format!(
        r#"<participating-org ref="XI-UPRTC-{}" role="1" type="40">"#,
        ids[1]
    ));
    has(&format!(
        r#"<participating-org ref="XI-UPRTC-{}" role="4" type="10">"#,
        ids[2]
    ));
    has(&format!(
        r#"<participating-org ref="XI-UPRTC-{}" role="2" type="22">"#,
        ids[0]
    ));
    has(r#"<activity-status code="2"/>"#);
    for (kind, day) in [
        ("1", "2026-01-15"),
        ("2", "2026-02-01"),
        ("3", "2026-12-31"),
        ("4", "2026-11-30"),
    ] {
        has(&format!(
            r#"<activity-date type="{kind}" iso-date="{day}"/>"#
        ));
    }
    has(r#"<activity-scope code="3"/>"#);
    has(r#"<recipient-country code="KE" percentage="33.33"/>"#);
    has(r#"<recipient-country code="UG" percentage="33.33"/>"#);
    has(r#"<recipient-country code="TZ" percentage="33.34"/>"#);
    has(r#"<sector vocabulary="1" code="15160" percentage="100"/>"#);
    has(r#"<tag vocabulary="2" code="5"/>"#);
    has(r#"<tag vocabulary="2" code="16"/>"#);
    assert_eq!(out.matches(r#"<tag vocabulary="2""#).count(), 2, "{out}");
    has(r#"<tag vocabulary="3" code="16.3"/>"#);
    has(r#"<tag vocabulary="3" code="16.10"/>"#);
    has(r#"<budget type="1" status="1">"#);
    has(r#"<value currency="EUR" value-date="2026-01-15">25000.50</value>"#);
    has(
        r#"<document-link url="https://example.org/report.PDF?x=1&amp;y=2" format="application/pdf">"#,
    );
    has(r#"<document-link url="https://example.org" format="text/html">"#);
    has(r#"<category code="A08"/>"#);
    has(r#"<language code="en"/>"#);
    assert_eq!(out.matches(r#"<description type="4">"#).count(), 2);
}

#[test]
fn a_sparse_activity_is_valid_iati_too() {
    // No summary, no dates, no budget, no participants, its submitter not loaded.
    let a = activity(content(StakeholderId::new_v7()));
    let mut with_budget = activity(content(StakeholderId::new_v7()));
    with_budget.content.budget = Some(Budget {
        amount: "10".into(),
        currency: "USD".into(),
    });
    with_budget.content.planned_start = Some(date("2026-03-01"));
    let out = xml(&[a.clone(), with_budget], &Organisations::new());
    if let Some(errors) = schema_errors(&out) {
        panic!("not valid IATI 2.03:\n{errors}\n{out}");
    }
    assert!(out.contains(r#"<recipient-country code="KE"/>"#), "{out}");
    assert!(out.contains(r#"<activity-scope code="4"/>"#), "{out}");
    assert!(
        out.contains(r#"<activity-date type="1" iso-date="2026-02-01">"#),
        "no date: the day it was recorded stands in\n{out}"
    );
    assert!(
        !out.contains("<budget"),
        "a budget without a planned period is left out\n{out}"
    );
    assert!(out.contains(r#"default-currency="USD""#), "{out}");
}

#[test]
fn the_export_is_the_same_document_page_by_page() {
    let (a, orgs, _) = full();
    let b = activity(content(StakeholderId::new_v7()));
    let whole = xml(&[a.clone(), b.clone()], &orgs);
    let mut doc = Activities::start(at("2026-05-06T07:08:09Z"));
    let mut pieces = doc.take();
    doc.push(&a, &orgs);
    pieces.extend(doc.take());
    doc.push(&b, &orgs);
    pieces.extend(doc.take());
    pieces.extend(doc.finish());
    assert_eq!(String::from_utf8(pieces).unwrap(), whole);
}

#[test]
fn the_schema_check_catches_what_is_out_of_order() {
    let (a, orgs, _) = full();
    let out = xml(&[a], &orgs).replacen("<activity-status code=\"2\"/>", "", 1);
    let errors = schema_errors(&out).expect("an activity without a status is invalid");
    assert!(errors.contains("activity-status"), "{errors}");
}

#[test]
fn percentages_add_up_to_one_hundred() {
    assert_eq!(shares(1), ["100"]);
    assert_eq!(shares(2), ["50", "50"]);
    assert_eq!(shares(3), ["33.33", "33.33", "33.34"]);
    for n in 1..=50 {
        let total: u32 = shares(n)
            .iter()
            .map(|p| {
                let (whole, cents) = p.split_once('.').unwrap_or((p, "0"));
                whole.parse::<u32>().unwrap() * 100 + format!("{cents:0<2}").parse::<u32>().unwrap()
            })
            .sum();
        assert_eq!(total, 10_000, "{n} countries");
    }
}

#[test]
fn a_budget_over_more_than_a_year_is_cut_into_years_that_add_up_to_it() {
    let periods = |start: &str, end: &str, amount: &str| -> Vec<(String, String, String)> {
        budget_periods(date(start), date(end), amount)
            .into_iter()
            .map(|(from, to, value)| (from.to_string(), to.to_string(), value))
            .collect()
    };
    let own = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    // A year or less: one period, the amount as given.
    assert_eq!(
        periods("2026-01-15", "2026-12-31", "25000.50"),
        [own("2026-01-15", "2026-12-31", "25000.50")]
    );
    assert_eq!(
        periods("2026-01-01", "2026-12-31", "7"),
        [own("2026-01-01", "2026-12-31", "7")]
    );
    // Two years of equal days, an amount of cents.
    assert_eq!(
        periods("2026-01-01", "2027-12-31", "100.00"),
        [
            own("2026-01-01", "2026-12-31", "50.00"),
            own("2027-01-01", "2027-12-31", "50.00")
        ]
    );
    // A year and a half: by days, the last taking the remainder.
    assert_eq!(
        periods("2026-01-01", "2027-06-30", "546"),
        [
            own("2026-01-01", "2026-12-31", "365"),
            own("2027-01-01", "2027-06-30", "181")
        ]
    );
    assert_eq!(
        periods("2026-03-01", "2028-03-01", "0.01"),
        [
            own("2026-03-01", "2027-02-28", "0.00"),
            own("2027-03-01", "2028-02-29", "0.00"),
            own("2028-03-01", "2028-03-01", "0.01")
        ]
    );
    // Whatever the period and amount: a year at most each, one after the other, adding up.
    for (start, end, amount) in [
        ("2024-02-29", "2031-07-04", "999999999999999.9999"),
        ("2026-06-30", "2029-06-29", "25000"),
        ("2025-12-31", "2026-01-01", "3.5"),
    ] {
        let found = budget_periods(date(start), date(end), amount);
        assert_eq!(found.first().unwrap().0, date(start));
        assert_eq!(found.last().unwrap().1, date(end));
        for pair in found.windows(2) {
            assert_eq!(pair[0].1.succ_opt(), Some(pair[1].0));
        }
        let units = |v: &str| -> i128 {
            let (w, f) = v.split_once('.').unwrap_or((v, ""));
            format!("{w}{f}").parse().unwrap()
        };
        for (from, to, _) in &found {
            assert!(*to < from.checked_add_months(chrono::Months::new(12)).unwrap());
        }
        assert_eq!(
            found.iter().map(|(_, _, v)| units(v)).sum::<i128>(),
            units(amount),
            "{start}..{end} {amount}: {found:?}"
        );
    }
    // As IATI XML: one valid budget a year.
    let (mut a, orgs, _) = full();
    a.content.planned_start = Some(date("2026-01-15"));
    a.content.planned_end = Some(date("2027-07-14"));
    let out = xml(&[a], &orgs);
    if let Some(errors) = schema_errors(&out) {
        panic!("not valid IATI 2.03:\n{errors}\n{out}");
    }
    assert_eq!(out.matches("<budget ").count(), 2, "{out}");
    assert!(
        out.contains(r#"<period-end iso-date="2027-01-14"/>"#),
        "{out}"
    );
}

#[test]
fn formats_come_from_the_file_extension() {
    assert_eq!(document_format("https://x.org/a/b.pdf"), "application/pdf");
    assert_eq!(
        document_format("https://x.org/a/b.DOCX#p2"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert_eq!(document_format("https://www.ohchr.org"), "text/html");
    assert_eq!(
        document_format("https://www.ohchr.org/en/documents/report"),
        "text/html"
    );
    assert_eq!(
        document_format("https://x.org/f.weird"),
        "application/octet-stream"
    );
}
