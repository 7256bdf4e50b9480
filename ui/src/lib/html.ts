// Sanitises the hostile HTML of a captured email before it becomes an iframe's srcdoc.
//
// Three layers guard the app, and this module is only the first:
//   1. this sanitiser removes active content and (unless allowed) remote resources,
//   2. the CSP meta it injects forbids scripts and any load it did not expect,
//   3. the iframe sandbox (never allow-scripts) makes scripting impossible whatever slips by.
// The blocked-resource count is for the "N remote resources blocked" banner; it is best
// effort (CSS escapes can hide a url() from it), while the CSP is the enforcement.

import { LARGE_HTML } from "./types";

export interface SanitizeOptions {
  /** Load http(s) images, style sheets (<link>, @import, url()), fonts and media (audio and
   * video still only on a press on play). */
  allowRemote: boolean;
  /** content-id (without <>) -> data: URL, from MessageDetail.inline_images. */
  inlineImages?: Record<string, string>;
}

export interface SanitizedHtml {
  /** A complete document for srcdoc, starting with the doctype when the mail had one. */
  html: string;
  /** Remote resource references removed because remote content was not allowed. */
  blockedCount: number;
}

const BASE_CSP =
  "default-src 'none'; script-src 'none'; object-src 'none'; " +
  "style-src 'unsafe-inline' data:; img-src data: cid:; font-src data:; media-src data:";

const REMOTE_CSP =
  "default-src 'none'; script-src 'none'; object-src 'none'; " +
  "style-src 'unsafe-inline' data: https: http:; img-src data: cid: https: http:; " +
  "font-src data: https: http:; media-src data: https: http:";

export function contentSecurityPolicy(allowRemote: boolean): string {
  return allowRemote ? REMOTE_CSP : BASE_CSP;
}

/** Elements removed with everything inside them. */
const FORBIDDEN_ELEMENTS = [
  "script",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "applet",
  "base",
  "portal",
  "fencedframe",
  "noembed",
  // SVG animation can set href to javascript: after the sanitiser has looked.
  "animate",
  "set",
  "animateMotion",
  "animateTransform",
  "handler",
  "listener",
];

/** Attributes whose value is a URL that can be navigated to or loaded. */
const URL_ATTRIBUTES = new Set([
  "href",
  "src",
  "action",
  "formaction",
  "xlink:href",
  "background",
  "poster",
  "lowsrc",
  "dynsrc",
  "cite",
  "longdesc",
  "data",
  "codebase",
  "manifest",
  "usemap",
]);

/** Attributes that are dropped outright wherever they appear. */
const DROPPED_ATTRIBUTES = new Set([
  "ping", // pings a remote URL on click
  "srcdoc",
  "http-equiv",
  "action", // forms cannot submit anywhere
  "formaction",
  "target", // clicks are intercepted by the parent; no popups or top navigation
  "download",
]);

/** Elements that play sound or video. */
const MEDIA_ELEMENTS = ["audio", "video"];

/** Elements whose src is media (they load when their audio or video does). */
const MEDIA_SOURCES = new Set(["audio", "video", "source", "track"]);

/** URL attributes that load a resource (rather than navigate) on these elements. */
const RESOURCE_URL_ATTRIBUTES = new Set(["src", "background", "poster", "lowsrc", "dynsrc"]);

/** Link relations that are allowed to stay; everything else (import, preload, prefetch,
 * dns-prefetch, preconnect, icon, manifest...) is removed. */
const ALLOWED_LINK_RELS = new Set(["stylesheet"]);

/** HTML bodies larger than LARGE_HTML (1 MB; Gmail clips at 102 KB) are not rendered until
 * asked, and the window's get_message holds them back until then. */
export { LARGE_HTML };

type HtmlOf = { html: string | null; html_held_back?: number | null };

/** True when the message has an HTML body, sent or held back. */
export function hasHtmlBody(detail: HtmlOf): boolean {
  return detail.html !== null || detail.html_held_back != null;
}

/** True when the message's HTML body is too big to render without asking. */
export function isLargeHtml(detail: HtmlOf): boolean {
  return detail.html_held_back != null || (detail.html?.length ?? 0) > LARGE_HTML;
}

/** The HTML body's size: held back, or the length of what was sent. */
export function htmlSize(detail: HtmlOf): number {
  return detail.html_held_back ?? detail.html?.length ?? 0;
}

