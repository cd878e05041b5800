//! Activities: submit, change, delete; and what a bulk upload of activities holds each row
//! to, the same rules.

use super::Expected;
use super::policy::{self, ActivityWriter, Author};
use super::uploads::Uploader;
use super::{Edit, Error, Principal, Result, valid};
use crate::db::DbConnection;
use crate::db::activities::{self, check_references, declined};
use crate::db::audit::Actor;
use crate::db::consents::decided_by_name;
use crate::db::documents;
use crate::db::stakeholders::{bound_state, find_state_stakeholder, state_stakeholder};
use crate::db::tx::write;
use crate::domain::activity::{Activity, ActivityContent, ActivityInput};
use crate::domain::publication::{Access, may_see};
use crate::domain::stakeholder::Stakeholder;
use crate::domain::{ActivityId, FieldError, Id, StakeholderId};

/// The activity, if a caller with `access` may see it; else the same answer as for no
/// activity at all.
pub fn visible(conn: &mut DbConnection, id: ActivityId, access: &Access) -> Result<Activity> {
    shown(activities::get(conn, id)?.as_ref(), id, access).cloned()
}

/// `found`, the activity with this id if there is one (read now, or kept while the data is
/// unchanged), if a caller with `access` may see it; else the same answer as for no activity
/// at all. The publication rule of every read of one activity. Borrowed: an answer that has
/// no body (`304 Not Modified`) copies nothing.
pub fn shown<'a>(
    found: Option<&'a Activity>,
    id: ActivityId,
    access: &Access,
) -> Result<&'a Activity> {
    found
        .filter(|a| may_see(access, &a.facts(), &a.visibility))
        .ok_or_else(|| Error::NotFound(format!("No activity has the id {id}.")))
}

/// The stakeholder a writer submits new activities as: its organisation, unless that is a
/// State's own; its State's own stakeholder, registered on first use.
pub(super) fn author_to_submit(
    conn: &mut DbConnection,
    writer: &ActivityWriter,
    actor: &Actor,
) -> Result<Author> {
    match writer {
        ActivityWriter::AnySubmitter => Ok(Author::Anyone),
        ActivityWriter::Organisation(own) => {
            policy::may_submit_as_organisation(bound_state(conn, *own)?.as_ref())?;
            Ok(Author::Stakeholder(*own))
        }
        ActivityWriter::State(code) => {
            Ok(Author::Stakeholder(state_stakeholder(conn, actor, code)?))
        }
    }
}

/// The stakeholder whose activities a writer changes; registers nothing.
pub(super) fn author_to_change(conn: &mut DbConnection, writer: &ActivityWriter) -> Result<Author> {
    Ok(match writer {
        ActivityWriter::AnySubmitter => Author::Anyone,
        ActivityWriter::Organisation(own) => match bound_state(conn, *own)? {
            Some(_) => Author::Nobody,
            None => Author::Stakeholder(*own),
        },
        ActivityWriter::State(code) => {
            find_state_stakeholder(conn, code)?.map_or(Author::Nobody, Author::Stakeholder)
        }
    })
}

