//! `GET /api/v1/export`: the snapshot a partner loads first, then follows the change feed from
//! the cursor it names (`routes::changes`, docs/decisions/0006).
//!
//! A snapshot is one long read of the whole database, spooled into a temporary file and sent
//! from there: every kind of item, each kind a run of the file, of which an answer sends the
//! kinds asked for (so that asking for each combination of kinds in turn has the database read
//! once, not once for each). Callers asking for the same audience's snapshot while one is
//! being read are given that one, file and cursor: its position is a moment before they asked,
//! which the feed after its cursor makes good, as it does for any snapshot. On SQLite the
//! snapshots are read one at a time, and after each the write-ahead log is checkpointed and
//! emptied before the next begins: a checkpoint can empty the log only at a moment no reader
//! holds it, and snapshots read back to back, each one long read, left no such moment, so the
//! log grew without end under writes (docs/benchmarks.md).

use std::collections::HashMap;
use std::io::{Seek, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use actix_web::{HttpResponse, get, web};
use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Identity;
use crate::cursor::Kind;
use crate::db::DbConnection;
use crate::db::Position;
use crate::db::changes::{self, Audience};
use crate::db::consents;
use crate::db::documents::Document;
use crate::db::sql::search::PageQuery;
use crate::domain::activity::Activity;
use crate::domain::assistance_request::AssistanceRequest;
use crate::domain::offer::Offer;
use crate::domain::publication::Decision;
use crate::domain::recommendation::Recommendation;
use crate::domain::stakeholder::Stakeholder;
use crate::error::{ApiError, ApiResult};
use crate::routes::changes::{feed_audience, types_param};
use crate::startup::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only these kinds, comma-separated (as for the feed); all by default.
    #[param(
        pattern = "^(recommendation|stakeholder|activity|consent|assistance_request|offer)(,(recommendation|stakeholder|activity|consent|assistance_request|offer))*$",
        example = "activity,consent"
    )]
    pub types: Option<String>,
}

/// One line of a snapshot.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotLine {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    /// The item as the caller's feed's upserts carry it: its public representation, or for
    /// `admin` the whole item.
    pub data: serde_json::Value,
}

/// A snapshot as the contract states it: a file (`format: binary`) of lines, each a
/// [`SnapshotLine`]. Not the line's schema itself: a generated client would parse the whole
/// answer as one line (openapi-python-client does, once its settings read NDJSON as a file for
/// the bulk uploads); it reads the file and parses each line with the line's model.
pub struct SnapshotFile;

impl utoipa::PartialSchema for SnapshotFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::routes::support::file_schema(
            "NDJSON: one JSON object a line, each a `SnapshotLine` \
             (`#/components/schemas/SnapshotLine`)",
        )
    }
}

impl utoipa::ToSchema for SnapshotFile {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("SnapshotFile")
    }
}

/// Lines `{"type", "id", "data"}` of one page, `data` written as stored.
fn lines<D: Document>(items: &[D], kind: &str, view: impl Fn(&D) -> Option<String>) -> Bytes {
    let mut out = Vec::new();
    for item in items {
        if let Some(data) = view(item) {
            out.extend_from_slice(b"{\"type\":\"");
            out.extend_from_slice(kind.as_bytes());
            out.extend_from_slice(b"\",\"id\":\"");
            out.extend_from_slice(item.id().to_string().as_bytes());
            out.extend_from_slice(b"\",\"data\":");
            out.extend_from_slice(data.as_bytes());
            out.extend_from_slice(b"}\n");
        }
    }
    Bytes::from(out)
}

/// Writes every item of a document table that `filter` keeps, page by page: as the public
/// sees it, or for the full feed whole.
fn write_table<D: Document>(
    conn: &mut DbConnection,
    out: &mut impl Write,
    audience: Audience,
    filter: &dyn Fn(&mut crate::db::sql::Sql),
) -> anyhow::Result<()> {
    let mut position = Position::Start;
    loop {
        let (items, next) =
            D::TABLE.page::<D>(conn, &PageQuery::creation(filter, None, position, 500))?;
        out.write_all(&lines(&items, D::TABLE.entity, |d| {
            let whole = crate::db::documents::to_json(d);
            match audience {
                Audience::Full => Some(whole),
                Audience::Public => d.public_json(&whole),
            }
        }))?;
        match next {
            Some(p) => position = p,
            None => return Ok(()),
        }
    }
}

