//! The SQL of each write operation, run inside the batch's one transaction.

use rusqlite::{params, params_from_iter, Transaction};

use super::{Chunk, NewMessage, Op, Outcome};
use crate::model::{MessageSummary, SessionSummary};
use crate::store::search::Filter;

pub(super) fn apply(tx: &Transaction, op: &mut Op) -> rusqlite::Result<Outcome> {
    match op {
        Op::Deliver { msg, chunk, .. } => {
            upsert_session(tx, &msg.session, chunk)?;
            let (id, summary) = insert_message(tx, msg)?;
            Ok(Outcome::Delivered(id, summary))
        }
        Op::Session {
            session,
            chunk,
            closed,
        } => {
            upsert_session(tx, session, chunk)?;
            Ok(Outcome::SessionClosed(closed.then(|| session.clone())))
        }
        Op::Delete { ids, .. } => Ok(Outcome::Deleted(delete(tx, ids)?)),
        Op::DeleteMatching { filter, limit, .. } => {
            let ids = matching(tx, filter, "m.pinned = 0", Some(*limit))?;
            Ok(Outcome::Deleted(delete(tx, &ids)?))
        }
        Op::Clear { .. } => {
            let pinned: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM messages WHERE pinned = 1)",
                [],
                |r| r.get(0),
            )?;
            if pinned {
                // Pinned mail stays, and so do the sessions that brought it.
                tx.execute_batch(
                    "DELETE FROM messages WHERE pinned = 0;
                     DELETE FROM sessions WHERE ended_at IS NOT NULL
                         AND id NOT IN (SELECT session_id FROM messages);",
                )?;
            } else {
                tx.execute_batch(
                    "DELETE FROM recipients; DELETE FROM message_raw; DELETE FROM message_tags;
                     DELETE FROM message_lint; DELETE FROM message_lint_checks;
                     DELETE FROM message_addresses; DELETE FROM releases;
                     INSERT INTO message_text (message_text) VALUES ('delete-all');
                     DELETE FROM messages; DELETE FROM transcript_chunks; DELETE FROM sessions
                     WHERE ended_at IS NOT NULL;",
                )?;
            }
            Ok(Outcome::Cleared)
        }
        Op::Lint { results, upto, .. } => Ok(Outcome::Linted(lint(tx, results, *upto)?)),
        Op::MarkRead { ids, read, .. } => {
            mark(tx, ids, *read)?;
            Ok(Outcome::Read(ids.clone(), *read))
        }
        Op::MarkMatching { filter, read, .. } => {
            let ids = matching(
                tx,
                filter,
                if *read { "m.read = 0" } else { "m.read = 1" },
                None,
            )?;
            mark(tx, &ids, *read)?;
            Ok(Outcome::Read(ids, *read))
        }
        Op::Tag {
            ids, add, remove, ..
        } => {
            let mut ins = tx.prepare_cached(
                "INSERT OR IGNORE INTO message_tags (tag, message_id)
                 SELECT ?1, id FROM messages WHERE id = ?2",
            )?;
            let mut del =
                tx.prepare_cached("DELETE FROM message_tags WHERE tag = ?1 AND message_id = ?2")?;
            for id in ids.iter() {
                for t in remove.iter() {
                    del.execute(params![t, id])?;
                }
                for t in add.iter() {
                    ins.execute(params![t, id])?;
                }
            }
            Ok(Outcome::Updated(ids.clone()))
        }
        Op::Pin { ids, pinned, .. } => {
            let mut stmt = tx.prepare_cached("UPDATE messages SET pinned = ?2 WHERE id = ?1")?;
            for id in ids.iter() {
                stmt.execute(params![id, *pinned])?;
            }
            Ok(Outcome::Updated(ids.clone()))
        }
        Op::RecordRelease { release, .. } => {
            let r = release;
            tx.prepare_cached(
                "INSERT INTO releases (message_id, at, server, tls, mail_from, recipients, ok, stage,
                                       recipient, code, enhanced_code, text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                r.message_id,
                r.at.timestamp_millis(),
                r.server,
                r.tls.as_str(),
                r.mail_from,
                to_json(&r.recipients)?,
                r.ok,
                r.stage.as_str(),
                r.recipient,
                r.code,
                r.enhanced_code,
                r.text,
            ])?;
            Ok(Outcome::Recorded(tx.last_insert_rowid()))
        }
        // Applied to the connection before the transaction opened (`Writer::apply_settings`).
        Op::SetRetention(_)
        | Op::Close { .. }
        | Op::SetTagRules(_)
        | Op::SetDurability { .. }
        | Op::SyncIndex { .. } => Ok(Outcome::Nothing),
        #[cfg(test)]
        Op::Synchronous { .. } => Ok(Outcome::Synchronous(tx.pragma_query_value(
            None,
            "synchronous",
            |r| r.get(0),
        )?)),
    }
}

