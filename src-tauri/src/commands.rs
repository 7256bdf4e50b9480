//! Tauri commands: one-line adapters over `pigeonhole_core::commands` and the `Engine`.
//! Names and argument keys are the contract in ui/IPC.md; `build.rs` lists them all and
//! capabilities/main.json grants each one to the window.

use std::path::PathBuf;

use pigeonhole_core::commands::{self, RulesView};
use pigeonhole_core::config::FieldError;
use pigeonhole_core::model::{
    BodyBlock, Counts, Inbox, LintReport, ListQuery, MessageDetail, MessageFilter, MessageId,
    MessagePage, Release, ReleaseRequest, ServerStatus, SessionFilter, SessionId, SessionSummary,
    Transcript,
};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;
use ts_rs::TS;

use crate::error::{CmdResult, CommandError, ErrorKind};
use crate::settings::DesktopSettings;
use crate::state::AppState;

#[tauri::command]
pub async fn list_messages(state: State<'_, AppState>, query: ListQuery) -> CmdResult<MessagePage> {
    Ok(commands::list(&state.engine.store, query).await?)
}

/// Checks a query as the person types; rejects with kind `query` and the position.
#[tauri::command]
pub async fn check_query(query: String) -> CmdResult<()> {
    commands::check_query(&query).map_err(|e| commands::CommandError::from(e).into())
}

#[tauri::command]
pub async fn count_messages(
    state: State<'_, AppState>,
    filter: MessageFilter,
) -> CmdResult<Counts> {
    Ok(commands::count(&state.engine.store, filter).await?)
}

#[tauri::command]
pub async fn list_inboxes(state: State<'_, AppState>) -> CmdResult<Vec<Inbox>> {
    Ok(commands::inboxes(&state.engine.store).await?)
}

/// The message the person opens; retention leaves it alone while it is open.
#[tauri::command]
pub async fn get_message(state: State<'_, AppState>, id: MessageId) -> CmdResult<OpenedMessage> {
    state.engine.store.hold(Some(id));
    let mut detail = commands::get_message(&state.engine.store, id).await?;
    send_body_once(&mut detail.body);
    Ok(OpenedMessage::new(detail))
}

/// The HTML body `get_message` held back, when the person asks to render it anyway.
#[tauri::command]
pub async fn get_message_html(
    state: State<'_, AppState>,
    id: MessageId,
) -> CmdResult<Option<String>> {
    Ok(commands::get_message(&state.engine.store, id).await?.html)
}

/// An HTML body over this many bytes stays behind when the window opens its message. The
/// window does not render one that size unasked (WebKit takes seconds to lay out a 10 MB
/// table, and the frame shares the UI thread), so sending it would only cost its trip over
/// the IPC and its JSON parse: about 0.2 s for 10 MB. `get_message_html` fetches it.
pub const LARGE_HTML: usize = 1_000_000;

/// A message as the window opens it: the detail, with a large HTML body held back.
#[derive(Debug, Serialize, TS)]
pub struct OpenedMessage {
    #[serde(flatten)]
    pub detail: MessageDetail,
    /// The size in bytes of the HTML body when it is over `LARGE_HTML`; `html` is then null.
    #[ts(type = "number | null")]
    pub html_held_back: Option<u64>,
}

impl OpenedMessage {
    fn new(mut detail: MessageDetail) -> Self {
        let html_held_back = hold_back_large(&mut detail.html);
        Self {
            detail,
            html_held_back,
        }
    }
}

/// Takes an HTML body over `LARGE_HTML` out of `html`, and says how large it was.
fn hold_back_large(html: &mut Option<String>) -> Option<u64> {
    let size = html.as_ref().map_or(0, String::len);
    if size <= LARGE_HTML {
        return None;
    }
    *html = None;
    Some(size as u64)
}

/// A message of one plain body carries it twice: as `text` and `html` (for API clients) and
/// as its only `body` block. The window reads the blocks only when they hold more than that
/// one body (`hasStructure` in ui/src/lib/body.ts), so the block's copy stays behind: a
/// 10 MB HTML body would otherwise cross the IPC, and be parsed as JSON, twice.
fn send_body_once(body: &mut [BodyBlock]) {
    if let [BodyBlock::Body {
        text,
        html,
        html_as_text,
        ..
    }] = body
    {
        *text = None;
        *html = None;
        *html_as_text = None;
    }
}

/// What the lint worker found in the message (or, before it got there, the checks run now).
#[tauri::command]
pub async fn get_lint(state: State<'_, AppState>, id: MessageId) -> CmdResult<LintReport> {
    Ok(commands::lint(&state.engine.store, id).await?)
}

/// The HTML compatibility report (caniemail data, bundled; nothing is fetched).
#[tauri::command]
pub async fn check_html(
    state: State<'_, AppState>,
    id: MessageId,
) -> CmdResult<pigeonhole_core::model::HtmlCheck> {
    Ok(commands::html_check(&state.engine.store, id).await?)
}