/// Writes every consent record `audience` is given: the public ones as the public sees them,
/// or every one whole.
fn write_consents(
    conn: &mut DbConnection,
    out: &mut impl Write,
    audience: Audience,
) -> anyhow::Result<()> {
    let filter = consents::Filter {
        access: audience.access(),
        state: None,
        decision: None::<Decision>,
        scope: None,
        stakeholder_id: None,
        activity_id: None,
    };
    let mut position = Position::Start;
    loop {
        let (items, next) = consents::list(conn, &filter, position, 500)?;
        let shown = items.into_iter().filter_map(|c| match audience {
            Audience::Public => consents::public_view(&c),
            Audience::Full => Some(c),
        });
        for c in shown {
            let line = serde_json::json!({"type": "consent", "id": c.id, "data": c});
            serde_json::to_writer(&mut *out, &line)?;
            out.write_all(b"\n")?;
        }
        match next {
            Some(p) => position = p,
            None => return Ok(()),
        }
    }
}

/// Reads the whole snapshot of what `audience`'s feed gives into a temporary file, in one read
/// transaction, with that feed's position at the snapshot: each kind of item a run of the
/// file.
fn read_snapshot(conn: &mut DbConnection, audience: Audience) -> anyhow::Result<Snapshot> {
    crate::db::tx::read_snapshot(conn, |conn| -> anyhow::Result<Snapshot> {
        // A public snapshot stands at the last public change, which hidden writes do not move.
        let head = changes::head(conn, audience)?;
        let access = audience.access();
        let mut out = std::io::BufWriter::with_capacity(256 * 1024, tempfile::tempfile()?);
        // Each kind's run ends where the file stands once it is written.
        let mut runs = Vec::new();
        let mut ended = |kind: &'static str, out: &mut std::io::BufWriter<std::fs::File>| {
            let start = runs
                .last()
                .map_or(0, |(_, run): &(_, std::ops::Range<u64>)| run.end);
            runs.push((kind, start..out.stream_position()?));
            std::io::Result::Ok(())
        };
        write_table::<Recommendation>(conn, &mut out, audience, &|_| {})?;
        ended("recommendation", &mut out)?;
        write_table::<Stakeholder>(conn, &mut out, audience, &|_| {})?;
        ended("stakeholder", &mut out)?;
        write_table::<Activity>(conn, &mut out, audience, &|sql| {
            crate::db::sql::filters::access_filter(sql, &access)
        })?;
        ended("activity", &mut out)?;
        write_consents(conn, &mut out, audience)?;
        ended("consent", &mut out)?;
        write_table::<AssistanceRequest>(conn, &mut out, audience, &|sql| {
            crate::db::assistance_requests::Filter::new(access.clone()).apply(sql)
        })?;
        ended("assistance_request", &mut out)?;
        write_table::<Offer>(conn, &mut out, audience, &|sql| {
            crate::db::offers::Filter::new(access.clone()).apply(sql)
        })?;
        ended("offer", &mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        Ok(Snapshot {
            file,
            runs,
            head,
            version: None,
        })
    })
}

