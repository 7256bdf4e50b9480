//! `Engine`: a store, an event bus and a running SMTP server, started from one `Config`.

use crate::config::{Config, ConfigError};
use crate::event::EventBus;
use crate::model::MessageDetail;
use crate::smtp::{BoundServer, ServerError, ServerHandle};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Server(#[from] ServerError),
}

pub struct Engine {
    pub store: Store,
    pub bus: EventBus,
    pub server: ServerHandle,
}

impl Engine {
    /// Opens the store and starts listening. Fails (with a message fit for a person) if the
    /// data dir is unusable or a port is taken.
    pub async fn start(config: &Config) -> Result<Engine, EngineError> {
        let opts = config.server_options()?;
        let bus = EventBus::new();
        let store = Store::open(&config.data_dir()?, bus.clone(), config.store_options())?;
        let server = BoundServer::bind(opts, store.clone()).await?.start();
        Ok(Engine { store, bus, server })
    }

    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// The full view of a message, for front ends. Blocking: call off the async executor.
pub fn message_detail(store: &Store, id: i64) -> Result<MessageDetail, StoreError> {
    let summary = store.summary(id)?;
    let envelope = store.envelope(id)?;
    let raw = store.raw(id)?;
    Ok(MessageDetail::build(summary, envelope, &raw))
}
