#!/usr/bin/env bash
# The second quick-start command, and what CI runs: installs what is missing,
# builds everything, and runs every test (natively with sanitizers, and the
# Windows binaries under Wine).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$RH_ROOT"

rh_say "dependencies"
bash scripts/deps.sh test

for preset in linux fuzz windows-x86; do
  rh_say "build: $preset"
  rh_build "$preset"
done
rh_say "build: windows"
rh_build windows -DRASHANGUP_TESTS=ON -DRASHANGUP_REQUIRE_WINDOWS_TESTS=ON

passed=0
failed=0
run_ctest() {
  local preset=$1 log
  log=$(mktemp)
  rh_say "tests: $preset"
  set +e
  ctest --preset "$preset" 2>&1 | tee "$log"
  set -e
  # "100% tests passed, 0 tests failed out of 7"
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [ -z "$line" ]; then
    failed=$((failed + 1))
  else
    local f total
    f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
    passed=$((passed + total - f))
    failed=$((failed + f))
  fi
  rm -f "$log"
}

run_ctest linux
run_ctest fuzz
rh_wine_start
trap rh_wine_stop EXIT
run_ctest windows

echo
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
