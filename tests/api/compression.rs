//! Answers compressed when the client asks and when it is worth it: a large answer in the
//! coding asked (zstd, brotli, gzip), decoding to the same bytes; a small one as it is; an
//! ETag made weak when the bytes are compressed, and still good for `If-None-Match`.

use std::io::Read;

use actix_web::http::header;
use upr_tc_tests::{Request, TestApp, activity, json};

use crate::activities::{organisation, submit};

/// A list large enough to be compressed (over 2 KB of JSON), as `admin` reads it.
async fn large(app: &TestApp) -> String {
    let (_, token) = organisation(app, "Judges' NGO").await;
    for i in 0..12 {
        let title = format!("Training of judges on the code of criminal procedure, part {i}");
        submit(app, &token, &activity(&["KEN"], &title)).await;
    }
    "/api/v1/activities?limit=50".to_owned()
}

/// A `GET` as `admin`.
fn get(app: &TestApp, path: &str) -> Request {
    Request::get().uri(path).insert_header((
        header::AUTHORIZATION,
        format!("Bearer {}", app.admin_token()),
    ))
}

fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "gzip" => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .unwrap();
        }
        "br" => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        "zstd" => out = zstd::decode_all(body).unwrap(),
        other => panic!("no decoder for {other}"),
    }
    out
}

#[actix_web::test]
async fn a_large_answer_comes_in_the_coding_asked_and_decodes_to_the_same() {
    let app = TestApp::spawn();
    let path = large(&app).await;
    let plain = app.send(get(&app, &path)).await;
    assert_eq!(plain.header("content-encoding"), None);
    let plain_body = plain.body.clone();
    assert!(plain_body.len() > 2048, "{} bytes", plain_body.len());
    for coding in ["gzip", "br", "zstd"] {
        let reply = app
            .send(get(&app, &path).insert_header((header::ACCEPT_ENCODING, coding)))
            .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-encoding"), Some(coding));
        let vary: Vec<&str> = reply.header_all("vary");
        assert!(
            vary.iter()
                .any(|v| v.to_ascii_lowercase().contains("accept-encoding")),
            "{vary:?}"
        );
        assert!(reply.body.len() < plain_body.len() / 2, "{coding}");
        assert_eq!(decode(coding, &reply.body), plain_body, "{coding}");
    }
}

#[actix_web::test]
async fn a_small_answer_goes_as_it_is() {
    let app = TestApp::spawn();
    for path in ["/health/live", "/api/v1/activities/not-an-id"] {
        let reply = app
            .send(
                Request::get()
                    .uri(path)
                    .insert_header((header::ACCEPT_ENCODING, "gzip, br, zstd")),
            )
            .await;
        assert_eq!(reply.header("content-encoding"), None, "{path}");
        assert!(reply.body.len() < 2048, "{path}");
    }
}

#[actix_web::test]
async fn a_compressed_item_has_a_weak_etag_that_still_matches() {
    let app = TestApp::spawn();
    let mut body = activity(&["KEN"], "A long one");
    body["summary"] = json!({"en": "The judges of every county, trained. ".repeat(100)});
    let (_, token) = organisation(&app, "Judges' NGO").await;
    let made = submit(&app, &token, &body).await;
    let path = format!("/api/v1/activities/{}", made["id"].as_str().unwrap());
    let plain = app.send(get(&app, &path)).await;
    let strong = plain.header("etag").unwrap().to_owned();
    assert!(strong.starts_with("\"1"), "{strong}");
    let gzip = || get(&app, &path).insert_header((header::ACCEPT_ENCODING, "gzip"));
    let compressed = app.send(gzip()).await;
    assert_eq!(compressed.header("content-encoding"), Some("gzip"));
    let tag = compressed.header("etag").unwrap().to_owned();
    assert_eq!(tag, format!("W/{strong}"));
    let again = app
        .send(gzip().insert_header((header::IF_NONE_MATCH, tag)))
        .await;
    assert_eq!(again.status, 304);
}

/// Request bodies in a coding the service decodes (gzip, br, zstd) are held to the body limit
/// as decoded: a few hundred bytes that decode to megabytes are a 413, and a small one is read.
#[actix_web::test]
async fn a_compressed_request_body_is_held_to_the_limit_as_decoded() {
    let app = TestApp::spawn_with(|s| s.json_limit = 1024);
    let large = serde_json::to_vec(&json!({ "names": vec!["Kenya"; 500_000] })).unwrap();
    let small = serde_json::to_vec(&json!({ "names": ["Kenya"] })).unwrap();
    let encode = |coding: &str, body: &[u8]| -> Vec<u8> {
        use std::io::Write;
        match coding {
            "gzip" => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                e.write_all(body).unwrap();
                e.finish().unwrap()
            }
            "br" => {
                let mut out = Vec::new();
                brotli::CompressorWriter::new(&mut out, 4096, 11, 22)
                    .write_all(body)
                    .unwrap();
                out
            }
            _ => zstd::encode_all(body, 19).unwrap(),
        }
    };
    for coding in ["gzip", "br", "zstd"] {
        let bomb = encode(coding, &large);
        assert!(bomb.len() < 16 * 1024, "{coding}: {} bytes", bomb.len());
        let send = |body: Vec<u8>| {
            Request::post()
                .uri("/api/v1/reference/countries/resolve")
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .insert_header((header::CONTENT_ENCODING, coding))
                .set_payload(body)
        };
        app.send(send(bomb))
            .await
            .assert_problem(413, "payload_too_large");
        let read = app.send(send(encode(coding, &small))).await;
        assert_eq!(read.status, 200, "{coding}: {}", read.text());
    }
}

