//! The rule set in force and its counters, shared by every connection of every listener.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::pattern::Pattern;
use super::rule::{check_rules, Action, CounterScope, Rule};
use super::stage::Stage;

/// Distinct messages `tempfail` rules remember, and counters (per client) kept; past this
/// they start over, which only means an old message may be refused again or a count
/// restarts.
const MAX_REMEMBERED: usize = 10_000;

/// Rules and the switch that ends a session at its first fault.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// Close the session after the first rule that refuses something (go-smtp-mock's
    /// fail-fast).
    #[serde(default)]
    pub fail_fast: bool,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// How often a rule matched (its counter) and fired, since it was set or reset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct RuleStats {
    pub name: String,
    #[ts(type = "number")]
    pub matched: u64,
    #[ts(type = "number")]
    pub fired: u64,
}

/// What a session tells the rules at a stage.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    pub stage: Stage,
    pub listener: &'a str,
    /// The client's IP address.
    pub client: &'a str,
    pub helo: Option<&'a str>,
    pub auth_user: Option<&'a str>,
    /// The command's address (MAIL, RCPT) or the envelope's (data stages).
    pub addresses: &'a [&'a str],
    /// At the end of data: the envelope and Message-ID, which identify a retried message.
    pub message_key: Option<&'a str>,
}

/// What the session must do instead of (or before) its normal answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Answer as normal (after any delay).
    Pass,
    /// Send this reply instead: code, enhanced code if any, text.
    Reply {
        code: u16,
        enhanced: Option<String>,
        text: String,
    },
    /// Close without a reply.
    Drop,
    /// Send the first half of the next reply, then close.
    CutReply,
    /// Fail the TLS handshake.
    FailTls,
    /// Answer 250 for the message and store nothing.
    Discard,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// One line per rule that fired (or let a retried message through), for the transcript.
    pub notes: Vec<String>,
    /// How many rules fired.
    pub fired: u32,
    pub delay_ms: u64,
    pub throttle: Option<u64>,
    pub effect: Effect,
    /// Close the connection after the reply.
    pub close: bool,
}

struct Compiled {
    rule: Rule,
    stage: Option<Stage>,
    address: Option<Pattern>,
    helo: Option<Pattern>,
    auth_user: Option<Pattern>,
    client: Option<Pattern>,
}

#[derive(Default)]
struct State {
    set: RuleSet,
    compiled: Vec<Compiled>,
    /// (rule index, scope key) -> matching occurrences so far.
    counters: HashMap<(usize, String), u64>,
    /// (rule index, message key) -> tries refused so far.
    tries: HashMap<(usize, String), u32>,
    /// Per rule: (matched, fired).
    stats: Vec<(u64, u64)>,
}

/// The rule set in force, shared by every session. With no enabled rule a check costs one
/// atomic load.
#[derive(Default)]
pub struct Faults {
    active: AtomicBool,
    state: Mutex<State>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults").field("set", &self.get()).finish()
    }
}

impl Faults {
    pub fn new(set: RuleSet) -> Result<Faults, Vec<String>> {
        let f = Faults::default();
        f.set(set)?;
        Ok(f)
    }

    /// Replaces the rule set and starts every counter over; a set with any bad rule is
    /// refused whole and the old one stays.
    pub fn set(&self, set: RuleSet) -> Result<(), Vec<String>> {
        check_rules(&set.rules)?;
        let mut compiled = Vec::with_capacity(set.rules.len());
        for rule in &set.rules {
            let pat = |p: &Option<String>| p.as_deref().and_then(|p| Pattern::new(p).ok());
            compiled.push(Compiled {
                stage: rule.effective_stage(),
                address: pat(&rule.address),
                helo: pat(&rule.helo),
                auth_user: pat(&rule.auth_user),
                client: pat(&rule.client),
                rule: rule.clone(),
            });
        }
        let mut state = lock(&self.state);
        state.stats = vec![(0, 0); compiled.len()];
        state.compiled = compiled;
        state.counters.clear();
        state.tries.clear();
        self.active
            .store(set.rules.iter().any(|r| r.enabled), Ordering::SeqCst);
        state.set = set;
        Ok(())
    }

