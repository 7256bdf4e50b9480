import { describe, expect, test } from "vitest";
import { contentSecurityPolicy, isRemote, parseSrcset, sanitizeEmailHtml } from "./html";

const blocked = (html: string, inlineImages: Record<string, string> = {}) =>
  sanitizeEmailHtml(html, { allowRemote: false, inlineImages });
const allowed = (html: string, inlineImages: Record<string, string> = {}) =>
  sanitizeEmailHtml(html, { allowRemote: true, inlineImages });

/** Parses the sanitised output again, as the iframe would. */
const parse = (html: string) => new DOMParser().parseFromString(html, "text/html");

describe("active content", () => {
  test("script elements are removed with their contents", () => {
    const { html } = blocked(`<p>hi</p><script>alert(1)</script><svg><script>alert(2)</script></svg>`);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain("alert");
    expect(parse(html).body.textContent).toBe("hi");
  });

  test("event handler attributes such as onerror and onload are dropped", () => {
    const { html } = blocked(`<img src="x.png" onerror="alert(1)"><body onload="evil()"><div OnClick="x()">d</div>`);
    const doc = parse(html);
    expect(doc.querySelector("img")!.hasAttribute("onerror")).toBe(false);
    expect(doc.body.hasAttribute("onload")).toBe(false);
    expect(html.toLowerCase()).not.toContain("onclick");
    expect(doc.querySelector("img")!.getAttribute("src")).toBe("x.png");
  });

  test("javascript: links lose their href but keep their text", () => {
    const { html } = blocked(`<a href="javascript:alert(1)">click</a><a href=" JaVa&#09;Script:alert(2)">two</a>`);
    const links = parse(html).querySelectorAll("a");
    expect(links).toHaveLength(2);
    expect(links[0].hasAttribute("href")).toBe(false);
    expect(links[1].hasAttribute("href")).toBe(false);
    expect(links[0].textContent).toBe("click");
  });

  test("vbscript: and data:text/html URLs are removed from every URL attribute", () => {
    const { html } = blocked(
      `<a href="vbscript:msgbox">v</a><a href="data:text/html,<script>alert(1)</script>">d</a>` +
        `<form action="javascript:x()"><button formaction="javascript:y()">b</button></form>` +
        `<svg><a xlink:href="javascript:z()"><text>t</text></a></svg>`,
    );
    expect(html).not.toMatch(/vbscript|javascript|data:text\/html/i);
  });

  test("ordinary https links stay clickable and are not counted as blocked", () => {
    const { html, blockedCount } = blocked(`<a href="https://example.com/x?a=1&b=2">x</a>`);
    expect(parse(html).querySelector("a")!.getAttribute("href")).toBe("https://example.com/x?a=1&b=2");
    expect(blockedCount).toBe(0);
  });

  test("frames, objects, embeds, applets and base are removed", () => {
    const { html } = blocked(
      `<iframe src="https://e.com"></iframe><frame src="x"><object data="x.swf"></object>` +
        `<embed src="x.swf"><applet code="A"></applet><base href="https://evil.com/"><p>ok</p>`,
    );
    expect(html).not.toMatch(/<(iframe|frame|object|embed|applet|base)\b/i);
    expect(parse(html).body.textContent).toContain("ok");
  });

  test("meta refresh and other http-equiv metas are removed", () => {
    const { html } = blocked(
      `<html><head><meta http-equiv="refresh" content="0;url=https://evil.com"><meta http-equiv="set-cookie" content="a=b"></head><body>x</body></html>`,
    );
    expect(html).not.toContain("evil.com");
    expect(html).not.toContain("set-cookie");
  });

  test("link elements other than stylesheets are removed", () => {
    const { html } = allowed(
      `<head><link rel="import" href="https://e.com/a.html"><link rel="preload" href="https://e.com/p.js">` +
        `<link rel="dns-prefetch" href="//e.com"><link rel="stylesheet" href="https://e.com/s.css"></head>`,
    );
    const links = parse(html).querySelectorAll("link");
    expect(links).toHaveLength(1);
    expect(links[0].getAttribute("rel")).toBe("stylesheet");
  });

  test("form actions, targets and pings are dropped", () => {
    const { html } = blocked(
      `<form action="https://e.com/post" method="post"><input name="a"></form><a href="https://e.com" target="_blank" ping="https://t.com">x</a>`,
    );
    const doc = parse(html);
    expect(doc.querySelector("form")!.hasAttribute("action")).toBe(false);
    expect(doc.querySelector("a")!.hasAttribute("target")).toBe(false);
    expect(doc.querySelector("a")!.hasAttribute("ping")).toBe(false);
  });

  test("SVG animation elements that could rewrite an href are removed", () => {
    const { html } = blocked(`<svg><a><animate attributeName="href" to="javascript:alert(1)"/><text>x</text></a></svg>`);
    expect(html).not.toMatch(/<animate/i);
    expect(html).not.toContain("javascript");
  });
});

