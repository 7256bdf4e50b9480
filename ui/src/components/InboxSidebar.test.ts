import { afterEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import InboxSidebar from "./InboxSidebar.svelte";
import EmptyState from "./EmptyState.svelte";
import { store } from "../lib/store.svelte";
import { status } from "../test/fixtures";

afterEach(() => {
  cleanup();
  store.view = "mail";
  store.inbox = null;
});

describe("sidebar", () => {
  test("All mail shows the unread count and each recipient has an inbox with its own", () => {
    store.status = status({ total: 5, unread: 3 });
    store.inboxes = [
      { address: "a@x.io", total: 3, unread: 2 },
      { address: "b@x.io", total: 2, unread: 0 },
    ];
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

  test("clicking an inbox filters the list to it", async () => {
    mockIPC(() => ({ total: 0, offset: 0, messages: [] }));
    store.status = status();
    store.inboxes = [{ address: "a@x.io", total: 1, unread: 1 }];
    render(InboxSidebar);
    await fireEvent.click(screen.getByTestId("nav-inbox"));
    expect(store.inbox).toBe("a@x.io");
    await fireEvent.click(screen.getByTestId("nav-settings"));
    expect(store.view).toBe("settings");
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

  test("the curl snippet uploads a file to the listener", async () => {
    render(EmptyState, { status: status() });
    await fireEvent.click(screen.getByText("curl"));
    expect(screen.getByTestId("empty-state").textContent).toContain(
      "curl smtp://127.0.0.1:1025 --mail-from app@example.com",
    );
  });
});
