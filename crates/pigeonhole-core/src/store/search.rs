//! The one compiler from the search language (`search::Query`) to SQL. List, count,
//! delete, mark read, tag rules and (next) the API's wait all filter through `Filter`;
//! nothing else builds search SQL.
//!
//! Text terms become one FTS5 `MATCH` over `message_text`, merged per AND / OR group so a
//! query runs one full-text lookup, not one per word. Whole addresses and message ids are
//! looked up exactly in `message_addresses`; flags, sizes and dates are plain columns.
//! User text only ever travels as a bound argument or inside an FTS5 string literal.

use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, TimeZone, Utc};
use rusqlite::types::Value;

use crate::message::index::{
    address_key, attachment_facet, header_token, inline_facet, listener_facet, tokens, user_facet,
};
use crate::message::normalize_tag;
use crate::model::{InboxKey, InboxKind};
use crate::search::{DateValue, Expr, Flag, Has, LintValue, Query, Term, TextField};

/// Roles in `message_addresses` (see migration 0006).
mod role {
    pub const FROM: i64 = 1;
    pub const TO: i64 = 2;
    pub const CC: i64 = 3;
    pub const BCC: i64 = 4;
    pub const REPLY_TO: i64 = 5;
    pub const MAIL_FROM: i64 = 6;
    pub const RCPT_TO: i64 = 7;
    pub const MESSAGE_ID: i64 = 8;
}
pub(crate) use role::*;

/// The `message_text` columns a free word searches: everything but the headers.
const ANY_COLUMNS: &str = "{subject sender to_rcpt cc_rcpt bcc_rcpt reply_to body files}";

/// "Now" and the zone dates are read in, so `after:2026-11-30` means local midnight and
/// tests can fix both.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub now: DateTime<Utc>,
    /// A fixed zone; `None` is the system's, with the offset each date had (so a date on
    /// the far side of a daylight-saving change is still read as its own local midnight).
    pub offset: Option<FixedOffset>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock {
            now: Utc::now(),
            offset: None,
        }
    }
}

/// A compiled filter: a boolean SQL expression over `messages m`, and its arguments in
/// order. `"1"` with no arguments matches everything.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Filter {
    pub sql: String,
    pub args: Vec<Value>,
    /// When the whole filter is one full-text query: that query, so a list can be read
    /// straight from the index, newest first, and counted there, without visiting messages.
    pub fts: Option<String>,
}

impl Filter {
    pub fn all() -> Filter {
        Filter {
            sql: "1".into(),
            args: Vec::new(),
            fts: None,
        }
    }

    /// A query, narrowed to an inbox when one is selected.
    pub fn new(query: &Query, inbox: Option<&InboxKey>, clock: &Clock) -> Filter {
        let c = Compiler { clock: *clock };
        // The sidebar's selection reads the same columns its counts come from, so an inbox
        // always lists what it counts, indexed yet or not.
        let inbox = inbox.map(|i| match i.kind {
            InboxKind::Recipient => c.term(&Term::Inbox(i.key.clone())),
            InboxKind::Tag => c.term(&Term::Tag(i.key.clone())),
            InboxKind::User => Piece::Sql(Sql::with(
                "m.auth_user = ?".into(),
                vec![i.key.clone().into()],
            )),
            InboxKind::Listener => Piece::Sql(Sql::with(
                "m.listener = ?".into(),
                vec![i.key.clone().into()],
            )),
        });
        let piece = match (query.expr.as_ref().map(|e| c.piece(e)), inbox) {
            (None, None) => return Filter::all(),
            (Some(p), None) | (None, Some(p)) => p,
            (Some(q), Some(i)) => Piece::Sql(Sql::join(vec![i.into_sql(), q.into_sql()], " AND ")),
        };
        let fts = match &piece {
            Piece::Fts(m) => Some(m.clone()),
            Piece::Sql(_) => None,
        };
        let Sql(sql, args, _) = piece.into_sql();
        Filter { sql, args, fts }
    }
}

/// A compiled sub-expression: an FTS5 query still open to merging, or finished SQL with
/// its arguments in order (each piece carries its own, so assembling pieces in any order
/// keeps placeholders and arguments together).
enum Piece {
    Fts(String),
    Sql(Sql),
}

/// SQL text, its arguments, and whether it reads what is filled at index time (the words
/// and exact-address tables), which a message has only once its batch is indexed.
struct Sql(String, Vec<Value>, bool);

/// Messages the index holds: at or below the watermark (`meta.fts_upto`). A negated
/// index term is limited to them, so "does not contain X" never takes in a message merely
/// because it is not indexed yet (just after its 250, or during a rebuild): a
/// `delete --query '-subject:keep'` must not delete what it cannot see.
const INDEXED: &str = "m.id <= (SELECT value FROM meta WHERE key = 'fts_upto')";

