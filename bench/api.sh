#!/usr/bin/env bash
# HTTP API benchmark (not a test; see README.md): seeds N messages over SMTP into
# `pigeonhole serve --http` (bench/seed_mail.py), waits until they are indexed, then runs
# bench/api_bench.py: p95 latency of /api/v1/messages, /search and /message/{ID}; the time
# from a 250 to a waiting client's answer; ingest with 10 WebSocket clients against none.
#
# Usage: bench/api.sh [--count N] [--keep DIR] [--no-build] [-- api_bench.py flags]
#   --count N   messages to seed (default 100000)
#   --keep DIR  seed into DIR and keep it (reused, not re-seeded, if it already has mail)
#   --no-build  skip the release build
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
count=100000
keep=""
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --count) count="$2"; shift ;;
        --keep) keep="$2"; shift ;;
        --no-build) build=0 ;;
        --) shift; break ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/api.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
die() { echo "bench/api.sh: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

target="${CARGO_TARGET_DIR:-$root/target}/release"
if [ "$build" = 1 ]; then
    say "building pigeonhole (release)"
    (cd "$root" && cargo build --release -p pigeonhole-cli >&2)
fi
pigeonhole="$target/pigeonhole"
[ -x "$pigeonhole" ] || die "no $pigeonhole"

work=$(mktemp -d "${TMPDIR:-/tmp}/pigeonhole-api.XXXXXX")
data="${keep:-$work/data}"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

PIGEONHOLE_LOG=warn "$pigeonhole" serve --smtp 127.0.0.1:0 --http 127.0.0.1:0 --no-starttls \
    --data-dir "$data" --print-ports >"$work/ports" 2>"$work/serve.log" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/ports" ] && break; sleep 0.1; done
[ -s "$work/ports" ] || die "the server did not start: $(cat "$work/serve.log")"
smtp=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["smtp"])' "$work/ports")
http=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http"])' "$work/ports")

have=$("$pigeonhole" count --data-dir "$data")
if [ "$have" -lt "$count" ]; then
    say "seeding $((count - have)) messages over SMTP (8 sessions)"
    python3 "$here/seed_mail.py" "$smtp" "$((count - have))" --sessions 8
fi
total=$("$pigeonhole" count --data-dir "$data")
say "waiting until all $total messages are indexed"
for _ in $(seq 600); do
    indexed=$("$pigeonhole" count --data-dir "$data" --query "seed")
    [ "$indexed" -ge "$total" ] && break
    sleep 1
done
say "store: $total messages; API on http://$http"
python3 "$here/api_bench.py" "$smtp" "$http" "$@"
grep -i "error" "$work/serve.log" >&2 && die "the server logged errors" || true
