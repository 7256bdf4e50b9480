"""What the desktop app weighs: proportional set size (PSS, /proc/PID/smaps_rollup) of the app
and every process under it (WebKitWebProcess, WebKitNetworkProcess, ...), and their idle CPU.
Run by bench/weight.sh inside Xvfb and a D-Bus session. Not a test.

  weight.py launch APP DATA_DIR         launch directly, empty store: PSS 8 s after launch,
                                        then idle CPU over 30 s
  weight.py browse APP DATA_DIR URL     over WebDriver at URL: open the 20 largest messages
                                        (search larger:1MB, click each), then PSS
"""

import json
import os
import subprocess
import sys
import time

from appproc import exe_name, wait_for

TICK = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def tree(pid: int) -> list[int]:
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.append(p)
        todo += children(p)
    return seen


def mem(pid: int) -> dict:
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Rss", "Pss", "Pss_Anon", "Pss_File", "Pss_Shmem"):
                    out[k] = int(v.split()[0]) / 1024
    except OSError:
        pass
    return out


def cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except OSError:
        return 0


def snapshot(root: int) -> dict:
    procs = []
    for p in tree(root):
        m = mem(p)
        if m:
            procs.append({"pid": p, "name": exe_name(p), **{k: round(v, 1) for k, v in m.items()}})
    return {
        "pss_mib": round(sum(p.get("Pss", 0) for p in procs), 1),
        "rss_sum_mib": round(sum(p.get("Rss", 0) for p in procs), 1),
        "processes": procs,
    }


def idle_cpu(root: int, seconds: float) -> float:
    pids = tree(root)
    before = sum(cpu_ticks(p) for p in pids)
    time.sleep(seconds)
    after = sum(cpu_ticks(p) for p in tree(root))
    return round(100 * (after - before) / TICK / seconds, 2)


def launch(app: str, data_dir: str):
    proc = subprocess.Popen([app, "--data-dir", data_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(8)
        after_launch = snapshot(proc.pid)
        cpu = idle_cpu(proc.pid, 30)
        print(json.dumps({"empty_store_8s_after_launch": after_launch, "idle_cpu_percent_of_a_core": cpu}, indent=2))
    finally:
        proc.terminate()
        proc.wait(10)


def browse(app: str, data_dir: str, url: str):
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.common.options import ArgOptions
    from selenium.webdriver.support.ui import WebDriverWait

    opts = ArgOptions()
    opts.set_capability("browserName", "wry")
    opts.set_capability("tauri:options", {"application": app, "args": ["--data-dir", data_dir]})
    d = webdriver.Remote(command_executor=url, options=opts)
    try:
        wait = WebDriverWait(d, 60, poll_frequency=0.05)
        rows = lambda: d.find_elements(By.CSS_SELECTOR, '[data-testid="message-row"]')  # noqa: E731
        wait.until(lambda _: rows())
        pid = wait_for(os.path.basename(app))
        time.sleep(3)
        before = snapshot(pid)
        box = d.find_element(By.CSS_SELECTOR, '[data-testid="search-input"]')
        box.send_keys("larger:1MB", Keys.ENTER)
        wait.until(lambda _: 0 < len(rows()) <= 40)
        time.sleep(1)
        n = min(20, len(rows()))
        peak = before["pss_mib"]
        for i in range(n):
            row = rows()[i]
            subject = row.find_element(By.CSS_SELECTOR, '[data-testid="message-subject"]').text
            row.click()
            wait.until(lambda _: subject in d.find_element(By.CSS_SELECTOR, '[data-testid="envelope"]')
                       .find_element(By.XPATH, "..").text)
            time.sleep(0.7)
            peak = max(peak, snapshot(pid)["pss_mib"])
        time.sleep(3)
        after = snapshot(pid)
        print(json.dumps({"store_open_3s_after_first_row": before, "opened": n,
                          "peak_pss_while_opening_mib": peak, "after_opening": after}, indent=2))
    finally:
        d.quit()


if __name__ == "__main__":
    mode, app, data = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "launch":
        launch(app, data)
    else:
        browse(app, data, sys.argv[4])
