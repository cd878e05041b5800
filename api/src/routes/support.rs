//! What every resource's handlers share: cursors, ETags and `If-Match`, parameters, and
//! (from `http`) running database work off the async workers.

use crate::app::Expected;
use actix_web::ResponseError;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};

use crate::cursor::Kind;
use crate::db::Position;
use crate::domain::CountryCode;
use crate::error::{ApiError, ApiResult, FieldError, MERGE_PATCH};
pub use crate::http::{
    spare_read_connection, with_db, with_item_db, with_read_db, with_read_db_on,
};
use crate::reference::{RegionalGroup, reference};
use crate::startup::AppState;

/// An item by its id as stored, for an item every caller may see all of (recommendations),
/// sent as it is stored: kept while the data is unchanged (`app::kept`), so that the same item
/// asked again is not read again; else read (and kept when it is there). An item whose view
/// depends on the caller is kept typed ([`kept_by_id`]) and its view made for each request.
pub async fn stored_by_id<D: crate::db::documents::Document>(
    state: &actix_web::web::Data<AppState>,
    id: D::Id,
) -> ApiResult<Option<std::sync::Arc<crate::db::documents::StoredDocument>>>
where
    D::Id: Send + 'static,
{
    kept_by_id(
        state,
        format!("{}\u{1}{id}", D::TABLE.table),
        |item: &crate::db::documents::StoredDocument| item.document.len(),
        move |conn| crate::db::documents::get_stored::<D>(conn, id),
    )
    .await
}

/// What `read` gives, kept under `key` while the data is unchanged (`app::kept`), weighed at
/// `size` bytes and the size of `T`: the same item asked again is not read again. Whoever may
/// see the item, and what of it, is for the caller to decide at each request, as for one read
/// from the database: the store holds items whole, never one caller's view.
pub async fn kept_by_id<T: Send + Sync + 'static>(
    state: &actix_web::web::Data<AppState>,
    key: String,
    size: impl FnOnce(&T) -> usize,
    read: impl FnOnce(&mut crate::db::DbConnection) -> diesel::QueryResult<Option<T>> + Send + 'static,
) -> ApiResult<Option<std::sync::Arc<T>>> {
    // The version is taken before the read: a write committed between the two moves it, so
    // what is kept under it is never older than the data it names (`db::watch`).
    let version = state.watch.version();
    if let Some(version) = version
        && let Some(kept) = state.kept.items.get(&key, version)
    {
        return Ok(Some(kept));
    }
    let read = with_item_db(state, move |conn| Ok(read(conn)?))
        .await?
        .map(std::sync::Arc::new);
    if let (Some(version), Some(item)) = (version, &read) {
        // The key is weighed by `put`.
        let size = std::mem::size_of::<T>() + size(item);
        state.kept.items.put(key, version, item.clone(), size);
    }
    Ok(read)
}

/// What an item kept by [`kept_by_id`] weighs: the bytes of its JSON.
pub fn kept_size<T: serde::Serialize>(item: &T) -> usize {
    serde_json::to_vec(item).map_or(0, |json| json.len())
}

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;
/// How deep a ranked search (`q`) pages: a page starts among its first 1,000 results. Every
/// page of a ranked search ranks every match and skips those before it, so a deeper cursor
/// costs more for each page; a caller who wants more narrows the search.
pub const MAX_SEARCH_DEPTH: i64 = 1_000;

/// How long a client may keep an answer that changes only with a new release (reference data,
/// the contract) before it asks again with its `ETag`.
pub const RELEASE_MAX_AGE: u32 = 3600;

