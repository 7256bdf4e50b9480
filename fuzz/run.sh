#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each for a short, bounded time over the committed
# corpus (fuzz/corpus/<target>). CI runs this from scripts/test; a crash fails it and leaves
# the input in fuzz/artifacts/<target>/.
#
#   fuzz/run.sh              every target, FUZZ_SECONDS (default 20) each
#   fuzz/run.sh mbox ingest  only these
#
# Stable Rust only: RUSTC_BOOTSTRAP=1 lets it accept the -Z sanitizer flags cargo-fuzz
# passes. New inputs found go to a scratch directory, so the committed corpus stays as it is.
# The seed is fixed (FUZZ_SEED, default 1) so a CI run is repeatable; pick another for a new
# exploration.
#
# FUZZ_BUILD sets the build: CI's default is an unoptimised build without a sanitizer, which
# builds from scratch in a few minutes (the core is safe Rust; AddressSanitizer, -O3, makes
# the bundled SQLite alone take many minutes). For long runs: FUZZ_BUILD="--release -s none"
# and FUZZ_RUNS, a number of executions per target instead of the time bound:
#
#   FUZZ_BUILD="--release -s none" FUZZ_RUNS=10000000 FUZZ_SEED=20261203 fuzz/run.sh smtp_data
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export PATH="$HOME/.cargo/bin:$PATH"
export RUSTC_BOOTSTRAP=1
seconds="${FUZZ_SECONDS:-20}"
if [ -n "${FUZZ_RUNS:-}" ]; then
  bound=(-runs="$FUZZ_RUNS") what="$FUZZ_RUNS runs"
else
  bound=(-max_total_time="$seconds") what="${seconds}s"
fi
read -r -a build <<<"${FUZZ_BUILD:---dev -s none}"
targets=("$@")
if [ "${#targets[@]}" = 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi

cargo fuzz build "${build[@]}"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for t in "${targets[@]}"; do
  echo "== fuzz $t ($what)"
  mkdir -p "$scratch/$t" "corpus/$t"
  log="$scratch/$t.log"
  if ! cargo fuzz run "${build[@]}" "$t" "$scratch/$t" "corpus/$t" -- \
    "${bound[@]}" -seed="${FUZZ_SEED:-1}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 80 "$log" >&2
    echo "fuzz target $t failed; the input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)' "$log" || true
done
