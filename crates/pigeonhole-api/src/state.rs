//! What every handler shares: the engine, the access rules, and the event log.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use pigeonhole_core::Engine;

use crate::stream::EventLog;

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Arc<Engine>,
    access: Access,
    events: EventLog,
    started: Instant,
}

/// Who may call: the token (if any), the browser origins allowed, and the bound address
/// (for the Host check that stops DNS rebinding).
#[derive(Debug, Clone, Default)]
pub struct Access {
    pub token: Option<String>,
    /// Origins a browser page may call from; `*` allows any.
    pub origins: Vec<String>,
    /// The addresses the API is bound to: a request naming one of them as its Host is ours.
    pub bound: Vec<SocketAddr>,
}

impl AppState {
    pub fn new(engine: Arc<Engine>, access: Access) -> AppState {
        let events = EventLog::start(engine.clone());
        AppState {
            inner: Arc::new(Inner {
                engine,
                access,
                events,
                started: Instant::now(),
            }),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    pub fn engine_arc(&self) -> Arc<Engine> {
        self.inner.engine.clone()
    }

    pub fn store(&self) -> &pigeonhole_core::Store {
        &self.inner.engine.store
    }

    pub fn access(&self) -> &Access {
        &self.inner.access
    }

    pub fn events(&self) -> &EventLog {
        &self.inner.events
    }

    pub fn uptime_secs(&self) -> u64 {
        self.inner.started.elapsed().as_secs()
    }
}
