//! `Engine`: the only composition root. It opens the store and the event bus from one
//! `Config`, runs the SMTP listeners (rebinding them when the config changes), pauses and
//! resumes capture, and reports its status. Every front end starts Pigeonhole through it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Mutex as AsyncMutex;

use crate::commands;
use crate::config::{parse_addrs, Config, ConfigError, FieldError};
use crate::event::EventBus;
use crate::model::{ListenerAddr, ServerStatus};
use crate::rules::Faults;
use crate::smtp::{BoundServer, ServerError, ServerHandle, StorageState};
use crate::store::{Clock, Damage, Filter, OnDamage, Store, StoreError};

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
    data_dir: PathBuf,
    /// The configuration in force; `apply` replaces it only once every part of it took.
    config: Mutex<Config>,
    /// The running listeners; `None` before `listen` or after a failed bind.
    server: AsyncMutex<Option<ServerHandle>>,
    /// The bound addresses, readable without waiting for `server`'s lock.
    bound: Mutex<Option<(SocketAddr, Option<SocketAddr>)>>,
    /// The named listeners' bound addresses.
    named: Mutex<Vec<(String, SocketAddr)>>,
    /// Why the listeners are not running, for the status bar.
    listen_error: Mutex<Option<String>>,
    /// Kept here as well as in the handle, so a rebind keeps the pause.
    paused: AtomicBool,
    /// What the HTTP API (a front end, started beside the engine) reports about itself.
    api: Mutex<ApiState>,
    /// The fault rules in force: the config's at start and after `apply` changes them,
    /// or what a front end set since (`commands::set_rules`), for every listener.
    faults: Arc<Faults>,
    /// A damaged store kept aside at open (`OnDamage::StartFresh`), for the window to say.
    damage: Option<Damage>,
    /// Whether deliveries fail for want of space, shared with every listener (it outlives
    /// a rebind), for the status and the window's banner.
    storage: Arc<StorageState>,
}

/// The HTTP API's state as its front end reports it (`Engine::set_api_state`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ApiState {
    /// Not configured, or not started by this front end.
    #[default]
    Off,
    Serving(SocketAddr),
    Failed(String),
}

impl Engine {
    /// Opens the store and the bus; nothing listens yet (see `listen`). Fails, with a message
    /// naming the directory or setting, if the config is invalid or the store unusable.
    /// A damaged store is refused (`StoreError::Damaged`), as headless front ends want.
    pub fn open(config: &Config) -> Result<Engine, EngineError> {
        Engine::open_checked(config, OnDamage::Refuse)
    }

    /// `open`, with the front end's choice of what a damaged store means (see
    /// `Store::open_checked`); `damage()` then says where a kept-aside store went.
    pub fn open_checked(config: &Config, on_damage: OnDamage) -> Result<Engine, EngineError> {
        config.validate().map_err(ConfigError::Invalid)?;
        let data_dir = config.data_dir()?;
        let mut config = config.clone();
        config.data_dir = Some(data_dir.clone());
        let bus = EventBus::new();
        let (store, damage) =
            Store::open_checked(&data_dir, bus.clone(), config.store_options(), on_damage)?;
        store.set_tag_rules(compile_rules(&config))?;
        // `validate` has checked the rules, so this cannot fail.
        let faults = Faults::new(config.rule_set()).map_err(|errs| {
            ConfigError::Invalid(
                errs.into_iter()
                    .map(|message| FieldError {
                        field: "rules".into(),
                        message,
                    })
                    .collect(),
            )
        })?;
        let storage = Arc::new(StorageState::new(bus.clone()));
        Ok(Engine {
            faults: Arc::new(faults),
            store,
            bus,
            data_dir,
            config: Mutex::new(config),
            server: AsyncMutex::new(None),
            bound: Mutex::new(None),
            named: Mutex::new(Vec::new()),
            listen_error: Mutex::new(None),
            paused: AtomicBool::new(false),
            api: Mutex::new(ApiState::Off),
            damage,
            storage,
        })
    }

    /// The damaged store this engine kept aside when it opened a fresh one, if it did.
    pub fn damage(&self) -> Option<&Damage> {
        self.damage.as_ref()
    }