/// For answers that change only with a new release (reference data): a weak `ETag` of the
/// body, `Cache-Control: public` for [`RELEASE_MAX_AGE`] seconds, and a 304 when
/// `If-None-Match` names the tag ([`release_answer`]). Only a 200 is tagged; the bodies are
/// small and held whole.
pub async fn release_cached(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse, actix_web::Error> {
    // Reads only: a look-up posted (`/countries/resolve`) answers for its body, not the release.
    let read = matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    );
    let res = next.call(req).await?;
    if !read || res.status() != actix_web::http::StatusCode::OK {
        return Ok(res.map_into_boxed_body());
    }
    let (req, res) = res.into_parts();
    let (res, body) = res.into_parts();
    let body = actix_web::body::to_bytes(body).await.map_err(|e| {
        let e: Box<dyn std::error::Error> = e.into();
        ApiError::internal(anyhow::anyhow!("an answer to cache: {e}"))
    })?;
    let tag = format!("W/\"{}\"", crate::digest::tag(&body, 12));
    let res = release_answer(&req, &tag, || res.set_body(body).map_into_boxed_body());
    Ok(actix_web::dev::ServiceResponse::new(req, res))
}

/// An answer that changes only with a new release, tagged `tag`: a 304 when the client holds
/// it, else `answer()` with the tag; `Cache-Control: public` for [`RELEASE_MAX_AGE`] seconds
/// either way.
pub fn release_answer(
    req: &HttpRequest,
    tag: &str,
    answer: impl FnOnce() -> HttpResponse,
) -> HttpResponse {
    let mut res = not_modified(req, tag).unwrap_or_else(|| {
        let mut res = answer();
        res.headers_mut().insert(
            header::ETAG,
            header::HeaderValue::from_str(tag).expect("a tag is a header value"),
        );
        res
    });
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_str(&format!("public, max-age={RELEASE_MAX_AGE}"))
            .expect("a header value"),
    );
    res
}

/// `value` as a JSON answer tagged by its body (weak with `weak`: a representation computed
/// for the caller, strong for an item that never changes), or a 304 when the client holds it.
pub fn tagged_json(
    req: &HttpRequest,
    value: &impl serde::Serialize,
    weak: bool,
) -> ApiResult<HttpResponse> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    let tag = body_tag(&body, weak);
    if let Some(unchanged) = not_modified(req, &tag) {
        return Ok(unchanged);
    }
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, tag))
        .body(body))
}

/// The ETag of a JSON answer tagged by its body ([`tagged_json`]).
pub fn body_tag(body: &[u8], weak: bool) -> String {
    let digest = crate::digest::tag(body, 8);
    if weak {
        format!("W/\"{digest}\"")
    } else {
        format!("\"{digest}\"")
    }
}

/// Whether the client already holds this representation (`If-None-Match` names its ETag, or
/// `*`), in which case the answer is a 304 without a body; or asks for it only as a version it
/// no longer is (`If-Match` naming other tags, RFC 9110 §13.1.1), in which case the answer is a
/// 412. Both compare tags weak or strong alike, as a write's `If-Match` does ([`expected`]): a
/// compressed answer's tag is the weak form of the item's (`compression`).
pub fn not_modified(req: &HttpRequest, etag: &str) -> Option<HttpResponse> {
    let bare = entity_tags(etag)?.pop()?;
    // On a write, `If-Match` is the write's (`expected`), held to the version it changes.
    let read = matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    );
    if let Some(value) = req.headers().get(header::IF_MATCH).filter(|_| read) {
        let value = value.to_str().unwrap_or("").trim();
        let held = value == "*" || entity_tags(value).is_some_and(|tags| tags.contains(&bare));
        if !held {
            return Some(
                ApiError::PreconditionFailed(format!(
                    "`If-Match` names a version this is not: it is now {etag}."
                ))
                .error_response(),
            );
        }
    }
    let value = req
        .headers()
        .get(header::IF_NONE_MATCH)?
        .to_str()
        .ok()?
        .trim();
    // Weak comparison (RFC 9110 §8.8.3.2), as `If-None-Match` asks; a value that is not a
    // list of tags holds none.
    let held = value == "*" || entity_tags(value).is_some_and(|tags| tags.contains(&bare));
    held.then(|| {
        HttpResponse::NotModified()
            .insert_header((header::ETAG, etag.to_owned()))
            .finish()
    })
}

