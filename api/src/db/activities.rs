//! Activities in the document store: their columns, facets and filters, and the stored verdict
//! of the publication rule, recomputed (with `domain::publication`) whenever a fact it reads
//! changes: the activity itself, a consent record of a State it concerns, or its submitter's
//! kind or country.

use std::collections::HashMap;

use diesel::sql_types::{BigInt, Nullable, Text};
use uuid::Uuid;

use super::DbConnection;
use super::changes::{self, Change};
use super::documents::{Document, parse, to_json};
use super::query::{Sql, Value, count, execute, load, load_documents, load_ids, unreadable};
use super::table::Table;
use crate::domain::activity::{Activity, ActivityInput, ActivityStatus};
use crate::domain::publication::{
    Access, ActivityFacts, ConsentFact, Decision, Publication, Scope, Visibility, visibility,
};
use crate::domain::stakeholder::StakeholderKind;
use crate::domain::{ExternalRef, Stored};
use crate::error::FieldError;

/// What a list asks for; every part is optional and they combine with AND.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Who is asking: what it may see besides public activities.
    pub access: Access,
    /// Concerns one of these States.
    pub states: Option<Vec<String>>,
    /// Concerns a State of this regional group (its `snake_case` name).
    pub regional_group: Option<String>,
    pub stakeholder: Option<Uuid>,
    pub role: Option<String>,
    pub submitter_kind: Option<StakeholderKind>,
    pub recommendation: Option<Uuid>,
    pub theme: Option<String>,
    pub sdg_target: Option<String>,
    pub modality: Option<String>,
    pub status: Option<ActivityStatus>,
    pub funding_source: Option<String>,
    /// Runs on or after this date (ISO), i.e. has not ended before it.
    pub active_from: Option<String>,
    /// Runs on or before this date (ISO), i.e. has not started after it.
    pub active_to: Option<String>,
    pub good_practice: Option<bool>,
    pub peer_to_peer: Option<bool>,
    /// Submitted, and awaiting this State's consent.
    pub awaiting_consent_of: Option<String>,
    pub publication: Option<Publication>,
}

impl Filter {
    pub fn new(access: Access) -> Self {
        Self {
            access,
            states: None,
            regional_group: None,
            stakeholder: None,
            role: None,
            submitter_kind: None,
            recommendation: None,
            theme: None,
            sdg_target: None,
            modality: None,
            status: None,
            funding_source: None,
            active_from: None,
            active_to: None,
            good_practice: None,
            peer_to_peer: None,
            awaiting_consent_of: None,
            publication: None,
        }
    }

    pub fn apply(&self, sql: &mut Sql) {
        access_filter(sql, &self.access);
        let t = &Activity::TABLE;
        if let Some(states) = &self.states {
            sql.push(" AND EXISTS (SELECT 1 FROM activity_facets f WHERE f.activity_seq = r.seq AND f.facet = 'state' AND f.value IN ")
                .text_list(states)
                .push(")");
        }
        t.facet_filter(sql, "regional_group", self.regional_group.as_deref());
        match (&self.stakeholder, &self.role) {
            (Some(id), Some(role)) => {
                t.facet_filter(sql, "participant", Some(&format!("{id}|{role}")));
            }
            (Some(id), None) => t.facet_filter(sql, "stakeholder", Some(&id.to_string())),
            (None, Some(role)) => t.facet_filter(sql, "role", Some(role)),
            (None, None) => {}
        }
        if let Some(kind) = self.submitter_kind {
            sql.push(" AND r.submitter_kind = ").text(kind.as_str());
        }
        let recommendation = self.recommendation.map(|r| r.to_string());
        t.facet_filter(sql, "recommendation", recommendation.as_deref());
        t.facet_filter(sql, "theme", self.theme.as_deref());
        t.facet_filter(sql, "sdg_target", self.sdg_target.as_deref());
        t.facet_filter(sql, "funding_source", self.funding_source.as_deref());
        if let Some(modality) = &self.modality {
            sql.push(" AND r.modality = ").text(modality.clone());
        }
        if let Some(status) = self.status {
            sql.push(" AND r.status = ").text(status.as_str());
        }
        if let Some(from) = &self.active_from {
            sql.push(" AND (r.active_to IS NULL OR r.active_to >= ")
                .text(from.clone())
                .push(")");
        }
        if let Some(to) = &self.active_to {
            sql.push(" AND (r.active_from IS NULL OR r.active_from <= ")
                .text(to.clone())
                .push(")");
        }
        if let Some(flag) = self.good_practice {
            sql.push(" AND r.good_practice = ").int(i64::from(flag));
        }
        if let Some(flag) = self.peer_to_peer {
            sql.push(" AND r.peer_to_peer = ").int(i64::from(flag));
        }
        if let Some(state) = &self.awaiting_consent_of {
            sql.push(" AND r.publication = 'submitted'");
            t.facet_filter(sql, "awaiting", Some(state));
        }
        if let Some(publication) = self.publication {
            sql.push(" AND r.publication = ").text(publication.as_str());
        }
    }
}

