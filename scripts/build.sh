#!/usr/bin/env bash
# Builds the native core and tests, the x64 DLL and tools, and the x86 DLL.
#   scripts/build.sh [linux|windows|windows-x86]...   (default: all three)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$RH_ROOT"
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(linux windows windows-x86)
for p in "${presets[@]}"; do
  rh_say "build: $p"
  rh_build "$p"
done
