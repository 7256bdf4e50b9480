// Helpers for rendering MessageDetail.body, the message's blocks in reading order.
import type { BodyBlock, CalendarPerson, MessageDetail, ReportRecipient } from "./types";

/** True when the blocks say more than one plain body: a forwarded message, a report, a
 * calendar, several text parts or an image between them. Then the Text and HTML tabs render
 * the blocks; otherwise they keep the plain text and full HTML views. */
export function hasStructure(d: Pick<MessageDetail, "body">): boolean {
  return d.body.length > 1 || d.body.some((b) => b.kind !== "body");
}

/** True when some block (nested ones included) has HTML. */
export function hasHtml(blocks: BodyBlock[]): boolean {
  return blocks.some((b) =>
    b.kind === "body" ? b.html !== null : b.kind === "message" ? hasHtml(b.message.body) : false,
  );
}

/** "Ann <ann@x>" for a calendar person, with no empty parts. */
export function personLabel(p: CalendarPerson): string {
  return p.name ? `${p.name} <${p.address}>` : p.address;
}

/** How a PARTSTAT reads, and its tone for the chip. */
export function partstat(p: string | null): { label: string; tone: "ok" | "no" | "maybe" | "wait" } {
  switch ((p ?? "NEEDS-ACTION").toUpperCase()) {
    case "ACCEPTED":
      return { label: "accepted", tone: "ok" };
    case "DECLINED":
      return { label: "declined", tone: "no" };
    case "TENTATIVE":
      return { label: "tentative", tone: "maybe" };
    case "DELEGATED":
      return { label: "delegated", tone: "maybe" };
    default:
      return { label: "needs action", tone: "wait" };
  }
}

/** failed / delayed / delivered..., and how it should look. */
export function actionTone(r: ReportRecipient): "no" | "maybe" | "ok" | "wait" {
  const a = (r.action ?? "").toLowerCase();
  if (a === "failed" || r.status?.startsWith("5")) return "no";
  if (a === "delayed" || r.status?.startsWith("4")) return "maybe";
  if (a === "delivered" || a === "relayed" || a === "expanded" || r.status?.startsWith("2")) return "ok";
  return "wait";
}
