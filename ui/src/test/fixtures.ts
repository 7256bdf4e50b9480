// Builders for wire objects in tests.
import {
  CONFIG_DEFAULTS,
  type CommandError,
  UI_DEFAULTS,
  type Config,
  type DesktopSettings,
  type MessageSummary,
  type OpenedMessage,
  type ServerStatus,
  type UiSettings,
} from "../lib/types";

export function summary(id: number, over: Partial<MessageSummary> = {}): MessageSummary {
  return {
    id,
    session_id: 100 + id,
    received_at: "2024-05-01T10:00:00.000Z",
    mail_from: "app@example.com",
    rcpt_to: ["user@example.com"],
    from: { name: "App", address: "app@example.com" },
    to: [{ name: null, address: "user@example.com" }],
    cc: [],
    subject: `Message ${id}`,
    date: null,
    size: 1234,
    has_attachments: false,
    attachments: 0,
    snippet: "Hello there",
    read: false,
    pinned: false,
    tags: [],
    auth_user: null,
    listener: "default",
    message_id: `${id}@example.com`,
    reply_to: [],
    lint_errors: 0,
    lint_warnings: 0,
    ...over,
  };
}

export function detail(id: number, over: Partial<OpenedMessage> = {}): OpenedMessage {
  return {
    summary: summary(id),
    envelope: {
      mail_from: "app@example.com",
      mail_params: {},
      rcpt_to: [{ address: "user@example.com", params: {} }],
      bcc: [],
    },
    headers: [{ name: "Subject", raw: `Message ${id}`, decoded: `Message ${id}` }],
    text: "Hello there",
    html: null,
    body: [{ kind: "body", part_id: "1", text: "Hello there", html: null, html_as_text: null }],
    inline_images: {},
    parts: {
      id: "1",
      content_type: "text/plain",
      charset: "utf-8",
      filename: null,
      content_id: null,
      disposition: null,
      size: 11,
      children: [],
    },
    attachments: [],
    transcript_range: [0, 0],
    auth_user: null,
    releases: [],
    not_walked: null,
    html_held_back: null,
    ...over,
  };
}

export function status(over: Partial<ServerStatus> = {}): ServerStatus {
  return {
    listening: true,
    paused: false,
    smtp_addr: "127.0.0.1:1025",
    smtps_addr: null,
    error: null,
    total: 0,
    unread: 0,
    data_dir: "/tmp/pigeonhole-test",
    listeners: [],
    api_url: "http://127.0.0.1:8025",
    api_error: null,
    damaged_store: null,
    storage_full: false,
    storage_error: null,
    ...over,
  };
}

/** The engine's and the window's defaults, as the shell would send them, with changes. */
export function settings(
  over: { engine?: Partial<Config>; ui?: Partial<UiSettings> } = {},
): DesktopSettings {
  return {
    engine: { ...structuredClone(CONFIG_DEFAULTS), data_dir: "/tmp/pigeonhole-test", ...over.engine },
    ui: { ...UI_DEFAULTS, ...over.ui },
  };
}

/** Lets pending promise callbacks (mocked IPC round trips) run. */
export async function flush(times = 5) {
  for (let i = 0; i < times; i++) await new Promise((r) => setTimeout(r, 0));
}

/** A CommandError as the shell rejects with (no position: not a query error). */
export function commandError(kind: CommandError["kind"], message: string): CommandError {
  return { kind, message, pos: null, len: null };
}
