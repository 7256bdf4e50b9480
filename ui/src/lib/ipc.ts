// Typed wrappers for every command and event in ui/IPC.md.
// This is the only module that calls `invoke` or `listen`; everything else imports from here.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import {
  CORE_EVENTS,
  DESKTOP_EVENTS,
  type CommandError,
  type DesktopSettings,
  type FieldError,
  type Inbox,
  type ListQuery,
  type MessageDetail,
  type MessageId,
  type MessagePage,
  type MessageSummary,
  type ServerStatus,
  type SessionFilter,
  type SessionId,
  type SessionSummary,
  type Transcript,
} from "./types";

// ---- commands ---------------------------------------------------------------------------

export const listMessages = (query: ListQuery) => invoke<MessagePage>("list_messages", { query });

export const listInboxes = () => invoke<Inbox[]>("list_inboxes");

/** Does not mark the message read; call markRead for that. */
export const getMessage = (id: MessageId) => invoke<MessageDetail>("get_message", { id });

export const getRaw = (id: MessageId) => invoke<string>("get_raw", { id });

export const markRead = (ids: MessageId[], read: boolean) =>
  invoke<void>("mark_read", { ids, read });

export const deleteMessages = (ids: MessageId[]) => invoke<void>("delete_messages", { ids });

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

/** The shell only opens http, https and mailto; we filter here too so nothing else is sent. */
export function openLink(url: string): Promise<void> {
  if (!isOpenableUrl(url)) {
    const refused: CommandError = { kind: "invalid", message: `Refusing to open ${url}` };
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
export const onMessagesCleared = (h: () => void) => on<null>(CORE_EVENTS.MESSAGE_CLEARED, () => h());
export const onMessagesRead = (h: (change: ReadChange) => void) =>
  on<ReadChange>(CORE_EVENTS.MESSAGE_READ, h);
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
/** The tray menu asked for a page. */
export const onNavigate = (h: (page: Page) => void) => on<Page>(DESKTOP_EVENTS.NAVIGATE, h);

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
  if (e && typeof e === "object" && "message" in e && typeof e.message === "string") return e.message;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
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
