//! `pigeonhole mcp` driven as an assistant's MCP client drives it: one JSON-RPC object per
//! line on its stdin and stdout, against a real `pigeonhole serve` that mail is sent to over
//! SMTP.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Server, BIN};
use serde_json::{json, Value};

/// The tools a read-only server offers, by name.
const READ_TOOLS: [&str; 9] = [
    "codes",
    "get_message",
    "get_transcript",
    "links",
    "lint",
    "list_inboxes",
    "search",
    "status",
    "wait",
];

/// How long any one answer may take; a wait asks for less.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `pigeonhole mcp`, initialized; killed and reaped on drop.
struct Mcp {
    child: Child,
    /// `None` once closed.
    stdin: Option<ChildStdin>,
    /// Lines from its stdout, read on a thread so a hang fails the test instead of blocking it.
    lines: mpsc::Receiver<String>,
    next_id: u64,
}

impl Mcp {
    fn start(data_dir: &Path, api: &str, extra: &[&str]) -> Mcp {
        let mut child = Command::new(BIN)
            .arg("mcp")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--api", api])
            .args(extra)
            .env_remove("PIGEONHOLE_API_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning pigeonhole mcp");
        let stdin = Some(child.stdin.take().expect("stdin is piped"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");
        // Drained so the server never blocks on a full pipe; what it logs is not the protocol.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut mcp = Mcp {
            child,
            stdin,
            lines,
            next_id: 1,
        };
        let init = mcp.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "pigeonhole-test", "version": "1"}
            }),
        );
        assert_eq!(
            init["result"]["serverInfo"]["name"], "pigeonhole",
            "initialize names the server: {init}"
        );
        assert!(
            init["result"]["capabilities"]["tools"].is_object(),
            "the server says it has tools: {init}"
        );
        mcp.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        mcp
    }

    fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "{message}").expect("writing to pigeonhole mcp");
        stdin.flush().expect("flushing to pigeonhole mcp");
    }

    /// Sends a request and returns its id; `answer` reads the response.
    fn ask(&mut self, method: &str, params: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// The response to request `id`. Every line on stdout must be a JSON-RPC 2.0 message:
    /// anything else there (a log line, a stray print) breaks a real client.
    fn answer(&mut self, id: u64) -> Value {
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|e| panic!("no answer to request {id} within 30 s ({e})"));
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout has a line that is not JSON ({e}): {line}"));
            assert_eq!(
                message["jsonrpc"], "2.0",
                "stdout carries only JSON-RPC 2.0: {line}"
            );
            if message["id"] == json!(id) {
                return message;
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.ask(method, params);
        self.answer(id)
    }

    fn tool_names(&mut self) -> Vec<String> {
        let list = self.request("tools/list", json!({}));
        let tools = list["result"]["tools"]
            .as_array()
            .unwrap_or_else(|| panic!("tools/list answers a list: {list}"));
        for t in tools {
            assert!(
                t["description"].as_str().is_some_and(|d| d.len() > 40),
                "every tool says what it does: {t}"
            );
            assert_eq!(
                t["inputSchema"]["type"], "object",
                "every tool has an input schema: {t}"
            );
        }
        let mut names: Vec<String> = tools
            .iter()
            .map(|t| t["name"].as_str().unwrap_or_default().to_string())
            .collect();
        names.sort();
        names
    }

    /// Starts a tool call; `result` reads its answer.
    fn start_call(&mut self, tool: &str, arguments: Value) -> u64 {
        self.ask("tools/call", json!({"name": tool, "arguments": arguments}))
    }

    /// A call's answer as (is it a tool error, its text).
    fn result(&mut self, id: u64) -> (bool, String) {
        let answer = self.answer(id);
        let result = &answer["result"];
        assert!(
            result.is_object(),
            "a tool call answers a result, not a protocol error: {answer}"
        );
        let text = result["content"][0]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("the result is text: {answer}"))
            .to_string();
        (result["isError"] == json!(true), text)
    }

    /// A call that must succeed, its JSON answer.
    fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let id = self.start_call(tool, arguments.clone());
        let (is_error, text) = self.result(id);
        assert!(!is_error, "{tool} {arguments} failed: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{tool} answers JSON ({e}): {text}"))
    }

    /// A call that must fail with a tool error, its text.
    fn call_error(&mut self, tool: &str, arguments: Value) -> String {
        let id = self.start_call(tool, arguments.clone());
        let (is_error, text) = self.result(id);
        assert!(is_error, "{tool} {arguments} should fail, answered: {text}");
        text
    }

    /// Closes stdin, as a client does when it is done: the server must exit by itself.
    fn close(mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("polling pigeonhole mcp") {
                assert!(status.success(), "mcp exits cleanly at EOF: {status}");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "mcp did not exit within 10 s of stdin closing"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Mcp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn api(server: &Server) -> String {
    format!("http://{}", server.http)
}

/// Sent to audit@ (RCPT TO) with ann@ in the To header: the envelope and the headers differ.
const SIGNUP: &str = "From: Shop <shop@example.test>\r\nTo: ann@example.test\r\n\
Subject: Confirm your account\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=b\r\n\r\n\
--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
Hi Ann, your verification code is 482913.\r\n\
Confirm: https://shop.example.test/confirm?t=abc&u=1\r\n\
--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
<p>Your verification code is <b>482913</b>.</p>\
<p><a href=\"https://shop.example.test/confirm?t=abc&amp;u=1\">Confirm email</a></p>\r\n\
--b--\r\n";

fn plain(subject: &str) -> String {
    format!("From: app@example.test\r\nTo: bob@example.test\r\nSubject: {subject}\r\n\r\nHello {subject}.\r\n")
}

#[test]
fn the_tools_are_listed_and_delete_only_with_allow_delete() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let mut mcp = Mcp::start(dir.path(), &api(&server), &[]);
    assert_eq!(
        mcp.tool_names(),
        READ_TOOLS,
        "a read-only server offers the read tools and no delete"
    );
    let refused = mcp.request(
        "tools/call",
        json!({"name": "delete", "arguments": {"query": "subject:x"}}),
    );
    assert!(
        refused["error"].is_object(),
        "delete cannot be called when it is not offered: {refused}"
    );
    mcp.close();

    let mut mcp = Mcp::start(dir.path(), &api(&server), &["--allow-delete"]);
    let mut expected: Vec<&str> = READ_TOOLS.to_vec();
    expected.push("delete");
    expected.sort();
    assert_eq!(
        mcp.tool_names(),
        expected,
        "--allow-delete adds delete to the read tools"
    );
    mcp.close();
}

#[test]
fn an_assistant_waits_for_mail_then_searches_reads_and_follows_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    common::send(&server, &[("audit@example.test", SIGNUP.to_string())]);
    let mut mcp = Mcp::start(dir.path(), &api(&server), &[]);

    // A wait started before the mail is sent sees it arrive.
    let waiting = mcp.start_call(
        "wait",
        json!({"query": "subject:welcome to:bob@example.test", "timeout_seconds": 10}),
    );
    std::thread::sleep(Duration::from_millis(500));
    let sent = Instant::now();
    common::send(&server, &[("bob@example.test", plain("Welcome"))]);
    let (is_error, text) = mcp.result(waiting);
    assert!(!is_error, "the wait succeeds: {text}");
    let found: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(found["outcome"], "found", "{found}");
    assert_eq!(found["ok"], true, "{found}");
    assert_eq!(found["messages"][0]["subject"], "Welcome", "{found}");
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "the wait answered soon after the mail came, not at its timeout"
    );

    // Count 0: nothing matching arrives, as expected; then one that is there, unexpected.
    let none = mcp.call(
        "wait",
        json!({"query": "subject:never-sent", "count": 0, "timeout_seconds": 0.5}),
    );
    assert_eq!(none["outcome"], "none_arrived", "{none}");
    assert_eq!(none["ok"], true, "{none}");
    let unexpected = mcp.call(
        "wait",
        json!({"query": "subject:welcome", "count": 0, "timeout_seconds": 2}),
    );
    assert_eq!(unexpected["outcome"], "unexpected", "{unexpected}");
    assert_eq!(unexpected["ok"], false, "{unexpected}");

    // Search by the query language.
    let page = mcp.call("search", json!({"query": "subject:confirm from:shop"}));
    assert_eq!(page["total"], 1, "one message matches: {page}");
    let signup = &page["messages"][0];
    assert_eq!(signup["subject"], "Confirm your account", "{page}");
    assert_eq!(signup["rcpt_to"], json!(["audit@example.test"]), "{page}");
    let id = signup["id"].as_i64().expect("a numeric id");
    let all = mcp.call("search", json!({"limit": 1}));
    assert_eq!(all["total"], 2, "an empty query matches all mail: {all}");
    assert_eq!(
        all["messages"].as_array().map(Vec::len),
        Some(1),
        "limit is kept: {all}"
    );
    assert_eq!(all["next_offset"], 1, "and the next page is offered: {all}");
    let nothing = mcp.call("search", json!({"query": "subject:confirm -from:shop"}));
    assert_eq!(nothing["total"], 0, "a negation excludes it: {nothing}");
    let bad = mcp.call_error("search", json!({"query": "subject:\"unterminated"}));
    assert!(
        bad.contains("bad query") && bad.contains("at character 9") && bad.contains('^'),
        "a bad query says what and where, with a caret: {bad}"
    );

    // Where mail goes and what there is.
    let status = mcp.call("status", json!({}));
    assert_eq!(
        status["server"]["smtp_addr"],
        server.addr.to_string(),
        "the running server's SMTP address, where an app sends: {status}"
    );
    assert_eq!(status["store"]["total"], 2, "{status}");
    let inboxes = mcp.call("list_inboxes", json!({}));
    assert!(
        inboxes.as_array().is_some_and(|a| a
            .iter()
            .any(|i| i["kind"] == "recipient" && i["key"] == "audit@example.test")),
        "an inbox per envelope recipient: {inboxes}"
    );

    // Read it: subject, text body, HTML as text, envelope.
    let m = mcp.call("get_message", json!({"id": id}));
    assert_eq!(m["subject"], "Confirm your account", "{m}");
    assert!(
        m["text"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("your verification code is 482913")),
        "the text body: {m}"
    );
    assert!(
        m["html_as_text"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("Confirm email") && !t.contains("<a")),
        "the HTML read as text: {m}"
    );
    assert_eq!(m["to"], json!(["ann@example.test"]), "the To header: {m}");
    assert_eq!(
        m["envelope"]["rcpt_to"],
        json!(["audit@example.test"]),
        "the envelope recipients, not the To header: {m}"
    );
    assert_eq!(m["envelope"]["bcc"], json!(["audit@example.test"]), "{m}");
    assert_eq!(m["envelope"]["mail_from"], "app@test", "{m}");
    let latest = mcp.call(
        "get_message",
        json!({"id": "latest", "query": "subject:confirm", "max_chars": 10}),
    );
    assert_eq!(latest["id"], id, "latest matching the query: {latest}");
    assert_eq!(
        latest["text"]["text"], "Hi Ann, yo",
        "cut to 10 characters: {latest}"
    );
    assert!(
        latest["text"]["cut"]
            .as_str()
            .is_some_and(|c| c.starts_with("cut to 10 of ")),
        "and says what was cut: {latest}"
    );
    let missing = mcp.call_error("get_message", json!({"id": 999}));
    assert!(
        missing.contains("no message with id 999"),
        "an unknown id says so: {missing}"
    );

    // Follow it: the link and the code.
    let links = mcp.call("links", json!({"id": id}));
    assert_eq!(
        links["links"][0]["url"], "https://shop.example.test/confirm?t=abc&u=1",
        "{links}"
    );
    assert_eq!(links["links"][0]["text"], "Confirm email", "{links}");
    let codes = mcp.call("codes", json!({"query": "subject:confirm"}));
    assert_eq!(codes["message_id"], id, "no id means latest: {codes}");
    assert_eq!(codes["codes"][0]["code"], "482913", "{codes}");
    let lint = mcp.call("lint", json!({"id": id}));
    assert_eq!(lint["message_id"], id, "{lint}");
    assert!(lint["lint"]["findings"].is_array(), "a lint report: {lint}");

    // The SMTP conversation it came in, its own lines marked.
    let t = mcp.call("get_transcript", json!({"id": id}));
    let lines: Vec<&str> = t["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("* ") && l.contains("C: MAIL FROM:<app@test>")),
        "the message's MAIL FROM, marked: {lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  ") && l.contains("C: EHLO cli-test")),
        "the session's EHLO, not marked: {lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("S: 250") && l.contains("queued")),
        "the server's 250 for it: {lines:#?}"
    );
    mcp.close();
}

