import { afterEach, describe, expect, test } from "vitest";
import { cleanup, render, screen } from "@testing-library/svelte";
import TranscriptView from "./TranscriptView.svelte";
import type { Transcript } from "../lib/types";

afterEach(() => cleanup());

const transcript: Transcript = {
  session: {
    id: 1,
    peer: "127.0.0.1:50123",
    local: "127.0.0.1:1025",
    started_at: "2024-05-01T10:00:00.000Z",
    ended_at: null,
    helo: "client.test",
    tls: { version: "TLSv1.3", cipher: "TLS13_AES_128_GCM_SHA256" },
    auth: { mechanism: "PLAIN", user: "dev" },
    message_count: 1,
    last_code: 250,
  },
  lines: [
    { ts: "2024-05-01T10:00:00.000Z", dir: "out", text: "220 ready" },
    { ts: "2024-05-01T10:00:00.010Z", dir: "in", text: "EHLO client.test" },
    { ts: "2024-05-01T10:00:00.020Z", dir: "info", text: "[120 bytes]" },
  ],
};

describe("transcript view", () => {
  test("each line carries its direction and the message's lines are highlighted", () => {
    render(TranscriptView, { transcript, highlight: [1, 3] });
    const lines = screen.getAllByTestId("transcript-line");
    expect(lines.map((l) => l.dataset.dir)).toEqual(["out", "in", "info"]);
    expect(lines.map((l) => l.classList.contains("hl"))).toEqual([false, true, true]);
  });

  test("the session facts show peer, EHLO name, TLS and AUTH", () => {
    render(TranscriptView, { transcript });
    const text = document.body.textContent!;
    expect(text).toContain("127.0.0.1:50123");
    expect(text).toContain("client.test");
    expect(text).toContain("TLSv1.3 · TLS13_AES_128_GCM_SHA256");
    expect(text).toContain("PLAIN as dev");
  });
});
