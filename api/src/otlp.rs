//! Traces over OTLP, off by default: with `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, each request's span is exported to that collector
//! over OTLP/HTTP, protobuf unless `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`, under the service
//! name `OTEL_SERVICE_NAME` (`upr-tc` by default), in batches from a thread of its own. A
//! request that carries a W3C `traceparent` joins the caller's trace; the log lines name the
//! same trace id as the exported span (`telemetry::middleware`).

use std::sync::OnceLock;

use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, TracerProvider as _,
};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::telemetry::TraceParent;

/// The provider while traces are exported; unset when they are not.
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The tracing layer that exports spans, when an endpoint is configured. An exporter that
/// cannot be built is said on stderr and leaves the service running without it.
pub fn layer<S>() -> Option<impl tracing_subscriber::Layer<S>>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").or_else(|| env("OTEL_EXPORTER_OTLP_ENDPOINT"))?;
    let protocol = match env("OTEL_EXPORTER_OTLP_PROTOCOL").as_deref() {
        Some("http/json") => Protocol::HttpJson,
        _ => Protocol::HttpBinary,
    };
    // The builder reads the endpoint, headers and timeout from the OTEL_EXPORTER_OTLP_*
    // variables, as every OpenTelemetry SDK does.
    let exporter = match opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(protocol)
        .build()
    {
        Ok(exporter) => exporter,
        Err(e) => {
            eprintln!("traces are not exported: the OTLP exporter cannot be built: {e}");
            return None;
        }
    };
    let name = env("OTEL_SERVICE_NAME").unwrap_or_else(|| "upr-tc".to_owned());
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name(name)
                .build(),
        )
        .build();
    let tracer = provider.tracer("upr-tc");
    PROVIDER.set(provider).ok()?;
    Some(tracing_opentelemetry::layer().with_tracer(tracer))
}

/// Whether spans are exported.
pub fn enabled() -> bool {
    PROVIDER.get().is_some()
}

/// Makes `span` a child of the caller's span when traces are exported, and returns its trace
/// id; `None` when they are not (the caller's trace id, or a new one, is then logged).
pub fn join(span: &tracing::Span, parent: Option<&TraceParent>) -> Option<String> {
    PROVIDER.get()?;
    if let Some(parent) = parent {
        let remote = SpanContext::new(
            TraceId::from_hex(&parent.trace_id).ok()?,
            SpanId::from_hex(&parent.parent_id).ok()?,
            TraceFlags::new(parent.flags),
            true,
            TraceState::default(),
        );
        let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
    }
    let id = span.context().span().span_context().trace_id();
    (id != TraceId::INVALID).then(|| id.to_string())
}

/// Sends the spans not yet exported; called as the service stops.
pub fn shutdown() {
    if let Some(provider) = PROVIDER.get()
        && let Err(e) = provider.shutdown()
    {
        tracing::warn!(error = %e, "the last spans could not be exported");
    }
}
