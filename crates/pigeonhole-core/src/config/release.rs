//! The `release` section: the real SMTP server captured mail may be released to, and the
//! allowlist of recipient domains that must match before anything leaves.
//!
//! ```toml
//! [release]
//! host = "smtp.example.com"
//! port = 587
//! tls = "starttls"              # none | starttls | tls (implicit, usually port 465)
//! user = "me@example.com"       # optional; empty: no AUTH
//! password = "..."
//! allowed_domains = ["example.com", "*.staging.example.com"]
//! accept_invalid_certs = false
//! add_received = false
//! ```
//!
//! An allowlist entry is a domain, matched exactly (`example.com` allows `a@example.com`
//! and `a@EXAMPLE.com`, not `a@mail.example.com`), or `*.` and a domain, matching every
//! subdomain but not the domain itself (`*.example.com` allows `a@mail.example.com` and
//! `a@x.y.example.com`, not `a@example.com`; list both to allow both). There is no
//! catch-all: an empty list releases nothing, so nothing leaves by accident.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::FieldError;
use crate::model::{ReleaseServer, ReleaseTls};

/// Where releases go, and to whom they may.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default, deny_unknown_fields)]
pub struct ReleaseConfig {
    /// The server's host name or address; empty: none configured, so a release must name
    /// one.
    pub host: String,
    pub port: u16,
    pub tls: ReleaseTls,
    /// AUTH user; empty: no AUTH.
    pub user: String,
    pub password: String,
    /// Recipient domains a release may go to, checked before connecting (see the module
    /// docs for the patterns). Empty: nothing is released.
    pub allowed_domains: Vec<String>,
    /// Accept a certificate that does not verify (a self-signed test server). Off: a
    /// release to such a server fails at TLS.
    pub accept_invalid_certs: bool,
    /// Put a `Received:` header naming this Pigeonhole in front of the message. Off: the
    /// stored bytes are sent exactly as they are.
    pub add_received: bool,
}

impl Default for ReleaseConfig {
    fn default() -> Self {
        ReleaseConfig {
            host: String::new(),
            port: 587,
            tls: ReleaseTls::Starttls,
            user: String::new(),
            password: String::new(),
            allowed_domains: Vec::new(),
            accept_invalid_certs: false,
            add_received: false,
        }
    }
}

impl ReleaseConfig {
    /// The configured server; `None` when no host is set.
    pub fn server(&self) -> Option<ReleaseServer> {
        if self.host.trim().is_empty() {
            return None;
        }
        Some(ReleaseServer {
            host: self.host.trim().to_string(),
            port: self.port,
            tls: self.tls,
            user: self.user.trim().to_string(),
            password: self.password.clone(),
            accept_invalid_certs: self.accept_invalid_certs,
        })
    }

    /// Trimmed host and user; allowlist entries trimmed, lowercased, without a final dot.
    pub(super) fn normalized(mut self) -> ReleaseConfig {
        self.host = self.host.trim().to_string();
        self.user = self.user.trim().to_string();
        self.allowed_domains = self
            .allowed_domains
            .iter()
            .map(|d| normalize_domain(d))
            .collect();
        self
    }

    /// Every problem, each named by its field (`release.port`, `release.allowed_domains[1]`).
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errs = check_server(
            "release",
            &ReleaseServer {
                host: self.host.clone(),
                port: self.port,
                tls: self.tls,
                user: self.user.clone(),
                password: self.password.clone(),
                accept_invalid_certs: self.accept_invalid_certs,
            },
            false,
        );
        for (i, d) in self.allowed_domains.iter().enumerate() {
            if let Err(message) = check_pattern(d) {
                errs.push(FieldError {
                    field: format!("release.allowed_domains[{i}]"),
                    message,
                });
            }
        }
        errs
    }

    /// Whether the allowlist lets mail go to `address`'s domain.
    pub fn allows(&self, address: &str) -> bool {
        let domain = domain_of(address);
        !domain.is_empty()
            && self
                .allowed_domains
                .iter()
                .any(|p| pattern_matches(&normalize_domain(p), &domain))
    }
}

/// The problems of a server, named `{prefix}.host` etc. `required`: an empty host is one
/// (a server a call names); in the config an empty host means none is configured.
pub fn check_server(prefix: &str, s: &ReleaseServer, required: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut err = |field: &str, message: String| {
        errs.push(FieldError {
            field: format!("{prefix}.{field}"),
            message,
        })
    };
    let host = s.host.trim();
    if host.is_empty() {
        if required {
            err("host", "a host name or address is required".into());
        }
    } else if host.contains(char::is_whitespace) || host.contains('/') || host.contains('@') {
        err(
            "host",
            format!("\"{host}\" is not a host name or address (give the port separately)"),
        );
    }
    if s.port == 0 {
        err(
            "port",
            "must be a port from 1 to 65535 (587 for STARTTLS, 465 for TLS, 25)".into(),
        );
    }
    if s.user.trim().is_empty() && !s.password.is_empty() {
        err("user", "a password needs a user name".into());
    }
    errs
}

