//! MAIL FROM: start a transaction and check its ESMTP parameters (RFC 5321 §4.1.1.2).

use super::{Session, Stage, Subject, Transaction};
use crate::smtp::command::Param;
use crate::smtp::reply::Reply;

impl Session {
    pub(super) fn mail(&mut self, address: String, params: Vec<Param>) {
        // The MAIL line, before any note a rule adds: where the message's lines begin.
        let transcript_first = self.transcript.len() - 1;
        if self.intercept(Stage::Mail, Subject::address(&address)) {
            return;
        }
        let Some((_, extended)) = &self.helo else {
            return self.reply(Reply::bad_sequence("Send HELO or EHLO first"));
        };
        let extended = *extended;
        if self.txn.is_some() {
            return self.reply(Reply::bad_sequence("Nested MAIL command: send RSET first"));
        }
        if !params.is_empty() && !extended {
            return self.reply(Reply::params_need_ehlo());
        }
        let mut txn = Transaction {
            mail_from: address,
            transcript_first,
            ..Default::default()
        };
        let mut seen: Vec<&str> = Vec::new();
        for p in &params {
            if seen.contains(&p.key.as_str()) {
                return self.reply(Reply::duplicate_param(&p.key));
            }
            seen.push(&p.key);
            let value = p.value.as_deref();
            match p.key.as_str() {
                "SIZE" => {
                    let Some(size) =
                        value.filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                    else {
                        return self.reply(Reply::bad_param_value("SIZE"));
                    };
                    // Overlong digit strings are certainly over the limit.
                    let over = size
                        .parse::<u64>()
                        .map_or(true, |n| n > self.cfg.max_message_size as u64);
                    if over {
                        return self.reply(Reply::declared_too_big(self.cfg.max_message_size));
                    }
                }
                "BODY" => match value.map(str::to_ascii_uppercase).as_deref() {
                    Some("7BIT") | Some("8BITMIME") => {}
                    Some("BINARYMIME") => txn.binarymime = true,
                    _ => return self.reply(Reply::bad_param_value("BODY")),
                },
                "SMTPUTF8" => {
                    if value.is_some() {
                        return self.reply(Reply::bad_param_value("SMTPUTF8"));
                    }
                    txn.smtputf8 = true;
                }
                "RET" => match value.map(str::to_ascii_uppercase).as_deref() {
                    Some("FULL") | Some("HDRS") => {}
                    _ => return self.reply(Reply::bad_param_value("RET")),
                },
                "ENVID" | "AUTH" => {
                    if value.is_none_or(str::is_empty) {
                        return self.reply(Reply::bad_param_value(&p.key));
                    }
                }
                other => return self.reply(Reply::unsupported_param(other)),
            }
            txn.mail_params
                .push((p.key.clone(), value.unwrap_or("").to_string()));
        }
        if !txn.smtputf8 && !txn.mail_from.is_ascii() {
            return self.reply(Reply::needs_smtputf8());
        }
        let r = Reply::sender_ok(&txn.mail_from);
        self.txn = Some(txn);
        self.reply(r);
    }
}
