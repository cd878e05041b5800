//! Bearer tokens: what is accepted, and every way a token is refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;
use upr_tc::auth::Role;
use upr_tc_tests::{AUDIENCE, ISSUER, SECRET, TestApp, fixture, json};

fn claims(role: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"sub": "someone", "role": role, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600})
}

fn sign(claims: &Value, alg: Algorithm, kid: Option<&str>, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

fn hs256(claims: &Value) -> String {
    sign(
        claims,
        Algorithm::HS256,
        None,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
}

fn rs256(claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(fixture("keys/rsa-private.pem").as_bytes()).unwrap();
    sign(claims, Algorithm::RS256, Some("test-rsa"), &key)
}

fn es256(claims: &Value) -> String {
    let key = EncodingKey::from_ec_pem(fixture("keys/ec-private.pem").as_bytes()).unwrap();
    sign(claims, Algorithm::ES256, Some("test-ec"), &key)
}

fn with_jwks(secret: bool) -> TestApp {
    TestApp::spawn_with(|s| {
        s.jwt.jwks_path =
            Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/keys/jwks.json"));
        if !secret {
            s.jwt.secret = None;
        }
    })
}

async fn assert_refused(app: &TestApp, token: &str) -> Value {
    let reply = app.get_as("/api/v1/me", token).await;
    let body = reply.assert_problem(401, "unauthorized");
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Bearer realm=\"upr-tc\"")
    );
    body
}

#[actix_web::test]
async fn me_returns_the_callers_identity_for_each_role() {
    let app = TestApp::spawn();
    let stakeholder = uuid::Uuid::now_v7().to_string();
    for (role, state, org) in [
        (Role::Admin, None, None),
        (Role::Sync, None, None),
        (Role::State, Some("KEN"), None),
        (Role::Contributor, None, Some(stakeholder.as_str())),
    ] {
        let me = app
            .get_as("/api/v1/me", &app.token(role, state, org))
            .await
            .assert_ok_json();
        assert_eq!(me["subject"], "tester");
        assert_eq!(me["role"], serde_json::to_value(role).unwrap());
        assert_eq!(me["state"], json!(state));
        assert_eq!(me["stakeholder"], json!(org));
        assert_eq!(me["issuer"], ISSUER);
        assert!(me["expires_at"].as_str().unwrap().ends_with('Z'));
    }
}

#[actix_web::test]
async fn an_anonymous_call_to_me_is_a_401() {
    let app = TestApp::spawn();
    app.get("/api/v1/me")
        .await
        .assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn a_state_token_names_its_state_in_lower_case_too() {
    let app = TestApp::spawn();
    let mut c = claims("state");
    c["state"] = json!("ken");
    let me = app.get_as("/api/v1/me", &hs256(&c)).await.assert_ok_json();
    assert_eq!(me["state"], "KEN");
}

#[actix_web::test]
async fn tokens_that_are_refused() {
    let app = TestApp::spawn();
    let now = chrono::Utc::now().timestamp();
    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut expired = claims("admin");
    expired["iat"] = json!(now - 7200);
    expired["exp"] = json!(now - 3600);
    cases.push(("expired", expired));
    let mut issuer = claims("admin");
    issuer["iss"] = json!("someone-else");
    cases.push(("wrong issuer", issuer));
    let mut audience = claims("admin");
    audience["aud"] = json!("another-api");
    cases.push(("wrong audience", audience));
    let mut no_exp = claims("admin");
    no_exp.as_object_mut().unwrap().remove("exp");
    cases.push(("no expiry", no_exp));
    cases.push(("state without state claim", claims("state")));
    let mut bad_state = claims("state");
    bad_state["state"] = json!("XXX");
    cases.push(("state claim that is no State", bad_state));
    let mut territory = claims("state");
    territory["state"] = json!("GRL");
    cases.push(("state claim that is a territory", territory));
    cases.push(("contributor without stakeholder", claims("contributor")));
    let mut bad_org = claims("contributor");
    bad_org["stakeholder"] = json!("not-an-id");
    cases.push(("contributor with a malformed stakeholder", bad_org));
    let mut bad_role = claims("admin");
    bad_role["role"] = json!("superuser");
    cases.push(("unknown role", bad_role));
    for (why, c) in cases {
        let reply = app.get_as("/api/v1/me", &hs256(&c)).await;
        assert_eq!(reply.status, 401, "{why}: {}", reply.text());
        reply.assert_problem(401, "unauthorized");
    }
}

#[actix_web::test]
async fn a_token_signed_with_another_secret_is_refused() {
    let app = TestApp::spawn();
    let key = EncodingKey::from_secret(b"another-secret-another-secret-another");
    let body = assert_refused(&app, &sign(&claims("admin"), Algorithm::HS256, None, &key)).await;
    assert!(
        body["detail"].as_str().unwrap().contains("signature"),
        "{body}"
    );
}

#[actix_web::test]
async fn alg_none_is_refused() {
    let app = TestApp::spawn();
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims("admin").to_string());
    assert_refused(&app, &format!("{header}.{payload}.")).await;
    let forged = hs256(&claims("admin"));
    let signature = forged.rsplit('.').next().unwrap();
    assert_refused(&app, &format!("{header}.{payload}.{signature}")).await;
}