/// A page of a list: the JSON body with a weak `ETag` (of the body: a client polling an
/// unchanged page gets a 304), and the next page's address in a `Link: rel="next"` header as
/// well as in `next_cursor`.
pub fn page<T: serde::Serialize>(
    req: &HttpRequest,
    body: T,
    next_cursor: Option<&str>,
) -> HttpResponse {
    page_json(
        req,
        serde_json::to_vec(&body).expect("pages serialise"),
        next_cursor,
    )
}

/// A page written by hand as JSON, `{"items":[…],"next_cursor":…}`: its items are written as
/// they come (stored documents copied as they are), then it waits for its next cursor. Lists
/// and the change feed (which adds `has_more`) write their pages with it.
pub struct PageBody(Vec<u8>);

impl PageBody {
    /// The items, each written by `write`, into room for `capacity` bytes.
    pub fn of<T>(
        capacity: usize,
        items: impl IntoIterator<Item = T>,
        mut write: impl FnMut(&mut Vec<u8>, T),
    ) -> Self {
        let mut out = Vec::with_capacity(capacity);
        out.extend_from_slice(b"{\"items\":[");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write(&mut out, item);
        }
        out.extend_from_slice(b"],\"next_cursor\":");
        Self(out)
    }

    /// The page, ended by its next cursor (`null` on the last page) and, where given,
    /// `has_more`.
    pub fn finish(self, next_cursor: Option<&str>, has_more: Option<bool>) -> Vec<u8> {
        let mut out = self.0;
        serde_json::to_writer(&mut out, &next_cursor).expect("a cursor serialises");
        match has_more {
            Some(true) => out.extend_from_slice(b",\"has_more\":true"),
            Some(false) => out.extend_from_slice(b",\"has_more\":false"),
            None => {}
        }
        out.push(b'}');
        out
    }
}

/// [`page`] of a body already written as JSON.
pub fn page_json(req: &HttpRequest, json: Vec<u8>, next_cursor: Option<&str>) -> HttpResponse {
    let tag = format!("W/\"{}\"", crate::digest::tag(&json, 12));
    if let Some(unchanged) = not_modified(req, &tag) {
        return unchanged;
    }
    let mut response = HttpResponse::Ok();
    // The same address answers CSV, NDJSON or XML when `Accept` asks (`routes::export`).
    response
        .content_type("application/json")
        .insert_header((header::ETAG, tag))
        .insert_header((header::VARY, "Accept"));
    if let Some(cursor) = next_cursor {
        response.insert_header((header::LINK, next_link(req, "cursor", cursor)));
    }
    response.body(json)
}

/// The `Link` header's value naming the next page: this request's address with `param` (the
/// page's position) set to `position`, its other parameters as they are.
pub fn next_link(req: &HttpRequest, param: &str, position: &str) -> String {
    let mut query: Vec<&str> = req
        .query_string()
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some(param))
        .collect();
    let position = format!("{param}={position}");
    query.push(&position);
    format!("<{}?{}>; rel=\"next\"", req.path(), query.join("&"))
}

/// The cursor of a position, opaque (`crate::cursor`): clients pass back what they were given,
/// and a cursor that is not one this installation gave out is a 400.
/// A cursor names its list (`scope`), and another list refuses it as a 400 rather than read it
/// as a position of its own (an empty page, which a client takes for the end).
pub fn encode_cursor(state: &AppState, scope: &str, position: Position) -> Option<String> {
    match position {
        Position::Start => None,
        Position::After(seq) => Some(state.cursors.encode_for(Kind::After, scope, seq)),
        // Past the last page a ranked search serves, where more were found: a cursor the next
        // request is told of with a 400 `search_too_deep` (a client that pages learns that it
        // has not had every match, rather than taking the last page served for the end).
        Position::Offset(n) | Position::Ranked { at: n, .. } if n >= MAX_SEARCH_DEPTH => {
            Some(state.cursors.encode_for(Kind::Offset, scope, n))
        }
        Position::Offset(n) => Some(state.cursors.encode_for(Kind::Offset, scope, n)),
        Position::Ranked { at, upto } => Some(match upto.checked_mul(RANKS) {
            Some(n) => state.cursors.encode_for(Kind::Ranked, scope, n + at),
            None => state.cursors.encode_for(Kind::Offset, scope, at),
        }),
    }
}

