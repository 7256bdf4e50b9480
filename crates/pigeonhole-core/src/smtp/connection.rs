//! The connection loop: reads bytes, drives a `Session`, writes replies, commits messages.
//! Generic over `AsyncRead + AsyncWrite`, so tests can use `tokio::io::duplex`.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use chrono::{DateTime, Utc};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::session::{Delivery, Output, Session, SessionConfig};
use crate::message::summarize;
use crate::model::{SessionSummary, TlsInfo};
use crate::rules::Faults;
use crate::store::{NewMessage, Store};

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
    pub idle_timeout: Duration,
    pub cancel: CancellationToken,
    /// Present when STARTTLS or implicit TLS is available.
    pub tls: Option<TlsAcceptor>,
    /// The fault rules in force, shared by every listener.
    pub faults: Arc<Faults>,
}

/// A TLS fatal alert record (TLS 1.2 framing, level fatal, handshake_failure), sent
/// instead of a ServerHello when a rule fails the handshake.
const TLS_HANDSHAKE_FAILURE: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];

/// Per-connection facts recorded with the session.
struct Facts {
    id: i64,
    peer: String,
    local: String,
    started_at: DateTime<Utc>,
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
    let facts = Facts {
        id: ctx.store.next_session_id(),
        peer,
        local,
        started_at: Utc::now(),
    };
    let client = tcp
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let mut session =
        Session::new(ctx.cfg.clone()).with_faults(ctx.faults.clone(), ctx.listener.clone(), client);
    session.note(format!("connection from {} to {}", facts.peer, facts.local));
    if let Err(e) = run(tcp, &ctx, &facts, &mut session, start).await {
        session.note(format!("connection error: {e}"));
    }
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
            tcp.write_all(r.to_wire().as_bytes()).await?;
            return tcp.shutdown().await;
        }
        Start::ImplicitTls => {
            if session.implicit_tls_refused() {
                return fail_tls(&mut tcp, session).await;
            }
            let mut tls = handshake(ctx, tcp, session).await?;
            session.open();
            drive(&mut tls, ctx, facts, session).await?;
            return tls.shutdown().await;
        }
        Start::Plain => {}
    }
    session.open();
    match drive(&mut tcp, ctx, facts, session).await? {
        End::Closed => tcp.shutdown().await,
        End::FailTls => fail_tls(&mut tcp, session).await,
        End::StartTls => {
            let mut tls = handshake(ctx, tcp, session).await?;
            drive(&mut tls, ctx, facts, session).await?;
            tls.shutdown().await
        }
    }
}

/// Answers a TLS ClientHello with a fatal alert, as a server without a usable certificate
/// would, and closes.
async fn fail_tls(tcp: &mut TcpStream, session: &mut Session) -> io::Result<()> {
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
    let _ = tokio::time::timeout(Duration::from_secs(2), read_hello).await;
    tcp.write_all(&TLS_HANDSHAKE_FAILURE).await?;
    tcp.shutdown().await
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
    match acceptor.accept(tcp).await {
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

async fn drive<S>(
    io: &mut S,
    ctx: &ConnContext,
    facts: &Facts,
    session: &mut Session,
) -> io::Result<End>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let mut idle_deadline = tokio::time::Instant::now() + ctx.idle_timeout;
    let mut out = String::with_capacity(1024);
    loop {
        while let Some(output) = session.advance(&mut buf) {
            let throttle = session.throttle();
            match output {
                Output::Reply(r) => out.push_str(&r.to_wire()),
                Output::Delay(d) => {
                    flush(io, &mut out, throttle, &ctx.cancel).await?;
                    tokio::select! {
                        _ = tokio::time::sleep(d) => {}
                        _ = ctx.cancel.cancelled() => {}
                    }
                    // Our own silence is not the client's idleness.
                    idle_deadline = tokio::time::Instant::now() + ctx.idle_timeout;
                }
                Output::CutReply(r) => {
                    flush(io, &mut out, throttle, &ctx.cancel).await?;
                    let wire = r.to_wire();
                    io.write_all(&wire.as_bytes()[..wire.len() / 2]).await?;
                    io.flush().await?;
                    return Ok(End::Closed);
                }
                Output::FailTls => {
                    flush(io, &mut out, throttle, &ctx.cancel).await?;
                    return Ok(End::FailTls);
                }
                Output::Deliver(delivery) => {
                    flush(io, &mut out, throttle, &ctx.cancel).await?;
                    let result = deliver(ctx, facts, session, delivery).await;
                    session.delivered(result);
                    idle_deadline = tokio::time::Instant::now() + ctx.idle_timeout;
                }
                Output::StartTls => {
                    flush(io, &mut out, throttle, &ctx.cancel).await?;
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
                    flush(io, &mut out, throttle, &ctx.cancel).await?;
                    return Ok(End::Closed);
                }
            }
        }
        flush(io, &mut out, session.throttle(), &ctx.cancel).await?;
        if session.is_closed() {
            return Ok(End::Closed);
        }
        let wake = if session.transcript_mut().pending().is_empty() {
            idle_deadline
        } else {
            idle_deadline.min(tokio::time::Instant::now() + TRANSCRIPT_QUIET)
        };
        let throttle = session.throttle();
        tokio::select! {
            _ = ctx.cancel.cancelled() => {
                let r = session.close_with("4.3.2", "Service shutting down, closing connection");
                io.write_all(r.to_wire().as_bytes()).await?;
                return Ok(End::Closed);
            }
            read = tokio::time::timeout_at(wake, read_some(io, &mut buf, throttle)) => match read {
                Err(_) if tokio::time::Instant::now() >= idle_deadline => {
                    let r = session.close_with("4.4.2", "Idle timeout, closing connection");
                    io.write_all(r.to_wire().as_bytes()).await?;
                    return Ok(End::Closed);
                }
                Err(_) => {
                    // Quiet for a moment with lines unwritten (a pooled client between
                    // messages): store them now, off any ack's path.
                    let (first, lines) = session.transcript_mut().take_unflushed();
                    ctx.store.update_session(summarize_session(facts, session), first, lines, false);
                }
                Ok(Ok(0)) => {
                    // `Session::end` counts and notes a message this leaves unfinished.
                    session.note("client disconnected");
                    return Ok(End::Closed);
                }
                Ok(Ok(n)) => {
                    pace(n, session.throttle()).await;
                    idle_deadline = tokio::time::Instant::now() + ctx.idle_timeout;
                }
                Ok(Err(e)) => return Err(e),
            }
        }
    }
}

/// Writes the replies waiting in `out`; with a throttle, a slice at a time at its rate,
/// giving up early at shutdown (the 421 then goes out at full speed).
async fn flush<S: AsyncWrite + Unpin>(
    io: &mut S,
    out: &mut String,
    throttle: Option<u64>,
    cancel: &CancellationToken,
) -> io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
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
    io.flush().await?;
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
) -> Result<i64, String> {
    // Parsing is CPU work; big messages go to the blocking pool to keep the reactor free.
    let (raw, parsed) = if d.raw.len() > 256 * 1024 {
        tokio::task::spawn_blocking(move || {
            let parsed = summarize(&d.raw);
            (d.raw, parsed)
        })
        .await
        .map_err(|e| e.to_string())?
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
    ctx.store.deliver(msg).await.map_err(|e| e.to_string())
}
