//! The contract: a base document (info, tags, security schemes) completed by the routes that
//! are actually served (see `routes::configure`), then by the error responses every operation
//! can give, added here in one place so no operation forgets one.

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{Object, Schema, SchemaType, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr};
use utoipa::{Modify, OpenApi as _};
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, Problem};

mod answers;
mod items;
mod links;
mod patch;
mod reach;
mod vocabularies;

pub use patch::PatchFields;

/// The service's name: the contract's title, and the docs page's.
pub const TITLE: &str = "UPR Technical Cooperation Repository";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = TITLE,
        description = "Technical cooperation and capacity-building activities for implementing \
            Universal Periodic Review recommendations (Human Rights Council resolution 54/28). \
            Errors are RFC 9457 `application/problem+json` with a stable `code`. Lists answer \
            `{\"items\": [...], \"next_cursor\": ...}`; a page holds at most 4 MiB of items \
            (at least one), so a page of very large items holds fewer than its `limit`: follow \
            `next_cursor` (the feed: while `has_more`). A CSV answer asked for by a browser \
            (its `Accept` names `text/html`) begins with a UTF-8 byte order mark, which a \
            spreadsheet needs to read it as UTF-8; asked for by a program, it does not.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "health", description = "Where to start, liveness and readiness"),
        (name = "identity", description = "Who the caller is"),
        (name = "recommendations", description = "UPR recommendations: a searchable catalogue"),
        (name = "stakeholders", description = "Organisations that act, fund, submit or ask for help"),
        (name = "activities", description = "Technical-cooperation and capacity-building activities, public only with the consent of the States concerned"),
        (name = "assistance-requests", description = "States' needs for help with their accepted recommendations"),
        (name = "offers", description = "Stakeholders' offers of help, peer to peer among them"),
        (name = "interests", description = "Providers' interests in assistance requests, citing their offers: the State accepts one, and an activity is made from the match; never public"),
        (name = "consents", description = "States' decisions about publishing the activities that concern them: append-only records"),
        (name = "sync", description = "For partner databases: a snapshot of the public data, then the change feed from its cursor"),
        (name = "bulk", description = "Uploads of many items at once: CSV, UPR Info exports, NDJSON"),
        (name = "audit", description = "The audit trail of every write"),
        (name = "reports", description = "The annual report to the Human Rights Council: figures counted from the data, public ones over public activities only"),
        (name = "reference", description = "Reference data: countries, SDGs, UPR cycles, IATI codelists, vocabularies"),
    ),
    servers((url = "/", description = "This server")),
    // Public operations take a token optionally (it is verified when present); operations that
    // need one say so themselves.
    security((), ("bearer" = [])),
    // A snapshot's line is no operation's schema: the snapshot is a file of them.
    components(schemas(Problem, FieldError, crate::routes::snapshot::SnapshotLine)),
    modifiers(&SecuritySchemes),
)]
struct BaseDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.bearer_format = Some("JWT".into());
        bearer.description = Some(
            "A JWT with claims `sub`, `role` (admin, state, contributor, sync), `state` \
             (for role state), `stakeholder` (for role contributor), `iss`, `aud`, `iat`, `exp`."
                .into(),
        );
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
    }
}

/// Reusable problem responses: (component name, status, description).
const PROBLEMS: [(&str, &str, &str); 14] = [
    (
        "BadRequest",
        "400",
        "The request is malformed: a bad query parameter, path or JSON body. Its `code` says \
         which: `invalid_parameter` (a value a query parameter does not take, or a query \
         string that is not UTF-8), `invalid_query` (a value that does not read as its \
         parameter's type, or a parameter the route does not take), `search_too_deep` (a \
         ranked search's cursor past its first 1,000 results), `invalid_path`, \
         `review_required`, `malformed_json`, `unreadable_body`, `invalid_if_match`, \
         `invalid_idempotency_key`; \
         `errors` names the parameter or field at fault by its pointer",
    ),
    (
        "Unauthorized",
        "401",
        "The bearer token is missing, malformed, expired or not trusted",
    ),
    (
        "Forbidden",
        "403",
        "The caller's role or organisation does not allow this",
    ),
    ("NotFound", "404", "Nothing is known under this path"),
    (
        "Conflict",
        "409",
        "The item conflicts with another: a natural key or partner key is taken, or other \
         items refer to the one to delete (`conflict`: close or withdraw it instead); \
         or the first request with this `Idempotency-Key` is still running \
         (`request_in_progress`: retry after the seconds `Retry-After` gives), or succeeded with \
         an answer too large to keep (`answer_not_kept`: it is not carried out again)",
    ),
    (
        "TooManyRequests",
        "429",
        "Over the caller's budget of requests, or beyond its share of the searches or other \
         rankings running at once: retry after the seconds `Retry-After` gives",
    ),
    (
        "PreconditionFailed",
        "412",
        "`If-Match` names a version that is no longer current",
    ),
    (
        "RequestTimeout",
        "408",
        "The body did not arrive whole in time (`UPR_TC_BODY_TIMEOUT`; a bulk upload's: \
         `UPR_TC_BULK_BODY_TIMEOUT`), or went that long without a byte: nothing was done, and \
         the connection is closed",
    ),
    (
        "PayloadTooLarge",
        "413",
        "The body is larger than this route takes",
    ),
    (
        "NotAcceptable",
        "406",
        "The `Accept` header takes none of the media types this operation answers with (those \
         its success lists)",
    ),
    (
        "UnsupportedMediaType",
        "415",
        "The body's content type is not one this route takes",
    ),
    (
        "UnprocessableContent",
        "422",
        "The body is well-formed but its values are not valid",
    ),
    (
        "ServiceUnavailable",
        "503",
        "The database is unreachable or busy (a lost connection, a write lock not granted in \
         time), or as many streamed exports run as the service allows: nothing was done; \
         retry after the seconds `Retry-After` gives. A ranked read given up past its time \
         limit (a search, a State's coordination view) is `too_slow`, without `Retry-After`: \
         the same request would take as long again; ask for less",
    ),
    (
        "InternalError",
        "500",
        "An unexpected failure; the log has it under the request id",
    ),
];

