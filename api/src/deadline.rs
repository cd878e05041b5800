//! Request bodies must arrive in time. A body that trickles in (a byte every few seconds) would
//! otherwise hold its connection, its socket and a worker's attention for as long as the
//! client likes, and enough of them exhaust the process's file handles. A body must arrive
//! whole within `UPR_TC_BODY_TIMEOUT` (bulk uploads, up to 64 MiB: within
//! `UPR_TC_BULK_BODY_TIMEOUT`), and no body may go `UPR_TC_BODY_TIMEOUT` without a byte. Past
//! either, the handler's read fails and the request is answered with a 408 problem
//! (`request_timeout`) on a connection that is then closed.
//!
//! The request head is bounded by actix itself (`client_request_timeout`, set in
//! `startup::serve`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{ConnectionType, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use bytes::Bytes;
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

use crate::error::ApiError;
use crate::startup::AppState;

/// A body that ends with an error once its time is up.
struct Deadline {
    inner: Payload,
    /// When the whole body must have arrived.
    whole: Pin<Box<Sleep>>,
    /// When the next byte must have arrived.
    idle: Pin<Box<Sleep>>,
    idle_after: Duration,
    expired: Arc<AtomicBool>,
    ended: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let next = Instant::now() + self.idle_after;
                self.idle.as_mut().reset(next);
                return Poll::Ready(Some(Ok(chunk)));
            }
            Poll::Ready(other) => {
                self.ended = true;
                return Poll::Ready(other);
            }
            Poll::Pending => {}
        }
        if self.whole.as_mut().poll(cx).is_ready() || self.idle.as_mut().poll(cx).is_ready() {
            self.ended = true;
            self.expired.store(true, Ordering::Release);
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            )))));
        }
        Poll::Pending
    }
}

/// Whether the request says it has a body.
fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

/// Puts the body of a request under its deadline, and answers 408 (closing the connection)
/// when the body did not arrive in time, whatever the handler made of its failed read.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let Some(state) = state.filter(|_| has_body(&req)) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let whole = if req.path().starts_with("/api/v1/bulk/") {
        state.bulk_body_timeout
    } else {
        state.body_timeout
    };
    let expired = Arc::new(AtomicBool::new(false));
    let body = Deadline {
        inner: req.take_payload(),
        whole: Box::pin(tokio::time::sleep(whole)),
        idle: Box::pin(tokio::time::sleep(state.body_timeout)),
        idle_after: state.body_timeout,
        expired: expired.clone(),
        ended: false,
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(body),
    });
    let res = next.call(req).await?.map_into_boxed_body();
    if !expired.load(Ordering::Acquire) {
        return Ok(res);
    }
    tracing::info!(
        whole_s = whole.as_secs_f64(),
        idle_s = state.body_timeout.as_secs_f64(),
        "request body did not arrive in time"
    );
    let (http, _) = res.into_parts();
    crate::stalled::stop_reading(&http);
    let mut res = ApiError::RequestTimeout(format!(
        "The request's body did not arrive in time: a body must arrive whole within {} s and \
         never go {} s without a byte.",
        whole.as_secs(),
        state.body_timeout.as_secs()
    ))
    .error_response();
    res.head_mut().set_connection_type(ConnectionType::Close);
    Ok(ServiceResponse::new(http, res))
}
