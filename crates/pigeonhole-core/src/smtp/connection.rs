//! The connection loop: reads bytes, drives a `Session`, writes replies, commits messages.
//! Generic over `AsyncRead + AsyncWrite`, so tests can use `tokio::io::duplex`.

use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use chrono::{DateTime, Utc};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::limits::{AuthLedger, Limits, StorageState};
use super::session::{Delivery, DeliveryError, Output, Session, SessionConfig};
use crate::message::summarize;
use crate::model::{SessionSummary, TlsInfo};
use crate::rules::Faults;
use crate::store::{NewMessage, Store, StoreError};

/// Transcript lines are written once this many are waiting, when the connection has been
/// quiet for `TRANSCRIPT_QUIET`, and at the session's end.
const TRANSCRIPT_CHUNK: usize = 256;
const TRANSCRIPT_QUIET: std::time::Duration = std::time::Duration::from_secs(1);

/// Everything one connection needs from the server around it.
#[derive(Clone)]
pub struct ConnContext {
    pub store: Store,
    /// The listener's name, recorded with every message it takes.
    pub listener: Arc<str>,
    pub cfg: Arc<SessionConfig>,
    /// Deadlines and caps (idle, TLS handshake, command line, DATA rate).
    pub limits: Limits,
    pub cancel: CancellationToken,
    /// Recent AUTH failures per client address, shared by every connection.
    pub auth_ledger: Arc<AuthLedger>,
    /// Whether the store is full, for the status; set and cleared by deliveries.
    pub storage: Arc<StorageState>,
    /// Present when STARTTLS or implicit TLS is available.
    pub tls: Option<TlsAcceptor>,
    /// The fault rules in force, shared by every listener.
    pub faults: Arc<Faults>,
}

/// A TLS fatal alert record (TLS 1.2 framing, level fatal, handshake_failure), sent
/// instead of a ServerHello when a rule fails the handshake.
const TLS_HANDSHAKE_FAILURE: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];

/// Writing a 421 or closing the connection at shutdown or after a deadline waits at most
/// this long for a client that does not read.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Per-connection facts recorded with the session.
struct Facts {
    id: i64,
    /// The client's address, for the per-address AUTH ledger.
    ip: Option<std::net::IpAddr>,
    peer: String,
    local: String,
    started_at: DateTime<Utc>,
    /// AUTH failures of this session already told to the ledger (see `note_auth`).
    auth_noted: std::sync::atomic::AtomicU32,
}

enum End {
    Closed,
    StartTls,
    /// A rule fails the handshake the client is about to start.
    FailTls,
}

/// How the connection begins.
#[derive(Debug, Clone, Copy)]
pub enum Start {
    /// Plain TCP; STARTTLS may upgrade it.
    Plain,
    /// Implicit TLS (SMTPS): handshake before the greeting.
    ImplicitTls,
    /// Refuse with a 421 greeting (paused, too many connections).
    Refuse(&'static str, &'static str),
}

pub async fn handle(tcp: TcpStream, ctx: ConnContext, start: Start) {
    let peer = tcp
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "unknown".into());
    let local = tcp
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "unknown".into());
    let ip = tcp.peer_addr().ok().map(|a| a.ip());
    let facts = Facts {
        id: ctx.store.next_session_id(),
        ip,
        peer,
        local,
        started_at: Utc::now(),
        auth_noted: std::sync::atomic::AtomicU32::new(0),
    };
    let client = tcp
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let mut session = Session::new(ctx.cfg.clone())
        .with_faults(ctx.faults.clone(), ctx.listener.clone(), client)
        .with_auth_failures_before(ip.map_or(0, |ip| ctx.auth_ledger.recent(ip)));
    facts
        .auth_noted
        .store(session.problems().auth_failures, Ordering::Relaxed);
    session.note(format!("connection from {} to {}", facts.peer, facts.local));
    if let Err(e) = run(tcp, &ctx, &facts, &mut session, start).await {
        session.note(format!("connection error: {e}"));
    }
    // Every way out (a 421 after too many failures, a pipelined burst, a timeout, an error)
    // tells the ledger what it has not been told yet.
    note_auth(&ctx, &facts, &session);
    session.end();
    let (first, lines) = session.transcript_mut().take_unflushed();
    let mut summary = summarize_session(&facts, &session);
    summary.ended_at = Some(Utc::now());
    ctx.store.update_session(summary, first, lines, true);
}

