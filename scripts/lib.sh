# Shared by the project's scripts: sourced, never run.
# shellcheck shell=bash

RH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export WINEPREFIX="${WINEPREFIX:-$RH_ROOT/build/wineprefix}"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"
unset DISPLAY WAYLAND_DISPLAY

rh_say() { printf '\n== %s\n' "$*"; }

# Configures and builds one CMake preset.
rh_build() {
  local preset=$1
  shift
  cmake --preset "$preset" "$@" >/dev/null
  cmake --build --preset "$preset"
}

# One persistent wineserver for the whole run, and the prefix's services
# started outside any test (they would otherwise hold a test's output open and
# make ctest wait): about 0.1 s a Wine test instead of 3 s.
rh_wine_start() {
  mkdir -p "$(dirname "$WINEPREFIX")"
  /usr/lib/wine/wineserver -p </dev/null >/dev/null 2>&1 || true
  /usr/lib/wine/wine64 wineboot -i </dev/null >/dev/null 2>&1
}

rh_wine_stop() {
  /usr/lib/wine/wineserver -k </dev/null >/dev/null 2>&1 || true
}
