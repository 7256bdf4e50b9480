//! `pigeonhole list`: captured messages, newest first, as a table or as JSON.

use std::io::Write;

use clap::Args;
use pigeonhole_core::commands;
use pigeonhole_core::model::{ListQuery, MessageSummary};

use crate::error::Result;
use crate::{block_on, DataDir};

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    dir: DataDir,
    /// Print JSON (one array of message summaries, the window's and API's shape).
    #[arg(long)]
    json: bool,
    /// At most this many messages.
    #[arg(long, default_value_t = 50)]
    limit: u64,
}

pub fn run(args: ListArgs) -> Result<()> {
    let store = args.dir.open()?;
    let (messages, total) = block_on(async {
        // The command layer bounds each page; walk pages until `limit` is reached.
        let mut messages: Vec<MessageSummary> = Vec::new();
        let mut total = 0;
        while (messages.len() as u64) < args.limit {
            let page = commands::list(
                &store,
                ListQuery {
                    offset: messages.len() as u64,
                    limit: args.limit - messages.len() as u64,
                    ..Default::default()
                },
            )
            .await?;
            total = page.total;
            if page.messages.is_empty() {
                break;
            }
            messages.extend(page.messages);
        }
        Ok((messages, total))
    })?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &messages)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>6}  {:<19}  {:<28}  {:<28}  {:>8}  SUBJECT",
        "ID", "RECEIVED", "FROM", "TO", "SIZE"
    )?;
    for m in &messages {
        let local = m
            .received_at
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S");
        let from = if m.mail_from.is_empty() {
            "<>"
        } else {
            &m.mail_from
        };
        writeln!(
            out,
            "{:>6}  {:<19}  {:<28}  {:<28}  {:>8}  {}",
            m.id,
            local,
            clip(from, 28),
            clip(&m.rcpt_to.join(", "), 28),
            m.size,
            m.subject
        )?;
    }
    if total > messages.len() as u64 {
        writeln!(
            out,
            "({} of {} messages; use --limit)",
            messages.len(),
            total
        )?;
    }
    Ok(())
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}