    /// Whether any rule is enabled: with none, a session need not gather what rules match.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    pub fn get(&self) -> RuleSet {
        lock(&self.state).set.clone()
    }

    /// Starts every counter (and every tempfail's memory of tries) over.
    pub fn reset_counters(&self) {
        let mut state = lock(&self.state);
        state.counters.clear();
        state.tries.clear();
        let n = state.stats.len();
        state.stats = vec![(0, 0); n];
    }

    pub fn stats(&self) -> Vec<RuleStats> {
        let state = lock(&self.state);
        state
            .compiled
            .iter()
            .zip(&state.stats)
            .map(|(c, (matched, fired))| RuleStats {
                name: c.rule.name.clone(),
                matched: *matched,
                fired: *fired,
            })
            .collect()
    }

    /// Runs the rules for one event, in order: every delay and throttle that fires adds
    /// up, and the first rule with any other action decides the answer.
    pub fn check(&self, ev: &Event<'_>) -> Option<Verdict> {
        if !self.active.load(Ordering::Relaxed) {
            return None;
        }
        let mut guard = lock(&self.state);
        let state = &mut *guard;
        let mut verdict = Verdict {
            notes: Vec::new(),
            fired: 0,
            delay_ms: 0,
            throttle: None,
            effect: Effect::Pass,
            close: false,
        };
        for (i, c) in state.compiled.iter().enumerate() {
            if !c.rule.enabled || !matches(c, ev) {
                continue;
            }
            let rule = &c.rule;
            let scope = match rule.per {
                CounterScope::Rule => String::new(),
                CounterScope::Listener => ev.listener.to_string(),
                CounterScope::Client => ev.client.to_string(),
            };
            let key = (i, scope);
            if state.counters.len() >= MAX_REMEMBERED && !state.counters.contains_key(&key) {
                // Counters per client could grow with every address that connects.
                state.counters.clear();
            }
            let n = {
                let count = state.counters.entry(key).or_insert(0);
                *count += 1;
                *count
            };
            state.stats[i].0 += 1;
            let on = rule.nth.is_none_or(|k| n == k)
                && rule.every.is_none_or(|k| n % k == 0)
                && rule.first.is_none_or(|k| n <= k)
                && rule
                    .probability
                    .is_none_or(|p| unit(rule.seed.unwrap_or(1), n) < p);
            if !on {
                continue;
            }
            let effect = match rule.action {
                Action::Delay | Action::Throttle => Effect::Pass,
                Action::Reply => reply_effect(rule, ev.stage),
                Action::Drop => Effect::Drop,
                Action::DropMidReply => Effect::CutReply,
                Action::FailTls => Effect::FailTls,
                Action::Discard => Effect::Discard,
                Action::Tempfail => {
                    let key = (i, ev.message_key.unwrap_or("").to_string());
                    if state.tries.len() >= MAX_REMEMBERED && !state.tries.contains_key(&key) {
                        state.tries.clear();
                    }
                    let tries = state.tries.entry(key).or_insert(0);
                    let allowed = rule.attempts.unwrap_or(1);
                    if *tries >= allowed {
                        verdict.notes.push(format!(
                            "rule \"{}\": accepted after {allowed} refused tries of this message",
                            rule.name
                        ));
                        continue;
                    }
                    *tries += 1;
                    let code = rule.code.unwrap_or(451);
                    Effect::Reply {
                        code,
                        enhanced: Some(rule.enhanced.clone().unwrap_or_else(|| "4.3.0".into())),
                        text: rule.text.clone().unwrap_or_else(|| {
                            format!("Try again later (try {} of {allowed} refused)", *tries)
                        }),
                    }
                }
            };
            state.stats[i].1 += 1;
            verdict.fired += 1;
            verdict.delay_ms = verdict.delay_ms.saturating_add(rule.delay_ms.unwrap_or(0));
            if rule.action == Action::Throttle {
                verdict.throttle = rule.bytes_per_second;
            }
            verdict.notes.push(describe(rule, ev.stage, n, &effect));
            if effect != Effect::Pass {
                let refused = matches!(&effect, Effect::Reply { code, .. } if *code >= 400)
                    || matches!(effect, Effect::Drop | Effect::CutReply | Effect::FailTls);
                verdict.close = rule.close
                    || matches!(&effect, Effect::Reply { code: 421, .. })
                    || (state.set.fail_fast && refused);
                verdict.effect = effect;
                break;
            }
            if rule.close {
                verdict.close = true;
            }
        }
        (!verdict.notes.is_empty()).then_some(verdict)
    }
}

