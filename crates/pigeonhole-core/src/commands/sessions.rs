//! SMTP sessions and their transcripts.

use super::{blocking, Result};
use crate::model::{SessionFilter, SessionId, SessionSummary, Transcript};
use crate::store::Store;

/// Most sessions one call returns.
pub const MAX_SESSIONS_PAGE: u64 = 1000;

/// The sessions `filter` matches, newest first; `limit` is clamped to
/// `1..=MAX_SESSIONS_PAGE`.
pub async fn sessions(
    store: &Store,
    filter: SessionFilter,
    offset: u64,
    limit: u64,
) -> Result<Vec<SessionSummary>> {
    let limit = limit.clamp(1, MAX_SESSIONS_PAGE);
    let offset = offset.min(1 << 53);
    blocking(store, move |s| Ok(s.sessions(&filter, offset, limit)?)).await
}

pub async fn session(store: &Store, id: SessionId) -> Result<SessionSummary> {
    blocking(store, move |s| Ok(s.session(id)?)).await
}

/// A session and every line of its transcript.
pub async fn transcript(store: &Store, id: SessionId) -> Result<Transcript> {
    blocking(store, move |s| Ok(s.transcript(id)?)).await
}
