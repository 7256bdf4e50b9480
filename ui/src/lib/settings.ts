// Client-side checks of the settings form, run before save_settings. The shell validates
// again and has the last word; these only catch what a person can fix at once.

import type { FieldError, Settings } from "./types";

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export function hostPortError(value: string): string | null {
  const m = HOST_PORT.exec(value.trim());
  if (!m) return "Use host:port, e.g. 127.0.0.1:1025";
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return "The port must be between 1 and 65535";
  return null;
}

function wholeNumber(value: unknown, min: number): string | null {
  if (typeof value !== "number" || !Number.isFinite(value) || !Number.isInteger(value)) {
    return "Enter a whole number";
  }
  if (value < min) return `Must be at least ${min}`;
  return null;
}

export function validateSettings(s: Settings): FieldError[] {
  const errors: FieldError[] = [];
  const add = (field: keyof Settings, message: string | null) => {
    if (message) errors.push({ field, message });
  };
  add("smtp_addr", hostPortError(s.smtp_addr));
  if (s.smtps_addr !== null && s.smtps_addr.trim() !== "") {
    const e = hostPortError(s.smtps_addr);
    add("smtps_addr", e ?? (s.smtps_addr.trim() === s.smtp_addr.trim() ? "Must differ from the SMTP address" : null));
  }
  add("max_message_size", wholeNumber(s.max_message_size, 1));
  add("max_recipients", wholeNumber(s.max_recipients, 1));
  add("max_line_length", wholeNumber(s.max_line_length, 78));
  add("idle_timeout_secs", wholeNumber(s.idle_timeout_secs, 1));
  add("max_connections", wholeNumber(s.max_connections, 1));
  add("retention", wholeNumber(s.retention, 0));
  if (s.auth_mode === "users") {
    if (s.auth_users.length === 0) add("auth_users", "Add at least one user, or accept any credentials");
    else if (s.auth_users.some((u) => u.username.trim() === "")) add("auth_users", "Every user needs a name");
    else {
      const names = s.auth_users.map((u) => u.username.trim());
      if (new Set(names).size !== names.length) add("auth_users", "User names must be unique");
    }
  }
  return errors;
}

/** Returns settings with smtp address replaced by the same host on a new port. */
export function withPort(addr: string, port: string): string {
  const i = addr.lastIndexOf(":");
  const host = i < 0 ? addr : addr.slice(0, i);
  return `${host}:${port.trim()}`;
}
