//! Offers in the document store: their columns, facets and filters. A draft is its
//! stakeholder's and `admin`'s only; every other status is public (`public`).

use diesel::prelude::*;

use super::DbConnection;
use super::activities::Referenced;
use super::documents::{
    Document, WriteError, first_shown_at, holds_former_languages, kept_languages,
};
use super::table::{Table, document_table};
use super::time::StoredTime;
use crate::domain::Language;
use crate::domain::offer::{MAX_CITED_ACTIVITIES, Offer, OfferContent, OfferInput, OfferStatus};
use crate::domain::publication::Access;
use crate::domain::{ActivityId, ExternalRef, FieldError, OfferId, StakeholderId, Stored};

/// The filters of a list of offers.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Which offers the caller sees.
    pub access: Access,
    /// Serves this State: names it, one of its M49 areas or its regional group, or serves
    /// everywhere.
    pub serves: Option<crate::domain::CountryCode>,
    /// Serves this regional group (names it, or serves everywhere).
    pub regional_group: Option<String>,
    pub stakeholder: Option<StakeholderId>,
    pub theme: Option<String>,
    pub sdg_target: Option<String>,
    pub modality: Option<String>,
    pub language: Option<String>,
    pub status: Option<OfferStatus>,
    pub peer_to_peer: Option<bool>,
    /// Made by a stakeholder of this kind.
    pub stakeholder_kind: Option<crate::domain::stakeholder::StakeholderKind>,
}

impl Filter {
    pub fn new(access: Access) -> Self {
        Self {
            access,
            serves: None,
            regional_group: None,
            stakeholder: None,
            theme: None,
            sdg_target: None,
            modality: None,
            language: None,
            status: None,
            peer_to_peer: None,
            stakeholder_kind: None,
        }
    }
}

impl Offer {
    /// Whether anonymous callers see it: every status but a draft.
    pub fn public(&self) -> bool {
        self.content.status != OfferStatus::Draft
    }
}

impl Document for Offer {
    type Input = OfferInput;
    type Content = OfferContent;
    type Id = OfferId;

    const TABLE: Table = Table {
        entity: "offer",
        table: "offers",
        facets: "offer_facets",
        facet_key: "offer_seq",
        facet_values: None,
        search: "offer_search",
        same: "stakeholder and description",
        hides_items: true,
        first_shown: Some("opened_at"),
    };

    fn new(stored: Stored<OfferId>, content: OfferContent) -> Self {
        Self { stored, content }
    }

    fn stored(&self) -> &Stored<OfferId> {
        &self.stored
    }

    fn content(&self) -> &OfferContent {
        &self.content
    }

    fn is_public(&self) -> bool {
        self.public()
    }

    /// Interests cite it, or activities deliver it: its history stays, and its stakeholder
    /// closes it instead.
    fn before_delete(conn: &mut DbConnection, id: OfferId) -> Result<(), WriteError> {
        let n = super::interests::citing_offer(conn, id)?;
        if n > 0 {
            return Err(WriteError::Conflict(format!(
                "{n} interests cite this offer: close it (`status: closed`) instead of deleting it."
            )));
        }
        // Not how many: some may be drafts the offer's stakeholder does not see.
        if super::activities::references_to(conn, Referenced::Offer(id))? > 0 {
            return Err(WriteError::Conflict(
                "Activities deliver this offer: close it (`status: closed`) instead of deleting it."
                    .into(),
            ));
        }
        Ok(())
    }

    /// Only while it is public.
    fn public_json(&self, full: &str) -> Option<String> {
        self.public().then(|| full.to_owned())
    }

    fn columns(&self) -> OfferColumns {
        OfferColumns {
            stakeholder: self.content.stakeholder.unwrap_or_default().to_string(),
            status: self.content.status.as_str().to_owned(),
            public: self.public(),
            peer_to_peer: self.content.peer_to_peer,
            opened_at: first_shown_at(self),
        }
    }

