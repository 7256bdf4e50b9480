//! Messages stored as an SMTP session would deliver them, for the command layer's tests.

use chrono::Utc;

use crate::event::Event;
use crate::model::{Envelope, MessageId, Recipient, SessionSummary};
use crate::store::{NewMessage, Store};

pub(super) struct Seed<'a> {
    pub raw: String,
    pub mail_from: &'a str,
    pub rcpt: &'a [&'a str],
    pub auth_user: Option<&'a str>,
    pub listener: &'a str,
    pub local: &'a str,
    pub received_at: chrono::DateTime<Utc>,
}

impl Default for Seed<'_> {
    fn default() -> Self {
        Seed {
            raw: String::new(),
            mail_from: "app@example.com",
            rcpt: &["dev@example.com"],
            auth_user: None,
            listener: "default",
            local: "127.0.0.1:1025",
            received_at: Utc::now(),
        }
    }
}

pub(super) async fn seed(store: &Store, s: Seed<'_>) -> MessageId {
    let session = SessionSummary {
        id: store.next_session_id(),
        peer: "127.0.0.1:50000".into(),
        local: s.local.into(),
        started_at: Utc::now(),
        ended_at: None,
        helo: Some("client.test".into()),
        tls: None,
        auth: None,
        message_count: 1,
        last_code: Some(250),
        refusals: 0,
        aborted_messages: 0,
        tls_failed: false,
        auth_failures: 0,
        faults: 0,
    };
    let envelope = Envelope {
        mail_from: s.mail_from.into(),
        mail_params: Vec::new(),
        rcpt_to: s
            .rcpt
            .iter()
            .map(|a| Recipient {
                address: (*a).into(),
                params: Vec::new(),
            })
            .collect(),
    };
    let parsed = crate::message::summarize(s.raw.as_bytes());
    let tags = crate::message::tags_for(&envelope, &parsed);
    let msg = NewMessage {
        session,
        first_line: 0,
        lines: Vec::new(),
        envelope,
        raw: s.raw.into_bytes(),
        parsed,
        received_at: s.received_at,
        transcript_range: (0, 0),
        auth_user: s.auth_user.map(str::to_string),
        listener: s.listener.into(),
        tags,
    };
    store.deliver(msg).await.expect("delivered")
}

/// Waits until the index announces `id`.
pub(super) async fn indexed(rx: &mut tokio::sync::broadcast::Receiver<Event>, id: MessageId) {
    let wait = async {
        loop {
            if let Ok(Event::MessagesIndexed(ids)) = rx.recv().await {
                if ids.contains(&id) {
                    return;
                }
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), wait)
        .await
        .expect("the index announces the batch within 5 s");
}
