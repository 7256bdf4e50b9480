import { beforeEach, describe, expect, test } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import { PAGE_SIZE, Store } from "./store.svelte";
import type { CommandError, Inbox, ListQuery, MessageFilter, MessageSummary } from "./types";
import { commandError, detail, flush, settings, status, summary } from "../test/fixtures";
import { compileMockQuery, inInbox } from "../dev/mock-query";

/** Per-recipient inboxes, counted the way core counts them (the store never does). */
function recipientInboxes(messages: MessageSummary[]): Inbox[] {
  const map = new Map<string, Inbox>();
  for (const m of messages) {
    for (const key of new Set(m.rcpt_to)) {
      const i = map.get(key) ?? { kind: "recipient", key, total: 0, unread: 0 };
      i.total++;
      if (!m.read) i.unread++;
      map.set(key, i);
    }
  }
  return [...map.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * A fake shell: newest-first messages, with list_messages honouring the inbox, the query
 * (the mock backend's subset of the language, which refuses malformed queries as core does)
 * and paging.
 */
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
        const all = this.matching(q);
        const page = { total: all.length, offset: q.offset, messages: all.slice(q.offset, q.offset + q.limit) };
        if (this.hold) return new Promise((r) => this.held.push(() => r(page)));
        return page;
      }
      case "check_query":
        compileMockQuery(args.query);
        return null;
      case "count_messages": {
        const all = this.matching(args.filter);
        return { total: all.length, unread: all.filter((m) => !m.read).length };
      }
      case "mark_all_read":
        return this.matching(args.filter).filter((m) => !m.read).length;
      case "list_inboxes":
        return recipientInboxes(this.messages);
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
        this.messages = this.messages.filter((m) => m.pinned);
        return null;
      default:
        return null;
    }
  }

  matching(f: MessageFilter): MessageSummary[] {
    const test = compileMockQuery(f.query);
    return this.messages.filter((m) => inInbox(m, f.inbox) && test(m));
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

/** A store without pauses: re-fetches run at once and typing applies at once. */
function newStore() {
  const s = new Store();
  s.refreshDelay = 0;
  s.search.delay = 0;
  return s;
}

async function started(count: number) {
  shell = new FakeShell(count);
  store = newStore();
  await store.start();
  await flush();
}

const odd = { kind: "recipient", key: "odd@x.io" } as const;
const even = { kind: "recipient", key: "even@x.io" } as const;

const ids = () => store.rows.map((r) => r?.id);

describe("loading", () => {
  test("start loads the first page, the total, the inboxes and the status", async () => {
    await started(250);
    expect(store.total).toBe(250);
    expect(store.rows.filter(Boolean)).toHaveLength(PAGE_SIZE);
    expect(store.rows[0]!.id).toBe(250);
    expect(store.inboxes.map((i) => i.key)).toEqual(["even@x.io", "odd@x.io"]);
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
    store.setInbox(odd);
    await flush();
    expect(shell.called("list_messages").at(-1)!.query).toEqual({
      inbox: { kind: "recipient", key: "odd@x.io" },
      query: "",
      offset: 0,
      limit: PAGE_SIZE,
    });
    expect(store.total).toBe(5);
    expect(ids()).toEqual([9, 7, 5, 3, 1]);
  });

  test("a failed list shows the error as a toast and in the list", async () => {
    shell = new FakeShell(0);
    shell.fail.set("list_messages", commandError("store", "database is locked"));
    store = newStore();
    await store.start();
    expect(store.listError).toBe("database is locked");
    expect(store.toasts.map((t) => t.text)).toContain("Could not load messages: database is locked");
  });
});

describe("live events", () => {
  test("a new message is prepended and the inboxes are fetched again from core", async () => {
    await started(3);
    const m = summary(4, { rcpt_to: ["odd@x.io"] });
    shell.messages.unshift(m);
    shell.calls = [];
    await emit("message://new", [m]);
    await flush();
    expect(ids()).toEqual([4, 3, 2, 1]);
    expect(store.total).toBe(4);
    expect(store.status!.unread).toBe(4);
    expect(shell.called("list_inboxes"), "the counts are core's, asked for again").toHaveLength(1);
    expect(store.inboxes.find((i) => i.key === "odd@x.io")).toEqual({ kind: "recipient", key: "odd@x.io", total: 3, unread: 3 });
  });

  test("a burst of arrivals asks core for the inboxes at most once per refreshDelay", async () => {
    await started(1);
    store.refreshDelay = 60_000;
    shell.calls = [];
    for (let id = 2; id <= 30; id++) {
      const m = summary(id, { rcpt_to: [`new${id}@x.io`] });
      shell.messages.unshift(m);
      await emit("message://new", [m]);
    }
    await flush();
    expect(shell.called("list_inboxes"), "the first arrival asks at once, the rest wait for the window").toHaveLength(1);
    expect(store.inboxes.some((i) => i.key === "new30@x.io"), "no inbox is made up locally").toBe(false);
    expect(store.rows).toHaveLength(30);
  });

  test("with an inbox chosen, an arrival re-fetches the list rather than guessing where it belongs", async () => {
    await started(4);
    store.setInbox(even);
    await flush();
    expect(ids()).toEqual([4, 2]);
    shell.calls = [];
    const other = summary(5, { rcpt_to: ["odd@x.io"] });
    shell.messages.unshift(other);
    await emit("message://new", [other]);
    await flush();
    expect(shell.called("list_messages").map((a) => a.query.inbox), "core is asked with the filter").toEqual([even]);
    expect(ids(), "mail for another inbox is not shown").toEqual([4, 2]);
    expect(store.status!.total).toBe(5);

    const mine = summary(6, { rcpt_to: ["even@x.io"] });
    shell.messages.unshift(mine);
    await emit("message://new", [mine]);
    await flush();
    expect(ids(), "mail for this inbox appears, from core's answer").toEqual([6, 4, 2]);
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

  test("cleared reloads the list: the pinned messages are still there", async () => {
    await started(3);
    shell.messages[1].pinned = true;
    store.click(1);
    await flush();
    shell.messages = shell.messages.filter((m) => m.pinned);
    await emit("message://cleared", null);
    await flush();
    expect(ids()).toEqual([2]);
    expect(store.total).toBe(1);
    expect(store.inboxes.map((i) => [i.key, i.total])).toEqual([["even@x.io", 1]]);
    expect(store.status!.total).toBe(1);
    expect(store.openId, "the open message was not pinned, so it is closed").toBeNull();
  });

  test("an open pinned message stays open through a clear", async () => {
    await started(3);
    shell.messages[0].pinned = true;
    await store.reload();
    store.click(3);
    await flush();
    shell.messages = shell.messages.filter((m) => m.pinned);
    await emit("message://cleared", null);
    await flush();
    expect(store.openId).toBe(3);
    expect(store.detail!.summary.id).toBe(3);
    expect(ids()).toEqual([3]);
  });

  test("updated summaries replace their rows and the open message", async () => {
    await started(3);
    store.click(2);
    await flush();
    const now = { ...shell.messages[1], tags: ["qa", "signup"], pinned: true };
    await emit("message://updated", [now]);
    await flush();
    expect(store.rows[1]).toEqual(now);
    expect(store.rows[0]!.tags, "other rows are untouched").toEqual([]);
    expect(store.detail!.summary.tags).toEqual(["qa", "signup"]);
    expect(store.detail!.summary.pinned).toBe(true);
  });

  test("an update under a filter asks core again, as the change may move it in or out", async () => {
    await started(3);
    store.search.set("is:pinned");
    await flush();
    expect(ids()).toEqual([]);
    shell.messages[0].pinned = true;
    await emit("message://updated", [shell.messages[0]]);
    await flush();
    expect(ids()).toEqual([3]);
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
    shell.fail.set("delete_messages", commandError("store", "store is read-only"));
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
    await flush();
    expect(store.confirmRequest!.confirmLabel).toBe("Delete all");
    store.confirmRequest!.resolve(false);
    await done;
    expect(shell.called("clear_all")).toEqual([]);
    expect(store.total).toBe(3);
  });

  test("confirming calls clear_all and shows what is left: the pinned messages", async () => {
    shell.messages[2].pinned = true;
    const done = store.clearAll();
    await flush();
    store.confirmRequest!.resolve(true);
    await done;
    await flush();
    expect(shell.called("clear_all")).toEqual([{}]);
    expect(ids()).toEqual([1]);
    expect(store.confirmRequest).toBeNull();
  });

  test("the confirmation says pinned messages are kept, and how many", async () => {
    shell.messages[0].pinned = true;
    shell.messages[2].pinned = true;
    const done = store.clearAll();
    await flush();
    expect(store.confirmRequest!.message).toContain("The 2 pinned messages are kept.");
    store.confirmRequest!.resolve(false);
    await done;
  });

  test("when core cannot count them, the confirmation still says pinned messages are kept", async () => {
    shell.fail.set("count_messages", commandError("store", "busy"));
    const done = store.clearAll();
    await flush();
    expect(store.confirmRequest!.message).toContain("Pinned messages are kept.");
    store.confirmRequest!.resolve(false);
    await done;
  });

  test("Escape cancels the confirmation", async () => {
    const done = store.clearAll();
    await flush();
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

describe("links followed in the mail frame", () => {
  test("a link clicked in the focused mail frame goes to the system browser", async () => {
    await started(1);
    const frame = document.createElement("iframe");
    frame.dataset.testid = "html-frame";
    document.body.appendChild(frame);
    frame.focus();
    shell.calls = [];
    await emit("app://link-clicked", "https://example.com/confirm?t=1");
    await flush();
    expect(shell.called("open_link")).toEqual([{ url: "https://example.com/confirm?t=1" }]);
    frame.remove();
  });

  test("a navigation the person did not start is refused and said", async () => {
    await started(1);
    (document.activeElement as HTMLElement | null)?.blur?.();
    shell.calls = [];
    await emit("app://link-clicked", "https://tracker.example/one-time");
    await flush();
    expect(shell.called("open_link")).toEqual([]);
    expect(store.toasts.at(-1)?.text).toContain("without a click");
  });
});

describe("search and filters", () => {
  test("typed text reaches the list as the query once core says it parses", async () => {
    await started(5);
    shell.calls = [];
    store.search.input("subject:message 3");
    await flush();
    expect(shell.called("check_query")).toEqual([{ query: "subject:message 3" }]);
    expect(shell.called("list_messages").at(-1)!.query).toMatchObject({ inbox: null, query: "subject:message 3" });
    expect(ids()).toEqual([3]);
    expect(store.search.problem).toBeNull();
  });

  test("a malformed query keeps the last results and says where it is wrong", async () => {
    await started(4);
    store.search.input("message");
    await flush();
    expect(store.total).toBe(4);
    shell.calls = [];
    store.search.input("message nope:x");
    await flush();
    expect(store.search.problem).toMatchObject({ query: "message nope:x", pos: 8, len: 5 });
    expect(store.search.problem!.message).toContain('unknown operator "nope:"');
    expect(shell.called("list_messages"), "the list is not asked with a query that does not parse").toEqual([]);
    expect(store.query, "the list still shows the last good query").toBe("message");
    expect(ids(), "the last results stay rather than an empty list").toEqual([4, 3, 2, 1]);
    expect(store.toasts, "the error is shown by the box, not as a toast").toEqual([]);

    store.search.input("message 2");
    await flush();
    expect(store.search.problem, "the error goes as soon as the text parses").toBeNull();
    expect(ids()).toEqual([2]);
  });

  test("a verdict on text that has since changed is ignored", async () => {
    await started(2);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    mockSlowCheck(gate);
    store.search.text = "from:(";
    const first = store.search.commit();
    store.search.text = "message";
    const second = store.search.commit();
    release();
    await Promise.all([first, second]);
    await flush();
    expect(store.search.problem, "the refusal of the old text does not show").toBeNull();
    expect(store.query).toBe("message");
  });

  test("emptying the box shows everything again at once", async () => {
    await started(3);
    store.search.delay = 10_000;
    store.search.input("message 1");
    await store.search.commit();
    await flush();
    expect(ids()).toEqual([1]);
    store.search.input("");
    await flush();
    expect(ids()).toEqual([3, 2, 1]);
  });

  test("when the list itself refuses the query, the box shows it and no toast does", async () => {
    await started(2);
    shell.fail.set("list_messages", { kind: "query", message: "this ( is never closed: add a )", pos: 3, len: 1 });
    store.search.text = "a (b";
    store.setQuery("a (b");
    await flush();
    expect(store.search.problem).toMatchObject({ pos: 3, len: 1 });
    expect(store.toasts).toEqual([]);
  });

  test("a message indexed after the search was typed appears in the searched list", async () => {
    await started(3);
    store.search.input("subject:welcome");
    await flush();
    expect(ids()).toEqual([]);
    // Committed (message://new) before the index has it: core's search cannot find it yet.
    const m = summary(4, { subject: "Welcome aboard" });
    await emit("message://new", [m]);
    await flush();
    expect(ids(), "not inserted locally: only core knows whether it matches").toEqual([]);
    shell.messages.unshift(m);
    shell.calls = [];
    await emit("message://indexed", [4]);
    await flush();
    expect(shell.called("list_messages").map((a) => a.query.query)).toEqual(["subject:welcome"]);
    expect(ids()).toEqual([4]);
  });

  test("without a filter, message://indexed costs nothing", async () => {
    await started(3);
    shell.calls = [];
    await emit("message://indexed", [1, 2, 3]);
    await flush();
    expect(shell.called("list_messages")).toEqual([]);
  });

  test("a filtered list shows core's unread count for it", async () => {
    await started(6);
    shell.messages.find((m) => m.id === 1)!.read = true;
    store.setInbox(odd);
    await flush();
    expect(store.viewCounts).toEqual({ total: 3, unread: 2 });
    store.setInbox(null);
    await flush();
    expect(store.viewCounts, "All mail uses the status").toBeNull();
  });

  test("Mark all read sends what the list shows and says how many changed", async () => {
    await started(4);
    store.setInbox(odd);
    store.search.input("message");
    await flush();
    await store.markAllRead();
    expect(shell.called("mark_all_read")).toEqual([
      { filter: { inbox: odd, query: "message" }, read: true },
    ]);
    expect(store.toasts.at(-1)!.text).toBe("Marked 2 messages read");
  });

  test("a tag core refuses comes back as its sentence, for the tag box", async () => {
    await started(1);
    shell.fail.set("tag_messages", commandError("invalid", '"a,b" is not a tag: a tag has 1-64 characters and no commas'));
    expect(await store.addTag([1], "a,b")).toContain("no commas");
    shell.fail.delete("tag_messages");
    expect(await store.addTag([1], "ok")).toBeNull();
    expect(shell.called("tag_messages").at(-1)).toEqual({ ids: [1], add: ["ok"], remove: [] });
  });

  test("pin, unpin and mark unread call core with the message", async () => {
    await started(2);
    store.click(2);
    await flush();
    await store.setPinned([2], true);
    await store.markUnread(2);
    expect(shell.called("pin_messages")).toEqual([{ ids: [2], pinned: true }]);
    expect(shell.called("mark_read").at(-1)).toEqual({ ids: [2], read: false });
    expect(store.rows[0]!.read).toBe(false);
    expect(store.detail!.summary.read).toBe(false);
  });
});

/** Makes check_query wait for `gate` before answering (other commands as the shell does). */
function mockSlowCheck(gate: Promise<void>) {
  const handle = shell.handle.bind(shell);
  shell.handle = (cmd, args) => {
    if (cmd !== "check_query") return handle(cmd, args);
    return gate.then(() => handle(cmd, args));
  };
}
