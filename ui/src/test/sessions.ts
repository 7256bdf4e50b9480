// Session fixtures for component tests.

import type { SessionSummary, Transcript } from "../lib/types";

export function session(id: number, over: Partial<SessionSummary> = {}): SessionSummary {
  return {
    id,
    peer: `127.0.0.1:${50000 + id}`,
    local: "127.0.0.1:1025",
    started_at: "2024-05-01T10:00:00.000Z",
    ended_at: "2024-05-01T10:00:01.000Z",
    helo: "client.test",
    tls: null,
    auth: null,
    message_count: 0,
    last_code: 221,
    refusals: 0,
    aborted_messages: 0,
    tls_failed: false,
    auth_failures: 0,
    faults: 0,
    ...over,
  };
}

export function transcriptOf(s: SessionSummary, texts: string[]): Transcript {
  return {
    session: s,
    lines: texts.map((text, i) => ({
      ts: `2024-05-01T10:00:00.${String(i).padStart(3, "0")}Z`,
      dir: i % 2 === 0 ? "out" : "in",
      text,
    })),
  };
}
