// The sidebar's inboxes: grouped by kind, filtered by what is typed above them (pure).
//
// Membership and counts are core's (list_inboxes); nothing here decides which message
// belongs where.

import type { Inbox, InboxKey, InboxKind } from "./types";

export interface InboxGroup {
  kind: InboxKind;
  heading: string;
  inboxes: Inbox[];
}

/** The groups in the order the sidebar shows them. */
export const GROUPS: readonly { kind: InboxKind; heading: string }[] = [
  { kind: "recipient", heading: "Recipients" },
  { kind: "user", heading: "Users" },
  { kind: "listener", heading: "Listeners" },
  { kind: "tag", heading: "Tags" },
];

/** Above this many inboxes the sidebar offers a box to filter them. */
export const FILTER_FROM = 8;

/**
 * The inboxes under their headings, in core's order within a group, keeping only those
 * whose key contains `filter` (ignoring case). Groups left empty are not returned.
 */
export function groupInboxes(inboxes: readonly Inbox[], filter = ""): InboxGroup[] {
  const needle = filter.trim().toLowerCase();
  return GROUPS.map(({ kind, heading }) => ({
    kind,
    heading,
    inboxes: inboxes.filter((i) => i.kind === kind && (needle === "" || i.key.toLowerCase().includes(needle))),
  })).filter((g) => g.inboxes.length > 0);
}

export function inboxKey(inbox: Inbox): InboxKey {
  return { kind: inbox.kind, key: inbox.key };
}

export function sameInbox(a: InboxKey | null, b: InboxKey | null): boolean {
  if (a === null || b === null) return a === b;
  return a.kind === b.kind && a.key === b.key;
}

/** How the list's summary line names an inbox: "to bob@example.com", "tagged signup". */
export function describeInbox(inbox: InboxKey): string {
  switch (inbox.kind) {
    case "recipient":
      return `to ${inbox.key}`;
    case "user":
      return `sent as ${inbox.key}`;
    case "listener":
      return `on listener ${inbox.key}`;
    case "tag":
      return `tagged ${inbox.key}`;
  }
}
