//! Listeners: bind, accept, enforce the connection limit and pause, and shut down cleanly.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::connection::{self, ConnContext, Start};
use super::session::SessionConfig;
use super::tls::{self, TlsError};
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(
        "{addr} is already in use by another program; choose another port or stop that program"
    )]
    AddrInUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Tls(#[from] TlsError),
}

/// What a running server needs, beyond the per-session config.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub smtp: SocketAddr,
    /// Implicit-TLS listener, if any.
    pub smtps: Option<SocketAddr>,
    pub session: SessionConfig,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    /// Where the TLS certificate lives (created on first run).
    pub tls_dir: PathBuf,
}

/// Listeners that are bound but not yet accepting. Binding first lets a caller report
/// "port in use" before it tears down a server that works.
pub struct BoundServer {
    smtp: TcpListener,
    smtps: Option<TcpListener>,
    ctx: ConnContext,
    max_connections: usize,
}

/// A running server. Dropping it does not stop it; call `shutdown`.
pub struct ServerHandle {
    pub smtp_addr: SocketAddr,
    pub smtps_addr: Option<SocketAddr>,
    cancel: CancellationToken,
    paused: Arc<AtomicBool>,
    tasks: JoinSet<()>,
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            ServerError::AddrInUse { addr }
        } else {
            ServerError::Bind { addr, source: e }
        }
    })
}

impl BoundServer {
    pub async fn bind(opts: ServerOptions, store: Store) -> Result<BoundServer, ServerError> {
        let tls = if opts.session.starttls || opts.smtps.is_some() {
            Some(tls::acceptor(&opts.tls_dir, &opts.session.hostname)?)
        } else {
            None
        };
        let smtp = bind(opts.smtp).await?;
        let smtps = match opts.smtps {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        let ctx = ConnContext {
            store,
            cfg: Arc::new(opts.session),
            idle_timeout: opts.idle_timeout,
            cancel: CancellationToken::new(),
            tls,
        };
        Ok(BoundServer {
            smtp,
            smtps,
            ctx,
            max_connections: opts.max_connections.max(1),
        })
    }

    pub fn smtp_addr(&self) -> SocketAddr {
        self.smtp
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Starts accepting on every listener.
    pub fn start(self) -> ServerHandle {
        let smtp_addr = self.smtp_addr();
        let smtps_addr = self.smtps.as_ref().and_then(|l| l.local_addr().ok());
        let paused = Arc::new(AtomicBool::new(false));
        let limit = Arc::new(Semaphore::new(self.max_connections));
        let cancel = self.ctx.cancel.clone();
        let mut tasks = JoinSet::new();
        tracing::info!(%smtp_addr, "SMTP listening");
        tasks.spawn(accept_loop(
            self.smtp,
            self.ctx.clone(),
            false,
            paused.clone(),
            limit.clone(),
        ));
        if let Some(l) = self.smtps {
            tracing::info!(addr = ?smtps_addr, "SMTPS (implicit TLS) listening");
            tasks.spawn(accept_loop(
                l,
                self.ctx.clone(),
                true,
                paused.clone(),
                limit,
            ));
        }
        ServerHandle {
            smtp_addr,
            smtps_addr,
            cancel,
            paused,
            tasks,
        }
    }
}

impl ServerHandle {
    /// While paused, new connections get `421` and are closed; nothing is captured.
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// Stops accepting, tells open sessions `421`, and waits for them to finish writing
    /// (a message already in DATA is either committed and acked, or not acked at all).
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

async fn accept_loop(
    listener: TcpListener,
    ctx: ConnContext,
    implicit_tls: bool,
    paused: Arc<AtomicBool>,
    limit: Arc<Semaphore>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = ctx.cancel.cancelled() => break,
            // Reap finished connection tasks so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let (tcp, _) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let permit = limit.clone().try_acquire_owned().ok();
                let start = if paused.load(Ordering::SeqCst) {
                    Start::Refuse("4.3.2", "Capture is paused; not accepting mail right now")
                } else if permit.is_none() {
                    Start::Refuse("4.7.0", "Too many connections, try again later")
                } else if implicit_tls {
                    Start::ImplicitTls
                } else {
                    Start::Plain
                };
                let ctx = ctx.clone();
                connections.spawn(async move {
                    let _permit = permit;
                    connection::handle(tcp, ctx, start).await;
                });
            }
        }
    }
    drop(listener);
    // Sessions saw the cancellation and are sending 421; give them a moment to finish.
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
}
