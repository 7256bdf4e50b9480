//! `pigeonhole release ID|latest`: send a captured message, byte for byte, to a real SMTP
//! server, and print the server's reply as it was sent.
//!
//! The server and the allowlist come from the `release` settings (saved by the window,
//! or `--config FILE`); flags override them. The attempt is recorded with the message
//! through the store's writer from this process, as `delete` and `tag` write, beside a
//! running server.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use pigeonhole_core::commands;
use pigeonhole_core::config::split_host_port;
use pigeonhole_core::model::{MessageFilter, MessageId, ReleaseRequest, ReleaseServer, ReleaseTls};

use super::edit::edit_store;
use super::text::printable_with;
use crate::error::{CliError, Result};
use crate::{block_on, DataDir};

/// Where the password is read from when `--password-env` does not say.
const PASSWORD_ENV: &str = "PIGEONHOLE_RELEASE_PASSWORD";

#[derive(Args)]
pub struct ReleaseArgs {
    /// Message id (from `list`), or `latest`.
    id: String,
    /// Recipient (repeatable) [default: the message's envelope recipients]
    #[arg(long, value_name = "ADDR")]
    to: Vec<String>,
    /// MAIL FROM to use ("" for the null sender) [default: the envelope's]
    #[arg(long, value_name = "ADDR")]
    from: Option<String>,
    /// Server host:port [default: release.host and release.port from the settings]. The
    /// configured user and password are not sent to a server named here.
    #[arg(long, env = "PIGEONHOLE_RELEASE_SERVER", value_name = "HOST:PORT")]
    server: Option<String>,
    /// none, starttls or tls (implicit TLS) [default: release.tls]
    #[arg(long, env = "PIGEONHOLE_RELEASE_TLS", value_name = "MODE")]
    tls: Option<ReleaseTls>,
    /// AUTH user [default: release.user, for the configured server]
    #[arg(long, env = "PIGEONHOLE_RELEASE_USER")]
    user: Option<String>,
    /// Name of the environment variable holding the AUTH password
    /// [default: PIGEONHOLE_RELEASE_PASSWORD when set, else release.password]
    #[arg(long, value_name = "VAR")]
    password_env: Option<String>,
    /// Accept a certificate that does not verify (a self-signed test server)
    #[arg(long)]
    insecure: bool,
    /// Recipient domains releases may go to, instead of release.allowed_domains
    /// (repeatable; *.example.com for subdomains)
    #[arg(
        long = "allow",
        env = "PIGEONHOLE_RELEASE_ALLOWED_DOMAINS",
        value_delimiter = ',',
        value_name = "DOMAIN"
    )]
    allowed_domains: Vec<String>,
    /// TOML config file with a [release] section
    #[arg(long, env = "PIGEONHOLE_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    dir: DataDir,
    /// Print the recorded release as JSON instead of the reply.
    #[arg(long)]
    json: bool,
}

impl ReleaseArgs {
    /// The server the flags name, or the configured one with the flags laid over it;
    /// `None` to use the configured one as it is.
    fn server(&self, configured: Option<ReleaseServer>) -> Result<Option<ReleaseServer>> {
        let password = || -> Result<Option<String>> {
            let var = self.password_env.as_deref().unwrap_or(PASSWORD_ENV);
            match std::env::var(var) {
                Ok(p) => Ok(Some(p)),
                Err(_) if self.password_env.is_none() => Ok(None),
                Err(_) => Err(CliError::Usage(format!(
                    "--password-env {var}: that variable is not set"
                ))),
            }
        };
        let mut server = match (&self.server, configured) {
            (Some(addr), configured) => {
                let (host, port) =
                    split_host_port(addr).map_err(|m| CliError::Usage(format!("--server: {m}")))?;
                ReleaseServer {
                    host,
                    port,
                    tls: configured.map(|c| c.tls).unwrap_or_default(),
                    user: String::new(),
                    password: String::new(),
                    accept_invalid_certs: false,
                }
            }
            (None, Some(c)) => c,
            (None, None) => {
                // Flags without a server change nothing; core says what is missing.
                return Ok(None);
            }
        };
        if let Some(t) = self.tls {
            server.tls = t;
        }
        if let Some(u) = &self.user {
            server.user = u.trim().to_string();
        }
        if let Some(p) = password()? {
            server.password = p;
        }
        if self.insecure {
            server.accept_invalid_certs = true;
        }
        Ok(Some(server))
    }
}

pub fn run(args: ReleaseArgs) -> Result<()> {
    let (mut config, _) =
        super::layered::config(args.config.as_deref(), args.dir.data_dir.clone())?;
    if !args.allowed_domains.is_empty() {
        config.release.allowed_domains = args.allowed_domains.clone();
    }
    let config = config.normalized();
    config
        .validate()
        .map_err(pigeonhole_core::config::ConfigError::Invalid)?;
    let server = args.server(config.release.server())?;
    let store = edit_store(&args.dir)?;
    let release = block_on(async {
        let id = if args.id.eq_ignore_ascii_case("latest") {
            commands::latest(&store, MessageFilter::default())
                .await?
                .ok_or_else(|| {
                    CliError::Usage("there are no messages, so none is the latest".into())
                })?
        } else {
            args.id.parse::<MessageId>().map_err(|_| {
                CliError::Usage(format!(
                    "\"{}\" is not a message id (a number, or latest)",
                    args.id
                ))
            })?
        };
        let request = ReleaseRequest {
            to: args.to.clone(),
            from: args.from.clone(),
            server,
        };
        Ok(commands::release(&store, &config, id, request).await?)
    })?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &release)?;
        writeln!(out)?;
    } else if release.code.is_some() {
        // A multi-line reply keeps its lines; nothing in it can move the cursor.
        writeln!(out, "{}", printable_with(&release.reply(), true))?;
    }
    out.flush()?;
    if release.ok {
        eprintln!(
            "pigeonhole: released message {} to {} for {}",
            release.message_id,
            release.server,
            release.recipients.join(", ")
        );
        Ok(())
    } else {
        Err(CliError::Released(Box::new(release)))
    }
}
