#!/bin/bash
# `gen scenario` makes traces the model accepts: 100 seeds, each replayed
# with --verify (every invariant after every op); the same seed gives the
# same bytes, with and without --count; every trace has 5 to 30 ops.
set -u
mm="$1"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

"$mm" gen scenario --seed 1 --count 100 -o "$tmp/s" || fail "gen --count"
[ "$(ls "$tmp/s" | wc -l)" -eq 100 ] || fail "--count 100 wrote $(ls "$tmp/s" | wc -l) files"
for f in "$tmp"/s/*.textproto; do
  if ! "$mm" replay --verify "$f" -o /dev/null 2>"$tmp/err"; then
    fail "$(basename "$f"): $(head -n 1 "$tmp/err")"
    continue
  fi
  ops="$("$mm" stats "$f" | sed -n 's/^ops: //p')"
  { [ "$ops" -ge 5 ] && [ "$ops" -le 30 ]; } || fail "$(basename "$f"): $ops ops"
done
"$mm" gen scenario --seed 17 -o "$tmp/one.textproto" || fail "gen one"
cmp -s "$tmp/one.textproto" "$tmp/s/scenario_17.textproto" ||
  fail "seed 17 alone differs from seed 17 of --count"
"$mm" gen scenario --seed 17 --no-anon-reads -o "$tmp/noreads.textproto"
grep -q "no-anon-reads" "$tmp/noreads.textproto" || fail "--no-anon-reads not in the header"
echo "$fails failures"
[ "$fails" -eq 0 ]