describe("remote content", () => {
  test("a remote image loses its source, keeps its box and alt text, and is counted", () => {
    const { html, blockedCount } = blocked(`<img src="https://tracker.example/p.gif" width="1" alt="logo">`);
    const img = parse(html).querySelector("img")!;
    expect(img.hasAttribute("src")).toBe(false);
    expect(img.getAttribute("alt")).toBe("logo");
    expect(img.hasAttribute("data-blocked")).toBe(true);
    expect(html).not.toContain("tracker.example");
    expect(blockedCount).toBe(1);
  });

  test("protocol-relative and plain http URLs count as remote", () => {
    const { html, blockedCount } = blocked(`<img src="//cdn.example/a.png"><img src="http://cdn.example/b.png">`);
    expect(html).not.toContain("cdn.example");
    expect(blockedCount).toBe(2);
  });

  test("remote images are kept when remote content is allowed", () => {
    const { html, blockedCount } = allowed(`<img src="https://cdn.example/a.png">`);
    expect(parse(html).querySelector("img")!.getAttribute("src")).toBe("https://cdn.example/a.png");
    expect(blockedCount).toBe(0);
  });

  test("background attributes and video posters are blocked and counted", () => {
    const { html, blockedCount } = blocked(
      `<table background="https://e.com/bg.png"><tr><td background="http://e.com/td.png">x</td></tr></table>` +
        `<video poster="https://e.com/poster.jpg" src="https://e.com/v.mp4"></video>`,
    );
    expect(html).not.toContain("e.com");
    expect(blockedCount).toBe(4);
  });

  test("remote candidates in srcset are removed one by one and each is counted", () => {
    const { html, blockedCount } = blocked(
      `<img src="data:image/png;base64,AAAA" srcset="https://e.com/a.png 1x, local.png 2x, //e.com/c.png 3x">`,
    );
    const img = parse(html).querySelector("img")!;
    expect(img.getAttribute("srcset")).toBe("local.png 2x");
    expect(img.getAttribute("src")).toBe("data:image/png;base64,AAAA");
    expect(blockedCount).toBe(2);
  });

  test("a srcset with only remote candidates is removed entirely", () => {
    const { html, blockedCount } = blocked(
      `<picture><source srcset="https://e.com/a.webp 1x, https://e.com/b.webp 2x"><img src="https://e.com/a.png"></picture>`,
    );
    expect(parse(html).querySelector("source")!.hasAttribute("srcset")).toBe(false);
    expect(blockedCount).toBe(3);
  });

  test("CSS url() in a style attribute is replaced and counted", () => {
    const { html, blockedCount } = blocked(
      `<div style="background: url('https://e.com/bg.png') no-repeat; color: red">x</div>`,
    );
    const style = parse(html).querySelector("div")!.getAttribute("style")!;
    expect(style).not.toContain("e.com");
    expect(style).toContain("color: red");
    expect(style).toContain("none no-repeat");
    expect(blockedCount).toBe(1);
  });

  test("CSS url() and @import in a style element are removed and counted", () => {
    const { html, blockedCount } = blocked(
      `<style>@import url("https://e.com/a.css"); @import 'http://e.com/b.css';` +
        ` .x { background-image: url(https://e.com/x.png) } @font-face { src: url(//e.com/f.woff) }</style>`,
    );
    expect(html).not.toContain("e.com");
    expect(html).toContain(".x");
    expect(blockedCount).toBe(4);
  });

  test("remote strings inside image-set() are blocked", () => {
    const { html, blockedCount } = blocked(
      `<div style='background-image: image-set("https://e.com/a.png" 1x, "https://e.com/b.png" 2x)'>x</div>`,
    );
    expect(html).not.toContain("e.com");
    expect(blockedCount).toBe(2);
  });

  test("CSS url() stays when remote content is allowed", () => {
    const { html, blockedCount } = allowed(`<style>.x{background:url(https://e.com/x.png)}</style>`);
    expect(html).toContain("url(https://e.com/x.png)");
    expect(blockedCount).toBe(0);
  });

  test("javascript: inside CSS url() is removed even when remote content is allowed", () => {
    const { html } = allowed(`<div style="background:url(javascript:alert(1))">x</div>`);
    expect(html).not.toContain("javascript");
  });

  test("a remote stylesheet link is removed and counted", () => {
    const { html, blockedCount } = blocked(`<head><link rel="stylesheet" href="https://e.com/s.css"></head>`);
    expect(parse(html).querySelector("link")).toBeNull();
    expect(blockedCount).toBe(1);
  });

  test("SVG image hrefs are resources and are blocked", () => {
    const { html, blockedCount } = blocked(
      `<svg><image href="https://e.com/a.png"/><image xlink:href="https://e.com/b.png"/></svg>`,
    );
    expect(html).not.toContain("e.com");
    expect(blockedCount).toBe(2);
  });

  test("relative and data URLs are not counted as remote", () => {
    const { blockedCount } = blocked(`<img src="a.png"><img src="data:image/gif;base64,R0lG"><img src="cid:x">`);
    expect(blockedCount).toBe(0);
  });

  test("the count adds up every kind of remote reference in one message", () => {
    const { blockedCount } = blocked(
      `<head><style>.a{background:url(https://e.com/1.png)}</style></head>` +
        `<body background="https://e.com/2.png"><img src="https://e.com/3.png" srcset="https://e.com/4.png 2x">` +
        `<p style="background:url(http://e.com/5.png)">x</p></body>`,
    );
    expect(blockedCount).toBe(5);
  });
});

