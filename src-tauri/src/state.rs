//! The desktop app's state: the store, the bus, the running listeners and the settings.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use pigeonhole_core::config::FieldError;
use pigeonhole_core::smtp::{BoundServer, ServerError, ServerHandle};
use pigeonhole_core::{EventBus, Store};
use serde::Serialize;
use tokio::sync::Mutex as AsyncMutex;

use crate::settings::Settings;

/// The wire shape of `ServerStatus` in ui/src/lib/types.ts.
#[derive(Debug, Clone, Serialize)]
pub struct ServerStatus {
    pub listening: bool,
    pub paused: bool,
    pub smtp_addr: String,
    pub smtps_addr: Option<String>,
    pub error: Option<String>,
    pub total: u64,
    pub unread: u64,
}

pub struct AppState {
    pub store: Store,
    pub bus: EventBus,
    pub data_dir: PathBuf,
    /// `None` when the listener could not start (port in use); `error` says why.
    server: AsyncMutex<Option<ServerHandle>>,
    error: Mutex<Option<String>>,
    paused: AtomicBool,
    settings: Mutex<Settings>,
}

impl AppState {
    pub fn new(store: Store, bus: EventBus, data_dir: PathBuf, settings: Settings) -> AppState {
        AppState {
            store,
            bus,
            data_dir,
            server: AsyncMutex::new(None),
            error: Mutex::new(None),
            paused: AtomicBool::new(false),
            settings: Mutex::new(settings),
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn notifications_enabled(&self) -> bool {
        self.settings
            .lock()
            .map(|s| s.notifications)
            .unwrap_or(true)
    }

    async fn bind(&self, settings: &Settings) -> Result<BoundServer, ServerError> {
        let config = settings.to_config(&self.data_dir);
        let opts = config.server_options().map_err(|e| ServerError::Bind {
            addr: ([127, 0, 0, 1], 0).into(),
            source: std::io::Error::other(e.to_string()),
        })?;
        BoundServer::bind(opts, self.store.clone()).await
    }

    fn install(&self, slot: &mut Option<ServerHandle>, bound: BoundServer) {
        let handle = bound.start();
        handle.set_paused(self.paused.load(Ordering::SeqCst));
        *slot = Some(handle);
        self.set_error(None);
    }

    fn set_error(&self, e: Option<String>) {
        if let Ok(mut slot) = self.error.lock() {
            *slot = e;
        }
    }

    /// Starts the listeners from the current settings; on failure records why.
    pub async fn start_listening(&self) -> ServerStatus {
        let settings = self.settings();
        let mut slot = self.server.lock().await;
        if let Some(old) = slot.take() {
            old.shutdown().await;
        }
        match self.bind(&settings).await {
            Ok(bound) => self.install(&mut slot, bound),
            Err(e) => {
                tracing::warn!(error = %e, "SMTP listener did not start");
                self.set_error(Some(e.to_string()));
            }
        }
        drop(slot);
        self.status().await
    }

    /// Applies new settings: validates, rebinds listeners if needed (binding the new ones
    /// before dropping the old where the addresses differ), and only then saves. On any
    /// error nothing changes.
    pub async fn apply_settings(&self, new: Settings) -> Result<Settings, Vec<FieldError>> {
        new.validate(&self.data_dir)?;
        let old = self.settings();
        if old.listener_differs(&new, &self.data_dir)
            || self.error.lock().map(|e| e.is_some()).unwrap_or(false)
        {
            let mut slot = self.server.lock().await;
            let same_addrs =
                old.smtp_addr.trim() == new.smtp_addr.trim() && old.smtps_addr == new.smtps_addr;
            if same_addrs {
                // The new listener needs the old one's ports: stop it first, restore on failure.
                if let Some(running) = slot.take() {
                    running.shutdown().await;
                }
                match self.bind(&new).await {
                    Ok(bound) => self.install(&mut slot, bound),
                    Err(e) => {
                        if let Ok(bound) = self.bind(&old).await {
                            self.install(&mut slot, bound);
                        }
                        return Err(vec![field_error(&new, e)]);
                    }
                }
            } else {
                let bound = self
                    .bind(&new)
                    .await
                    .map_err(|e| vec![field_error(&new, e)])?;
                if let Some(running) = slot.take() {
                    running.shutdown().await;
                }
                self.install(&mut slot, bound);
            }
        }
        if old.retention != new.retention {
            self.store
                .set_retention(new.retention)
                .map_err(|e| vec![err("retention", e.to_string())])?;
        }
        new.save(&self.data_dir)
            .map_err(|e| vec![err("smtp_addr", format!("could not save settings: {e}"))])?;
        if let Ok(mut s) = self.settings.lock() {
            *s = new.clone();
        }
        Ok(new)
    }

    pub async fn set_paused(&self, paused: bool) -> ServerStatus {
        self.paused.store(paused, Ordering::SeqCst);
        if let Some(server) = self.server.lock().await.as_ref() {
            server.set_paused(paused);
        }
        self.status().await
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    pub async fn status(&self) -> ServerStatus {
        let (smtp_addr, smtps_addr, listening) = match self.server.lock().await.as_ref() {
            Some(s) => (
                s.smtp_addr.to_string(),
                s.smtps_addr.map(|a| a.to_string()),
                true,
            ),
            None => {
                let s = self.settings();
                (s.smtp_addr, s.smtps_addr, false)
            }
        };
        let store = self.store.clone();
        let counts = tokio::task::spawn_blocking(move || store.counts())
            .await
            .ok()
            .and_then(Result::ok);
        ServerStatus {
            listening,
            paused: self.is_paused(),
            smtp_addr,
            smtps_addr,
            error: self.error.lock().ok().and_then(|e| e.clone()),
            total: counts.map_or(0, |c| c.total),
            unread: counts.map_or(0, |c| c.unread),
        }
    }

    pub async fn shutdown(&self) {
        if let Some(server) = self.server.lock().await.take() {
            server.shutdown().await;
        }
    }
}

fn err(field: &str, message: String) -> FieldError {
    FieldError {
        field: field.into(),
        message,
    }
}

/// Puts a bind failure next to the field whose address failed.
fn field_error(settings: &Settings, e: ServerError) -> FieldError {
    let field = match &e {
        ServerError::AddrInUse { addr } | ServerError::Bind { addr, .. } => {
            let is_smtps = settings
                .smtps_addr
                .as_deref()
                .and_then(|a| pigeonhole_core::config::parse_addr(a).ok())
                .is_some_and(|a| a == *addr);
            if is_smtps {
                "smtps_addr"
            } else {
                "smtp_addr"
            }
        }
        ServerError::Tls(_) => "starttls",
    };
    err(field, e.to_string())
}