/// Sets the read flag on the messages and on their recipient rows (the sidebar's counts).
fn mark(tx: &Transaction, ids: &[i64], read: bool) -> rusqlite::Result<()> {
    let mut msg = tx.prepare_cached("UPDATE messages SET read = ?2 WHERE id = ?1")?;
    let mut rcpt = tx.prepare_cached("UPDATE recipients SET read = ?2 WHERE message_id = ?1")?;
    for id in ids {
        msg.execute(params![id, read])?;
        rcpt.execute(params![id, read])?;
    }
    Ok(())
}

/// Deletes these messages; returns the ids that existed.
fn delete(tx: &Transaction, ids: &[i64]) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?;
    let mut deleted = Vec::with_capacity(ids.len());
    for id in ids {
        if stmt.execute([id])? > 0 {
            deleted.push(*id);
        }
    }
    Ok(deleted)
}

/// The ids a filter matches among messages that also satisfy `and` (fixed SQL), oldest
/// first, at most `limit`.
fn matching(
    tx: &Transaction,
    filter: &Filter,
    and: &str,
    limit: Option<usize>,
) -> rusqlite::Result<Vec<i64>> {
    let limit = limit
        .map(|n| format!(" ORDER BY m.id LIMIT {n}"))
        .unwrap_or_default();
    let sql = format!(
        "SELECT m.id FROM messages m WHERE {and} AND ({}){limit}",
        filter.sql
    );
    let mut stmt = tx.prepare(&sql)?;
    let ids = stmt
        .query_map(params_from_iter(filter.args.iter()), |r| r.get(0))?
        .collect();
    ids
}

fn upsert_session(tx: &Transaction, s: &SessionSummary, chunk: &Chunk) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO sessions (id, peer, local, started_at, ended_at, helo, tls_version, tls_cipher,
                               auth_mechanism, auth_user, message_count, last_code, line_count,
                               refusals, aborted_messages, tls_failed, auth_failures, faults)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
         ON CONFLICT(id) DO UPDATE SET ended_at = excluded.ended_at, helo = excluded.helo,
             tls_version = excluded.tls_version, tls_cipher = excluded.tls_cipher,
             auth_mechanism = excluded.auth_mechanism, auth_user = excluded.auth_user,
             message_count = excluded.message_count, last_code = excluded.last_code,
             line_count = MAX(line_count, excluded.line_count),
             refusals = excluded.refusals, aborted_messages = excluded.aborted_messages,
             tls_failed = excluded.tls_failed, auth_failures = excluded.auth_failures,
             faults = excluded.faults",
    )?;
    stmt.execute(params![
        s.id,
        s.peer,
        s.local,
        s.started_at.timestamp_millis(),
        s.ended_at.map(|t| t.timestamp_millis()),
        s.helo,
        s.tls.as_ref().map(|t| &t.version),
        s.tls.as_ref().map(|t| &t.cipher),
        s.auth.as_ref().map(|a| &a.mechanism),
        s.auth.as_ref().map(|a| &a.user),
        s.message_count,
        s.last_code,
        (chunk.first_line + chunk.count) as i64,
        s.refusals,
        s.aborted_messages,
        s.tls_failed,
        s.auth_failures,
        s.faults,
    ])?;
    if let Some(json) = &chunk.json {
        tx.prepare_cached("INSERT OR REPLACE INTO transcript_chunks (session_id, first_line, lines) VALUES (?1, ?2, ?3)")?
            .execute(params![s.id, chunk.first_line as i64, json])?;
    }
    Ok(())
}