/// A ranked search's cursor holds its rank and the last item it ranks in one number:
/// `upto * RANKS + at`, ranks being fewer than [`MAX_SEARCH_DEPTH`].
const RANKS: i64 = 1_024;
const _: () = assert!(MAX_SEARCH_DEPTH < RANKS);

/// What a list's cursors carry ([`encode_cursor`], [`decode_cursor`]): the list (`list`, with
/// the item it is of where it has one) and the parameters its request asks with but those of
/// where its page starts, how many it holds and how it is written (`cursor`, `limit`,
/// `format`), as sent, in the order of their names. A cursor then goes on only through the
/// list its first page asked for: followed with the same parameters (`next_cursor`, the `Link`
/// header), whatever build of the service answers each page; given with other filters or
/// another `q`, it is a 400 rather than a page of another list read from where the first
/// stopped.
pub fn list_scope(list: &str, req: &actix_web::HttpRequest) -> String {
    let mut asked: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    asked.retain(|(name, _)| !matches!(name.as_str(), "cursor" | "limit" | "format"));
    asked.sort();
    format!(
        "{list}?{}",
        serde_urlencoded::to_string(&asked).unwrap_or_default()
    )
}

pub fn decode_cursor(state: &AppState, scope: &str, cursor: Option<&str>) -> ApiResult<Position> {
    let Some(cursor) = cursor else {
        return Ok(Position::Start);
    };
    // A list's cursors name its filters after a `?` (`export::Paging`); one given out before
    // they did names the list alone, and is taken with any.
    let list = scope.split_once('?').map_or(scope, |(list, _)| list);
    match state.cursors.decode_in_any(cursor, &[scope, list]) {
        Some((Kind::After, seq)) => Ok(Position::After(seq)),
        Some((Kind::Offset, n)) => within_depth(n).map(Position::Offset),
        Some((Kind::Ranked, n)) => within_depth(n % RANKS).map(|at| Position::Ranked {
            at,
            upto: n / RANKS,
        }),
        Some((Kind::Feed | Kind::Below, _)) | None => Err(ApiError::invalid_parameter(
            "cursor",
            "is not a cursor this service gave out for this list with these filters (a cursor \
             goes on through the list its first page's filters and `q` asked for: ask the \
             first page again for others)",
        )),
    }
}

/// A rank a ranked search's cursor may name: one before [`MAX_SEARCH_DEPTH`].
fn within_depth(at: i64) -> ApiResult<i64> {
    if at < MAX_SEARCH_DEPTH {
        return Ok(at);
    }
    Err(ApiError::BadRequest {
        code: "search_too_deep",
        detail: format!(
            "A ranked search pages through its first {MAX_SEARCH_DEPTH} results; \
             narrow it with more words or with filters."
        ),
        errors: vec![crate::error::FieldError::new(
            "/cursor",
            "too_deep",
            format!("must be a position before {MAX_SEARCH_DEPTH}"),
        )],
    })
}

pub fn limit(limit: Option<i64>) -> ApiResult<i64> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid_parameter(
            "limit",
            format!("must be from 1 to {MAX_LIMIT}"),
        )),
    }
}

/// A strong ETag of a version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// `If-Match` and `If-None-Match`, as the contract declares them on every write to one item
/// (read by [`expected`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // Read from the request by `expected`; declared here for the contract.
pub struct IfMatch {
    /// The ETag last read: the write is refused (412) if the item has changed since
    #[param(
        rename = "If-Match",
        nullable = false,
        pattern = r#"^[ \t]*(\*|((W/)?"[^"]*"|[ \t]*,)([ \t]*,[ \t]*((W/)?"[^"]*")?)*)?[ \t]*$"#
    )]
    if_match: Option<String>,
    /// ETags the item must not have: the write is refused (412) if it has one of them, and
    /// always for `*` (the item exists)
    #[param(rename = "If-None-Match", nullable = false)]
    if_none_match: Option<String>,
}

