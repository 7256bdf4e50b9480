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

# shellcheck source=bench/common.sh
. "$here/common.sh"
postfix_tools
pigeonhole_bin "$build" "$bin"

work=$(mktemp -d "${TMPDIR:-/tmp}/pigeonhole-wal.XXXXXX")
server_pid="" source_pid=""
cleanup() {
    [ -n "$source_pid" ] && kill "$source_pid" 2>/dev/null || true
    [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

port=$(free_port)
data="$work/data"
PIGEONHOLE_LOG=warn,pigeonhole_core::store::writer::wal=debug "$pigeonhole" serve --smtp "127.0.0.1:$port" --no-http --data-dir "$data" \
    2>"$work/serve.log" &
server_pid=$!
wait_listening "$port"

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
text = re.sub(r"\x1b\[[0-9;]*m", "", open(log, errors="replace").read())  # the log's colours
ms = [int(m) for m in re.findall(r"checkpointed the WAL.*?ms=(\d+)", text)]
busy = text.count("readers kept the WAL")
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
