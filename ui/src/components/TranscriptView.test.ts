import { afterEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
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
    refusals: 0,
    aborted_messages: 0,
    tls_failed: false,
    auth_failures: 0,
    faults: 0,
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

describe("transcript navigation and facts", () => {
  const long: Transcript = {
    session: transcript.session,
    lines: Array.from({ length: 200 }, (_, i) => ({ ts: "2024-05-01T10:00:00.000Z", dir: "out" as const, text: `line ${i}` })),
  };

  test("Go to start and the Home key reach the greeting and keep the message highlighted", async () => {
    render(TranscriptView, { transcript: long, highlight: [150, 160] });
    const lines = screen.getByTestId("transcript");
    lines.scrollTop = 900;
    await fireEvent.click(screen.getByTestId("transcript-start"));
    expect(lines.scrollTop).toBe(0);
    lines.scrollTop = 900;
    await fireEvent.keyDown(window, { key: "Home" });
    expect(lines.scrollTop).toBe(0);
    const hl = screen.getAllByTestId("transcript-line").filter((l) => l.classList.contains("hl"));
    expect(hl.length).toBe(10);
    expect(screen.getByTestId("transcript-message")).toBeTruthy();
  });

  test("Home typed in a field is left to the field", async () => {
    render(TranscriptView, { transcript: long });
    const input = document.createElement("input");
    document.body.appendChild(input);
    const lines = screen.getByTestId("transcript");
    lines.scrollTop = 900;
    await fireEvent.keyDown(input, { key: "Home" });
    expect(lines.scrollTop).toBe(900);
    input.remove();
  });

  test("every fact carries its whole value as a tooltip", () => {
    render(TranscriptView, { transcript });
    for (const dd of screen.getByTestId("transcript-facts").querySelectorAll("dd")) {
      expect(dd.title, dd.textContent ?? "").not.toBe("");
    }
    expect(screen.getByTestId("fact-tls").title).toBe("TLSv1.3 · TLS13_AES_128_GCM_SHA256");
  });

  test("problems are counted in the facts", () => {
    const bad = { ...transcript.session, refusals: 3, aborted_messages: 1, tls_failed: true, auth_failures: 2, tls: null };
    render(TranscriptView, { transcript: { ...transcript, session: bad } });
    const p = screen.getByTestId("fact-problems");
    expect(p.textContent).toBe("3 refused · 1 broken off · TLS failed · 2 AUTH failed");
    expect(p.classList.contains("bad")).toBe(true);
    expect(screen.getByTestId("fact-tls").textContent).toBe("handshake failed");
  });

  test("a clean session says none", () => {
    render(TranscriptView, { transcript });
    expect(screen.getByTestId("fact-problems").textContent).toBe("none");
  });

  test("a line saying a fault rule fired stands out from the other info lines, and the facts count them", () => {
    const fired = {
      session: { ...transcript.session, faults: 1 },
      lines: [
        ...transcript.lines,
        { ts: "2024-05-01T10:00:00.030Z", dir: "info" as const, text: 'rule "550 for nobody@*" fired at rcpt (occurrence 1): 550 5.1.1 No such user' },
        { ts: "2024-05-01T10:00:00.040Z", dir: "in" as const, text: 'rule "x" fired at rcpt: typed by a client' },
      ],
    };
    render(TranscriptView, { transcript: fired });
    const lines = screen.getAllByTestId("transcript-line");
    expect(lines.map((l) => l.classList.contains("fired"))).toEqual([false, false, false, true, false]);
    expect(screen.getByTestId("fact-faults").textContent).toBe("1 rule fired");
  });
});
