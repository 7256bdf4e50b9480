// Formatting of times, sizes and addresses for display.

import type { Address } from "./types";

/** "just now", "3 min ago", "2 h ago", "yesterday", "4 days ago", then a date. */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const secs = Math.round((now - t) / 1000);
  if (secs < 45) return "just now";
  const mins = Math.round(secs / 60);
  if (mins < 60) return `${mins} min ago`;
  const hours = Math.round(secs / 3600);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(secs / 86400);
  if (days === 1) return "yesterday";
  if (days < 7) return `${days} days ago`;
  const d = new Date(t);
  const sameYear = d.getFullYear() === new Date(now).getFullYear();
  return d.toLocaleDateString(undefined, {
    month: "short",
    day: "numeric",
    ...(sameYear ? {} : { year: "numeric" }),
  });
}

/** Local date and time to the second, for tooltips. */
export function exactTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clockTime(iso)}`;
}

/** HH:MM:SS.mmm in local time, for transcript lines. */
export function clockTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const d = new Date(t);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** 512 B, 1.2 KB, 3.4 MB: powers of 1024, one decimal below 10. */
export function humanSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = v < 10 ? 1 : 0;
  return `${v.toFixed(digits)} ${units[i]}`;
}

/** `Name <a@b>` or just `a@b`. */
export function formatAddress(a: Address | null | undefined): string {
  if (!a) return "";
  return a.name ? `${a.name} <${a.address}>` : a.address;
}

/** What to show in a narrow column: the name when there is one, else the address. */
export function shortAddress(a: Address | null | undefined): string {
  if (!a) return "";
  return a.name || a.address;
}

export function addressList(list: Address[], short = false): string {
  return list.map(short ? shortAddress : formatAddress).join(", ");
}

/** "the port is in use" rather than the OS's wording, for the listen-error banner. */
export function listenFailureReason(error: string): string {
  if (/in use|AddrInUse|address already|os error 98|os error 48|10048/i.test(error)) {
    return "the port is in use";
  }
  if (/permission|denied|os error 13|EACCES/i.test(error)) {
    return "permission denied (ports below 1024 need extra privileges)";
  }
  if (/cannot assign|AddrNotAvailable|os error 99|os error 49/i.test(error)) {
    return "that address does not belong to this machine";
  }
  return error;
}

/** Splits "host:port" (including "[::1]:1025") into its parts. */
export function splitHostPort(addr: string): { host: string; port: string } {
  const i = addr.lastIndexOf(":");
  if (i < 0) return { host: addr, port: "" };
  return { host: addr.slice(0, i), port: addr.slice(i + 1) };
}

/**
 * A tag's hue (0-359), the same for the same tag everywhere (sidebar, list, message), so a
 * tag is recognised by colour. From a small palette, so neighbours differ clearly.
 */
export function tagHue(tag: string): number {
  let h = 0;
  for (const c of tag) h = (h * 31 + c.codePointAt(0)!) >>> 0;
  const HUES = [212, 152, 28, 280, 350, 190, 48, 118, 248, 0, 322, 172];
  return HUES[h % HUES.length];
}
