// Typed wrappers for every command and event in ui/IPC.md.
// This is the only module that calls `invoke` or `listen`; everything else imports from here.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import {
  CORE_EVENTS,
  DESKTOP_EVENTS,
  type CommandError,
  type Counts,
  type DesktopSettings,
  type ExportFormat,
  type ExportReport,
  type ImportReport,
  type FieldError,
  type HtmlCheck,
  type Inbox,
  type LintReport,
  type Link,
  type LinkCheck,
  type ListQuery,
  type OpenedMessage,
  type MessageFilter,
  type MessageId,
  type MessagePage,
  type MessageSummary,
  type QueryError,
  type RuleSet,
  type RulesView,
  type Release,
  type ReleaseRequest,
  type ServerStatus,
  type SessionFilter,
  type SessionId,
  type SessionSummary,
  type Transcript,
} from "./types";

// ---- commands ---------------------------------------------------------------------------

export const listMessages = (query: ListQuery) => invoke<MessagePage>("list_messages", { query });

/** Resolves when `query` parses; rejects with a QueryError saying where it does not. */
export const checkQuery = (query: string) => invoke<void>("check_query", { query });

export const countMessages = (filter: MessageFilter) => invoke<Counts>("count_messages", { filter });

/** Every inbox of every kind (recipient, AUTH user, listener, tag) with core's counts. */
export const listInboxes = () => invoke<Inbox[]>("list_inboxes");

/**
 * Does not mark the message read; call markRead for that. Tells core this message is open,
 * so retention spares it while it is shown.
 */
export const getMessage = (id: MessageId) => invoke<OpenedMessage>("get_message", { id });

/** The HTML body getMessage held back (`html_held_back`), for "Render anyway". */
export const getMessageHtml = (id: MessageId) => invoke<string | null>("get_message_html", { id });

/** The message's lint findings, worst first (see `lint` in core). */
export const getLint = (id: MessageId) => invoke<LintReport>("get_lint", { id });

export const getRaw = (id: MessageId) => invoke<string>("get_raw", { id });

/** The HTML compatibility report against the bundled caniemail data. */
export const checkHtml = (id: MessageId) => invoke<HtmlCheck>("check_html", { id });

/** Every link with its text and flags (script and data links included). */
export const listLinks = (id: MessageId) => invoke<Link[]>("list_links", { id });

/** Requests each http(s) link and image once; only on the person's request. */
export const checkLinks = (id: MessageId, follow: boolean) =>
  invoke<LinkCheck>("check_links", { id, follow });

/**
 * Sends the stored bytes to a real SMTP server: the request's, else the release settings'.
 * Resolves with the attempt as recorded, `ok: false` and the server's reply when it refused
 * or could not be reached; rejects (kind "invalid") before connecting when no server is set,
 * an address is not one, or a recipient's domain is not in release.allowed_domains.
 */
export const releaseMessage = (id: MessageId, request: ReleaseRequest) =>
  invoke<Release>("release_message", { id, request });

export const markRead = (ids: MessageId[], read: boolean) =>
  invoke<void>("mark_read", { ids, read });

/** Marks everything `filter` matches (the list as shown); resolves to how many changed. */
export const markAllRead = (filter: MessageFilter, read: boolean) =>
  invoke<number>("mark_all_read", { filter, read });

/** Core checks every tag (1-64 characters, no commas) and rejects with kind "invalid". */
export const tagMessages = (ids: MessageId[], add: string[], remove: string[]) =>
  invoke<void>("tag_messages", { ids, add, remove });

/** A pinned message survives retention and Clear all. */
export const pinMessages = (ids: MessageId[], pinned: boolean) =>
  invoke<void>("pin_messages", { ids, pinned });

/** Deletes these messages, pinned ones included. */
export const deleteMessages = (ids: MessageId[]) => invoke<void>("delete_messages", { ids });

/** Deletes every unpinned message; pinned ones stay. */
export const clearAll = () => invoke<void>("clear_all");

export const listSessions = (filter: SessionFilter, offset: number, limit: number) =>
  invoke<SessionSummary[]>("list_sessions", { filter, offset, limit });

export const getTranscript = (sessionId: SessionId) =>
  invoke<Transcript>("get_transcript", { sessionId });

