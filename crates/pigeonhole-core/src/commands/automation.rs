//! What automation asks of the store beyond reading: mail put in without SMTP (the API's
//! send), a wait on the server that cannot miss a message, and a private address per test.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::broadcast::error::RecvError;

use super::messages::compile;
use super::{blocking, CommandError, Result, MAX_PAGE};
use crate::event::{Event, EventBus};
use crate::message::compose::compose;
use crate::model::{
    Compose, Direction, Envelope, MessageFilter, MessageId, SessionSummary, TestInbox,
    TranscriptLine, WaitOutcome, WaitResult,
};
use crate::store::{NewMessage, Store};

/// Mail that arrives other than by SMTP, with where it came from for its transcript.
#[derive(Debug, Clone)]
pub struct Injection {
    pub envelope: Envelope,
    pub raw: Vec<u8>,
    /// Who sent it, e.g. the HTTP client's address.
    pub peer: String,
    /// How it came, for the transcript: "HTTP POST /api/v1/send".
    pub via: String,
    /// The listener name it is filed under (`config::API_LISTENER` for the API).
    pub listener: String,
    /// Tags beyond the ones the message names in X-Tags.
    pub tags: Vec<String>,
}

/// Stores a message as an SMTP session would, with a short transcript saying how it came;
/// resolves once it is committed.
pub async fn inject(store: &Store, inj: Injection) -> Result<MessageId> {
    let now = Utc::now();
    let parsed = crate::message::summarize(&inj.raw);
    let mut tags = crate::message::tags_for(&inj.envelope, &parsed);
    for t in &inj.tags {
        let t = crate::message::normalize_tag(t).ok_or_else(|| CommandError::BadTag(t.clone()))?;
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    tags.sort();
    let line = |text: String| TranscriptLine {
        ts: now,
        dir: Direction::Info,
        text,
    };
    let rcpts: Vec<&str> = inj
        .envelope
        .rcpt_to
        .iter()
        .map(|r| r.address.as_str())
        .collect();
    let lines = vec![
        line(format!("{} from {}", inj.via, inj.peer)),
        line(format!(
            "MAIL FROM:<{}> RCPT TO:<{}> [{} bytes]",
            inj.envelope.mail_from,
            rcpts.join(">, <"),
            inj.raw.len()
        )),
    ];
    let mut session = SessionSummary {
        id: store.next_session_id(),
        peer: inj.peer,
        local: inj.via,
        started_at: now,
        ended_at: None,
        helo: None,
        tls: None,
        auth: None,
        message_count: 1,
        last_code: None,
        refusals: 0,
        aborted_messages: 0,
        tls_failed: false,
        auth_failures: 0,
        faults: 0,
    };
    let n = lines.len();
    let id = store
        .deliver(NewMessage {
            session: session.clone(),
            first_line: 0,
            lines,
            envelope: inj.envelope,
            raw: inj.raw,
            parsed,
            received_at: now,
            transcript_range: (0, n),
            auth_user: None,
            listener: inj.listener,
            tags,
        })
        .await?;
    session.ended_at = Some(Utc::now());
    session.last_code = Some(250);
    let done = TranscriptLine {
        ts: Utc::now(),
        dir: Direction::Info,
        text: format!("stored as message {id}"),
    };
    store.update_session(session, n, vec![done], true);
    Ok(id)
}

/// Builds a message from fields and stores it (`inject`); a field that cannot be used is
/// `CommandError::Invalid`, naming it, and a message over `max_size` bytes (the SMTP
/// limit) is `CommandError::TooLarge`.
pub async fn send(
    store: &Store,
    message: Compose,
    max_size: usize,
    peer: String,
    via: String,
    listener: String,
) -> Result<MessageId> {
    let (envelope, raw) = compose(&message).map_err(|e| CommandError::Invalid(e.to_string()))?;
    if raw.len() > max_size {
        return Err(CommandError::TooLarge {
            size: raw.len(),
            max: max_size,
        });
    }
    inject(
        store,
        Injection {
            envelope,
            raw,
            peer,
            via,
            listener,
            tags: message.tags,
        },
    )
    .await
}

/// What to wait for: `count` messages matching `filter` (0: that none arrives), at most
/// `timeout`.
#[derive(Debug, Clone)]
pub struct WaitFor {
    pub filter: MessageFilter,
    pub count: u64,
    pub timeout: Duration,
}

/// The longest wait anyone may ask for.
pub const MAX_WAIT: Duration = Duration::from_secs(600);

/// Waits on the server until `count` messages match (or, for 0, until the timeout passes
/// with none). It subscribes to the bus before its first query, and queries again after
/// every batch the index announces, so a message that arrives between the two is not missed.
pub async fn wait(store: &Store, bus: &EventBus, w: WaitFor) -> Result<WaitResult> {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + w.timeout.min(MAX_WAIT);
    let mut rx = bus.subscribe();
    let _eager = store.index_eagerly();
    // Checked once up front, so a bad query fails at once rather than at the deadline.
    compile(&w.filter)?;
    loop {
        let filter = compile(&w.filter)?;
        let matched = blocking(store, move |s| Ok(s.count(&filter)?.total)).await?;
        let outcome = match (w.count, matched) {
            (0, 0) => None,
            (0, _) => Some(WaitOutcome::Unexpected),
            (n, m) if m >= n => Some(WaitOutcome::Found),
            _ => None,
        };
        let timed_out = tokio::time::Instant::now() >= deadline;
        let outcome = match (outcome, timed_out) {
            (Some(o), _) => o,
            (None, true) if w.count == 0 => WaitOutcome::NoneArrived,
            (None, true) => WaitOutcome::Timeout,
            (None, false) => {
                // A change the query could see, or a periodic look for another process's
                // writes; either way, query again.
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline) => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = relevant_change(&mut rx) => {}
                }
                continue;
            }
        };
        let page = w.count.clamp(1, MAX_PAGE);
        let filter = compile(&w.filter)?;
        let messages = if matched == 0 {
            Vec::new()
        } else {
            blocking(store, move |s| Ok(s.list(&filter, 0, page)?.messages)).await?
        };
        return Ok(WaitResult {
            outcome,
            wanted: w.count,
            matched,
            messages,
            waited_ms: started.elapsed().as_millis() as u64,
        });
    }
}

