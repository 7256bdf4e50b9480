//! `pigeonhole get ID --links | --codes`: what a test follows or types from a message.

use std::io::Write;

use clap::Args;
use pigeonhole_core::commands;
use pigeonhole_core::model::{MessageFilter, MessageId};

use super::text::printable;
use crate::error::{CliError, Result};
use crate::{block_on, DataDir};

#[derive(Args)]
#[group(id = "what", required = true, multiple = false)]
pub struct GetArgs {
    /// Message id (from `list`), or `latest`.
    id: String,
    #[command(flatten)]
    dir: DataDir,
    /// Every link in the HTML and text parts, each once: URL, a tab, the anchor text.
    #[arg(long, group = "what")]
    links: bool,
    /// One-time codes: the code, a tab, the sentence it came from.
    #[arg(long, group = "what")]
    codes: bool,
    /// Print JSON instead.
    #[arg(long)]
    json: bool,
}

pub fn run(args: GetArgs) -> Result<()> {
    let store = args.dir.open()?;
    let id = block_on(async {
        if args.id.eq_ignore_ascii_case("latest") {
            return commands::latest(&store, MessageFilter::default())
                .await?
                .ok_or_else(|| {
                    CliError::Usage("there are no messages, so none is the latest".into())
                });
        }
        args.id.parse::<MessageId>().map_err(|_| {
            CliError::Usage(format!(
                "\"{}\" is not a message id (a number, or latest)",
                args.id
            ))
        })
    })?;
    let mut out = std::io::stdout().lock();
    if args.links {
        let links = block_on(async { Ok(commands::links(&store, id).await?) })?;
        if args.json {
            serde_json::to_writer_pretty(&mut out, &links)?;
            writeln!(out)?;
        } else {
            for l in &links {
                writeln!(out, "{}\t{}", printable(&l.url), printable(&l.text))?;
            }
        }
    } else {
        let codes = block_on(async { Ok(commands::codes(&store, id).await?) })?;
        if args.json {
            serde_json::to_writer_pretty(&mut out, &codes)?;
            writeln!(out)?;
        } else {
            for c in &codes {
                writeln!(out, "{}\t{}", printable(&c.code), printable(&c.context))?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
