//! `pigeonhole doctor`: prints core's health report of a data dir (exit 0 healthy, 1 not),
//! or with `--recover` salvages a damaged store (`store::doctor`) and says what came back.

use std::io::Write;

use clap::Args;
use pigeonhole_core::store::doctor;

use crate::error::{CliError, Result};
use crate::DataDir;

#[derive(Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    dir: DataDir,
    /// Keep the damaged database aside (renamed, not deleted) and copy every message that
    /// can still be read into a new store; stop the server first.
    #[arg(long)]
    recover: bool,
    /// With --recover: salvage this damaged file (one the window kept aside) into the data
    /// dir's store, which must be empty; the file itself is left as it is.
    #[arg(long, requires = "recover", value_name = "FILE")]
    from: Option<std::path::PathBuf>,
    /// Print JSON instead of a report.
    #[arg(long)]
    json: bool,
}

pub fn run(args: DoctorArgs) -> Result<()> {
    let dir = args.dir.resolve()?;
    if !dir.is_dir() && args.from.is_none() {
        return Err(CliError::NoDataDir(dir));
    }
    let mut out = std::io::stdout().lock();
    if args.recover {
        let r = doctor::recover(&dir, args.from.as_deref())?;
        if args.json {
            serde_json::to_writer_pretty(&mut out, &r)?;
            writeln!(out)?;
        } else {
            writeln!(out, "the damaged store is kept as {}", r.kept.display())?;
            writeln!(out, "new store: {}", r.database.display())?;
            for t in &r.tables {
                writeln!(
                    out,
                    "  {:<18} {:>8} rows copied{}",
                    t.table,
                    t.copied,
                    if t.unreadable > 0 {
                        format!(", {} unreadable", t.unreadable)
                    } else {
                        String::new()
                    }
                )?;
            }
            writeln!(
                out,
                "recovered {} messages, lost {}; the search index and lint findings are rebuilt at the next start",
                r.recovered, r.lost
            )?;
            writeln!(
                out,
                "the new store {}",
                if r.healthy {
                    "passes the integrity check"
                } else {
                    "FAILS the integrity check"
                }
            )?;
        }
        return if r.healthy {
            Ok(())
        } else {
            Err(CliError::Unhealthy)
        };
    }
    let report = doctor::check(&dir)?;
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(out, "data dir: {}", report.data_dir.display())?;
        for c in &report.checks {
            writeln!(
                out,
                "  {} {:<12} {}",
                if c.ok { "ok  " } else { "FAIL" },
                c.name,
                c.detail
            )?;
        }
        if report.healthy {
            writeln!(out, "healthy")?;
        } else {
            writeln!(
                out,
                "NOT healthy{}",
                if report.checks.iter().any(|c| c.name == "integrity" && !c.ok) {
                    format!(
                        ": stop the server and run `pigeonhole doctor --data-dir {} --recover`",
                        dir.display()
                    )
                } else {
                    String::new()
                }
            )?;
        }
    }
    if report.healthy {
        Ok(())
    } else {
        Err(CliError::Unhealthy)
    }
}
