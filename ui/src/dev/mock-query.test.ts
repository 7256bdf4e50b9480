import { describe, expect, test } from "vitest";
import { compileMockQuery } from "./mock-query";
import { summary } from "../test/fixtures";

function refusal(query: string) {
  try {
    compileMockQuery(query);
  } catch (e) {
    return e;
  }
  throw new Error(`${query} was accepted`);
}

describe("the mock backend's query subset", () => {
  test("refuses an unknown operator the way core does, pointing at the operator", () => {
    expect(refusal("invoice nope:x")).toMatchObject({ kind: "query", pos: 8, len: 5 });
    expect((refusal("nope:x") as { message: string }).message).toContain('unknown operator "nope:"; known: from, to');
  });

  test("refuses parentheses after an operator, an unclosed quote and a dangling OR", () => {
    expect(refusal("from:(")).toMatchObject({ kind: "query", pos: 0, len: 5, message: "parentheses after an operator are not supported" });
    expect(refusal('a "b c')).toMatchObject({ pos: 2, len: 1 });
    expect(refusal("a OR")).toMatchObject({ pos: 2, len: 2 });
    expect(refusal("from:")).toMatchObject({ pos: 0, len: 5, message: "from: needs a value" });
    expect(refusal("is:maybe")).toMatchObject({ pos: 3, len: 5 });
  });

  test("matches free words, operators, negation and OR", () => {
    const a = summary(1, { subject: "Your invoice", tags: ["billing"], pinned: true });
    const b = summary(2, { subject: "Welcome", from: { name: "Bob", address: "bob@x.io" } });
    const pick = (q: string) => [a, b].filter(compileMockQuery(q)).map((m) => m.id);
    expect(pick("invoice")).toEqual([1]);
    expect(pick("from:bob")).toEqual([2]);
    expect(pick("tag:billing")).toEqual([1]);
    expect(pick("is:pinned")).toEqual([1]);
    expect(pick("-invoice")).toEqual([2]);
    expect(pick("invoice OR welcome")).toEqual([1, 2]);
    expect(pick('subject:"your inv"')).toEqual([1]);
    expect(pick("")).toEqual([1, 2]);
  });
});