/// `If-None-Match` and `If-Match`, as the contract declares them on every read that has an
/// ETag ([`not_modified`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // Compared by the ETag helpers; declared here for the contract.
pub struct IfNoneMatch {
    /// The ETag last read: 304 if what it names is unchanged
    #[param(rename = "If-None-Match", nullable = false)]
    if_none_match: Option<String>,
    /// The answer only as this version (its weak ETag too): 412 if it is another
    #[param(rename = "If-Match", nullable = false)]
    if_match: Option<String>,
}

/// The opaque parts of a list of entity tags (`"3", W/"4-public"` → `3`, `4-public`), weak or
/// strong alike; `None` for a value that is not such a list. A list may hold empty elements
/// (RFC 9110 §5.6.1), and a tag may hold a comma: the list is read tag by tag, not split at
/// commas.
fn entity_tags(value: &str) -> Option<Vec<&str>> {
    let mut tags = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return Some(tags);
        }
        let inner = rest.strip_prefix("W/").unwrap_or(rest).strip_prefix('"')?;
        let end = inner.find('"')?;
        tags.push(&inner[..end]);
        rest = inner[end + 1..].trim_start_matches([' ', '\t']);
        if !(rest.is_empty() || rest.starts_with(',')) {
            return None;
        }
    }
}

/// What a write asks of the item's version (RFC 9110 §13.1): the versions `If-Match` names
/// (`*`: any; entity tags this service did not give, and a list of none, name no version, so
/// match nothing: 412), and those `If-None-Match` names (`*`: an item that exists, which the
/// item written always is: 412). A value of `If-Match` that is not entity tags at all (`3`,
/// `"3`, `""3"`) is a 400 rather than a 412 saying the item changed; one of `If-None-Match`
/// holds none, as on a read.
pub fn expected(req: &HttpRequest) -> ApiResult<Expected> {
    let header = |name| {
        req.headers()
            .get(name)
            .map(|v| v.to_str().unwrap_or("").trim())
    };
    let versions = |tags: Vec<&str>| -> Vec<i64> {
        tags.iter()
            .filter_map(|tag| tag.split('-').next()?.parse().ok())
            .collect()
    };
    let one_of = match header(header::IF_MATCH) {
        None | Some("*") => None,
        Some(value) => {
            let tags = entity_tags(value).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_if_match",
                    "`If-Match` must be `*` or entity tags in double quotes as `ETag` gives \
                     them (`\"3\"`), separated by commas.",
                )
            })?;
            Some(versions(tags))
        }
    };
    let (none_of, no_item) = match header(header::IF_NONE_MATCH) {
        None => (vec![], false),
        Some("*") => (vec![], true),
        Some(value) => (entity_tags(value).map(versions).unwrap_or_default(), false),
    };
    Ok(Expected {
        one_of,
        none_of,
        no_item,
    })
}

/// A replacement's content and the condition it is written under: the item as a read gave it
/// may be sent back, whose `id` must be the one replaced (`id`) and whose `version` stands for
/// `If-Match` when that header is not sent.
pub fn replacement<C>(
    req: &HttpRequest,
    id: uuid::Uuid,
    given: crate::domain::json::AsGiven<C>,
) -> ApiResult<(C, Expected)> {
    if let Some(named) = given.id
        && named != id
    {
        return Err(ApiError::validation(vec![FieldError::new(
            "/id",
            "id_mismatch",
            format!("is another item's id than the one replaced ({id})"),
        )]));
    }
    let mut expected = expected(req)?;
    if !req.headers().contains_key(header::IF_MATCH) {
        expected.one_of = given.version.map(|version| vec![version]);
    }
    Ok((given.content, expected))
}

/// A `PATCH` body is a JSON merge patch (RFC 7396), sent as `application/merge-patch+json`
/// (or plain JSON); a JSON Patch (RFC 6902, `application/json-patch+json`) is a 415 naming
/// the format this service takes, not a 422 about its shape.
pub fn merge_patch_only(req: &HttpRequest) -> ApiResult<()> {
    let json_patch = req
        .mime_type()
        .ok()
        .flatten()
        .is_some_and(|m| m.essence_str().eq_ignore_ascii_case(JSON_PATCH));
    if json_patch {
        return Err(ApiError::UnsupportedPatch(format!(
            "`PATCH` takes a JSON merge patch (RFC 7396): send `Content-Type: {MERGE_PATCH}`, \
             an object of the fields to change (`null` removes an optional one); JSON Patch \
             ({JSON_PATCH}) is not taken."
        )));
    }
    Ok(())
}

