//! `pigeonhole export` and `pigeonhole import`: stored mail out as `.eml`, mboxrd or
//! Maildir, and `.eml`, mbox or Maildir in, beside a running server (through the store's
//! writer from this process, as `delete` and `tag` write) or without one.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use pigeonhole_core::commands::{self, ExportSelection, ImportOptions, ImportSource};
use pigeonhole_core::event::EventBus;
use pigeonhole_core::model::{ExportFormat, ExportReport, ImportReport, MessageId};
use pigeonhole_core::store::{Store, StoreOptions, DB_FILE};
use pigeonhole_core::transfer::mbox::Flavor;

use super::filter::FilterArgs;
use super::text::printable;
use crate::error::{CliError, Result};
use crate::{block_on, DataDir};

#[derive(Args)]
#[command(group = clap::ArgGroup::new("to").required(true).multiple(false))]
pub struct ExportArgs {
    /// Message ids (from `list`); without ids, every message --query and --inbox match.
    ids: Vec<MessageId>,
    #[command(flatten)]
    filter: FilterArgs,
    /// Write one mboxrd file ("-" for standard output).
    #[arg(long, group = "to", value_name = "FILE")]
    mbox: Option<PathBuf>,
    /// Write a folder of .eml files, one per message (ID-Subject.eml).
    #[arg(long, group = "to", value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Write a Maildir (cur/, new/, tmp/; read messages get the S flag).
    #[arg(long, group = "to", value_name = "DIR")]
    maildir: Option<PathBuf>,
    /// Write one message's bytes, exactly as received ("-" for standard output); needs
    /// one id.
    #[arg(long, group = "to", value_name = "FILE")]
    eml: Option<PathBuf>,
    /// Print what was written as JSON ({"exported", "bytes", "path"}) on standard error
    /// when the mail goes to standard output, else on standard output.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataDir,
}

pub fn export(args: ExportArgs) -> Result<()> {
    if !args.ids.is_empty() && (!args.filter.query.is_empty() || args.filter.inbox.is_some()) {
        return Err(CliError::Usage(
            "give message ids or --query/--inbox, not both".into(),
        ));
    }
    let filter = args.filter.checked()?;
    let store = args.data.open()?;
    let selection = if args.ids.is_empty() {
        ExportSelection::Filter(filter)
    } else {
        ExportSelection::Ids(args.ids.clone())
    };
    let stdout = |p: &PathBuf| p.as_os_str() == "-";
    let to_stdout = args.mbox.as_ref().is_some_and(stdout) || args.eml.as_ref().is_some_and(stdout);
    let report = block_on(async {
        if let Some(path) = &args.eml {
            let [id] = args.ids[..] else {
                return Err(CliError::Usage(
                    "--eml writes one message: give exactly one id".into(),
                ));
            };
            let raw = commands::raw(&store, id).await?;
            if stdout(path) {
                std::io::stdout().lock().write_all(&raw)?;
            } else {
                std::fs::write(path, &raw).map_err(|e| io(path, e))?;
            }
            return Ok(ExportReport {
                exported: 1,
                bytes: raw.len() as u64,
                path: path.display().to_string(),
            });
        }
        if let Some(path) = &args.mbox {
            let out: Box<dyn Write + Send> = if stdout(path) {
                Box::new(std::io::stdout())
            } else {
                Box::new(std::fs::File::create(path).map_err(|e| io(path, e))?)
            };
            return Ok(
                commands::export_mbox(&store, selection, out, path.display().to_string()).await?,
            );
        }
        let (dir, format) = match (&args.dir, &args.maildir) {
            (Some(d), _) => (d.clone(), ExportFormat::Eml),
            (_, Some(d)) => (d.clone(), ExportFormat::Maildir),
            _ => unreachable!("clap requires one destination"),
        };
        Ok(commands::export_dir(&store, selection, dir, format).await?)
    })?;
    let line = if args.json {
        serde_json::to_string(&report)?
    } else {
        format!(
            "exported {} message{} ({} bytes) to {}",
            report.exported,
            if report.exported == 1 { "" } else { "s" },
            report.bytes,
            printable(&report.path)
        )
    };
    // Standard output carries the mail itself when asked; the summary goes beside it.
    if to_stdout {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
    Ok(())
}

fn io(path: &std::path::Path, source: std::io::Error) -> CliError {
    CliError::Command(commands::CommandError::Io {
        path: path.display().to_string(),
        source,
    })
}

#[derive(Args)]
pub struct ImportArgs {
    /// Files and folders: .eml files, mbox files (mboxo or mboxrd) and Maildirs, told apart
    /// by their content; a folder that is not a Maildir has each file in it imported.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Tag every imported message (repeatable).
    #[arg(long)]
    tag: Vec<String>,
    /// Read mbox files as mboxo: only a single ">From " is unquoted (">>From " stays).
    #[arg(long)]
    mboxo: bool,
    /// Print the report as JSON: {"imported", "ids", "problems": [{"source", "index",
    /// "offset", "reason"}], "session_id"}.
    #[arg(long)]
    json: bool,
    /// A config file (for max_message_size) over the saved settings.
    #[arg(long, env = "PIGEONHOLE_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    dir: DataDir,
}

/// Imports, prints each problem, and fails (exit 1) if anything was not imported.
pub fn import(args: ImportArgs) -> Result<()> {
    let (config, _) = super::layered::config(args.config.as_deref(), args.dir.data_dir.clone())?;
    let store = import_store(&args.dir)?;
    let mut opts = ImportOptions::new(
        config.max_message_size,
        format!("pigeonhole import (pid {})", std::process::id()),
        "file import",
    );
    opts.tags = args.tag.clone();
    if args.mboxo {
        opts.flavor = Flavor::O;
    }
    let sources = args
        .paths
        .iter()
        .map(|p| ImportSource::Path(p.clone()))
        .collect();
    let report = block_on(async { Ok(commands::import(&store, sources, opts).await?) })?;
    print_report(&report, args.json)?;
    if report.ok() {
        Ok(())
    } else {
        Err(CliError::Incomplete(report.problems.len()))
    }
}

fn print_report(report: &ImportReport, json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, report)?;
        writeln!(out)?;
        return Ok(());
    }
    for p in &report.problems {
        let at = match (p.index, p.offset) {
            (Some(i), Some(o)) => format!(": message {i} at byte {o}"),
            (None, Some(o)) => format!(": at byte {o}"),
            _ => String::new(),
        };
        eprintln!("{}{at}: {}", printable(&p.source), printable(&p.reason));
    }
    let ids = match (report.ids.first(), report.ids.last()) {
        (Some(a), Some(b)) if a == b => format!(" (id {a})"),
        (Some(a), Some(b)) => format!(" (ids {a}-{b})"),
        _ => String::new(),
    };
    writeln!(
        out,
        "imported {} message{}{ids}; {} problem{}",
        report.imported,
        if report.imported == 1 { "" } else { "s" },
        report.problems.len(),
        if report.problems.len() == 1 { "" } else { "s" },
    )?;
    Ok(())
}

/// The store to import into: beside a running server when there is a store already, or
/// a new one (created as `serve` would) when there is none.
fn import_store(dir: &DataDir) -> Result<Store> {
    let path = dir.resolve()?;
    if path.join(DB_FILE).is_file() {
        Ok(Store::open_for_edit(&path)?)
    } else {
        Ok(Store::open(
            &path,
            EventBus::new(),
            StoreOptions::default(),
        )?)
    }
}
