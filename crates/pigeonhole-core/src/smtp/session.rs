//! The SMTP session: a pure state machine from input bytes to replies and actions.
//!
//! `Session::advance` consumes bytes from a buffer and yields one `Output` at a time. It
//! never touches a socket or the store, so every RFC rule is testable with byte strings.
//! Two outputs need the caller before the session can go on: `Deliver` (commit, then call
//! `delivered`) and `StartTls` (handshake, then call `tls_started`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::{Buf, BytesMut};

use super::auth::{self, AuthPolicy, Credentials, Mechanism, SaslError};
use super::command::{self, Command, CommandError, Param, Refused};
use super::data::DataReceiver;
use super::reply::{code, Reply};
use super::transcript::Recorder;
use crate::model::{AuthInfo, Direction, Envelope, Recipient, TlsInfo};

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
        }
    }

    /// The 220 greeting. Record it before anything else.
    pub fn greeting(&mut self) -> Reply {
        let r = Reply::plain(
            code::READY,
            format!("{} ESMTP Pigeonhole", self.cfg.hostname),
        );
        self.record_reply(&r);
        r
    }

    /// A 421 that ends the session (shutdown, idle timeout, too many connections, paused).
    pub fn close_with(&mut self, enhanced: &'static str, text: &str) -> Reply {
        let r = Reply::new(
            code::UNAVAILABLE,
            enhanced,
            format!("{} {}", self.cfg.hostname, text),
        );
        self.record_reply(&r);
        self.mode = Mode::Closed;
        r
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
    /// True while the session is inside DATA or a BDAT chunk (for idle-timeout wording).
    pub fn in_message(&self) -> bool {
        matches!(self.mode, Mode::Data(_) | Mode::Bdat { .. })
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
                                self.reply(Reply::new(
                                    code::SYNTAX_ERROR,
                                    "5.5.6",
                                    "Authentication exchange line is too long",
                                ));
                            } else {
                                self.reply(Reply::new(
                                    code::SYNTAX_ERROR,
                                    "5.5.2",
                                    format!(
                                        "Line too long (limit is {} octets)",
                                        self.cfg.max_line_length
                                    ),
                                ));
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
        for line in r.to_wire().split("\r\n").filter(|l| !l.is_empty()) {
            self.transcript.push(Direction::Out, line);
        }
    }

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
        let cmd = match parsed {
            Ok(cmd) => cmd,
            Err(CommandError::Unrecognised) => {
                return self.reply(Reply::new(
                    code::SYNTAX_ERROR,
                    "5.5.2",
                    "Command not recognised",
                ));
            }
            Err(CommandError::Syntax(why)) => {
                return self.reply(Reply::new(
                    code::PARAM_SYNTAX,
                    "5.5.4",
                    format!("Syntax error: {why}"),
                ));
            }
            Err(CommandError::SenderPath(e)) => {
                return self.reply(Reply::new(
                    code::PARAM_SYNTAX,
                    "5.1.7",
                    format!("Bad sender address syntax: {}", e.describe()),
                ));
            }
            Err(CommandError::RecipientPath(e)) => {
                return self.reply(Reply::new(
                    code::PARAM_SYNTAX,
                    "5.1.3",
                    format!("Bad recipient address syntax: {}", e.describe()),
                ));
            }
        };
        match cmd {
            Command::Helo(name) => {
                self.txn = None;
                let text = format!("{} Hello {}", self.cfg.hostname, name);
                self.helo = Some((name, false));
                self.reply(Reply::plain(code::OK, text));
            }
            Command::Ehlo(name) => self.ehlo(name),
            Command::Mail { path, params } => self.mail(path.address, params),
            Command::Rcpt { path, params } => self.rcpt(path.address, params),
            Command::Data => self.data(),
            Command::Bdat { size, last } => self.bdat(size, last),
            Command::Rset => {
                self.txn = None;
                self.reply(Reply::new(code::OK, "2.0.0", "Reset OK"));
            }
            Command::Noop => self.reply(Reply::new(code::OK, "2.0.0", "OK")),
            Command::Quit => {
                let r = Reply::new(
                    code::CLOSING,
                    "2.0.0",
                    format!("{} closing connection", self.cfg.hostname),
                );
                self.reply(r);
                self.pending.push_back(Output::Close);
                self.mode = Mode::Closed;
            }
            Command::Vrfy(_) => self.reply(Reply::new(
                code::CANNOT_VRFY,
                "2.5.0",
                "Cannot VRFY user, but will accept message and attempt delivery",
            )),
            // EXPN: 502. A catcher has no mailing lists to expand, and 252 would promise a
            // delivery attempt that EXPN does not imply. Documented in the README.
            Command::Expn(_) => self.reply(Reply::new(
                code::NOT_IMPLEMENTED,
                "5.5.1",
                "EXPN is not supported: Pigeonhole has no mailing lists to expand",
            )),
            Command::Help(topic) => self.help(topic),
            Command::StartTls => self.starttls(),
            Command::Auth { mechanism, initial } => self.auth_start(&mechanism, initial),
            Command::Refused(which) => {
                let text = match which {
                    Refused::Turn => "TURN is not supported: it was removed for security reasons (RFC 2821)",
                    Refused::Atrn => "ATRN is not supported: Pigeonhole keeps no mail for on-demand relay (RFC 2645)",
                    Refused::Etrn => "ETRN is not supported: Pigeonhole keeps no outbound queue to run (RFC 1985)",
                    Refused::Send => "SEND is not supported: terminal delivery was removed from SMTP (RFC 2821)",
                    Refused::Soml => "SOML is not supported: terminal delivery was removed from SMTP (RFC 2821)",
                    Refused::Saml => "SAML is not supported: terminal delivery was removed from SMTP (RFC 2821)",
                };
                self.reply(Reply::new(code::NOT_IMPLEMENTED, "5.5.1", text));
            }
        }
    }

    fn ehlo(&mut self, name: String) {
        self.txn = None;
        let mut lines = vec![format!("{} Hello {}", self.cfg.hostname, name)];
        lines.push("PIPELINING".into());
        lines.push(format!("SIZE {}", self.cfg.max_message_size));
        lines.push("8BITMIME".into());
        lines.push("SMTPUTF8".into());
        lines.push("CHUNKING".into());
        lines.push("BINARYMIME".into());
        lines.push("DSN".into());
        lines.push("ENHANCEDSTATUSCODES".into());
        if self.cfg.starttls && self.tls.is_none() {
            lines.push("STARTTLS".into());
        }
        lines.push(format!("AUTH {}", auth::MECHANISMS));
        lines.push("HELP".into());
        self.helo = Some((name, true));
        self.reply(Reply::multi(code::OK, None, lines));
    }

    fn mail(&mut self, address: String, params: Vec<Param>) {
        let Some((_, extended)) = &self.helo else {
            return self.reply(Reply::new(
                code::BAD_SEQUENCE,
                "5.5.1",
                "Send HELO or EHLO first",
            ));
        };
        let extended = *extended;
        if self.txn.is_some() {
            return self.reply(Reply::new(
                code::BAD_SEQUENCE,
                "5.5.1",
                "Nested MAIL command: send RSET first",
            ));
        }
        if !params.is_empty() && !extended {
            return self.reply(Reply::new(
                code::PARAMS_NOT_RECOGNISED,
                "5.5.4",
                "ESMTP parameters need EHLO, not HELO",
            ));
        }
        let mut txn = Transaction {
            mail_from: address,
            transcript_first: self.transcript.len() - 1,
            ..Default::default()
        };
        let mut seen: Vec<&str> = Vec::new();
        for p in &params {
            if seen.contains(&p.key.as_str()) {
                return self.reply(Reply::new(
                    code::PARAM_SYNTAX,
                    "5.5.4",
                    format!("Duplicate parameter {}", p.key),
                ));
            }
            seen.push(&p.key);
            let value = p.value.as_deref();
            let bad = |what: &str| {
                Reply::new(
                    code::PARAM_SYNTAX,
                    "5.5.4",
                    format!("Bad {} parameter value", what),
                )
            };
            match p.key.as_str() {
                "SIZE" => {
                    let Some(size) =
                        value.filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                    else {
                        return self.reply(bad("SIZE"));
                    };
                    // Overlong digit strings are certainly over the limit.
                    let over = size
                        .parse::<u64>()
                        .map_or(true, |n| n > self.cfg.max_message_size as u64);
                    if over {
                        return self.reply(Reply::new(
                            code::EXCEEDED_STORAGE,
                            "5.3.4",
                            format!(
                                "Message size exceeds fixed maximum message size ({} bytes)",
                                self.cfg.max_message_size
                            ),
                        ));
                    }
                }
                "BODY" => match value.map(str::to_ascii_uppercase).as_deref() {
                    Some("7BIT") | Some("8BITMIME") => {}
                    Some("BINARYMIME") => txn.binarymime = true,
                    _ => return self.reply(bad("BODY")),
                },
                "SMTPUTF8" => {
                    if value.is_some() {
                        return self.reply(bad("SMTPUTF8"));
                    }
                    txn.smtputf8 = true;
                }
                "RET" => match value.map(str::to_ascii_uppercase).as_deref() {
                    Some("FULL") | Some("HDRS") => {}
                    _ => return self.reply(bad("RET")),
                },
                "ENVID" | "AUTH" => {
                    if value.is_none_or(str::is_empty) {
                        return self.reply(bad(&p.key));
                    }
                }
                other => {
                    return self.reply(Reply::new(
                        code::PARAMS_NOT_RECOGNISED,
                        "5.5.4",
                        format!("Unsupported parameter {other}"),
                    ));
                }
            }
            txn.mail_params
                .push((p.key.clone(), value.unwrap_or("").to_string()));
        }
        if !txn.smtputf8 && !txn.mail_from.is_ascii() {
            return self.reply(Reply::new(
                code::MAILBOX_NAME_NOT_ALLOWED,
                "5.6.7",
                "Non-ASCII address requires the SMTPUTF8 parameter",
            ));
        }
        let text = format!("Sender <{}> OK", txn.mail_from);
        self.txn = Some(txn);
        self.reply(Reply::new(code::OK, "2.1.0", text));
    }

    fn rcpt(&mut self, address: String, params: Vec<Param>) {
        let extended = self.helo.as_ref().is_some_and(|(_, e)| *e);
        let Some(txn) = self.txn.as_ref() else {
            return self.reply(Reply::new(
                code::BAD_SEQUENCE,
                "5.5.1",
                "Need MAIL before RCPT",
            ));
        };
        if txn.chunks.is_some() {
            return self.reply(Reply::new(
                code::BAD_SEQUENCE,
                "5.5.1",
                "RCPT is not allowed after BDAT",
            ));
        }
        if txn.rcpt_to.len() >= self.cfg.max_recipients {
            return self.reply(Reply::new(
                code::INSUFFICIENT_STORAGE_TEMP,
                "4.5.3",
                format!("Too many recipients (limit is {})", self.cfg.max_recipients),
            ));
        }
        if !params.is_empty() && !extended {
            return self.reply(Reply::new(
                code::PARAMS_NOT_RECOGNISED,
                "5.5.4",
                "ESMTP parameters need EHLO, not HELO",
            ));
        }
        let mut kept = Vec::new();
        for p in &params {
            let value = p.value.as_deref().unwrap_or("");
            let ok = match p.key.as_str() {
                "NOTIFY" => {
                    let items: Vec<String> =
                        value.split(',').map(str::to_ascii_uppercase).collect();
                    let never = items.iter().any(|i| i == "NEVER");
                    !value.is_empty()
                        && items.iter().all(|i| {
                            matches!(i.as_str(), "NEVER" | "SUCCESS" | "FAILURE" | "DELAY")
                        })
                        && (!never || items.len() == 1)
                }
                "ORCPT" => value
                    .split_once(';')
                    .is_some_and(|(t, a)| !t.is_empty() && !a.is_empty()),
                other => {
                    return self.reply(Reply::new(
                        code::PARAMS_NOT_RECOGNISED,
                        "5.5.4",
                        format!("Unsupported parameter {other}"),
                    ));
                }
            };
            if !ok {
                return self.reply(Reply::new(
                    code::PARAM_SYNTAX,
                    "5.5.4",
                    format!("Bad {} parameter value", p.key),
                ));
            }
            kept.push((p.key.clone(), value.to_string()));
        }
        if !txn.smtputf8 && !address.is_ascii() {
            return self.reply(Reply::new(
                code::MAILBOX_NAME_NOT_ALLOWED,
                "5.6.7",
                "Non-ASCII address requires the SMTPUTF8 parameter",
            ));
        }
        let text = format!("Recipient <{address}> OK");
        if let Some(txn) = self.txn.as_mut() {
            txn.rcpt_to.push(Recipient {
                address,
                params: kept,
            });
        }
        self.reply(Reply::new(code::OK, "2.1.5", text));
    }

    fn data(&mut self) {
        let Some(txn) = self.txn.as_ref() else {
            return self.reply(Reply::new(
                code::BAD_SEQUENCE,
                "5.5.1",
                "Need MAIL before DATA",
            ));
        };
        if txn.chunks.is_some() {
            return self.reply(Reply::new(
                code::BAD_SEQUENCE,
                "5.5.1",
                "DATA cannot be mixed with BDAT",
            ));
        }
        if txn.rcpt_to.is_empty() {
            return self.reply(Reply::new(
                code::BAD_SEQUENCE,
                "5.5.1",
                "Need RCPT before DATA",
            ));
        }
        if txn.binarymime {
            return self.reply(Reply::new(
                code::BAD_SEQUENCE,
                "5.5.1",
                "BODY=BINARYMIME requires BDAT, not DATA",
            ));
        }
        self.reply(Reply::plain(
            code::START_INPUT,
            "End data with <CR><LF>.<CR><LF>",
        ));
        self.mode = Mode::Data(DataReceiver::new(self.cfg.max_message_size));
    }

    fn finish_data(&mut self, rx: DataReceiver) {
        self.transcript
            .push(Direction::In, format!("[{} bytes]", rx.received()));
        self.transcript.push(Direction::In, ".");
        if rx.over_limit() {
            self.txn = None;
            return self.reply(self.too_big());
        }
        self.deliver(rx.into_body());
    }

    fn too_big(&self) -> Reply {
        Reply::new(
            code::EXCEEDED_STORAGE,
            "5.3.4",
            format!(
                "Message exceeds the size limit of {} bytes",
                self.cfg.max_message_size
            ),
        )
    }

    fn bdat(&mut self, size: u64, last: bool) {
        // The chunk follows the command whatever we answer, so it is always consumed.
        let reject = match self.txn.as_mut() {
            None => Some(Reply::new(
                code::BAD_SEQUENCE,
                "5.5.1",
                "Need MAIL before BDAT",
            )),
            Some(txn) if txn.rcpt_to.is_empty() => Some(Reply::new(
                code::BAD_SEQUENCE,
                "5.5.1",
                "Need RCPT before BDAT",
            )),
            Some(txn) => {
                let so_far = txn.chunks.get_or_insert_with(Vec::new).len() as u64;
                if so_far.saturating_add(size) > self.cfg.max_message_size as u64 {
                    Some(self.too_big())
                } else {
                    None
                }
            }
        };
        if size == 0 {
            // Nothing to read: finish now (BDAT 0 LAST is how CHUNKING ends a message).
            self.finish_chunk(0, last, reject);
        } else {
            self.mode = Mode::Bdat {
                size,
                remaining: size,
                last,
                reject,
            };
        }
    }

    fn finish_chunk(&mut self, size: u64, last: bool, reject: Option<Reply>) {
        if size > 0 {
            self.transcript
                .push(Direction::In, format!("[{size} bytes]"));
        }
        if let Some(r) = reject {
            if r.code == code::EXCEEDED_STORAGE {
                // RFC 3030 §2: after a failed chunk the transaction is over.
                self.txn = None;
            }
            return self.reply(r);
        }
        if last {
            let body = self
                .txn
                .as_mut()
                .and_then(|t| t.chunks.take())
                .unwrap_or_default();
            self.deliver(body);
        } else {
            self.reply(Reply::new(
                code::OK,
                "2.0.0",
                format!("{size} octets received"),
            ));
        }
    }

    fn deliver(&mut self, raw: Vec<u8>) {
        let Some(txn) = self.txn.take() else { return };
        let delivery = Delivery {
            envelope: Envelope {
                mail_from: txn.mail_from,
                mail_params: txn.mail_params,
                rcpt_to: txn.rcpt_to,
            },
            raw,
            transcript_first: txn.transcript_first,
            transcript_end: self.transcript.len() + 1,
        };
        self.pending.push_back(Output::Deliver(delivery));
        self.mode = Mode::Suspended;
    }

    /// The caller committed (or failed to commit) the message from `Output::Deliver`.
    pub fn delivered(&mut self, result: Result<i64, String>) {
        let r = match result {
            Ok(id) => {
                self.messages += 1;
                Reply::new(code::OK, "2.0.0", format!("Ok: queued as {id}"))
            }
            Err(why) => {
                self.note(format!("store error: {why}"));
                Reply::new(
                    code::LOCAL_ERROR,
                    "4.3.0",
                    "Local error: message not stored, please try again",
                )
            }
        };
        self.mode = Mode::Command;
        self.reply(r);
    }

    fn help(&mut self, topic: Option<String>) {
        let lines = match topic.as_deref().map(str::to_ascii_uppercase).as_deref() {
            None => vec![
                "Pigeonhole catches mail for developers; nothing is relayed".to_string(),
                "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT".to_string(),
                "          HELP VRFY EXPN STARTTLS AUTH".to_string(),
                "Not supported: TURN ATRN ETRN SEND SOML SAML".to_string(),
                "End of HELP info".to_string(),
            ],
            Some("MAIL") => vec!["MAIL FROM:<address> [SIZE=n] [BODY=7BIT|8BITMIME|BINARYMIME] [SMTPUTF8] [RET=FULL|HDRS] [ENVID=id]".into()],
            Some("RCPT") => vec!["RCPT TO:<address> [NOTIFY=NEVER|SUCCESS,FAILURE,DELAY] [ORCPT=type;address]".into()],
            Some("BDAT") => vec!["BDAT <size> [LAST]".into()],
            Some("AUTH") => vec![format!("AUTH <{}> [initial-response]", auth::MECHANISMS.replace(' ', "|"))],
            Some(t) => {
                return self.reply(Reply::new(code::PARAM_NOT_IMPLEMENTED, "5.5.4", format!("HELP topic {t} not recognised")))
            }
        };
        self.reply(Reply::multi(code::HELP, Some("2.0.0"), lines));
    }

    fn starttls(&mut self) {
        if self.tls.is_some() {
            return self.reply(Reply::new(
                code::BAD_SEQUENCE,
                "5.5.1",
                "TLS is already active",
            ));
        }
        if !self.cfg.starttls {
            return self.reply(Reply::new(
                code::NOT_IMPLEMENTED,
                "5.5.1",
                "STARTTLS is not enabled on this listener",
            ));
        }
        if self.txn.is_some() {
            return self.reply(Reply::new(
                code::BAD_SEQUENCE,
                "5.5.1",
                "STARTTLS is not allowed during a mail transaction",
            ));
        }
        self.reply(Reply::new(code::READY, "2.0.0", "Ready to start TLS"));
        self.pending.push_back(Output::StartTls);
        self.mode = Mode::Suspended;
    }

    /// The caller finished the TLS handshake. RFC 3207 §4.2: forget everything the
    /// client told us before it; it must EHLO again.
    pub fn tls_started(&mut self, info: TlsInfo) {
        self.note(format!("TLS established: {} {}", info.version, info.cipher));
        self.tls = Some(info);
        self.helo = None;
        self.txn = None;
        self.auth = None;
        self.mode = Mode::Command;
    }

    fn auth_start(&mut self, mechanism: &str, initial: Option<String>) {
        if !self.helo.as_ref().is_some_and(|(_, e)| *e) {
            return self.reply(Reply::new(
                code::BAD_SEQUENCE,
                "5.5.1",
                "Send EHLO before AUTH",
            ));
        }
        if self.auth.is_some() {
            return self.reply(Reply::new(
                code::BAD_SEQUENCE,
                "5.5.1",
                "Already authenticated",
            ));
        }
        if self.txn.is_some() {
            return self.reply(Reply::new(
                code::BAD_SEQUENCE,
                "5.5.1",
                "AUTH is not allowed during a mail transaction",
            ));
        }
        let Some(mech) = Mechanism::parse(mechanism) else {
            return self.reply(Reply::new(
                code::PARAM_NOT_IMPLEMENTED,
                "5.5.4",
                format!(
                    "Unrecognised authentication mechanism; use one of {}",
                    auth::MECHANISMS
                ),
            ));
        };
        // "=" is the explicit empty initial response (RFC 4954 §4).
        let initial = initial.map(|i| if i == "=" { String::new() } else { i });
        match (mech, initial) {
            (Mechanism::Plain, Some(resp)) => self.finish_auth(mech, auth::decode_plain(&resp)),
            (Mechanism::Plain, None) => {
                self.mode = Mode::Auth(AuthStep::Plain);
                self.reply(Reply::plain(code::AUTH_CONTINUE, ""));
            }
            (Mechanism::Login, Some(resp)) => match auth::decode_text(&resp) {
                Ok(user) => {
                    self.mode = Mode::Auth(AuthStep::LoginPassword { user });
                    self.reply(Reply::plain(code::AUTH_CONTINUE, "UGFzc3dvcmQ6"));
                }
                Err(e) => self.sasl_error(e),
            },
            (Mechanism::Login, None) => {
                self.mode = Mode::Auth(AuthStep::LoginUser);
                self.reply(Reply::plain(code::AUTH_CONTINUE, "VXNlcm5hbWU6"));
            }
            (Mechanism::CramMd5, Some(_)) => self.reply(Reply::new(
                code::PARAM_SYNTAX,
                "5.5.2",
                "CRAM-MD5 does not take an initial response",
            )),
            (Mechanism::CramMd5, None) => {
                let challenge = self.cram_challenge();
                let encoded = auth::encode_b64(challenge.as_bytes());
                self.mode = Mode::Auth(AuthStep::CramMd5 { challenge });
                self.reply(Reply::plain(code::AUTH_CONTINUE, encoded));
            }
        }
    }

    fn cram_challenge(&self) -> String {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        format!(
            "<{}.{}.{}@{}>",
            std::process::id(),
            n,
            nanos,
            self.cfg.hostname
        )
    }

    fn auth_response(&mut self, line: &str) {
        let Mode::Auth(step) = std::mem::replace(&mut self.mode, Mode::Command) else {
            return;
        };
        let secret = matches!(step, AuthStep::Plain | AuthStep::LoginPassword { .. });
        let shown = if secret && !self.cfg.show_passwords && line != "*" {
            "********"
        } else {
            line
        };
        self.transcript.push(Direction::In, shown);
        if line.trim() == "*" {
            return self.reply(Reply::new(
                code::PARAM_SYNTAX,
                "5.0.0",
                "Authentication cancelled",
            ));
        }
        match step {
            AuthStep::Plain => self.finish_auth(Mechanism::Plain, auth::decode_plain(line)),
            AuthStep::LoginUser => match auth::decode_text(line) {
                Ok(user) => {
                    self.mode = Mode::Auth(AuthStep::LoginPassword { user });
                    self.reply(Reply::plain(code::AUTH_CONTINUE, "UGFzc3dvcmQ6"));
                }
                Err(e) => self.sasl_error(e),
            },
            AuthStep::LoginPassword { user } => {
                let creds = auth::decode_text(line)
                    .map(|password| Credentials::Password { user, password });
                self.finish_auth(Mechanism::Login, creds);
            }
            AuthStep::CramMd5 { challenge } => {
                self.finish_auth(Mechanism::CramMd5, auth::decode_cram_md5(line, &challenge));
            }
        }
    }

    fn finish_auth(&mut self, mech: Mechanism, creds: Result<Credentials, SaslError>) {
        let creds = match creds {
            Ok(c) => c,
            Err(e) => return self.sasl_error(e),
        };
        if self.cfg.auth.accepts(&creds) {
            self.note(format!(
                "authenticated as {} with {}",
                creds.user(),
                mech.name()
            ));
            self.auth = Some(AuthInfo {
                mechanism: mech.name().into(),
                user: creds.user().to_string(),
            });
            self.reply(Reply::new(
                code::AUTH_OK,
                "2.7.0",
                "Authentication successful",
            ));
        } else {
            self.note(format!(
                "authentication failed for {} with {}",
                creds.user(),
                mech.name()
            ));
            self.reply(Reply::new(
                code::AUTH_INVALID,
                "5.7.8",
                "Authentication credentials invalid",
            ));
        }
    }

    fn sasl_error(&mut self, e: SaslError) {
        let text = match e {
            SaslError::Base64 => "Cannot decode the response: not valid base64",
            SaslError::Malformed => "Cannot decode the response: malformed credentials",
        };
        self.reply(Reply::new(code::PARAM_SYNTAX, "5.5.2", text));
    }
}

enum LineRead {
    Line(String),
    TooLong,
}
