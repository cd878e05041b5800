//! The publication rule (docs/domain.md §4), as a pure function: the one place that decides whether an
//! activity is public. Stored activities keep its verdict (src/db/activities/verdicts.rs
//! recomputes it with this function whenever a fact it reads changes), and lists filter on that;
//! a property test holds the stored verdicts equal to this function over random consent
//! histories.
//!
//! An activity is public when its publication state is `submitted` and, for every State
//! concerned, either the submitter is that State's own stakeholder, or the State consented.
//! Consent is read from the State's latest record at each scope that covers the activity
//! (`activity` for it, `submitter` for its submitter, `all`): the most recent of them decides,
//! except that a grant never undoes a refusal or withdrawal made for something narrower. So a
//! blanket withdrawal hides everything beneath it, a blanket grant does not publish an activity
//! refused by name, and a later grant for one submitter publishes its activities under an
//! earlier blanket withdrawal. No record: awaiting the State's consent.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use uuid::Uuid;

use crate::domain::{ActivityId, ConsentId, CountryCode, StakeholderId};

/// Where a submission stands, as its submitter sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Publication {
    Draft,
    Submitted,
    Withdrawn,
}

impl Publication {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Draft, Self::Submitted, Self::Withdrawn]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// A State's decision about publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Granted,
    Refused,
    Withdrawn,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Refused => "refused",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Granted, Self::Refused, Self::Withdrawn]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

// The name of a `Scope`, as clients give it (the target beside it, in `stakeholder_id` or
// `activity_id`).
/// What a consent record covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    /// Every submission concerning the State.
    All,
    /// Every submission of one stakeholder (`stakeholder_id`).
    Submitter,
    /// One activity (`activity_id`).
    Activity,
}

impl ScopeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Submitter => "submitter",
            Self::Activity => "activity",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::All, Self::Submitter, Self::Activity]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// What a consent record covers, with its target, from the widest to the narrowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every submission concerning the State.
    All,
    /// Every submission of one stakeholder.
    Submitter(StakeholderId),
    /// One activity.
    Activity(ActivityId),
}

impl Scope {
    /// 0 for `all`, 1 for a submitter, 2 for one activity: higher is narrower.
    fn narrowness(self) -> u8 {
        match self {
            Self::All => 0,
            Self::Submitter(_) => 1,
            Self::Activity(_) => 2,
        }
    }

    pub fn kind(self) -> ScopeKind {
        match self {
            Self::All => ScopeKind::All,
            Self::Submitter(_) => ScopeKind::Submitter,
            Self::Activity(_) => ScopeKind::Activity,
        }
    }

    /// The stakeholder or activity it covers (the `target` column).
    pub fn target(self) -> Option<Uuid> {
        match self {
            Self::All => None,
            Self::Submitter(id) => Some(id.into()),
            Self::Activity(id) => Some(id.into()),
        }
    }

    /// The scope a kind and its target make, if they fit: `all` has no target, the others
    /// one.
    pub fn of(kind: ScopeKind, target: Option<Uuid>) -> Option<Self> {
        match (kind, target) {
            (ScopeKind::All, None) => Some(Self::All),
            (ScopeKind::Submitter, Some(id)) => Some(Self::Submitter(id.into())),
            (ScopeKind::Activity, Some(id)) => Some(Self::Activity(id.into())),
            _ => None,
        }
    }
}

/// A consent record, as the rule needs it. `seq` orders records as they were recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentFact {
    /// The record's id, which `Visibility::reasons` names when the record decides.
    pub id: ConsentId,
    pub seq: i64,
    pub state: CountryCode,
    pub decision: Decision,
    pub scope: Scope,
    /// For a grant by name: the digest of the activity's content it was given for
    /// (`ActivityContent::consented`); `None` for other records, and for grants recorded
    /// before grants named their content, which hold whatever the content.
    pub content: Option<String>,
}

/// An activity, as the rule needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityFacts {
    pub id: ActivityId,
    pub publication: Publication,
    pub submitter: StakeholderId,
    /// The State the submitter is, when the submitter is a State's own stakeholder.
    pub submitter_state: Option<CountryCode>,
    pub states_concerned: Vec<CountryCode>,
    /// The digest of its content as a grant by name names it (`ActivityContent::consented`);
    /// `None` where it is not computed (a grant by name then holds whatever its content).
    pub content: Option<String>,
}

