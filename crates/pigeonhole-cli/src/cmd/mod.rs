//! One file per subcommand, and what they share.
//!
//! - `filter`: the `--query` / `--inbox` flags, and the query language's help.
//! - `text`: escaping what a message says before it reaches a terminal.
//! - `http`: the few lines of HTTP `wait` (and `mcp`) need to call a running server's API.
//! - `layered`: the config a command starts from (saved settings, then `--config`).

pub mod doctor;
pub mod edit;
pub mod filter;
pub mod get;
mod http;
mod layered;
pub mod list;
pub mod mcp;
pub mod release;
pub mod serve;
pub mod show;
mod show_checks;
pub mod text;
pub mod transfer;
pub mod wait;
