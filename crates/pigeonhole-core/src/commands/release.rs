//! Releasing a captured message to a real SMTP server, and the record of every attempt.
//!
//! Order matters: the message and its recipients are settled and every recipient is
//! checked against `release.allowed_domains` before anything connects; the stored bytes
//! go out unchanged (a `Received:` is put in front only when `release.add_received` is
//! on); whatever the server answered is recorded with the message and returned as sent.

use std::str::FromStr;

use chrono::Utc;

use super::{blocking, CommandError, Result};
use crate::config::{check_server, describe, domain_of, Config};
use crate::model::time::ms_to_datetime;
use crate::model::{MessageId, Release, ReleaseRequest};
use crate::relay;
use crate::store::Store;

/// Releases message `id` as `request` says (see `ReleaseRequest` for the defaults) and
/// records the attempt. A server that refused, or could not be reached, is `Ok` with
/// `ok: false` and the server's reply: the attempt happened and is recorded. Nothing is
/// sent, recorded or connected to for a request refused before that: an unknown message,
/// no server, a bad address, a recipient the allowlist does not allow.
pub async fn release(
    store: &Store,
    config: &Config,
    id: MessageId,
    request: ReleaseRequest,
) -> Result<Release> {
    let server = match request.server {
        Some(s) => {
            let errs = check_server("server", &s, true);
            if !errs.is_empty() {
                return Err(CommandError::Invalid(describe(&errs)));
            }
            s
        }
        None => config
            .release
            .server()
            .ok_or(CommandError::NoReleaseServer)?,
    };
    let (envelope, raw) =
        blocking(store, move |s| Ok((s.envelope(id)?.envelope, s.raw(id)?))).await?;
    let to: Vec<String> = if request.to.iter().all(|t| t.trim().is_empty()) {
        envelope.rcpt_to.iter().map(|r| r.address.clone()).collect()
    } else {
        request
            .to
            .iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()
    };
    if to.is_empty() {
        return Err(CommandError::Invalid(format!(
            "message {id} has no envelope recipients: give the addresses to release it to"
        )));
    }
    for t in &to {
        if let Err(e) = lettre::Address::from_str(t) {
            return Err(CommandError::Invalid(format!(
                "\"{t}\" is not an address to release to: {e}"
            )));
        }
    }
    let from = request
        .from
        .map(|f| f.trim().to_string())
        .unwrap_or(envelope.mail_from);
    if !from.is_empty() {
        if let Err(e) = lettre::Address::from_str(&from) {
            return Err(CommandError::Invalid(format!(
                "\"{from}\" is not a sender address (MAIL FROM): {e}"
            )));
        }
    }
    let refused: Vec<String> = to
        .iter()
        .filter(|t| !config.release.allows(t))
        .cloned()
        .collect();
    if !refused.is_empty() {
        return Err(CommandError::NotAllowed {
            addresses: refused,
            list_empty: config.release.allowed_domains.is_empty(),
        });
    }
    if let Some(at) = relay::ambiguous_dot(&raw) {
        return Err(CommandError::Invalid(format!(
            "message {id} has a \".\" alone after a bare line break (byte {at}): a server that ends data at a bare LF would end the message there and read the rest as commands (SMTP smuggling), so it is not released"
        )));
    }
    // Milliseconds, as stored: what is returned is what a later read gives.
    let at = ms_to_datetime(Utc::now().timestamp_millis());
    let bytes = if config.release.add_received {
        relay::with_received(&raw, &config.hostname, id, at)
    } else {
        raw
    };
    let out = relay::Outgoing {
        server: server.clone(),
        hello: config.hostname.clone(),
        from: from.clone(),
        to: to.clone(),
        bytes,
    };
    let ended = tokio::task::spawn_blocking(move || relay::send(&out)).await?;
    let mut release = Release {
        id: 0,
        message_id: id,
        at,
        server: server.addr(),
        tls: server.tls,
        mail_from: from,
        recipients: to,
        ok: ended.ok,
        stage: ended.stage,
        recipient: ended.recipient,
        code: ended.code,
        enhanced_code: ended.enhanced_code,
        text: ended.text,
    };
    // What happened has happened: a record that cannot be written (the message was
    // deleted meanwhile) must not turn a sent message into an error, and a retry.
    match store.record_release(release.clone()).await {
        Ok(rid) => release.id = rid,
        Err(e) => tracing::warn!(message = id, error = %e, "could not record a release"),
    }
    Ok(release)
}

/// A message's releases, newest first; an unknown message is `NoMessage`.
pub async fn releases(store: &Store, id: MessageId) -> Result<Vec<Release>> {
    blocking(store, move |s| {
        s.summary(id)?;
        Ok(s.releases(id)?)
    })
    .await
}

/// `NotAllowed`'s sentence: which addresses, and how to allow them.
pub(super) fn not_allowed(addresses: &[String], list_empty: bool) -> String {
    let mut domains: Vec<String> = Vec::new();
    for d in addresses.iter().map(|a| domain_of(a)) {
        if !domains.contains(&d) {
            domains.push(d);
        }
    }
    let quoted = domains
        .iter()
        .map(|d| format!("\"{d}\""))
        .collect::<Vec<_>>()
        .join(", ");
    if list_empty {
        format!(
            "nothing is released while release.allowed_domains is empty; add {quoted} to it to release to {}",
            addresses.join(", ")
        )
    } else {
        format!(
            "not on the release allowlist: {}; add {quoted} to release.allowed_domains to allow {}",
            addresses.join(", "),
            if addresses.len() == 1 { "it" } else { "them" }
        )
    }
}
