//! `/api/v1/consents` and `/api/v1/states/{code}/consent`: States' decisions about publishing
//! the activities that concern them. Records are append-only: there is no update and no
//! delete; a change of mind is a new record, and the most recent of the narrowest scope rules.

use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::support::IfNoneMatch;
use crate::app::{self, Principal, policy};
use crate::auth::{Caller, Identity};
use crate::db::consents::{self, Filter};
use crate::db::{Position, activities as activity_db};
use crate::domain::codes::StateCode;
use crate::domain::consent::{Consent, ConsentInput, ScopeKind};
use crate::domain::publication::{Access, Decision, Scope, may_read_decision_by_name};
use crate::domain::{ActivityId, ConsentId, CountryCode, StakeholderId};
use crate::error::{ApiError, ApiResult};
use crate::routes::page_type;
use crate::routes::support::{
    decode_cursor, encode_cursor, limit, page, state_param, state_value, tagged_json, with_db,
};
use crate::startup::AppState;

page_type!(ConsentPage, Consent);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsentQuery {
    /// A State: its ISO alpha-3 code, or a name (`Kenya`, `Côte d'Ivoire`, `DPR Korea`).
    #[param(value_type = Option<String>, example = "KEN")]
    pub state: Option<String>,
    pub decision: Option<Decision>,
    pub scope: Option<ScopeKind>,
    /// Records of scope `submitter` about this stakeholder.
    #[param(value_type = Option<Uuid>)]
    pub stakeholder_id: Option<StakeholderId>,
    /// Records of scope `activity` about this activity.
    #[param(value_type = Option<Uuid>)]
    pub activity_id: Option<ActivityId>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{22}$")]
    pub cursor: Option<String>,
}

/// The record as this caller may see it: who recorded it is named to `admin` only.
fn for_caller(mut c: Consent, caller: Option<&Caller>) -> Consent {
    if !policy::sees_recorder(caller) {
        c.recorded_by.subject = None;
    }
    c
}

/// Consent records in the order they were recorded. Records about one activity are listed
/// only to callers who may see that activity, and never to the public.
#[utoipa::path(
    tag = "consents",
    operation_id = "list_consents",
    params(ConsentQuery, IfNoneMatch),
    responses((status = 200, description = "A page of consent records", body = ConsentPage,
        headers(
            ("Link" = String, description = "`<…>; rel=\"next\"`: the next page, when there is one"),
            ("ETag" = String, description = "Weak: of this page's body"),
        )),
        (status = 304, description = "The page is unchanged since the ETag given"),
    )
)]
#[get("")]
pub async fn list_consents(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    query: crate::routes::query::Query<ConsentQuery>,
) -> ApiResult<HttpResponse> {
    let caller = identity.0;
    let filter = Filter {
        access: policy::access(caller.as_ref()),
        state: state_param("state", &query.state)?,
        decision: query.decision,
        scope: query.scope,
        stakeholder_id: query.stakeholder_id,
        activity_id: query.activity_id,
    };
    // A cursor names the list and its filters (`support::decode_cursor`).
    let scope = crate::routes::support::list_scope("consents", &req);
    let position = decode_cursor(&state, &scope, query.cursor.as_deref())?;
    if matches!(position, Position::Offset(_) | Position::Ranked { .. }) {
        return Err(ApiError::invalid_parameter(
            "cursor",
            "is not a cursor this service gave out",
        ));
    }
    let limit = limit(query.limit)?;
    let (items, next) = with_db(&state, move |conn| {
        Ok(consents::list(conn, &filter, position, limit)?)
    })
    .await?;
    let next_cursor = next.and_then(|p| encode_cursor(&state, &scope, p));
    let items = items
        .into_iter()
        .map(|c| for_caller(c, caller.as_ref()))
        .collect();
    let link = next_cursor.clone();
    Ok(page(
        &req,
        ConsentPage { items, next_cursor },
        link.as_deref(),
    ))
}

/// One consent record.
#[utoipa::path(
    tag = "consents",
    operation_id = "get_consent",
    params(
        ("id" = Uuid, Path, description = "The record's id"),
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "The record", body = Consent, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the ETag given", headers(("ETag" = String))),
    )
)]
#[get("/{id}")]
pub async fn get_consent(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    id: web::Path<ConsentId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let caller = identity.0;
    let access = policy::access(caller.as_ref());
    let found = with_db(&state, move |conn| {
        let Some(c) = consents::get(conn, id)? else {
            return Ok(None);
        };
        // A record about an activity exists only for its State, the activity's submitter and
        // `admin`, and never for the public.
        if let Scope::Activity(activity) = c.scope
            && !matches!(access, Access::Everything | Access::Public)
        {
            let facts = activity_db::get(conn, activity)?.map(|a| a.facts());
            if !may_read_decision_by_name(&access, &c.state, facts.as_ref()) {
                return Ok(None);
            }
        } else if let Scope::Activity(_) = c.scope
            && access == Access::Public
        {
            return Ok(None);
        }
        Ok(Some(c))
    })
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("No consent record has the id {id}.")))?;
    // A record never changes; what a caller sees of it depends on its role only.
    let record = for_caller(found, caller.as_ref());
    tagged_json(&req, &record, false)
}

