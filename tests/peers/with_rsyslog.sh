#!/usr/bin/env bash
# Runs a Windows test under Wine against a real rsyslogd on loopback.
#
#   with_rsyslog.sh TEST.exe [ARGS...]
#
# The test learns the collector through RH_SYSLOG_UDP_PORT, RH_SYSLOG_TCP_PORT
# and RH_PEER_DIR (rsyslog writes RH_PEER_DIR/out.jsonl). To restart the
# collector in the middle of a run, the test creates RH_PEER_DIR/restart-request
# and waits for RH_PEER_DIR/restart-done.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# The command line after the script: the test (or a benchmark) and its arguments.

dir=$(mktemp -d /tmp/rashangup-rsyslog.XXXXXX)
chmod 0777 "$dir"
pid=

free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! ss -Hlntu "( sport = :$p )" | grep -q .; then
      echo "$p"
      return
    fi
  done
  echo "no free port" >&2
  exit 1
}

# As root, the collector runs as nobody; as anyone else, as that user.
as_peer=()
if [ "$(id -u)" -eq 0 ]; then
  as_peer=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi

start() {
  "${as_peer[@]}" rsyslogd -n -f "$dir/rsyslog.conf" -i "$dir/rsyslog.pid" >>"$dir/rsyslog.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    if ss -Hlnt "( sport = :$tcp )" | grep -q . && ss -Hlnu "( sport = :$udp )" | grep -q .; then
      return
    fi
    sleep 0.05
  done
  echo "rsyslogd did not start:" >&2
  cat "$dir/rsyslog.log" >&2
  exit 1
}

stop() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    wait "$pid" 2>/dev/null || true
  fi
  pid=
}

cleanup() {
  stop
  rm -rf "$dir"
}
trap cleanup EXIT

udp=$(free_port)
tcp=$(free_port)
sed -e "s|@DIR@|$dir|g" -e "s|@UDP@|$udp|g" -e "s|@TCP@|$tcp|g" "$here/rsyslog.conf.in" >"$dir/rsyslog.conf"
rsyslogd -N1 -f "$dir/rsyslog.conf" >/dev/null
start

export RH_SYSLOG_UDP_PORT=$udp RH_SYSLOG_TCP_PORT=$tcp RH_PEER_DIR=$dir
"$root/scripts/wine-run" "$@" &
test_pid=$!
while kill -0 "$test_pid" 2>/dev/null; do
  if [ -e "$dir/restart-request" ]; then
    rm -f "$dir/restart-request"
    stop
    sleep 0.5
    start
    touch "$dir/restart-done"
  fi
  sleep 0.05
done
status=0
wait "$test_pid" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- rsyslogd's log:" >&2
  cat "$dir/rsyslog.log" >&2
  ls -la "$dir" >&2
fi
exit "$status"