describe("inline images", () => {
  const images = { "logo@example.com": "data:image/png;base64,TE9HTw==" };

  test("cid: image sources become the inline data URL", () => {
    const { html } = blocked(`<img src="cid:logo@example.com">`, images);
    expect(parse(html).querySelector("img")!.getAttribute("src")).toBe("data:image/png;base64,TE9HTw==");
  });

  test("cid: references with angle brackets or percent-encoding are found too", () => {
    const { html } = blocked(`<img src="cid:<logo@example.com>"><img src="cid:logo%40example.com">`, images);
    const srcs = Array.from(parse(html).querySelectorAll("img")).map((i) => i.getAttribute("src"));
    expect(srcs).toEqual(["data:image/png;base64,TE9HTw==", "data:image/png;base64,TE9HTw=="]);
  });

  test("cid: in CSS url() is rewritten as well", () => {
    const { html } = blocked(`<div style="background-image:url(cid:logo@example.com)">x</div>`, images);
    const style = parse(html).querySelector("div")!.getAttribute("style");
    expect(style).toBe('background-image:url("data:image/png;base64,TE9HTw==")');
  });

  test("an unknown cid stays as written and is not counted", () => {
    const { html, blockedCount } = blocked(`<img src="cid:missing@x">`, images);
    expect(parse(html).querySelector("img")!.getAttribute("src")).toBe("cid:missing@x");
    expect(blockedCount).toBe(0);
  });
});

