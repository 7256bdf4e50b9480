// Pure helpers for the virtualised message list and keyboard handling (no DOM, no state).

export interface RowRange {
  /** First row index to render. */
  start: number;
  /** One past the last row index to render. */
  end: number;
}

/**
 * Which rows a fixed-height virtual list renders for a scroll position: the rows that
 * intersect the viewport plus `overscan` rows above and below, clamped to [0, total).
 */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  total: number,
  overscan = 6,
): RowRange {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(0, viewportHeight)) / rowHeight);
  const start = Math.max(0, Math.min(first, total - 1) - overscan);
  const end = Math.min(total, last + overscan);
  return { start, end: Math.max(start, end) };
}

/** Offsets of the pages of `pageSize` rows that cover [start, end). */
export function pageOffsets(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const out: number[] = [];
  for (let p = Math.floor(start / pageSize); p * pageSize < end; p++) out.push(p * pageSize);
  return out;
}

/**
 * The scrollTop that brings row `index` fully into view, or null when it already is.
 */
export function scrollToReveal(
  index: number,
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
): number | null {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return bottom - viewportHeight;
  return null;
}

/** The indexes a shift-click selects: every row between the anchor and the click. */
export function rangeBetween(a: number, b: number): number[] {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/** Moves a cursor by delta within [0, total); from nothing, down goes to the first row. */
export function moveIndex(current: number, delta: number, total: number): number {
  if (total <= 0) return -1;
  if (current < 0) return delta >= 0 ? 0 : total - 1;
  return Math.max(0, Math.min(total - 1, current + delta));
}

export type KeyAction =
  | "next"
  | "previous"
  | "open"
  | "delete"
  | "focus-search"
  | "toggle-shortcuts"
  | "escape";

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  target?: EventTarget | null;
}

/** True when keys should go to a text field rather than to shortcuts. */
export function isTyping(target: EventTarget | null | undefined): boolean {
  if (!target || typeof (target as Element).closest !== "function") return false;
  const el = target as HTMLElement;
  if (el.isContentEditable) return true;
  const tag = el.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") {
    const type = (el as HTMLInputElement).type;
    return !["checkbox", "radio", "button", "submit", "reset", "range", "color"].includes(type);
  }
  return false;
}

function isActivatable(target: EventTarget | null | undefined): boolean {
  if (!target || typeof (target as Element).closest !== "function") return false;
  return (target as Element).closest("button, a[href], summary, [role=tab], [role=button]") !== null;
}

/** Maps a keydown to an app action; Escape works everywhere, the rest not while typing. */
export function keyAction(e: KeyLike): KeyAction | null {
  if (e.key === "Escape") return "escape";
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (isTyping(e.target)) return null;
  switch (e.key) {
    case "j":
    case "ArrowDown":
      return "next";
    case "k":
    case "ArrowUp":
      return "previous";
    case "Enter":
      // Enter on a focused button or link activates it instead.
      return isActivatable(e.target) ? null : "open";
    case "Delete":
    case "Backspace":
      return "delete";
    case "/":
      return "focus-search";
    case "?":
      return "toggle-shortcuts";
    default:
      return null;
  }
}