/** Resolves to the path chosen in the native save dialog, or null when cancelled. */
export const saveMessage = (id: MessageId) => invoke<string | null>("save_message", { id });

export const saveAttachment = (id: MessageId, partId: string) =>
  invoke<string | null>("save_attachment", { id, partId });

export const openAttachment = (id: MessageId, partId: string) =>
  invoke<void>("open_attachment", { id, partId });

/** Imports dropped files and folders (.eml, mbox, Maildir); the report lists what failed. */
export const importPaths = (paths: string[]) => invoke<ImportReport>("import_paths", { paths });

/**
 * Asks where in a native dialog, then writes `ids` (with none: what `filter` matches) as
 * one .eml, an mbox, or a folder of .eml files / a Maildir; null when cancelled.
 */
export const exportMessages = (ids: MessageId[], filter: MessageFilter, format: ExportFormat) =>
  invoke<ExportReport | null>("export_messages", { ids, filter, format });

/** The shell only opens http, https and mailto; we filter here too so nothing else is sent. */
export function openLink(url: string): Promise<void> {
  if (!isOpenableUrl(url)) {
    const refused: CommandError = { kind: "invalid", message: `Refusing to open ${url}`, pos: null, len: null };
    return Promise.reject(refused);
  }
  return invoke<void>("open_link", { url });
}

export function isOpenableUrl(url: string): boolean {
  return /^(https?:\/\/|mailto:)/i.test(url.trim());
}

export const getSettings = () => invoke<DesktopSettings>("get_settings");

export type SaveSettingsResult =
  | { ok: true; settings: DesktopSettings }
  | { ok: false; errors: FieldError[] };

/**
 * save_settings rejects with FieldError[] when core's validation (or the shell's reading of
 * the form's values) fails. That is an expected outcome for a form, so it is returned rather
 * than thrown; anything else (a CommandError) still throws.
 */
export async function saveSettings(settings: DesktopSettings): Promise<SaveSettingsResult> {
  try {
    return { ok: true, settings: await invoke<DesktopSettings>("save_settings", { settings }) };
  } catch (e) {
    if (isFieldErrors(e)) return { ok: false, errors: e };
    throw e;
  }
}

function isFieldErrors(e: unknown): e is FieldError[] {
  return (
    Array.isArray(e) &&
    e.length > 0 &&
    e.every((x) => x && typeof x === "object" && typeof x.field === "string" && typeof x.message === "string")
  );
}

/** The fault rules in force and how often each matched and fired. */
export const getRules = () => invoke<RulesView>("get_rules");

export type SetRulesResult = { ok: true; view: RulesView } | { ok: false; errors: string[] };

/**
 * Puts `set` in force at once and saves it in the settings. A refused set is an expected
 * outcome for a form: the shell rejects with one sentence per problem, each naming the rule
 * and the field (`rules[0] "x": code: 700 is outside 200-599`), and nothing changes.
 */
export async function setRules(set: RuleSet): Promise<SetRulesResult> {
  try {
    return { ok: true, view: await invoke<RulesView>("set_rules", { set }) };
  } catch (e) {
    if (isProblems(e)) return { ok: false, errors: e };
    throw e;
  }
}

/** Removes every rule (and fail-fast), in force and in the saved settings. */
export const clearRules = () => invoke<RulesView>("clear_rules");

/** Starts every rule's counters over. */
export const resetRuleCounters = () => invoke<RulesView>("reset_rule_counters");

function isProblems(e: unknown): e is string[] {
  return Array.isArray(e) && e.length > 0 && e.every((x) => typeof x === "string");
}

export const serverStatus = () => invoke<ServerStatus>("server_status");

export const setPaused = (paused: boolean) => invoke<ServerStatus>("set_paused", { paused });

export const retryListen = () => invoke<ServerStatus>("retry_listen");

// ---- events -----------------------------------------------------------------------------

export interface ReadChange {
  ids: MessageId[];
  read: boolean;
}

export type Page = "settings";

function on<T>(event: string, handler: (payload: T) => void): Promise<UnlistenFn> {
  return listen<T>(event, (e) => handler(e.payload));
}

/** Batched arrivals, newest last. */
export const onMessagesNew = (h: (messages: MessageSummary[]) => void) =>
  on<MessageSummary[]>(CORE_EVENTS.MESSAGE_NEW, h);
