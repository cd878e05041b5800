//! `/api/v1/activities`: technical-cooperation and capacity-building activities, submitted by
//! every kind of actor and public only with the consent of the States concerned
//! (`domain::publication`). A contributor writes its own organisation's activities, a State the
//! ones it submits itself, `admin` any.

use super::support::item_edits;
use super::support::{IfMatch, IfNoneMatch};
use crate::app::Expected;
use crate::digest::tag;
use actix_web::http::{StatusCode, header};
use actix_web::{
    CustomizeResponder, Either, HttpRequest, HttpResponse, Responder, delete, get, patch, post,
    put, web,
};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::{self, Edit, Principal, policy};
use crate::auth::{Caller, Identity};
use crate::db::activities::filter::Filter;
use crate::db::stakeholders;
use crate::domain::activity::{Activity, ActivityInput, ActivityStatus, ParticipantRole};
use crate::domain::codes::{FundingSourceCode, ModalityCode, SdgTargetCode, ThemeCode};
use crate::domain::publication::Publication;
use crate::domain::stakeholder::StakeholderKind;
use crate::domain::{ActivityId, AssistanceRequestId, OfferId, RecommendationId, StakeholderId};
use crate::error::{ApiError, ApiResult};
use crate::iati;
use crate::reference::reference;
use crate::routes::export::{self, ExportFormat};
use crate::routes::page_type;
use crate::routes::support::{
    code_param, expected, kept_by_id, kept_size, not_modified, regional_group_param, state_param,
    states_of, with_db, with_item_db,
};
use crate::startup::AppState;

page_type!(ActivityPage, Activity);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Concerns this State.
    ///
    /// A State: its ISO alpha-3 code, or a name (`Kenya`, `Côte d'Ivoire`, `DPR Korea`).
    #[param(value_type = Option<String>, example = "KEN")]
    pub state: Option<String>,
    /// Concerns a State of this regional group.
    ///
    /// A group: `african`, `asia_pacific`, `eastern_european`, `latin_american_and_caribbean`,
    /// `western_european_and_others`, or a label (`WEOG`, `GRULAC`, `EEG`, `Africa`, `Asia-Pacific`).
    #[param(value_type = Option<String>, example = "WEOG")]
    pub regional_group: Option<String>,
    /// This stakeholder submits it or takes part (in `role`, when given).
    #[param(value_type = Option<Uuid>)]
    pub stakeholder: Option<StakeholderId>,
    /// A participant has this role (the `stakeholder`, when given).
    pub role: Option<ParticipantRole>,
    /// Its submitter is of this kind.
    pub submitter_kind: Option<StakeholderKind>,
    /// It helps implement this recommendation.
    #[param(value_type = Option<Uuid>)]
    pub recommendation: Option<RecommendationId>,
    /// It answers this assistance request (it was made from a match with it).
    #[param(value_type = Option<Uuid>)]
    pub assistance_request: Option<AssistanceRequestId>,
    /// It delivers this offer.
    #[param(value_type = Option<Uuid>)]
    pub offer: Option<OfferId>,
    #[param(value_type = Option<ThemeCode>)]
    pub theme: Option<String>,
    #[param(value_type = Option<SdgTargetCode>)]
    pub sdg_target: Option<String>,
    #[param(value_type = Option<ModalityCode>)]
    pub modality: Option<String>,
    pub status: Option<ActivityStatus>,
    #[param(value_type = Option<FundingSourceCode>)]
    pub funding_source: Option<String>,
    /// Runs on or after this date: has not ended before it (actual dates, else planned).
    pub active_from: Option<NaiveDate>,
    /// Runs on or before this date: has not started after it.
    pub active_to: Option<NaiveDate>,
    pub good_practice: Option<bool>,
    pub peer_to_peer: Option<bool>,
    /// Submitted and awaiting this State's consent: the queue of that State's focal point
    /// (its own `state` token, or `admin`).
    ///
    /// A State: its ISO alpha-3 code, or a name (`Kenya`, `Côte d'Ivoire`, `DPR Korea`).
    #[param(value_type = Option<String>, example = "KEN")]
    pub awaiting_consent_of: Option<String>,
    /// Publication state (what a caller sees besides public activities: its own drafts, …).
    pub publication: Option<Publication>,
    /// Full-text search over titles, summaries, results and lessons: every word must be found, in any of its forms (case, accents and endings do not matter; Chinese by pairs of characters), but for words too common to tell texts apart (`the`, `de`: stop words), which are not searched for; results are ranked, and paged through the first 1,000 (where more were found, the cursor past them is answered with a 400 `search_too_deep`: narrow the search, or export it).
    #[param(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub q: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{22}$")]
    pub cursor: Option<String>,
    /// `json` for this page, or every matching item as a file to download; wins over `Accept`.
    #[param(inline)]
    pub format: Option<export::ActivityListFormat>,
}