async fn run(
    mut tcp: TcpStream,
    ctx: &ConnContext,
    facts: &Facts,
    session: &mut Session,
    start: Start,
) -> io::Result<()> {
    let _ = tcp.set_nodelay(true);
    match start {
        Start::Refuse(enhanced, text) => {
            let r = session.close_with(enhanced, text);
            bounded(tcp.write_all(r.to_wire().as_bytes())).await?;
            return bounded(tcp.shutdown()).await;
        }
        Start::ImplicitTls => {
            if session.implicit_tls_refused() {
                return fail_tls(&mut tcp, session, &ctx.cancel).await;
            }
            let mut tls = handshake(ctx, tcp, session).await?;
            session.open();
            drive(&mut tls, ctx, facts, session).await?;
            return bounded(tls.shutdown()).await;
        }
        Start::Plain => {}
    }
    session.open();
    match drive(&mut tcp, ctx, facts, session).await? {
        End::Closed => bounded(tcp.shutdown()).await,
        End::FailTls => fail_tls(&mut tcp, session, &ctx.cancel).await,
        End::StartTls => {
            let mut tls = handshake(ctx, tcp, session).await?;
            drive(&mut tls, ctx, facts, session).await?;
            bounded(tls.shutdown()).await
        }
    }
}

/// A last write or close, given `CLOSE_GRACE`: a client that reads nothing cannot hold
/// the connection (or a shutdown) open.
async fn bounded<T>(io: impl std::future::Future<Output = io::Result<T>>) -> io::Result<T> {
    tokio::time::timeout(CLOSE_GRACE, io)
        .await
        .unwrap_or_else(|_| {
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "client not reading",
            ))
        })
}

/// Answers a TLS ClientHello with a fatal alert, as a server without a usable certificate
/// would, and closes.
async fn fail_tls(
    tcp: &mut TcpStream,
    session: &mut Session,
    cancel: &CancellationToken,
) -> io::Result<()> {
    session.note("TLS handshake failed by a rule: sent a handshake_failure alert");
    // Read the client's whole first record (its ClientHello) first, briefly, so it sees
    // the alert rather than a reset for unread data.
    let read_hello = async {
        let mut head = [0u8; 5];
        tcp.read_exact(&mut head).await?;
        let len = usize::from(u16::from_be_bytes([head[3], head[4]]));
        let mut body = vec![0u8; len.min(1 << 15)];
        tcp.read_exact(&mut body).await.map(|_| ())
    };
    tokio::select! {
        _ = tokio::time::timeout(Duration::from_secs(2), read_hello) => {}
        _ = cancel.cancelled() => {}
    }
    bounded(tcp.write_all(&TLS_HANDSHAKE_FAILURE)).await?;
    bounded(tcp.shutdown()).await
}

async fn handshake(
    ctx: &ConnContext,
    tcp: TcpStream,
    session: &mut Session,
) -> io::Result<tokio_rustls::server::TlsStream<TcpStream>> {
    // The server only offers STARTTLS or binds SMTPS when it has a certificate.
    let acceptor = ctx
        .tls
        .clone()
        .ok_or_else(|| io::Error::other("TLS requested without a certificate"))?;
    // A client that opens a handshake and goes silent would otherwise hold its slot, and
    // a shutdown, for ever.
    let limit = ctx.limits.tls_handshake_timeout;
    let accepted = tokio::select! {
        r = tokio::time::timeout(limit, acceptor.accept(tcp)) => r.unwrap_or_else(|_| {
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("not completed within {} s", limit.as_secs_f64()),
            ))
        }),
        _ = ctx.cancel.cancelled() => Err(io::Error::other("the server is shutting down")),
    };
    match accepted {
        Ok(tls) => {
            let (_, conn) = tls.get_ref();
            let info = TlsInfo {
                version: conn
                    .protocol_version()
                    .map(|v| format!("{v:?}").replace('_', "."))
                    .unwrap_or_default(),
                cipher: conn
                    .negotiated_cipher_suite()
                    .map(|c| format!("{:?}", c.suite()))
                    .unwrap_or_default(),
            };
            session.tls_started(info);
            Ok(tls)
        }
        Err(e) => {
            session.tls_failed(&e);
            Err(e)
        }
    }
}

/// Bytes of DATA/BDAT counted since the start of the current rate window.
struct RateWindow {
    start: tokio::time::Instant,
    bytes: u64,
}

