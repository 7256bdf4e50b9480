//! `pigeonhole show ID`: one message as text, raw bytes, headers, transcript, JSON or its
//! lint findings.

use std::io::Write;

use clap::Args;
use pigeonhole_core::commands;
use pigeonhole_core::model::{Direction, LintReport, MessageId, Severity};

use super::text::{printable, printable_with};
use crate::error::{CliError, Result};
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
    /// Print the full parsed message as JSON (with --lint, --html-check or --links: those
    /// as JSON).
    #[arg(long, conflicts_with_all = ["raw", "headers", "transcript"])]
    json: bool,
    /// Print the lint findings: id, severity, where, why and the RFC section.
    #[arg(long, group = "view")]
    lint: bool,
    /// With --lint: exit 1 when a finding is at least this severe.
    #[arg(long, value_enum, requires = "lint")]
    fail_on: Option<FailOn>,
    /// Print the HTML compatibility report (caniemail data, bundled).
    #[arg(long, group = "view")]
    html_check: bool,
    /// Print every link with its text, flagged: text showing another host, http:, file:,
    /// javascript:, data:.
    #[arg(long, group = "view")]
    links: bool,
}

/// The least severity that fails `show --lint`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        }
    }
}

fn plural(n: u32, one: &str) -> String {
    format!("{n} {one}{}", if n == 1 { "" } else { "s" })
}

/// The findings as text, worst first, each with where, why and the reference.
fn print_lint(out: &mut impl Write, id: MessageId, report: &LintReport) -> Result<()> {
    writeln!(
        out,
        "Message {id}: {}, {}, {} info",
        plural(report.errors, "error"),
        plural(report.warnings, "warning"),
        report.infos
    )?;
    for f in &report.findings {
        let mut at = Vec::new();
        if let Some(h) = &f.location.header {
            at.push(printable(h).into_owned());
        }
        if let Some(l) = f.location.line {
            at.push(format!("line {l}"));
        }
        if let Some(p) = &f.location.part {
            at.push(format!("part {p}"));
        }
        let at = if at.is_empty() {
            String::new()
        } else {
            format!(" ({})", at.join(", "))
        };
        writeln!(out)?;
        writeln!(out, "{:<7} {}{at}", f.severity.as_str(), f.id)?;
        writeln!(out, "        {}", printable(&f.message))?;
        writeln!(out, "        Why: {} [{}]", f.why, f.reference)?;
    }
    Ok(())
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
    if args.lint {
        let report = block_on(async { Ok(commands::lint(&store, id).await?) })?;
        if args.json {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        } else {
            print_lint(&mut out, id, &report)?;
        }
        out.flush()?;
        if let Some(level) = args.fail_on {
            let count = report
                .findings
                .iter()
                .filter(|f| f.severity <= level.severity())
                .count();
            if count > 0 {
                return Err(CliError::LintFailed {
                    id,
                    count,
                    level: level.severity().as_str(),
                });
            }
        }
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
    if let Some(note) = &detail.not_walked {
        writeln!(out, "Not shown: {note}")?;
    }
    writeln!(out)?;
    // The body keeps its lines and tabs; every other control character is shown escaped.
    let text = detail.text.as_deref().unwrap_or("(no text part)");
    writeln!(out, "{}", printable_with(&text.replace("\r\n", "\n"), true))?;
    Ok(())
}