impl Sql {
    fn fixed(s: &str) -> Sql {
        Sql(s.to_string(), Vec::new(), false)
    }

    fn with(s: String, args: Vec<Value>) -> Sql {
        Sql(s, args, false)
    }

    /// The full-text lookup of an FTS5 query.
    fn fts(m: String) -> Sql {
        Sql(
            "m.id IN (SELECT rowid FROM message_text WHERE message_text MATCH ?)".into(),
            vec![Value::Text(m)],
            true,
        )
    }

    fn not(self) -> Sql {
        if self.2 {
            Sql(format!("{INDEXED} AND NOT ({})", self.0), self.1, true)
        } else {
            Sql(format!("NOT ({})", self.0), self.1, false)
        }
    }

    /// These joined by `op`, each in parentheses.
    fn join(parts: Vec<Sql>, op: &str) -> Sql {
        let mut args = Vec::new();
        let mut texts = Vec::with_capacity(parts.len());
        let mut indexed = false;
        for Sql(s, a, i) in parts {
            texts.push(format!("({s})"));
            args.extend(a);
            indexed |= i;
        }
        Sql(texts.join(op), args, indexed)
    }
}

impl Piece {
    fn into_sql(self) -> Sql {
        match self {
            Piece::Fts(m) => Sql::fts(m),
            Piece::Sql(s) => s,
        }
    }
}

struct Compiler {
    clock: Clock,
}

impl Compiler {
    fn piece(&self, e: &Expr) -> Piece {
        match e {
            Expr::Term(t) => self.term(t),
            // `--a` is `a`: a long run of negations must not nest SQL past SQLite's depth limit.
            Expr::Not(inner) => match inner.as_ref() {
                Expr::Not(twice) => self.piece(twice),
                _ => Piece::Sql(self.piece(inner).into_sql().not()),
            },
            Expr::And(children) => self.and(children),
            Expr::Or(children) => {
                let pieces: Vec<Piece> = children.iter().map(|c| self.piece(c)).collect();
                if pieces.iter().all(|p| matches!(p, Piece::Fts(_))) {
                    let parts: Vec<String> = pieces
                        .into_iter()
                        .filter_map(|p| match p {
                            Piece::Fts(m) => Some(format!("({m})")),
                            Piece::Sql(_) => None,
                        })
                        .collect();
                    return Piece::Fts(parts.join(" OR "));
                }
                Piece::Sql(Sql::join(
                    pieces.into_iter().map(Piece::into_sql).collect(),
                    " OR ",
                ))
            }
        }
    }

    /// AND: full-text children merge into one MATCH (negated ones as FTS5 `NOT`, which
    /// needs a positive side); the rest stay SQL.
    fn and(&self, children: &[Expr]) -> Piece {
        let mut fts: Vec<String> = Vec::new();
        let mut fts_not: Vec<String> = Vec::new();
        let mut sql: Vec<Sql> = Vec::new();
        for c in children {
            if let Expr::Not(inner) = c {
                if matches!(inner.as_ref(), Expr::Not(_)) {
                    match self.piece(c) {
                        Piece::Fts(m) => fts.push(m),
                        Piece::Sql(s) => sql.push(s),
                    }
                    continue;
                }
                match self.piece(inner) {
                    Piece::Fts(m) => fts_not.push(m),
                    Piece::Sql(s) => sql.push(s.not()),
                }
                continue;
            }
            match self.piece(c) {
                Piece::Fts(m) => fts.push(m),
                Piece::Sql(s) => sql.push(s),
            }
        }
        let mut parts: Vec<Sql> = Vec::new();
        if fts.is_empty() {
            sql.extend(fts_not.into_iter().map(|n| Sql::fts(n).not()));
        } else {
            let pos: Vec<String> = fts.iter().map(|m| format!("({m})")).collect();
            let mut m = pos.join(" AND ");
            for n in &fts_not {
                m.push_str(&format!(" NOT ({n})"));
            }
            if sql.is_empty() {
                return Piece::Fts(m);
            }
            parts.push(Sql::fts(m));
        }
        parts.extend(sql);
        Piece::Sql(Sql::join(parts, " AND "))
    }

