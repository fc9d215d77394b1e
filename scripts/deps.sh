#!/usr/bin/env bash
# Installs what the build and the tests need on Debian 12 (bookworm), if missing,
# and fetches cmocka's source from Debian's source package for the Windows test
# build (never committed: it lands in build/deps/).
#
#   scripts/deps.sh [build|test]     (default: test, which needs a little more)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
what=${1:-test}

# Packages: the cross toolchain, Wine (libgnutls30 is only a Recommends of Wine but
# its Schannel needs it), the native build, and dpkg-dev to unpack source packages.
packages=(cmake ninja-build gcc libc6-dev mingw-w64 wine64 libwine libgnutls30 dpkg-dev
  ca-certificates)
if [ "$what" = test ]; then
  packages+=(libcmocka-dev clang-format clang libclang-rt-14-dev)
  # Real collectors for the network sinks' tests, run unprivileged on loopback;
  # rsyslog's TLS driver, and certtool to make the TLS tests' throwaway CA.
  packages+=(rsyslog rsyslog-gnutls rsyslog-relp gnutls-bin freeradius iproute2 util-linux file)
  # A FUSE share whose daemon a test freezes: a journal share that stops answering.
  packages+=(bindfs procps)
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# Source packages need a deb-src entry. Derive one from the system's own deb
# entries (same mirror, suites and keys), so nothing here names a host.
src_list=/etc/apt/sources.list.d/rashangup-deb-src.sources
need_src=0
if [ "$what" = test ] && [ ! -f "$here/build/deps/cmocka/src/cmocka.c" ]; then
  need_src=1
fi
if [ "$need_src" = 1 ] && ! apt-get indextargets 2>/dev/null | grep -q 'Created-By: Sources'; then
  tmp=$(mktemp)
  if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    # deb822: copy each stanza that offers "deb", as "deb-src", main component only.
    awk 'BEGIN { RS=""; ORS="\n\n" }
         /(^|\n)Types:[^\n]*deb([ \n]|$)/ && !/security/ {
           gsub(/Types:[^\n]*/, "Types: deb-src"); print }' \
      /etc/apt/sources.list.d/*.sources > "$tmp"
  fi
  if [ ! -s "$tmp" ] && [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb \(.*\)$/deb-src \1/p' /etc/apt/sources.list | grep -v security > "$tmp" || true
    src_list=/etc/apt/sources.list.d/rashangup-deb-src.list
  fi
  if [ ! -s "$tmp" ]; then
    echo "deps: no Debian package source found in /etc/apt to derive a deb-src entry from" >&2
    exit 1
  fi
  as_root install -m 0644 "$tmp" "$src_list"
  rm -f "$tmp"
  apt_updated=0
else
  apt_updated=1
fi

if [ ${#missing[@]} -gt 0 ] || [ "${apt_updated}" = 0 ]; then
  echo "deps: installing ${missing[*]:-(source index only)}"
  as_root apt-get update -q
  if [ ${#missing[@]} -gt 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      "${missing[@]}"
  fi
fi

if [ "$need_src" = 1 ]; then
  echo "deps: fetching cmocka's source package"
  rm -rf "$here/build/deps/cmocka-fetch"
  mkdir -p "$here/build/deps/cmocka-fetch"
  if ! (cd "$here/build/deps/cmocka-fetch" && apt-get source -q cmocka >/dev/null 2>&1); then
    as_root apt-get update -q
    (cd "$here/build/deps/cmocka-fetch" && apt-get source -q cmocka >/dev/null)
  fi
  dir=$(find "$here/build/deps/cmocka-fetch" -maxdepth 1 -mindepth 1 -type d -name 'cmocka-*' | head -n 1)
  if [ -z "$dir" ] || [ ! -f "$dir/src/cmocka.c" ]; then
    echo "deps: apt-get source cmocka did not give src/cmocka.c" >&2
    exit 1
  fi
  rm -rf "$here/build/deps/cmocka"
  mv "$dir" "$here/build/deps/cmocka"
  rm -rf "$here/build/deps/cmocka-fetch"
fi
