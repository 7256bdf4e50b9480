//! `settings.json` in the data dir: what the window saved, `{ "engine": Config, "ui": {..} }`.
//! The headless server reads the `engine` half too, so both front ends run one configuration.
//! The `ui` half belongs to the window; core keeps it as it found it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Config, ConfigError, FieldError};

/// The file's name inside the data dir.
pub use crate::private::SETTINGS_FILE;

/// Keys of the window's own settings in the flat file older versions wrote.
const FLAT_UI_KEYS: &[&str] = &["notifications", "theme"];

/// The saved settings: the engine's `Config` and the window's own part, untouched by core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SavedSettings {
    pub engine: Config,
    #[serde(default)]
    pub ui: Map<String, Value>,
}

/// The settings file of `dir`.
pub fn settings_path(dir: &Path) -> PathBuf {
    dir.join(SETTINGS_FILE)
}

impl SavedSettings {
    /// Reads `dir/settings.json`: `Ok(None)` when there is none. A flat file written before
    /// the split (`{"smtp_addr": .., "theme": ..}`) is migrated and written back once.
    /// A value core refuses is an error naming the file and the field.
    pub fn load(dir: &Path) -> Result<Option<SavedSettings>, ConfigError> {
        let Some((engine, ui, flat)) = read_parts(dir)? else {
            return Ok(None);
        };
        let path = settings_path(dir);
        let engine = Config::default()
            .with_fields(engine)
            .map_err(|errs| ConfigError::Parse {
                path: path.clone(),
                message: super::describe(&errs),
            })?;
        let saved = SavedSettings { engine, ui };
        if flat {
            saved.migrated(dir);
        }
        Ok(Some(saved))
    }

    /// Like `load`, but a value core refuses falls back to its default instead of failing,
    /// and is returned beside the settings, for a front end that must start anyway (the
    /// window) and can say what it ignored. The file is left as it was.
    pub fn load_lenient(dir: &Path) -> Result<(SavedSettings, Vec<FieldError>), ConfigError> {
        let Some((engine, ui, flat)) = read_parts(dir)? else {
            return Ok((SavedSettings::default(), Vec::new()));
        };
        let (engine, ignored) = Config::default().with_fields_lenient(engine);
        let saved = SavedSettings { engine, ui };
        if flat && ignored.is_empty() {
            saved.migrated(dir);
        }
        Ok((saved, ignored))
    }

    fn migrated(&self, dir: &Path) {
        let path = settings_path(dir);
        match self.save(dir) {
            Ok(_) => {
                tracing::info!(path = %path.display(), "migrated settings to the engine/ui layout")
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "could not write the migrated settings")
            }
        }
    }

    /// Writes atomically (temp file + rename), so a crash never leaves half a file. The data
    /// dir is not saved: the file always belongs to the directory it is in.
    pub fn save(&self, dir: &Path) -> Result<PathBuf, ConfigError> {
        let path = settings_path(dir);
        let tmp = dir.join(format!("{SETTINGS_FILE}.tmp"));
        let mut copy = self.clone();
        copy.engine.data_dir = None;
        let bytes = serde_json::to_vec_pretty(&copy).map_err(|e| ConfigError::Parse {
            path: path.clone(),
            message: e.to_string(),
        })?;
        crate::private::write_file(&tmp, &bytes).map_err(|e| ConfigError::Write {
            path: tmp.clone(),
            source: e,
        })?;
        std::fs::rename(&tmp, &path).map_err(|e| ConfigError::Write {
            path: path.clone(),
            source: e,
        })?;
        Ok(path)
    }
}

/// Removes and returns the object under `key` of settings in the `{engine, ui}` layout (a
/// missing part is empty), for the file here and for a settings form a front end receives.
/// A part that is not an object is refused with its key as the field.
pub fn take_part(
    map: &mut Map<String, Value>,
    key: &str,
) -> Result<Map<String, Value>, FieldError> {
    match map.remove(key) {
        Some(Value::Object(m)) => Ok(m),
        None => Ok(Map::new()),
        Some(_) => Err(FieldError {
            field: key.into(),
            message: "must be an object".into(),
        }),
    }
}

/// The file's engine fields, ui fields, and whether it was the old flat layout; `None`
/// when there is no file.
type Parts = (Map<String, Value>, Map<String, Value>, bool);