/// The content and its references validated: every problem at once.
fn checked(conn: &mut DbConnection, input: ActivityInput) -> Result<ActivityContent> {
    let input = valid(input.validate())?;
    let errors = check_references(conn, &input)?;
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Submits an activity: a contributor for its own organisation, a State as itself, `admin`
/// for the submitter it names.
pub fn submit(
    conn: &mut DbConnection,
    principal: &Principal,
    input: ActivityInput,
) -> Result<Activity> {
    let writer = policy::activity_writer(principal)?;
    let actor = principal.actor();
    write(conn, |c| {
        let author = author_to_submit(c, &writer, &actor)?;
        insert_as(c, &author, &actor, input)
    })
}

/// Stores a new activity as `author` writes it: its submitter the author's own (or the one
/// it names, for [`Author::Anyone`]), its content and references checked. Call inside a
/// write transaction, once the policy has said who the author is.
pub(super) fn insert_as(
    conn: &mut DbConnection,
    author: &Author,
    actor: &Actor,
    input: ActivityInput,
) -> Result<Activity> {
    insert_keyed_as(conn, author, actor, input, ActivityContent::natural_key)
}

/// [`insert_as`], under the key `key` gives the checked content (its natural key, or another
/// where a match's activity is made: `app::interests::make_activity`).
pub(super) fn insert_keyed_as(
    conn: &mut DbConnection,
    author: &Author,
    actor: &Actor,
    mut input: ActivityInput,
    key: impl FnOnce(&ActivityContent) -> String,
) -> Result<Activity> {
    input.submitter =
        Some(policy::submitter(author, input.submitter).map_err(policy::submitter_refused)?);
    let input = checked(conn, input)?;
    not_declined(conn, None, author, None, &input)?;
    let key = key(&input);
    Ok(documents::insert_keyed(
        conn,
        actor,
        input,
        ActivityId::new_v7(),
        key,
    )?)
}

/// The activity as the principal may change it: one it sees (else not found), and its own
/// to change (else forbidden).
fn own_current(
    conn: &mut DbConnection,
    principal: &Principal,
    id: ActivityId,
) -> Result<(Activity, Author)> {
    let current = visible(conn, id, &policy::principal_access(principal))?;
    let writer = policy::activity_writer(principal)?;
    let author = author_to_change(conn, &writer)?;
    policy::may_change_activity(&author, current.content.submitter)?;
    Ok((current, author))
}

/// Changes an activity (a replacement or a merge patch); with `expected`, only if it is still
/// that version.
pub fn change(
    conn: &mut DbConnection,
    principal: &Principal,
    id: ActivityId,
    edit: Edit<ActivityInput>,
    expected: Expected,
) -> Result<Activity> {
    let actor = principal.actor();
    write(conn, |c| {
        let (current, author) = own_current(c, principal, id)?;
        let mut input = edit.apply(&current.content)?;
        let named = input.submitter.or(current.content.submitter);
        input.submitter = match author {
            // `admin` keeps the submitter, or names another.
            Author::Anyone => named,
            _ => Some(policy::submitter(&author, named).map_err(policy::submitter_refused)?),
        };
        let input = checked(c, input)?;
        not_declined(c, Some(id), &author, Some(&current.content), &input)?;
        Ok(documents::replace(c, &actor, id, input, &expected)?)
    })
}

/// Refuses `content` for activity `id` (`None`: a new one), now `current`, when it names anew a
/// participant that took itself off the activity, or off one of the same natural key (the
/// same activity deleted and submitted again: [`decline`]), unless `admin` writes it: each
/// such participant a field error. One the current content names already (`admin` named it
/// again) is not named anew, unless the write moves the activity onto another natural key.
pub fn not_declined(
    conn: &mut DbConnection,
    id: Option<ActivityId>,
    author: &Author,
    current: Option<&ActivityContent>,
    content: &ActivityContent,
) -> Result<()> {
    if policy::may_name_declined(author) {
        return Ok(());
    }
    let named_before = |s: &StakeholderId| {
        current.is_some_and(|c| c.participants.iter().any(|p| p.stakeholder == *s))
    };
    let (anew, kept): (Vec<StakeholderId>, Vec<StakeholderId>) = content
        .participants
        .iter()
        .map(|p| p.stakeholder)
        .partition(|s| !named_before(s));
    let key = content.natural_key();
    let mut declined = declined::among(conn, id, &key, &anew)?;
    // Moved onto another natural key (a new title or planned start), it is that activity too:
    // those it names already are checked against the declines of that key.
    if current.is_some_and(|c| c.natural_key() != key) {
        declined.extend(declined::among(conn, None, &key, &kept)?);
    }
    let errors: Vec<FieldError> = content
        .participants
        .iter()
        .enumerate()
        .filter(|(_, p)| declined.contains(&p.stakeholder))
        .map(|(i, p)| {
            FieldError::new(
                format!("/participants/{i}/stakeholder"),
                "declined",
                format!(
                    "stakeholder {} took itself off this activity: only `admin` names it again",
                    p.stakeholder
                ),
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Takes `stakeholder` off activity `id`'s participants at its own word: a caller who speaks
/// for it (`policy::may_decline_for`), on an activity it sees and did not submit. The activity
/// is written again without it, as that caller (the stakeholder's offers stop citing it, as
/// for any participant taken off), and no later write names it on the activity, nor on one of
/// its natural key (deleted and submitted again), but `admin`'s. A State's grant by name was
/// for the content it saw: where such a grant is what publishes it, the activity waits for
/// the State again. With `expected`, only if the activity is still that version.
pub fn decline(
    conn: &mut DbConnection,
    principal: &Principal,
    id: ActivityId,
    stakeholder: StakeholderId,
    expected: Expected,
) -> Result<()> {
    let actor = principal.actor();
    write(conn, |c| {
        let current = visible(c, id, &policy::principal_access(principal))?;
        let named: Stakeholder = documents::get(c, stakeholder)?
            .ok_or_else(|| Error::NotFound(format!("No stakeholder has the id {stakeholder}.")))?;
        policy::may_decline_for(principal, stakeholder, &named.content)?;
        if current.content.submitter == Some(stakeholder) {
            return Err(Error::Conflict(
                "This stakeholder submitted the activity: it changes it, or withdraws it \
                 (`publication: withdrawn`), instead."
                    .into(),
            ));
        }
        if !current
            .content
            .participants
            .iter()
            .any(|p| p.stakeholder == stakeholder)
        {
            return Err(Error::NotFound(format!(
                "Stakeholder {stakeholder} is not a participant of activity {id}."
            )));
        }
        let mut content = current.content.clone();
        content
            .participants
            .retain(|p| p.stakeholder != stakeholder);
        declined::record(c, id, stakeholder, &current.content.natural_key())?;
        documents::replace::<Activity>(c, &actor, id, content, &expected)?;
        Ok(())
    })
}

/// Deletes an activity; with `expected`, only if it is still that version. Consent records
/// about it stay.
pub fn delete(
    conn: &mut DbConnection,
    principal: &Principal,
    id: ActivityId,
    expected: Expected,
) -> Result<()> {
    let actor = principal.actor();
    write(conn, |c| {
        own_current(c, principal, id)?;
        policy::may_delete_activity(principal, decided_by_name(c, id)?)?;
        documents::delete::<Activity>(c, &actor, id, &expected)?;
        Ok(())
    })
}

/// The stakeholder an upload of activities (or offers: `writer` says which the principal
/// writes as) submits as, decided once for the upload as [`submit`] (and
/// `offers::make`) decides it for one item; and whether it is still to be registered. A dry
/// run registers nothing: a State not registered yet checks its rows as the stakeholder it
/// will be.
pub fn upload_author(
    conn: &mut DbConnection,
    principal: &Principal,
    writer: ActivityWriter,
    dry_run: bool,
) -> Result<(Author, bool)> {
    match writer {
        ActivityWriter::State(code) if dry_run => Ok(match find_state_stakeholder(conn, &code)? {
            Some(id) => (Author::Stakeholder(id), false),
            None => (Author::Stakeholder(StakeholderId::new_v7()), true),
        }),
        ActivityWriter::State(_) => {
            let actor = principal.actor();
            let author = write(conn, |c| author_to_submit(c, &writer, &actor))?;
            Ok((author, false))
        }
        _ => Ok((author_to_submit(conn, &writer, &principal.actor())?, false)),
    }
}

/// A row of an upload, as [`submit`] and [`change`] check an activity: its submitter the
/// uploader's own (or named, by `admin`), its references known.
pub fn check_row(
    conn: &mut DbConnection,
    uploader: &Uploader,
    mut content: ActivityContent,
) -> std::result::Result<ActivityContent, Vec<FieldError>> {
    content.submitter = Some(
        policy::submitter(&uploader.author, content.submitter)
            .map_err(|e| vec![e.field_error()])?,
    );
    let mut errors = check_references(conn, &content).map_err(|e| {
        vec![FieldError::new(
            "",
            "database_error",
            format!("the references could not be checked: {e}"),
        )]
    })?;
    if uploader.author_unregistered {
        errors.retain(|e| e.pointer != "/submitter");
    }
    if errors.is_empty() {
        Ok(content)
    } else {
        Err(errors)
    }
}
