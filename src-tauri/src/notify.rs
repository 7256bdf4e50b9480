//! Desktop notifications (notify-rust): one per arrival, bursts coalesced, a click opens
//! the message. Without a notification service the app carries on and says so once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pigeonhole_core::model::MessageSummary;
use tauri::{AppHandle, Emitter, Manager};

use crate::state::AppState;

/// At most one notification this often; arrivals in between are folded into the next.
const MIN_GAP: Duration = Duration::from_millis(1500);

static WARNED: AtomicBool = AtomicBool::new(false);

struct Pending {
    count: usize,
    last: Option<MessageSummary>,
    last_shown: Option<Instant>,
    timer_armed: bool,
}

static PENDING: Mutex<Pending> = Mutex::new(Pending {
    count: 0,
    last: None,
    last_shown: None,
    timer_armed: false,
});

/// Called with every batch of new messages.
pub fn arrived(app: &AppHandle, messages: &[MessageSummary]) {
    if !app.state::<AppState>().notifications_enabled() || messages.is_empty() {
        return;
    }
    let Ok(mut p) = PENDING.lock() else { return };
    p.count += messages.len();
    p.last = messages.last().cloned();
    if p.timer_armed {
        return;
    }
    let wait = p
        .last_shown
        .map_or(Duration::ZERO, |t| MIN_GAP.saturating_sub(t.elapsed()));
    p.timer_armed = true;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        // A short settle even for the first arrival, so a burst becomes one notification.
        tokio::time::sleep(wait.max(Duration::from_millis(250))).await;
        let (count, last) = {
            let Ok(mut p) = PENDING.lock() else { return };
            p.timer_armed = false;
            p.last_shown = Some(Instant::now());
            (std::mem::take(&mut p.count), p.last.take())
        };
        if count > 0 {
            show(&app, count, last);
        }
    });
}

fn show(app: &AppHandle, count: usize, last: Option<MessageSummary>) {
    let (summary, body, open_id) = match (count, last) {
        (1, Some(m)) => {
            let from = m
                .from
                .as_ref()
                .map(|a| a.name.clone().unwrap_or_else(|| a.address.clone()))
                .unwrap_or_else(|| {
                    if m.mail_from.is_empty() {
                        "<>".into()
                    } else {
                        m.mail_from.clone()
                    }
                });
            let subject = if m.subject.is_empty() {
                "(no subject)".to_string()
            } else {
                m.subject.clone()
            };
            (
                format!("{from} — {subject}"),
                m.snippet.chars().take(120).collect::<String>(),
                Some(m.id),
            )
        }
        (n, _) => (
            format!("{n} new messages"),
            "Captured by Pigeonhole".to_string(),
            None,
        ),
    };
    let app = app.clone();
    // The D-Bus call and the wait for a click block: keep them off the async runtime.
    std::thread::spawn(move || {
        let mut n = notify_rust::Notification::new();
        n.appname("Pigeonhole")
            .summary(&summary)
            .body(&body)
            .icon("mail-message-new")
            .action("default", "Open");
        match n.show() {
            Ok(handle) => {
                #[cfg(all(unix, not(target_os = "macos")))]
                handle.wait_for_action(|action| {
                    if action == "default" {
                        crate::focus_main_window(&app);
                        if let Some(id) = open_id {
                            let _ = app.emit(crate::bridge::names::OPEN_MESSAGE, id);
                        }
                    }
                });
                #[cfg(not(all(unix, not(target_os = "macos"))))]
                let _ = (handle, open_id, &app);
            }
            Err(e) => {
                if !WARNED.swap(true, Ordering::SeqCst) {
                    tracing::warn!(error = %e, "desktop notifications are unavailable (no notification service?); carrying on without them");
                }
            }
        }
    });
}
