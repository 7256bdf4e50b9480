//! The links and one-time codes in a message, for tests that must follow a confirmation
//! link or type a code.

use axum::extract::State;
use axum::Json;
use pigeonhole_core::commands;
use pigeonhole_core::model::{Code, Link};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody, Segments};
use crate::mailpit::resolve;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(links))
        .routes(routes!(codes))
}

/// Every link in the HTML and text parts, with its anchor text, each once.
#[utoipa::path(get, path = "/api/v1/message/{ID}/links", tag = "pigeonhole",
    params(("ID" = String, Path, description = "Message id, or latest")),
    responses((status = 200, body = Vec<Link>), (status = 404, body = ErrorBody)))]
async fn links(
    State(state): State<AppState>,
    Segments(id): Segments<String>,
) -> ApiResult<Json<Vec<Link>>> {
    let id = resolve(&state, &id).await?;
    Ok(Json(commands::links(state.store(), id).await?))
}

/// One-time codes (4-10 digits, or letters and digits, near words such as code, OTP,
/// verification or PIN), each with the sentence it came from.
#[utoipa::path(get, path = "/api/v1/message/{ID}/codes", tag = "pigeonhole",
    params(("ID" = String, Path, description = "Message id, or latest")),
    responses((status = 200, body = Vec<Code>), (status = 404, body = ErrorBody)))]
async fn codes(
    State(state): State<AppState>,
    Segments(id): Segments<String>,
) -> ApiResult<Json<Vec<Code>>> {
    let id = resolve(&state, &id).await?;
    Ok(Json(commands::codes(state.store(), id).await?))
}