export function sanitizeEmailHtml(source: string, options: SanitizeOptions): SanitizedHtml {
  const doc = new DOMParser().parseFromString(source, "text/html");
  const ctx: Ctx = {
    allowRemote: options.allowRemote,
    inlineImages: options.inlineImages ?? {},
    blocked: 0,
  };

  for (const el of Array.from(doc.querySelectorAll(FORBIDDEN_ELEMENTS.join(",")))) el.remove();
  for (const meta of Array.from(doc.querySelectorAll("meta"))) {
    if (meta.hasAttribute("http-equiv")) meta.remove();
  }
  for (const link of Array.from(doc.querySelectorAll("link"))) sanitizeLink(link, ctx);
  for (const el of Array.from(doc.querySelectorAll("*"))) sanitizeAttributes(el, ctx);
  for (const el of Array.from(doc.querySelectorAll(MEDIA_ELEMENTS.join(",")))) sanitizeMedia(el);
  for (const style of Array.from(doc.querySelectorAll("style"))) {
    style.textContent = sanitizeCss(style.textContent ?? "", ctx, true);
  }

  injectHead(doc, options.allowRemote);
  return { html: serialize(doc), blockedCount: ctx.blocked };
}

interface Ctx {
  allowRemote: boolean;
  inlineImages: Record<string, string>;
  blocked: number;
}

function sanitizeLink(link: Element, ctx: Ctx) {
  const rels = (link.getAttribute("rel") ?? "").toLowerCase().split(/\s+/).filter(Boolean);
  if (rels.length === 0 || !rels.every((r) => ALLOWED_LINK_RELS.has(r))) {
    link.remove();
    return;
  }
  const href = link.getAttribute("href") ?? "";
  if (isRemote(href) && !ctx.allowRemote) {
    ctx.blocked++;
    link.remove();
  }
}

function sanitizeAttributes(el: Element, ctx: Ctx) {
  const tag = el.localName.toLowerCase();
  for (const attr of Array.from(el.attributes)) {
    const name = attr.name.toLowerCase();
    if (name.startsWith("on") || DROPPED_ATTRIBUTES.has(name)) {
      el.removeAttribute(attr.name);
      continue;
    }
    if (name === "style") {
      el.setAttribute(attr.name, sanitizeCss(attr.value, ctx, false));
      continue;
    }
    if (name === "srcset" || name === "imagesrcset") {
      sanitizeSrcset(el, attr.name, ctx);
      continue;
    }
    if (!URL_ATTRIBUTES.has(name)) continue;

    const value = attr.value;
    if (isDangerousUrl(value)) {
      el.removeAttribute(attr.name);
      continue;
    }
    if (isFileUrl(value)) {
      // A file on the reader's own disk: never loaded, and a link to one stays readable
      // but is not a link any more (the target is kept in the title to be seen).
      el.removeAttribute(attr.name);
      if ((tag === "a" || tag === "area") && (name === "href" || name === "xlink:href")) {
        el.setAttribute("data-file-link", "");
        el.setAttribute("title", `Local file link, not opened: ${value.trim()}`);
      }
      continue;
    }
    if (MEDIA_SOURCES.has(tag) && (name === "src" || name === "poster") && !isMediaUrlAllowed(value, ctx)) {
      // Media loads only from the network, and only once allowed: a relative URL would
      // resolve against the app itself.
      if (isRemote(value)) ctx.blocked++;
      el.removeAttribute(attr.name);
      continue;
    }
    const cid = rewriteCid(value, ctx);
    if (cid !== null) {
      el.setAttribute(attr.name, cid);
      continue;
    }
    if (!ctx.allowRemote && isRemote(value) && loadsResource(tag, name)) {
      ctx.blocked++;
      el.removeAttribute(attr.name);
      // An <img> without src shows its alt text in its box, as mail clients do.
      if (tag === "img" && name === "src") el.setAttribute("data-blocked", "");
    }
  }
}

/** `<audio>` and `<video>` never play by themselves and fetch nothing before a press on
 * play: autoplay goes, preload is "none", and controls are shown so they can be played. */
function sanitizeMedia(el: Element) {
  el.removeAttribute("autoplay");
  el.setAttribute("preload", "none");
  el.setAttribute("controls", "");
}

