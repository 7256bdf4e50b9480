//! `pigeonhole`: the headless capture server and the commands that read what it caught.
//!
//! Each subcommand in `cmd/` is an adapter over `pigeonhole_core`: `serve` starts an
//! `Engine`, the others call `pigeonhole_core::commands` on a read-only store (or, to
//! change mail or record a release, the store opened for edits beside a server) and print
//! (`mcp` answers over the Model Context Protocol instead).
//! `error` turns every failure into a sentence and an exit code.

mod cmd;
mod error;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};
use pigeonhole_core::config::resolve_data_dir;
use pigeonhole_core::store::Store;

use crate::error::{CliError, Result};

#[derive(Parser)]
#[command(
    name = "pigeonhole",
    version,
    about = "A mail catcher for developers: captures every message sent to it over SMTP."
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once at startup
enum Cmd {
    /// Capture mail until interrupted (Ctrl-C or SIGTERM).
    Serve(cmd::serve::ServeArgs),
    /// List captured messages a query matches, newest first.
    List(cmd::list::ListArgs),
    /// Show one message.
    Show(cmd::show::ShowArgs),
    /// Count the messages a query matches.
    Count(cmd::edit::CountArgs),
    /// Delete messages by id, by query, or all but pinned ones.
    Delete(cmd::edit::DeleteArgs),
    /// Add or remove tags.
    Tag(cmd::edit::TagArgs),
    /// Pin messages: they survive retention and Clear all.
    Pin(cmd::edit::PinArgs),
    /// Unpin messages.
    Unpin(cmd::edit::PinArgs),
    /// Wait until a running server has the mail a query describes (exit 0), or not (1).
    Wait(cmd::wait::WaitArgs),
    /// Print the links or one-time codes in a message.
    Get(cmd::get::GetArgs),
    /// Serve the Model Context Protocol on stdin/stdout, for coding assistants.
    Mcp(cmd::mcp::McpArgs),
    /// Send a captured message, byte for byte, to a real SMTP server (the recipients'
    /// domains must be in release.allowed_domains); prints the server's reply.
    Release(cmd::release::ReleaseArgs),
    /// Write messages out: one as .eml, or a selection (ids, --query, --inbox) as an
    /// mboxrd file, a folder of .eml files or a Maildir.
    Export(cmd::transfer::ExportArgs),
    /// Store mail from .eml files, mbox files and Maildirs, as if it had arrived (marked
    /// imported: `is:imported`); prints what failed, with byte offsets, and exits 1 then.
    Import(cmd::transfer::ImportArgs),
    /// Check a data dir (integrity, schema, counts, WAL, file modes): exit 0 when healthy,
    /// 1 when not; --recover salvages a damaged store into a new one.
    Doctor(cmd::doctor::DoctorArgs),
    /// Explain the search query language.
    HelpQuery,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Write the man page and completions into DIR (used to build the package).
    #[command(hide = true)]
    GenerateDocs { dir: PathBuf },
}

#[derive(Args)]
pub struct DataDir {
    /// Data directory [default: the platform data dir]
    #[arg(long, env = "PIGEONHOLE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

impl DataDir {
    /// The directory asked for, else the platform's.
    pub fn resolve(&self) -> Result<PathBuf> {
        Ok(resolve_data_dir(self.data_dir.clone())?)
    }

    /// The store in it, read-only; works while `serve` runs.
    pub fn open(&self) -> Result<Store> {
        let path = self.resolve()?;
        if !path.is_dir() {
            return Err(CliError::NoDataDir(path));
        }
        Ok(Store::open_read_only(&path)?)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Serve(args) => cmd::serve::run(args),
        Cmd::List(args) => cmd::list::run(args),
        Cmd::Show(args) => cmd::show::run(args),
        Cmd::Count(args) => cmd::edit::count(args),
        Cmd::Delete(args) => cmd::edit::delete(args),
        Cmd::Tag(args) => cmd::edit::tag(args),
        Cmd::Pin(args) => cmd::edit::pin(args, true),
        Cmd::Unpin(args) => cmd::edit::pin(args, false),
        // Exit 2 for every failure but "not satisfied", so a script tells the two apart.
        Cmd::Wait(args) => cmd::wait::run(args).map_err(|e| match e {
            CliError::Unmet | CliError::Api(_) => e,
            other => CliError::Api(other.to_string()),
        }),
        Cmd::Get(args) => cmd::get::run(args),
        Cmd::Mcp(args) => cmd::mcp::run(args),
        Cmd::Release(args) => cmd::release::run(args),
        Cmd::Export(args) => cmd::transfer::export(args),
        Cmd::Import(args) => cmd::transfer::import(args),
        Cmd::Doctor(args) => cmd::doctor::run(args),
        Cmd::HelpQuery => {
            print!("{}", cmd::filter::QUERY_HELP);
            Ok(())
        }
        Cmd::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "pigeonhole",
                &mut std::io::stdout(),
            );
            Ok(())
        }
        Cmd::GenerateDocs { dir } => pigeonhole_docs::write(Cli::command(), &dir)
            .map(|_| ())
            .map_err(CliError::Output),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        // `wait` has printed what it saw, `doctor` its report; the exit code says the rest.
        Err(CliError::Unmet | CliError::Unhealthy) => ExitCode::from(1),
        Err(e) => {
            eprintln!("pigeonhole: {e}");
            if let Some(hint) = e.hint() {
                eprintln!("{hint}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// A current-thread runtime for the read commands: they await the command layer, which
/// does its SQLite work on the blocking pool.
pub fn block_on<T>(f: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?
        .block_on(f)
}
