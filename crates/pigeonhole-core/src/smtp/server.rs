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
use super::limits::{AuthLedger, ClientSlots, Limits, StorageState};
use super::session::SessionConfig;
use super::tls::{self, TlsError};
use crate::rules::Faults;
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
    #[error("no address to listen on")]
    NoAddress,
}

/// The name of the listener on `smtp_addr` / `smtps_addr`.
pub const DEFAULT_LISTENER: &str = "default";

/// A further named SMTP listener with its own session settings (AUTH, STARTTLS), so two
/// apps sending to two ports never mix.
#[derive(Debug, Clone)]
pub struct NamedListener {
    pub name: String,
    pub addrs: Vec<SocketAddr>,
    pub session: SessionConfig,
}

/// What a running server needs, beyond the per-session config.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Every address the SMTP listener binds (a host name can name several).
    pub smtp: Vec<SocketAddr>,
    /// Implicit-TLS listener addresses; empty for none.
    pub smtps: Vec<SocketAddr>,
    pub session: SessionConfig,
    /// Named listeners beside the default one.
    pub listeners: Vec<NamedListener>,
    /// Deadlines and connection caps.
    pub limits: Limits,
    /// Where the TLS certificate lives (created on first run).
    pub tls_dir: PathBuf,
}

/// Listeners that are bound but not yet accepting. Binding first lets a caller report
/// "port in use" before it tears down a server that works.
pub struct BoundServer {
    smtp: Vec<TcpListener>,
    smtps: Vec<TcpListener>,
    ctx: ConnContext,
    /// Named listeners, each with the context its sessions run in.
    named: Vec<(Vec<TcpListener>, ConnContext)>,
    limits: Limits,
}

