//! The coordination view of a State (issue 11): its accepted recommendations that no activity
//! serves (gaps), those several actors serve at the same time (possible duplication), and its
//! open requests. Public over public data; the State itself and `admin` see the same over
//! everything they may see.

use serde::Serialize;
use utoipa::ToSchema;

use std::time::{Duration, Instant};

use super::matching::{OfferCache, OfferMatch, Window};
use super::{Error, Result};
use crate::db::DbConnection;
use crate::db::assistance_requests::{count_open, may_see, open_of};
use crate::db::documents;
use crate::db::recommendations::accepted_of;
use crate::db::sql::coordination::links;
use crate::db::stored::unreadable;
use crate::db::table::Rows;
use crate::domain::activity::{Activity, ActivityStatus};
use crate::domain::assistance_request::AssistanceRequest;
use crate::domain::coordination::{Link, findings, period_of};
use crate::domain::publication::Access;
use crate::domain::recommendation::{Recommendation, Response};
use crate::domain::{ActivityId, CountryCode, Multilingual, RecommendationId, StakeholderId};

/// A recommendation, as the view lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecommendationSummary {
    #[schema(value_type = Uuid)]
    pub id: RecommendationId,
    pub cycle: i64,
    pub session: i64,
    pub text: Multilingual,
    pub response: Option<Response>,
    #[schema(value_type = Vec<crate::domain::codes::ThemeCode>)]
    pub themes: Vec<String>,
}

impl From<&Recommendation> for RecommendationSummary {
    fn from(r: &Recommendation) -> Self {
        Self {
            id: r.stored.id,
            cycle: r.cycle,
            session: r.content.session,
            text: r.content.text.clone(),
            response: r.content.response,
            themes: r.content.themes.clone(),
        }
    }
}

/// An activity, as the view lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivitySummary {
    #[schema(value_type = Uuid)]
    pub id: ActivityId,
    pub title: Multilingual,
    #[schema(value_type = Uuid)]
    pub submitter: StakeholderId,
    pub status: ActivityStatus,
    pub active_from: Option<chrono::NaiveDate>,
    pub active_to: Option<chrono::NaiveDate>,
}

/// A recommendation that activities of different actors serve at the same time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Duplication {
    pub recommendation: RecommendationSummary,
    /// The activities that run at the same time as one of another actor.
    pub activities: Vec<ActivitySummary>,
}

/// What a State's coordination needs to know.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Coordination {
    #[schema(value_type = crate::domain::codes::StateCode)]
    pub state: CountryCode,
    /// How many of its recommendations it accepted (supported, or supported in part).
    pub accepted_recommendations: usize,
    /// Accepted recommendations that no activity the caller sees serves (a cancelled one
    /// serves nothing).
    pub gaps: Vec<RecommendationSummary>,
    /// Accepted recommendations served by activities of different actors whose periods
    /// overlap.
    pub possible_duplication: Vec<Duplication>,
    /// Its open requests the caller sees, each with the offers that fit it best: the first
    /// 100, oldest first (`/assistance-requests?state=…&status=open` lists them all).
    pub open_requests: Vec<RequestWithMatches>,
    /// How many open requests of the State the caller sees, listed or not.
    pub open_requests_total: usize,
}

/// An open request and its best matches.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequestWithMatches {
    pub request: AssistanceRequest,
    /// The three offers that fit it best, among those the caller may see
    /// (`/assistance-requests/{id}/matches` has them all).
    pub best_matches: Vec<OfferMatch>,
}

/// How many matches the view gives of each open request.
const BEST: usize = 3;

/// How many open requests the view lists, each ranked against every offer.
const LISTED_REQUESTS: usize = 100;

fn parse_id<T: std::str::FromStr>(what: &str, id: &str) -> diesel::QueryResult<T>
where
    T::Err: std::fmt::Display,
{
    id.parse()
        .map_err(|e| unreadable(format!("{what} id `{id}`: {e}")))
}

