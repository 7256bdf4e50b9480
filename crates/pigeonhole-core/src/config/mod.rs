//! One `Config`, from defaults <- the settings the window saved in the data dir <- a TOML
//! file <- environment <- flags. Front ends apply the last two; this module owns the
//! defaults, the files (`saved`), merging a set of fields, and validation.

mod fields;
mod release;
mod saved;

pub use fields::{describe, merge_fields};
pub use release::{check_server, domain_of, split_host_port, ReleaseConfig};

pub use saved::{settings_path, take_part, SavedSettings, SETTINGS_FILE};

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

use crate::model::Durability;
use crate::rules::{Rule, RuleSet};
use crate::smtp::auth::AuthPolicy;
use crate::smtp::{Limits, NamedListener, ServerOptions, SessionConfig};
use crate::store::StoreOptions;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Accept any credentials.
    #[default]
    Any,
    /// Only the configured users.
    Users,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AuthUser {
    pub username: String,
    pub password: String,
}

/// A further SMTP listener, e.g. `[[listeners]] name = "shop" smtp = "127.0.0.1:1026"`:
/// its mail is kept apart (`listener:shop`, an inbox of its own). AUTH and STARTTLS default
/// to the main listener's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ListenerConfig {
    pub name: String,
    /// `host:port`.
    pub smtp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub auth_mode: Option<AuthMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub auth_users: Option<Vec<AuthUser>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub starttls: Option<bool>,
}

/// At ingest, every message `query` matches gets `tag`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct TagRule {
    pub query: String,
    pub tag: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the store and TLS certificate live; `None` means the platform data dir.
    pub data_dir: Option<PathBuf>,
    /// SMTP listener, `host:port`.
    pub smtp_addr: String,
    /// Implicit-TLS listener, `host:port`.
    pub smtps_addr: Option<String>,
    /// Our name in the greeting and EHLO reply.
    pub hostname: String,
    pub starttls: bool,
    pub auth_mode: AuthMode,
    pub auth_users: Vec<AuthUser>,
    pub max_message_size: usize,
    pub max_recipients: usize,
    pub max_line_length: usize,
    pub idle_timeout_secs: u64,
    /// A TLS handshake (STARTTLS or SMTPS) must finish within this many seconds, and never
    /// takes longer than `idle_timeout_secs`: a client that opens one and goes silent
    /// otherwise holds a connection slot for ever.
    pub tls_handshake_timeout_secs: u64,
    /// A whole command line must arrive within this many seconds of its first byte (never
    /// longer than `idle_timeout_secs`), so a client dribbling a byte at a time (slowloris)
    /// cannot keep a slot.
    pub command_timeout_secs: u64,
    /// Least average rate, in bytes per second, DATA and BDAT chunks must arrive at, over
    /// each window of `data_rate_window_secs`; 0 turns the check off.
    pub min_data_rate: u64,
    /// The window `min_data_rate` is averaged over; the first window is the grace period.
    pub data_rate_window_secs: u64,
    pub max_connections: usize,
    /// Most concurrent connections from one client address; 0 means three quarters of
    /// `max_connections`. Locally every app is 127.0.0.1, so this cannot tell apps apart:
    /// it only keeps a quarter of the slots for other addresses.
    pub max_connections_per_client: usize,
    /// Failed AUTH attempts a connection may make before it is closed with 421 4.7.0;
    /// each failure is answered after a growing delay.
    pub auth_max_failures: u32,
    /// Keep the newest N messages (and every pinned one); 0 keeps all.
    pub retention: u64,
    /// Delete unpinned messages older than this (`12h`, `7d`, `2w`); empty keeps them.
    pub retention_age: String,
    pub show_passwords: bool,
    pub durability: Durability,
    /// Named listeners beside the main one.
    pub listeners: Vec<ListenerConfig>,
    /// Tags given at ingest to the messages a query matches.
    pub tag_rules: Vec<TagRule>,
    /// The HTTP API (Mailpit v1 compatible, WebSocket, SSE), `host:port`; empty turns it off.
    pub http_addr: String,
    /// Bearer token the API requires (also accepted as a Basic-auth password). Required
    /// when `http_addr` is not loopback; empty means none.
    pub api_token: String,
    /// Web origins allowed to call the API from a browser (CORS and the WebSocket's
    /// `Origin` check), e.g. `http://localhost:3000`; `*` allows any (only with a token).
    /// Empty: same origin only.
    pub cors_origins: Vec<String>,
    /// SMTP fault rules (`[[rules]]`), checked in order at every stage of every session.
    #[serde(deserialize_with = "crate::rules::deserialize_rules")]
    pub rules: Vec<Rule>,
    /// Close a session after the first rule that refuses something.
    pub fail_fast: bool,
    /// Where captured mail may be released to, and the recipient domains it may go to.
    pub release: ReleaseConfig,
}

