import { afterEach, describe, expect, test } from "vitest";
import { cleanup, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import { DROP_EVENT, exportTo, importDropped, importSummary, problemText } from "./transfer";
import { flush } from "../test/fixtures";
import { store } from "./store.svelte";
import DropImport from "../components/DropImport.svelte";
import type { ImportReport } from "./types";

function notes() {
  const said: { text: string; kind?: string }[] = [];
  return {
    said,
    toast: (text: string, kind?: "info" | "error") => said.push({ text, kind }),
    error: (what: string, e: unknown) => said.push({ text: `${what}: ${String((e as any)?.message ?? e)}`, kind: "error" }),
  };
}

const report = (over: Partial<ImportReport> = {}): ImportReport => ({
  imported: 2,
  ids: [10, 11],
  problems: [],
  session_id: -1,
  ...over,
});

afterEach(() => cleanup());

describe("import and export feedback", () => {
  test("a clean import says how many came in", () => {
    expect(importSummary(report())).toEqual({ text: "Imported 2 messages", kind: "info" });
    expect(importSummary(report({ imported: 1, ids: [3] })).text).toBe("Imported 1 message");
  });

  test("problems name the file, the message and its byte offset, and the rest are counted", () => {
    const p = (i: number) => ({ source: `/home/me/mail/old.mbox`, index: i, offset: i * 100, reason: `reason ${i}` });
    const r = report({ problems: [p(2), { source: "C:\\mail\\x.png", index: null, offset: null, reason: "not mail" }, p(4), p(5), p(6)] });
    const s = importSummary(r);
    expect(s.kind).toBe("error");
    expect(s.text).toContain("Imported 2 messages; 5 problems");
    expect(s.text).toContain("old.mbox (message 2, byte 200): reason 2");
    expect(s.text).toContain("x.png: not mail");
    expect(s.text).toContain("and 2 more problems");
    expect(problemText({ source: "a.mbox", index: null, offset: 0, reason: "junk" })).toBe("a.mbox (byte 0): junk");
  });

  test("a drop sends the paths to core and toasts the outcome; a failure is shown too", async () => {
    const calls: any[] = [];
    mockIPC((cmd, args: any) => {
      calls.push({ cmd, args });
      if (cmd === "import_paths") return report({ imported: 1, ids: [5] });
      return null;
    });
    const n = notes();
    await importDropped(["/tmp/a.eml"], n);
    expect(calls).toEqual([{ cmd: "import_paths", args: { paths: ["/tmp/a.eml"] } }]);
    expect(n.said).toEqual([{ text: "Imported 1 message", kind: "info" }]);

    mockIPC(() => Promise.reject({ kind: "invalid", message: "nothing was dropped", pos: null, len: null }));
    const m = notes();
    expect(await importDropped(["/x"], m)).toBeNull();
    expect(m.said[0].text).toContain("Could not import");
    expect(await importDropped([], m)).toBeNull();
  });

  test("an export passes ids, filter and format, and a cancelled dialog says nothing", async () => {
    const calls: any[] = [];
    let answer: unknown = { exported: 3, bytes: 900, path: "/tmp/out.mbox" };
    mockIPC((cmd, args: any) => {
      calls.push({ cmd, args });
      return answer;
    });
    const n = notes();
    await exportTo([], { inbox: null, query: "is:imported" }, "mbox", n);
    expect(calls[0]).toEqual({
      cmd: "export_messages",
      args: { ids: [], filter: { inbox: null, query: "is:imported" }, format: "mbox" },
    });
    expect(n.said).toEqual([{ text: "Exported 3 messages to /tmp/out.mbox", kind: undefined }]);
    answer = null;
    await exportTo([1], { inbox: null, query: "" }, "eml", n);
    expect(n.said.length).toBe(1);
  });

  test("the drop handler the DOM event reaches imports the paths and shows the toast", async () => {
    const calls: any[] = [];
    mockIPC((cmd, args: any) => {
      calls.push({ cmd, args });
      if (cmd === "import_paths") return report({ imported: 1, ids: [9] });
      return null;
    });
    render(DropImport);
    await flush();
    window.dispatchEvent(new CustomEvent(DROP_EVENT, { detail: { paths: ["/tmp/dropped.eml", 7] } }));
    await flush();
    await flush();
    expect(calls.filter((c) => c.cmd === "import_paths")).toEqual([
      { cmd: "import_paths", args: { paths: ["/tmp/dropped.eml"] } },
    ]);
    expect(store.toasts.some((t) => t.text === "Imported 1 message")).toBe(true);
    expect(screen.queryByTestId("drop-overlay")).toBeNull();
  });
});
