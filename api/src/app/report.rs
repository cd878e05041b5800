//! The annual report (issue 12): the facts it counts from, read from the database and then
//! kept up to date with what each write changed (so that a dashboard polling the statistics
//! right after a write costs the write's rows, not a pass over every activity), and the
//! tables `domain::report` counts from them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Error, Result};
use crate::db::DbConnection;
use crate::db::activities::verdicts::{all_consents, stored_state};
use crate::db::recommendations::accepted_keys;
use crate::db::sql::report::{self as sql, ActivityRow, data_version};
use crate::digest::tag;
use crate::domain::activity::ActivityStatus;
use crate::domain::publication::{self, ConsentFact, Publication};
use crate::domain::report::{
    ACTIVITY_TABLES, Accepted, ActivityFacts, COVERAGE_TABLES, Code, ItemFacts, ReportScope, Span,
    Table, activity_table, budget_table, consent_table, coverage_table, good_practices_table,
    matching_table, standings, submissions_table,
};
use crate::domain::{ActivityId, CountryCode, Language, Multilingual};

/// A year's report, or the live statistics (no year).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    /// The year counted; `null` for the statistics, which count every activity.
    pub year: Option<i32>,
    /// When these figures were first counted: counted again after writes that change none of
    /// them, the report keeps it.
    pub generated_at: DateTime<Utc>,
    /// `public`: over public activities only; `full`: over every activity (`admin` only).
    pub scope: ReportScope,
    /// The language of the titles and labels.
    pub lang: Language,
    pub tables: Vec<Table>,
}

/// A stored day (`YYYY-MM-DD`, the start of a stored date or time: a year of five digits, which
/// the service no longer takes, is written `+YYYYY-MM-DD`); one that does not read is an error,
/// never taken as no day (it would move the item to another year).
fn date(text: Option<&str>) -> Result<Option<NaiveDate>> {
    text.map(|t| {
        t.split(['T', ' '])
            .next()
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("a stored day `{t}` does not read")))
    })
    .transpose()
}

/// The facts of every activity, by id.
type Activities = HashMap<ActivityId, ActivityFacts>;

/// What a report counts from, as the database held it at one version
/// (`db::sql::report::data_version`).
#[derive(Debug, Default)]
pub struct Facts {
    version: (i64, i64),
    /// Every activity, by id.
    activities: Activities,
    /// Every consent record, by State: how the States stand on each activity.
    consents: HashMap<CountryCode, Vec<ConsentFact>>,
    accepted: Vec<Accepted>,
    requests: Vec<ItemFacts>,
    offers: Vec<ItemFacts>,
}

/// How many entries of the audit trail a refresh reads at most before it reads everything
/// anew instead.
const REFRESH_LIMIT: i64 = 2_000;

/// The title of a good practice, from its document.
#[derive(serde::Deserialize)]
struct Titled {
    title: Multilingual,
}

/// The facts of an activity's row, its facets apart.
fn activity(id: ActivityId, row: ActivityRow) -> Result<ActivityFacts> {
    let practice = match row.practice.as_deref() {
        Some(document) => {
            let t: Titled = crate::db::documents::parse_document(document)?;
            Some(Box::new(t.title))
        }
        None => None,
    };
    let status = ActivityStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == row.status)
        .ok_or_else(|| {
            Error::Internal(anyhow::anyhow!(
                "activity {}: status `{}` does not read",
                row.id,
                row.status
            ))
        })?;
    Ok(ActivityFacts {
        id,
        practice,
        public: row.public,
        submitted: date(row.submitted.as_deref())?,
        from: date(row.active_from.as_deref())?,
        to: date(row.active_to.as_deref())?,
        created: date(Some(&row.created))?,
        status: Some(status),
        modality: row.modality.map(Code::from),
        submitter_kind: Some(row.submitter_kind.into()),
        budget: row
            .budget_currency
            .zip(row.budget_amount)
            .map(|(currency, amount)| (currency.into(), amount.into())),
        ..Default::default()
    })
}

