//! Who may do what (docs/domain.md §5): the one answer to "may this caller do this", whether it asks
//! through the API, a bulk upload or `upr-tc import`. Pure functions of the principal and of
//! the facts of the target, which the commands read from the database; what a refusal says is
//! written here too.

use super::{Error, Principal, Result};
use crate::db::stakeholders::own_state;
use crate::domain::activity::{SubmitterError, submitter_of};
use crate::domain::assistance_request::AssistanceRequestContent;
use crate::domain::caller::{Caller, Role};
use crate::domain::interest::Interest;
use crate::domain::publication::Access;
use crate::domain::report::ReportScope;
use crate::domain::stakeholder::StakeholderContent;
use crate::domain::{CountryCode, Language, StakeholderId};

/// What a principal's role lets it write.
enum Rights<'a> {
    /// `admin`, and an operator at the machine.
    Everything,
    /// A contributor: its organisation.
    Organisation(StakeholderId),
    /// A State's focal point: its State.
    State(&'a CountryCode),
    /// `sync`, and a token lacking the claim its role needs.
    Nothing,
}

fn rights(principal: &Principal) -> Rights<'_> {
    match principal {
        Principal::Caller(caller) => rights_of(caller),
        Principal::Operator => Rights::Everything,
    }
}

fn rights_of(caller: &Caller) -> Rights<'_> {
    match caller.role {
        Role::Admin => Rights::Everything,
        Role::Contributor => caller
            .stakeholder
            .map_or(Rights::Nothing, Rights::Organisation),
        Role::State => caller.state.as_ref().map_or(Rights::Nothing, Rights::State),
        Role::Sync => Rights::Nothing,
    }
}

fn admin_only() -> Error {
    Error::Forbidden("Only an admin may do this.".into())
}

/// `admin`'s alone (and an operator's).
fn only_admin(principal: &Principal) -> Result<()> {
    match rights(principal) {
        Rights::Everything => Ok(()),
        _ => Err(admin_only()),
    }
}

/// Whether the principal sees every item (`admin`, an operator).
pub fn sees_everything(principal: &Principal) -> bool {
    matches!(rights(principal), Rights::Everything)
}

// Reading.

/// Which activities a caller's report counts: public ones for anyone who asks; every one,
/// marked `full`, for `admin` alone.
pub fn report_scope(caller: &Caller, asked: ReportScope) -> Result<ReportScope> {
    match asked {
        ReportScope::Full if caller.role != Role::Admin => Err(Error::Forbidden(
            "Only an admin may ask for the full report (`scope=full`); the public report counts public activities."
                .into(),
        )),
        other => Ok(other),
    }
}

/// What this caller may see besides public activities.
pub fn access(caller: Option<&Caller>) -> Access {
    match caller {
        Some(c) if c.role == Role::Admin => Access::Everything,
        Some(c) if c.role == Role::Contributor => {
            c.stakeholder.map_or(Access::Public, Access::Submitter)
        }
        Some(c) if c.role == Role::State => c
            .state
            .as_ref()
            .map_or(Access::Public, |s| Access::State(s.clone())),
        _ => Access::Public,
    }
}

/// What a principal may see of activities: a caller's access, everything for the operator.
pub fn principal_access(principal: &Principal) -> Access {
    match principal {
        Principal::Caller(caller) => access(Some(caller)),
        Principal::Operator => Access::Everything,
    }
}

/// Whether this caller sees a stakeholder's contact details: those who edit it (`admin`, the
/// organisation's own contributors, a State for its own State's bodies); a contributor token
/// naming a State's own stakeholder, which its State edits, sees none.
pub fn sees_contact(
    caller: Option<&Caller>,
    id: StakeholderId,
    stakeholder: &StakeholderContent,
) -> bool {
    caller.is_some_and(|c| edits_stakeholder(rights_of(c), id, stakeholder))
}