/// The patch format `PATCH` refuses.
const JSON_PATCH: &str = "application/json-patch+json";

/// Search words: not blank, not too long.
pub fn search_param(q: &Option<String>) -> ApiResult<Option<String>> {
    match q {
        Some(q) if q.trim().is_empty() => {
            Err(ApiError::invalid_parameter("q", "must not be blank"))
        }
        Some(q) if q.chars().count() > 200 => Err(ApiError::invalid_parameter(
            "q",
            "must be at most 200 characters",
        )),
        Some(q) if q.contains('\0') => {
            Err(ApiError::invalid_parameter("q", "must not contain NUL"))
        }
        other => Ok(other.clone()),
    }
}

/// A State parameter as people write it, as its canonical code: an ISO alpha-3 code (any
/// case), or a name or alias real exports use (`France`, `Côte d'Ivoire`, `DPR Korea`); one
/// that is not a UN member or observer State is a 400.
pub fn state_param(name: &str, value: &Option<String>) -> ApiResult<Option<CountryCode>> {
    value
        .as_deref()
        .map(|v| {
            CountryCode::parse_state(v)
                .or_else(|_| {
                    CountryCode::lookup(v).and_then(|c| CountryCode::parse_state(c.as_str()))
                })
                .map_err(|_| not_a_state(name, v))
        })
        .transpose()
}

/// A State's code in a path (`/states/{code}/…`): its ISO alpha-3 code, in any case, and
/// nothing else, as the contract says; an address names one thing one way.
pub fn state_value(name: &str, value: &str) -> ApiResult<CountryCode> {
    CountryCode::parse_state(value).map_err(|e| ApiError::invalid_parameter(name, e.to_string()))
}

fn not_a_state(name: &str, value: &str) -> ApiError {
    ApiError::invalid_parameter(
        name,
        format!(
            "`{value}` is not a UN member or observer State: give its ISO alpha-3 code or its name"
        ),
    )
}

/// A regional group parameter as people write it ([`RegionalGroup::from_label`]); an unknown
/// one is a 400.
pub fn regional_group_param(
    name: &str,
    value: &Option<String>,
) -> ApiResult<Option<RegionalGroup>> {
    value
        .as_deref()
        .map(|v| {
            RegionalGroup::from_label(v).ok_or_else(|| {
                ApiError::invalid_parameter(
                    name,
                    format!(
                        "`{v}` is not one of the Council's regional groups: african, \
                         asia_pacific, eastern_european, latin_american_and_caribbean, \
                         western_european_and_others (or WEOG, GRULAC, EEG, Africa, Asia-Pacific)"
                    ),
                )
            })
        })
        .transpose()
}

pub fn code_param(
    name: &str,
    value: &Option<String>,
    known: impl Fn(&str) -> bool,
) -> ApiResult<Option<String>> {
    match value {
        Some(v) if !known(v) => Err(ApiError::invalid_parameter(
            name,
            format!("`{v}` is not a known code"),
        )),
        other => Ok(other.clone()),
    }
}

/// A language filter, by any of its ISO 639 codes, as the code items keep for it.
pub fn language_param(name: &str, value: &Option<String>) -> ApiResult<Option<String>> {
    value
        .as_deref()
        .map(|v| {
            crate::domain::stakeholder::kept_language_code(v).ok_or_else(|| {
                ApiError::invalid_parameter(name, crate::domain::validate::unknown_language(v))
            })
        })
        .transpose()
}

pub fn in_range(name: &str, value: Option<i64>, min: i64, max: i64) -> ApiResult<Option<i64>> {
    match value {
        Some(v) if !(min..=max).contains(&v) => Err(ApiError::invalid_parameter(
            name,
            format!("must be from {min} to {max}"),
        )),
        other => Ok(other),
    }
}

