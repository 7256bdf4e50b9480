// The app's state: one Store, fed by the typed IPC wrappers and the event stream.
//
// The shell owns the truth. What lives here is a view of it: the rows of the current
// list that have been fetched (a sparse page cache indexed by list position), the counts,
// the open message, and UI-only things like the selection and toasts.

import * as ipc from "./ipc";
import { errorText } from "./ipc";
import { moveIndex, pageOffsets, rangeBetween } from "./listing";
import type {
  DesktopSettings,
  Inbox,
  MessageDetail,
  MessageId,
  MessagePage,
  MessageSummary,
  ServerStatus,
  Theme,
} from "./types";

export const PAGE_SIZE = 200;

export type View = "mail" | "sessions" | "settings";

export interface Toast {
  id: number;
  kind: "error" | "info";
  text: string;
}

export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel: string;
  resolve: (ok: boolean) => void;
}

type Row = MessageSummary | undefined;

export class Store {
  view = $state<View>("mail");
  /** Envelope recipient filter; null is All mail. */
  inbox = $state<string | null>(null);
  search = $state("");

  /** Messages matching the current filter, as the shell last said plus local changes. */
  total = $state(0);
  /** Sparse page cache: rows[i] is the i-th message of the current list once fetched. */
  rows = $state.raw<Row[]>([]);
  /** True until the first page of the current query has arrived. */
  listLoading = $state(true);
  listError = $state<string | null>(null);

  selected = $state.raw<ReadonlySet<MessageId>>(new Set());
  /** The row keyboard moves from; also the open message after a click. */
  cursorId = $state<MessageId | null>(null);
  openId = $state<MessageId | null>(null);
  detail = $state.raw<MessageDetail | null>(null);
  detailLoading = $state(false);
  detailError = $state<string | null>(null);

  inboxes = $state.raw<Inbox[]>([]);
  status = $state.raw<ServerStatus | null>(null);
  /** Bumped whenever an SMTP session ends, so the Sessions view can refresh. */
  sessionsVersion = $state(0);
  settings = $state.raw<DesktopSettings | null>(null);

  toasts = $state.raw<Toast[]>([]);
  confirmRequest = $state.raw<ConfirmRequest | null>(null);
  showShortcuts = $state(false);
  /** Set to ask the list to scroll a row into view; seq makes repeats distinct. */
  scrollRequest = $state.raw<{ index: number; seq: number } | null>(null);
  /** Bumped to ask the toolbar to focus the search field. */
  searchFocusSeq = $state(0);

  /** Anchor of a shift-click range; not shown, so not reactive. */
  #anchorId: MessageId | null = null;
  /** Bumped whenever the cached rows stop matching list positions (new query, delete). */
  #epoch = 0;
  /** Rows prepended since the epoch began, so an in-flight page lands at the right place. */
  #shift = 0;
  #inflight = new Set<number>();
  /** The range the list last asked for, refetched after an invalidation. */
  #want: [number, number] = [0, PAGE_SIZE];
  /** Ids this window removed itself, so the shell's echo of the delete is a no-op. */
  #removed = new Set<MessageId>();
  #toastSeq = 0;
  #scrollSeq = 0;
  #detailSeq = 0;

  // ---- start-up -----------------------------------------------------------------------

  /** Subscribes to every event, then loads the first data. Returns an unsubscribe. */
  async start(): Promise<() => void> {
    const unlisten = await Promise.all([
      ipc.onMessagesNew((m) => this.handleNew(m)),
      ipc.onMessagesDeleted((ids) => this.handleDeleted(ids)),
      ipc.onMessagesCleared(() => this.handleCleared()),
      ipc.onMessagesRead((c) => this.handleRead(c.ids, c.read)),
      ipc.onServerStatus((s) => (this.status = s)),
      ipc.onOpenMessage((id) => this.showMessage(id)),
      ipc.onResync(() => void Promise.all([this.refreshCounts(), this.reload()])),
      ipc.onSessionClosed(() => this.sessionsVersion++),
      ipc.onNavigate((page) => {
        if (page === "settings") this.view = "settings";
      }),
    ]);
    // The list first: the inbox counts are a heavier query and would compete with it for
    // the first paint.
    await Promise.all([this.loadSettings(), this.reload()]);
    await this.refreshCounts();
    return () => unlisten.forEach((u) => u());
  }

  async loadSettings() {
    try {
      this.settings = await ipc.getSettings();
      applyTheme(this.settings.ui.theme);
    } catch (e) {
      this.error("Could not load settings", e);
    }
  }