/// Whether a caller with `access` sees what is not public about a State's activities (those
/// awaiting its consent, those it refused): the State itself and `admin`.
pub fn sees_hidden_of_state(access: &Access, state: &CountryCode) -> bool {
    match access {
        Access::Everything => true,
        Access::State(own) => own == state,
        Access::Public | Access::Submitter(_) => false,
    }
}

/// Whether this caller is told who recorded a consent record: `admin` only.
pub fn sees_recorder(caller: Option<&Caller>) -> bool {
    caller.is_some_and(Caller::is_admin)
}

/// Whether this caller reads the full change feed (every change, full representations):
/// `admin` only; others read the public feed.
pub fn reads_full_feed(caller: Option<&Caller>) -> bool {
    caller.is_some_and(Caller::is_admin)
}

/// Whether this caller reads the audit trail: `admin` only.
pub fn may_read_audit(caller: &Caller) -> Result<()> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(admin_only())
    }
}

// Activities.

fn not_your_activity() -> Error {
    Error::Forbidden(
        "A contributor writes only its own organisation's activities, a State only those it submits itself."
            .into(),
    )
}

/// Whom a principal writes activities as, by its role: any submitter (`admin`, the operator),
/// its organisation (a contributor) or its State's own stakeholder (a State). `sync` writes
/// none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityWriter {
    AnySubmitter,
    Organisation(StakeholderId),
    State(CountryCode),
}

pub fn activity_writer(principal: &Principal) -> Result<ActivityWriter> {
    match rights(principal) {
        Rights::Everything => Ok(ActivityWriter::AnySubmitter),
        Rights::Organisation(id) => Ok(ActivityWriter::Organisation(id)),
        Rights::State(code) => Ok(ActivityWriter::State(code.clone())),
        Rights::Nothing => Err(not_your_activity()),
    }
}

/// The stakeholder a principal writes activities as, once the database has said which it is
/// (`app::activities`): the activities it may change are those this stakeholder submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    /// Any submitter, named by each activity.
    Anyone,
    /// This stakeholder: the contributor's organisation, or the State's own stakeholder.
    Stakeholder(StakeholderId),
    /// None: a State whose own stakeholder is not registered yet, or a contributor token for
    /// a State's own stakeholder (which speaks through its State's token).
    Nobody,
}

/// A contributor token speaks for an organisation, never for a State: one naming a State's own
/// stakeholder would publish without consent what only the State's own token may. `bound` is
/// the State the organisation is bound to, if any.
pub fn may_submit_as_organisation(bound: Option<&CountryCode>) -> Result<()> {
    match bound {
        Some(state) => Err(Error::Forbidden(format!(
            "This organisation is {state}'s own stakeholder: it submits through a `state` token."
        ))),
        None => Ok(()),
    }
}

/// The submitter of an activity an author writes, given the one it names (for a change, the
/// one it names or else the current one): an author other than `Anyone` names itself or
/// nothing; `Anyone` must name one.
pub fn submitter(
    author: &Author,
    given: Option<StakeholderId>,
) -> std::result::Result<StakeholderId, SubmitterError> {
    match author {
        Author::Anyone => submitter_of(None, given),
        Author::Stakeholder(own) => submitter_of(Some(*own), given),
        Author::Nobody => Err(SubmitterError::NotYours),
    }
}

/// What a refused submitter means: another's is forbidden, a missing one is a bad field.
pub fn submitter_refused(e: SubmitterError) -> Error {
    match e {
        SubmitterError::NotYours => not_your_activity(),
        other => Error::Invalid(vec![other.field_error()]),
    }
}

/// Whether an author may change or delete an activity this stakeholder submitted: `Anyone`
/// any, a stakeholder its own.
pub fn may_change_activity(author: &Author, submitter: Option<StakeholderId>) -> Result<()> {
    let allowed = match author {
        Author::Anyone => true,
        Author::Stakeholder(own) => submitter == Some(*own),
        Author::Nobody => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(not_your_activity())
    }
}

