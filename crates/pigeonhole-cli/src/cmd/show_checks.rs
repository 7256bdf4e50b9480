//! `pigeonhole show ID --html-check` and `--links`, each as text or, with `--json`, as the
//! core types' JSON.

use std::io::Write;

use pigeonhole_core::commands;
use pigeonhole_core::model::{HtmlCheck, Link, LinkFlag, MessageId, Support};
use pigeonhole_core::store::Store;

use super::text::printable;
use crate::block_on;
use crate::error::Result;

/// The HTML compatibility report: the score, then each feature that some client lacks.
pub fn html_check(store: &Store, id: MessageId, json: bool, out: &mut impl Write) -> Result<()> {
    let check = block_on(async { Ok(commands::html_check(store, id).await?) })?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &check)?;
        writeln!(out)?;
        return Ok(());
    }
    write_report(&check, out)
}

fn write_report(c: &HtmlCheck, out: &mut impl Write) -> Result<()> {
    let t = &c.total;
    writeln!(
        out,
        "HTML check: {:.1}% supported, {:.1}% partial, {:.1}% unsupported ({} features in {} elements)",
        t.supported,
        t.partial,
        t.unsupported,
        c.features.len(),
        t.nodes
    )?;
    writeln!(out, "Data: {}", c.data_version)?;
    let (issues, fine): (Vec<_>, Vec<_>) = c
        .features
        .iter()
        .partition(|f| f.unsupported_clients + f.partial_clients > 0 || f.score.unsupported > 0.0);
    if !issues.is_empty() {
        writeln!(out)?;
        writeln!(out, "{:>5} {:>5} {:>5}  feature", "no", "part", "used")?;
    }
    for f in &issues {
        writeln!(
            out,
            "{:>5} {:>5} {:>5}  {}  {}",
            f.unsupported_clients,
            f.partial_clients,
            f.found,
            printable(&f.title),
            f.url
        )?;
        let lacking: Vec<&str> = f
            .results
            .iter()
            .filter(|r| r.latest && r.support == Support::No)
            .map(|r| r.name.as_str())
            .collect();
        if !lacking.is_empty() {
            writeln!(out, "{:19}not supported: {}", "", lacking.join(", "))?;
        }
    }
    if !fine.is_empty() {
        let names: Vec<String> = fine
            .iter()
            .map(|f| printable(&f.title).into_owned())
            .collect();
        writeln!(out)?;
        writeln!(out, "Supported everywhere tested: {}", names.join(", "))?;
    }
    Ok(())
}

/// Every link with its text and flags, `javascript:` and `data:` ones included.
pub fn links(store: &Store, id: MessageId, json: bool, out: &mut impl Write) -> Result<()> {
    let links = block_on(async { Ok(commands::all_links(store, id).await?) })?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &links)?;
        writeln!(out)?;
        return Ok(());
    }
    for l in &links {
        writeln!(out, "{}", link_line(l))?;
    }
    Ok(())
}

fn link_line(l: &Link) -> String {
    let flags: Vec<String> = l
        .flags
        .iter()
        .map(|f| match f {
            LinkFlag::Mismatch => format!(
                "MISMATCH(text shows {})",
                printable(l.shown_host.as_deref().unwrap_or("?"))
            ),
            LinkFlag::Insecure => "HTTP".into(),
            LinkFlag::File => "FILE".into(),
            LinkFlag::Script => "SCRIPT".into(),
            LinkFlag::Data => "DATA".into(),
        })
        .collect();
    let mut line = printable(&l.url).into_owned();
    if !l.text.is_empty() {
        line.push_str(&format!("  \"{}\"", printable(&l.text)));
    }
    if !flags.is_empty() {
        line = format!("{}  {line}", flags.join(" "));
    }
    line
}