/// Whether an activity is public, and if not, why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Visibility {
    pub public: bool,
    /// Why it is not public, e.g. `awaiting consent of KEN`; empty when it is.
    pub reasons: Vec<String>,
    /// The States concerned whose consent has not been recorded yet.
    #[schema(value_type = Vec<crate::domain::codes::StateCode>)]
    pub awaiting_consent_of: Vec<CountryCode>,
    /// The States concerned that refused or withdrew their consent, and States that refused or
    /// withdrew it for this activity by name before they were taken off its States.
    #[schema(value_type = Vec<crate::domain::codes::StateCode>)]
    pub refused_by: Vec<CountryCode>,
}

/// The record that decides one State's consent to one activity, if the State has decided.
pub fn governing<'a>(
    activity: &ActivityFacts,
    state: &CountryCode,
    consents: &'a [ConsentFact],
) -> Option<&'a ConsentFact> {
    let covers = |s: &Scope| match s {
        Scope::All => true,
        Scope::Submitter(id) => *id == activity.submitter,
        Scope::Activity(id) => *id == activity.id,
    };
    // The latest record at each scope that covers the activity, widest scope first.
    let mut latest: [Option<&ConsentFact>; 3] = [None; 3];
    for c in consents
        .iter()
        .filter(|c| c.state == *state && covers(&c.scope))
    {
        let slot = &mut latest[usize::from(c.scope.narrowness())];
        if slot.is_none_or(|l| l.seq < c.seq) {
            *slot = Some(c);
        }
    }
    let newest = latest.iter().flatten().max_by_key(|c| c.seq).copied()?;
    if newest.decision != Decision::Granted {
        return Some(newest);
    }
    // A grant never undoes a refusal made for something narrower: the narrowest such refusal
    // decides (it is what the State named most precisely).
    latest[usize::from(newest.scope.narrowness()) + 1..]
        .iter()
        .rev()
        .flatten()
        .find(|c| c.decision != Decision::Granted)
        .copied()
        .or(Some(newest))
}

/// The latest record by name (scope `activity`) on this activity of each State it no longer
/// concerns, when it is not a grant: a decision by name stays with its activity, so a State
/// that refused it is not overruled by taking the State off it.
fn refused_before_taken_off<'a>(
    activity: &ActivityFacts,
    consents: &'a [ConsentFact],
) -> Vec<&'a ConsentFact> {
    let mut latest: Vec<&ConsentFact> = Vec::new();
    for c in consents.iter().filter(|c| {
        c.scope == Scope::Activity(activity.id) && !activity.states_concerned.contains(&c.state)
    }) {
        match latest.iter_mut().find(|l| l.state == c.state) {
            Some(l) if l.seq < c.seq => *l = c,
            Some(_) => {}
            None => latest.push(c),
        }
    }
    latest.retain(|c| c.decision != Decision::Granted);
    latest
}

