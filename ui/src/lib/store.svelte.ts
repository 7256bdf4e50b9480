// The app's state: one Store, fed by the typed IPC wrappers and the event stream.
//
// The shell owns the truth. What lives here is a view of it: the rows of the current
// list that have been fetched (a sparse page cache indexed by list position), the counts,
// the open message, and UI-only things like the selection. The search box's state is in
// search.svelte.ts, toasts and confirmations in feedback.svelte.ts, the sidebar's grouping
// in inboxes.ts. Which inbox a message belongs to and whether it matches a query is only
// ever asked of core: with a filter on, arrivals re-fetch the list rather than being
// sorted in here.

import * as ipc from "./ipc";
import { errorText, isQueryError } from "./ipc";
import { Feedback } from "./feedback.svelte";
import { moveIndex, rangeBetween } from "./listing";
import { rememberServer } from "./release";
import { MessageRows, type Row } from "./rows.svelte";
import { sameInbox } from "./inboxes";
import { SearchState } from "./search.svelte";
import { throttle } from "./throttle";
import type {
  Counts,
  DesktopSettings,
  Inbox,
  InboxKey,
  MessageFilter,
  MessageId,
  MessageSummary,
  OpenedMessage,
  Release,
  ReleaseRequest,
  ReleaseServer,
  ServerStatus,
  Theme,
} from "./types";

export type { ConfirmRequest, Toast } from "./feedback.svelte";

export { PAGE_SIZE } from "./rows.svelte";

export type View = "mail" | "sessions" | "faults" | "settings";

export class Store extends Feedback {
  view = $state<View>("mail");
  /** The sidebar's selection (a recipient, user, listener or tag); null is All mail. */
  inbox = $state.raw<InboxKey | null>(null);
  /** The query the list shows; it parsed. What is typed, and its error, is in `search`. */
  query = $state("");
  readonly search = new SearchState((q) => this.setQuery(q));
  /** Unread messages in the filtered list, from core; null for All mail (see status). */
  viewCounts = $state.raw<Counts | null>(null);
  /** Milliseconds between the re-fetches that arrivals and index updates trigger. */
  refreshDelay = 250;

  readonly list = new MessageRows(
    () => this.filter,
    (e) => this.#listFailed(e),
  );

  selected = $state.raw<ReadonlySet<MessageId>>(new Set());
  /** The row keyboard moves from; also the open message after a click. */
  cursorId = $state<MessageId | null>(null);
  openId = $state<MessageId | null>(null);
  detail = $state.raw<OpenedMessage | null>(null);
  detailLoading = $state(false);
  detailError = $state<string | null>(null);

  inboxes = $state.raw<Inbox[]>([]);
  status = $state.raw<ServerStatus | null>(null);
  /** Bumped whenever an SMTP session ends, so the Sessions view can refresh. */
  sessionsVersion = $state(0);
  settings = $state.raw<DesktopSettings | null>(null);

  /** The message the Release dialog is open for; null when it is closed. */
  releaseFor = $state<MessageId | null>(null);
  showShortcuts = $state(false);
  showSearchHelp = $state(false);
  /** Set to ask the list to scroll a row into view; seq makes repeats distinct. */
  scrollRequest = $state.raw<{ index: number; seq: number } | null>(null);

  /** Anchor of a shift-click range; not shown, so not reactive. */
  #anchorId: MessageId | null = null;
  #scrollSeq = 0;
  #detailSeq = 0;
  #requerySoon = throttle(() => this.reload(true), () => this.refreshDelay);
  #countsSoon = throttle(() => this.refreshCounts(), () => this.refreshDelay);

  // ---- start-up -----------------------------------------------------------------------

  /** Subscribes to every event, then loads the first data. Returns an unsubscribe. */
  /**
   * A link in the mail frame was followed. Scripts are off in that frame, so the click
   * reached no listener of ours; the shell stopped the navigation and sent its URL. It is
   * handed to the system browser only when the mail frame has the focus, which a click in it
   * gives it: a navigation the person did not start (none should get past the sanitiser)
   * is refused and said.
   */
  openClickedLink(url: string, doc: Document): void {
    const focused = doc.activeElement as HTMLElement | null;
    if (focused?.tagName === "IFRAME" && focused.dataset.testid === "html-frame") {
      ipc.openLink(url).catch((err) => this.error("Could not open link", err));
    } else {
      this.toast(`Not opening ${url}: the message tried to open it without a click.`, "error");
    }
  }

