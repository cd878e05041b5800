//! The stored verdict of the publication rule: the facts it reads, and the re-evaluation of
//! stored activities when one changes (a consent record, a submitter's kind or country, the
//! rule itself).

use std::collections::HashMap;

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::DbConnection;
use crate::db::activities::verdict_facets;
use crate::db::changes::{self, Change, Fed};
use crate::db::documents::{Document, parse, to_json};
use crate::db::schema::{activities::dsl as a, activity_facets::dsl as f};
use crate::db::schema::{consents::dsl as c, stakeholders::dsl as s};
use crate::db::sql::verdicts::Verdict;
use crate::db::sql::{self, DocumentRow};
use crate::db::stored::unreadable;
use crate::db::table::Rows;
use crate::domain::activity::Activity;
use crate::domain::publication::{
    ActivityFacts, ConsentFact, Decision, Scope, ScopeKind, visibility,
};
use crate::domain::stakeholder::StakeholderKind;
use crate::domain::{ActivityId, CountryCode, StakeholderId};

impl Activity {
    /// The facts the publication rule reads.
    pub fn facts(&self) -> ActivityFacts {
        ActivityFacts {
            id: self.stored.id,
            publication: self.content.publication,
            submitter: self.content.submitter.unwrap_or_default(),
            submitter_state: self.derived.submitter_state.clone(),
            states_concerned: self.content.states_concerned.clone(),
            content: None,
        }
    }
}

/// The submitter's kind and country, and the consent records of States, read once each while
/// many activities are evaluated.
#[derive(Default)]
pub struct Facts {
    submitters: HashMap<StakeholderId, (StakeholderKind, Option<CountryCode>)>,
    consents: HashMap<CountryCode, Vec<ConsentFact>>,
    /// The decisions by name of the activities about to be evaluated, read for all of them at
    /// once ([`Facts::for_activities`]); else each activity's are read as it is evaluated.
    named: Option<HashMap<ActivityId, Vec<ConsentFact>>>,
}

/// What the rule reads of a consent record.
#[derive(diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::db::schema::consents)]
struct ConsentRow {
    id: String,
    seq: i64,
    decision: String,
    scope: String,
    target: Option<String>,
    granted_content: Option<String>,
}

fn consent_fact(state: &CountryCode, row: ConsentRow) -> diesel::QueryResult<ConsentFact> {
    let unreadable = |what: String| {
        unreadable(format!(
            "consent record {} (seq {}): {what}",
            row.id, row.seq
        ))
    };
    let uuid = |s: &str| Uuid::parse_str(s).map_err(|e| unreadable(format!("`{s}`: {e}")));
    let target = row.target.as_deref().map(uuid).transpose()?;
    let Some(scope) = ScopeKind::parse(&row.scope).and_then(|k| Scope::of(k, target)) else {
        return Err(unreadable(format!(
            "scope `{}` with target {target:?}",
            row.scope
        )));
    };
    Ok(ConsentFact {
        id: uuid(&row.id)?.into(),
        seq: row.seq,
        state: state.clone(),
        decision: Decision::parse(&row.decision)
            .ok_or_else(|| unreadable(format!("decision `{}`", row.decision)))?,
        scope,
        content: row.granted_content,
    })
}

/// Every consent record, by State, each State's in recording order.
pub fn all_consents(
    conn: &mut DbConnection,
) -> diesel::QueryResult<HashMap<CountryCode, Vec<ConsentFact>>> {
    let rows: Vec<(String, ConsentRow)> = c::consents
        .order(c::seq)
        .select((c::state, ConsentRow::as_select()))
        .load(conn)?;
    let mut out: HashMap<CountryCode, Vec<ConsentFact>> = HashMap::new();
    for (state, row) in rows {
        let state = stored_state(&state)?;
        let fact = consent_fact(&state, row)?;
        out.entry(state).or_default().push(fact);
    }
    Ok(out)
}

/// What the rule reads of a decision by name: its State and its record.
type Named = Vec<(String, ConsentRow)>;

/// The decisions by name of these activities, each activity's in recording order.
fn named_decisions(conn: &mut DbConnection, ids: &[String]) -> diesel::QueryResult<Named> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            c::consents
                .filter(c::scope.eq(ScopeKind::Activity.as_str()))
                .filter(c::target.eq_any(chunk))
                .order(c::seq)
                .select((c::state, ConsentRow::as_select()))
                .load::<(String, ConsentRow)>(conn)?,
        );
    }
    Ok(out)
}

