#!/usr/bin/env bash
# Retention under load: a store of --prune + --keep messages opened with `--retention KEEP`
# (so retention deletes --prune of them) while 8 smtp-source sessions send --send more, next
# to the same store and traffic without retention. A probe client sends one message every
# 20 ms on its own connection and times each 250: the stall, if pruning holds up commits.
# Prints a Markdown table. Not a test; see README.md.
#
# Usage: bench/retention.sh [--prune N] [--keep N] [--send N] [--sessions N] [--no-build]
#   --prune N     messages retention must delete (default 50000)
#   --keep N      the retention setting (default 1000)
#   --send N      messages smtp-source sends during each run (default 20000)
#   --sessions N  smtp-source sessions (default 8)
#   --no-build    skip `cargo build --release -p pigeonhole-cli`
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

prune=50000 keep=1000 send=20000 sessions=8 build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --prune) prune="$2"; shift ;;
        --keep) keep="$2"; shift ;;
        --send) send="$2"; shift ;;
        --sessions) sessions="$2"; shift ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/retention.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

die() { echo "bench/retention.sh: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

# shellcheck source=bench/common.sh
. "$here/common.sh"
postfix_tools
pigeonhole_bin "$build"

work=$(mktemp -d "${TMPDIR:-/tmp}/pigeonhole-retention.XXXXXX")
server_pid="" probe_pid=""
cleanup() {
    [ -n "$probe_pid" ] && kill "$probe_pid" 2>/dev/null || true
    [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Starts `pigeonhole serve` on data dir $1 with the remaining arguments; sets server_pid, port.
start() {
    local data=$1
    shift
    port=$(free_port)
    PIGEONHOLE_LOG=warn "$pigeonhole" serve --smtp "127.0.0.1:$port" --no-http --data-dir "$data" "$@" \
        2>>"$work/serve.log" &
    server_pid=$!
    wait_listening "$port"
}

stop() {
    kill -TERM "$server_pid"
    for _ in $(seq 300); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$server_pid" 2>/dev/null && die "the server did not stop within 30 s of SIGTERM"
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

count() { "$pigeonhole" count --data-dir "$1" | grep -o '[0-9]*' | head -n1; }

# smtp-source against $port: $1 messages; sets R_SECS.
source_run() {
    local t0 t1
    t0=$(date +%s.%N)
    "$smtp_source" -d -s "$sessions" -m "$1" -l 1024 -f bench@source.test -t inbox@pigeonhole.test \
        -M source.test -S "retention bench" "127.0.0.1:$port" >"$work/source.log" 2>&1 \
        || { cat "$work/source.log" >&2; die "smtp-source failed"; }
    t1=$(date +%s.%N)
    [ -s "$work/source.log" ] && { cat "$work/source.log" >&2; die "smtp-source reported problems"; }
    R_SECS=$(python3 -c "print(f'{$t1 - $t0:.3f}')")
}

# The probe: one message every 20 ms on one connection until killed; writes each 250's
# latency in ms to $1.
probe() {
    python3 - "$port" "$1" <<'PY' &
import signal, smtplib, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
stop = False
def end(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, end)
s = smtplib.SMTP("127.0.0.1", port)
s.ehlo("probe.test")
lat = []
msg = b"From: probe@probe.test\r\nTo: probe@pigeonhole.test\r\nSubject: probe\r\n\r\nprobe\r\n"
while not stop:
    t = time.perf_counter()
    s.sendmail("probe@probe.test", ["probe@pigeonhole.test"], msg)
    lat.append((time.perf_counter() - t) * 1000)
    time.sleep(0.02)
s.quit()
open(out, "w").write("\n".join(f"{x:.2f}" for x in lat))
PY
    probe_pid=$!
}

stop_probe() {
    kill -TERM "$probe_pid"
    wait "$probe_pid" 2>/dev/null || true
    probe_pid=""
}

# The store retention will prune: --prune + --keep messages.
base="$work/base"
say "seeding $((prune + keep)) messages"
start "$base"
source_run $((prune + keep))
stop
seeded=$(count "$base")
[ "$seeded" = $((prune + keep)) ] || die "seeded $seeded of $((prune + keep)) messages"

rows=()
for mode in without with; do
    data="$work/$mode"
    cp -a "$base" "$data"
    args=()
    [ "$mode" = with ] && args=(--retention "$keep")
    say "$send messages, $mode retention"
    t_start=$(date +%s.%N)
    start "$data" "${args[@]}"
    probe "$work/probe-$mode.txt"
    source_run "$send"
    stop_probe
    left=$(count "$data")
    pruned_at=""
    if [ "$mode" = with ]; then
        # Retention may still be going once the senders stop: how long until it is done.
        for _ in $(seq 1200); do
            left=$(count "$data")
            [ "$left" -le $((keep + 200)) ] && break
            sleep 0.1
        done
        pruned_at=$(python3 -c "import time; print(f'{time.time() - $t_start:.1f}')")
    fi
    stop
    rows+=("$(python3 - "$mode" "$send" "$R_SECS" "$work/probe-$mode.txt" "$left" "$pruned_at" <<'PY'
import statistics, sys
mode, send, secs, probe, left, pruned = sys.argv[1:]
lat = sorted(float(x) for x in open(probe).read().split())
p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
done = f"{pruned} s after start" if pruned else "n/a"
print(f"| {mode} | {int(send) / float(secs):,.0f} | {statistics.median(lat):.1f} | {p99:.1f} | {lat[-1]:.1f} | {len(lat)} | {left} | {done} |")
PY
)")
done

echo
echo "pigeonhole: $prune to prune (retention $keep) while $sessions sessions send $send × 1 KiB; $(nproc) cores; $(date -u +%F)"
echo
echo "| retention | ingest msg/s | probe 250 median ms | p99 ms | max ms | probe messages | messages after | prune done |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
printf '%s\n' "${rows[@]}"
