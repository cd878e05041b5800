//! `Idempotency-Key` on `POST`: a client that retries a request (a timeout, a dropped
//! connection) with the same key and the same body within 24 hours gets the first answer again
//! and nothing is written twice; the same key with another body is a 422 problem. Keys belong
//! to the caller (the token's issuer, subject, role and claims, or the address of an anonymous
//! caller).
//!
//! The body is hashed as it streams to the handler, so bulk uploads keep their flat memory.
//! Only successful answers are kept: a refused request wrote nothing, and its retry runs again
//! (and is refused again, or succeeds if what was wrong has been put right). While the first
//! request with a key runs, a second one with that key is a 409 problem (`request_in_progress`).
//!
//! Only callers with a token: anonymous callers write nothing (their one `POST`, resolving
//! country names, is a lookup), so their key is ignored and nothing is kept for them. An
//! answer larger than `UPR_TC_IDEMPOTENCY_ANSWER_LIMIT` is not kept, but its key stays taken:
//! a retry is a 409 problem (`answer_not_kept`) saying that the first request succeeded, never
//! the write run a second time.
//!
//! A claim names the process that made it (`db::process_id`) and when. A request that never
//! answered (its process was killed) must not hold its key for a day: a claim older than the
//! claim timeout is taken over, and a starting service clears the claims of processes that are
//! gone (on PostgreSQL those whose process has no connection left; on SQLite, served by one
//! process, every claim but its own). On PostgreSQL a retry that finds its key claimed by such
//! a process takes that one claim over at once (`db::idempotency::claim`). That is safe only for a request that wrote nothing: each
//! transaction a keyed request commits marks its key written in the same transaction
//! (`db::idempotency::Marking`), and the retry of a request that wrote and never answered is a
//! 409 (`answer_not_kept`), never the write carried out again. Bulk uploads are not marked:
//! a partial upload commits batch after batch, and its retry, finding the rows committed
//! unchanged, carries out the rest.

use std::sync::{Arc, Mutex};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use chrono::Utc;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::auth::Identity;
use crate::db::DbConnection;
use crate::db::idempotency::{self as keys, Claim, Key, Stored};
use crate::digest::hex;
use crate::error::{ApiError, ApiResult};
use crate::http::with_db;
use crate::startup::AppState;

