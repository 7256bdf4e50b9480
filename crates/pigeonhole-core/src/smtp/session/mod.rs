//! The SMTP session: a pure state machine from input bytes to replies and actions.
//!
//! `Session::advance` consumes bytes from a buffer and yields one `Output` at a time. It
//! never touches a socket or the store, so every RFC rule is testable with byte strings.
//! Two outputs need the caller before the session can go on: `Deliver` (commit, then call
//! `delivered`) and `StartTls` (handshake, then call `tls_started`).
//!
//! This file holds the state and the dispatch; each verb family has its own file
//! (`ehlo`, `mail`, `rcpt`, `data`, `auth`, `starttls`, `other`), and every handler starts
//! by calling `hook` with its `Stage`, the one place fault rules will plug in.

mod auth;
mod data;
mod ehlo;
mod mail;
mod other;
mod rcpt;
mod stage;
mod starttls;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::{Buf, BytesMut};

use super::auth::AuthPolicy;
use super::command::{self, Command, CommandError};
use super::data::DataReceiver;
use super::reply::{code, Reply};
use super::transcript::Recorder;
use crate::model::{AuthInfo, Direction, Envelope, Recipient, TlsInfo};

pub use stage::Stage;

/// AUTH lines may be far longer than commands (RFC 4954 §4 allows 12288 octets).
const AUTH_LINE_LIMIT: usize = 12_288;

/// What a session needs to know about the server it runs in.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Our name, in the greeting and EHLO reply.
    pub hostname: String,
    /// Largest message accepted, advertised as SIZE.
    pub max_message_size: usize,
    pub max_recipients: usize,
    /// Longest command line, CRLF included (RFC 5321 §4.5.3.1.4: 512).
    pub max_line_length: usize,
    /// Offer STARTTLS (a certificate is loaded).
    pub starttls: bool,
    pub auth: AuthPolicy,
    /// Record AUTH secrets in the transcript verbatim instead of masking them.
    pub show_passwords: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            hostname: "pigeonhole.localhost".into(),
            max_message_size: 25 * 1024 * 1024,
            max_recipients: 1000,
            max_line_length: 512,
            starttls: false,
            auth: AuthPolicy::Any,
            show_passwords: false,
        }
    }
}

/// A complete message, ready to be committed.
#[derive(Debug)]
pub struct Delivery {
    pub envelope: Envelope,
    /// The exact bytes after dot-unstuffing (DATA) or as chunked (BDAT).
    pub raw: Vec<u8>,
    /// Transcript lines `[first, end)` that belong to this message; `end` already counts
    /// the 250 reply that will follow the commit.
    pub transcript_first: usize,
    pub transcript_end: usize,
}

#[derive(Debug)]
pub enum Output {
    Reply(Reply),
    /// Commit this message, then call `Session::delivered`.
    Deliver(Delivery),
    /// Flush replies, discard any buffered input, handshake, then call `tls_started`.
    StartTls,
    /// Flush replies and close the connection.
    Close,
}

#[derive(Debug)]
enum Mode {
    Command,
    Data(DataReceiver),
    Bdat {
        size: u64,
        remaining: u64,
        last: bool,
        reject: Option<Reply>,
    },
    Auth(AuthStep),
    /// Waiting for the caller: `delivered` or `tls_started`.
    Suspended,
    Closed,
}

#[derive(Debug)]
enum AuthStep {
    Plain,
    LoginUser,
    LoginPassword { user: String },
    CramMd5 { challenge: String },
}

#[derive(Debug, Default)]
struct Transaction {
    mail_from: String,
    mail_params: Vec<(String, String)>,
    rcpt_to: Vec<Recipient>,
    /// BDAT chunks so far; non-empty `Some` once BDAT has been used in this transaction.
    chunks: Option<Vec<u8>>,
    smtputf8: bool,
    binarymime: bool,
    /// Transcript index of the MAIL command, for the message's highlighted range.
    transcript_first: usize,
}

pub struct Session {
    cfg: Arc<SessionConfig>,
    /// The client's HELO/EHLO name and whether it used EHLO.
    helo: Option<(String, bool)>,
    tls: Option<TlsInfo>,
    auth: Option<AuthInfo>,
    txn: Option<Transaction>,
    mode: Mode,
    pending: VecDeque<Output>,
    transcript: Recorder,
    /// Set while discarding the rest of an over-long command line.
    skipping_long_line: bool,
    last_code: Option<u16>,
    messages: u32,
    /// What went wrong, for the session's summary (see `model::SessionSummary`).
    problems: Problems,
    /// An AUTH command is awaiting its final reply: the next reply other than a 334
    /// challenge decides whether it failed.
    auth_pending: bool,
    /// Every stage `hook` was called with, in order, so tests can see that each is reached.
    #[cfg(test)]
    stages: Vec<Stage>,
}

