//! Consent records: a State's decisions about publishing the activities that concern it.
//! Append-only: a change of mind is a new record.

use super::{Error, Principal, Result, policy, valid};
use crate::db::DbConnection;
use crate::db::time::now;
use crate::db::tx::write;
use crate::db::{activities, consents, documents};
use crate::domain::consent::{Consent, ConsentInput, RecordedBy};
use crate::domain::publication::{Decision, Publication, Scope};
use crate::domain::stakeholder::Stakeholder;
use crate::domain::{ConsentId, FieldError, Id};

fn invalid(pointer: &str, code: &str, message: impl Into<String>) -> Error {
    Error::Invalid(vec![FieldError::new(pointer, code, message)])
}

/// Records a State's decision: a State for itself; `admin` on a State's behalf, giving the
/// reference of the communication it received (e.g. a note verbale). Takes effect at once on
/// every surface.
pub fn record(
    conn: &mut DbConnection,
    principal: &Principal,
    input: ConsentInput,
) -> Result<Consent> {
    let recorder = policy::consent_recorder(principal)?;
    let input = valid(input.validate())?;
    let state = policy::consent_state(&recorder, input.state.as_ref())?;
    policy::consent_reference(&recorder, input.reference.as_deref())?;
    let actor = principal.actor();
    let at = now();
    // When the State decided has happened: a day ahead is a clock or a time zone, no more.
    if let Some(day) = input.decided_at
        && day > at + chrono::Duration::days(1)
    {
        return Err(invalid(
            "/decided_at",
            "in_future",
            format!("`{day}` is later than now: a record says when the State decided"),
        ));
    }
    let consent = Consent {
        id: ConsentId::new_v7(),
        state,
        decision: input.decision,
        scope: input.scope,
        reference: input.reference,
        note: input.note,
        // Kept to the microsecond, as every time is stored.
        decided_at: input
            .decided_at
            .map_or(at, |day| chrono::SubsecRound::trunc_subsecs(day, 6)),
        recorded_at: at,
        recorded_by: RecordedBy {
            role: actor.role,
            subject: Some(actor.subject.clone()),
        },
        granted_content: None,
    };
    write(conn, |c| {
        let mut consent = consent.clone();
        if let Scope::Submitter(id) = consent.scope
            && documents::get::<Stakeholder>(c, id)?.is_none()
        {
            return Err(invalid(
                "/stakeholder_id",
                "unknown_stakeholder",
                format!("no stakeholder has the id {id}"),
            ));
        }
        // Only a submitted activity that concerns the State is its to decide on: the same
        // answer for a draft, another State's activity and an id that names nothing, so the
        // answer tells nothing of activities the caller cannot see. A refusal by name of a
        // State taken off the activity still counts (`domain::publication`), and the State may
        // lift it; but it may not refuse anew what no longer concerns it.
        if let Scope::Activity(id) = consent.scope {
            let activity = activities::get(c, id)?;
            let concerned = activity
                .as_ref()
                .is_some_and(|a| a.content.states_concerned.contains(&consent.state));
            // A grant is for the content when it is recorded (`granted_content`); a State taken
            // off the activity, which reads none of it, lifts its refusal for no content: put
            // back on, the activity awaits its word on what it may then read.
            let version = activity.as_ref().map(|a| a.stored.version);
            if consent.decision == Decision::Granted
                && let Some(a) = &activity
            {
                consent.granted_content = Some(if concerned {
                    a.content.consented()
                } else {
                    String::new()
                });
            }
            let decidable = match activity {
                Some(a) if concerned => a.content.publication == Publication::Submitted,
                Some(_) => match consents::latest_by_name(c, id, &consent.state)? {
                    None => false,
                    Some(last) => {
                        if last == Decision::Granted || consent.decision != Decision::Granted {
                            return Err(invalid(
                                "/decision",
                                "not_concerned",
                                format!(
                                    "activity {id} no longer concerns {}: a State taken off an \
                                     activity may only lift a refusal of it by name that it \
                                     still holds",
                                    consent.state
                                ),
                            ));
                        }
                        true
                    }
                },
                None => false,
            };
            if !decidable {
                return Err(invalid(
                    "/activity_id",
                    "unknown_activity",
                    format!(
                        "no submitted activity concerning {} has the id {id}",
                        consent.state
                    ),
                ));
            }
            // A decision by name is about the version the State read, when it says which (a lift
            // is about none: nor is the version told to a State that may not read it).
            if let (true, Some(read), Some(now)) = (concerned, input.activity_version, version)
                && now != read
            {
                return Err(Error::Stale { current: now });
            }
        }
        consents::record(c, &actor, &consent)?;
        Ok(consent)
    })
}
