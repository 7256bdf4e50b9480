import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { render, screen, fireEvent, cleanup } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import SettingsView from "./SettingsView.svelte";
import { store } from "../lib/store.svelte";
import { flush, settings, status } from "../test/fixtures";
import type { Settings } from "../lib/types";

let saves: Settings[];

function shell(reject: unknown | null) {
  saves = [];
  mockIPC((cmd, args: any) => {
    if (cmd === "save_settings") {
      saves.push(args.settings);
      return reject ? Promise.reject(reject) : args.settings;
    }
    if (cmd === "server_status") return status();
    return null;
  });
}

beforeEach(() => {
  store.settings = settings();
  store.toasts = [];
});
afterEach(() => cleanup());

async function setAddr(value: string) {
  const input = screen.getByTestId("settings-smtp-addr") as HTMLInputElement;
  await fireEvent.input(input, { target: { value } });
  return input;
}

describe("settings form", () => {
  test("a save the shell rejects shows each field error beside its field and keeps the input", async () => {
    shell([
      { field: "smtp_addr", message: "127.0.0.1:2525 is already in use" },
      { field: "retention", message: "too large" },
    ]);
    render(SettingsView);
    const input = await setAddr("127.0.0.1:2525");
    await fireEvent.click(screen.getByTestId("settings-save"));
    await flush();
    const errors = screen.getAllByTestId("field-error");
    expect(errors.map((e) => e.dataset.field)).toEqual(["smtp_addr", "retention"]);
    expect(errors[0].textContent).toContain("127.0.0.1:2525 is already in use");
    expect(input.value).toBe("127.0.0.1:2525");
    expect(screen.queryByTestId("settings-saved")).toBeNull();
    expect(store.settings!.smtp_addr).toBe("127.0.0.1:1025");
  });

  test("an invalid address is caught before anything is sent", async () => {
    shell(null);
    render(SettingsView);
    await setAddr("localhost");
    await fireEvent.click(screen.getByTestId("settings-save"));
    await flush();
    expect(saves).toEqual([]);
    expect(screen.getByTestId("field-error").dataset.field).toBe("smtp_addr");
  });

  test("a successful save says Saved and becomes the app's settings", async () => {
    shell(null);
    render(SettingsView);
    await setAddr("127.0.0.1:2525");
    await fireEvent.click(screen.getByTestId("settings-save"));
    await flush();
    expect(saves).toHaveLength(1);
    expect(saves[0].smtp_addr).toBe("127.0.0.1:2525");
    expect(screen.getByTestId("settings-saved").textContent).toContain("Saved");
    expect(screen.queryByTestId("field-error")).toBeNull();
    expect(store.settings!.smtp_addr).toBe("127.0.0.1:2525");
  });

  test("choosing a theme applies it at once", async () => {
    shell(null);
    render(SettingsView);
    const select = screen.getByLabelText("Theme") as HTMLSelectElement;
    select.value = "dark";
    await fireEvent.change(select);
    await flush();
    expect(document.documentElement.getAttribute("data-theme")).toBe("dark");
  });
});