/// The SQL twin of `publication::may_see`, over the stored verdict (`r.public`).
pub fn access_filter(sql: &mut Sql, access: &Access) {
    match access {
        Access::Everything => {}
        Access::Public => {
            sql.push(" AND r.public = 1");
        }
        Access::Submitter(id) => {
            sql.push(" AND (r.public = 1 OR r.submitter = ")
                .text(id.to_string())
                .push(")");
        }
        Access::State(state) => {
            sql.push(" AND (r.public = 1 OR r.submitter_state = ")
                .text(state.clone())
                .push(" OR (r.publication = 'submitted' AND EXISTS (SELECT 1 FROM activity_facets v WHERE v.activity_seq = r.seq AND v.facet = 'state' AND v.value = ")
                .text(state.clone())
                .push(")))");
        }
    }
}

impl Activity {
    /// The facts the publication rule reads.
    pub fn facts(&self) -> ActivityFacts {
        ActivityFacts {
            id: self.stored.id,
            publication: self.content.publication,
            submitter: self.content.submitter.unwrap_or_default(),
            submitter_state: self.derived.submitter_state.clone(),
            states_concerned: self.content.states_concerned.clone(),
        }
    }
}

/// The submitter's kind and country, and the consent records of States, read once each while
/// many activities are evaluated.
#[derive(Default)]
pub struct Facts {
    submitters: HashMap<Uuid, (String, Option<String>)>,
    consents: HashMap<String, Vec<ConsentFact>>,
}

#[derive(diesel::QueryableByName)]
struct SubmitterRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<Text>)]
    own_state: Option<String>,
}

#[derive(diesel::QueryableByName)]
struct ConsentRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    decision: String,
    #[diesel(sql_type = Text)]
    scope: String,
    #[diesel(sql_type = Nullable<Text>)]
    target: Option<String>,
}

fn consent_fact(state: &str, row: ConsentRow) -> diesel::QueryResult<ConsentFact> {
    let unreadable = |what: String| {
        unreadable(format!(
            "consent record {} (seq {}): {what}",
            row.id, row.seq
        ))
    };
    let uuid = |s: &str| Uuid::parse_str(s).map_err(|e| unreadable(format!("`{s}`: {e}")));
    let target = row.target.as_deref().map(uuid).transpose()?;
    let scope = match (row.scope.as_str(), target) {
        ("all", None) => Scope::All,
        ("submitter", Some(id)) => Scope::Submitter(id),
        ("activity", Some(id)) => Scope::Activity(id),
        (scope, target) => {
            return Err(unreadable(format!(
                "scope `{scope}` with target {target:?}"
            )));
        }
    };
    Ok(ConsentFact {
        id: uuid(&row.id)?,
        seq: row.seq,
        state: state.to_owned(),
        decision: Decision::parse(&row.decision)
            .ok_or_else(|| unreadable(format!("decision `{}`", row.decision)))?,
        scope,
    })
}

impl Facts {
    /// The submitter's kind, and the State it is when it is a State's own stakeholder.
    fn submitter(
        &mut self,
        conn: &mut DbConnection,
        id: Uuid,
    ) -> diesel::QueryResult<(String, Option<String>)> {
        if let Some(found) = self.submitters.get(&id) {
            return Ok(found.clone());
        }
        let mut sql = Sql::new("SELECT kind, own_state FROM stakeholders WHERE id = ");
        sql.text(id.to_string());
        let found = load::<SubmitterRow>(conn, &sql)?
            .into_iter()
            .next()
            .map(|row| (row.kind, row.own_state))
            .unwrap_or_else(|| (StakeholderKind::Other.as_str().to_owned(), None));
        self.submitters.insert(id, found.clone());
        Ok(found)
    }