/// Member States of a regional group.
pub fn states_of(group: RegionalGroup) -> Vec<CountryCode> {
    reference()
        .countries
        .iter()
        .filter(|c| c.regional_group == Some(group))
        .map(CountryCode::from)
        .collect()
}

/// A merge patch of `input` (e.g. `StakeholderInput`), refused with a 422 naming each field
/// the contract's patch schema does not have: a patch changes the fields there are, and
/// `{"colour": null}` removing nothing is still a mistake to tell the caller of.
pub fn patch_body(
    state: &AppState,
    input: &str,
    patch: serde_json::Value,
) -> ApiResult<serde_json::Value> {
    let schema = input.replace("Input", "Patch");
    let unknown = state.patch_fields.unknown(&schema, &patch);
    if unknown.is_empty() {
        return Ok(patch);
    }
    Err(ApiError::validation(
        unknown
            .into_iter()
            .map(|at| FieldError::new(at, "unknown_field", format!("not a field of {schema}")))
            .collect(),
    ))
}

/// Declares a resource's `PUT /{id}` (a replacement) and `PATCH /{id}` (a JSON merge patch,
/// RFC 7396): both hand the module's `change` an `app::Edit` with the request's `If-Match`.
/// Each function's name is its operation id.
macro_rules! item_edits {
    (
        tag = $tag:literal, id = $id:ident, id_doc = $id_doc:literal,
        input = $input:ident, output = $output:ident,
        $(#[doc = $replace_doc:literal])* replace = $replace:ident,
        $(#[doc = $patch_doc:literal])* patch = $patch:ident $(,)?
    ) => {
        $(#[doc = $replace_doc])*
        ///
        /// The body may also be the item as a read gives it, changed: its `id` must be this
        /// item's, its `version` is the condition `If-Match` would be (a 412 when the item has
        /// changed since; the header, when sent, is the condition instead), and the other
        /// fields the service writes itself (`created_at`, `updated_at`, …) are read past.
        #[utoipa::path(
            tag = $tag,
            security(("bearer" = [])),
            params(("id" = Uuid, Path, description = $id_doc), IfMatch),
            request_body = $input,
            responses((status = 200, description = "Replaced", body = $output, headers(("ETag" = String))))
        )]
        #[put("/{id}")]
        pub async fn $replace(
            state: web::Data<AppState>,
            caller: Caller,
            req: HttpRequest,
            id: web::Path<$id>,
            body: $crate::routes::body::Replacement<$input>,
        ) -> ApiResult<impl Responder> {
            let id = id.into_inner();
            let (content, expected) =
                $crate::routes::support::replacement(&req, id.into(), body.into_inner())?;
            change(state, caller, id, expected, Edit::Replace(content)).await
        }

        $(#[doc = $patch_doc])*
        #[utoipa::path(
            tag = $tag,
            security(("bearer" = [])),
            params(("id" = Uuid, Path, description = $id_doc), IfMatch),
            request_body(content = Object, content_type = "application/merge-patch+json",
                description = "The fields to change; `null` removes an optional field"),
            responses((status = 200, description = "Changed", body = $output, headers(("ETag" = String))))
        )]
        #[patch("/{id}")]
        pub async fn $patch(
            state: web::Data<AppState>,
            caller: Caller,
            req: HttpRequest,
            id: web::Path<$id>,
            body: $crate::routes::body::Json<$crate::domain::json::Unambiguous>,
        ) -> ApiResult<impl Responder> {
            $crate::routes::support::merge_patch_only(&req)?;
            let body = body.into_inner().0;
            let edit = Edit::Patch($crate::routes::support::patch_body(&state, stringify!($input), body)?);
            change(state, caller, id.into_inner(), expected(&req)?, edit).await
        }
    };
}
pub(crate) use item_edits;

/// The contract's schema of a file sent or answered whole: bytes (`format: binary`), so that
/// generated clients send and give a file rather than a string.
pub fn file_schema(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
        .description(Some(description))
        .into()
}
