//! Request bodies in a content coding (`Content-Encoding`: gzip, deflate, br, zstd), decoded
//! within the route's body limit before anything reads them. A few kilobytes of zstd or brotli
//! can decode to gigabytes, and actix decodes each piece it receives whole, in memory, before
//! any limit counts it: so the coded body is received first (into a temporary file, at most the
//! limit: a coded body is smaller than what it holds), then decoded on a blocking thread into
//! another temporary file through a buffer of a few kilobytes, stopping at the limit (a 413),
//! and handed on decoded, in pieces. A coding this service does not read is a 415
//! (`error::content_coding`). Only a caller with a token is given a bulk upload's limit (and its
//! time): every upload needs one, and an anonymous caller's coded upload is a 401 before any of
//! it is received, so that it costs no temporary file and no core decoding it; and a caller's
//! coded upload takes its caller's one upload at a time (`upload_share`) before any of it is
//! received, handed on to the route (which takes it itself for an upload not coded, once it is
//! received: such a body costs the disk what its client sent).

use std::io::{Read, Seek, SeekFrom, Write};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{self, ContentEncoding};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use bytes::Bytes;
use futures_util::StreamExt;

use crate::error::{ApiError, ApiResult, content_coding};

/// The most a body may hold once decoded: a JSON body's limit, or a bulk upload's.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub json: usize,
    pub bulk: usize,
}

/// The routes of bulk uploads, whose bodies may be as large as `Limits::bulk`.
const BULK: &str = "/api/v1/bulk/";

/// The pieces a decoded body is handed on in.
const PIECE: usize = 64 * 1024;