/// A zstd body whose frame names a window over 32 MiB (`zstd --long`) is refused as unreadable
/// before its decoder takes the window's memory (128 MiB for `--long=27`); one compressed at
/// zstd's level 20, streamed, is read.
#[actix_web::test]
async fn a_zstd_body_with_a_window_over_32_mib_is_refused() {
    use std::io::Write;
    let app = TestApp::spawn();
    let body = serde_json::to_vec(&json!({ "names": ["Kenya", "Uganda"] })).unwrap();
    let long = {
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 19).unwrap();
        e.long_distance_matching(true).unwrap();
        e.window_log(27).unwrap();
        e.write_all(&body).unwrap();
        e.finish().unwrap()
    };
    let send = |coded: Vec<u8>| {
        Request::post()
            .uri("/api/v1/reference/countries/resolve")
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .insert_header((header::CONTENT_ENCODING, "zstd"))
            .set_payload(coded)
    };
    let problem = app
        .send(send(long))
        .await
        .assert_problem(400, "unreadable_body");
    assert!(
        problem["detail"].as_str().unwrap().contains("32 MiB"),
        "{problem}"
    );
    let streamed = {
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 20).unwrap();
        e.write_all(&body).unwrap();
        e.finish().unwrap()
    };
    let ordinary = app.send(send(streamed)).await;
    assert_eq!(ordinary.status, 200, "{}", ordinary.text());
}

/// A bulk upload compressed with gzip is read as decompressed, held to the bulk limit as
/// decompressed; a coding the service does not read is a 415 before anything is read, never
/// bytes taken for a CSV file; without a token, it is a 401 before anything is decoded.
#[actix_web::test]
async fn a_compressed_bulk_upload_is_read_decompressed_within_the_limit() {
    use std::io::Write;
    let app = TestApp::spawn_with(|s| s.bulk_limit = 64 * 1024);
    let admin = app.admin_token();
    let gzip = |body: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(body).unwrap();
        e.finish().unwrap()
    };
    let upload = |coding: &str, body: Vec<u8>| {
        Request::post()
            .uri("/api/v1/bulk/recommendations")
            .insert_header((header::CONTENT_TYPE, "text/csv"))
            .insert_header((header::CONTENT_ENCODING, coding.to_owned()))
            .insert_header((header::AUTHORIZATION, format!("Bearer {admin}")))
            .set_payload(body)
    };
    let csv = "state_under_review,session,text__en\nKEN,26,Ratify the Convention.\n";
    let report = app
        .send(upload("gzip", gzip(csv.as_bytes())))
        .await
        .assert_ok_json();
    assert_eq!(report["created"], 1, "{report}");
    let mut large = String::from("state_under_review,session,text__en\n");
    for i in 0..5_000 {
        large.push_str(&format!("KEN,26,Recommendation {i} of a file too large.\n"));
    }
    let bomb = gzip(large.as_bytes());
    assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
    app.send(upload("gzip", bomb))
        .await
        .assert_problem(413, "payload_too_large");
    // Without a token, a coded upload is refused before any of it is received or decoded: it
    // is the 401 every upload without one gets, not the 413 of decoding it.
    app.send(
        Request::post()
            .uri("/api/v1/bulk/recommendations")
            .insert_header((header::CONTENT_TYPE, "text/csv"))
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .set_payload(gzip(large.as_bytes())),
    )
    .await
    .assert_problem(401, "unauthorized");
    app.send(upload("compress", csv.as_bytes().to_vec()))
        .await
        .assert_problem(415, "unsupported_media_type");
    // Cut short, it is a 400 that says so in words.
    let whole = gzip(csv.as_bytes());
    let problem = app
        .send(upload("gzip", whole[..whole.len() / 2].to_vec()))
        .await
        .assert_problem(400, "unreadable_body");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("cut short") && !detail.contains("Some("),
        "{problem}"
    );
    assert_eq!(app.all("/api/v1/recommendations").await.len(), 1);
    // A JSON body alike: compressed, it is read; in a coding the service does not read, it is
    // a 415, not a body read as if it were not coded.
    let admin = app.admin_token();
    let body = upr_tc_tests::recommendation("UGA", 26, "Sent compressed.").to_string();
    let post = |coding: &'static str, bytes: Vec<u8>| {
        Request::post()
            .uri("/api/v1/recommendations")
            .insert_header((header::AUTHORIZATION, format!("Bearer {admin}")))
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .insert_header((header::CONTENT_ENCODING, coding))
            .set_payload(bytes)
    };
    let reply = app.send(post("gzip", gzip(body.as_bytes()))).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let problem = app
        .send(post("foo", body.clone().into_bytes()))
        .await
        .assert_problem(415, "unsupported_media_type");
    assert!(
        problem["detail"].as_str().unwrap().contains("gzip"),
        "{problem}"
    );
    assert_eq!(app.all("/api/v1/recommendations").await.len(), 2);
}