/// The limits of the default configuration: `Config`'s defaults are the one place they are
/// written down.
impl Default for Limits {
    fn default() -> Self {
        Config::default().limits()
    }
}

impl Default for Config {
    fn default() -> Self {
        // The session's own limits and name are defined once, in `SessionConfig::default`.
        let s = SessionConfig::default();
        Config {
            data_dir: None,
            smtp_addr: "127.0.0.1:1025".into(),
            smtps_addr: None,
            hostname: s.hostname,
            starttls: true,
            auth_mode: AuthMode::Any,
            auth_users: Vec::new(),
            max_message_size: s.max_message_size,
            max_recipients: s.max_recipients,
            max_line_length: s.max_line_length,
            idle_timeout_secs: 300,
            tls_handshake_timeout_secs: 10,
            command_timeout_secs: 30,
            // A person typing a message into telnet averages a few bytes a second; a
            // slowloris trickles a byte every second or two. 2 B/s over a minute tells them
            // apart and never touches a program sending mail.
            min_data_rate: 2,
            data_rate_window_secs: 60,
            max_connections: 256,
            max_connections_per_client: 0,
            auth_max_failures: s.auth_max_failures,
            retention: 0,
            retention_age: String::new(),
            show_passwords: s.show_passwords,
            durability: Durability::Process,
            listeners: Vec::new(),
            tag_rules: Vec::new(),
            http_addr: DEFAULT_HTTP_ADDR.into(),
            api_token: String::new(),
            cors_origins: Vec::new(),
            rules: Vec::new(),
            fail_fast: false,
            release: ReleaseConfig::default(),
        }
    }
}

/// Where the API listens unless told otherwise: Mailpit's port, so its clients need no change.
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:8025";

/// The listener name mail sent through the API's send endpoint carries (`listener:api`).
pub const API_LISTENER: &str = "api";

/// The listener name imported mail carries (`listener:import`, `is:imported`): it came
/// from a file, not over SMTP.
pub const IMPORT_LISTENER: &str = "import";

/// A setting that failed validation, named as in the config file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("parsing config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("writing settings file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid settings: {}", describe(.0))]
    Invalid(Vec<FieldError>),
    #[error("no data directory: pass --data-dir (this platform has no standard data directory)")]
    NoDataDir,
}

/// A TOML config file, read and parsed once: the CLI needs its `data_dir` (to find the
/// saved settings) before it lays the rest over them.
pub struct ConfigFile {
    path: PathBuf,
    /// The file's keys as JSON values, for `Config::with_fields`.
    fields: Map<String, Value>,
}

impl ConfigFile {
    pub fn read(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.into(),
            source: e,
        })?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.into(),
            message: e.to_string(),
        })?;
        let fields = match serde_json::to_value(table) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        Ok(ConfigFile {
            path: path.into(),
            fields,
        })
    }

    /// The `data_dir` the file names, if any, read before anything is validated.
    pub fn data_dir(&self) -> Result<Option<PathBuf>, ConfigError> {
        match self.fields.get("data_dir") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(PathBuf::from(s))),
            Some(_) => Err(ConfigError::Parse {
                path: self.path.clone(),
                message: "data_dir: must be a path".into(),
            }),
        }
    }
}

/// The first address `s` names; see `parse_addrs`.
pub fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    parse_addrs(s).map(|a| a[0])
}

/// Every address `host:port` names, in the resolver's order, without repeats: `localhost`
/// is 127.0.0.1 and ::1, and clients often try ::1 first, so a listener binds all of them.
pub fn parse_addrs(s: &str) -> Result<Vec<SocketAddr>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("an address such as 127.0.0.1:1025 is required".into());
    }
    let Some((_, port)) = s.rsplit_once(':') else {
        return Err(format!("\"{s}\" needs a port, e.g. 127.0.0.1:1025"));
    };
    if port.parse::<u16>().is_err() {
        return Err(format!("\"{port}\" is not a port number (0-65535)"));
    }
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for a in s
        .to_socket_addrs()
        .map_err(|e| format!("\"{s}\" is not a valid address: {e}"))?
    {
        if !addrs.contains(&a) {
            addrs.push(a);
        }
    }
    if addrs.is_empty() {
        return Err(format!("\"{s}\" did not resolve to an address"));
    }
    Ok(addrs)
}

