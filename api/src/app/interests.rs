//! Interests: from match to activity (issue 11). A provider expresses interest in an open
//! assistance request, citing its open offer; the request's State (or `admin`) accepts one,
//! and the request is matched and the other pending interests declined, or declines it; the
//! provider withdraws a pending one; an accepted one becomes an activity, named after the
//! request and the offer.
//!
//! Interests are never public: the request's State and `admin` see all of a request's, a
//! provider its own (`policy::interests_seen`). A caller who does not see the request, or the
//! interest, is told that there is none (404). Every command is one write transaction: a
//! refusal at any step leaves nothing written.

use super::Expected;
use super::activities::{author_to_change, insert_as, insert_keyed_as};
use super::assistance_requests;
use super::policy::{self, Author, InterestsSeen};
use super::{Error, Principal, Result, valid};
use crate::db::DbConnection;
use crate::db::Position;
use crate::db::activities;
use crate::db::audit::Actor;
use crate::db::documents;
use crate::db::interests;
use crate::db::stakeholders::bound_state;
use crate::db::time::now;
use crate::db::tx::write;
use crate::domain::activity::{Activity, ActivityContent};
use crate::domain::assistance_request::{AssistanceRequest, RequestStatus};
use crate::domain::interest::{Interest, InterestInput, InterestStatus, activity_from_match};
use crate::domain::offer::{Offer, OfferStatus};
use crate::domain::{AssistanceRequestId, FieldError, Id, InterestId, Stored};

/// The stakeholder a principal makes offers as, without registering one: its organisation,
/// its State's own stakeholder; `Anyone` for `admin`; `Nobody` for `sync` and the rest.
fn provider_of(conn: &mut DbConnection, principal: &Principal) -> Result<Author> {
    match policy::offer_writer(principal) {
        Ok(writer) => author_to_change(conn, &writer),
        Err(_) => Ok(Author::Nobody),
    }
}

/// What a principal sees of a request's interests: the request (one it sees, else not found),
/// which interests, and the stakeholder it makes offers as.
fn seen(
    conn: &mut DbConnection,
    principal: &Principal,
    request: AssistanceRequestId,
) -> Result<(AssistanceRequest, InterestsSeen, Author)> {
    let request =
        assistance_requests::visible(conn, request, &policy::principal_access(principal))?;
    let provider = provider_of(conn, principal)?;
    let seen = policy::interests_seen(principal, &request.content, &provider);
    Ok((request, seen, provider))
}

fn no_interest(id: InterestId) -> Error {
    Error::NotFound(format!("No interest in this request has the id {id}."))
}

/// The interest, if it is one of this request's and the principal sees it.
fn interest_in(
    conn: &mut DbConnection,
    request: &AssistanceRequest,
    seen: &InterestsSeen,
    id: InterestId,
) -> Result<Interest> {
    interests::get(conn, id)?
        .filter(|i| i.assistance_request == request.stored.id && seen.sees(i))
        .ok_or_else(|| no_interest(id))
}

/// The interest one version on, in `status`: decided now if it leaves `pending`.
fn next_version(interest: &Interest, status: InterestStatus) -> Interest {
    let mut after = interest.clone();
    after.status = status;
    after.stored.version += 1;
    after.stored.updated_at = now();
    if interest.status == InterestStatus::Pending && status != InterestStatus::Pending {
        after.decided_at = Some(after.stored.updated_at);
    }
    after
}

/// Refuses a write to an interest that is no longer the version the caller last read.
fn current(interest: &Interest, expected: &Expected) -> Result<()> {
    Ok(expected.check(interest.stored.version)?)
}

/// The interest in `next`, or why not: only a pending interest is decided or withdrawn.
fn advance(interest: &Interest, next: InterestStatus) -> Result<Interest> {
    let status = interest.becomes(next).map_err(|already| {
        Error::Conflict(format!(
            "This interest is {}: only a pending interest is accepted, declined or withdrawn.",
            already.0.as_str()
        ))
    })?;
    Ok(next_version(interest, status))
}

fn offer_error(code: &str, message: impl Into<String>) -> Error {
    Error::Invalid(vec![FieldError::new("/offer", code, message)])
}

