import { afterEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import MessageList from "./MessageList.svelte";
import { store } from "../lib/store.svelte";
import { flush, status, summary } from "../test/fixtures";
import type { ListQuery } from "../lib/types";

afterEach(() => cleanup());

function shell(total: number) {
  const queries: ListQuery[] = [];
  mockIPC((cmd, args: any) => {
    if (cmd === "list_messages") {
      const q: ListQuery = args.query;
      queries.push(q);
      const n = Math.max(0, Math.min(q.limit, total - q.offset));
      return {
        total,
        offset: q.offset,
        messages: Array.from({ length: n }, (_, i) => summary(total - q.offset - i, { read: (q.offset + i) % 2 === 1 })),
      };
    }
    if (cmd === "server_status") return status({ total });
    if (cmd === "list_inboxes") return [];
    return null;
  });
  return queries;
}

describe("message list", () => {
  test("only the rows in view are rendered even for 100 000 messages", async () => {
    shell(100_000);
    await store.reload();
    render(MessageList);
    await flush();
    const rows = screen.getAllByTestId("message-row");
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(60);
    const spacer = screen.getByTestId("message-list").firstElementChild as HTMLElement;
    expect(parseInt(spacer.style.height)).toBe(100_000 * 58);
  });

  test("rows carry their id, unread state and subject for tests and styling", async () => {
    shell(3);
    await store.reload();
    render(MessageList);
    await flush();
    const rows = screen.getAllByTestId("message-row");
    expect(rows.map((r) => r.dataset.id)).toEqual(["3", "2", "1"]);
    expect(rows.map((r) => r.dataset.unread)).toEqual(["true", "false", "true"]);
    expect(rows[0].querySelector('[data-testid="message-subject"]')!.textContent).toBe("Message 3");
  });

  test("typing in the search box refetches with the search text", async () => {
    const queries = shell(3);
    await store.reload();
    render(MessageList);
    const input = screen.getByTestId("search-input");
    await fireEvent.input(input, { target: { value: "invoice" } });
    await fireEvent.keyDown(input, { key: "Enter" });
    await flush();
    expect(queries.at(-1)!.search).toBe("invoice");
    store.setSearch("");
  });

  test("the delete button is disabled until something is selected", async () => {
    shell(3);
    await store.reload();
    render(MessageList);
    await flush();
    const del = screen.getByTestId("delete-button") as HTMLButtonElement;
    expect(del.disabled).toBe(true);
    await fireEvent.click(screen.getAllByTestId("message-row")[1]);
    await flush();
    expect(del.disabled).toBe(false);
    store.clearSelection();
  });

  test("a row names the To and the Cc recipients, the Cc marked", async () => {
    rows([
      summary(1, {
        to: [{ name: "Alice", address: "alice@example.com" }],
        cc: [{ name: null, address: "ops@example.com" }, { name: "Bob", address: "bob@example.com" }],
        rcpt_to: ["alice@example.com", "ops@example.com", "bob@example.com"],
      }),
    ]);
    await store.reload();
    render(MessageList);
    await flush();
    const to = screen.getByTestId("message-to");
    expect(to.textContent).toBe("→ Alice cc: ops@example.com, Bob");
    expect(to.querySelector(".cc-mark")?.textContent, "the Cc part is marked").toBe("cc:");
    expect(to.title, "the tooltip gives every address").toContain("Cc: ops@example.com, Bob <bob@example.com>");
  });

  test("a message with only Cc headers shows them marked, with no empty To", async () => {
    rows([summary(1, { to: [], cc: [{ name: null, address: "ops@example.com" }], rcpt_to: ["ops@example.com"] })]);
    await store.reload();
    render(MessageList);
    await flush();
    expect(screen.getByTestId("message-to").textContent).toBe("→ cc: ops@example.com");
  });

  test("with neither To nor Cc headers the envelope recipients are shown", async () => {
    rows([summary(1, { to: [], cc: [], rcpt_to: ["hidden@example.com", "audit@example.com"] })]);
    await store.reload();
    render(MessageList);
    await flush();
    const to = screen.getByTestId("message-to");
    expect(to.textContent).toBe("→ hidden@example.com, audit@example.com");
    expect(to.querySelector(".cc-mark"), "nothing is marked cc").toBeNull();
    expect(to.title).toContain("Envelope: hidden@example.com, audit@example.com");
  });
});

/** A shell whose whole store is `list`, newest first. */
function rows(list: ReturnType<typeof summary>[]) {
  mockIPC((cmd, args: any) => {
    if (cmd === "list_messages") return { total: list.length, offset: args.query.offset, messages: list.slice(args.query.offset) };
    if (cmd === "server_status") return status({ total: list.length });
    if (cmd === "list_inboxes") return [];
    return null;
  });
}
