#!/usr/bin/env bash
# Every relative link in the Markdown documents names a file that exists and, with
# an #anchor, a heading of that file (anchors as GitHub makes them).
#   check_doc_links.sh SOURCE_DIR
set -euo pipefail
root=$1
cd "$root"

# The anchors of a Markdown file's headings, one per line (code blocks skipped).
anchors() {
  awk '/^```/ { code = !code; next } !code && /^#+ / { sub(/^#+ +/, ""); print }' "$1" |
    tr '[:upper:]' '[:lower:]' | sed -e 's/[^a-z0-9 _-]//g' -e 's/ /-/g'
}

bad=0
checked=0
while IFS= read -r file; do
  dir=$(dirname "$file")
  # Links outside code blocks: [text](target), targets without a scheme.
  while IFS= read -r target; do
    [[ $target =~ ^[a-z]+: ]] && continue
    path=${target%%#*}
    anchor=
    [[ $target == *#* ]] && anchor=${target#*#}
    dest=$file
    [ -n "$path" ] && dest=$dir/$path
    checked=$((checked + 1))
    if [ ! -e "$dest" ]; then
      echo "$file: link to $target: no such file"
      bad=$((bad + 1))
    elif [ -n "$anchor" ] && [[ $dest == *.md ]] && ! anchors "$dest" | grep -qxF -- "$anchor"; then
      echo "$file: link to $target: no such heading"
      bad=$((bad + 1))
    fi
  done < <(awk '/^```/ { code = !code; next } !code' "$file" |
    grep -oE '\]\([^) ]+\)' | sed -e 's/^](//' -e 's/)$//')
done < <(git ls-files '*.md')
echo "$checked link(s) checked, $bad broken"
[ "$bad" -eq 0 ]
