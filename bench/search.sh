#!/usr/bin/env bash
# Search benchmark (not a test; see README.md): seeds N varied messages through SMTP into
# `pigeonhole serve` (bench/seed_mail.py), waits until they are all indexed, then times a
# mixed set of queries (bench: crates/pigeonhole-core/examples/search_bench.rs) and reports
# p50/p95 for query + first page of 50 and for count, and the index size against the raw size.
#
# Usage: bench/search.sh [--count N] [--runs R] [--keep DIR] [--no-build]
#   --count N   messages to seed (default 100000)
#   --runs R    timed runs per query (default 15)
#   --keep DIR  seed into DIR and keep it (reused, not re-seeded, if it already has mail)
#   --no-build  skip the release builds
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
count=100000
runs=15
keep=""
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --count) count="$2"; shift ;;
        --runs) runs="$2"; shift ;;
        --keep) keep="$2"; shift ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/search.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
die() { echo "bench/search.sh: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

target="${CARGO_TARGET_DIR:-$root/target}/release"
if [ "$build" = 1 ]; then
    say "building pigeonhole and the query bench (release)"
    # Two builds: a target flag (--example) would otherwise keep cargo from building the CLI.
    (cd "$root" && cargo build --release -p pigeonhole-cli >&2 \
        && cargo build --release -p pigeonhole-core --example search_bench >&2)
fi
pigeonhole="$target/pigeonhole"
[ -x "$pigeonhole" ] || die "no $pigeonhole"

work=$(mktemp -d "${TMPDIR:-/tmp}/pigeonhole-search.XXXXXX")
data="${keep:-$work/data}"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PIGEONHOLE_LOG=warn "$pigeonhole" serve --smtp "127.0.0.1:$port" --no-starttls --data-dir "$data" 2>"$work/serve.log" &
server_pid=$!
for _ in $(seq 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),timeout=1)" 2>/dev/null && break
    sleep 0.1
done

have=$("$pigeonhole" count --data-dir "$data")
if [ "$have" -lt "$count" ]; then
    say "seeding $((count - have)) messages over SMTP (8 sessions)"
    python3 "$here/seed_mail.py" "127.0.0.1:$port" "$((count - have))" --sessions 8
fi
total=$("$pigeonhole" count --data-dir "$data")
say "waiting until all $total messages are indexed"
for _ in $(seq 600); do
    indexed=$("$pigeonhole" count --data-dir "$data" --query "seed")
    [ "$indexed" = "$total" ] && break
    sleep 1
done
[ "$indexed" = "$total" ] || die "only $indexed of $total messages indexed after 10 minutes"

say "timing queries ($runs runs each, server running and idle)"
"$target/examples/search_bench" "$data" "$runs"
grep -i "error" "$work/serve.log" >&2 && die "the server logged errors" || true
