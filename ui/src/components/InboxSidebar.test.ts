import { afterEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import InboxSidebar from "./InboxSidebar.svelte";
import EmptyState from "./EmptyState.svelte";
import { store } from "../lib/store.svelte";
import { status } from "../test/fixtures";
import type { Inbox } from "../lib/types";

const rcpt = (key: string, total: number, unread: number): Inbox => ({ kind: "recipient", key, total, unread });

afterEach(() => {
  cleanup();
  store.view = "mail";
  store.inbox = null;
});

describe("sidebar", () => {
  test("All mail shows the unread count and each recipient has an inbox with its own", () => {
    store.status = status({ total: 5, unread: 3 });
    store.inboxes = [rcpt("a@x.io", 3, 2), rcpt("b@x.io", 2, 0)];
    render(InboxSidebar);
    expect(screen.getByTestId("nav-all").textContent).toContain("3");
    const inboxes = screen.getAllByTestId("nav-inbox");
    expect(inboxes.map((i) => i.dataset.address)).toEqual(["a@x.io", "b@x.io"]);
    expect(inboxes[0].textContent).toContain("2");
    expect(inboxes[1].querySelector(".count")).toBeNull();
  });

  test("the status pill says where mail is captured, or that it is paused", () => {
    store.status = status();
    const { unmount } = render(InboxSidebar);
    expect(screen.getByTestId("status-pill").textContent).toContain("Capturing on 127.0.0.1:1025");
    unmount();
    store.status = status({ paused: true });
    render(InboxSidebar);
    expect(screen.getByTestId("status-pill").textContent).toContain("Paused");
  });

  test("a long recipient address is shown whole, with a break after the @, and in full on hover", () => {
    const long = "corpus-000000001@holdingcompany-example.test";
    store.status = status();
    store.inboxes = [rcpt(long, 4, 1)];
    render(InboxSidebar);
    const item = screen.getByTestId("nav-inbox");
    const label = screen.getByTestId("nav-inbox-address");
    expect(label.textContent!.trim(), "the label holds the whole address, domain included").toBe(long);
    const markup = label.innerHTML.replace(/<!--.*?-->/g, "");
    expect(markup, "the address may wrap right after the @").toContain("corpus-000000001@<wbr>holdingcompany");
    expect(item.title, "hovering gives the full address").toContain(long);
  });

  test("clicking an inbox filters the list to it", async () => {
    mockIPC(() => ({ total: 0, offset: 0, messages: [] }));
    store.status = status();
    store.inboxes = [rcpt("a@x.io", 1, 1)];
    render(InboxSidebar);
    await fireEvent.click(screen.getByTestId("nav-inbox"));
    expect(store.inbox).toEqual({ kind: "recipient", key: "a@x.io" });
    expect(screen.getByTestId("nav-inbox").classList.contains("active"), "the chosen inbox is marked").toBe(true);
    await fireEvent.click(screen.getByTestId("nav-settings"));
    expect(store.view).toBe("settings");
  });
});

describe("sidebar groups", () => {
  const mixed: Inbox[] = [
    rcpt("dev@example.com", 3, 1),
    { kind: "user", key: "app@example.com", total: 2, unread: 0 },
    { kind: "tag", key: "signup", total: 1, unread: 1 },
    { kind: "tag", key: "invoice", total: 2, unread: 0 },
  ];

  test("inboxes sit under Recipients, Users and Tags; a group with none is not shown", () => {
    store.status = status();
    store.inboxes = mixed;
    render(InboxSidebar);
    const headings = screen.getAllByTestId("nav-group-heading").map((h) => h.textContent);
    expect(headings, "no Listeners heading without listener inboxes").toEqual(["Recipients", "Users", "Tags"]);
    const tags = screen.getAllByTestId("nav-group").find((g) => g.dataset.kind === "tag")!;
    expect([...tags.querySelectorAll<HTMLElement>('[data-testid="nav-inbox"]')].map((i) => i.dataset.key)).toEqual([
      "signup",
      "invoice",
    ]);
  });

  test("a user inbox shows the whole name, domain included, like an address", () => {
    store.status = status();
    store.inboxes = mixed;
    render(InboxSidebar);
    const user = screen.getAllByTestId("nav-inbox").find((i) => i.dataset.kind === "user")!;
    expect(user.querySelector('[data-testid="nav-inbox-name"]')!.textContent!.trim()).toBe("app@example.com");
  });

  test("choosing a tag filters by that tag, not by an address", async () => {
    mockIPC(() => ({ total: 0, offset: 0, messages: [] }));
    store.status = status();
    store.inboxes = mixed;
    render(InboxSidebar);
    const tag = screen.getAllByTestId("nav-inbox").find((i) => i.dataset.key === "invoice")!;
    await fireEvent.click(tag);
    expect(store.inbox).toEqual({ kind: "tag", key: "invoice" });
  });

  test("a filter box appears once there are more than eight inboxes, and narrows them", async () => {
    store.status = status();
    store.inboxes = mixed;
    const { unmount } = render(InboxSidebar);
    expect(screen.queryByTestId("inbox-filter"), "four inboxes need no filter").toBeNull();
    unmount();
    store.inboxes = [...mixed, ...Array.from({ length: 6 }, (_, i) => rcpt(`user${i}@example.com`, 1, 0))];
    render(InboxSidebar);
    const filter = screen.getByTestId("inbox-filter");
    await fireEvent.input(filter, { target: { value: "SIGN" } });
    expect(screen.getAllByTestId("nav-inbox").map((i) => i.dataset.key)).toEqual(["signup"]);
    expect(screen.getAllByTestId("nav-group-heading").map((h) => h.textContent)).toEqual(["Tags"]);
    await fireEvent.input(filter, { target: { value: "nothing-like-this" } });
    expect(screen.getByTestId("inbox-filter-empty").textContent).toContain("nothing-like-this");
  });
});

describe("empty state", () => {
  test("the snippets use the host and port the server listens on", () => {
    render(EmptyState, { status: status({ smtp_addr: "127.0.0.1:2525" }) });
    const text = screen.getByTestId("empty-state").textContent!;
    expect(text).toContain("127.0.0.1");
    expect(text).toContain("2525");
    expect(text).toContain("swaks --server 127.0.0.1:2525");
  });

  test("a port taken at launch is said plainly and no command is offered for it", () => {
    render(EmptyState, {
      status: status({ listening: false, error: "127.0.0.1:1025 is already in use (os error 98)" }),
    });
    const empty = screen.getByTestId("empty-state");
    expect(empty.dataset.listen).toBe("failed");
    expect(empty.textContent, "the heading says it is not listening").toContain("Not listening for mail");
    expect(screen.getByTestId("empty-not-listening").textContent).toContain(
      "could not listen on 127.0.0.1:1025: the port is in use",
    );
    expect(screen.queryByTestId("empty-snippet"), "no swaks command for a port nothing of ours listens on").toBeNull();
    expect(empty.textContent).not.toContain("swaks --server");
  });

  test("once another port is chosen and listens, the commands use that port", async () => {
    const { rerender } = render(EmptyState, {
      status: status({ listening: false, error: "127.0.0.1:1025 is already in use" }),
    });
    await rerender({ status: status({ smtp_addr: "127.0.0.1:2526" }) });
    expect(screen.queryByTestId("empty-not-listening"), "the failure is gone once it listens").toBeNull();
    expect(screen.getByTestId("empty-port").textContent).toBe("2526");
    expect(screen.getByTestId("empty-snippet").textContent).toContain("swaks --server 127.0.0.1:2526");
  });

  test("a listener that is off without an error says so and points to Settings", () => {
    render(EmptyState, { status: status({ listening: false }) });
    expect(screen.getByTestId("empty-not-listening").textContent).toContain(
      "The SMTP listener on 127.0.0.1:1025 is not running",
    );
    expect(screen.queryByTestId("empty-snippet")).toBeNull();
  });

  test("while paused the commands stay, with a note that connections are refused", () => {
    render(EmptyState, { status: status({ paused: true }) });
    expect(screen.getByTestId("empty-paused").textContent).toContain("refused with 421");
    expect(screen.getByTestId("empty-snippet").textContent).toContain("swaks --server 127.0.0.1:1025");
  });

  test("before the shell has said anything, no address is guessed", () => {
    render(EmptyState, { status: null });
    const empty = screen.getByTestId("empty-state");
    expect(empty.dataset.listen).toBe("unknown");
    expect(screen.queryByTestId("empty-snippet"), "no command for an address nobody confirmed").toBeNull();
    expect(empty.textContent).not.toContain("1025");
  });

  test("the curl snippet uploads a file to the listener", async () => {
    render(EmptyState, { status: status() });
    await fireEvent.click(screen.getByText("curl"));
    expect(screen.getByTestId("empty-state").textContent).toContain(
      "curl smtp://127.0.0.1:1025 --mail-from app@example.com",
    );
  });
});