pub const HEADER: &str = "Idempotency-Key";
/// Said on a replayed answer.
pub const REPLAYED: &str = "Idempotent-Replayed";
const KEPT_HOURS: i64 = 24;
/// The answer headers replayed with the body.
const KEPT_HEADERS: [header::HeaderName; 3] =
    [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

/// A request's claim on a key: this process's id and a number of its own, so that a request
/// whose claim was taken over cannot overwrite or forget the claim of the one that took it.
fn new_claim() -> String {
    format!(
        "{}:{}",
        crate::db::process_id(),
        uuid::Uuid::now_v7().simple()
    )
}

fn claim(
    conn: &mut DbConnection,
    key: &Key,
    req: (&str, &str),
    mine: &str,
    claim_timeout: std::time::Duration,
) -> diesel::QueryResult<Claim> {
    let now = Utc::now();
    let kept_since = now - chrono::Duration::hours(KEPT_HOURS);
    // A claim older than any request runs belongs to a request that will never answer.
    let stale = now - chrono::Duration::from_std(claim_timeout).unwrap_or(chrono::Duration::MAX);
    keys::claim(conn, key, req, mine, kept_since, stale)
}

pub use keys::clear_orphaned_claims;

tokio::task_local! {
    /// The claim of the keyed request whose handler runs on this task ([`carry_out`]).
    static KEYED: keys::Marking;
}

/// The claim of the keyed request whose handler calls, for its database work to mark its key
/// written as it commits (`http::run_on`); `None` outside one.
pub fn marking() -> Option<keys::Marking> {
    KEYED.try_with(Clone::clone).ok()
}

/// Runs `work` (a keyed request's handler) so that the writes it commits through `http::with_db`
/// mark `marking`'s key written.
pub async fn keyed<T>(marking: keys::Marking, work: impl std::future::Future<Output = T>) -> T {
    KEYED.scope(marking, work).await
}

/// Gives up a request's claim on `key` (its answer is not kept). When the database refuses
/// (its disk full, its write lock held past the timeout), the claim joins the ones the service
/// tries again every second until each is given up or would have timed out anyway: else a
/// retry, told to come back, would be refused as `request_in_progress` for the whole claim
/// timeout.
async fn release(state: &web::Data<AppState>, key: Key, mine: String) {
    let (k, m) = (key.clone(), mine.clone());
    let forget = move |conn: &mut DbConnection| Ok(keys::release(conn, &k, &m)?);
    let Err(e) = with_db(state, forget).await else {
        return;
    };
    tracing::warn!(error = %e, "an Idempotency-Key's claim could not be given up; trying again");
    state.unreleased.push(state, key, mine);
}

/// The claims a request could not give up as it answered, tried again by one task at a time,
/// each try on one connection, however many there are.
#[derive(Default)]
pub struct Unreleased {
    claims: Mutex<Vec<(Key, String, std::time::Instant)>>,
    trying: std::sync::atomic::AtomicBool,
}

impl Unreleased {
    fn push(&self, state: &web::Data<AppState>, key: Key, mine: String) {
        let until = std::time::Instant::now() + state.idempotency_claim_timeout;
        if let Ok(mut claims) = self.claims.lock() {
            claims.push((key, mine, until));
        }
        if self.trying.swap(true, std::sync::atomic::Ordering::AcqRel) {
            return;
        }
        let state = state.clone();
        actix_web::rt::spawn(async move {
            loop {
                actix_web::rt::time::sleep(std::time::Duration::from_secs(1)).await;
                let now = std::time::Instant::now();
                let claims: Vec<_> = match state.unreleased.claims.lock() {
                    Ok(mut claims) => std::mem::take(&mut *claims)
                        .into_iter()
                        .filter(|(_, _, until)| *until > now)
                        .collect(),
                    Err(_) => Vec::new(),
                };
                // Kept when no connection could be had, to be tried again.
                let tried = claims.clone();
                let left = with_db(&state, move |conn| {
                    let mut left = Vec::new();
                    // Once the database refuses one, the rest wait for the next try
                    // rather than each wait out the lock's timeout.
                    let mut refused = false;
                    for (key, mine, until) in claims {
                        refused = refused || keys::release(conn, &key, &mine).is_err();
                        if refused {
                            left.push((key, mine, until));
                        }
                    }
                    Ok(left)
                })
                .await
                .unwrap_or(tried);
                let Ok(mut claims) = state.unreleased.claims.lock() else {
                    return;
                };
                claims.extend(left);
                if claims.is_empty() {
                    state
                        .unreleased
                        .trying
                        .store(false, std::sync::atomic::Ordering::Release);
                    return tracing::info!("the claims that could not be given up are given up");
                }
            }
        });
    }
}

/// Reads the whole body, only to hash it.
async fn hash_all(mut payload: Payload, limit: usize) -> ApiResult<String> {
    let mut hasher = Sha256::new();
    let mut read = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(
                "unreadable_body",
                format!("The body could not be read: {e}"),
            )
        })?;
        read += chunk.len();
        if read > limit {
            return Err(ApiError::PayloadTooLarge(format!(
                "The body is larger than the {limit} bytes this service takes."
            )));
        }
        hasher.update(&chunk);
    }
    Ok(hex(&hasher.finalize()))
}

fn replay(stored: &Stored) -> HttpResponse {
    let status = stored
        .status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    let headers: Vec<(String, String)> = stored
        .headers
        .as_deref()
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    for (name, value) in headers {
        res.insert_header((name, value));
    }
    res.insert_header((REPLAYED, "true"));
    res.body(stored.body.clone().unwrap_or_default())
}

/// A successful answer: read to be kept, or passed on unread when it says it is too large.
enum Answer {
    Read(bytes::Bytes),
    Unread(BoxBody),
}

/// Whether the `POST`s of `path` write nothing (the reference data's look-ups): a retry of
/// one is safe as it is, and a key sent with one is ignored rather than its answer kept, so
/// that a caller cannot fill the table with answers of look-ups (425 KB each, thousands a
/// minute).
pub fn writes_nothing(path: &str) -> bool {
    path.starts_with("/api/v1/reference/")
}

/// Whether a request is a bulk upload's dry run (`?dry_run=true`, as the bulk uploads read it),
/// which writes nothing: its key is ignored and its answer not kept, like a look-up's, so that a
/// caller cannot fill the table with dry runs' reports (a thousand errors listed, hundreds of
/// kilobytes each, for a day).
fn dry_run(path: &str, query: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct DryRun {
        dry_run: Option<bool>,
    }
    bulk(path) && web::Query::<DryRun>::from_query(query).is_ok_and(|q| q.dry_run == Some(true))
}

/// Whether `path` is a bulk upload's, whose writes are not marked (see the module).
fn bulk(path: &str) -> bool {
    path.starts_with("/api/v1/bulk/")
}

/// The path a request is routed by: with what it escaped needlessly read as itself
/// (`/api/v1/%72eference/…` is routed to `/api/v1/reference/…`), so that no spelling of a
/// route escapes what is decided here by its path.
fn routed(req: &ServiceRequest) -> &str {
    req.match_info().as_str()
}

