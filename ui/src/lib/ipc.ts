// Typed wrappers for every command and event in ui/IPC.md.
// This is the only module that calls `invoke` or `listen`; everything else imports from here.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  FieldError,
  Inbox,
  ListQuery,
  MessageDetail,
  MessageId,
  MessagePage,
  MessageSummary,
  ServerStatus,
  SessionId,
  SessionSummary,
  Settings,
  Transcript,
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

export const listSessions = (offset: number, limit: number) =>
  invoke<SessionSummary[]>("list_sessions", { offset, limit });

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
  if (!isOpenableUrl(url)) return Promise.reject(`Refusing to open ${url}`);
  return invoke<void>("open_link", { url });
}

export function isOpenableUrl(url: string): boolean {
  return /^(https?:\/\/|mailto:)/i.test(url.trim());
}

export const getSettings = () => invoke<Settings>("get_settings");

export type SaveSettingsResult =
  | { ok: true; settings: Settings }
  | { ok: false; errors: FieldError[] };

/**
 * save_settings rejects with FieldError[] when validation fails. That is an expected
 * outcome for a form, so it is returned rather than thrown; anything else still throws.
 */
export async function saveSettings(settings: Settings): Promise<SaveSettingsResult> {
  try {
    return { ok: true, settings: await invoke<Settings>("save_settings", { settings }) };
  } catch (e) {
    if (isFieldErrors(e)) return { ok: false, errors: e };
    throw e;
  }
}

function isFieldErrors(e: unknown): e is FieldError[] {
  return (
    Array.isArray(e) &&
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
  on<MessageSummary[]>("message://new", h);
export const onMessagesDeleted = (h: (ids: MessageId[]) => void) =>
  on<MessageId[]>("message://deleted", h);
export const onMessagesCleared = (h: () => void) => on<null>("message://cleared", () => h());
export const onMessagesRead = (h: (change: ReadChange) => void) =>
  on<ReadChange>("message://read", h);
export const onServerStatus = (h: (status: ServerStatus) => void) =>
  on<ServerStatus>("server://status", h);
/** The shell missed events (a flood outran the bridge): reload everything. */
export const onResync = (h: () => void) => on<null>("store://resync", () => h());
/** An SMTP session ended; its transcript is complete. */
export const onSessionClosed = (h: (session: SessionSummary) => void) =>
  on<SessionSummary>("session://closed", h);
/** A notification was clicked. */
export const onOpenMessage = (h: (id: MessageId) => void) => on<MessageId>("app://open-message", h);
/** The tray menu asked for a page. */
export const onNavigate = (h: (page: Page) => void) => on<Page>("app://navigate", h);

/** Turns whatever a command rejected with into one sentence for a person. */
export function errorText(e: unknown): string {
  if (typeof e === "string") return e;
  if (e instanceof Error) return e.message;
  if (Array.isArray(e) && e.length && typeof e[0]?.message === "string") {
    return e.map((x: FieldError) => `${x.field}: ${x.message}`).join("; ");
  }
  if (e && typeof e === "object" && "message" in e && typeof e.message === "string") return e.message;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}