/// Whether a principal takes stakeholder `id` off an activity that names it as a participant:
/// those who speak for it, as they edit it (`admin`, its own contributors, a State for its own
/// State's bodies).
pub fn may_decline_for(
    principal: &Principal,
    id: StakeholderId,
    stakeholder: &StakeholderContent,
) -> Result<()> {
    if edits_stakeholder(rights(principal), id, stakeholder) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "A stakeholder takes itself off an activity: its own contributors, a State for its \
             own State's bodies, or `admin`."
                .into(),
        ))
    }
}

/// Whether an author names again on an activity a participant that took itself off it:
/// `Anyone` (`admin`) only.
pub fn may_name_declined(author: &Author) -> bool {
    *author == Author::Anyone
}

/// Whether an author chooses the id of a new activity (a bulk row that names one): `Anyone`
/// only. Another's row with an id must name one of its own activities.
pub fn may_choose_activity_id(author: &Author) -> bool {
    *author == Author::Anyone
}

/// Whether a principal, who may change the activity, may delete it: a State's decision about
/// it by name stays with it (deleted and submitted again under a new id, an activity it
/// refused would be published by a blanket grant), so only `admin` deletes such an activity;
/// its submitter withdraws it instead.
pub fn may_delete_activity(principal: &Principal, decided_by_name: bool) -> Result<()> {
    if decided_by_name && !matches!(rights(principal), Rights::Everything) {
        return Err(Error::Conflict(
            "A State has recorded a decision about this activity by name: withdraw it (`publication: withdrawn`) instead of deleting it."
                .into(),
        ));
    }
    Ok(())
}

// Stakeholders.

/// Registering a stakeholder is `admin`'s.
pub fn may_register_stakeholder(principal: &Principal) -> Result<()> {
    only_admin(principal).map_err(|_| {
        Error::Forbidden(
            "Only an admin registers a stakeholder: ask the secretariat to register it.".into(),
        )
    })
}

pub fn may_delete_stakeholder(principal: &Principal) -> Result<()> {
    only_admin(principal)
}

/// The fields of a stakeholder that only `admin` sets, because the publication rule or the
/// public's trust reads them: what kind of organisation it is and its country (a State's own
/// stakeholder publishes without consent: docs/domain.md §4), an NHRI's GANHRI accreditation,
/// its partner keys and the name of its natural key (which say which item an import updates).
fn admin_only_changes(before: &StakeholderContent, after: &StakeholderContent) -> Vec<String> {
    let mut changed = Vec::new();
    // Kind, country and the first of its names are what an import finds an organisation by
    // where a row gives no id nor partner key (`StakeholderContent::natural_key`): a name a
    // contributor could take would let admin's import of an organisation registered later
    // overwrite the contributor's with it (its partner keys, its contact) and give the
    // contributor's token that organisation. Names in later languages are the organisation's.
    // The first name's language is its too: the same text moved into an earlier language
    // keeps the key, and would leave the language it was in (English, the one most pages show)
    // open to any name (found by an audit).
    let (was, is) = (before.key_name(), after.key_name());
    if was != is {
        let first = was.map_or("en", |(language, _)| language.code());
        changed.push(format!(
            "`name.{first}` (its first name, in the order ar, en, es, fr, ru, zh: with its kind \
             and country, what an import finds it by; a name in a language before it would take \
             its place, one in a language after it is the organisation's own)"
        ));
    }
    // A name in any language that is a State's presents the organisation as that State, in
    // that language's lists, exports and IATI XML (found by an audit): only a State's own
    // stakeholder bears it unless `admin` names it so.
    // So does an acronym that is a State's name (`Kenya`, `Royaume-Uni`: found by an audit),
    // but not a code, which organisations' acronyms often are (`CAN`).
    let own = crate::db::stakeholders::own_state(before);
    let none = crate::domain::Multilingual::default();
    for (field, was, is) in [
        ("name", &before.name, &after.name),
        (
            "acronym",
            before.acronym.as_ref().unwrap_or(&none),
            after.acronym.as_ref().unwrap_or(&none),
        ),
    ] {
        for (language, text) in is.texts() {
            if was.get(language) == Some(text) {
                continue;
            }
            if let Some(state) = crate::reference::reference().country_looked_like(text)
                && own.as_ref().is_none_or(|own| own.as_str() != state.alpha3)
            {
                changed.push(format!(
                    "`{field}.{}` to a State's name ({})",
                    language.code(),
                    state.alpha3
                ));
            }
        }
    }
    if before.kind != after.kind {
        changed.push("`kind`".into());
    }
    if before.country != after.country {
        changed.push("`country`".into());
    }
    if before.nhri_accreditation != after.nhri_accreditation {
        changed.push("`nhri_accreditation`".into());
    }
    // A partner key finds the item a later import updates (`documents::upsert_with`, before
    // the natural key): one a contributor could set would let admin's next import of that
    // key overwrite the contributor's organisation with another, or make it a State's own.
    if before.external_refs != after.external_refs {
        changed.push("`external_refs`".into());
    }
    changed
}

