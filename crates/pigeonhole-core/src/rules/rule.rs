//! A fault rule as written in the config file, sent to the API or made in the window:
//! a name, what it matches, and what it does. Flat, so a TOML table, a JSON object and a
//! form row look alike:
//!
//! ```toml
//! [[rules]]
//! name = "third recipient is over quota"
//! stage = "rcpt"
//! nth = 3
//! action = "reply"
//! code = 452
//! enhanced = "4.5.3"
//! text = "Too many recipients"
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::pattern::Pattern;
use super::stage::Stage;

/// Longest rule name, in characters.
pub const MAX_NAME: usize = 80;
/// Most rules in a set: every command is checked against each.
pub const MAX_RULES: usize = 200;
/// Slowest throttle: a few replies still get through before a client's timeout.
pub const MIN_BYTES_PER_SECOND: u64 = 10;
/// Longest delay a rule may ask for: past the idle timeouts of most clients anyway.
pub const MAX_DELAY_MS: u64 = 10 * 60 * 1000;

/// What a rule does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Answer `code` (with `enhanced` and `text`) instead of the normal reply; 421 and
    /// `close` also end the connection.
    Reply,
    /// Wait `delay_ms`, then answer as normal: a slow server.
    Delay,
    /// From here on, read and write at most `bytes_per_second`.
    Throttle,
    /// Close the connection without a reply.
    Drop,
    /// Send the first half of the normal reply, then close the connection.
    DropMidReply,
    /// Answer STARTTLS with 220, then fail the handshake with a TLS alert (on an
    /// implicit-TLS listener: fail the handshake before the greeting).
    FailTls,
    /// Answer 250 at the end of data but store nothing; the transcript says so.
    Discard,
    /// Answer 451 to the first `attempts` tries of the same message (same envelope and
    /// Message-ID), then accept it: proves a client's retry logic.
    Tempfail,
}

/// What a rule's occurrence counter counts per: one count for the whole server, one per
/// listener, or one per client IP address.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CounterScope {
    #[default]
    Rule,
    Listener,
    Client,
}

/// One fault rule. Every condition given must hold for it to fire; none given matches
/// everything at its stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Shown in the transcript when it fires; unique in a rule set.
    pub name: String,
    #[serde(default = "yes")]
    pub enabled: bool,

    // ---- when
    /// The stage it applies at; none means every stage (and for `discard`/`tempfail` the
    /// end of data, for `fail_tls` STARTTLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub stage: Option<Stage>,
    /// The address the command carries: MAIL FROM at `mail`, RCPT TO at `rcpt`; at `data`,
    /// `bdat` and `end_of_data` any address of the envelope. Exact (any case), a glob with
    /// `*` and `?`, or a regular expression between slashes (`/^bounce-.*@/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub address: Option<String>,
    /// The client's HELO/EHLO name, same pattern forms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub helo: Option<String>,
    /// The user the client authenticated as, same pattern forms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub auth_user: Option<String>,
    /// The client's IP address, same pattern forms (`127.0.0.*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub client: Option<String>,
    /// The listener's name (`default`, or a `[[listeners]]` name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub listener: Option<String>,
    /// Only the Nth matching occurrence (1 is the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub nth: Option<u64>,
    /// Every Nth matching occurrence (the Nth, 2Nth, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub every: Option<u64>,
    /// Only the first N matching occurrences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub first: Option<u64>,
    /// What `nth`, `every` and `first` count per.
    #[serde(default)]
    pub per: CounterScope,
    /// Fire on this fraction (0 to 1) of matching occurrences, chosen by `seed`: the same
    /// seed and the same traffic fire on the same occurrences every run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub probability: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub seed: Option<u64>,

    // ---- then
    pub action: Action,
    /// The reply code for `reply` (400-599: a rule refuses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub code: Option<u16>,
    /// The enhanced status code (RFC 3463), e.g. `4.5.3`; its class must match the code's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub enhanced: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub text: Option<String>,
    /// Wait this long before replying; with `delay` it is the whole action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub delay_ms: Option<u64>,
    /// For `throttle`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub bytes_per_second: Option<u64>,
    /// For `tempfail`: how many tries are refused before one is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub attempts: Option<u32>,
    /// Close the connection after the reply.
    #[serde(default)]
    pub close: bool,
}

