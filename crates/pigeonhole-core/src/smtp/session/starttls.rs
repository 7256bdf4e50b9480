//! STARTTLS (RFC 3207): ask the caller for a handshake, then forget the plaintext session.

use super::{Mode, Output, Session, Stage};
use crate::model::TlsInfo;
use crate::smtp::reply::Reply;

impl Session {
    pub(super) fn starttls(&mut self) {
        if let Some(r) = self.hook(Stage::StartTls) {
            return self.reply(r);
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