/// The activities with these ids, or every one, with how the States concerned stand on each,
/// put in `into` by id (each run of them as it is read: no second copy of them all).
fn read_activities(
    conn: &mut DbConnection,
    ids: Option<&[String]>,
    consents: &HashMap<CountryCode, Vec<ConsentFact>>,
    into: &mut Activities,
) -> Result<()> {
    let mut after = 0;
    // A run of activities at a time, with their facets: what is read and not yet kept stays
    // small however many activities there are.
    loop {
        let rows = sql::activities(conn, ids, after, READ_RUN)?;
        let Some(last) = rows.last().map(|r| r.seq) else {
            return Ok(());
        };
        let more = rows.len() as i64 == READ_RUN;
        let facets = sql::facets(conn, ids, (after, last))?;
        into.extend(
            activity_facts(rows, facets, consents)?
                .into_iter()
                .map(|a| (a.id, a)),
        );
        if !more {
            return Ok(());
        }
        after = last;
    }
}

/// How many activities a read of the facts takes at a time.
const READ_RUN: i64 = 2_000;

/// The facts of some activities, from their rows and facets.
fn activity_facts(
    rows: Vec<sql::ActivityRow>,
    facets: Vec<sql::FacetRow>,
    consents: &HashMap<CountryCode, Vec<ConsentFact>>,
) -> Result<Vec<ActivityFacts>> {
    // What the rule reads of each, beside its facts, by row.
    let mut by_seq: HashMap<i64, (publication::ActivityFacts, ActivityFacts)> = HashMap::new();
    for row in rows {
        let unreadable = |what: &str| {
            Error::Internal(anyhow::anyhow!("activity {}: {what} does not read", row.id))
        };
        let rule = publication::ActivityFacts {
            id: row.id.parse().map_err(|_| unreadable("the id"))?,
            publication: Publication::parse(&row.publication)
                .ok_or_else(|| unreadable("the publication state"))?,
            submitter: row
                .submitter
                .parse()
                .map_err(|_| unreadable("the submitter"))?,
            submitter_state: row
                .submitter_state
                .as_deref()
                .map(stored_state)
                .transpose()?,
            states_concerned: Vec::new(),
            content: None,
        };
        let id = rule.id;
        by_seq.insert(row.seq, (rule, activity(id, row)?));
    }
    for row in facets {
        let Some((rule, a)) = by_seq.get_mut(&row.seq) else {
            continue;
        };
        let list = match row.facet.as_str() {
            "state" => {
                rule.states_concerned.push(stored_state(&row.value)?);
                &mut a.states
            }
            "theme" => &mut a.themes,
            "sdg_target" => &mut a.sdg_targets,
            "role" => &mut a.roles,
            "recommendation" => {
                let id = row.value.parse().map_err(|_| {
                    Error::Internal(anyhow::anyhow!(
                        "activity {}: recommendation `{}` does not read",
                        a.id,
                        row.value
                    ))
                })?;
                a.recommendations.push(id);
                continue;
            }
            _ => &mut a.funding_sources,
        };
        list.push(row.value.into());
    }
    Ok(by_seq
        .into_values()
        .map(|(rule, mut a)| {
            // By code, as the facets come in no particular order.
            a.states.sort_unstable();
            a.consent = standings(&rule, consents, a.public);
            a.shrink();
            a
        })
        .collect())
}

fn items(rows: Vec<sql::ItemRow>) -> Result<Vec<ItemFacts>> {
    rows.into_iter()
        .map(|r| {
            Ok(ItemFacts {
                public: r.public,
                opened: date(r.opened.as_deref())?,
                matched: date(r.matched.as_deref())?,
            })
        })
        .collect()
}

