//! Pigeonhole's desktop shell. It runs the core engine in the background and shows it:
//!
//! - `state`: the core `Engine` and the window's own settings, shared by everything below.
//! - `api`: the HTTP API (Mailpit compatible) served beside the engine, on by default on
//!   loopback; restarted when its settings change, its failures shown, never fatal.
//! - `commands`: the IPC commands the UI calls (contract in ui/IPC.md), one-line adapters
//!   over core's `commands` and `Engine`; `error`: how they fail. `transfer`: import of
//!   files dropped on the window and export through a native dialog.
//! - `bridge`: core events -> window events, in batches; also drives `tray` and `notify`.
//! - `tray`: the tray icon and its menu.
//! - `notify`: desktop notifications.
//! - `settings`: `{ engine: Config, ui: UiSettings }`, saved in the data dir by core.
//!
//! Captured HTML never reaches this process's IPC: the UI renders it in a sandboxed iframe
//! with scripts off, and the capability file grants the window nothing but our commands and
//! event listening.

mod api;
mod args;
mod bridge;
#[cfg(test)]
mod command_names;
mod commands;
mod error;
mod notify;
mod settings;
mod state;
mod transfer;
mod tray;
#[cfg(test)]
mod ui_types;

use pigeonhole_core::Engine;
use tauri::{AppHandle, Emitter, Manager, RunEvent, WebviewUrl, WebviewWindowBuilder, WindowEvent};
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};

pub use crate::args::DesktopArgs;
use crate::settings::DesktopSettings;
use crate::state::AppState;

pub fn focus_main_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// Only the app itself may load in the window; anything else (a link that escaped the
/// message sandbox, a redirect) is refused here.
fn allowed_navigation(url: &tauri::Url) -> bool {
    match url.scheme() {
        "tauri" | "about" => true,
        "http" | "https" => {
            let host = url.host_str().unwrap_or("");
            host == "tauri.localhost"
                || (tauri::is_dev() && host == "localhost" && url.port() == Some(1420))
        }
        _ => false,
    }
}

fn fail(app: &AppHandle, message: String) -> ! {
    tracing::error!("{message}");
    app.dialog()
        .message(&message)
        .title("Pigeonhole cannot start")
        .kind(MessageDialogKind::Error)
        .blocking_show();
    std::process::exit(1);
}

/// A display that exists but cannot be opened makes GTK panic; say it in one line instead.
fn explain_gtk_failures() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info.to_string();
        if text
            .to_ascii_lowercase()
            .contains("failed to initialize gtk")
        {
            let display = std::env::var("DISPLAY").unwrap_or_default();
            eprintln!("pigeonhole-desktop: cannot open a window: GTK could not open display {display:?}; run `pigeonhole serve` for the headless server");
            std::process::exit(1);
        }
        default(info);
    }));
}

/// WebKit draws the window without accelerated compositing unless the person asks for it
/// (`WEBKIT_DISABLE_COMPOSITING_MODE=0`). Compositing has the web process set up OpenGL
/// (Mesa, and under Xvfb its LLVM software renderer): 211 of the 340 MiB PSS the app and its
/// WebKit processes held after launch, 114 without it (bench/weight.sh). A list, a reader
/// and a few panels draw fine on the CPU. Called before GTK starts or any thread exists.
fn lighten_webkit() {
    const VAR: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    if std::env::var_os(VAR).is_none() {
        std::env::set_var(VAR, "1");
    }
    return_freed_memory();
}

