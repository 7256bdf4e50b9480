// The one import path for wire types. Every wire type is generated from the Rust types by
// ts-rs (generated/core.ts from pigeonhole-core, generated/desktop.ts from the Tauri shell)
// and only re-exported here, so nothing is written twice; when a type moves between the
// generated files, only this file changes. What is defined below exists only in the window.

export type {
  Address,
  Attachment,
  BodyBlock,
  CalendarEvent,
  CalendarInvite,
  CalendarPerson,
  CalendarTime,
  DeliveryReport,
  AuthInfo,
  AuthMode,
  AuthUser,
  Config,
  Counts,
  Direction,
  Durability,
  EnvelopeView,
  ExportFormat,
  ExportReport,
  FieldError,
  Header,
  Finding,
  ImportProblem,
  ImportReport,
  Inbox,
  InboxKey,
  InboxKind,
  LintCheck,
  LintLocation,
  LintReport,
  ListQuery,
  MessageDetail,
  MessageFilter,
  MessagePage,
  MessageSummary,
  MimePart,
  NestedMessage,
  ReportField,
  ReportKind,
  ReportRecipient,
  RecipientView,
  Rule,
  RuleSet,
  RuleStats,
  RulesView,
  Stage,
  Action,
  CounterScope,
  Release,
  ReleaseConfig,
  ReleaseRequest,
  ReleaseServer,
  ReleaseStage,
  ReleaseTls,
  ServerStatus,
  SessionFilter,
  SessionShow,
  SessionSummary,
  Severity,
  TlsInfo,
  Transcript,
  TranscriptLine,
  ClientSupport,
  HtmlCheck,
  HtmlCheckTotal,
  HtmlFeature,
  Link,
  LinkCheck,
  LinkFlag,
  LinkSource,
  LinkStatus,
  Support,
  SupportScore,
} from "./generated/core";
export { CONFIG_DEFAULTS, CORE_EVENTS } from "./generated/core";

export type {
  CommandError,
  DesktopSettings,
  ErrorKind,
  OpenedMessage,
  Theme,
  UiSettings,
} from "./generated/desktop";
export { DESKTOP_EVENTS, LARGE_HTML, UI_DEFAULTS } from "./generated/desktop";

import type { Config, MessageSummary, SessionSummary } from "./generated/core";
import type { CommandError, UiSettings } from "./generated/desktop";

/** Names for the ids the wire carries as plain numbers, so signatures say which id. */
export type MessageId = MessageSummary["id"];
export type SessionId = SessionSummary["id"];

/** A settings field the shell can name in a FieldError: a Config key or a window setting. */
export type SettingsField = keyof Config | keyof UiSettings;

/** A CommandError of kind "query": a malformed search, with where it went wrong. */
export type QueryError = CommandError & { kind: "query"; pos: number; len: number };