describe("document shape", () => {
  test("the CSP meta is the first child of head", () => {
    const { html } = blocked(`<html><head><title>t</title></head><body>x</body></html>`);
    const first = parse(html).head.firstElementChild!;
    expect(first.localName).toBe("meta");
    expect(first.getAttribute("http-equiv")).toBe("Content-Security-Policy");
    expect(first.getAttribute("content")).toBe(contentSecurityPolicy(false));
  });

  test("the CSP forbids scripts and remote loads unless remote content is allowed", () => {
    expect(contentSecurityPolicy(false)).toContain("script-src 'none'");
    expect(contentSecurityPolicy(false)).toContain("img-src data: cid:;");
    expect(contentSecurityPolicy(false)).not.toContain("https:");
    expect(contentSecurityPolicy(true)).toContain("img-src data: cid: https: http:");
    expect(contentSecurityPolicy(true)).toContain("style-src 'unsafe-inline' data: https: http:");
    expect(contentSecurityPolicy(true)).toContain("font-src data: https: http:");
    expect(contentSecurityPolicy(true)).toContain("media-src data: https: http:");
    expect(contentSecurityPolicy(true)).toContain("script-src 'none'");
  });

  test("a fragment without html or head still gets a CSP", () => {
    const { html } = blocked(`<b>bold</b>`);
    const doc = parse(html);
    expect(doc.head.querySelector('meta[http-equiv="Content-Security-Policy"]')).not.toBeNull();
    expect(doc.body.innerHTML).toContain("<b>bold</b>");
  });

  test("a CSP meta in the mail itself cannot replace ours", () => {
    const { html } = blocked(`<head><meta http-equiv="Content-Security-Policy" content="default-src *"></head>`);
    const metas = parse(html).querySelectorAll('meta[http-equiv="Content-Security-Policy"]');
    expect(metas).toHaveLength(1);
    expect(metas[0].getAttribute("content")).toBe(contentSecurityPolicy(false));
  });

  test("the doctype of the mail is kept so its rendering mode does not change", () => {
    const { html } = blocked(
      `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd"><html><body>x</body></html>`,
    );
    expect(html.startsWith('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"')).toBe(true);
  });

  test("text that merely looks like markup survives escaped", () => {
    const { html } = blocked(`<p>1 &lt; 2 &amp;&amp; &lt;script&gt;</p>`);
    expect(parse(html).querySelector("p")!.textContent).toBe("1 < 2 && <script>");
  });
});

describe("helpers", () => {
  test("srcset parsing keeps commas inside data URLs", () => {
    expect(parseSrcset("data:image/png;base64,AA,BB 1x, b.png 2x")).toEqual([
      { url: "data:image/png;base64,AA,BB", descriptor: "1x" },
      { url: "b.png", descriptor: "2x" },
    ]);
  });

  test("backslash host URLs count as remote", () => {
    expect(isRemote("\\\\evil.com/x.png")).toBe(true);
    expect(isRemote("images/x.png")).toBe(false);
  });
});

describe("file: links", () => {
  test("a file: link keeps its text but is not clickable, and says where it pointed", () => {
    const { html } = blocked(`<a href="file:///etc/passwd">passwords</a><a href=" FILE:\\\\server\\share">s</a>`);
    const links = parse(html).querySelectorAll("a");
    expect(links[0].hasAttribute("href")).toBe(false);
    expect(links[0].textContent).toBe("passwords");
    expect(links[0].getAttribute("title")).toContain("file:///etc/passwd");
    expect(links[0].hasAttribute("data-file-link")).toBe(true);
    expect(links[1].hasAttribute("href")).toBe(false);
    expect(parse(html).querySelector("a[href]")).toBeNull();
  });

  test("file: links stay unclickable when remote content is allowed, and file: images never load", () => {
    const { html } = allowed(`<a href="file:///x">x</a><img src="file:///home/me/a.png"><area href="file:///y">`);
    const doc = parse(html);
    expect(doc.querySelector("[href]")).toBeNull();
    expect(doc.querySelector("img")!.hasAttribute("src")).toBe(false);
  });
});

