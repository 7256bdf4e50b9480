//! `pigeonhole list`: the messages a query matches, newest first, as a table or as JSON.

use std::io::Write;

use clap::Args;
use pigeonhole_core::commands;
use pigeonhole_core::model::MessageSummary;

use super::filter::FilterArgs;
use super::text::{clip, printable};
use crate::error::Result;
use crate::{block_on, DataDir};

/// Summaries read per step while streaming, so memory stays flat on a large store.
const CHUNK: usize = 1000;

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    dir: DataDir,
    #[command(flatten)]
    filter: FilterArgs,
    /// Print JSON (one array of message summaries, the window's and API's shape).
    #[arg(long)]
    json: bool,
    /// Skip this many of the newest matches.
    #[arg(long, default_value_t = 0)]
    offset: u64,
    /// At most this many messages; 0 lists every match.
    #[arg(long, default_value_t = 50)]
    limit: u64,
}

pub fn run(args: ListArgs) -> Result<()> {
    let store = args.dir.open()?;
    let filter = args.filter.checked()?;
    // One snapshot of the matching ids, then the summaries in chunks: no page cap, and
    // mail arriving meanwhile neither shifts nor repeats rows.
    let (ids, total) = block_on(async {
        let ids = commands::ids(&store, filter.clone(), args.offset, args.limit).await?;
        let total = commands::count(&store, filter).await?.total;
        Ok((ids, total))
    })?;
    let mut out = std::io::stdout().lock();
    if args.json {
        out.write_all(b"[")?;
        let mut first = true;
        for chunk in ids.chunks(CHUNK) {
            let rows = block_on(async { Ok(commands::summaries(&store, chunk.to_vec()).await?) })?;
            for m in rows {
                out.write_all(if first { b"\n  " } else { b",\n  " })?;
                first = false;
                serde_json::to_writer(&mut out, &m)?;
            }
        }
        out.write_all(if first { b"]\n" } else { b"\n]\n" })?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>6}  {:<19}  {:<28}  {:<28}  {:>8}  SUBJECT",
        "ID", "RECEIVED", "FROM", "TO", "SIZE"
    )?;
    for chunk in ids.chunks(CHUNK) {
        let rows = block_on(async { Ok(commands::summaries(&store, chunk.to_vec()).await?) })?;
        for m in &rows {
            row(&mut out, m)?;
        }
    }
    let shown = ids.len() as u64;
    if shown < total {
        let (first, last) = (args.offset + 1, args.offset + shown);
        if shown == 0 {
            writeln!(
                out,
                "(none of {total} matching messages past --offset {})",
                args.offset
            )?;
        } else {
            writeln!(
                out,
                "({first}-{last} of {total} matching messages; --limit 0 lists all, --offset pages)"
            )?;
        }
    } else {
        writeln!(out, "({total} matching messages)")?;
    }
    Ok(())
}

fn row(out: &mut impl Write, m: &MessageSummary) -> std::io::Result<()> {
    let local = m
        .received_at
        .with_timezone(&chrono::Local)
        .format("%Y-%m-%d %H:%M:%S");
    let from = if m.mail_from.is_empty() {
        "<>"
    } else {
        &m.mail_from
    };
    let mut subject = printable(&m.subject).into_owned();
    if m.pinned {
        subject.insert_str(0, "[pinned] ");
    }
    if !m.tags.is_empty() {
        subject.push_str(&format!("  #{}", m.tags.join(" #")));
    }
    writeln!(
        out,
        "{:>6}  {:<19}  {:<28}  {:<28}  {:>8}  {}",
        m.id,
        local,
        clip(&printable(from), 28),
        clip(&printable(&m.rcpt_to.join(", ")), 28),
        m.size,
        printable(&subject)
    )
}
