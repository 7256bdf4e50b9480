//! The tray icon: capture state, port and unread count; Open, Pause, Clear all, Quit.

use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Wry};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

use pigeonhole_core::model::ServerStatus;

use crate::state::AppState;

const TRAY_ID: &str = "main";

pub struct TrayItems {
    status: MenuItem<Wry>,
    pause: CheckMenuItem<Wry>,
}

pub fn build(app: &AppHandle) -> tauri::Result<()> {
    let status = MenuItem::with_id(app, "status", "Starting…", false, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", "Open Pigeonhole", true, None::<&str>)?;
    let pause = CheckMenuItem::with_id(app, "pause", "Pause capture", true, false, None::<&str>)?;
    let clear = MenuItem::with_id(app, "clear", "Clear all…", true, None::<&str>)?;
    let settings = MenuItem::with_id(app, "settings", "Settings…", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let sep = || PredefinedMenuItem::separator(app);
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &sep()?,
            &open,
            &pause,
            &clear,
            &settings,
            &sep()?,
            &quit,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .tooltip("Pigeonhole")
        .on_menu_event(on_menu);
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    app.manage(TrayItems { status, pause });
    Ok(())
}

fn on_menu(app: &AppHandle, event: tauri::menu::MenuEvent) {
    match event.id().as_ref() {
        "open" => crate::focus_main_window(app),
        "settings" => {
            crate::focus_main_window(app);
            let _ = app.emit(crate::bridge::names::NAVIGATE, "settings");
        }
        "pause" => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let state = app.state::<AppState>();
                let paused = !state.engine.is_paused();
                state.engine.set_paused(paused).await;
                crate::bridge::emit_status(&app).await;
            });
        }
        "clear" => {
            let app2 = app.clone();
            app.dialog()
                .message("Delete every captured message except pinned ones? This cannot be undone.")
                .title("Clear all mail")
                .kind(MessageDialogKind::Warning)
                .buttons(MessageDialogButtons::OkCancelCustom(
                    "Clear all".into(),
                    "Cancel".into(),
                ))
                .show(move |confirmed| {
                    if confirmed {
                        tauri::async_runtime::spawn(async move {
                            if let Err(e) = pigeonhole_core::commands::clear(
                                &app2.state::<AppState>().engine.store,
                            )
                            .await
                            {
                                tracing::error!(error = %e, "clear all failed");
                            }
                        });
                    }
                });
        }
        "quit" => app.exit(0),
        _ => {}
    }
}

/// Reflects the server status in the tray's tooltip, first menu line and pause check.
pub fn update(app: &AppHandle, s: &ServerStatus) {
    let line = if !s.listening {
        "Not capturing: listener failed".to_string()
    } else if s.paused {
        format!("Paused on {}", s.smtp_addr)
    } else {
        format!("Capturing on {}", s.smtp_addr)
    };
    let unread = if s.unread == 1 {
        "1 unread".to_string()
    } else {
        format!("{} unread", s.unread)
    };
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(format!("Pigeonhole — {line} — {unread}")));
        #[cfg(target_os = "linux")]
        let _ = tray.set_title(Some(if s.unread > 0 {
            s.unread.to_string()
        } else {
            String::new()
        }));
    }
    if let Some(items) = app.try_state::<TrayItems>() {
        let _ = items.status.set_text(format!("{line} · {unread}"));
        let _ = items.pause.set_checked(s.paused);
    }
}