/// Handles `Idempotency-Key` on `POST`. Runs after `auth::authenticate`.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().unwrap_or("").to_owned());
    let (Some(key), true) = (
        key,
        req.method() == Method::POST && !writes_nothing(routed(&req)),
    ) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // A key that does not read is refused wherever the contract takes one, also where it is
    // ignored (a dry run, an anonymous caller): the client meant something by it.
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Ok(req.error_response(ApiError::bad_request(
            "invalid_idempotency_key",
            "`Idempotency-Key` must be 1 to 255 visible ASCII characters, e.g. a UUID.",
        )));
    }
    if dry_run(routed(&req), req.query_string()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    // Only callers with a token write, so only they need safe retries. An anonymous caller's
    // key is ignored and its answer not kept: anonymous callers cannot fill the table.
    // The whole identity: one subject holding tokens of two roles (an officer who is also an
    // admin) must not be answered one role's answer under the other.
    let caller = req
        .extensions()
        .get::<Identity>()
        .and_then(|i| i.0.as_ref())
        .map(|c| {
            format!(
                "{}|{}|{:?}|{}|{}",
                c.issuer,
                c.subject,
                c.role,
                c.state.as_ref().map(|s| s.as_str()).unwrap_or(""),
                c.stakeholder.map(|s| s.to_string()).unwrap_or_default()
            )
        });
    let Some(caller) = caller else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // From its claim on, the request runs to its end on a task of its own, its answer kept or
    // its claim given up, even when its client goes away meanwhile: a write it began commits
    // all the same (on the blocking pool), and a retry must find its answer, not a claim no
    // one gives up for an hour (`UPR_TC_IDEMPOTENCY_CLAIM_TIMEOUT`). A claim made here and
    // dropped with this middleware, its client gone before the request ran, would be that.
    // In the request's span: what the handler logs names the request.
    // A stop that cuts it, its claim included, says so (`crate::stop`).
    let counted = req
        .extensions()
        .get::<crate::stop::Counted>()
        .cloned()
        .unwrap_or_default();
    let mut working = crate::stop::Working::of_request(&state.stop, crate::stop::KEYED, counted);
    let run = actix_web::rt::spawn(tracing::Instrument::instrument(
        async move {
            let answer = claim_and_carry_out(state, Key { caller, key }, req, next).await;
            working.done();
            answer
        },
        tracing::Span::current(),
    ));
    match run.await {
        Ok(answer) => answer,
        Err(e) => Err(ApiError::internal(anyhow::anyhow!("the request's task failed: {e}")).into()),
    }
}

/// Claims `key` for the request, and carries it out; or answers a retry from what the first
/// request left.
async fn claim_and_carry_out<B: MessageBody + 'static>(
    state: web::Data<AppState>,
    key: Key,
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // The query is part of what the request asks (`?dry_run=true`, `?mode=atomic`).
    let path = req
        .uri()
        .path_and_query()
        .map_or(req.path(), |p| p.as_str());
    let (method, path) = (req.method().to_string(), path.to_owned());
    let mine = new_claim();
    let claimed = {
        let (key, method, path, mine) = (key.clone(), method.clone(), path.clone(), mine.clone());
        let timeout = state.idempotency_claim_timeout;
        with_db(&state, move |conn| {
            let claimed = claim(conn, &key, (&method, &path), &mine, timeout)?;
            #[cfg(feature = "failpoints")]
            crate::held::by_test(&format!("claimed {}", key.key));
            Ok(claimed)
        })
        .await
    };
    let stored = match claimed {
        Ok(Claim::New) => None,
        Ok(Claim::Seen(stored)) => Some(stored),
        Err(e) => return Ok(req.error_response(e)),
    };
    if let Some(stored) = stored {
        let Some(first_hash) = &stored.body_hash else {
            tracing::debug!(since = %stored.created_at, by = ?stored.claimed_by, "idempotency key in use");
            return Ok(req.error_response(ApiError::InProgress(
                "A request with this `Idempotency-Key` is still running; retry when it has answered."
                    .into(),
            )));
        };
        // Read no further than its route takes: a retry is hashed whole only to be compared.
        let limit = if bulk(routed(&req)) {
            state.bulk_limit
        } else {
            state.json_limit
        };
        let payload = req.take_payload();
        let hash = match hash_all(payload, limit).await {
            Ok(hash) => hash,
            Err(e) => return Ok(req.error_response(e)),
        };
        if *first_hash != hash || stored.method != method || stored.path != path {
            return Ok(req.error_response(ApiError::Unprocessable {
                code: "idempotency_key_reused",
                detail: "This `Idempotency-Key` was used for another request (another body, \
                         route or query) in the last 24 hours; use a new key for a new request."
                    .into(),
                errors: vec![],
            }));
        }
        if stored.status.is_none() {
            let stale = Utc::now()
                - chrono::Duration::from_std(state.idempotency_claim_timeout)
                    .unwrap_or(chrono::Duration::MAX);
            if !keys::is_lost(&stored, stale) {
                return Ok(req.error_response(ApiError::InProgress(
                    "A request with this `Idempotency-Key` is still running; retry when it has \
                     answered."
                        .into(),
                )));
            }
            return Ok(req.error_response(ApiError::AnswerNotKept(
                "The first request with this `Idempotency-Key` wrote what it was sent, but its \
                 answer is not kept (the service stopped before it answered, or the request \
                 failed after it wrote); it is not carried out twice. Read the result (e.g. the \
                 list it wrote to) instead."
                    .into(),
            )));
        }
        if stored.body.is_none() {
            return Ok(req.error_response(ApiError::AnswerNotKept(
                "The first request with this `Idempotency-Key` succeeded, but its answer was too \
                 large to keep, so it is not answered again; it is not carried out twice either. \
                 Read the result (e.g. the list it wrote to) instead."
                    .into(),
            )));
        }
        let (http, _) = req.into_parts();
        return Ok(ServiceResponse::new(http, replay(&stored)));
    }

    carry_out(state, key, mine, req, next).await
}