describe("remote style sheets", () => {
  test("a remote stylesheet link stays when remote content is allowed", () => {
    const { html, blockedCount } = allowed(`<head><link rel="stylesheet" href="https://e.com/s.css"></head>`);
    expect(parse(html).querySelector("link")!.getAttribute("href")).toBe("https://e.com/s.css");
    expect(blockedCount).toBe(0);
  });

  test("a remote @import stays when allowed and goes when not", () => {
    const sheet = `<style>@import url("https://e.com/a.css"); p{color:red}</style>`;
    expect(allowed(sheet).html).toContain("@import");
    const b = blocked(sheet);
    expect(b.html).not.toContain("@import");
    expect(b.blockedCount).toBe(1);
  });

  test("the window's own CSP lets the frame load what Load remote content allows", async () => {
    // The srcdoc frame inherits the app's CSP as well as carrying its own, so every source
    // the frame's remote policy allows must be allowed by the app's too.
    const { readFileSync } = await import("node:fs");
    const { resolve } = await import("node:path");
    const conf = JSON.parse(readFileSync(resolve(__dirname, "../../../src-tauri/tauri.conf.json"), "utf8"));
    const app: Record<string, string> = conf.app.security.csp;
    for (const directive of ["style-src", "img-src", "font-src", "media-src"]) {
      for (const source of ["https:", "http:"]) {
        expect(app[directive].split(/\s+/), `${directive} of tauri.conf.json`).toContain(source);
        expect(contentSecurityPolicy(true)).toMatch(new RegExp(`${directive}[^;]*${source}`));
        expect(contentSecurityPolicy(false)).not.toMatch(new RegExp(`${directive}[^;]*${source}`));
      }
    }
    // Script stays the app's own bundle only, and the frame's policies never allow any.
    for (const bad of ["http:", "https:", "'unsafe-inline'", "'unsafe-eval'", "data:", "blob:", "*"]) {
      expect(app["script-src"].split(/\s+/), "script-src of tauri.conf.json").not.toContain(bad);
    }
    expect(app["object-src"]).toBe("'none'");
    expect(app["connect-src"].split(/\s+/).sort()).toEqual(["http://ipc.localhost", "ipc:"]);
    for (const remote of [false, true]) {
      expect(contentSecurityPolicy(remote)).toMatch(/(^|; )script-src 'none'(;|$)/);
      expect(contentSecurityPolicy(remote)).toMatch(/(^|; )default-src 'none'(;|$)/);
    }
  });
});

describe("audio and video", () => {
  test("media never autoplays, preloads nothing and gets controls", () => {
    const { html } = allowed(
      `<audio autoplay src="https://e.com/a.mp3"></audio><video AUTOPLAY preload="auto" src="https://e.com/v.mp4"></video>`,
    );
    const doc = parse(html);
    for (const el of Array.from(doc.querySelectorAll("audio, video"))) {
      expect(el.hasAttribute("autoplay")).toBe(false);
      expect(el.getAttribute("preload")).toBe("none");
      expect(el.hasAttribute("controls")).toBe(true);
    }
    expect(doc.querySelector("audio")!.getAttribute("src")).toBe("https://e.com/a.mp3");
  });

  test("until allowed, no media URL stays: remote, sources, tracks, posters and relative ones", () => {
    const { html, blockedCount } = blocked(
      `<audio autoplay><source src="https://e.com/a.ogg"><source src="song.mp3"></audio>` +
        `<video poster="//e.com/p.jpg" src="clip.mp4"><track src="https://e.com/subs.vtt"></video>`,
    );
    const doc = parse(html);
    expect(doc.querySelector("[src], [poster]")).toBeNull();
    expect(blockedCount).toBe(3);
    expect(doc.querySelector("audio")!.hasAttribute("autoplay")).toBe(false);
  });

  test("inline data media stays playable without remote content", () => {
    const { html } = blocked(`<audio src="data:audio/wav;base64,AAAA"></audio>`);
    expect(parse(html).querySelector("audio")!.getAttribute("src")).toBe("data:audio/wav;base64,AAAA");
  });

  test("relative media URLs never resolve against the app, even when allowed", () => {
    const { html } = allowed(`<video src="clip.mp4"></video>`);
    expect(parse(html).querySelector("video")!.hasAttribute("src")).toBe(false);
  });
});
