#!/usr/bin/env bash
# Delivery benchmark under Wine, all in one run (figures in docs/benchmarks.md):
# hangup-callback latency for a healthy sink, a stalled sink and the reference DLL
# that does its work in the callback; sustained delivery; a burst from 8 threads;
# private memory under a backlog of 1,000,000 records.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$RH_ROOT"
bash scripts/deps.sh test >/dev/null
rh_build windows -DRASHANGUP_TESTS=ON -DRASHANGUP_BENCH=ON >/dev/null
rh_wine_start
trap rh_wine_stop EXIT
cd build/windows
run() { /usr/lib/wine/wine64 bench_delivery.exe "$@"; }
for kind in healthy stalled reference; do
  run latency "$kind" 50000
done
run sustained 200000
run burst 100000 8
run backlog 1000000
# Into real collectors on loopback, in the same run: the file sink above is the yardstick.
peers=$RH_ROOT/tests/peers
bash "$peers/with_rsyslog.sh" bench_delivery.exe collector syslog 100000
for window in 1 32 128; do
  bash "$peers/with_freeradius.sh" "$RH_ROOT/scripts/wine-run" bench_delivery.exe collector radius 20000 "$window"
done
