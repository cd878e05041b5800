//! Interests in the database: typed rows of `interests`, each write with its audit entry in
//! the same transaction. Not a document table, and not in the change feed: interests are
//! never public (who reads them is `app::policy`'s to say).

use diesel::prelude::*;

use super::DbConnection;
use super::audit::{self, Actor, Operation};
use super::documents::WriteError;
use super::schema::interests::dsl as i;
use super::sql::search::Position;
use super::stored::unreadable;
use super::time::{read, stored};
use crate::domain::Stored;
use crate::domain::interest::{Interest, InterestStatus};
use crate::domain::{ActivityId, AssistanceRequestId, Id, InterestId, OfferId, StakeholderId};

/// What the audit trail and messages call an interest.
pub const ENTITY: &str = "interest";

/// A row as stored.
#[derive(diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = super::schema::interests)]
struct Row {
    seq: i64,
    id: String,
    assistance_request: String,
    offer: String,
    stakeholder: String,
    status: String,
    message: Option<String>,
    activity: Option<String>,
    version: i64,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    decided_at: Option<chrono::NaiveDateTime>,
}

fn id_of<I: Id>(column: &str, value: &str) -> QueryResult<I> {
    value
        .parse()
        .map_err(|e| unreadable(format!("interest {column} `{value}`: {e}")))
}

impl Row {
    fn interest(self) -> QueryResult<(i64, Interest)> {
        let status = InterestStatus::parse(&self.status)
            .ok_or_else(|| unreadable(format!("interest status `{}`", self.status)))?;
        Ok((
            self.seq,
            Interest {
                stored: Stored {
                    id: id_of("id", &self.id)?,
                    version: self.version,
                    created_at: read(self.created_at),
                    updated_at: read(self.updated_at),
                },
                assistance_request: id_of("assistance_request", &self.assistance_request)?,
                offer: id_of("offer", &self.offer)?,
                stakeholder: id_of("stakeholder", &self.stakeholder)?,
                status,
                message: self.message,
                activity: self
                    .activity
                    .as_deref()
                    .map(|a| id_of::<ActivityId>("activity", a))
                    .transpose()?,
                decided_at: self.decided_at.map(read),
            },
        ))
    }
}

fn to_value(interest: &Interest) -> serde_json::Value {
    serde_json::to_value(interest).expect("interests serialise")
}

/// Stores a new interest, with its audit entry; call inside a write transaction. One that
/// names the same request and offer as another is a conflict (the command looks first: the
/// unique key is the second line of defence).
pub fn insert(
    conn: &mut DbConnection,
    actor: &Actor,
    interest: &Interest,
) -> Result<(), WriteError> {
    let id = interest.stored.id.to_string();
    diesel::insert_into(i::interests)
        .values((
            i::id.eq(&id),
            i::assistance_request.eq(interest.assistance_request.to_string()),
            i::offer.eq(interest.offer.to_string()),
            i::stakeholder.eq(interest.stakeholder.to_string()),
            i::status.eq(interest.status.as_str()),
            i::message.eq(interest.message.as_deref()),
            i::activity.eq(interest.activity.map(|a| a.to_string())),
            i::version.eq(interest.stored.version),
            i::created_at.eq(stored(interest.stored.created_at)),
            i::updated_at.eq(stored(interest.stored.updated_at)),
            i::decided_at.eq(interest.decided_at.map(stored)),
        ))
        .execute(conn)
        .map_err(taken)?;
    audit::record(
        conn,
        actor,
        ENTITY,
        &id,
        Operation::Create,
        None,
        Some(&to_value(interest)),
    )?;
    Ok(())
}

/// A unique key refused a write: the request and offer of another interest
/// (`interests_request_offer_key`), another accepted interest in the request
/// (`interests_accepted`), or the id.
fn taken(err: diesel::result::Error) -> WriteError {
    use diesel::result::{DatabaseErrorKind, Error};
    match err {
        // The constraint's name on PostgreSQL, its columns in the message on SQLite.
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            let (name, message) = (info.constraint_name().unwrap_or(""), info.message());
            WriteError::Conflict(
                if name == "interests_request_offer_key" || message.contains("interests.offer") {
                    "This offer is cited in an interest in this request already."
                } else if name == "interests_accepted"
                    || message.contains("interests.assistance_request")
                {
                    "Another interest in this request is accepted already."
                } else {
                    "This interest exists already."
                }
                .into(),
            )
        }
        other => WriteError::Db(other),
    }
}

