import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import ReleaseDialog from "./ReleaseDialog.svelte";
import { store } from "../lib/store.svelte";
import { commandError, detail, flush, settings, status } from "../test/fixtures";
import { CONFIG_DEFAULTS, type DesktopSettings, type OpenedMessage, type Release } from "../lib/types";

const ENVELOPE = {
  mail_from: "app@example.com",
  mail_params: {},
  rcpt_to: [
    { address: "ann@example.com", params: {} },
    { address: "bob@example.com", params: {} },
  ],
  bcc: [],
};

function release(over: Partial<Release> = {}): Release {
  return {
    id: 1,
    message_id: 7,
    at: "2025-01-02T03:04:05.000Z",
    server: "smtp.example.com:587",
    tls: "starttls",
    mail_from: "app@example.com",
    recipients: ["ann@example.com", "bob@example.com"],
    ok: true,
    stage: "message",
    recipient: null,
    code: 250,
    enhanced_code: "2.0.0",
    text: "Ok: queued as 42",
    ...over,
  };
}

let calls: { cmd: string; args: any }[];
let saves: DesktopSettings[];
/** The message as the shell has it: get_message answers it, a release is recorded in it. */
let stored: OpenedMessage | null = null;

/** A shell whose release_message answers `answer` (a Release, or a rejection). */
function shell(answer: () => Release | Promise<never>) {
  calls = [];
  saves = [];
  mockIPC(async (cmd, args: any) => {
    calls.push({ cmd, args });
    if (cmd === "get_message") return structuredClone(stored);
    if (cmd === "release_message") {
      const r = await answer();
      if (stored) stored = { ...stored, releases: [r, ...stored.releases] };
      return r;
    }
    if (cmd === "save_settings") {
      saves.push(args.settings);
      return args.settings;
    }
    if (cmd === "server_status") return status();
    return null;
  });
}

function allowing(domains: string[], host = "smtp.example.com") {
  store.settings = settings({
    engine: {
      release: { ...CONFIG_DEFAULTS.release, host, user: "relay", password: "saved-secret", allowed_domains: domains },
    },
  });
}

/** The dialog over message 7, opened in the store as the window would. */
async function open(d: OpenedMessage = detail(7, { envelope: ENVELOPE })) {
  stored = structuredClone(d);
  store.detail = d;
  store.openId = d.summary.id;
  render(ReleaseDialog, { detail: d, onclose: () => {} });
  await flush();
}

async function type(testId: string, value: string) {
  await fireEvent.input(screen.getByTestId(testId), { target: { value } });
}

async function send() {
  await fireEvent.click(screen.getByTestId("release-send"));
  await flush();
}

beforeEach(() => {
  store.toasts = [];
});
afterEach(() => {
  cleanup();
  store.detail = null;
  store.openId = null;
});