/// The rule. `consents` may hold any records; those of other States and scopes are ignored,
/// but for the decisions by name on this activity of States it no longer concerns.
pub fn visibility(activity: &ActivityFacts, consents: &[ConsentFact]) -> Visibility {
    let mut reasons = Vec::new();
    let (mut awaiting, mut refused) = (Vec::new(), Vec::new());
    match activity.publication {
        Publication::Submitted => {}
        Publication::Draft => reasons.push("a draft, not submitted".to_owned()),
        Publication::Withdrawn => reasons.push("withdrawn by its submitter".to_owned()),
    }
    for state in &activity.states_concerned {
        if activity.submitter_state.as_ref() == Some(state) {
            continue;
        }
        match governing(activity, state, consents) {
            Some(c) if c.decision == Decision::Granted && changed_since(activity, c) => {
                // A grant by name is for the content the State saw: another content awaits
                // its consent, unless the State's other records grant it as they stand
                // without its grants by name of other contents (its refusals by name stay).
                let others: Vec<ConsentFact> = consents
                    .iter()
                    .filter(|x| {
                        !(x.state == *state
                            && x.decision == Decision::Granted
                            && changed_since(activity, x))
                    })
                    .cloned()
                    .collect();
                if !governing(activity, state, &others)
                    .is_some_and(|w| w.decision == Decision::Granted)
                {
                    reasons.push(if c.content.as_deref() == Some("") {
                        format!(
                            "awaiting consent of {state}: {state} lifted its refusal of it by \
                             name (record {}) while the activity did not concern it",
                            c.id
                        )
                    } else {
                        format!(
                            "awaiting consent of {state}: the activity changed after {state} \
                             granted it by name (record {})",
                            c.id
                        )
                    });
                    awaiting.push(state.clone());
                }
            }
            Some(c) if c.decision == Decision::Granted => {}
            Some(c) => {
                let verb = if c.decision == Decision::Refused {
                    "refused"
                } else {
                    "withdrawn"
                };
                reasons.push(format!(
                    "consent {verb} by {state} (record {}, scope {})",
                    c.id,
                    c.scope.kind().as_str()
                ));
                refused.push(state.clone());
            }
            None => {
                reasons.push(format!("awaiting consent of {state}"));
                awaiting.push(state.clone());
            }
        }
    }
    for c in refused_before_taken_off(activity, consents) {
        reasons.push(format!(
            "consent refused by {} for this activity by name (record {}), before {} was taken \
             off its States",
            c.state, c.id, c.state
        ));
        refused.push(c.state.clone());
    }
    Visibility {
        public: reasons.is_empty(),
        reasons,
        awaiting_consent_of: awaiting,
        refused_by: refused,
    }
}

/// Whether `grant`, a grant by name, was given for another content than the activity's now.
fn changed_since(activity: &ActivityFacts, grant: &ConsentFact) -> bool {
    grant.scope == Scope::Activity(activity.id)
        && matches!((&grant.content, &activity.content), (Some(then), Some(now)) if then != now)
}

/// What a caller may see besides public activities: the other half of the rule, which every
/// surface applies with the verdict (its SQL twin is in src/db/activities/filter.rs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Anonymous and `sync` callers: public activities only.
    Public,
    /// `admin`: everything.
    Everything,
    /// A contributor: also its own organisation's submissions, whatever their state, unless
    /// the organisation is a State's own stakeholder: what that submits is its State's, seen
    /// through the State's token, never a contributor's ([`submitted_by`]).
    Submitter(StakeholderId),
    /// A State's focal point: also its own State's submissions, and every submitted activity
    /// that concerns it (it must see them to decide on its consent).
    State(CountryCode),
}

/// Whether a caller with `access` may see an activity with this verdict.
pub fn may_see(access: &Access, activity: &ActivityFacts, verdict: &Visibility) -> bool {
    verdict.public
        || match access {
            Access::Public => false,
            Access::Everything => true,
            Access::Submitter(id) => submitted_by(*id, activity),
            Access::State(state) => {
                activity.submitter_state.as_ref() == Some(state)
                    || (activity.publication == Publication::Submitted
                        && activity.states_concerned.contains(state))
            }
        }
}

/// Whether a contributor of organisation `id` sees the activity as its submitter: the
/// organisation submitted it and is no State's own stakeholder (a contributor token speaks for
/// an organisation, never for a State: `app::policy::may_submit_as_organisation`).
pub fn submitted_by(id: StakeholderId, activity: &ActivityFacts) -> bool {
    activity.submitter == id && activity.submitter_state.is_none()
}

