import { afterEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import LinksView from "./LinksView.svelte";
import { commandError, flush } from "../test/fixtures";
import type { Link, LinkCheck } from "../lib/types";

afterEach(cleanup);

const LINKS: Link[] = [
  { url: "https://evil.test/login", text: "https://bank.example.com", sources: ["html"], flags: ["mismatch"], shown_host: "bank.example.com" },
  { url: "http://shop.test/", text: "Shop", sources: ["html", "text"], flags: ["insecure"], shown_host: null },
  { url: "file:///etc/passwd", text: "passwords", sources: ["html"], flags: ["file"], shown_host: null },
];

const CHECKED: LinkCheck = {
  errors: 1,
  links: [
    { url: "https://evil.test/login", status_code: 200, status: "OK" },
    { url: "http://shop.test/", status_code: 404, status: "Not Found" },
    { url: "https://cdn.test/logo.png", status_code: 200, status: "OK" },
  ],
};

async function shown(check: () => unknown = () => CHECKED) {
  const calls: { cmd: string; args: any }[] = [];
  mockIPC((cmd, args: any) => {
    calls.push({ cmd, args });
    if (cmd === "list_links") return LINKS;
    if (cmd === "check_links") return check();
    return null;
  });
  render(LinksView, { id: 9 });
  await flush();
  return calls;
}

describe("links", () => {
  test("lists every link with its text, target and flags, and requests nothing by itself", async () => {
    const calls = await shown();
    expect(calls).toEqual([{ cmd: "list_links", args: { id: 9 } }]);
    const rows = screen.getAllByTestId("link-row");
    expect(rows).toHaveLength(3);
    expect(rows[0].textContent).toContain("text shows another site");
    expect(rows[0].textContent).toContain("text shows bank.example.com");
    expect(rows[1].textContent).toContain("http");
    expect(rows[2].textContent).toContain("file");
    expect(screen.queryAllByTestId("link-status")).toHaveLength(0);
  });

  test("Check links runs the check on request and shows each status, images too", async () => {
    const calls = await shown();
    await fireEvent.click(screen.getByLabelText(/Follow redirects/));
    await fireEvent.click(screen.getByTestId("check-links-button"));
    await flush();
    expect(calls.at(-1)).toEqual({ cmd: "check_links", args: { id: 9, follow: true } });
    const statuses = screen.getAllByTestId("link-status").map((s) => s.textContent);
    expect(statuses).toEqual(["200 OK", "404 Not Found", "200 OK"]);
    expect(screen.getByTestId("resource-row").textContent).toContain("https://cdn.test/logo.png");
    expect(screen.getByTestId("links-view").textContent).toContain("1 error");
  });

  test("a failed check says why", async () => {
    await shown(() => Promise.reject(commandError("store", "database is locked")));
    await fireEvent.click(screen.getByTestId("check-links-button"));
    await flush();
    expect(screen.getByTestId("check-links-error").textContent).toContain("database is locked");
  });
});