impl Config {
    /// A whole config from a TOML file; missing keys take the defaults.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        Config::default().with_file(&ConfigFile::read(path)?)
    }

    /// These settings with the keys present in a TOML file laid over them.
    pub fn with_file(self, file: &ConfigFile) -> Result<Config, ConfigError> {
        self.with_fields(file.fields.clone())
            .map_err(|errs| ConfigError::Parse {
                path: file.path.clone(),
                message: describe(&errs),
            })
    }

    /// Surrounding spaces trimmed from addresses and the host name; an empty SMTPS address
    /// means none.
    pub fn normalized(mut self) -> Config {
        self.smtp_addr = self.smtp_addr.trim().to_string();
        self.http_addr = self.http_addr.trim().to_string();
        self.api_token = self.api_token.trim().to_string();
        self.hostname = self.hostname.trim().to_string();
        self.smtps_addr = self
            .smtps_addr
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        self.release = self.release.normalized();
        self
    }

    /// Every problem at once, so a settings form can mark each field.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut err = |field: &str, message: String| {
            errs.push(FieldError {
                field: field.into(),
                message,
            })
        };
        let smtp = parse_addr(&self.smtp_addr);
        if let Err(m) = &smtp {
            err("smtp_addr", m.clone());
        }
        if let Some(a) = &self.smtps_addr {
            match parse_addr(a) {
                Err(m) => err("smtps_addr", m),
                Ok(s) if s.port() != 0 && smtp.as_ref().ok() == Some(&s) => {
                    err("smtps_addr", "must differ from the SMTP address".into())
                }
                Ok(_) => {}
            }
        }
        if self.max_message_size < 1024 {
            err("max_message_size", "must be at least 1024 bytes".into());
        }
        if self.max_recipients == 0 {
            err("max_recipients", "must be at least 1".into());
        }
        if self.max_line_length < 512 {
            err(
                "max_line_length",
                "must be at least 512 (RFC 5321 §4.5.3.1.4)".into(),
            );
        }
        if self.idle_timeout_secs == 0 {
            err("idle_timeout_secs", "must be at least 1 second".into());
        }
        if self.max_connections == 0 {
            err("max_connections", "must be at least 1".into());
        }
        if self.tls_handshake_timeout_secs == 0 {
            err(
                "tls_handshake_timeout_secs",
                "must be at least 1 second".into(),
            );
        }
        if self.command_timeout_secs == 0 {
            err("command_timeout_secs", "must be at least 1 second".into());
        }
        if self.data_rate_window_secs == 0 {
            err("data_rate_window_secs", "must be at least 1 second".into());
        }
        if self.min_data_rate > 100 * 1024 * 1024 {
            err(
                "min_data_rate",
                "must be at most 104857600 bytes per second (0 turns it off)".into(),
            );
        }
        if self.max_connections_per_client > self.max_connections {
            err(
                "max_connections_per_client",
                format!(
                    "must be at most max_connections ({}); 0 means three quarters of it",
                    self.max_connections
                ),
            );
        }
        if self.auth_max_failures == 0 {
            err("auth_max_failures", "must be at least 1".into());
        }
        if self.auth_mode == AuthMode::Users && self.auth_users.is_empty() {
            err(
                "auth_users",
                "add at least one user, or accept any credentials".into(),
            );
        }
        if self.auth_users.iter().any(|u| u.username.trim().is_empty()) {
            err("auth_users", "user names cannot be empty".into());
        } else {
            let mut names: Vec<&str> = self
                .auth_users
                .iter()
                .map(|u| u.username.as_str())
                .collect();
            names.sort_unstable();
            if names.windows(2).any(|w| w[0] == w[1]) {
                err("auth_users", "user names must be unique".into());
            }
        }
        if self.hostname.trim().is_empty() || self.hostname.contains(char::is_whitespace) {
            err("hostname", "must be a host name without spaces".into());
        }
        if let Err(m) = self.retention_age() {
            err("retention_age", m);
        }
        let mut taken: Vec<SocketAddr> = smtp.iter().copied().collect();
        self.validate_api(&mut err);
        for e in self.release.validate() {
            err(&e.field, e.message);
        }
        let mut names: Vec<String> = vec![
            crate::smtp::DEFAULT_LISTENER.to_string(),
            API_LISTENER.to_string(),
            IMPORT_LISTENER.to_string(),
        ];
        for (i, l) in self.listeners.iter().enumerate() {
            let field = format!("listeners[{i}]");
            let name = l.name.trim();
            if name.is_empty()
                || name.len() > 40
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                err(
                    &field,
                    format!("name \"{name}\" must be 1-40 letters, digits, - or _"),
                );
            } else if names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                err(
                    &field,
                    format!("name \"{name}\" is used twice (\"default\" is the main listener and \"api\" the send API)"),
                );
            } else {
                names.push(name.to_string());
            }
            match parse_addr(&l.smtp) {
                Err(m) => err(&field, format!("smtp: {m}")),
                Ok(a) if a.port() != 0 && taken.contains(&a) => err(
                    &field,
                    format!("smtp: {a} is already used by another listener"),
                ),
                Ok(a) => taken.push(a),
            }
            if l.auth_mode == Some(AuthMode::Users)
                && l.auth_users.as_ref().unwrap_or(&self.auth_users).is_empty()
            {
                err(&field, "auth_mode \"users\" needs at least one user".into());
            }
        }
        for (i, rule) in self.tag_rules.iter().enumerate() {
            let field = format!("tag_rules[{i}]");
            if let Err(e) = crate::search::parse(&rule.query) {
                err(&field, format!("query: {e}"));
            }
            if crate::message::normalize_tag(&rule.tag).is_none() {
                err(
                    &field,
                    format!(
                        "tag \"{}\" must be 1-{} characters without commas",
                        rule.tag,
                        crate::message::MAX_TAG_CHARS
                    ),
                );
            }
        }
        if let Err(problems) = crate::rules::check_rules(&self.rules) {
            for p in problems {
                err("rules", p);
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }

    /// The fault rules and their switch, as the engine runs them.
    pub fn rule_set(&self) -> RuleSet {
        RuleSet {
            fail_fast: self.fail_fast,
            rules: self.rules.clone(),
        }
    }

    fn validate_api(&self, err: &mut impl FnMut(&str, String)) {
        if self.api_token.chars().any(|c| c.is_control() || c == ' ') {
            err(
                "api_token",
                "must not contain spaces or control characters".into(),
            );
        } else if !self.api_token.is_empty() && self.api_token.len() < 16 {
            err("api_token", "must be at least 16 characters".into());
        }
        if !self.http_addr.is_empty() {
            match parse_addrs(&self.http_addr) {
                Err(m) => err("http_addr", m),
                Ok(addrs) => {
                    let open = addrs.iter().any(|a| !a.ip().is_loopback());
                    if open && self.api_token.is_empty() {
                        err(
                            "http_addr",
                            format!(
                                "{} is reachable from other machines: set api_token (or PIGEONHOLE_API_TOKEN) so they need it",
                                self.http_addr
                            ),
                        );
                    }
                }
            }
        }
        if self.api_token.is_empty() && self.cors_origins.iter().any(|o| o.trim() == "*") {
            err(
                "cors_origins",
                "\"*\" lets any web page read your mail: list the origins, or set api_token too"
                    .into(),
            );
        }
        for (i, o) in self.cors_origins.iter().enumerate() {
            let o = o.trim();
            let ok = o == "*"
                || ((o.starts_with("http://") || o.starts_with("https://"))
                    && !o.ends_with('/')
                    && !o.contains(char::is_whitespace)
                    && o.split("://")
                        .nth(1)
                        .is_some_and(|h| !h.is_empty() && !h.contains('/')));
            if !ok {
                err(
                    &format!("cors_origins[{i}]"),
                    format!("\"{o}\" is not an origin; use scheme://host[:port] such as http://localhost:3000, or *"),
                );
            }
        }
    }

    /// The API's addresses; empty when it is off. Call it on a validated config.
    pub fn http_addrs(&self) -> Result<Vec<SocketAddr>, ConfigError> {
        if self.http_addr.is_empty() {
            return Ok(Vec::new());
        }
        parse_addrs(&self.http_addr).map_err(|m| invalid("http_addr", m))
    }

    pub fn data_dir(&self) -> Result<PathBuf, ConfigError> {
        resolve_data_dir(self.data_dir.clone())
    }

    pub fn session_config(&self) -> SessionConfig {
        self.session_config_with(self.auth_mode, &self.auth_users, self.starttls)
    }

    fn session_config_with(
        &self,
        auth_mode: AuthMode,
        users: &[AuthUser],
        starttls: bool,
    ) -> SessionConfig {
        SessionConfig {
            hostname: self.hostname.clone(),
            max_message_size: self.max_message_size,
            max_recipients: self.max_recipients,
            max_line_length: self.max_line_length,
            starttls,
            auth: match auth_mode {
                AuthMode::Any => AuthPolicy::Any,
                AuthMode::Users => AuthPolicy::Users(
                    users
                        .iter()
                        .map(|u| (u.username.clone(), u.password.clone()))
                        .collect(),
                ),
            },
            show_passwords: self.show_passwords,
            auth_max_failures: self.auth_max_failures,
        }
    }

    /// The connection limits the listeners enforce, with the documented rules applied:
    /// no deadline longer than the idle timeout, 0 per client meaning three quarters.
    pub fn limits(&self) -> Limits {
        let idle = Duration::from_secs(self.idle_timeout_secs.max(1));
        let cap = |secs: u64| Duration::from_secs(secs.max(1)).min(idle);
        Limits {
            idle_timeout: idle,
            tls_handshake_timeout: cap(self.tls_handshake_timeout_secs),
            command_timeout: cap(self.command_timeout_secs),
            min_data_rate: self.min_data_rate,
            data_rate_window: cap(self.data_rate_window_secs),
            max_connections: self.max_connections.max(1),
            max_connections_per_client: match self.max_connections_per_client {
                0 => (self.max_connections * 3 / 4).max(1),
                n => n.min(self.max_connections).max(1),
            },
        }
    }

    /// `retention_age` as a duration; `None` when empty.
    pub fn retention_age(&self) -> Result<Option<Duration>, String> {
        let s = self.retention_age.trim();
        if s.is_empty() {
            return Ok(None);
        }
        crate::search::parse_duration(s)
            .filter(|d| !d.is_zero())
            .map(Some)
            .ok_or_else(|| {
                format!("\"{s}\" is not an age; use a number above 0 and s, m, h, d or w, such as 12h or 7d")
            })
    }

    /// The tag rules, compiled.
    pub fn tag_rules(&self) -> Vec<(crate::search::Query, String)> {
        self.tag_rules
            .iter()
            .filter_map(|r| {
                let q = crate::search::parse(&r.query).ok()?;
                Some((q, crate::message::normalize_tag(&r.tag)?))
            })
            .collect()
    }

    /// The listeners' options. Call it on a validated config (`Engine` does): it only
    /// resolves the addresses, and does not check the limits again.
    pub fn server_options(&self) -> Result<ServerOptions, ConfigError> {
        let smtp = parse_addrs(&self.smtp_addr).map_err(|m| invalid("smtp_addr", m))?;
        let smtps = match self.smtps_addr.as_deref() {
            Some(a) => parse_addrs(a).map_err(|m| invalid("smtps_addr", m))?,
            None => Vec::new(),
        };
        let mut listeners = Vec::with_capacity(self.listeners.len());
        for (i, l) in self.listeners.iter().enumerate() {
            let addrs = parse_addrs(&l.smtp).map_err(|m| invalid(&format!("listeners[{i}]"), m))?;
            listeners.push(NamedListener {
                name: l.name.trim().to_string(),
                addrs,
                session: self.session_config_with(
                    l.auth_mode.unwrap_or(self.auth_mode),
                    l.auth_users.as_deref().unwrap_or(&self.auth_users),
                    l.starttls.unwrap_or(self.starttls),
                ),
            });
        }
        Ok(ServerOptions {
            smtp,
            smtps,
            listeners,
            session: self.session_config(),
            limits: self.limits(),
            tls_dir: self.data_dir()?,
        })
    }

    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            durability: self.durability,
            retention: self.retention,
            retention_age: self.retention_age().ok().flatten(),
            ..StoreOptions::default()
        }
    }
}

