import { describe, expect, test } from "vitest";
import { clockTime, formatAddress, humanSize, listenFailureReason, relativeTime, splitHostPort } from "./format";

const now = Date.parse("2024-05-01T12:00:00.000Z");
const ago = (secs: number) => new Date(now - secs * 1000).toISOString();

describe("relative time", () => {
  test("recent arrivals read as just now", () => {
    expect(relativeTime(ago(10), now)).toBe("just now");
  });

  test("minutes, hours and days are spelled out", () => {
    expect(relativeTime(ago(180), now)).toBe("3 min ago");
    expect(relativeTime(ago(2 * 3600), now)).toBe("2 h ago");
    expect(relativeTime(ago(26 * 3600), now)).toBe("yesterday");
    expect(relativeTime(ago(4 * 86400), now)).toBe("4 days ago");
  });

  test("older dates show the date and garbage shows nothing", () => {
    expect(relativeTime(ago(40 * 86400), now)).toMatch(/Mar|3/);
    expect(relativeTime("not a date", now)).toBe("");
  });
});

describe("clock time", () => {
  test("transcript times have milliseconds", () => {
    const d = new Date(2024, 4, 1, 9, 5, 7, 42);
    expect(clockTime(d.toISOString())).toBe("09:05:07.042");
  });
});

describe("human size", () => {
  test("bytes, kilobytes and megabytes are rounded sensibly", () => {
    expect(humanSize(0)).toBe("0 B");
    expect(humanSize(512)).toBe("512 B");
    expect(humanSize(1229)).toBe("1.2 KB");
    expect(humanSize(20 * 1024)).toBe("20 KB");
    expect(humanSize(3.4 * 1024 * 1024)).toBe("3.4 MB");
  });
});

describe("addresses", () => {
  test("a named address shows name and address, a bare one just the address", () => {
    expect(formatAddress({ name: "Ann", address: "ann@x.io" })).toBe("Ann <ann@x.io>");
    expect(formatAddress({ name: null, address: "ann@x.io" })).toBe("ann@x.io");
    expect(formatAddress(null)).toBe("");
  });

  test("host and port split at the last colon so IPv6 works", () => {
    expect(splitHostPort("127.0.0.1:1025")).toEqual({ host: "127.0.0.1", port: "1025" });
    expect(splitHostPort("[::1]:2525")).toEqual({ host: "[::1]", port: "2525" });
  });
});

describe("listen errors", () => {
  test("an address in use is said plainly", () => {
    expect(listenFailureReason("127.0.0.1:1025 is already in use")).toBe("the port is in use");
    expect(listenFailureReason("Address already in use (os error 98)")).toBe("the port is in use");
  });

  test("permission problems and unknown errors are told apart", () => {
    expect(listenFailureReason("Permission denied (os error 13)")).toMatch(/permission denied/);
    expect(listenFailureReason("something odd")).toBe("something odd");
  });
});