/// Every accepted recommendation, read a run at a time (PostgreSQL's client holds a whole
/// answer in memory: one of every accepted recommendation would be tens of megabytes beside
/// the facts).
fn accepted(conn: &mut DbConnection) -> Result<Vec<Accepted>> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let run = accepted_keys(conn, after.as_deref(), ACCEPTED_RUN)?;
        let more = run.len() as i64 == ACCEPTED_RUN;
        after = run.last().map(|(id, _, _)| id.clone());
        for (id, state, cycle) in run {
            out.push(Accepted {
                id: id.parse().map_err(|_| {
                    Error::Internal(anyhow::anyhow!(
                        "recommendation `{id}`: the id does not read"
                    ))
                })?,
                state: state.into(),
                cycle,
            });
        }
        if !more {
            out.shrink_to_fit();
            return Ok(out);
        }
    }
}

/// How many accepted recommendations a read takes at a time.
const ACCEPTED_RUN: i64 = 20_000;

impl Facts {
    /// Everything, read anew.
    fn read(conn: &mut DbConnection, version: (i64, i64)) -> Result<Self> {
        let consents = all_consents(conn)?;
        // Sized once: grown by doubling, the old table and the new would be held together.
        let mut activities = Activities::with_capacity(sql::activity_count(conn)?);
        read_activities(conn, None, &consents, &mut activities)?;
        Ok(Self {
            version,
            activities,
            consents,
            accepted: accepted(conn)?,
            requests: items(sql::requests(conn)?)?,
            offers: items(sql::offers(conn)?)?,
        })
    }

    /// Brought to `version`: the activities written since read again, and those a consent
    /// record or a stakeholder written since may change (those concerning the record's State,
    /// those the stakeholder submitted), with every consent record; the recommendations when
    /// one was written; the requests and offers always (they are few). Everything anew when
    /// more was written than a refresh reads, or when the publication rule was applied anew
    /// without a write.
    fn refresh(&mut self, conn: &mut DbConnection, version: (i64, i64)) -> Result<()> {
        let (from, to) = (self.version.0, version.0);
        let written = if to > from {
            sql::written(conn, from, to, REFRESH_LIMIT + 1)?
        } else {
            Vec::new()
        };
        if to <= from || written.len() as i64 > REFRESH_LIMIT {
            *self = Self::read(conn, version)?;
            return Ok(());
        }
        let of = |entity: &str| -> Vec<String> {
            written
                .iter()
                .filter(|w| w.entity == entity)
                .map(|w| w.entity_id.clone())
                .collect()
        };
        let (consents, stakeholders) = (of("consent"), of("stakeholder"));
        let mut ids = of("activity");
        if !consents.is_empty() || !stakeholders.is_empty() {
            if !consents.is_empty() {
                self.consents = all_consents(conn)?;
            }
            ids.extend(sql::touched(conn, &consents, &stakeholders)?);
        }
        ids.sort_unstable();
        ids.dedup();
        for chunk in ids.chunks(500) {
            for id in chunk {
                // An id that does not read is not among the facts either.
                if let Ok(id) = id.parse::<ActivityId>() {
                    self.activities.remove(&id);
                }
            }
            read_activities(conn, Some(chunk), &self.consents, &mut self.activities)?;
        }
        if written.iter().any(|w| w.entity == "recommendation") {
            self.accepted = accepted(conn)?;
        }
        self.requests = items(sql::requests(conn)?)?;
        self.offers = items(sql::offers(conn)?)?;
        self.version = version;
        Ok(())
    }

    /// Every table over what is in `scope`, for `span`.
    fn tables(&self, scope: ReportScope, span: Span, language: Language) -> Vec<Table> {
        let shown = |public: bool| scope == ReportScope::Full || public;
        let facts: Vec<&ActivityFacts> = self
            .activities
            .values()
            .filter(|a| shown(a.public))
            .collect();
        let facts = || facts.iter().copied();
        let requests: Vec<ItemFacts> = self
            .requests
            .iter()
            .filter(|r| shown(r.public))
            .cloned()
            .collect();
        let offers: Vec<ItemFacts> = self
            .offers
            .iter()
            .filter(|o| shown(o.public))
            .cloned()
            .collect();
        let mut tables: Vec<Table> = ACTIVITY_TABLES
            .iter()
            .map(|name| activity_table(name, facts(), span, language))
            .collect();
        tables.push(budget_table(facts(), span, language));
        tables.extend(
            COVERAGE_TABLES
                .iter()
                .map(|name| coverage_table(name, &self.accepted, facts(), span, language)),
        );
        tables.push(consent_table(facts(), scope, span, language));
        tables.push(submissions_table(facts(), span, language));
        tables.push(matching_table(&requests, &offers, span, language));
        tables.push(good_practices_table(facts(), span, language));
        tables
    }
}

