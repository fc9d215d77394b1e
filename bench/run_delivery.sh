#!/usr/bin/env bash
# Delivery benchmark under Wine, all in one run (figures in docs/benchmarks.md):
# hangup-callback latency for a healthy sink, a stalled sink and the reference DLL
# that does its work in the callback; sustained delivery; a burst from 8 threads;
# private memory under a backlog of 1,000,000 records.
# Then, against the floor (floordll.dll, whose callbacks only copy the structure;
# bench/bench_callback.c): the hangup callback of six DLLs and configurations,
# paced at 1,000/s and in bursts from 1, 2 and 8 threads; the accept callback; the
# time from a hangup to its line in the file; CPU and bytes written at rest; start
# and stop with a backlog of 500,000 records. Last, delivery into real collectors.
# About 8 minutes on 2 cores.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$RH_ROOT"
bash scripts/deps.sh test >/dev/null
rh_build windows -DRASHANGUP_TESTS=ON -DRASHANGUP_BENCH=ON >/dev/null
rh_wine_start
trap rh_wine_stop EXIT
cd build/windows
peers=$RH_ROOT/tests/peers
run() { /usr/lib/wine/wine64 bench_delivery.exe "$@"; }

# Until file $1 exists, while process $2 runs (at most 60 s).
wait_for() {
  local _
  for _ in $(seq 1 1200); do
    [ -e "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# The process's CPU time from Linux, in microseconds: all its threads' schedstat.
cpu_us() {
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ ns += $1 } END { printf "%d", ns / 1000 }'
}

# At rest, one process for all the windows (idle SECONDS KIND...): at the edges
# of each, this script reads from Linux the process's CPU time and the bytes it
# wrote (/proc/PID/io write_bytes: pages it dirtied, files and the mapped
# journal alike; Wine's GetProcessIoCounters returns zeros), with the bytes of
# journal.dat that changed, and hands them to the bench in $sync/io.N.
idle() {
  local seconds=$1 sync pid i=0 c0 c1 w0 w1 changed _
  local journal=$WINEPREFIX/drive_c/ProgramData/RasHangup/journal/journal.dat
  shift
  sync=$(mktemp -d)
  RH_BENCH_SYNC=$sync /usr/lib/wine/wine64 bench_delivery.exe idle "$seconds" "$@" &
  pid=$!
  for _ in "$@"; do
    wait_for "$sync/ready.$i" "$pid" || break
    c0=$(cpu_us "$pid")
    w0=$(awk '/^write_bytes/ { print $2 }' "/proc/$pid/io")
    rm -f "$sync/journal.0"
    if [ -f "$journal" ]; then cp "$journal" "$sync/journal.0"; fi
    touch "$sync/go.$i"
    wait_for "$sync/done.$i" "$pid" || break
    c1=$(cpu_us "$pid")
    w1=$(awk '/^write_bytes/ { print $2 }' "/proc/$pid/io")
    changed=n/a
    if [ -f "$sync/journal.0" ]; then
      changed=$({ cmp -l "$sync/journal.0" "$journal" || true; } | wc -l)
    fi
    echo "$((c1 - c0)) $((w1 - w0)) $changed" >"$sync/io.$i"
    touch "$sync/end.$i"
    i=$((i + 1))
  done
  wait "$pid"
  rm -rf "$sync"
}

for kind in healthy stalled reference; do
  run latency "$kind" 50000
done
run sustained 200000
run burst 100000 8
run backlog 1000000

# Against the floor.
run callback 5000 20000
bash "$peers/with_freeradius.sh" "$RH_ROOT/scripts/wine-run" bench_delivery.exe accept 5000
run line 1000
idle 20 floor 1 4
run startup 500000

# Into real collectors on loopback, in the same run: the file sink above is the yardstick.
bash "$peers/with_rsyslog.sh" bench_delivery.exe collector syslog 100000
for window in 1 32 128; do
  bash "$peers/with_freeradius.sh" "$RH_ROOT/scripts/wine-run" bench_delivery.exe collector radius 20000 "$window"
done
