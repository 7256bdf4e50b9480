//! The HTTP API (`pigeonhole-api`) served beside the engine: started once the engine
//! listens, restarted when its settings change, stopped on exit. A port it cannot bind
//! (8025 taken by Mailpit) never stops the app: the engine's status carries the reason to
//! the status bar and to the Settings field.

use std::net::SocketAddr;
use std::sync::Arc;

use pigeonhole_api::{ApiServer, StartError};
use pigeonhole_core::config::{Config, ConfigError, FieldError};
use pigeonhole_core::engine::ApiState;
use pigeonhole_core::Engine;
use tokio::sync::Mutex;

pub struct HttpApi {
    engine: Arc<Engine>,
    /// The running server; `None` while the API is off or failed to bind. Its lock also
    /// orders restarts, so what serves is always what one config says.
    running: Mutex<Option<ApiServer>>,
}

impl HttpApi {
    pub fn new(engine: Arc<Engine>) -> HttpApi {
        HttpApi {
            engine,
            running: Mutex::new(None),
        }
    }

    /// (Re)starts the API from the config in force; a failure is in the engine's status.
    pub async fn start(&self) {
        let mut running = self.running.lock().await;
        if let Some(old) = running.take() {
            old.shutdown().await;
        }
        *running = self.bind().await.ok().flatten();
    }

    /// Starts the API again if it failed to bind (the port may be free now).
    pub async fn retry(&self) {
        if self.failed() {
            self.start().await;
        }
    }

    /// Stops the API; its event streams are closed.
    pub async fn stop(&self) {
        if let Some(old) = self.running.lock().await.take() {
            old.shutdown().await;
        }
    }

