//! `/api/v1/states/{code}/coordination`: a State's gaps, possible duplication and open
//! requests, for the State, OHCHR and its partners (issue 11).

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::support::IfNoneMatch;
use crate::app::coordination::{Coordination, view};
use crate::app::policy;
use crate::auth::Identity;
use crate::domain::codes::StateCode;
use crate::error::ApiResult;
use crate::routes::support::{state_value, tagged_json, with_db};
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
    // Kept while the data is unchanged, with the rankings (`app::kept`): the same view asked
    // again, by anyone with the same access, is not computed again.
    let version = state.watch.version();
    // Offers are ranked by their availability on the day: another day, another view.
    let today = chrono::Utc::now().date_naive();
    let key = format!("coordination\u{1}{code}\u{1}{access:?}\u{1}{today}");
    if let Some(kept) = version.and_then(|v| state.kept.ranked.get::<Coordination>(&key, v)) {
        return tagged_json(&req, &*kept, true);
    }
    // It ranks the offers for each open request: a ranking, under the same limit.
    let permit = crate::routes::export::ranking_permit(&state).await?;
    let cache = state.offers.clone();
    let limit = state.coordination_timeout;
    let answer = with_db(&state, move |conn| {
        Ok(view(conn, &cache, &code, &access, limit)?)
    })
    .await?;
    drop(permit);
    let answer = std::sync::Arc::new(answer);
    if let Some(version) = version {
        // What it holds, about: twice its JSON.
        let size = 2 * serde_json::to_vec(&*answer).map_or(0, |json| json.len());
        state.kept.ranked.put(key, version, answer.clone(), size);
    }
    tagged_json(&req, &*answer, true)
}
