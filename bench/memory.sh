#!/usr/bin/env bash
# Memory benchmark: peak RSS of `pigeonhole serve` ingesting one large message (a base64
# attachment) over SMTP, with and without SIZE, by DATA and by BDAT, and of
# `pigeonhole show --json` (and --raw) on it. Prints a Markdown
# table against the target: peak RSS under 1.5 x the message + 30 MB. Not a test.
#
# Usage: bench/memory.sh [--sizes 10,50,100] [--bin PATH] [--no-build]
#   --sizes LIST  message sizes in MB (default 10,50,100)
#   --bin PATH    the pigeonhole binary (default: a release build in the target dir)
#   --no-build    skip `cargo build --release -p pigeonhole-cli`
#
# The server's peak is VmHWM from /proc/PID/status of a fresh server per message (so one
# message's peak is not hidden by an earlier one); `show`'s is GNU time's max RSS, else
# VmHWM sampled while it runs. Only 127.0.0.1 is used.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
sizes="10,50,100"
bin=""
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --sizes) sizes="$2"; shift ;;
        --bin) bin="$2"; shift ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/memory.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
say() { echo "bench: $*" >&2; }

if [ -z "$bin" ]; then
    target="${CARGO_TARGET_DIR:-$root/target}"
    if [ "$build" = 1 ]; then
        say "cargo build --release -p pigeonhole-cli"
        (cd "$root" && cargo build --release -p pigeonhole-cli >&2)
    fi
    bin="$target/release/pigeonhole"
fi
[ -x "$bin" ] || { echo "bench/memory.sh: no binary at $bin" >&2; exit 1; }

work=$(mktemp -d)
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# One message of about N MB: a short text part and a base64 attachment of random bytes.
make_message() {
    python3 - "$1" "$2" <<'EOF'
import base64, os, sys
mb, path = int(sys.argv[1]), sys.argv[2]
raw = os.urandom(mb * 1024 * 1024 * 3 // 4)
b64 = base64.encodebytes(raw).replace(b"\n", b"\r\n")
head = (b"From: bench@example.test\r\nTo: qa@example.test\r\nSubject: %d MB\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=bb\r\n\r\n"
        b"--bb\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n"
        b"--bb\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment; filename=blob.bin\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" % mb)
open(path, "wb").write(head + b64 + b"--bb--\r\n")
EOF
}

# Sends the message file $2 to port $1 by $3: data (with SIZE), data-nosize, bdat.
send() {
    python3 - "$1" "$2" "$3" <<'EOF'
import socket, sys
port, path, how = int(sys.argv[1]), sys.argv[2], sys.argv[3]
body = open(path, "rb").read()
s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline()
        if not line:
            raise SystemExit("connection closed")
        if line[3:4] != b"-":
            return line
def cmd(c, want):
    s.sendall(c)
    r = reply()
    if not r.startswith(want):
        raise SystemExit("%r -> %r" % (c, r))
reply()
cmd(b"EHLO bench\r\n", b"250")
size = b" SIZE=%d" % len(body) if how == "data" else b""
cmd(b"MAIL FROM:<bench@example.test>" + size + b"\r\n", b"250")
cmd(b"RCPT TO:<qa@example.test>\r\n", b"250")
if how == "bdat":
    step = 8 * 1024 * 1024
    for at in range(0, len(body), step):
        chunk = body[at:at + step]
        last = b" LAST" if at + step >= len(body) else b""
        s.sendall(b"BDAT %d%s\r\n" % (len(chunk), last))
        s.sendall(chunk)
        r = reply()
        if not r.startswith(b"250"):
            raise SystemExit("BDAT -> %r" % r)
else:
    cmd(b"DATA\r\n", b"354")
    # The generated message has no line starting with a dot: no stuffing needed.
    s.sendall(body + b".\r\n")
    r = reply()
    if not r.startswith(b"250"):
        raise SystemExit("DATA -> %r" % r)
cmd(b"QUIT\r\n", b"221")
EOF
}

hwm() { awk '/VmHWM/ {print int($2/1024)}' "/proc/$1/status" 2>/dev/null || echo 0; }

# Max RSS in MB of a command (GNU time if present, else VmHWM sampled).
max_rss() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f "%M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || true
        echo $(( $(tail -1 "$work/time") / 1024 ))
    else
        "$@" >/dev/null 2>"$work/stderr" &
        local pid=$! peak=0 now
        while kill -0 "$pid" 2>/dev/null; do
            now=$(hwm "$pid"); [ "$now" -gt "$peak" ] && peak=$now
            sleep 0.05
        done
        wait "$pid" || true
        echo "$peak"
    fi
}

port=$(( 20000 + RANDOM % 20000 ))
echo "| message | how | server peak RSS (MB) | show --json peak (MB) | show --raw peak (MB) | target (MB) |"
echo "|---|---|---|---|---|---|"
IFS=, read -ra list <<<"$sizes"
for mb in "${list[@]}"; do
    msg="$work/m$mb.eml"
    make_message "$mb" "$msg"
    bytes=$(stat -c %s "$msg")
    real_mb=$(( bytes / 1024 / 1024 ))
    target=$(( real_mb * 3 / 2 + 30 ))
    for how in data data-nosize bdat; do
        dir="$work/d-$mb-$how"
        mkdir -p "$dir"
        "$bin" serve --data-dir "$dir" --smtp "127.0.0.1:$port" --no-http \
            --max-message-size $(( bytes + 1024 * 1024 )) >"$work/serve.log" 2>&1 &
        server=$!
        for _ in $(seq 100); do
            python3 -c "import socket; socket.create_connection(('127.0.0.1', $port)).close()" 2>/dev/null && break
            sleep 0.1
        done
        send "$port" "$msg" "$how"
        # Let the lint worker (after the ack) read and check it: its peak counts too.
        sleep $(( 2 + real_mb / 10 ))
        peak=$(hwm "$server")
        kill "$server"; wait "$server" 2>/dev/null || true; server=""
        if [ "$how" = data ]; then
            json=$(max_rss "$bin" show 1 --data-dir "$dir" --json)
            raw=$(max_rss "$bin" show 1 --data-dir "$dir" --raw)
        else
            json="-"; raw="-"
        fi
        verdict=$([ "$peak" -le "$target" ] && echo "" || echo " (over)")
        echo "| $real_mb MB | $how | $peak$verdict | $json | $raw | $target |"
        rm -rf "$dir"
        port=$(( port + 1 ))
    done
    rm -f "$msg"
done
