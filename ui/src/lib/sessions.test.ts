import { describe, expect, test } from "vitest";
import { codeClass, problems } from "./sessions";
import { session } from "../test/sessions";

describe("session problems", () => {
  test("a clean session has none and its 221 is green", () => {
    expect(problems(session(1))).toEqual([]);
    expect(codeClass(session(1))).toBe("good");
  });

  test("each kind is named with its count, in a fixed order", () => {
    const s = session(1, { refusals: 3, aborted_messages: 1, tls_failed: true, auth_failures: 2 });
    expect(problems(s).map((p) => p.label)).toEqual(["3 refused", "1 broken off", "TLS failed", "2 AUTH failed"]);
    expect(problems(s)[0].title).toBe("3 replies with a 4xx or 5xx code");
  });

  test("a session of refusals that ended with 221 does not look good", () => {
    expect(codeClass(session(1, { refusals: 2, last_code: 221 }))).toBe("");
    expect(codeClass(session(1, { aborted_messages: 1, last_code: 354 }))).toBe("");
    expect(codeClass(session(1, { refusals: 1, last_code: 535 }))).toBe("bad");
  });
});
