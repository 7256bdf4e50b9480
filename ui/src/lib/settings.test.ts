import { describe, expect, test } from "vitest";
import { generateToken, originLines, withPort } from "./settings";

describe("settings helpers", () => {
  test("changing the port keeps the host", () => {
    expect(withPort("127.0.0.1:1025", "2525")).toBe("127.0.0.1:2525");
    expect(withPort("[::1]:1025", " 2526 ")).toBe("[::1]:2526");
  });

  test("a generated token is 32 letters and digits and new each time", () => {
    const a = generateToken();
    const b = generateToken();
    expect(a, "32 characters of the URL- and header-safe alphabet").toMatch(/^[A-Za-z0-9]{32}$/);
    expect(a, "two tokens differ").not.toBe(b);
  });

  test("the origins box sends one origin per non-empty line", () => {
    expect(originLines(" http://localhost:3000 \n\n https://app.test\r\n  ")).toEqual([
      "http://localhost:3000",
      "https://app.test",
    ]);
    expect(originLines("")).toEqual([]);
  });
});