impl Session {
    pub fn new(cfg: Arc<SessionConfig>) -> Self {
        Session {
            cfg,
            helo: None,
            tls: None,
            auth: None,
            txn: None,
            mode: Mode::Command,
            pending: VecDeque::new(),
            transcript: Recorder::default(),
            skipping_long_line: false,
            last_code: None,
            messages: 0,
            problems: Problems::default(),
            auth_pending: false,
            #[cfg(test)]
            stages: Vec::new(),
        }
    }

    /// The 220 greeting. Record it before anything else.
    pub fn greeting(&mut self) -> Reply {
        let r = self
            .hook(Stage::Connect)
            .unwrap_or_else(|| Reply::greeting(&self.cfg.hostname));
        self.record_reply(&r);
        r
    }

    /// A 421 that ends the session (shutdown, idle timeout, too many connections, paused).
    pub fn close_with(&mut self, enhanced: &'static str, text: &str) -> Reply {
        let r = Reply::unavailable(enhanced, format!("{} {}", self.cfg.hostname, text));
        self.record_reply(&r);
        self.end();
        r
    }

    /// The connection is over, for whatever reason (QUIT, disconnect, timeout, shutdown,
    /// an I/O error): a message still being received is counted as broken off. Idempotent.
    pub fn end(&mut self) {
        if self.receiving_message() {
            self.problems.aborted_messages += 1;
            self.note("message broken off: the connection ended before it was complete");
        }
        self.txn = None;
        self.mode = Mode::Closed;
    }

    /// The TLS handshake the caller ran failed; the connection is about to end.
    pub fn tls_failed(&mut self, why: impl std::fmt::Display) {
        self.problems.tls_failed = true;
        self.note(format!("TLS handshake failed: {why}"));
    }

    pub fn problems(&self) -> Problems {
        self.problems
    }

    /// Notes something that is neither a command nor a reply (handshakes, disconnects).
    pub fn note(&mut self, text: impl Into<String>) {
        self.transcript.push(Direction::Info, text);
    }

