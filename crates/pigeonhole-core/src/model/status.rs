//! What the engine is doing right now, for the window's status bar and the CLI.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct ServerStatus {
    /// True when the SMTP listener is bound and accepting.
    pub listening: bool,
    /// While paused, connections get 421 and nothing is captured.
    pub paused: bool,
    /// The bound address when listening (the real port when 0 was asked for), else the
    /// configured one.
    pub smtp_addr: String,
    pub smtps_addr: Option<String>,
    /// Why the listener is not running (e.g. "127.0.0.1:1025 is already in use ...").
    pub error: Option<String>,
    pub total: u64,
    pub unread: u64,
    /// Where the store lives.
    pub data_dir: String,
    /// Named listeners beside the main one, with their bound (or configured) addresses.
    pub listeners: Vec<ListenerAddr>,
    /// The HTTP API's bound address (`http://…`), when it is serving.
    pub api_url: Option<String>,
    /// Why the API is not serving although it is configured.
    pub api_error: Option<String>,
    /// The store was damaged at start, so a fresh one was opened: where the damaged copy
    /// was kept (renamed, never deleted), for the window to say so plainly.
    pub damaged_store: Option<String>,
    /// The last delivery failed for want of space (disk full): mail is refused with
    /// 452 4.3.1 until a delivery succeeds again, which clears it.
    pub storage_full: bool,
    /// The error that delivery gave, while `storage_full`.
    pub storage_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct ListenerAddr {
    pub name: String,
    pub addr: String,
}
