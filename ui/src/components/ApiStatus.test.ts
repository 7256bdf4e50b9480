import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import ApiStatus from "./ApiStatus.svelte";
import InboxSidebar from "./InboxSidebar.svelte";
import { store } from "../lib/store.svelte";
import { flush, settings, status } from "../test/fixtures";

let writeText: ReturnType<typeof vi.fn>;

beforeEach(() => {
  writeText = vi.fn(() => Promise.resolve());
  Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
  store.toasts = [];
});
afterEach(() => {
  cleanup();
  store.view = "mail";
  store.status = null;
  store.settings = null;
});

describe("API status", () => {
  test("the sidebar's status shows where the API serves, under the capture pill", () => {
    store.status = status({ api_url: "http://127.0.0.1:8025" });
    render(InboxSidebar);
    const api = screen.getByTestId("api-status");
    expect(api.dataset.state).toBe("on");
    expect(api.textContent).toContain("API");
    expect(screen.getByTestId("api-url").textContent).toBe("http://127.0.0.1:8025");
  });

  test("a click copies the API address", async () => {
    store.status = status({ api_url: "http://127.0.0.1:41234" });
    render(ApiStatus);
    await fireEvent.click(screen.getByTestId("api-status"));
    await flush();
    expect(writeText).toHaveBeenCalledWith("http://127.0.0.1:41234");
    expect(screen.getByTestId("api-status").getAttribute("aria-label"), "it says it copied").toContain("Copied");
  });

  test("an API that could not bind says why in short, in full on hover, and a click opens Settings", async () => {
    const why = "127.0.0.1:8025 is already in use (is Mailpit or another Pigeonhole running?)";
    store.settings = settings({ engine: { http_addr: "127.0.0.1:8025" } });
    store.status = status({ api_url: null, api_error: why });
    render(ApiStatus);
    const api = screen.getByTestId("api-status");
    expect(api.dataset.state).toBe("error");
    expect(api.textContent, "the port that is taken, in a few words").toContain("Port 8025 is in use");
    expect(api.title, "the whole reason on hover").toBe(why);
    await fireEvent.click(api);
    expect(store.view).toBe("settings");
    expect(writeText, "nothing to copy").not.toHaveBeenCalled();
  });

  test("another failure gives its reason", () => {
    store.status = status({ api_url: null, api_error: "cannot listen on 10.9.9.9:8025: Cannot assign requested address (os error 99)" });
    render(ApiStatus);
    expect(screen.getByTestId("api-status").textContent).toContain("Not serving: that address does not belong to this machine");
  });

  test("an API turned off says Off", () => {
    store.status = status({ api_url: null, api_error: null });
    render(ApiStatus);
    expect(screen.getByTestId("api-status").dataset.state).toBe("off");
    expect(screen.getByTestId("api-status").textContent).toContain("Off");
  });

  test("nothing is shown before the first status", () => {
    store.status = null;
    render(ApiStatus);
    expect(screen.queryByTestId("api-status")).toBeNull();
  });
});
