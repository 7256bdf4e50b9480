// Shared vitest setup: every test starts without Tauri mocks or leftover DOM.
import { afterEach } from "vitest";
import { clearMocks } from "@tauri-apps/api/mocks";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});
