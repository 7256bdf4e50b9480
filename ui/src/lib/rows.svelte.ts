// The rows of the current list: a sparse page cache indexed by list position, fetched from
// core a page at a time, with arrivals and deletes applied so positions stay right while
// pages are in flight.

import * as ipc from "./ipc";
import { errorText } from "./ipc";
import { pageOffsets } from "./listing";
import type { MessageFilter, MessageId, MessagePage, MessageSummary } from "./types";

export const PAGE_SIZE = 200;

export type Row = MessageSummary | undefined;

export class MessageRows {
  /** Messages matching the filter, as core last said plus local changes. */
  total = $state(0);
  /** rows[i] is the i-th message of the list once fetched. */
  rows = $state.raw<Row[]>([]);
  /** True until the first page of the current filter has arrived. */
  loading = $state(true);
  error = $state<string | null>(null);

  #filter: () => MessageFilter;
  #failed: (e: unknown) => void;
  /** Bumped whenever the cached rows stop matching list positions (new filter, delete). */
  #epoch = 0;
  /** Rows prepended since the epoch began, so an in-flight page lands at the right place. */
  #shift = 0;
  #inflight = new Set<number>();
  /** The range the list last asked for, refetched after an invalidation. */
  #want: [number, number] = [0, PAGE_SIZE];
  /** Ids this window removed itself, so the shell's echo of the delete is a no-op. */
  #removed = new Set<MessageId>();

  /** `filter` is read at each fetch; `failed` hears every failed fetch that still matters. */
  constructor(filter: () => MessageFilter, failed: (e: unknown) => void) {
    this.#filter = filter;
    this.#failed = failed;
  }

  /**
   * Refetches the list. For a new filter (keepRows false) the cache is dropped at once and
   * the first page fetched; otherwise the rows on screen stay until their pages are back.
   */
  async reload(keepRows = false) {
    this.#epoch++;
    this.#shift = 0;
    this.#inflight.clear();
    if (!keepRows) {
      this.rows = [];
      this.loading = true;
      this.#want = [0, PAGE_SIZE];
    }
    this.error = null;
    const epoch = this.#epoch;
    const offsets = pageOffsets(this.#want[0], Math.max(this.#want[1], this.#want[0] + 1), PAGE_SIZE);
    offsets.forEach((o) => this.#inflight.add(o));
    try {
      const pages = await Promise.all(offsets.map((offset) => this.#list(offset)));
      if (epoch !== this.#epoch) return;
      const moved = this.#shift;
      const total = pages[pages.length - 1].total + moved;
      const rows: Row[] = this.rows.slice(0, moved);
      rows.length = total;
      for (const page of pages) this.#place(rows, page, moved);
      this.total = total;
      this.rows = rows;
    } catch (e) {
      this.#fail(epoch, e);
    } finally {
      if (epoch === this.#epoch) {
        this.#inflight.clear();
        this.loading = false;
      }
    }
  }

  #list(offset: number) {
    return ipc.listMessages({ ...this.#filter(), offset, limit: PAGE_SIZE });
  }

  /** Puts a fetched page's messages at their positions, shifted by arrivals since the fetch. */
  #place(rows: Row[], page: MessagePage, moved: number) {
    page.messages.forEach((m, i) => {
      if (!this.#removed.has(m.id)) rows[page.offset + moved + i] = m;
    });
  }

  #fail(epoch: number, e: unknown) {
    if (epoch !== this.#epoch) return;
    this.error = errorText(e);
    this.#failed(e);
  }

  /** Called by the list with the rows it is about to show; fetches missing pages. */
  ensure(start: number, end: number): Promise<void> {
    this.#want = [start, end];
    const jobs: Promise<void>[] = [];
    for (const offset of pageOffsets(start, Math.min(end, this.total), PAGE_SIZE)) {
      if (this.#inflight.has(offset)) continue;
      const last = Math.min(offset + PAGE_SIZE, this.total);
      let missing = false;
      for (let i = Math.max(offset, start); i < Math.min(last, end); i++) {
        if (this.rows[i] === undefined) {
          missing = true;
          break;
        }
      }
      if (missing) jobs.push(this.#fetchPage(offset));
    }
    return Promise.all(jobs).then(() => undefined);
  }

  async #fetchPage(offset: number) {
    const epoch = this.#epoch;
    const shift = this.#shift;
    this.#inflight.add(offset);
    try {
      const page = await this.#list(offset);
      if (epoch !== this.#epoch) return;
      const moved = this.#shift - shift;
      const rows = this.rows.slice();
      rows.length = page.total + moved;
      this.#place(rows, page, moved);
      this.total = page.total + moved;
      this.rows = rows;
      this.error = null;
    } catch (e) {
      this.#fail(epoch, e);
    } finally {
      if (epoch === this.#epoch) {
        this.#inflight.delete(offset);
        this.loading = false;
      }
    }
  }

  /** Drops in-flight pages (their positions are stale) and refetches what is shown. */
  #invalidateInflight() {
    this.#epoch++;
    this.#shift = 0;
    this.#inflight.clear();
    void this.ensure(...this.#want);
  }

  indexOf(id: MessageId | null): number {
    if (id === null) return -1;
    return this.rows.findIndex((r) => r?.id === id);
  }

  /** Arrivals (newest last) that the unfiltered list shows at its top; once each. */
  prepend(batch: MessageSummary[]) {
    const known = new Set(this.rows.slice(0, PAGE_SIZE + batch.length).map((r) => r?.id));
    const fresh = batch.filter((m) => !known.has(m.id)).reverse();
    if (fresh.length === 0) return;
    this.rows = [...fresh, ...this.rows];
    this.total += fresh.length;
    this.#shift += fresh.length;
  }

  /** Drops deleted messages; returns the ids not already dropped (an echo is a no-op). */
  remove(ids: MessageId[]): Set<MessageId> {
    const gone = new Set(ids.filter((id) => !this.#removed.has(id)));
    for (const id of ids) this.#removed.add(id);
    if (gone.size === 0) return gone;
    // A plain loop, because filter() would also drop the holes of the sparse cache.
    const rows: Row[] = [];
    let complete = this.rows.length === this.total;
    for (let i = 0; i < this.rows.length; i++) {
      const r = this.rows[i];
      if (r === undefined) complete = false;
      if (r === undefined || !gone.has(r.id)) rows.push(r);
    }
    const removed = this.rows.length - rows.length;
    this.rows = rows;
    this.total = Math.max(0, this.total - removed);
    // Some ids were not cached: they may sit in pages we have not fetched, which moves
    // every later position, so refetch what is on screen. Otherwise the cache is exact
    // and only pages still in flight are stale.
    if (removed < gone.size && !complete) void this.reload(true);
    else if (removed > 0) this.#invalidateInflight();
    return gone;
  }

  /** Replaces fetched rows with what `change` makes of them (new objects: rows are not deeply reactive). */
  update(change: (m: MessageSummary) => MessageSummary) {
    this.rows = this.rows.map((r) => r && change(r));
  }
}
