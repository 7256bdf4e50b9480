//! One file per subcommand, and what they share.
//!
//! - `filter`: the `--query` / `--inbox` flags, and the query language's help.
//! - `text`: escaping what a message says before it reaches a terminal.

pub mod edit;
pub mod filter;
pub mod list;
pub mod serve;
pub mod show;
pub mod text;