/// Every public item (for `admin`, every item, whole: what the full feed carries), as NDJSON
/// lines `{"type", "id", "data"}`, from one consistent snapshot of the database, streamed.
/// `X-Changes-Cursor` is the caller's feed's position at that snapshot: follow
/// `GET /api/v1/changes?after=` from it with the same token, and nothing is missed or seen
/// twice.
#[utoipa::path(
    tag = "sync",
    operation_id = "export_snapshot",
    params(ExportQuery),
    responses((status = 200, description = "Every item the caller's feed gives, one JSON object a line",
        headers(
            ("X-Changes-Cursor" = String, description = "The change feed's position at the snapshot: pass it as `after`"),
            ("Content-Disposition" = String, description = "`attachment`, and its name (`upr-tc-snapshot-{date}.ndjson`)"),
        ),
        content((SnapshotFile = "application/x-ndjson"))))
)]
#[get("/export")]
pub async fn export_snapshot(
    state: web::Data<AppState>,
    identity: Identity,
    req: actix_web::HttpRequest,
    query: crate::routes::query::Query<ExportQuery>,
) -> ApiResult<HttpResponse> {
    let audience = feed_audience(&identity);
    let types = types_param(&query.types)?;
    if crate::head::method_of(&req) == actix_web::http::Method::HEAD {
        let head =
            crate::http::with_read_db(&state, move |conn| Ok(changes::head(conn, audience)?))
                .await?;
        return Ok(crate::routes::export::headers_only(snapshot_headers(
            &state, head,
        )));
    }
    // The snapshot is read whole, at the database's pace, into a temporary file, and only then
    // sent: the connection goes back before the client reads anything, so a client that does
    // not read holds none, and the snapshot is still one state of the database (decision 0006).
    let permit = crate::routes::export::export_permit(&state, &req).await?;
    let snapshot = state.snapshots.get(&state, audience).await?;
    let permit = permit.reading_no_database();
    let head = snapshot.head;
    // The runs of the kinds asked for, in the file's order.
    let mut runs: std::collections::VecDeque<std::ops::Range<u64>> = snapshot
        .runs
        .iter()
        .filter(|(kind, _)| {
            types
                .as_ref()
                .is_none_or(|list| list.iter().any(|t| t == kind))
        })
        .map(|(_, run)| run.clone())
        .collect();
    let produce: crate::routes::export::Produce = Box::new(move || {
        while let Some(run) = runs.front_mut() {
            let n = (run.end - run.start).min(CHUNK);
            if n == 0 {
                runs.pop_front();
                continue;
            }
            let mut chunk = vec![0; n as usize];
            read_at(&snapshot.file, &mut chunk, run.start)?;
            run.start += n;
            return Ok(Some(Bytes::from(chunk)));
        }
        Ok(None)
    });
    crate::routes::export::respond(&state, permit, produce, snapshot_headers(&state, head)).await
}

/// The snapshot's headers, its GET's and its HEAD's: NDJSON, a file to save, and the change
/// feed's position at `head`.
fn snapshot_headers(state: &AppState, head: i64) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::Ok();
    res.content_type("application/x-ndjson")
        .insert_header(crate::routes::export::attachment(
            "snapshot",
            crate::routes::export::ExportFormat::Ndjson,
        ))
        .insert_header(("X-Changes-Cursor", state.cursors.encode(Kind::Feed, head)));
    res
}

/// How much of the file each piece of the answer reads.
const CHUNK: u64 = 64 * 1024;

/// Fills `buf` from `file` at `offset`, leaving the file's own position as it is: every
/// answer given the snapshot reads it at its own pace.
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let (mut buf, mut offset) = (buf, offset);
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_read(file, buf, offset)? {
                0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                n => {
                    buf = &mut buf[n..];
                    offset += n as u64;
                }
            }
        }
        Ok(())
    }
}

