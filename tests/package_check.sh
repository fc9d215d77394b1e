#!/usr/bin/env bash
# Builds the package and checks what it holds.
#   package_check.sh CMAKE BUILD_DIR NAME
set -euo pipefail
cmake=$1 build=$2 name=$3
"$cmake" --build "$build" --target package_zip >/dev/null
list=$("$cmake" -E chdir "$build" "$cmake" -E tar tf "$name.zip")
for f in x64/rashangup.dll x86/rashangup.dll x64/rrashost.exe README.md LICENSE CHANGELOG.md \
  SHA256SUMS docs/configuration.md docs/record.md docs/monitoring.md examples/radius.reg \
  examples/syslog.reg examples/syslog-tls.reg; do
  grep -qx "$name/$f" <<<"$list" || { echo "$name.zip lacks $f:"; echo "$list"; exit 1; }
done
# The x86 DLL is a 32-bit image, the x64 one a 64-bit image.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$cmake" -E chdir "$dir" "$cmake" -E tar xf "$build/$name.zip"
file "$dir/$name/x86/rashangup.dll" | grep -q 'PE32 executable (DLL).*80386' || { file "$dir/$name/x86/rashangup.dll"; exit 1; }
file "$dir/$name/x64/rashangup.dll" | grep -q 'PE32+ executable (DLL).*x86-64' || { file "$dir/$name/x64/rashangup.dll"; exit 1; }
# The sums are those of the binaries shipped, all three.
(cd "$dir/$name" && sha256sum -c --quiet SHA256SUMS) || { echo "SHA256SUMS does not match"; exit 1; }
[ "$(wc -l <"$dir/$name/SHA256SUMS")" -eq 3 ] || { echo "SHA256SUMS lacks a binary"; exit 1; }
echo "$name.zip: $(wc -l <<<"$list") entries"