fn yes() -> bool {
    true
}

impl Rule {
    /// A rule that does `action` everywhere; set the rest with struct update syntax.
    pub fn new(name: impl Into<String>, action: Action) -> Rule {
        Rule {
            name: name.into(),
            enabled: true,
            stage: None,
            address: None,
            helo: None,
            auth_user: None,
            client: None,
            listener: None,
            nth: None,
            every: None,
            first: None,
            per: CounterScope::Rule,
            probability: None,
            seed: None,
            action,
            code: None,
            enhanced: None,
            text: None,
            delay_ms: None,
            bytes_per_second: None,
            attempts: None,
            close: false,
        }
    }

    /// The stage the rule applies at, with the defaults some actions imply.
    pub fn effective_stage(&self) -> Option<Stage> {
        self.stage.or(match self.action {
            Action::Discard | Action::Tempfail => Some(Stage::EndOfData),
            Action::FailTls => Some(Stage::StartTls),
            _ => None,
        })
    }

    /// Every problem with this rule, as (field, message).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            out.push(("name", "is required".into()));
        } else if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
            out.push((
                "name",
                format!("must be 1-{MAX_NAME} characters without control characters"),
            ));
        }
        for (field, value) in [
            ("address", &self.address),
            ("helo", &self.helo),
            ("auth_user", &self.auth_user),
            ("client", &self.client),
        ] {
            if let Some(v) = value {
                if let Err(e) = Pattern::new(v) {
                    out.push((field, e));
                }
            }
        }
        if self
            .listener
            .as_deref()
            .is_some_and(|l| l.trim().is_empty())
        {
            out.push(("listener", "must name a listener, or be left out".into()));
        }
        for (field, value) in [
            ("nth", self.nth),
            ("every", self.every),
            ("first", self.first),
        ] {
            if value == Some(0) {
                out.push((
                    field,
                    "must be at least 1 (the first occurrence is 1)".into(),
                ));
            }
        }
        if let Some(p) = self.probability {
            if !(0.0..=1.0).contains(&p) || p.is_nan() {
                out.push((
                    "probability",
                    format!("{p} is not between 0 and 1 (0.25 fires on a quarter)"),
                ));
            }
        }
        let stage = self.effective_stage();
        match self.code {
            Some(c) if !(200..=599).contains(&c) => {
                out.push(("code", format!("{c} is outside 200-599")))
            }
            _ => {}
        }
        if let Some(e) = self.enhanced.as_deref() {
            // Only reply and tempfail send a reply of their own; tempfail's is a 451.
            let c = match self.action {
                Action::Reply => self.code.unwrap_or(0),
                Action::Tempfail => self.code.unwrap_or(451),
                other => {
                    out.push((
                        "enhanced",
                        format!(
                            "only reply and tempfail send a reply of their own, not {}",
                            action_name(other)
                        ),
                    ));
                    0
                }
            };
            match enhanced_class(e) {
                _ if c == 0 => {}
                None => out.push((
                    "enhanced",
                    format!("\"{e}\" is not an enhanced status code such as 4.5.3"),
                )),
                Some(class) if u16::from(class) != c / 100 => out.push((
                    "enhanced",
                    format!(
                        "\"{e}\" is class {class}, but the code {c} is class {}",
                        c / 100
                    ),
                )),
                Some(_) => {}
            }
        }
        if self
            .text
            .as_deref()
            .is_some_and(|t| t.chars().any(char::is_control) || t.chars().count() > 400)
        {
            out.push((
                "text",
                "must be one line of at most 400 characters, without control characters".into(),
            ));
        }
        if self.delay_ms.is_some_and(|d| d > MAX_DELAY_MS) {
            out.push((
                "delay_ms",
                format!("must be at most {MAX_DELAY_MS} (10 minutes)"),
            ));
        }
        match self.action {
            Action::Reply => {
                if self.code.is_none() {
                    out.push(("code", "a reply needs a code, e.g. 452".into()));
                }
                if self.code.is_some_and(|c| c < 400) {
                    out.push((
                        "code",
                        "a rule refuses with a 4xx or 5xx code; to accept a message and drop it use discard, to slow a reply use delay".into(),
                    ));
                }
            }
            Action::Delay => {
                if self.delay_ms.is_none_or(|d| d == 0) {
                    out.push(("delay_ms", "a delay needs delay_ms, e.g. 5000".into()));
                }
            }
            Action::Throttle => {
                if self
                    .bytes_per_second
                    .is_none_or(|b| b < MIN_BYTES_PER_SECOND)
                {
                    out.push((
                        "bytes_per_second",
                        format!(
                            "a throttle needs bytes_per_second of at least {MIN_BYTES_PER_SECOND}"
                        ),
                    ));
                }
            }
            Action::Tempfail => {
                if self.attempts.is_none_or(|a| a == 0) {
                    out.push((
                        "attempts",
                        "tempfail needs attempts of at least 1 (how many tries get 451)".into(),
                    ));
                }
                if self.code.is_some_and(|c| !(400..500).contains(&c)) {
                    out.push(("code", "tempfail refuses with a 4xx code, e.g. 451".into()));
                }
                if stage != Some(Stage::EndOfData) {
                    out.push((
                        "stage",
                        "tempfail applies at end_of_data, where the whole message is known".into(),
                    ));
                }
            }
            Action::Discard => {
                if stage != Some(Stage::EndOfData) {
                    out.push((
                        "stage",
                        "discard applies at end_of_data, where there is a message to drop".into(),
                    ));
                }
            }
            Action::FailTls => {
                if stage != Some(Stage::StartTls) {
                    out.push((
                        "stage",
                        "fail_tls applies at starttls (also an implicit-TLS handshake)".into(),
                    ));
                }
            }
            Action::Drop | Action::DropMidReply => {}
        }
        if self.auth_user.is_some() && stage == Some(Stage::Auth) {
            out.push((
                "auth_user",
                "the user is known only after AUTH succeeds: match auth_user at mail or later"
                    .into(),
            ));
        }
        if self.code.is_some() && !matches!(self.action, Action::Reply | Action::Tempfail) {
            out.push((
                "code",
                format!(
                    "only reply and tempfail send a code of their own, not {}",
                    action_name(self.action)
                ),
            ));
        }
        out
    }
}