  async start(): Promise<() => void> {
    const unlisten = await Promise.all([
      ipc.onMessagesNew((m) => this.handleNew(m)),
      ipc.onMessagesDeleted((ids) => this.handleDeleted(ids)),
      ipc.onMessagesCleared(() => this.handleCleared()),
      ipc.onMessagesRead((c) => this.handleRead(c.ids, c.read)),
      ipc.onMessagesIndexed((ids) => this.handleIndexed(ids)),
      ipc.onMessagesUpdated((m) => this.handleUpdated(m)),
      ipc.onServerStatus((s) => (this.status = s)),
      ipc.onOpenMessage((id) => this.showMessage(id)),
      ipc.onResync(() => void Promise.all([this.refreshCounts(), this.reload(), this.refreshDetail()])),
      ipc.onSessionClosed(() => this.sessionsVersion++),
      ipc.onNavigate((page) => {
        if (page === "settings") this.view = "settings";
      }),
      ipc.onLinkClicked((url) => this.openClickedLink(url, document)),
    ]);
    performance.mark("ph:listening");
    // The list first: the inbox counts are a heavier query and would compete with it for
    // the first paint.
    await Promise.all([this.loadSettings(), this.reload()]);
    performance.mark("ph:first-page");
    await this.refreshCounts();
    return () => {
      this.#requerySoon.cancel();
      this.#countsSoon.cancel();
      unlisten.forEach((u) => u());
    };
  }

  async loadSettings() {
    try {
      this.settings = await ipc.getSettings();
      applyTheme(this.settings.ui.theme);
    } catch (e) {
      this.error("Could not load settings", e);
    }
  }

  /** The inboxes, the status and the filtered list's counts, all as core counts them. */
  async refreshCounts() {
    try {
      const [inboxes, status] = await Promise.all([
        ipc.listInboxes(),
        ipc.serverStatus(),
        this.#loadViewCounts(),
      ]);
      this.inboxes = inboxes;
      this.status = status;
    } catch (e) {
      this.error("Could not load inboxes", e);
    }
  }

