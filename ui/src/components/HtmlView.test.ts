import { afterEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import HtmlView from "./HtmlView.svelte";
import { detail, flush } from "../test/fixtures";

afterEach(() => cleanup());

const hostile = detail(1, {
  html: `<p>Hi</p><img src="https://t.example/pixel.gif"><script>alert(1)</script>`,
});

describe("HTML tab", () => {
  test("the frame is sandboxed without scripts and gets sanitised HTML", () => {
    render(HtmlView, { detail: hostile });
    const frame = screen.getByTestId("html-frame") as HTMLIFrameElement;
    expect(frame.getAttribute("sandbox")).toBe("allow-same-origin");
    const srcdoc = frame.getAttribute("srcdoc")!;
    expect(srcdoc).not.toContain("<script");
    expect(srcdoc).not.toContain("t.example");
    expect(srcdoc).toContain("Content-Security-Policy");
  });

  test("blocked remote resources are announced and can be loaded on request", async () => {
    render(HtmlView, { detail: hostile });
    expect(screen.getByTestId("remote-banner").textContent).toContain("1 remote resource blocked");
    await fireEvent.click(screen.getByTestId("load-remote-button"));
    expect(screen.queryByTestId("remote-banner")).toBeNull();
    const srcdoc = screen.getByTestId("html-frame").getAttribute("srcdoc")!;
    expect(srcdoc).toContain("https://t.example/pixel.gif");
    expect(srcdoc).not.toContain("<script");
  });

  test("a message without remote content shows no banner", () => {
    render(HtmlView, { detail: detail(2, { html: "<p>plain</p>" }) });
    expect(screen.queryByTestId("remote-banner")).toBeNull();
  });

  test("a huge HTML body is not rendered until asked, and then it is sanitised", async () => {
    const big = `<p>${"x".repeat(1_100_000)}</p><script>alert(1)</script>`;
    render(HtmlView, { detail: detail(3, { html: big }) });
    expect(screen.queryByTestId("html-frame")).toBeNull();
    expect(screen.getByTestId("large-html").textContent).toMatch(/\d(\.\d)? MB/);
    await fireEvent.click(screen.getByTestId("render-large-button"));
    const srcdoc = screen.getByTestId("html-frame").getAttribute("srcdoc")!;
    expect(srcdoc).toContain("<p>xxxx");
    expect(srcdoc).not.toContain("<script");
  });

  test("a body the shell held back is fetched only on Render anyway, then sanitised", async () => {
    const asked: number[] = [];
    mockIPC((cmd, args: any) => {
      if (cmd === "get_message_html") {
        asked.push(args.id);
        return `<p>${"y".repeat(1_100_000)}</p><script>alert(1)</script>`;
      }
      return null;
    });
    render(HtmlView, { detail: detail(4, { html: null, html_held_back: 9_800_000 }) });
    expect(screen.queryByTestId("html-frame")).toBeNull();
    expect(screen.getByTestId("large-html").textContent).toContain("9.3 MB");
    expect(asked, "nothing is fetched before the person asks").toEqual([]);
    await fireEvent.click(screen.getByTestId("render-large-button"));
    await flush();
    expect(asked).toEqual([4]);
    const srcdoc = screen.getByTestId("html-frame").getAttribute("srcdoc")!;
    expect(srcdoc).toContain("<p>yyyy");
    expect(srcdoc).not.toContain("<script");
  });
});
