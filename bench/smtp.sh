#!/usr/bin/env bash
# SMTP throughput benchmark: Postfix's smtp-source against smtp-sink (a server that throws
# mail away: the ceiling) and against `pigeonhole serve` (which parses and commits every
# message to SQLite before its 250). Prints a Markdown table. Not a test; see README.md.
#
# Usage: bench/smtp.sh [--fsync] [--repeat N] [--only 1,3] [--no-build]
#   --fsync      pass --fsync to pigeonhole serve (fsync every commit)
#   --repeat N   run each scenario N times per server and keep the best run (default 1)
#   --only LIST  run only these scenario numbers
#   --no-build   skip `cargo build --release -p pigeonhole-cli`
#
# Only 127.0.0.1 is used. smtp-source/smtp-sink come from Debian's postfix package, unpacked
# into bench/.cache (apt-get download + dpkg -x); the Postfix daemon is never installed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

fsync=()
repeat=1
only=""
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --fsync) fsync=(--fsync) ;;
        --repeat) repeat="$2"; shift ;;
        --only) only=",$2,"; shift ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/smtp.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

die() { echo "bench/smtp.sh: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

# shellcheck source=bench/common.sh
. "$here/common.sh"
postfix_tools
pigeonhole_bin "$build"

work=$(mktemp -d "${TMPDIR:-/tmp}/pigeonhole-bench.XXXXXX")
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

stop_server() {
    kill -TERM "$server_pid" 2>/dev/null || true
    # Bounded wait for a clean shutdown, then SIGKILL.
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# Runs smtp-source; sets R_SECS to its wall time. Args: port msgs sessions size newconn
run_source() {
    local port=$1 msgs=$2 sessions=$3 size=$4 newconn=$5 keep=(-d) t0 t1
    [ "$newconn" = 1 ] && keep=()
    t0=$(date +%s.%N)
    timeout 300 "$smtp_source" "${keep[@]}" -s "$sessions" -m "$msgs" -l "$size" \
        -f bench@source.test -t inbox@pigeonhole.test -M source.test -S "bench message" \
        "127.0.0.1:$port" >"$work/source.log" 2>&1 || { cat "$work/source.log" >&2; die "smtp-source failed against 127.0.0.1:$port"; }
    t1=$(date +%s.%N)
    # smtp-source may warn and carry on; any output means not every message went through.
    if [ -s "$work/source.log" ]; then cat "$work/source.log" >&2; die "smtp-source reported problems"; fi
    R_SECS=$(python3 -c "print(f'{$t1 - $t0:.3f}')")
}

# One run against smtp-sink; sets R_SECS.
bench_sink() {
    local port user=()
    port=$(free_port)
    [ "$(id -u)" = 0 ] && user=(-u nobody)
    "$smtp_sink" "${user[@]}" -m 512 "127.0.0.1:$port" 1024 >"$work/sink.log" 2>&1 &
    server_pid=$!
    wait_listening "$port"
    run_source "$port" "$@"
    stop_server
}

# One run against pigeonhole on a fresh data dir; sets R_SECS, R_RSS (KiB), R_CPU (s), R_STORED.
bench_pigeonhole() {
    local port data
    port=$(free_port)
    data="$work/data.$RANDOM$RANDOM"
    PIGEONHOLE_LOG=warn "$pigeonhole" serve --smtp "127.0.0.1:$port" --data-dir "$data" "${fsync[@]}" \
        2>"$work/serve.log" &
    server_pid=$!
    wait_listening "$port"
    run_source "$port" "$@"
    # Every 250 came after its commit, so the store is complete once smtp-source is done.
    R_RSS=$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status")
    R_CPU=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$server_pid/stat")
    stop_server
    R_STORED=$("$pigeonhole" list --data-dir "$data" --json --limit 100000 \
        | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
    rm -rf "$data"
}

# name|messages|sessions|size|new connection per message
scenarios=(
    "1|2000|1|1024|0"
    "2|5000|8|1024|0"
    "3|2000|8|102400|0"
    "4|2000|8|1024|1"
    "5|5000|64|1024|0"
)
describe() { # n msgs sessions size newconn
    local size=$(( $4 / 1024 ))
    local what="$2 × ${size} KiB, $3 session"
    [ "$3" != 1 ] && what+="s"
    [ "$5" = 1 ] && what+=", new connection per message"
    echo "$1. $what"
}

load_before=$(cut -d' ' -f1 /proc/loadavg)
if python3 -c "import sys; sys.exit(0 if $load_before > 0.5 else 1)"; then
    say "warning: load average is $load_before before starting; other work on this machine will skew the numbers"
fi

failed=0
rows=()
for s in "${scenarios[@]}"; do
    IFS='|' read -r n msgs sessions size newconn <<<"$s"
    if [ -n "$only" ] && [[ "$only" != *",$n,"* ]]; then continue; fi
    label=$(describe "$n" "$msgs" "$sessions" "$size" "$newconn")
    best_sink="" best_ph="" peak_rss=0 best_cpu="" stored_all="$msgs"
    for _ in $(seq "$repeat"); do
        say "$label: smtp-sink"
        bench_sink "$msgs" "$sessions" "$size" "$newconn"
        best_sink=$(python3 -c "a='$best_sink'; print(min(float(a), $R_SECS) if a else $R_SECS)")
        say "$label: pigeonhole"
        bench_pigeonhole "$msgs" "$sessions" "$size" "$newconn"
        if [ "$R_STORED" != "$msgs" ]; then
            echo "bench/smtp.sh: FAIL: scenario $n: pigeonhole stored $R_STORED of $msgs messages" >&2
            failed=1
            stored_all="$R_STORED"
        fi
        if [ "$R_RSS" -gt "$peak_rss" ]; then peak_rss=$R_RSS; fi
        if [ -z "$best_ph" ] || python3 -c "import sys; sys.exit(0 if $R_SECS < $best_ph else 1)"; then
            best_ph=$R_SECS best_cpu=$R_CPU
        fi
    done
    rows+=("$(python3 - "$label" "$msgs" "$best_sink" "$best_ph" "$peak_rss" "$best_cpu" "$stored_all" <<'EOF'
import sys
label, msgs, sink, ph, rss, cpu, stored = sys.argv[1:]
msgs, sink, ph, rss, cpu = int(msgs), float(sink), float(ph), int(rss), float(cpu)
sink_rate, ph_rate = msgs / sink, msgs / ph
print(f"| {label} | {sink_rate:,.0f} | {ph_rate:,.0f} | {ph_rate / sink_rate:.2f} | {rss / 1024:.1f} | {stored}/{msgs} | {cpu:.2f} |")
EOF
)")
done

mode="synchronous=NORMAL"
[ ${#fsync[@]} -gt 0 ] && mode="--fsync (synchronous=FULL)"
echo
echo "pigeonhole $mode; $(nproc) cores; best of $repeat; $(date -u +%Y-%m-%d); load average $load_before at start"
echo
echo "| scenario | smtp-sink msg/s | pigeonhole msg/s | ratio | pigeonhole peak RSS MB | stored/expected | pigeonhole CPU s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
if [ "$failed" = 1 ]; then
    die "some messages were not stored (see FAIL lines above)"
fi
