#!/usr/bin/env bash
# Runs a Windows test under Wine with Unix symbolic links laid in the prefix,
# standing in for the junctions and symbolic links an attacker would plant on
# Windows. Wine 8 can make neither, follows Unix links, and moves a link's
# target rather than the link: so links are made here, on the test's request.
#
#   with_links.sh WINE-RUN TEST.exe [ARGS...]
#
# C:\rh-links (RH_LINKS_DIR) holds target\ (where an attacker wants SYSTEM to
# write), target\victim.txt ("victim\n": a file an attacker wants overwritten)
# and dirlink, a link to target\. To lay or remove a link, the test writes
# C:\rh-links\request ("ln TARGET LINK" or "rm LINK", paths relative to C:\
# with "/") and waits for C:\rh-links\done.
set -euo pipefail
wine_run=$1
shift
prefix="${WINEPREFIX:-$(cd "$(dirname "$0")/../.." && pwd)/build/wineprefix}"
c="$prefix/drive_c"
links="$c/rh-links"
rm -rf "$links"
mkdir -p "$links/target"
printf 'victim\n' >"$links/target/victim.txt"
ln -s "$links/target" "$links/dirlink"

serve() {
  while :; do
    if [ -f "$links/request" ]; then
      read -r op a b <"$links/request" || true
      rm -f "$links/request"
      case $op in
      ln) ln -sfn "$c/$a" "$c/$b" ;;
      rm) rm -f "$c/$a" ;;
      esac
      : >"$links/done"
    fi
    sleep 0.02
  done
}
serve &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$links"' EXIT
export RH_LINKS_DIR='C:\rh-links'
"$wine_run" "$@"
