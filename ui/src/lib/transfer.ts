// Import by drop and export from the window: what to say about an import, and the one
// handler a drop calls (from Tauri's drag-drop event, or the `pigeonhole:drop-paths` DOM
// event the WebDriver test dispatches, since WebDriver cannot drive an OS drag).

import * as ipc from "./ipc";
import type { ExportFormat, ExportReport, ImportReport, MessageFilter, MessageId } from "./types";

/** The DOM event that feeds paths to the drop handler (`detail: { paths }`). */
export const DROP_EVENT = "pigeonhole:drop-paths";

/** At most this many problems are spelled out in a toast; the rest are counted. */
const SHOWN_PROBLEMS = 3;

function plural(n: number, word: string): string {
  return `${n.toLocaleString()} ${word}${n === 1 ? "" : "s"}`;
}

/** One problem as a person reads it: the file's name, where in it, why. */
export function problemText(p: ImportReport["problems"][number]): string {
  const name = p.source.split(/[\\/]/).pop() || p.source;
  const where =
    p.index !== null && p.offset !== null
      ? ` (message ${p.index}, byte ${p.offset})`
      : p.offset !== null
        ? ` (byte ${p.offset})`
        : "";
  return `${name}${where}: ${p.reason}`;
}

/** The toast after an import: how many came in, and what did not. */
export function importSummary(r: ImportReport): { text: string; kind: "info" | "error" } {
  const head = `Imported ${plural(r.imported, "message")}`;
  if (r.problems.length === 0) return { text: head, kind: "info" };
  const shown = r.problems.slice(0, SHOWN_PROBLEMS).map(problemText);
  const more = r.problems.length - shown.length;
  const tail = more > 0 ? `; and ${plural(more, "more problem")}` : "";
  return {
    text: `${head}; ${plural(r.problems.length, "problem")}: ${shown.join("; ")}${tail}`,
    kind: "error",
  };
}

/** The toast after an export. */
export function exportSummary(r: ExportReport): string {
  return `Exported ${plural(r.exported, "message")} to ${r.path}`;
}

interface Notify {
  toast(text: string, kind?: "info" | "error", ms?: number): void;
  error(what: string, e: unknown): void;
}

/** Imports what was dropped and says how it went. */
export async function importDropped(paths: string[], notify: Notify): Promise<ImportReport | null> {
  if (paths.length === 0) return null;
  try {
    const report = await ipc.importPaths(paths);
    const { text, kind } = importSummary(report);
    notify.toast(text, kind, kind === "error" ? 15000 : 6000);
    return report;
  } catch (e) {
    notify.error("Could not import", e);
    return null;
  }
}

/** Exports and says where it went; a cancelled dialog says nothing. */
export async function exportTo(
  ids: MessageId[],
  filter: MessageFilter,
  format: ExportFormat,
  notify: Notify,
): Promise<ExportReport | null> {
  try {
    const report = await ipc.exportMessages(ids, filter, format);
    if (report) notify.toast(exportSummary(report));
    return report;
  } catch (e) {
    notify.error("Could not export", e);
    return null;
  }
}