#[actix_web::test]
async fn malformed_authorization_headers_are_refused() {
    let app = TestApp::spawn();
    for value in [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer not.a.jwt",
        "Bearer a.b",
    ] {
        let reply = app
            .send(
                upr_tc_tests::Request::get()
                    .uri("/api/v1/me")
                    .insert_header(("Authorization", value)),
            )
            .await;
        reply.assert_problem(401, "unauthorized");
    }
}

#[actix_web::test]
async fn a_bad_token_is_refused_even_where_anonymous_callers_are_welcome() {
    let app = TestApp::spawn();
    let reply = app.get_as("/api/v1/reference/cycles", "garbage").await;
    reply.assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn rs256_and_es256_tokens_from_a_jwks_are_accepted() {
    let app = with_jwks(false);
    let me = app
        .get_as("/api/v1/me", &rs256(&claims("sync")))
        .await
        .assert_ok_json();
    assert_eq!(me["role"], "sync");
    let me = app
        .get_as("/api/v1/me", &es256(&claims("admin")))
        .await
        .assert_ok_json();
    assert_eq!(me["role"], "admin");
}

#[actix_web::test]
async fn without_a_secret_hs256_tokens_are_refused() {
    let app = with_jwks(false);
    assert_refused(&app, &hs256(&claims("admin"))).await;
}

#[actix_web::test]
async fn algorithm_confusion_is_refused() {
    // The attacker signs HS256 with the RSA public key, which is public, as the HMAC secret.
    let public = fixture("keys/rsa-public.pem");
    let forged = sign(
        &claims("admin"),
        Algorithm::HS256,
        Some("test-rsa"),
        &EncodingKey::from_secret(public.as_bytes()),
    );
    assert_refused(&with_jwks(false), &forged).await;
    assert_refused(&with_jwks(true), &forged).await;
}

#[actix_web::test]
async fn an_rs256_token_with_the_wrong_key_id_or_key_is_refused() {
    let app = with_jwks(true);
    let key = EncodingKey::from_rsa_pem(fixture("keys/rsa-private.pem").as_bytes()).unwrap();
    // Signed by the RSA key but presented as the EC key's.
    assert_refused(
        &app,
        &sign(&claims("admin"), Algorithm::RS256, Some("test-ec"), &key),
    )
    .await;
    // An RS256 token whose payload was changed after signing.
    let token = rs256(&claims("sync"));
    let parts: Vec<&str> = token.split('.').collect();
    let payload = URL_SAFE_NO_PAD.encode(claims("admin").to_string());
    assert_refused(&app, &format!("{}.{payload}.{}", parts[0], parts[2])).await;
}

#[test]
fn minting_refuses_what_verification_would_refuse() {
    let keys = upr_tc_tests::keys(Some(SECRET), false);
    let hour = chrono::Duration::hours(1);
    assert!(keys.mint(Role::State, "x", None, None, hour).is_err());
    assert!(
        keys.mint(Role::State, "x", Some("XYZ"), None, hour)
            .is_err()
    );
    assert!(keys.mint(Role::Contributor, "x", None, None, hour).is_err());
    let token = keys
        .mint(Role::State, "x", Some("KEN"), None, hour)
        .unwrap();
    let caller = keys.verify(&token).unwrap();
    assert_eq!(caller.state.unwrap().as_str(), "KEN");
    let jwks_only = upr_tc_tests::keys(None, true);
    assert!(
        jwks_only.mint(Role::Admin, "x", None, None, hour).is_err(),
        "no secret, no minting"
    );
}

#[test]
fn a_short_secret_is_refused_at_start() {
    let settings = upr_tc::config::JwtSettings {
        secret: Some("too-short".into()),
        jwks_path: None,
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        leeway: upr_tc::config::DEFAULT_JWT_LEEWAY,
    };
    assert!(upr_tc::auth::Keys::load(&settings, None).is_err());
}

#[test]
fn the_generated_secret_is_kept_and_private() {
    let dir = tempfile::tempdir().unwrap();
    let settings = upr_tc::config::JwtSettings {
        secret: None,
        jwks_path: None,
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        leeway: upr_tc::config::DEFAULT_JWT_LEEWAY,
    };
    let first = upr_tc::auth::Keys::load(&settings, Some(dir.path())).unwrap();
    let token = first
        .mint(Role::Admin, "x", None, None, chrono::Duration::hours(1))
        .unwrap();
    let second = upr_tc::auth::Keys::load(&settings, Some(dir.path())).unwrap();
    assert!(second.verify(&token).is_ok(), "a restart keeps the secret");
    let path = dir.path().join(upr_tc::auth::SECRET_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // On PostgreSQL (no data folder) nothing is generated: a cluster must share one key.
    assert!(upr_tc::auth::Keys::load(&settings, None).is_err());
}

#[actix_web::test]
async fn an_audience_array_is_accepted_when_it_names_this_service() {
    let app = TestApp::spawn();
    let mut token = claims("admin");
    token["aud"] = json!(["another-api", AUDIENCE]);
    let me = app
        .get_as("/api/v1/me", &hs256(&token))
        .await
        .assert_ok_json();
    assert_eq!(me["role"], "admin");
    token["aud"] = json!(["another-api", "a-third-api"]);
    let body = assert_refused(&app, &hs256(&token)).await;
    assert!(
        body["detail"].as_str().unwrap().contains("audience"),
        "{body}"
    );
    token["aud"] = json!([]);
    assert_refused(&app, &hs256(&token)).await;
}

#[actix_web::test]
async fn not_before_and_expiry_are_checked_with_the_configured_leeway() {
    let app = TestApp::spawn_with(|s| s.jwt.leeway = 30);
    let now = chrono::Utc::now().timestamp();
    let at = |nbf: Option<i64>, exp: i64| {
        let mut c = claims("admin");
        c["exp"] = json!(now + exp);
        if let Some(nbf) = nbf {
            c["nbf"] = json!(now + nbf);
        }
        hs256(&c)
    };
    let body = assert_refused(&app, &at(Some(600), 1200)).await;
    assert!(
        body["detail"].as_str().unwrap().contains("not valid yet"),
        "{body}"
    );
    // Within the leeway: a clock a little behind or ahead is not the caller's fault.
    app.get_as("/api/v1/me", &at(Some(10), 600))
        .await
        .assert_ok_json();
    app.get_as("/api/v1/me", &at(None, -10))
        .await
        .assert_ok_json();
    let body = assert_refused(&app, &at(None, -120)).await;
    assert!(
        body["detail"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    // With no leeway, a token expired ten seconds ago is refused.
    let strict = TestApp::spawn_with(|s| s.jwt.leeway = 0);
    assert_refused(&strict, &at(None, -10)).await;
}

#[actix_web::test]
async fn an_oversized_authorization_header_is_a_problem_without_being_decoded() {
    let app = TestApp::spawn();
    let huge = format!("Bearer {}", "A".repeat(64 * 1024));
    let reply = app
        .send(
            upr_tc_tests::Request::get()
                .uri("/api/v1/me")
                .insert_header(("Authorization", huge)),
        )
        .await;
    let body = reply.assert_problem(401, "unauthorized");
    assert!(
        body["detail"].as_str().unwrap().contains("longer than"),
        "{body}"
    );
    assert!(reply.body.len() < 1024);
}
