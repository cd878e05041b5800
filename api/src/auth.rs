//! Who is calling: bearer tokens (JWT), the keys that verify them, and the extractors handlers
//! use. Tokens are verified with an HS256 secret (minted by `upr-tc token`) and/or with RS256 /
//! ES256 public keys from a JWKS file of an external identity provider. The key is chosen by the
//! token's algorithm and never the other way round, so a token signed with a public key as an
//! HMAC secret (algorithm confusion) and `alg: none` fail like any wrong signature.

use std::future::{Ready, ready};
use std::io::Write;
use std::path::Path;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, http::header, web};
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::JwtSettings;
use crate::domain::CountryCode;
use crate::domain::StakeholderId;
pub use crate::domain::caller::{Caller, Role};
use crate::error::ApiError;

/// The claims of a token, as signed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stakeholder: Option<String>,
    pub iss: String,
    pub aud: Audience,
    pub iat: i64,
    pub exp: i64,
}

/// The `aud` claim: one value, or several (RFC 7519 §4.1.3), as identity providers send it.
/// Verification needs this service's audience among them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

struct VerifyingKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

/// Verifies tokens and, when it holds the HS256 secret, mints them.
pub struct Keys {
    encoding: Option<EncodingKey>,
    verifying: Vec<VerifyingKey>,
    issuer: String,
    audience: String,
    leeway: u64,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("can_mint", &self.encoding.is_some())
            .field("verifying_keys", &self.verifying.len())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

/// Name of the generated secret in the data folder.
pub const SECRET_FILE: &str = "jwt-secret";

impl Keys {
    /// The configured keys, for minting tokens outside the service (`upr-tc token`): as
    /// [`Keys::load`], except that a secret the service keeps in its data folder must already
    /// be there. One made here would not be the service's, and the service would refuse every
    /// token signed with it; the error says where it looked and how to point it at the
    /// service's. `upr-tc serve` and `upr-tc migrate` make it.
    pub fn load_existing(settings: &JwtSettings, data_dir: Option<&Path>) -> anyhow::Result<Self> {
        if let (None, None, Some(dir)) = (&settings.secret, &settings.jwks_path, data_dir) {
            let path = dir.join(SECRET_FILE);
            if !path.exists() {
                bail!(
                    "no token secret at {}: tokens are signed with the service's secret, which \
                     `upr-tc serve` or `upr-tc migrate` keeps beside its SQLite database. Run this \
                     where the service runs, set DATABASE_URL to the service's database, or set \
                     UPR_TC_JWT_SECRET to the service's secret",
                    path.display()
                );
            }
        }
        Self::load(settings, data_dir)
    }

    /// Loads the configured keys. `data_dir` is the SQLite data folder: when no secret and no
    /// JWKS are configured there, a random secret is generated once and kept in it.
    pub fn load(settings: &JwtSettings, data_dir: Option<&Path>) -> anyhow::Result<Self> {
        let secret = match (&settings.secret, &settings.jwks_path, data_dir) {
            (Some(secret), _, _) => Some(secret.clone()),
            (None, None, Some(dir)) => Some(secret_in(dir)?),
            (None, None, None) => bail!(
                "no token keys configured: set UPR_TC_JWT_SECRET (HS256) or UPR_TC_JWT_JWKS \
                 (a JWKS file of your identity provider)"
            ),
            (None, Some(_), _) => None,
        };
        let mut verifying = Vec::new();
        let mut encoding = None;
        if let Some(secret) = secret {
            if secret.len() < 32 {
                bail!("UPR_TC_JWT_SECRET must be at least 32 characters long");
            }
            verifying.push(VerifyingKey {
                kid: None,
                algorithm: Algorithm::HS256,
                key: DecodingKey::from_secret(secret.as_bytes()),
            });
            encoding = Some(EncodingKey::from_secret(secret.as_bytes()));
        }
        if let Some(path) = &settings.jwks_path {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the JWKS file {}", path.display()))?;
            let set: JwkSet = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a JWKS document", path.display()))?;
            for jwk in &set.keys {
                let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
                    (AlgorithmParameters::RSA(_), None) => Algorithm::RS256,
                    (AlgorithmParameters::EllipticCurve(p), None)
                        if p.curve == EllipticCurve::P256 =>
                    {
                        Algorithm::ES256
                    }
                    (_, Some(alg)) => format!("{alg:?}")
                        .parse::<Algorithm>()
                        .with_context(|| format!("unsupported key algorithm {alg:?} in JWKS"))?,
                    _ => bail!("JWKS key {:?} is neither RSA nor P-256", jwk.common.key_id),
                };
                if !matches!(algorithm, Algorithm::RS256 | Algorithm::ES256) {
                    bail!(
                        "JWKS key {:?} uses {algorithm:?}; only RS256 and ES256 are accepted",
                        jwk.common.key_id
                    );
                }
                verifying.push(VerifyingKey {
                    kid: jwk.common.key_id.clone(),
                    algorithm,
                    key: DecodingKey::from_jwk(jwk).context("unusable key in JWKS")?,
                });
            }
            if set.keys.is_empty() {
                bail!("the JWKS file {} holds no keys", path.display());
            }
        }
        Ok(Self {
            encoding,
            verifying,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            leeway: settings.leeway,
        })
    }

