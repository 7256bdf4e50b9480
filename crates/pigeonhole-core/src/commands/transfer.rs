//! Import and export: mail from `.eml`, mbox and Maildir into the store through the same
//! summarise / tag / writer path as SMTP, and stored bytes out as `.eml`, mboxrd or Maildir.
//!
//! Imported mail is filed under the listener `import` (`config::IMPORT_LISTENER`, searched
//! with `is:imported`). There was no SMTP session: each import is one pseudo-session with an
//! id below zero, whose transcript has one line per message saying which file and byte
//! offset it came from. `received_at` is the time of the import (so retention by age does
//! not delete an old mailbox the moment it arrives); the Date header keeps the sent time.

use std::collections::VecDeque;
use std::io::{BufReader, Cursor, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use super::{blocking, CommandError, Result};
use crate::config::IMPORT_LISTENER;
use crate::model::{
    Direction, ExportFormat, ExportReport, ImportProblem, ImportReport, MessageFilter, MessageId,
    SessionSummary, TranscriptLine,
};
use crate::store::{NewMessage, Store, StoreError};
use crate::transfer::{self, eml, maildir, mbox, Kind};

/// Messages queued to the writer at once: enough that they share commits.
const IN_FLIGHT: usize = 128;
/// How deep a folder import goes into subfolders.
const MAX_DEPTH: usize = 8;

/// Something to import.
#[derive(Debug, Clone)]
pub enum ImportSource {
    /// A file (eml or mbox, told apart by content) or a directory (a Maildir, or a folder
    /// whose files are each imported).
    Path(PathBuf),
    /// Bytes from a request, eml or mbox; `name` is how problems refer to it.
    Bytes { name: String, bytes: Vec<u8> },
}

/// How an import runs.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The largest message taken (the configured `max_message_size`).
    pub max_size: usize,
    /// Who asked, for the transcript: "pigeonhole import", "the window", an HTTP client.
    pub peer: String,
    /// How, for the transcript: "file import", "drop on the window", "HTTP POST /api/v1/import".
    pub via: String,
    /// Tags every imported message gets, beyond those it names in X-Tags.
    pub tags: Vec<String>,
    /// How mbox `>From ` quoting is read back.
    pub flavor: mbox::Flavor,
}

impl ImportOptions {
    pub fn new(max_size: usize, peer: impl Into<String>, via: impl Into<String>) -> Self {
        ImportOptions {
            max_size,
            peer: peer.into(),
            via: via.into(),
            tags: Vec::new(),
            flavor: mbox::Flavor::Rd,
        }
    }
}

/// Imports every source, in order, and reports what it stored and what it could not (a
/// problem never stops the rest). Resolves once every stored message is committed and
/// in the search index, so a search right after it finds them.
pub async fn import(
    store: &Store,
    sources: Vec<ImportSource>,
    opts: ImportOptions,
) -> Result<ImportReport> {
    let mut extra = Vec::new();
    for t in &opts.tags {
        extra
            .push(crate::message::normalize_tag(t).ok_or_else(|| CommandError::BadTag(t.clone()))?);
    }
    let report = blocking(store, move |s| {
        let mut run = Importer::new(s, opts, extra)?;
        for source in &sources {
            run.source(source);
        }
        run.finish()
    })
    .await?;
    store.sync_index().await?;
    Ok(report)
}

/// One import run: its pseudo-session, the messages in flight, and the report so far.
struct Importer<'a> {
    store: &'a Store,
    opts: ImportOptions,
    tags: Vec<String>,
    session: SessionSummary,
    /// Transcript lines written so far.
    lines: usize,
    in_flight: VecDeque<(String, oneshot::Receiver<crate::store::Result<i64>>, bool)>,
    /// Ids of messages a Maildir marked seen, marked read at the end.
    seen: Vec<MessageId>,
    report: ImportReport,
}