/// What a report is counted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Asked {
    pub scope: ReportScope,
    /// A year (the annual report), or every activity (the statistics).
    pub span: Span,
    pub language: Language,
}

/// A report as counted, and the weak ETag of its figures, computed once when it is counted so
/// that a reader who has them gets a 304 without the report being written out again.
#[derive(Debug)]
pub struct Counted {
    pub report: Report,
    /// `W/"…"`, of the tables (not of when they were counted).
    pub tag: String,
    /// The report as JSON, written once, for the many who poll it.
    json: std::sync::OnceLock<bytes::Bytes>,
}

impl Counted {
    /// The report as JSON: written for its first reader, given as written to the others.
    pub fn json(&self) -> bytes::Bytes {
        self.json
            .get_or_init(|| crate::db::documents::to_json(&self.report).into())
            .clone()
    }

    /// The ETag of one form of the report (`json`, `html`) or of one table in one form.
    pub fn tag_of(&self, part: &str) -> String {
        format!("W/\"{}\"", tag(format!("{}|{part}", self.tag), 8))
    }
}

/// The facts the reports count from, kept up to date, and the reports counted from them, kept
/// while the data is unchanged (`db::sql::report::data_version`): many readers of this
/// year's report, or a dashboard polling the statistics, cost one small query each; the first
/// after a write reads what the write changed. One caller counts at a time. The others do not
/// wait for it holding a connection of the pool when there are figures of the full report
/// (`admin`'s) already counted for what they ask: they are given those, at most the writes in
/// progress behind, and `generated_at` says when they were counted; a public report waits for
/// the count, since one counted before a refusal names what it hides
/// (`ReportScope::may_be_given_as_last_counted`). Held by the service; each instance keeps its
/// own.
#[derive(Debug, Default)]
pub struct ReportCache {
    /// The facts, locked while they are brought up to date and counted.
    facts: Mutex<Option<Facts>>,
    /// The reports counted, each with the version of the data it was counted from; locked
    /// only to look one up or to add one.
    published: Mutex<HashMap<Asked, Published>>,
    /// When the figures of each report asked for were first counted as they are (their tag):
    /// a report counted again after writes that change none of its figures (a hidden
    /// activity's, for a public report) keeps its `generated_at`, which would otherwise tell
    /// those who poll it that something they may not see was written.
    first_counted: Mutex<HashMap<Asked, (String, DateTime<Utc>)>>,
}

impl ReportCache {
    /// The report asked for as it was last counted, whatever the data is now: what a caller
    /// has while another counts, without reading anything.
    pub fn last(&self, asked: &Asked) -> Option<Arc<Counted>> {
        let published = self.published.lock().unwrap_or_else(|e| e.into_inner());
        published.get(asked).map(|(_, counted)| counted.clone())
    }
}

/// A report counted, and the version of the data it was counted from.
type Published = ((i64, i64), Arc<Counted>);

/// Reports kept for one version of the data, at most (years, scopes and languages asked).
const KEPT: usize = 64;

/// Whether data at version `kept` is older than at `now`: fewer audit entries, or as many and
/// another number of public activities (the rule applied anew without a write).
fn older(kept: (i64, i64), now: (i64, i64)) -> bool {
    kept.0 < now.0 || (kept.0 == now.0 && kept != now)
}

/// Whether a report given is of the data as it was when it was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fresh {
    /// Counted from it, or from newer data.
    Now,
    /// As last counted, while another caller counts: perhaps older.
    Last,
}