/** A media URL that may stay: inline data, or a remote one once remote content is allowed. */
function isMediaUrlAllowed(url: string, ctx: Ctx): boolean {
  const u = normalizedUrl(url);
  if (u.startsWith("data:") || u.startsWith("cid:")) return true;
  return ctx.allowRemote && isRemote(url);
}

/** True when this attribute on this element fetches something as the page renders,
 * as opposed to a link that only goes somewhere when clicked. */
function loadsResource(tag: string, name: string): boolean {
  if (RESOURCE_URL_ATTRIBUTES.has(name)) return true;
  if (name === "href" || name === "xlink:href") {
    // <a>/<area> navigate; SVG <image>, <use>, <feImage> load.
    return tag !== "a" && tag !== "area" && tag !== "link";
  }
  return false;
}

function sanitizeSrcset(el: Element, attrName: string, ctx: Ctx) {
  const kept: string[] = [];
  for (const { url, descriptor } of parseSrcset(el.getAttribute(attrName) ?? "")) {
    const candidate = descriptor ? `${url} ${descriptor}` : url;
    if (isDangerousUrl(url)) continue;
    const cid = rewriteCid(url, ctx);
    if (cid !== null) {
      kept.push(descriptor ? `${cid} ${descriptor}` : cid);
    } else if (isRemote(url) && !ctx.allowRemote) {
      ctx.blocked++;
    } else {
      kept.push(candidate);
    }
  }
  if (kept.length) el.setAttribute(attrName, kept.join(", "));
  else el.removeAttribute(attrName);
}

/** Splits a srcset into candidates the way the HTML spec does, so that the commas inside
 * a data: URL do not split it. */
export function parseSrcset(value: string): { url: string; descriptor: string }[] {
  const out: { url: string; descriptor: string }[] = [];
  let i = 0;
  const n = value.length;
  const isSpace = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f";
  while (i < n) {
    while (i < n && (isSpace(value[i]) || value[i] === ",")) i++;
    if (i >= n) break;
    let start = i;
    while (i < n && !isSpace(value[i])) i++;
    let url = value.slice(start, i);
    let descriptor = "";
    if (url.endsWith(",")) {
      url = url.replace(/,+$/, "");
    } else {
      start = i;
      let depth = 0;
      while (i < n) {
        const c = value[i];
        if (c === "(") depth++;
        else if (c === ")") depth = Math.max(0, depth - 1);
        else if (c === "," && depth === 0) break;
        i++;
      }
      descriptor = value.slice(start, i).trim();
      i++; // past the comma
    }
    if (url) out.push({ url, descriptor });
  }
  return out;
}

const CSS_URL = /url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"]*?))\s*\)/gi;
const CSS_IMPORT = /@import\s+(?:url\(\s*(?:"[^"]*"|'[^']*'|[^)]*)\s*\)|"[^"]*"|'[^']*')[^;]*;?/gi;
const CSS_IMAGE_SET = /(?:-webkit-)?image-set\(([^()]*)\)/gi;
const CSS_QUOTED = /"([^"]*)"|'([^']*)'/g;

/** Rewrites url()s in a stylesheet or a style attribute: cid: to inline data, remote
 * to `none` (counted) unless allowed, javascript: and friends to `none` always. */
function sanitizeCss(css: string, ctx: Ctx, isSheet: boolean): string {
  let out = css;
  if (isSheet) {
    out = out.replace(CSS_IMPORT, (rule) => {
      const m = /url\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*?))\s*\)|"([^"]*)"|'([^']*)'/i.exec(rule.slice(7));
      const url = m ? (m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? "") : "";
      if (isDangerousUrl(url)) return "";
      if (isRemote(url) && !ctx.allowRemote) {
        ctx.blocked++;
        return "";
      }
      return rule;
    });
  }
  out = out.replace(CSS_URL, (whole, dq?: string, sq?: string, bare?: string) => {
    const url = (dq ?? sq ?? bare ?? "").trim();
    if (isDangerousUrl(url)) return "none";
    const cid = rewriteCid(url, ctx);
    if (cid !== null) return `url("${cid}")`;
    if (isRemote(url) && !ctx.allowRemote) {
      ctx.blocked++;
      return "none";
    }
    return whole;
  });
  out = out.replace(CSS_IMAGE_SET, (whole, inner: string) => {
    let remote = 0;
    inner.replace(CSS_QUOTED, (q, dq?: string, sq?: string) => {
      const url = dq ?? sq ?? "";
      if (isRemote(url) || isDangerousUrl(url)) remote++;
      return q;
    });
    if (remote === 0 || ctx.allowRemote) return whole;
    ctx.blocked += remote;
    return "none";
  });
  return out;
}