/// Expresses interest in a request, citing an offer: by whoever may change the offer (its
/// contributor, the State whose own stakeholder makes it, `admin`). The request must be open
/// and visible to the caller (else 409, 404); the offer one the caller sees (else a 422 naming
/// `/offer`), open, serving the request's State and not the State's own; one interest per
/// request and offer (409).
pub fn express(
    conn: &mut DbConnection,
    principal: &Principal,
    request: AssistanceRequestId,
    input: InterestInput,
) -> Result<Interest> {
    let writer = policy::offer_writer(principal).map_err(|_| {
        Error::Forbidden(
            "Interests are expressed by providers (contributors, States) and `admin`.".into(),
        )
    })?;
    let actor = principal.actor();
    write(conn, |c| {
        let input = valid(input.validate())?;
        let access = policy::principal_access(principal);
        let request = assistance_requests::visible(c, request, &access)?;
        let offer = super::offers::visible(c, input.offer, &access).map_err(|_| {
            offer_error(
                "unknown_offer",
                format!("no offer has the id {}", input.offer),
            )
        })?;
        let author = author_to_change(c, &writer)?;
        policy::may_speak_for_provider(&author, offer.content.stakeholder)?;
        let provider = offer.content.stakeholder.ok_or_else(|| {
            Error::Internal(anyhow::anyhow!(
                "offer {} has no stakeholder",
                offer.stored.id
            ))
        })?;
        let state = &request.content.state;
        if request.content.status != RequestStatus::Open {
            return Err(Error::Conflict(format!(
                "The request is {}: only an open request takes interests.",
                request.content.status.as_str()
            )));
        }
        if offer.content.status != OfferStatus::Open {
            return Err(offer_error(
                "offer_not_open",
                format!(
                    "the offer is {}: an interest cites an open offer",
                    offer.content.status.as_str()
                ),
            ));
        }
        if bound_state(c, provider)?.as_ref() == Some(state) {
            return Err(offer_error(
                "own_offer",
                format!("the offer is {state}'s own: a State does not answer its own request"),
            ));
        }
        if !offer.content.serves(state) {
            return Err(offer_error(
                "not_served",
                format!(
                    "the offer does not serve {state}: it names neither the State, nor one of its regions or its regional group"
                ),
            ));
        }
        if let Some(existing) = interests::find(c, request.stored.id, offer.stored.id)? {
            return Err(Error::Conflict(format!(
                "Interest {} cites this offer in this request already ({}).",
                existing.stored.id,
                existing.status.as_str()
            )));
        }
        let interest = Interest {
            stored: Stored::new(InterestId::new_v7(), now()),
            assistance_request: request.stored.id,
            offer: offer.stored.id,
            stakeholder: provider,
            status: InterestStatus::Pending,
            message: input.message,
            activity: None,
            decided_at: None,
        };
        interests::insert(c, &actor, &interest)?;
        Ok(interest)
    })
}

/// A page of the interests in a request that the principal sees: all of them for its State
/// and `admin`, a provider's own for a provider, none for anyone else (an empty page). A
/// request the principal does not see is not found.
pub fn list(
    conn: &mut DbConnection,
    principal: &Principal,
    request: AssistanceRequestId,
    position: Position,
    limit: i64,
) -> Result<(Vec<Interest>, Option<Position>)> {
    let (request, seen, _) = seen(conn, principal, request)?;
    let id = request.stored.id;
    Ok(match seen {
        InterestsSeen::All => interests::list(conn, id, None, position, limit)?,
        InterestsSeen::OfProvider(own) => interests::list(conn, id, Some(own), position, limit)?,
        InterestsSeen::Nothing => (Vec::new(), None),
    })
}

/// One interest in a request, if the principal sees it.
pub fn visible(
    conn: &mut DbConnection,
    principal: &Principal,
    request: AssistanceRequestId,
    id: InterestId,
) -> Result<Interest> {
    let (request, seen, _) = seen(conn, principal, request)?;
    interest_in(conn, &request, &seen, id)
}

/// Accepts a pending interest (the request's State, or `admin`): the interest is accepted,
/// the request matched (a replacement of it, in the audit trail and the change feed), and
/// every other pending interest in it declined. The request must be open, with no interest
/// accepted, and the offer still open (else 409). With `expected`, only if the interest is
/// still that version.
pub fn accept(
    conn: &mut DbConnection,
    principal: &Principal,
    request: AssistanceRequestId,
    id: InterestId,
    expected: Expected,
) -> Result<Interest> {
    let actor = principal.actor();
    write(conn, |c| {
        let (request, seen, _) = seen(c, principal, request)?;
        let interest = interest_in(c, &request, &seen, id)?;
        policy::may_decide_interests(principal, &request.content)?;
        current(&interest, &expected)?;
        let accepted = advance(&interest, InterestStatus::Accepted)?;
        if request.content.status != RequestStatus::Open {
            return Err(Error::Conflict(format!(
                "The request is {}: only an open request accepts an interest.",
                request.content.status.as_str()
            )));
        }
        if let Some(other) =
            interests::with_status(c, request.stored.id, &[InterestStatus::Accepted])?.first()
        {
            return Err(Error::Conflict(format!(
                "Interest {} in this request is accepted already.",
                other.stored.id
            )));
        }
        let offer = documents::get::<Offer>(c, interest.offer)?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("offer {} is gone", interest.offer)))?;
        if offer.content.status != OfferStatus::Open {
            return Err(Error::Conflict(format!(
                "The offer this interest cites is {} now: only an interest with an open offer is accepted.",
                offer.content.status.as_str()
            )));
        }
        interests::update(c, &actor, &interest, &accepted)?;
        let mut matched = request.content.clone();
        matched.status = RequestStatus::Matched;
        documents::replace::<AssistanceRequest>(
            c,
            &actor,
            request.stored.id,
            matched,
            &Expected::ANY,
        )?;
        for other in interests::with_status(c, request.stored.id, &[InterestStatus::Pending])? {
            let declined = next_version(&other, InterestStatus::Declined);
            interests::update(c, &actor, &other, &declined)?;
        }
        Ok(accepted)
    })
}

