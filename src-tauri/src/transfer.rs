//! The window's import and export: files dropped on the window go through core's import
//! (the same ingest path as SMTP), and an export asks where to write in a native dialog,
//! so the webview never gets a file system permission of its own.

use std::path::PathBuf;

use pigeonhole_core::commands::{self, ExportSelection, ImportOptions, ImportSource};
use pigeonhole_core::model::{ExportFormat, ExportReport, ImportReport, MessageFilter, MessageId};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use crate::error::{CmdResult, CommandError, ErrorKind};
use crate::state::AppState;

/// Imports dropped files and folders (.eml, mbox, Maildir); the report lists what failed.
#[tauri::command]
pub async fn import_paths(
    state: State<'_, AppState>,
    paths: Vec<String>,
) -> CmdResult<ImportReport> {
    if paths.is_empty() {
        return Err(CommandError::new(ErrorKind::Invalid, "nothing was dropped"));
    }
    let max = state.engine.config().max_message_size;
    let opts = ImportOptions::new(max, "the window", "files dropped on the window");
    let sources = paths
        .into_iter()
        .map(|p| ImportSource::Path(PathBuf::from(p)))
        .collect();
    Ok(commands::import(&state.engine.store, sources, opts).await?)
}

/// Writes `ids` (or, with none, what `filter` matches: the list as shown) where the person
/// chooses: one `.eml` file, an mbox file, or a folder of `.eml` files or a Maildir.
/// `None` when the dialog is cancelled.
#[tauri::command]
pub async fn export_messages(
    app: AppHandle,
    state: State<'_, AppState>,
    ids: Vec<MessageId>,
    filter: MessageFilter,
    format: ExportFormat,
) -> CmdResult<Option<ExportReport>> {
    let store = &state.engine.store;
    let selection = if ids.is_empty() {
        ExportSelection::Filter(filter)
    } else {
        ExportSelection::Ids(ids.clone())
    };
    match format {
        ExportFormat::Eml if ids.len() == 1 => {
            let file = commands::raw_file(store, ids[0]).await?;
            let Some(path) = ask(&app, Some(file.file_name)).await else {
                return Ok(None);
            };
            std::fs::write(&path, &file.bytes).map_err(|e| CommandError::io("write", &path, e))?;
            Ok(Some(ExportReport {
                exported: 1,
                bytes: file.bytes.len() as u64,
                path: path.display().to_string(),
            }))
        }
        ExportFormat::Mbox => {
            let Some(path) = ask(&app, Some("pigeonhole.mbox".into())).await else {
                return Ok(None);
            };
            let out =
                std::fs::File::create(&path).map_err(|e| CommandError::io("create", &path, e))?;
            let shown = path.display().to_string();
            Ok(Some(
                commands::export_mbox(store, selection, Box::new(out), shown).await?,
            ))
        }
        ExportFormat::Eml | ExportFormat::Maildir => {
            let Some(dir) = ask(&app, None).await else {
                return Ok(None);
            };
            Ok(Some(
                commands::export_dir(store, selection, dir, format).await?,
            ))
        }
    }
}

/// A save dialog suggesting `file`, or a folder picker when `file` is `None`.
async fn ask(app: &AppHandle, file: Option<String>) -> Option<PathBuf> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || {
        let dialog = app.dialog().file();
        match file {
            Some(name) => dialog.set_file_name(name).blocking_save_file(),
            None => dialog.blocking_pick_folder(),
        }
    })
    .await
    .ok()
    .flatten()
    .and_then(|p| p.into_path().ok())
}
