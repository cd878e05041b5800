//! From match to activity (issue 11): a provider's interest in a State's assistance request,
//! citing its offer; the State accepts one, the request is matched, and an activity is made
//! from the match. Who may do each step, what is refused, and that a refusal writes nothing.

use actix_web::http::{Method, header};
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc_tests::{
    Reply, Request, TestApp, activity, assistance_request, json, offer, recommendation, stakeholder,
};

/// The callers of the permission boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Sync,
    /// The provider's contributor: the organisation whose offer the interest cites.
    Provider,
    /// Another organisation's contributor (a provider too, with an offer of its own).
    Other,
    /// The State that asks.
    Kenya,
    /// Another State.
    Uganda,
    Admin,
}

const EVERYONE: [Who; 7] = [
    Who::Anonymous,
    Who::Sync,
    Who::Provider,
    Who::Other,
    Who::Kenya,
    Who::Uganda,
    Who::Admin,
];

/// Kenya's open request for help with one of its accepted recommendations, and two
/// organisations with an open offer each that serves Kenya.
struct Setting {
    app: TestApp,
    recommendation: String,
    request: String,
    provider: String,
    offer: String,
    other: String,
    other_offer: String,
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

async fn organisation(app: &TestApp, name: &str) -> String {
    id(&app
        .create(
            "/api/v1/stakeholders",
            &stakeholder("civil_society_organization", Some("FRA"), name),
        )
        .await)
}

impl Setting {
    async fn new() -> Self {
        let app = TestApp::spawn();
        let recommendation = id(&app
            .create(
                "/api/v1/recommendations",
                &recommendation("KEN", 35, "Reform the family code"),
            )
            .await);
        let mut body = assistance_request(
            "KEN",
            "Reform of the family code\nAdvice on drafting the bill and on consulting women's organisations.",
        );
        body["recommendations"] = json!([recommendation]);
        let kenya = app.token(Role::State, Some("KEN"), None);
        let reply = app
            .send_json(
                Method::POST,
                "/api/v1/assistance-requests",
                Some(&kenya),
                &body,
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        let request = id(&reply.json());
        let provider = organisation(&app, "Avocats sans frontières").await;
        let other = organisation(&app, "Another NGO").await;
        let mut made = Vec::new();
        for (org, text) in [
            (&provider, "Legislative drafting support"),
            (&other, "Another drafting offer"),
        ] {
            let token = app.token(Role::Contributor, None, Some(org));
            let mut body = offer(text);
            body["modalities"] = json!(["training", "legislative_advice"]);
            let reply = app
                .send_json(Method::POST, "/api/v1/offers", Some(&token), &body)
                .await;
            assert_eq!(reply.status, 201, "{}", reply.text());
            made.push(id(&reply.json()));
        }
        Self {
            app,
            recommendation,
            request,
            provider,
            offer: made[0].clone(),
            other,
            other_offer: made[1].clone(),
        }
    }

    fn token(&self, who: Who) -> Option<String> {
        let app = &self.app;
        match who {
            Who::Anonymous => None,
            Who::Sync => Some(app.token(Role::Sync, None, None)),
            Who::Provider => Some(app.token(Role::Contributor, None, Some(&self.provider))),
            Who::Other => Some(app.token(Role::Contributor, None, Some(&self.other))),
            Who::Kenya => Some(app.token(Role::State, Some("KEN"), None)),
            Who::Uganda => Some(app.token(Role::State, Some("UGA"), None)),
            Who::Admin => Some(app.admin_token()),
        }
    }

    /// An activity of the provider's for Kenya that names the request and the offer.
    fn activity_naming_both(&self) -> Value {
        let mut body = upr_tc_tests::activity(&["KEN"], "Drafting support");
        body["submitter"] = json!(self.provider);
        body["assistance_request"] = json!(self.request);
        body["offer"] = json!(self.offer);
        body
    }

    fn interests(&self) -> String {
        format!("/api/v1/assistance-requests/{}/interests", self.request)
    }

    fn interest(&self, interest: &str) -> String {
        format!("{}/{interest}", self.interests())
    }

    async fn send(&self, method: Method, path: &str, who: Who, body: Option<&Value>) -> Reply {
        let mut req = Request::default().method(method).uri(path);
        if let Some(body) = body {
            req = req.set_json(body);
        }
        if let Some(token) = self.token(who) {
            req = req.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        }
        self.app.send(req).await
    }

    async fn get(&self, path: &str, who: Who) -> Reply {
        self.send(Method::GET, path, who, None).await
    }

    /// `POST` without a body: the actions on an interest.
    async fn act(&self, interest: &str, action: &str, who: Who) -> Reply {
        let path = format!("{}/{action}", self.interest(interest));
        self.send(Method::POST, &path, who, None).await
    }

    async fn express(&self, who: Who, offer: &str) -> Reply {
        let body = json!({"offer": offer, "message": "We drafted two such codes."});
        self.send(Method::POST, &self.interests(), who, Some(&body))
            .await
    }

    /// The provider's interest, expressed.
    async fn expressed(&self) -> String {
        let reply = self.express(Who::Provider, &self.offer).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        id(&reply.json())
    }

    /// The other organisation's interest, expressed.
    async fn other_expressed(&self) -> String {
        let reply = self.express(Who::Other, &self.other_offer).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        id(&reply.json())
    }

    /// A draft request Kenya files; its id.
    async fn draft_request(&self, description: &str) -> String {
        let mut draft = assistance_request("KEN", description);
        draft["status"] = json!("draft");
        let reply = self
            .send(
                Method::POST,
                "/api/v1/assistance-requests",
                Who::Kenya,
                Some(&draft),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        id(&reply.json())
    }

    async fn request_status(&self) -> String {
        let path = format!("/api/v1/assistance-requests/{}", self.request);
        self.get(&path, Who::Admin).await.assert_ok_json()["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Every entry of the audit trail, and the full feed's head: what a write would move.
    async fn written(&self) -> (Vec<Value>, String) {
        let mut entries = Vec::new();
        let mut path = "/api/v1/audit?limit=200".to_owned();
        loop {
            let page = self.get(&path, Who::Admin).await.assert_ok_json();
            entries.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => path = format!("/api/v1/audit?limit=200&cursor={c}"),
                None => break,
            }
        }
        let feed = self
            .get("/api/v1/changes?limit=200", Who::Admin)
            .await
            .assert_ok_json();
        (entries, feed["next_cursor"].as_str().unwrap().to_owned())
    }
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(id).collect()
}

#[actix_web::test]
async fn a_provider_interest_accepted_becomes_its_draft_activity() {
    let s = Setting::new().await;
    // The provider expresses interest, citing its offer.
    let reply = s.express(Who::Provider, &s.offer).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let interest = reply.json();
    let interest_id = id(&interest);
    assert_eq!(
        reply.header("location"),
        Some(s.interest(&interest_id).as_str())
    );
    assert_eq!(reply.header("etag"), Some("\"1\""));
    assert_eq!(interest["status"], "pending");
    assert_eq!(interest["assistance_request"], s.request.as_str());
    assert_eq!(interest["offer"], s.offer.as_str());
    assert_eq!(interest["stakeholder"], s.provider.as_str());
    assert_eq!(interest["message"], "We drafted two such codes.");
    assert_eq!(interest["activity"], Value::Null);
    // Another provider too; Kenya sees both.
    let other = s.other_expressed().await;
    let listed = s.get(&s.interests(), Who::Kenya).await.assert_ok_json();
    assert_eq!(ids(&listed), [interest_id.clone(), other.clone()]);

    // Kenya accepts the first: the request is matched, the other declined.
    let reply = s.act(&interest_id, "accept", Who::Kenya).await;
    let accepted = reply.assert_ok_json();
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["version"], 2);
    assert_eq!(s.request_status().await, "matched");
    let declined = s
        .get(&s.interest(&other), Who::Other)
        .await
        .assert_ok_json();
    assert_eq!(declined["status"], "declined");
    // The request's change is in the public feed; interests are in neither feed.
    let public = s
        .get("/api/v1/changes?limit=200", Who::Anonymous)
        .await
        .assert_ok_json();
    let last_of_request = public["items"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|c| c["id"] == s.request.as_str())
        .expect("the request is in the public feed");
    assert_eq!(last_of_request["data"]["status"], "matched");
    let full = s
        .get("/api/v1/changes?limit=200", Who::Admin)
        .await
        .assert_ok_json();
    assert!(
        full["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["type"] != "interest"),
        "{full}"
    );

    // The provider makes the activity of the match: its own draft.
    let path = format!("{}/activity", s.interest(&interest_id));
    let reply = s.send(Method::POST, &path, Who::Provider, None).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let activity = reply.json();
    let activity_id = id(&activity);
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/v1/activities/{activity_id}").as_str())
    );
    assert_eq!(activity["submitter"], s.provider.as_str());
    assert_eq!(
        activity["participants"],
        json!([{"stakeholder": s.provider, "role": "implementing"}])
    );
    assert_eq!(activity["states_concerned"], json!(["KEN"]));
    assert_eq!(activity["recommendations"], json!([s.recommendation]));
    assert_eq!(activity["assistance_request"], s.request.as_str());
    assert_eq!(activity["offer"], s.offer.as_str());
    assert_eq!(activity["modality"], "legislative_advice");
    assert_eq!(activity["themes"], json!(["womens_rights"]));
    assert_eq!(activity["sdg_targets"], json!(["5.1"]));
    assert_eq!(activity["status"], "pipeline");
    assert_eq!(activity["publication"], "draft");
    assert_eq!(activity["planned_start"], "2027-01-01");
    assert_eq!(
        activity["title"],
        json!({"en": "Reform of the family code"})
    );
    assert!(
        activity["summary"]["en"]
            .as_str()
            .unwrap()
            .contains("consulting women's organisations")
    );
    // The provider sees it as its draft; the public does not.
    let path = format!("/api/v1/activities/{activity_id}");
    let seen = s.get(&path, Who::Provider).await.assert_ok_json();
    assert_eq!(seen["publication"], "draft");
    s.get(&path, Who::Anonymous)
        .await
        .assert_problem(404, "not_found");
    let answering = s
        .get(
            &format!("/api/v1/activities?assistance_request={}", s.request),
            Who::Provider,
        )
        .await
        .assert_ok_json();
    assert_eq!(ids(&answering), [activity_id.as_str()]);
    let delivering = s
        .get(&format!("/api/v1/activities?offer={}", s.offer), Who::Admin)
        .await
        .assert_ok_json();
    assert_eq!(ids(&delivering), [activity_id.as_str()]);
    // The interest records it.
    let recorded = s
        .get(&s.interest(&interest_id), Who::Kenya)
        .await
        .assert_ok_json();
    assert_eq!(recorded["activity"], activity_id.as_str());
    // A second call names it.
    let path = format!("{}/activity", s.interest(&interest_id));
    let problem = s
        .send(Method::POST, &path, Who::Admin, None)
        .await
        .assert_problem(409, "conflict");
    assert!(
        problem["detail"].as_str().unwrap().contains(&activity_id),
        "{problem}"
    );
    // The audit trail has every write of the interests.
    let trail = s
        .get(
            &format!("/api/v1/audit?entity=interest&entity_id={interest_id}"),
            Who::Admin,
        )
        .await
        .assert_ok_json();
    let operations: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["operation"].as_str().unwrap())
        .collect();
    assert_eq!(operations, ["create", "update", "update"]);
    assert_eq!(
        trail["items"][1]["changes"]["changed"]["status"],
        json!({"before": "pending", "after": "accepted"})
    );
    assert_eq!(trail["items"][1]["role"], "state");

    // The provider submits its activity; it then awaits Kenya's consent.
    let reply = s
        .send(
            Method::PATCH,
            &format!("/api/v1/activities/{activity_id}"),
            Who::Provider,
            Some(&json!({"publication": "submitted"})),
        )
        .await;
    let submitted = reply.assert_ok_json();
    assert_eq!(submitted["visibility"]["public"], false, "{submitted}");

    // The request and the offer are part of the history now: not deleted, and not moved to
    // another State or stakeholder.
    let request = format!("/api/v1/assistance-requests/{}", s.request);
    let offer = format!("/api/v1/offers/{}", s.offer);
    for path in [&request, &offer] {
        s.send(Method::DELETE, path, Who::Admin, None)
            .await
            .assert_problem(409, "conflict");
    }
    let moved = json!({"state": "UGA", "recommendations": [], "reference": "NV/1"});
    s.send(Method::PATCH, &request, Who::Admin, Some(&moved))
        .await
        .assert_problem(409, "conflict");
    let moved = json!({"stakeholder": s.other});
    s.send(Method::PATCH, &offer, Who::Admin, Some(&moved))
        .await
        .assert_problem(409, "conflict");
    // Closing either is fine.
    let closed = json!({"status": "closed"});
    s.send(Method::PATCH, &request, Who::Kenya, Some(&closed))
        .await
        .assert_ok_json();
    s.send(Method::PATCH, &offer, Who::Provider, Some(&closed))
        .await
        .assert_ok_json();
}

#[actix_web::test]
async fn the_state_or_admin_makes_the_activity_in_the_providers_name() {
    let s = Setting::new().await;
    let interest = s.expressed().await;
    let path = format!("{}/activity", s.interest(&interest));
    // Not before it is accepted.
    s.send(Method::POST, &path, Who::Kenya, None)
        .await
        .assert_problem(409, "conflict");
    s.act(&interest, "accept", Who::Admin)
        .await
        .assert_ok_json();
    assert_eq!(s.request_status().await, "matched");
    let reply = s.send(Method::POST, &path, Who::Kenya, None).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let activity = reply.json();
    assert_eq!(activity["submitter"], s.provider.as_str());
    assert_eq!(activity["publication"], "draft");
    // The draft is the provider's: it changes it, and Kenya (which is not its submitter) does
    // not.
    let path = format!("/api/v1/activities/{}", id(&activity));
    s.send(
        Method::PATCH,
        &path,
        Who::Provider,
        Some(&json!({"status": "implementation"})),
    )
    .await
    .assert_ok_json();
    let reply = s
        .send(
            Method::PATCH,
            &path,
            Who::Kenya,
            Some(&json!({"status": "closed"})),
        )
        .await;
    assert!(
        [403, 404].contains(&reply.status.as_u16()),
        "{}",
        reply.text()
    );
    // Deleted by its provider, the match makes another.
    s.send(Method::DELETE, &path, Who::Provider, None).await;
    s.get(&path, Who::Admin)
        .await
        .assert_problem(404, "not_found");
    let again = format!("{}/activity", s.interest(&interest));
    let reply = s.send(Method::POST, &again, Who::Admin, None).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_ne!(id(&reply.json()), id(&activity));
}

/// A hidden activity (a draft) of the provider's, of the title and planned start the match
/// gives.
fn of_the_matchs_title() -> Value {
    let mut hidden = activity(&["KEN"], "Reform of the family code");
    hidden["title"] = json!({"en": "Reform of the family code"});
    hidden["planned_start"] = json!("2027-01-01");
    hidden["planned_end"] = json!("2027-12-31");
    hidden["publication"] = json!("draft");
    hidden
}

/// An activity of the provider's that the State does not see, of the title and planned start
/// the match gives, is not told to the State: the match's activity is made beside it (keyed
/// by the match too), and the provider, who sees both, is told of the other when it next
/// writes it. The provider itself, making the activity of the match, is told at once.
#[actix_web::test]
async fn a_match_makes_its_activity_beside_the_providers_hidden_one() {
    let s = Setting::new().await;
    let reply = s
        .send(
            Method::POST,
            "/api/v1/activities",
            Who::Provider,
            Some(&of_the_matchs_title()),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let hidden = id(&reply.json());
    let interest = s.expressed().await;
    s.act(&interest, "accept", Who::Admin)
        .await
        .assert_ok_json();
    let path = format!("{}/activity", s.interest(&interest));
    s.send(Method::POST, &path, Who::Provider, None)
        .await
        .assert_problem(409, "conflict");
    let reply = s.send(Method::POST, &path, Who::Kenya, None).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let made = reply.json();
    let kept = s
        .get(&format!("/api/v1/activities/{hidden}"), Who::Provider)
        .await
        .assert_ok_json();
    assert_ne!(id(&made), hidden);
    assert_eq!(made["title"], kept["title"], "the title the match gives");
    assert_eq!(made["planned_start"], kept["planned_start"]);
    // The provider sees both, and is told of the other as it writes this one.
    let problem = s
        .send(
            Method::PATCH,
            &format!("/api/v1/activities/{}", id(&made)),
            Who::Provider,
            Some(&json!({"status": "implementation"})),
        )
        .await
        .assert_problem(409, "conflict");
    assert!(problem.to_string().contains(&hidden), "{problem}");
    let renamed = s
        .send(
            Method::PATCH,
            &format!("/api/v1/activities/{}", id(&made)),
            Who::Provider,
            Some(&json!({"title": {"en": "Reform of the family code, with Kenya"}})),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
}

/// A participant that took itself off an activity whose title holds a character that shows
/// nothing stays off it once the start writes the activity's key again without it.
#[actix_web::test]
async fn declines_follow_an_activity_keyed_anew() {
    use diesel::prelude::*;
    use upr_tc::db::schema::activities::dsl as a;
    use upr_tc::db::schema::activity_declined_participants::dsl as d;
    use upr_tc::db::schema::instance::dsl as i;
    let s = Setting::new().await;
    let mut body = of_the_matchs_title();
    body["title"] = json!({"en": "Reform of the fa\u{200b}mily code"});
    let reply = s
        .send(
            Method::POST,
            "/api/v1/activities",
            Who::Provider,
            Some(&body),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let made = id(&reply.json());
    let key_of = |id: &str| -> String {
        let mut conn = s.app.service.state.pool.get().unwrap();
        a::activities
            .filter(a::id.eq(id))
            .select(a::natural_key)
            .first(&mut **conn)
            .unwrap()
    };
    let now = key_of(&made);
    {
        let mut conn = s.app.service.state.pool.get().unwrap();
        diesel::update(a::activities.filter(a::id.eq(&made)))
            .set(a::natural_key.eq("key of the older release"))
            .execute(&mut **conn)
            .unwrap();
        diesel::insert_into(d::activity_declined_participants)
            .values((
                d::activity_id.eq(&made),
                d::stakeholder_id.eq(&s.other),
                d::natural_key.eq("key of the older release"),
            ))
            .execute(&mut **conn)
            .unwrap();
        diesel::update(i::instance)
            .set(i::analysis_version.eq(7))
            .execute(&mut **conn)
            .unwrap();
    }
    let mut conn = s.app.service.state.pool.get().unwrap();
    conn.migrate().expect("the start writes the key again");
    let declined: String = d::activity_declined_participants
        .filter(d::activity_id.eq(&made))
        .select(d::natural_key)
        .first(&mut **conn)
        .unwrap();
    drop(conn);
    assert_eq!(key_of(&made), now);
    assert_eq!(declined, now, "the declines follow the key");
}

#[actix_web::test]
async fn who_expresses_interest() {
    let s = Setting::new().await;
    for (who, status) in [
        (Who::Anonymous, 401),
        (Who::Sync, 403),
        // Another organisation cites an offer that is not its own.
        (Who::Other, 403),
        // Kenya's own stakeholder does not make the offer.
        (Who::Kenya, 403),
        (Who::Uganda, 403),
    ] {
        let reply = s.express(who, &s.offer).await;
        assert_eq!(reply.status, status, "{who:?}: {}", reply.text());
    }
    let reply = s.express(Who::Provider, &s.offer).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    // admin, for the other organisation's offer.
    let reply = s.express(Who::Admin, &s.other_offer).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.json()["stakeholder"], s.other.as_str());
    // A State offers its own experience, peer to peer, to another State.
    let morocco = s.app.token(Role::State, Some("MAR"), None);
    let made = s
        .app
        .send_json(
            Method::POST,
            "/api/v1/offers",
            Some(&morocco),
            &offer("Our family code reform"),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let reply = s
        .app
        .send_json(
            Method::POST,
            &s.interests(),
            Some(&morocco),
            &json!({"offer": id(&made.json())}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    // Morocco sees its own interest, not the others.
    let page = s
        .app
        .get_as(&s.interests(), &morocco)
        .await
        .assert_ok_json();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn who_sees_interests() {
    let s = Setting::new().await;
    let mine = s.expressed().await;
    let theirs = s.other_expressed().await;
    for who in EVERYONE {
        let reply = s.get(&s.interests(), who).await;
        let expected: Vec<String> = match who {
            Who::Anonymous => {
                reply.assert_problem(401, "unauthorized");
                continue;
            }
            Who::Kenya | Who::Admin => vec![mine.clone(), theirs.clone()],
            Who::Provider => vec![mine.clone()],
            Who::Other => vec![theirs.clone()],
            Who::Sync | Who::Uganda => vec![],
        };
        assert_eq!(ids(&reply.assert_ok_json()), expected, "{who:?}");
        let reply = s.get(&s.interest(&mine), who).await;
        match who {
            Who::Kenya | Who::Admin | Who::Provider => {
                assert_eq!(id(&reply.assert_ok_json()), mine, "{who:?}");
            }
            Who::Other | Who::Sync | Who::Uganda => {
                reply.assert_problem(404, "not_found");
            }
            Who::Anonymous => unreachable!(),
        }
    }
    // An interest is found only under its own request.
    let mut body = assistance_request("KEN", "Another need");
    body["status"] = json!("open");
    let kenya = s.token(Who::Kenya).unwrap();
    let another = s
        .app
        .send_json(
            Method::POST,
            "/api/v1/assistance-requests",
            Some(&kenya),
            &body,
        )
        .await
        .json();
    let elsewhere = format!(
        "/api/v1/assistance-requests/{}/interests/{mine}",
        id(&another)
    );
    s.get(&elsewhere, Who::Admin)
        .await
        .assert_problem(404, "not_found");
    // A request the caller does not see (a draft) has no interests to list for it.
    let draft = s.draft_request("Draft need").await;
    let path = format!("/api/v1/assistance-requests/{draft}/interests");
    s.get(&path, Who::Provider)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        ids(&s.get(&path, Who::Kenya).await.assert_ok_json()),
        Vec::<String>::new()
    );
    // Conditional reads.
    let reply = s.get(&s.interest(&mine), Who::Kenya).await;
    let tag = reply.header("etag").unwrap().to_owned();
    let unchanged = s
        .app
        .send(
            Request::get()
                .uri(&s.interest(&mine))
                .insert_header((header::AUTHORIZATION, format!("Bearer {kenya}")))
                .insert_header((header::IF_NONE_MATCH, tag)),
        )
        .await;
    assert_eq!(unchanged.status, 304);
}

#[actix_web::test]
async fn who_accepts_declines_and_withdraws() {
    let s = Setting::new().await;
    let mine = s.expressed().await;
    let theirs = s.other_expressed().await;
    // Those who do not see the interest are told there is none; the provider sees it but does
    // not decide.
    for (who, status) in [
        (Who::Anonymous, 401),
        (Who::Sync, 404),
        (Who::Other, 404),
        (Who::Uganda, 404),
        (Who::Provider, 403),
    ] {
        for action in ["accept", "decline"] {
            let reply = s.act(&mine, action, who).await;
            assert_eq!(
                reply.status,
                status,
                "{action} by {who:?}: {}",
                reply.text()
            );
        }
    }
    // Only the provider (or admin) withdraws.
    for (who, status) in [
        (Who::Anonymous, 401),
        (Who::Sync, 404),
        (Who::Other, 404),
        (Who::Uganda, 404),
        (Who::Kenya, 403),
    ] {
        let reply = s.act(&mine, "withdraw", who).await;
        assert_eq!(
            reply.status,
            status,
            "withdraw by {who:?}: {}",
            reply.text()
        );
    }
    assert_eq!(s.request_status().await, "open", "nothing was decided");
    // Kenya declines the other's; it is no longer pending.
    let declined = s.act(&theirs, "decline", Who::Kenya).await.assert_ok_json();
    assert_eq!(declined["status"], "declined");
    s.act(&theirs, "accept", Who::Kenya)
        .await
        .assert_problem(409, "conflict");
    s.act(&theirs, "withdraw", Who::Other)
        .await
        .assert_problem(409, "conflict");
    // The provider withdraws its own.
    let withdrawn = s
        .act(&mine, "withdraw", Who::Provider)
        .await
        .assert_ok_json();
    assert_eq!(withdrawn["status"], "withdrawn");
    s.act(&mine, "accept", Who::Admin)
        .await
        .assert_problem(409, "conflict");
    assert_eq!(s.request_status().await, "open");
}

#[actix_web::test]
async fn who_makes_the_activity() {
    let s = Setting::new().await;
    let mine = s.expressed().await;
    s.act(&mine, "accept", Who::Kenya).await.assert_ok_json();
    let path = format!("{}/activity", s.interest(&mine));
    for (who, status) in [
        (Who::Anonymous, 401),
        (Who::Sync, 404),
        (Who::Other, 404),
        (Who::Uganda, 404),
    ] {
        let reply = s.send(Method::POST, &path, who, None).await;
        assert_eq!(reply.status, status, "{who:?}: {}", reply.text());
    }
    // A provider whose interest was declined sees it, and makes nothing of it.
    let s2 = Setting::new().await;
    let theirs = s2.other_expressed().await;
    let mine2 = s2.expressed().await;
    s2.act(&mine2, "accept", Who::Kenya).await.assert_ok_json();
    let path2 = format!("{}/activity", s2.interest(&theirs));
    s2.send(Method::POST, &path2, Who::Other, None)
        .await
        .assert_problem(409, "conflict");
    // The provider makes it.
    let reply = s.send(Method::POST, &path, Who::Provider, None).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
}

#[actix_web::test]
async fn what_an_interest_may_not_cite_or_answer() {
    let s = Setting::new().await;
    // An offer that does not exist, or that the caller does not see.
    let unknown = "01900000-0000-7000-8000-000000000000";
    let problem = s
        .express(Who::Provider, unknown)
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["pointer"], "/offer");
    assert_eq!(problem["errors"][0]["code"], "unknown_offer");
    // A draft offer (its own) and a closed one are not open.
    let provider = s.token(Who::Provider).unwrap();
    for status in ["draft", "closed"] {
        let mut body = offer(&format!("A {status} offer"));
        body["status"] = json!(status);
        let made = s
            .app
            .send_json(Method::POST, "/api/v1/offers", Some(&provider), &body)
            .await
            .json();
        let problem = s
            .express(Who::Provider, &id(&made))
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "/offer");
        assert_eq!(problem["errors"][0]["code"], "offer_not_open", "{status}");
        // Another's draft is as unknown.
        if status == "draft" {
            let problem = s
                .express(Who::Admin, &id(&made))
                .await
                .assert_problem(422, "validation_failed");
            assert_eq!(problem["errors"][0]["code"], "offer_not_open");
            let problem = s
                .express(Who::Other, &id(&made))
                .await
                .assert_problem(422, "validation_failed");
            assert_eq!(problem["errors"][0]["code"], "unknown_offer");
        }
    }
    // An offer that serves Asia only does not serve Kenya.
    let mut body = offer("Help for Asia");
    body["regions"] = json!(["142"]);
    let asia = s
        .app
        .send_json(Method::POST, "/api/v1/offers", Some(&provider), &body)
        .await
        .json();
    let problem = s
        .express(Who::Provider, &id(&asia))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["code"], "not_served");
    // Kenya's own offer, in Kenya's request.
    let kenya = s.token(Who::Kenya).unwrap();
    let own = s
        .app
        .send_json(
            Method::POST,
            "/api/v1/offers",
            Some(&kenya),
            &offer("Kenya's own experience"),
        )
        .await
        .json();
    let problem = s
        .express(Who::Kenya, &id(&own))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["code"], "own_offer");
    // A blank message.
    let reply = s
        .send(
            Method::POST,
            &s.interests(),
            Who::Provider,
            Some(&json!({"offer": s.offer, "message": "  "})),
        )
        .await;
    let problem = reply.assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["pointer"], "/message");
    // A body of another shape.
    s.send(
        Method::POST,
        &s.interests(),
        Who::Provider,
        Some(&json!({"offer": s.offer, "price": 1})),
    )
    .await
    .assert_problem(422, "invalid_body");
    // One interest per request and offer.
    let first = s.expressed().await;
    let problem = s
        .express(Who::Provider, &s.offer)
        .await
        .assert_problem(409, "conflict");
    assert!(problem["detail"].as_str().unwrap().contains(&first));
    // A request that is not open takes none: closed, matched; a draft is not seen.
    s.act(&first, "accept", Who::Kenya).await.assert_ok_json();
    s.express(Who::Other, &s.other_offer)
        .await
        .assert_problem(409, "conflict");
    let mut draft = assistance_request("KEN", "A draft need");
    draft["status"] = json!("draft");
    let draft = s
        .app
        .send_json(
            Method::POST,
            "/api/v1/assistance-requests",
            Some(&kenya),
            &draft,
        )
        .await
        .json();
    let path = format!("/api/v1/assistance-requests/{}/interests", id(&draft));
    let body = json!({"offer": s.other_offer});
    s.send(Method::POST, &path, Who::Other, Some(&body))
        .await
        .assert_problem(404, "not_found");
    s.send(Method::POST, &path, Who::Admin, Some(&body))
        .await
        .assert_problem(409, "conflict");
    // A stale version is refused.
    let s = Setting::new().await;
    let mine = s.expressed().await;
    let stale = s
        .app
        .send(
            Request::post()
                .uri(&format!("{}/accept", s.interest(&mine)))
                .insert_header((
                    header::AUTHORIZATION,
                    format!("Bearer {}", s.token(Who::Kenya).unwrap()),
                ))
                .insert_header((header::IF_MATCH, "\"7\"")),
        )
        .await;
    stale.assert_problem(412, "precondition_failed");
    // An offer closed since is not accepted.
    s.send(
        Method::PATCH,
        &format!("/api/v1/offers/{}", s.offer),
        Who::Provider,
        Some(&json!({"status": "closed"})),
    )
    .await
    .assert_ok_json();
    s.act(&mine, "accept", Who::Kenya)
        .await
        .assert_problem(409, "conflict");
}

#[actix_web::test]
async fn a_refused_step_writes_nothing() {
    let s = Setting::new().await;
    let mine = s.expressed().await;
    let theirs = s.other_expressed().await;
    let before = s.written().await;
    // Refused for who asks, for the state of things, for the input.
    s.act(&mine, "accept", Who::Provider)
        .await
        .assert_problem(403, "forbidden");
    s.act(&mine, "withdraw", Who::Kenya)
        .await
        .assert_problem(403, "forbidden");
    s.act(&mine, "decline", Who::Uganda)
        .await
        .assert_problem(404, "not_found");
    s.express(Who::Provider, &s.offer)
        .await
        .assert_problem(409, "conflict");
    s.express(Who::Other, &s.offer)
        .await
        .assert_problem(403, "forbidden");
    let path = format!("{}/activity", s.interest(&mine));
    s.send(Method::POST, &path, Who::Provider, None)
        .await
        .assert_problem(409, "conflict");
    // Kenya's State stakeholder is not registered by a refused interest either.
    let kenya_offer = "01900000-0000-7000-8000-000000000001";
    s.express(Who::Kenya, kenya_offer)
        .await
        .assert_problem(422, "validation_failed");
    s.send(
        Method::DELETE,
        &format!("/api/v1/assistance-requests/{}", s.request),
        Who::Kenya,
        None,
    )
    .await
    .assert_problem(409, "conflict");
    s.send(
        Method::DELETE,
        &format!("/api/v1/offers/{}", s.other_offer),
        Who::Other,
        None,
    )
    .await
    .assert_problem(409, "conflict");
    // The offer closed: accepting is refused after the interest, the request and the other
    // interests were read, before any of them is written.
    s.send(
        Method::PATCH,
        &format!("/api/v1/offers/{}", s.offer),
        Who::Admin,
        Some(&json!({"status": "closed"})),
    )
    .await
    .assert_ok_json();
    let closed = s.written().await;
    assert_ne!(closed, before, "the offer's change is written");
    s.act(&mine, "accept", Who::Kenya)
        .await
        .assert_problem(409, "conflict");
    assert_eq!(s.written().await, closed, "nothing is written by a refusal");
    assert_eq!(s.request_status().await, "open");
    for interest in [&mine, &theirs] {
        let seen = s
            .get(&s.interest(interest), Who::Admin)
            .await
            .assert_ok_json();
        assert_eq!(seen["status"], "pending");
        assert_eq!(seen["version"], 1);
    }
    let kenya_stakeholders = s.app.all("/api/v1/stakeholders?kind=state").await;
    assert!(kenya_stakeholders.is_empty(), "{kenya_stakeholders:?}");
}

#[actix_web::test]
async fn an_activity_names_only_a_request_and_an_offer_that_fit_it() {
    let s = Setting::new().await;
    let admin = s.app.admin_token();
    let body = s.activity_naming_both();
    // Until Kenya accepts the provider's interest, the provider's activity does not answer
    // Kenya's request; nor may another's activity deliver the provider's offer, even one the
    // provider is said to take part in.
    let problem = s
        .app
        .send_json(Method::POST, "/api/v1/activities", Some(&admin), &body)
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(
        problem["errors"][0]["pointer"], "/assistance_request",
        "{problem}"
    );
    assert_eq!(
        problem["errors"][0]["code"], "interest_not_accepted",
        "{problem}"
    );
    let interest = s.expressed().await;
    let reply = s.act(&interest, "accept", Who::Kenya).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let mut theirs = body.clone();
    theirs["submitter"] = json!(s.other);
    theirs["participants"] = json!([{"stakeholder": s.provider, "role": "funding"}]);
    let problem = s
        .app
        .send_json(Method::POST, "/api/v1/activities", Some(&admin), &theirs)
        .await
        .assert_problem(422, "validation_failed");
    let codes: Vec<(&str, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["pointer"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            ("/assistance_request", "interest_not_accepted"),
            ("/offer", "not_the_submitters")
        ],
        "{problem}"
    );
    let reply = s
        .app
        .send_json(Method::POST, "/api/v1/activities", Some(&admin), &body)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let made = reply.json();
    assert_eq!(made["assistance_request"], s.request.as_str());
    // Drafts: Kenya's own draft request, the provider's own draft offer.
    let draft_request = s.draft_request("A request still being written").await;
    let mut draft = offer("An offer still being written");
    draft["status"] = json!("draft");
    let provider = s.app.token(Role::Contributor, None, Some(&s.provider));
    let draft_offer = id(&s
        .app
        .send_json(Method::POST, "/api/v1/offers", Some(&provider), &draft)
        .await
        .json());
    // Unknown ones and drafts alike (no one cites a draft, and the answer tells nothing of
    // it); a request of a State not concerned; another stakeholder's offer.
    let unknown = "01900000-0000-7000-8000-000000000000";
    for (field, value, code) in [
        ("assistance_request", unknown, "unknown_assistance_request"),
        (
            "assistance_request",
            &draft_request,
            "unknown_assistance_request",
        ),
        ("offer", unknown, "unknown_offer"),
        ("offer", &draft_offer, "unknown_offer"),
        ("offer", s.other_offer.as_str(), "not_the_submitters"),
    ] {
        let mut wrong = upr_tc_tests::activity(&["KEN"], &format!("Wrong {field} {code}"));
        wrong["submitter"] = json!(s.provider);
        wrong[field] = json!(value);
        let problem = s
            .app
            .send_json(Method::POST, "/api/v1/activities", Some(&admin), &wrong)
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], format!("/{field}"));
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
    }
    let mut wrong = upr_tc_tests::activity(&["UGA"], "Not Kenya's");
    wrong["submitter"] = json!(s.provider);
    wrong["assistance_request"] = json!(s.request);
    let problem = s
        .app
        .send_json(Method::POST, "/api/v1/activities", Some(&admin), &wrong)
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["code"], "state_not_concerned");
    // The CSV export carries both, and reads back.
    let csv = s
        .app
        .send(
            Request::get()
                .uri("/api/v1/activities?limit=200")
                .insert_header((header::ACCEPT, "text/csv"))
                .insert_header((header::AUTHORIZATION, format!("Bearer {admin}"))),
        )
        .await;
    assert_eq!(csv.status, 200);
    let text = csv.text();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (request_at, offer_at) = (column("assistance_request"), column("offer"));
    assert_eq!(request_at, headers.len() - 2, "added at the end");
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!(&row[request_at], s.request.as_str());
    assert_eq!(&row[offer_at], s.offer.as_str());
    let reply = s
        .app
        .upload("/api/v1/bulk/activities", "text/csv", text.clone())
        .await;
    let report = reply.assert_ok_json();
    assert_eq!(report["rejected"], 0, "{report}");
    assert_eq!(report["created"], 0, "{report}");
    // A row naming another stakeholder's offer is refused, as the API refuses it.
    let changed = text.replace(&s.offer, &s.other_offer);
    let report = s
        .app
        .upload("/api/v1/bulk/activities?mode=partial", "text/csv", changed)
        .await
        .json();
    assert_eq!(report["rejected"], 1, "{report}");
}