  async refreshCounts() {
    try {
      const [inboxes, status] = await Promise.all([ipc.listInboxes(), ipc.serverStatus()]);
      this.inboxes = inboxes;
      this.status = status;
    } catch (e) {
      this.error("Could not load inboxes", e);
    }
  }

  // ---- the list -----------------------------------------------------------------------

  setInbox(inbox: string | null) {
    this.view = "mail";
    if (this.inbox === inbox) return;
    this.inbox = inbox;
    this.clearSelection();
    void this.reload();
  }

  setSearch(search: string) {
    if (this.search === search) return;
    this.search = search;
    this.clearSelection();
    void this.reload();
  }

  /**
   * Refetches the list. For a new query (keepRows false) the cache is dropped at once and
   * the first page fetched; otherwise the rows on screen stay until their pages are back.
   */
  async reload(keepRows = false) {
    this.#epoch++;
    this.#shift = 0;
    this.#inflight.clear();
    if (!keepRows) {
      this.rows = [];
      this.listLoading = true;
      this.#want = [0, PAGE_SIZE];
    }
    this.listError = null;
    const epoch = this.#epoch;
    const offsets = pageOffsets(this.#want[0], Math.max(this.#want[1], this.#want[0] + 1), PAGE_SIZE);
    offsets.forEach((o) => this.#inflight.add(o));
    try {
      const pages = await Promise.all(
        offsets.map((offset) =>
          ipc.listMessages({ inbox: this.inbox, search: this.search, offset, limit: PAGE_SIZE }),
        ),
      );
      if (epoch !== this.#epoch) return;
      const moved = this.#shift;
      const total = pages[pages.length - 1].total + moved;
      const rows: Row[] = this.rows.slice(0, moved);
      rows.length = total;
      for (const page of pages) this.#place(rows, page, moved);
      this.total = total;
      this.rows = rows;
    } catch (e) {
      this.#listFailed(epoch, e);
    } finally {
      if (epoch === this.#epoch) {
        this.#inflight.clear();
        this.listLoading = false;
      }
    }
  }

  /** Puts a fetched page's messages at their positions, shifted by arrivals since the fetch. */
  #place(rows: Row[], page: MessagePage, moved: number) {
    page.messages.forEach((m, i) => {
      if (!this.#removed.has(m.id)) rows[page.offset + moved + i] = m;
    });
  }

  #listFailed(epoch: number, e: unknown) {
    if (epoch !== this.#epoch) return;
    this.listError = errorText(e);
    this.error("Could not load messages", e);
  }

  /** Called by the list with the rows it is about to show; fetches missing pages. */
  ensureRows(start: number, end: number): Promise<void> {
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
      const page = await ipc.listMessages({
        inbox: this.inbox,
        search: this.search,
        offset,
        limit: PAGE_SIZE,
      });
      if (epoch !== this.#epoch) return;
      const moved = this.#shift - shift;
      const rows = this.rows.slice();
      rows.length = page.total + moved;
      this.#place(rows, page, moved);
      this.total = page.total + moved;
      this.rows = rows;
      this.listError = null;
    } catch (e) {
      this.#listFailed(epoch, e);
    } finally {
      if (epoch === this.#epoch) {
        this.#inflight.delete(offset);
        this.listLoading = false;
      }
    }
  }

  /** Drops in-flight pages (their positions are stale) and refetches what is shown. */
  #invalidateInflight() {
    this.#epoch++;
    this.#shift = 0;
    this.#inflight.clear();
    void this.ensureRows(...this.#want);
  }

  indexOf(id: MessageId | null): number {
    if (id === null) return -1;
    return this.rows.findIndex((r) => r?.id === id);
  }

  // ---- events -------------------------------------------------------------------------

  /** message://new: a batch, newest last. */
  handleNew(batch: MessageSummary[]) {
    if (batch.length === 0) return;
    const status = this.status;
    if (status) {
      this.status = {
        ...status,
        total: status.total + batch.length,
        unread: status.unread + batch.filter((m) => !m.read).length,
      };
    }
    this.inboxes = countArrivals(this.inboxes, batch);

    if (this.search !== "") {
      // Only the shell's search knows whether these match.
      void this.reload(true);
      return;
    }
    const known = new Set(this.rows.slice(0, PAGE_SIZE + batch.length).map((r) => r?.id));
    const inbox = this.inbox?.toLowerCase();
    const fresh = batch
      .filter((m) => !known.has(m.id))
      .filter((m) => inbox === undefined || m.rcpt_to.some((r) => r.toLowerCase() === inbox))
      .reverse();
    if (fresh.length === 0) return;
    this.rows = [...fresh, ...this.rows];
    this.total += fresh.length;
    this.#shift += fresh.length;
  }

  /** message://deleted, and our own deletes. */
  handleDeleted(ids: MessageId[]) {
    const gone = new Set(ids.filter((id) => !this.#removed.has(id)));
    for (const id of ids) this.#removed.add(id);
    if (gone.size === 0) return;
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
    this.selected = new Set([...this.selected].filter((id) => !gone.has(id)));
    if (this.openId !== null && gone.has(this.openId)) this.#closeMessage();
    if (this.cursorId !== null && gone.has(this.cursorId)) this.cursorId = null;
    // Some ids were not cached: they may sit in pages we have not fetched, which moves
    // every later position, so refetch what is on screen. Otherwise the cache is exact
    // and only pages still in flight are stale.
    if (removed < gone.size && !complete) void this.reload(true);
    else if (removed > 0) this.#invalidateInflight();
    void this.refreshCounts();
  }

  handleCleared() {
    this.#epoch++;
    this.#shift = 0;
    this.#inflight.clear();
    this.rows = [];
    this.total = 0;
    this.selected = new Set();
    this.cursorId = null;
    this.#closeMessage();
    this.inboxes = [];
    if (this.status) this.status = { ...this.status, total: 0, unread: 0 };
    this.listLoading = false;
  }

  /** message://read, and our own mark_read. */
  handleRead(ids: MessageId[], read: boolean) {
    const set = new Set(ids);
    // Always new objects for the named rows: the rows are not deeply reactive.
    this.rows = this.rows.map((r) => (r && set.has(r.id) ? { ...r, read } : r));
    const d = this.detail;
    if (d && set.has(d.summary.id)) {
      this.detail = { ...d, summary: { ...d.summary, read } };
    }
    if (ids.length > 0) void this.refreshCounts();
  }

  // ---- selection and the open message -------------------------------------------------

  /** A click on a row: plain selects and opens, toggle (ctrl/cmd) and range (shift) select. */
  click(id: MessageId, opts: { toggle?: boolean; range?: boolean } = {}) {
    if (opts.range && this.#anchorId !== null) {
      const a = this.indexOf(this.#anchorId);
      const b = this.indexOf(id);
      if (a >= 0 && b >= 0) {
        const ids = rangeBetween(a, b)
          .map((i) => this.rows[i]?.id)
          .filter((x): x is number => x !== undefined);
        this.selected = new Set(ids);
        this.cursorId = id;
        return;
      }
    }
    if (opts.toggle) {
      const next = new Set(this.selected);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      this.selected = next;
      this.cursorId = id;
      this.#anchorId = id;
      return;
    }
    this.selected = new Set([id]);
    this.cursorId = id;
    this.#anchorId = id;
    void this.open(id);
  }

  clearSelection() {
    this.selected = new Set();
    this.cursorId = null;
    this.#anchorId = null;
    this.#closeMessage();
  }

  /** j/k and the arrows: select the next or previous row and show it. */
  move(delta: number) {
    if (this.view !== "mail") return;
    const from = this.indexOf(this.cursorId);
    const to = moveIndex(from, delta, this.total);
    if (to < 0 || to === from) return;
    this.scrollRequest = { index: to, seq: ++this.#scrollSeq };
    const row = this.rows[to];
    if (!row) {
      void this.ensureRows(to, to + 1).then(() => {
        const loaded = this.rows[to];
        if (loaded) this.click(loaded.id);
      });
      return;
    }
    this.click(row.id);
  }

  /** Enter: open the cursor row if it is not already open. */
  openCursor() {
    if (this.cursorId !== null && this.cursorId !== this.openId) void this.open(this.cursorId);
  }

  /** Fetches a message for the view and marks it read. */
  async open(id: MessageId) {
    const seq = ++this.#detailSeq;
    this.openId = id;
    this.detailLoading = true;
    this.detailError = null;
    try {
      const detail = await ipc.getMessage(id);
      if (seq !== this.#detailSeq) return;
      this.detail = detail;
      if (!detail.summary.read) {
        await ipc.markRead([id], true);
        this.handleRead([id], true);
      }
    } catch (e) {
      if (seq === this.#detailSeq) {
        this.detail = null;
        this.detailError = errorText(e);
      }
    } finally {
      if (seq === this.#detailSeq) this.detailLoading = false;
    }
  }

  /** A notification was clicked: show All mail with that message open. */
  showMessage(id: MessageId) {
    this.view = "mail";
    this.selected = new Set([id]);
    this.cursorId = id;
    this.#anchorId = id;
    const index = this.indexOf(id);
    if (index >= 0) this.scrollRequest = { index, seq: ++this.#scrollSeq };
    void this.open(id);
  }

  #closeMessage() {
    this.#detailSeq++;
    this.openId = null;
    this.detail = null;
    this.detailError = null;
    this.detailLoading = false;
  }

  // ---- commands -----------------------------------------------------------------------

  /** Deletes the selection (no confirmation) and selects the row that took its place. */
  async deleteSelected() {
    const ids = [...this.selected];
    if (ids.length === 0) return;
    const firstIndex = Math.min(...ids.map((id) => this.indexOf(id)).filter((i) => i >= 0));
    try {
      await ipc.deleteMessages(ids);
    } catch (e) {
      this.error("Could not delete", e);
      return;
    }
    this.handleDeleted(ids);
    if (!Number.isFinite(firstIndex)) return;
    const index = Math.min(firstIndex, this.rows.length - 1);
    const next = this.rows[index];
    if (next) {
      this.click(next.id);
      this.scrollRequest = { index, seq: ++this.#scrollSeq };
    }
  }

  async clearAll() {
    const ok = await this.confirm({
      title: "Delete all messages?",
      message: "Every captured message and its transcript will be deleted. This cannot be undone.",
      confirmLabel: "Delete all",
    });
    if (!ok) return;
    try {
      await ipc.clearAll();
      this.handleCleared();
    } catch (e) {
      this.error("Could not clear messages", e);
    }
  }

  async setPaused(paused: boolean) {
    try {
      this.status = await ipc.setPaused(paused);
    } catch (e) {
      this.error(paused ? "Could not pause" : "Could not resume", e);
    }
  }

  async retryListen() {
    try {
      this.status = await ipc.retryListen();
    } catch (e) {
      this.error("Could not start listening", e);
    }
  }

  /** Used by the settings form and the port-error banner. Returns the shell's verdict. */
  async saveSettings(settings: DesktopSettings): Promise<ipc.SaveSettingsResult> {
    const result = await ipc.saveSettings(settings);
    if (result.ok) {
      this.settings = result.settings;
      applyTheme(result.settings.ui.theme);
      try {
        this.status = await ipc.serverStatus();
      } catch (e) {
        this.error("Could not read server status", e);
      }
    }
    return result;
  }

  // ---- feedback -----------------------------------------------------------------------

  confirm(req: Omit<ConfirmRequest, "resolve">): Promise<boolean> {
    this.confirmRequest?.resolve(false);
    return new Promise((resolve) => {
      this.confirmRequest = {
        ...req,
        resolve: (ok) => {
          this.confirmRequest = null;
          resolve(ok);
        },
      };
    });
  }

  toast(text: string, kind: Toast["kind"] = "info", ms = 6000) {
    const id = ++this.#toastSeq;
    this.toasts = [...this.toasts, { id, kind, text }];
    if (ms > 0) setTimeout(() => this.dismissToast(id), ms);
  }

  /** Shows a command's failure; nothing is swallowed silently. */
  error(what: string, e: unknown) {
    this.toast(`${what}: ${errorText(e)}`, "error", 10000);
  }

  dismissToast(id: number) {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  /** Escape: closes the topmost overlay; true when something was closed. */
  escape(): boolean {
    if (this.confirmRequest) {
      this.confirmRequest.resolve(false);
      return true;
    }
    if (this.showShortcuts) {
      this.showShortcuts = false;
      return true;
    }
    return false;
  }

  requestSearchFocus() {
    this.view = "mail";
    this.searchFocusSeq++;
  }
}

/** Adds a batch of arrivals to the per-recipient inbox counts, creating new inboxes. */
export function countArrivals(inboxes: Inbox[], batch: MessageSummary[]): Inbox[] {
  const byAddress = new Map(inboxes.map((i) => [i.address.toLowerCase(), { ...i }]));
  for (const m of batch) {
    const seen = new Set<string>();
    for (const rcpt of m.rcpt_to) {
      const key = rcpt.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      const inbox = byAddress.get(key) ?? { address: rcpt, total: 0, unread: 0 };
      inbox.total++;
      if (!m.read) inbox.unread++;
      byAddress.set(key, inbox);
    }
  }
  return [...byAddress.values()].sort((a, b) => a.address.localeCompare(b.address));
}

/** "system" follows prefers-color-scheme; light and dark are forced with data-theme. */
export function applyTheme(theme: Theme) {
  const root = document.documentElement;
  if (theme === "system") root.removeAttribute("data-theme");
  else root.setAttribute("data-theme", theme);
}

export const store = new Store();
