//! The SMTP session: a pure state machine from input bytes to replies and actions.
//!
//! `Session::advance` consumes bytes from a buffer and yields one `Output` at a time. It
//! never touches a socket or the store, so every RFC rule is testable with byte strings.
//! Two outputs need the caller before the session can go on: `Deliver` (commit, then call
//! `delivered`) and `StartTls` (handshake, then call `tls_started`).
//!
//! This file holds the state and the dispatch; each verb family has its own file
//! (`ehlo`, `mail`, `rcpt`, `data`, `auth`, `starttls`, `other`), and every handler starts
//! by calling `hook` with its `Stage`, the one place fault rules (`crate::rules`) plug in.
//! A rule's delay is an `Output::Delay` the connection loop carries out, so no test of
//! this machine ever sleeps.

mod auth;
mod data;
pub use data::DeliveryError;
mod ehlo;
mod mail;
mod other;
mod rcpt;
mod starttls;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BytesMut};

use super::auth::AuthPolicy;
use super::command::{self, Command, CommandError};
use super::data::DataReceiver;
use super::reply::{code, Reply};
use super::transcript::Recorder;
use crate::model::{AuthInfo, Direction, Envelope, Recipient, TlsInfo};
use crate::rules::{Effect, Event, Faults};

pub use crate::rules::Stage;

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
    /// Failed AUTH attempts before the connection is closed with 421 4.7.0.
    pub auth_max_failures: u32,
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
            auth_max_failures: 5,
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
    /// Flush replies, then wait this long before going on (a fault rule's delay, or the
    /// pause before answering a failed AUTH). The caller waits without blocking others.
    Delay(Duration),
    /// Send the first half of this reply, then close the connection (a fault rule).
    CutReply(Reply),
    /// Flush replies, then answer the client's TLS handshake with a fatal alert and close
    /// (a fault rule).
    FailTls,
}

/// What a stage's hook is about: the command's address or the envelope's, the HELO name
/// a HELO/EHLO is giving, and at the end of data the key of a retried message.
#[derive(Default, Clone, Copy)]
pub(crate) struct Subject<'a> {
    addresses: &'a [String],
    helo: Option<&'a str>,
    message_key: Option<&'a str>,
}

impl<'a> Subject<'a> {
    fn address(a: &'a String) -> Self {
        Subject {
            addresses: std::slice::from_ref(a),
            ..Default::default()
        }
    }
    fn addresses(a: &'a [String]) -> Self {
        Subject {
            addresses: a,
            ..Default::default()
        }
    }
    fn helo(name: &'a str) -> Self {
        Subject {
            helo: Some(name),
            ..Default::default()
        }
    }
    fn message(a: &'a [String], key: &'a str) -> Self {
        Subject {
            addresses: a,
            message_key: Some(key),
            ..Default::default()
        }
    }
}

/// What the rules decided at a stage, for its handler.
enum Hooked {
    /// Go on as normal.
    Pass,
    /// Answer this instead.
    Reply(Reply),
    /// The hook has queued what happens (a dropped connection); the handler stops.
    Handled,
    /// Fail the TLS handshake (STARTTLS only).
    FailTls,
    /// Accept the message without storing it (end of data only).
    Discard,
}

