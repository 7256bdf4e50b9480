//! Desktop settings: the core `Config` plus what only the window cares about, saved as
//! JSON beside the store.

use std::path::{Path, PathBuf};

use pigeonhole_core::config::{AuthMode, AuthUser, Config, FieldError};
use serde::{Deserialize, Serialize};

pub const FILE: &str = "settings.json";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// The wire shape of `Settings` in ui/src/lib/types.ts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub smtp_addr: String,
    pub smtps_addr: Option<String>,
    pub starttls: bool,
    pub auth_mode: AuthMode,
    pub auth_users: Vec<AuthUser>,
    pub max_message_size: usize,
    pub max_recipients: usize,
    pub max_line_length: usize,
    pub idle_timeout_secs: u64,
    pub max_connections: usize,
    pub retention: u64,
    pub notifications: bool,
    pub theme: Theme,
    pub show_passwords: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::from_config(&Config::default())
    }
}

impl Settings {
    fn from_config(c: &Config) -> Settings {
        Settings {
            smtp_addr: c.smtp_addr.clone(),
            smtps_addr: c.smtps_addr.clone(),
            starttls: c.starttls,
            auth_mode: c.auth_mode,
            auth_users: c.auth_users.clone(),
            max_message_size: c.max_message_size,
            max_recipients: c.max_recipients,
            max_line_length: c.max_line_length,
            idle_timeout_secs: c.idle_timeout_secs,
            max_connections: c.max_connections,
            retention: c.retention,
            notifications: true,
            theme: Theme::System,
            show_passwords: c.show_passwords,
        }
    }

    /// The engine configuration these settings describe.
    pub fn to_config(&self, data_dir: &Path) -> Config {
        Config {
            data_dir: Some(data_dir.to_path_buf()),
            smtp_addr: self.smtp_addr.trim().to_string(),
            smtps_addr: self
                .smtps_addr
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            starttls: self.starttls,
            auth_mode: self.auth_mode,
            auth_users: self.auth_users.clone(),
            max_message_size: self.max_message_size,
            max_recipients: self.max_recipients,
            max_line_length: self.max_line_length,
            idle_timeout_secs: self.idle_timeout_secs,
            max_connections: self.max_connections,
            retention: self.retention,
            show_passwords: self.show_passwords,
            ..Config::default()
        }
    }

    pub fn validate(&self, data_dir: &Path) -> Result<(), Vec<FieldError>> {
        self.to_config(data_dir).validate()
    }

    /// Whether the listeners must be rebuilt to apply `other`.
    pub fn listener_differs(&self, other: &Settings, data_dir: &Path) -> bool {
        let (a, b) = (self.to_config(data_dir), other.to_config(data_dir));
        Config { retention: 0, ..a } != Config { retention: 0, ..b }
    }

    pub fn load(dir: &Path) -> Settings {
        let path = dir.join(FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::warn!(path = %path.display(), error = %e, "settings file unreadable; using defaults");
                Settings::default()
            }),
            Err(_) => Settings::default(),
        }
    }

    /// Writes atomically (temp file + rename), so a crash never leaves half a file.
    pub fn save(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let path = dir.join(FILE);
        let tmp = dir.join(format!("{FILE}.tmp"));
        std::fs::write(
            &tmp,
            serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_through_json() {
        let s = Settings::default();
        let json = serde_json::to_string(&s).expect("serialises");
        assert_eq!(
            serde_json::from_str::<Settings>(&json).expect("parses"),
            s,
            "settings survive a save/load"
        );
        assert!(
            json.contains("\"smtp_addr\":\"127.0.0.1:1025\""),
            "wire names match the UI: {json}"
        );
    }

    #[test]
    fn retention_alone_does_not_restart_listeners() {
        let dir = Path::new("/tmp");
        let a = Settings::default();
        let b = Settings {
            retention: 10,
            notifications: false,
            ..a.clone()
        };
        assert!(
            !a.listener_differs(&b, dir),
            "retention and notifications apply without rebinding"
        );
        let c = Settings {
            smtp_addr: "127.0.0.1:2025".into(),
            ..a.clone()
        };
        assert!(
            a.listener_differs(&c, dir),
            "a new port needs new listeners"
        );
    }
}
