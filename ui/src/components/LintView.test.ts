import { afterEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import LintView from "./LintView.svelte";
import MessageView from "./MessageView.svelte";
import MessageRow from "./MessageRow.svelte";
import { store } from "../lib/store.svelte";
import { commandError, detail, flush, summary } from "../test/fixtures";
import type { LintReport } from "../lib/types";

afterEach(() => {
  cleanup();
  store.clearSelection();
});

const REPORT: LintReport = {
  errors: 1,
  warnings: 1,
  infos: 0,
  findings: [
    {
      id: "bare-lf",
      severity: "error",
      message: "Line 7 ends in a bare LF.",
      why: "Mail lines end in CRLF.",
      reference: "RFC 5322 §2.3",
      location: { header: null, line: 7, part: null },
    },
    {
      id: "bcc-header",
      severity: "warning",
      message: "Bcc (boss@example.com) is left in the message for every recipient to read.",
      why: "Every recipient can read a Bcc header left in the message.",
      reference: "RFC 5322 §3.6.3",
      location: { header: "Bcc", line: 3, part: "1" },
    },
  ],
};

describe("lint tab", () => {
  test("lists each finding with its severity, where it is, why and the reference", async () => {
    const asked: number[] = [];
    mockIPC((cmd, args: any) => {
      if (cmd === "get_lint") {
        asked.push(args.id);
        return REPORT;
      }
      return null;
    });
    render(LintView, { id: 4 });
    await flush();
    expect(asked).toEqual([4]);
    const rows = screen.getAllByTestId("lint-finding");
    expect(rows.map((r) => r.dataset.id)).toEqual(["bare-lf", "bcc-header"]);
    expect(rows[0].dataset.severity).toBe("error");
    expect(rows[1].textContent).toContain("Bcc · line 3 · part 1");
    expect(rows[1].textContent).toContain("RFC 5322 §3.6.3");
    expect(screen.getByTestId("lint-summary").textContent).toContain("1 error");
  });

  test("a check's id searches for every message with it", async () => {
    const checked: string[] = [];
    mockIPC((cmd, args: any) => {
      if (cmd === "get_lint") return REPORT;
      if (cmd === "check_query") {
        checked.push(args.query);
        return null;
      }
      if (cmd === "list_messages") return { messages: [], total: 0 };
      if (cmd === "count_messages") return { total: 0, unread: 0 };
      return [];
    });
    render(LintView, { id: 4 });
    await flush();
    await fireEvent.click(screen.getAllByTestId("lint-finding")[0].querySelector("button")!);
    await flush();
    expect(checked).toEqual(["lint:bare-lf"]);
    expect(store.query).toBe("lint:bare-lf");
    store.search.input("");
    await flush();
  });

  test("a clean message says so; a failure says why", async () => {
    mockIPC(() => ({ errors: 0, warnings: 0, infos: 0, findings: [] }));
    render(LintView, { id: 1 });
    await flush();
    expect(screen.getByTestId("lint-summary").textContent).toContain("No findings");
    cleanup();
    mockIPC(() => Promise.reject(commandError("not_found", "no message with id 9")));
    render(LintView, { id: 9 });
    await flush();
    expect(screen.getByTestId("lint-error").textContent).toContain("no message with id 9");
  });

  test("the tab's badge and the row's badge count errors and warnings", async () => {
    const m = summary(3, { lint_errors: 2, lint_warnings: 1 });
    mockIPC((cmd) => (cmd === "get_message" ? detail(3, { summary: m }) : cmd === "get_lint" ? REPORT : null));
    render(MessageView);
    await store.open(3);
    await flush();
    expect(screen.getByTestId("tab-lint").textContent).toContain("3");
    cleanup();
    render(MessageRow, { m, top: 0, height: 56, now: Date.now() });
    const badge = screen.getByTestId("lint-badge");
    expect(badge.textContent?.trim()).toBe("3");
    expect(badge.classList.contains("error")).toBe(true);
    expect(badge.getAttribute("title")).toBe("2 lint errors, 1 warning: see the Lint tab");
    cleanup();
    render(MessageRow, { m: summary(4), top: 0, height: 56, now: Date.now() });
    expect(screen.queryByTestId("lint-badge")).toBeNull();
  });
});