/// Whether the view is still within its time: it is given up past `deadline`, between two of
/// its reads or rankings.
fn in_time(deadline: Instant) -> Result<()> {
    if Instant::now() > deadline {
        return Err(Error::TooSlow(
            "The coordination view took longer than this service allows \
             (`UPR_TC_COORDINATION_TIMEOUT`): ask for each open request's matches on its own."
                .into(),
        ));
    }
    Ok(())
}

/// The view of `state` for a caller with `access`, given up with [`Error::TooSlow`] once it
/// has taken longer than `limit`.
pub fn view(
    conn: &mut DbConnection,
    cache: &OfferCache,
    state: &CountryCode,
    access: &Access,
    limit: Duration,
) -> Result<Coordination> {
    let deadline = Instant::now() + limit;
    in_time(deadline)?;
    let accepted = accepted_of(conn, state)?;
    in_time(deadline)?;
    let rows = links(conn, state, access)?;
    in_time(deadline)?;
    let mut link_list = Vec::with_capacity(rows.len());
    for row in &rows {
        link_list.push(Link {
            recommendation: parse_id("recommendation", &row.recommendation)?,
            activity: parse_id("activity", &row.activity)?,
            submitter: parse_id("stakeholder", &row.submitter)?,
            period: period_of(row.active_from.as_deref(), row.active_to.as_deref()),
            cancelled: row.status == ActivityStatus::Cancelled.as_str(),
        });
    }
    let ids: Vec<RecommendationId> = accepted.iter().map(|r| r.stored.id).collect();
    let found = findings(&ids, &link_list);
    in_time(deadline)?;
    let index: std::collections::HashMap<RecommendationId, &Recommendation> =
        accepted.iter().map(|r| (r.stored.id, r)).collect();
    let by_id = |id: &RecommendationId| index.get(id).map(|r| RecommendationSummary::from(*r));
    // The activities of possible duplication, read once.
    let mut named: Vec<String> = found
        .duplication
        .iter()
        .flat_map(|(_, activities)| activities.iter().map(ActivityId::to_string))
        .collect();
    named.sort_unstable();
    named.dedup();
    let mut activities = std::collections::HashMap::new();
    for chunk in named.chunks(500) {
        for row in Activity::find_rows(conn, chunk)? {
            let a: Activity = documents::parse(&row)?;
            activities.insert(
                a.stored.id,
                ActivitySummary {
                    id: a.stored.id,
                    title: a.content.title.clone(),
                    submitter: a.content.submitter.unwrap_or_default(),
                    status: a.content.status,
                    active_from: a.content.active_from(),
                    active_to: a.content.active_to(),
                },
            );
        }
    }
    let possible_duplication = found
        .duplication
        .iter()
        .filter_map(|(rec, ids)| {
            Some(Duplication {
                recommendation: by_id(rec)?,
                activities: ids
                    .iter()
                    .filter_map(|a| activities.get(a).cloned())
                    .collect(),
            })
        })
        .collect();
    let today = chrono::Utc::now().date_naive();
    let mut open_requests = Vec::new();
    // Every caller sees every open request (only drafts are their State's alone): they are
    // counted, and only those listed are read.
    let open_requests_total = count_open(conn, state)? as usize;
    let mut pool = None;
    for request in open_of(conn, state, LISTED_REQUESTS)? {
        debug_assert!(may_see(access, &request.content));
        in_time(deadline)?;
        // The offers are read once, for all the State's requests.
        let pool = match &mut pool {
            Some(pool) => pool,
            None => pool.insert(cache.pool(conn, access, None)?),
        };
        let best_matches = pool
            .rank(conn, &request.content, today)?
            .page(Window::first(BEST))
            .items
            .into_iter()
            .map(|r| OfferMatch::from(r.score, r.item))
            .collect();
        open_requests.push(RequestWithMatches {
            request,
            best_matches,
        });
    }
    Ok(Coordination {
        state: state.clone(),
        accepted_recommendations: accepted.len(),
        gaps: found.gaps.iter().filter_map(by_id).collect(),
        possible_duplication,
        open_requests,
        open_requests_total,
    })
}
