//! The desktop app's state: the core `Engine` (store, bus, listeners, pause), the HTTP API
//! served beside it, and the window's own settings. The engine's configuration lives in
//! the engine only.

use std::sync::{Arc, Mutex};

use pigeonhole_core::commands::{self, CommandError, RulesView};
use pigeonhole_core::config::{Config, FieldError};
use pigeonhole_core::Engine;
use serde_json::{json, Value};

use crate::api::HttpApi;
use crate::settings::{DesktopSettings, UiSettings};

pub struct AppState {
    pub engine: Arc<Engine>,
    /// The HTTP API; it reports where it serves (or why not) through `engine.status()`.
    pub api: HttpApi,
    /// The window's part of the settings; the engine's part is `engine.config()`.
    ui: Mutex<UiSettings>,
    /// Held through a save, so two saves never interleave their rebinds and rollbacks.
    saving: tokio::sync::Mutex<()>,
}

impl AppState {
    pub fn new(engine: Engine, ui: UiSettings) -> AppState {
        let engine = Arc::new(engine);
        AppState {
            api: HttpApi::new(engine.clone()),
            engine,
            ui: Mutex::new(ui),
            saving: tokio::sync::Mutex::new(()),
        }
    }

    fn ui(&self) -> UiSettings {
        self.ui.lock().map(|u| u.clone()).unwrap_or_default()
    }

    pub fn settings(&self) -> DesktopSettings {
        DesktopSettings {
            engine: self.engine.config(),
            ui: self.ui(),
        }
    }

    pub fn notifications_enabled(&self) -> bool {
        self.ui().notifications
    }

    /// Applies settings sent by the form: core validates every field, the engine rebinds
    /// what changed, the API restarts if its settings changed, and only then is the file
    /// written. On any error nothing changes: a failed save puts the engine and the API
    /// back as they were.
    pub async fn apply_settings(&self, form: Value) -> Result<DesktopSettings, Vec<FieldError>> {
        let _one_save_at_a_time = self.saving.lock().await;
        self.apply_settings_locked(form).await
    }

    /// Replaces the fault rules from the Faults view (`{"fail_fast": bool, "rules": [...]}`):
    /// core checks them and puts them in force at once, then they are saved as the engine
    /// config's `rules` and `fail_fast` through the same path as a settings save, so there
    /// is one copy of the settings and the rules survive a restart. Rejects with one
    /// sentence per problem, each naming the rule and the field; if saving fails the
    /// previous rules are put back in force.
    pub async fn save_rules(&self, body: Value) -> Result<RulesView, Vec<String>> {
        let _one_save_at_a_time = self.saving.lock().await;
        let faults = self.engine.faults();
        let previous = faults.get();
        commands::set_rules_json(faults, &body).map_err(|e| match e {
            CommandError::BadRules(problems) => problems,
            other => vec![other.to_string()],
        })?;
        let set = faults.get();
        let form = json!({ "engine": { "rules": set.rules, "fail_fast": set.fail_fast } });
        if let Err(errs) = self.apply_settings_locked(form).await {
            if let Err(e) = faults.set(previous) {
                tracing::error!(?e, "could not put the previous fault rules back");
            }
            return Err(errs
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect());
        }
        Ok(commands::rules(faults))
    }

    async fn apply_settings_locked(&self, form: Value) -> Result<DesktopSettings, Vec<FieldError>> {
        let current = self.settings();
        let new = DesktopSettings::from_form(&current, form)?;
        let engine = self.engine.apply(new.engine).await?;
        if let Err(errs) = self.api.apply(&current.engine, &engine).await {
            self.restore_engine(current.engine).await;
            self.api.restore().await;
            return Err(errs);
        }
        let applied = DesktopSettings {
            engine: engine.clone(),
            ui: new.ui,
        };
        if let Err(e) = applied.save(self.engine.data_dir()) {
            self.restore_engine(current.engine.clone()).await;
            if let Err(errs) = self.api.apply(&engine, &current.engine).await {
                tracing::error!(?errs, "could not restore the previous API settings");
            }
            return Err(vec![FieldError {
                field: "data_dir".into(),
                message: format!("could not save settings: {e}"),
            }]);
        }
        if let Ok(mut ui) = self.ui.lock() {
            *ui = applied.ui.clone();
        }
        Ok(applied)
    }

    async fn restore_engine(&self, previous: Config) {
        if let Err(errs) = self.engine.apply(previous).await {
            tracing::error!(?errs, "could not restore the previous settings");
        }
    }
}
