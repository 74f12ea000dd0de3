#!/bin/bash
# docs/architecture.md's table "Kernel function to file" stays true: every
# row's kernel function is named (as a word) in the file the row gives.
# Rows look like: | `function_name` | mm/file.cc | what it does |
set -u
doc="$1"
fails=0
rows=0
while IFS='|' read -r _ fn file _; do
  fn="$(echo "$fn" | tr -d ' `')"
  file="$(echo "$file" | tr -d ' `')"
  [ -z "$fn" ] && continue
  rows=$((rows + 1))
  if [ ! -f "$file" ]; then
    echo "FAIL $fn: $file does not exist"
    fails=$((fails + 1))
  elif ! grep -qw -- "$fn" "$file"; then
    echo "FAIL $fn: not named in $file"
    fails=$((fails + 1))
  fi
done < <(sed -n '/^## Kernel function to file/,/^## /p' "$doc" |
  grep -E '^\| `[a-z_0-9]+` \|')
echo "$rows rows, $fails failures"
[ "$rows" -ge 20 ] || { echo "FAIL: the table has fewer than 20 rows"; exit 1; }
[ "$fails" -eq 0 ]