/// glibc raises its mmap threshold to the largest block freed so far (up to 32 MiB), so
/// after one large message its raw bytes, decoded parts and HTML come from the heap and
/// stay there once freed. A fixed threshold keeps every block of 1 MiB or more in its own
/// mapping, given back to the system when it is freed.
#[cfg(target_os = "linux")]
fn return_freed_memory() {
    // SAFETY: mallopt only sets allocator parameters; called before any other thread runs.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(target_os = "linux"))]
fn return_freed_memory() {}

/// The window shows one document at a time and never goes back: WebKit's page cache and
/// large memory cache only hold messages already closed (`CacheModel::DocumentViewer`).
#[cfg(target_os = "linux")]
fn small_webkit_caches(window: &tauri::WebviewWindow) {
    use webkit2gtk::{CacheModel, WebContextExt, WebViewExt};
    let set = window.with_webview(|w| {
        if let Some(context) = w.inner().context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
    });
    if let Err(e) = set {
        tracing::debug!(error = %e, "could not set WebKit's cache model");
    }
}

pub fn run(args: DesktopArgs) {
    lighten_webkit();
    explain_gtk_failures();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PIGEONHOLE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();

    let mut builder = tauri::Builder::default();
    // One app per store: a second launch on the default store focuses this window and exits.
    // An explicit --data-dir is a separate store (tests, several projects), so it may run
    // beside it; the store's own lock still stops two apps sharing one directory.
    let explicit_dir = args.data_dir.clone();
    if explicit_dir.is_none() {
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            focus_main_window(app)
        }));
    }
    builder
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .invoke_handler(tauri::generate_handler![
            commands::list_messages,
            commands::check_query,
            commands::count_messages,
            commands::list_inboxes,
            commands::get_message,
            commands::get_message_html,
            commands::get_lint,
            commands::get_raw,
            commands::check_html,
            commands::list_links,
            commands::check_links,
            commands::release_message,
            commands::mark_read,
            commands::mark_all_read,
            commands::tag_messages,
            commands::pin_messages,
            commands::delete_messages,
            commands::clear_all,
            commands::list_sessions,
            commands::get_transcript,
            commands::save_message,
            commands::save_attachment,
            commands::open_attachment,
            commands::open_link,
            commands::get_settings,
            commands::save_settings,
            commands::get_rules,
            commands::set_rules,
            commands::clear_rules,
            commands::reset_rule_counters,
            commands::server_status,
            commands::set_paused,
            commands::retry_listen,
            transfer::import_paths,
            transfer::export_messages,
        ])
        .setup(move |app| {
            let handle = app.handle().clone();
            let dir = match pigeonhole_core::config::resolve_data_dir(explicit_dir.clone()) {
                Ok(d) => d,
                Err(e) => fail(&handle, e.to_string()),
            };
            let settings = match DesktopSettings::load(&dir) {
                Ok(s) => s,
                Err(e) => fail(&handle, format!("Could not read the settings: {e}")),
            };
            // A damaged store is kept aside and a fresh one opened, so the window starts;
            // the status carries where the damaged copy went, and a banner says so.
            let engine = match Engine::open_checked(
                &settings.engine,
                pigeonhole_core::store::OnDamage::StartFresh,
            ) {
                Ok(e) => e,
                Err(e) => fail(&handle, format!("Could not open the mail store: {e}")),
            };
            tracing::info!(data_dir = %dir.display(), "store open");
            app.manage(AppState::new(engine, settings.ui));

            WebviewWindowBuilder::new(app, "main", WebviewUrl::default())
                .title("Pigeonhole")
                .inner_size(1280.0, 820.0)
                .min_inner_size(860.0, 520.0)
                .on_navigation({
                    let handle = handle.clone();
                    move |url| {
                        let ok = allowed_navigation(url);
                        if !ok && matches!(url.scheme(), "http" | "https" | "mailto") {
                            // A link followed in the mail frame: never loaded here; the
                            // window opens it in the browser if the person clicked it.
                            let _ = handle.emit(bridge::names::LINK_CLICKED, url.as_str());
                        } else if !ok {
                            tracing::warn!(%url, "blocked a navigation away from the app");
                        }
                        ok
                    }
                })
                .build()?;
            #[cfg(target_os = "linux")]
            if let Some(window) = app.get_webview_window("main") {
                small_webkit_caches(&window);
            }

            let tray_ok = match tray::build(&handle) {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(error = %e, "no tray icon (no status notifier host?)");
                    false
                }
            };
            app.manage(TrayPresent(tray_ok));

            tauri::async_runtime::spawn(bridge::run(handle.clone()));
            #[cfg(unix)]
            tauri::async_runtime::spawn(quit_on_signal(handle.clone()));
            tauri::async_runtime::spawn(async move {
                // A failure (port in use) is in the status; the window offers another port.
                let state = handle.state::<AppState>();
                let _ = state.engine.listen().await;
                // The same for the API: 8025 taken (Mailpit) shows in the status bar.
                state.api.start().await;
                bridge::emit_status(&handle).await;
            });
            Ok(())
        })
        .on_window_event(|window, event| {
            // With a tray, closing the window keeps capturing in the background.
            if let WindowEvent::CloseRequested { api, .. } = event {
                if window
                    .app_handle()
                    .try_state::<TrayPresent>()
                    .is_some_and(|t| t.0)
                    && std::env::var_os("PIGEONHOLE_EXIT_ON_CLOSE").is_none()
                {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .build(tauri::generate_context!())
        .expect("building the Tauri application")
        .run(|app, event| {
            if let RunEvent::Exit = event {
                if let Some(state) = app.try_state::<AppState>() {
                    tauri::async_runtime::block_on(async {
                        state.api.stop().await;
                        state.engine.shutdown().await;
                    });
                }
            }
        });
}

/// SIGTERM (a logout, `kill`, a service manager), SIGINT and SIGHUP quit as the tray's
/// Quit does: the store closes cleanly, so the next launch skips its integrity check
/// (seconds on a large store) and no WAL is left behind.
#[cfg(unix)]
async fn quit_on_signal(app: AppHandle) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) else {
        tracing::warn!("could not listen for SIGTERM; a kill will not close the store cleanly");
        return;
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
        _ = hup.recv() => "SIGHUP",
    };
    tracing::info!(signal = name, "quitting");
    app.exit(0);
}

/// Whether a tray icon exists (so closing the window may hide it instead of quitting).
struct TrayPresent(bool);

#[cfg(test)]
mod tests {
    use super::allowed_navigation;

    #[test]
    fn the_capability_grants_every_listed_command_and_nothing_unknown() {
        let cap: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/main.json")).expect("valid JSON");
        let granted: Vec<&str> = cap["permissions"]
            .as_array()
            .expect("a permissions list")
            .iter()
            .filter_map(|p| p.as_str())
            .filter(|p| !p.starts_with("core:"))
            .collect();
        let expected: Vec<String> = crate::command_names::COMMANDS
            .iter()
            .map(|c| format!("allow-{}", c.replace('_', "-")))
            .collect();
        assert_eq!(
            granted, expected,
            "capabilities/main.json must grant exactly the commands in command_names.rs"
        );
    }

    #[test]
    fn the_window_never_navigates_to_the_web() {
        let ok = |u: &str| allowed_navigation(&tauri::Url::parse(u).expect("valid url"));
        assert!(ok("tauri://localhost/index.html"), "the bundled app loads");
        assert!(ok("about:srcdoc"), "sandboxed message frames load");
        assert!(
            !ok("https://evil.example/"),
            "remote pages never load in the window"
        );
        assert!(!ok("file:///etc/passwd"), "no local files");
        assert!(!ok("javascript:alert(1)"), "no javascript: URLs");
    }
}
