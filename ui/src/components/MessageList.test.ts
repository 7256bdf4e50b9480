import { afterEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import MessageList from "./MessageList.svelte";
import { store } from "../lib/store.svelte";
import { flush, status, summary } from "../test/fixtures";
import type { ListQuery } from "../lib/types";
import { compileMockQuery } from "../dev/mock-query";

afterEach(async () => {
  cleanup();
  store.search.text = "";
  store.search.problem = null;
  store.setQuery("");
  await flush();
});

function shell(total: number) {
  const queries: ListQuery[] = [];
  mockIPC((cmd, args: any) => {
    // The mock backend's subset of the language, which refuses malformed queries as core does.
    if (cmd === "check_query") return void compileMockQuery(args.query);
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

  test("typing in the search box refetches with the text as the query, after a pause", async () => {
    const queries = shell(3);
    await store.reload();
    render(MessageList);
    const input = screen.getByTestId("search-input");
    await fireEvent.input(input, { target: { value: "from:app invoice" } });
    await flush();
    expect(queries.at(-1)!.query, "nothing is sent on every keystroke").toBe("");
    await new Promise((r) => setTimeout(r, store.search.delay + 20));
    await flush();
    expect(queries.at(-1)!.query).toBe("from:app invoice");
    expect(screen.getByTestId("list-summary").textContent).toContain("matching “from:app invoice”");
  });

  test("a malformed query is shown under the box with its part marked, and the last results stay, dimmed", async () => {
    const queries = shell(3);
    await store.reload();
    render(MessageList);
    await flush();
    const input = screen.getByTestId("search-input") as HTMLInputElement;
    await fireEvent.input(input, { target: { value: "invoice nope:x" } });
    await fireEvent.keyDown(input, { key: "Enter" });
    await flush();
    const err = screen.getByTestId("query-error");
    expect(err.dataset.pos).toBe("8");
    expect(screen.getByTestId("query-error-message").textContent).toContain('unknown operator "nope:"');
    expect(screen.getByTestId("query-error-span").textContent, "the operator is marked").toBe("nope:");
    expect(err.textContent, "the whole query is shown around it").toContain("invoice nope:x");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(queries.every((q) => q.query === ""), "the list is never asked with it").toBe(true);
    expect(screen.getAllByTestId("message-row"), "the last results stay").toHaveLength(3);
    expect(screen.getByTestId("message-list").dataset.stale).toBe("true");
    expect(screen.getByTestId("stale-note").textContent).toContain("query error");
    expect(screen.queryByTestId("list-empty"), "nothing says there is no mail").toBeNull();

    // A click on the marked query selects the part in the box.
    await fireEvent.click(screen.getByTestId("query-error-span"));
    await flush();
    expect([input.selectionStart, input.selectionEnd]).toEqual([8, 13]);

    await fireEvent.input(input, { target: { value: "invoice" } });
    await fireEvent.keyDown(input, { key: "Enter" });
    await flush();
    expect(screen.queryByTestId("query-error"), "the error goes once the text parses").toBeNull();
    expect(screen.getByTestId("message-list").dataset.stale).toBe("false");
    expect(input.getAttribute("aria-invalid")).toBe("false");
  });

  test("a problem at the end of the query is marked with a caret there", async () => {
    shell(1);
    await store.reload();
    render(MessageList);
    const input = screen.getByTestId("search-input");
    await fireEvent.input(input, { target: { value: "a OR" } });
    await fireEvent.keyDown(input, { key: "Enter" });
    await flush();
    const span = screen.getByTestId("query-error-span");
    expect(span.textContent).toBe("OR");
    await fireEvent.input(input, { target: { value: 'a "b' } });
    await fireEvent.keyDown(input, { key: "Enter" });
    await flush();
    expect(screen.getByTestId("query-error-span").textContent, "the unclosed quote").toBe('"');
  });

  test("Escape in the box clears the search and its error", async () => {
    const queries = shell(2);
    await store.reload();
    render(MessageList);
    const input = screen.getByTestId("search-input") as HTMLInputElement;
    await fireEvent.input(input, { target: { value: "from:(" } });
    await fireEvent.keyDown(input, { key: "Enter" });
    await flush();
    expect(screen.getByTestId("query-error")).toBeTruthy();
    await fireEvent.keyDown(input, { key: "Escape" });
    await flush();
    expect(input.value).toBe("");
    expect(screen.queryByTestId("query-error")).toBeNull();
    expect(queries.at(-1)!.query).toBe("");
  });

  test("the ? button lists the operators, and an example goes into the box", async () => {
    const queries = shell(2);
    await store.reload();
    render(MessageList);
    await fireEvent.click(screen.getByTestId("search-help-button"));
    const help = screen.getByTestId("search-help");
    for (const op of ["from:", "tag:", "is:unread", "has:attachment", "larger:", "after:", "header:"]) {
      expect(help.textContent, `the help names ${op}`).toContain(op);
    }
    const example = screen.getAllByTestId("search-example").find((e) => e.textContent === "is:unread")!;
    await fireEvent.click(example);
    await flush();
    expect((screen.getByTestId("search-input") as HTMLInputElement).value).toBe("is:unread");
    expect(queries.at(-1)!.query).toBe("is:unread");
    expect(screen.queryByTestId("search-help"), "the help closes").toBeNull();
  });

  test("rows show their tags as chips, at most two and a count, and pinned rows a pin", async () => {
    rows([
      summary(2, { tags: ["invoice", "qa", "signup"], pinned: true }),
      summary(1, { tags: [] }),
    ]);
    await store.reload();
    render(MessageList);
    await flush();
    const [pinned, plain] = screen.getAllByTestId("message-row");
    expect([...pinned.querySelectorAll<HTMLElement>('[data-testid="tag-chip"]')].map((c) => c.dataset.tag)).toEqual([
      "invoice",
      "qa",
    ]);
    expect(pinned.querySelector('[data-testid="row-tags"]')!.textContent).toContain("+1");
    expect(pinned.querySelector<HTMLElement>('[data-testid="row-tags"]')!.title, "all are named on hover").toBe(
      "invoice, qa, signup",
    );
    expect(pinned.dataset.pinned).toBe("true");
    expect(pinned.querySelector('[data-testid="pin-mark"]')).not.toBeNull();
    expect(plain.querySelector('[data-testid="pin-mark"]')).toBeNull();
    expect(plain.querySelector('[data-testid="row-tags"]')).toBeNull();
  });

  test("Mark all read sends the list's filter", async () => {
    const calls: any[] = [];
    rows([summary(1)], (cmd, args) => {
      if (cmd === "mark_all_read") {
        calls.push(args);
        return 1;
      }
    });
    await store.reload();
    render(MessageList);
    await flush();
    await fireEvent.click(screen.getByTestId("mark-all-read-button"));
    await flush();
    expect(calls).toEqual([{ filter: { inbox: null, query: "" }, read: true }]);
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

/** A shell whose whole store is `list`, newest first; `extra` answers other commands. */
function rows(list: ReturnType<typeof summary>[], extra?: (cmd: string, args: any) => unknown) {
  mockIPC((cmd, args: any) => {
    const answer = extra?.(cmd, args);
    if (answer !== undefined) return answer;
    if (cmd === "list_messages") return { total: list.length, offset: args.query.offset, messages: list.slice(args.query.offset) };
    if (cmd === "server_status") return status({ total: list.length });
    if (cmd === "list_inboxes") return [];
    return null;
  });
}
