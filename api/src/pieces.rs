//! Large answers handed to the connection in pieces of at most [`PIECE`] bytes.
//!
//! actix-http copies each part of a body into its connection's write buffer before it writes
//! it out, and the buffer keeps the largest size it ever had for as long as the connection
//! lives. An answer given whole (a page of the feed or of a list is a megabyte) left every
//! keep-alive connection that had carried one holding a buffer of its size: 300 connections
//! that each read one page of the feed and then only asked `/health/live` held 190 MB, and the
//! memory stayed with the process after they closed. Given in pieces, the connection takes
//! them while its buffer is under its own limit (32 kB), so no buffer grows beyond about twice
//! that. The pieces are slices of the one body (`Bytes`), not copies; the answer keeps its
//! `Content-Length`.

use actix_web::body::{BodySize, BoxBody, MessageBody, SizedStream};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use bytes::Bytes;

/// The largest piece of an answer handed to the connection at once.
pub const PIECE: usize = 32 * 1024;

/// Hands an answer of known size over [`PIECE`] bytes to the connection in pieces. Wrapped
/// inside the compression (which then compresses piece by piece, and so hands on pieces no
/// larger) and outside every middleware that reads an answer whole.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    Ok(res.map_body(|_, body| in_pieces(body)))
}

/// `body` as a stream of pieces when it is one run of bytes longer than a piece; as it is
/// otherwise (already a stream, or small).
pub fn in_pieces(body: BoxBody) -> BoxBody {
    if !matches!(body.size(), BodySize::Sized(n) if n > PIECE as u64) {
        return body;
    }
    match body.try_into_bytes() {
        Ok(bytes) => {
            let size = bytes.len() as u64;
            let pieces = (0..bytes.len()).step_by(PIECE).map(move |at| {
                Ok::<Bytes, std::convert::Infallible>(
                    bytes.slice(at..(at + PIECE).min(bytes.len())),
                )
            });
            BoxBody::new(SizedStream::new(size, futures_util::stream::iter(pieces)))
        }
        Err(body) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::{PIECE, in_pieces};
    use actix_web::body::{BodySize, BoxBody, MessageBody};

    /// The parts a body hands the connection, in order.
    async fn parts(body: BoxBody) -> Vec<bytes::Bytes> {
        let mut body = std::pin::pin!(body);
        let mut parts = Vec::new();
        while let Some(part) = std::future::poll_fn(|cx| body.as_mut().poll_next(cx)).await {
            parts.push(part.unwrap());
        }
        parts
    }

    /// A body of a megabyte goes out in pieces of at most `PIECE` bytes that make up the same
    /// bytes, under the same size; a small one goes whole.
    #[actix_web::test]
    async fn a_large_body_goes_in_pieces_and_a_small_one_whole() {
        let whole: Vec<u8> = (0..1_000_003u32).map(|i| (i % 251) as u8).collect();
        let body = in_pieces(BoxBody::new(whole.clone()));
        assert_eq!(body.size(), BodySize::Sized(whole.len() as u64));
        let large = parts(body).await;
        assert_eq!(large.len(), whole.len().div_ceil(PIECE));
        assert!(large.iter().all(|p| !p.is_empty() && p.len() <= PIECE));
        assert_eq!(large.concat(), whole);

        let small = in_pieces(BoxBody::new(vec![7u8; PIECE]));
        assert_eq!(
            parts(small).await,
            vec![bytes::Bytes::from(vec![7u8; PIECE])]
        );
    }
}