/// A request and an offer that a public activity names stay public and their owners': a
/// PATCH, a PUT or a bulk upload that takes either back to draft or gives it to another is
/// refused, and writes nothing; closing them is how they end.
#[actix_web::test]
async fn a_request_and_an_offer_an_activity_names_stay_public_and_their_owners() {
    let s = Setting::new().await;
    let admin = s.app.admin_token();
    // The provider's activity delivers its offer; its interest answers Kenya's request.
    let mut body = s.activity_naming_both();
    body.as_object_mut().unwrap().remove("assistance_request");
    let activity = s.app.create("/api/v1/activities", &body).await;
    s.expressed().await;
    let offer_path = format!("/api/v1/offers/{}", s.offer);
    let request_path = format!("/api/v1/assistance-requests/{}", s.request);
    let draft = json!({"status": "draft"});
    for (path, who) in [(&offer_path, Who::Provider), (&request_path, Who::Kenya)] {
        let problem = s
            .send(Method::PATCH, path, who, Some(&draft))
            .await
            .assert_problem(409, "conflict");
        assert!(
            problem["detail"].as_str().unwrap().contains("stays public"),
            "{problem}"
        );
        let mut whole = s.get(path, who).await.assert_ok_json();
        for stored in ["id", "version", "created_at", "updated_at"] {
            whole.as_object_mut().unwrap().remove(stored);
        }
        whole["status"] = json!("draft");
        s.send(Method::PUT, path, who, Some(&whole))
            .await
            .assert_problem(409, "conflict");
        let seen = s.get(path, Who::Anonymous).await.assert_ok_json();
        assert_eq!(
            (seen["status"].as_str(), seen["version"].as_i64()),
            (Some("open"), Some(1))
        );
    }
    // The same rows uploaded as drafts, or the offer as another stakeholder's, by `admin`: the
    // cited ones are refused rows, the other offer (cited by nothing) is written.
    let export = |path: &'static str| {
        s.app.send(
            Request::get()
                .uri(&format!("{path}?limit=200"))
                .insert_header((header::ACCEPT, "text/csv"))
                .insert_header((header::AUTHORIZATION, format!("Bearer {admin}"))),
        )
    };
    let (offers, requests) = ("/api/v1/offers", "/api/v1/assistance-requests");
    let provider = (s.provider.as_str(), s.other.as_str());
    for (kind, (from, to), written) in [
        (offers, (",open,", ",draft,"), 1),
        (offers, provider, 0),
        (requests, (",open,", ",draft,"), 0),
    ] {
        let csv = export(kind).await.text();
        assert!(csv.contains(from), "{csv}");
        let report = s
            .app
            .upload(
                &format!("/api/v1/bulk/{}?mode=partial", &kind[8..]),
                "text/csv",
                csv.replace(from, to),
            )
            .await
            .assert_ok_json();
        assert_eq!(report["rejected"], 1, "{report}");
        assert_eq!(report["updated"], written, "{report}");
    }
    for path in [&offer_path, &request_path] {
        let seen = s.get(path, Who::Admin).await.assert_ok_json();
        assert_eq!(
            (seen["status"].as_str(), seen["version"].as_i64()),
            (Some("open"), Some(1))
        );
    }
    let other = s
        .get(&format!("/api/v1/offers/{}", s.other_offer), Who::Admin)
        .await
        .json();
    assert_eq!(
        other["status"], "draft",
        "an offer nobody cites may go back to draft"
    );
    // Closing is allowed, and the activity still names the offer.
    for (path, who) in [(&offer_path, Who::Provider), (&request_path, Who::Kenya)] {
        let reply = s
            .send(Method::PATCH, path, who, Some(&json!({"status": "closed"})))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    let seen = s
        .get(&format!("/api/v1/activities/{}", id(&activity)), Who::Admin)
        .await
        .assert_ok_json();
    assert_eq!(seen["offer"], s.offer.as_str());
}