impl ActivityQuery {
    fn filter(&self, caller: Option<&Caller>) -> ApiResult<Filter> {
        let data = reference();
        let mut f = Filter::new(policy::access(caller));
        let state = state_param("state", &self.state)?;
        let group = regional_group_param("regional_group", &self.regional_group)?;
        // A regional group is a facet of its own (one indexed lookup rather than a list of
        // fifty States); with a State too, the State must be of that group.
        f.states = match (state, group) {
            (None, _) => None,
            (Some(s), None) => Some(vec![s]),
            (Some(s), Some(g)) => Some(states_of(g).into_iter().filter(|x| *x == s).collect()),
        };
        f.regional_group = group
            .filter(|_| f.states.is_none())
            .map(|g| g.as_str().to_owned());
        f.stakeholder = self.stakeholder;
        f.role = self.role.map(|r| r.as_str().to_owned());
        f.submitter_kind = self.submitter_kind;
        f.recommendation = self.recommendation;
        f.assistance_request = self.assistance_request;
        f.offer = self.offer;
        f.theme = code_param("theme", &self.theme, |c| data.theme(c).is_some())?;
        f.sdg_target = code_param("sdg_target", &self.sdg_target, |c| {
            data.sdg_target(c).is_some()
        })?;
        f.modality = code_param("modality", &self.modality, |c| data.modality(c).is_some())?;
        f.status = self.status;
        f.funding_source = code_param("funding_source", &self.funding_source, |c| {
            data.funding_source(c).is_some()
        })?;
        // A period that ends before it starts holds no activity: a 400, not an empty list.
        if let (Some(from), Some(to)) = (self.active_from, self.active_to)
            && from > to
        {
            return Err(ApiError::invalid_parameter(
                "active_to",
                format!("{to} is before `active_from` ({from}): no activity runs in such a period"),
            ));
        }
        f.active_from = self.active_from.map(|d| d.to_string());
        f.active_to = self.active_to.map(|d| d.to_string());
        f.good_practice = self.good_practice;
        f.peer_to_peer = self.peer_to_peer;
        f.publication = self.publication;
        if let Some(state) = state_param("awaiting_consent_of", &self.awaiting_consent_of)? {
            if !policy::sees_hidden_of_state(&f.access, &state) {
                return Err(ApiError::Forbidden(format!(
                    "Only {state}'s own `state` token and `admin` see the activities awaiting its consent."
                )));
            }
            f.awaiting_consent_of = Some(state);
        }
        Ok(f)
    }
}

/// The ETag of an activity as served: its version, and a digest of its verdict when it is not
/// public (the verdict changes with consent records, the version does not).
pub fn tag_of(a: &Activity) -> String {
    if a.visibility.public {
        format!("\"{}\"", a.stored.version)
    } else {
        let json = serde_json::to_vec(&a.visibility).expect("visibility serialises");
        format!("\"{}-{}\"", a.stored.version, tag(json, 4))
    }
}

/// The ETag of an activity as IATI XML. Its own, since it is another representation; weak,
/// since each answer carries the time it was generated; and it changes with the stakeholders
/// the document names (their names and kinds are in it), not only with the activity.
fn iati_tag(a: &Activity, organisations: &iati::Organisations) -> String {
    let mut named = tag_of(a);
    for id in iati::named_stakeholders([a]) {
        let version = organisations.get(&id).map_or(0, |s| s.stored.version);
        named.push_str(&format!("|{id}:{version}"));
    }
    format!("W/\"iati-{}\"", tag(named, 8))
}

pub(super) fn respond(a: Activity, status: StatusCode) -> CustomizeResponder<web::Json<Activity>> {
    let tag = tag_of(&a);
    let location = format!("/api/v1/activities/{}", a.stored.id);
    let mut res = web::Json(a)
        .customize()
        .with_status(status)
        .insert_header(("ETag", tag));
    if status == StatusCode::CREATED {
        res = res.insert_header(("Location", location));
    }
    res
}

