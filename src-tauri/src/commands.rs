//! Tauri commands: thin wrappers that call the core off the async executor.
//! Names and argument keys are the contract in ui/IPC.md.

use std::path::PathBuf;

use pigeonhole_core::config::FieldError;
use pigeonhole_core::engine::message_detail;
use pigeonhole_core::message::part_bytes;
use pigeonhole_core::model::{
    Inbox, ListQuery, MessageDetail, MessagePage, SessionSummary, Transcript,
};
use pigeonhole_core::store::Store;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use crate::settings::Settings;
use crate::state::{AppState, ServerStatus};

type CmdResult<T> = Result<T, String>;

/// Runs blocking store work on the blocking pool.
async fn blocking<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> Result<T, pigeonhole_core::store::StoreError> + Send + 'static,
) -> CmdResult<T> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

#[tauri::command]
pub async fn list_messages(state: State<'_, AppState>, query: ListQuery) -> CmdResult<MessagePage> {
    blocking(&state.store, move |s| s.list(&query)).await
}

#[tauri::command]
pub async fn list_inboxes(state: State<'_, AppState>) -> CmdResult<Vec<Inbox>> {
    blocking(&state.store, |s| s.inboxes()).await
}

#[tauri::command]
pub async fn get_message(state: State<'_, AppState>, id: i64) -> CmdResult<MessageDetail> {
    blocking(&state.store, move |s| message_detail(s, id)).await
}

#[tauri::command]
pub async fn get_raw(state: State<'_, AppState>, id: i64) -> CmdResult<String> {
    let raw = blocking(&state.store, move |s| s.raw(id)).await?;
    Ok(String::from_utf8_lossy(&raw).into_owned())
}

#[tauri::command]
pub async fn mark_read(state: State<'_, AppState>, ids: Vec<i64>, read: bool) -> CmdResult<()> {
    state
        .store
        .mark_read(ids, read)
        .await
        .map_err(|e| e.to_string())
}

#[tauri::command]
pub async fn delete_messages(state: State<'_, AppState>, ids: Vec<i64>) -> CmdResult<()> {
    state
        .store
        .delete(ids)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[tauri::command]
pub async fn clear_all(state: State<'_, AppState>) -> CmdResult<()> {
    state.store.clear().await.map_err(|e| e.to_string())
}

#[tauri::command]
pub async fn list_sessions(
    state: State<'_, AppState>,
    offset: u64,
    limit: u64,
) -> CmdResult<Vec<SessionSummary>> {
    blocking(&state.store, move |s| {
        s.sessions(offset, limit.clamp(1, 1000))
    })
    .await
}

#[tauri::command]
pub async fn get_transcript(state: State<'_, AppState>, session_id: i64) -> CmdResult<Transcript> {
    blocking(&state.store, move |s| s.transcript(session_id)).await
}

/// A file name safe on every platform, from text found in a hostile message.
fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').to_string();
    if trimmed.is_empty() {
        "attachment".into()
    } else {
        trimmed.chars().take(150).collect()
    }
}

async fn ask_save_path(app: &AppHandle, suggested: String) -> Option<PathBuf> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || {
        app.dialog()
            .file()
            .set_file_name(suggested)
            .blocking_save_file()
    })
    .await
    .ok()
    .flatten()
    .and_then(|p| p.into_path().ok())
}

#[tauri::command]
pub async fn save_message(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
) -> CmdResult<Option<String>> {
    let summary = blocking(&state.store, move |s| s.summary(id)).await?;
    let base = if summary.subject.trim().is_empty() {
        format!("message-{id}")
    } else {
        summary.subject.clone()
    };
    let Some(path) = ask_save_path(&app, format!("{}.eml", safe_file_name(&base))).await else {
        return Ok(None);
    };
    let raw = blocking(&state.store, move |s| s.raw(id)).await?;
    std::fs::write(&path, raw).map_err(|e| format!("could not write {}: {e}", path.display()))?;
    Ok(Some(path.display().to_string()))
}

async fn attachment(state: &AppState, id: i64, part_id: String) -> CmdResult<(Vec<u8>, String)> {
    let raw = blocking(&state.store, move |s| s.raw(id)).await?;
    let (bytes, content_type, name) =
        part_bytes(&raw, &part_id).ok_or_else(|| format!("message {id} has no part {part_id}"))?;
    let fallback = format!(
        "part-{part_id}.{}",
        content_type.rsplit('/').next().unwrap_or("bin")
    );
    Ok((bytes, safe_file_name(name.as_deref().unwrap_or(&fallback))))
}

#[tauri::command]
pub async fn save_attachment(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
    part_id: String,
) -> CmdResult<Option<String>> {
    let (bytes, name) = attachment(&state, id, part_id).await?;
    let Some(path) = ask_save_path(&app, name).await else {
        return Ok(None);
    };
    std::fs::write(&path, bytes).map_err(|e| format!("could not write {}: {e}", path.display()))?;
    Ok(Some(path.display().to_string()))
}

#[tauri::command]
pub async fn open_attachment(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
    part_id: String,
) -> CmdResult<()> {
    let (bytes, name) = attachment(&state, id, part_id.clone()).await?;
    let dir = app
        .path()
        .app_cache_dir()
        .map_err(|e| e.to_string())?
        .join("attachments")
        .join(format!("{id}-{}", part_id.replace('.', "_")));
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("could not create {}: {e}", dir.display()))?;
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(|e| format!("could not write {}: {e}", path.display()))?;
    app.opener()
        .open_path(path.display().to_string(), None::<&str>)
        .map_err(|e| format!("could not open the file: {e}"))
}

/// Opens a link from a message in the system browser. Only web and mail links: a message
/// must not be able to launch `file:` or custom-scheme handlers.
#[tauri::command]
pub async fn open_link(app: AppHandle, url: String) -> CmdResult<()> {
    let lower = url.trim().to_ascii_lowercase();
    if !(lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("mailto:"))
    {
        return Err(format!(
            "not opening {url}: only http, https and mailto links are opened"
        ));
    }
    app.opener()
        .open_url(url.trim(), None::<&str>)
        .map_err(|e| format!("could not open the link: {e}"))
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> CmdResult<Settings> {
    Ok(state.settings())
}

#[tauri::command]
pub async fn save_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    settings: Settings,
) -> Result<Settings, Vec<FieldError>> {
    let saved = state.apply_settings(settings).await?;
    crate::bridge::emit_status(&app).await;
    Ok(saved)
}

#[tauri::command]
pub async fn server_status(state: State<'_, AppState>) -> CmdResult<ServerStatus> {
    Ok(state.status().await)
}

#[tauri::command]
pub async fn set_paused(
    app: AppHandle,
    state: State<'_, AppState>,
    paused: bool,
) -> CmdResult<ServerStatus> {
    state.set_paused(paused).await;
    Ok(crate::bridge::emit_status(&app).await)
}

#[tauri::command]
pub async fn retry_listen(app: AppHandle, state: State<'_, AppState>) -> CmdResult<ServerStatus> {
    state.start_listening().await;
    Ok(crate::bridge::emit_status(&app).await)
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn hostile_attachment_names_are_made_safe() {
        assert_eq!(
            safe_file_name("../../etc/passwd"),
            "_.._etc_passwd",
            "no path traversal"
        );
        assert_eq!(safe_file_name(".bashrc"), "bashrc", "no hidden files");
        assert_eq!(safe_file_name("  "), "attachment");
        assert_eq!(
            safe_file_name("report\u{0}.pdf"),
            "report_.pdf",
            "control characters replaced"
        );
    }
}
