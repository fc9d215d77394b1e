#!/usr/bin/env bash
# Every CreateFileW the service makes asks for SECURITY_SQOS_PRESENT |
# SECURITY_IDENTIFICATION (RH_OPEN_FLAGS, files.h): a path that is, or is
# replaced by, a named pipe must never let the pipe's server impersonate
# SYSTEM. Wine ignores these flags (a pipe server always gets impersonation
# level), so the rule is checked here, in the source, call by call.
#
#   check_open_flags.sh SRC_WIN_DIR
set -euo pipefail
dir=$1
status=0
for f in "$dir"/*.c; do
  # Each call from "CreateFileW(" to the ");" that ends it, on one line.
  while IFS= read -r call; do
    [ -n "$call" ] || continue
    if ! grep -q 'RH_OPEN_FLAGS' <<<"$call"; then
      echo "$(basename "$f"): CreateFileW without RH_OPEN_FLAGS: $call"
      status=1
    fi
  done < <(awk '
    /CreateFileW\(/ { on = 1; text = "" }
    on { text = text " " $0; if ($0 ~ /\);/) { gsub(/[ \t]+/, " ", text); print text; on = 0 } }
  ' "$f")
done
calls=$(grep -c 'CreateFileW(' "$dir"/*.c | awk -F: '{ s += $2 } END { print s }')
[ "$calls" -gt 0 ] || { echo "no CreateFileW found in $dir: wrong folder?"; exit 1; }
[ "$status" -eq 0 ] && echo "$calls CreateFileW call(s), each with RH_OPEN_FLAGS"
exit "$status"
