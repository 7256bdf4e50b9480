//! `TestServer`: a running capture server and the questions a test asks it, each answered
//! through `pigeonhole_core::commands`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pigeonhole_core::commands::{self, RulesView, WaitFor, MAX_PAGE};
use pigeonhole_core::config::AuthMode;
use pigeonhole_core::event::Event;
use pigeonhole_core::model::{
    Code, Link, ListQuery, MessageDetail, MessageFilter, MessageId, MessageSummary, TestInbox,
    Transcript, WaitOutcome, WaitResult,
};
use pigeonhole_core::rules::{Rule, RuleSet};
use pigeonhole_core::{Engine, Store};
use tempfile::TempDir;
use tokio::sync::broadcast::error::RecvError;

use crate::builder::Builder;
use crate::error::{Error, Result, Timeout, Unexpected};
use crate::runner::{Runner, Started};

/// How many of the newest messages a timeout error lists.
const RECENT_IN_ERRORS: u64 = 5;

/// A capture server for one test: SMTP (and the HTTP API) on free loopback ports, a store
/// in a temporary directory.
///
/// It runs on a thread of its own, so a blocking client in the test cannot stall it.
/// Dropping it stops the listeners, waits until they are closed, and deletes the store;
/// `stop` does the same without blocking the caller's executor.
pub struct TestServer {
    // Fields drop in this order: the server thread stops first, then the last handle to
    // the store goes, and only then is the directory removed.
    runner: Runner,
    engine: Arc<Engine>,
    smtp: SocketAddr,
    http: Option<SocketAddr>,
    wait_timeout: Duration,
    dir: TempDir,
}

impl TestServer {
    /// A server with the default settings (see `Builder`).
    pub async fn start() -> Result<TestServer> {
        Builder::default().start().await
    }

    pub fn builder() -> Builder {
        Builder::default()
    }

    pub(crate) fn new(
        runner: Runner,
        started: Started,
        dir: TempDir,
        wait_timeout: Duration,
    ) -> TestServer {
        TestServer {
            runner,
            engine: started.engine,
            smtp: started.smtp,
            http: started.http,
            wait_timeout,
            dir,
        }
    }

    /// Where SMTP listens: send the test's mail here.
    pub fn smtp_addr(&self) -> SocketAddr {
        self.smtp
    }