/** Browsers ignore ASCII whitespace and control characters inside a scheme
 * (`jav&#9;ascript:`), so compare without them. */
function normalizedUrl(url: string): string {
  // eslint-disable-next-line no-control-regex
  return url.replace(/[\u0000-\u0020\u007f-\u00a0]+/g, "").toLowerCase();
}

/** javascript:, vbscript:, and data: documents (which could run script if navigated to). */
export function isDangerousUrl(url: string): boolean {
  const u = normalizedUrl(url);
  if (u.startsWith("javascript:") || u.startsWith("vbscript:") || u.startsWith("livescript:")) {
    return true;
  }
  if (u.startsWith("data:")) {
    const type = u.slice(5).split(/[;,]/)[0];
    return (
      type === "text/html" ||
      type === "application/xhtml+xml" ||
      type === "application/xml" ||
      type === "text/xml" ||
      type === "text/javascript" ||
      type === "application/javascript"
    );
  }
  return false;
}

/** file:, a path on the reader's machine (never loaded, never a clickable link). */
export function isFileUrl(url: string): boolean {
  return normalizedUrl(url).replace(/\\/g, "/").startsWith("file:");
}

/** http:, https: or protocol-relative (//host/...). */
export function isRemote(url: string): boolean {
  const u = normalizedUrl(url);
  // Browsers read backslashes as slashes here, so \\host is //host.
  const v = u.replace(/\\/g, "/");
  return v.startsWith("http:") || v.startsWith("https:") || v.startsWith("//");
}

/** The inline data URL for a cid: reference, or null when the URL is not cid: or the
 * message has no such part (then it stays as it is and simply fails to load). */
function rewriteCid(url: string, ctx: Ctx): string | null {
  const trimmed = url.trim();
  if (!/^cid:/i.test(trimmed)) return null;
  let id = trimmed.slice(4).replace(/^<|>$/g, "");
  let found = ctx.inlineImages[id];
  if (found === undefined) {
    try {
      id = decodeURIComponent(id);
      found = ctx.inlineImages[id];
    } catch {
      // a malformed escape: keep the id as written
    }
  }
  return found === undefined ? null : found;
}

function injectHead(doc: Document, allowRemote: boolean) {
  const head = doc.head ?? doc.documentElement.insertBefore(doc.createElement("head"), doc.body);
  const csp = doc.createElement("meta");
  csp.setAttribute("http-equiv", "Content-Security-Policy");
  csp.setAttribute("content", contentSecurityPolicy(allowRemote));
  const referrer = doc.createElement("meta");
  referrer.setAttribute("name", "referrer");
  referrer.setAttribute("content", "no-referrer");
  // Mail is designed for a white page; force light rendering even in dark mode.
  const scheme = doc.createElement("meta");
  scheme.setAttribute("name", "color-scheme");
  scheme.setAttribute("content", "light only");
  const base = doc.createElement("style");
  base.textContent =
    // No background on html: the mail's body background must reach the canvas, as in a
    // mail client; the iframe element itself is white.
    "html{color:#222;color-scheme:light}" +
    "body{margin:16px;font:14px/1.45 -apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;overflow-wrap:break-word}" +
    "img[data-blocked]{outline:1px dashed #c8c8d0;outline-offset:-1px}" +
    "a[data-file-link]{cursor:not-allowed;text-decoration:line-through}";
  head.prepend(csp, referrer, scheme, base);
}

function serialize(doc: Document): string {
  const dt = doc.doctype;
  let doctype = "";
  if (dt) {
    doctype = `<!DOCTYPE ${dt.name}`;
    if (dt.publicId) doctype += ` PUBLIC "${dt.publicId}"`;
    if (dt.systemId) doctype += `${dt.publicId ? "" : " SYSTEM"} "${dt.systemId}"`;
    doctype += ">";
  }
  return doctype + doc.documentElement.outerHTML;
}
