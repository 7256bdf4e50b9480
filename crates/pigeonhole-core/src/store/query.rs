//! Read-side queries. Every function takes a read connection from `Store::read`.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension, Row};

use super::search::Filter;
use super::{Result, Store, StoreError};
use crate::model::time::ms_to_datetime;
use crate::model::{
    AuthInfo, Counts, Envelope, Inbox, InboxKind, MessagePage, MessageSummary, Recipient, Release,
    ReleaseStage, ReleaseTls, SessionFilter, SessionShow, SessionSummary, StoredEnvelope, TlsInfo,
    Transcript, TranscriptLine,
};

const SUMMARY_COLUMNS: &str =
    "m.id, m.session_id, m.received_at, m.mail_from, m.rcpt_to, m.from_addr, m.to_addrs, \
     m.cc_addrs, m.subject, m.date, m.size, m.has_attachments, m.snippet, m.read, m.pinned, \
     (SELECT group_concat(tag, ',') FROM message_tags t WHERE t.message_id = m.id), \
     m.auth_user, m.listener, m.message_id, m.reply_to, m.attachments, m.lint_errors, \
     m.lint_warnings";

fn json<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn summary_from_row(r: &Row) -> rusqlite::Result<MessageSummary> {
    let rcpts: Vec<Recipient> = json(&r.get::<_, String>(4)?)?;
    let from: Option<String> = r.get(5)?;
    Ok(MessageSummary {
        id: r.get(0)?,
        session_id: r.get(1)?,
        received_at: ms_to_datetime(r.get(2)?),
        mail_from: r.get(3)?,
        rcpt_to: rcpts.into_iter().map(|r| r.address).collect(),
        from: from.as_deref().map(json).transpose()?,
        to: json(&r.get::<_, String>(6)?)?,
        cc: json(&r.get::<_, String>(7)?)?,
        subject: r.get(8)?,
        date: r.get::<_, Option<i64>>(9)?.map(ms_to_datetime),
        size: r.get::<_, i64>(10)? as u64,
        has_attachments: r.get(11)?,
        snippet: r.get(12)?,
        read: r.get(13)?,
        pinned: r.get(14)?,
        tags: {
            // Tags never hold a comma (`message::normalize_tag`).
            let mut tags: Vec<String> = r
                .get::<_, Option<String>>(15)?
                .map(|s| s.split(',').map(str::to_string).collect())
                .unwrap_or_default();
            tags.sort();
            tags
        },
        auth_user: r.get(16)?,
        listener: r.get(17)?,
        message_id: r.get(18)?,
        reply_to: json(&r.get::<_, String>(19)?)?,
        attachments: r.get(20)?,
        lint_errors: r.get(21)?,
        lint_warnings: r.get(22)?,
    })
}

/// The summaries of these messages (those that exist), in id order.
pub(super) fn summaries(c: &Connection, ids: &[i64]) -> Result<Vec<MessageSummary>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM messages m WHERE m.id = ?1"
    ))?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(s) = stmt.query_row([id], summary_from_row).optional()? {
            out.push(s);
        }
    }
    Ok(out)
}

impl Store {
    /// One page of the messages a filter matches, newest first; `limit` is used as given
    /// (see `commands::list`).
    pub(crate) fn list(&self, filter: &Filter, offset: u64, limit: u64) -> Result<MessagePage> {
        self.read(|c| list(c, filter, offset, limit))
    }

    /// How many messages a filter matches, and how many of those are unread.
    pub(crate) fn count(&self, filter: &Filter) -> Result<Counts> {
        self.read(|c| {
            // Unread ones are found from the unread index (`messages_unread`), then checked
            // against the filter; the total comes from the index alone for text queries.
            let unread: i64 = c.query_row(
                &format!(
                    "SELECT COUNT(*) FROM messages m WHERE m.read = 0 AND ({})",
                    filter.sql
                ),
                params_from_iter(filter.args.iter()),
                |r| r.get(0),
            )?;
            Ok(Counts {
                total: total(c, filter)?,
                unread: unread as u64,
            })
        })
    }

