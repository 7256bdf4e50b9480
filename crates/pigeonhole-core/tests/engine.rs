//! `Engine` as the window and the CLI use it: rebinding on a config change, refusing what
//! cannot be applied without changing anything, keeping a pause across a rebind.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use pigeonhole_core::config::Config;
use pigeonhole_core::model::Durability;
use pigeonhole_core::Engine;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The first reply the server sends on a new connection.
async fn greeting(addr: SocketAddr) -> String {
    tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut buf = [0u8; 256];
        let n = s.read(&mut buf).expect("read greeting");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    })
    .await
    .expect("join")
}

async fn engine(dir: &tempfile::TempDir) -> Engine {
    let config = Config {
        data_dir: Some(dir.path().to_path_buf()),
        smtp_addr: "127.0.0.1:0".into(),
        starttls: false,
        ..Config::default()
    };
    Engine::start(&config).await.expect("engine starts")
}

fn smtp(e: &Engine) -> SocketAddr {
    e.bound_addrs().expect("listening").0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_port_is_bound_and_the_old_one_let_go() {
    let dir = tempfile::tempdir().expect("temp dir");
    let e = engine(&dir).await;
    let old = smtp(&e);
    let port = free_port();
    let applied = e
        .apply(Config {
            smtp_addr: format!("127.0.0.1:{port}"),
            ..e.config()
        })
        .await
        .expect("a free port applies");
    assert_eq!(applied.smtp_addr, format!("127.0.0.1:{port}"));
    assert_eq!(smtp(&e).port(), port, "listening on the new port");
    assert!(
        greeting(smtp(&e)).await.starts_with("220 "),
        "the new port greets"
    );
    assert!(
        TcpStream::connect(old).is_err(),
        "the old port {old} no longer accepts"
    );
    let status = e.status().await;
    assert!(status.listening && status.error.is_none(), "{status:?}");
    assert_eq!(status.smtp_addr, format!("127.0.0.1:{port}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_port_is_refused_beside_its_field_and_nothing_changes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let e = engine(&dir).await;
    let before = e.config();
    let running = smtp(&e);
    let taken = TcpListener::bind("127.0.0.1:0").expect("occupy a port");
    let taken_addr = taken.local_addr().expect("addr");
    let errors = e
        .apply(Config {
            smtp_addr: taken_addr.to_string(),
            hostname: "new.test".into(),
            ..e.config()
        })
        .await
        .expect_err("the port is taken");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "smtp_addr");
    assert!(errors[0].message.contains("in use"), "{errors:?}");
    assert_eq!(e.config(), before, "the config in force is unchanged");
    assert_eq!(smtp(&e), running, "the running listener is untouched");
    assert!(
        greeting(running)
            .await
            .starts_with("220 pigeonhole.localhost "),
        "and still answers with the old host name"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_core_refuses_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let e = engine(&dir).await;
    let before = e.config();
    let errors = e
        .apply(Config {
            max_line_length: 78,
            retention: 5,
            ..e.config()
        })
        .await
        .expect_err("78 is below the RFC minimum");
    assert_eq!(errors[0].field, "max_line_length", "{errors:?}");
    assert_eq!(e.config(), before, "neither field was applied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebind_on_the_same_port_keeps_the_pause_and_applies_the_new_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let config = Config {
        data_dir: Some(dir.path().to_path_buf()),
        smtp_addr: format!("127.0.0.1:{port}"),
        starttls: false,
        ..Config::default()
    };
    let e = Engine::start(&config).await.expect("starts");
    e.apply(Config {
        hostname: "renamed.test".into(),
        ..e.config()
    })
    .await
    .expect("same port, new name");
    assert!(
        greeting(smtp(&e)).await.starts_with("220 renamed.test "),
        "the rebound listener uses the new name"
    );
    e.set_paused(true).await;
    e.apply(Config {
        hostname: "again.test".into(),
        ..e.config()
    })
    .await
    .expect("rebind while paused");
    assert!(
        greeting(smtp(&e)).await.starts_with("421 4.3.2"),
        "still paused after the rebind"
    );
    assert!(e.status().await.paused, "status says paused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durability_retention_and_api_settings_apply_without_a_rebind() {
    let dir = tempfile::tempdir().expect("temp dir");
    let e = engine(&dir).await;
    let running = smtp(&e);
    let applied = e
        .apply(Config {
            durability: Durability::PowerLoss,
            retention: 10,
            // The API is restarted by its front end; SMTP sessions must not get a 421.
            http_addr: "127.0.0.1:0".into(),
            api_token: "t".repeat(24),
            cors_origins: vec!["http://localhost:3000".into()],
            ..e.config()
        })
        .await
        .expect("applies");
    assert_eq!(applied.durability, Durability::PowerLoss);
    assert_eq!(e.config().retention, 10);
    assert_eq!(smtp(&e), running, "the listener was not restarted");
}

#[tokio::test]
async fn an_unusable_data_dir_is_named_in_the_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A directory where the lock file must go: creating the lock fails, as on a read-only dir.
    std::fs::create_dir(dir.path().join("pigeonhole.lock")).expect("mkdir");
    let config = Config {
        data_dir: Some(dir.path().to_path_buf()),
        smtp_addr: "127.0.0.1:0".into(),
        ..Config::default()
    };
    let err = match Engine::open(&config) {
        Ok(_) => panic!("the store cannot lock"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains(&dir.path().join("pigeonhole.lock").display().to_string()),
        "the error names the file: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localhost_listens_on_every_loopback_address_it_names() {
    let resolved: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs("localhost:0")
        .expect("localhost resolves")
        .collect();
    let has_v6 = resolved.iter().any(|a| a.is_ipv6()) && TcpListener::bind("[::1]:0").is_ok();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config {
        data_dir: Some(dir.path().to_path_buf()),
        smtp_addr: "localhost:0".into(),
        starttls: false,
        ..Config::default()
    };
    let e = Engine::start(&config).await.expect("starts");
    let port = smtp(&e).port();
    let v4: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    assert!(
        greeting(v4).await.starts_with("220 "),
        "127.0.0.1 answers on the chosen port"
    );
    if has_v6 {
        let v6: SocketAddr = format!("[::1]:{port}").parse().expect("addr");
        assert!(
            greeting(v6).await.starts_with("220 "),
            "::1 answers on the same port, since clients often try it first"
        );
    } else {
        eprintln!("this machine has no IPv6 loopback; only 127.0.0.1 was checked");
    }
}
