import { describe, expect, test } from "vitest";
import { withPort } from "./settings";

describe("settings helpers", () => {
  test("changing the port keeps the host", () => {
    expect(withPort("127.0.0.1:1025", "2525")).toBe("127.0.0.1:2525");
    expect(withPort("[::1]:1025", " 2526 ")).toBe("[::1]:2526");
  });
});