impl<'a> Importer<'a> {
    fn new(store: &'a Store, opts: ImportOptions, tags: Vec<String>) -> Result<Importer<'a>> {
        let now = Utc::now();
        let session = SessionSummary {
            id: store.import_session_id()?,
            peer: opts.peer.clone(),
            local: IMPORT_LISTENER.to_string(),
            started_at: now,
            ended_at: None,
            helo: None,
            tls: None,
            auth: None,
            message_count: 0,
            last_code: None,
            refusals: 0,
            aborted_messages: 0,
            tls_failed: false,
            auth_failures: 0,
            faults: 0,
        };
        let mut run = Importer {
            store,
            tags,
            session,
            lines: 0,
            in_flight: VecDeque::new(),
            seen: Vec::new(),
            report: ImportReport::default(),
            opts,
        };
        let first = format!(
            "Import by {} ({}); no SMTP session: the envelope comes from the mbox From_ line \
             or the Return-Path, X-Original-To and Delivered-To headers, else From/To/Cc/Bcc",
            run.opts.peer, run.opts.via
        );
        run.note(first);
        run.report.session_id = Some(run.session.id);
        Ok(run)
    }

    fn line(&self, text: String) -> TranscriptLine {
        TranscriptLine {
            ts: Utc::now(),
            dir: Direction::Info,
            text,
        }
    }

    /// A transcript line with no message.
    fn note(&mut self, text: String) {
        let line = self.line(text);
        self.store
            .update_session(self.session.clone(), self.lines, vec![line], false);
        self.lines += 1;
    }

    fn problem(&mut self, source: &str, index: Option<u64>, offset: Option<u64>, reason: String) {
        let at = match (index, offset) {
            (Some(i), Some(o)) => format!(" message {i} at byte {o}"),
            (None, Some(o)) => format!(" at byte {o}"),
            _ => String::new(),
        };
        self.note(format!("not imported: {source}{at}: {reason}"));
        self.report.problems.push(ImportProblem {
            source: source.to_string(),
            index,
            offset,
            reason,
        });
    }

    fn source(&mut self, source: &ImportSource) {
        match source {
            ImportSource::Path(p) => self.path(p, 0),
            ImportSource::Bytes { name, bytes } => {
                let kind = transfer::detect::sniff(
                    &bytes[..bytes.len().min(64 * 1024)],
                    name.ends_with(".mbox"),
                );
                match kind {
                    Kind::Mbox => self.mbox(name, Cursor::new(bytes)),
                    _ => self.eml(name, Cursor::new(bytes), false),
                }
            }
        }
    }

    fn path(&mut self, path: &Path, depth: usize) {
        let name = path.display().to_string();
        let kind = match transfer::detect(path) {
            Ok(k) => k,
            Err(e) => return self.problem(&name, None, None, io_reason(&e)),
        };
        match kind {
            Kind::Eml | Kind::Mbox => match std::fs::File::open(path) {
                Err(e) => self.problem(&name, None, None, io_reason(&e)),
                Ok(f) if kind == Kind::Mbox => self.mbox(&name, BufReader::new(f)),
                Ok(f) => self.eml(&name, f, false),
            },
            Kind::Maildir => match maildir::message_files(path) {
                Err(e) => self.problem(&name, None, None, io_reason(&e)),
                Ok(files) => {
                    for f in files {
                        let seen = maildir::flags(&f).contains('S');
                        let fname = f.display().to_string();
                        match std::fs::File::open(&f) {
                            Ok(file) => self.eml(&fname, file, seen),
                            Err(e) => self.problem(&fname, None, None, io_reason(&e)),
                        }
                    }
                }
            },
            Kind::Folder if depth >= MAX_DEPTH => self.problem(
                &name,
                None,
                None,
                format!("more than {MAX_DEPTH} folders deep; not imported"),
            ),
            Kind::Folder => {
                let entries = std::fs::read_dir(path).and_then(|d| {
                    d.map(|e| e.map(|e| e.path()))
                        .collect::<std::io::Result<Vec<_>>>()
                });
                match entries {
                    Err(e) => self.problem(&name, None, None, io_reason(&e)),
                    Ok(mut entries) => {
                        entries.sort();
                        for e in entries {
                            let hidden = e
                                .file_name()
                                .and_then(|n| n.to_str())
                                .is_some_and(|n| n.starts_with('.'));
                            if !hidden {
                                self.path(&e, depth + 1);
                            }
                        }
                    }
                }
            }
        }
    }

    fn eml(&mut self, name: &str, input: impl Read, seen: bool) {
        match eml::read(input, self.opts.max_size) {
            Ok(raw) => self.message(name.to_string(), raw, None, seen),
            Err(e) => self.problem(name, None, None, e.to_string()),
        }
    }

    fn mbox(&mut self, name: &str, input: impl std::io::BufRead) {
        let reader = mbox::Reader::new(input, self.opts.flavor, self.opts.max_size);
        for entry in reader {
            match entry {
                Ok(mbox::Entry::Message(m)) => {
                    let origin = format!("{name} message {} at byte {}", m.index, m.offset);
                    self.message(origin, m.raw, Some(m.sender.unwrap_or_default()), false);
                }
                Ok(mbox::Entry::Problem(p)) => {
                    self.problem(name, p.index, Some(p.offset), p.reason)
                }
                Err(e) => {
                    // A read error ends this file; what was read is kept.
                    self.problem(name, None, None, io_reason(&e));
                    return;
                }
            }
        }
    }

    /// One message through the ingest path: summary, tags, then the writer.
    fn message(&mut self, origin: String, raw: Vec<u8>, sender: Option<String>, seen: bool) {
        let envelope = transfer::envelope::guess(&raw, sender.as_deref());
        let parsed = crate::message::summarize(&raw);
        let mut tags = crate::message::tags_for(&envelope, &parsed);
        for t in &self.tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        tags.sort();
        let rcpts: Vec<&str> = envelope
            .rcpt_to
            .iter()
            .map(|r| r.address.as_str())
            .collect();
        let line = self.line(format!(
            "{origin}: MAIL FROM:<{}> RCPT TO:<{}> [{} bytes]",
            envelope.mail_from,
            rcpts.join(">, <"),
            raw.len()
        ));
        self.session.message_count += 1;
        let first_line = self.lines;
        self.lines += 1;
        let msg = NewMessage {
            session: self.session.clone(),
            first_line,
            lines: vec![line],
            envelope,
            raw,
            parsed,
            received_at: Utc::now(),
            transcript_range: (first_line, first_line + 1),
            auth_user: None,
            listener: IMPORT_LISTENER.to_string(),
            tags,
        };
        match self.store.deliver_queued(msg) {
            Ok(rx) => self.in_flight.push_back((origin, rx, seen)),
            Err(e) => self.failed(&origin, e),
        }
        while self.in_flight.len() >= IN_FLIGHT {
            self.settle_one();
        }
    }

    fn failed(&mut self, origin: &str, e: StoreError) {
        self.report.problems.push(ImportProblem {
            source: origin.to_string(),
            index: None,
            offset: None,
            reason: format!("could not be stored: {e}"),
        });
    }

    /// Waits for the oldest message in flight to be committed.
    fn settle_one(&mut self) {
        let Some((origin, rx, seen)) = self.in_flight.pop_front() else {
            return;
        };
        match rx.blocking_recv() {
            Ok(Ok(id)) => {
                self.report.imported += 1;
                self.report.ids.push(id);
                if seen {
                    self.seen.push(id);
                }
            }
            Ok(Err(e)) => self.failed(&origin, e),
            Err(_) => self.failed(&origin, StoreError::WriterGone),
        }
    }

    fn finish(mut self) -> Result<ImportReport> {
        while !self.in_flight.is_empty() {
            self.settle_one();
        }
        if !self.seen.is_empty() {
            let ids = std::mem::take(&mut self.seen);
            let store = self.store.clone();
            // We are on the blocking pool: wait for the writer without an executor.
            block_on_store(store.mark_read(ids, true))?;
        }
        let problems = self.report.problems.len();
        self.session.ended_at = Some(Utc::now());
        let summary = format!(
            "imported {} message{}; {problems} problem{}",
            self.report.imported,
            if self.report.imported == 1 { "" } else { "s" },
            if problems == 1 { "" } else { "s" },
        );
        let line = self.line(summary);
        self.store
            .update_session(self.session.clone(), self.lines, vec![line], true);
        Ok(self.report)
    }
}

/// Runs a store future to its end on this (blocking-pool) thread.
fn block_on_store<T>(f: impl std::future::Future<Output = crate::store::Result<T>>) -> Result<T> {
    let rt = tokio::runtime::Handle::current();
    Ok(rt.block_on(f)?)
}

/// An I/O error as a sentence a person can act on.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Which messages an export writes.
#[derive(Debug, Clone)]
pub enum ExportSelection {
    /// These messages; each must exist.
    Ids(Vec<MessageId>),
    /// Every message a filter matches.
    Filter(MessageFilter),
}

/// The ids to export, oldest first (an mbox reads in arrival order); unknown ids fail
/// before anything is written.
async fn export_ids(store: &Store, selection: ExportSelection) -> Result<Vec<MessageId>> {
    let mut ids = match selection {
        ExportSelection::Ids(ids) => {
            let found = super::summaries(store, ids.clone()).await?;
            if let Some(missing) = ids.iter().find(|id| !found.iter().any(|m| m.id == **id)) {
                return Err(CommandError::NoMessage(*missing));
            }
            ids
        }
        ExportSelection::Filter(f) => super::ids(store, f, 0, 0).await?,
    };
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// How many summaries are read at once while exporting.
const EXPORT_CHUNK: usize = 256;

/// Calls `each(id, received_at, mail_from, read, raw)` for every message, oldest first,
/// holding one message's bytes at a time.
fn for_each_message(
    store: &Store,
    ids: &[MessageId],
    mut each: impl FnMut(MessageId, DateTime<Utc>, &str, bool, &[u8]) -> Result<()>,
) -> Result<()> {
    for chunk in ids.chunks(EXPORT_CHUNK) {
        let mut summaries = store.summaries(chunk)?;
        summaries.sort_by_key(|s| s.id);
        for s in summaries {
            // A message deleted since the ids were read is skipped.
            let raw = match store.raw(s.id) {
                Ok(r) => r,
                Err(StoreError::NoMessage(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            each(s.id, s.received_at, &s.mail_from, s.read, &raw)?;
        }
    }
    Ok(())
}

/// Writes the selection as one mboxrd stream into `out` (a file, standard output, an
/// HTTP body), one message in memory at a time. `path` is what the report calls `out`.
pub async fn export_mbox(
    store: &Store,
    selection: ExportSelection,
    out: Box<dyn Write + Send>,
    path: String,
) -> Result<ExportReport> {
    let ids = export_ids(store, selection).await?;
    blocking(store, move |s| {
        let mut w = mbox::Writer::new(std::io::BufWriter::new(out));
        let mut report = ExportReport {
            path: path.clone(),
            ..ExportReport::default()
        };
        for_each_message(s, &ids, |_, at, from, _, raw| {
            w.write(from, at, raw).map_err(|e| io_error(&path, e))?;
            report.exported += 1;
            report.bytes += raw.len() as u64;
            Ok(())
        })?;
        w.flush().map_err(|e| io_error(&path, e))?;
        Ok(report)
    })
    .await
}

/// Writes the selection into the folder `dir` (created if needed): one `.eml` per message
/// named `ID-Subject.eml`, or a Maildir whose read messages carry the seen flag.
pub async fn export_dir(
    store: &Store,
    selection: ExportSelection,
    dir: PathBuf,
    format: ExportFormat,
) -> Result<ExportReport> {
    let ids = export_ids(store, selection).await?;
    blocking(store, move |s| {
        let shown = dir.display().to_string();
        let mut report = ExportReport {
            path: shown.clone(),
            ..ExportReport::default()
        };
        let mut md = match format {
            ExportFormat::Maildir => {
                Some(maildir::Writer::create(&dir).map_err(|e| io_error(&shown, e))?)
            }
            ExportFormat::Eml => {
                std::fs::create_dir_all(&dir).map_err(|e| io_error(&shown, e))?;
                None
            }
            ExportFormat::Mbox => {
                return Err(CommandError::Invalid(
                    "an mbox is one file: use export_mbox".into(),
                ))
            }
        };
        let mut names = std::collections::HashMap::new();
        for chunk in ids.chunks(EXPORT_CHUNK) {
            for m in s.summaries(chunk)? {
                names.insert(m.id, super::eml_file_name(&m));
            }
        }
        for_each_message(s, &ids, |id, _, _, read, raw| {
            match md.as_mut() {
                Some(w) => {
                    w.write(id, raw, read).map_err(|e| io_error(&shown, e))?;
                }
                None => {
                    let name = names
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| "message.eml".into());
                    let file = dir.join(format!("{id:06}-{name}"));
                    std::fs::write(&file, raw)
                        .map_err(|e| io_error(&file.display().to_string(), e))?;
                }
            }
            report.exported += 1;
            report.bytes += raw.len() as u64;
            Ok(())
        })?;
        Ok(report)
    })
    .await
}

fn io_error(path: &str, source: std::io::Error) -> CommandError {
    CommandError::Io {
        path: path.to_string(),
        source,
    }
}
