//! The commands that carry no mail: RSET, NOOP, QUIT, VRFY, EXPN, HELP and the refused ones.

use super::{Mode, Output, Session, Stage, Subject};
use crate::smtp::auth::MECHANISMS;
use crate::smtp::command::Refused;
use crate::smtp::reply::Reply;

impl Session {
    pub(super) fn rset(&mut self) {
        if self.intercept(Stage::Rset, Subject::default()) {
            return;
        }
        self.txn = None;
        self.reply(Reply::ok("Reset OK"));
    }

    pub(super) fn noop(&mut self) {
        if self.intercept(Stage::Other, Subject::default()) {
            return;
        }
        self.reply(Reply::ok("OK"));
    }

    pub(super) fn quit(&mut self) {
        if self.intercept(Stage::Quit, Subject::default()) {
            return;
        }
        self.reply(Reply::closing(&self.cfg.hostname));
        self.pending.push_back(Output::Close);
        self.mode = Mode::Closed;
    }

    pub(super) fn vrfy(&mut self) {
        if self.intercept(Stage::Other, Subject::default()) {
            return;
        }
        self.reply(Reply::cannot_vrfy());
    }

    /// EXPN: 502. A catcher has no mailing lists to expand, and 252 would promise a
    /// delivery attempt that EXPN does not imply. Documented in the README.
    pub(super) fn expn(&mut self) {
        if self.intercept(Stage::Other, Subject::default()) {
            return;
        }
        self.reply(Reply::not_implemented(
            "EXPN is not supported: Pigeonhole has no mailing lists to expand",
        ));
    }

    pub(super) fn help(&mut self, topic: Option<String>) {
        if self.intercept(Stage::Other, Subject::default()) {
            return;
        }
        let lines = match topic.as_deref().map(str::to_ascii_uppercase).as_deref() {
            None => vec![
                "Pigeonhole catches mail for developers; nothing is relayed".to_string(),
                "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT".to_string(),
                "          HELP VRFY EXPN STARTTLS AUTH".to_string(),
                "Not supported: TURN ATRN ETRN SEND SOML SAML".to_string(),
                "End of HELP info".to_string(),
            ],
            Some("MAIL") => vec!["MAIL FROM:<address> [SIZE=n] [BODY=7BIT|8BITMIME|BINARYMIME] [SMTPUTF8] [RET=FULL|HDRS] [ENVID=id]".into()],
            Some("RCPT") => vec!["RCPT TO:<address> [NOTIFY=NEVER|SUCCESS,FAILURE,DELAY] [ORCPT=type;address]".into()],
            Some("BDAT") => vec!["BDAT <size> [LAST]".into()],
            Some("AUTH") => vec![format!("AUTH <{}> [initial-response]", MECHANISMS.replace(' ', "|"))],
            Some(t) => {
                return self.reply(Reply::param_not_implemented(format!("HELP topic {t} not recognised")))
            }
        };
        self.reply(Reply::help(lines));
    }

    /// Commands RFC 5321 retired or that need a relay we are not: 502 with the reason.
    pub(super) fn refused(&mut self, which: Refused) {
        if self.intercept(Stage::Other, Subject::default()) {
            return;
        }
        let text = match which {
            Refused::Turn => {
                "TURN is not supported: it was removed for security reasons (RFC 2821)"
            }
            Refused::Atrn => {
                "ATRN is not supported: Pigeonhole keeps no mail for on-demand relay (RFC 2645)"
            }
            Refused::Etrn => {
                "ETRN is not supported: Pigeonhole keeps no outbound queue to run (RFC 1985)"
            }
            Refused::Send => {
                "SEND is not supported: terminal delivery was removed from SMTP (RFC 2821)"
            }
            Refused::Soml => {
                "SOML is not supported: terminal delivery was removed from SMTP (RFC 2821)"
            }
            Refused::Saml => {
                "SAML is not supported: terminal delivery was removed from SMTP (RFC 2821)"
            }
        };
        self.reply(Reply::not_implemented(text));
    }
}