pub fn action_name(a: Action) -> &'static str {
    match a {
        Action::Reply => "reply",
        Action::Delay => "delay",
        Action::Throttle => "throttle",
        Action::Drop => "drop",
        Action::DropMidReply => "drop_mid_reply",
        Action::FailTls => "fail_tls",
        Action::Discard => "discard",
        Action::Tempfail => "tempfail",
    }
}

/// The class digit of an enhanced status code `class.subject.detail` (RFC 3463 §2).
fn enhanced_class(e: &str) -> Option<u8> {
    let mut parts = e.split('.');
    let class = parts.next()?;
    let subject = parts.next()?;
    let detail = parts.next()?;
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    if parts.next().is_some() || !digits(subject, 3) || !digits(detail, 3) {
        return None;
    }
    match class {
        "2" => Some(2),
        "4" => Some(4),
        "5" => Some(5),
        _ => None,
    }
}

/// The enum fields whose words serde would refuse without naming the field.
const WORDS: [(&str, &[&str]); 3] = [
    (
        "stage",
        &[
            "connect",
            "helo",
            "auth",
            "starttls",
            "mail",
            "rcpt",
            "data",
            "bdat",
            "end_of_data",
            "rset",
            "other",
            "quit",
        ],
    ),
    (
        "action",
        &[
            "reply",
            "delay",
            "throttle",
            "drop",
            "drop_mid_reply",
            "fail_tls",
            "discard",
            "tempfail",
        ],
    ),
    ("per", &["rule", "listener", "client"]),
];