/// Whether these rights edit stakeholder `id`, as it is: `admin` any; a contributor its own
/// organisation, a State its own State's bodies.
fn edits_stakeholder(rights: Rights, id: StakeholderId, stakeholder: &StakeholderContent) -> bool {
    match rights {
        Rights::Everything => true,
        // A State's own stakeholder is edited by its State, not through a contributor token.
        Rights::Organisation(own) => own == id && own_state(stakeholder).is_none(),
        Rights::State(state) => {
            stakeholder.kind.is_state_body() && stakeholder.country.as_ref() == Some(state)
        }
        Rights::Nothing => false,
    }
}

/// Whether a principal may change stakeholder `id` from `before` to `after`: `admin`
/// anything; a contributor its own organisation, a State its own State's bodies, each except
/// the fields only `admin` sets. Asked with `after` equal to `before`: whether it may edit the
/// stakeholder at all.
pub fn may_edit_stakeholder(
    principal: &Principal,
    id: StakeholderId,
    before: &StakeholderContent,
    after: &StakeholderContent,
) -> Result<()> {
    let rights = rights(principal);
    if matches!(rights, Rights::Everything) {
        return Ok(());
    }
    if !edits_stakeholder(rights, id, before) {
        return Err(Error::Forbidden(
            "A contributor edits only its own organisation, a State only its own State's bodies."
                .into(),
        ));
    }
    let fields = admin_only_changes(before, after);
    if fields.is_empty() {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "Only `admin` changes a stakeholder's {}.",
            fields.join(", ")
        )))
    }
}

/// The names a principal gives a stakeholder anew, in any language, that must not be another
/// organisation's ([`may_bear_names`]): none for `admin`, who names organisations as it finds
/// them.
pub fn names_given<'a>(
    principal: &Principal,
    before: &StakeholderContent,
    after: &'a StakeholderContent,
) -> Vec<(Language, &'a str)> {
    if matches!(rights(principal), Rights::Everything) {
        return vec![];
    }
    after
        .name
        .texts()
        .filter(|&(language, text)| before.name.get(language) != Some(text))
        .collect()
}

/// A name another organisation bears in any language (or one a reader cannot tell from it)
/// presents the organisation as that one, in that language's lists, exports and IATI XML
/// (found by an audit: "Amnesty International" as a contributor's Spanish name): `borne`, the
/// names given anew that others bear, each with one of them, is `admin`'s to give.
pub fn may_bear_names(borne: &[(Language, StakeholderId)]) -> Result<()> {
    if borne.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = borne
        .iter()
        .map(|(language, other)| format!("`name.{}` (stakeholder {other})", language.code()))
        .collect();
    Err(Error::Forbidden(format!(
        "Only `admin` gives a stakeholder a name another organisation bears: {}.",
        names.join(", ")
    )))
}

// Recommendations.

/// The catalogue of recommendations is `admin`'s to curate.
pub fn may_curate_recommendations(principal: &Principal) -> Result<()> {
    only_admin(principal)
}

// Consent.

/// Who records a consent record: a State for itself, or `admin` on a State's behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentRecorder {
    State(CountryCode),
    OnBehalf,
}

