//! DATA and BDAT: receive the message body, then hand it to the caller to commit.

use super::{Delivery, Hooked, Mode, Output, Session, Stage, Subject};
use crate::model::{Direction, Envelope};
use crate::smtp::data::DataReceiver;
use crate::smtp::reply::Reply;

/// Why a message from `Output::Deliver` was not committed; each has its own reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// No room on the disk (or in the database's size limit): 452 4.3.1.
    StorageFull(String),
    /// Anything else: 451 4.3.0.
    Failed(String),
}

impl From<String> for DeliveryError {
    fn from(why: String) -> Self {
        DeliveryError::Failed(why)
    }
}

impl From<&str> for DeliveryError {
    fn from(why: &str) -> Self {
        DeliveryError::Failed(why.to_string())
    }
}

impl Session {
    pub(super) fn data(&mut self) {
        let addresses = self.envelope_addresses();
        if self.intercept(Stage::Data, Subject::addresses(&addresses)) {
            return;
        }
        let Some(txn) = self.txn.as_ref() else {
            return self.reply(Reply::bad_sequence("Need MAIL before DATA"));
        };
        if txn.chunks.is_some() {
            return self.reply(Reply::bad_sequence("DATA cannot be mixed with BDAT"));
        }
        if txn.rcpt_to.is_empty() {
            return self.reply(Reply::bad_sequence("Need RCPT before DATA"));
        }
        if txn.binarymime {
            return self.reply(Reply::bad_sequence(
                "BODY=BINARYMIME requires BDAT, not DATA",
            ));
        }
        self.reply(Reply::start_input());
        self.mode = Mode::Data(DataReceiver::new(self.cfg.max_message_size));
    }

    /// The DATA terminator arrived: summarise the body in the transcript, then deliver.
    pub(super) fn finish_data(&mut self, rx: DataReceiver) {
        self.transcript
            .push(Direction::In, format!("[{} bytes]", rx.received()));
        self.transcript.push(Direction::In, ".");
        if rx.over_limit() {
            self.txn = None;
            return self.reply(Reply::too_big(self.cfg.max_message_size));
        }
        self.deliver(rx.into_body());
    }

    pub(super) fn bdat(&mut self, size: u64, last: bool) {
        // The chunk follows the command whatever we answer, so it is always consumed.
        let addresses = self.envelope_addresses();
        let hooked = match self.hook(Stage::Bdat, Subject::addresses(&addresses)) {
            Hooked::Reply(r) => Some(r),
            Hooked::Handled => return,
            _ => None,
        };
        let reject = hooked.or_else(|| match self.txn.as_mut() {
            None => Some(Reply::bad_sequence("Need MAIL before BDAT")),
            Some(txn) if txn.rcpt_to.is_empty() => {
                Some(Reply::bad_sequence("Need RCPT before BDAT"))
            }
            Some(txn) => {
                let so_far = txn.chunks.get_or_insert_with(Vec::new).len() as u64;
                if so_far.saturating_add(size) > self.cfg.max_message_size as u64 {
                    Some(Reply::too_big(self.cfg.max_message_size))
                } else {
                    None
                }
            }
        });
        if size == 0 {
            // Nothing to read: finish now (BDAT 0 LAST is how CHUNKING ends a message).
            self.finish_chunk(0, last, reject);
        } else {
            self.mode = Mode::Bdat {
                size,
                remaining: size,
                last,
                reject,
            };
        }
    }

    /// A BDAT chunk has been read (or skipped, when `reject` says why it was refused).
    pub(super) fn finish_chunk(&mut self, size: u64, last: bool, reject: Option<Reply>) {
        if size > 0 {
            self.transcript
                .push(Direction::In, format!("[{size} bytes]"));
        }
        if let Some(r) = reject {
            if r.code >= 400 {
                // RFC 3030 §2: after a failed chunk the transaction is over, so a later
                // BDAT LAST cannot commit a message with a chunk missing.
                self.txn = None;
            }
            return self.reply(r);
        }
        if last {
            let body = self
                .txn
                .as_mut()
                .and_then(|t| t.chunks.take())
                .unwrap_or_default();
            self.deliver(body);
        } else {
            self.reply(Reply::ok(format!("{size} octets received")));
        }
    }

    /// Ends the transaction with its message and waits for the caller to commit it.
    fn deliver(&mut self, raw: Vec<u8>) {
        let addresses = self.envelope_addresses();
        let Some(txn) = self.txn.take() else { return };
        let key = if self.rules_active() {
            crate::rules::message_key(&addresses, &raw)
        } else {
            String::new()
        };
        match self.hook(Stage::EndOfData, Subject::message(&addresses, &key)) {
            Hooked::Pass | Hooked::FailTls => {}
            // Refused like a 552: the transaction is over either way.
            Hooked::Reply(r) => return self.reply(r),
            Hooked::Handled => return,
            Hooked::Discard => {
                self.note(format!(
                    "message of {} bytes discarded by a rule: not stored",
                    raw.len()
                ));
                return self.reply(Reply::ok("Ok: discarded"));
            }
        }
        let delivery = Delivery {
            envelope: Envelope {
                mail_from: txn.mail_from,
                mail_params: txn.mail_params,
                rcpt_to: txn.rcpt_to,
            },
            raw,
            transcript_first: txn.transcript_first,
            transcript_end: self.transcript.len() + 1,
        };
        self.pending.push_back(Output::Deliver(delivery));
        self.mode = Mode::Suspended;
    }

    /// The caller committed (or failed to commit) the message from `Output::Deliver`.
    pub fn delivered(&mut self, result: Result<i64, DeliveryError>) {
        let r = match result {
            Ok(id) => {
                self.messages += 1;
                Reply::queued(id)
            }
            Err(DeliveryError::StorageFull(why)) => {
                self.note(format!("store full: {why}"));
                Reply::storage_full()
            }
            Err(DeliveryError::Failed(why)) => {
                self.note(format!("store error: {why}"));
                Reply::local_error()
            }
        };
        self.mode = Mode::Command;
        self.reply(r);
    }
}
