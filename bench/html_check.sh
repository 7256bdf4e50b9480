#!/usr/bin/env bash
# HTML check benchmark (not a test; see README.md): times the caniemail check and the link
# list on a generated newsletter of SIZE KB (default 500), median of RUNS (default 21), next
# to one plain pass over the same bytes.
#
# Usage: bench/html_check.sh [SIZE_KB] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
cargo run --quiet --release -p pigeonhole-core --example html_check_bench -- "${1:-500}" "${2:-21}"
