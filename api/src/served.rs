//! What the contract says is served: each path template's methods, to tell "no such path"
//! (404) from "no such method on this path" (405 with `Allow`), and the media types each
//! operation answers with, so that a request whose `Accept` takes none of them is a 406
//! before any work is done ([`middleware`]), not an answer in a format the client said it
//! cannot read (RFC 9110 §12.5.1).

use std::sync::Arc;

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;

use crate::error::ApiError;

/// A path template, its segments (`None` for a parameter), and each of its methods with the
/// media types of its successful answers (none for an answer without a body).
pub struct RouteTable(Vec<Route>);

struct Route {
    template: String,
    segments: Vec<Option<String>>,
    methods: Vec<(Method, Arc<[String]>)>,
}

/// The media types the operation a request is routed to answers with, where its `Accept` was
/// read ([`middleware`]): a handler that chooses by `Accept` chooses among them
/// (`routes::export::requested`).
#[derive(Clone)]
pub struct Offered(pub Arc<[String]>);

impl RouteTable {
    pub fn from_doc(doc: &utoipa::openapi::OpenApi) -> Self {
        let mut routes: Vec<Route> = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (&item.get, Method::GET),
                    (&item.put, Method::PUT),
                    (&item.post, Method::POST),
                    (&item.delete, Method::DELETE),
                    (&item.patch, Method::PATCH),
                ]
                .into_iter()
                .filter_map(|(op, m)| Some((m, answered_with(op.as_ref()?).into())))
                .collect();
                Route {
                    template: path.clone(),
                    segments: segments(path),
                    methods,
                }
            })
            .collect();
        for fixed in ["/api/v1/openapi.json", "/docs", "/docs/{file}"] {
            routes.push(Route {
                template: fixed.to_owned(),
                segments: segments(fixed),
                methods: vec![(Method::GET, Arc::from([]))],
            });
        }
        Self(routes)
    }

    /// The route of `path`'s shape (every request that sends `Accept` asks: nothing is
    /// allocated).
    fn route_of(&self, path: &str) -> Option<&Route> {
        let path = path.trim_end_matches('/');
        let count = path.split('/').count();
        self.0.iter().find(|route| {
            route.segments.len() == count
                && route
                    .segments
                    .iter()
                    .zip(path.split('/'))
                    .all(|(t, w)| match t {
                        Some(literal) => literal == w,
                        None => !w.is_empty(),
                    })
        })
    }

    /// The methods served on `path`, if any route has its shape.
    pub fn methods_of(&self, path: &str) -> Option<Vec<Method>> {
        self.route_of(path)
            .map(|route| route.methods.iter().map(|(m, _)| m.clone()).collect())
    }

    /// The template of `path` and the media types `method` answers with there (`HEAD` as
    /// `GET`); none where the contract names none.
    fn answers(&self, method: &Method, path: &str) -> Option<(&str, &Arc<[String]>)> {
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        let route = self.route_of(path)?;
        route
            .methods
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, media)| (route.template.as_str(), media))
    }
}

/// The media types of an operation's successful answers; none for one that may send the
/// client elsewhere (`GET /` sends a browser to the docs), whatever it accepts.
fn answered_with(op: &utoipa::openapi::path::Operation) -> Vec<String> {
    if op
        .responses
        .responses
        .keys()
        .any(|s| s.starts_with('3') && s != "304")
    {
        return vec![];
    }
    let mut media: Vec<String> = op
        .responses
        .responses
        .iter()
        .filter(|(status, _)| status.starts_with('2'))
        .filter_map(|(_, answer)| match answer {
            utoipa::openapi::RefOr::T(answer) => Some(answer.content.keys().cloned()),
            utoipa::openapi::RefOr::Ref(_) => None,
        })
        .flatten()
        .collect();
    media.sort();
    media.dedup();
    media
}

/// `/a/{b}/c` as `[Some(""), Some("a"), None, Some("c")]`: `None` matches any segment. A
/// trailing `/` is dropped, as [`RouteTable::route_of`] drops it from the path asked (`/` is
/// `[Some("")]`).
fn segments(template: &str) -> Vec<Option<String>> {
    template
        .trim_end_matches('/')
        .split('/')
        .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
        .collect()
}

/// Whether `accept`, an `Accept` header's value, takes `media` (`type/subtype`): the most
/// specific of its ranges that match it (`media` itself, then `type/*`, then `*/*`) has a
/// weight above 0. A header none of whose ranges reads as `type/subtype` says nothing, and
/// takes anything, as no header does.
pub fn takes(accept: &str, media: &str) -> bool {
    match weight(accept, media) {
        Weight::Unsaid => true,
        Weight::Refused => false,
        Weight::Taken { q, .. } => q > 0.0,
    }
}

/// How an `Accept` header weighs a media type ([`weight`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weight {
    /// The header names no media type at all.
    Unsaid,
    /// No range of it matches the media type.
    Refused,
    /// The most specific range that matches it: its weight, and 3 for the type itself, 2 for
    /// `type/*`, 1 for `*/*`.
    Taken { q: f32, specificity: u8 },
}