    /// Where the HTTP API listens; `None` when it was turned off.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http
    }

    /// `http://127.0.0.1:<port>`, the API's base URL; `None` when it was turned off.
    pub fn http_url(&self) -> Option<String> {
        self.http.map(|a| format!("http://{a}"))
    }

    /// The engine, for what this type does not wrap (pause, status, the event bus).
    ///
    /// What rebinds listeners (`apply`, `listen`) starts them on the caller's runtime
    /// rather than the server's thread; set such things with `Builder::config` instead.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The store, for any `pigeonhole_core::commands` call.
    pub fn store(&self) -> &Store {
        &self.engine.store
    }

    /// The temporary data directory (the store, the TLS certificate); gone after drop.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Every stored message, newest first.
    pub async fn messages(&self) -> Result<Vec<MessageSummary>> {
        let mut all = Vec::new();
        loop {
            let page = commands::list(
                self.store(),
                ListQuery {
                    offset: all.len() as u64,
                    limit: MAX_PAGE,
                    ..Default::default()
                },
            )
            .await?;
            let n = page.messages.len() as u64;
            all.extend(page.messages);
            if n < MAX_PAGE || all.len() as u64 >= page.total {
                return Ok(all);
            }
        }
    }

    /// One message in full (headers, bodies, parts, envelope).
    pub async fn message(&self, id: MessageId) -> Result<MessageDetail> {
        Ok(commands::get_message(self.store(), id).await?)
    }

    /// The message's bytes exactly as received.
    pub async fn raw(&self, id: MessageId) -> Result<Vec<u8>> {
        Ok(commands::raw(self.store(), id).await?)
    }

    /// Waits (at most the builder's `wait_timeout`, 10 s by default) for a message that
    /// `query` matches and returns the newest such. It may already be there; one that
    /// arrives while waiting is never missed.
    pub async fn wait_for(&self, query: &str) -> Result<MessageSummary> {
        let found = self.wait_for_count(query, 1, self.wait_timeout).await?;
        found.into_iter().next().ok_or_else(|| Error::Vanished {
            query: query.to_string(),
        })
    }

    /// Waits at most `timeout` until `count` messages match `query`; returns the newest
    /// `count` of them, newest first.
    pub async fn wait_for_count(
        &self,
        query: &str,
        count: u64,
        timeout: Duration,
    ) -> Result<Vec<MessageSummary>> {
        let result = self.wait(query, count, timeout).await?;
        match result.outcome {
            WaitOutcome::Found | WaitOutcome::NoneArrived => Ok(result.messages),
            WaitOutcome::Timeout => Err(self.timeout_error(query, result).await),
            WaitOutcome::Unexpected => Err(unexpected_error(query, result)),
        }
    }

    /// Succeeds if nothing matching `query` is there or arrives for the whole of `within`;
    /// fails as soon as one does, with that message.
    pub async fn expect_none(&self, query: &str, within: Duration) -> Result<()> {
        let result = self.wait(query, 0, within).await?;
        match result.outcome {
            WaitOutcome::NoneArrived => Ok(()),
            _ => Err(unexpected_error(query, result)),
        }
    }

    async fn wait(&self, query: &str, count: u64, timeout: Duration) -> Result<WaitResult> {
        let w = WaitFor {
            filter: MessageFilter::query(query),
            count,
            timeout,
        };
        Ok(commands::wait(self.store(), &self.engine.bus, w).await?)
    }

    async fn timeout_error(&self, query: &str, result: WaitResult) -> Error {
        let recent = commands::list(
            self.store(),
            ListQuery {
                limit: RECENT_IN_ERRORS,
                ..Default::default()
            },
        )
        .await
        .map(|p| p.messages)
        .unwrap_or_default();
        Error::Timeout(Box::new(Timeout {
            query: query.to_string(),
            wanted: result.wanted,
            matched: result.matched,
            matching: result.messages,
            recent,
            waited: Duration::from_millis(result.waited_ms),
        }))
    }

    /// The transcript of the SMTP session that delivered the message. While the client is
    /// still connected it waits (at most `wait_timeout`) for the session to end, so the
    /// final replies and QUIT are in it; after that it returns what is recorded so far
    /// (`session.ended_at` is then `None`).
    pub async fn transcript(&self, id: MessageId) -> Result<Transcript> {
        // Subscribed before the first look, so a close in between is not missed.
        let mut events = self.engine.bus.subscribe();
        let session = commands::get_message(self.store(), id)
            .await?
            .summary
            .session_id;
        let deadline = tokio::time::Instant::now() + self.wait_timeout;
        loop {
            let t = commands::transcript(self.store(), session).await?;
            if t.session.ended_at.is_some() {
                return Ok(t);
            }
            let closed = async {
                loop {
                    match events.recv().await {
                        Ok(Event::SessionClosed(s)) if s.id == session => return,
                        Ok(_) => {}
                        // Missed events: look again.
                        Err(RecvError::Lagged(_)) => return,
                        Err(RecvError::Closed) => std::future::pending::<()>().await,
                    }
                }
            };
            if tokio::time::timeout_at(deadline, closed).await.is_err() {
                return Ok(commands::transcript(self.store(), session).await?);
            }
        }
    }

    /// The links in the message's HTML and text, each once, with its anchor text.
    pub async fn links(&self, id: MessageId) -> Result<Vec<Link>> {
        Ok(commands::links(self.store(), id).await?)
    }

    /// The one-time codes in the message (verification codes, PINs).
    pub async fn codes(&self, id: MessageId) -> Result<Vec<Code>> {
        Ok(commands::codes(self.store(), id).await?)
    }

    /// Replaces the SMTP fault rules (counters start over): the next sessions, and those
    /// already open, get what the rules say. A bad rule is an error naming the rule and
    /// the field, and the old rules stay.
    ///
    /// ```no_run
    /// # async fn f(server: &pigeonhole_test::TestServer) -> pigeonhole_test::Result<()> {
    /// use pigeonhole_test::rules::{Action, Rule, Stage};
    /// server.set_rules(vec![Rule {
    ///     stage: Some(Stage::Rcpt),
    ///     nth: Some(2),
    ///     code: Some(452),
    ///     enhanced: Some("4.5.3".into()),
    ///     ..Rule::new("second recipient is over quota", Action::Reply)
    /// }])?;
    /// # Ok(()) }
    /// ```
    pub fn set_rules(&self, rules: Vec<Rule>) -> Result<RulesView> {
        let fail_fast = self.engine.faults().get().fail_fast;
        self.set_rule_set(RuleSet { fail_fast, rules })
    }

    /// `set_rules` with the fail-fast switch (close a session at its first refusal).
    pub fn set_rule_set(&self, set: RuleSet) -> Result<RulesView> {
        Ok(commands::set_rules(self.engine.faults(), set)?)
    }

    /// The rules in force, with how often each matched and fired.
    pub fn rules(&self) -> RulesView {
        commands::rules(self.engine.faults())
    }

    /// Starts every rule's counters over (and tempfail's memory of tries).
    pub fn reset_rule_counters(&self) -> RulesView {
        commands::reset_rule_counters(self.engine.faults())
    }

    /// A fresh address no other test shares, with the query that selects only its mail
    /// (`wait_for(&inbox.query)`) and this server's SMTP details.
    pub fn test_inbox(&self) -> TestInbox {
        let any = self.engine.config().auth_mode == AuthMode::Any;
        commands::test_inbox(self.smtp, any)
    }

    /// Stops the server cleanly (open SMTP sessions are told 421) and deletes the store,
    /// without blocking the caller's executor.
    pub async fn stop(self) {
        let TestServer {
            mut runner,
            engine,
            dir,
            ..
        } = self;
        runner.stop().await;
        drop(engine);
        drop(dir);
    }
}

fn unexpected_error(query: &str, result: WaitResult) -> Error {
    let waited = Duration::from_millis(result.waited_ms);
    match result.messages.into_iter().next() {
        Some(message) => Error::Unexpected(Box::new(Unexpected {
            query: query.to_string(),
            message,
            matched: result.matched,
            waited,
        })),
        None => Error::Vanished {
            query: query.to_string(),
        },
    }
}
