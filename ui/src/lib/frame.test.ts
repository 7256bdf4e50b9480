import { describe, expect, test, vi } from "vitest";
import { forwardKeys, interceptLinks } from "./frame";

function frameDoc(body: string) {
  const doc = document.implementation.createHTMLDocument("mail");
  doc.body.innerHTML = body;
  const open = vi.fn();
  const refuse = vi.fn();
  const stop = interceptLinks(doc, { open, refuse });
  const click = (el: Element) => {
    const e = new MouseEvent("click", { bubbles: true, cancelable: true });
    el.dispatchEvent(e);
    return e;
  };
  return { doc, open, refuse, stop, click };
}

describe("links in the mail frame", () => {
  test("a clicked https link goes to the system browser and the frame does not navigate", () => {
    const { doc, open, click } = frameDoc(`<a href="https://example.com/confirm"><b id="t">Confirm</b></a>`);
    const e = click(doc.getElementById("t")!);
    expect(e.defaultPrevented).toBe(true);
    expect(open).toHaveBeenCalledWith("https://example.com/confirm");
  });

  test("mailto links open too", () => {
    const { doc, open, click } = frameDoc(`<a id="m" href="mailto:help@example.com">mail</a>`);
    click(doc.getElementById("m")!);
    expect(open).toHaveBeenCalledWith("mailto:help@example.com");
  });

  test("other schemes are refused and still do not navigate", () => {
    const { doc, open, refuse, click } = frameDoc(`<a id="f" href="file:///etc/passwd">f</a>`);
    const e = click(doc.getElementById("f")!);
    expect(e.defaultPrevented).toBe(true);
    expect(open).not.toHaveBeenCalled();
    expect(refuse).toHaveBeenCalledWith("file:///etc/passwd");
  });

  test("clicks outside links are left alone", () => {
    const { doc, open, refuse, click } = frameDoc(`<p id="p">text</p>`);
    const e = click(doc.getElementById("p")!);
    expect(e.defaultPrevented).toBe(false);
    expect(open).not.toHaveBeenCalled();
    expect(refuse).not.toHaveBeenCalled();
  });

  test("in-page anchors neither open nor refuse", () => {
    const { doc, open, refuse, click } = frameDoc(`<a id="a" href="#top">top</a><div id="top"></div>`);
    expect(click(doc.getElementById("a")!).defaultPrevented).toBe(true);
    expect(open).not.toHaveBeenCalled();
    expect(refuse).not.toHaveBeenCalled();
  });

  test("after removal the listener no longer intercepts", () => {
    const { doc, open, stop, click } = frameDoc(`<a id="l" href="https://example.com">x</a>`);
    stop();
    click(doc.getElementById("l")!);
    expect(open).not.toHaveBeenCalled();
  });
});

describe("keys in the mail frame", () => {
  test("shortcut keys pressed in the frame reach the app window", () => {
    const doc = document.implementation.createHTMLDocument("mail");
    doc.body.innerHTML = `<p id="p">text</p><input id="i">`;
    const seen: string[] = [];
    const listener = (e: KeyboardEvent) => seen.push(e.key);
    window.addEventListener("keydown", listener);
    const stop = forwardKeys(doc, window);
    doc.getElementById("p")!.dispatchEvent(new KeyboardEvent("keydown", { key: "j", bubbles: true }));
    doc.getElementById("i")!.dispatchEvent(new KeyboardEvent("keydown", { key: "k", bubbles: true }));
    stop();
    window.removeEventListener("keydown", listener);
    expect(seen).toEqual(["j"]);
  });
});
