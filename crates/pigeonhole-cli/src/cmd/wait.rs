//! `pigeonhole wait`: block until a running server has the mail a query describes, for
//! shell CI. Exit 0 when it arrived (or, with `--count 0`, when none did), 1 when the
//! timeout passed (or an unexpected message came), 2 on any error.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use pigeonhole_core::model::{WaitOutcome, WaitResult};

use super::http::{encode, get};
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
    #[arg(long, env = "PIGEONHOLE_API", default_value = "http://127.0.0.1:8025")]
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
    let path = format!(
        "/api/v1/wait?query={}&count={}&timeout={}ms",
        encode(&args.query),
        args.count,
        timeout.as_millis()
    );
    let resp = get(
        &args.api,
        &path,
        args.api_token.as_deref(),
        timeout + Duration::from_secs(15),
    )?;
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
    let result: WaitResult = serde_json::from_value(json)?;
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
        let line = match result.outcome {
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
        };
        writeln!(out, "{line}")?;
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