/// Declines a pending interest (the request's State, or `admin`). With `expected`, only if it
/// is still that version.
pub fn decline(
    conn: &mut DbConnection,
    principal: &Principal,
    request: AssistanceRequestId,
    id: InterestId,
    expected: Expected,
) -> Result<Interest> {
    let actor = principal.actor();
    write(conn, |c| {
        let (request, seen, _) = seen(c, principal, request)?;
        let interest = interest_in(c, &request, &seen, id)?;
        policy::may_decide_interests(principal, &request.content)?;
        current(&interest, &expected)?;
        let declined = advance(&interest, InterestStatus::Declined)?;
        interests::update(c, &actor, &interest, &declined)?;
        Ok(declined)
    })
}

/// Withdraws a pending interest (its provider, or `admin`). With `expected`, only if it is
/// still that version.
pub fn withdraw(
    conn: &mut DbConnection,
    principal: &Principal,
    request: AssistanceRequestId,
    id: InterestId,
    expected: Expected,
) -> Result<Interest> {
    let actor = principal.actor();
    write(conn, |c| {
        let (request, seen, provider) = seen(c, principal, request)?;
        let interest = interest_in(c, &request, &seen, id)?;
        policy::may_speak_for_provider(&provider, Some(interest.stakeholder))?;
        current(&interest, &expected)?;
        let withdrawn = advance(&interest, InterestStatus::Withdrawn)?;
        interests::update(c, &actor, &interest, &withdrawn)?;
        Ok(withdrawn)
    })
}

/// Makes the activity of an accepted interest (its provider, the request's State, or `admin`:
/// `policy::match_activity_author` says as whom, and why the State may): a draft in the
/// pipeline that the provider submits and implements, built from the request and the offer
/// (`domain::interest::activity_from_match`), checked as any submitted activity is, and
/// recorded on the interest. Once made, a second call is a conflict naming the activity; if
/// that activity was deleted since, the match makes another.
pub fn make_activity(
    conn: &mut DbConnection,
    principal: &Principal,
    request: AssistanceRequestId,
    id: InterestId,
) -> Result<(Activity, Interest)> {
    let actor: Actor = principal.actor();
    write(conn, |c| {
        let (request, seen, provider) = seen(c, principal, request)?;
        let interest = interest_in(c, &request, &seen, id)?;
        let author =
            policy::match_activity_author(principal, &request.content, &interest, &provider)?;
        if interest.status != InterestStatus::Accepted {
            return Err(Error::Conflict(format!(
                "This interest is {}: only an accepted interest becomes an activity.",
                interest.status.as_str()
            )));
        }
        if let Some(made) = interest.activity
            && activities::get(c, made)?.is_some()
        {
            return Err(Error::Conflict(format!(
                "Activity {made} was made from this match already: /api/v1/activities/{made}."
            )));
        }
        let offer = documents::get::<Offer>(c, interest.offer)?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("offer {} is gone", interest.offer)))?;
        let input = activity_from_match(&request, &offer, interest.stakeholder);
        // The provider holds an activity of this title and planned start. The State that asks
        // may not see it, and a conflict would tell it that it exists: the match's activity is
        // keyed by the match too instead (`ActivityInput::match_key`), and the provider, who
        // sees both, is told of the other when it next writes this one. The provider and
        // `admin`, who see it, are told of it.
        let blind = author == Author::Anyone && !policy::sees_everything(principal);
        let activity = match insert_as(c, &author, &actor, input.clone()) {
            Err(Error::Conflict(_)) if blind => {
                insert_keyed_as(c, &author, &actor, input, ActivityContent::match_key)
            }
            made => made,
        }
        .map_err(|e| match e {
            Error::Conflict(_) if blind => {
                Error::Conflict("An activity was made from this match already.".into())
            }
            Error::Conflict(_) => Error::Conflict(
                "The provider has an activity of this title and planned start already: the \
                 provider may name the request and the offer on it, or the request's \
                 description or period differ."
                    .into(),
            ),
            other => other,
        })?;
        let mut after = next_version(&interest, interest.status);
        after.activity = Some(activity.stored.id);
        interests::update(c, &actor, &interest, &after)?;
        Ok((activity, after))
    })
}
