//! `pigeonhole serve`: run the engine until Ctrl-C or SIGTERM.
//!
//! Settings layer as: core's defaults <- what the window saved in the data dir
//! (`settings.json`) <- `--config FILE` <- `PIGEONHOLE_*` <- flags.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use pigeonhole_api::ApiServer;
use pigeonhole_core::config::{settings_path, split_host_port, AuthMode, AuthUser, Config};
use pigeonhole_core::model::{Durability, ReleaseTls};
use pigeonhole_core::Engine;

use crate::error::{CliError, Result};
use crate::DataDir;

#[derive(Args)]
pub struct ServeArgs {
    /// TOML config file; flags and PIGEONHOLE_* variables override it.
    #[arg(long, env = "PIGEONHOLE_CONFIG")]
    config: Option<PathBuf>,
    /// SMTP listen address [default: 127.0.0.1:1025]
    #[arg(long, env = "PIGEONHOLE_SMTP")]
    smtp: Option<String>,
    /// Also listen for implicit TLS (SMTPS), e.g. 127.0.0.1:1465
    #[arg(long, env = "PIGEONHOLE_SMTPS")]
    smtps: Option<String>,
    #[command(flatten)]
    dir: DataDir,
    /// Host name used in the greeting and EHLO reply
    #[arg(long, env = "PIGEONHOLE_HOSTNAME")]
    hostname: Option<String>,
    /// Do not offer STARTTLS
    #[arg(long, env = "PIGEONHOLE_NO_STARTTLS")]
    no_starttls: bool,
    /// Only accept these credentials (user:password, repeatable); default accepts any
    #[arg(
        long = "auth-user",
        env = "PIGEONHOLE_AUTH_USERS",
        value_delimiter = ','
    )]
    auth_users: Vec<String>,
    /// Largest message in bytes (advertised as SIZE)
    #[arg(long, env = "PIGEONHOLE_MAX_MESSAGE_SIZE")]
    max_message_size: Option<usize>,
    /// Most recipients per message
    #[arg(long, env = "PIGEONHOLE_MAX_RECIPIENTS")]
    max_recipients: Option<usize>,
    /// Longest command line in octets
    #[arg(long, env = "PIGEONHOLE_MAX_LINE_LENGTH")]
    max_line_length: Option<usize>,
    /// Seconds of silence before a session is closed with 421
    #[arg(long, env = "PIGEONHOLE_IDLE_TIMEOUT")]
    idle_timeout: Option<u64>,
    /// Seconds a TLS handshake (STARTTLS or SMTPS) may take [default: 10, at most the idle timeout]
    #[arg(long, env = "PIGEONHOLE_TLS_HANDSHAKE_TIMEOUT")]
    tls_handshake_timeout: Option<u64>,
    /// Seconds a command line may take from its first byte [default: 30, at most the idle timeout]
    #[arg(long, env = "PIGEONHOLE_COMMAND_TIMEOUT")]
    command_timeout: Option<u64>,
    /// Least bytes per second DATA/BDAT must average over each window (0 turns it off) [default: 1024]
    #[arg(long, env = "PIGEONHOLE_MIN_DATA_RATE")]
    min_data_rate: Option<u64>,
    /// Seconds the data rate is averaged over; the first is the grace period [default: 30]
    #[arg(long, env = "PIGEONHOLE_DATA_RATE_WINDOW")]
    data_rate_window: Option<u64>,
    /// Most concurrent connections; more get 421
    #[arg(long, env = "PIGEONHOLE_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Most concurrent connections from one client address (0: three quarters of --max-connections)
    #[arg(long, env = "PIGEONHOLE_MAX_CONNECTIONS_PER_CLIENT")]
    max_connections_per_client: Option<usize>,
    /// Failed AUTH attempts before a connection is closed with 421 [default: 5]
    #[arg(long, env = "PIGEONHOLE_AUTH_MAX_FAILURES")]
    auth_max_failures: Option<u32>,
    /// Keep only the newest N messages, and every pinned one (0 keeps all)
    #[arg(long, env = "PIGEONHOLE_RETENTION")]
    retention: Option<u64>,
    /// Delete unpinned messages older than this, e.g. 12h, 7d, 2w
    #[arg(long, env = "PIGEONHOLE_RETENTION_AGE")]
    retention_age: Option<String>,
    /// Record AUTH passwords in transcripts instead of masking them
    #[arg(long, env = "PIGEONHOLE_SHOW_PASSWORDS")]
    show_passwords: bool,
    /// fsync every commit, so acknowledged mail survives power loss (slower)
    #[arg(long, env = "PIGEONHOLE_FSYNC")]
    fsync: bool,
    /// HTTP API (Mailpit compatible) listen address [default: 127.0.0.1:8025]
    #[arg(long, env = "PIGEONHOLE_HTTP", conflicts_with = "no_http")]
    http: Option<String>,
    /// Do not serve the HTTP API
    #[arg(long, env = "PIGEONHOLE_NO_HTTP")]
    no_http: bool,
    /// Token the API requires (Authorization: Bearer); needed off loopback
    #[arg(long, env = "PIGEONHOLE_API_TOKEN", hide_env_values = true)]
    api_token: Option<String>,
    /// Browser origin allowed to call the API (repeatable), e.g. http://localhost:3000
    #[arg(
        long = "cors-origin",
        env = "PIGEONHOLE_CORS_ORIGINS",
        value_delimiter = ','
    )]
    cors_origins: Vec<String>,
    /// Server that captured mail is released to (`release` in the API), host:port
    #[arg(long, env = "PIGEONHOLE_RELEASE_SERVER", value_name = "HOST:PORT")]
    release_server: Option<String>,
    /// How to secure the release connection: none, starttls or tls (implicit)
    #[arg(long, env = "PIGEONHOLE_RELEASE_TLS", value_name = "MODE")]
    release_tls: Option<ReleaseTls>,
    /// AUTH user for the release server
    #[arg(long, env = "PIGEONHOLE_RELEASE_USER")]
    release_user: Option<String>,
    /// AUTH password for the release server (better set through the environment)
    #[arg(long, env = "PIGEONHOLE_RELEASE_PASSWORD", hide_env_values = true)]
    release_password: Option<String>,
    /// Recipient domain releases may go to (repeatable; *.example.com for subdomains)
    #[arg(
        long = "release-allow",
        env = "PIGEONHOLE_RELEASE_ALLOWED_DOMAINS",
        value_delimiter = ',',
        value_name = "DOMAIN"
    )]
    release_allowed_domains: Vec<String>,
    /// Print the bound addresses as one JSON line on stdout once everything listens
    #[arg(long)]
    print_ports: bool,
}