    /// Puts a new engine config (already in force) into effect for the API: restarts it if
    /// its settings differ from `old`'s, or if it had failed to bind. When a new port is
    /// taken the running server is kept and the error is returned for `http_addr`; the
    /// caller then puts the engine's config back and calls `restore`. A retry that fails
    /// again is no error of the form: the status keeps saying why.
    pub async fn apply(&self, old: &Config, new: &Config) -> Result<(), Vec<FieldError>> {
        let changed = api_settings_differ(old, new);
        let mut running = self.running.lock().await;
        if !changed && !self.failed() {
            return Ok(());
        }
        let wanted = new.http_addrs().unwrap_or_default();
        if running
            .as_ref()
            .is_some_and(|r| shares_a_port(r.local_addrs(), &wanted))
        {
            // The same port: the old server must let go before the new one can bind.
            if let Some(prev) = running.take() {
                prev.shutdown().await;
            }
            return match self.bind().await {
                Ok(next) => {
                    *running = next;
                    Ok(())
                }
                Err(e) => Err(field_errors(&e)),
            };
        }
        // Elsewhere: bind the new one before the old one goes, so a taken port changes nothing.
        match self.bind().await {
            Ok(next) => {
                if let Some(prev) = running.take() {
                    prev.shutdown().await;
                }
                // Stopping the old server reported Off; say what serves now.
                self.engine.set_api_state(
                    next.as_ref()
                        .map_or(ApiState::Off, |s| ApiState::Serving(s.local_addr())),
                );
                *running = next;
                Ok(())
            }
            Err(e) => {
                if let Some(prev) = running.as_ref() {
                    self.engine
                        .set_api_state(ApiState::Serving(prev.local_addr()));
                }
                if changed {
                    Err(field_errors(&e))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// After a refused `apply` and the engine's config put back: serves the old settings
    /// again if the new attempt had already stopped them.
    pub async fn restore(&self) {
        let mut running = self.running.lock().await;
        if running.is_none() {
            *running = self.bind().await.ok().flatten();
        }
    }

    fn failed(&self) -> bool {
        matches!(self.engine.api_state(), ApiState::Failed(_))
    }

    /// Starts a server from the engine's config; on failure the status gets the desktop's
    /// wording (the API crate's names the CLI flag).
    async fn bind(&self) -> Result<Option<ApiServer>, StartError> {
        ApiServer::start(self.engine.clone())
            .await
            .inspect_err(|e| {
                let reason = failure(e);
                tracing::warn!(error = %reason, "HTTP API did not start");
                self.engine.set_api_state(ApiState::Failed(reason));
            })
    }
}

/// Whether the API must restart: its address, token or origins changed, or the message
/// size its body limit follows.
fn api_settings_differ(old: &Config, new: &Config) -> bool {
    old.http_addr != new.http_addr
        || old.api_token != new.api_token
        || old.cors_origins != new.cors_origins
        || old.max_message_size != new.max_message_size
}

/// Whether binding `wanted` would collide with what is bound: any port in common (0 asks
/// for a fresh one, which never collides).
fn shares_a_port(bound: &[SocketAddr], wanted: &[SocketAddr]) -> bool {
    wanted
        .iter()
        .any(|w| w.port() != 0 && bound.iter().any(|b| b.port() == w.port()))
}

/// Why the API did not start, in the window's words.
fn failure(e: &StartError) -> String {
    match e {
        StartError::AddrInUse { addr } => {
            format!("{addr} is already in use (is Mailpit or another Pigeonhole running?)")
        }
        e => e.to_string(),
    }
}

/// A start failure as the Settings form shows it: beside the address.
fn field_errors(e: &StartError) -> Vec<FieldError> {
    if let StartError::Config(ConfigError::Invalid(errors)) = e {
        return errors.clone();
    }
    vec![FieldError {
        field: "http_addr".into(),
        message: failure(e),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("a socket address")
    }

    #[test]
    fn a_new_port_is_bound_beside_the_old_and_the_same_port_only_after_it() {
        let bound = [addr("127.0.0.1:8025")];
        assert!(
            shares_a_port(&bound, &[addr("0.0.0.0:8025")]),
            "the same port on another address collides"
        );
        assert!(
            !shares_a_port(&bound, &[addr("127.0.0.1:8026")]),
            "another port does not"
        );
        assert!(
            !shares_a_port(&[addr("127.0.0.1:40001")], &[addr("127.0.0.1:0")]),
            "port 0 asks for a fresh port"
        );
    }

    #[test]
    fn only_the_apis_own_settings_restart_it() {
        let old = Config::default();
        assert!(!api_settings_differ(
            &old,
            &Config {
                hostname: "other.test".into(),
                ..old.clone()
            }
        ));
        for new in [
            Config {
                http_addr: "127.0.0.1:9025".into(),
                ..old.clone()
            },
            Config {
                api_token: "0123456789abcdef".into(),
                ..old.clone()
            },
            Config {
                cors_origins: vec!["http://localhost:3000".into()],
                ..old.clone()
            },
        ] {
            assert!(api_settings_differ(&old, &new), "{new:?} restarts the API");
        }
    }

    #[tokio::test]
    async fn a_taken_port_is_reported_beside_the_address_and_the_app_keeps_running() {
        let dir = tempfile::tempdir().expect("temp dir");
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port to take");
        let port = taken.local_addr().expect("addr").port();
        let config = Config {
            data_dir: Some(dir.path().to_path_buf()),
            smtp_addr: "127.0.0.1:0".into(),
            http_addr: "127.0.0.1:0".into(),
            ..Config::default()
        };
        let engine = Arc::new(Engine::open(&config).expect("engine"));
        let api = HttpApi::new(engine.clone());
        api.start().await;
        let first = match engine.api_state() {
            ApiState::Serving(a) => a,
            other => panic!("the API serves on a fresh port, not {other:?}"),
        };

        let new = engine
            .apply(Config {
                http_addr: format!("127.0.0.1:{port}"),
                ..engine.config()
            })
            .await
            .expect("core accepts the address");
        let errs = api
            .apply(&config, &new)
            .await
            .expect_err("the taken port is refused");
        assert_eq!(errs[0].field, "http_addr", "beside the address: {errs:?}");
        assert!(
            errs[0].message.contains("already in use"),
            "says why: {errs:?}"
        );
        assert_eq!(
            engine.api_state(),
            ApiState::Serving(first),
            "the old server still serves"
        );

        api.stop().await;
        assert_eq!(engine.api_state(), ApiState::Off, "stopped on exit");
        engine.shutdown().await;
    }
}