fn invalid(field: &str, message: String) -> ConfigError {
    ConfigError::Invalid(vec![FieldError {
        field: field.into(),
        message,
    }])
}

/// The data dir asked for, else the platform's: what every front end uses.
pub fn resolve_data_dir(asked: Option<PathBuf>) -> Result<PathBuf, ConfigError> {
    asked
        .or_else(default_data_dir)
        .ok_or(ConfigError::NoDataDir)
}

/// `~/.local/share/pigeonhole` on Linux, the equivalents elsewhere.
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("dev", "pigeonhole", "pigeonhole")
        .map(|d| d.data_dir().to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_loopback() {
        let c = Config::default();
        assert_eq!(c.validate(), Ok(()), "the defaults must validate");
        assert!(
            parse_addr(&c.smtp_addr)
                .expect("default address parses")
                .ip()
                .is_loopback(),
            "loopback by default"
        );
    }

    #[test]
    fn bad_values_are_reported_per_field() {
        let c = Config {
            smtp_addr: "127.0.0.1:99999".into(),
            max_recipients: 0,
            ..Config::default()
        };
        let errs = c.validate().expect_err("two bad fields");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["smtp_addr", "max_recipients"]);
    }

    #[test]
    fn fault_rules_come_from_a_file_and_a_bad_one_is_named_with_its_field() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rules.toml");
        let write = |text: &str| std::fs::write(&path, text).expect("write");
        write(
            r#"
fail_fast = true
[[rules]]
name = "third recipient"
stage = "rcpt"
nth = 3
action = "reply"
code = 452
enhanced = "4.5.3"
[[rules]]
name = "greylist"
action = "tempfail"
attempts = 2
"#,
        );
        let c = Config::from_file(&path).expect("a valid file");
        assert!(c.fail_fast);
        assert_eq!(c.rules.len(), 2);
        assert_eq!(c.rules[0].stage, Some(crate::rules::Stage::Rcpt));
        assert_eq!(c.rule_set().rules[1].attempts, Some(2));

        write("[[rules]]\nname = \"typo\"\nstage = \"rcp\"\naction = \"drop\"\n");
        let err = Config::from_file(&path)
            .expect_err("an unknown stage")
            .to_string();
        assert!(err.contains("rules.toml"), "the file is named: {err}");
        assert!(
            err.contains("rules[0] \"typo\": stage: \"rcp\" is not one of connect"),
            "{err}"
        );
        write("[[rules]]\nname = \"re\"\naddress = \"/(x/\"\naction = \"reply\"\ncode = 999\n");
        let err = Config::from_file(&path)
            .expect_err("two problems")
            .to_string();
        assert!(
            err.contains("rules[0] \"re\": address: the regular expression /(x/ does not compile"),
            "{err}"
        );
        assert!(
            err.contains("rules[0] \"re\": code: 999 is outside 200-599"),
            "{err}"
        );
    }

    #[test]
    fn listeners_tag_rules_and_retention_age_come_from_a_file_and_are_checked() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            r#"