/// Every link with its text and flags, script and data links included.
#[tauri::command]
pub async fn list_links(
    state: State<'_, AppState>,
    id: MessageId,
) -> CmdResult<Vec<pigeonhole_core::model::Link>> {
    Ok(commands::all_links(&state.engine.store, id).await?)
}

/// Requests each http(s) link and image once, only because the person pressed the button.
#[tauri::command]
pub async fn check_links(
    state: State<'_, AppState>,
    id: MessageId,
    follow: bool,
) -> CmdResult<pigeonhole_core::model::LinkCheck> {
    Ok(commands::link_check(&state.engine.store, id, follow).await?)
}

#[tauri::command]
pub async fn get_raw(state: State<'_, AppState>, id: MessageId) -> CmdResult<String> {
    let raw = commands::raw(&state.engine.store, id).await?;
    Ok(String::from_utf8_lossy(&raw).into_owned())
}

/// Sends the message to a real SMTP server (the request's, else the `release` settings');
/// a refusal by the server resolves with `ok: false` and its reply, as it was recorded.
#[tauri::command]
pub async fn release_message(
    state: State<'_, AppState>,
    id: MessageId,
    request: ReleaseRequest,
) -> CmdResult<Release> {
    Ok(commands::release(&state.engine.store, &state.engine.config(), id, request).await?)
}

#[tauri::command]
pub async fn mark_read(
    state: State<'_, AppState>,
    ids: Vec<MessageId>,
    read: bool,
) -> CmdResult<()> {
    Ok(commands::mark_read(&state.engine.store, ids, read).await?)
}

/// Marks everything a filter matches (the list as shown); returns how many changed.
#[tauri::command]
pub async fn mark_all_read(
    state: State<'_, AppState>,
    filter: MessageFilter,
    read: bool,
) -> CmdResult<u64> {
    Ok(commands::mark_read_matching(&state.engine.store, filter, read).await?)
}

#[tauri::command]
pub async fn tag_messages(
    state: State<'_, AppState>,
    ids: Vec<MessageId>,
    add: Vec<String>,
    remove: Vec<String>,
) -> CmdResult<()> {
    Ok(commands::tag(&state.engine.store, ids, add, remove).await?)
}

#[tauri::command]
pub async fn pin_messages(
    state: State<'_, AppState>,
    ids: Vec<MessageId>,
    pinned: bool,
) -> CmdResult<()> {
    Ok(commands::pin(&state.engine.store, ids, pinned).await?)
}

#[tauri::command]
pub async fn delete_messages(state: State<'_, AppState>, ids: Vec<MessageId>) -> CmdResult<()> {
    commands::delete(&state.engine.store, ids).await?;
    Ok(())
}

#[tauri::command]
pub async fn clear_all(state: State<'_, AppState>) -> CmdResult<()> {
    Ok(commands::clear(&state.engine.store).await?)
}

#[tauri::command]
pub async fn list_sessions(
    state: State<'_, AppState>,
    filter: SessionFilter,
    offset: u64,
    limit: u64,
) -> CmdResult<Vec<SessionSummary>> {
    Ok(commands::sessions(&state.engine.store, filter, offset, limit).await?)
}

#[tauri::command]
pub async fn get_transcript(
    state: State<'_, AppState>,
    session_id: SessionId,
) -> CmdResult<Transcript> {
    Ok(commands::transcript(&state.engine.store, session_id).await?)
}

/// Asks where to save, suggesting `suggested`; `None` when the person cancels.
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

/// Saves `file` where the person chooses; the chosen path, or `None` when cancelled.
async fn save_as(app: &AppHandle, file: commands::FileData) -> CmdResult<Option<String>> {
    let Some(path) = ask_save_path(app, file.file_name).await else {
        return Ok(None);
    };
    std::fs::write(&path, file.bytes).map_err(|e| CommandError::io("write", &path, e))?;
    Ok(Some(path.display().to_string()))
}

#[tauri::command]
pub async fn save_message(
    app: AppHandle,
    state: State<'_, AppState>,
    id: MessageId,
) -> CmdResult<Option<String>> {
    save_as(&app, commands::raw_file(&state.engine.store, id).await?).await
}

#[tauri::command]
pub async fn save_attachment(
    app: AppHandle,
    state: State<'_, AppState>,
    id: MessageId,
    part_id: String,
) -> CmdResult<Option<String>> {
    save_as(
        &app,
        commands::part(&state.engine.store, id, part_id).await?,
    )
    .await
}

#[tauri::command]
pub async fn open_attachment(
    app: AppHandle,
    state: State<'_, AppState>,
    id: MessageId,
    part_id: String,
) -> CmdResult<()> {
    let file = commands::part(&state.engine.store, id, part_id.clone()).await?;
    let dir = app
        .path()
        .app_cache_dir()
        .map_err(|e| CommandError::new(ErrorKind::Unavailable, e.to_string()))?
        .join("attachments")
        .join(format!("{id}-{}", part_id.replace('.', "_")));
    std::fs::create_dir_all(&dir).map_err(|e| CommandError::io("create", &dir, e))?;
    let path = dir.join(file.file_name);
    std::fs::write(&path, file.bytes).map_err(|e| CommandError::io("write", &path, e))?;
    app.opener()
        .open_path(path.display().to_string(), None::<&str>)
        .map_err(|e| {
            CommandError::new(
                ErrorKind::Unavailable,
                format!("could not open the file: {e}"),
            )
        })
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
        return Err(CommandError::new(
            ErrorKind::Invalid,
            format!("not opening {url}: only http, https and mailto links are opened"),
        ));
    }
    app.opener()
        .open_url(url.trim(), None::<&str>)
        .map_err(|e| {
            CommandError::new(
                ErrorKind::Unavailable,
                format!("could not open the link: {e}"),
            )
        })
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> CmdResult<DesktopSettings> {
    Ok(state.settings())
}

