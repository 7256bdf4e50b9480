//! Lint findings: one message's report, and the catalogue of checks.

use axum::extract::State;
use axum::Json;
use pigeonhole_core::commands;
use pigeonhole_core::model::{LintCheck, LintReport};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody, Segments};
use crate::mailpit::resolve;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(message_lint))
        .routes(routes!(lint_checks))
}

/// What the protocol and message checks found in one message, worst first: each finding
/// with its check id, severity, where it is (header, line, MIME part), why it matters and
/// the RFC section. Findings never change the message.
#[utoipa::path(get, path = "/api/v1/message/{ID}/lint", tag = "pigeonhole",
    params(("ID" = String, Path, description = "Message id, or latest")),
    responses((status = 200, body = LintReport), (status = 404, body = ErrorBody)))]
async fn message_lint(
    State(state): State<AppState>,
    Segments(id): Segments<String>,
) -> ApiResult<Json<LintReport>> {
    let id = resolve(&state, &id).await?;
    Ok(Json(commands::lint(state.store(), id).await?))
}

/// Every check the linter runs; `lint:ID` searches for messages one of them flagged.
#[utoipa::path(get, path = "/api/v1/lint/checks", tag = "pigeonhole",
    responses((status = 200, body = Vec<LintCheck>)))]
async fn lint_checks() -> Json<Vec<LintCheck>> {
    Json(commands::lint_checks())
}