/// `host:port` (`[::1]:25` for IPv6) split in two; the port is required.
pub fn split_host_port(s: &str) -> Result<(String, u16), String> {
    let s = s.trim();
    let Some((host, port)) = s.rsplit_once(':') else {
        return Err(format!("\"{s}\" needs a port, e.g. smtp.example.com:587"));
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("\"{s}\" needs a host before the port"));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok((host.to_string(), p)),
        _ => Err(format!("\"{port}\" is not a port number (1-65535)")),
    }
}

/// The domain of an address, lowercased, without a final dot; "" when it has none.
pub fn domain_of(address: &str) -> String {
    address
        .trim()
        .rsplit_once('@')
        .map(|(_, d)| normalize_domain(d))
        .unwrap_or_default()
}

fn normalize_domain(d: &str) -> String {
    d.trim().trim_end_matches('.').to_lowercase()
}

fn pattern_matches(pattern: &str, domain: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(parent) => domain
            .strip_suffix(parent)
            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        None => pattern == domain,
    }
}

fn check_pattern(pattern: &str) -> Result<(), String> {
    if pattern == "*" || pattern == "*." {
        return Err(
            "\"*\" would release to anyone; list the domains, or use *.example.com for a domain's subdomains"
                .into(),
        );
    }
    let domain = pattern.strip_prefix("*.").unwrap_or(pattern);
    if domain.contains('@') {
        return Err(format!(
            "\"{pattern}\" is an address; list its domain (\"{}\")",
            domain_of(domain)
        ));
    }
    let labels_ok = !domain.is_empty()
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        });
    if !labels_ok {
        return Err(format!(
            "\"{pattern}\" is not a domain; use example.com, or *.example.com for its subdomains"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowing(domains: &[&str]) -> ReleaseConfig {
        ReleaseConfig {
            allowed_domains: domains.iter().map(|d| d.to_string()).collect(),
            ..ReleaseConfig::default()
        }
        .normalized()
    }

    #[test]
    fn the_allowlist_matches_exact_domains_and_subdomain_patterns() {
        // (allowlist, address, allowed)
        let cases: &[(&[&str], &str, bool)] = &[
            (&[], "ann@example.com", false),
            (&["example.com"], "ann@example.com", true),
            (&["example.com"], "Ann@EXAMPLE.COM", true),
            (&["Example.COM."], "ann@example.com.", true),
            (&["example.com"], "ann@mail.example.com", false),
            (&["example.com"], "ann@badexample.com", false),
            (&["example.com"], "ann@example.com.evil.test", false),
            (&["*.example.com"], "ann@mail.example.com", true),
            (&["*.example.com"], "ann@a.b.example.com", true),
            (&["*.example.com"], "ann@example.com", false),
            (&["*.example.com"], "ann@badexample.com", false),
            (&["*.example.com"], "ann@xexample.com", false),
            (&["example.com", "*.example.com"], "ann@example.com", true),
            (&["example.com"], "no-domain", false),
            (&["example.com"], "\"a@b\"@example.com", true),
            (&["example.com"], "ann@example.com@evil.test", false),
        ];
        for (list, address, want) in cases {
            assert_eq!(
                allowing(list).allows(address),
                *want,
                "allowlist {list:?} and {address}"
            );
        }
    }

    #[test]
    fn bad_release_settings_are_named_by_field() {
        let c = ReleaseConfig {
            host: "smtp example".into(),
            port: 0,
            password: "pw".into(),
            allowed_domains: vec![
                "ok.example".into(),
                "*".into(),
                "ann@example.com".into(),
                "a..b".into(),
            ],
            ..ReleaseConfig::default()
        }
        .normalized();
        let errs = c.validate();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "release.host",
                "release.port",
                "release.user",
                "release.allowed_domains[1]",
                "release.allowed_domains[2]",
                "release.allowed_domains[3]",
            ],
            "{errs:?}"
        );
        assert!(
            errs[4].message.contains("\"example.com\""),
            "an address in the allowlist suggests its domain: {errs:?}"
        );
        assert!(
            ReleaseConfig::default().validate().is_empty(),
            "the defaults (no server, empty allowlist) are valid"
        );
        assert_eq!(
            ReleaseConfig::default().server(),
            None,
            "no server by default"
        );
    }

    #[test]
    fn host_and_port_are_split_for_the_flags() {
        assert_eq!(
            split_host_port("smtp.example.com:587"),
            Ok(("smtp.example.com".into(), 587))
        );
        assert_eq!(split_host_port("[::1]:25"), Ok(("::1".into(), 25)));
        assert!(split_host_port("smtp.example.com")
            .expect_err("no port")
            .contains("needs a port"));
        assert!(split_host_port("h:0").is_err(), "port 0 is refused");
        assert!(split_host_port(":25").is_err(), "a host is needed");
    }
}