/// The fault rules a session asks at every stage, and who it is asking for.
struct RuleContext {
    faults: Arc<Faults>,
    listener: Arc<str>,
    client: String,
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
    rules: Option<RuleContext>,
    /// A rule asked to close the connection after the next reply.
    close_after_reply: bool,
    /// A rule asked to cut the next reply in half and close.
    cut_next_reply: bool,
    /// A rule throttled the connection to this many bytes per second.
    throttle: Option<u64>,
    /// A rule refused the greeting: every command but QUIT gets 503 (RFC 5321 §3.1).
    greeting_refused: bool,
    /// AUTH failures the client's address made lately on other connections (an input
    /// from the connection loop), so reconnecting does not reset the delay.
    auth_failures_before: u32,
    /// The next reply carries a secret (a CRAM-MD5 challenge): record it masked.
    mask_next_reply: bool,
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
            rules: None,
            close_after_reply: false,
            cut_next_reply: false,
            throttle: None,
            greeting_refused: false,
            auth_failures_before: 0,
            mask_next_reply: false,
            #[cfg(test)]
            stages: Vec::new(),
        }
    }

    /// Asks `faults` at every stage, for a client at `client` (its IP) on `listener`.
    pub fn with_faults(
        mut self,
        faults: Arc<Faults>,
        listener: Arc<str>,
        client: impl Into<String>,
    ) -> Self {
        self.rules = Some(RuleContext {
            faults,
            listener,
            client: client.into(),
        });
        self
    }

    /// The client's address failed AUTH `n` times lately on other connections: its
    /// failures here are answered as if they followed those.
    pub fn with_auth_failures_before(mut self, n: u32) -> Self {
        self.auth_failures_before = n;
        self
    }

    /// Queues the 220 greeting (or what a rule at `connect` says instead); `advance`
    /// yields it. Call it before anything else.
    pub fn open(&mut self) {
        match self.hook(Stage::Connect, Subject::default()) {
            Hooked::Reply(r) => {
                self.greeting_refused = true;
                self.reply(r);
            }
            Hooked::Handled => {}
            _ => {
                let r = Reply::greeting(&self.cfg.hostname);
                self.reply(r);
            }
        }
    }

    /// Before an implicit-TLS handshake: true when a rule fails it (or drops the
    /// connection), and the caller must close instead of handshaking.
    pub fn implicit_tls_refused(&mut self) -> bool {
        match self.hook(Stage::StartTls, Subject::default()) {
            Hooked::FailTls => {
                self.problems.tls_failed = true;
                true
            }
            Hooked::Handled => true,
            _ => false,
        }
    }

    /// The rate a rule throttled this connection to, in bytes per second.
    pub fn throttle(&self) -> Option<u64> {
        self.throttle
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
    /// Inside DATA or a BDAT chunk: bytes are message content, judged by the data rate
    /// rather than the command-line deadline.
    pub fn in_data(&self) -> bool {
        matches!(self.mode, Mode::Data(_) | Mode::Bdat { .. })
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
                        LineRead::NotUtf8(text) if !matches!(self.mode, Mode::Auth(_)) => {
                            self.not_utf8(&text);
                        }
                        LineRead::Line(text) | LineRead::NotUtf8(text) => {
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
                Some(match std::str::from_utf8(&line[..end]) {
                    Ok(text) => LineRead::Line(text.to_string()),
                    Err(_) => LineRead::NotUtf8(String::from_utf8_lossy(&line[..end]).into_owned()),
                })
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
        let auth_failed = self.auth_pending && r.code != code::AUTH_CONTINUE && r.code >= 400;
        if auth_failed {
            // Answer each failure later than the last, counting the address's failures
            // on other connections, so guessing passwords is slow.
            let n = self
                .auth_failures_before
                .saturating_add(self.problems.auth_failures)
                .saturating_add(1);
            self.pending
                .push_back(Output::Delay(crate::smtp::limits::auth_failure_delay(n)));
        }
        self.record_reply(&r);
        if std::mem::take(&mut self.cut_next_reply) {
            let wire = r.to_wire().len();
            self.note(format!(
                "reply cut after {} of {wire} bytes by a rule; connection dropped",
                wire / 2
            ));
            self.pending.push_back(Output::CutReply(r));
            self.mode = Mode::Closed;
            return;
        }
        self.pending.push_back(Output::Reply(r));
        if auth_failed && self.problems.auth_failures >= self.cfg.auth_max_failures.max(1) {
            let r = self.close_with(
                "4.7.0",
                &format!(
                    "Too many failed authentication attempts ({}), closing connection",
                    self.problems.auth_failures
                ),
            );
            self.pending.push_back(Output::Reply(r));
            self.pending.push_back(Output::Close);
            return;
        }
        if std::mem::take(&mut self.close_after_reply) {
            self.note("connection closed by a rule after its reply");
            self.pending.push_back(Output::Close);
            self.mode = Mode::Closed;
        }
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
        if std::mem::take(&mut self.mask_next_reply) {
            self.transcript
                .push(Direction::Out, format!("{} ********", r.code));
            return;
        }
        for line in r.to_wire().split("\r\n").filter(|l| !l.is_empty()) {
            self.transcript.push(Direction::Out, line);
        }
    }

    /// Where fault rules plug in: every verb handler calls this (or `intercept`) first
    /// with its stage. Notes what fired in the transcript, queues a delay, sets a throttle.
    fn hook(&mut self, stage: Stage, subject: Subject<'_>) -> Hooked {
        #[cfg(test)]
        self.stages.push(stage);
        let Some(rules) = self.rules.as_ref().filter(|r| r.faults.is_active()) else {
            return Hooked::Pass;
        };
        let addresses: Vec<&str> = subject.addresses.iter().map(String::as_str).collect();
        let event = Event {
            stage,
            listener: &rules.listener,
            client: &rules.client,
            helo: subject.helo.or(self.helo.as_ref().map(|(n, _)| n.as_str())),
            auth_user: self.auth.as_ref().map(|a| a.user.as_str()),
            addresses: &addresses,
            message_key: subject.message_key,
        };
        let Some(verdict) = rules.faults.check(&event) else {
            return Hooked::Pass;
        };
        self.problems.faults += verdict.fired;
        for n in verdict.notes {
            self.note(n);
        }
        if verdict.delay_ms > 0 {
            self.pending
                .push_back(Output::Delay(Duration::from_millis(verdict.delay_ms)));
        }
        if verdict.throttle.is_some() {
            self.throttle = verdict.throttle;
        }
        if verdict.close {
            self.close_after_reply = true;
        }
        match verdict.effect {
            Effect::Pass => Hooked::Pass,
            Effect::Reply {
                code,
                enhanced,
                text,
            } => Hooked::Reply(Reply::plain(
                code,
                match enhanced {
                    Some(e) => format!("{e} {text}"),
                    None => text,
                },
            )),
            Effect::Drop => {
                self.note("connection dropped by a rule, without a reply");
                self.pending.push_back(Output::Close);
                self.mode = Mode::Closed;
                Hooked::Handled
            }
            Effect::CutReply => {
                self.cut_next_reply = true;
                Hooked::Pass
            }
            Effect::FailTls => Hooked::FailTls,
            Effect::Discard => Hooked::Discard,
        }
    }

    /// `hook` for handlers with nothing special to do: true when a rule answered (or
    /// dropped the connection) and the handler must stop.
    fn intercept(&mut self, stage: Stage, subject: Subject<'_>) -> bool {
        match self.hook(stage, subject) {
            Hooked::Reply(r) => {
                self.reply(r);
                true
            }
            Hooked::Handled => true,
            Hooked::Pass | Hooked::FailTls | Hooked::Discard => false,
        }
    }

    /// Whether a rule could fire: otherwise the data stages skip gathering what rules match.
    fn rules_active(&self) -> bool {
        self.rules.as_ref().is_some_and(|r| r.faults.is_active())
    }

    /// The open transaction's sender and recipients, for rules at the data stages (none
    /// while no rule is enabled).
    fn envelope_addresses(&self) -> Vec<String> {
        match &self.txn {
            _ if !self.rules_active() => Vec::new(),
            None => Vec::new(),
            Some(t) => std::iter::once(t.mail_from.clone())
                .chain(t.rcpt_to.iter().map(|r| r.address.clone()))
                .collect(),
        }
    }

    /// A command line that is not UTF-8: refused, never run. An address in it would be
    /// stored altered (two different invalid addresses would become one), so MAIL and
    /// RCPT get 553 5.6.7 (RFC 6531 §3.5); anything else 501.
    fn not_utf8(&mut self, lossy: &str) {
        self.transcript.push(Direction::In, lossy);
        let verb = lossy.split(' ').next().unwrap_or("").to_ascii_uppercase();
        if verb == "MAIL" || verb == "RCPT" {
            self.reply(Reply::address_not_utf8());
        } else {
            self.reply(Reply::bad_bytes("Command line is not valid UTF-8"));
        }
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
            Ok(Command::Quit) => Command::Quit,
            Ok(_) if self.greeting_refused => {
                return self.reply(Reply::bad_sequence(
                    "The greeting refused this session: only QUIT is accepted",
                ));
            }
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
    /// Fault rules that fired.
    pub faults: u32,
}

enum LineRead {
    Line(String),
    /// A line that is not UTF-8, decoded lossily only for the transcript: it is refused,
    /// never run, since running it would alter what the client sent.
    NotUtf8(String),
    TooLong,
}