/// Writes what changed of an interest (`after`, one version on from `before`), with its audit
/// entry; call inside a write transaction. Another write in between is a stale version.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &Interest,
    after: &Interest,
) -> Result<(), WriteError> {
    let id = before.stored.id.to_string();
    let written = diesel::update(
        i::interests
            .filter(i::id.eq(&id))
            .filter(i::version.eq(before.stored.version)),
    )
    .set((
        i::status.eq(after.status.as_str()),
        i::message.eq(after.message.as_deref()),
        i::activity.eq(after.activity.map(|a| a.to_string())),
        i::version.eq(after.stored.version),
        i::updated_at.eq(stored(after.stored.updated_at)),
        i::decided_at.eq(after.decided_at.map(stored)),
    ))
    .execute(conn)
    .map_err(taken)?;
    if written == 0 {
        return Err(match get(conn, before.stored.id)? {
            Some(current) => WriteError::Stale {
                current: current.stored.version,
            },
            None => WriteError::NotFound,
        });
    }
    audit::record(
        conn,
        actor,
        ENTITY,
        &id,
        Operation::Update,
        Some(&to_value(before)),
        Some(&to_value(after)),
    )?;
    Ok(())
}

pub fn get(conn: &mut DbConnection, id: InterestId) -> QueryResult<Option<Interest>> {
    i::interests
        .filter(i::id.eq(id.to_string()))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(|r| r.interest().map(|(_, interest)| interest))
        .transpose()
}

/// The interest that cites this offer in this request, if there is one.
pub fn find(
    conn: &mut DbConnection,
    request: AssistanceRequestId,
    offer: OfferId,
) -> QueryResult<Option<Interest>> {
    i::interests
        .filter(i::assistance_request.eq(request.to_string()))
        .filter(i::offer.eq(offer.to_string()))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(|r| r.interest().map(|(_, interest)| interest))
        .transpose()
}

/// The interests in a request with one of these statuses, oldest first.
pub fn with_status(
    conn: &mut DbConnection,
    request: AssistanceRequestId,
    statuses: &[InterestStatus],
) -> QueryResult<Vec<Interest>> {
    let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    i::interests
        .filter(i::assistance_request.eq(request.to_string()))
        .filter(i::status.eq_any(statuses))
        .order(i::seq)
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| r.interest().map(|(_, interest)| interest))
        .collect()
}

/// A page of the interests in a request (only this provider's, when given), oldest first,
/// and where the next page starts.
pub fn list(
    conn: &mut DbConnection,
    request: AssistanceRequestId,
    provider: Option<StakeholderId>,
    position: Position,
    limit: i64,
) -> QueryResult<(Vec<Interest>, Option<Position>)> {
    let mut query = i::interests
        .filter(i::assistance_request.eq(request.to_string()))
        .select(Row::as_select())
        .into_boxed();
    if let Some(provider) = provider {
        query = query.filter(i::stakeholder.eq(provider.to_string()));
    }
    if let Position::After(seq) = position {
        query = query.filter(i::seq.gt(seq));
    }
    let rows: Vec<Row> = query.order(i::seq).limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    let mut items = Vec::with_capacity(rows.len());
    let mut last = None;
    for row in rows.into_iter().take(limit as usize) {
        let (seq, interest) = row.interest()?;
        last = Some(seq);
        items.push(interest);
    }
    let next = if more {
        last.map(Position::After)
    } else {
        None
    };
    Ok((items, next))
}

/// How many interests name this request (it may not be deleted while any does).
pub fn naming_request(conn: &mut DbConnection, id: AssistanceRequestId) -> QueryResult<i64> {
    i::interests
        .filter(i::assistance_request.eq(id.to_string()))
        .count()
        .get_result(conn)
}

/// How many interests cite this offer (it may not be deleted while any does).
pub fn citing_offer(conn: &mut DbConnection, id: OfferId) -> QueryResult<i64> {
    i::interests
        .filter(i::offer.eq(id.to_string()))
        .count()
        .get_result(conn)
}
