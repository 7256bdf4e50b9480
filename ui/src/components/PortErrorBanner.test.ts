import { afterEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import PortErrorBanner from "./PortErrorBanner.svelte";
import { store } from "../lib/store.svelte";
import { flush, settings, status } from "../test/fixtures";

afterEach(() => cleanup());

const failed = status({ listening: false, error: "127.0.0.1:1025 is already in use" });

/** A shell that saves, or rejects save_settings with `reject` the way core does. */
function shell(reject: unknown = null) {
  const calls: { cmd: string; args: any }[] = [];
  mockIPC((cmd, args: any) => {
    calls.push({ cmd, args });
    if (cmd === "save_settings") return reject ? Promise.reject(reject) : args.settings;
    return status({ smtp_addr: "127.0.0.1:2525" });
  });
  store.settings = settings();
  return calls;
}

describe("port error banner", () => {
  test("the failure is said plainly with the address", () => {
    shell();
    render(PortErrorBanner, { status: failed });
    expect(screen.getByTestId("port-error").textContent).toContain(
      "Pigeonhole could not listen on 127.0.0.1:1025: the port is in use",
    );
  });

  test("Use this port saves the same host with the new port", async () => {
    const calls = shell();
    render(PortErrorBanner, { status: failed });
    await fireEvent.input(screen.getByLabelText("New port"), { target: { value: "2525" } });
    await fireEvent.click(screen.getByText("Use this port"));
    await flush();
    const save = calls.find((c) => c.cmd === "save_settings")!;
    expect(save.args.settings.engine.smtp_addr).toBe("127.0.0.1:2525");
    expect(save.args.settings.engine.max_connections).toBe(settings().engine.max_connections);
    expect(save.args.settings.ui).toEqual(settings().ui);
  });

  test("Retry asks the shell to listen again", async () => {
    const calls = shell();
    render(PortErrorBanner, { status: failed });
    await fireEvent.click(screen.getByText("Retry"));
    await flush();
    expect(calls.map((c) => c.cmd)).toEqual(["retry_listen"]);
  });

  test("a port core refuses is explained in the banner and nothing changes", async () => {
    const calls = shell([{ field: "smtp_addr", message: "127.0.0.1:abc is not a host:port" }]);
    render(PortErrorBanner, { status: failed });
    await fireEvent.input(screen.getByLabelText("New port"), { target: { value: "abc" } });
    await fireEvent.click(screen.getByText("Use this port"));
    await flush();
    expect(calls.map((c) => c.cmd)).toEqual(["save_settings"]);
    expect(screen.getByTestId("port-error").textContent).toContain("127.0.0.1:abc is not a host:port");
    expect(store.settings!.engine.smtp_addr).toBe("127.0.0.1:1025");
  });
});
