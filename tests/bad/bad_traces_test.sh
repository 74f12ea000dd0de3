#!/bin/bash
# For every malformed trace here: `mmreplay replay` must exit 2 with exactly
# the line in <case>.err on stderr, and leave no output file (nor any
# temporary file) behind; where `mmreplay convert` fails on it, it must leave
# nothing behind either.
set -u
mmreplay="$1"
dir=tests/bad
out="${TEST_TMPDIR:-$(mktemp -d)}/out"
failures=0
cases=0
for trace in "$dir"/*.textproto "$dir"/*.mmt; do
  name="${trace##*/}"
  name="${name%.*}"
  cases=$((cases + 1))
  rm -rf "$out" && mkdir -p "$out"
  stderr="$("$mmreplay" replay "$trace" -o "$out/$name.log" 2>&1 >/dev/null)"
  status=$?
  expected="$(cat "$dir/$name.err")"
  if [ "$status" -ne 2 ]; then
    echo "FAIL $name: exit status $status, want 2"
    failures=$((failures + 1))
  elif [ "$stderr" != "$expected" ]; then
    echo "FAIL $name:"
    echo "  got:  $stderr"
    echo "  want: $expected"
    failures=$((failures + 1))
  fi
  rm -rf "$out" && mkdir -p "$out"
  # Errors only a replay finds (a touch of an unmapped address) are not
  # conversion errors: convert succeeds there, and its output may stay.
  if "$mmreplay" convert "$trace" "$out/$name.converted.mmt" >/dev/null 2>&1; then
    continue
  fi
  if [ -n "$(ls -A "$out")" ]; then
    echo "FAIL $name: output left behind: $(ls -A "$out" | tr '\n' ' ')"
    failures=$((failures + 1))
  fi
done
echo "$cases malformed traces, $failures failures"
[ "$cases" -ge 15 ] && [ "$failures" -eq 0 ]
