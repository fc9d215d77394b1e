#!/usr/bin/env bash
# Builds the package and checks what it holds: the x64 binaries and their sums,
# every administrators' document (docs/*.md but benchmarks.md, docs/howto/*.md) with
# CRLF line ends, the examples; and not the developer documents, the benchmark
# figures or the x86 DLL.
#   package_check.sh CMAKE BUILD_DIR NAME SOURCE_DIR
set -euo pipefail
cmake=$1 build=$2 name=$3 src=$4
"$cmake" --build "$build" --target package_zip >/dev/null
list=$("$cmake" -E chdir "$build" "$cmake" -E tar tf "$name.zip")
want=(x64/rashangup.dll x64/rrashost.exe README.md LICENSE CHANGELOG.md SHA256SUMS
  docs/install.md docs/configuration.md docs/monitoring.md docs/record.md docs/security.md
  docs/glossary.md docs/rrashost.md)
for f in "$src"/docs/*.md "$src"/docs/howto/*.md "$src"/examples/*.reg; do
  [ -e "$f" ] || continue
  rel=${f#"$src"/}
  [ "$rel" = docs/benchmarks.md ] || want+=("$rel")
done
for f in "${want[@]}"; do
  grep -qx "$name/$f" <<<"$list" || { echo "$name.zip lacks $f:"; echo "$list"; exit 1; }
done
# Not for administrators: the developer documents, the benchmarks, the x86 DLL.
if grep -E "^$name/(docs/dev/|docs/dev\$|docs/benchmarks\.md|x86/)" <<<"$list"; then
  echo "$name.zip holds what is not shipped (above)"
  exit 1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$cmake" -E chdir "$dir" "$cmake" -E tar xf "$build/$name.zip"
file "$dir/$name/x64/rashangup.dll" | grep -q 'PE32+ executable (DLL).*x86-64' || { file "$dir/$name/x64/rashangup.dll"; exit 1; }
file "$dir/$name/x64/rrashost.exe" | grep -q 'PE32+ executable.*x86-64' || { file "$dir/$name/x64/rrashost.exe"; exit 1; }
# The sums are those of the binaries shipped, both.
(cd "$dir/$name" && sha256sum -c --quiet SHA256SUMS) || { echo "SHA256SUMS does not match"; exit 1; }
[ "$(wc -l <"$dir/$name/SHA256SUMS")" -eq 2 ] || { echo "SHA256SUMS does not list both binaries"; exit 1; }
# Text documents have CRLF line ends, every line (no lone LF, no doubled CR), and
# say what their source says.
for f in README.md LICENSE CHANGELOG.md "${want[@]}"; do
  case $f in *.md | LICENSE | *.reg) ;; *) continue ;; esac
  p="$dir/$name/$f"
  lf=$(tr -cd '\n' <"$p" | wc -c)
  crlf=$(grep -c $'\r$' "$p" || true)
  [ "$lf" -gt 0 ] && [ "$lf" -eq "$crlf" ] || { echo "$f: $crlf of $lf lines end in CRLF"; exit 1; }
  ! grep -q $'\r\r' "$p" || { echo "$f: a doubled CR"; exit 1; }
  cmp -s <(tr -d '\r' <"$p") <(tr -d '\r' <"$src/$f") || { echo "$f differs from its source"; exit 1; }
done
echo "$name.zip: $(wc -l <<<"$list") entries"
