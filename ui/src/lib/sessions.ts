// What went wrong in a session, in words, for the Sessions list's marks and the facts grid.
// The counts come from core (`SessionSummary`); this only names them.

import type { SessionSummary } from "./types";

export type ProblemKind = "refused" | "aborted" | "tls" | "auth";

export interface Problem {
  kind: ProblemKind;
  /** Short, for a chip: "3 refused". */
  label: string;
  /** Whole sentence, for a tooltip. */
  title: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Each kind of trouble the session had, in a fixed order; empty for a clean session. */
export function problems(s: SessionSummary): Problem[] {
  const out: Problem[] = [];
  if (s.refusals > 0)
    out.push({
      kind: "refused",
      label: `${s.refusals} refused`,
      title: `${plural(s.refusals, "reply", "replies")} with a 4xx or 5xx code`,
    });
  if (s.aborted_messages > 0)
    out.push({
      kind: "aborted",
      label: `${s.aborted_messages} broken off`,
      title: `${plural(s.aborted_messages, "message", "messages")} broken off: the connection ended in the middle of DATA or BDAT`,
    });
  if (s.tls_failed) out.push({ kind: "tls", label: "TLS failed", title: "The TLS handshake failed" });
  if (s.auth_failures > 0)
    out.push({
      kind: "auth",
      label: `${s.auth_failures} AUTH failed`,
      title: `${plural(s.auth_failures, "AUTH attempt", "AUTH attempts")} refused`,
    });
  return out;
}

/** Colour class for the last reply code: a session with problems never looks green. */
export function codeClass(s: SessionSummary): string {
  const code = s.last_code;
  if (code === null) return "";
  if (code >= 500) return "bad";
  if (code >= 400) return "warn";
  return problems(s).length > 0 ? "" : "good";
}

/** The tooltip of a session's fault mark: rules fired on purpose, not trouble. */
export function faultTitle(n: number): string {
  return `${plural(n, "fault rule", "fault rules")} fired in this session (see the transcript)`;
}
