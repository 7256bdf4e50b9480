//! `pigeonhole wait`: block until a running server has the mail a query describes, for
//! shell CI. Exit 0 when it arrived (or, with `--count 0`, when none did), 1 when the
//! timeout passed (or an unexpected message came), 2 on any error.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use pigeonhole_core::commands::MAX_WAIT;
use pigeonhole_core::model::{WaitOutcome, WaitResult};

use super::http::{default_api, encode, get};
use super::text::{clip, printable};
use crate::error::{CliError, Result};

#[derive(Args)]
pub struct WaitArgs {
    /// The messages to wait for, in the search language (`pigeonhole help-query`).
    #[arg(long, short, default_value = "")]
    query: String,
    /// How many must match; 0 expects none for the whole timeout.
    #[arg(long, default_value_t = 1)]
    count: u64,
    /// How long to wait: 500ms, 10s, 2m (at most 10m).
    #[arg(long, default_value = "10s")]
    timeout: String,
    /// Print the server's answer as JSON.
    #[arg(long)]
    json: bool,
    /// The running server's API.
    #[arg(long, env = "PIGEONHOLE_API", default_value_t = default_api())]
    api: String,
    /// Token, if the server requires one.
    #[arg(long, env = "PIGEONHOLE_API_TOKEN", hide_env_values = true)]
    api_token: Option<String>,
}

pub fn run(args: WaitArgs) -> Result<()> {
    let timeout = pigeonhole_api::parse_timeout(&args.timeout).ok_or_else(|| {
        CliError::Usage(format!(
            "--timeout {}: use a duration such as 10s or 500ms",
            args.timeout
        ))
    })?;
    let result = call(
        &args.api,
        args.api_token.as_deref(),
        &args.query,
        Some(args.count),
        Some(timeout),
    )?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &result)?;
        writeln!(out)?;
    } else {
        let what = if args.query.is_empty() {
            "any message".to_string()
        } else {
            format!("\"{}\"", printable(&args.query))
        };
        writeln!(out, "{}", outcome_line(&result, &what))?;
        for m in &result.messages {
            let from = m
                .from
                .as_ref()
                .map(|a| a.address.as_str())
                .unwrap_or(&m.mail_from);
            writeln!(
                out,
                "{:>8}  {:<32}  {}",
                m.id,
                clip(&printable(from), 32),
                printable(&m.subject)
            )?;
        }
    }
    out.flush()?;
    if result.ok() {
        Ok(())
    } else {
        Err(CliError::Unmet)
    }
}

/// Asks a running server's `/api/v1/wait` and reads its answer. A count or timeout left
/// out takes the server's default; a refusal (a bad query, say) is `CliError::Api` with
/// the server's message.
pub(crate) fn call(
    api: &str,
    token: Option<&str>,
    query: &str,
    count: Option<u64>,
    timeout: Option<Duration>,
) -> Result<WaitResult> {
    let mut path = format!("/api/v1/wait?query={}", encode(query));
    if let Some(n) = count {
        path.push_str(&format!("&count={n}"));
    }
    if let Some(t) = timeout {
        path.push_str(&format!("&timeout={}ms", t.as_millis()));
    }
    // The server answers by the timeout; the margin covers a slow start and the transfer.
    let read_timeout = timeout.unwrap_or(MAX_WAIT) + Duration::from_secs(15);
    let resp = get(api, &path, token, read_timeout)?;
    let json: serde_json::Value = serde_json::from_slice(&resp.body).map_err(|_| {
        CliError::Api(format!(
            "the API answered {} without JSON: {}",
            resp.status,
            String::from_utf8_lossy(&resp.body).trim()
        ))
    })?;
    if !matches!(resp.status, 200 | 408 | 409) {
        let message = json["message"].as_str().unwrap_or("no message").to_string();
        return Err(CliError::Api(format!(
            "the API refused ({}): {message}",
            resp.status
        )));
    }
    Ok(serde_json::from_value(json)?)
}

/// One sentence saying how a wait for `what` ("any message", or the query in quotes) ended.
pub(crate) fn outcome_line(result: &WaitResult, what: &str) -> String {
    match result.outcome {
        WaitOutcome::Found => format!(
            "found {} of {} matching {what} after {} ms",
            result.matched, result.wanted, result.waited_ms
        ),
        WaitOutcome::NoneArrived => format!(
            "no message matched {what} in {} ms, as expected",
            result.waited_ms
        ),
        WaitOutcome::Timeout => format!(
            "timed out after {} ms: {} of {} matching {what}",
            result.waited_ms, result.matched, result.wanted
        ),
        WaitOutcome::Unexpected => format!(
            "{} message(s) matched {what}, expected none",
            result.matched
        ),
    }
}
