import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { throttle } from "./throttle";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("throttle", () => {
  test("the first call runs at once, a burst after it runs once at the end of the window", () => {
    const fn = vi.fn();
    const t = throttle(fn, () => 250);
    t();
    expect(fn).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 50; i++) t();
    expect(fn, "calls inside the window wait").toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(250);
    expect(fn, "and collapse into one").toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1000);
    expect(fn, "nothing more without more calls").toHaveBeenCalledTimes(2);
  });

  test("cancel drops the pending run", () => {
    const fn = vi.fn();
    const t = throttle(fn, () => 100);
    t();
    t();
    t.cancel();
    vi.advanceTimersByTime(500);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  test("a window of 0 runs every call", () => {
    const fn = vi.fn();
    const t = throttle(fn, () => 0);
    t();
    t();
    expect(fn).toHaveBeenCalledTimes(2);
  });
});
