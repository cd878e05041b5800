//! `upr-tc seed`: fills an empty database with a generated data set that looks like the UPR's
//! own — the 193 member States reviewed over four cycles, recommendations worded as UPR
//! reports word them, stakeholders of every kind, activities, consent records of every kind,
//! offers and assistance requests — for benchmarks and tests. The same seed makes the same
//! data, ids included.
//!
//! Everything is written as `upr-tc import` writes it (`import::import_items`, by the
//! operator), and consent records through their command (`app::consents::record`): the
//! audit trail, the change feed, the full-text index and the stored verdicts of the
//! publication rule are those the API would have written for the same requests.

mod make;
mod phrases;
mod world;

use std::collections::HashMap;
use std::time::Instant;

use anyhow::{Context, bail};
use diesel::prelude::*;
use rand::Rng;
use serde::Serialize;

use crate::app::policy::Upload;
use crate::app::{self, Principal, uploads};
use crate::db::DbConnection;
use crate::db::documents::Document;
use crate::domain::ActivityId;
use crate::domain::consent::ScopeKind;
use crate::domain::ids::seeded;
use crate::domain::publication::Decision;
use crate::domain::recommendation::Recommendation;
use crate::domain::stakeholder::{Stakeholder, StakeholderKind};
use crate::domain::{activity::Activity, assistance_request::AssistanceRequest, offer::Offer};
use crate::import::{self, Format, Importable, Mode, Options};
use make::{Act, ActMaker, OfferMaker, Pools, RecIndex, RecMaker, RequestMaker, Stance};
use world::World;

/// How much data to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// The United Nations' own scale: 250,000 recommendations, 5,000 stakeholders, 50,000
    /// activities, 10,000 offers, 5,000 assistance requests.
    Un,
    /// About a fiftieth of it (every member State still), for tests.
    Small,
}

/// The counts a scale makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Stakeholders besides the member States' own (193).
    pub organisations: usize,
    pub recommendations: usize,
    pub activities: usize,
    pub offers: usize,
    pub assistance_requests: usize,
    /// At most this many consent records about single activities per State that decides on
    /// activities by name.
    pub decisions_by_name: usize,
}

impl Scale {
    pub fn sizes(self) -> Sizes {
        match self {
            Self::Un => Sizes {
                organisations: 4_807,
                recommendations: 250_000,
                activities: 50_000,
                offers: 10_000,
                assistance_requests: 5_000,
                decisions_by_name: 20,
            },
            Self::Small => Sizes {
                organisations: 100,
                recommendations: 5_000,
                activities: 1_000,
                offers: 200,
                assistance_requests: 100,
                decisions_by_name: 2,
            },
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Un => "un",
            Self::Small => "small",
        }
    }
}

/// What a seed wrote, counted in the database afterwards.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub scale: &'static str,
    pub seed: u64,
    pub stakeholders: i64,
    pub recommendations: i64,
    pub consents: i64,
    pub activities: i64,
    pub public_activities: i64,
    pub offers: i64,
    pub assistance_requests: i64,
    /// Rows of the change feed.
    pub changes: i64,
    pub seconds: f64,
}

/// When the ids of seeded items begin (UUID v7 time): 2025-01-01T00:00:00Z, one millisecond
/// later for each id, so they stay before anything the service makes afterwards.
const IDS_FROM_MILLIS: u64 = 1_735_689_600_000;

/// Tables that must be empty: seeding on top of data would merge generated items into it by
/// their natural keys and collide with its ids.
const TABLES: [&str; 8] = [
    "stakeholders",
    "recommendations",
    "activities",
    "consents",
    "offers",
    "assistance_requests",
    "changes",
    "audit_log",
];

fn holds_rows(conn: &mut DbConnection, table: &str) -> QueryResult<bool> {
    use crate::db::schema::*;
    use diesel::dsl::exists;
    macro_rules! any_row {
        ($t:ident) => {
            diesel::select(exists($t::table.select($t::seq))).get_result(conn)
        };
    }
    match table {
        "stakeholders" => any_row!(stakeholders),
        "recommendations" => any_row!(recommendations),
        "activities" => any_row!(activities),
        "consents" => any_row!(consents),
        "offers" => any_row!(offers),
        "assistance_requests" => any_row!(assistance_requests),
        "changes" => any_row!(changes),
        _ => any_row!(audit_log),
    }
}

