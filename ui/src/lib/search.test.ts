import { describe, expect, test } from "vitest";
import { problemRange, splitAtProblem, type QueryProblem } from "./search.svelte";

const p = (query: string, pos: number, len: number): QueryProblem => ({ query, pos, len, message: "" });

describe("where a query problem is", () => {
  test("the span core names is cut out of the query", () => {
    expect(splitAtProblem(p("invoice nope:x", 8, 5))).toEqual(["invoice ", "nope:", "x"]);
  });

  test("positions count characters as core does, so emoji and CJK before the span do not shift it", () => {
    // "📦" is one character to core but two UTF-16 units in JavaScript.
    expect(splitAtProblem(p("📦 請求 from:(", 5, 5))).toEqual(["📦 請求 ", "from:", "("]);
    expect(problemRange(p("📦 請求 from:(", 5, 5)), "the input's selection is in UTF-16 units").toEqual([6, 11]);
  });

  test("a problem at the end (len 0) has an empty span there", () => {
    expect(splitAtProblem(p("a OR", 4, 0))).toEqual(["a OR", "", ""]);
    expect(problemRange(p("a OR", 4, 0))).toEqual([4, 4]);
  });

  test("positions past the end are clamped rather than lost", () => {
    expect(splitAtProblem(p("abc", 7, 3))).toEqual(["abc", "", ""]);
    expect(splitAtProblem(p("abc", 1, 99))).toEqual(["a", "bc", ""]);
  });
});