/// Carries out a request that claimed a new key: the handler runs, hashing the body as it
/// reads it; a successful answer is kept for retries (or, too large, its key stays taken), a
/// refused one gives the claim up.
async fn carry_out<B: MessageBody + 'static>(
    state: web::Data<AppState>,
    key: Key,
    mine: String,
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path_of_bulk = bulk(routed(&req));
    // Hash the body as the handler reads it.
    let hasher = Arc::new(Mutex::new(Sha256::new()));
    let feeding = hasher.clone();
    // The hash of what the handler has read of the body so far: all of it by the time it
    // writes or answers.
    let body_hash: Arc<dyn Fn() -> String + Send + Sync> = Arc::new(move || {
        hasher
            .lock()
            .map(|h| hex(&h.clone().finalize()))
            .unwrap_or_default()
    });
    let payload = req.take_payload().map(move |chunk| {
        if let Ok(bytes) = &chunk
            && let Ok(mut h) = feeding.lock()
        {
            h.update(bytes);
        }
        chunk
    });
    req.set_payload(Payload::Stream {
        payload: Box::pin(payload),
    });
    // Its writes mark the key written as they commit; a bulk upload's do not (see the module).
    let handled = next.call(req);
    let res = if path_of_bulk {
        handled.await
    } else {
        let marking = keys::Marking {
            key: key.clone(),
            mine: mine.clone(),
            body_hash: body_hash.clone(),
        };
        keyed(marking, handled).await
    }?
    .map_into_boxed_body();
    let status = res.status();
    if !status.is_success() {
        release(&state, key, mine).await;
        return Ok(res);
    }
    let (http, res) = res.into_parts();
    let headers: Vec<(String, String)> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let value = res.headers().get(name)?.to_str().ok()?;
            Some((name.to_string(), value.to_owned()))
        })
        .collect();
    let (head, body) = res.into_parts();
    let limit = state.idempotency_answer_limit;
    let known_too_large =
        matches!(body.size(), actix_web::body::BodySize::Sized(n) if n > limit as u64);
    let answer = if known_too_large {
        Answer::Unread(body)
    } else {
        match actix_web::body::to_bytes(body).await {
            Ok(bytes) => Answer::Read(bytes),
            Err(_) => {
                release(&state, key, mine).await;
                return Ok(ServiceResponse::new(
                    http,
                    HttpResponse::from_error(ApiError::internal(anyhow::anyhow!(
                        "the answer could not be read to keep it for retries"
                    ))),
                ));
            }
        }
    };
    let hash = body_hash();
    // An answer too large to keep is not kept, but the key stays taken: a retry of a write that
    // succeeded must not write again, so it is told the first request succeeded
    // (`answer_not_kept`).
    let kept = match &answer {
        Answer::Read(b) if b.len() <= limit => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    };
    let answer_kept = keys::Answer {
        body_hash: hash,
        status: i32::from(status.as_u16()),
        headers: serde_json::to_string(&headers).unwrap_or_default(),
        body: kept,
    };
    let (retry_key, retry_mine) = (key.clone(), mine.clone());
    if let Err(e) = with_db(&state, move |conn| {
        Ok(keys::keep(conn, &key, &mine, answer_kept)?)
    })
    .await
    {
        // Given up, so that a retry is told at once what happened (`answer_not_kept` when the
        // request wrote), not that the request still runs.
        tracing::warn!(error = %e, "an answer could not be kept for retries");
        release(&state, retry_key, retry_mine).await;
    }
    let res = match answer {
        Answer::Read(bytes) => head.set_body(bytes).map_into_boxed_body(),
        Answer::Unread(body) => head.set_body(body),
    };
    Ok(ServiceResponse::new(http, res))
}