fn count(conn: &mut DbConnection, table: &str) -> QueryResult<i64> {
    use crate::db::schema::*;
    macro_rules! rows {
        ($t:ident) => {
            $t::table.count().get_result(conn)
        };
    }
    match table {
        "stakeholders" => rows!(stakeholders),
        "recommendations" => rows!(recommendations),
        "activities" => rows!(activities),
        "consents" => rows!(consents),
        "offers" => rows!(offers),
        "assistance_requests" => rows!(assistance_requests),
        "changes" => rows!(changes),
        _ => rows!(audit_log),
    }
}

/// The ids of stored items by natural key.
fn ids_by_key(conn: &mut DbConnection, table: &str) -> QueryResult<HashMap<String, String>> {
    use crate::db::schema::*;
    macro_rules! keys {
        ($t:ident) => {
            $t::table
                .select(($t::natural_key, $t::id))
                .load::<(String, String)>(conn)?
        };
    }
    let rows = match table {
        "stakeholders" => keys!(stakeholders),
        "recommendations" => keys!(recommendations),
        _ => keys!(activities),
    };
    Ok(rows.into_iter().collect())
}

/// The id a natural key was stored under.
fn id_of<I: std::str::FromStr>(
    ids: &HashMap<String, String>,
    key: &str,
    what: &str,
) -> anyhow::Result<I> {
    ids.get(key)
        .and_then(|id| id.parse().ok())
        .with_context(|| format!("a generated {what} was not stored (natural key {key})"))
}