/// Decodes a coded request body within the route's limit and hands it on decoded (without
/// `Content-Encoding`, which would have it decoded again, nor `Content-Length`, the coded
/// one's); refuses a coding this service does not read.
pub async fn middleware(
    limits: Limits,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let coding = match content_coding(req.headers()) {
        Ok(coding) => coding,
        Err(error) => return Ok(req.error_response(error)),
    };
    if coding == ContentEncoding::Identity {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let bulk = req.path().starts_with(BULK);
    let identified = req
        .extensions()
        .get::<crate::auth::Identity>()
        .is_some_and(|i| i.0.is_some());
    if bulk && !identified {
        return Ok(req.error_response(crate::auth::token_needed()));
    }
    // A coded body holds one of its caller's shares from before it arrives: a bulk upload,
    // its one upload at a time (kept for the route: `UploadShare`); a JSON body, one of its
    // large bodies (`routes::body::LARGE_EACH`), however small it is coded, since it is held in
    // memory as it arrives (up to the JSON limit) until it is decoded into a file.
    let share = match req.app_data::<web::Data<crate::startup::AppState>>() {
        Some(state) if bulk => upload_share(state, req.request()),
        Some(state) => crate::routes::body::large_share(state, req.request()),
        None => Err(ApiError::internal(anyhow::anyhow!("no service state"))),
    };
    let arriving = match share {
        Ok(share) if bulk => {
            req.extensions_mut().insert(UploadShare(share));
            None
        }
        Ok(share) => Some(share),
        Err(error) => return Ok(req.error_response(error)),
    };
    let limit = if bulk { limits.bulk } else { limits.json };
    let payload = req.take_payload();
    let decoded = match decode(payload, coding, limit).await {
        Ok(decoded) => decoded,
        Err(error) => return Ok(req.error_response(error)),
    };
    drop(arriving);
    // The body handed on is read from a file: it has neither its coded length nor chunks.
    let headers = req.headers_mut();
    headers.remove(header::CONTENT_ENCODING);
    headers.remove(header::CONTENT_LENGTH);
    headers.remove(header::TRANSFER_ENCODING);
    req.set_payload(decoded);
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// A caller's share of the bulk uploads, taken by [`middleware`] for a coded upload, in the
/// request's extensions for the route.
pub struct UploadShare(pub crate::shares::Share);

/// How long a caller with an upload in progress is told to wait before sending another.
pub const UPLOAD_RETRY_AFTER: u64 = 5;

/// The caller's one bulk upload at a time (`AppState::upload_shares`, callers told apart as
/// the rate limits tell them): one sending many at once would have each decoded, then take
/// every turn to write them. A 429 while another of its uploads is in progress.
pub fn upload_share(
    state: &crate::startup::AppState,
    req: &actix_web::HttpRequest,
) -> ApiResult<crate::shares::Share> {
    share_of(
        &state.upload_shares,
        state,
        req,
        "This caller already has a bulk upload in progress, and sends one at a time; retry \
         when it has ended",
    )
}

/// One of the caller's permits of `shares`, or a 429 saying `why` and when to retry.
pub(crate) fn share_of(
    shares: &std::sync::Arc<crate::shares::Shares>,
    state: &crate::startup::AppState,
    req: &actix_web::HttpRequest,
    why: &str,
) -> ApiResult<crate::shares::Share> {
    let caller = crate::ratelimit::caller_key(req, &state.trusted_proxies);
    shares.try_take(caller).ok_or(ApiError::TooManyRequests {
        detail: format!("{why} (in {UPLOAD_RETRY_AFTER} s or later)."),
        retry_after: UPLOAD_RETRY_AFTER,
    })
}

/// How many bulk uploads not compressed one caller may have arriving at once: one, and the
/// retry of one that stalled (which takes no upload share until it is whole, so that the
/// retry is served).
pub const ARRIVING_EACH: usize = 2;

/// One of the caller's uploads arriving at once ([`ARRIVING_EACH`]): each costs the disk what
/// its client sends, up to the bulk limit, so without a bound one caller's hundreds of
/// connections could fill the disk. A 429 past it.
pub fn arriving_share(
    state: &crate::startup::AppState,
    req: &actix_web::HttpRequest,
) -> ApiResult<crate::shares::Share> {
    share_of(
        &state.arriving_shares,
        state,
        req,
        &format!(
            "This caller already has {ARRIVING_EACH} bulk uploads arriving; send one at a time, \
             and retry when one is whole"
        ),
    )
}

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "A body of this route holds at most {limit} bytes once decoded."
    ))
}

fn unreadable(why: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(
        "unreadable_body",
        format!("The body could not be read: {why}."),
    )
}

/// The body, received coded into a temporary file, then decoded into another.
async fn decode(mut payload: Payload, coding: ContentEncoding, limit: usize) -> ApiResult<Payload> {
    let coded = receive(
        &mut payload,
        limit,
        || too_large(limit),
        |e| unreadable(format!("it ended before it was whole ({e})")),
    )
    .await?;
    let decoded = web::block(move || decode_file(coded, coding, limit)).await??;
    Ok(Payload::from(file_pieces(decoded)))
}

/// Bytes gathered in memory before they are written to the file.
const SPOOL_CHUNK: usize = 1024 * 1024;

/// Receives a whole body into a temporary file (removed when dropped), up to `limit` bytes
/// (`too_large` past them; `unreadable` for a body that breaks off); returns it at its start.
pub async fn receive(
    payload: &mut (impl futures_util::Stream<Item = Result<Bytes, PayloadError>> + Unpin),
    limit: usize,
    too_large: impl Fn() -> ApiError,
    unreadable: impl Fn(PayloadError) -> ApiError,
) -> ApiResult<std::fs::File> {
    let mut file = web::block(tempfile::tempfile)
        .await?
        .map_err(ApiError::internal)?;
    let mut buffer: Vec<u8> = Vec::with_capacity(SPOOL_CHUNK);
    let mut received = 0usize;
    loop {
        let chunk = payload.next().await;
        let end = chunk.is_none();
        if let Some(chunk) = chunk {
            let bytes = chunk.map_err(&unreadable)?;
            received += bytes.len();
            if received > limit {
                return Err(too_large());
            }
            buffer.extend_from_slice(&bytes);
        }
        if buffer.len() >= SPOOL_CHUNK || (end && !buffer.is_empty()) {
            let full = std::mem::take(&mut buffer);
            let (f, spare) = web::block(move || -> std::io::Result<_> {
                file.write_all(&full)?;
                Ok((file, full))
            })
            .await?
            .map_err(ApiError::internal)?;
            file = f;
            buffer = spare;
            buffer.clear();
        }
        if end {
            break;
        }
    }
    file.seek(SeekFrom::Start(0)).map_err(ApiError::internal)?;
    Ok(file)
}

