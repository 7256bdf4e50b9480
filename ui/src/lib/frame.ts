// Link handling for the sandboxed mail frame: no click ever navigates the frame; http,
// https and mailto links are handed to the system browser, in-page anchors scroll.

import { isOpenableUrl } from "./ipc";
import { isTyping } from "./listing";

export interface LinkHandlers {
  /** An http, https or mailto URL was clicked. */
  open: (url: string) => void;
  /** Any other link was clicked (javascript:, file:, relative...); it is not followed. */
  refuse: (href: string) => void;
}

/** Installs a capturing click listener on the frame's document; returns its removal. */
export function interceptLinks(doc: Document, handlers: LinkHandlers): () => void {
  const onClick = (e: MouseEvent) => {
    // The target belongs to the frame's realm, so duck-type instead of instanceof.
    const target = e.target as Element | null;
    const link = target?.closest?.("a[href], area[href]");
    if (!link) return;
    e.preventDefault();
    const href = (link.getAttribute("href") ?? "").trim();
    if (href.startsWith("#")) {
      let id = href.slice(1);
      try {
        id = decodeURIComponent(id);
      } catch {
        // keep it as written
      }
      (doc.getElementById(id) ?? doc.getElementsByName(id)[0])?.scrollIntoView?.();
      return;
    }
    if (isOpenableUrl(href)) handlers.open(href);
    else handlers.refuse(href);
  };
  doc.addEventListener("click", onClick, true);
  return () => doc.removeEventListener("click", onClick, true);
}

/**
 * Keys pressed while the frame has focus never reach the app's window; re-dispatch them
 * there so shortcuts keep working after a click in the mail (unless typing in a field).
 */
export function forwardKeys(doc: Document, to: Window): () => void {
  const onKey = (e: KeyboardEvent) => {
    if (isTyping(e.target)) return;
    const copy = new KeyboardEvent("keydown", {
      key: e.key,
      code: e.code,
      ctrlKey: e.ctrlKey,
      metaKey: e.metaKey,
      altKey: e.altKey,
      shiftKey: e.shiftKey,
      cancelable: true,
    });
    if (!to.dispatchEvent(copy)) e.preventDefault();
  };
  doc.addEventListener("keydown", onKey);
  return () => doc.removeEventListener("keydown", onKey);
}