/// Takes the form as JSON rather than `DesktopSettings`, so a field of the wrong type (an
/// empty number box) is reported beside that field instead of failing the whole call.
#[tauri::command]
pub async fn save_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    settings: serde_json::Value,
) -> Result<DesktopSettings, Vec<FieldError>> {
    let saved = state.apply_settings(settings).await?;
    crate::bridge::emit_status(&app).await;
    Ok(saved)
}

/// The fault rules in force (the saved ones, or what the HTTP API set since) and how often
/// each matched and fired.
#[tauri::command]
pub async fn get_rules(state: State<'_, AppState>) -> CmdResult<RulesView> {
    Ok(commands::rules(state.engine.faults()))
}

/// Takes `{ fail_fast, rules }` as JSON rather than `RuleSet`, so core names the rule and
/// the field of a value of the wrong type too. Applies at once and saves into the settings;
/// rejects with one sentence per problem.
#[tauri::command]
pub async fn set_rules(
    state: State<'_, AppState>,
    set: serde_json::Value,
) -> Result<RulesView, Vec<String>> {
    state.save_rules(set).await
}

/// Removes every rule (and turns fail-fast off), in force and in the saved settings.
#[tauri::command]
pub async fn clear_rules(state: State<'_, AppState>) -> Result<RulesView, Vec<String>> {
    state
        .save_rules(serde_json::json!({ "fail_fast": false, "rules": [] }))
        .await
}

/// Starts every rule's counters over; nothing is saved, the rules stay.
#[tauri::command]
pub async fn reset_rule_counters(state: State<'_, AppState>) -> CmdResult<RulesView> {
    Ok(commands::reset_rule_counters(state.engine.faults()))
}

#[tauri::command]
pub async fn server_status(state: State<'_, AppState>) -> CmdResult<ServerStatus> {
    Ok(state.engine.status().await)
}

#[tauri::command]
pub async fn set_paused(
    app: AppHandle,
    state: State<'_, AppState>,
    paused: bool,
) -> CmdResult<ServerStatus> {
    state.engine.set_paused(paused).await;
    Ok(crate::bridge::emit_status(&app).await)
}

/// Tries the listeners again (after the port was freed), and the HTTP API if it failed
/// too; the status says how it went.
#[tauri::command]
pub async fn retry_listen(app: AppHandle, state: State<'_, AppState>) -> CmdResult<ServerStatus> {
    // A failure is recorded in the status, which is what the window shows.
    let _ = state.engine.listen().await;
    state.api.retry().await;
    Ok(crate::bridge::emit_status(&app).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(part_id: &str, html: &str) -> BodyBlock {
        BodyBlock::Body {
            part_id: part_id.into(),
            text: Some("text".into()),
            html: Some(html.into()),
            html_as_text: None,
        }
    }

    #[test]
    fn a_lone_body_crosses_the_ipc_once_and_structured_bodies_stay_whole() {
        let mut lone = vec![plain("1", "<p>big</p>")];
        send_body_once(&mut lone);
        assert!(
            matches!(&lone[0], BodyBlock::Body { text: None, html: None, html_as_text: None, part_id } if part_id == "1"),
            "the lone block keeps its place but not its copy: {lone:?}"
        );
        let mut two = vec![plain("1", "<p>a</p>"), plain("2", "<p>b</p>")];
        send_body_once(&mut two);
        assert_eq!(
            two,
            vec![plain("1", "<p>a</p>"), plain("2", "<p>b</p>")],
            "with structure the window renders the blocks: they stay as they are"
        );
    }

    #[test]
    fn an_html_body_over_the_limit_is_held_back_with_its_size() {
        let mut small = Some("<p>x</p>".to_string());
        assert_eq!(hold_back_large(&mut small), None);
        assert_eq!(small.as_deref(), Some("<p>x</p>"), "a small body is sent");
        let mut at_limit = Some("x".repeat(LARGE_HTML));
        assert_eq!(hold_back_large(&mut at_limit), None);
        assert!(at_limit.is_some(), "exactly the limit is still sent");
        let mut large = Some("é".repeat(LARGE_HTML / 2 + 1));
        assert_eq!(
            hold_back_large(&mut large),
            Some(LARGE_HTML as u64 + 2),
            "the size is in bytes"
        );
        assert_eq!(large, None, "the large body stays behind");
        let mut none = None;
        assert_eq!(hold_back_large(&mut none), None);
    }
}
