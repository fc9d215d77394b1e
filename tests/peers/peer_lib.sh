# Shared by the with_*.sh scripts that run a real collector on loopback for a test.
# Source it; then define start and stop (of the collector) before rh_peer_run.

# As root, the collector runs as nobody; as anyone else, as that user.
as_peer=()
if [ "$(id -u)" -eq 0 ]; then
  as_peer=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi

# A TCP and UDP port nothing listens on and not in $taken (free_port runs in a
# subshell: the caller adds what it got to $taken).
taken=" "
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if [[ $taken != *" $p "* ]] && ! ss -Hlntu "( sport = :$p )" | grep -q .; then
      echo "$p"
      return
    fi
  done
  echo "no free port" >&2
  exit 1
}

# Runs the command given, restarting the collector whenever the test creates
# PEER_DIR/restart-request (then PEER_DIR/restart-done says it is back), and
# returns the command's status. Where the script defines them, `freeze` (the
# collector stops reading: PEER_DIR/freeze-request) and `crash` (it dies with
# whatever it had not read, and a new one starts: PEER_DIR/crash-request) are
# requested the same way.
#   rh_peer_run PEER_DIR COMMAND [ARGS...]
rh_peer_run() {
  local peer_dir=$1 test_pid status=0
  shift
  "$@" &
  test_pid=$!
  while kill -0 "$test_pid" 2>/dev/null; do
    if [ -e "$peer_dir/restart-request" ]; then
      rm -f "$peer_dir/restart-request"
      stop
      sleep 0.5
      start
      touch "$peer_dir/restart-done"
    fi
    for op in freeze crash; do
      if [ -e "$peer_dir/$op-request" ] && declare -F "$op" >/dev/null; then
        rm -f "$peer_dir/$op-request"
        "$op"
        touch "$peer_dir/$op-done"
      fi
    done
    sleep 0.05
  done
  wait "$test_pid" || status=$?
  return "$status"
}
