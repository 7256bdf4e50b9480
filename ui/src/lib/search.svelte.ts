// The search box's state: the text typed, core's verdict on it, and when it is applied.
//
// Text is checked by core (check_query) as it is typed and reaches the list only once it
// parses, so a half-typed or malformed query never empties the list: the previous results
// stay (dimmed) with the problem shown beside the box until the text parses again.

import * as ipc from "./ipc";
import { isQueryError } from "./ipc";
import type { QueryError } from "./types";

/** What core said is wrong with the text, and where (in characters, as core counts). */
export interface QueryProblem {
  /** The text core checked; pos and len index into it. */
  query: string;
  message: string;
  pos: number;
  /** 0 means at the end of the query (something is missing there). */
  len: number;
}

export class SearchState {
  /** What is in the box. */
  text = $state("");
  /** Why `text` does not parse; null while it does (or has not been checked yet). */
  problem = $state.raw<QueryProblem | null>(null);
  /** Asks the box for focus, selecting `range` (UTF-16 offsets) or all of the text. */
  focusRequest = $state.raw<{ seq: number; range: [number, number] | null } | null>(null);
  /** Pause after the last keystroke before the text is checked and applied. */
  delay = 150;

  #apply: (query: string) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped per check, so a slow verdict on old text is ignored. */
  #seq = 0;
  #focusSeq = 0;

  /** `apply` receives each text that parses (or "" when the box is emptied). */
  constructor(apply: (query: string) => void) {
    this.#apply = apply;
  }

  /** A keystroke: an emptied box applies at once, anything else after a pause. */
  input(text: string) {
    this.text = text;
    clearTimeout(this.#timer);
    if (text.trim() === "") {
      void this.commit();
      return;
    }
    this.#timer = setTimeout(() => void this.commit(), this.delay);
  }

  /** Enter, or the end of the pause: has core check the text and applies it if it parses. */
  async commit(): Promise<void> {
    clearTimeout(this.#timer);
    const text = this.text;
    const seq = ++this.#seq;
    if (text.trim() === "") {
      this.problem = null;
      this.#apply("");
      return;
    }
    try {
      await ipc.checkQuery(text);
    } catch (e) {
      if (seq !== this.#seq) return;
      if (isQueryError(e)) {
        this.problem = problemOf(text, e);
        return;
      }
      // Core could not be asked; the list will say what is wrong when it is.
    }
    if (seq !== this.#seq) return;
    this.problem = null;
    this.#apply(text);
  }

  /** Escape in the box: empties it and shows everything again. */
  clear() {
    this.input("");
  }

  /** Puts text in the box and applies it now (an example from the help, say). */
  set(text: string) {
    this.text = text;
    void this.commit();
  }

  /** `/` focuses the box; a click on the problem selects the offending part in it. */
  focus(range: [number, number] | null = null) {
    this.focusRequest = { seq: ++this.#focusSeq, range };
  }

  /** The list refused `query` as malformed (core parses again when listing). */
  refused(query: string, e: QueryError) {
    if (query === this.text) this.problem = problemOf(query, e);
  }
}

function problemOf(query: string, e: QueryError): QueryProblem {
  return { query, message: e.message, pos: e.pos, len: e.len };
}

/**
 * The query cut around the problem: before, the offending span, after. Positions count
 * characters (code points) as core does, so an emoji or CJK text before the span does not
 * shift it; out-of-range positions are clamped.
 */
export function splitAtProblem(p: QueryProblem): [string, string, string] {
  const chars = Array.from(p.query);
  const start = Math.max(0, Math.min(p.pos, chars.length));
  const end = Math.max(start, Math.min(start + p.len, chars.length));
  return [chars.slice(0, start).join(""), chars.slice(start, end).join(""), chars.slice(end).join("")];
}

/** The problem's span as UTF-16 offsets into the query, for an input's setSelectionRange. */
export function problemRange(p: QueryProblem): [number, number] {
  const [before, span] = splitAtProblem(p);
  return [before.length, before.length + span.length];
}
