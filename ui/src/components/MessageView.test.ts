import { afterEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import MessageView from "./MessageView.svelte";
import { store } from "../lib/store.svelte";
import { commandError, detail, flush, summary } from "../test/fixtures";
import type { MessageSummary } from "../lib/types";

afterEach(() => {
  cleanup();
  store.clearSelection();
});

/** Opens `m` in the view; returns the commands the view sent afterwards. */
async function opened(m: MessageSummary, refuseTags = false) {
  const calls: { cmd: string; args: any }[] = [];
  mockIPC((cmd, args: any) => {
    if (cmd === "get_message") return detail(m.id, { summary: m });
    calls.push({ cmd, args });
    if (cmd === "tag_messages" && refuseTags && args.add.length) {
      return Promise.reject(
        commandError("invalid", `"${args.add[0]}" is not a tag: a tag has 1-64 characters and no commas or control characters`),
      );
    }
    return null;
  });
  render(MessageView);
  await store.open(m.id);
  await flush();
  calls.length = 0;
  return calls;
}

describe("message view: pin, tags, unread", () => {
  test("Pin asks core to pin; the view follows core's updated summary", async () => {
    const m = summary(7, { read: true });
    const calls = await opened(m);
    const pin = screen.getByTestId("pin-button");
    expect(pin.getAttribute("aria-pressed")).toBe("false");
    expect(pin.textContent).toContain("Pin");
    await fireEvent.click(pin);
    await flush();
    expect(calls).toEqual([{ cmd: "pin_messages", args: { ids: [7], pinned: true } }]);
    store.handleUpdated([{ ...m, pinned: true }]);
    await flush();
    expect(screen.getByTestId("pin-button").getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByTestId("pin-button").textContent).toContain("Pinned");
    await fireEvent.click(screen.getByTestId("pin-button"));
    await flush();
    expect(calls.at(-1)).toEqual({ cmd: "pin_messages", args: { ids: [7], pinned: false } });
  });

  test("tags show as chips; × removes one", async () => {
    const calls = await opened(summary(3, { tags: ["invoice", "qa"], read: true }));
    const chips = screen.getAllByTestId("tag-chip");
    expect(chips.map((c) => c.dataset.tag)).toEqual(["invoice", "qa"]);
    await fireEvent.click(chips[1].querySelector('[data-testid="tag-remove"]')!);
    await flush();
    expect(calls).toEqual([{ cmd: "tag_messages", args: { ids: [3], add: [], remove: ["qa"] } }]);
  });

  test("Enter in the tag box adds the tag and empties the box", async () => {
    const calls = await opened(summary(3, { read: true }));
    await fireEvent.click(screen.getByTestId("tag-add"));
    const input = screen.getByTestId("tag-input") as HTMLInputElement;
    await fireEvent.input(input, { target: { value: " Signup " } });
    await fireEvent.keyDown(input, { key: "Enter" });
    await flush();
    expect(calls).toEqual([{ cmd: "tag_messages", args: { ids: [3], add: ["Signup"], remove: [] } }]);
    expect(input.value).toBe("");
    expect(screen.queryByTestId("tag-error")).toBeNull();
  });

  test("a tag core refuses is explained beside the box, which keeps the text to fix", async () => {
    await opened(summary(3, { read: true }), true);
    await fireEvent.click(screen.getByTestId("tag-add"));
    const input = screen.getByTestId("tag-input") as HTMLInputElement;
    await fireEvent.input(input, { target: { value: "a,b" } });
    await fireEvent.keyDown(input, { key: "Enter" });
    await flush();
    expect(screen.getByTestId("tag-error").textContent).toContain('"a,b" is not a tag');
    expect(input.value).toBe("a,b");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(store.toasts.some((t) => t.text.includes("is not a tag")), "not a toast").toBe(false);
    await fireEvent.input(input, { target: { value: "ab" } });
    expect(screen.queryByTestId("tag-error"), "typing again clears it").toBeNull();
  });

  test("Mark unread marks the open message unread", async () => {
    const calls = await opened(summary(5, { read: true }));
    await fireEvent.click(screen.getByTestId("unread-button"));
    await flush();
    expect(calls[0]).toEqual({ cmd: "mark_read", args: { ids: [5], read: false } });
    expect(store.detail!.summary.read).toBe(false);
    expect((screen.getByTestId("unread-button") as HTMLButtonElement).disabled, "it is unread now").toBe(true);
  });
});

describe("message view: release", () => {
  test("Release opens the dialog for the open message", async () => {
    await opened(summary(4, { read: true }));
    expect(store.releaseFor).toBeNull();
    await fireEvent.click(screen.getByTestId("release-button"));
    expect(store.releaseFor).toBe(4);
    expect(store.escape(), "Escape closes it").toBe(true);
    expect(store.releaseFor).toBeNull();
  });
});

describe("message view: an HTML body the shell held back", () => {
  test("it still counts as HTML: the tabs are there, and it opens on Text, not fetched", async () => {
    const m = summary(6);
    const asked: string[] = [];
    mockIPC((cmd) => {
      asked.push(cmd);
      if (cmd === "get_message") return detail(m.id, { summary: m, html: null, html_held_back: 9_800_000 });
      return null;
    });
    render(MessageView);
    await store.open(m.id);
    await flush();
    expect(screen.getByTestId("tab-html").classList.contains("empty")).toBe(false);
    expect(screen.getByTestId("tab-html-check")).toBeTruthy();
    expect(screen.getByTestId("tab-text").getAttribute("aria-selected"), "opens on its text").toBe("true");
    await fireEvent.click(screen.getByTestId("tab-html"));
    expect(screen.getByTestId("large-html").textContent).toContain("9.3 MB");
    expect(asked).not.toContain("get_message_html");
  });
});
