#!/usr/bin/env python3
"""HTTP API benchmark for bench/api.sh (not a test). Against a running `pigeonhole serve`
whose store already holds the seeded mail, it measures:

1. p50/p95 latency of GET /api/v1/messages (first page of 50), /api/v1/search (a mix of
   queries) and /api/v1/message/{ID} (random ids), one client, keep-alive off;
2. the time from a message's 250 to the answer of a client waiting on /api/v1/wait for it
   (the wait is started first; the clock starts when smtplib's sendmail returns);
3. ingest throughput over SMTP with no WebSocket clients and then with 10 connected to
   /api/events, each reading every frame, in the same run.

Usage: api_bench.py SMTP_HOST:PORT HTTP_HOST:PORT [--runs N] [--waits N] [--ingest N]
"""
import base64
import http.client as httpclient
import json
import os
import random
import smtplib
import socket
import statistics
import sys
import threading
import time
import urllib.parse
from email.message import EmailMessage


def arg(name, default):
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def get(http, path, timeout=30):
    host, port = http.split(":")
    conn = httpclient.HTTPConnection(host, int(port), timeout=timeout)
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body


def timed(http, path):
    t = time.perf_counter()
    status, body = get(http, path)
    dt = (time.perf_counter() - t) * 1000
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}: {body[:200]!r}")
    return dt, body