    fn shown(&self) -> bool {
        self.content.status == OfferStatus::Open
    }

    fn holds_former_codes(&self) -> bool {
        holds_former_languages(&self.content.languages)
    }

    fn facets(&self) -> Vec<(&'static str, String)> {
        let c = &self.content;
        let mut out: Vec<(&'static str, String)> = Vec::new();
        out.extend(c.themes.iter().map(|v| ("theme", v.clone())));
        out.extend(c.sdg_targets.iter().map(|v| ("sdg_target", v.clone())));
        out.extend(c.modalities.iter().map(|v| ("modality", v.clone())));
        out.extend(kept_languages(&c.languages).map(|v| ("language", v)));
        out.extend(c.states.iter().map(|v| ("state", v.to_string())));
        out.extend(c.regions.iter().map(|v| ("region", v.clone())));
        out.extend(
            c.regional_groups
                .iter()
                .map(|g| ("regional_group", g.as_str().to_owned())),
        );
        out.extend(c.activities.iter().map(|a| ("activity", a.to_string())));
        out
    }

    fn search_texts_of(content: &Self::Content) -> Vec<(Language, &str)> {
        content.search_texts()
    }

    fn refs_of(_content: &OfferContent) -> &[ExternalRef] {
        &[]
    }

    fn natural_key(content: &OfferContent) -> String {
        content.natural_key()
    }
}

document_table! {
    Offer => offers (offer_facets . offer_seq), OfferRow, OfferColumns {
        stakeholder: String,
        status: String,
        public: bool,
        peer_to_peer: bool,
        #[diesel(skip_update)]
        opened_at: Option<StoredTime>,
    }
}

/// How many offers a stakeholder makes (it may not be deleted while it makes any).
pub fn count_by(conn: &mut DbConnection, stakeholder: StakeholderId) -> QueryResult<i64> {
    use super::schema::offers::dsl as o;
    o::offers
        .filter(o::stakeholder.eq(stakeholder.to_string()))
        .count()
        .get_result(conn)
}

/// Makes the offers that cite these activities, which stopped being public (a State withdrew
/// or refused consent, or the activity changed), stop citing them: an offer is public and tells
/// only of public activities (`check_references` holds each write to it). Each citation taken
/// out is kept (`offer_withheld_citations`) and given back once the activity is public again
/// ([`give_back`]). Returns how many offers changed.
pub fn withhold(conn: &mut DbConnection, hidden: &[ActivityId]) -> QueryResult<usize> {
    take_out(conn, hidden, true, None)
}

/// Makes the offers that cite these activities, which are being deleted (or are not there),
/// stop citing them; the citations withheld from offers while they were hidden go with the
/// activities' rows (`ON DELETE CASCADE`). Returns how many offers changed.
pub fn uncite(conn: &mut DbConnection, deleted: &[ActivityId]) -> QueryResult<usize> {
    take_out(conn, deleted, false, None)
}

/// Makes the offers of these stakeholders, which no longer submitted the activity nor take
/// part in it, stop citing it, and forgets what was withheld from them of it. Returns how many
/// offers changed.
pub fn uncite_by(
    conn: &mut DbConnection,
    activity: ActivityId,
    stakeholders: &[StakeholderId],
) -> QueryResult<usize> {
    use super::schema::offer_withheld_citations::dsl as w;
    use super::schema::offers::dsl as o;
    let theirs: Vec<String> = stakeholders.iter().map(StakeholderId::to_string).collect();
    let offers = o::offers
        .filter(o::stakeholder.eq_any(&theirs))
        .select(o::id);
    diesel::delete(
        w::offer_withheld_citations
            .filter(w::activity_id.eq(activity.to_string()))
            .filter(w::offer_id.eq_any(offers)),
    )
    .execute(conn)?;
    take_out(conn, &[activity], false, Some(&theirs))
}

/// Writes each offer citing one of `activities` again without it (only the offers of the
/// stakeholders `of` names, when it names some), keeping what was taken out when `keep`. Each
/// offer changed is a new version, audited as the service's (`Actor::service`), and the public
/// feed forgets its earlier upserts, which named them.
fn take_out(
    conn: &mut DbConnection,
    activities: &[ActivityId],
    keep: bool,
    of: Option<&[String]>,
) -> QueryResult<usize> {
    use super::schema::offer_facets::dsl as f;
    use super::schema::offer_withheld_citations::dsl as w;
    use super::schema::offers::dsl as o;
    let mut rows: Vec<super::sql::DocumentRow> = Vec::new();
    for run in activities.chunks(super::RUN) {
        let values: Vec<String> = run.iter().map(ActivityId::to_string).collect();
        let citing = f::offer_facets
            .filter(f::facet.eq("activity"))
            .filter(f::value.eq_any(values))
            .select(f::offer_seq);
        let mut query = o::offers
            .filter(o::seq.eq_any(citing))
            .select((o::seq, o::document))
            .into_boxed();
        if let Some(of) = of {
            query = query.filter(o::stakeholder.eq_any(of));
        }
        rows.extend(query.load::<super::sql::DocumentRow>(conn)?);
    }
    rows.sort_unstable_by_key(|r| r.seq);
    rows.dedup_by_key(|r| r.seq);
    let taken: std::collections::HashSet<&ActivityId> = activities.iter().collect();
    for row in &rows {
        let offer: Offer = super::documents::parse(row)?;
        let mut content = offer.content.clone();
        content.activities.retain(|a| !taken.contains(a));
        let id = offer.stored.id.to_string();
        if keep {
            for activity in offer
                .content
                .activities
                .iter()
                .filter(|a| taken.contains(a))
            {
                let (activity, offer) = (activity.to_string(), id.as_str());
                let pair = w::activity_id.eq(&activity).and(w::offer_id.eq(offer));
                diesel::delete(w::offer_withheld_citations.filter(pair)).execute(conn)?;
                diesel::insert_into(w::offer_withheld_citations)
                    .values((w::activity_id.eq(&activity), w::offer_id.eq(offer)))
                    .execute(conn)?;
            }
        }
        super::changes::forget_public(conn, &mut [(Offer::TABLE.entity, id.as_str())])?;
        rewrite(conn, offer.stored.id, content)?;
    }
    Ok(rows.len())
}

/// Gives back to each offer the citations withheld from it ([`withhold`]) of these activities,
/// which are public again, where the offer is still there, the activity is still one its
/// stakeholder submitted or took part in, and the offer has room for it; the citations are
/// forgotten either way. Each offer changed is a new version, audited as the service's.
/// Returns how many offers changed.
pub fn give_back(conn: &mut DbConnection, public: &[ActivityId]) -> QueryResult<usize> {
    use super::schema::offer_withheld_citations::dsl as w;
    use super::schema::offers::dsl as o;
    let mut withheld: Vec<(String, String)> = Vec::new();
    for run in public.chunks(super::RUN) {
        let values: Vec<String> = run.iter().map(ActivityId::to_string).collect();
        let found = w::offer_withheld_citations.filter(w::activity_id.eq_any(&values));
        withheld.extend(
            found
                .clone()
                .select((w::offer_id, w::activity_id))
                .load(conn)?,
        );
        diesel::delete(found).execute(conn)?;
    }
    let mut by_offer: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (offer, activity) in withheld {
        by_offer.entry(offer).or_default().push(activity);
    }
    let mut changed = 0;
    for (offer_id, citations) in by_offer {
        let Some(row) = o::offers
            .filter(o::id.eq(&offer_id))
            .select((o::seq, o::document))
            .first::<super::sql::DocumentRow>(conn)
            .optional()?
        else {
            continue;
        };
        let offer: Offer = super::documents::parse(&row)?;
        let mut content = offer.content.clone();
        for activity in citations {
            let activity: ActivityId = activity.parse().map_err(|e| {
                super::stored::unreadable(format!("withheld activity `{activity}`: {e}"))
            })?;
            if content.activities.contains(&activity)
                || content.activities.len() >= MAX_CITED_ACTIVITIES
            {
                continue;
            }
            // Only the citation given back is checked: another the offer holds may have gone
            // stale meanwhile (its activity given to another submitter), which is no reason to
            // keep this one from it.
            content.activities.push(activity);
            let at = format!("/activities/{}", content.activities.len() - 1);
            if check_references(conn, &content)?
                .iter()
                .any(|e| e.pointer == at)
            {
                content.activities.pop();
            }
        }
        if content.activities != offer.content.activities {
            rewrite(conn, offer.stored.id, content)?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Forgets what was withheld from an offer ([`withhold`]): its stakeholder gave the whole list
/// of what it cites.
pub fn forget_withheld(conn: &mut DbConnection, offer: OfferId) -> QueryResult<usize> {
    use super::schema::offer_withheld_citations::dsl as w;
    diesel::delete(w::offer_withheld_citations.filter(w::offer_id.eq(offer.to_string())))
        .execute(conn)
}

/// Writes an offer's content anew, as the service.
fn rewrite(conn: &mut DbConnection, id: OfferId, content: OfferContent) -> QueryResult<()> {
    let actor = super::audit::Actor::service();
    super::documents::replace::<Offer>(conn, &actor, id, content, &super::documents::Expected::ANY)
        .map(|_| ())
        .map_err(|e| match e {
            WriteError::Db(e) => e,
            other => super::stored::unreadable(format!("offer {id}: {other}")),
        })
}

/// [`withhold`] of every activity an offer cites that is not public, and [`uncite`] of those
/// not there: what offers written before they followed their activities' verdicts may still
/// cite. One query when there is none. Returns how many times offers changed.
pub fn uncite_hidden(conn: &mut DbConnection) -> QueryResult<usize> {
    use super::schema::activities::dsl as a;
    let cited = hidden_cited(conn)?;
    if cited.is_empty() {
        return Ok(0);
    }
    // Those that are there are withheld, to be given back; the others are gone for good.
    let mut there = std::collections::HashSet::new();
    for run in cited.chunks(super::RUN) {
        let values: Vec<String> = run.iter().map(ActivityId::to_string).collect();
        let found: Vec<String> = a::activities
            .filter(a::id.eq_any(values))
            .select(a::id)
            .load(conn)?;
        there.extend(found);
    }
    let (hidden, missing): (Vec<ActivityId>, Vec<ActivityId>) = cited
        .into_iter()
        .partition(|id| there.contains(&id.to_string()));
    Ok(withhold(conn, &hidden)? + uncite(conn, &missing)?)
}

/// The citations an offer holds of an activity that is there but that its stakeholder neither
/// submitted nor takes part in (written before an activity given to another stakeholder was
/// taken off its former stakeholders' offers, `uncite_by`): each activity with those
/// stakeholders. One query.
pub fn stale_cited(conn: &mut DbConnection) -> QueryResult<Vec<(ActivityId, StakeholderId)>> {
    use super::schema::activities::dsl as a;
    use super::schema::activity_facets::dsl as af;
    use super::schema::offer_facets::dsl as f;
    use super::schema::offers::dsl as o;
    let theirs = af::activity_facets
        .inner_join(a::activities)
        .filter(a::id.eq(f::value))
        .filter(af::facet.eq("stakeholder"))
        .filter(af::value.eq(o::stakeholder));
    let there = a::activities.filter(a::id.eq(f::value));
    let stale: Vec<(String, String)> = f::offer_facets
        .inner_join(o::offers)
        .filter(f::facet.eq("activity"))
        .filter(diesel::dsl::exists(there))
        .filter(diesel::dsl::not(diesel::dsl::exists(theirs)))
        .select((f::value, o::stakeholder))
        .distinct()
        .load(conn)?;
    stale
        .iter()
        .map(|(activity, stakeholder)| {
            let unreadable = |e: &dyn std::fmt::Display| {
                super::stored::unreadable(format!("stale citation `{activity}`: {e}"))
            };
            Ok((
                activity.parse().map_err(|e| unreadable(&e))?,
                stakeholder.parse().map_err(|e| unreadable(&e))?,
            ))
        })
        .collect()
}

/// [`uncite_by`] of each citation [`stale_cited`] finds. Returns how many times offers
/// changed.
pub fn uncite_stale(conn: &mut DbConnection) -> QueryResult<usize> {
    let mut changed = 0;
    for (activity, stakeholder) in stale_cited(conn)? {
        changed += uncite_by(conn, activity, &[stakeholder])?;
    }
    Ok(changed)
}

/// The activities offers cite that are not public, or not there ([`uncite_hidden`]).
pub fn hidden_cited(conn: &mut DbConnection) -> QueryResult<Vec<ActivityId>> {
    use super::schema::activities::dsl as a;
    use super::schema::offer_facets::dsl as f;
    let public = a::activities.filter(a::public.eq(true)).select(a::id);
    let hidden: Vec<String> = f::offer_facets
        .filter(f::facet.eq("activity"))
        .filter(diesel::dsl::not(f::value.eq_any(public)))
        .select(f::value)
        .distinct()
        .load(conn)?;
    hidden
        .iter()
        .map(|id| {
            id.parse()
                .map_err(|e| super::stored::unreadable(format!("cited activity `{id}`: {e}")))
        })
        .collect()
}

/// What an offer names that does not exist or is not its stakeholder's: the stakeholder, and
/// each cited activity (a public one the stakeholder submitted or took part in: an offer is
/// public, and must not tell of an activity that is not).
pub fn check_references(
    conn: &mut DbConnection,
    content: &OfferContent,
) -> QueryResult<Vec<FieldError>> {
    use super::schema::activities::dsl as a;
    use super::schema::activity_facets::dsl as f;
    use super::schema::stakeholders::dsl as s;
    let mut errors = Vec::new();
    let Some(stakeholder) = content.stakeholder else {
        errors.push(FieldError::new(
            "/stakeholder",
            "required",
            "name the offering stakeholder",
        ));
        return Ok(errors);
    };
    let known: i64 = s::stakeholders
        .filter(s::id.eq(stakeholder.to_string()))
        .count()
        .get_result(conn)?;
    // An unknown stakeholder has no activities: each cited one is reported too (and is what a
    // State's first dry run, whose own stakeholder is not registered yet, is told).
    if known == 0 {
        errors.push(FieldError::new(
            "/stakeholder",
            "unknown_stakeholder",
            format!("no stakeholder has the id {stakeholder}"),
        ));
    } else if content.peer_to_peer && super::stakeholders::bound_state(conn, stakeholder)?.is_none()
    {
        // Peer to peer is a State sharing its own experience with another: matching counts it
        // only for a State's offer, and the `peer_to_peer` filter would list others' as such.
        errors.push(FieldError::new(
            "/peer_to_peer",
            "not_a_state",
            "only a State's own offer is peer to peer (a State sharing its own experience); \
             this stakeholder is no State's own",
        ));
    }
    if content.activities.is_empty() {
        return Ok(errors);
    }
    let ids: Vec<String> = content
        .activities
        .iter()
        .map(ActivityId::to_string)
        .collect();
    let its_own: Vec<String> = a::activities
        .inner_join(f::activity_facets)
        .filter(a::id.eq_any(&ids))
        .filter(f::facet.eq("stakeholder"))
        .filter(f::value.eq(stakeholder.to_string()))
        .filter(a::public.eq(true))
        .select(a::id)
        .load(conn)?;
    for (i, id) in ids.iter().enumerate() {
        if !its_own.contains(id) {
            errors.push(FieldError::new(
                format!("/activities/{i}"),
                "unknown_activity",
                format!("{id} is not a public activity this stakeholder submitted or took part in"),
            ));
        }
    }
    Ok(errors)
}
