//! What an operator runs beside the service: `/metrics` on an address of its own, a caller's
//! W3C `traceparent` in every log line of its request, and spans exported over OTLP to a
//! collector (here a stand-in that keeps what it is sent); a stop that waits for the requests
//! in flight, unless the operator asks twice.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{PROMPTLY, Service, bearer, free_port, try_request};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

#[test]
fn metrics_have_an_address_of_their_own() {
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let service = Service::start(&[("UPR_TC_METRICS_BIND", &bind)]);
    service
        .request("GET", "/api/v1/recommendations", &[], b"")
        .expect(200);
    // Not on the service's address, and nothing but the metrics on theirs.
    assert_eq!(service.request("GET", "/metrics", &[], b"").status, 404);
    let other = try_request(port, "GET", "/api/v1/recommendations", &[], b"").unwrap();
    assert_eq!(other.status, 404);
    let reply = try_request(port, "GET", "/metrics", &[], b"").unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    let text = reply.text();
    let series = r#"upr_tc_http_requests_total{method="GET",route="/api/v1/recommendations",status="200"} 1"#;
    assert!(text.contains(series), "{text}");
    assert!(text.contains("upr_tc_feed_head "), "{text}");
}

/// An upload that has sent 9 of its 1,000 bytes: in flight until the rest arrives.
fn upload_in_flight(service: &Service, admin: &str, more: &[(&str, &str)]) -> std::net::TcpStream {
    let mut headers = vec![
        ("Authorization", admin),
        ("Content-Type", "text/csv"),
        ("Content-Length", "1000"),
    ];
    headers.extend_from_slice(more);
    service.open("POST", "/api/v1/bulk/stakeholders", &headers, b"kind,name")
}

/// A stop waits `UPR_TC_STOP_TIMEOUT` for the requests in flight; those still running then
/// (uploads whose bodies have not all come) are cut, each logged as such, and the exit says
/// how many.
#[test]
fn a_request_the_stop_cuts_is_logged_and_the_exit_says_so() {
    let mut service = Service::start(&[("UPR_TC_STOP_TIMEOUT", "1s")]);
    let admin = bearer(&service.admin());
    let _upload = upload_in_flight(&service, &admin, &[]);
    // One with an `Idempotency-Key`, carried out on a task of its own: cut twice, counted once.
    let _keyed = upload_in_flight(&service, &admin, &[("Idempotency-Key", "cut-1")]);
    std::thread::sleep(Duration::from_millis(300));
    service.signal("TERM");
    let status = service
        .exited(Duration::from_secs(10))
        .expect("stopped once the stop's time ran out");
    assert_eq!(status.code(), Some(1), "{status}");
    let log = service.log();
    // Each said once (the keyed one by the first of its two pieces cut).
    let said = log
        .lines()
        .filter(|l| l.contains("cut short: the service stopped"))
        .count();
    assert_eq!(said, 2, "{log}");
    assert!(log.contains("stopped with 2 request(s) cut short"), "{log}");
}

/// SIGTERM stops the service once the requests in flight are answered; a second signal stops
/// it at once, whatever is in flight.
#[test]
fn a_second_signal_stops_the_service_at_once() {
    let mut service = Service::start(&[]);
    let admin = bearer(&service.admin());
    let _upload = upload_in_flight(&service, &admin, &[]);
    std::thread::sleep(Duration::from_millis(300));
    service.signal("TERM");
    assert_eq!(
        service.exited(Duration::from_secs(1)),
        None,
        "a graceful stop waits for the upload"
    );
    service.signal("INT");
    let status = service.exited(PROMPTLY).expect("stopped at once");
    // Requests were cut: the exit says so.
    assert_eq!(status.code(), Some(1), "{status}");
    let log = service.log();
    assert!(log.contains("SIGTERM: stopping once"), "{log}");
    assert!(log.contains("SIGINT again: stopping now"), "{log}");
    assert!(log.contains("requests in flight were cut"), "{log}");
}

#[test]
fn the_callers_trace_is_in_the_log_and_a_new_one_is_made_when_it_has_none() {
    let service = Service::start(&[]);
    list_in_the_trace(&service);
    // Not a trace context: ignored, and the request gets a trace of its own.
    for junk in [
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "nonsense",
    ] {
        service
            .request("GET", "/health/live", &[("traceparent", junk)], b"")
            .expect(200);
    }
    let log = wait_for(|| {
        let log = service.log();
        (log.matches("trace_id=").count() >= 5).then_some(log)
    });
    let line = log
        .lines()
        .find(|l| l.contains("/api/v1/recommendations") && l.contains("status=200"))
        .unwrap_or_else(|| panic!("no log line of the request:\n{log}"));
    assert!(line.contains(&format!("trace_id={TRACE}")), "{line}");
    assert!(line.contains(&format!("parent_span_id={PARENT}")), "{line}");
    let others: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("/health/live") && l.contains("status=200"))
        .collect();
    assert_eq!(others.len(), 4, "{log}");
    for line in others {
        let id = line
            .split("trace_id=")
            .nth(1)
            .and_then(|rest| rest.get(..32))
            .unwrap_or_else(|| panic!("no trace id in {line}"));
        assert!(
            id.bytes().all(|b| b.is_ascii_hexdigit()) && id != TRACE,
            "{line}"
        );
        assert!(!line.contains("parent_span_id"), "{line}");
    }
}

#[test]
fn spans_are_exported_over_otlp_to_a_configured_collector() {
    let (endpoint, received) = collector();
    let service = Service::start(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ("OTEL_SERVICE_NAME", "upr-tc-under-test"),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ]);
    list_in_the_trace(&service);
    let (path, body) = wait_for(|| {
        let got = received.lock().unwrap();
        got.iter().find(|(_, body)| body.contains(TRACE)).cloned()
    });
    assert_eq!(path, "/v1/traces");
    let export: serde_json::Value = serde_json::from_str(&body).unwrap();
    let spans = &export["resourceSpans"][0]["scopeSpans"][0]["spans"];
    let span = spans
        .as_array()
        .and_then(|s| s.iter().find(|s| s["traceId"] == TRACE))
        .unwrap_or_else(|| panic!("no span of the trace in {body}"));
    assert_eq!(span["parentSpanId"], PARENT, "{span}");
    assert!(body.contains("upr-tc-under-test"), "{body}");
    // The log names the same trace.
    let log = service.log();
    assert!(log.contains(&format!("trace_id={TRACE}")), "{log}");
}

/// Lists recommendations as a caller in the trace `TRACE`, from its span `PARENT`.
fn list_in_the_trace(service: &Service) {
    let traceparent = format!("00-{TRACE}-{PARENT}-01");
    let headers = [("traceparent", traceparent.as_str())];
    service
        .request("GET", "/api/v1/recommendations", &headers, b"")
        .expect(200);
}

/// Waits up to 20 s for `found` to give something.
fn wait_for<T>(mut found: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(value) = found() {
            return value;
        }
        assert!(Instant::now() < deadline, "not within 20 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What the stand-in collector was sent: each request's path and body.
type Received = Arc<Mutex<Vec<(String, String)>>>;

/// A stand-in OTLP/HTTP collector: answers every POST 200 and keeps its path and body.
fn collector() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let kept = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
            let mut length = 0;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_ok() {
                kept.lock()
                    .unwrap()
                    .push((path, String::from_utf8_lossy(&body).into_owned()));
            }
            let mut stream = reader.into_inner();
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
            );
        }
    });
    (endpoint, received)
}
