#!/usr/bin/env bash
# Import throughput: a 10 000-message mbox into a fresh store with `pigeonhole import`, in
# messages per second, beside a reference run in the same invocation: Python's stdlib
# `mailbox.mbox` only reading the same file (no parsing, no store). Then the export back
# to mboxrd, and a check that every message was stored and the round trip is byte-exact.
# A benchmark, not a test: nothing in CI runs it.
#
# Usage: bench/import.sh [--messages N] [--no-build]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n=10000
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --messages) n="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
target="${CARGO_TARGET_DIR:-$root/target}"
bin="${PIGEONHOLE_CLI:-$target/release/pigeonhole}"
if [ "$build" = 1 ]; then cargo build --release -q -p pigeonhole-cli; fi
[ -x "$bin" ] || { echo "no $bin (build it, or set PIGEONHOLE_CLI)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mbox="$work/bench.mbox"

python3 - "$n" "$mbox" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(7)
words = "invoice order shipped account reset password welcome report weekly total".split()
with open(path, "wb") as f:
    for i in range(n):
        body_lines = []
        for _ in range(rng.randint(20, 120)):
            line = " ".join(rng.choice(words) for _ in range(rng.randint(4, 12)))
            # Every 50th message has body lines the mbox must quote.
            if i % 50 == 0 and rng.random() < 0.1:
                line = ("From " if rng.random() < 0.5 else ">From ") + line
            body_lines.append(line)
        msg = (f"From: app{i % 37}@shop.example\r\nTo: user{i % 101}@x.example\r\n"
               f"Subject: {rng.choice(words)} {i}\r\nMessage-ID: <{i}@bench>\r\n"
               f"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\n" + "\r\n".join(body_lines) + "\r\n")
        raw = msg.encode()
        out = [b"From app@shop.example Tue Dec  1 10:00:00 2026\n"]
        for line in raw.splitlines(keepends=True):
            stripped = line.lstrip(b">")
            out.append(b">" + line if stripped.startswith(b"From ") else line)
        out.append(b"\n")
        f.write(b"".join(out))
PY
size=$(stat -c %s "$mbox")
echo "mbox: $n messages, $((size / 1024 / 1024)) MiB"

now() { date +%s.%N; }
rate() { python3 -c "import sys; n, a, b = map(float, sys.argv[1:]); print(f'{n / (b - a):.0f}')" "$@"; }

t0=$(now)
python3 -c "
import mailbox, sys
c = sum(1 for _ in mailbox.mbox(sys.argv[1], create=False).itervalues())
assert c == int(sys.argv[2]), c
" "$mbox" "$n"
t1=$(now)
ref=$(rate "$n" "$t0" "$t1")

data="$work/data"
t0=$(now)
if command -v /usr/bin/time >/dev/null; then
  /usr/bin/time -f "%M" -o "$work/rss" "$bin" import --data-dir "$data" "$mbox" >"$work/import.out"
else
  "$bin" import --data-dir "$data" "$mbox" >"$work/import.out"
fi
t1=$(now)
imp=$(rate "$n" "$t0" "$t1")
cat "$work/import.out"
stored=$("$bin" count --data-dir "$data" --query is:imported)
[ "$stored" = "$n" ] || { echo "only $stored of $n stored" >&2; exit 1; }

t0=$(now)
"$bin" export --data-dir "$data" --mbox "$work/back.mbox" >/dev/null
t1=$(now)
exp=$(rate "$n" "$t0" "$t1")
# The generator writes the same From_ line for every message and so does not match the
# export's From_ lines (received time); compare the messages, not the files.
python3 - "$mbox" "$work/back.mbox" <<'PY'
import sys
def msgs(p):
    out, cur = [], None
    for line in open(p, "rb"):
        if line.startswith(b"From "):
            if cur is not None: out.append(b"".join(cur))
            cur = []
        else:
            cur.append(line)
    out.append(b"".join(cur))
    return out
a, b = msgs(sys.argv[1]), msgs(sys.argv[2])
assert a == b, "the export differs from the input"
print(f"round trip: {len(a)} messages byte-exact")
PY

echo
echo "| run | messages/s |"
echo "|---|---|"
echo "| reference: Python mailbox.mbox, read only | $ref |"
echo "| pigeonhole import (parse, envelope, summary, store, index) | $imp |"
echo "| pigeonhole export --mbox | $exp |"
python3 -c "import sys; print(f'ratio import / reference: {float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$imp" "$ref"
[ -f "$work/rss" ] && echo "import peak RSS: $(( $(cat "$work/rss") / 1024 )) MiB"
