//! The event streams over the server's real HTTP listener: Mailpit's WebSocket
//! (`/api/events`) and our Server-Sent Events (`/api/v1/events`) with resume.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use pigeonhole_test::TestServer;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::support::send;

/// How soon after the 250 a client must hear of the message.
const PROMPT: Duration = Duration::from_secs(1);
/// A bound on anything else a test waits for.
const PATIENCE: Duration = Duration::from_secs(10);

/// One Server-Sent Event.
#[derive(Debug, Clone, Default)]
struct SseEvent {
    id: Option<String>,
    event: String,
    data: String,
}

impl SseEvent {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }
}

/// A minimal SSE client: HTTP/1.1 over TCP, the chunked body decoded, events split.
struct SseClient {
    reader: BufReader<TcpStream>,
    /// Decoded body not yet split into events.
    pending: String,
}

impl SseClient {
    async fn open(addr: SocketAddr, last_event_id: Option<&str>) -> SseClient {
        let mut tcp = TcpStream::connect(addr).await.expect("connect to the API");
        let resume = last_event_id
            .map(|id| format!("Last-Event-ID: {id}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "GET /api/v1/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n{resume}\r\n"
        );
        tcp.write_all(request.as_bytes()).await.expect("request");
        let mut reader = BufReader::new(tcp);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await.expect("response head");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line);
        }
        assert!(head.starts_with("HTTP/1.1 200"), "the stream opens: {head}");
        let lower = head.to_ascii_lowercase();
        assert!(
            lower.contains("content-type: text/event-stream"),
            "an event stream: {head}"
        );
        assert!(
            lower.contains("transfer-encoding: chunked"),
            "this client reads chunked bodies: {head}"
        );
        SseClient {
            reader,
            pending: String::new(),
        }
    }

    /// The next event (comments and keep-alives skipped).
    async fn next(&mut self) -> SseEvent {
        loop {
            if let Some(end) = self.pending.find("\n\n") {
                let block: String = self.pending.drain(..end + 2).collect();
                let mut e = SseEvent::default();
                for line in block.lines() {
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match field {
                        "id" => e.id = Some(value.to_string()),
                        "event" => e.event = value.to_string(),
                        "data" => {
                            if !e.data.is_empty() {
                                e.data.push('\n');
                            }
                            e.data.push_str(value);
                        }
                        _ => {}
                    }
                }
                if !e.event.is_empty() || !e.data.is_empty() {
                    return e;
                }
                continue;
            }
            self.read_chunk().await;
        }
    }

    async fn read_chunk(&mut self) {
        let mut size = String::new();
        while size.trim().is_empty() {
            size.clear();
            let n = self.reader.read_line(&mut size).await.expect("chunk size");
            assert!(n > 0, "the stream ended");
        }
        let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
            .expect("a hex chunk size");
        assert!(size > 0, "the stream ended");
        let mut chunk = vec![0; size + 2];
        self.reader
            .read_exact(&mut chunk)
            .await
            .expect("chunk data");
        chunk.truncate(size);
        self.pending
            .push_str(&String::from_utf8(chunk).expect("UTF-8 events"));
    }

    /// The next event named `name` whose data `pick` accepts, within `within`.
    async fn until(
        &mut self,
        within: Duration,
        mut pick: impl FnMut(&SseEvent) -> bool,
    ) -> SseEvent {
        tokio::time::timeout(within, async {
            loop {
                let e = self.next().await;
                if pick(&e) {
                    return e;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no such event within {within:?}"))
    }
}

fn is_new_with_subject(e: &SseEvent, subject: &str) -> bool {
    e.event == "message://new" && e.json()["subject"] == subject
}

#[tokio::test]
async fn a_websocket_client_sees_new_within_a_second_of_the_250() {
    let server = TestServer::start().await.expect("server starts");
    let addr = server.http_addr().expect("api");
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/api/events"))
        .await
        .expect("the WebSocket opens");
    send(&server, "ann@example.com", "Over the socket", "hi");
    let acked = Instant::now();
    let frame = tokio::time::timeout(PROMPT, async {
        loop {
            match ws.next().await {
                Some(Ok(WsMessage::Text(text))) => {
                    let v: Value = serde_json::from_str(text.as_str()).expect("JSON frames");
                    if v["Type"] == "new" {
                        return v;
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("the socket ended: {other:?}"),
            }
        }
    })
    .await
    .expect("a {\"Type\":\"new\"} frame within 1 s of the 250");
    assert!(acked.elapsed() < PROMPT);
    assert_eq!(
        frame["Data"]["Subject"], "Over the socket",
        "Mailpit's summary shape: {frame}"
    );
    assert!(frame["Data"]["ID"].is_string(), "{frame}");
}

#[tokio::test]
async fn an_sse_client_sees_message_new_within_a_second_of_the_250() {
    let server = TestServer::start().await.expect("server starts");
    let mut sse = SseClient::open(server.http_addr().expect("api"), None).await;
    send(&server, "ann@example.com", "Over SSE", "hi");
    let e = sse.until(PROMPT, |e| e.event == "message://new").await;
    assert_eq!(
        e.json()["subject"],
        "Over SSE",
        "our summary as data: {e:?}"
    );
    assert!(
        e.id.is_some(),
        "every event has an id to resume from: {e:?}"
    );
}

#[tokio::test]
async fn an_sse_client_that_resumes_with_last_event_id_gets_what_it_missed() {
    let server = TestServer::start().await.expect("server starts");
    let addr = server.http_addr().expect("api");
    // Stays connected throughout, to know when the missed events have been logged.
    let mut observer = SseClient::open(addr, None).await;
    let mut client = SseClient::open(addr, None).await;
    send(&server, "ann@example.com", "First", "hi");
    let first = client
        .until(PATIENCE, |e| is_new_with_subject(e, "First"))
        .await;
    let last_id = first.id.clone().expect("an id");
    drop(client);

    send(&server, "ann@example.com", "Second", "hi");
    send(&server, "ann@example.com", "Third", "hi");
    observer
        .until(PATIENCE, |e| is_new_with_subject(e, "Third"))
        .await;

    let mut client = SseClient::open(addr, Some(&last_id)).await;
    let mut seen = Vec::new();
    let mut ids = Vec::new();
    tokio::time::timeout(PATIENCE, async {
        while !(seen.contains(&"Second".to_string()) && seen.contains(&"Third".to_string())) {
            let e = client.next().await;
            assert_ne!(e.event, "reset", "a held id resumes, it does not reset");
            ids.push(e.id.clone().expect("an id"));
            if e.event == "message://new" {
                seen.push(e.json()["subject"].as_str().unwrap_or("").to_string());
            }
        }
    })
    .await
    .expect("the missed events are replayed");
    assert_eq!(
        seen,
        ["Second", "Third"],
        "exactly what was missed, in order, and not First again"
    );
    let n = |id: &str| -> u64 {
        id.rsplit_once('-')
            .and_then(|(_, n)| n.parse().ok())
            .expect("ids are <boot>-<n>")
    };
    let numbers: Vec<u64> = ids.iter().map(|i| n(i)).collect();
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]) && numbers[0] > n(&last_id),
        "replayed ids follow the last one seen, in order: {last_id} then {ids:?}"
    );
}

#[tokio::test]
async fn a_foreign_or_malformed_last_event_id_gets_reset() {
    let server = TestServer::start().await.expect("server starts");
    let addr = server.http_addr().expect("api");
    for id in ["0-1", "another-process-42", "garbage"] {
        let mut client = SseClient::open(addr, Some(id)).await;
        let e = tokio::time::timeout(PATIENCE, client.next())
            .await
            .expect("an event");
        assert_eq!(e.event, "reset", "{id}: the client must reload: {e:?}");
    }
}

#[tokio::test]
async fn a_last_event_id_older_than_the_log_gets_reset() {
    let server = TestServer::start().await.expect("server starts");
    let addr = server.http_addr().expect("api");
    let mut observer = SseClient::open(addr, None).await;
    send(&server, "ann@example.com", "Old", "hi");
    let old = observer
        .until(PATIENCE, |e| is_new_with_subject(e, "Old"))
        .await
        .id
        .expect("an id");
    let id = server.wait_for("subject:Old").await.expect("stored").id;
    // More events than the log holds (2048): read flags flipping back and forth.
    let store = server.store();
    for i in 0..2100 {
        pigeonhole_test::pigeonhole_core::commands::mark_read(store, vec![id], i % 2 == 0)
            .await
            .expect("mark");
    }
    // Once the observer has seen the last of them, they are all in the log.
    let mut reads = 0;
    observer
        .until(PATIENCE, |e| {
            reads += u32::from(e.event == "message://read");
            reads == 2100
        })
        .await;
    let mut client = SseClient::open(addr, Some(&old)).await;
    let e = tokio::time::timeout(PATIENCE, client.next())
        .await
        .expect("an event");
    assert_eq!(
        e.event, "reset",
        "an id the log no longer holds resets: {e:?}"
    );
}
