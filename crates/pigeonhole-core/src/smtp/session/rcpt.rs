//! RCPT TO: add a recipient to the open transaction and check its DSN parameters.

use super::{Session, Stage, Subject};
use crate::model::Recipient;
use crate::smtp::command::Param;
use crate::smtp::reply::Reply;

impl Session {
    pub(super) fn rcpt(&mut self, address: String, params: Vec<Param>) {
        if self.intercept(Stage::Rcpt, Subject::address(&address)) {
            return;
        }
        let extended = self.helo.as_ref().is_some_and(|(_, e)| *e);
        let Some(txn) = self.txn.as_ref() else {
            return self.reply(Reply::bad_sequence("Need MAIL before RCPT"));
        };
        if txn.chunks.is_some() {
            return self.reply(Reply::bad_sequence("RCPT is not allowed after BDAT"));
        }
        if txn.rcpt_to.len() >= self.cfg.max_recipients {
            return self.reply(Reply::too_many_recipients(self.cfg.max_recipients));
        }
        if !params.is_empty() && !extended {
            return self.reply(Reply::params_need_ehlo());
        }
        let mut kept = Vec::new();
        for p in &params {
            let value = p.value.as_deref().unwrap_or("");
            let ok = match p.key.as_str() {
                "NOTIFY" => {
                    let items: Vec<String> =
                        value.split(',').map(str::to_ascii_uppercase).collect();
                    let never = items.iter().any(|i| i == "NEVER");
                    !value.is_empty()
                        && items.iter().all(|i| {
                            matches!(i.as_str(), "NEVER" | "SUCCESS" | "FAILURE" | "DELAY")
                        })
                        && (!never || items.len() == 1)
                }
                "ORCPT" => value
                    .split_once(';')
                    .is_some_and(|(t, a)| !t.is_empty() && !a.is_empty()),
                other => return self.reply(Reply::unsupported_param(other)),
            };
            if !ok {
                return self.reply(Reply::bad_param_value(&p.key));
            }
            kept.push((p.key.clone(), value.to_string()));
        }
        if !txn.smtputf8 && !address.is_ascii() {
            return self.reply(Reply::needs_smtputf8());
        }
        let r = Reply::recipient_ok(&address);
        if let Some(txn) = self.txn.as_mut() {
            txn.rcpt_to.push(Recipient {
                address,
                params: kept,
            });
        }
        self.reply(r);
    }
}
