import { beforeEach, describe, expect, test } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import { countArrivals, PAGE_SIZE, Store } from "./store.svelte";
import type { CommandError, ListQuery, MessageSummary } from "./types";
import { detail, flush, settings, status, summary } from "../test/fixtures";

/** A fake shell: newest-first messages, with list_messages honouring inbox and paging. */
class FakeShell {
  messages: MessageSummary[] = [];
  calls: { cmd: string; args: any }[] = [];
  /** Commands that reject, with what the shell rejects them with. */
  fail = new Map<string, CommandError>();
  /** Holds list_messages replies until release() when set. */
  hold = false;
  held: (() => void)[] = [];

  constructor(count: number) {
    for (let id = count; id >= 1; id--) {
      this.messages.push(summary(id, { rcpt_to: [id % 2 ? "odd@x.io" : "even@x.io"] }));
    }
    mockIPC((cmd, args) => this.handle(cmd, args), { shouldMockEvents: true });
  }

  handle(cmd: string, args: any): unknown {
    this.calls.push({ cmd, args });
    if (this.fail.has(cmd)) return Promise.reject(this.fail.get(cmd));
    switch (cmd) {
      case "list_messages": {
        const q: ListQuery = args.query;
        const all = this.messages.filter((m) => q.inbox === null || m.rcpt_to.includes(q.inbox));
        const page = { total: all.length, offset: q.offset, messages: all.slice(q.offset, q.offset + q.limit) };
        if (this.hold) return new Promise((r) => this.held.push(() => r(page)));
        return page;
      }
      case "list_inboxes":
        return countArrivals([], this.messages);
      case "server_status":
        return status({
          total: this.messages.length,
          unread: this.messages.filter((m) => !m.read).length,
        });
      case "get_settings":
        return settings();
      case "get_message":
        return detail(args.id, { summary: this.messages.find((m) => m.id === args.id)! });
      case "mark_read":
        for (const m of this.messages) if (args.ids.includes(m.id)) m.read = args.read;
        return null;
      case "delete_messages":
        this.messages = this.messages.filter((m) => !args.ids.includes(m.id));
        return null;
      case "clear_all":
        this.messages = [];
        return null;
      default:
        return null;
    }
  }

  release() {
    const h = this.held;
    this.held = [];
    h.forEach((f) => f());
  }

  called(cmd: string) {
    return this.calls.filter((c) => c.cmd === cmd).map((c) => c.args);
  }
}

let shell: FakeShell;
let store: Store;

async function started(count: number) {
  shell = new FakeShell(count);
  store = new Store();
  await store.start();
  await flush();
}

const ids = () => store.rows.map((r) => r?.id);

describe("loading", () => {
  test("start loads the first page, the total, the inboxes and the status", async () => {
    await started(250);
    expect(store.total).toBe(250);
    expect(store.rows.filter(Boolean)).toHaveLength(PAGE_SIZE);
    expect(store.rows[0]!.id).toBe(250);
    expect(store.inboxes.map((i) => i.address)).toEqual(["even@x.io", "odd@x.io"]);
    expect(store.status!.total).toBe(250);
    expect(store.listLoading).toBe(false);
  });

  test("scrolling past the first page fetches the next page by offset, once", async () => {
    await started(450);
    shell.calls = [];
    const a = store.ensureRows(190, 230);
    const b = store.ensureRows(195, 235);
    await Promise.all([a, b]);
    expect(shell.called("list_messages").map((x) => x.query.offset)).toEqual([200]);
    expect(store.rows[229]!.id).toBe(450 - 229);
  });

  test("rows already cached are not fetched again", async () => {
    await started(100);
    shell.calls = [];
    await store.ensureRows(0, 50);
    expect(shell.called("list_messages")).toEqual([]);
  });

  test("choosing an inbox refetches with that inbox as the filter", async () => {
    await started(10);
    store.setInbox("odd@x.io");
    await flush();
    expect(shell.called("list_messages").at(-1)!.query).toEqual({
      inbox: "odd@x.io",
      search: "",
      offset: 0,
      limit: PAGE_SIZE,
    });
    expect(store.total).toBe(5);
    expect(ids()).toEqual([9, 7, 5, 3, 1]);
  });

  test("a failed list shows the error as a toast and in the list", async () => {
    shell = new FakeShell(0);
    shell.fail.set("list_messages", { kind: "store", message: "database is locked" });
    store = new Store();
    await store.start();
    expect(store.listError).toBe("database is locked");
    expect(store.toasts.map((t) => t.text)).toContain("Could not load messages: database is locked");
  });
});