pub fn consent_recorder(principal: &Principal) -> Result<ConsentRecorder> {
    match rights(principal) {
        Rights::Everything => Ok(ConsentRecorder::OnBehalf),
        Rights::State(code) => Ok(ConsentRecorder::State(code.clone())),
        Rights::Organisation(_) | Rights::Nothing => Err(Error::Forbidden(
            "Only a State (for itself) and `admin` (on a State's behalf) record consent.".into(),
        )),
    }
}

/// The State a record is for: a State's own (it may name no other), the one `admin` names.
pub fn consent_state(
    recorder: &ConsentRecorder,
    given: Option<&CountryCode>,
) -> Result<CountryCode> {
    match (recorder, given) {
        (ConsentRecorder::State(own), Some(given)) if own != given => Err(Error::Forbidden(
            format!("A State records consent for itself only: this token speaks for {own}."),
        )),
        (ConsentRecorder::State(own), _) => Ok(own.clone()),
        (ConsentRecorder::OnBehalf, Some(given)) => Ok(given.clone()),
        (ConsentRecorder::OnBehalf, None) => {
            Err(Error::Invalid(vec![crate::domain::FieldError::new(
                "/state",
                "required",
                "an admin names the State it records consent for",
            )]))
        }
    }
}

/// `admin` records consent on a State's behalf only with the reference of the State's
/// communication.
pub fn consent_reference(recorder: &ConsentRecorder, reference: Option<&str>) -> Result<()> {
    if *recorder == ConsentRecorder::OnBehalf && reference.is_none() {
        return Err(Error::Invalid(vec![crate::domain::FieldError::new(
            "/reference",
            "required",
            "an admin records consent on a State's behalf only with the reference of its communication (e.g. the note verbale)",
        )]));
    }
    Ok(())
}

// Assistance requests.

/// Who files and changes assistance requests: a State its own, `admin` any State's on its
/// behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestFiler {
    State(CountryCode),
    OnBehalf,
}

pub fn request_filer(principal: &Principal) -> Result<RequestFiler> {
    match rights(principal) {
        Rights::Everything => Ok(RequestFiler::OnBehalf),
        Rights::State(code) => Ok(RequestFiler::State(code.clone())),
        Rights::Organisation(_) | Rights::Nothing => Err(Error::Forbidden(
            "Only a State (for itself) and `admin` (on a State's behalf) file assistance requests."
                .into(),
        )),
    }
}

/// Whether a filer may file (or change a request into) this content: a State for itself
/// only ([`reference_given`] says what `admin` must give).
pub fn may_file_request(filer: &RequestFiler, content: &AssistanceRequestContent) -> Result<()> {
    match filer {
        RequestFiler::State(own) if *own != content.state => Err(Error::Forbidden(format!(
            "A State files assistance requests for itself only: this token speaks for {own}."
        ))),
        _ => Ok(()),
    }
}

/// Whether `admin` gives the reference of the State's own request (e.g. its note verbale) to
/// write `content` over `current` (`None`: filing it): its words are the State's, and public
/// at once. Writing a request as it is writes nothing, and needs none: an export of requests
/// their States filed themselves (which have no reference) imports back unchanged.
pub fn reference_given(
    filer: &RequestFiler,
    current: Option<&AssistanceRequestContent>,
    content: &AssistanceRequestContent,
) -> Result<()> {
    let unchanged = current == Some(content);
    if *filer != RequestFiler::OnBehalf || content.reference.is_some() || unchanged {
        return Ok(());
    }
    Err(Error::Invalid(vec![crate::domain::FieldError::new(
        "/reference",
        "required",
        "an admin files or changes a request on a State's behalf only with the reference of the State's request (e.g. its note verbale)",
    )]))
}

/// Whether a filer chooses the id of a new request (a bulk row that names one): `admin` only.
/// A State's row with an id must name one of its own requests, so that an upload tells
/// nothing of another State's drafts.
pub fn may_choose_request_id(filer: &RequestFiler) -> bool {
    *filer == RequestFiler::OnBehalf
}