fn problem_response(description: &str, status: &str) -> utoipa::openapi::Response {
    let mut content = Content::new(Some(RefOr::Ref(Ref::from_schema_name("Problem"))));
    content.example = problem_example(status);
    ResponseBuilder::new()
        .description(description)
        .content(crate::error::PROBLEM_JSON, content)
        .build()
}

/// A problem the service answers with `status`, made as the service makes it, for the docs
/// page and generated clients to show.
fn problem_example(status: &str) -> Option<serde_json::Value> {
    use crate::error::ApiError as E;
    let text = |s: &str| s.to_owned();
    let error = match status {
        "400" => E::invalid_parameter(
            "state_under_review",
            "`Atlantis` is not a State's code or a name of one",
        ),
        "401" => E::Unauthorized(text(
            "The bearer token is not accepted: it has expired (ask for a new one).",
        )),
        "403" => E::Forbidden(text(
            "A contributor changes only the items of its own organisation.",
        )),
        "404" => E::NotFound(text(
            "No recommendation has the id 0193a5b2-7c1d-7e0f-8a9b-0c1d2e3f4a5b.",
        )),
        "409" => E::Conflict(text(
            "Another recommendation already has this text for KEN in session 35.",
        )),
        "412" => E::from(crate::app::Error::Stale { current: 7 }),
        "408" => E::RequestTimeout(text(
            "The request's body did not arrive in time: a body must arrive whole within 30 s and \
             never go 30 s without a byte.",
        )),
        "413" => E::PayloadTooLarge(text("The body is larger than the 1 MiB this route takes.")),
        "406" => E::NotAcceptable(text(
            "`Accept: text/csv` takes none of what GET /api/v1/consents answers with: \
             application/json.",
        )),
        "415" => {
            E::UnsupportedMediaType(text("This route takes application/json, not text/plain."))
        }
        "422" => E::validation(vec![
            FieldError::new("/text/en", "too_long", "must be at most 20000 characters"),
            FieldError::new(
                "/themes/2",
                "unknown_code",
                "`nonsense` is not a theme of /api/v1/reference/themes",
            ),
        ]),
        "429" => E::TooManyRequests {
            detail: text("This caller has used its budget of requests for now; retry in 12 s."),
            retry_after: 12,
        },
        "500" => E::Internal(anyhow::anyhow!("an example")),
        "503" => E::Unavailable(text(
            "The database is not reachable or busy; retry after the time `Retry-After` gives.",
        )),
        _ => return None,
    };
    serde_json::to_value(error.problem()).ok()
}

/// The operations of a path, each with whether it is a read (`GET`).
fn operations(item: &mut PathItem) -> impl Iterator<Item = (bool, &mut Operation)> {
    [
        (true, &mut item.get),
        (false, &mut item.put),
        (false, &mut item.post),
        (false, &mut item.delete),
        (false, &mut item.patch),
    ]
    .into_iter()
    .filter_map(|(read, op)| Some((read, op.as_mut()?)))
}

/// Whether `op` declares the header `name` (or a query parameter so named).
fn takes_header(op: &Operation, name: &str) -> bool {
    op.parameters.iter().flatten().any(|p| match p {
        RefOr::T(p) => p.name.eq_ignore_ascii_case(name),
        RefOr::Ref(_) => false,
    })
}

