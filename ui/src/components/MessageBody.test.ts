// The blocks view, fed with core's own golden output for each MIME shape
// (crates/pigeonhole-core/tests/fixtures/mime/NAME.json), so the window is tested against
// what the parser really produces.
import { afterEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import MessageBody from "./MessageBody.svelte";
import MessageView from "./MessageView.svelte";
import { store } from "../lib/store.svelte";
import { detail, flush } from "../test/fixtures";
import type { BodyBlock } from "../lib/types";
import forwarded from "../../../crates/pigeonhole-core/tests/fixtures/mime/forwarded.json";
import rfc822Root from "../../../crates/pigeonhole-core/tests/fixtures/mime/rfc822-root.json";
import dsn from "../../../crates/pigeonhole-core/tests/fixtures/mime/dsn.json";
import mdn from "../../../crates/pigeonhole-core/tests/fixtures/mime/mdn.json";
import calendar from "../../../crates/pigeonhole-core/tests/fixtures/mime/calendar.json";
import textImageText from "../../../crates/pigeonhole-core/tests/fixtures/mime/text-image-text.json";

afterEach(() => {
  cleanup();
  store.clearSelection();
});

const blocks = (golden: { body: unknown }) => golden.body as BodyBlock[];

describe("message blocks", () => {
  test("a forwarded message shows inline, after the outer text, with its own headers and text", () => {
    render(MessageBody, { id: 1, blocks: blocks(forwarded), mode: "text" });
    const body = screen.getByTestId("message-body");
    const nested = within(body).getByTestId("nested-message");
    expect(nested.dataset.partId).toBe("1.2");
    const headers = within(nested).getByTestId("nested-headers").textContent!;
    expect(headers).toContain("Quarterly numbers");
    expect(headers).toContain("Bob Sender <bob@example.test>");
    expect(headers).toContain("Carol <carol@example.test>");
    expect(nested.textContent).toContain("Revenue is up 12% this quarter.");
    const text = body.textContent!;
    expect(text.indexOf("Forwarding this")).toBeLessThan(text.indexOf("Revenue is up"));
  });

  test("in the HTML tab the forwarded HTML is in a sandboxed frame that cannot run script", () => {
    render(MessageBody, { id: 1, blocks: blocks(forwarded), mode: "html" });
    const nested = screen.getByTestId("nested-message");
    const frame = nested.querySelector("iframe")!;
    expect(frame, "the inner HTML gets a frame").not.toBeNull();
    expect(frame.getAttribute("sandbox")).toBe("allow-same-origin");
    expect(frame.getAttribute("srcdoc")).toContain("<b>12%</b>");
    expect(frame.getAttribute("srcdoc")).toContain("script-src 'none'");
    // The outer body has no HTML: it stays text.
    expect(screen.getByTestId("message-body").textContent).toContain("Forwarding this");
  });

  test("a huge HTML part is not rendered until asked", () => {
    const big: BodyBlock = { kind: "body", part_id: "1.1", text: null, html: "<p>x</p>".repeat(200_000), html_as_text: "x" };
    render(MessageBody, { id: 1, blocks: [big, { ...big, part_id: "1.2", html: "<p>small</p>" }], mode: "html" });
    const frames = () => document.querySelectorAll("iframe");
    expect(frames(), "only the small part gets a frame").toHaveLength(1);
    expect(screen.getByText("Render anyway"), "the big one offers to render").toBeTruthy();
    expect(screen.getByTestId("message-body").textContent).toMatch(/This HTML part is 1\.\d MB/);
  });

  test("text, image, text render in the order the structure puts them", () => {
    render(MessageBody, { id: 1, blocks: blocks(textImageText), mode: "text" });
    const kinds = Array.from(document.querySelectorAll<HTMLElement>(".block")).map((b) => b.dataset.kind);
    expect(kinds).toEqual(["body", "image", "body"]);
    const img = screen.getByTestId("inline-image").querySelector("img")!;
    expect(img.getAttribute("src")).toMatch(/^data:image\/png;base64,/);
    expect(img.getAttribute("alt")).toBe("before.png");
  });

  test("a bounce shows a row per recipient with action, status and diagnostic", () => {
    render(MessageBody, { id: 1, blocks: blocks(dsn), mode: "text" });
    const table = screen.getByTestId("report-table");
    const rows = within(table).getAllByTestId("report-recipient");
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toContain("nobody@example.org");
    expect(rows[0].textContent).toContain("failed");
    expect(rows[0].textContent).toContain("5.1.1");
    expect(rows[0].textContent).toContain("Recipient address rejected");
    expect(rows[0].textContent).toContain("mail.example.org");
    expect(rows[0].querySelector(".chip.no"), "failed is shown as a failure").not.toBeNull();
    expect(rows[1].querySelector(".chip.maybe"), "delayed is shown as pending").not.toBeNull();
    expect(table.textContent).toContain("Reporting-MTA");
    const returned = screen.getByTestId("nested-message");
    expect(returned.textContent).toContain("Returned message headers");
    expect(returned.textContent).toContain("Your receipt");
  });

  test("a read receipt shows its disposition", () => {
    render(MessageBody, { id: 1, blocks: blocks(mdn), mode: "text" });
    const row = screen.getByTestId("report-recipient");
    expect(row.textContent).toContain("erin@example.org");
    expect(row.textContent).toContain("displayed");
    expect(screen.getByTestId("report-table").textContent).toContain("Disposition notification");
  });

  test("an invite shows its event and saves the .ics by part", async () => {
    const calls: { cmd: string; args: any }[] = [];
    mockIPC((cmd, args: any) => {
      calls.push({ cmd, args });
      return null;
    });
    render(MessageBody, { id: 9, blocks: blocks(calendar), mode: "text" });
    const cards = screen.getAllByTestId("calendar-card");
    expect(cards, "the same invite attached twice shows once").toHaveLength(1);
    const card = cards[0];
    expect(card.textContent).toContain("Release planning");
    expect(card.textContent).toContain("request");
    expect(within(card).getByTestId("calendar-when").textContent).toContain("Thu 3 Dec 2026, 10:00 (Europe/Berlin)");
    expect(card.textContent).toContain("Room 4, second floor");
    expect(card.textContent).toContain("Ann Example <ann@example.test>");
    const attendees = within(card).getAllByTestId("calendar-attendee");
    expect(attendees.map((a) => a.textContent!.replace(/\s+/g, " ").trim())).toEqual([
      "QA Team <qa@example.test> needs action",
      "Bob, Sender <bob@example.test> accepted",
    ]);
    const download = within(card).getByTestId("calendar-download");
    expect(download.textContent).toContain("invite.ics");
    await fireEvent.click(download);
    await flush();
    expect(calls).toContainEqual({ cmd: "save_attachment", args: { id: 9, partId: "1.1.3" } });
  });
});

describe("message view with blocks", () => {
  test("a message whose root is message/rfc822 shows the inner text, not 'no text part'", async () => {
    const golden = rfc822Root as unknown as { body: BodyBlock[]; text: string };
    mockIPC((cmd) => (cmd === "get_message" ? detail(4, { body: golden.body, text: golden.text }) : null));
    render(MessageView);
    await store.open(4);
    await flush();
    expect(screen.getByTestId("tab-text").getAttribute("aria-selected")).toBe("true");
    const body = screen.getByTestId("message-body");
    expect(body.textContent).not.toContain("no text part");
    expect(within(body).getByTestId("nested-headers").textContent).toContain("The real content");
    expect(body.textContent).toContain("This text lives inside a message/rfc822 root.");
  });

  test("a plain message keeps the plain text view", async () => {
    mockIPC((cmd) => (cmd === "get_message" ? detail(5) : null));
    render(MessageView);
    await store.open(5);
    await flush();
    expect(screen.queryByTestId("message-body")).toBeNull();
    expect(screen.getByTestId("text-body").textContent).toBe("Hello there");
  });
});