/// Resolves at the next event after which a query may answer differently.
async fn relevant_change(rx: &mut tokio::sync::broadcast::Receiver<Event>) {
    loop {
        match rx.recv().await {
            Ok(
                Event::MessagesIndexed(_)
                | Event::MessagesUpdated(_)
                | Event::MessagesRead { .. }
                | Event::StoreChanged,
            ) => return,
            Ok(_) => {}
            Err(RecvError::Lagged(_)) => return,
            // The store is closing: nothing more will change.
            Err(RecvError::Closed) => std::future::pending::<()>().await,
        }
    }
}

/// The domain test addresses are made in; `.test` is reserved (RFC 2606), so nothing sent to
/// it can leave by mistake.
pub const TEST_DOMAIN: &str = "pigeonhole.test";

/// A fresh address no other test shares, with the query that selects its mail and SMTP
/// details for the listener at `smtp`. `any_credentials` says whether the listener takes
/// any AUTH credentials (the default), so the inbox's own can be offered.
pub fn test_inbox(smtp: SocketAddr, any_credentials: bool) -> TestInbox {
    let local = format!("t-{}", unique_token());
    let address = format!("{local}@{TEST_DOMAIN}");
    TestInbox {
        query: format!("inbox:{address}"),
        smtp_host: smtp.ip().to_string(),
        smtp_port: smtp.port(),
        username: any_credentials.then(|| local.clone()),
        password: any_credentials.then(unique_token),
        address,
    }
}

/// 16 random lowercase letters and digits (82 bits).
fn unique_token() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}