async fn drive<S>(
    io: &mut S,
    ctx: &ConnContext,
    facts: &Facts,
    session: &mut Session,
) -> io::Result<End>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let limits = ctx.limits;
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let mut idle_deadline = tokio::time::Instant::now() + limits.idle_timeout;
    // A command line has begun arriving and must be complete by then (slowloris).
    let mut line_deadline: Option<tokio::time::Instant> = None;
    // Inside DATA or a BDAT chunk: what the current rate window has brought.
    let mut rate: Option<RateWindow> = None;
    let mut out = String::with_capacity(1024);
    loop {
        let unread_before = buf.len();
        while let Some(output) = session.advance(&mut buf) {
            let throttle = session.throttle();
            match output {
                Output::Reply(r) => out.push_str(&r.to_wire()),
                Output::Delay(d) => {
                    flush(io, &mut out, throttle, ctx).await?;
                    tokio::select! {
                        _ = tokio::time::sleep(d) => {}
                        _ = ctx.cancel.cancelled() => {}
                    }
                    // Our own silence is not the client's idleness.
                    idle_deadline = tokio::time::Instant::now() + limits.idle_timeout;
                }
                Output::CutReply(r) => {
                    flush(io, &mut out, throttle, ctx).await?;
                    let wire = r.to_wire();
                    io.write_all(&wire.as_bytes()[..wire.len() / 2]).await?;
                    io.flush().await?;
                    return Ok(End::Closed);
                }
                Output::FailTls => {
                    flush(io, &mut out, throttle, ctx).await?;
                    return Ok(End::FailTls);
                }
                Output::Deliver(delivery) => {
                    flush(io, &mut out, throttle, ctx).await?;
                    // Not cancelled by a shutdown: a message handed to the writer is
                    // committed and answered before the session ends.
                    let result = deliver(ctx, facts, session, delivery).await;
                    session.delivered(result);
                    idle_deadline = tokio::time::Instant::now() + limits.idle_timeout;
                }
                Output::StartTls => {
                    flush(io, &mut out, throttle, ctx).await?;
                    if !buf.is_empty() {
                        // Pipelined bytes after STARTTLS were sent in the clear and could be
                        // injected (CVE-2011-0411): they must not be executed under TLS.
                        session.note(format!(
                            "discarded {} bytes sent after STARTTLS before the handshake",
                            buf.len()
                        ));
                        buf.clear();
                    }
                    return Ok(End::StartTls);
                }
                Output::Close => {
                    flush(io, &mut out, throttle, ctx).await?;
                    return Ok(End::Closed);
                }
            }
        }
        flush(io, &mut out, session.throttle(), ctx).await?;
        note_auth(ctx, facts, session);
        if session.is_closed() {
            return Ok(End::Closed);
        }
        let now = tokio::time::Instant::now();
        // A throttle rule slows our reading on purpose: the client is not slow then.
        let paced = session.throttle().is_some();
        if session.in_data() && !paced {
            line_deadline = None;
            if rate.is_none() && limits.min_data_rate > 0 {
                rate = Some(RateWindow {
                    start: now,
                    bytes: 0,
                });
            }
        } else {
            rate = None;
            if buf.is_empty() || paced {
                line_deadline = None;
            } else if line_deadline.is_none() || buf.len() < unread_before {
                // A new line began (or one completed and the next began): it has until then.
                line_deadline = Some(now + limits.command_timeout);
            }
        }
        let mut deadline = idle_deadline;
        if let Some(l) = line_deadline {
            deadline = deadline.min(l);
        }
        if let Some(r) = &rate {
            deadline = deadline.min(r.start + limits.data_rate_window);
        }
        let wake = if session.transcript_mut().pending().is_empty() {
            deadline
        } else {
            deadline.min(now + TRANSCRIPT_QUIET)
        };
        let throttle = session.throttle();
        tokio::select! {
            _ = ctx.cancel.cancelled() => {
                let r = session.close_with("4.3.2", "Service shutting down, closing connection");
                bounded(io.write_all(r.to_wire().as_bytes())).await?;
                return Ok(End::Closed);
            }
            read = tokio::time::timeout_at(wake, read_some(io, &mut buf, throttle)) => match read {
                Err(_) => {
                    let now = tokio::time::Instant::now();
                    let close = if now >= idle_deadline {
                        Some("Idle timeout, closing connection".to_string())
                    } else if line_deadline.is_some_and(|l| now >= l) {
                        Some(format!(
                            "Command line not completed within {} s, closing connection",
                            limits.command_timeout.as_secs()
                        ))
                    } else {
                        match rate.as_mut() {
                            Some(r) if now >= r.start + limits.data_rate_window => {
                                let secs = limits.data_rate_window.as_secs_f64().max(0.001);
                                let got = r.bytes as f64 / secs;
                                if got < limits.min_data_rate as f64 {
                                    Some(format!(
                                        "Data arriving too slowly ({got:.0} bytes/s over {secs:.0} s; at least {} needed), closing connection",
                                        limits.min_data_rate
                                    ))
                                } else {
                                    *r = RateWindow { start: now, bytes: 0 };
                                    None
                                }
                            }
                            _ => None,
                        }
                    };
                    if let Some(text) = close {
                        let r = session.close_with("4.4.2", &text);
                        bounded(io.write_all(r.to_wire().as_bytes())).await?;
                        return Ok(End::Closed);
                    }
                    if !session.transcript_mut().pending().is_empty() {
                        // Quiet for a moment with lines unwritten (a pooled client between
                        // messages): store them now, off any ack's path.
                        let (first, lines) = session.transcript_mut().take_unflushed();
                        ctx.store.update_session(summarize_session(facts, session), first, lines, false);
                    }
                }
                Ok(Ok(0)) => {
                    // `Session::end` counts and notes a message this leaves unfinished.
                    session.note("client disconnected");
                    return Ok(End::Closed);
                }
                Ok(Ok(n)) => {
                    tokio::select! {
                        _ = pace(n, session.throttle()) => {}
                        _ = ctx.cancel.cancelled() => {}
                    }
                    idle_deadline = tokio::time::Instant::now() + limits.idle_timeout;
                    if let Some(r) = rate.as_mut() {
                        r.bytes += n as u64;
                    }
                }
                Ok(Err(e)) => return Err(e),
            }
        }
    }
}

