#!/usr/bin/env bash
# The first quick-start command: installs what is missing, builds rashangup.dll,
# installs and registers it in a Wine prefix the way an administrator would on a
# RRAS server, lets rrashost.exe play the RemoteAccess service over a scenario of
# VPN connections, and shows the hangup records written.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$RH_ROOT"

rh_say "dependencies"
bash scripts/deps.sh build
rh_say "build"
rh_build windows

rh_say "Wine prefix ($WINEPREFIX)"
rh_wine_start
trap rh_wine_stop EXIT
wine() { /usr/lib/wine/wine64 "$@"; }
# Shows an administrator's command, then runs it under Wine.
admin() {
  printf '  C:\\> %s\n' "$*"
  wine "$@" >/dev/null
}

drive_c="$WINEPREFIX/drive_c"
install_dir='C:\Program Files\RasHangup'
mkdir -p "$drive_c/Program Files/RasHangup"
cp build/windows/rashangup.dll build/windows/rrashost.exe "$drive_c/Program Files/RasHangup/"
rm -f "$drive_c/ProgramData/RasHangup/hangups.jsonl" "$drive_c/ProgramData/RasHangup/hangups.csv"

rh_say "register the DLL with RRAS; configure a JSON Lines sink and a CSV sink"
wine reg delete 'HKLM\SOFTWARE\RasHangup' /f >/dev/null 2>&1 || true # a fresh configuration
admin regsvr32 /s "$install_dir\\rashangup.dll"
admin reg add 'HKLM\SOFTWARE\RasHangup\Sinks\jsonl' /v Type /t REG_SZ /d file /f
admin reg add 'HKLM\SOFTWARE\RasHangup\Sinks\jsonl' /v Path /t REG_EXPAND_SZ \
  /d '%ProgramData%\RasHangup\hangups.jsonl' /f
admin reg add 'HKLM\SOFTWARE\RasHangup\Sinks\jsonl' /v Format /t REG_SZ /d json /f
admin reg add 'HKLM\SOFTWARE\RasHangup\Sinks\csv' /v Type /t REG_SZ /d file /f
admin reg add 'HKLM\SOFTWARE\RasHangup\Sinks\csv' /v Path /t REG_EXPAND_SZ \
  /d '%ProgramData%\RasHangup\hangups.csv' /f
admin reg add 'HKLM\SOFTWARE\RasHangup\Sinks\csv' /v Format /t REG_SZ /d csv /f

rh_say "rrashost.exe plays RemoteAccess: 12 connections (SSTP, L2TP, IKEv2) on 4 threads"
wine "$install_dir\\rrashost.exe" --replay --connections 12 --threads 4 --seed 2026

rh_say "records in C:\\ProgramData\\RasHangup\\hangups.jsonl"
cat "$drive_c/ProgramData/RasHangup/hangups.jsonl"
rh_say "the same records in C:\\ProgramData\\RasHangup\\hangups.csv (header and first rows)"
head -n 4 "$drive_c/ProgramData/RasHangup/hangups.csv"
rh_say "rashangup's own log, C:\\ProgramData\\RasHangup\\rashangup.log (last lines)"
tail -n 4 "$drive_c/ProgramData/RasHangup/rashangup.log"
