//! The window's settings: `{ engine: Config, ui: UiSettings }`, saved as `settings.json` in
//! the data dir by core (`config::SavedSettings`), so `pigeonhole serve` on the same data
//! dir runs the engine the window configured. Only `UiSettings` is the window's own; its
//! defaults live here and nowhere else, and the engine's live in core.

use std::path::Path;

use pigeonhole_core::config::{
    merge_fields, settings_path, take_part, Config, ConfigError, FieldError, SavedSettings,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// What only the window cares about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(default, deny_unknown_fields)]
pub struct UiSettings {
    /// A desktop notification per arrival.
    pub notifications: bool,
    pub theme: Theme,
}

impl Default for UiSettings {
    fn default() -> Self {
        UiSettings {
            notifications: true,
            theme: Theme::System,
        }
    }
}

/// What the window saves: the engine's Config plus what only the window cares about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DesktopSettings {
    pub engine: Config,
    pub ui: UiSettings,
}

impl DesktopSettings {
    /// The saved settings of `dir` (migrating an old flat file), or the defaults. The data
    /// dir is always `dir`. The window must start even on a file core refuses (a hand edit, a
    /// newer version's key): a refused value falls back to its default, is logged, and the
    /// file is left alone until the person saves.
    pub fn load(dir: &Path) -> Result<DesktopSettings, ConfigError> {
        let (saved, ignored) = SavedSettings::load_lenient(dir)?;
        let (ui, ui_ignored) = merge_fields(&UiSettings::default(), saved.ui);
        for e in ignored.iter().chain(&ui_ignored) {
            tracing::warn!(
                file = %settings_path(dir).display(),
                field = %e.field,
                message = %e.message,
                "ignoring a saved setting; its default is used"
            );
        }
        let mut engine = saved.engine;
        engine.data_dir = Some(dir.to_path_buf());
        Ok(DesktopSettings { engine, ui })
    }

    pub fn save(&self, dir: &Path) -> Result<(), ConfigError> {
        let ui = match serde_json::to_value(&self.ui) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        SavedSettings {
            engine: self.engine.clone(),
            ui,
        }
        .save(dir)?;
        Ok(())
    }

    /// Reads settings the window sent, laid over `current`, reporting every field core or
    /// the window refuses (wrong type, out of bounds, unknown) by its name. Nothing here
    /// checks a bound: `Config::with_fields` does.
    pub fn from_form(
        current: &DesktopSettings,
        form: Value,
    ) -> Result<DesktopSettings, Vec<FieldError>> {
        let mut form = match form {
            Value::Object(m) => m,
            _ => return Err(vec![field("engine", "settings must be an object")]),
        };
        let engine_fields = take_part(&mut form, "engine").map_err(|e| vec![e])?;
        let ui_fields = take_part(&mut form, "ui").map_err(|e| vec![e])?;
        let mut errs: Vec<FieldError> = form
            .keys()
            .map(|k| field(k, "is not a setting Pigeonhole knows"))
            .collect();
        let engine = current
            .engine
            .clone()
            .with_fields(engine_fields)
            .map_err(|e| errs.extend(e))
            .ok();
        let (ui, ui_errs) = merge_fields(&current.ui, ui_fields);
        errs.extend(ui_errs);
        match engine {
            Some(engine) if errs.is_empty() => Ok(DesktopSettings { engine, ui }),
            _ => Err(errs),
        }
    }
}

fn field(name: &str, message: &str) -> FieldError {
    FieldError {
        field: name.into(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_saves_engine_and_ui_apart_and_loads_them_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut s = DesktopSettings::load(dir.path()).expect("defaults without a file");
        assert_eq!(
            s.engine,
            Config {
                data_dir: Some(dir.path().to_path_buf()),
                ..Config::default()
            },
            "the engine's defaults are core's"
        );
        s.engine.hostname = "mail.test".into();
        s.ui.theme = Theme::Dark;
        s.save(dir.path()).expect("saves");
        let text = std::fs::read_to_string(dir.path().join("settings.json")).expect("file");
        let json: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(
            json["engine"]["hostname"], "mail.test",
            "engine half: {text}"
        );
        assert_eq!(json["ui"]["theme"], "dark", "ui half: {text}");
        assert_eq!(DesktopSettings::load(dir.path()).expect("loads"), s);
    }

    #[test]
    fn the_window_starts_on_a_file_core_refuses_and_keeps_the_good_values() {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = r#"{"engine":{"max_line_length":78,"hostname":"kept.test"},"ui":{"theme":"dark","zoom":2}}"#;
        std::fs::write(dir.path().join("settings.json"), text).expect("write");
        let s = DesktopSettings::load(dir.path()).expect("loads anyway");
        assert_eq!(s.engine.hostname, "kept.test");
        assert_eq!(s.engine.max_line_length, Config::default().max_line_length);
        assert_eq!(s.ui.theme, Theme::Dark, "good window settings are kept too");
    }

    #[test]
    fn a_form_reports_core_errors_and_window_errors_per_field() {
        let current = DesktopSettings {
            engine: Config::default(),
            ui: UiSettings::default(),
        };
        let form = serde_json::json!({
            "engine": { "max_line_length": 78, "max_recipients": null },
            "ui": { "theme": "purple" },
        });
        let errs = DesktopSettings::from_form(&current, form).expect_err("three bad fields");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in ["max_line_length", "max_recipients", "theme"] {
            assert!(fields.contains(&f), "{f} is reported: {errs:?}");
        }
        let ok = DesktopSettings::from_form(
            &current,
            serde_json::json!({ "engine": { "hostname": " mail.test " }, "ui": { "notifications": false } }),
        )
        .expect("valid form");
        assert_eq!(ok.engine.hostname, "mail.test", "core normalises");
        assert!(!ok.ui.notifications);
        assert_eq!(
            ok.engine.max_recipients,
            Config::default().max_recipients,
            "the rest is kept"
        );
    }
}