/// Adds the problem responses each operation can give, by what the operation takes.
fn add_problem_responses(openapi: &mut OpenApi) {
    let mut used = std::collections::BTreeSet::new();
    for (path, item) in openapi.paths.paths.iter_mut() {
        let has_path_params = path.contains('{');
        for (read, op) in operations(item) {
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let has_body = op.request_body.is_some();
            let takes_if_match = takes_header(op, "if-match");
            // A key reused with another request is a 422, a retry whose answer was not kept a
            // 409, whether or not the request has a body (`add_idempotency_key`).
            let takes_key = takes_header(op, crate::idempotency::HEADER);
            let needs_db =
                !path.starts_with("/health/live") && !path.starts_with("/api/v1/reference");
            // An answer with a body, in media types an `Accept` may refuse (`served`); health
            // checks answer any prober, and an operation that may send the client elsewhere
            // answers any `Accept`.
            let redirects = op
                .responses
                .responses
                .keys()
                .any(|s| s.starts_with('3') && s != "304");
            let answers_content = !path.starts_with("/health/")
                && !redirects
                && op.responses.responses.iter().any(|(status, answer)| {
                    status.starts_with('2')
                        && matches!(answer, RefOr::T(a) if !a.content.is_empty())
                });
            for (name, status, _) in PROBLEMS {
                let applies = match status {
                    // Any request whose query does not read (not UTF-8, a parameter twice).
                    "400" => true,
                    // Any request with a bad token is refused, also on public routes.
                    "401" => true,
                    "403" => secured,
                    "404" => has_path_params,
                    // A write of one item (`If-Match`): also a deletion others refer to. A
                    // read takes `If-Match` too, and answers 412, never 409.
                    "409" => has_body || takes_key || (takes_if_match && !read),
                    "412" => takes_if_match,
                    "406" => answers_content,
                    "408" | "413" | "415" => has_body,
                    "422" => has_body || takes_key,
                    "503" => needs_db,
                    "429" => !path.starts_with("/health/"),
                    _ => true,
                };
                // A status the operation documents itself keeps its own description.
                if applies && !op.responses.responses.contains_key(status) {
                    used.insert(name);
                    op.responses.responses.insert(
                        status.to_owned(),
                        RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))),
                    );
                }
            }
        }
    }
    let components = openapi.components.get_or_insert_with(Default::default);
    for (name, status, description) in PROBLEMS {
        if used.contains(name) {
            let mut response = problem_response(description, status);
            if matches!(name, "TooManyRequests" | "ServiceUnavailable" | "Conflict") {
                let seconds = utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::Integer)
                    .build();
                response.headers.insert(
                    "Retry-After".to_owned(),
                    RefOr::T(
                        utoipa::openapi::HeaderBuilder::new()
                            .schema(Some(seconds))
                            .description(Some("Seconds to wait before the next request"))
                            .build(),
                    ),
                );
            }
            components
                .responses
                .insert(name.to_owned(), RefOr::T(response));
        }
    }
}

fn schema_name(r: &RefOr<Schema>) -> Option<&str> {
    match r {
        RefOr::Ref(r) => r.ref_location.strip_prefix("#/components/schemas/"),
        RefOr::T(_) => None,
    }
}

/// A stored item is its input (`#[serde(flatten)]`) plus id, version and timestamps, which
/// utoipa writes as `allOf`. SDK generators make better models of one flat object, and the
/// input's `additionalProperties: false` would refuse the extra fields; so each such `allOf`
/// becomes one object with the properties of both.
fn flatten_all_of(openapi: &mut OpenApi) {
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    let snapshot = components.schemas.clone();
    'schemas: for schema in components.schemas.values_mut() {
        let RefOr::T(Schema::AllOf(all_of)) = schema else {
            continue;
        };
        let mut merged = Object::new();
        merged.schema_type = SchemaType::Type(Type::Object);
        merged.description = all_of.description.clone();
        for item in &all_of.items {
            let part = match item {
                RefOr::T(Schema::Object(o)) => Some(o),
                r => match schema_name(r).and_then(|n| snapshot.get(n)) {
                    Some(RefOr::T(Schema::Object(o))) => Some(o),
                    _ => None,
                },
            };
            // Only objects merge; any other composition stays as it is.
            let Some(part) = part else {
                continue 'schemas;
            };
            for (name, property) in &part.properties {
                merged.properties.insert(name.clone(), property.clone());
            }
            merged.required.extend(part.required.iter().cloned());
        }
        *schema = RefOr::T(Schema::Object(merged));
    }
}

