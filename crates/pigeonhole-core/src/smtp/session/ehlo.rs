//! HELO and EHLO: greet the client, reset any transaction, and advertise the extensions.

use super::{Session, Stage, Subject};
use crate::smtp::auth::MECHANISMS;
use crate::smtp::reply::Reply;

/// A HELO name is echoed in the reply and stored: control bytes in it are refused, not
/// sent back.
const CONTROL_IN_NAME: &str = "HELO/EHLO name must not contain control characters";

fn has_control(name: &str) -> bool {
    name.chars().any(char::is_control)
}

impl Session {
    pub(super) fn helo(&mut self, name: String) {
        if has_control(&name) {
            return self.reply(Reply::bad_bytes(CONTROL_IN_NAME));
        }
        if self.intercept(Stage::Helo, Subject::helo(&name)) {
            return;
        }
        self.txn = None;
        let r = Reply::hello(&self.cfg.hostname, &name);
        self.helo = Some((name, false));
        self.reply(r);
    }

    pub(super) fn ehlo(&mut self, name: String) {
        if has_control(&name) {
            return self.reply(Reply::bad_bytes(CONTROL_IN_NAME));
        }
        if self.intercept(Stage::Helo, Subject::helo(&name)) {
            return;
        }
        self.txn = None;
        let mut lines = vec![format!("{} Hello {}", self.cfg.hostname, name)];
        lines.push("PIPELINING".into());
        lines.push(format!("SIZE {}", self.cfg.max_message_size));
        lines.push("8BITMIME".into());
        lines.push("SMTPUTF8".into());
        lines.push("CHUNKING".into());
        lines.push("BINARYMIME".into());
        lines.push("DSN".into());
        lines.push("ENHANCEDSTATUSCODES".into());
        if self.cfg.starttls && self.tls.is_none() {
            lines.push("STARTTLS".into());
        }
        lines.push(format!("AUTH {MECHANISMS}"));
        lines.push("HELP".into());
        self.helo = Some((name, true));
        self.reply(Reply::extensions(lines));
    }
}