/// A running server. Dropping it does not stop it; call `shutdown`.
pub struct ServerHandle {
    /// The first SMTP address bound (the real port when 0 was asked for).
    pub smtp_addr: SocketAddr,
    pub smtps_addr: Option<SocketAddr>,
    /// Every SMTP address bound, `smtp_addr` first.
    pub smtp_addrs: Vec<SocketAddr>,
    /// Each named listener's first bound address.
    pub named_addrs: Vec<(String, SocketAddr)>,
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

/// Binds every address. Port 0 on the first picks a free port, which the others then use,
/// so `localhost:0` is one port on both loopbacks. An address after the first that this
/// machine does not have (no IPv6 loopback) is skipped with a warning. The HTTP API binds
/// its addresses with it too.
pub async fn bind_all(addrs: &[SocketAddr]) -> Result<Vec<TcpListener>, ServerError> {
    let mut listeners: Vec<TcpListener> = Vec::with_capacity(addrs.len());
    for &asked in addrs {
        let addr = match listeners.first().and_then(|l| l.local_addr().ok()) {
            Some(first) if asked.port() == 0 => SocketAddr::new(asked.ip(), first.port()),
            _ => asked,
        };
        match bind(addr).await {
            Ok(l) => listeners.push(l),
            Err(ServerError::Bind { addr, source })
                if !listeners.is_empty()
                    && source.kind() == std::io::ErrorKind::AddrNotAvailable =>
            {
                tracing::warn!(%addr, error = %source, "skipping an address this machine does not have");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(listeners)
}

impl BoundServer {
    /// Binds every listener of `opts`; their sessions ask `faults` at every stage.
    /// Deliveries that fail for want of space set `storage`, and the next that succeeds
    /// clears it.
    pub async fn bind(
        opts: ServerOptions,
        store: Store,
        faults: Arc<Faults>,
        storage: Arc<StorageState>,
    ) -> Result<BoundServer, ServerError> {
        let needs_tls = opts.session.starttls
            || !opts.smtps.is_empty()
            || opts.listeners.iter().any(|l| l.session.starttls);
        let tls = if needs_tls {
            Some(tls::acceptor(&opts.tls_dir, &opts.session.hostname)?)
        } else {
            None
        };
        if opts.smtp.is_empty() {
            return Err(ServerError::NoAddress);
        }
        let smtp = bind_all(&opts.smtp).await?;
        let smtps = bind_all(&opts.smtps).await?;
        let cancel = CancellationToken::new();
        let auth_ledger = Arc::new(AuthLedger::default());
        let mut named = Vec::with_capacity(opts.listeners.len());
        for l in opts.listeners {
            let bound = bind_all(&l.addrs).await?;
            let ctx = ConnContext {
                store: store.clone(),
                listener: l.name.into(),
                cfg: Arc::new(l.session),
                limits: opts.limits,
                cancel: cancel.clone(),
                auth_ledger: auth_ledger.clone(),
                storage: storage.clone(),
                tls: tls.clone(),
                faults: faults.clone(),
            };
            named.push((bound, ctx));
        }
        let ctx = ConnContext {
            store,
            listener: DEFAULT_LISTENER.into(),
            cfg: Arc::new(opts.session),
            limits: opts.limits,
            cancel,
            auth_ledger,
            storage,
            tls,
            faults,
        };
        Ok(BoundServer {
            smtp,
            smtps,
            ctx,
            named,
            limits: opts.limits,
        })
    }

    pub fn smtp_addrs(&self) -> Vec<SocketAddr> {
        self.smtp
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Starts accepting on every listener.
    pub fn start(self) -> ServerHandle {
        let smtp_addrs = self.smtp_addrs();
        let smtps_addrs: Vec<SocketAddr> = self
            .smtps
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect();
        let paused = Arc::new(AtomicBool::new(false));
        let limit = Arc::new(Semaphore::new(self.limits.max_connections.max(1)));
        let per_client = Arc::new(ClientSlots::default());
        let cancel = self.ctx.cancel.clone();
        let mut tasks = JoinSet::new();
        tracing::info!(addrs = ?smtp_addrs, "SMTP listening");
        if !smtps_addrs.is_empty() {
            tracing::info!(addrs = ?smtps_addrs, "SMTPS (implicit TLS) listening");
        }
        let ctx = self.ctx;
        let mut listeners: Vec<(TcpListener, ConnContext, bool)> = Vec::new();
        let mut named_addrs = Vec::new();
        listeners.extend(self.smtp.into_iter().map(|l| (l, ctx.clone(), false)));
        listeners.extend(self.smtps.into_iter().map(|l| (l, ctx.clone(), true)));
        for (bound, named_ctx) in self.named {
            let addrs: Vec<SocketAddr> = bound.iter().filter_map(|l| l.local_addr().ok()).collect();
            tracing::info!(listener = %named_ctx.listener, addrs = ?addrs, "SMTP listening");
            if let Some(first) = addrs.first() {
                named_addrs.push((named_ctx.listener.to_string(), *first));
            }
            listeners.extend(bound.into_iter().map(|l| (l, named_ctx.clone(), false)));
        }
        for (listener, ctx, implicit_tls) in listeners {
            tasks.spawn(accept_loop(
                listener,
                ctx,
                implicit_tls,
                paused.clone(),
                limit.clone(),
                per_client.clone(),
            ));
        }
        ServerHandle {
            smtp_addr: smtp_addrs[0],
            smtps_addr: smtps_addrs.first().copied(),
            smtp_addrs,
            named_addrs,
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

/// The longest a shutdown waits for sessions before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

async fn accept_loop(
    listener: TcpListener,
    ctx: ConnContext,
    implicit_tls: bool,
    paused: Arc<AtomicBool>,
    limit: Arc<Semaphore>,
    per_client: Arc<ClientSlots>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = ctx.cancel.cancelled() => break,
            // Reap finished connection tasks so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let (tcp, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let permit = limit.clone().try_acquire_owned().ok();
                let client_slot = per_client.try_take(peer.ip(), ctx.limits.max_connections_per_client);
                let start = if paused.load(Ordering::SeqCst) {
                    Start::Refuse("4.3.2", "Capture is paused; not accepting mail right now")
                } else if permit.is_none() {
                    Start::Refuse("4.7.0", "Too many connections, try again later")
                } else if client_slot.is_none() {
                    Start::Refuse(
                        "4.7.0",
                        "Too many connections from your address, try again later",
                    )
                } else if implicit_tls {
                    Start::ImplicitTls
                } else {
                    Start::Plain
                };
                let ctx = ctx.clone();
                connections.spawn(async move {
                    let _permit = permit;
                    let _client_slot = client_slot;
                    connection::handle(tcp, ctx, start).await;
                });
            }
        }
    }
    drop(listener);
    // Sessions saw the cancellation and end at once (421, bounded by a short grace for a
    // client that reads nothing); only one whose message is with the writer waits for its
    // commit. This is a last resort, not a wait anyone should reach.
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn several_addresses_share_the_port_the_first_one_picked() {
        let v4: SocketAddr = "127.0.0.1:0".parse().expect("addr");
        let v6: SocketAddr = "[::1]:0".parse().expect("addr");
        let has_v6 = std::net::TcpListener::bind(v6).is_ok();
        let listeners = bind_all(&[v4, v6]).await.expect("binds");
        let addrs: Vec<SocketAddr> = listeners
            .iter()
            .map(|l| l.local_addr().expect("addr"))
            .collect();
        assert_ne!(addrs[0].port(), 0, "port 0 picked a real port");
        if has_v6 {
            assert_eq!(addrs.len(), 2, "both loopbacks are bound: {addrs:?}");
            assert!(
                addrs[1].is_ipv6() && addrs[1].port() == addrs[0].port(),
                "::1 on the same port: {addrs:?}"
            );
        } else {
            assert_eq!(
                addrs.len(),
                1,
                "a missing IPv6 loopback is skipped, not an error"
            );
        }
    }
}
