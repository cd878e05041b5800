//! `/api/v1/states/{code}/coordination`: a State's gaps, possible duplication and open
//! requests, for the State, OHCHR and its partners (issue 11).

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::support::IfNoneMatch;
use crate::app::coordination::{Coordination, view};
use crate::app::policy;
use crate::auth::Identity;
use crate::domain::codes::StateCode;
use crate::error::ApiResult;
use crate::routes::export::kept_ranking;
use crate::routes::support::{state_value, tagged_json};
use crate::startup::AppState;

/// A State's coordination view: its accepted recommendations that no activity serves (gaps),
/// those served by several actors at the same time (possible duplication), and its open
/// assistance requests. Public over public data; the State itself and `admin` see the same
/// over everything they may see. Asked again of unchanged data, with the same access, the view
/// computed is given again.
#[utoipa::path(
    tag = "assistance-requests",
    operation_id = "get_state_coordination",
    params(
        ("code" = StateCode, Path, description = "The State's ISO alpha-3 code"),
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "The State's coordination view", body = Coordination,
            headers(("ETag" = String, description = "Weak: of this body"))),
        (status = 304, description = "Unchanged since the ETag given"),
    )
)]
#[get("/states/{code}/coordination")]
pub async fn get_state_coordination(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let code = state_value("code", &code)?;
    let access = policy::access(identity.0.as_ref());
    // It ranks the offers for each open request: a ranking, kept as the others are. Offers are
    // ranked by their availability on the day: another day, another view.
    let today = chrono::Utc::now().date_naive();
    let key = format!("coordination\u{1}{code}\u{1}{access:?}\u{1}{today}");
    let cache = state.offers.clone();
    let limit = state.coordination_timeout;
    let answer = kept_ranking(
        &state,
        &req,
        key,
        // What it holds, about: twice its JSON.
        |view: &Coordination| 2 * serde_json::to_vec(view).map_or(0, |json| json.len()),
        move |conn| Ok(view(conn, &cache, &code, &access, limit)?),
    )
    .await?;
    tagged_json(&req, &*answer, true)
}
