// Shared vitest setup: every test starts without Tauri mocks or leftover DOM.
import { afterEach } from "vitest";
import { clearMocks } from "@tauri-apps/api/mocks";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

// jsdom has no layout, so no ResizeObserver; bind:clientHeight needs one to exist.
if (!("ResizeObserver" in globalThis)) {
  globalThis.ResizeObserver = class {
    observe() {}
    unobserve() {}
    disconnect() {}
  } as unknown as typeof ResizeObserver;
}
