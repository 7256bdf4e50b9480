import { describe, expect, test, vi } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import * as ipc from "./ipc";
import { flush, settings, summary } from "../test/fixtures";

function record() {
  const calls: { cmd: string; args: unknown }[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    return null;
  });
  return calls;
}

describe("command wrappers", () => {
  test("each wrapper sends its command with the argument keys IPC.md names", async () => {
    const calls = record();
    const inbox = { kind: "recipient", key: "a@b.c" } as const;
    const query = { inbox, query: "from:bob is:unread", offset: 200, limit: 200 };
    const filter = { inbox, query: "tag:qa" };
    await ipc.listMessages(query);
    await ipc.checkQuery("from:(");
    await ipc.countMessages(filter);
    await ipc.listInboxes();
    await ipc.getMessage(7);
    await ipc.getRaw(7);
    await ipc.markRead([1, 2], true);
    await ipc.markAllRead(filter, true);
    await ipc.tagMessages([1], ["qa"], ["old"]);
    await ipc.pinMessages([1, 2], false);
    await ipc.deleteMessages([3]);
    await ipc.clearAll();
    const sessions = { show: "errors", peer: "127.0.0.1", auth_user: "", search: "503" } as const;
    await ipc.listSessions(sessions, 0, 50);
    await ipc.getTranscript(9);
    await ipc.saveMessage(7);
    await ipc.saveAttachment(7, "1.2");
    await ipc.openAttachment(7, "1.3");
    await ipc.openLink("https://example.com/");
    await ipc.getSettings();
    await ipc.serverStatus();
    await ipc.setPaused(true);
    await ipc.retryListen();
    expect(calls).toEqual([
      { cmd: "list_messages", args: { query } },
      { cmd: "check_query", args: { query: "from:(" } },
      { cmd: "count_messages", args: { filter } },
      { cmd: "list_inboxes", args: {} },
      { cmd: "get_message", args: { id: 7 } },
      { cmd: "get_raw", args: { id: 7 } },
      { cmd: "mark_read", args: { ids: [1, 2], read: true } },
      { cmd: "mark_all_read", args: { filter, read: true } },
      { cmd: "tag_messages", args: { ids: [1], add: ["qa"], remove: ["old"] } },
      { cmd: "pin_messages", args: { ids: [1, 2], pinned: false } },
      { cmd: "delete_messages", args: { ids: [3] } },
      { cmd: "clear_all", args: {} },
      { cmd: "list_sessions", args: { filter: sessions, offset: 0, limit: 50 } },
      { cmd: "get_transcript", args: { sessionId: 9 } },
      { cmd: "save_message", args: { id: 7 } },
      { cmd: "save_attachment", args: { id: 7, partId: "1.2" } },
      { cmd: "open_attachment", args: { id: 7, partId: "1.3" } },
      { cmd: "open_link", args: { url: "https://example.com/" } },
      { cmd: "get_settings", args: {} },
      { cmd: "server_status", args: {} },
      { cmd: "set_paused", args: { paused: true } },
      { cmd: "retry_listen", args: {} },
    ]);
  });

  test("save_settings sends the whole settings object under the settings key", async () => {
    const calls = record();
    const s = settings({ engine: { smtp_addr: "127.0.0.1:2525" }, ui: { theme: "dark" } });
    await ipc.saveSettings(s);
    expect(calls).toEqual([{ cmd: "save_settings", args: { settings: s } }]);
  });

  test("a save_settings rejection with field errors is returned, not thrown", async () => {
    const errors = [{ field: "smtp_addr", message: "not a host:port" }];
    mockIPC(() => Promise.reject(errors));
    await expect(ipc.saveSettings(settings())).resolves.toEqual({ ok: false, errors });
  });

  test("any other save_settings failure is thrown", async () => {
    const failure = { kind: "io", message: "disk full" };
    mockIPC(() => Promise.reject(failure));
    await expect(ipc.saveSettings(settings())).rejects.toEqual(failure);
  });

  test("open_link is never sent for schemes other than http, https and mailto", async () => {
    const calls = record();
    const refused = { kind: "invalid", message: expect.stringMatching(/Refusing/) };
    await expect(ipc.openLink("javascript:alert(1)")).rejects.toMatchObject(refused);
    await expect(ipc.openLink("file:///etc/passwd")).rejects.toMatchObject(refused);
    await ipc.openLink("mailto:a@b.c");
    expect(calls.map((c) => c.args)).toEqual([{ url: "mailto:a@b.c" }]);
  });
});

describe("event subscriptions", () => {
  test("subscribers receive the payload of their event only", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const onNew = vi.fn();
    const onDeleted = vi.fn();
    const onRead = vi.fn();
    await ipc.onMessagesNew(onNew);
    await ipc.onMessagesDeleted(onDeleted);
    await ipc.onMessagesRead(onRead);
    await emit("message://new", [summary(1)]);
    await emit("message://read", { ids: [1], read: true });
    await flush();
    expect(onNew).toHaveBeenCalledWith([summary(1)]);
    expect(onRead).toHaveBeenCalledWith({ ids: [1], read: true });
    expect(onDeleted).not.toHaveBeenCalled();
  });

  test("indexed ids and updated summaries reach their subscribers", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const onIndexed = vi.fn();
    const onUpdated = vi.fn();
    await ipc.onMessagesIndexed(onIndexed);
    await ipc.onMessagesUpdated(onUpdated);
    await emit("message://indexed", [4, 5]);
    await emit("message://updated", [summary(4, { tags: ["qa"] })]);
    await flush();
    expect(onIndexed).toHaveBeenCalledWith([4, 5]);
    expect(onUpdated).toHaveBeenCalledWith([summary(4, { tags: ["qa"] })]);
  });

  test("an unsubscribed handler hears nothing more", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const onStatus = vi.fn();
    const stop = await ipc.onServerStatus(onStatus);
    stop();
    await emit("server://status", { listening: true });
    await flush();
    expect(onStatus).not.toHaveBeenCalled();
  });
});

describe("query errors", () => {
  test("only a query rejection with a position counts as a query error", () => {
    expect(ipc.isQueryError({ kind: "query", message: "x", pos: 3, len: 1 })).toBe(true);
    expect(ipc.isQueryError({ kind: "query", message: "x", pos: null, len: null })).toBe(false);
    expect(ipc.isQueryError({ kind: "invalid", message: "bad tag", pos: null, len: null })).toBe(false);
    expect(ipc.isQueryError("query")).toBe(false);
  });
});

describe("error text", () => {
  test("a command error reads as its message, without its kind", () => {
    expect(ipc.errorText({ kind: "not_found", message: "no message with id 7" })).toBe("no message with id 7");
  });

  test("strings, errors and field error lists all read as one sentence", () => {
    expect(ipc.errorText("no such message")).toBe("no such message");
    expect(ipc.errorText(new Error("boom"))).toBe("boom");
    expect(ipc.errorText([{ field: "retention", message: "must be >= 0" }])).toBe("retention: must be >= 0");
    expect(ipc.errorText({ code: 5 })).toBe('{"code":5}');
  });
});
