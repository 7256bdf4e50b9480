import { describe, expect, test } from "vitest";
import { isTyping, keyAction, moveIndex, pageOffsets, rangeBetween, scrollToReveal, visibleRange } from "./listing";

describe("virtual list windowing", () => {
  test("at the top only the rows in view plus the overscan are rendered", () => {
    expect(visibleRange(0, 500, 50, 100_000, 6)).toEqual({ start: 0, end: 16 });
  });

  test("scrolled into the middle the window starts overscan rows above the first visible row", () => {
    // scrollTop 50 000 / 50 px = row 1000 at the top; 10 rows fit.
    expect(visibleRange(50_000, 500, 50, 100_000, 6)).toEqual({ start: 994, end: 1016 });
  });

  test("a partly visible row at the bottom is rendered", () => {
    expect(visibleRange(25, 500, 50, 100, 0)).toEqual({ start: 0, end: 11 });
  });

  test("the window never runs past the last row", () => {
    expect(visibleRange(4_900, 500, 50, 100, 6)).toEqual({ start: 92, end: 100 });
  });

  test("a scrollTop beyond the end (after a delete) still shows the last rows", () => {
    expect(visibleRange(100_000, 500, 50, 10, 2)).toEqual({ start: 7, end: 10 });
  });

  test("an empty list renders nothing", () => {
    expect(visibleRange(0, 500, 50, 0)).toEqual({ start: 0, end: 0 });
  });

  test("page offsets cover exactly the pages the range touches", () => {
    expect(pageOffsets(190, 230, 200)).toEqual([0, 200]);
    expect(pageOffsets(994, 1016, 200)).toEqual([800, 1000]);
    expect(pageOffsets(0, 200, 200)).toEqual([0]);
    expect(pageOffsets(5, 5, 200)).toEqual([]);
  });

  test("revealing a row scrolls only when it is out of view", () => {
    expect(scrollToReveal(5, 0, 500, 50)).toBeNull();
    expect(scrollToReveal(10, 0, 500, 50)).toBe(50);
    expect(scrollToReveal(2, 300, 500, 50)).toBe(100);
  });
});

describe("selection helpers", () => {
  test("a shift range includes both ends in either direction", () => {
    expect(rangeBetween(3, 5)).toEqual([3, 4, 5]);
    expect(rangeBetween(5, 3)).toEqual([3, 4, 5]);
  });

  test("moving the cursor stops at both ends and starts at the top", () => {
    expect(moveIndex(-1, 1, 10)).toBe(0);
    expect(moveIndex(-1, -1, 10)).toBe(9);
    expect(moveIndex(9, 1, 10)).toBe(9);
    expect(moveIndex(0, -1, 10)).toBe(0);
    expect(moveIndex(4, 1, 10)).toBe(5);
    expect(moveIndex(0, 1, 0)).toBe(-1);
  });
});

describe("keyboard shortcuts", () => {
  const input = () => document.createElement("input");

  test("j, k and the arrow keys move the selection", () => {
    expect(keyAction({ key: "j" })).toBe("next");
    expect(keyAction({ key: "ArrowDown" })).toBe("next");
    expect(keyAction({ key: "k" })).toBe("previous");
    expect(keyAction({ key: "ArrowUp" })).toBe("previous");
  });

  test("Enter opens, Delete and Backspace delete, slash searches and ? shows shortcuts", () => {
    expect(keyAction({ key: "Enter" })).toBe("open");
    expect(keyAction({ key: "Delete" })).toBe("delete");
    expect(keyAction({ key: "Backspace" })).toBe("delete");
    expect(keyAction({ key: "/" })).toBe("focus-search");
    expect(keyAction({ key: "?" })).toBe("toggle-shortcuts");
  });

  test("keys typed into a text field are not shortcuts", () => {
    expect(keyAction({ key: "j", target: input() })).toBeNull();
    expect(keyAction({ key: "Backspace", target: input() })).toBeNull();
    expect(keyAction({ key: "/", target: document.createElement("textarea") })).toBeNull();
  });

  test("Enter on a focused button presses the button rather than opening a message", () => {
    expect(keyAction({ key: "Enter", target: document.createElement("button") })).toBeNull();
    expect(keyAction({ key: "Enter", target: document.createElement("div") })).toBe("open");
  });

  test("Escape works even while typing", () => {
    expect(keyAction({ key: "Escape", target: input() })).toBe("escape");
  });

  test("a checkbox does not count as typing", () => {
    const box = input();
    box.type = "checkbox";
    expect(isTyping(box)).toBe(false);
    expect(keyAction({ key: "j", target: box })).toBe("next");
  });

  test("keys with a modifier are left to the system", () => {
    expect(keyAction({ key: "j", ctrlKey: true })).toBeNull();
    expect(keyAction({ key: "Backspace", metaKey: true })).toBeNull();
  });
});
