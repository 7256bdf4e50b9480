// Rate limiting for work that events trigger (re-fetching counts or a filtered list).

export interface Throttled {
  (): void;
  /** Drops a pending trailing run. */
  cancel(): void;
}

/**
 * Runs `fn` at once, then at most once per `ms()` milliseconds: calls inside the window
 * collapse into one run at its end, so a burst of a thousand arrivals costs two fetches and
 * the last state is always fetched. `ms` is read at each call, so tests can set it to 0.
 */
export function throttle(fn: () => unknown, ms: () => number): Throttled {
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    timer = undefined;
    last = Date.now();
    void fn();
  };
  const call = (() => {
    if (timer !== undefined) return;
    const wait = last + ms() - Date.now();
    if (wait <= 0) run();
    else timer = setTimeout(run, wait);
  }) as Throttled;
  call.cancel = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  return call;
}