  /** Unread and total for the filtered list; not an error worth a toast if it fails. */
  async #loadViewCounts() {
    const filter = this.filter;
    if (!this.filtered) {
      this.viewCounts = null;
      return;
    }
    try {
      const counts = await ipc.countMessages(filter);
      if (sameInbox(filter.inbox, this.inbox) && filter.query === this.query) this.viewCounts = counts;
    } catch {
      this.viewCounts = null;
    }
  }

  // ---- the list -----------------------------------------------------------------------

  /** What the list shows, as core's filter. */
  get filter(): MessageFilter {
    return { inbox: this.inbox, query: this.query };
  }

  /** An inbox or a query narrows the list, so only core knows whether an arrival belongs. */
  get filtered(): boolean {
    return this.inbox !== null || this.query.trim() !== "";
  }

  setInbox(inbox: InboxKey | null) {
    this.view = "mail";
    if (sameInbox(this.inbox, inbox)) return;
    this.inbox = inbox;
    this.#filterChanged();
  }

  /** Called by `search` with text that parsed. */
  setQuery(query: string) {
    if (this.query.trim() === query.trim()) return;
    this.query = query;
    this.#filterChanged();
  }

  #filterChanged() {
    this.clearSelection();
    this.viewCounts = null;
    void this.reload();
    void this.#loadViewCounts();
  }

  // The list's rows live in `list`; these read and drive it.
  get rows(): Row[] {
    return this.list.rows;
  }
  get total(): number {
    return this.list.total;
  }
  get listLoading(): boolean {
    return this.list.loading;
  }
  get listError(): string | null {
    return this.list.error;
  }
  reload(keepRows = false): Promise<void> {
    return this.list.reload(keepRows);
  }
  ensureRows(start: number, end: number): Promise<void> {
    return this.list.ensure(start, end);
  }
  indexOf(id: MessageId | null): number {
    return this.list.indexOf(id);
  }

  #listFailed(e: unknown) {
    // The box shows a malformed query beside itself; a toast would say it twice.
    if (isQueryError(e)) this.search.refused(this.query, e);
    else this.error("Could not load messages", e);
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
    this.#countsSoon();
    if (this.filtered) {
      // Only core knows whether these match; ask again (at most every refreshDelay).
      this.#requerySoon();
      return;
    }
    this.list.prepend(batch);
  }

  /** message://deleted, and our own deletes. */
  handleDeleted(ids: MessageId[]) {
    const gone = this.list.remove(ids);
    if (gone.size === 0) return;
    this.selected = new Set([...this.selected].filter((id) => !gone.has(id)));
    if (this.openId !== null && gone.has(this.openId)) this.#closeMessage();
    if (this.cursorId !== null && gone.has(this.cursorId)) this.cursorId = null;
    this.#countsSoon();
  }

  /**
   * message://cleared, and our own Clear all: every unpinned message is gone. The pinned
   * ones stay, so the list is fetched again, and an open pinned message stays open.
   */
  handleCleared() {
    const keep = this.detail?.summary.pinned ? this.detail.summary.id : null;
    this.selected = new Set(keep === null ? [] : [keep]);
    if (keep === null) {
      this.cursorId = null;
      this.#closeMessage();
    }
    void this.reload();
    void this.refreshCounts();
  }

  /** message://indexed: a filtered list may match these now (a query, or a tag rule's tag). */
  handleIndexed(ids: MessageId[]) {
    if (ids.length > 0 && this.filtered) this.#requerySoon();
  }

  /** message://updated: these messages' tags or pin changed. */
  handleUpdated(list: MessageSummary[]) {
    if (list.length === 0) return;
    const byId = new Map(list.map((m) => [m.id, m]));
    this.list.update((m) => byId.get(m.id) ?? m);
    const d = this.detail;
    const now = d && byId.get(d.summary.id);
    if (d && now) this.detail = { ...d, summary: now };
    this.#countsSoon();
    // A tag or pin can move a message into or out of what the filter matches.
    if (this.filtered) this.#requerySoon();
  }

  /** message://read, and our own mark_read. */
  handleRead(ids: MessageId[], read: boolean) {
    const set = new Set(ids);
    this.list.update((m) => (set.has(m.id) ? { ...m, read } : m));
    const d = this.detail;
    if (d && set.has(d.summary.id)) {
      this.detail = { ...d, summary: { ...d.summary, read } };
    }
    if (ids.length > 0) this.#countsSoon();
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
    if (this.releaseFor !== id) this.releaseFor = null;
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

  /**
   * Reads the open message again (another process changed the store: the CLI tagged or
   * released it), keeping it open as it is shown; does not mark it read.
   */
  async refreshDetail() {
    const id = this.openId;
    if (id === null || this.detail?.summary.id !== id) return;
    const seq = this.#detailSeq;
    try {
      const detail = await ipc.getMessage(id);
      if (seq === this.#detailSeq && this.openId === id) this.detail = detail;
    } catch {
      // Deleted meanwhile: the list's reload says so.
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
    this.releaseFor = null;
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
      message: `Every captured message and its transcript will be deleted. ${await keptByClearAll()} This cannot be undone.`,
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

  /** Marks everything the list shows read: the whole filter, not only the fetched rows. */
  async markAllRead() {
    try {
      const n = await ipc.markAllRead(this.filter, true);
      // The rows and counts follow from core's message://read.
      this.toast(n === 0 ? "Nothing to mark: every message here is read" : `Marked ${plural(n, "message")} read`);
    } catch (e) {
      this.error("Could not mark messages read", e);
    }
  }

  async markUnread(id: MessageId) {
    try {
      await ipc.markRead([id], false);
      this.handleRead([id], false);
    } catch (e) {
      this.error("Could not mark unread", e);
    }
  }

  /** The rows and the open message follow from core's message://updated. */
  async setPinned(ids: MessageId[], pinned: boolean) {
    try {
      await ipc.pinMessages(ids, pinned);
    } catch (e) {
      this.error(pinned ? "Could not pin" : "Could not unpin", e);
    }
  }

  /** Resolves to core's refusal as a sentence (a bad tag), shown beside the tag box, or null. */
  async addTag(ids: MessageId[], tag: string): Promise<string | null> {
    try {
      await ipc.tagMessages(ids, [tag], []);
      return null;
    } catch (e) {
      return errorText(e);
    }
  }

  async removeTag(ids: MessageId[], tag: string) {
    try {
      await ipc.tagMessages(ids, [], [tag]);
    } catch (e) {
      this.error("Could not remove the tag", e);
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

  /**
   * Releases a message to a real SMTP server. Resolves with the attempt as core recorded it
   * (ok or refused, with the server's reply), which the open message's list shows at once;
   * rejects with core's reason when nothing was sent (the allowlist, a bad address).
   */
  async releaseMessage(id: MessageId, request: ReleaseRequest): Promise<Release> {
    const release = await ipc.releaseMessage(id, request);
    const d = this.detail;
    if (d && d.summary.id === id) this.detail = { ...d, releases: [release, ...d.releases] };
    return release;
  }

  /**
   * Saves `server` as the release server through the settings path, so the next release
   * starts from it; resolves to null when the settings already name it.
   */
  async rememberReleaseServer(server: ReleaseServer): Promise<ipc.SaveSettingsResult | null> {
    if (!this.settings) return null;
    const next = rememberServer(this.settings, server);
    return next ? this.saveSettings(next) : null;
  }

  // ---- overlays -----------------------------------------------------------------------

  /** Escape: closes the topmost overlay; true when something was closed. */
  escape(): boolean {
    if (this.confirmRequest) {
      this.confirmRequest.resolve(false);
      return true;
    }
    if (this.releaseFor !== null) {
      this.releaseFor = null;
      return true;
    }
    if (this.showShortcuts) {
      this.showShortcuts = false;
      return true;
    }
    if (this.showSearchHelp) {
      this.showSearchHelp = false;
      return true;
    }
    return false;
  }

  requestSearchFocus() {
    this.view = "mail";
    this.search.focus();
  }
}

/** What Clear all keeps, for its confirmation: the pinned messages, counted when core can. */
async function keptByClearAll(): Promise<string> {
  try {
    const { total } = await ipc.countMessages({ inbox: null, query: "is:pinned" });
    if (total === 1) return "The 1 pinned message is kept.";
    if (total > 1) return `The ${total} pinned messages are kept.`;
  } catch {
    // The sentence below is true either way.
  }
  return "Pinned messages are kept.";
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString()} ${word}${n === 1 ? "" : "s"}`;
}

/** "system" follows prefers-color-scheme; light and dark are forced with data-theme. */
export function applyTheme(theme: Theme) {
  const root = document.documentElement;
  if (theme === "system") root.removeAttribute("data-theme");
  else root.setAttribute("data-theme", theme);
}

export const store = new Store();