    /// The ids a filter matches, newest first, from `offset`, at most `limit` (0: all).
    pub(crate) fn ids(&self, filter: &Filter, offset: u64, limit: u64) -> Result<Vec<i64>> {
        self.read(|c| {
            let limit = if limit == 0 { -1 } else { limit as i64 };
            let mut stmt = c.prepare_cached(&format!(
                "SELECT m.id FROM messages m WHERE {} ORDER BY m.id DESC LIMIT {limit} OFFSET {offset}",
                filter.sql
            ))?;
            let ids = stmt
                .query_map(params_from_iter(filter.args.iter()), |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(ids)
        })
    }

    /// Summaries of these ids, in the order given, skipping ids that do not exist.
    pub(crate) fn summaries(&self, ids: &[i64]) -> Result<Vec<MessageSummary>> {
        self.read(|c| summaries(c, ids))
    }

    pub(crate) fn summary(&self, id: i64) -> Result<MessageSummary> {
        self.read(|c| {
            c.query_row(
                &format!("SELECT {SUMMARY_COLUMNS} FROM messages m WHERE m.id = ?1"),
                [id],
                summary_from_row,
            )
            .optional()?
            .ok_or(StoreError::NoMessage(id))
        })
    }

    pub(crate) fn raw(&self, id: i64) -> Result<Vec<u8>> {
        self.read(|c| read_raw(c, id)?.ok_or(StoreError::NoMessage(id)))
    }

    pub(crate) fn envelope(&self, id: i64) -> Result<StoredEnvelope> {
        self.read(|c| {
            c.query_row(
                "SELECT mail_from, mail_params, rcpt_to, transcript_first, transcript_end, auth_user FROM messages WHERE id = ?1",
                [id],
                |r| {
                    Ok(StoredEnvelope {
                        envelope: Envelope {
                            mail_from: r.get(0)?,
                            mail_params: json(&r.get::<_, String>(1)?)?,
                            rcpt_to: json(&r.get::<_, String>(2)?)?,
                        },
                        transcript_range: (r.get::<_, i64>(3)? as usize, r.get::<_, i64>(4)? as usize),
                        auth_user: r.get(5)?,
                    })
                },
            )
            .optional()?
            .ok_or(StoreError::NoMessage(id))
        })
    }

    /// A message's releases, newest first (none for a message that does not exist).
    pub(crate) fn releases(&self, message_id: i64) -> Result<Vec<Release>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, message_id, at, server, tls, mail_from, recipients, ok, stage, recipient,
                        code, enhanced_code, text
                 FROM releases WHERE message_id = ?1 ORDER BY id DESC",
            )?;
            let rows = stmt
                .query_map([message_id], |r| {
                    let tls: String = r.get(4)?;
                    let stage: String = r.get(8)?;
                    Ok(Release {
                        id: r.get(0)?,
                        message_id: r.get(1)?,
                        at: ms_to_datetime(r.get(2)?),
                        server: r.get(3)?,
                        tls: tls.parse().unwrap_or(ReleaseTls::None),
                        mail_from: r.get(5)?,
                        recipients: json(&r.get::<_, String>(6)?)?,
                        ok: r.get(7)?,
                        // Written by this build only; an unknown one reads as the start.
                        stage: ReleaseStage::parse(&stage).unwrap_or(ReleaseStage::Connect),
                        recipient: r.get(9)?,
                        code: r.get(10)?,
                        enhanced_code: r.get(11)?,
                        text: r.get(12)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    pub(crate) fn counts(&self) -> Result<Counts> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM messages WHERE read = 0)",
                [],
                |r| {
                    Ok(Counts {
                        total: r.get::<_, i64>(0)? as u64,
                        unread: r.get::<_, i64>(1)? as u64,
                    })
                },
            )?)
        })
    }

    /// Every tag in use with how many messages carry it, by name: one pass over the tag
    /// table's primary key, not the inboxes' scan of every recipient.
    pub(crate) fn tags(&self) -> Result<Vec<(String, u64)>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT tag, COUNT(*) FROM message_tags GROUP BY tag ORDER BY tag",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Every inbox with its counts: per envelope recipient, per AUTH user, per listener
    /// and per tag, each kind sorted by key. Listeners are listed only when mail came in on
    /// more than the default one.
    pub(crate) fn inboxes(&self) -> Result<Vec<Inbox>> {
        self.read(|c| {
            let inbox = |kind| {
                move |r: &Row| {
                    Ok(Inbox {
                        kind,
                        key: r.get(0)?,
                        total: r.get::<_, i64>(1)? as u64,
                        unread: r.get::<_, i64>(2)? as u64,
                    })
                }
            };
            // One covering index (`recipients_inbox`): no message row is visited.
            let mut out: Vec<Inbox> = c
                .prepare_cached(
                    "SELECT address, COUNT(*), COALESCE(SUM(read = 0), 0) FROM recipients
                     GROUP BY address ORDER BY address",
                )?
                .query_map([], inbox(InboxKind::Recipient))?
                .collect::<rusqlite::Result<_>>()?;
            // Users and listeners from one pass over the messages.
            let mut users: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
            let mut listeners: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
            let mut stmt = c.prepare_cached(
                "SELECT auth_user, listener, COUNT(*), COALESCE(SUM(read = 0), 0) FROM messages
                 GROUP BY auth_user, listener",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (total, unread) = (r.get::<_, i64>(2)? as u64, r.get::<_, i64>(3)? as u64);
                let add = |map: &mut std::collections::BTreeMap<String, (u64, u64)>, key| {
                    let e = map.entry(key).or_insert((0, 0));
                    e.0 += total;
                    e.1 += unread;
                };
                if let Some(user) = r.get::<_, Option<String>>(0)? {
                    add(&mut users, user);
                }
                add(&mut listeners, r.get::<_, String>(1)?);
            }
            let only_default = listeners.len() == 1 && listeners.contains_key("default");
            for (kind, map) in [(InboxKind::User, users), (InboxKind::Listener, listeners)] {
                if kind == InboxKind::Listener && only_default {
                    continue;
                }
                out.extend(map.into_iter().map(|(key, (total, unread))| Inbox {
                    kind,
                    key,
                    total,
                    unread,
                }));
            }
            out.extend(
                c.prepare_cached(
                    "SELECT t.tag, COUNT(*), COALESCE(SUM(m.read = 0), 0) FROM message_tags t
                     JOIN messages m ON m.id = t.message_id GROUP BY t.tag ORDER BY t.tag",
                )?
                .query_map([], inbox(InboxKind::Tag))?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            );
            Ok(out)
        })
    }

    /// One page of the sessions `filter` matches, newest first; `limit` is used as given
    /// (see `commands::sessions`).
    pub(crate) fn sessions(
        &self,
        filter: &SessionFilter,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<SessionSummary>> {
        self.read(|c| {
            let (filter, mut args) = session_filter(filter);
            args.push(Value::Integer(limit as i64));
            args.push(Value::Integer(offset as i64));
            let mut stmt = c.prepare_cached(&format!(
                "{SESSION_SELECT}{filter} ORDER BY id DESC LIMIT ? OFFSET ?"
            ))?;
            let rows = stmt.query_map(params_from_iter(args.iter()), session_from_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub(crate) fn session(&self, id: i64) -> Result<SessionSummary> {
        self.read(|c| {
            c.query_row(
                &format!("{SESSION_SELECT} WHERE id = ?1"),
                [id],
                session_from_row,
            )
            .optional()?
            .ok_or(StoreError::NoSession(id))
        })
    }

    pub(crate) fn transcript(&self, session_id: i64) -> Result<Transcript> {
        let session = self.session(session_id)?;
        let lines = self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT lines FROM transcript_chunks WHERE session_id = ?1 ORDER BY first_line",
            )?;
            let mut lines: Vec<TranscriptLine> = Vec::new();
            let chunks = stmt.query_map([session_id], |r| r.get::<_, String>(0))?;
            for chunk in chunks {
                lines.extend(json::<Vec<TranscriptLine>>(&chunk?)?);
            }
            Ok(lines)
        })?;
        Ok(Transcript { session, lines })
    }
}

const SESSION_SELECT: &str =
    "SELECT id, peer, local, started_at, ended_at, helo, tls_version, tls_cipher, \
     auth_mechanism, auth_user, message_count, last_code, refusals, aborted_messages, \
     tls_failed, auth_failures, faults FROM sessions";

/// A session filter as a `WHERE` clause (empty when it matches everything) and its
/// arguments, in order. User text only ever travels as an argument.
fn session_filter(f: &SessionFilter) -> (String, Vec<Value>) {
    let mut conds: Vec<&str> = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    match f.show {
        SessionShow::All => {}
        SessionShow::Errors => conds
            .push("(refusals > 0 OR aborted_messages > 0 OR tls_failed != 0 OR auth_failures > 0)"),
        SessionShow::Messages => conds.push("message_count > 0"),
    }
    let peer = f.peer.trim();
    if !peer.is_empty() {
        conds.push("instr(peer, ?) > 0");
        args.push(Value::Text(peer.to_string()));
    }
    let user = f.auth_user.trim();
    if !user.is_empty() {
        conds.push("auth_user = ?");
        args.push(Value::Text(user.to_string()));
    }
    if !f.search.is_empty() {
        // Each line's text, not the stored JSON, so quotes and backslashes match as typed.
        conds.push(
            "EXISTS (SELECT 1 FROM transcript_chunks t, json_each(t.lines) j \
             WHERE t.session_id = sessions.id \
             AND instr(lower(json_extract(j.value, '$.text')), lower(?)) > 0)",
        );
        args.push(Value::Text(f.search.clone()));
    }
    if conds.is_empty() {
        (String::new(), args)
    } else {
        (format!(" WHERE {}", conds.join(" AND ")), args)
    }
}

fn session_from_row(r: &Row) -> rusqlite::Result<SessionSummary> {
    let tls = match (
        r.get::<_, Option<String>>(6)?,
        r.get::<_, Option<String>>(7)?,
    ) {
        (Some(version), Some(cipher)) => Some(TlsInfo { version, cipher }),
        _ => None,
    };
    let auth = match (
        r.get::<_, Option<String>>(8)?,
        r.get::<_, Option<String>>(9)?,
    ) {
        (Some(mechanism), Some(user)) => Some(AuthInfo { mechanism, user }),
        _ => None,
    };
    Ok(SessionSummary {
        id: r.get(0)?,
        peer: r.get(1)?,
        local: r.get(2)?,
        started_at: ms_to_datetime(r.get(3)?),
        ended_at: r.get::<_, Option<i64>>(4)?.map(ms_to_datetime),
        helo: r.get(5)?,
        tls,
        auth,
        message_count: r.get::<_, i64>(10)? as u32,
        last_code: r.get::<_, Option<i64>>(11)?.map(|c| c as u16),
        refusals: r.get::<_, i64>(12)? as u32,
        aborted_messages: r.get::<_, i64>(13)? as u32,
        tls_failed: r.get(14)?,
        auth_failures: r.get::<_, i64>(15)? as u32,
        faults: r.get::<_, i64>(16)? as u32,
    })
}

fn list(c: &Connection, filter: &Filter, offset: u64, limit: u64) -> Result<MessagePage> {
    let messages = match &filter.fts {
        // A text-only query: the newest matches straight from the index (FTS5 walks its
        // lists backwards), then their rows. Deletes remove index rows in the same commit.
        Some(fts) => {
            let mut stmt = c.prepare_cached(
                "SELECT rowid FROM message_text WHERE message_text MATCH ?1
                 ORDER BY rowid DESC LIMIT ?2 OFFSET ?3",
            )?;
            let ids: Vec<i64> = stmt
                .query_map(rusqlite::params![fts, limit as i64, offset as i64], |r| {
                    r.get(0)
                })?
                .collect::<rusqlite::Result<_>>()?;
            summaries(c, &ids)?
        }
        None => {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM messages m WHERE {} ORDER BY m.id DESC LIMIT {limit} OFFSET {offset}",
                filter.sql
            ))?;
            let rows = stmt.query_map(params_from_iter(filter.args.iter()), summary_from_row)?;
            rows.collect::<rusqlite::Result<_>>()?
        }
    };
    // A first page that is not full is every match: no need to count them again.
    let total = if offset == 0 && (messages.len() as u64) < limit {
        messages.len() as u64
    } else {
        total(c, filter)?
    };
    Ok(MessagePage {
        total,
        offset,
        messages,
    })
}

