#!/usr/bin/env bash
# Runs a test against a real FreeRADIUS on loopback, started unprivileged.
#
#   with_freeradius.sh COMMAND [ARGS...]
#
# The test learns the server through RH_RADIUS_PORT and RH_RADIUS_SECRET, and
# finds the accounting detail file in RH_RADIUS_ACCT/127.0.0.1/detail. To restart
# the server in the middle of a run, the test creates RH_PEER_DIR/restart-request
# and waits for RH_PEER_DIR/restart-done.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/rashangup-radius.XXXXXX)
secret="rh-$RANDOM$RANDOM"
pid=

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

source "$here/peer_lib.sh"
port=$(free_port)
mkdir -p "$dir/log" "$dir/acct" "$dir/run"
sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@SECRET@|$secret|g" \
  "$here/radiusd.conf.in" >"$dir/radiusd.conf"
# FreeRADIUS refuses a configuration others can write. As root, it runs as nobody,
# in a directory that is nobody's; as anyone else, as that user.
chmod -R 0755 "$dir"
if [ "$(id -u)" -eq 0 ]; then
  chown -R 65534:65534 "$dir"
fi
mkdir -p "$dir/peer"
chmod 0777 "$dir/peer"

start() {
  "${as_peer[@]}" freeradius -f -d "$dir" >>"$dir/out.txt" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    ss -Hlnu "( sport = :$port )" | grep -q . && return
    sleep 0.05
  done
  echo "freeradius did not start:" >&2
  cat "$dir/out.txt" "$dir/log/radius.log" >&2 2>/dev/null || true
  exit 1
}

start
export RH_RADIUS_PORT=$port RH_RADIUS_SECRET=$secret RH_RADIUS_ACCT=$dir/acct
export RH_RADIUS_LOG=$dir/log/radius.log RH_PEER_DIR=$dir/peer
status=0
rh_peer_run "$dir/peer" "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- FreeRADIUS's log:" >&2
  cat "$dir/log/radius.log" >&2 2>/dev/null || true
fi
exit "$status"