    /// Opens the store and starts listening; a port in use is an error.
    pub async fn start(config: &Config) -> Result<Engine, EngineError> {
        let engine = Engine::open(config)?;
        engine.listen().await?;
        Ok(engine)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The configuration in force.
    pub fn config(&self) -> Config {
        lock(&self.config).clone()
    }

    /// The SMTP and SMTPS addresses actually bound, while listening.
    pub fn bound_addrs(&self) -> Option<(SocketAddr, Option<SocketAddr>)> {
        *lock(&self.bound)
    }

    /// Each named listener's bound address, while listening.
    pub fn listener_addrs(&self) -> Vec<(String, SocketAddr)> {
        lock(&self.named).clone()
    }

    /// (Re)starts the listeners from the configuration in force. On failure the reason is
    /// kept for `status` and returned; the old listeners are stopped either way.
    pub async fn listen(&self) -> Result<(), EngineError> {
        // The slot's lock serialises every change of listeners and config (`apply` too), so
        // what listens is always what `config` says.
        let mut slot = self.server.lock().await;
        self.stop(&mut slot).await;
        let config = self.config();
        match self.bind(&config).await {
            Ok(bound) => {
                self.install(&mut slot, bound);
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "SMTP listener did not start");
                *lock(&self.listen_error) = Some(e.to_string());
                Err(e)
            }
        }
    }

    async fn bind(&self, config: &Config) -> Result<BoundServer, EngineError> {
        let opts = config.server_options()?;
        Ok(BoundServer::bind(
            opts,
            self.store.clone(),
            self.faults.clone(),
            self.storage.clone(),
        )
        .await?)
    }

    fn install(&self, slot: &mut Option<ServerHandle>, bound: BoundServer) {
        let handle = bound.start();
        handle.set_paused(self.paused.load(Ordering::SeqCst));
        *lock(&self.bound) = Some((handle.smtp_addr, handle.smtps_addr));
        *lock(&self.named) = handle.named_addrs.clone();
        *slot = Some(handle);
        *lock(&self.listen_error) = None;
    }

    async fn stop(&self, slot: &mut Option<ServerHandle>) {
        if let Some(running) = slot.take() {
            running.shutdown().await;
        }
        *lock(&self.bound) = None;
        lock(&self.named).clear();
    }

    /// Binds `new`'s listeners in place of the running ones. Where the addresses differ the
    /// new ones are bound before the old ones let go, so a taken port changes nothing; where
    /// they are the same the old ones must go first, and come back if the new ones fail.
    async fn rebind(
        &self,
        slot: &mut Option<ServerHandle>,
        old: &Config,
        new: &Config,
    ) -> Result<(), Vec<FieldError>> {
        let same_addrs = old.smtp_addr == new.smtp_addr && old.smtps_addr == new.smtps_addr;
        if !same_addrs {
            let bound = self.bind(new).await.map_err(|e| bind_errors(new, e))?;
            self.stop(slot).await;
            self.install(slot, bound);
            return Ok(());
        }
        self.stop(slot).await;
        match self.bind(new).await {
            Ok(bound) => {
                self.install(slot, bound);
                Ok(())
            }
            Err(e) => {
                let errors = bind_errors(new, e);
                match self.bind(old).await {
                    Ok(bound) => self.install(slot, bound),
                    Err(e) => {
                        tracing::warn!(error = %e, "the previous listeners did not come back");
                        *lock(&self.listen_error) = Some(e.to_string());
                    }
                }
                Err(errors)
            }
        }
    }

    /// Applies a new configuration: validates it, rebinds the listeners if they change,
    /// and sets retention and durability. On any error the previous configuration stays in
    /// force (listeners included) and the errors are per field. The data dir cannot change
    /// while running and is kept.
    pub async fn apply(&self, new: Config) -> Result<Config, Vec<FieldError>> {
        let mut new = new.normalized();
        new.data_dir = Some(self.data_dir.clone());
        new.validate()?;
        let mut slot = self.server.lock().await;
        let old = self.config();
        let listeners_differ = Config {
            retention: old.retention,
            retention_age: old.retention_age.clone(),
            durability: old.durability,
            tag_rules: old.tag_rules.clone(),
            // The API is a front end's listener, restarted by that front end.
            http_addr: old.http_addr.clone(),
            api_token: old.api_token.clone(),
            cors_origins: old.cors_origins.clone(),
            // Rules change in place, for sessions already open too.
            rules: old.rules.clone(),
            fail_fast: old.fail_fast,
            // Read by each release as it starts.
            release: old.release.clone(),
            ..new.clone()
        } != old;
        let rebound = listeners_differ || lock(&self.listen_error).is_some();
        if rebound {
            self.rebind(&mut slot, &old, &new).await?;
        }
        if let Err(errors) = self.apply_store_settings(&old, &new).await {
            // Put back what already changed, so nothing is half-applied.
            let _ = self.apply_store_settings(&new, &old).await;
            if rebound {
                if let Err(e) = self.rebind(&mut slot, &new, &old).await {
                    tracing::warn!(?e, "could not restore the previous listeners");
                }
            }
            return Err(errors);
        }
        if old.rule_set() != new.rule_set() {
            // Checked by `validate` above.
            let _ = self.faults.set(new.rule_set());
        }
        *lock(&self.config) = new.clone();
        Ok(new)
    }