impl ServeArgs {
    /// The layered configuration, and whether the window's saved settings were used.
    fn config(&self) -> Result<(Config, bool)> {
        let (mut c, used_saved) =
            super::layered::config(self.config.as_deref(), self.dir.data_dir.clone())?;
        if let Some(v) = &self.smtp {
            c.smtp_addr = v.clone();
        }
        if let Some(v) = &self.smtps {
            c.smtps_addr = Some(v.clone());
        }
        if let Some(v) = &self.hostname {
            c.hostname = v.clone();
        }
        if self.no_starttls {
            c.starttls = false;
        }
        if !self.auth_users.is_empty() {
            c.auth_mode = AuthMode::Users;
            c.auth_users = self
                .auth_users
                .iter()
                .map(|pair| {
                    let (u, p) = pair
                        .split_once(':')
                        .ok_or_else(|| CliError::AuthUser(pair.clone()))?;
                    Ok(AuthUser {
                        username: u.into(),
                        password: p.into(),
                    })
                })
                .collect::<Result<_>>()?;
        }
        macro_rules! set {
            ($($field:ident = $opt:expr),*) => { $(if let Some(v) = $opt { c.$field = v; })* };
        }
        set!(
            max_message_size = self.max_message_size,
            max_recipients = self.max_recipients,
            max_line_length = self.max_line_length,
            idle_timeout_secs = self.idle_timeout,
            tls_handshake_timeout_secs = self.tls_handshake_timeout,
            command_timeout_secs = self.command_timeout,
            min_data_rate = self.min_data_rate,
            data_rate_window_secs = self.data_rate_window,
            max_connections = self.max_connections,
            max_connections_per_client = self.max_connections_per_client,
            auth_max_failures = self.auth_max_failures,
            retention = self.retention,
            retention_age = self.retention_age.clone()
        );
        if self.show_passwords {
            c.show_passwords = true;
        }
        if self.fsync {
            c.durability = Durability::PowerLoss;
        }
        if let Some(v) = &self.http {
            c.http_addr = v.clone();
        }
        if self.no_http {
            c.http_addr = String::new();
        }
        if let Some(v) = &self.api_token {
            c.api_token = v.clone();
        }
        if !self.cors_origins.is_empty() {
            c.cors_origins = self.cors_origins.clone();
        }
        if let Some(v) = &self.release_server {
            let (host, port) = split_host_port(v)
                .map_err(|m| CliError::Usage(format!("--release-server: {m}")))?;
            c.release.host = host;
            c.release.port = port;
        }
        if let Some(v) = self.release_tls {
            c.release.tls = v;
        }
        if let Some(v) = &self.release_user {
            c.release.user = v.clone();
        }
        if let Some(v) = &self.release_password {
            c.release.password = v.clone();
        }
        if !self.release_allowed_domains.is_empty() {
            c.release.allowed_domains = self.release_allowed_domains.clone();
        }
        Ok((c.normalized(), used_saved))
    }
}