/// How many messages a filter matches.
fn total(c: &Connection, filter: &Filter) -> Result<u64> {
    let n: i64 = match &filter.fts {
        Some(fts) => c.query_row(
            "SELECT COUNT(*) FROM message_text WHERE message_text MATCH ?1",
            [fts],
            |r| r.get(0),
        )?,
        None => c.query_row(
            &format!("SELECT COUNT(*) FROM messages m WHERE {}", filter.sql),
            params_from_iter(filter.args.iter()),
            |r| r.get(0),
        )?,
    };
    Ok(n as u64)
}

/// The stored bytes of message `id`, read with incremental blob I/O straight into one
/// buffer: `SELECT raw` has SQLite build its own copy of the value first, so a 100 MB
/// message would be held twice. `None` when there is no such message.
///
/// The lookup and the blob read share one snapshot (a read transaction unless the caller
/// is in one already), so a deletion committed between them cannot turn "no such message"
/// into an error.
pub(crate) fn read_raw(c: &Connection, id: i64) -> rusqlite::Result<Option<Vec<u8>>> {
    if c.is_autocommit() {
        let tx = c.unchecked_transaction()?;
        let raw = read_raw_in(&tx, id)?;
        tx.finish()?;
        return Ok(raw);
    }
    read_raw_in(c, id)
}

fn read_raw_in(c: &Connection, id: i64) -> rusqlite::Result<Option<Vec<u8>>> {
    let exists = c
        .prepare_cached("SELECT 1 FROM message_raw WHERE message_id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?;
    if exists.is_none() {
        return Ok(None);
    }
    let blob = c.blob_open(rusqlite::MAIN_DB, "message_raw", "raw", id, true)?;
    let mut buf = vec![0u8; blob.len()];
    blob.read_at_exact(&mut buf, 0)?;
    Ok(Some(buf))
}
