import type { Config } from "./core";
export type Theme = "system" | "light" | "dark";
export type UiSettings = { notifications: boolean, theme: Theme, };
/** What the window saves: the engine's Config plus what only the window cares about. */
export type DesktopSettings = { engine: Config, ui: UiSettings, };
export type ServerStatus = { listening: boolean, paused: boolean, smtp_addr: string, smtps_addr: string | null, error: string | null, total: number, unread: number, data_dir: string, };
/** How every desktop command rejects, except save_settings' per-field FieldError[]. */
export type CommandError = { kind: "not_found" | "invalid" | "store" | "io" | "unavailable", message: string, };
export const UI_DEFAULTS: UiSettings = { notifications: true, theme: "system" };
export const DESKTOP_EVENTS = { SERVER_STATUS: "server://status", STORE_RESYNC: "store://resync", OPEN_MESSAGE: "app://open-message", NAVIGATE: "app://navigate", } as const;
