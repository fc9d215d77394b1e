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

# The bench measures its CPU at rest; the bytes it writes are read here, from
# Linux, at the edges of its window (/proc/PID/io write_bytes: pages the process
# dirtied, files and the mapped journal alike; Wine's GetProcessIoCounters
# returns zeros), with the bytes of journal.dat that changed, and handed back
# to it in $sync/io for its table.
idle() {
  local sync pid w0 w1 changed=n/a
  local journal=$WINEPREFIX/drive_c/ProgramData/RasHangup/journal/journal.dat
  sync=$(mktemp -d /tmp/rashangup-idle.XXXXXX)
  RH_BENCH_SYNC=$sync /usr/lib/wine/wine64 bench_delivery.exe idle "$@" &
  pid=$!
  if wait_for "$sync/ready" "$pid"; then
    w0=$(awk '/^write_bytes/ { print $2 }' "/proc/$pid/io")
    if [ -f "$journal" ]; then cp "$journal" "$sync/journal.0"; fi
    touch "$sync/go"
    if wait_for "$sync/done" "$pid"; then
      w1=$(awk '/^write_bytes/ { print $2 }' "/proc/$pid/io")
      if [ -f "$sync/journal.0" ]; then
        changed=$({ cmp -l "$sync/journal.0" "$journal" || true; } | wc -l)
      fi
      echo "$((w1 - w0)) | $changed" >"$sync/io"
      touch "$sync/end"
    fi
  fi
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
for kind in floor 1 4; do
  idle "$kind" 20
done
run startup 500000

# Into real collectors on loopback, in the same run: the file sink above is the yardstick.
bash "$peers/with_rsyslog.sh" bench_delivery.exe collector syslog 100000
for window in 1 32 128; do
  bash "$peers/with_freeradius.sh" "$RH_ROOT/scripts/wine-run" bench_delivery.exe collector radius 20000 "$window"
done
