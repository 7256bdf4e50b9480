//! AUTH (RFC 4954): PLAIN, LOGIN and CRAM-MD5 exchanges, checked against the policy.

use std::sync::atomic::{AtomicU64, Ordering};

use super::{AuthStep, Mode, Session, Stage, Subject};
use crate::model::{AuthInfo, Direction};
use crate::smtp::auth::{self as sasl, Credentials, Mechanism, SaslError};
use crate::smtp::reply::Reply;

/// The LOGIN prompts, base64 of "Username:" and "Password:" as clients expect them.
const LOGIN_USER_PROMPT: &str = "VXNlcm5hbWU6";
const LOGIN_PASSWORD_PROMPT: &str = "UGFzc3dvcmQ6";

impl Session {
    pub(super) fn auth_start(&mut self, mechanism: &str, initial: Option<String>) {
        if self.intercept(Stage::Auth, Subject::default()) {
            return;
        }
        if !self.helo.as_ref().is_some_and(|(_, e)| *e) {
            return self.reply(Reply::bad_sequence("Send EHLO before AUTH"));
        }
        if self.auth.is_some() {
            return self.reply(Reply::bad_sequence("Already authenticated"));
        }
        if self.txn.is_some() {
            return self.reply(Reply::bad_sequence(
                "AUTH is not allowed during a mail transaction",
            ));
        }
        let Some(mech) = Mechanism::parse(mechanism) else {
            return self.reply(Reply::param_not_implemented(format!(
                "Unrecognised authentication mechanism; use one of {}",
                sasl::MECHANISMS
            )));
        };
        // "=" is the explicit empty initial response (RFC 4954 §4).
        let initial = initial.map(|i| if i == "=" { String::new() } else { i });
        match (mech, initial) {
            (Mechanism::Plain, Some(resp)) => self.finish_auth(mech, sasl::decode_plain(&resp)),
            (Mechanism::Plain, None) => {
                self.mode = Mode::Auth(AuthStep::Plain);
                self.reply(Reply::auth_continue(""));
            }
            (Mechanism::Login, Some(resp)) => self.login_user(&resp),
            (Mechanism::Login, None) => {
                self.mode = Mode::Auth(AuthStep::LoginUser);
                self.reply(Reply::auth_continue(LOGIN_USER_PROMPT));
            }
            (Mechanism::CramMd5, Some(_)) => self.reply(Reply::auth_syntax(
                "CRAM-MD5 does not take an initial response",
            )),
            (Mechanism::CramMd5, None) => {
                let challenge = self.cram_challenge();
                let encoded = sasl::encode_b64(challenge.as_bytes());
                self.mode = Mode::Auth(AuthStep::CramMd5 { challenge });
                // The challenge and the digest answering it together allow offline
                // password guessing, so both are masked like a password.
                self.mask_next_reply = !self.cfg.show_passwords;
                self.reply(Reply::auth_continue(encoded));
            }
        }
    }

    /// A fresh RFC 2195 challenge: unique per process, counter and clock, named for us.
    fn cram_challenge(&self) -> String {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        format!(
            "<{}.{}.{}@{}>",
            std::process::id(),
            n,
            nanos,
            self.cfg.hostname
        )
    }

    /// One line of an exchange started by `auth_start`; the session is in `Mode::Auth`.
    pub(super) fn auth_response(&mut self, line: &str) {
        let Mode::Auth(step) = std::mem::replace(&mut self.mode, Mode::Command) else {
            return;
        };
        let secret = matches!(
            step,
            AuthStep::Plain | AuthStep::LoginPassword { .. } | AuthStep::CramMd5 { .. }
        );
        let shown = if secret && !self.cfg.show_passwords && line != "*" {
            "********"
        } else {
            line
        };
        self.transcript.push(Direction::In, shown);
        if line.trim() == "*" {
            return self.reply(Reply::auth_cancelled());
        }
        match step {
            AuthStep::Plain => self.finish_auth(Mechanism::Plain, sasl::decode_plain(line)),
            AuthStep::LoginUser => self.login_user(line),
            AuthStep::LoginPassword { user } => {
                let creds = sasl::decode_text(line)
                    .map(|password| Credentials::Password { user, password });
                self.finish_auth(Mechanism::Login, creds);
            }
            AuthStep::CramMd5 { challenge } => {
                self.finish_auth(Mechanism::CramMd5, sasl::decode_cram_md5(line, &challenge));
            }
        }
    }

    /// LOGIN's user name arrived (as initial response or after the prompt): ask for the password.
    fn login_user(&mut self, response: &str) {
        match sasl::decode_text(response) {
            Ok(user) => {
                self.mode = Mode::Auth(AuthStep::LoginPassword { user });
                self.reply(Reply::auth_continue(LOGIN_PASSWORD_PROMPT));
            }
            Err(e) => self.sasl_error(e),
        }
    }

    fn finish_auth(&mut self, mech: Mechanism, creds: Result<Credentials, SaslError>) {
        let creds = match creds {
            Ok(c) => c,
            Err(e) => return self.sasl_error(e),
        };
        if self.cfg.auth.accepts(&creds) {
            self.note(format!(
                "authenticated as {} with {}",
                creds.user(),
                mech.name()
            ));
            self.auth = Some(AuthInfo {
                mechanism: mech.name().into(),
                user: creds.user().to_string(),
            });
            self.reply(Reply::auth_ok());
        } else {
            self.note(format!(
                "authentication failed for {} with {}",
                creds.user(),
                mech.name()
            ));
            self.reply(Reply::auth_invalid());
        }
    }

    fn sasl_error(&mut self, e: SaslError) {
        let text = match e {
            SaslError::Base64 => "Cannot decode the response: not valid base64",
            SaslError::Malformed => "Cannot decode the response: malformed credentials",
        };
        self.reply(Reply::auth_syntax(text));
    }
}