    fn consents(
        &mut self,
        conn: &mut DbConnection,
        state: &str,
    ) -> diesel::QueryResult<&[ConsentFact]> {
        if !self.consents.contains_key(state) {
            let mut sql =
                Sql::new("SELECT id, seq, decision, scope, target FROM consents WHERE state = ");
            sql.text(state).push(" ORDER BY seq");
            // A record that does not read is an error, never skipped: skipping a withdrawal
            // would let an older grant publish (the gate fails closed).
            let facts = load::<ConsentRow>(conn, &sql)?
                .into_iter()
                .map(|row| consent_fact(state, row))
                .collect::<Result<Vec<_>, _>>()?;
            self.consents.insert(state.to_owned(), facts);
        }
        Ok(&self.consents[state])
    }

    /// Forgets a State's records, after a new one is written.
    pub fn forget(&mut self, state: &str) {
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
        a.visibility = visibility(&a.facts(), &consents);
        Ok(())
    }
}

/// Re-evaluates the activities a query selects (`seq, document` of `activities r`) and stores
/// the verdicts that changed; with `write_columns`, the submitter's and verdict columns of
/// every one (else an activity whose verdict stands is not written at all). Returns how many
/// verdicts changed.
fn refresh(
    conn: &mut DbConnection,
    select: &Sql,
    write_columns: bool,
) -> diesel::QueryResult<usize> {
    let rows = load_documents(conn, select)?;
    let mut activities = Vec::with_capacity(rows.len());
    for row in &rows {
        activities.push((row.seq, parse::<Activity>(row)?));
    }
    let mut facts = Facts::default();
    let mut changed = 0;
    for (seq, mut activity) in activities {
        let before = activity.visibility.clone();
        facts.derive(conn, &mut activity)?;
        if activity.visibility == before && !write_columns {
            continue;
        }
        let columns = activity.columns();
        let mut sql = Sql::new("UPDATE activities SET ");
        let mut first = true;
        for (name, value) in &columns {
            if !matches!(*name, "submitter_kind" | "submitter_state" | "public") {
                continue;
            }
            if !first {
                sql.push(", ");
            }
            first = false;
            sql.push(name).push(" = ");
            match value {
                Value::Text(t) => sql.text(t.clone()),
                Value::Int(i) => sql.int(*i),
                Value::Null => sql.push("NULL"),
            };
        }
        let mut feed = Vec::new();
        if activity.visibility != before {
            changed += 1;
            let full = to_json(&activity);
            let id = activity.stored.id.to_string();
            let was_public = before.public.then_some("");
            let public = activity.public_json(&full);
            feed.push(Change::new(
                Activity::TABLE.entity,
                id,
                Some(full.clone()),
                was_public,
                public,
            ));
            sql.push(", document = ").text(full);
        }
        sql.push(" WHERE seq = ").int(seq);
        execute(conn, &sql)?;
        changes::record(conn, feed)?;
        if activity.visibility != before {
            let facets = activity.facets();
            let pairs: Vec<(&str, &str)> = facets.iter().map(|(f, v)| (*f, v.as_str())).collect();
            Activity::TABLE.set_facets(conn, seq, &pairs)?;
        }
    }
    Ok(changed)
}

/// After a consent record of `state`: re-evaluates the activities concerning it.
pub fn refresh_state(conn: &mut DbConnection, state: &str) -> diesel::QueryResult<usize> {
    let mut sql = Sql::new(
        "SELECT r.seq, r.document FROM activities r WHERE EXISTS (SELECT 1 FROM activity_facets f WHERE f.activity_seq = r.seq AND f.facet = 'state' AND f.value = ",
    );
    sql.text(state).push(") ORDER BY r.seq");
    refresh(conn, &sql, false)
}

/// The version of the publication rule (`domain::publication`) whose verdicts are stored. Raise
/// it with every change to the rule or to what `Visibility` says: the service then computes
/// every stored verdict again when it starts (`refresh_if_rule_changed`).
/// 2: the most recent decision wins, a grant never undoes a narrower refusal (issue 9); the
/// reasons name the deciding record.
pub const RULE_VERSION: i32 = 2;

/// Computes every stored verdict again when they were computed by an older rule, in one write
/// transaction (so a reader sees the old verdicts or the new ones, and the change feed carries
/// every activity whose verdict changed). Returns how many changed, `None` when all were
/// current.
pub fn refresh_if_rule_changed(conn: &mut DbConnection) -> diesel::QueryResult<Option<usize>> {
    use super::schema::instance::dsl;
    use diesel::prelude::*;
    super::tx::write(conn, |c| {
        let stored: i32 = dsl::instance.select(dsl::rule_version).first(c)?;
        if stored >= RULE_VERSION {
            return Ok(None);
        }
        // Every verdict column written, whatever the stored document says: the rule that
        // wrote both may have been wrong.
        let all = Sql::new("SELECT r.seq, r.document FROM activities r ORDER BY r.seq");
        let changed = refresh(c, &all, true)?;
        diesel::update(dsl::instance)
            .set(dsl::rule_version.eq(RULE_VERSION))
            .execute(c)?;
        Ok(Some(changed))
    })
}

