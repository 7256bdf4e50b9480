//! How far a 250 can be trusted: a setting of the store, named here so config and store
//! share it without importing each other.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum Durability {
    /// Committed to the OS before the ack: survives a crash or `kill -9` of Pigeonhole.
    #[default]
    Process,
    /// Also fsynced before the ack: survives power loss. Slower.
    PowerLoss,
}
