//! Offers: a contributor makes its own organisation's, a State its own (peer to peer, as its
//! own stakeholder), `admin` any stakeholder's.

use super::Expected;
use super::activities::{author_to_change, author_to_submit};
use super::policy::{self, Author};
use super::uploads::Uploader;
use super::{Edit, Error, Principal, Result, row_errors, valid};
use crate::db::DbConnection;
use crate::db::activities::{self, Referenced};
use crate::db::documents;
use crate::db::interests;
use crate::db::offers::{self, check_references};
use crate::db::tx::write;
use crate::domain::offer::{Offer, OfferContent, OfferInput, OfferStatus};
use crate::domain::publication::Access;
use crate::domain::{FieldError, Id, OfferId};

/// Whether a caller with `access` sees an offer: a public one, or its own stakeholder's (a
/// contributor's organisation that is no State's own stakeholder, a State's own stakeholder).
fn may_see(conn: &mut DbConnection, access: &Access, offer: &Offer) -> Result<bool> {
    match known_without_reading(access, offer) {
        Some(sees) => Ok(sees),
        None => {
            let Some(id) = offer.content.stakeholder else {
                return Ok(false);
            };
            let bound = crate::db::stakeholders::bound_state(conn, id)?;
            Ok(match access {
                Access::State(state) => bound.as_ref() == Some(state),
                Access::Submitter(_) => bound.is_none(),
                Access::Public | Access::Everything => false,
            })
        }
    }
}

/// [`may_see`] where the offer alone says: `None` for an offer that is not public of a
/// contributor's organisation (seen unless it is a State's own stakeholder) or for a State's
/// focal point (seen when the offer's stakeholder is bound to its State).
fn known_without_reading(access: &Access, offer: &Offer) -> Option<bool> {
    if offer.public() {
        return Some(true);
    }
    let stakeholder = offer.content.stakeholder;
    match access {
        Access::Everything => Some(true),
        Access::Public => Some(false),
        Access::Submitter(own) if stakeholder == Some(*own) => None,
        Access::Submitter(_) => Some(false),
        Access::State(_) if stakeholder.is_some() => None,
        Access::State(_) => Some(false),
    }
}

/// The offer, if a caller with `access` may see it; else the same answer as for no offer.
pub fn visible(conn: &mut DbConnection, id: OfferId, access: &Access) -> Result<Offer> {
    let not_found = || Error::NotFound(format!("No offer has the id {id}."));
    let offer = documents::get::<Offer>(conn, id)?.ok_or_else(not_found)?;
    if may_see(conn, access, &offer)? {
        Ok(offer)
    } else {
        Err(not_found())
    }
}

/// [`visible`] of `found`, the offer with this id if there is one (kept while the data is
/// unchanged), where the offer alone says whether the caller sees it: `Ok(None)` where it
/// does not (a State's focal point and an offer that is not public), and [`visible`] must
/// read the database.
pub fn shown(found: Option<&Offer>, id: OfferId, access: &Access) -> Result<Option<Offer>> {
    let not_found = || Error::NotFound(format!("No offer has the id {id}."));
    let offer = found.ok_or_else(not_found)?;
    match known_without_reading(access, offer) {
        Some(true) => Ok(Some(offer.clone())),
        Some(false) => Err(not_found()),
        None => Ok(None),
    }
}

/// The content validated, and what it refers to known: every problem at once.
fn checked(conn: &mut DbConnection, input: OfferInput) -> Result<OfferContent> {
    let content = valid(input.validate())?;
    let errors = check_references(conn, &content)?;
    if errors.is_empty() {
        Ok(content)
    } else {
        Err(Error::Invalid(errors))
    }
}

/// A row of an upload (already valid), as [`make`] and [`change`] check an offer: its
/// stakeholder the uploader's own (or named, by `admin`; a refusal is a field error at
/// `/stakeholder`), what it refers to known. A State's own stakeholder that a dry run has not
/// registered is not refused for being unknown.
pub fn check_row(
    conn: &mut DbConnection,
    uploader: &Uploader,
    mut content: OfferContent,
) -> std::result::Result<OfferContent, Vec<FieldError>> {
    let stakeholder = policy::offer_stakeholder(&uploader.author, content.stakeholder)
        .map_err(|e| row_errors(e, "/stakeholder"))?;
    content.stakeholder = Some(stakeholder);
    let mut errors =
        check_references(conn, &content).map_err(|e| row_errors(e.into(), "/stakeholder"))?;
    if uploader.author_unregistered {
        errors.retain(|e| e.pointer != "/stakeholder");
    }
    if errors.is_empty() {
        Ok(content)
    } else {
        Err(errors)
    }
}

