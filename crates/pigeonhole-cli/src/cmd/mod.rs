//! One file per subcommand.

pub mod list;
pub mod serve;
pub mod show;