/// Reads rules from JSON (the API's body, a form, a TOML file turned into JSON): each
/// problem names the rule and the field, e.g. `rules[1] "slow": stage: "rcp" is not one of
/// connect, helo, ...`. Nothing is returned unless every rule is good, and names are unique.
pub fn parse_rules(value: &Value) -> Result<Vec<Rule>, Vec<String>> {
    let Value::Array(items) = value else {
        return Err(vec!["rules: must be a list of rules".into()]);
    };
    let mut rules = Vec::with_capacity(items.len());
    let mut errs = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let label = rule_label(i, item.get("name").and_then(Value::as_str));
        let Value::Object(map) = item else {
            errs.push(format!(
                "{label}: must be a table/object with name and action"
            ));
            continue;
        };
        let mut bad = false;
        for (field, value) in map {
            let kind = match field.as_str() {
                "nth" | "every" | "first" | "seed" | "delay_ms" | "bytes_per_second"
                | "attempts" | "code" => {
                    (!value.is_null() && !value.is_u64()).then_some("must be a whole number")
                }
                "probability" => (!value.is_null() && !value.is_number())
                    .then_some("must be a number from 0 to 1"),
                "enabled" | "close" => {
                    (!value.is_null() && !value.is_boolean()).then_some("must be true or false")
                }
                "name" | "address" | "helo" | "auth_user" | "client" | "listener" | "enhanced"
                | "text" => (!value.is_null() && !value.is_string()).then_some("must be text"),
                _ => None,
            };
            if let Some(kind) = kind {
                bad = true;
                errs.push(format!("{label}: {field}: {value} {kind}"));
            }
        }
        for (field, words) in WORDS {
            match map.get(field) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) if words.contains(&s.as_str()) => {}
                Some(v) => {
                    bad = true;
                    errs.push(format!(
                        "{label}: {field}: {v} is not one of {}",
                        words.join(", ")
                    ));
                }
            }
        }
        if !map.contains_key("action") {
            bad = true;
            errs.push(format!(
                "{label}: action: is required ({})",
                WORDS[1].1.join(", ")
            ));
        }
        if bad {
            continue;
        }
        match serde_json::from_value::<Rule>(item.clone()) {
            Err(e) => errs.push(format!("{label}: {}", plain_serde(&e))),
            Ok(rule) => {
                for (field, message) in rule.problems() {
                    errs.push(format!("{label}: {field}: {message}"));
                }
                rules.push(rule);
            }
        }
    }
    if items.len() > MAX_RULES {
        errs.push(format!("rules: {} rules; at most {MAX_RULES}", items.len()));
    }
    errs.extend(duplicates(&rules));
    if errs.is_empty() {
        Ok(rules)
    } else {
        Err(errs)
    }
}

/// Names used twice (any case).
fn duplicates(rules: &[Rule]) -> Vec<String> {
    let mut errs = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        let key = r.name.trim().to_lowercase();
        if !key.is_empty() && seen.contains(&key) {
            errs.push(format!(
                "{}: name: \"{}\" is used by an earlier rule; names must be unique",
                rule_label(i, Some(&r.name)),
                r.name
            ));
        }
        seen.push(key);
    }
    errs
}

/// Checks rules already typed (the test crate, the config, the engine): the same
/// messages as `parse_rules`.
pub fn check_rules(rules: &[Rule]) -> Result<(), Vec<String>> {
    let mut errs = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        for (field, message) in rule.problems() {
            errs.push(format!(
                "{}: {field}: {message}",
                rule_label(i, Some(&rule.name))
            ));
        }
    }
    if rules.len() > MAX_RULES {
        errs.push(format!("rules: {} rules; at most {MAX_RULES}", rules.len()));
    }
    errs.extend(duplicates(rules));
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

fn rule_label(i: usize, name: Option<&str>) -> String {
    match name {
        Some(n) if !n.trim().is_empty() => format!("rules[{i}] \"{}\"", n.trim()),
        _ => format!("rules[{i}]"),
    }
}

/// serde's message without its line/column suffix, which means nothing in a JSON value.
fn plain_serde(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    if text.contains("expected u64")
        || text.contains("expected u16")
        || text.contains("expected u32")
    {
        format!("{text} (a whole number)")
    } else {
        text
    }
}

/// `deserialize_with` for a config's `rules`: the messages of `parse_rules`, so a config
/// file's bad rule is named with its field rather than by serde's position.
pub fn deserialize_rules<'de, D>(d: D) -> Result<Vec<Rule>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let value = Value::deserialize(d)?;
    parse_rules(&value).map_err(|errs| serde::de::Error::custom(errs.join("; ")))
}
