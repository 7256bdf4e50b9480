//! `pigeonhole`: the headless capture server and small helpers to read what it caught.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use pigeonhole_core::config::{default_data_dir, AuthMode, AuthUser, Config};
use pigeonhole_core::model::ListQuery;
use pigeonhole_core::store::Store;
use pigeonhole_core::Engine;

#[derive(Parser)]
#[command(
    name = "pigeonhole",
    version,
    about = "A mail catcher for developers: captures every message sent to it over SMTP."
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once at startup
enum Cmd {
    /// Capture mail until interrupted (Ctrl-C or SIGTERM).
    Serve(ServeArgs),
    /// List captured messages, newest first.
    List {
        #[command(flatten)]
        dir: DataDir,
        /// Print JSON (one array) instead of a table.
        #[arg(long)]
        json: bool,
        /// At most this many messages.
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
    /// Show one message.
    Show {
        /// Message id (from `list`).
        id: i64,
        #[command(flatten)]
        dir: DataDir,
        /// Write the exact stored bytes.
        #[arg(long, group = "view")]
        raw: bool,
        /// Print the headers only.
        #[arg(long, group = "view")]
        headers: bool,
        /// Print the SMTP session transcript.
        #[arg(long, group = "view")]
        transcript: bool,
        /// Print the full parsed message as JSON.
        #[arg(long, group = "view")]
        json: bool,
    },
}

#[derive(Args)]
struct DataDir {
    /// Data directory [default: the platform data dir; env: PIGEONHOLE_DATA_DIR]
    #[arg(long, env = "PIGEONHOLE_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

impl DataDir {
    fn resolve(&self) -> Result<PathBuf, String> {
        self.data_dir
            .clone()
            .or_else(default_data_dir)
            .ok_or_else(|| "no data directory: pass --data-dir".to_string())
    }
}

#[derive(Args)]
struct ServeArgs {
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
    /// Most concurrent connections; more get 421
    #[arg(long, env = "PIGEONHOLE_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Keep only the newest N messages (0 keeps all)
    #[arg(long, env = "PIGEONHOLE_RETENTION")]
    retention: Option<u64>,
    /// Record AUTH passwords in transcripts instead of masking them
    #[arg(long, env = "PIGEONHOLE_SHOW_PASSWORDS")]
    show_passwords: bool,
    /// fsync every commit, so acknowledged mail survives power loss (slower)
    #[arg(long, env = "PIGEONHOLE_FSYNC")]
    fsync: bool,
}

impl ServeArgs {
    fn config(&self) -> Result<Config, String> {
        let mut c = match &self.config {
            Some(path) => Config::from_file(path).map_err(|e| e.to_string())?,
            None => Config::default(),
        };
        if let Some(v) = &self.smtp {
            c.smtp_addr = v.clone();
        }
        if let Some(v) = &self.smtps {
            c.smtps_addr = Some(v.clone());
        }
        if let Some(v) = &self.dir.data_dir {
            c.data_dir = Some(v.clone());
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
                        .ok_or_else(|| format!("--auth-user {pair:?}: expected user:password"))?;
                    Ok(AuthUser {
                        username: u.into(),
                        password: p.into(),
                    })
                })
                .collect::<Result<_, String>>()?;
        }
        macro_rules! set {
            ($($field:ident = $opt:expr),*) => { $(if let Some(v) = $opt { c.$field = v; })* };
        }
        set!(
            max_message_size = self.max_message_size,
            max_recipients = self.max_recipients,
            max_line_length = self.max_line_length,
            idle_timeout_secs = self.idle_timeout,
            max_connections = self.max_connections,
            retention = self.retention
        );
        if self.show_passwords {
            c.show_passwords = true;
        }
        if self.fsync {
            c.durability = pigeonhole_core::model::Durability::PowerLoss;
        }
        Ok(c)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Serve(args) => serve(args),
        Cmd::List { dir, json, limit } => list(&dir, json, limit),
        Cmd::Show {
            id,
            dir,
            raw,
            headers,
            transcript,
            json,
        } => show(id, &dir, raw, headers, transcript, json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("pigeonhole: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PIGEONHOLE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = args.config()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let engine = Engine::start(&config).await.map_err(|e| e.to_string())?;
        let data_dir = engine.store.dir().display().to_string();
        eprintln!(
            "pigeonhole: capturing on smtp://{} (data in {data_dir})",
            engine.server.smtp_addr
        );
        if let Some(a) = engine.server.smtps_addr {
            eprintln!("pigeonhole: implicit TLS on smtps://{a}");
        }
        wait_for_signal().await;
        eprintln!("pigeonhole: shutting down");
        engine.shutdown().await;
        Ok(())
    })
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

fn open(dir: &DataDir) -> Result<Store, String> {
    let path = dir.resolve()?;
    if !path.is_dir() {
        return Err(format!("data directory {} does not exist", path.display()));
    }
    Store::open_read_only(&path).map_err(|e| e.to_string())
}

#[derive(serde::Serialize)]
struct ListRow<'a> {
    id: i64,
    received_at: String,
    from: &'a str,
    header_from: Option<&'a str>,
    to: &'a [String],
    subject: &'a str,
    size: u64,
    has_attachments: bool,
    read: bool,
}

fn list(dir: &DataDir, json: bool, limit: u64) -> Result<(), String> {
    let store = open(dir)?;
    let page = store
        .list(&ListQuery {
            limit,
            ..Default::default()
        })
        .map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    if json {
        let rows: Vec<ListRow> = page
            .messages
            .iter()
            .map(|m| ListRow {
                id: m.id,
                received_at: m
                    .received_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                from: &m.mail_from,
                header_from: m.from.as_ref().map(|a| a.address.as_str()),
                to: &m.rcpt_to,
                subject: &m.subject,
                size: m.size,
                has_attachments: m.has_attachments,
                read: m.read,
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &rows).map_err(|e| e.to_string())?;
        writeln!(out).map_err(|e| e.to_string())?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>6}  {:<19}  {:<28}  {:<28}  {:>8}  SUBJECT",
        "ID", "RECEIVED", "FROM", "TO", "SIZE"
    )
    .map_err(|e| e.to_string())?;
    for m in &page.messages {
        let local = m
            .received_at
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S");
        writeln!(
            out,
            "{:>6}  {:<19}  {:<28}  {:<28}  {:>8}  {}",
            m.id,
            local,
            clip(
                if m.mail_from.is_empty() {
                    "<>"
                } else {
                    &m.mail_from
                },
                28
            ),
            clip(&m.rcpt_to.join(", "), 28),
            m.size,
            m.subject
        )
        .map_err(|e| e.to_string())?;
    }
    if page.total > page.messages.len() as u64 {
        writeln!(
            out,
            "({} of {} messages; use --limit)",
            page.messages.len(),
            page.total
        )
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

fn show(
    id: i64,
    dir: &DataDir,
    raw: bool,
    headers: bool,
    transcript: bool,
    json: bool,
) -> Result<(), String> {
    let store = open(dir)?;
    let mut out = std::io::stdout().lock();
    let w = |e: std::io::Error| e.to_string();
    if raw {
        let bytes = store.raw(id).map_err(|e| e.to_string())?;
        out.write_all(&bytes).map_err(w)?;
        return out.flush().map_err(w);
    }
    let detail = pigeonhole_core::engine::message_detail(&store, id).map_err(|e| e.to_string())?;
    if json {
        serde_json::to_writer_pretty(&mut out, &detail).map_err(|e| e.to_string())?;
        return writeln!(out).map_err(w);
    }
    if headers {
        for h in &detail.headers {
            writeln!(out, "{}: {}", h.name, h.raw).map_err(w)?;
        }
        return Ok(());
    }
    if transcript {
        let t = store
            .transcript(detail.summary.session_id)
            .map_err(|e| e.to_string())?;
        let (first, end) = detail.transcript_range;
        for (i, line) in t.lines.iter().enumerate() {
            let arrow = match line.dir {
                pigeonhole_core::model::Direction::In => "C:",
                pigeonhole_core::model::Direction::Out => "S:",
                pigeonhole_core::model::Direction::Info => "--",
            };
            let mark = if i >= first && i < end { '*' } else { ' ' };
            writeln!(
                out,
                "{mark} {} {arrow} {}",
                line.ts.format("%H:%M:%S%.3f"),
                line.text
            )
            .map_err(w)?;
        }
        return Ok(());
    }
    let e = &detail.envelope;
    writeln!(
        out,
        "Message {}  ({} bytes, received {})",
        id, detail.summary.size, detail.summary.received_at
    )
    .map_err(w)?;
    writeln!(out, "MAIL FROM: <{}>", e.mail_from).map_err(w)?;
    for r in &e.rcpt_to {
        writeln!(out, "RCPT TO:   <{}>", r.address).map_err(w)?;
    }
    if !e.bcc.is_empty() {
        writeln!(out, "Bcc:       {}", e.bcc.join(", ")).map_err(w)?;
    }
    writeln!(out, "Subject:   {}", detail.summary.subject).map_err(w)?;
    for a in &detail.attachments {
        writeln!(
            out,
            "Attached:  {} ({}, {} bytes)",
            a.filename, a.content_type, a.size
        )
        .map_err(w)?;
    }
    writeln!(out).map_err(w)?;
    writeln!(
        out,
        "{}",
        detail.text.as_deref().unwrap_or("(no text part)")
    )
    .map_err(w)?;
    Ok(())
}
