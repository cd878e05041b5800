//! Stakeholders: `admin` registers and deletes them; a contributor changes its own
//! organisation, a State its own bodies, except the fields only `admin` sets (`policy`).

use super::Expected;
use super::policy;
use super::{Edit, Principal, Result, valid};
use crate::db::DbConnection;
use crate::db::documents::{self, WriteError};
use crate::db::tx::write;
use crate::domain::StakeholderId;
use crate::domain::stakeholder::{Stakeholder, StakeholderContent, StakeholderInput};

/// Registers a stakeholder (`admin`).
pub fn create(
    conn: &mut DbConnection,
    principal: &Principal,
    input: StakeholderInput,
) -> Result<Stakeholder> {
    let input = valid(input.validate())?;
    policy::may_register_stakeholder(principal)?;
    super::insert(conn, principal, input)
}

/// What a new content of a stakeholder keeps of the current one: contact details, which a
/// replacement or an upload's row may leave out (a file without contact columns), are kept
/// rather than erased by their omission.
pub fn keeping_contact<A, B>(
    current: &StakeholderInput<A>,
    mut input: StakeholderInput<B>,
) -> StakeholderInput<B> {
    if input.contact.is_none() && current.contact.is_some() {
        input.contact = current.contact.clone();
    }
    input
}

/// Changes a stakeholder (a replacement or a merge patch); with `expected`, only if it is
/// still that version.
pub fn change(
    conn: &mut DbConnection,
    principal: &Principal,
    id: StakeholderId,
    edit: Edit<StakeholderInput>,
    expected: Expected,
) -> Result<Stakeholder> {
    let actor = principal.actor();
    write(conn, |c| {
        // Who may edit it at all, then validation (a bad change is a 422 whatever its
        // If-Match), then which of its fields the principal may change.
        let current: Stakeholder = documents::get(c, id)?.ok_or(WriteError::NotFound)?;
        policy::may_edit_stakeholder(principal, id, &current.content, &current.content)?;
        let input = match edit {
            Edit::Replace(input) => keeping_contact(&current.content, input),
            patch => patch.apply(&current.content)?,
        };
        let input = valid(input.validate())?;
        policy::may_edit_stakeholder(principal, id, &current.content, &input)?;
        not_borne_by_others(c, principal, id, &current.content, &input)?;
        Ok(documents::replace(c, &actor, id, input, &expected)?)
    })
}

/// Whether the names `principal` gives stakeholder `id` anew are none of another
/// organisation's (`policy::may_bear_names`).
pub fn not_borne_by_others(
    conn: &mut DbConnection,
    principal: &Principal,
    id: StakeholderId,
    before: &StakeholderContent,
    after: &StakeholderContent,
) -> Result<()> {
    let given = policy::names_given(principal, before, after);
    let borne =
        crate::db::stakeholders::names_borne_by_others(conn, id, after.country.as_ref(), &given)?;
    policy::may_bear_names(&borne)
}

/// Deletes a stakeholder (`admin`) no activity names; with `expected`, only if it is still
/// that version.
pub fn delete(
    conn: &mut DbConnection,
    principal: &Principal,
    id: StakeholderId,
    expected: Expected,
) -> Result<()> {
    policy::may_delete_stakeholder(principal)?;
    super::delete::<Stakeholder>(conn, principal, id, expected)
}
