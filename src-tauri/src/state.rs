//! The desktop app's state: the core `Engine` (store, bus, listeners, pause) and the
//! window's own settings. The engine's configuration lives in the engine only.

use std::sync::Mutex;

use pigeonhole_core::config::FieldError;
use pigeonhole_core::Engine;
use serde_json::Value;

use crate::settings::{DesktopSettings, UiSettings};

pub struct AppState {
    pub engine: Engine,
    /// The window's part of the settings; the engine's part is `engine.config()`.
    ui: Mutex<UiSettings>,
}

impl AppState {
    pub fn new(engine: Engine, ui: UiSettings) -> AppState {
        AppState {
            engine,
            ui: Mutex::new(ui),
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
    /// what changed, and only then is the file written. On any error nothing changes: a
    /// failed save puts the engine back as it was.
    pub async fn apply_settings(&self, form: Value) -> Result<DesktopSettings, Vec<FieldError>> {
        let current = self.settings();
        let new = DesktopSettings::from_form(&current, form)?;
        let engine = self.engine.apply(new.engine).await?;
        let applied = DesktopSettings { engine, ui: new.ui };
        if let Err(e) = applied.save(self.engine.data_dir()) {
            if let Err(errs) = self.engine.apply(current.engine).await {
                tracing::error!(?errs, "could not restore the previous settings");
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
}
