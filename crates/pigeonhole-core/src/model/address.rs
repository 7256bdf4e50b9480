//! A mailbox as written in a header: an optional display name and the address.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct Address {
    /// The display name, RFC 2047-decoded; `None` when the header had none.
    pub name: Option<String>,
    pub address: String,
}
