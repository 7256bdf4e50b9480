import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { render, screen, fireEvent, cleanup } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import SettingsView from "./SettingsView.svelte";
import { store } from "../lib/store.svelte";
import { flush, settings, status } from "../test/fixtures";
import type { DesktopSettings } from "../lib/types";

let saves: DesktopSettings[];

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
  store.status = null;
  store.toasts = [];
});
afterEach(() => cleanup());

async function type(input: HTMLElement, value: string) {
  await fireEvent.input(input, { target: { value } });
  return input as HTMLInputElement;
}

const setAddr = (value: string) => type(screen.getByTestId("settings-smtp-addr"), value);

async function choose(label: string, value: string) {
  const select = screen.getByLabelText(label) as HTMLSelectElement;
  select.value = value;
  await fireEvent.change(select);
}

async function save() {
  await fireEvent.click(screen.getByTestId("settings-save"));
  await flush();
}

/** The error shown in the same form row as `input`, or null. */
function errorBeside(input: HTMLElement): HTMLElement | null {
  return input.closest(".field")!.querySelector('[data-testid="field-error"]');
}

describe("settings form", () => {
  test("a save the shell rejects shows each field error beside its field and keeps the input", async () => {
    shell([
      { field: "smtp_addr", message: "127.0.0.1:2525 is already in use" },
      { field: "retention", message: "too large" },
    ]);
    render(SettingsView);
    const input = await setAddr("127.0.0.1:2525");
    await save();
    const errors = screen.getAllByTestId("field-error");
    expect(errors.map((e) => e.dataset.field)).toEqual(["smtp_addr", "retention"]);
    expect(errors[0].textContent).toContain("127.0.0.1:2525 is already in use");
    expect(input.value).toBe("127.0.0.1:2525");
    expect(screen.queryByTestId("settings-saved")).toBeNull();
    expect(store.settings!.engine.smtp_addr).toBe("127.0.0.1:1025");
  });

  test("core's errors for the longest line and the host name appear beside those fields and nothing is saved", async () => {
    shell([
      { field: "max_line_length", message: "must be at least 512 (RFC 5321 §4.5.3.1.4)" },
      { field: "hostname", message: "must be a host name without spaces" },
    ]);
    render(SettingsView);
    const line = await type(screen.getByLabelText("Longest line"), "78");
    const host = await type(screen.getByLabelText("Host name"), "my host");
    await save();
    expect(saves.map((s) => s.engine.max_line_length), "78 is sent: the window does not judge it").toEqual([78]);
    expect(errorBeside(line)?.dataset.field).toBe("max_line_length");
    expect(errorBeside(line)?.textContent).toContain("must be at least 512");
    expect(errorBeside(host)?.dataset.field).toBe("hostname");
    expect(errorBeside(host)?.textContent).toContain("must be a host name without spaces");
    expect(screen.getAllByTestId("field-error"), "only the two named fields are marked").toHaveLength(2);
    expect(screen.queryByTestId("settings-saved"), "nothing claims to be saved").toBeNull();
    expect(screen.getByTestId("settings-not-saved").textContent).toContain("Nothing was saved");
    expect(line.value, "what was typed stays").toBe("78");
    expect(store.settings!.engine.max_line_length).toBe(512);
    expect(store.settings!.engine.hostname).toBe("pigeonhole.localhost");
  });

  test("an invalid address is sent as typed and the shell's verdict is shown on its field", async () => {
    shell([{ field: "smtp_addr", message: "localhost is not host:port" }]);
    render(SettingsView);
    await setAddr("localhost");
    await save();
    expect(saves.map((s) => s.engine.smtp_addr)).toEqual(["localhost"]);
    expect(screen.getByTestId("field-error").dataset.field).toBe("smtp_addr");
  });

  test("an emptied number box is sent as null, for core to report on that field", async () => {
    shell([{ field: "max_recipients", message: "must be a whole number" }]);
    render(SettingsView);
    await type(screen.getByLabelText("Recipients per message"), "");
    await save();
    expect(saves[0].engine.max_recipients).toBeNull();
    expect(screen.getByTestId("field-error").dataset.field).toBe("max_recipients");
  });

  test("number boxes carry no bounds of their own; core's are the ones that count", () => {
    shell(null);
    render(SettingsView);
    const numbers = [...document.querySelectorAll<HTMLInputElement>('input[type="number"]')];
    expect(numbers.length).toBeGreaterThan(0);
    expect(numbers.filter((n) => n.hasAttribute("min") || n.hasAttribute("max")).map((n) => n.id)).toEqual([]);
  });

  test("a successful save says Saved and becomes the app's settings", async () => {
    shell(null);
    render(SettingsView);
    await setAddr("127.0.0.1:2525");
    await save();
    expect(saves).toHaveLength(1);
    expect(saves[0].engine.smtp_addr).toBe("127.0.0.1:2525");
    expect(screen.getByTestId("settings-saved").textContent).toContain("Saved");
    expect(screen.queryByTestId("field-error")).toBeNull();
    expect(store.settings!.engine.smtp_addr).toBe("127.0.0.1:2525");
  });

  test("the host name and durability are sent in the saved settings", async () => {
    shell(null);
    render(SettingsView);
    await type(screen.getByLabelText("Host name"), "mx.test.internal");
    await choose("Durability", "power-loss");
    await save();
    expect(saves).toHaveLength(1);
    expect(saves[0].engine.hostname).toBe("mx.test.internal");
    expect(saves[0].engine.durability).toBe("power-loss");
    expect(saves[0].ui, "the window's own settings travel beside the engine's").toEqual(settings().ui);
    expect(store.settings!.engine.durability).toBe("power-loss");
  });

  test("the data folder is shown from the server status and cannot be edited", () => {
    shell(null);
    store.status = status({ data_dir: "/home/dev/.local/share/pigeonhole" });
    render(SettingsView);
    const shown = screen.getByTestId("settings-data-dir");
    expect(shown.textContent).toBe("/home/dev/.local/share/pigeonhole");
    expect(shown.closest(".field")!.querySelector("input, select, textarea"), "no control to change it").toBeNull();
  });

  test("without a server status the data folder comes from the settings", () => {
    shell(null);
    store.settings = settings({ engine: { data_dir: "/srv/mail-dev" } });
    render(SettingsView);
    expect(screen.getByTestId("settings-data-dir").textContent).toBe("/srv/mail-dev");
  });

  test("a settings file that could not be written, or a field the form has no row for, is still shown", async () => {
    shell([
      { field: "data_dir", message: "could not save settings: read-only file system" },
      { field: "engine", message: "settings must be an object" },
    ]);
    render(SettingsView);
    await save();
    expect(errorBeside(screen.getByTestId("settings-data-dir"))?.textContent).toContain("read-only file system");
    const other = screen.getAllByTestId("field-error").find((e) => e.dataset.field === "engine");
    expect(other?.textContent, "an unknown field's error is not dropped").toContain("engine: settings must be an object");
    expect(screen.queryByTestId("settings-saved")).toBeNull();
  });

  test("choosing a theme applies it at once", async () => {
    shell(null);
    render(SettingsView);
    await choose("Theme", "dark");
    await flush();
    expect(document.documentElement.getAttribute("data-theme")).toBe("dark");
  });

  describe("HTTP API section", () => {
    test("the address, token and origins are sent as typed, the origins one per line", async () => {
      shell(null);
      render(SettingsView);
      await type(screen.getByTestId("settings-http-addr"), " 0.0.0.0:9025 ");
      await type(screen.getByTestId("settings-api-token"), "a-token-of-sixteen-plus");
      await type(screen.getByTestId("settings-cors-origins"), "http://localhost:3000\n\n  https://app.test  \n");
      await save();
      expect(saves).toHaveLength(1);
      expect(saves[0].engine.http_addr).toBe("0.0.0.0:9025");
      expect(saves[0].engine.api_token).toBe("a-token-of-sixteen-plus");
      expect(saves[0].engine.cors_origins, "empty lines are dropped").toEqual(["http://localhost:3000", "https://app.test"]);
      expect(store.settings!.engine.cors_origins).toEqual(["http://localhost:3000", "https://app.test"]);
    });

    test("an emptied address is sent as empty, which turns the API off", async () => {
      shell(null);
      render(SettingsView);
      await type(screen.getByTestId("settings-http-addr"), "");
      await save();
      expect(saves[0].engine.http_addr).toBe("");
    });

    test("the token is hidden until shown, and Generate makes a new 32-character one and shows it", async () => {
      shell(null);
      store.settings = settings({ engine: { api_token: "an-old-token-0000000" } });
      render(SettingsView);
      const token = screen.getByTestId("settings-api-token") as HTMLInputElement;
      expect(token.type, "a password field").toBe("password");
      await fireEvent.click(screen.getByTestId("settings-api-token-show"));
      expect(token.type, "the eye shows it").toBe("text");
      await fireEvent.click(screen.getByTestId("settings-api-token-show"));
      expect(token.type, "and hides it again").toBe("password");

      await fireEvent.click(screen.getByTestId("settings-api-token-generate"));
      expect(token.value).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(token.value).not.toBe("an-old-token-0000000");
      expect(token.type, "a new token is shown so it can be copied").toBe("text");
      await save();
      expect(saves[0].engine.api_token).toBe(token.value);
    });

    test("core's verdicts appear beside the address, the token and the origin they name", async () => {
      shell([
        { field: "http_addr", message: "0.0.0.0:8025 is reachable from other machines: set api_token" },
        { field: "api_token", message: "must be at least 16 characters" },
        { field: "cors_origins[1]", message: '"localhost:3000" is not an origin' },
      ]);
      render(SettingsView);
      const addr = await type(screen.getByTestId("settings-http-addr"), "0.0.0.0:8025");
      const token = await type(screen.getByTestId("settings-api-token"), "short");
      const origins = await type(screen.getByTestId("settings-cors-origins"), "https://ok.test\nlocalhost:3000");
      await save();
      expect(errorBeside(addr)?.textContent).toContain("reachable from other machines");
      expect(errorBeside(token)?.textContent).toContain("at least 16 characters");
      const originError = errorBeside(origins);
      expect(originError?.dataset.field).toBe("cors_origins[1]");
      expect(originError?.textContent, "says which origin, counting from 1").toContain('Origin 2: "localhost:3000" is not an origin');
      expect(
        screen.getAllByTestId("field-error").map((e) => e.dataset.field),
        "each once, beside its field, none at the top as an unknown field",
      ).toEqual(["http_addr", "api_token", "cors_origins[1]"]);
      expect(origins.value, "what was typed stays").toBe("https://ok.test\nlocalhost:3000");
    });

    test("an API that could not bind says so beside the address; one that serves says where", () => {
      shell(null);
      store.status = status({ api_url: null, api_error: "127.0.0.1:8025 is already in use (is Mailpit or another Pigeonhole running?)" });
      const { unmount } = render(SettingsView);
      const addr = screen.getByTestId("settings-http-addr");
      expect(errorBeside(addr)?.textContent).toContain("Not serving: 127.0.0.1:8025 is already in use");
      expect(screen.queryByTestId("settings-api-url")).toBeNull();
      unmount();

      store.status = status({ api_url: "http://127.0.0.1:41234" });
      render(SettingsView);
      expect(errorBeside(screen.getByTestId("settings-http-addr"))).toBeNull();
      expect(screen.getByTestId("settings-api-url").textContent).toContain("http://127.0.0.1:41234");
    });
  });

  describe("release", () => {
    test("the allowlist is sent one domain per line with the server, and core's errors show in the section", async () => {
      shell([
        { field: "release.port", message: "must be a port from 1 to 65535 (587 for STARTTLS, 465 for TLS, 25)" },
        { field: "release.allowed_domains[1]", message: '"*" would release to anyone; list the domains' },
      ]);
      render(SettingsView);
      await type(screen.getByTestId("settings-release-host"), " smtp.example.com ");
      await type(screen.getByTestId("settings-release-allowed"), "example.com\n*\n");
      await save();
      expect(saves).toHaveLength(1);
      expect(saves[0].engine.release.host).toBe("smtp.example.com");
      expect(saves[0].engine.release.allowed_domains).toEqual(["example.com", "*"]);
      const section = screen.getByTestId("settings-release");
      const shown = [...section.querySelectorAll<HTMLElement>('[data-testid="field-error"]')];
      expect(shown.map((e) => e.dataset.field)).toEqual(["release.port", "release.allowed_domains[1]"]);
      expect(shown[0].textContent).toContain("port: must be a port");
      expect(shown[1].textContent).toContain("Domain 2:");
      expect(screen.queryByTestId("settings-not-saved")).toBeTruthy();
      expect(
        screen.getAllByTestId("field-error").length,
        "none shown again at the top as an unknown field",
      ).toBe(2);
    });
  });
});