pub fn run(args: ServeArgs) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PIGEONHOLE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let (config, used_saved) = args.config()?;
    let print_ports = args.print_ports;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    runtime.block_on(async {
        let engine = Arc::new(Engine::start(&config).await?);
        let api = match ApiServer::start(engine.clone()).await {
            Ok(api) => api,
            Err(e) => {
                engine.shutdown().await;
                return Err(CliError::ApiStart(e));
            }
        };
        let dir = engine.data_dir();
        if used_saved {
            eprintln!(
                "pigeonhole: using the settings saved in {} (flags and PIGEONHOLE_* override them)",
                settings_path(dir).display()
            );
        }
        if let Some((smtp, smtps)) = engine.bound_addrs() {
            eprintln!(
                "pigeonhole: capturing on smtp://{smtp} (data in {})",
                dir.display()
            );
            if let Some(a) = smtps {
                eprintln!("pigeonhole: implicit TLS on smtps://{a}");
            }
            for (name, addr) in engine.listener_addrs() {
                eprintln!("pigeonhole: listener {name} on smtp://{addr}");
            }
        }
        match &api {
            Some(api) => eprintln!("pigeonhole: API on http://{}", api.local_addr()),
            None => eprintln!("pigeonhole: API off"),
        }
        if print_ports {
            print_addrs(&engine, api.as_ref())?;
        }
        wait_for_signal().await;
        eprintln!("pigeonhole: shutting down");
        if let Some(api) = api {
            api.shutdown().await;
        }
        engine.shutdown().await;
        Ok(())
    })
}

/// `{"smtp":"127.0.0.1:41234","http":"127.0.0.1:40111"}` on one line, for a test harness
/// that asked for port 0.
fn print_addrs(engine: &Engine, api: Option<&ApiServer>) -> Result<()> {
    use std::io::Write;
    let (smtp, smtps) = engine.bound_addrs().unzip();
    let listeners: serde_json::Map<String, serde_json::Value> = engine
        .listener_addrs()
        .into_iter()
        .map(|(name, addr)| (name, addr.to_string().into()))
        .collect();
    let line = serde_json::json!({
        "smtp": smtp.map(|a| a.to_string()),
        "smtps": smtps.flatten().map(|a| a.to_string()),
        "http": api.map(|a| a.local_addr().to_string()),
        "listeners": listeners,
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("installing a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