/// Writes generated items as `upr-tc import` writes a file of them, and checks that every one
/// was created.
fn write<D: Importable>(
    conn: &mut DbConnection,
    kind: Upload,
    what: &str,
    expected: usize,
    items: impl IntoIterator<Item = D::Input>,
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<()> {
    progress.set_message(what.to_owned());
    let uploader = uploads::uploader(conn, &Principal::Operator, kind, false)?;
    let options = Options {
        format: Format::Ndjson,
        // One transaction for each kind of item: no commit every 500 items (they all are
        // good, or the seed stops).
        mode: Mode::Atomic,
        dry_run: false,
        uploader,
        review: Default::default(),
        charset: None,
        atomic_rows: None,
    };
    let items = items.into_iter().inspect(|_| progress.inc(1));
    let started = Instant::now();
    let report = import::import_items::<D>(conn, items, options)?;
    tracing::info!(
        items = report.created,
        seconds = started.elapsed().as_secs_f64(),
        "seeded {what}"
    );
    if report.rejected > 0 || report.created as usize != expected {
        bail!(
            "not every generated {what} was created: {} of {expected} created, {} updated, {} unchanged, {} rejected; {:?}",
            report.created,
            report.updated,
            report.unchanged,
            report.rejected,
            report.errors.iter().take(5).collect::<Vec<_>>()
        );
    }
    Ok(())
}

/// Fills the configured database, which must hold no data, with the data set of `scale` made
/// from `seed`; `progress` counts the items written.
pub fn run(
    conn: &mut DbConnection,
    scale: Scale,
    seed: u64,
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let mut filled = Vec::new();
    for table in TABLES {
        if holds_rows(conn, table)? {
            filled.push(table);
        }
    }
    if !filled.is_empty() {
        bail!(
            "the database already holds data (in {}): seed an empty database (a new SQLite file, or a new PostgreSQL database)",
            filled.join(", ")
        );
    }
    let sizes = scale.sizes();
    if let DbConnection::Sqlite(c) = conn {
        crate::db::sql::statements::sqlite_loading_mode(c, true)?;
    }
    let filled = seeded(seed, IDS_FROM_MILLIS, || fill(conn, sizes, seed, progress));
    if let DbConnection::Sqlite(c) = conn {
        crate::db::sql::statements::sqlite_loading_mode(c, false)?;
    }
    filled?;
    progress.finish_and_clear();
    Ok(Summary {
        scale: scale.name(),
        seed,
        stakeholders: count(conn, "stakeholders")?,
        recommendations: count(conn, "recommendations")?,
        consents: count(conn, "consents")?,
        activities: count(conn, "activities")?,
        public_activities: {
            use crate::db::schema::activities::dsl as a;
            a::activities
                .filter(a::public.eq(true))
                .count()
                .get_result(conn)?
        },
        offers: count(conn, "offers")?,
        assistance_requests: count(conn, "assistance_requests")?,
        changes: count(conn, "changes")?,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Runs `make` on a thread of its own, each item it sends handed to `write` here as soon as
/// it is made: the data is made on one core while the database writes on the other. `make`
/// stops when `write` no longer takes items.
fn made_alongside<T: Send, R>(
    make: impl FnOnce(std::sync::mpsc::SyncSender<T>) + Send,
    write: impl FnOnce(std::sync::mpsc::IntoIter<T>) -> R,
) -> R {
    let (items, received) = std::sync::mpsc::sync_channel(1024);
    std::thread::scope(|scope| {
        scope.spawn(move || make(items));
        write(received.into_iter())
    })
}

fn fill(
    conn: &mut DbConnection,
    sizes: Sizes,
    seed: u64,
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<()> {
    let mut world = World::new(seed);
    let states = world.states.len();

    // Stakeholders: each member State's own, then organisations of every kind.
    let (inputs, mut orgs) = make::stakeholders(&mut world, sizes.organisations);
    // A first guess of the consent records, corrected once they are known.
    progress.set_length(
        (inputs.len()
            + sizes.recommendations
            + sizes.activities
            + sizes.offers
            + sizes.assistance_requests
            + states * 2) as u64,
    );
    let keys = inputs
        .iter()
        .map(|input| {
            input
                .clone()
                .validate()
                .map(|content| Stakeholder::natural_key(&content))
                .map_err(|e| anyhow::anyhow!("a generated stakeholder is not valid: {e:?}"))
        })
        .collect::<anyhow::Result<Vec<String>>>()?;
    let count = inputs.len();
    write::<Stakeholder>(
        conn,
        Upload::Stakeholders,
        "stakeholders",
        count,
        inputs,
        progress,
    )?;
    let ids = ids_by_key(conn, "stakeholders")?;
    for (org, key) in orgs.iter_mut().zip(&keys) {
        org.id = id_of(&ids, key, "stakeholder")?;
    }
    let pools = Pools::new(&orgs, states);

    // Recommendations, review by review in the order the reviews took place.
    let quotas = make::quotas(&world, sizes.recommendations);
    let reviews = make::reviews(&world, &quotas);
    let mut recs = Vec::with_capacity(sizes.recommendations);
    let mut keys = Vec::with_capacity(sizes.recommendations);
    {
        let (world, recs, keys) = (&mut world, &mut recs, &mut keys);
        made_alongside(
            move |items| {
                let mut maker = RecMaker::new(world);
                for review in &reviews {
                    for i in 0..review.count {
                        let (input, rec, key) = maker.make(world, review, i);
                        recs.push(rec);
                        keys.push(key);
                        if items.send(input).is_err() {
                            return;
                        }
                    }
                }
            },
            |items| {
                write::<Recommendation>(
                    conn,
                    Upload::Recommendations,
                    "recommendations",
                    sizes.recommendations,
                    items,
                    progress,
                )
            },
        )?;
    }
    let ids = ids_by_key(conn, "recommendations")?;
    for (rec, key) in recs.iter_mut().zip(&keys) {
        rec.id = id_of(&ids, key, "recommendation")?;
    }
    drop(ids);
    drop(keys);
    let index = RecIndex::new(&recs, states);

    // Consent records for all activities or for submitters, before any activity exists (as
    // a State that decided once, long ago).
    let stances: Vec<Stance> = (0..states).map(|_| Stance::draw(&mut world)).collect();
    progress.set_message("consent records");
    let started = Instant::now();
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("a date");
    let (early, late) = (
        (day(2024, 1, 1), day(2025, 12, 31)),
        (day(2026, 1, 1), day(2026, 6, 30)),
    );
    let ohchr = orgs.iter().position(|o| {
        o.kind == StakeholderKind::UnEntity
            && o.name.starts_with("Office of the United Nations High")
    });
    for (state, stance) in stances.iter().enumerate() {
        let mut records = Vec::new();
        let likely_submitter = |world: &mut World| {
            let kind = [
                StakeholderKind::UnEntity,
                StakeholderKind::CivilSocietyOrganization,
                StakeholderKind::Nhri,
            ][world.weighted(&[3.0, 2.0, 1.0])];
            pools
                .national(world, state, kind)
                .or(ohchr)
                .map(|o| orgs[o].id.uuid())
        };
        match stance {
            Stance::GrantAll | Stance::GrantAllRefuseSome => {
                records.push((Decision::Granted, ScopeKind::All, None, early));
            }
            Stance::RefuseAll | Stance::RefuseAllGrantSome => {
                records.push((Decision::Refused, ScopeKind::All, None, early));
            }
            Stance::GrantThenWithdraw => {
                records.push((Decision::Granted, ScopeKind::All, None, early));
                records.push((Decision::Withdrawn, ScopeKind::All, None, late));
            }
            Stance::GrantSubmitters => {
                for _ in 0..world.weighted(&[0.0, 5.0, 3.0, 2.0]) {
                    if let Some(target) = likely_submitter(&mut world) {
                        records.push((
                            Decision::Granted,
                            ScopeKind::Submitter,
                            Some(target),
                            early,
                        ));
                    }
                }
            }
            Stance::GrantAllRefuseSubmitter => {
                records.push((Decision::Granted, ScopeKind::All, None, early));
                if let Some(target) = likely_submitter(&mut world) {
                    records.push((Decision::Refused, ScopeKind::Submitter, Some(target), late));
                }
            }
            Stance::Silent => {}
        }
        for (decision, scope, target, (from, to)) in records {
            let input = make::consent(&mut world, state, decision, scope, target, from, to);
            app::consents::record(conn, &Principal::Operator, input)?;
            progress.inc(1);
        }
    }

    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "seeded consent records"
    );

    // Activities.
    let mut acts: Vec<Act> = Vec::with_capacity(sizes.activities);
    let mut keys = Vec::with_capacity(sizes.activities);
    {
        let (world, acts, keys) = (&mut world, &mut acts, &mut keys);
        let (orgs, recs, index, pools) = (&orgs, &recs, &index, &pools);
        made_alongside(
            move |items| {
                let mut maker = ActMaker::new(world, orgs, recs, index, pools);
                for _ in 0..sizes.activities {
                    let (input, act, key) = maker.make(world);
                    acts.push(act);
                    keys.push(key);
                    if items.send(input).is_err() {
                        return;
                    }
                }
            },
            |items| {
                write::<Activity>(
                    conn,
                    Upload::Activities,
                    "activities",
                    sizes.activities,
                    items,
                    progress,
                )
            },
        )?;
    }
    let ids = ids_by_key(conn, "activities")?;
    for (act, key) in acts.iter_mut().zip(&keys) {
        act.id = id_of(&ids, key, "activity")?;
    }
    drop(ids);

    // Consent records about single activities, by the States that decide by name.
    progress.set_message("consent records by activity");
    let mut by_name: Vec<(usize, Decision, ActivityId)> = Vec::new();
    for (state, stance) in stances.iter().enumerate() {
        let Some(decision) = stance.by_name() else {
            continue;
        };
        let candidates: Vec<ActivityId> = acts
            .iter()
            .filter(|a| a.submitted && a.states.contains(&(state as u16)))
            .filter(|a| a.submitter as usize != state)
            .map(|a| a.id)
            .collect();
        let k = world
            .rng
            .random_range(1..=sizes.decisions_by_name)
            .min(candidates.len());
        for &id in
            rand::seq::IndexedRandom::choose_multiple(candidates.as_slice(), &mut world.rng, k)
        {
            // Some refusals by name are withdrawals of an earlier grant.
            let decision = if decision == Decision::Refused && world.chance(0.3) {
                Decision::Withdrawn
            } else {
                decision
            };
            by_name.push((state, decision, id));
        }
    }
    let started = Instant::now();
    progress.set_length(
        progress.position() + (by_name.len() + sizes.offers + sizes.assistance_requests) as u64,
    );
    let recent = (day(2026, 7, 1), day(2026, 11, 30));
    for (state, decision, id) in by_name {
        let input = make::consent(
            &mut world,
            state,
            decision,
            ScopeKind::Activity,
            Some(id.uuid()),
            recent.0,
            recent.1,
        );
        app::consents::record(conn, &Principal::Operator, input)?;
        progress.inc(1);
    }
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "seeded consent records by activity"
    );
    let public: HashMap<String, bool> = {
        use crate::db::schema::activities::dsl as a;
        a::activities
            .select((a::id, a::public))
            .load::<(String, bool)>(conn)?
            .into_iter()
            .collect()
    };
    for act in &mut acts {
        act.public = public.get(&act.id.to_string()).copied().unwrap_or(false);
    }

    // Offers, citing their stakeholders' public activities; then States' requests.
    {
        let mut maker = OfferMaker::new(&orgs, &pools, &acts);
        let items = (0..sizes.offers).map(|_| maker.make(&mut world));
        write::<Offer>(
            conn,
            Upload::Offers,
            "offers",
            sizes.offers,
            items,
            progress,
        )?;
    }
    {
        let mut maker = RequestMaker::new(&world, &recs, &index);
        let items = (0..sizes.assistance_requests).map(|_| maker.make(&mut world));
        write::<AssistanceRequest>(
            conn,
            Upload::AssistanceRequests,
            "assistance requests",
            sizes.assistance_requests,
            items,
            progress,
        )?;
    }
    Ok(())
}