    /// Verifies a token and the claims its role requires.
    pub fn verify(&self, token: &str) -> Result<Caller, ApiError> {
        let unauthorized =
            |why: &str| ApiError::Unauthorized(format!("The bearer token is not accepted: {why}."));
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| unauthorized("it is not a well-formed JWT"))?;
        let candidates = self
            .verifying
            .iter()
            .filter(|k| k.algorithm == header.alg)
            .filter(|k| match (&header.kid, &k.kid) {
                (Some(wanted), Some(have)) => wanted == have,
                _ => true,
            });
        let mut last_error = "no key of this service verifies its algorithm";
        for key in candidates {
            let mut validation = Validation::new(key.algorithm);
            validation.algorithms = vec![key.algorithm];
            validation.set_issuer(&[&self.issuer]);
            validation.set_audience(&[&self.audience]);
            validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
            // `nbf` is checked when present; both it and `exp` allow the configured skew.
            validation.validate_nbf = true;
            validation.leeway = self.leeway;
            match jsonwebtoken::decode::<Claims>(token, &key.key, &validation) {
                Ok(data) => return caller_from(data.claims).map_err(|why| unauthorized(&why)),
                Err(e) => {
                    use jsonwebtoken::errors::ErrorKind as K;
                    last_error = match e.kind() {
                        K::ExpiredSignature => "it has expired",
                        K::ImmatureSignature => "it is not valid yet (`nbf`)",
                        K::InvalidIssuer => "it was issued by another issuer",
                        K::InvalidAudience => "it is meant for another audience",
                        K::InvalidSignature => "its signature does not verify",
                        K::MissingRequiredClaim(_) => "a required claim is missing",
                        K::Json(_) => "its claims are malformed",
                        _ => "it cannot be verified",
                    };
                    if !matches!(e.kind(), K::InvalidSignature) {
                        // Only a bad signature can be another key's token; the rest are final.
                        break;
                    }
                }
            }
        }
        Err(unauthorized(last_error))
    }

    /// Signs a token with the HS256 secret.
    pub fn mint(
        &self,
        role: Role,
        subject: &str,
        state: Option<&str>,
        stakeholder: Option<&str>,
        ttl: chrono::Duration,
    ) -> anyhow::Result<String> {
        let Some(key) = &self.encoding else {
            bail!("tokens can only be minted with an HS256 secret (UPR_TC_JWT_SECRET)");
        };
        let now = Utc::now();
        let claims = Claims {
            sub: subject.to_owned(),
            role,
            state: state.map(str::to_owned),
            stakeholder: stakeholder.map(str::to_owned),
            iss: self.issuer.clone(),
            aud: Audience::One(self.audience.clone()),
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
        };
        // Refuse to mint what verification would refuse.
        caller_from(claims.clone()).map_err(|why| anyhow::anyhow!("{why}"))?;
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            key,
        )?)
    }
}

