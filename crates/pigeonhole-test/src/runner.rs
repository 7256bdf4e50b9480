//! The server's own thread and runtime: a blocking SMTP client in the test (lettre's
//! `SmtpTransport`) cannot stall it, and dropping the server can shut it down and wait for
//! that without an executor.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use pigeonhole_api::ApiServer;
use pigeonhole_core::engine::EngineError;
use pigeonhole_core::smtp::ServerError;
use pigeonhole_core::{Config, Engine};
use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// How long the runtime may take to finish what is left (blocking store work) once the
/// listeners have stopped.
const RUNTIME_GRACE: Duration = Duration::from_secs(5);

/// The started server: the engine, and where SMTP and the API (if it runs) listen.
pub(crate) struct Started {
    pub engine: Arc<Engine>,
    pub smtp: SocketAddr,
    pub http: Option<SocketAddr>,
}

/// The thread running the server. Stopping (or dropping) it stops the API and the SMTP
/// listeners and waits until the thread has ended, so the ports are closed by then.
pub(crate) struct Runner {
    /// Tells the server to shut down; also fires when dropped.
    stop: Option<oneshot::Sender<()>>,
    /// Fires when the thread's runtime has gone, for an `async` stop that must not block.
    done: Option<oneshot::Receiver<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Runner {
    pub(crate) async fn start(config: Config) -> Result<(Runner, Started)> {
        let (ready_tx, ready_rx) = oneshot::channel::<Result<Started>>();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("pigeonhole-test-server".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(Error::Thread(e)));
                        return;
                    }
                };
                rt.block_on(serve(config, ready_tx, stop_rx));
                // Whatever is still running (event streams, a connection that would not
                // finish) is dropped with the runtime.
                rt.shutdown_timeout(RUNTIME_GRACE);
                let _ = done_tx.send(());
            })
            .map_err(Error::Thread)?;
        let mut runner = Runner {
            stop: Some(stop_tx),
            done: Some(done_rx),
            thread: Some(thread),
        };
        match ready_rx.await {
            Ok(Ok(started)) => Ok((runner, started)),
            Ok(Err(e)) => {
                runner.stop().await;
                Err(e)
            }
            Err(_) => {
                runner.stop().await;
                Err(Error::ThreadGone)
            }
        }
    }

    /// Shuts the server down and waits for its thread without blocking the caller's
    /// executor.
    pub(crate) async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            // An error means the thread ended without saying so (a panic): it is gone too.
            let _ = done.await;
        }
        if let Some(thread) = self.thread.take() {
            // It has sent `done` or died, so this returns at once.
            let _ = thread.join();
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the engine and the API, reports, then waits for the stop and shuts both down.
async fn serve(
    config: Config,
    ready: oneshot::Sender<Result<Started>>,
    stop: oneshot::Receiver<()>,
) {
    let engine = match Engine::start(&config).await {
        Ok(e) => Arc::new(e),
        Err(e) => {
            let _ = ready.send(Err(e.into()));
            return;
        }
    };
    let Some((smtp, _)) = engine.bound_addrs() else {
        let _ = ready.send(Err(EngineError::Server(ServerError::NoAddress).into()));
        return;
    };
    let api = match ApiServer::start(engine.clone()).await {
        Ok(api) => api,
        Err(e) => {
            engine.shutdown().await;
            let _ = ready.send(Err(e.into()));
            return;
        }
    };
    let http = api.as_ref().map(ApiServer::local_addr);
    let started = Started {
        engine: engine.clone(),
        smtp,
        http,
    };
    if ready.send(Ok(started)).is_ok() {
        // A dropped sender means the same as a stop.
        let _ = stop.await;
    }
    if let Some(api) = api {
        api.shutdown().await;
    }
    engine.shutdown().await;
}