/// Tells the per-address ledger about AUTH failures (and a success) since the last call.
fn note_auth(ctx: &ConnContext, facts: &Facts, session: &Session) {
    let Some(ip) = facts.ip else { return };
    let now = session.problems().auth_failures;
    let seen = facts.auth_noted.swap(now, Ordering::Relaxed);
    for _ in seen..now {
        ctx.auth_ledger.failed(ip);
    }
    if now == seen && session.auth().is_some() && seen > 0 {
        ctx.auth_ledger.succeeded(ip);
    }
}

/// Writes the replies waiting in `out`; with a throttle, a slice at a time at its rate,
/// giving up early at shutdown (the 421 then goes out at full speed). A client that does
/// not read its replies is given the idle timeout, and nothing at shutdown.
async fn flush<S: AsyncWrite + Unpin>(
    io: &mut S,
    out: &mut String,
    throttle: Option<u64>,
    ctx: &ConnContext,
) -> io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    let cancel = &ctx.cancel;
    let write = async {
        match throttle {
            None => io.write_all(out.as_bytes()).await?,
            Some(bps) => {
                let slice = (bps / 10).max(1) as usize;
                let pause = Duration::from_secs_f64(slice as f64 / bps.max(1) as f64);
                for part in out.as_bytes().chunks(slice) {
                    io.write_all(part).await?;
                    io.flush().await?;
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => {}
                        _ = cancel.cancelled() => break,
                    }
                }
            }
        }
        io.flush().await
    };
    let stalled = || io::Error::new(io::ErrorKind::TimedOut, "client is not reading replies");
    tokio::select! {
        r = tokio::time::timeout(ctx.limits.idle_timeout, write) => r.unwrap_or_else(|_| Err(stalled()))?,
        // A write already under way at shutdown gets a moment, then the session ends.
        _ = async { cancel.cancelled().await; tokio::time::sleep(CLOSE_GRACE).await } => return Err(stalled()),
    }
    out.clear();
    Ok(())
}

/// Reads what has arrived; with a throttle, at most a tenth of a second's worth.
async fn read_some<S: AsyncRead + Unpin>(
    io: &mut S,
    buf: &mut BytesMut,
    throttle: Option<u64>,
) -> io::Result<usize> {
    match throttle {
        None => io.read_buf(buf).await,
        Some(bps) => {
            let mut part = vec![0u8; (bps / 10).clamp(1, 16 * 1024) as usize];
            let n = io.read(&mut part).await?;
            buf.extend_from_slice(&part[..n]);
            Ok(n)
        }
    }
}