def pct(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def report(name, ms):
    print(f"| {name} | {len(ms)} | {pct(ms, 50):.1f} | {pct(ms, 95):.1f} | {max(ms):.1f} |")


QUERIES = ["invoice", "subject:report", "from:ann", "has:attachment", "tag:seed",
           "is:unread", "larger:10k", "payment OR refund", "\"quarterly report\"",
           "to:user17@seed.test", "after:2020-01-01", "日本語", "-newsletter", "code verify"]


def latencies(http, runs):
    print("| endpoint (server idle) | requests | p50 ms | p95 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    ms = [timed(http, "/api/v1/messages?limit=50")[0] for _ in range(runs)]
    report("GET /api/v1/messages (page of 50)", ms)
    ms = []
    for i in range(runs):
        q = urllib.parse.quote(QUERIES[i % len(QUERIES)])
        ms.append(timed(http, f"/api/v1/search?query={q}&limit=50")[0])
    report("GET /api/v1/search (mixed queries, page of 50)", ms)
    _, body = timed(http, "/api/v1/messages?limit=1")
    newest = int(json.loads(body)["messages"][0]["ID"])
    rng = random.Random(3)
    ms = [timed(http, f"/api/v1/message/{rng.randrange(1, newest + 1)}")[0] for _ in range(runs)]
    report("GET /api/v1/message/{ID} (random ids)", ms)


def message(subject, body="bench"):
    m = EmailMessage()
    m["From"] = "bench@example.test"
    m["To"] = "wait@example.test"
    m["Subject"] = subject
    m.set_content(body)
    return m


def wait_latency(smtp, http, n):
    host, port = smtp.split(":")
    s = smtplib.SMTP(host, int(port))
    out = []
    for i in range(n):
        tag = f"waitbench{os.getpid()}x{i}"
        done = {}

        def waiter():
            status, _ = get(http, f"/api/v1/wait?query=subject:{tag}&timeout=20s")
            done["t"] = time.perf_counter()
            done["status"] = status

        th = threading.Thread(target=waiter)
        th.start()
        # Let the wait reach the server and subscribe before the mail is sent.
        time.sleep(0.05)
        s.send_message(message(f"{tag} arrives"))
        acked = time.perf_counter()
        th.join()
        if done.get("status") != 200:
            raise SystemExit(f"wait {i} answered {done.get('status')}")
        out.append((done["t"] - acked) * 1000)
    s.quit()
    print()
    print("| 250 -> waiting client's answer | waits | p50 ms | p95 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    report("GET /api/v1/wait, mail sent after the wait started", out)
    return out


def ws_connect(http):
    host, port = http.split(":")
    sock = socket.create_connection((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /api/events HTTP/1.1\r\nHost: {http}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise SystemExit(f"WebSocket upgrade refused: {head!r}")
    return sock, head.split(b"\r\n\r\n", 1)[1]


def ws_readers(http, n):
    """Run in a child process (so the readers share no interpreter lock with the senders):
    N WebSocket clients read every frame until stdin closes, then print the fewest text
    frames any of them read."""
    import selectors
    sel = selectors.DefaultSelector()
    counts = {}
    for _ in range(n):
        sock, rest = ws_connect(http)
        sock.setblocking(False)
        counts[sock] = [rest, 0]
        sel.register(sock, selectors.EVENT_READ)
    sel.register(sys.stdin, selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            if key.fileobj is sys.stdin:
                if not sys.stdin.readline():
                    print(min(c[1] for c in counts.values()), flush=True)
                    return
                continue
            state = counts[key.fileobj]
            chunk = key.fileobj.recv(65536)
            if not chunk:
                sel.unregister(key.fileobj)
                continue
            buf = state[0] + chunk
            while len(buf) >= 2:
                b0, b1 = buf[0], buf[1] & 0x7F
                off, n_ = 2, b1
                if b1 == 126:
                    if len(buf) < 4:
                        break
                    n_, off = int.from_bytes(buf[2:4], "big"), 4
                elif b1 == 127:
                    if len(buf) < 10:
                        break
                    n_, off = int.from_bytes(buf[2:10], "big"), 10
                if len(buf) < off + n_:
                    break
                if b0 & 0x0F == 1:
                    state[1] += 1
                buf = buf[off + n_:]
            state[0] = buf


def ingest(smtp, count, sessions=4):
    host, port = smtp.split(":")
    raw = message("ingest bench", "x" * 900).as_bytes()
    errors = []

    def worker(n):
        try:
            s = smtplib.SMTP(host, int(port))
            for _ in range(n):
                s.sendmail("bench@example.test", ["ingest@example.test"], raw)
            s.quit()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    per = count // sessions
    threads = [threading.Thread(target=worker, args=(per,)) for _ in range(sessions)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    dt = time.perf_counter() - t
    if errors:
        raise SystemExit(f"ingest failed: {errors[0]}")
    return per * sessions / dt


def main():
    if sys.argv[1] == "--ws-readers":
        return ws_readers(sys.argv[2], int(sys.argv[3]))
    smtp, http = sys.argv[1], sys.argv[2]
    runs, waits, n = arg("--runs", 200), arg("--waits", 50), arg("--ingest", 4000)
    latencies(http, runs)
    wait_latency(smtp, http, waits)
    base = [ingest(smtp, n)]
    import subprocess
    readers = subprocess.Popen([sys.executable, __file__, "--ws-readers", http, "10"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert readers.stdout.readline().strip() == "ready"
    with_ws = ingest(smtp, n)
    time.sleep(1)
    readers.stdin.close()
    frames = int(readers.stdout.readline())
    readers.wait()
    # Once more without, so drift on a shared machine shows and averages out.
    base.append(ingest(smtp, n))
    without = sum(base) / len(base)
    print()
    print("| ingest, 1 KiB messages, 4 SMTP sessions | msg/s |")
    print("| --- | ---: |")
    print(f"| no WebSocket clients (mean of a run before and after) | {without:,.0f} |")
    print(f"| 10 WebSocket clients on /api/events | {with_ws:,.0f} |")
    print(f"| ratio (with ÷ without) | {with_ws / without:.2f} |")
    print(f"\nevery WebSocket client read at least {frames} frames (expected ≥ {n // 4 * 4} 'new' events)")
    if frames < n // 4 * 4:
        raise SystemExit("a WebSocket client missed events")


if __name__ == "__main__":
    main()