/// A snapshot read into its temporary file (unlinked: it goes when the last answer given it
/// ends), where each kind of item is in it, and the position of its audience's feed at it.
pub struct Snapshot {
    file: std::fs::File,
    runs: Vec<(&'static str, std::ops::Range<u64>)>,
    head: i64,
    /// The data's version when its reading began (`db::watch`), if it was known.
    version: Option<i64>,
}

/// A snapshot being read, which every caller given it awaits.
type Reading = Shared<BoxFuture<'static, Result<Arc<Snapshot>, Arc<ApiError>>>>;

/// A snapshot being read, and how many callers wait for it.
struct Entry {
    generation: u64,
    reading: Reading,
    waiting: Arc<AtomicUsize>,
}

/// The snapshots being read, by what they hold.
pub struct Snapshots {
    reading: std::sync::Mutex<HashMap<String, Entry>>,
    /// Readings started, and snapshots read, since the service started (a reading no caller
    /// waits for when its turn comes reads nothing).
    started: AtomicU64,
    read: AtomicU64,
    /// Callers given a snapshot (or its failure) since the service started.
    asked: AtomicU64,
    /// On SQLite, the one turn at reading a snapshot.
    one_at_a_time: Option<Arc<tokio::sync::Semaphore>>,
    /// The last snapshot read of each audience, given again while the data's version is the
    /// one it was read at: a caller that asks for snapshot after snapshot of unchanged data,
    /// of whichever kinds, has the database read once, not each time.
    kept: std::sync::Mutex<HashMap<String, Arc<Snapshot>>>,
}

impl Snapshots {
    /// `one_at_a_time` on SQLite (see the module's documentation).
    pub fn new(one_at_a_time: bool) -> Self {
        Self {
            reading: Default::default(),
            started: AtomicU64::new(0),
            read: AtomicU64::new(0),
            asked: AtomicU64::new(0),
            one_at_a_time: one_at_a_time.then(|| Arc::new(tokio::sync::Semaphore::new(1))),
            kept: Default::default(),
        }
    }

    /// How many snapshots were read, and how many callers asked for one, since the start.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.read.load(Ordering::Relaxed),
            self.asked.load(Ordering::Relaxed),
        )
    }

    fn entries(&self) -> ApiResult<std::sync::MutexGuard<'_, HashMap<String, Entry>>> {
        self.reading
            .lock()
            .map_err(|_| ApiError::internal(anyhow::anyhow!("the snapshots' lock is poisoned")))
    }

    /// The snapshot that `audience`'s feed gives: the one being read, if there is one, else
    /// one read now.
    async fn get(
        &self,
        state: &web::Data<AppState>,
        audience: Audience,
    ) -> ApiResult<Arc<Snapshot>> {
        let key = format!("{audience:?}");
        let version = state.read.watch.version();
        if let Some(kept) = self.kept_at(&key, version) {
            self.asked.fetch_add(1, Ordering::Relaxed);
            return Ok(kept);
        }
        let (reading, _waiting) = {
            let mut entries = self.entries()?;
            self.asked.fetch_add(1, Ordering::Relaxed);
            let entry = entries.entry(key.clone()).or_insert_with(|| {
                let generation = self.started.fetch_add(1, Ordering::Relaxed);
                let waiting = Arc::new(AtomicUsize::new(0));
                Entry {
                    generation,
                    reading: start(
                        state.clone(),
                        key.clone(),
                        generation,
                        waiting.clone(),
                        audience,
                    ),
                    waiting,
                }
            });
            (entry.reading.clone(), Waiting::on(&entry.waiting))
        };
        let snapshot = reading
            .await
            .map_err(|e| e.for_another_caller("reading the snapshot failed"))?;
        self.keep(key, &snapshot);
        Ok(snapshot)
    }

    /// The snapshot of `key` kept, if it was read at `version`. Those read at another version
    /// are let go (their files go once no answer reads them).
    fn kept_at(&self, key: &str, version: Option<i64>) -> Option<Arc<Snapshot>> {
        let version = version?;
        let mut kept = self.kept.lock().ok()?;
        kept.retain(|_, s| s.version == Some(version));
        kept.get(key).cloned()
    }

    /// Keeps `snapshot` as the last of `key` when the version it was read at is known. Its
    /// file goes once it is replaced and no answer reads it any more.
    fn keep(&self, key: String, snapshot: &Arc<Snapshot>) {
        if snapshot.version.is_none() {
            return;
        }
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        kept.insert(key, snapshot.clone());
    }
}

/// A caller waiting for a reading, counted while it waits (it goes away when the client does).
struct Waiting(Arc<AtomicUsize>);