/// The largest zstd window a body may name: 32 MiB (2^25), the window of zstd's levels up to
/// 20 (levels 21 and 22, `--ultra`, take 64 and 128 MiB when the size is not known ahead, as
/// when compressing a stream; `--long` takes 128 MiB or more).
const ZSTD_WINDOW_LOG_MAX: u32 = 25;

/// Decodes `coded` (at its start) into a new temporary file, at most `limit` bytes.
fn decode_file(
    coded: std::fs::File,
    coding: ContentEncoding,
    limit: usize,
) -> ApiResult<std::fs::File> {
    let input = std::io::BufReader::new(coded);
    let mut reader: Box<dyn Read> = match coding {
        ContentEncoding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
        ContentEncoding::Deflate => Box::new(flate2::read::ZlibDecoder::new(input)),
        ContentEncoding::Brotli => Box::new(brotli::Decompressor::new(input, 8 * 1024)),
        ContentEncoding::Zstd => {
            let mut decoder =
                zstd::stream::read::Decoder::with_buffer(input).map_err(ApiError::internal)?;
            // The window a frame names is memory its decoder takes: up to 2 GiB for
            // `zstd --long=31`, 128 MiB by zstd's own limit.
            decoder
                .window_log_max(ZSTD_WINDOW_LOG_MAX)
                .map_err(ApiError::internal)?;
            Box::new(decoder)
        }
        _ => Box::new(input),
    };
    let mut out = tempfile::tempfile().map_err(ApiError::internal)?;
    // What does not decode is the client's; what cannot be written (a full disk) the service's.
    let mut reader = (&mut reader).take(limit as u64 + 1);
    let mut buffer = vec![0; 64 * 1024];
    let mut written = 0u64;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(unreadable(format!(
                    "its compression (`Content-Encoding`) is cut short or corrupt, or zstd's \
                     with a window over 32 MiB (levels 21 and 22, `--long`) ({e})"
                )));
            }
        };
        out.write_all(&buffer[..n]).map_err(ApiError::internal)?;
        written += n as u64;
    }
    if written > limit as u64 {
        return Err(too_large(limit));
    }
    out.seek(SeekFrom::Start(0)).map_err(ApiError::internal)?;
    Ok(out)
}

/// A file's bytes from where it stands, in pieces of [`PIECE`], each read on a blocking thread.
fn file_pieces(
    file: std::fs::File,
) -> std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<Bytes, actix_web::error::PayloadError>>>,
> {
    Box::pin(futures_util::stream::unfold(
        Some(file),
        |file| async move {
            let mut file = file?;
            let read = web::block(move || -> std::io::Result<_> {
                let mut piece = vec![0; PIECE];
                let n = file.read(&mut piece)?;
                piece.truncate(n);
                Ok((file, piece))
            })
            .await;
            match read {
                Ok(Ok((_, piece))) if piece.is_empty() => None,
                Ok(Ok((file, piece))) => Some((Ok(Bytes::from(piece)), Some(file))),
                Ok(Err(e)) => Some((Err(e.into()), None)),
                Err(e) => Some((Err(std::io::Error::other(e.to_string()).into()), None)),
            }
        },
    ))
}
