import { afterEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import SessionList from "./SessionList.svelte";
import { flush } from "../test/fixtures";
import { session } from "../test/sessions";
import type { SessionFilter, SessionSummary } from "../lib/types";

afterEach(() => cleanup());

/** Answers list_sessions with `rows` and records every filter it was asked for. */
function shell(rows: SessionSummary[]) {
  const filters: SessionFilter[] = [];
  mockIPC((cmd, args: any) => {
    if (cmd === "list_sessions") {
      filters.push(args.filter);
      return rows;
    }
    return null;
  });
  return filters;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("session list", () => {
  test("a session of refusals is marked with its count and its 221 is not green", async () => {
    shell([session(2, { refusals: 3, last_code: 221 }), session(1, { message_count: 1 })]);
    render(SessionList);
    await flush();
    const rows = screen.getAllByTestId("session-row");
    expect(rows.map((r) => r.dataset.failed)).toEqual(["true", "false"]);
    const marks = rows[0].querySelectorAll<HTMLElement>('[data-testid="session-problem"]');
    expect([...marks].map((m) => m.textContent)).toEqual(["3 refused"]);
    expect(rows[0].querySelector(".code")!.classList.contains("good")).toBe(false);
    expect(rows[1].querySelector(".code")!.classList.contains("good")).toBe(true);
    expect(rows[1].querySelector('[data-testid="session-problem"]')).toBeNull();
  });

  test("a session where fault rules fired carries their count, apart from the problem marks", async () => {
    shell([session(2, { faults: 2, refusals: 1, last_code: 550 }), session(1, { faults: 1 }), session(0)]);
    render(SessionList);
    await flush();
    const rows = screen.getAllByTestId("session-row");
    const badge = (i: number) => rows[i].querySelector<HTMLElement>('[data-testid="session-faults"]');
    expect(badge(0)!.textContent!.trim()).toBe("2");
    expect(badge(0)!.title).toContain("2 fault rules fired");
    expect(badge(0)!.dataset.kind).toBeUndefined();
    expect([...rows[0].querySelectorAll('[data-testid="session-problem"]')].map((m) => m.textContent)).toEqual(["1 refused"]);
    expect(badge(1)!.textContent!.trim()).toBe("1");
    expect(rows[1].dataset.failed).toBe("false");
    expect(badge(2)).toBeNull();
  });

  test("a message broken off in DATA, a TLS failure and failed AUTH are each marked", async () => {
    shell([session(1, { aborted_messages: 1, tls_failed: true, auth_failures: 2, last_code: 354 })]);
    render(SessionList);
    await flush();
    const marks = screen.getAllByTestId("session-problem");
    expect(marks.map((m) => [m.dataset.kind, m.textContent])).toEqual([
      ["aborted", "1 broken off"],
      ["tls", "TLS failed"],
      ["auth", "2 AUTH failed"],
    ]);
    expect(marks.every((m) => m.title !== "")).toBe(true);
  });

  test("the filter controls are sent to core as one SessionFilter", async () => {
    const filters = shell([]);
    render(SessionList);
    await flush();
    expect(filters.at(-1)).toEqual({ show: "all", peer: "", auth_user: "", search: "" });

    const show = screen.getByTestId("session-show") as HTMLSelectElement;
    show.value = "errors";
    await fireEvent.change(show);
    await flush();
    expect(filters.at(-1)).toEqual({ show: "errors", peer: "", auth_user: "", search: "" });

    await fireEvent.input(screen.getByTestId("session-peer"), { target: { value: "10.0.0.2" } });
    await fireEvent.input(screen.getByTestId("session-user"), { target: { value: "alice" } });
    await fireEvent.input(screen.getByTestId("session-search"), { target: { value: "503" } });
    await sleep(250);
    await flush();
    expect(filters.at(-1)).toEqual({ show: "errors", peer: "10.0.0.2", auth_user: "alice", search: "503" });
  });

  test("typing is debounced into one request", async () => {
    const filters = shell([]);
    render(SessionList);
    await flush();
    const before = filters.length;
    const search = screen.getByTestId("session-search");
    for (const v of ["5", "50", "503"]) await fireEvent.input(search, { target: { value: v } });
    await sleep(250);
    await flush();
    expect(filters.length).toBe(before + 1);
    expect(filters.at(-1)!.search).toBe("503");
  });

  test("an empty filtered list offers to show all again", async () => {
    const filters = shell([]);
    render(SessionList);
    await flush();
    const show = screen.getByTestId("session-show") as HTMLSelectElement;
    show.value = "messages";
    await fireEvent.change(show);
    await flush();
    await fireEvent.click(screen.getByText("Show all"));
    await flush();
    expect(filters.at(-1)).toEqual({ show: "all", peer: "", auth_user: "", search: "" });
    expect(show.value).toBe("all");
  });
});
