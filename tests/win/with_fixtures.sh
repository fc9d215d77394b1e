#!/usr/bin/env bash
# Runs a Windows test under Wine with fixtures Wine cannot make itself, laid
# and changed on the test's request.
#
#   with_fixtures.sh WINE-RUN TEST.exe [ARGS...]
#
# Links (RH_LINKS_DIR, C:\rh-links): Unix symbolic links stand in for the
# junctions and symbolic links an attacker would plant on Windows. Wine 8 can
# make neither, follows Unix links, and moves a link's target rather than the
# link. C:\rh-links holds target\ (where an attacker wants SYSTEM to write),
# target\victim.txt ("victim\n": a file an attacker wants overwritten) and
# dirlink, a link to target\.
#
# A share that stops answering (RH_SHARE_DIR, drive R:): a FUSE mount (bindfs)
# whose daemon the test can freeze and thaw. Set only where FUSE can
# be mounted; a test that needs it skips otherwise.
#
# A volume that fills up (RH_SMALL_DIR, drive S:): a 4 MiB tmpfs the tests fill,
# for a disk that runs full part way through a write or a mapping. Set only where
# one can be mounted (as root); a test that needs it skips otherwise.
#
# Requests: the test writes C:\rh-links\request, one line, and waits for
# C:\rh-links\done:
#   ln TARGET LINK   lay a link (paths relative to C:\, with "/")
#   rm LINK          remove it
#   freeze | thaw    stop or resume the share's daemon
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

share=$(mktemp -d /tmp/rashangup-share.XXXXXX)
mkdir -p "$share/backing" "$share/mnt"
share_pid=
unset RH_SHARE_DIR
if command -v bindfs >/dev/null && bindfs "$share/backing" "$share/mnt" 2>/dev/null; then
  share_pid=$(pgrep -n -f "bindfs $share/backing" || true)
  # A drive of its own, as a volume is on Windows: a path through the mount point
  # itself would be refused (Wine reports it as a mount point, which it is).
  # A dangling R: left by a run that was killed is ours to replace.
  if [ -L "$prefix/dosdevices/r:" ] && [ ! -e "$prefix/dosdevices/r:" ]; then
    rm -f "$prefix/dosdevices/r:"
  fi
  if [ -n "$share_pid" ] && [ ! -e "$prefix/dosdevices/r:" ]; then
    ln -s "$share/mnt" "$prefix/dosdevices/r:"
    export RH_SHARE_DIR='R:'
  fi
fi

small=$(mktemp -d /tmp/rashangup-small.XXXXXX)
small_mounted=
unset RH_SMALL_DIR
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=4m,mode=0755 rashangup-small "$small" 2>/dev/null; then
  small_mounted=1
  # As for R:, a dangling S: left by a run that was killed is ours to replace.
  if [ -L "$prefix/dosdevices/s:" ] && [ ! -e "$prefix/dosdevices/s:" ]; then
    rm -f "$prefix/dosdevices/s:"
  fi
  if [ ! -e "$prefix/dosdevices/s:" ]; then
    ln -s "$small" "$prefix/dosdevices/s:"
    export RH_SMALL_DIR='S:'
  fi
fi

serve() {
  while :; do
    if [ -f "$links/request" ]; then
      read -r op a b <"$links/request" || true
      rm -f "$links/request"
      case $op in
      ln) ln -sfn "$c/$a" "$c/$b" ;;
      rm) rm -f "$c/$a" ;;
      freeze) [ -z "$share_pid" ] || kill -STOP "$share_pid" ;;
      thaw) [ -z "$share_pid" ] || kill -CONT "$share_pid" ;;
      esac
      : >"$links/done"
    fi
    sleep 0.02
  done
}

cleanup() {
  kill "$server" 2>/dev/null || true
  if [ -n "$share_pid" ]; then
    kill -CONT "$share_pid" 2>/dev/null || true
    [ "$(readlink "$prefix/dosdevices/r:" 2>/dev/null)" != "$share/mnt" ] || rm -f "$prefix/dosdevices/r:"
    fusermount3 -u "$share/mnt" 2>/dev/null || fusermount -u "$share/mnt" 2>/dev/null ||
      umount -l "$share/mnt" 2>/dev/null || true
  fi
  if [ -n "$small_mounted" ]; then
    [ "$(readlink "$prefix/dosdevices/s:" 2>/dev/null)" != "$small" ] || rm -f "$prefix/dosdevices/s:"
    umount "$small" 2>/dev/null || umount -l "$small" 2>/dev/null || true
  fi
  rm -rf "$links" "$share"
  rmdir "$small" 2>/dev/null || true
}

serve &
server=$!
trap cleanup EXIT
export RH_LINKS_DIR='C:\rh-links'
"$wine_run" "$@"
