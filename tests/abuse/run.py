#!/usr/bin/env python3
"""Abuse suite: the real `pigeonhole serve` under attack, with a normal client beside it.

Each scenario starts a fresh server, attacks it from 127.0.0.1, and meanwhile a normal client
on 127.0.0.2 (another address, so the per-address connection cap does not count it with the
attacker) connects, must get its 220 within a second and must have its message stored. The
server's peak RSS during the scenario is read from /proc (VmHWM, reset before each scenario)
and reported, not asserted: memory targets are measured by bench/memory.sh. Where the attack
has a defined answer (a reply code, a closed connection, a lint finding) it is asserted too.
Most scenarios end with a SIGTERM while the attackers are still attached: the server must exit
cleanly within SHUTDOWN_LIMIT.

    tests/abuse/run.py                 every scenario
    tests/abuse/run.py slowloris idle  only these
    tests/abuse/run.py --list

Needs target/release/pigeonhole (or PIGEONHOLE_CLI). The disk-full and read-only scenarios
mount small tmpfs file systems and so need root (CI runs as root); they fail, not skip,
without it.
"""

import base64
import hashlib
import json
import os
import random
import resource
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("PIGEONHOLE_CLI", os.path.join(ROOT, "target/release/pigeonhole"))
PROBE_FROM = "127.0.0.2"
GREETING_LIMIT = 1.0
SHUTDOWN_LIMIT = 3.0
# Short limits for the timing attacks, so the suite stays quick; the defaults are longer.
TIMEOUT_FLAGS = [
    "--tls-handshake-timeout", "3", "--command-timeout", "4", "--data-rate-window", "4", "--idle-timeout", "30",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Failure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


class Server:
    def __init__(self, *extra, data_dir=None, smtps=True):
        self.data = data_dir or tempfile.mkdtemp(prefix="ph-abuse-")
        self.port = free_port()
        self.smtps = free_port() if smtps else None
        args = [BIN, "serve", "--data-dir", self.data, "--smtp", f"127.0.0.1:{self.port}", "--no-http"]
        if self.smtps:
            args += ["--smtps", f"127.0.0.1:{self.smtps}"]
        args += list(extra)
        self.log_path = os.path.join(tempfile.gettempdir(), f"ph-abuse-{self.port}.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 15
        while True:
            check(self.proc.poll() is None, f"server exited at start ({self.proc.returncode}):\n{self.stderr()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"220"):
                        break
            except OSError:
                pass
            check(time.monotonic() < deadline, f"server never greeted:\n{self.stderr()}")
            time.sleep(0.05)
        self.reset_peak()

    def stderr(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def reset_peak(self):
        with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
            f.write("5")

    def peak_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> float:
        """SIGTERM; asserts a clean exit within SHUTDOWN_LIMIT; returns how long it took."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=SHUTDOWN_LIMIT + 7)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure(f"SIGTERM did not stop the server within {SHUTDOWN_LIMIT + 7:.0f} s:\n{self.stderr()}")
        took = time.monotonic() - t0
        check(rc == 0, f"the server exited with {rc} on SIGTERM:\n{self.stderr()}")
        check(took <= SHUTDOWN_LIMIT, f"SIGTERM took {took:.1f} s (limit {SHUTDOWN_LIMIT} s)")
        return took

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def cli(self, *args, check_rc=True) -> subprocess.CompletedProcess:
        out = subprocess.run([BIN, *args, "--data-dir", self.data], capture_output=True, timeout=120)
        if check_rc:
            check(out.returncode == 0, f"pigeonhole {' '.join(args)} failed ({out.returncode}): {out.stderr.decode()[-2000:]}")
        return out

    def listed(self) -> list:
        return json.loads(self.cli("list", "--json", "--limit", "100000").stdout)


def probe(server: Server, tag: str, results: list):
    """A normal client from another address: 220 within GREETING_LIMIT, then a message."""
    t0 = time.monotonic()
    try:
        with smtplib.SMTP("127.0.0.1", server.port, timeout=10, source_address=(PROBE_FROM, 0)) as s:
            greet = time.monotonic() - t0
            m = EmailMessage()
            m["From"] = "probe@example.com"
            m["To"] = "dev@example.com"
            m["Subject"] = tag
            m.set_content(f"The normal client's message {tag}.\n")
            s.send_message(m)
        results.append((tag, greet, None))
    except Exception as e:  # noqa: BLE001 - reported as the scenario's failure
        results.append((tag, time.monotonic() - t0, repr(e)))


def probes(server: Server, name: str, n=3, gap=0.3) -> list:
    results = []
    for i in range(n):
        probe(server, f"probe-{name}-{i}", results)
        time.sleep(gap)
    for tag, greet, err in results:
        check(err is None, f"{name}: the normal client failed: {err}")
        check(greet <= GREETING_LIMIT, f"{name}: the normal client waited {greet:.2f} s for 220")
    return results


def assert_probes_stored(server: Server, results: list):
    subjects = {m["subject"] for m in server.listed()}
    missing = [t for t, _, _ in results if t not in subjects]
    check(not missing, f"acknowledged probe messages missing from the store: {missing}")


def closed_by_server(sock: socket.socket, wait=0.05) -> bool:
    sock.settimeout(wait)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        return True
    except (socket.timeout, TimeoutError):
        return False
    except OSError:
        return True


def connect(port: int, timeout=5) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_reply(sock: socket.socket, timeout=30) -> bytes:
    """One whole (possibly multi-line) reply."""
    sock.settimeout(timeout)
    buf = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return buf
        buf += chunk
        lines = buf.split(b"\r\n")
        for line in lines[:-1]:
            if len(line) >= 4 and line[3:4] == b" ":
                return buf


def say(sock: socket.socket, line: bytes, timeout=30) -> bytes:
    sock.sendall(line + b"\r\n")
    return read_reply(sock, timeout)


def send_raw(port: int, body: bytes, mail_from=b"MAIL FROM:<big@example.com>", timeout=120) -> bytes:
    """A message over a raw socket (CRLF lines, no line starting with '.'); returns the
    reply to the end of data."""
    with connect(port, timeout) as s:
        read_reply(s)
        say(s, b"EHLO abuse.example")
        r = say(s, mail_from)
        if not r.startswith(b"250"):
            return r
        check(say(s, b"RCPT TO:<dev@example.com>").startswith(b"250"), "RCPT refused")
        check(say(s, b"DATA").startswith(b"354"), "DATA refused")
        s.sendall(body)
        s.sendall(b"\r\n.\r\n" if not body.endswith(b"\r\n") else b".\r\n")
        reply = read_reply(s, timeout)
        try:
            say(s, b"QUIT", 5)
        except OSError:
            pass
        return reply


def message(subject: str, body: bytes, headers: str = "") -> bytes:
    head = (f"From: abuse@example.com\r\nTo: dev@example.com\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject}@abuse.example>\r\nMIME-Version: 1.0\r\n{headers}\r\n")
    return head.encode() + body


def stored_raw(server: Server, subject: str) -> bytes:
    rows = [m for m in server.listed() if m["subject"] == subject]
    check(rows, f"{subject} is not stored")
    return server.cli("show", str(rows[0]["id"]), "--raw").stdout


# ---------------------------------------------------------------- scenarios

def s_idle(report):
    """1000 idle connections."""
    srv = Server()
    socks = []
    refused = 0
    for _ in range(1000):
        try:
            socks.append(connect(srv.port))
        except OSError:
            refused += 1
    time.sleep(1)
    res = probes(srv, "idle")
    report["peak_mb"] = srv.peak_mb()
    report["note"] = f"{len(socks)} connected, {refused} refused at connect"
    report["shutdown_s"] = srv.stop()
    for s in socks:
        s.close()
    assert_probes_stored(srv, res)


def s_stalled_tls(report):
    """Stalled TLS handshakes: SMTPS connections that send nothing, STARTTLS then silence."""
    srv = Server(*TIMEOUT_FLAGS)

    def stall():
        # 160 in all: under the per-address cap (3/4 of 256), so every one is a stalled
        # handshake rather than a 421.
        socks = [connect(srv.smtps) for _ in range(80)]
        for _ in range(80):
            s = connect(srv.port)
            read_reply(s)
            say(s, b"EHLO stall.example")
            check(say(s, b"STARTTLS").startswith(b"220"), "STARTTLS not offered")
            socks.append(s)
        return socks

    first = stall()
    res = probes(srv, "stalled-tls")
    time.sleep(3 + 2)
    still = sum(not closed_by_server(s) for s in first)
    check(still == 0, f"{still} of {len(first)} stalled handshakes still open after the handshake timeout")
    second = stall()
    report["peak_mb"] = srv.peak_mb()
    report["shutdown_s"] = srv.stop()
    for s in first + second:
        s.close()
    assert_probes_stored(srv, res)


def s_slowloris(report):
    """One byte every 2 s, in a command line and in DATA."""
    srv = Server(*TIMEOUT_FLAGS)
    stop = threading.Event()
    socks = []
    for i in range(60):
        s = connect(srv.port)
        read_reply(s)
        if i % 2:
            say(s, b"EHLO slow.example")
            say(s, b"MAIL FROM:<slow@example.com>")
            say(s, b"RCPT TO:<dev@example.com>")
            say(s, b"DATA")
        socks.append(s)
    payload = b"EHLO slowloris.example.com.with.a.long.name.to.drip.out.byte.by.byte\r\n"

    def drip():
        i = 0
        while not stop.is_set():
            for s in socks:
                try:
                    s.send(payload[i % len(payload):i % len(payload) + 1])
                except OSError:
                    pass
            i += 1
            stop.wait(2.0)

    t = threading.Thread(target=drip, daemon=True)
    t.start()
    res = probes(srv, "slowloris")
    time.sleep(4 + 4)
    still = sum(not closed_by_server(s) for s in socks)
    check(still == 0, f"{still} of {len(socks)} slowloris connections still open past the command deadline")
    more = [connect(srv.port) for _ in range(20)]
    for s in more:
        s.send(b"E")
    report["peak_mb"] = srv.peak_mb()
    report["shutdown_s"] = srv.stop()
    stop.set()
    for s in socks + more:
        s.close()
    assert_probes_stored(srv, res)


def s_big(report):
    """A 50 MB message with and without SIZE (allowed up to 64 MB), and one over the limit."""
    srv = Server("--max-message-size", str(64 * 1024 * 1024))
    line = b"x" * 998 + b"\r\n"
    body = line * (50 * 1024 * 1024 // len(line))
    out = {}

    def send(subject, size):
        raw = message(subject, body)
        frm = b"MAIL FROM:<big@example.com>" + (f" SIZE={len(raw)}".encode() if size else b"")
        out[subject] = (raw, send_raw(srv.port, raw, frm))

    senders = [threading.Thread(target=send, args=("big-size", True)),
               threading.Thread(target=send, args=("big-nosize", False))]
    for t in senders:
        t.start()
    res = probes(srv, "big")
    for t in senders:
        t.join()
    over = send_raw(srv.port, b"", b"MAIL FROM:<big@example.com> SIZE=99999999999")
    check(over.startswith(b"552"), f"SIZE over the limit: {over!r}")
    for subject, (raw, reply) in out.items():
        check(reply.startswith(b"250"), f"{subject}: {reply!r}")
        check(stored_raw(srv, subject) == raw, f"{subject}: stored bytes differ from the sent bytes")
    report["peak_mb"] = srv.peak_mb()
    report["note"] = "2 x 50 MB in parallel"
    report["shutdown_s"] = srv.stop()
    assert_probes_stored(srv, res)


def s_rcpts(report):
    """10,000 RCPTs in one pipelined burst."""
    srv = Server()
    res = []
    t = threading.Thread(target=lambda: res.extend(probes(srv, "rcpts", n=5, gap=0.2)))
    with connect(srv.port, 60) as s:
        read_reply(s)
        say(s, b"EHLO many.example")
        say(s, b"MAIL FROM:<many@example.com>")
        t.start()
        s.sendall(b"".join(f"RCPT TO:<r{i}@example.com>\r\n".encode() for i in range(10_000)))
        replies = b""
        s.settimeout(60)
        while replies.count(b"\r\n") < 10_000:
            chunk = s.recv(1 << 20)
            check(chunk, "the server closed during 10,000 RCPTs")
            replies += chunk
        codes = [line[:3] for line in replies.split(b"\r\n") if line]
        ok = codes.count(b"250")
        check(ok >= 1 and all(c in (b"250", b"452", b"552") for c in codes), f"RCPT codes: {set(codes)}")
        check(say(s, b"DATA").startswith(b"354"), "DATA after many RCPTs")
        s.sendall(message("many-rcpts", b"hi\r\n") + b".\r\n")
        check(read_reply(s).startswith(b"250"), "the message with many recipients")
    t.join()
    report["peak_mb"] = srv.peak_mb()
    report["note"] = f"{ok} recipients accepted"
    report["shutdown_s"] = srv.stop()
    assert_probes_stored(srv, res)


def s_long_line(report):
    """A 1 MB command line."""
    srv = Server()
    with connect(srv.port) as s:
        read_reply(s)
        s.sendall(b"EHLO " + b"a" * (1 << 20) + b"\r\n")
        r = read_reply(s)
        check(r[:1] == b"5", f"a 1 MB command line gets a 5xx: {r[:80]!r}")
        try:
            r2 = say(s, b"NOOP", 5)
            check(r2 == b"" or r2[:1] in (b"2", b"4", b"5"), f"after the long line: {r2!r}")
        except OSError:
            pass
    res = probes(srv, "long-line")
    report["peak_mb"] = srv.peak_mb()
    report["shutdown_s"] = srv.stop()
    assert_probes_stored(srv, res)


def s_bytes(report):
    """NUL bytes and invalid UTF-8 in commands and content."""
    srv = Server()
    with connect(srv.port) as s:
        read_reply(s)
        r = say(s, b"EHLO t\x00\xff")
        bad = [b for b in r if (b < 0x20 and b not in (0x0d, 0x0a)) or b > 0x7e]
        check(not bad, f"a reply echoes control or non-ASCII bytes: {r!r}")
        r = say(s, b"EHLO good.example")
        check(r.startswith(b"250"), f"EHLO after a bad one: {r!r}")
        r = say(s, b"MAIL FROM:<caf\xc3@example.com> SMTPUTF8")
        check(r.startswith(b"553") or r.startswith(b"501"), f"invalid UTF-8 in an address: {r!r}")
        check(b"5.6.7" in r or r.startswith(b"501"), f"invalid UTF-8 address gets 553 5.6.7: {r!r}")
        check(say(s, b"RSET").startswith(b"250"), "RSET")
        check(say(s, b"MAIL FROM:<nul@example.com>").startswith(b"250"), "MAIL")
        check(say(s, b"RCPT TO:<dev@example.com>").startswith(b"250"), "RCPT")
        check(say(s, b"DATA").startswith(b"354"), "DATA")
        raw = message("nul-bytes", b"a\x00b \xff\xfe invalid \xc3( utf-8\r\n")
        s.sendall(raw + b".\r\n")
        r = read_reply(s)
    if r.startswith(b"250"):
        check(stored_raw(srv, "nul-bytes") == raw, "content with NUL and invalid UTF-8 is stored byte-exact")
    else:
        check(r[:1] == b"5", f"content with NUL bytes: accepted byte-exact or refused, got {r!r}")
    res = probes(srv, "bytes")
    report["peak_mb"] = srv.peak_mb()
    report["shutdown_s"] = srv.stop()
    assert_probes_stored(srv, res)


def bomb_siblings(n: int) -> bytes:
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(n))
    return message("bomb-siblings", parts + b"--b--\r\n", 'Content-Type: multipart/mixed; boundary="b"\r\n')


def bomb_nested(depth: int) -> bytes:
    out = [b""]
    for i in range(depth):
        out.append(b"--n%d\r\nContent-Type: multipart/mixed; boundary=\"n%d\"\r\n\r\n" % (i, i + 1))
    out.append(b"--n%d\r\nContent-Type: text/plain\r\n\r\ndeep\r\n--n%d--\r\n" % (depth, depth))
    for i in reversed(range(depth)):
        out.append(b"--n%d--\r\n" % i)
    return message("bomb-nested", b"".join(out), 'Content-Type: multipart/mixed; boundary="n0"\r\n')


def s_mime_bomb(report):
    """10,000 sibling parts and 20,000 nested levels: stored, and every view stays bounded."""
    srv = Server()
    res = []
    for subject, raw in (("bomb-siblings", bomb_siblings(10_000)), ("bomb-nested", bomb_nested(20_000))):
        t = threading.Thread(target=lambda: res.extend(probes(srv, subject)))
        t.start()
        r = send_raw(srv.port, raw)
        t.join()
        check(r.startswith(b"250"), f"{subject}: {r!r}")
        check(stored_raw(srv, subject) == raw, f"{subject}: stored byte-exact")
        row = [m for m in srv.listed() if m["subject"] == subject][0]
        for view in (["--json"], [], ["--headers"], ["--html-check"], ["--links"], ["--lint", "--json"]):
            out = srv.cli("show", str(row["id"]), *view, check_rc=False)
            check(out.returncode in (0, 1), f"show {view} on {subject} crashed ({out.returncode}): {out.stderr[-500:]!r}")
            check(len(out.stdout) < 16 << 20, f"show {view} on {subject} printed {len(out.stdout)} bytes")
            if view == ["--lint", "--json"]:
                check(b"mime-too" in out.stdout or subject == "bomb-siblings",
                      f"lint names the cap on {subject}: {out.stdout[:300]!r}")
    report["peak_mb"] = srv.peak_mb()
    report["shutdown_s"] = srv.stop()
    assert_probes_stored(srv, res)


def s_attachment(report):
    """A 100 MB base64 attachment (137 MB message)."""
    srv = Server("--max-message-size", str(200 * 1024 * 1024))
    data = base64.encodebytes(random.Random(7).randbytes(100 * 1024 * 1024)).replace(b"\n", b"\r\n")
    raw = message("attachment-100mb",
                  b"--a\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--a\r\n"
                  b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
                  b"Content-Disposition: attachment; filename=big.bin\r\n\r\n" + data + b"--a--\r\n",
                  'Content-Type: multipart/mixed; boundary="a"\r\n')
    del data
    res = []
    t = threading.Thread(target=lambda: res.extend(probes(srv, "attachment", n=5, gap=1)))
    t.start()
    r = send_raw(srv.port, raw, timeout=300)
    t.join()
    check(r.startswith(b"250"), f"the 137 MB message: {r!r}")
    report["peak_mb"] = srv.peak_mb()
    report["note"] = f"message {len(raw) / 1048576:.0f} MiB; target {1.5 * len(raw) / 1048576 + 30:.0f} MiB"
    check(hashlib.sha256(stored_raw(srv, "attachment-100mb")).digest() == hashlib.sha256(raw).digest(),
          "the 137 MB message is stored byte-exact")
    report["shutdown_s"] = srv.stop()
    assert_probes_stored(srv, res)


def s_flood(report):
    """200 new connections a second for 10 s."""
    srv = Server()
    stop = threading.Event()
    counts = {"220": 0, "421": 0, "error": 0}
    lock = threading.Lock()

    def one():
        try:
            with connect(srv.port) as s:
                r = read_reply(s, 10)
                s.sendall(b"QUIT\r\n")
                key = "220" if r.startswith(b"220") else "421" if r.startswith(b"421") else "error"
        except OSError:
            key = "error"
        with lock:
            counts[key] += 1

    def flood():
        t0 = time.monotonic()
        n = 0
        while time.monotonic() - t0 < 10 and not stop.is_set():
            threading.Thread(target=one, daemon=True).start()
            n += 1
            time.sleep(max(0.0, t0 + n / 200 - time.monotonic()))

    t = threading.Thread(target=flood)
    t.start()
    res = probes(srv, "flood", n=8, gap=1)
    t.join()
    time.sleep(1)
    report["peak_mb"] = srv.peak_mb()
    report["note"] = f"{counts['220']} greeted, {counts['421']} refused 421, {counts['error']} errors"
    check(counts["error"] == 0, f"flood connections failed outright: {counts}")
    report["shutdown_s"] = srv.stop()
    assert_probes_stored(srv, res)


def s_kill9(report):
    """kill -9 at a random moment under 8 concurrent smtplib senders, 10 rounds."""
    seed = int(os.environ.get("ABUSE_SEED", str(int(time.time()))))
    rng = random.Random(seed)
    data = tempfile.mkdtemp(prefix="ph-abuse-kill-")
    sent = {}
    lock = threading.Lock()
    for rnd in range(10):
        srv = Server(data_dir=data, smtps=False)
        stop = threading.Event()

        def sender(k, port=srv.port, stop=stop, rnd=rnd):
            n = 0
            r = random.Random(seed * 100 + rnd * 10 + k)
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
                    while not stop.is_set():
                        subject = f"kill-{rnd}-{k}-{n}"
                        body = (f"line {r.random()}\r\n" * r.randint(1, 400)).encode()
                        raw = message(subject, body)
                        s.sendmail("k@example.com", ["dev@example.com"], raw)
                        with lock:
                            sent[subject] = raw
                        n += 1
            except (OSError, smtplib.SMTPException):
                pass

        threads = [threading.Thread(target=sender, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.3, 2.5))
        srv.kill9()
        stop.set()
        for t in threads:
            t.join()
    srv = Server(data_dir=data, smtps=False)
    out = tempfile.mkdtemp(prefix="ph-abuse-export-")
    srv.stop()
    subprocess.run([BIN, "export", "--dir", out, "--data-dir", data], check=True, capture_output=True)
    stored = {}
    for name in os.listdir(out):
        with open(os.path.join(out, name), "rb") as f:
            raw = f.read()
        for line in raw.split(b"\r\n"):
            if line.startswith(b"Subject: "):
                stored[line[9:].decode()] = raw
                break
    missing = [s for s in sent if s not in stored]
    differ = [s for s in sent if s in stored and stored[s] != sent[s]]
    check(not missing, f"seed {seed}: {len(missing)} of {len(sent)} acknowledged messages lost: {missing[:5]}")
    check(not differ, f"seed {seed}: {len(differ)} stored messages differ from what was sent: {differ[:5]}")
    report["note"] = f"seed {seed}: {len(sent)} acknowledged, all stored byte-exact"


def mount_tmpfs(size: str, ro=False) -> str:
    check(os.geteuid() == 0, "needs root to mount a small tmpfs")
    d = tempfile.mkdtemp(prefix="ph-abuse-fs-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}" + (",ro" if ro else ""), "tmpfs", d], check=True)
    return d


def s_disk_full(report):
    """Disk full: 452 4.3.1, the server keeps serving, and resumes once space returns."""
    fs = mount_tmpfs("24m")
    try:
        srv = Server(data_dir=os.path.join(fs, "data"), smtps=False)
        filler = os.path.join(fs, "filler")
        line = b"y" * 998 + b"\r\n"
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * (1 << 20))
                    f.flush()
            except OSError:
                pass
        r = send_raw(srv.port, message("while-full", line * 3000))
        check(r.startswith(b"452") and b"4.3.1" in r, f"a full disk answers 452 4.3.1: {r!r}")
        check("storage" in srv.stderr().lower() or "space" in srv.stderr().lower(),
              f"the log says the disk is full:\n{srv.stderr()}")
        os.remove(filler)
        time.sleep(0.5)
        r = send_raw(srv.port, message("after-full", b"space again\r\n"))
        check(r.startswith(b"250"), f"after space returns: {r!r}")
        report["shutdown_s"] = srv.stop()
        check("after-full" in {m["subject"] for m in srv.listed()}, "the message after the disk filled is stored")
    finally:
        subprocess.run(["umount", "-l", fs])


def s_read_only(report):
    """A read-only data dir: a clear error and a non-zero exit, not a panic."""
    fs = mount_tmpfs("8m", ro=True)
    try:
        p = subprocess.run([BIN, "serve", "--data-dir", fs,
                            "--smtp", f"127.0.0.1:{free_port()}", "--no-http"], capture_output=True, timeout=20)
        err = p.stderr.decode()
        check(p.returncode != 0, "serve on a read-only data dir must fail")
        check(fs in err and "panicked" not in err, f"the error names the dir and is not a panic:\n{err}")
        report["note"] = err.strip().splitlines()[-1][:120] if err.strip() else ""
    finally:
        subprocess.run(["umount", "-l", fs])


def s_corrupt(report):
    """A database with 256 KB overwritten in the middle: refused with a way out, never lost."""
    srv = Server(smtps=False)
    for i in range(300):
        send_raw(srv.port, message(f"c-{i}", (b"payload %d\r\n" % i) * 200))
    srv.stop()
    db = [f for f in os.listdir(srv.data) if f.endswith(".sqlite3")]
    check(db, f"no database in {srv.data}: {os.listdir(srv.data)}")
    path = os.path.join(srv.data, db[0])
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.seek(size // 2)
        f.write(random.Random(1).randbytes(256 * 1024))
    p = subprocess.run([BIN, "serve", "--data-dir", srv.data, "--smtp", f"127.0.0.1:{free_port()}", "--no-http"],
                       capture_output=True, timeout=60)
    err = p.stderr.decode()
    check(p.returncode != 0, f"serve on a corrupt store must refuse to start:\n{err}")
    check("doctor" in err, f"the error says how to recover:\n{err}")
    check(path in err or db[0] in err, f"the error names the damaged file:\n{err}")
    check(os.path.getsize(path) == size, "the damaged file is kept as it was")
    d = subprocess.run([BIN, "doctor", "--data-dir", srv.data, "--recover"], capture_output=True, timeout=120)
    check(d.returncode in (0, 1), f"doctor --recover: {d.stderr.decode()[-1000:]}")
    srv2 = Server(data_dir=srv.data, smtps=False)
    n = len(srv2.listed())
    srv2.stop()
    check(n > 0, "doctor --recover salvaged nothing")
    kept = [f for f in os.listdir(srv.data) if "damaged" in f]
    check(kept, f"doctor --recover keeps the damaged original: {os.listdir(srv.data)}")
    report["note"] = f"{n} of 300 messages recovered; kept {kept[0]}"


SCENARIOS = {
    "idle": s_idle,
    "stalled-tls": s_stalled_tls,
    "slowloris": s_slowloris,
    "big": s_big,
    "rcpts": s_rcpts,
    "long-line": s_long_line,
    "bytes": s_bytes,
    "mime-bomb": s_mime_bomb,
    "attachment": s_attachment,
    "flood": s_flood,
    "kill9": s_kill9,
    "disk-full": s_disk_full,
    "read-only": s_read_only,
    "corrupt": s_corrupt,
}


def main():
    args = sys.argv[1:]
    if "--list" in args:
        for name, fn in SCENARIOS.items():
            print(f"{name:12} {fn.__doc__.strip().splitlines()[0]}")
        return 0
    check(os.path.exists(BIN), f"{BIN} is not built (cargo build --release -p pigeonhole-cli)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    names = args or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        print(f"unknown scenarios: {unknown}; --list shows them", file=sys.stderr)
        return 2
    failed = []
    print(f"{'scenario':12} {'result':6} {'peak RSS':>9} {'SIGTERM':>8}  note")
    for name in names:
        report = {}
        t0 = time.monotonic()
        try:
            SCENARIOS[name](report)
            result = "ok"
        except Exception as e:  # noqa: BLE001 - every failure is reported, then the suite fails
            result = "FAIL"
            failed.append((name, e))
        peak = f"{report['peak_mb']:.0f} MiB" if "peak_mb" in report else "-"
        down = f"{report['shutdown_s']:.2f} s" if "shutdown_s" in report else "-"
        print(f"{name:12} {result:6} {peak:>9} {down:>8}  {report.get('note', '')} [{time.monotonic() - t0:.0f} s]",
              flush=True)
    for name, e in failed:
        print(f"\n{name}: {type(e).__name__}: {e}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