    fn term(&self, t: &Term) -> Piece {
        match t {
            Term::Text {
                field,
                value,
                phrase,
            } => self.text(*field, value, *phrase),
            Term::Header { name, value } => {
                let mark = header_token(name);
                let words = value.as_deref().map(tokens).unwrap_or_default();
                let mut phrase: Vec<String> = vec![mark.clone()];
                if !words.is_empty() {
                    phrase.clear();
                    for w in &words {
                        phrase.push(mark.clone());
                        phrase.push(w.clone());
                    }
                }
                // The last word is a prefix, like any unquoted value; a bare name is not, so
                // `header:X-Mailer` does not find `X-Mailer-Version`.
                let prefix = !words.is_empty();
                Piece::Fts(format!("{{headers}} : {}", fts_phrase(&phrase, prefix)))
            }
            Term::Tag(tag) => Piece::Sql(match normalize_tag(tag) {
                Some(tag) => Sql::with(
                    "m.id IN (SELECT message_id FROM message_tags WHERE tag = ?)".into(),
                    vec![tag.into()],
                ),
                None => Sql::fixed("0"),
            }),
            Term::Inbox(address) => Piece::Sql(Sql::with(
                "m.id IN (SELECT message_id FROM recipients WHERE address = ?)".into(),
                vec![address.trim().to_string().into()],
            )),
            Term::User(user) => facet(&user_facet(user)),
            Term::Listener(name) => {
                let by_name = facet(&listener_facet(name));
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_digit()) {
                    return by_name;
                }
                // A port: the sessions that came in on it.
                let port = Sql::with(
                    "m.session_id IN (SELECT id FROM sessions WHERE local LIKE ?)".into(),
                    vec![format!("%:{name}").into()],
                );
                Piece::Sql(Sql::join(vec![by_name.into_sql(), port], " OR "))
            }
            Term::Is(flag) => Piece::Sql(Sql::fixed(match flag {
                Flag::Read => "m.read = 1",
                Flag::Unread => "m.read = 0",
                Flag::Pinned => "m.pinned = 1",
                Flag::Tagged => "m.id IN (SELECT message_id FROM message_tags)",
                Flag::Imported => "m.listener = 'import'",
            })),
            Term::Has(Has::Attachment) => facet(&attachment_facet()),
            Term::Has(Has::Inline) => facet(&inline_facet()),
            Term::Has(Has::Lint) => {
                Piece::Sql(Sql::fixed("(m.lint_errors > 0 OR m.lint_warnings > 0)"))
            }
            Term::Lint(LintValue::Error) => Piece::Sql(Sql::fixed("m.lint_errors > 0")),
            Term::Lint(LintValue::Warning) => Piece::Sql(Sql::fixed("m.lint_warnings > 0")),
            Term::Lint(LintValue::Info) => Piece::Sql(Sql::fixed(
                "m.id IN (SELECT message_id FROM message_lint_checks WHERE severity = 2)",
            )),
            Term::Lint(LintValue::Check(id)) => Piece::Sql(Sql::with(
                "m.id IN (SELECT message_id FROM message_lint_checks WHERE check_id = ?)".into(),
                vec![id.clone().into()],
            )),
            Term::Size { larger, bytes } => Piece::Sql(Sql::with(
                format!("m.size {} ?", if *larger { ">" } else { "<" }),
                vec![i64::try_from(*bytes).unwrap_or(i64::MAX).into()],
            )),
            Term::Date { after, at } => Piece::Sql(Sql::with(
                format!("m.received_at {} ?", if *after { ">=" } else { "<" }),
                vec![self.instant(at).into()],
            )),
        }
    }

    /// Unix milliseconds for a date bound; days and local times in the clock's zone.
    fn instant(&self, at: &DateValue) -> i64 {
        let local = |dt: NaiveDateTime| {
            let ms = match self.clock.offset {
                Some(fixed) => fixed
                    .from_local_datetime(&dt)
                    .earliest()
                    .map(|d| d.timestamp_millis()),
                // A time skipped by a change (02:30 on the spring night) has no earliest;
                // the hour after it stands in.
                None => Local
                    .from_local_datetime(&dt)
                    .earliest()
                    .or_else(|| {
                        Local
                            .from_local_datetime(&(dt + chrono::Duration::hours(1)))
                            .earliest()
                    })
                    .map(|d| d.timestamp_millis()),
            };
            ms.unwrap_or_else(|| dt.and_utc().timestamp_millis())
        };
        match at {
            DateValue::Day(d) => local(d.and_hms_opt(0, 0, 0).unwrap_or_default()),
            DateValue::DateTime(dt) => local(*dt),
            DateValue::Instant(t) => t.timestamp_millis(),
            DateValue::Ago(d) => {
                let back = chrono::Duration::from_std(*d).unwrap_or(chrono::Duration::MAX);
                self.clock
                    .now
                    .checked_sub_signed(back)
                    .map(|t| t.timestamp_millis())
                    .unwrap_or(i64::MIN)
            }
        }
    }

    fn text(&self, field: TextField, value: &str, phrase: bool) -> Piece {
        if field == TextField::MessageId {
            return Piece::Sql(exact(&[MESSAGE_ID], value));
        }
        let columns = match field {
            TextField::Any => ANY_COLUMNS,
            TextField::From => "{sender}",
            TextField::To => "{to_rcpt}",
            TextField::Cc => "{cc_rcpt}",
            TextField::Bcc => "{bcc_rcpt}",
            TextField::Addressed => "{to_rcpt cc_rcpt bcc_rcpt}",
            TextField::ReplyTo => "{reply_to}",
            TextField::Subject => "{subject}",
            TextField::MessageId => unreachable!(),
        };
        let words = tokens(value);
        if words.is_empty() {
            return Piece::Sql(no_words(field, value));
        }
        if is_address(value) {
            let roles: &[i64] = match field {
                TextField::From => &[FROM, MAIL_FROM],
                TextField::To => &[TO],
                TextField::Cc => &[CC],
                TextField::Bcc => &[BCC],
                TextField::Addressed => &[TO, CC, BCC, RCPT_TO],
                TextField::ReplyTo => &[REPLY_TO],
                TextField::Subject => &[],
                TextField::Any => &[FROM, TO, CC, BCC, REPLY_TO, MAIL_FROM, RCPT_TO],
                TextField::MessageId => unreachable!(),
            };
            if field == TextField::Any {
                // An address typed as a free word: mail from or to it, or mentioning it.
                let mention = format!("{{subject body}} : {}", fts_phrase(&words, false));
                return Piece::Sql(Sql::join(
                    vec![exact(roles, value), Sql::fts(mention)],
                    " OR ",
                ));
            }
            if !roles.is_empty() {
                return Piece::Sql(exact(roles, value));
            }
        }
        // The last word of an unquoted value is a prefix: `invo` finds `invoice`.
        let last_cjk = words
            .last()
            .is_some_and(|w| w.chars().all(crate::message::index::is_cjk));
        Piece::Fts(format!(
            "{columns} : {}",
            fts_phrase(&words, !phrase && !last_cjk)
        ))
    }
}