/// With a throttle, reads are paced too: after `n` bytes, wait as long as they take at
/// the throttled rate.
async fn pace(n: usize, throttle: Option<u64>) {
    if let Some(bps) = throttle.filter(|_| n > 0) {
        tokio::time::sleep(Duration::from_secs_f64(n as f64 / bps as f64)).await;
    }
}

fn summarize_session(facts: &Facts, session: &Session) -> SessionSummary {
    let problems = session.problems();
    SessionSummary {
        id: facts.id,
        peer: facts.peer.clone(),
        local: facts.local.clone(),
        started_at: facts.started_at,
        ended_at: None,
        helo: session.helo_name().map(str::to_string),
        tls: session.tls().cloned(),
        auth: session.auth().cloned(),
        message_count: session.message_count(),
        last_code: session.last_code(),
        refusals: problems.refusals,
        aborted_messages: problems.aborted_messages,
        tls_failed: problems.tls_failed,
        auth_failures: problems.auth_failures,
        faults: problems.faults,
    }
}

/// Commits one message; resolves only once it is durable.
async fn deliver(
    ctx: &ConnContext,
    facts: &Facts,
    session: &mut Session,
    d: Delivery,
) -> Result<i64, DeliveryError> {
    // Parsing is CPU work; big messages go to the blocking pool to keep the reactor free.
    let (raw, parsed) = if d.raw.len() > 256 * 1024 {
        tokio::task::spawn_blocking(move || {
            let parsed = summarize(&d.raw);
            (d.raw, parsed)
        })
        .await
        .map_err(|e| DeliveryError::Failed(e.to_string()))?
    } else {
        let parsed = summarize(&d.raw);
        (d.raw, parsed)
    };
    // Transcript lines ride along in chunks, not with every message: each row written in
    // the commit a 250 waits for costs pages. The session's end always writes the rest.
    let (first_line, lines) = if session.transcript_mut().pending().len() >= TRANSCRIPT_CHUNK {
        session.transcript_mut().take_unflushed()
    } else {
        (session.transcript_mut().len(), Vec::new())
    };
    let mut summary = summarize_session(facts, session);
    summary.message_count += 1;
    let tags = crate::message::tags_for(&d.envelope, &parsed);
    let msg = NewMessage {
        session: summary,
        first_line,
        lines,
        envelope: d.envelope,
        raw,
        parsed,
        received_at: Utc::now(),
        transcript_range: (d.transcript_first, d.transcript_end),
        auth_user: session.auth().map(|a| a.user.clone()),
        listener: ctx.listener.to_string(),
        tags,
    };
    match ctx.store.deliver(msg).await {
        Ok(id) => {
            ctx.storage.set_ok();
            Ok(id)
        }
        Err(e) if is_storage_full(&e) => {
            let why = e.to_string();
            ctx.storage.set_full(&why);
            Err(DeliveryError::StorageFull(why))
        }
        Err(e) => Err(DeliveryError::Failed(e.to_string())),
    }
}

/// SQLite's "database or disk is full" (SQLITE_FULL: no space on the disk, or the
/// database at its size limit), or the operating system's ENOSPC / EDQUOT.
pub(crate) fn is_storage_full(e: &StoreError) -> bool {
    match e {
        StoreError::Sql(rusqlite::Error::SqliteFailure(f, _)) => {
            f.code == rusqlite::ErrorCode::DiskFull
        }
        StoreError::Io(io) => matches!(io.raw_os_error(), Some(28) | Some(122)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_running_out_of_room_is_recognised_as_storage_full() {
        // A real SQLITE_FULL: a database held to a few pages, then filled.
        let conn = rusqlite::Connection::open_in_memory().expect("open");
        conn.execute_batch("CREATE TABLE t (b BLOB); PRAGMA max_page_count = 4;")
            .expect("setup");
        let full = conn
            .execute("INSERT INTO t VALUES (zeroblob(100000))", [])
            .expect_err("the insert cannot fit");
        assert!(
            is_storage_full(&StoreError::Sql(full)),
            "SQLITE_FULL maps to 452 4.3.1"
        );
        let other = conn
            .execute("INSERT INTO missing VALUES (1)", [])
            .expect_err("no such table");
        assert!(
            !is_storage_full(&StoreError::Sql(other)),
            "any other failure stays 451 4.3.0"
        );
        assert!(
            is_storage_full(&StoreError::Io(io::Error::from_raw_os_error(28))),
            "ENOSPC is storage full"
        );
    }
}
