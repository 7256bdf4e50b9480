import { afterEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import PortErrorBanner from "./PortErrorBanner.svelte";
import { store } from "../lib/store.svelte";
import { flush, settings, status } from "../test/fixtures";

afterEach(() => cleanup());

const failed = status({ listening: false, error: "127.0.0.1:1025 is already in use" });

function shell() {
  const calls: { cmd: string; args: any }[] = [];
  mockIPC((cmd, args: any) => {
    calls.push({ cmd, args });
    if (cmd === "save_settings") return args.settings;
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
    expect(save.args.settings.smtp_addr).toBe("127.0.0.1:2525");
    expect(save.args.settings.max_connections).toBe(settings().max_connections);
  });

  test("Retry asks the shell to listen again", async () => {
    const calls = shell();
    render(PortErrorBanner, { status: failed });
    await fireEvent.click(screen.getByText("Retry"));
    await flush();
    expect(calls.map((c) => c.cmd)).toEqual(["retry_listen"]);
  });

  test("a port that is not a number is refused before saving", async () => {
    const calls = shell();
    render(PortErrorBanner, { status: failed });
    await fireEvent.input(screen.getByLabelText("New port"), { target: { value: "abc" } });
    await fireEvent.click(screen.getByText("Use this port"));
    await flush();
    expect(calls).toEqual([]);
    expect(screen.getByTestId("port-error").textContent).toContain("Use host:port");
  });
});