describe("release dialog", () => {
  test("starts from the envelope and the release settings, and says when the allowlist is empty", async () => {
    shell(() => release());
    allowing([]);
    await open();
    expect((screen.getByTestId("release-to") as HTMLTextAreaElement).value).toBe("ann@example.com, bob@example.com");
    expect((screen.getByTestId("release-from") as HTMLInputElement).value).toBe("app@example.com");
    expect((screen.getByTestId("release-host") as HTMLInputElement).value).toBe("smtp.example.com");
    expect((screen.getByTestId("release-port") as HTMLInputElement).value).toBe("587");
    expect((screen.getByTestId("release-tls") as HTMLSelectElement).value).toBe("starttls");
    expect((screen.getByTestId("release-user") as HTMLInputElement).value).toBe("relay");
    const line = screen.getByTestId("release-allowlist");
    expect(line.textContent).toContain("Nothing can be released yet");
    expect(line.textContent).toContain("allowed recipient domains is empty");
    expect(screen.getByTestId("release-none").textContent).toContain("Not released yet");
  });

  test("a release sends the fields, shows the reply as sent, lists it, and remembers the server", async () => {
    shell(() => release({ id: 9, server: "mx.example.net:2525", tls: "none", recipients: ["carol@example.com"] }));
    allowing(["example.com"]);
    await open();
    expect(screen.getByTestId("release-allowlist").textContent).toContain("example.com");
    await type("release-to", "carol@example.com");
    await type("release-host", " mx.example.net ");
    await type("release-port", "2525");
    const tls = screen.getByTestId("release-tls") as HTMLSelectElement;
    tls.value = "none";
    await fireEvent.change(tls);
    await send();

    const sent = calls.find((c) => c.cmd === "release_message");
    expect(sent?.args).toEqual({
      id: 7,
      request: {
        to: ["carol@example.com"],
        from: "app@example.com",
        server: {
          host: "mx.example.net",
          port: 2525,
          tls: "none",
          user: "relay",
          password: "saved-secret",
          accept_invalid_certs: false,
        },
      },
    });
    const result = screen.getByTestId("release-result");
    expect(result.dataset.ok).toBe("true");
    expect(result.textContent).toContain("Accepted by mx.example.net:2525");
    expect(screen.getByTestId("release-reply").textContent).toBe("250 2.0.0 Ok: queued as 42");
    const past = screen.getAllByTestId("release-past");
    expect(past).toHaveLength(1);
    expect(past[0].textContent).toContain("carol@example.com via mx.example.net:2525");
    expect(store.detail?.releases.map((r) => r.id)).toEqual([9]);

    expect(saves).toHaveLength(1);
    expect(saves[0].engine.release).toEqual({
      ...store.settings!.engine.release,
      host: "mx.example.net",
      port: 2525,
      tls: "none",
    });
    expect(saves[0].engine.release.allowed_domains).toEqual(["example.com"]);
  });

  test("a server's refusal is shown with its code and text, as sent", async () => {
    shell(() =>
      release({
        ok: false,
        stage: "rcpt",
        recipient: "nobody@example.com",
        code: 550,
        enhanced_code: "5.1.1",
        text: "<nobody@example.com>: Recipient address rejected",
      }),
    );
    allowing(["example.com"]);
    await open();
    await type("release-to", "nobody@example.com");
    await send();
    const result = screen.getByTestId("release-result");
    expect(result.dataset.ok).toBe("false");
    expect(result.textContent).toContain("Refused at RCPT TO:<nobody@example.com> by smtp.example.com:587");
    expect(screen.getByTestId("release-reply").textContent).toBe(
      "550 5.1.1 <nobody@example.com>: Recipient address rejected",
    );
    expect(screen.getAllByTestId("release-past")[0].dataset.ok).toBe("false");
  });

  test("a release core refuses before connecting says why, and remembers nothing", async () => {
    shell(() =>
      Promise.reject(
        commandError(
          "invalid",
          'not on the release allowlist: eve@evil.test; add "evil.test" to release.allowed_domains to allow it',
        ),
      ),
    );
    allowing(["example.com"], "smtp.example.com");
    await open();
    await type("release-to", "eve@evil.test");
    await type("release-host", "elsewhere.example.com");
    await send();
    const refusal = screen.getByTestId("release-refusal");
    expect(refusal.textContent).toContain("Not sent");
    expect(refusal.textContent).toContain('add "evil.test" to release.allowed_domains');
    expect(screen.queryByTestId("release-result")).toBeNull();
    expect(saves).toEqual([]);
    expect(screen.getByTestId("release-none")).toBeTruthy();
  });

  test("releases made elsewhere since the message was opened are listed when the dialog opens", async () => {
    shell(() => release());
    allowing(["example.com"]);
    const d = detail(7, { envelope: ENVELOPE });
    stored = { ...d, releases: [release({ id: 5, text: "Ok: queued by the CLI" })] };
    store.detail = d;
    store.openId = 7;
    render(ReleaseDialog, { detail: d, onclose: () => {} });
    await flush();
    expect(calls.some((c) => c.cmd === "get_message")).toBe(true);
    expect(screen.getAllByTestId("release-past")[0].textContent).toContain("Ok: queued by the CLI");
  });

  test("past releases are listed newest first with their replies", async () => {
    shell(() => release());
    allowing(["example.com"]);
    await open(
      detail(7, {
        envelope: ENVELOPE,
        releases: [
          release({ id: 2, ok: false, stage: "connect", code: null, enhanced_code: null, text: "could not connect to smtp.example.com:587: Connection refused" }),
          release({ id: 1 }),
        ],
      }),
    );
    const past = screen.getAllByTestId("release-past");
    expect(past.map((p) => p.dataset.ok)).toEqual(["false", "true"]);
    expect(past[0].textContent).toContain("could not connect to smtp.example.com:587: Connection refused");
    expect(past[1].textContent).toContain("250 2.0.0 Ok: queued as 42");
  });
});