export const onMessagesDeleted = (h: (ids: MessageId[]) => void) =>
  on<MessageId[]>(CORE_EVENTS.MESSAGE_DELETED, h);
/** Every unpinned message was deleted; the pinned ones are still there. */
export const onMessagesCleared = (h: () => void) => on<null>(CORE_EVENTS.MESSAGE_CLEARED, () => h());
export const onMessagesRead = (h: (change: ReadChange) => void) =>
  on<ReadChange>(CORE_EVENTS.MESSAGE_READ, h);
/** These messages are in the search index now (and tag rules have run on them). */
export const onMessagesIndexed = (h: (ids: MessageId[]) => void) =>
  on<MessageId[]>(CORE_EVENTS.MESSAGE_INDEXED, h);
/** Messages whose tags or pin changed, as they are now. */
export const onMessagesUpdated = (h: (messages: MessageSummary[]) => void) =>
  on<MessageSummary[]>(CORE_EVENTS.MESSAGE_UPDATED, h);
export const onServerStatus = (h: (status: ServerStatus) => void) =>
  on<ServerStatus>(DESKTOP_EVENTS.SERVER_STATUS, h);
/** The shell missed events (a flood outran the bridge): reload everything. */
export const onResync = (h: () => void) => on<null>(DESKTOP_EVENTS.STORE_RESYNC, () => h());
/** An SMTP session ended; its transcript is complete. */
export const onSessionClosed = (h: (session: SessionSummary) => void) =>
  on<SessionSummary>(CORE_EVENTS.SESSION_CLOSED, h);
/** A notification was clicked. */
export const onOpenMessage = (h: (id: MessageId) => void) =>
  on<MessageId>(DESKTOP_EVENTS.OPEN_MESSAGE, h);
/** Tauri's file drag over the window: enter (with paths), over, drop (with paths), leave. */
export type DragDrop =
  | { type: "enter"; paths: string[] }
  | { type: "over" }
  | { type: "drop"; paths: string[] }
  | { type: "leave" };

/** Listens to Tauri's webview drag-and-drop events (files from the desktop). */
export async function onDragDrop(h: (e: DragDrop) => void): Promise<UnlistenFn> {
  const stops = await Promise.all([
    on<{ paths: string[] }>("tauri://drag-enter", (p) => h({ type: "enter", paths: p.paths })),
    on<unknown>("tauri://drag-over", () => h({ type: "over" })),
    on<{ paths: string[] }>("tauri://drag-drop", (p) => h({ type: "drop", paths: p.paths })),
    on<unknown>("tauri://drag-leave", () => h({ type: "leave" })),
  ]);
  return () => stops.forEach((stop) => stop());
}

/** The tray menu asked for a page. */
export const onNavigate = (h: (page: Page) => void) => on<Page>(DESKTOP_EVENTS.NAVIGATE, h);
/** A link in the mail frame was followed; the shell stopped it (see `openClickedLink`). */
export const onLinkClicked = (h: (url: string) => void) => on<string>(DESKTOP_EVENTS.LINK_CLICKED, h);

/**
 * Turns whatever a command rejected with into one sentence for a person: a CommandError's
 * message (its kind is for code, not people), save_settings' field errors, or anything else
 * a script threw.
 */
export function errorText(e: unknown): string {
  if (isCommandError(e)) return e.message;
  if (typeof e === "string") return e;
  if (e instanceof Error) return e.message;
  if (isFieldErrors(e)) return e.map((x) => `${x.field}: ${x.message}`).join("; ");
  if (isProblems(e)) return e.join("; ");
  if (e && typeof e === "object" && "message" in e && typeof e.message === "string") return e.message;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

/** A rejection of a malformed query, with the position of the problem. */
export function isQueryError(e: unknown): e is QueryError {
  return isCommandError(e) && e.kind === "query" && typeof e.pos === "number" && typeof e.len === "number";
}

function isCommandError(e: unknown): e is CommandError {
  return (
    !!e &&
    typeof e === "object" &&
    !Array.isArray(e) &&
    typeof (e as CommandError).kind === "string" &&
    typeof (e as CommandError).message === "string"
  );
}