/// Schemas only the flattened `allOf`s referred to (such as `Stored`) are referenced no more.
fn drop_unused_schemas(openapi: &mut OpenApi) {
    use reach::refs;
    /// Used, though nothing refers to it: what clients parse a snapshot's lines with.
    const KEPT: [&str; 1] = ["SnapshotLine"];
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    // Everything but the schemas, then what the used schemas use, until nothing is added.
    let schemas = std::mem::take(&mut components.schemas);
    let rest = serde_json::to_value(&*openapi).unwrap_or_default();
    let mut used: std::collections::BTreeSet<String> =
        KEPT.iter().map(|&name| name.to_owned()).collect();
    refs(&rest, &mut used);
    loop {
        let before = used.len();
        for name in used.clone() {
            if let Some(schema) = schemas.get(&name) {
                refs(&serde_json::to_value(schema).unwrap_or_default(), &mut used);
            }
        }
        if used.len() == before {
            break;
        }
    }
    let components = openapi.components.get_or_insert_with(Default::default);
    components.schemas = schemas
        .into_iter()
        .filter(|(name, _)| used.contains(name))
        .collect();
}

/// The contract of the routes `routes::configure` serves.
pub fn document() -> OpenApi {
    let (_, mut doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(BaseDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    flatten_all_of(&mut doc);
    patch::add_patch_schemas(&mut doc);
    add_idempotency_key(&mut doc);
    add_release_caching(&mut doc);
    add_problem_responses(&mut doc);
    links::add_links(&mut doc);
    vocabularies::open_vocabularies(&mut doc);
    items::type_by_kind(&mut doc);
    answers::mark_sent(&mut doc);
    drop_unused_schemas(&mut doc);
    doc
}

/// Reads of reference data are tagged by the release (`routes::support::release_cached`, on
/// their whole scope): each answers with its `ETag`, takes `If-None-Match` and `If-Match`, as
/// every other read with an `ETag` does, and answers 304 while the release is the one named.
fn add_release_caching(openapi: &mut OpenApi) {
    use utoipa::IntoParams;
    use utoipa::openapi::path::ParameterIn;
    let conditions = crate::routes::support::IfNoneMatch::into_params(|| Some(ParameterIn::Header));
    for (path, item) in openapi.paths.paths.iter_mut() {
        let Some(op) = item
            .get
            .as_mut()
            .filter(|_| path.starts_with("/api/v1/reference/"))
        else {
            continue;
        };
        for condition in &conditions {
            if !takes_header(op, &condition.name) {
                let parameters = op.parameters.get_or_insert_with(Vec::new);
                parameters.push(RefOr::T(condition.clone()));
            }
        }
        if let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") {
            ok.headers.entry("ETag".to_owned()).or_insert_with(|| {
                let mut etag = utoipa::openapi::Header::new(
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::String),
                );
                etag.description =
                    Some("Of this release: the same until the service is upgraded".into());
                RefOr::T(etag)
            });
        }
        op.responses
            .responses
            .entry("304".to_owned())
            .or_insert_with(|| {
                RefOr::T(
                    ResponseBuilder::new()
                        .description("Unchanged since the ETag given (this release's)")
                        .build(),
                )
            });
    }
}

/// Every `POST` takes an `Idempotency-Key` (`crate::idempotency`).
fn add_idempotency_key(openapi: &mut OpenApi) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    for (path, item) in openapi.paths.paths.iter_mut() {
        let Some(op) = item.post.as_mut() else {
            continue;
        };
        if crate::idempotency::writes_nothing(path) {
            continue;
        }
        let schema = utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .max_length(Some(255))
            .pattern(Some("^[!-~]{1,255}$"))
            .build();
        let parameter = ParameterBuilder::new()
            .name(crate::idempotency::HEADER)
            .parameter_in(ParameterIn::Header)
            .required(utoipa::openapi::Required::False)
            .description(Some(
                "A key of the client's choosing (e.g. a UUID) that makes a retry safe: the same \
                 key with the same body within 24 hours answers the first answer again \
                 (`Idempotent-Replayed: true`) and writes nothing; with another body, a 422. \
                 An answer over 1 MiB is not kept: its retry is a 409 (`answer_not_kept`) \
                 saying the first request succeeded, and nothing is written again. For callers \
                 with a token only: without one (nothing an anonymous caller sends writes), the \
                 key is ignored and nothing is kept.",
            ))
            .schema(Some(schema))
            .build();
        op.parameters
            .get_or_insert_with(Vec::new)
            .push(RefOr::T(parameter));
    }
}

/// The document as committed in `openapi/openapi.json`: pretty JSON with a final newline.
pub fn render() -> String {
    render_document(&document())
}

pub fn render_document(doc: &OpenApi) -> String {
    let mut text = doc.to_pretty_json().expect("the contract serialises");
    text.push('\n');
    text
}