fn read_parts(dir: &Path) -> Result<Option<Parts>, ConfigError> {
    let path = settings_path(dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ConfigError::Read { path, source: e }),
    };
    let parse_error = |message: String| ConfigError::Parse {
        path: path.clone(),
        message,
    };
    let value: Value = serde_json::from_str(&text).map_err(|e| parse_error(e.to_string()))?;
    let Value::Object(mut map) = value else {
        return Err(parse_error("expected a JSON object".into()));
    };
    // The flat layout had neither part; a file with only one of them is the new layout.
    let flat = !map.contains_key("engine") && !map.contains_key("ui");
    if flat {
        let ui: Map<String, Value> = FLAT_UI_KEYS
            .iter()
            .filter_map(|k| map.remove(*k).map(|v| (k.to_string(), v)))
            .collect();
        return Ok(Some((map, ui, true)));
    }
    let part = |map: &mut Map<String, Value>, key: &str| {
        take_part(map, key).map_err(|e| parse_error(super::describe(&[e])))
    };
    let engine = part(&mut map, "engine")?;
    let ui = part(&mut map, "ui")?;
    Ok(Some((engine, ui, false)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn saved_settings_are_readable_only_by_their_owner() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = SavedSettings::default().save(dir.path()).expect("saves");
        assert_eq!(
            crate::private::mode(&path).expect("mode"),
            0o600,
            "settings.json (it may hold passwords) must be 0600"
        );
    }

    #[test]
    fn a_flat_settings_file_is_migrated_once_on_load() {
        let dir = tempfile::tempdir().expect("temp dir");
        let flat = r#"{"smtp_addr":"127.0.0.1:2525","smtps_addr":null,"starttls":false,
            "auth_mode":"any","auth_users":[],"max_message_size":2048,"max_recipients":7,
            "max_line_length":1000,"idle_timeout_secs":30,"max_connections":9,"retention":5,
            "notifications":false,"theme":"dark","show_passwords":true}"#;
        std::fs::write(settings_path(dir.path()), flat).expect("write flat file");
        let saved = SavedSettings::load(dir.path())
            .expect("flat file loads")
            .expect("a file is there");
        assert_eq!(
            saved.engine.smtp_addr, "127.0.0.1:2525",
            "engine fields kept"
        );
        assert_eq!(saved.engine.max_recipients, 7);
        assert!(!saved.engine.starttls && saved.engine.show_passwords);
        assert_eq!(saved.engine.retention, 5);
        assert_eq!(
            saved.engine.hostname,
            Config::default().hostname,
            "fields the flat file lacked take core's defaults"
        );
        assert_eq!(
            saved.ui.get("theme"),
            Some(&Value::from("dark")),
            "ui fields move to ui"
        );
        assert_eq!(saved.ui.get("notifications"), Some(&Value::from(false)));
        let rewritten: Value = serde_json::from_str(
            &std::fs::read_to_string(settings_path(dir.path())).expect("file still there"),
        )
        .expect("valid JSON");
        assert_eq!(
            rewritten["engine"]["smtp_addr"], "127.0.0.1:2525",
            "the file is rewritten in the new layout"
        );
        assert_eq!(rewritten["ui"]["theme"], "dark");
        assert!(rewritten.get("smtp_addr").is_none(), "no flat keys remain");
        let again = SavedSettings::load(dir.path())
            .expect("loads")
            .expect("there");
        assert_eq!(
            again, saved,
            "loading the migrated file gives the same settings"
        );
    }

    #[test]
    fn a_bad_value_in_the_file_names_the_file_and_the_field() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            settings_path(dir.path()),
            r#"{"engine":{"max_line_length":78},"ui":{}}"#,
        )
        .expect("write");
        let err = SavedSettings::load(dir.path()).expect_err("78 is below the RFC minimum");
        let text = err.to_string();
        assert!(
            text.contains("settings.json") && text.contains("max_line_length"),
            "the error names file and field: {text}"
        );
    }

    #[test]
    fn lenient_loading_keeps_the_good_values_and_names_the_bad_ones() {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = r#"{"engine":{"max_line_length":78,"hostname":"kept.test","colour":1},"ui":{"theme":"dark"}}"#;
        std::fs::write(settings_path(dir.path()), text).expect("write");
        let (saved, ignored) = SavedSettings::load_lenient(dir.path()).expect("loads anyway");
        assert_eq!(saved.engine.hostname, "kept.test", "good values are kept");
        assert_eq!(
            saved.engine.max_line_length,
            Config::default().max_line_length,
            "a refused value falls back to its default"
        );
        let fields: Vec<&str> = ignored.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["colour", "max_line_length"], "{ignored:?}");
        assert_eq!(
            std::fs::read_to_string(settings_path(dir.path())).expect("file"),
            text,
            "the file is left as the person wrote it"
        );
    }

    #[test]
    fn a_file_with_only_a_ui_part_is_not_mistaken_for_the_flat_layout() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(settings_path(dir.path()), r#"{"ui":{"theme":"dark"}}"#).expect("write");
        let saved = SavedSettings::load(dir.path())
            .expect("loads")
            .expect("there");
        assert_eq!(saved.ui.get("theme"), Some(&Value::from("dark")));
        assert_eq!(saved.engine, Config::default());
    }

    #[test]
    fn no_file_is_not_an_error_and_save_round_trips() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(
            SavedSettings::load(dir.path()).expect("no file is fine"),
            None
        );
        let mut s = SavedSettings::default();
        s.engine.hostname = "mail.test".into();
        s.engine.data_dir = Some(dir.path().to_path_buf());
        s.ui.insert("theme".into(), Value::from("light"));
        s.save(dir.path()).expect("saves");
        let back = SavedSettings::load(dir.path())
            .expect("loads")
            .expect("there");
        assert_eq!(back.engine.hostname, "mail.test");
        assert_eq!(back.engine.data_dir, None, "the data dir is never saved");
        assert_eq!(back.ui, s.ui, "the window's part comes back as it was");
    }
}