/// Activities this caller may see, filtered, in pages; public ones for anonymous and `sync`
/// callers.
#[utoipa::path(
    tag = "activities",
    operation_id = "list_activities",
    params(
        ActivityQuery,
        IfNoneMatch,
    ),
    responses((status = 200, description = "A page of activities; with `format=csv|ndjson|xml` or `Accept: text/csv`, \
        `application/x-ndjson` or `application/xml`, every matching activity, streamed (CSV in the \
        import columns; XML as one IATI 2.03 `iati-activities` document)",
        headers(
            ("Link" = String, description = "`<…>; rel=\"next\"`: the next page, when there is one"),
            ("ETag" = String, description = "Weak: of this page's body"),
            ("Content-Disposition" = String, description = "Of a file: `attachment`, and its name (`upr-tc-{list}-{date}.{csv|ndjson|xml}`)"),
        ),
        content(
            (ActivityPage = "application/json"),
            (String = "text/csv"),
            (String = "application/x-ndjson"),
            (String = "application/xml"),
        )),
        (status = 304, description = "The page is unchanged since the ETag given"),
        (status = 403, description = "`awaiting_consent_of` names a State other than the \
            caller's own (a State's consent queue is its own and `admin`'s)",
            body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("")]
pub async fn list_activities(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    query: crate::routes::query::Query<ActivityQuery>,
) -> ApiResult<HttpResponse> {
    let filter = query.filter(identity.0.as_ref())?;
    let paging = export::Paging::of(
        &state,
        ("activities", &req),
        &query.q,
        (query.cursor.as_deref(), query.limit),
    )?
    .format(query.format);
    export::list_response::<Activity, _>(
        &state,
        &req,
        move |sql| filter.apply(sql),
        paging,
        export::as_stored(),
    )
    .await
}

/// How one activity is asked for.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityFormatQuery {
    /// `json`, or `xml` for its IATI document to download; wins over `Accept`.
    #[param(inline)]
    pub format: Option<export::ActivityFormat>,
}

/// One activity. Anonymous and `sync` callers see only public activities; a contributor also
/// its own, a State also its own and those awaiting its consent, `admin` all.
///
/// With `Accept: application/xml`, as an IATI 2.03 `iati-activities` document holding it.
#[utoipa::path(
    tag = "activities",
    operation_id = "get_activity",
    params(
        ("id" = Uuid, Path, description = "The activity's id"),
        ActivityFormatQuery,
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "The activity; with `Accept: application/xml` or \
            `format=xml`, as an IATI 2.03 `iati-activities` document (its own, weak, ETag) \
            to download",
            headers(
                ("ETag" = String),
                ("Content-Disposition" = String, description = "Of XML: `attachment`, and its name (`upr-tc-activity-{id}-{date}.xml`)"),
            ),
            content(
                (Activity = "application/json"),
                (String = "application/xml"),
            )),
        (status = 304, description = "Unchanged since the ETag given", headers(("ETag" = String))),
    )
)]
#[get("/{id}")]
pub async fn get_activity(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    id: web::Path<ActivityId>,
    query: crate::routes::query::Query<ActivityFormatQuery>,
) -> ApiResult<Either<impl Responder, HttpResponse>> {
    let (id, access) = (id.into_inner(), policy::access(identity.0.as_ref()));
    if export::asked(&req, query.format) == Some(ExportFormat::Xml) {
        let (a, organisations) = with_item_db(&state, move |conn| {
            let a = app::activities::visible(conn, id, &access)?;
            let organisations = stakeholders::get_many(conn, iati::named_stakeholders([&a]))?;
            Ok((a, organisations))
        })
        .await?;
        let tag = iati_tag(&a, &organisations);
        if let Some(unchanged) = not_modified(&req, &tag) {
            return Ok(Either::Right(varies(unchanged)));
        }
        let body = iati::document(std::slice::from_ref(&a), &organisations, Utc::now());
        return Ok(Either::Right(varies(
            HttpResponse::Ok()
                .content_type(export::XML_CONTENT_TYPE)
                .insert_header(export::attachment(
                    &format!("activity-{id}"),
                    ExportFormat::Xml,
                ))
                .insert_header((header::ETAG, tag))
                .body(body),
        )));
    }
    // The activity whole, kept while the data is unchanged; the publication rule is applied
    // to it for each request, as to one read from the database.
    let found = kept_by_id(
        &state,
        format!("activities\u{1}typed\u{1}{id}"),
        kept_size,
        move |conn| crate::db::activities::get(conn, id),
    )
    .await?;
    let a = app::activities::shown(found.as_deref(), id, &access)?;
    if let Some(unchanged) = not_modified(&req, &tag_of(a)) {
        return Ok(Either::Right(varies(unchanged)));
    }
    Ok(Either::Left(
        respond(a.clone(), StatusCode::OK).insert_header((header::VARY, "Accept")),
    ))
}