/// After a stakeholder's kind or country changed: re-evaluates the activities it submitted.
pub fn refresh_submitter(conn: &mut DbConnection, stakeholder: Uuid) -> diesel::QueryResult<usize> {
    let mut sql = Sql::new("SELECT r.seq, r.document FROM activities r WHERE r.submitter = ");
    sql.text(stakeholder.to_string()).push(" ORDER BY r.seq");
    refresh(conn, &sql, true)
}

/// How many stored activities refer to this stakeholder (as submitter or participant) or this
/// recommendation: those may not be deleted.
pub fn references_to(conn: &mut DbConnection, facet: &str, id: Uuid) -> diesel::QueryResult<i64> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM activity_facets WHERE facet = ");
    sql.text(facet).push(" AND value = ").text(id.to_string());
    count(conn, &sql)
}

impl Document for Activity {
    type Content = ActivityInput;

    const TABLE: Table = Table {
        entity: "activity",
        table: "activities",
        facets: "activity_facets",
        facet_key: "activity_seq",
        search: "activity_search",
        same: "submitter, title and planned start",
    };

    fn new(stored: Stored, content: ActivityInput) -> Self {
        Self {
            stored,
            content,
            visibility: Visibility::default(),
            derived: Default::default(),
        }
    }

    fn stored(&self) -> &Stored {
        &self.stored
    }

    fn content(&self) -> &ActivityInput {
        &self.content
    }

    fn derive(&mut self, conn: &mut DbConnection) -> diesel::QueryResult<()> {
        Facts::default().derive(conn, self)
    }

    fn derive_many<'a>(
        conn: &mut DbConnection,
        items: impl Iterator<Item = &'a mut Self>,
    ) -> diesel::QueryResult<()> {
        let mut facts = Facts::default();
        for item in items {
            facts.derive(conn, item)?;
        }
        Ok(())
    }

    /// Only while it is public.
    fn public_json(&self, full: &str) -> Option<String> {
        self.visibility.public.then(|| full.to_owned())
    }

    fn columns(&self) -> Vec<(&'static str, Value)> {
        let c = &self.content;
        let text = |v: Option<String>| v.map_or(Value::Null, Value::Text);
        vec![
            (
                "submitter",
                Value::Text(c.submitter.unwrap_or_default().to_string()),
            ),
            (
                "submitter_kind",
                Value::Text(self.derived.submitter_kind.clone()),
            ),
            (
                "submitter_state",
                text(self.derived.submitter_state.clone()),
            ),
            ("publication", Value::Text(c.publication.as_str().into())),
            ("status", Value::Text(c.status.as_str().into())),
            ("modality", text(c.modality.clone())),
            ("good_practice", Value::Int(i64::from(c.good_practice))),
            ("peer_to_peer", Value::Int(i64::from(c.peer_to_peer))),
            ("active_from", text(c.active_from().map(|d| d.to_string()))),
            ("active_to", text(c.active_to().map(|d| d.to_string()))),
            ("public", Value::Int(i64::from(self.visibility.public))),
        ]
    }

    fn facets(&self) -> Vec<(&'static str, String)> {
        let c = &self.content;
        let mut out: Vec<(&'static str, String)> = Vec::new();
        out.extend(c.states_concerned.iter().map(|s| ("state", s.clone())));
        let data = crate::reference::reference();
        for state in &c.states_concerned {
            if let Some(group) = data.country(state).and_then(|c| c.regional_group)
                && !out.contains(&("regional_group", group.as_str().to_owned()))
            {
                out.push(("regional_group", group.as_str().to_owned()));
            }
        }
        let mut stakeholders: Vec<String> = Vec::new();
        if let Some(submitter) = c.submitter {
            stakeholders.push(submitter.to_string());
        }
        for p in &c.participants {
            let id = p.stakeholder.to_string();
            out.push(("participant", format!("{id}|{}", p.role.as_str())));
            let role = ("role", p.role.as_str().to_owned());
            if !out.contains(&role) {
                out.push(role);
            }
            if !stakeholders.contains(&id) {
                stakeholders.push(id);
            }
        }
        out.extend(stakeholders.into_iter().map(|s| ("stakeholder", s)));
        out.extend(
            c.recommendations
                .iter()
                .map(|r| ("recommendation", r.to_string())),
        );
        out.extend(c.themes.iter().map(|v| ("theme", v.clone())));
        out.extend(c.sdg_targets.iter().map(|v| ("sdg_target", v.clone())));
        out.extend(
            c.funding_sources
                .iter()
                .map(|v| ("funding_source", v.clone())),
        );
        let v = &self.visibility;
        out.extend(
            v.awaiting_consent_of
                .iter()
                .map(|s| ("awaiting", s.clone())),
        );
        out.extend(v.refused_by.iter().map(|s| ("refused", s.clone())));
        out
    }

    fn search_text(&self) -> String {
        self.content.search_text()
    }

    fn refs_of(content: &ActivityInput) -> &[ExternalRef] {
        &content.external_refs
    }

    /// A partner key is unique among one submitter's activities: another submitter's key is
    /// not taken (so a caller learns nothing of activities it cannot see), and an import finds
    /// only its submitter's.
    fn ref_scope(content: &ActivityInput) -> String {
        format!("activity:{}", content.submitter.unwrap_or_default())
    }

    fn natural_key(content: &ActivityInput) -> Option<String> {
        Some(content.natural_key())
    }
}

