//! What `list`, `count` and `delete` select: a query in the search language and an inbox,
//! as flags, handed to core as a `MessageFilter`.

use clap::Args;
use pigeonhole_core::commands;
use pigeonhole_core::model::{InboxKey, InboxKind, MessageFilter};

use crate::error::{CliError, Result};

/// A query that does not parse, as the CLI reports it.
pub fn check(query: &str) -> Result<()> {
    commands::check_query(query).map_err(|error| CliError::BadQuery {
        query: query.to_string(),
        error,
    })
}

#[derive(Args, Default)]
pub struct FilterArgs {
    /// A search query, e.g. 'to:bob@example.com subject:"reset" after:1h' (see `pigeonhole
    /// help-query`); empty matches everything.
    #[arg(long, short = 'q', default_value = "")]
    pub query: String,
    /// Only mail to this envelope recipient (the window's inbox); same as `inbox:ADDRESS`.
    #[arg(long)]
    pub inbox: Option<String>,
}

impl FilterArgs {
    /// The filter for core, once the query is known to parse (a bad one is an error with
    /// a caret under the problem).
    pub fn checked(&self) -> Result<MessageFilter> {
        check(&self.query)?;
        Ok(self.filter())
    }

    pub fn filter(&self) -> MessageFilter {
        MessageFilter {
            inbox: self.inbox.as_ref().map(|a| InboxKey {
                kind: InboxKind::Recipient,
                key: a.clone(),
            }),
            query: self.query.clone(),
            utc_offset_minutes: None,
        }
    }
}

/// The query language, for `pigeonhole help-query`.
pub const QUERY_HELP: &str = "\
Words are ANDed and match the start of words in the subject, addresses, names, body and
attachment names; Chinese, Japanese and Korean text matches any substring.

  invoice paid            both words
  \"password reset\"        the phrase
  -newsletter  !draft     not
  a OR b  (a OR b) c      either; grouping
  from:  to:  cc:  bcc:  addressed:  reply-to:
                          a whole address (to:bob@example.com) matches exactly,
                          a part (to:bob) matches within addresses and names
  subject:pdf  message-id:<id@host>  header:X-Mailer:acme  header:List-Unsubscribe
  tag:signup  inbox:bob@example.com  user:alice  listener:shop  listener:1026
  is:read  is:unread  is:pinned  is:tagged  is:imported  has:attachment  has:inline
  has:lint  lint:error  lint:warning  lint:info  lint:bare-lf  (any check's id)
  larger:500K  smaller:1MB
  after:2026-11-30  before:2026-11-30T10:00  after:2h  before:3d  (s m h d w)
";