fn matches(c: &Compiled, ev: &Event<'_>) -> bool {
    if c.stage.is_some_and(|s| s != ev.stage) {
        return false;
    }
    if c.rule
        .listener
        .as_deref()
        .is_some_and(|l| !l.trim().eq_ignore_ascii_case(ev.listener))
    {
        return false;
    }
    let one = |p: &Option<Pattern>, v: Option<&str>| match p {
        None => true,
        Some(p) => v.is_some_and(|v| p.matches(v)),
    };
    one(&c.helo, ev.helo)
        && one(&c.auth_user, ev.auth_user)
        && one(&c.client, Some(ev.client))
        && match &c.address {
            None => true,
            Some(p) => ev.addresses.iter().any(|a| p.matches(a)),
        }
}

fn reply_effect(rule: &Rule, stage: Stage) -> Effect {
    let code = rule.code.unwrap_or(451);
    let enhanced = rule.enhanced.clone().or_else(|| {
        // The greeting carries no enhanced code (RFC 2034 applies after EHLO).
        (stage != Stage::Connect && stage != Stage::Helo).then(|| format!("{}.0.0", code / 100))
    });
    Effect::Reply {
        code,
        enhanced,
        text: rule
            .text
            .clone()
            .unwrap_or_else(|| standard_text(code).to_string()),
    }
}

/// RFC 5321 §4.2.2's wording for the codes a rule most often sends.
fn standard_text(code: u16) -> &'static str {
    match code {
        421 => "Service not available, closing transmission channel",
        450 => "Requested mail action not taken: mailbox unavailable",
        451 => "Requested action aborted: local error in processing",
        452 => "Requested action not taken: insufficient system storage",
        454 => "Temporary authentication failure",
        535 => "Authentication credentials invalid",
        550 => "Requested action not taken: mailbox unavailable",
        551 => "User not local",
        552 => "Requested mail action aborted: exceeded storage allocation",
        553 => "Requested action not taken: mailbox name not allowed",
        554 => "Transaction failed",
        c if c >= 500 => "Requested action not taken",
        c if c >= 400 => "Requested action not taken: try again later",
        _ => "OK",
    }
}

fn describe(rule: &Rule, stage: Stage, n: u64, effect: &Effect) -> String {
    let what = match effect {
        Effect::Reply {
            code,
            enhanced: Some(e),
            text,
        } => format!("reply {code} {e} {text}"),
        Effect::Reply { code, text, .. } => format!("reply {code} {text}"),
        Effect::Pass if rule.action == Action::Throttle => {
            format!("throttle to {} bytes/s", rule.bytes_per_second.unwrap_or(0))
        }
        Effect::Pass => "delay".into(),
        Effect::Drop => "drop the connection".into(),
        Effect::CutReply => "cut the reply and drop the connection".into(),
        Effect::FailTls => "fail the TLS handshake".into(),
        Effect::Discard => "accept and discard the message".into(),
    };
    let what = if rule.action == Action::Tempfail {
        format!("tempfail, {what}")
    } else {
        what
    };
    let delay = match rule.delay_ms {
        Some(ms) if ms > 0 => format!(" after {ms} ms"),
        _ => String::new(),
    };
    format!(
        "rule \"{}\" fired at {} (occurrence {n}): {what}{delay}",
        rule.name,
        stage.name()
    )
}

/// A number in [0, 1) drawn from (seed, occurrence) alone, so a run's choices depend on
/// nothing but the traffic (splitmix64).
fn unit(seed: u64, n: u64) -> f64 {
    let mut z = seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What identifies one message across a client's retries: its envelope (in `addresses`,
/// sender first) and its Message-ID header, if it has one.
pub fn message_key(addresses: &[String], raw: &[u8]) -> String {
    let mut key = addresses.join("\u{0}");
    key.push('\u{0}');
    if let Some(id) = header(raw, b"message-id") {
        key.push_str(id.trim());
    }
    key
}

/// The first value of header `name` (lower case) in the header block, unfolded.
fn header(raw: &[u8], name: &[u8]) -> Option<String> {
    let end = memchr::memmem::find(raw, b"\r\n\r\n")
        .or_else(|| memchr::memmem::find(raw, b"\n\n"))
        .unwrap_or(raw.len().min(64 * 1024));
    let head = &raw[..end];
    let mut value: Option<String> = None;
    for line in head.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match &mut value {
            Some(v) if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') => {
                v.push(' ');
                v.push_str(String::from_utf8_lossy(line).trim());
            }
            Some(_) => break,
            None => {
                if line.len() > name.len()
                    && line[name.len()] == b':'
                    && line[..name.len()].eq_ignore_ascii_case(name)
                {
                    value = Some(String::from_utf8_lossy(&line[name.len() + 1..]).into_owned());
                }
            }
        }
    }
    value
}