#[derive(diesel::QueryableByName)]
struct ActivityRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    document: String,
    #[diesel(sql_type = Text)]
    submitter_kind: String,
    #[diesel(sql_type = Nullable<Text>)]
    submitter_state: Option<String>,
}

/// One activity with what it derives from its submitter, whoever may see it.
pub fn get(conn: &mut DbConnection, id: Uuid) -> diesel::QueryResult<Option<Activity>> {
    let mut sql = Sql::new(
        "SELECT seq, document, submitter_kind, submitter_state FROM activities WHERE id = ",
    );
    sql.text(id.to_string());
    let Some(row) = load::<ActivityRow>(conn, &sql)?.into_iter().next() else {
        return Ok(None);
    };
    let mut activity: Activity = parse(&super::query::DocumentRow {
        seq: row.seq,
        document: row.document,
    })?;
    activity.derived.submitter_kind = row.submitter_kind;
    activity.derived.submitter_state = row.submitter_state;
    Ok(Some(activity))
}

/// What an activity's references name that does not exist: its submitter, participants and
/// recommendations (each recommendation must also concern one of the States concerned).
pub fn check_references(
    conn: &mut DbConnection,
    input: &ActivityInput,
) -> diesel::QueryResult<Vec<FieldError>> {
    #[derive(diesel::QueryableByName)]
    struct Made {
        #[diesel(sql_type = Text)]
        id: String,
        #[diesel(sql_type = Text)]
        state_under_review: String,
    }
    let mut errors = Vec::new();
    let mut ids: Vec<String> = input
        .participants
        .iter()
        .map(|p| p.stakeholder.to_string())
        .collect();
    ids.extend(input.submitter.map(|s| s.to_string()));
    let mut sql = Sql::new("SELECT id FROM stakeholders WHERE id IN ");
    sql.text_list(&ids);
    let known = load_ids(conn, &sql)?;
    if let Some(submitter) = input.submitter
        && !known.contains(&submitter.to_string())
    {
        errors.push(FieldError::new(
            "/submitter",
            "unknown_stakeholder",
            format!("no stakeholder has the id {submitter}"),
        ));
    }
    for (i, p) in input.participants.iter().enumerate() {
        if !known.contains(&p.stakeholder.to_string()) {
            errors.push(FieldError::new(
                format!("/participants/{i}/stakeholder"),
                "unknown_stakeholder",
                format!("no stakeholder has the id {}", p.stakeholder),
            ));
        }
    }
    let ids: Vec<String> = input
        .recommendations
        .iter()
        .map(|r| r.to_string())
        .collect();
    let mut found: HashMap<String, String> = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("SELECT id, state_under_review FROM recommendations WHERE id IN ");
        sql.text_list(chunk);
        found.extend(
            load::<Made>(conn, &sql)?
                .into_iter()
                .map(|r| (r.id, r.state_under_review)),
        );
    }
    for (i, id) in ids.iter().enumerate() {
        match found.get(id) {
            None => errors.push(FieldError::new(
                format!("/recommendations/{i}"),
                "unknown_recommendation",
                format!("no recommendation has the id {id}"),
            )),
            Some(state) if !input.states_concerned.contains(state) => {
                errors.push(FieldError::new(
                    format!("/recommendations/{i}"),
                    "state_not_concerned",
                    format!(
                        "the recommendation was made to {state}, which is not among the States concerned"
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(errors)
}
