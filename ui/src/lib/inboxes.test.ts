import { describe, expect, test } from "vitest";
import { describeInbox, groupInboxes, sameInbox } from "./inboxes";
import type { Inbox } from "./types";

const inbox = (kind: Inbox["kind"], key: string, unread = 0): Inbox => ({ kind, key, total: unread + 1, unread });

const ALL: Inbox[] = [
  inbox("tag", "signup"),
  inbox("recipient", "alice@example.com", 2),
  inbox("user", "app"),
  inbox("recipient", "bob@example.com"),
  inbox("tag", "invoice"),
];

describe("inbox groups", () => {
  test("inboxes are grouped Recipients, Users, Listeners, Tags, in core's order within each", () => {
    const groups = groupInboxes(ALL);
    expect(groups.map((g) => g.heading), "the empty Listeners group is left out").toEqual(["Recipients", "Users", "Tags"]);
    expect(groups[0].inboxes.map((i) => i.key)).toEqual(["alice@example.com", "bob@example.com"]);
    expect(groups[2].inboxes.map((i) => i.key), "core's order is kept").toEqual(["signup", "invoice"]);
  });

  test("the filter keeps inboxes whose key contains it, ignoring case, and drops emptied groups", () => {
    const groups = groupInboxes(ALL, "  BOB ");
    expect(groups.map((g) => g.heading)).toEqual(["Recipients"]);
    expect(groups[0].inboxes.map((i) => i.key)).toEqual(["bob@example.com"]);
    expect(groupInboxes(ALL, "zzz")).toEqual([]);
  });

  test("no inboxes means no groups", () => {
    expect(groupInboxes([])).toEqual([]);
  });

  test("an inbox is the same only with the same kind and key", () => {
    expect(sameInbox({ kind: "tag", key: "qa" }, { kind: "tag", key: "qa" })).toBe(true);
    expect(sameInbox({ kind: "tag", key: "qa" }, { kind: "user", key: "qa" })).toBe(false);
    expect(sameInbox(null, null)).toBe(true);
    expect(sameInbox(null, { kind: "tag", key: "qa" })).toBe(false);
  });

  test("the list names each kind of inbox in words", () => {
    expect(describeInbox({ kind: "recipient", key: "a@x.io" })).toBe("to a@x.io");
    expect(describeInbox({ kind: "user", key: "app" })).toBe("sent as app");
    expect(describeInbox({ kind: "listener", key: "staging" })).toBe("on listener staging");
    expect(describeInbox({ kind: "tag", key: "qa" })).toBe("tagged qa");
  });
});
