// Helpers for the Release dialog. Nothing here decides whether a release may go: core
// checks the allowlist and every address, and says why when it refuses.

import type { Config, DesktopSettings, Release, ReleaseServer } from "./types";

/** The server in the release settings, as the dialog's fields start. */
export function configuredServer(c: Config): ReleaseServer {
  const r = c.release;
  return {
    host: r.host,
    port: r.port,
    tls: r.tls,
    user: r.user,
    password: r.password,
    accept_invalid_certs: r.accept_invalid_certs,
  };
}

/** Addresses as typed: one per line, or separated by commas or semicolons. */
export function recipientLines(text: string): string[] {
  return text
    .split(/[\n,;]/)
    .map((a) => a.trim())
    .filter((a) => a !== "");
}

/** `550 5.1.1 text`: the reply as the server sent it; only the text when none came. */
export function replyLine(r: Release): string {
  return [r.code === null ? null : String(r.code), r.enhanced_code, r.text]
    .filter((p) => p !== null && p !== "")
    .join(" ");
}

const STAGE_WORDS: Record<Release["stage"], string> = {
  connect: "on connecting",
  tls: "at STARTTLS / TLS",
  auth: "at AUTH",
  mail: "at MAIL FROM",
  rcpt: "at RCPT TO",
  data: "at DATA",
  message: "after the message",
};

/** "Accepted by host:port", "Refused at RCPT TO:<a@b> by host:port", "Could not connect to host:port". */
export function outcomeLine(r: Release): string {
  if (r.ok) return `Accepted by ${r.server}`;
  if (r.code === null) {
    if (r.stage === "connect") return `Could not connect to ${r.server}`;
    if (r.stage === "tls") return `TLS failed with ${r.server}`;
    return `Failed ${STAGE_WORDS[r.stage]} with ${r.server}`;
  }
  const at = r.stage === "rcpt" && r.recipient ? `at RCPT TO:<${r.recipient}>` : STAGE_WORDS[r.stage];
  return `Refused ${at} by ${r.server}`;
}

/**
 * The settings with `server` remembered as the release server, or null when they already
 * say so. The dialog never writes a password into the settings file: the saved one is kept
 * for the same user and dropped when the user changes (it was that user's).
 */
export function rememberServer(s: DesktopSettings, server: ReleaseServer): DesktopSettings | null {
  const now = s.engine.release;
  const host = server.host.trim();
  const user = server.user.trim();
  const same =
    now.host === host &&
    now.port === server.port &&
    now.tls === server.tls &&
    now.user === user &&
    now.accept_invalid_certs === server.accept_invalid_certs;
  if (same) return null;
  return {
    ...s,
    engine: {
      ...s.engine,
      release: {
        ...now,
        host,
        port: server.port,
        tls: server.tls,
        user,
        password: user === now.user ? now.password : "",
        accept_invalid_certs: server.accept_invalid_certs,
      },
    },
  };
}