describe("live events", () => {
  test("a new message is prepended and the unread counts go up", async () => {
    await started(3);
    const m = summary(4, { rcpt_to: ["odd@x.io"] });
    shell.messages.unshift(m);
    await emit("message://new", [m]);
    await flush();
    expect(ids()).toEqual([4, 3, 2, 1]);
    expect(store.total).toBe(4);
    expect(store.status!.unread).toBe(4);
    expect(store.inboxes.find((i) => i.address === "odd@x.io")).toEqual({ address: "odd@x.io", total: 3, unread: 3 });
  });

  test("a batch is shown newest first and creates inboxes for new recipients", async () => {
    await started(1);
    await emit("message://new", [summary(2, { rcpt_to: ["new@x.io"] }), summary(3, { rcpt_to: ["new@x.io"], read: true })]);
    await flush();
    expect(ids()).toEqual([3, 2, 1]);
    expect(store.inboxes.find((i) => i.address === "new@x.io")).toEqual({ address: "new@x.io", total: 2, unread: 1 });
  });

  test("a new message for another inbox updates counts but not the filtered list", async () => {
    await started(4);
    store.setInbox("even@x.io");
    await flush();
    await emit("message://new", [summary(5, { rcpt_to: ["odd@x.io"] })]);
    await flush();
    expect(ids()).toEqual([4, 2]);
    expect(store.status!.total).toBe(5);
  });

  test("the same message announced twice is listed once", async () => {
    await started(2);
    await emit("message://new", [summary(2)]);
    await flush();
    expect(ids()).toEqual([2, 1]);
  });

  test("a page that was in flight when mail arrived lands below the new rows", async () => {
    await started(400);
    shell.hold = true;
    const pending = store.ensureRows(200, 220);
    await flush();
    await emit("message://new", [summary(401)]);
    await flush();
    shell.release();
    await pending;
    expect(store.rows[0]!.id).toBe(401);
    expect(store.rows[201]!.id).toBe(200);
    expect(store.total).toBe(401);
  });

  test("deleted messages are removed from the list, the selection and the view", async () => {
    await started(5);
    store.click(3);
    await flush();
    expect(store.detail!.summary.id).toBe(3);
    shell.messages = shell.messages.filter((m) => m.id !== 3 && m.id !== 4);
    await emit("message://deleted", [3, 4]);
    await flush();
    expect(ids()).toEqual([5, 2, 1]);
    expect(store.total).toBe(3);
    expect(store.selected.size).toBe(0);
    expect(store.detail).toBeNull();
    expect(store.status!.total).toBe(3);
  });

  test("deleting a message that was never fetched refetches what is shown", async () => {
    await started(300);
    shell.calls = [];
    shell.messages = shell.messages.filter((m) => m.id !== 10);
    await emit("message://deleted", [10]);
    await flush();
    expect(shell.called("list_messages").length).toBeGreaterThan(0);
    expect(store.total).toBe(299);
  });

  test("read changes update the bold rows and the counts", async () => {
    await started(3);
    for (const m of shell.messages) if (m.id !== 3) m.read = true;
    await emit("message://read", { ids: [1, 2], read: true });
    await flush();
    expect(store.rows.map((r) => r!.read)).toEqual([false, true, true]);
    expect(store.status!.unread).toBe(1);
  });

  test("cleared empties the list, the inboxes and the counts", async () => {
    await started(3);
    await emit("message://cleared", null);
    await flush();
    expect(store.rows).toEqual([]);
    expect(store.total).toBe(0);
    expect(store.inboxes).toEqual([]);
    expect(store.status!.total).toBe(0);
  });

  test("server status events replace the status", async () => {
    await started(0);
    await emit("server://status", status({ listening: false, error: "in use" }));
    await flush();
    expect(store.status!.error).toBe("in use");
  });

  test("a clicked notification opens that message", async () => {
    await started(3);
    store.view = "sessions";
    await emit("app://open-message", 2);
    await flush();
    expect(store.view).toBe("mail");
    expect(store.openId).toBe(2);
    expect(store.detail!.summary.id).toBe(2);
  });

  test("the tray's navigate event shows settings", async () => {
    await started(0);
    await emit("app://navigate", "settings");
    await flush();
    expect(store.view).toBe("settings");
  });
});