    /// The fault rules every listener's sessions ask.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    async fn apply_store_settings(
        &self,
        old: &Config,
        new: &Config,
    ) -> Result<(), Vec<FieldError>> {
        let error = |field: &str, e: StoreError| {
            vec![FieldError {
                field: field.into(),
                message: e.to_string(),
            }]
        };
        if old.retention != new.retention || old.retention_age != new.retention_age {
            let age = new.retention_age().ok().flatten();
            self.store
                .set_retention(new.retention, age)
                .map_err(|e| error("retention", e))?;
        }
        if old.tag_rules != new.tag_rules {
            self.store
                .set_tag_rules(compile_rules(new))
                .map_err(|e| error("tag_rules", e))?;
        }
        if old.durability != new.durability {
            self.store
                .set_durability(new.durability)
                .await
                .map_err(|e| error("durability", e))?;
        }
        Ok(())
    }

    /// While paused, new connections get `421 4.3.2` and nothing is captured.
    pub async fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
        if let Some(server) = self.server.lock().await.as_ref() {
            server.set_paused(paused);
        }
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// The API server reports whether it serves, and where: the status bar and `info` show it.
    pub fn set_api_state(&self, state: ApiState) {
        *lock(&self.api) = state;
    }

    pub fn api_state(&self) -> ApiState {
        lock(&self.api).clone()
    }

    pub async fn status(&self) -> ServerStatus {
        let named = self.listener_addrs();
        let listeners = if named.is_empty() {
            self.config()
                .listeners
                .into_iter()
                .map(|l| ListenerAddr {
                    name: l.name,
                    addr: l.smtp,
                })
                .collect()
        } else {
            named
                .into_iter()
                .map(|(name, addr)| ListenerAddr {
                    name,
                    addr: addr.to_string(),
                })
                .collect()
        };
        let (smtp_addr, smtps_addr, listening) = match self.bound_addrs() {
            Some((smtp, smtps)) => (smtp.to_string(), smtps.map(|a| a.to_string()), true),
            None => {
                let c = self.config();
                (c.smtp_addr, c.smtps_addr, false)
            }
        };
        let counts = match commands::counts(&self.store).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "could not count messages for the status");
                Default::default()
            }
        };
        ServerStatus {
            listening,
            paused: self.is_paused(),
            smtp_addr,
            smtps_addr,
            error: lock(&self.listen_error).clone(),
            total: counts.total,
            unread: counts.unread,
            data_dir: self.data_dir.display().to_string(),
            listeners,
            api_url: match self.api_state() {
                ApiState::Serving(addr) => Some(format!("http://{addr}")),
                _ => None,
            },
            api_error: match self.api_state() {
                ApiState::Failed(e) => Some(e),
                _ => None,
            },
            damaged_store: self.damage.as_ref().map(|d| d.kept.display().to_string()),
            storage_full: self.storage.full().is_some(),
            storage_error: self.storage.full(),
        }
    }

    /// Stops the listeners (open sessions are told `421`), then closes the store: what is
    /// queued is committed and the WAL is checkpointed into the database, before this
    /// returns, whatever tasks still hold a handle. Later writes fail; reads still work.
    pub async fn shutdown(&self) {
        if let Some(server) = self.server.lock().await.take() {
            server.shutdown().await;
        }
        *lock(&self.bound) = None;
        if let Err(e) = self.store.close().await {
            tracing::warn!(error = %e, "closing the store");
        }
    }
}

/// A poisoned lock only means another thread panicked mid-update of plain data; the data
/// is still the last value written, so carry on with it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Puts a bind failure next to the setting whose address failed.
fn bind_errors(config: &Config, e: EngineError) -> Vec<FieldError> {
    let field = match &e {
        EngineError::Config(ConfigError::Invalid(errors)) => return errors.clone(),
        EngineError::Server(ServerError::AddrInUse { addr } | ServerError::Bind { addr, .. }) => {
            let is_smtps = config
                .smtps_addr
                .as_deref()
                .and_then(|a| parse_addrs(a).ok())
                .is_some_and(|all| all.contains(addr));
            if is_smtps {
                "smtps_addr"
            } else {
                "smtp_addr"
            }
        }
        EngineError::Server(ServerError::Tls(_)) => "starttls",
        EngineError::Server(ServerError::NoAddress) => "smtp_addr",
        EngineError::Config(_) | EngineError::Store(_) => "smtp_addr",
    };
    vec![FieldError {
        field: field.into(),
        message: e.to_string(),
    }]
}

/// The config's tag rules as filters the writer runs over each indexed batch.
fn compile_rules(config: &Config) -> Vec<(Filter, String)> {
    let clock = Clock::system();
    config
        .tag_rules()
        .into_iter()
        .map(|(q, tag)| (Filter::new(&q, None, &clock), tag))
        .collect()
}
