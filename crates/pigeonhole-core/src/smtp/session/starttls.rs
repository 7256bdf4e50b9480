//! STARTTLS (RFC 3207): ask the caller for a handshake, then forget the plaintext session.

use super::{Hooked, Mode, Output, Session, Stage, Subject};
use crate::model::TlsInfo;
use crate::smtp::reply::Reply;

impl Session {
    pub(super) fn starttls(&mut self) {
        match self.hook(Stage::StartTls, Subject::default()) {
            Hooked::Pass | Hooked::Discard => {}
            Hooked::Reply(r) => return self.reply(r),
            Hooked::Handled => return,
            Hooked::FailTls => {
                // The client is told to go ahead, then gets a TLS alert instead of a
                // ServerHello.
                // The alert must follow the 220, whatever `close` or fail-fast asked.
                self.close_after_reply = false;
                self.reply(Reply::tls_ready());
                self.problems.tls_failed = true;
                self.pending.push_back(Output::FailTls);
                self.mode = Mode::Closed;
                return;
            }
        }
        if self.tls.is_some() {
            return self.reply(Reply::bad_sequence("TLS is already active"));
        }
        if !self.cfg.starttls {
            return self.reply(Reply::not_implemented(
                "STARTTLS is not enabled on this listener",
            ));
        }
        if self.txn.is_some() {
            return self.reply(Reply::bad_sequence(
                "STARTTLS is not allowed during a mail transaction",
            ));
        }
        self.reply(Reply::tls_ready());
        self.pending.push_back(Output::StartTls);
        self.mode = Mode::Suspended;
    }

    /// The caller finished the TLS handshake. RFC 3207 §4.2: forget everything the
    /// client told us before it; it must EHLO again.
    pub fn tls_started(&mut self, info: TlsInfo) {
        self.note(format!("TLS established: {} {}", info.version, info.cipher));
        self.tls = Some(info);
        self.helo = None;
        self.txn = None;
        self.auth = None;
        self.mode = Mode::Command;
    }
}