/// Whether a caller with `access` may read `state`'s decision by name on an activity (`None`
/// when it is gone): its note and reference are between the State, the activity's submitter
/// (the contributor's organisation, or a State's own stakeholder) and `admin`; not for the
/// other States the activity concerns, nor for whoever may read the activity. Its SQL twin is
/// `db::sql::filters::consent_access`.
pub fn may_read_decision_by_name(
    access: &Access,
    state: &CountryCode,
    activity: Option<&ActivityFacts>,
) -> bool {
    match access {
        Access::Everything => true,
        Access::Public => false,
        Access::Submitter(id) => activity.is_some_and(|a| submitted_by(*id, a)),
        Access::State(own) => {
            own == state || activity.is_some_and(|a| a.submitter_state.as_ref() == Some(own))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id<I: crate::domain::Id>(n: u128) -> I {
        uuid::Uuid::from_u128(n).into()
    }

    fn code(state: &str) -> CountryCode {
        CountryCode::parse(state).unwrap()
    }

    const SUBMITTER: u128 = 7;
    const ACTIVITY: u128 = 1;

    fn activity(states: &[&str], submitter_state: Option<&str>) -> ActivityFacts {
        ActivityFacts {
            id: id(ACTIVITY),
            publication: Publication::Submitted,
            submitter: id(SUBMITTER),
            submitter_state: submitter_state.map(code),
            states_concerned: states.iter().map(|s| code(s)).collect(),
            content: None,
        }
    }

    fn consent(seq: i64, state: &str, decision: Decision, scope: Scope) -> ConsentFact {
        ConsentFact {
            id: id(1_000 + seq as u128),
            seq,
            state: code(state),
            decision,
            scope,
            content: None,
        }
    }

    use Decision::{Granted, Refused, Withdrawn};

    /// A grant by name holds for the content it was given for: changed, the activity awaits
    /// the State's consent again, unless a wider grant of the State covers it; the same
    /// content again, or a grant recorded before grants named their content, holds.
    #[test]
    fn a_grant_by_name_holds_for_the_content_it_was_given_for() {
        let by_name = Scope::Activity(id(ACTIVITY));
        let mut seen = activity(&["KEN"], None);
        seen.content = Some("a".into());
        let mut changed = seen.clone();
        changed.content = Some("b".into());
        let mut grant = consent(2, "KEN", Granted, by_name);
        grant.content = Some("a".into());
        assert!(visibility(&seen, std::slice::from_ref(&grant)).public);
        let v = visibility(&changed, std::slice::from_ref(&grant));
        assert!(!v.public);
        assert_eq!(v.awaiting_consent_of, [code("KEN")]);
        assert!(
            v.reasons[0].contains("changed after KEN granted it by name"),
            "{v:?}"
        );
        // A wider grant of the State covers any content; a wider refusal, which the grant by
        // name overrode, leaves it awaiting the State's word on the new content.
        for (wider, public) in [(Granted, true), (Refused, false)] {
            let history = [consent(1, "KEN", wider, Scope::All), grant.clone()];
            let v = visibility(&changed, &history);
            assert_eq!(v.public, public, "{v:?}");
            if !public {
                assert_eq!(v.awaiting_consent_of, [code("KEN")], "{v:?}");
            }
        }
        // A refusal by name before the grant stays: a wider grant does not undo it.
        let refused_first = [
            consent(1, "KEN", Granted, Scope::All),
            consent(2, "KEN", Refused, by_name),
            grant.clone(),
        ];
        let v = visibility(&changed, &refused_first);
        assert!(!v.public, "{v:?}");
        // Grants by name of two earlier contents neither holds for a third.
        let mut older = consent(1, "KEN", Granted, by_name);
        older.content = Some("c".into());
        assert!(!visibility(&changed, &[older, grant.clone()]).public);
        // A newer grant by name for the new content publishes it.
        let mut again = consent(3, "KEN", Granted, by_name);
        again.content = Some("b".into());
        assert!(visibility(&changed, &[grant.clone(), again]).public);
        // A grant without a content (recorded before), or an activity whose content is not
        // computed, holds.
        assert!(visibility(&changed, &[consent(2, "KEN", Granted, by_name)]).public);
        assert!(visibility(&activity(&["KEN"], None), &[grant]).public);
    }

    /// Taking a State off an activity does not undo its refusal by name; its later grant by
    /// name does, and its decisions of other scopes no longer concern the activity.
    #[test]
    fn a_refusal_by_name_stays_when_its_state_is_taken_off() {
        let taken_off = activity(&["MWI"], None);
        let by_name = Scope::Activity(id(ACTIVITY));
        let malawi = consent(1, "MWI", Granted, by_name);
        let refused = [malawi.clone(), consent(2, "ZMB", Refused, by_name)];
        let v = visibility(&taken_off, &refused);
        assert!(!v.public, "{v:?}");
        assert_eq!(v.refused_by, [code("ZMB")]);
        assert!(v.reasons[0].contains("before ZMB was taken off"), "{v:?}");
        let withdrawn = [malawi.clone(), consent(2, "ZMB", Withdrawn, by_name)];
        assert!(!visibility(&taken_off, &withdrawn).public);
        let regranted = [
            malawi.clone(),
            consent(2, "ZMB", Refused, by_name),
            consent(3, "ZMB", Granted, by_name),
        ];
        assert!(visibility(&taken_off, &regranted).public);
        // Another activity's refusal, and a blanket one, are not about this activity.
        let elsewhere = [
            malawi.clone(),
            consent(2, "ZMB", Refused, Scope::Activity(id(99))),
            consent(3, "ZMB", Refused, Scope::All),
            consent(4, "ZMB", Refused, Scope::Submitter(id(SUBMITTER))),
        ];
        assert!(visibility(&taken_off, &elsewhere).public);
    }

    /// The matrix of issue 4: submitter is or is not the State × each consent history × one or
    /// two States concerned.
    #[test]
    fn the_rule_over_the_consent_matrix() {
        let all = Scope::All;
        let submitter = Scope::Submitter(id(SUBMITTER));
        let this = Scope::Activity(id(ACTIVITY));
        let histories: Vec<(&str, Vec<ConsentFact>, bool)> = vec![
            ("no consent", vec![], false),
            (
                "activity granted",
                vec![consent(1, "KEN", Granted, this)],
                true,
            ),
            (
                "submitter granted",
                vec![consent(1, "KEN", Granted, submitter)],
                true,
            ),
            ("all granted", vec![consent(1, "KEN", Granted, all)], true),
            ("refused", vec![consent(1, "KEN", Refused, all)], false),
            (
                "withdrawn after granted",
                vec![
                    consent(1, "KEN", Granted, all),
                    consent(2, "KEN", Withdrawn, all),
                ],
                false,
            ),
            (
                "granted again after withdrawn",
                vec![
                    consent(1, "KEN", Withdrawn, all),
                    consent(2, "KEN", Granted, all),
                ],
                true,
            ),
            (
                "activity refusal under all granted",
                vec![
                    consent(1, "KEN", Granted, all),
                    consent(2, "KEN", Refused, this),
                ],
                false,
            ),
            (
                "activity grant under all refused",
                vec![
                    consent(1, "KEN", Refused, all),
                    consent(2, "KEN", Granted, this),
                ],
                true,
            ),
            (
                "a later blanket refusal hides an older activity grant",
                vec![
                    consent(1, "KEN", Granted, this),
                    consent(2, "KEN", Refused, all),
                ],
                false,
            ),
            (
                "submitter refusal under all granted",
                vec![
                    consent(1, "KEN", Granted, all),
                    consent(2, "KEN", Refused, submitter),
                ],
                false,
            ),
            (
                "another State's grant",
                vec![consent(1, "UGA", Granted, all)],
                false,
            ),
            (
                "another submitter's grant",
                vec![consent(1, "KEN", Granted, Scope::Submitter(id(99)))],
                false,
            ),
            (
                "another activity's grant",
                vec![consent(1, "KEN", Granted, Scope::Activity(id(98)))],
                false,
            ),
        ];
        for (name, consents, public_for_ken) in &histories {
            // One State concerned, the submitter is not it.
            let v = visibility(&activity(&["KEN"], None), consents);
            assert_eq!(v.public, *public_for_ken, "{name}: {v:?}");
            assert_eq!(v.reasons.is_empty(), v.public, "{name}");
            // The submitter is the State itself: its own consent is implied.
            assert!(
                visibility(&activity(&["KEN"], Some("KEN")), consents).public,
                "{name}, submitted by KEN"
            );
            // Two States: UGA's consent is needed too.
            let two = activity(&["KEN", "UGA"], None);
            assert!(
                !visibility(&two, consents).public,
                "{name}, two States: UGA has not consented"
            );
            let mut with_uganda = consents.clone();
            with_uganda.push(consent(100, "UGA", Granted, Scope::All));
            assert_eq!(
                visibility(&two, &with_uganda).public,
                *public_for_ken,
                "{name}, two States, UGA granted"
            );
            // Submitted by KEN, concerning KEN and UGA: only UGA's consent matters.
            let own = activity(&["KEN", "UGA"], Some("KEN"));
            assert!(
                visibility(&own, &with_uganda).public,
                "{name}, KEN's own with UGA granted"
            );
        }
    }

    #[test]
    fn reasons_say_why() {
        let v = visibility(
            &activity(&["KEN", "UGA", "TZA"], None),
            &[
                consent(1, "UGA", Refused, Scope::All),
                consent(2, "TZA", Withdrawn, Scope::All),
            ],
        );
        assert_eq!(
            v.reasons,
            [
                "awaiting consent of KEN".to_owned(),
                format!(
                    "consent refused by UGA (record {}, scope all)",
                    id::<ConsentId>(1_001)
                ),
                format!(
                    "consent withdrawn by TZA (record {}, scope all)",
                    id::<ConsentId>(1_002)
                ),
            ]
        );
        let mut draft = activity(&["KEN"], Some("KEN"));
        draft.publication = Publication::Draft;
        assert_eq!(visibility(&draft, &[]).reasons, ["a draft, not submitted"]);
        draft.publication = Publication::Withdrawn;
        assert!(!visibility(&draft, &[consent(1, "KEN", Granted, Scope::All)]).public);
    }

    /// docs/domain.md §4's precedence, case by case: the most recent decision wins, except that a grant
    /// never undoes a refusal made for something narrower. Each case names the record (by its
    /// `seq`) that decides, or `None` for awaiting consent.
    #[test]
    fn precedence_of_consent_records() {
        let all = Scope::All;
        let submitter = Scope::Submitter(id(SUBMITTER));
        let this = Scope::Activity(id(ACTIVITY));
        let other_submitter = Scope::Submitter(id(99));
        // (case, the records in recording order, public, the `seq` of the deciding record)
        type Case = (&'static str, Vec<(Decision, Scope)>, bool, Option<i64>);
        let cases: Vec<Case> = vec![
            ("nothing recorded", vec![], false, None),
            ("a blanket grant", vec![(Granted, all)], true, Some(1)),
            (
                "a blanket withdrawal hides what was granted one by one",
                vec![(Granted, this), (Granted, submitter), (Withdrawn, all)],
                false,
                Some(3),
            ),
            (
                "a blanket grant does not publish an activity refused by name",
                vec![(Refused, this), (Granted, all)],
                false,
                Some(1),
            ),
            (
                "nor one whose submitter was refused",
                vec![(Withdrawn, submitter), (Granted, all)],
                false,
                Some(1),
            ),
            (
                "a later grant for one submitter publishes under a blanket withdrawal",
                vec![(Granted, all), (Withdrawn, all), (Granted, submitter)],
                true,
                Some(3),
            ),
            (
                "a later grant by name publishes under a submitter refusal",
                vec![(Refused, submitter), (Granted, this)],
                true,
                Some(2),
            ),
            (
                "a submitter grant does not undo a refusal by name",
                vec![(Refused, this), (Granted, submitter)],
                false,
                Some(1),
            ),
            (
                "the latest record of a scope counts, not an older one",
                vec![(Refused, this), (Granted, this), (Granted, all)],
                true,
                Some(3),
            ),
            (
                "a refusal by name after a blanket grant",
                vec![(Granted, all), (Refused, this)],
                false,
                Some(2),
            ),
            (
                "a narrower refusal older than a narrower grant is superseded",
                vec![(Refused, submitter), (Granted, submitter), (Granted, all)],
                true,
                Some(3),
            ),
            (
                "of two narrower refusals under a grant, the narrowest is named",
                vec![(Refused, this), (Withdrawn, submitter), (Granted, all)],
                false,
                Some(1),
            ),
            (
                "another submitter's records do not count",
                vec![(Granted, all), (Refused, other_submitter)],
                true,
                Some(1),
            ),
            (
                "another activity's records do not count",
                vec![(Refused, Scope::Activity(id(98))), (Granted, all)],
                true,
                Some(2),
            ),
        ];
        for (name, history, public, deciding) in cases {
            let records: Vec<ConsentFact> = history
                .iter()
                .enumerate()
                .map(|(i, (d, s))| consent(i as i64 + 1, "KEN", *d, *s))
                .collect();
            let a = activity(&["KEN"], None);
            let v = visibility(&a, &records);
            assert_eq!(v.public, public, "{name}: {v:?}");
            assert_eq!(model(&a, &records), public, "{name}: the model agrees");
            assert_eq!(
                governing(&a, &code("KEN"), &records).map(|c| c.seq),
                deciding,
                "{name}"
            );
            if let Some(seq) = deciding.filter(|_| !public) {
                let named = id::<ConsentId>(1_000 + seq as u128).to_string();
                assert!(
                    v.reasons.iter().any(|r| r.contains(&named)),
                    "{name}: the reasons name the deciding record: {:?}",
                    v.reasons
                );
            }
        }
    }

    /// The rule as docs/domain.md §4 words it, replayed the long way: keep the last decision per scope,
    /// then the most recent of those decides unless it is a grant over a narrower refusal; and a
    /// State taken off the activity that refused it by name last still hides it.
    fn model(a: &ActivityFacts, history: &[ConsentFact]) -> bool {
        let mut public = a.publication == Publication::Submitted;
        for state in &a.states_concerned {
            if a.submitter_state.as_ref() == Some(state) {
                continue;
            }
            // (seq, decision) of the latest record at: all, submitter, activity.
            let mut latest: [Option<(i64, Decision)>; 3] = [None; 3];
            for c in history.iter().filter(|c| c.state == *state) {
                let slot = match c.scope {
                    Scope::All => 0,
                    Scope::Submitter(x) if x == a.submitter => 1,
                    Scope::Activity(x) if x == a.id => 2,
                    _ => continue,
                };
                latest[slot] = Some((c.seq, c.decision));
            }
            let newest = (0..3)
                .filter_map(|i| latest[i].map(|l| (i, l)))
                .max_by_key(|(_, (seq, _))| *seq);
            let consented = match newest {
                None => false,
                Some((_, (_, d))) if d != Granted => false,
                Some((at, _)) => latest[at + 1..]
                    .iter()
                    .flatten()
                    .all(|(_, d)| *d == Granted),
            };
            public &= consented;
        }
        // A State taken off the activity: its last decision by name on it, if a refusal.
        for state in ["KEN", "UGA"].map(code) {
            if a.states_concerned.contains(&state) {
                continue;
            }
            let by_name = history
                .iter()
                .filter(|c| c.state == state && c.scope == Scope::Activity(a.id))
                .max_by_key(|c| c.seq);
            public &= by_name.is_none_or(|c| c.decision == Granted);
        }
        public
    }

    /// Random consent histories against the model.
    #[test]
    fn random_histories_agree_with_a_replayed_model() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(54_28);
        let states = ["KEN", "UGA"];
        for _ in 0..2_000 {
            let concerned: Vec<&str> = states
                .iter()
                .copied()
                .filter(|_| rng.random_bool(0.7))
                .collect();
            let concerned = if concerned.is_empty() {
                vec!["KEN"]
            } else {
                concerned
            };
            let submitter_state = if rng.random_bool(0.3) {
                Some(states[rng.random_range(0..2)])
            } else {
                None
            };
            let mut a = activity(&concerned, submitter_state);
            a.publication = [
                Publication::Draft,
                Publication::Submitted,
                Publication::Withdrawn,
            ][rng.random_range(0..3)];
            let history: Vec<ConsentFact> = (0..rng.random_range(0..8))
                .map(|seq| {
                    let scope = match rng.random_range(0..4) {
                        0 => Scope::All,
                        1 => Scope::Submitter(id(SUBMITTER)),
                        2 => Scope::Activity(id(ACTIVITY)),
                        _ => Scope::Activity(id(55)),
                    };
                    let decision = [Granted, Refused, Withdrawn][rng.random_range(0..3)];
                    consent(seq, states[rng.random_range(0..2)], decision, scope)
                })
                .collect();
            assert_eq!(
                visibility(&a, &history).public,
                model(&a, &history),
                "{a:?} {history:?}"
            );
        }
    }
}
