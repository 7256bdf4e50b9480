//! SMTP AUTH (RFC 4954): the PLAIN, LOGIN and CRAM-MD5 mechanisms and credential checks.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use md5::Md5;

/// The mechanisms we advertise, in EHLO order.
pub const MECHANISMS: &str = "PLAIN LOGIN CRAM-MD5";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    Login,
    CramMd5,
}

impl Mechanism {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "PLAIN" => Some(Mechanism::Plain),
            "LOGIN" => Some(Mechanism::Login),
            "CRAM-MD5" => Some(Mechanism::CramMd5),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
        }
    }
}

/// What the client proved, to be checked against the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    Password {
        user: String,
        password: String,
    },
    /// CRAM-MD5 never reveals the password; we can only recompute the digest.
    CramMd5 {
        user: String,
        challenge: String,
        digest: String,
    },
}

impl Credentials {
    pub fn user(&self) -> &str {
        match self {
            Credentials::Password { user, .. } | Credentials::CramMd5 { user, .. } => user,
        }
    }
}

/// Who may authenticate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AuthPolicy {
    /// Any user name and password succeed (the default: a catcher should not get in the way).
    #[default]
    Any,
    /// Only these (user, password) pairs succeed; others get 535.
    Users(Vec<(String, String)>),
}

impl AuthPolicy {
    pub fn accepts(&self, creds: &Credentials) -> bool {
        let users = match self {
            AuthPolicy::Any => return true,
            AuthPolicy::Users(users) => users,
        };
        let Some((_, password)) = users.iter().find(|(u, _)| u == creds.user()) else {
            return false;
        };
        match creds {
            Credentials::Password {
                password: given, ..
            } => constant_time_eq(given.as_bytes(), password.as_bytes()),
            Credentials::CramMd5 {
                challenge, digest, ..
            } => {
                let expected = cram_md5_digest(password, challenge);
                constant_time_eq(expected.as_bytes(), digest.to_ascii_lowercase().as_bytes())
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslError {
    /// Not valid base64: 501 5.5.2.
    Base64,
    /// Decoded, but not the shape the mechanism requires: 501 5.5.2.
    Malformed,
}

pub fn decode_b64(s: &str) -> Result<Vec<u8>, SaslError> {
    B64.decode(s.trim()).map_err(|_| SaslError::Base64)
}

pub fn encode_b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// PLAIN: `authzid NUL authcid NUL passwd` (RFC 4616).
pub fn decode_plain(response: &str) -> Result<Credentials, SaslError> {
    let raw = decode_b64(response)?;
    let mut parts = raw.split(|&b| b == 0);
    let (_authzid, user, password) = match (parts.next(), parts.next(), parts.next(), parts.next())
    {
        (Some(z), Some(u), Some(p), None) => (z, u, p),
        _ => return Err(SaslError::Malformed),
    };
    let user = String::from_utf8(user.to_vec()).map_err(|_| SaslError::Malformed)?;
    let password = String::from_utf8(password.to_vec()).map_err(|_| SaslError::Malformed)?;
    if user.is_empty() {
        return Err(SaslError::Malformed);
    }
    Ok(Credentials::Password { user, password })
}

pub fn decode_text(response: &str) -> Result<String, SaslError> {
    String::from_utf8(decode_b64(response)?).map_err(|_| SaslError::Malformed)
}

/// CRAM-MD5 response: base64 of `user SP hex-digest` (RFC 2195).
pub fn decode_cram_md5(response: &str, challenge: &str) -> Result<Credentials, SaslError> {
    let text = decode_text(response)?;
    let (user, digest) = text.rsplit_once(' ').ok_or(SaslError::Malformed)?;
    if user.is_empty() || digest.len() != 32 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SaslError::Malformed);
    }
    Ok(Credentials::CramMd5 {
        user: user.to_string(),
        challenge: challenge.to_string(),
        digest: digest.to_string(),
    })
}

pub fn cram_md5_digest(password: &str, challenge: &str) -> String {
    let mut mac = <Hmac<Md5> as Mac>::new_from_slice(password.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(challenge.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cram_md5_matches_the_rfc_2195_example() {
        let digest = cram_md5_digest(
            "tanstaaftanstaaf",
            "<1896.697170952@postoffice.reston.mci.net>",
        );
        assert_eq!(
            digest, "b913a602c7eda7a495b4e6e7334d3890",
            "RFC 2195 §2 worked example"
        );
    }

    #[test]
    fn plain_needs_three_fields() {
        assert_eq!(
            decode_plain(&encode_b64(b"\0alice\0secret")),
            Ok(Credentials::Password {
                user: "alice".into(),
                password: "secret".into()
            })
        );
        assert_eq!(
            decode_plain(&encode_b64(b"alice")),
            Err(SaslError::Malformed)
        );
        assert_eq!(decode_plain("!!!"), Err(SaslError::Base64));
    }

    #[test]
    fn user_policy_checks_passwords_and_cram_digests() {
        let policy = AuthPolicy::Users(vec![("alice".into(), "pw".into())]);
        let good = Credentials::Password {
            user: "alice".into(),
            password: "pw".into(),
        };
        let bad = Credentials::Password {
            user: "alice".into(),
            password: "nope".into(),
        };
        assert!(
            policy.accepts(&good),
            "the configured password must be accepted"
        );
        assert!(!policy.accepts(&bad), "a wrong password must be refused");
        let cram = Credentials::CramMd5 {
            user: "alice".into(),
            challenge: "<1@x>".into(),
            digest: cram_md5_digest("pw", "<1@x>"),
        };
        assert!(
            policy.accepts(&cram),
            "a correct CRAM-MD5 digest must be accepted"
        );
        assert!(
            AuthPolicy::Any.accepts(&bad),
            "the default policy accepts anything"
        );
    }
}
