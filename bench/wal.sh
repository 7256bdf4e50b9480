#!/usr/bin/env bash
# WAL size under load: 8 smtp-source sessions send to `pigeonhole serve` for 30 s while the
# -wal file is sampled every 100 ms; prints peak WAL, database size, ingest rate, and the
# WAL left after a SIGTERM (it should be 0: shutdown checkpoints). Not a test; see README.md.
#
# Usage: bench/wal.sh [--seconds N] [--sessions N] [--size BYTES] [--no-build] [--bin PATH]
#   --seconds N   how long to send (default 30)
#   --sessions N  concurrent SMTP sessions (default 8)
#   --size BYTES  message size (default 51200)
#   --no-build    skip `cargo build --release -p pigeonhole-cli`
#   --bin PATH    the pigeonhole binary to measure (e.g. a build of an older commit)
#
# Only 127.0.0.1 is used. smtp-source comes from Debian's postfix package, as in smtp.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cache="$here/.cache"

seconds=30 sessions=8 size=51200 build=1 bin=""
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift ;;
        --sessions) sessions="$2"; shift ;;
        --size) size="$2"; shift ;;
        --no-build) build=0 ;;
        --bin) bin="$2"; build=0; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/wal.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

die() { echo "bench/wal.sh: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

pfx="$cache/postfix"
if [ ! -x "$pfx/usr/sbin/smtp-source" ]; then
    say "fetching smtp-source from the postfix package"
    mkdir -p "$cache"
    rm -f "$cache"/postfix_*.deb
    if ! (cd "$cache" && apt-get download postfix >/dev/null 2>&1); then
        apt-get update >/dev/null 2>&1 || true
        (cd "$cache" && apt-get download postfix) || die "apt-get download postfix failed"
    fi
    rm -rf "$pfx"
    dpkg -x "$cache"/postfix_*.deb "$pfx"
fi
export LD_LIBRARY_PATH="$pfx/usr/lib/postfix${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
smtp_source="$pfx/usr/sbin/smtp-source"

if [ "$build" = 1 ]; then
    say "cargo build --release -p pigeonhole-cli"
    (cd "$root" && cargo build --release -p pigeonhole-cli >&2)
fi
pigeonhole="${bin:-${CARGO_TARGET_DIR:-$root/target}/release/pigeonhole}"
[ -x "$pigeonhole" ] || die "no $pigeonhole; build it or drop --no-build"

work=$(mktemp -d "${TMPDIR:-/tmp}/pigeonhole-wal.XXXXXX")
server_pid="" source_pid=""
cleanup() {
    [ -n "$source_pid" ] && kill "$source_pid" 2>/dev/null || true
    [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
data="$work/data"
PIGEONHOLE_LOG=warn,pigeonhole_core::store::writer::wal=debug "$pigeonhole" serve --smtp "127.0.0.1:$port" --no-http --data-dir "$data" \
    2>"$work/serve.log" &
server_pid=$!
python3 - "$port" <<'PY' || die "nothing listening on 127.0.0.1:$port after 10 s"
import socket, sys, time
end = time.time() + 10
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close(); sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit(1)
PY

say "$sessions sessions of ${size}-byte messages for ${seconds} s"
# More messages than can go through in the time; smtp-source is stopped at the end.
"$smtp_source" -d -s "$sessions" -m 100000000 -l "$size" -f bench@source.test \
    -t inbox@pigeonhole.test -M source.test -S "wal bench" "127.0.0.1:$port" \
    >"$work/source.log" 2>&1 &
source_pid=$!
peak=$(python3 - "$data/pigeonhole.sqlite3-wal" "$seconds" <<'PY'
import os, sys, time
path, secs = sys.argv[1], float(sys.argv[2])
peak, end = 0, time.time() + secs
while time.time() < end:
    try:
        peak = max(peak, os.stat(path).st_size)
    except FileNotFoundError:
        pass
    time.sleep(0.1)
print(peak)
PY
)
kill "$source_pid" 2>/dev/null || true
wait "$source_pid" 2>/dev/null || true
source_pid=""
db_bytes=$(stat -c %s "$data/pigeonhole.sqlite3")
rss=$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status")
kill -TERM "$server_pid"
for _ in $(seq 300); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$server_pid" 2>/dev/null && die "the server did not stop within 30 s of SIGTERM"
wait "$server_pid" 2>/dev/null || true
server_pid=""
wal_after=$(stat -c %s "$data/pigeonhole.sqlite3-wal" 2>/dev/null || echo 0)
stored=$("$pigeonhole" count --data-dir "$data" 2>/dev/null | grep -o '[0-9]*' | head -n1)
python3 - "$peak" "$db_bytes" "$stored" "$seconds" "$rss" "$wal_after" "$size" "$sessions" "$work/serve.log" <<'PY'
import re, statistics, sys
peak, db, stored, secs, rss, after, size, sessions, log = sys.argv[1:]
# The writer's own checkpoints (debug lines of store::writer::wal): how long each held commits up.
ms = [int(m) for m in re.findall(r"checkpointed and truncated the WAL.*?ms=(\d+)|ms=(\d+).*?checkpointed and truncated", open(log, errors="replace").read()) for m in m if m]
busy = open(log, errors="replace").read().count("readers kept the WAL")
if ms:
    print(f"writer checkpoints: {len(ms)}, median {statistics.median(ms):.0f} ms, max {max(ms)} ms; {busy} put off by readers", file=sys.stderr)
else:
    print(f"writer checkpoints: none logged; {busy} put off by readers", file=sys.stderr)
peak, db, stored, secs, rss, after = int(peak), int(db), int(stored or 0), float(secs), int(rss), int(after)
mib = lambda b: b / (1024 * 1024)
print(f"| {sessions} sessions × {int(size)//1024} KiB, {secs:.0f} s | peak WAL {mib(peak):.1f} MiB | "
      f"database {mib(db):.1f} MiB | {stored} stored, {stored / secs:,.0f} msg/s | "
      f"peak RSS {rss / 1024:.1f} MB | WAL after SIGTERM {after} bytes |")
PY
