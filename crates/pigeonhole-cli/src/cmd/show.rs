//! `pigeonhole show ID`: one message as text, raw bytes, headers, transcript or JSON.

use std::io::Write;

use clap::Args;
use pigeonhole_core::commands;
use pigeonhole_core::model::{Direction, MessageId};

use super::text::{printable, printable_with};
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
    /// Print the full parsed message as JSON (with --html-check or --links: those as JSON).
    #[arg(long, conflicts_with_all = ["raw", "headers", "transcript"])]
    json: bool,
    /// Print the HTML compatibility report (caniemail data, bundled).
    #[arg(long, group = "view")]
    html_check: bool,
    /// Print every link with its text, flagged: text showing another host, http:, file:,
    /// javascript:, data:.
    #[arg(long, group = "view")]
    links: bool,
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
    if args.html_check {
        return super::show_checks::html_check(&store, id, args.json, &mut out);
    }
    if args.links {
        return super::show_checks::links(&store, id, args.json, &mut out);
    }
    let detail = block_on(async { Ok(commands::get_message(&store, id).await?) })?;
    if args.json {
        serde_json::to_writer_pretty(&mut out, &detail)?;
        writeln!(out)?;
        return Ok(());
    }
    if args.headers {
        for h in &detail.headers {
            writeln!(out, "{}: {}", printable(&h.name), printable(&h.raw))?;
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
                printable(&line.text)
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
    writeln!(out, "MAIL FROM: <{}>", printable(&e.mail_from))?;
    for r in &e.rcpt_to {
        writeln!(out, "RCPT TO:   <{}>", printable(&r.address))?;
    }
    if !e.bcc.is_empty() {
        writeln!(out, "Bcc:       {}", printable(&e.bcc.join(", ")))?;
    }
    writeln!(out, "Subject:   {}", printable(&detail.summary.subject))?;
    let s = &detail.summary;
    if let Some(user) = &s.auth_user {
        writeln!(out, "AUTH user: {}", printable(user))?;
    }
    if s.listener != pigeonhole_core::smtp::DEFAULT_LISTENER {
        writeln!(out, "Listener:  {}", printable(&s.listener))?;
    }
    if !s.tags.is_empty() || s.pinned {
        let mut marks: Vec<String> = s
            .tags
            .iter()
            .map(|t| format!("#{}", printable(t)))
            .collect();
        if s.pinned {
            marks.insert(0, "pinned".into());
        }
        writeln!(out, "Tags:      {}", marks.join(" "))?;
    }
    for a in &detail.attachments {
        writeln!(
            out,
            "Attached:  {} ({}, {} bytes)",
            printable(&a.filename),
            printable(&a.content_type),
            a.size
        )?;
    }
    writeln!(out)?;
    // The body keeps its lines and tabs; every other control character is shown escaped.
    let text = detail.text.as_deref().unwrap_or("(no text part)");
    writeln!(out, "{}", printable_with(&text.replace("\r\n", "\n"), true))?;
    Ok(())
}
