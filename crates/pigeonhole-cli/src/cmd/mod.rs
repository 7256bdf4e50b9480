//! One file per subcommand, and what they share.
//!
//! - `filter`: the `--query` / `--inbox` flags, and the query language's help.
//! - `text`: escaping what a message says before it reaches a terminal.
//! - `http`: the few lines of HTTP `wait` (and `mcp`) need to call a running server's API.

pub mod edit;
pub mod filter;
pub mod get;
mod http;
pub mod list;
pub mod mcp;
pub mod serve;
pub mod show;
pub mod text;
pub mod wait;
