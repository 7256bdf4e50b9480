import { afterEach, describe, expect, test } from "vitest";
import { cleanup, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import ImportOrigin from "./ImportOrigin.svelte";
import MessageRow from "./MessageRow.svelte";
import { flush, summary } from "../test/fixtures";
import { session, transcriptOf } from "../test/sessions";

afterEach(() => cleanup());

describe("imported mail", () => {
  test("the Transcript tab says there was no SMTP session and shows this message's source line", async () => {
    const s = session(-3, { peer: "pigeonhole import (pid 9)", local: "import" });
    const t = transcriptOf(s, [
      "Import by pigeonhole import (pid 9) (file import); no SMTP session: ...",
      "/home/me/old.mbox message 1 at byte 0: MAIL FROM:<a@x> RCPT TO:<b@x> [120 bytes]",
      "/home/me/old.mbox message 2 at byte 180: MAIL FROM:<c@x> RCPT TO:<d@x> [99 bytes]",
    ]);
    const asked: unknown[] = [];
    mockIPC((cmd, args) => {
      asked.push({ cmd, args });
      return cmd === "get_transcript" ? t : null;
    });
    render(ImportOrigin, { sessionId: -3, range: [2, 3] });
    await flush();
    expect(asked).toEqual([{ cmd: "get_transcript", args: { sessionId: -3 } }]);
    expect(screen.getByTestId("import-origin").textContent).toContain("no SMTP session");
    const lines = screen.getAllByTestId("import-source").map((e) => e.textContent);
    expect(lines).toEqual(["/home/me/old.mbox message 2 at byte 180: MAIL FROM:<c@x> RCPT TO:<d@x> [99 bytes]"]);
  });

  test("the list marks imported rows and only those", () => {
    mockIPC(() => null);
    const { unmount } = render(MessageRow, { m: summary(1, { listener: "import" }), top: 0, height: 58, now: Date.now() });
    expect(screen.queryByTestId("imported-mark")?.textContent).toBe("Imported");
    unmount();
    render(MessageRow, { m: summary(2), top: 0, height: 58, now: Date.now() });
    expect(screen.queryByTestId("imported-mark")).toBeNull();
  });
});