/// The report asked for, counted from the data as it is now, or kept from when it was the
/// same; while another caller counts, as last counted (if it was, and its scope allows:
/// [`ReportScope::may_be_given_as_last_counted`]). A reader whose snapshot is
/// older than the facts kept is given the newer figures.
pub fn counted(
    conn: &mut DbConnection,
    cache: &ReportCache,
    asked: Asked,
) -> Result<(Arc<Counted>, Fresh)> {
    let version = data_version(conn)?;
    let published = || cache.published.lock().unwrap_or_else(|e| e.into_inner());
    let last = published().get(&asked).cloned();
    if let Some((counted_at, counted)) = &last
        && !older(*counted_at, version)
    {
        return Ok((counted.clone(), Fresh::Now));
    }
    let mut facts = match cache.facts.try_lock() {
        Ok(facts) => facts,
        Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
        // Another caller is counting: answer what was counted last, if anything was and the
        // scope allows it; else wait for the count.
        Err(std::sync::TryLockError::WouldBlock) => match last {
            Some((_, counted)) if asked.scope.may_be_given_as_last_counted() => {
                return Ok((counted, Fresh::Last));
            }
            _ => cache.facts.lock().unwrap_or_else(|e| e.into_inner()),
        },
    };
    #[cfg(feature = "failpoints")]
    crate::held::by_test(&format!("{asked:?}"));
    match facts.as_mut() {
        Some(kept) if older(kept.version, version) => kept.refresh(conn, version)?,
        Some(_) => {}
        None => *facts = Some(Facts::read(conn, version)?),
    }
    let facts = facts
        .as_ref()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("no facts")))?;
    // Counted by the caller this one waited for.
    if let Some((counted_at, counted)) = published().get(&asked)
        && *counted_at == facts.version
    {
        return Ok((counted.clone(), Fresh::Now));
    }
    let tables = facts.tables(asked.scope, asked.span, asked.language);
    let figures = tag(crate::db::documents::to_json(&tables), 8);
    let generated_at = {
        let mut first = cache
            .first_counted
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match first.get(&asked) {
            Some((tag, at)) if *tag == figures => *at,
            _ => {
                if first.len() >= KEPT {
                    first.clear();
                }
                // To the microsecond, as every time the service gives.
                let now = crate::db::time::now();
                first.insert(asked, (figures.clone(), now));
                now
            }
        }
    };
    let counted = Arc::new(Counted {
        json: std::sync::OnceLock::new(),
        tag: figures,
        report: Report {
            year: match asked.span {
                Span::Year(y) => Some(y),
                Span::All => None,
            },
            generated_at,
            scope: asked.scope,
            lang: asked.language,
            tables,
        },
    });
    let mut published = published();
    published.retain(|_, (counted_at, _)| *counted_at == facts.version);
    if published.len() >= KEPT {
        published.clear();
    }
    published.insert(asked, (facts.version, counted.clone()));
    Ok((counted, Fresh::Now))
}

/// The table of that name; not found when the report has none.
pub fn table<'a>(report: &'a Report, name: &str) -> Result<&'a Table> {
    report
        .tables
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = report.tables.iter().map(|t| t.name.as_str()).collect();
            Error::NotFound(format!(
                "The report has no table `{name}`: its tables are {}.",
                names.join(", ")
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_day_that_does_not_read_is_an_error_not_no_day() {
        assert_eq!(date(None).unwrap(), None);
        assert_eq!(
            date(Some("2026-03-01 10:00:00.123")).unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 1)
        );
        assert_eq!(
            date(Some("2026-03-01T10:00:00Z")).unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 1)
        );
        // Stored before such years were refused: read as they are, not an error that would
        // stop every report.
        assert_eq!(
            date(Some("+99999-01-01")).unwrap(),
            NaiveDate::from_ymd_opt(99999, 1, 1)
        );
        assert_eq!(
            date(Some("-0001-01-01")).unwrap(),
            NaiveDate::from_ymd_opt(-1, 1, 1)
        );
        for bad in ["", "2026-13-01", "1 March 2026", "2026-03"] {
            assert!(date(Some(bad)).is_err(), "{bad}");
        }
    }
}