/// How `accept` weighs `media`: by the most specific of its ranges that match it.
pub fn weight(accept: &str, media: &str) -> Weight {
    let kind = media.split_once('/').map_or(media, |(kind, _)| kind);
    let (mut best, mut any) = (None::<(u8, f32)>, false);
    for part in accept.split(',') {
        let mut pieces = part.split(';');
        let range = pieces.next().unwrap_or("").trim();
        let Some((of, sub)) = range.split_once('/') else {
            continue;
        };
        if of.is_empty() || sub.is_empty() {
            continue;
        }
        any = true;
        let specificity = if range == "*/*" {
            1
        } else if sub == "*" && of.eq_ignore_ascii_case(kind) {
            2
        } else if range.eq_ignore_ascii_case(media) {
            3
        } else {
            continue;
        };
        let q = pieces
            .filter_map(|p| {
                let (name, value) = p.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("q")
                    .then(|| value.trim().parse::<f32>().ok())
                    .flatten()
            })
            .next()
            .unwrap_or(1.0);
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, q));
        }
    }
    match (any, best) {
        (false, _) => Weight::Unsaid,
        (true, None) => Weight::Refused,
        (true, Some((specificity, q))) => Weight::Taken { q, specificity },
    }
}

/// Of `default` and `others`, the media type `accept` prefers: the one it weighs most (`q`),
/// then the one it names most specifically; of two it names alike, another before the default
/// (`text/csv, application/json` is CSV), the default before another it takes only by a range
/// (`*/*`, a browser's `Accept`, is the default), and of the rest the first. `default` where
/// the header names no media type; `None` where it takes none of them.
pub fn preferred<'a>(accept: &str, default: &'a str, others: &[&'a str]) -> Option<&'a str> {
    let mut best: Option<((f32, u8, u8), &str)> = None;
    for &media in others.iter().chain([&default]) {
        match weight(accept, media) {
            Weight::Unsaid => return Some(default),
            Weight::Taken { q, specificity } if q > 0.0 => {
                let named_first = match (media == default, specificity == 3) {
                    (true, _) => 1,
                    (false, true) => 2,
                    (false, false) => 0,
                };
                let rank = (q, specificity, named_first);
                if best.is_none_or(|(b, _)| rank > b) {
                    best = Some((rank, media));
                }
            }
            _ => {}
        }
    }
    best.map(|(_, media)| media)
}

/// A 406 for a request whose `Accept` takes none of the media types its operation answers
/// with, before anything else reads it. Health checks answer whatever their prober accepts (a
/// probe refused would take the service for dead), and so do operations that answer without a
/// body or that the contract does not describe, requests that name their format (`format=`,
/// which wins over `Accept`), and clients that take problem documents (a generated client
/// asks for `application/problem+json` alone where an operation's only success is not JSON,
/// as the snapshot's NDJSON).
pub async fn middleware(
    routes: Arc<RouteTable>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let Some((accept, (template, media))) = accept.zip(routes.answers(req.method(), req.path()))
    else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if !media.is_empty() {
        req.extensions_mut().insert(Offered(media.clone()));
    }
    if !template.starts_with("/health/")
        && !media.is_empty()
        && !media.iter().any(|m| takes(accept, m))
        && !takes(accept, crate::error::PROBLEM_JSON)
        && !names_its_format(req.query_string())
    {
        let error = ApiError::NotAcceptable(format!(
            "`Accept: {accept}` takes none of what {} {template} answers with: {}.",
            crate::head::method_of(req.request()),
            media.join(", ")
        ));
        return Ok(req.error_response(error));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Whether a query string holds a `format` parameter.
fn names_its_format(query: &str) -> bool {
    query
        .split('&')
        .any(|pair| pair.split('=').next() == Some("format"))
}

#[cfg(test)]
mod tests {
    use super::{preferred, takes};

    #[test]
    fn the_media_type_weighed_most_is_preferred() {
        const JSON: &str = "application/json";
        for (accept, expected) in [
            ("*/*", Some(JSON)),
            ("json", Some(JSON)),
            ("text/csv, application/json", Some("text/csv")),
            ("text/csv;q=0.5, application/json;q=0.9", Some(JSON)),
            ("text/csv;q=0.5, */*;q=0.9", Some(JSON)),
            ("text/*", Some("text/csv")),
            (
                "application/*, application/json;q=0",
                Some("application/x-ndjson"),
            ),
            ("application/json;q=0", None),
        ] {
            assert_eq!(
                preferred(accept, JSON, &["text/csv", "application/x-ndjson"]),
                expected,
                "{accept}"
            );
        }
    }

    #[test]
    fn accept_takes_the_most_specific_range_that_names_a_type() {
        for (accept, media) in [
            ("application/json", "application/json"),
            ("*/*", "text/csv"),
            ("text/*", "text/csv"),
            ("TEXT/CSV; charset=utf-8", "text/csv"),
            (
                "text/html, application/xhtml+xml, */*;q=0.8",
                "application/json",
            ),
            ("text/csv;q=0, */*", "application/json"),
            // No range of a type at all: the header says nothing.
            ("json", "application/json"),
            ("", "text/csv"),
        ] {
            assert!(takes(accept, media), "{accept} takes {media}");
        }
        for (accept, media) in [
            ("text/csv", "application/json"),
            ("application/json;q=0", "application/json"),
            ("text/csv;q=0, */*", "text/csv"),
            ("text/*;q=0, */*", "text/csv"),
            ("application/xml, text/*", "application/json"),
        ] {
            assert!(!takes(accept, media), "{accept} refuses {media}");
        }
    }
}
