// Wire types shared by the Tauri shell (src-tauri) and the UI.
// They mirror the serde shapes in crates/pigeonhole-core (snake_case fields).
// Timestamps are RFC 3339 strings in UTC with milliseconds.

export type MessageId = number;
export type SessionId = number;

export interface Address {
  name: string | null;
  address: string;
}

/** One row of the message list: summary columns only, no body. */
export interface MessageSummary {
  id: MessageId;
  session_id: SessionId;
  received_at: string;
  /** Envelope sender (MAIL FROM); "" for the null sender <>. */
  mail_from: string;
  /** Envelope recipients (RCPT TO), in order. */
  rcpt_to: string[];
  from: Address | null;
  to: Address[];
  cc: Address[];
  subject: string;
  /** The Date header, RFC 3339, when present and parseable. */
  date: string | null;
  /** Size of the raw message in bytes. */
  size: number;
  has_attachments: boolean;
  snippet: string;
  read: boolean;
}

export interface MessagePage {
  /** Number of messages matching the filter (for the scrollbar). */
  total: number;
  offset: number;
  messages: MessageSummary[];
}

export interface ListQuery {
  /** Envelope recipient address; null means All mail. */
  inbox: string | null;
  /** Free-text search; "" for none. */
  search: string;
  offset: number;
  limit: number;
}

export interface Inbox {
  address: string;
  total: number;
  unread: number;
}

export interface Recipient {
  address: string;
  /** ESMTP parameters as given, e.g. {"NOTIFY": "SUCCESS,FAILURE"}. */
  params: Record<string, string>;
}

export interface Envelope {
  mail_from: string;
  mail_params: Record<string, string>;
  rcpt_to: Recipient[];
  /** Envelope recipients that appear in none of To, Cc (i.e. Bcc). */
  bcc: string[];
}

export interface Header {
  name: string;
  /** Value exactly as in the message (unfolded, undecoded). */
  raw: string;
  /** RFC 2047-decoded value; equal to raw when nothing was encoded. */
  decoded: string;
}

export interface MimePart {
  /** Stable path such as "1.2"; used to fetch the part's bytes. */
  id: string;
  content_type: string;
  charset: string | null;
  filename: string | null;
  content_id: string | null;
  disposition: string | null;
  /** Decoded body size in bytes (0 for multipart containers). */
  size: number;
  children: MimePart[];
}

export interface Attachment {
  part_id: string;
  filename: string;
  content_type: string;
  size: number;
  content_id: string | null;
  inline: boolean;
}

export interface TlsInfo {
  version: string;
  cipher: string;
}

export interface AuthInfo {
  mechanism: string;
  user: string;
}

export interface MessageDetail {
  summary: MessageSummary;
  envelope: Envelope;
  headers: Header[];
  text: string | null;
  /** HTML body as sent. Hostile: render only through ui/src/lib/html.ts. */
  html: string | null;
  /** content-id (without <>) -> data: URL, for cid: images in the HTML. */
  inline_images: Record<string, string>;
  parts: MimePart;
  attachments: Attachment[];
  /** [first, end) indexes into the session transcript covering this message. */
  transcript_range: [number, number];
}

export type Direction = "in" | "out" | "info";

export interface TranscriptLine {
  ts: string;
  dir: Direction;
  text: string;
}

export interface SessionSummary {
  id: SessionId;
  peer: string;
  /** The listener that accepted it, e.g. "127.0.0.1:1025". */
  local: string;
  started_at: string;
  ended_at: string | null;
  helo: string | null;
  tls: TlsInfo | null;
  auth: AuthInfo | null;
  message_count: number;
  /** Last reply code the server sent, e.g. 221, 535. */
  last_code: number | null;
}

export interface Transcript {
  session: SessionSummary;
  lines: TranscriptLine[];
}

export interface AuthUser {
  username: string;
  password: string;
}

export type Theme = "system" | "light" | "dark";

export interface Settings {
  /** host:port, e.g. "127.0.0.1:1025". */
  smtp_addr: string;
  /** Implicit-TLS listener host:port, or null for none. */
  smtps_addr: string | null;
  starttls: boolean;
  /** "any" accepts every credential; "users" checks auth_users. */
  auth_mode: "any" | "users";
  auth_users: AuthUser[];
  max_message_size: number;
  max_recipients: number;
  max_line_length: number;
  idle_timeout_secs: number;
  max_connections: number;
  /** Keep the newest N messages; 0 keeps all. */
  retention: number;
  notifications: boolean;
  theme: Theme;
  show_passwords: boolean;
}

/** A settings field that failed validation; nothing was saved. */
export interface FieldError {
  field: keyof Settings;
  message: string;
}

export interface ServerStatus {
  /** True when the SMTP listener is bound and accepting. */
  listening: boolean;
  paused: boolean;
  smtp_addr: string;
  smtps_addr: string | null;
  /** Why the listener is not running (e.g. "127.0.0.1:1025 is already in use"). */
  error: string | null;
  total: number;
  unread: number;
}