/// Records a State's decision: a `state` token for its own State only; `admin` on a State's
/// behalf, giving the `reference` of the communication it received (e.g. a note verbale).
/// Takes effect at once on every surface.
#[utoipa::path(
    tag = "consents",
    operation_id = "create_consent",
    security(("bearer" = [])),
    request_body = ConsentInput,
    responses(
        (status = 201, description = "Recorded", body = Consent,
            headers(("Location" = String), ("ETag" = String, description = "As a read of the record gives it"))),
        (status = 412, description = "`activity_version` is not the activity's version: it has \
            changed since it was read (read it again, and decide on what it says now)",
            body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("")]
pub async fn create_consent(
    state: web::Data<AppState>,
    caller: Caller,
    body: crate::routes::body::Json<ConsentInput>,
) -> ApiResult<impl Responder> {
    let (who, input) = (Principal::from(&caller), body.into_inner());
    let stored = with_db(&state, move |conn| {
        Ok(app::consents::record(conn, &who, input)?)
    })
    .await?;
    let location = format!("/api/v1/consents/{}", stored.id);
    // Tagged as `get_consent` tags it: a record never changes.
    let body =
        serde_json::to_vec(&for_caller(stored, Some(&caller))).map_err(ApiError::internal)?;
    Ok(HttpResponse::Created()
        .content_type("application/json")
        .insert_header(("Location", location))
        .insert_header(("ETag", crate::routes::support::body_tag(&body, false)))
        .body(body))
}

/// How many of a State's submitted activities are in each state. The public counts public
/// activities only, as the publication rule wants; the State itself and `admin` see the others
/// too.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentCounts {
    /// Public (every State concerned consented, or submitted it itself).
    pub public: i64,
    /// Submitted and awaiting this State's consent: for the State itself and `admin` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    pub awaiting: Option<i64>,
    /// Submitted, and refused or withdrawn by this State: for the State itself and `admin`
    /// only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    pub refused: Option<i64>,
}

/// A State's effective consent: the decisions in force, and where its activities stand.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateConsent {
    #[schema(value_type = StateCode)]
    pub state: CountryCode,
    /// The decision in force for every submission concerning the State (scope `all`), if any.
    pub all: Option<Consent>,
    /// The decisions in force for single submitters (scope `submitter`).
    pub submitters: Vec<Consent>,
    /// The decisions in force for single activities (scope `activity`) the caller may see.
    pub activities: Vec<Consent>,
    pub counts: ConsentCounts,
}

/// A State's effective consent and the counts of its activities that are public, awaiting its
/// consent, and refused.
#[utoipa::path(
    tag = "consents",
    operation_id = "get_state_consent",
    params(
        ("code" = StateCode, Path, description = "The State's ISO alpha-3 code"),
        crate::routes::support::IfNoneMatch,
    ),
    responses(
        (status = 200, description = "The State's effective consent", body = StateConsent, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the ETag given", headers(("ETag" = String))),
    )
)]
#[get("/states/{code}/consent")]
pub async fn get_state_consent(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let code = state_value("code", &code)?;
    let caller = identity.0;
    let access = policy::access(caller.as_ref());
    // What is not public about the State's activities is for the State and `admin` only.
    let sees_hidden = policy::sees_hidden_of_state(&access, &code);
    let (latest, (public, hidden)) = with_db(&state, {
        let code = code.clone();
        move |conn| {
            Ok((
                consents::latest_of_state(conn, &code, &access)?,
                consents::counts(conn, &code, sees_hidden)?,
            ))
        }
    })
    .await?;
    let (awaiting, refused) = hidden.unzip();
    let mut answer = StateConsent {
        state: code,
        all: None,
        submitters: vec![],
        activities: vec![],
        counts: ConsentCounts {
            public,
            awaiting,
            refused,
        },
    };
    for c in latest {
        let c = for_caller(c, caller.as_ref());
        match c.scope {
            Scope::All => answer.all = Some(c),
            Scope::Submitter(_) => answer.submitters.push(c),
            Scope::Activity(_) => answer.activities.push(c),
        }
    }
    // What the caller sees changes with any write about the State: tagged by its content.
    tagged_json(&req, &answer, true)
}