fn to_json<T: serde::Serialize>(v: &T) -> rusqlite::Result<String> {
    serde_json::to_string(v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn insert_message(tx: &Transaction, m: &NewMessage) -> rusqlite::Result<(i64, MessageSummary)> {
    let p = &m.parsed;
    tx.prepare_cached(
        "INSERT INTO messages (session_id, received_at, mail_from, mail_params, rcpt_to, from_addr, to_addrs,
                               cc_addrs, subject, date, size, has_attachments, snippet, transcript_first,
                               transcript_end, auth_user, has_inline, listener, message_id, reply_to, attachments)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
    )?
    .execute(params![
        m.session.id,
        m.received_at.timestamp_millis(),
        m.envelope.mail_from,
        to_json(&m.envelope.mail_params)?,
        to_json(&m.envelope.rcpt_to)?,
        p.from.as_ref().map(to_json).transpose()?,
        to_json(&p.to)?,
        to_json(&p.cc)?,
        p.subject,
        p.date.map(|d| d.timestamp_millis()),
        m.raw.len() as i64,
        p.has_attachments,
        p.snippet,
        m.transcript_range.0 as i64,
        m.transcript_range.1 as i64,
        m.auth_user,
        p.has_inline,
        m.listener,
        p.message_id,
        to_json(&p.reply_to)?,
        p.attachments,
    ])?;
    let id = tx.last_insert_rowid();
    // The bytes are written into a zeroblob in place: binding them would have SQLite copy
    // the whole message first (a second 100 MB for a 100 MB message).
    tx.prepare_cached("INSERT INTO message_raw (message_id, raw) VALUES (?1, zeroblob(?2))")?
        .execute(params![id, m.raw.len() as i64])?;
    if !m.raw.is_empty() {
        tx.blob_open(rusqlite::MAIN_DB, "message_raw", "raw", id, false)?
            .write_all_at(&m.raw, 0)?;
    }
    let mut rcpt =
        tx.prepare_cached("INSERT INTO recipients (message_id, address) VALUES (?1, ?2)")?;
    for r in &m.envelope.rcpt_to {
        rcpt.execute(params![id, r.address])?;
    }
    if !m.tags.is_empty() {
        let mut tag = tx.prepare_cached(
            "INSERT OR IGNORE INTO message_tags (tag, message_id) VALUES (?1, ?2)",
        )?;
        for t in &m.tags {
            tag.execute(params![t, id])?;
        }
    }
    let summary = MessageSummary {
        id,
        session_id: m.session.id,
        received_at: m.received_at,
        mail_from: m.envelope.mail_from.clone(),
        rcpt_to: m
            .envelope
            .rcpt_to
            .iter()
            .map(|r| r.address.clone())
            .collect(),
        from: p.from.clone(),
        to: p.to.clone(),
        cc: p.cc.clone(),
        subject: p.subject.clone(),
        date: p.date,
        size: m.raw.len() as u64,
        has_attachments: p.has_attachments,
        snippet: p.snippet.clone(),
        read: false,
        pinned: false,
        tags: m.tags.clone(),
        auth_user: m.auth_user.clone(),
        listener: m.listener.clone(),
        message_id: p.message_id.clone(),
        reply_to: p.reply_to.clone(),
        lint_errors: 0,
        lint_warnings: 0,
        attachments: p.attachments,
    };
    Ok((id, summary))
}

/// Stores lint findings (replacing older ones) and moves the lint watermark; answers the
/// ids with a finding. A message deleted since it was read is skipped.
fn lint(
    tx: &Transaction,
    results: &[(i64, crate::model::LintReport)],
    upto: i64,
) -> rusqlite::Result<Vec<i64>> {
    let mut changed = Vec::new();
    let mut report = tx.prepare_cached(
        "INSERT OR REPLACE INTO message_lint (message_id, version, report)
         SELECT id, ?2, ?3 FROM messages WHERE id = ?1",
    )?;
    let mut clear = tx.prepare_cached("DELETE FROM message_lint_checks WHERE message_id = ?1")?;
    let mut check = tx.prepare_cached(
        "INSERT OR IGNORE INTO message_lint_checks (check_id, message_id, severity)
         VALUES (?1, ?2, ?3)",
    )?;
    let mut counts = tx.prepare_cached(
        "UPDATE messages SET lint_errors = ?2, lint_warnings = ?3
         WHERE id = ?1 AND (lint_errors, lint_warnings) IS NOT (?2, ?3)",
    )?;
    for (id, r) in results {
        let json = serde_json::to_string(r).unwrap_or_else(|_| "{}".into());
        if report.execute(params![id, crate::lint::VERSION, json])? == 0 {
            continue;
        }
        clear.execute([id])?;
        for f in &r.findings {
            check.execute(params![f.id, id, f.severity as i64])?;
        }
        if counts.execute(params![id, r.errors, r.warnings])? > 0 {
            changed.push(*id);
        }
    }
    tx.execute("UPDATE meta SET value = ?1 WHERE key = 'lint_upto'", [upto])?;
    tx.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'lint_version'",
        [crate::lint::VERSION],
    )?;
    Ok(changed)
}