/// Says that the answer depends on `Accept` (JSON or IATI XML), so caches keep them apart.
fn varies(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut()
        .insert(header::VARY, header::HeaderValue::from_static("Accept"));
    res
}

/// Submits an activity: a contributor for its own organisation, a State as itself, `admin` for
/// any submitter.
#[utoipa::path(
    tag = "activities",
    operation_id = "create_activity",
    security(("bearer" = [])),
    request_body = ActivityInput,
    responses((status = 201, description = "Created", body = Activity,
        headers(("Location" = String), ("ETag" = String))))
)]
#[post("")]
pub async fn create_activity(
    state: web::Data<AppState>,
    caller: Caller,
    body: crate::routes::body::Json<ActivityInput>,
) -> ApiResult<impl Responder> {
    let (who, input) = (Principal::from(caller), body.into_inner());
    let a = with_db(&state, move |conn| {
        Ok(app::activities::submit(conn, &who, input)?)
    })
    .await?;
    Ok(respond(a, StatusCode::CREATED))
}

async fn change(
    state: web::Data<AppState>,
    caller: Caller,
    id: ActivityId,
    expected: Expected,
    edit: Edit<ActivityInput>,
) -> ApiResult<impl Responder> {
    let who = Principal::from(caller);
    let a = with_db(&state, move |conn| {
        Ok(app::activities::change(conn, &who, id, edit, expected)?)
    })
    .await?;
    Ok(respond(a, StatusCode::OK))
}

item_edits! {
    tag = "activities", id = ActivityId, id_doc = "The activity's id",
    input = ActivityInput, output = Activity,
    /// Replaces an activity; with `If-Match`, only if it is still that version.
    replace = replace_activity,
    /// Changes some fields of an activity with a JSON merge patch (RFC 7396).
    patch = patch_activity,
}

/// Deletes an activity (its submitter, or `admin`). Consent records about it stay; one about
/// it by name keeps its submitter from deleting it.
#[utoipa::path(
    tag = "activities",
    operation_id = "delete_activity",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The activity's id"),
        IfMatch,
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "A State has recorded a decision about this activity by \
            name: its submitter withdraws it (`publication: withdrawn`) instead; `admin` may \
            delete it", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/{id}")]
pub async fn delete_activity(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<ActivityId>,
) -> ApiResult<HttpResponse> {
    let (id, expected) = (id.into_inner(), expected(&req)?);
    let who = Principal::from(caller);
    with_db(&state, move |conn| {
        Ok(app::activities::delete(conn, &who, id, expected)?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Takes a stakeholder off an activity's participants at its own word: an organisation named
/// without its agreement declines (its own contributors, a State for its own State's bodies,
/// or `admin` on its behalf). The activity is written again without it (a new version; its
/// offers stop citing it), and no later write names it on this activity, nor on one of the same
/// submitter, title and planned start (the activity deleted and submitted again), but
/// `admin`'s (a 422 `declined` naming the participant). A State's consent by name was for the
/// activity as it read then: where such a consent is what publishes it, the State is asked
/// again. 404 for an activity the caller does not see, an unknown stakeholder, or one that is
/// not a participant; 412 when `If-Match` names another version.
#[utoipa::path(
    tag = "activities",
    operation_id = "decline_participation",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The activity's id"),
        ("stakeholder" = Uuid, Path, description = "The participant's stakeholder id"),
        IfMatch,
    ),
    responses(
        (status = 204, description = "Taken off the activity"),
        (status = 409, description = "The stakeholder submitted the activity: it changes or \
            withdraws it instead", body = crate::error::Problem,
            content_type = "application/problem+json"),
    )
)]
#[delete("/{id}/participants/{stakeholder}")]
pub async fn decline_participation(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(ActivityId, StakeholderId)>,
) -> ApiResult<HttpResponse> {
    let ((id, stakeholder), expected) = (path.into_inner(), expected(&req)?);
    let who = Principal::from(caller);
    with_db(&state, move |conn| {
        Ok(app::activities::decline(
            conn,
            &who,
            id,
            stakeholder,
            expected,
        )?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
