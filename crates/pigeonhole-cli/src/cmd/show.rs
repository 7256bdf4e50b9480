//! `pigeonhole show ID`: one message as text, raw bytes, headers, transcript or JSON.

use std::io::Write;

use clap::Args;
use pigeonhole_core::commands;
use pigeonhole_core::model::{Direction, MessageId};

use crate::error::Result;
use crate::{block_on, DataDir};

#[derive(Args)]
pub struct ShowArgs {
    /// Message id (from `list`).
    id: MessageId,
    #[command(flatten)]
    dir: DataDir,
    /// Write the exact stored bytes.
    #[arg(long, group = "view")]
    raw: bool,
    /// Print the headers only.
    #[arg(long, group = "view")]
    headers: bool,
    /// Print the SMTP session transcript.
    #[arg(long, group = "view")]
    transcript: bool,
    /// Print the full parsed message as JSON.
    #[arg(long, group = "view")]
    json: bool,
}

pub fn run(args: ShowArgs) -> Result<()> {
    let store = args.dir.open()?;
    let id = args.id;
    let mut out = std::io::stdout().lock();
    if args.raw {
        let bytes = block_on(async { Ok(commands::raw(&store, id).await?) })?;
        out.write_all(&bytes)?;
        out.flush()?;
        return Ok(());
    }
    let detail = block_on(async { Ok(commands::get_message(&store, id).await?) })?;
    if args.json {
        serde_json::to_writer_pretty(&mut out, &detail)?;
        writeln!(out)?;
        return Ok(());
    }
    if args.headers {
        for h in &detail.headers {
            writeln!(out, "{}: {}", h.name, h.raw)?;
        }
        return Ok(());
    }
    if args.transcript {
        let session = detail.summary.session_id;
        let t = block_on(async { Ok(commands::transcript(&store, session).await?) })?;
        let (first, end) = detail.transcript_range;
        for (i, line) in t.lines.iter().enumerate() {
            let arrow = match line.dir {
                Direction::In => "C:",
                Direction::Out => "S:",
                Direction::Info => "--",
            };
            let mark = if i >= first && i < end { '*' } else { ' ' };
            writeln!(
                out,
                "{mark} {} {arrow} {}",
                line.ts.format("%H:%M:%S%.3f"),
                line.text
            )?;
        }
        return Ok(());
    }
    let e = &detail.envelope;
    writeln!(
        out,
        "Message {}  ({} bytes, received {})",
        id, detail.summary.size, detail.summary.received_at
    )?;
    writeln!(out, "MAIL FROM: <{}>", e.mail_from)?;
    for r in &e.rcpt_to {
        writeln!(out, "RCPT TO:   <{}>", r.address)?;
    }
    if !e.bcc.is_empty() {
        writeln!(out, "Bcc:       {}", e.bcc.join(", "))?;
    }
    writeln!(out, "Subject:   {}", detail.summary.subject)?;
    for a in &detail.attachments {
        writeln!(
            out,
            "Attached:  {} ({}, {} bytes)",
            a.filename, a.content_type, a.size
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        detail.text.as_deref().unwrap_or("(no text part)")
    )?;
    Ok(())
}