describe("selection and opening", () => {
  test("opening an unread message fetches it and marks it read", async () => {
    await started(3);
    store.click(2);
    await flush();
    expect(shell.called("get_message")).toEqual([{ id: 2 }]);
    expect(shell.called("mark_read")).toEqual([{ ids: [2], read: true }]);
    expect(store.rows.find((r) => r!.id === 2)!.read).toBe(true);
  });

  test("opening a read message does not mark it again", async () => {
    await started(3);
    shell.messages[0].read = true;
    await store.reload();
    store.click(3);
    await flush();
    expect(shell.called("mark_read")).toEqual([]);
  });

  test("shift-click selects the range from the anchor and ctrl-click toggles one", async () => {
    await started(6);
    store.click(6);
    store.click(3, { range: true });
    expect([...store.selected].sort()).toEqual([3, 4, 5, 6]);
    store.click(4, { toggle: true });
    expect([...store.selected].sort()).toEqual([3, 5, 6]);
  });

  test("j and k move the selection down and up and open the row", async () => {
    await started(3);
    store.move(1);
    await flush();
    expect(store.openId).toBe(3);
    store.move(1);
    await flush();
    expect([...store.selected]).toEqual([2]);
    expect(store.openId).toBe(2);
    store.move(-1);
    expect(store.cursorId).toBe(3);
  });

  test("deleting the selection calls delete_messages and selects the next row", async () => {
    await started(4);
    store.click(3);
    await flush();
    await store.deleteSelected();
    await flush();
    expect(shell.called("delete_messages")).toEqual([{ ids: [3] }]);
    expect(ids()).toEqual([4, 2, 1]);
    expect(store.openId).toBe(2);
  });

  test("the shell's echo of our own delete changes nothing more", async () => {
    await started(4);
    store.click(3);
    await store.deleteSelected();
    await flush();
    shell.calls = [];
    await emit("message://deleted", [3]);
    await flush();
    expect(ids()).toEqual([4, 2, 1]);
    expect(shell.called("list_messages")).toEqual([]);
  });

  test("a failed delete is reported and the message stays", async () => {
    await started(2);
    shell.fail.set("delete_messages", { kind: "store", message: "store is read-only" });
    store.click(1);
    await store.deleteSelected();
    expect(ids()).toEqual([2, 1]);
    expect(store.toasts.at(-1)!.text).toBe("Could not delete: store is read-only");
  });
});

describe("clear all", () => {
  beforeEach(async () => {
    await started(3);
  });

  test("cancelling the confirmation deletes nothing", async () => {
    const done = store.clearAll();
    expect(store.confirmRequest!.confirmLabel).toBe("Delete all");
    store.confirmRequest!.resolve(false);
    await done;
    expect(shell.called("clear_all")).toEqual([]);
    expect(store.total).toBe(3);
  });

  test("confirming calls clear_all and empties the list", async () => {
    const done = store.clearAll();
    store.confirmRequest!.resolve(true);
    await done;
    expect(shell.called("clear_all")).toEqual([{}]);
    expect(store.total).toBe(0);
    expect(store.confirmRequest).toBeNull();
  });

  test("Escape cancels the confirmation", async () => {
    const done = store.clearAll();
    expect(store.escape()).toBe(true);
    await done;
    expect(shell.called("clear_all")).toEqual([]);
  });
});

describe("store: missed events and sessions", () => {
  test("a resync event reloads the list and the counts from the shell", async () => {
    await started(3);
    const before = shell.called("list_messages").length;
    shell.messages.unshift(summary(4));
    await emit("store://resync", null);
    await flush();
    expect(shell.called("list_messages").length).toBeGreaterThan(before);
    expect(store.total).toBe(4);
  });

  test("a closed session bumps the sessions version so the Sessions view refreshes", async () => {
    await started(1);
    const v = store.sessionsVersion;
    await emit("session://closed", { id: 9 });
    await flush();
    expect(store.sessionsVersion).toBe(v + 1);
  });
});