/// A value with nothing a word index holds (`from:<>`, `🎉`, `subject:???`). Never "match
/// everything": `delete --query 'from:<>'` must delete bounces, not the store.
fn no_words(field: TextField, value: &str) -> Sql {
    let v = value.trim();
    match field {
        // The null sender.
        TextField::From if v.is_empty() || v == "<>" => Sql::fixed("m.mail_from = ''"),
        // Symbols and emoji: a plain substring of the subject and the start of the body.
        TextField::Any if !v.is_empty() => Sql::with(
            "(instr(m.subject, ?) > 0 OR instr(m.snippet, ?) > 0)".into(),
            vec![v.to_string().into(), v.to_string().into()],
        ),
        TextField::Subject if !v.is_empty() => {
            Sql::with("instr(m.subject, ?) > 0".into(), vec![v.to_string().into()])
        }
        _ => Sql::fixed("0"),
    }
}

/// A facet token (`message::index`): one exact word in the `facets` column.
fn facet(token: &str) -> Piece {
    Piece::Fts(format!(
        "{{facets}} : {}",
        fts_phrase(&[token.to_string()], false)
    ))
}

/// Messages with exactly this address (or message id) in one of these roles.
fn exact(roles: &[i64], value: &str) -> Sql {
    let roles: Vec<String> = roles.iter().map(i64::to_string).collect();
    Sql(
        format!(
            "m.id IN (SELECT message_id FROM message_addresses WHERE address = ? AND role IN ({}))",
            roles.join(", ")
        ),
        vec![address_key(value).into()],
        true,
    )
}

/// A whole address: `local@domain` with both sides present and no spaces.
fn is_address(v: &str) -> bool {
    let v = v.trim().trim_matches(['<', '>']);
    match v.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !v.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// An FTS5 phrase of these tokens, as a string literal (quotes doubled), optionally a prefix.
fn fts_phrase(words: &[String], prefix: bool) -> String {
    let body = words.join(" ").replace('"', "\"\"");
    format!("\"{body}\"{}", if prefix { "*" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_are_literals_and_addresses_are_whole() {
        assert_eq!(
            fts_phrase(&["a\"b".into(), "c".into()], true),
            "\"a\"\"b c\"*"
        );
        assert!(is_address("bob@example.com"));
        assert!(is_address("<Bob@Example.com>"));
        assert!(!is_address("bob@"));
        assert!(!is_address("@example.com"));
        assert!(!is_address("bob"));
    }
}