impl Facts {
    /// Facts for evaluating these activities, their decisions by name read at once.
    fn for_activities(conn: &mut DbConnection, ids: &[String]) -> diesel::QueryResult<Self> {
        let mut named: HashMap<ActivityId, Vec<ConsentFact>> = HashMap::new();
        for (state, row) in named_decisions(conn, ids)? {
            let state = stored_state(&state)?;
            let fact = consent_fact(&state, row)?;
            if let Scope::Activity(id) = fact.scope {
                named.entry(id).or_default().push(fact);
            }
        }
        Ok(Facts {
            named: Some(named),
            ..Facts::default()
        })
    }

    /// The submitter's kind, and the State it is when it is a State's own stakeholder.
    fn submitter(
        &mut self,
        conn: &mut DbConnection,
        id: StakeholderId,
    ) -> diesel::QueryResult<(StakeholderKind, Option<CountryCode>)> {
        if let Some(found) = self.submitters.get(&id) {
            return Ok(found.clone());
        }
        let row = s::stakeholders
            .filter(s::id.eq(id.to_string()))
            .select((s::kind, s::own_state))
            .first::<(String, Option<String>)>(conn)
            .optional()?;
        let found = match row {
            Some((kind, own_state)) => (
                stored_kind(&kind)?,
                own_state.as_deref().map(stored_state).transpose()?,
            ),
            // No such stakeholder (the reference check refuses one; an import checks later):
            // no State's own, so consent is needed.
            None => (StakeholderKind::Other, None),
        };
        self.submitters.insert(id, found.clone());
        Ok(found)
    }

    fn consents(
        &mut self,
        conn: &mut DbConnection,
        state: &CountryCode,
    ) -> diesel::QueryResult<&[ConsentFact]> {
        if !self.consents.contains_key(state) {
            let rows: Vec<ConsentRow> = c::consents
                .filter(c::state.eq(state.as_str()))
                .order(c::seq)
                .select(ConsentRow::as_select())
                .load(conn)?;
            // A record that does not read is an error, never skipped: skipping a withdrawal
            // would let an older grant publish (the gate fails closed).
            let facts = rows
                .into_iter()
                .map(|row| consent_fact(state, row))
                .collect::<Result<Vec<_>, _>>()?;
            self.consents.insert(state.clone(), facts);
        }
        Ok(&self.consents[state])
    }

    /// Forgets a State's records, after a new one is written.
    pub fn forget(&mut self, state: &CountryCode) {
        self.consents.remove(state);
    }

    /// Computes what an activity derives from other stored data: its submitter's kind and
    /// State, and the publication rule's verdict.
    pub fn derive(&mut self, conn: &mut DbConnection, a: &mut Activity) -> diesel::QueryResult<()> {
        let (kind, state) = self.submitter(conn, a.content.submitter.unwrap_or_default())?;
        a.derived.submitter_kind = kind;
        a.derived.submitter_state = state;
        let mut consents = Vec::new();
        for state in &a.content.states_concerned {
            consents.extend_from_slice(self.consents(conn, state)?);
        }
        // Decisions by name of States the activity no longer concerns still count.
        let named = match &self.named {
            Some(named) => named.get(&a.stored.id).cloned().unwrap_or_default(),
            None => {
                let mut facts = Vec::new();
                for (state, row) in named_decisions(conn, &[a.stored.id.to_string()])? {
                    facts.push(consent_fact(&stored_state(&state)?, row)?);
                }
                facts
            }
        };
        consents.extend(
            named
                .into_iter()
                .filter(|fact| !a.content.states_concerned.contains(&fact.state)),
        );
        let mut facts = a.facts();
        // The content's digest only where a grant by name of it would compare it: every write
        // of an activity, and every activity of a State that records a decision, comes here.
        let granted_by_name = consents
            .iter()
            .any(|c| c.scope == Scope::Activity(a.stored.id) && c.content.is_some());
        if granted_by_name {
            facts.content = Some(a.content.consented());
        }
        a.visibility = visibility(&facts, &consents);
        Ok(())
    }
}

