import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";

async function boot() {
  // Launch phases, read by bench/ui.py (performance.getEntriesByType("mark")).
  performance.mark("ph:script");
  // A browser preview without the Tauri shell gets a fake backend. The flag is only set
  // by `vite --mode mock`, so production builds drop the import entirely.
  if (import.meta.env.VITE_MOCK_IPC === "1" && !("__TAURI_INTERNALS__" in window)) {
    const { installMockBackend } = await import("./dev/mock-backend");
    installMockBackend();
  }
  mount(App, { target: document.getElementById("app")! });
  performance.mark("ph:mounted");
}

void boot();