/// Whether a filer may change or delete a stored request: a State its own, `admin` any.
pub fn may_change_request(filer: &RequestFiler, current: &AssistanceRequestContent) -> Result<()> {
    match filer {
        RequestFiler::State(own) if *own != current.state => Err(Error::Forbidden(format!(
            "A State changes its own assistance requests only: this token speaks for {own}."
        ))),
        _ => Ok(()),
    }
}

// Offers.

fn not_your_offer() -> Error {
    Error::Forbidden(
        "A contributor makes and changes only its own organisation's offers, a State only its own."
            .into(),
    )
}

/// Whom a principal makes offers as: as it writes activities ([`activity_writer`]).
pub fn offer_writer(principal: &Principal) -> Result<ActivityWriter> {
    activity_writer(principal).map_err(|_| not_your_offer())
}

/// The stakeholder of an offer an author makes or changes, given the one it names: an author
/// other than `Anyone` names itself or nothing; `Anyone` must name one.
pub fn offer_stakeholder(author: &Author, given: Option<StakeholderId>) -> Result<StakeholderId> {
    match (author, given) {
        (Author::Anyone, Some(given)) => Ok(given),
        (Author::Anyone, None) => Err(Error::Invalid(vec![crate::domain::FieldError::new(
            "/stakeholder",
            "required",
            "an admin names the stakeholder that makes the offer",
        )])),
        (Author::Stakeholder(own), None) => Ok(*own),
        (Author::Stakeholder(own), Some(given)) if given == *own => Ok(*own),
        _ => Err(not_your_offer()),
    }
}

/// Whether an author may change or delete an offer of this stakeholder: `Anyone` any, a
/// stakeholder its own.
pub fn may_change_offer(author: &Author, stakeholder: Option<StakeholderId>) -> Result<()> {
    let allowed = match author {
        Author::Anyone => true,
        Author::Stakeholder(own) => stakeholder == Some(*own),
        Author::Nobody => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(not_your_offer())
    }
}

/// Whether an author chooses the id of a new offer (a bulk row that names one): `Anyone`
/// only, as for activities ([`may_choose_activity_id`]). Another's row with an id must name
/// one of its own offers.
pub fn may_choose_offer_id(author: &Author) -> bool {
    *author == Author::Anyone
}

// Interests: the matching function (issue 11).

/// Which interests in a request a principal sees. Interests are never public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterestsSeen {
    /// Every one: the request's State, and `admin`.
    All,
    /// Those this provider expressed.
    OfProvider(StakeholderId),
    /// None: anyone else (a `sync` token, another State, another organisation).
    Nothing,
}

impl InterestsSeen {
    pub fn sees(&self, interest: &Interest) -> bool {
        match self {
            Self::All => true,
            Self::OfProvider(own) => interest.stakeholder == *own,
            Self::Nothing => false,
        }
    }
}

/// Who sees the interests in a request (one the principal sees): its State and `admin` all of
/// them; a provider its own, `provider` being the stakeholder the principal makes offers as
/// (its organisation, its State's own stakeholder); no one else any.
pub fn interests_seen(
    principal: &Principal,
    request: &AssistanceRequestContent,
    provider: &Author,
) -> InterestsSeen {
    match (rights(principal), provider) {
        (Rights::Everything, _) => InterestsSeen::All,
        (Rights::State(state), _) if *state == request.state => InterestsSeen::All,
        (Rights::Nothing, _) => InterestsSeen::Nothing,
        (_, Author::Stakeholder(own)) => InterestsSeen::OfProvider(*own),
        _ => InterestsSeen::Nothing,
    }
}

/// Whether an author may cite an offer of this stakeholder in an interest, or withdraw an
/// interest of this provider: the one who may change the offer ([`may_change_offer`]).
pub fn may_speak_for_provider(author: &Author, provider: Option<StakeholderId>) -> Result<()> {
    may_change_offer(author, provider).map_err(|_| {
        Error::Forbidden(
            "A provider expresses and withdraws interests with its own offers: a contributor its organisation's, a State its own."
                .into(),
        )
    })
}

