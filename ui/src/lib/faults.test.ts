import { describe, expect, test } from "vitest";
import { draftOf, emptyDraft, isRuleFired, problemField, problemIndex, ruleOf, summary, uniqueName } from "./faults";
import type { Rule } from "./types";

describe("fault rule form", () => {
  test("a rule survives the round trip through the form", () => {
    const r: Rule = { name: "n", enabled: false, stage: "rcpt", address: "a@*", nth: 2, per: "client", probability: 0.5, seed: 7, action: "reply", code: 452, enhanced: "4.5.3", text: "Too many", close: true };
    expect(ruleOf(draftOf(r))).toEqual(r);
  });

  test("empty boxes are left out and no stage means every stage", () => {
    const d = { ...emptyDraft(), name: " x ", stage: "" as const, action: "drop" as const };
    expect(ruleOf(d)).toEqual({ name: "x", enabled: true, action: "drop", per: "rule", close: false });
  });

  test("core's problem messages name the rule and the field", () => {
    expect(problemField('rules[0] "x": code: 700 is outside 200-599')).toBe("code");
    expect(problemIndex('rules[3] "x": code: 700 is outside 200-599')).toBe(3);
    expect(problemField("rules[1]: name: is required")).toBe("name");
    expect(problemField("fail_fast: 3 is not true or false")).toBeNull();
  });

  test("summaries say when and then in a line", () => {
    expect(summary({ name: "n", enabled: true, stage: "rcpt", nth: 2, per: "rule", action: "reply", code: 452, enhanced: "4.5.3", close: false })).toBe(
      "at rcpt, only the 2nd → reply 452 4.5.3",
    );
    expect(summary({ name: "n", enabled: true, per: "rule", action: "delay", delay_ms: 5000, close: false })).toBe("at every stage → delay 5 s");
  });

  test("a taken name gets a number", () => {
    expect(uniqueName("a", ["a", "a (2)"])).toBe("a (3)");
    expect(uniqueName("b", ["a"])).toBe("b");
  });

  test("fired lines are told from other info lines", () => {
    expect(isRuleFired('rule "550 for nobody@*" fired at rcpt (occurrence 1): 550 5.1.1 No such user')).toBe(true);
    expect(isRuleFired("connection from 127.0.0.1:5000")).toBe(false);
  });
});