/// Re-evaluates these stored activities (`seq, document`) and stores the verdicts that
/// changed; with `write_columns`, the submitter's and verdict columns of every one (else an
/// activity whose verdict stands is not written at all). Returns how many verdicts changed.
/// The changed verdicts are written together, and of each activity's facets only those the
/// verdict gives (`awaiting`, `refused`) that changed: a State's blanket decision may change
/// thousands, all the while holding the write lock. With `write_columns` (the rule or a
/// submitter changed), every facet of an activity whose verdict changed is written again.
fn refresh(
    conn: &mut DbConnection,
    rows: Vec<DocumentRow>,
    write_columns: bool,
) -> diesel::QueryResult<usize> {
    let mut activities = Vec::with_capacity(rows.len());
    for row in &rows {
        activities.push((row.seq, parse::<Activity>(row)?));
    }
    let ids: Vec<String> = activities
        .iter()
        .map(|(_, a)| a.stored.id.to_string())
        .collect();
    let mut facts = Facts::for_activities(conn, &ids)?;
    // The verdicts that changed, written a few hundred at a time, and their feed rows, written
    // together at the end.
    let (mut verdicts, mut feed, mut changed) = (Vec::new(), Vec::new(), 0);
    // The verdict's facets that changed: rows to delete, by facet and value, and to insert.
    let mut gone: HashMap<(&'static str, String), Vec<i64>> = HashMap::new();
    let mut added: Vec<(i64, &'static str, String)> = Vec::new();
    // With `write_columns`, the activities whose facets are all written again.
    let mut rewrite: Vec<(i64, Vec<(&'static str, String)>)> = Vec::new();
    // The activities that stopped being public, which offers stop citing, and those public
    // again, which offers cite again.
    let (mut hidden, mut shown) = (Vec::new(), Vec::new());
    for (seq, mut activity) in activities {
        let before = activity.visibility.clone();
        facts.derive(conn, &mut activity)?;
        let verdict_changed = activity.visibility != before;
        if !verdict_changed && !write_columns {
            continue;
        }
        let columns = activity.columns();
        if !verdict_changed {
            diesel::update(a::activities.filter(a::seq.eq(seq)))
                .set((
                    a::submitter_kind.eq(columns.submitter_kind),
                    a::submitter_state.eq(columns.submitter_state),
                    a::public.eq(columns.public),
                ))
                .execute(conn)?;
            continue;
        }
        if before.public && !activity.visibility.public {
            hidden.push(activity.stored.id);
        } else if !before.public && activity.visibility.public {
            shown.push(activity.stored.id);
        }
        if write_columns {
            // The rule changed: every facet written again, whatever the stored rows say.
            rewrite.push((seq, activity.facets()));
        } else {
            let (was, is) = (
                verdict_facets(&before),
                verdict_facets(&activity.visibility),
            );
            for facet in was.iter().filter(|f| !is.contains(f)) {
                gone.entry(facet.clone()).or_default().push(seq);
            }
            added.extend(
                is.into_iter()
                    .filter(|f| !was.contains(f))
                    .map(|(facet, value)| (seq, facet, value)),
            );
        }
        let full = to_json(&activity);
        let public = activity.public_json(&full);
        let change = Change::new(
            Activity::TABLE.entity,
            activity.stored.id.to_string(),
            Some(Fed {
                row: seq,
                json: full.clone(),
            }),
            before.public,
            public,
        );
        feed.push(change);
        verdicts.push(Verdict {
            seq,
            document: full,
            public: columns.public,
            submitter_kind: columns.submitter_kind,
            submitter_state: columns.submitter_state,
        });
        changed += 1;
        if verdicts.len() == sql::verdicts::AT_ONCE {
            sql::verdicts::write(conn, &verdicts)?;
            verdicts.clear();
        }
    }
    // The activities first: a facet row takes its activity's verdict as it is written.
    sql::verdicts::write(conn, &verdicts)?;
    for ((facet, value), seqs) in gone {
        for chunk in seqs.chunks(500) {
            diesel::delete(
                f::activity_facets
                    .filter(f::facet.eq(facet))
                    .filter(f::value.eq(&value))
                    .filter(f::activity_seq.eq_any(chunk)),
            )
            .execute(conn)?;
        }
    }
    let added: Vec<(i64, &str, &str)> = added
        .iter()
        .map(|(seq, facet, value)| (*seq, *facet, value.as_str()))
        .collect();
    Activity::insert_facets(conn, &added)?;
    for (seq, facets) in rewrite {
        let pairs: Vec<(&str, &str)> = facets.iter().map(|(f, v)| (*f, v.as_str())).collect();
        Activity::set_facets(conn, seq, &pairs)?;
    }
    // Offers stop citing the hidden before the feed says they are gone, and cite those shown
    // again after it gives them.
    crate::db::offers::withhold(conn, &hidden)?;
    changes::record(conn, feed)?;
    crate::db::offers::give_back(conn, &shown)?;
    Ok(changed)
}

/// After a consent record of `state`: re-evaluates the activities concerning it.
pub fn refresh_state(conn: &mut DbConnection, state: &CountryCode) -> diesel::QueryResult<usize> {
    let concerning = f::activity_facets
        .filter(f::facet.eq("state"))
        .filter(f::value.eq(state.as_str()))
        .select(f::activity_seq);
    let rows = a::activities
        .filter(a::seq.eq_any(concerning))
        .order(a::seq)
        .select((a::seq, a::document))
        .load(conn)?;
    refresh(conn, rows, false)
}

/// After a decision by name of `state` about an activity that no longer concerns it:
/// re-evaluates that activity ([`refresh_state`] has not, as it does those concerning it).
pub fn refresh_taken_off(
    conn: &mut DbConnection,
    id: ActivityId,
    state: &CountryCode,
) -> diesel::QueryResult<usize> {
    let concerning = f::activity_facets
        .filter(f::facet.eq("state"))
        .filter(f::value.eq(state.as_str()))
        .select(f::activity_seq);
    let rows = a::activities
        .filter(a::id.eq(id.to_string()))
        .filter(diesel::dsl::not(a::seq.eq_any(concerning)))
        .select((a::seq, a::document))
        .load(conn)?;
    refresh(conn, rows, false)
}

/// The version of the publication rule (`domain::publication`) whose verdicts are stored. Raise
/// it with every change to the rule or to what `Visibility` says: the service then computes
/// every stored verdict again when it starts (`refresh_if_rule_changed`).
/// 2: the most recent decision wins, a grant never undoes a narrower refusal (issue 9); the
/// reasons name the deciding record. 3: a refusal by name stays in force when its State is
/// taken off the activity.
pub const RULE_VERSION: i32 = 3;

/// Computes every stored verdict again when they were computed by an older rule, in one write
/// transaction (so a reader sees the old verdicts or the new ones, and the change feed carries
/// every activity whose verdict changed). Returns how many changed, `None` when all were
/// current.
pub fn refresh_if_rule_changed(conn: &mut DbConnection) -> diesel::QueryResult<Option<usize>> {
    use crate::db::schema::instance::dsl;
    // Read first: an instance starting while another writes for long (an upload) waits for
    // no lock when there is nothing to do, as at nearly every start.
    let stored: i32 = dsl::instance.select(dsl::rule_version).first(conn)?;
    if stored >= RULE_VERSION {
        return Ok(None);
    }
    crate::db::tx::write(conn, |c| {
        let stored: i32 = dsl::instance.select(dsl::rule_version).first(c)?;
        if stored >= RULE_VERSION {
            return Ok(None);
        }
        // Every verdict column written, whatever the stored document says: the rule that
        // wrote both may have been wrong.
        let all = a::activities
            .order(a::seq)
            .select((a::seq, a::document))
            .load(c)?;
        let changed = refresh(c, all, true)?;
        diesel::update(dsl::instance)
            .set(dsl::rule_version.eq(RULE_VERSION))
            .execute(c)?;
        Ok(Some(changed))
    })
}

/// After a stakeholder's kind or country changed: re-evaluates the activities it submitted.
pub fn refresh_submitter(
    conn: &mut DbConnection,
    stakeholder: StakeholderId,
) -> diesel::QueryResult<usize> {
    let rows = a::activities
        .filter(a::submitter.eq(stakeholder.to_string()))
        .order(a::seq)
        .select((a::seq, a::document))
        .load(conn)?;
    refresh(conn, rows, true)
}

/// A State's code as stored; one this code does not know is an error.
pub fn stored_state(code: &str) -> diesel::QueryResult<CountryCode> {
    CountryCode::parse(code).map_err(|e| unreadable(e.to_string()))
}

/// A stakeholder kind as stored; one this code does not know is an error, never a default.
pub fn stored_kind(kind: &str) -> diesel::QueryResult<StakeholderKind> {
    StakeholderKind::parse(kind).ok_or_else(|| unreadable(format!("stakeholder kind `{kind}`")))
}