fn caller_from(claims: Claims) -> Result<Caller, String> {
    let state = match (&claims.role, &claims.state) {
        (Role::State, None) => return Err("role `state` needs a `state` claim".into()),
        (Role::State, Some(code)) => Some(
            CountryCode::parse_state(code)
                .map_err(|_| format!("`state` claim `{code}` is not the ISO alpha-3 code of a UN member or observer State"))?,
        ),
        (_, _) => None,
    };
    let stakeholder = match (&claims.role, &claims.stakeholder) {
        (Role::Contributor, None) => {
            return Err("role `contributor` needs a `stakeholder` claim".into());
        }
        (Role::Contributor, Some(id)) => Some(
            id.parse::<StakeholderId>()
                .map_err(|_| format!("`stakeholder` claim `{id}` is not a stakeholder id"))?,
        ),
        (_, _) => None,
    };
    if claims.sub.trim().is_empty() {
        return Err("the `sub` claim is empty".into());
    }
    Ok(Caller {
        subject: claims.sub,
        role: claims.role,
        state,
        stakeholder,
        issuer: claims.iss,
        expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or_default(),
    })
}

/// Reads the secret kept in the data folder, creating it (owner-readable only) the first time.
/// It is written whole into a file of its own, then put in place only if no other process put
/// one there first (`persist_noclobber`): processes started together on a new installation all
/// read the same secret, never a file another has made but not yet written.
fn secret_in(dir: &Path) -> anyhow::Result<String> {
    let path = dir.join(SECRET_FILE);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(existing.trim().to_owned());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let bytes: [u8; 32] = rand::random();
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    // Made owner-readable only (`tempfile`'s files are, on Unix).
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    file.write_all(secret.as_bytes())?;
    match file.persist_noclobber(&path) {
        Ok(_) => {
            tracing::info!(path = %path.display(), "generated a token secret for this installation");
            Ok(secret)
        }
        // Another process put its own first: use theirs.
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(&path)?.trim().to_owned())
        }
        Err(e) => Err(e.error).with_context(|| format!("cannot write {}", path.display())),
    }
}

/// The caller, when the request carries a token; `None` for anonymous requests. A token that
/// is present but not valid is a 401, never silently anonymous.
#[derive(Debug, Clone)]
pub struct Identity(pub Option<Caller>);

impl Identity {
    /// The caller, or a 401 for an anonymous request.
    pub fn required(self) -> Result<Caller, ApiError> {
        self.0.ok_or_else(token_needed)
    }
}

/// The 401 of an anonymous request for what needs a token.
pub fn token_needed() -> ApiError {
    ApiError::Unauthorized("This operation needs a bearer token (Authorization: Bearer …).".into())
}

/// The longest `Authorization` header read: far more than any real token, and it is refused
/// before any decoding. (A request head beyond actix-http's own buffer, 128 KiB, or with more
/// than 96 headers is answered by actix-http itself — 431 or 400 without a body — before any
/// middleware of this service runs, so that answer cannot be a problem document.)
pub const MAX_AUTHORIZATION: usize = 8 * 1024;

fn identify(req: &HttpRequest) -> Result<Identity, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(Identity(None));
    };
    if value.len() > MAX_AUTHORIZATION {
        return Err(ApiError::Unauthorized(format!(
            "The Authorization header is longer than the {MAX_AUTHORIZATION} bytes a token may take."
        )));
    }
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("The Authorization header is not readable.".into()))?;
    let token = match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            token.trim()
        }
        _ => {
            return Err(ApiError::Unauthorized(
                "The Authorization header must be `Bearer <token>`.".into(),
            ));
        }
    };
    let keys = req.app_data::<web::Data<Keys>>().ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!("token keys are not configured in the app"))
    })?;
    keys.verify(token).map(|caller| Identity(Some(caller)))
}

/// The identity [`authenticate`] established, or one established now.
fn identity_of(req: &HttpRequest) -> Result<Identity, ApiError> {
    match req.extensions().get::<Identity>() {
        Some(identity) => Ok(identity.clone()),
        None => identify(req),
    }
}

impl FromRequest for Identity {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(identity_of(req))
    }
}

/// A handler argument that requires a valid token.
impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(identity_of(req).and_then(Identity::required))
    }
}

/// Verifies the token of every request that carries one, before any route runs: a bad token
/// is a 401 everywhere, also where anonymous callers are welcome, so a client learns at once
/// that its credentials are wrong instead of silently seeing less.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // `/metrics` has a bearer token of its own, which is no JWT (`crate::metrics::Access`).
    if req.path() == "/metrics" {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    match identify(req.request()) {
        Ok(identity) => {
            req.extensions_mut().insert(identity);
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        // A refused token counts against its address's budget, as an anonymous request would,
        // and its answer says what is left of it.
        Err(err) => Ok(crate::ratelimit::refused_token(req, err)),
    }
}