retention_age = "7d"
[[listeners]]
name = "shop"
smtp = "127.0.0.1:1026"
auth_mode = "users"
auth_users = [{ username = "shop", password = "pw" }]
[[tag_rules]]
query = "from:stripe.com subject:receipt"
tag = "Billing"
"#,
        )
        .expect("write");
        let c = Config::from_file(&path).expect("a valid file");
        assert_eq!(c.listeners[0].name, "shop");
        assert_eq!(
            c.retention_age().expect("age"),
            Some(Duration::from_secs(7 * 86_400))
        );
        assert_eq!(c.tag_rules()[0].1, "billing");
        let opts = c.server_options().expect("options");
        assert_eq!(opts.listeners[0].addrs[0].port(), 1026);

        let bad = Config {
            retention_age: "soon".into(),
            listeners: vec![
                ListenerConfig {
                    name: "default".into(),
                    smtp: "127.0.0.1:1025".into(),
                    auth_mode: None,
                    auth_users: None,
                    starttls: None,
                },
                ListenerConfig {
                    name: "bad name".into(),
                    smtp: "nope".into(),
                    auth_mode: Some(AuthMode::Users),
                    auth_users: None,
                    starttls: None,
                },
            ],
            tag_rules: vec![TagRule {
                query: "from:(".into(),
                tag: "a,b".into(),
            }],
            ..Config::default()
        };
        let errs = bad.validate().expect_err("all of it is wrong");
        let text = describe(&errs);
        for want in [
            "retention_age:",
            "listeners[0]: name \"default\" is used twice",
            "listeners[0]: smtp: 127.0.0.1:1025 is already used",
            "listeners[1]: name \"bad name\"",
            "listeners[1]: smtp:",
            "needs at least one user",
            "tag_rules[0]: query:",
            "tag_rules[0]: tag",
        ] {
            assert!(text.contains(want), "missing {want:?} in {text}");
        }
    }

    #[test]
    fn config_file_rejects_unknown_keys() {
        let err = toml::from_str::<Config>("smtp_adr = \"x\"").expect_err("typo must be caught");
        assert!(
            err.to_string().contains("smtp_adr"),
            "the error names the bad key: {err}"
        );
    }
}