impl Waiting {
    fn on(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Self(count.clone())
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A reading's entry, taken out of the map when the reading ends however it ends (a panic,
/// its task dropped at a stop), so that the next caller starts another.
struct Ended {
    state: web::Data<AppState>,
    key: String,
    generation: u64,
}

impl Ended {
    /// Takes the entry out now; `if_none_waits`: only when no caller waits for it (checked
    /// under the map's lock, where callers join).
    fn take(&self, if_none_waits: bool) -> bool {
        let Ok(mut entries) = self.state.snapshots.reading.lock() else {
            return false;
        };
        match entries.get(&self.key) {
            Some(e) if e.generation == self.generation => {
                if if_none_waits && e.waiting.load(Ordering::Acquire) > 0 {
                    return false;
                }
                entries.remove(&self.key);
                true
            }
            _ => true,
        }
    }
}

impl Drop for Ended {
    fn drop(&mut self) {
        self.take(false);
    }
}

/// Starts reading a snapshot, in a task of its own: when it gets its turn and no caller waits
/// for it any more (every client went away), it reads nothing. It is no longer given to
/// callers once read.
fn start(
    state: web::Data<AppState>,
    key: String,
    generation: u64,
    waiting: Arc<AtomicUsize>,
    audience: Audience,
) -> Reading {
    let task = actix_web::rt::spawn(async move {
        let ended = Ended {
            state: state.clone(),
            key,
            generation,
        };
        let read = read_one(&state, &ended, audience).await;
        // Logged once here; each caller waiting is given it too (`again`). Not the reading
        // no one waited for any more.
        if let Err(e) = &read
            && !matches!(e, ApiError::Unavailable(_))
        {
            let waiting = waiting.load(Ordering::Acquire);
            tracing::error!(error = ?e, waiting, "reading a snapshot failed");
        }
        drop(ended);
        read.map(Arc::new).map_err(Arc::new)
    });
    async move {
        task.await.unwrap_or_else(|e| {
            Err(Arc::new(ApiError::internal(anyhow::anyhow!(
                "the snapshot's reading stopped: {e}"
            ))))
        })
    }
    .boxed()
    .shared()
}

/// How long emptying SQLite's write-ahead log after a snapshot waits for the write lock and
/// for readers: it holds writers back while it runs, so it gives up rather than wait long (the
/// next snapshot's try empties what this one left).
const EMPTY_LOG_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

/// Reads one snapshot, in its turns: on SQLite the one turn at snapshots, then its go at
/// reading the database as an export (`AppState::export_reads`); nothing when, its turns
/// come, no caller waits for it.
async fn read_one(
    state: &web::Data<AppState>,
    ended: &Ended,
    audience: Audience,
) -> ApiResult<Snapshot> {
    let closed = |e| ApiError::internal(anyhow::anyhow!("the snapshot turns are closed: {e}"));
    let alone = match &state.snapshots.one_at_a_time {
        Some(turn) => Some(turn.clone().acquire_owned().await.map_err(closed)?),
        None => None,
    };
    let _turn = state
        .export_reads
        .clone()
        .acquire_owned()
        .await
        .map_err(closed)?;
    if ended.take(true) {
        return Err(ApiError::Unavailable(
            "No caller waited for this snapshot any more; ask again.".into(),
        ));
    }
    state.snapshots.read.fetch_add(1, Ordering::Relaxed);
    let pool = state.read.pool.clone();
    let empty_log = alone.is_some();
    // Before the read: a write that commits meanwhile moves the version, and the snapshot is
    // not given again past it.
    let version = state.read.watch.version();
    let mut snapshot = web::block(move || -> ApiResult<Snapshot> {
        let mut conn = pool.get()?;
        conn.plan(crate::db::Plans::Generic)?;
        let read = read_snapshot(&mut conn, audience).map_err(ApiError::internal);
        if empty_log {
            match crate::db::sql::statements::checkpoint_within(&mut conn, EMPTY_LOG_WAIT) {
                Ok(None) => {}
                Ok(Some(pages)) => tracing::info!(
                    pages,
                    "the write-ahead log was not emptied after a snapshot: writers or readers \
                     held it; the next snapshot tries again"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot empty the write-ahead log after a snapshot")
                }
            }
        }
        read
    })
    .await??;
    snapshot.version = version;
    Ok(snapshot)
}