/// A row of `interests` as SQL values, with one column's value replaced.
fn interest_row(row: &[(&'static str, String)], column: &str, value: &str) -> String {
    let (columns, values): (Vec<&str>, Vec<String>) = row
        .iter()
        .map(|(c, v)| {
            (
                *c,
                if *c == column {
                    value.to_owned()
                } else {
                    v.clone()
                },
            )
        })
        .unzip();
    format!(
        "INSERT INTO interests ({}) VALUES ({})",
        columns.join(", "),
        values.join(", ")
    )
}

#[actix_web::test]
async fn the_database_keeps_the_rules_of_interests() {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    let s = Setting::new().await;
    let accepted = s.expressed().await;
    s.act(&accepted, "accept", Who::Kenya)
        .await
        .assert_ok_json();
    let mut conn = s.app.service.state.pool.get().unwrap();
    let mut write = |sql: &str| -> Result<(), diesel::result::Error> {
        conn.transaction(|c| c.batch_execute(sql))
    };
    let quoted = |v: &str| format!("'{v}'");
    let row: Vec<(&'static str, String)> = vec![
        ("id", quoted("01a22a00-0000-7000-8000-000000000009")),
        ("assistance_request", quoted(&s.request)),
        ("offer", quoted(&s.other_offer)),
        ("stakeholder", quoted(&s.other)),
        ("status", quoted("pending")),
        ("message", "NULL".into()),
        ("activity", "NULL".into()),
        ("version", "1".into()),
        ("created_at", quoted("2026-11-29 00:00:00")),
        ("updated_at", quoted("2026-11-29 00:00:00")),
    ];
    let unknown = quoted("01a22a00-0000-7000-8000-0000000000ff");
    let refused = [
        (
            "a status the code does not write",
            interest_row(&row, "status", "'maybe'"),
        ),
        (
            "an id that is not a UUID in canonical form",
            interest_row(&row, "id", "'01A22A00-0000-7000-8000-000000000009'"),
        ),
        (
            "a request that does not exist",
            interest_row(&row, "assistance_request", &unknown),
        ),
        (
            "an offer that does not exist",
            interest_row(&row, "offer", &unknown),
        ),
        (
            "a provider that does not exist",
            interest_row(&row, "stakeholder", &unknown),
        ),
        (
            "a second interest citing the same offer in the request",
            interest_row(&row, "offer", &quoted(&s.offer)),
        ),
        (
            "a second accepted interest in the request",
            interest_row(&row, "status", "'accepted'"),
        ),
        (
            "an activity on an interest that is not accepted",
            interest_row(&row, "activity", &unknown),
        ),
        ("a version below 1", interest_row(&row, "version", "0")),
    ];
    for (what, sql) in &refused {
        assert!(write(sql).is_err(), "the database takes {what}: {sql}");
    }
    // The row with every value right is taken: the refusals were the rules' doing.
    let sql = interest_row(&row, "status", "'pending'");
    write(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    // The audit trail takes interests, and is append-only still.
    let entry = |entity: &str| {
        format!(
            "INSERT INTO audit_log (at, actor, role, entity, entity_id, operation, changes) \
             VALUES ('2026-11-29 00:00:00', 'tester', 'admin', '{entity}', \
             '01a22a00-0000-7000-8000-000000000009', 'create', '{{}}')"
        )
    };
    write(&entry("interest")).unwrap();
    assert!(write(&entry("wish")).is_err());
    assert!(write("DELETE FROM audit_log WHERE entity = 'interest'").is_err());
    assert!(write("UPDATE audit_log SET actor = 'someone else'").is_err());
    // An activity's facets name requests and offers by id.
    let facet = |facet: &str, value: &str| {
        format!(
            "INSERT INTO activity_facets (activity_seq, facet, value) \
             SELECT seq, '{facet}', '{value}' FROM activities LIMIT 1"
        )
    };
    let path = format!("{}/activity", s.interest(&accepted));
    let reply = s.send(Method::POST, &path, Who::Provider, None).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert!(write(&facet("offer", "not an id")).is_err());
    assert!(write(&facet("assistance_request", "not an id")).is_err());
    write(&facet("offer", "01a22a00-0000-7000-8000-0000000000ff")).unwrap();
    // Behind the code's own checks, a write the unique keys refuse is a conflict that says
    // which rule it breaks.
    use upr_tc::db::documents::WriteError;
    use upr_tc::db::interests;
    use upr_tc::domain::interest::InterestStatus;
    use upr_tc::domain::{Id, InterestId};
    let actor = upr_tc::db::audit::Actor::operator();
    let first = interests::get(&mut conn, accepted.parse().unwrap())
        .unwrap()
        .unwrap();
    let mut twin = first.clone();
    twin.stored.id = InterestId::new_v7();
    (twin.status, twin.activity) = (InterestStatus::Pending, None);
    match interests::insert(&mut conn, &actor, &twin) {
        Err(WriteError::Conflict(m)) => assert!(m.contains("offer is cited"), "{m}"),
        other => panic!("{other:?}"),
    }
    let pending = interests::get(
        &mut conn,
        "01a22a00-0000-7000-8000-000000000009".parse().unwrap(),
    )
    .unwrap()
    .unwrap();
    let mut second = pending.clone();
    second.status = InterestStatus::Accepted;
    second.stored.version += 1;
    match interests::update(&mut conn, &actor, &pending, &second) {
        Err(WriteError::Conflict(m)) => assert!(m.contains("accepted already"), "{m}"),
        other => panic!("{other:?}"),
    }
    // And an update of a version that is no longer current is stale.
    let mut late = first.clone();
    late.stored.version = 1;
    let mut later = late.clone();
    later.stored.version = 2;
    later.message = Some("late".into());
    match interests::update(&mut conn, &actor, &late, &later) {
        Err(WriteError::Stale { current }) => assert_eq!(current, first.stored.version),
        other => panic!("{other:?}"),
    }
}

/// A request is matched when, and only while, an interest in it is accepted: no write of its
/// status makes it matched, or re-opens it once one is, by the API or by a bulk upload.
#[actix_web::test]
async fn only_accepting_an_interest_makes_a_request_matched() {
    let s = Setting::new().await;
    let path = format!("/api/v1/assistance-requests/{}", s.request);
    // Admin writes a State's request with the reference of the State's own request.
    let status = |value: &str| json!({ "status": value, "reference": "Note verbale 12/2026" });
    let refused = |reply: Reply| {
        let problem = reply.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "/status", "{problem}");
        assert_eq!(problem["errors"][0]["code"], "status_not_allowed");
    };
    // Neither its State nor admin writes `matched`; nor is a request filed matched.
    for who in [Who::Kenya, Who::Admin] {
        refused(
            s.send(Method::PATCH, &path, who, Some(&status("matched")))
                .await,
        );
    }
    let mut body = assistance_request("KEN", "Filed as matched");
    body["status"] = json!("matched");
    refused(
        s.send(
            Method::POST,
            "/api/v1/assistance-requests",
            Who::Kenya,
            Some(&body),
        )
        .await,
    );
    // Accepted: matched, and closed when done, but not re-opened, not even after closing.
    let interest = s.expressed().await;
    s.act(&interest, "accept", Who::Kenya)
        .await
        .assert_ok_json();
    assert_eq!(s.request_status().await, "matched");
    for value in ["open", "draft"] {
        refused(
            s.send(Method::PATCH, &path, Who::Kenya, Some(&status(value)))
                .await,
        );
    }
    s.send(Method::PATCH, &path, Who::Kenya, Some(&status("closed")))
        .await
        .assert_ok_json();
    refused(
        s.send(Method::PATCH, &path, Who::Admin, Some(&status("open")))
            .await,
    );
    // A bulk upload is held to the same rule: its State's own export, re-opened, is refused.
    let csv = s
        .app
        .send(
            Request::get()
                .uri("/api/v1/assistance-requests?limit=200")
                .insert_header((header::ACCEPT, "text/csv"))
                .insert_header((
                    header::AUTHORIZATION,
                    format!("Bearer {}", s.token(Who::Kenya).unwrap()),
                )),
        )
        .await;
    assert_eq!(csv.status, 200);
    let text = csv.text();
    assert!(text.contains(",closed,"), "{text}");
    let reopened = text.replace(",closed,", ",open,");
    let bulk = "/api/v1/bulk/assistance-requests?mode=partial";
    let kenya = s.token(Who::Kenya).unwrap();
    let report = s
        .app
        .upload_as(bulk, "text/csv", reopened, Some(&kenya))
        .await
        .assert_ok_json();
    assert_eq!(report["rejected"], 1, "{report}");
    assert_eq!(report["updated"], 0, "{report}");
    assert!(
        report
            .to_string()
            .contains("an interest in this request was accepted"),
        "{report}"
    );
    // The export as it is reads back unchanged.
    let report = s
        .app
        .upload_as(bulk, "text/csv", text, Some(&kenya))
        .await
        .assert_ok_json();
    assert_eq!(report["rejected"], 0, "{report}");
    assert_eq!(s.request_status().await, "closed");
}

/// The annual report's matching summary of this year, as `code → value`, public or full.
async fn matching_summary(s: &Setting, full: bool) -> std::collections::BTreeMap<String, Value> {
    use chrono::Datelike;
    let year = chrono::Utc::now().year();
    let path = format!(
        "/api/v1/reports/annual/{year}/matching_summary{}",
        if full { "?scope=full" } else { "" }
    );
    let who = if full { Who::Admin } else { Who::Anonymous };
    let table = s.get(&path, who).await.assert_ok_json();
    assert_eq!(
        table["columns"],
        json!(["code", "label", "value", "previous_year"])
    );
    table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_str().unwrap().to_owned(), r[2].clone()))
        .collect()
}