/// Makes an offer: a contributor for its organisation, a State as its own stakeholder,
/// `admin` for the stakeholder it names.
pub fn make(
    conn: &mut DbConnection,
    principal: &Principal,
    mut input: OfferInput,
) -> Result<Offer> {
    let writer = policy::offer_writer(principal)?;
    let actor = principal.actor();
    write(conn, |c| {
        let author = author_to_submit(c, &writer, &actor)?;
        input.stakeholder = Some(policy::offer_stakeholder(&author, input.stakeholder)?);
        let content = checked(c, input)?;
        Ok(documents::insert(c, &actor, content, OfferId::new_v7())?)
    })
}

/// The offer as the principal may change it: one it sees (else not found), and its own
/// stakeholder's (else forbidden).
fn own_current(
    conn: &mut DbConnection,
    principal: &Principal,
    id: OfferId,
) -> Result<(Offer, Author)> {
    let current = visible(conn, id, &policy::principal_access(principal))?;
    let writer = policy::offer_writer(principal)?;
    let author = author_to_change(conn, &writer)?;
    policy::may_change_offer(&author, current.content.stakeholder)?;
    Ok((current, author))
}

/// Changes an offer (a replacement or a merge patch); with `expected`, only if it is still
/// that version.
pub fn change(
    conn: &mut DbConnection,
    principal: &Principal,
    id: OfferId,
    edit: Edit<OfferInput>,
    expected: Expected,
) -> Result<Offer> {
    let actor = principal.actor();
    write(conn, |c| {
        let (current, author) = own_current(c, principal, id)?;
        let mut input = edit.apply(&current.content)?;
        let named = input.stakeholder.or(current.content.stakeholder);
        input.stakeholder = Some(policy::offer_stakeholder(&author, named)?);
        let content = checked(c, input)?;
        cited_stays(c, &current, &content)?;
        relisted(c, &current, &content)?;
        Ok(documents::replace(c, &actor, id, content, &expected)?)
    })
}

/// What no write may do to an offer that interests or activities cite: give it to another
/// stakeholder (they cite it as that stakeholder's), or take it back to draft (a public
/// activity would name an offer nobody sees). Every write of an offer (the API, bulk uploads,
/// the CLI) is held to it.
pub fn cited_stays(conn: &mut DbConnection, current: &Offer, content: &OfferContent) -> Result<()> {
    let moves = content.stakeholder != current.content.stakeholder;
    let hides = current.public() && content.status == OfferStatus::Draft;
    if !(moves || hides) || !cited(conn, current.stored.id)? {
        return Ok(());
    }
    Err(Error::Conflict(if moves {
        "Interests or activities cite this offer as its stakeholder's: it stays that stakeholder's."
            .into()
    } else {
        "Interests or activities cite this offer: it stays public; close it (`status: closed`) instead.".into()
    }))
}

/// An offer whose list of activities its writer changed has that list: what was withheld from
/// it while activities it cited were hidden (`db::offers::withhold`) is not given back over
/// it. Every write of an offer (the API, bulk uploads, the CLI) is held to it, in the write's
/// transaction.
pub fn relisted(conn: &mut DbConnection, current: &Offer, content: &OfferContent) -> Result<()> {
    if content.activities != current.content.activities {
        offers::forget_withheld(conn, current.stored.id)?;
    }
    Ok(())
}

/// Whether interests or activities cite the offer: as its stakeholder's.
fn cited(conn: &mut DbConnection, id: OfferId) -> Result<bool> {
    Ok(interests::citing_offer(conn, id)? > 0
        || activities::references_to(conn, Referenced::Offer(id))? > 0)
}

/// Deletes an offer; with `expected`, only if it is still that version.
pub fn delete(
    conn: &mut DbConnection,
    principal: &Principal,
    id: OfferId,
    expected: Expected,
) -> Result<()> {
    let actor = principal.actor();
    write(conn, |c| {
        own_current(c, principal, id)?;
        documents::delete::<Offer>(c, &actor, id, &expected)?;
        Ok(())
    })
}