/// Whether a principal may accept or decline the interests in a request: the one who may
/// change the request ([`may_change_request`]), its State or `admin`.
pub fn may_decide_interests(
    principal: &Principal,
    request: &AssistanceRequestContent,
) -> Result<()> {
    let refused = || {
        Error::Forbidden(
            "Only the State that asks (or `admin` on its behalf) accepts or declines interests in its request."
                .into(),
        )
    };
    let filer = request_filer(principal).map_err(|_| refused())?;
    may_change_request(&filer, request).map_err(|_| refused())
}

/// As whom an activity is made from an accepted interest, if the principal may make it:
///
/// - the provider (`provider` is the stakeholder the principal makes offers as) makes it as
///   itself, as it submits any activity of its own;
/// - `admin` makes it naming the provider as submitter, as it may for any activity;
/// - the State that asks makes it naming the provider as submitter ([`Author::Anyone`]),
///   though it submits no other organisation's activities: the command writes nothing the
///   State chooses (no body; every field comes from the request and the offer the provider
///   cited, `domain::interest::activity_from_match`), and the activity is a draft, which only
///   its submitter (the provider) and `admin` see, change and submit; nothing is published in
///   the provider's name without the provider.
///
/// Anyone else may not.
pub fn match_activity_author(
    principal: &Principal,
    request: &AssistanceRequestContent,
    interest: &Interest,
    provider: &Author,
) -> Result<Author> {
    match rights(principal) {
        Rights::Everything => return Ok(Author::Anyone),
        Rights::State(state) if *state == request.state => return Ok(Author::Anyone),
        _ => {}
    }
    match provider {
        Author::Stakeholder(own) if *own == interest.stakeholder => Ok(Author::Stakeholder(*own)),
        _ => Err(Error::Forbidden(
            "An activity is made from a match by its provider, the State that asked, or `admin`."
                .into(),
        )),
    }
}

// Bulk uploads.

/// The kinds of item uploaded in bulk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upload {
    Recommendations,
    Stakeholders,
    Activities,
    AssistanceRequests,
    Offers,
}

/// The most rows an atomic upload of `principal` writes, `limit` (`UPR_TC_ATOMIC_ROW_LIMIT`),
/// or `None` for `admin`'s. An atomic upload holds the write lock from its first row to its
/// last, and every other writer waits for it, a State withdrawing its consent too: a
/// contributor sending one file of 100,000 rows again and again (unchanged, so it cost it
/// nothing) kept States' consents failing after their wait (found by an audit). A partial
/// upload commits each batch, and others write between them.
pub fn atomic_rows(principal: &Principal, limit: u64) -> Option<u64> {
    (!matches!(rights(principal), Rights::Everything)).then_some(limit)
}

/// Who may upload a kind of item at all; each row is then held to the rules of its command.
pub fn may_upload(principal: &Principal, kind: Upload) -> Result<()> {
    match (kind, rights(principal)) {
        (_, Rights::Everything) => Ok(()),
        (Upload::Recommendations, _) => Err(admin_only()),
        // Their rows change only what they may change (`may_edit_stakeholder`).
        (Upload::Stakeholders, Rights::Organisation(_) | Rights::State(_)) => Ok(()),
        (Upload::Stakeholders, Rights::Nothing) => Err(Error::Forbidden(
            "Stakeholders are uploaded by `admin`, and by contributors and States changing their own.".into(),
        )),
        (Upload::Activities, Rights::Organisation(_) | Rights::State(_)) => Ok(()),
        (Upload::Activities, Rights::Nothing) => Err(Error::Forbidden(
            "Activities are uploaded by `admin`, contributors and States.".into(),
        )),
        // Who files requests and makes offers at all, as the commands ask it.
        (Upload::AssistanceRequests, _) => request_filer(principal).map(drop),
        (Upload::Offers, _) => offer_writer(principal).map(drop),
    }
}
