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
import signal
import statistics
import sys
import time

import appproc
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
    d = webdriver.Remote(command_executor=os.environ.get("UI_WEBDRIVER_URL", "http://127.0.0.1:4444"), options=opts)
    WebDriverWait(d, 60, poll_frequency=0.01).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="message-row"]'))
    # One more frame so the row is painted, not just in the DOM.
    d.execute_async_script("requestAnimationFrame(() => requestAnimationFrame(arguments[0]))")
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    wall = time.monotonic() - t0
    in_page = d.execute_script("return performance.now()")
    # The page's own phases (ui/src/main.ts, lib/store.svelte.ts), ms since navigation.
    marks = d.execute_script(
        "return Object.fromEntries(performance.getEntriesByType('mark')"
        ".filter(e => e.name.startsWith('ph:')).map(e => [e.name.slice(3), Math.round(e.startTime)]))")
    marks["painted"] = round(in_page)
    return d, wall, in_page, uptime - process_start_uptime(), marks


def app_pids():
    return appproc.pids_named("pigeonhole-desktop")


def quit_app(d):
    """Quits as a person (or a logout) does, with SIGTERM, so the store closes cleanly and
    the next launch is a warm one; WebDriver's own quit kills the app, and a killed store is
    integrity-checked at the next launch (seconds for 100,000 messages)."""
    pids = app_pids()
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(p in app_pids() for p in pids):
        time.sleep(0.05)
    try:
        d.quit()
    except Exception:
        pass


def process_start_uptime() -> float:
    """When the newest pigeonhole-desktop process started, in seconds since boot (the clock
    /proc/uptime uses), so WebDriver's own start-up is not counted."""
    newest = None
    for pid in app_pids():
        try:
            with open(f"/proc/{pid}/stat") as f:
                ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        except OSError:
            continue
        newest = ticks if newest is None else max(newest, ticks)
    return newest / os.sysconf("SC_CLK_TCK")


OPEN_JS = """
const [subject, nth, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const list = document.querySelector('[data-testid="message-list"]');
const scroller = [list, ...list.querySelectorAll('*')].find(e => e.scrollHeight > e.clientHeight + 10);
if (scroller) scroller.scrollTop = 0;
let tries = 0;
(function find() {
  const rows = [...document.querySelectorAll('[data-testid="message-row"]')].filter(r => r.textContent.includes(subject));
  if (rows.length <= nth) { if (++tries < 120) { requestAnimationFrame(find); return; } done(-1); return; }
  open(rows[nth]);
})();
function open(row) {
const id = row.getAttribute('data-id');
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
}
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

# Reference: a plain static list of the same rows and size, in the same window, scrolled the
# same way: what this machine's software rendering costs with no app code at all.
REFERENCE_JS = """
const done = arguments[arguments.length - 1];
const list = document.querySelector('[data-testid="message-list"]');
const box = list.getBoundingClientRect();
const ref = document.createElement('div');
Object.assign(ref.style, {position: 'fixed', left: box.left + 'px', top: box.top + 'px', width: box.width + 'px',
                          height: box.height + 'px', overflow: 'auto', background: 'white', zIndex: 9999});
let html = '';
for (let i = 0; i < 20000; i++) html += `<div style="height:58px;padding:8px 12px;border-bottom:1px solid #eee;box-sizing:border-box"><b>Sender ${i}</b> <span style="float:right">2 min ago</span><div>Subject line number ${i} <span style="color:#888">snippet of the body text</span></div></div>`;
ref.innerHTML = html;
document.body.appendChild(ref);
const deltas = []; let last = performance.now(); let end = 0;
requestAnimationFrame(() => { last = performance.now(); end = last + 3000; requestAnimationFrame(step); });
function step(now) {
  deltas.push(now - last); last = now;
  ref.scrollTop += 240;
  if (now < end) requestAnimationFrame(step); else { ref.remove(); done(deltas); }
}
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
    walls, pages, procs, phases = [], [], [], []
    for _ in range(RUNS):
        d, wall, in_page, from_process, marks = launch()
        walls.append(wall)
        pages.append(in_page)
        procs.append(from_process)
        phases.append(marks)
        quit_app(d)
        time.sleep(1)
    d, _, _, _, _ = launch()
    total = d.execute_script(
        "return document.querySelector('[data-testid=\"message-list\"]').parentElement.textContent"
        ".match(/([\\d,]+)\\s+messages/)?.[1]")
    jump = d.execute_async_script(JUMP_JS)
    d.execute_script("document.querySelector('[data-testid=\"nav-all\"]').click()")
    time.sleep(1)
    opens = {"1 KiB message": [], "10 MB attachment": [], "10 MB HTML body": []}
    for _ in range(3):
        # Alternate, so every open really loads a different message.
        opens["1 KiB message"].append(d.execute_async_script(OPEN_JS, "Load test message", _ + 1))
        opens["10 MB attachment"].append(d.execute_async_script(OPEN_JS, "Big attachment", 0))
        d.execute_async_script(OPEN_JS, "Load test message", 0)
        opens["10 MB HTML body"].append(d.execute_async_script(OPEN_JS, "Big HTML", 0))
        d.execute_async_script(OPEN_JS, "Load test message", 0)
    idle = d.execute_async_script(IDLE_JS)
    scroll = d.execute_async_script(SCROLL_JS)
    reference = d.execute_async_script(REFERENCE_JS)
    quit_app(d)

    deltas = scroll["deltas"][1:]
    result = {
        "messages_in_store": total,
        "process_start_to_first_row_s": {"best": min(procs), "median": statistics.median(procs), "runs": procs},
        "webdriver_session_to_first_row_s": {"best": min(walls), "median": statistics.median(walls), "runs": walls},
        "page_load_to_first_row_ms": {"best": min(pages), "median": statistics.median(pages)},
        "page_phases_ms": phases,
        "open_ms": {k: {"best": min(v), "median": statistics.median(v), "runs": v} for k, v in opens.items()},
        "scroll": {
            "frames": len(deltas),
            "p50_ms": pct(deltas, 50), "p95_ms": pct(deltas, 95), "p99_ms": pct(deltas, 99), "max_ms": max(deltas),
            "frames_over_50ms": sum(1 for x in deltas if x > 50),
            "px_scrolled": scroll["scrollTop"],
        },
        "reference_static_list_scroll": {"p50_ms": pct(reference[1:], 50), "p95_ms": pct(reference[1:], 95),
                                         "frames_over_50ms": sum(1 for x in reference[1:] if x > 50)},
        "idle_frames_baseline": {"p50_ms": pct(idle[1:], 50), "p95_ms": pct(idle[1:], 95)},
        "jump_to_middle_filled_ms": jump,
    }
    print(json.dumps(result, indent=2))


main()
