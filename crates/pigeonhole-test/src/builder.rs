//! `Builder`: the few settings a test changes; everything else is `Config`'s default.

use std::time::Duration;

use pigeonhole_core::config::{AuthMode, AuthUser};
use pigeonhole_core::Config;

use crate::error::{Error, Result};
use crate::runner::Runner;
use crate::server::TestServer;

/// How long `wait_for` waits unless the builder says otherwise.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// Settings for a `TestServer`. By default: SMTP and the API on `127.0.0.1:0`, no STARTTLS,
/// any AUTH credentials accepted, no API token, `wait_for` waits 10 s.
#[derive(Debug, Clone)]
pub struct Builder {
    config: Config,
    /// Whether the HTTP API runs; applied at start, after `config`, so it always holds.
    api: bool,
    wait_timeout: Duration,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            config: Config {
                smtp_addr: "127.0.0.1:0".into(),
                http_addr: "127.0.0.1:0".into(),
                starttls: false,
                ..Config::default()
            },
            api: true,
            wait_timeout: DEFAULT_WAIT,
        }
    }
}

impl Builder {
    /// Offers STARTTLS (with a self-signed certificate made in the temp dir).
    pub fn starttls(mut self, on: bool) -> Self {
        self.config.starttls = on;
        self
    }

    /// Accepts AUTH only from these users (username, password); without this any
    /// credentials are accepted.
    pub fn auth_users<U, P>(mut self, users: impl IntoIterator<Item = (U, P)>) -> Self
    where
        U: Into<String>,
        P: Into<String>,
    {
        self.config.auth_mode = AuthMode::Users;
        self.config.auth_users = users
            .into_iter()
            .map(|(u, p)| AuthUser {
                username: u.into(),
                password: p.into(),
            })
            .collect();
        self
    }

    /// Runs the HTTP API (the default) or not.
    pub fn api(mut self, on: bool) -> Self {
        self.api = on;
        self
    }

    /// How long `wait_for` and `transcript` wait.
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = timeout;
        self
    }

    /// Any other setting (an API token, size limits, tag rules, named listeners). The data
    /// directory is always the server's own temporary one.
    pub fn config(mut self, change: impl FnOnce(&mut Config)) -> Self {
        change(&mut self.config);
        self
    }

    /// Creates the temporary store and starts SMTP (and the API) on their own thread.
    pub async fn start(self) -> Result<TestServer> {
        let dir = tempfile::Builder::new()
            .prefix("pigeonhole-test-")
            .tempdir()
            .map_err(Error::TempDir)?;
        let mut config = self.config;
        config.data_dir = Some(dir.path().to_path_buf());
        if !self.api {
            config.http_addr = String::new();
        }
        let (runner, started) = Runner::start(config).await?;
        Ok(TestServer::new(runner, started, dir, self.wait_timeout))
    }
}
