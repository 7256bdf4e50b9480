"""Desktop UI benchmark against the real app over WebDriver. Run by bench/ui.sh.

Measures, with the store already holding ~100 000 messages:
  1. launch -> first list row painted (wall clock from the WebDriver new-session request,
     which spawns the app, to the first row in the DOM after a paint), best and median of N;
  2. opening a ~10 MB message (click -> envelope and body shown, after the next paint),
     for a 10 MB attachment and for a 10 MB HTML body;
  3. frame timings while scrolling the list continuously for 3 s, and a jump to the middle.
"""

import json
import os
import statistics
import sys
import time

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support.ui import WebDriverWait

APP, DATA_DIR, RUNS = sys.argv[1], sys.argv[2], int(sys.argv[3])


def launch():
    opts = ArgOptions()
    opts.set_capability("browserName", "wry")
    opts.set_capability("tauri:options", {"application": APP, "args": ["--data-dir", DATA_DIR]})
    t0 = time.monotonic()
    d = webdriver.Remote(command_executor="http://127.0.0.1:4444", options=opts)
    WebDriverWait(d, 60, poll_frequency=0.01).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="message-row"]'))
    # One more frame so the row is painted, not just in the DOM.
    d.execute_async_script("requestAnimationFrame(() => requestAnimationFrame(arguments[0]))")
    wall = time.monotonic() - t0
    in_page = d.execute_script("return performance.now()")
    return d, wall, in_page


OPEN_JS = """
const [subject, done] = [arguments[0], arguments[arguments.length - 1]];
const rows = [...document.querySelectorAll('[data-testid="message-row"]')];
const row = rows.find(r => r.textContent.includes(subject));
if (!row) { done(-1); return; }
const t0 = performance.now();
row.click();
(function check() {
  const env = document.querySelector('[data-testid="envelope"]');
  const body = document.querySelector('[data-testid="html-frame"], [data-testid="text-body"]');
  const title = document.body.textContent.includes(subject);
  if (env && body && title) {
    const frame = document.querySelector('[data-testid="html-frame"]');
    const ready = !frame || (frame.contentDocument && frame.contentDocument.readyState === 'complete'
                              && frame.contentDocument.body && frame.contentDocument.body.childElementCount > 0);
    if (ready) { requestAnimationFrame(() => done(performance.now() - t0)); return; }
  }
  requestAnimationFrame(check);
})();
"""

SCROLL_JS = """
const done = arguments[arguments.length - 1];
const list = document.querySelector('[data-testid="message-list"]');
const scroller = [list, ...list.querySelectorAll('*')].find(e => e.scrollHeight > e.clientHeight + 10);
const deltas = []; let last = performance.now(); const end = last + 3000;
(function step(now) {
  deltas.push(now - last); last = now;
  scroller.scrollTop += 240;  // ~14 000 px/s: a fast flick, hundreds of rows a second
  if (now < end) requestAnimationFrame(step);
  else done({deltas, scrollTop: scroller.scrollTop, scrollHeight: scroller.scrollHeight});
})(performance.now());
"""

IDLE_JS = """
const done = arguments[arguments.length - 1];
const deltas = []; let last = performance.now(); const end = last + 2000;
(function step(now) { deltas.push(now - last); last = now;
  if (now < end) requestAnimationFrame(step); else done(deltas); })(performance.now());
"""

JUMP_JS = """
const done = arguments[arguments.length - 1];
const list = document.querySelector('[data-testid="message-list"]');
const scroller = [list, ...list.querySelectorAll('*')].find(e => e.scrollHeight > e.clientHeight + 10);
const t0 = performance.now();
scroller.scrollTop = scroller.scrollHeight / 2;
(function check() {
  const rows = [...document.querySelectorAll('[data-testid="message-row"]')];
  const filled = rows.filter(r => r.querySelector('[data-testid="message-subject"]')?.textContent.trim());
  const visible = filled.some(r => { const b = r.getBoundingClientRect(); const s = scroller.getBoundingClientRect();
                                    return b.top >= s.top && b.bottom <= s.bottom; });
  if (visible) { requestAnimationFrame(() => done(performance.now() - t0)); return; }
  requestAnimationFrame(check);
})();
"""


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    walls, pages = [], []
    for _ in range(RUNS):
        d, wall, in_page = launch()
        walls.append(wall)
        pages.append(in_page)
        d.quit()
        time.sleep(1)
    d, _, _ = launch()
    total = d.execute_script(
        "return document.querySelector('[data-testid=\"message-list\"]').parentElement.textContent"
        ".match(/([\\d,]+)\\s+messages/)?.[1]")
    jump = d.execute_async_script(JUMP_JS)
    d.execute_script("document.querySelector('[data-testid=\"nav-all\"]').click()")
    time.sleep(1)
    opens = {"1 KiB message": [], "10 MB attachment": [], "10 MB HTML body": []}
    for _ in range(3):
        # Alternate, so every open really loads a different message.
        opens["1 KiB message"].append(d.execute_async_script(OPEN_JS, "Load test message"))
        opens["10 MB attachment"].append(d.execute_async_script(OPEN_JS, "Big attachment"))
        d.execute_async_script(OPEN_JS, "Load test message")
        opens["10 MB HTML body"].append(d.execute_async_script(OPEN_JS, "Big HTML"))
    idle = d.execute_async_script(IDLE_JS)
    scroll = d.execute_async_script(SCROLL_JS)
    d.quit()

    deltas = scroll["deltas"][1:]
    result = {
        "messages_in_store": total,
        "launch_to_first_row_s": {"best": min(walls), "median": statistics.median(walls), "runs": walls},
        "page_load_to_first_row_ms": {"best": min(pages), "median": statistics.median(pages)},
        "open_ms": {k: {"best": min(v), "median": statistics.median(v), "runs": v} for k, v in opens.items()},
        "scroll": {
            "frames": len(deltas),
            "p50_ms": pct(deltas, 50), "p95_ms": pct(deltas, 95), "p99_ms": pct(deltas, 99), "max_ms": max(deltas),
            "frames_over_50ms": sum(1 for x in deltas if x > 50),
            "px_scrolled": scroll["scrollTop"],
        },
        "idle_frames_baseline": {"p50_ms": pct(idle[1:], 50), "p95_ms": pct(idle[1:], 95)},
        "jump_to_middle_filled_ms": jump,
    }
    print(json.dumps(result, indent=2))


main()
