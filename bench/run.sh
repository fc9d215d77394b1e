#!/usr/bin/env bash
# Record benchmark: wall time per record (noisy: compare modes within one run) and
# instructions per record under callgrind (repeatable), for docs/benchmarks.md.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$RH_ROOT"
command -v valgrind >/dev/null || { echo "bench: valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
rh_build bench >/dev/null
bin=build/bench/bench_record

echo "== time (1,000,000 records each, one run)"
"$bin" all 1000000

echo
echo "== instructions per record (callgrind, 20,000 minus 10,000 records)"
count() {
  local out
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$1" "$2" >/dev/null 2>&1
  sed -n 's/^summary: //p' "$out"
  rm -f "$out"
}
for mode in convert json csv syslog; do
  a=$(count "$mode" 10000)
  b=$(count "$mode" 20000)
  printf '%-8s %6d instructions/record\n' "$mode" $(((b - a) / 10000))
done
