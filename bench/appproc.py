"""Finding the desktop app's processes in /proc, for the bench scripts (ui.py, weight.py)."""

import os
import time


def exe_name(pid: int) -> str:
    """The base name of the process's program, from its command line; "?" if it is gone."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return os.path.basename(f.read().split(b"\0")[0].decode(errors="replace")) or "?"
    except OSError:
        return "?"


def pids_named(name: str) -> list[int]:
    """Every running process whose program is called `name`."""
    return [int(p) for p in filter(str.isdigit, os.listdir("/proc")) if exe_name(int(p)) == name]


def wait_for(name: str, seconds: float = 10) -> int:
    """The first process called `name`, waiting up to `seconds` for one to start."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pids = pids_named(name)
        if pids:
            return pids[0]
        time.sleep(0.05)
    raise SystemExit(f"{name} did not start")