#[test]
fn wait_without_a_server_is_a_tool_error_that_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // No server has made this data dir yet.
    let data = dir.path().join("not-yet");
    let mut mcp = Mcp::start(&data, &format!("http://{free}"), &[]);
    let e = mcp.call_error("wait", json!({"query": "subject:x", "timeout_seconds": 1}));
    assert!(
        e.contains("cannot reach the API") && e.contains("pigeonhole serve"),
        "names the problem and the fix: {e}"
    );
    // The read tools say what is missing, and nothing crashes.
    let e = mcp.call_error("search", json!({"query": "subject:x"}));
    assert!(
        e.contains("does not exist") && e.contains("pigeonhole serve"),
        "names the data dir and the fix: {e}"
    );
    let status = mcp.call("status", json!({}));
    assert!(
        status["store"]["error"].is_string() && status["server"]["error"].is_string(),
        "status answers with what is missing on each side: {status}"
    );
    let e = mcp.call_error("wait", json!({"timeout_seconds": 601}));
    assert!(
        e.contains("timeout_seconds"),
        "a timeout over 10 minutes: {e}"
    );
    mcp.close();
}

#[test]
fn delete_with_allow_delete_removes_by_query_and_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    common::send(
        &server,
        &[
            ("bob@example.test", plain("old one")),
            ("bob@example.test", plain("old two")),
            ("bob@example.test", plain("keep")),
        ],
    );
    let mut mcp = Mcp::start(dir.path(), &api(&server), &["--allow-delete"]);
    let all = mcp.call("wait", json!({"count": 3}));
    assert_eq!(all["outcome"], "found", "{all}");
    let keep = mcp.call("search", json!({"query": "subject:keep"}));
    let keep_id = keep["messages"][0]["id"].as_i64().expect("an id");

    let e = mcp.call_error("delete", json!({"query": "   "}));
    assert!(e.contains("empty query"), "an empty query is refused: {e}");
    let e = mcp.call_error(
        "delete",
        json!({"ids": [keep_id, 999], "query": "subject:old"}),
    );
    assert!(e.contains("no message with id 999"), "{e}");
    let e = mcp.call_error("delete", json!({"query": "subject:(old"}));
    assert!(e.contains("bad query"), "{e}");
    let left = mcp.call("search", json!({"limit": 0}));
    assert_eq!(left["total"], 3, "a refused delete deletes nothing: {left}");

    let gone = mcp.call("delete", json!({"query": "subject:old"}));
    assert_eq!(gone["deleted"], 2, "{gone}");
    let gone = mcp.call("delete", json!({"ids": [keep_id]}));
    assert_eq!(gone["deleted"], 1, "{gone}");
    let left = mcp.call("search", json!({}));
    assert_eq!(left["total"], 0, "everything went: {left}");
    mcp.close();
}
