//! The service's front door, `/`: a browser is sent to the interactive docs, any other client
//! gets the links to start from.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

/// Where to start.
#[derive(Debug, Serialize, ToSchema)]
pub struct Index {
    #[schema(example = "UPR Technical Cooperation Repository")]
    pub title: String,
    /// Version of the running service.
    #[schema(example = "0.1.0")]
    pub version: String,
    pub links: IndexLinks,
}

/// The service's own addresses, relative to where `/` was asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndexLinks {
    /// The OpenAPI contract.
    #[schema(example = "/api/v1/openapi.json")]
    pub contract: String,
    /// The interactive documentation, for people.
    #[schema(example = "/docs/")]
    pub docs: String,
    #[schema(example = "/health/live")]
    pub live: String,
    #[schema(example = "/health/ready")]
    pub ready: String,
}

/// Whether the caller is a browser asking for a page: its `Accept` names HTML before any JSON.
fn wants_a_page(req: &HttpRequest) -> bool {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let at = |kind: &str| accept.find(kind);
    match (at("text/html"), at("json")) {
        (Some(html), Some(json)) => html < json,
        (Some(_), None) => true,
        _ => false,
    }
}

/// The links to start from; a browser is redirected to the interactive docs.
#[utoipa::path(
    tag = "health",
    operation_id = "get_index",
    responses(
        (status = 200, description = "The links to start from", body = Index),
        (status = 303, description = "A browser (`Accept` naming `text/html` before any JSON) \
            is sent to the interactive documentation",
            headers(("Location" = String, description = "`/docs/`"))),
    )
)]
#[get("/")]
pub async fn get_index(req: HttpRequest) -> HttpResponse {
    if wants_a_page(&req) {
        return HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/docs/"))
            .insert_header((header::VARY, "Accept"))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header((header::VARY, "Accept"))
        .json(Index {
            title: "UPR Technical Cooperation Repository".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            links: IndexLinks {
                contract: "/api/v1/openapi.json".to_owned(),
                docs: "/docs/".to_owned(),
                live: "/health/live".to_owned(),
                ready: "/health/ready".to_owned(),
            },
        })
}