#[actix_web::test]
async fn the_annual_report_counts_requests_offers_and_matches() {
    let s = Setting::new().await;
    // A draft is not opened; it counts in neither scope.
    s.draft_request("Not yet ready").await;
    // What is opened is public (a State's own request, open offers): the public figures are
    // the full ones.
    let request = format!("/api/v1/assistance-requests/{}", s.request);
    assert_eq!(s.get(&request, Who::Anonymous).await.status, 200);
    for offer in [&s.offer, &s.other_offer] {
        let path = format!("/api/v1/offers/{offer}");
        assert_eq!(s.get(&path, Who::Anonymous).await.status, 200);
    }
    let expect = |opened: u64, offers: u64, matched: u64, median: Value| {
        [
            ("median_days_to_match", median),
            ("offers_opened", json!(offers)),
            ("requests_matched", json!(matched)),
            ("requests_opened", json!(opened)),
        ]
        .map(|(k, v)| (k.to_owned(), v))
        .into()
    };
    for full in [true, false] {
        assert_eq!(
            matching_summary(&s, full).await,
            expect(1, 2, 0, Value::Null)
        );
    }
    // An interest is pending, then accepted: decided now, and the request matched the day it
    // opened.
    let interest = s.expressed().await;
    let pending = s.get(&s.interest(&interest), Who::Kenya).await;
    assert_eq!(pending.assert_ok_json()["decided_at"], Value::Null);
    let accepted = s
        .act(&interest, "accept", Who::Kenya)
        .await
        .assert_ok_json();
    assert!(accepted["decided_at"].is_string(), "{accepted}");
    for full in [true, false] {
        assert_eq!(
            matching_summary(&s, full).await,
            expect(1, 2, 1, json!(0.0))
        );
    }
}