    pub fn transcript_mut(&mut self) -> &mut Recorder {
        &mut self.transcript
    }
    pub fn helo_name(&self) -> Option<&str> {
        self.helo.as_ref().map(|(n, _)| n.as_str())
    }
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }
    pub fn auth(&self) -> Option<&AuthInfo> {
        self.auth.as_ref()
    }
    pub fn last_code(&self) -> Option<u16> {
        self.last_code
    }
    pub fn message_count(&self) -> u32 {
        self.messages
    }
    pub fn is_closed(&self) -> bool {
        matches!(self.mode, Mode::Closed)
    }
    /// Inside DATA or a chunk, or between BDAT chunks of a message not yet ended by LAST.
    fn receiving_message(&self) -> bool {
        matches!(self.mode, Mode::Data(_) | Mode::Bdat { .. })
            || self
                .txn
                .as_ref()
                .is_some_and(|t| t.chunks.as_ref().is_some_and(|c| !c.is_empty()))
    }

    /// Consumes input and returns the next output, or `None` when more input is needed
    /// (or the caller still owes `delivered` / `tls_started`).
    pub fn advance(&mut self, buf: &mut BytesMut) -> Option<Output> {
        loop {
            if let Some(out) = self.pending.pop_front() {
                return Some(out);
            }
            match &mut self.mode {
                Mode::Suspended | Mode::Closed => return None,
                Mode::Data(rx) => {
                    if !rx.feed(buf) {
                        return None;
                    }
                    let Mode::Data(rx) = std::mem::replace(&mut self.mode, Mode::Command) else {
                        unreachable!()
                    };
                    self.finish_data(rx);
                }
                Mode::Bdat { remaining, .. } => {
                    let take = (*remaining).min(buf.len() as u64) as usize;
                    if take > 0 {
                        let keep = matches!(&self.mode, Mode::Bdat { reject: None, .. });
                        if keep {
                            if let Some(chunks) = self.txn.as_mut().and_then(|t| t.chunks.as_mut())
                            {
                                chunks.extend_from_slice(&buf[..take]);
                            }
                        }
                        buf.advance(take);
                    }
                    let Mode::Bdat { remaining, .. } = &mut self.mode else {
                        unreachable!()
                    };
                    *remaining -= take as u64;
                    if *remaining > 0 {
                        return None;
                    }
                    let Mode::Bdat {
                        size, last, reject, ..
                    } = std::mem::replace(&mut self.mode, Mode::Command)
                    else {
                        unreachable!()
                    };
                    self.finish_chunk(size, last, reject);
                }
                Mode::Command | Mode::Auth(_) => {
                    let line = self.take_line(buf)?;
                    match line {
                        LineRead::TooLong => {
                            self.transcript
                                .push(Direction::In, "[over-long line discarded]");
                            if matches!(self.mode, Mode::Auth(_)) {
                                self.mode = Mode::Command;
                                self.reply(Reply::auth_line_too_long());
                            } else {
                                self.reply(Reply::line_too_long(self.cfg.max_line_length));
                            }
                        }
                        LineRead::Line(text) => {
                            if matches!(self.mode, Mode::Auth(_)) {
                                self.auth_response(&text);
                            } else {
                                self.command(&text);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Reads one line (CRLF, or a bare LF, which commands tolerate) from `buf`.
    fn take_line(&mut self, buf: &mut BytesMut) -> Option<LineRead> {
        let auth_like = matches!(self.mode, Mode::Auth(_))
            || (buf.len() >= 5 && buf[..5].eq_ignore_ascii_case(b"AUTH "));
        let limit = if auth_like {
            AUTH_LINE_LIMIT.max(self.cfg.max_line_length)
        } else {
            self.cfg.max_line_length
        };
        match memchr::memchr(b'\n', buf) {
            Some(i) => {
                let line = buf.split_to(i + 1);
                if std::mem::take(&mut self.skipping_long_line) || line.len() > limit {
                    return Some(LineRead::TooLong);
                }
                let mut end = i;
                if end > 0 && line[end - 1] == b'\r' {
                    end -= 1;
                }
                Some(LineRead::Line(
                    String::from_utf8_lossy(&line[..end]).into_owned(),
                ))
            }
            None => {
                if buf.len() > limit {
                    // Drop what we have; the reply goes out when the line finally ends.
                    self.skipping_long_line = true;
                    buf.clear();
                }
                None
            }
        }
    }

    fn reply(&mut self, r: Reply) {
        self.record_reply(&r);
        self.pending.push_back(Output::Reply(r));
    }

    fn record_reply(&mut self, r: &Reply) {
        self.last_code = Some(r.code);
        if r.code >= 400 {
            self.problems.refusals += 1;
        }
        if self.auth_pending && r.code != code::AUTH_CONTINUE {
            self.auth_pending = false;
            if r.code >= 400 {
                self.problems.auth_failures += 1;
            }
        }
        for line in r.to_wire().split("\r\n").filter(|l| !l.is_empty()) {
            self.transcript.push(Direction::Out, line);
        }
    }

    /// Where fault rules will plug in: every verb handler calls this first with its stage,
    /// and a `Some` reply is sent instead of what the handler would have answered. No rules
    /// exist yet, so it always returns `None`.
    fn hook(&mut self, stage: Stage) -> Option<Reply> {
        #[cfg(test)]
        self.stages.push(stage);
        let _ = stage; // Read by no rule yet.
        None
    }

    /// Records a command line (AUTH secrets masked), parses it and runs its handler.
    fn command(&mut self, line: &str) {
        let parsed = command::parse(line);
        let masked = match &parsed {
            Ok(Command::Auth {
                mechanism,
                initial: Some(_),
            }) if !self.cfg.show_passwords => {
                format!("AUTH {mechanism} ********")
            }
            _ => line.to_string(),
        };
        self.transcript.push(Direction::In, masked);
        self.auth_pending = matches!(parsed, Ok(Command::Auth { .. }));
        let cmd = match parsed {
            Ok(cmd) => cmd,
            Err(CommandError::Unrecognised) => return self.reply(Reply::unrecognised()),
            Err(CommandError::Syntax(why)) => {
                return self.reply(Reply::param_syntax(format!("Syntax error: {why}")));
            }
            Err(CommandError::SenderPath(e)) => return self.reply(Reply::bad_sender(e.describe())),
            Err(CommandError::RecipientPath(e)) => {
                return self.reply(Reply::bad_recipient(e.describe()));
            }
        };
        match cmd {
            Command::Helo(name) => self.helo(name),
            Command::Ehlo(name) => self.ehlo(name),
            Command::Mail { path, params } => self.mail(path.address, params),
            Command::Rcpt { path, params } => self.rcpt(path.address, params),
            Command::Data => self.data(),
            Command::Bdat { size, last } => self.bdat(size, last),
            Command::Rset => self.rset(),
            Command::Noop => self.noop(),
            Command::Quit => self.quit(),
            Command::Vrfy(_) => self.vrfy(),
            Command::Expn(_) => self.expn(),
            Command::Help(topic) => self.help(topic),
            Command::StartTls => self.starttls(),
            Command::Auth { mechanism, initial } => self.auth_start(&mechanism, initial),
            Command::Refused(which) => self.refused(which),
        }
    }
}

/// What went wrong in a session, counted as it happens; definitions on `SessionSummary`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Problems {
    pub refusals: u32,
    pub aborted_messages: u32,
    pub tls_failed: bool,
    pub auth_failures: u32,
}

enum LineRead {
    Line(String),
    TooLong,
}
