#!/bin/bash
# The workload generators (churn, balloon, malloc, fork-cow, file-truncate,
# fragment): every trace each makes, under each knob, at two seeds and two
# sizes, passes the validator and replays without error under its profile
# (with the model's invariants checked after every op, as a non-opt build
# does); the same flags and seed give the same bytes; --ops counts the ops
# after setup; every bad flag is one line naming it and its range, exit 2;
# and each committed generator trace in traces/golden is what its header's
# generator, seed and parameters make today.
set -u
mm="$1"
golden_dir="$2"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

configs=(
  "churn"
  "churn --mthp-orders 4 --mix touch:10,dontneed:10,unmap-tail:10,unmap:10,shrink:5"
  "churn --mthp-orders 2,3,4,5,6,7,8 --processes 3"
  "balloon"
  "balloon --punch-size 64K --pattern strided --mapped --khugepaged-every 4"
  "balloon --punch-size 16K --pattern sequential --reclaim dontneed --khugepaged-every 3"
  "balloon --punch-size 2M --pattern random --mapped"
  "malloc"
  "malloc --mthp-orders 4,9 --sizes 64K,2M,12K --mix free:0,partial-free:50"
  "fork-cow --parent-mib 4"
  "fork-cow --parent-mib 2 --children 3 --write-percent 50 --write-size 64K"
  "file-truncate"
  "file-truncate --fs pagecache --sizes 12K,3M --files 2 --mix unlink:30"
)
for cfg in "${configs[@]}"; do
  for ops in 30 300; do
    for seed in 1 2; do
      name="$cfg --ops $ops --seed $seed"
      # shellcheck disable=SC2086
      if ! "$mm" gen $cfg --memory-mib 8 --ops "$ops" --seed "$seed" \
          -o "$tmp/a.mmt" 2>"$tmp/err"; then
        fail "gen $name: $(head -n 1 "$tmp/err")"
        continue
      fi
      # shellcheck disable=SC2086
      "$mm" gen $cfg --memory-mib 8 --ops "$ops" --seed "$seed" -o "$tmp/b.mmt"
      cmp -s "$tmp/a.mmt" "$tmp/b.mmt" || fail "gen $name: not deterministic"
      "$mm" replay --verify "$tmp/a.mmt" -o /dev/null 2>"$tmp/err" ||
        fail "replay $name: $(head -n 1 "$tmp/err")"
    done
  done
done
for s in 3 5; do
  "$mm" gen fragment --memory-mib 8 --seed "$s" -o "$tmp/f.mmt" &&
    "$mm" replay --verify "$tmp/f.mmt" -o /dev/null 2>"$tmp/err" ||
    fail "fragment seed $s: $(head -n 1 "$tmp/err")"
done

# Another seed, another trace.
"$mm" gen malloc --memory-mib 16 --ops 100 --seed 1 -o "$tmp/s1.mmt"
"$mm" gen malloc --memory-mib 16 --ops 100 --seed 2 -o "$tmp/s2.mmt"
cmp -s "$tmp/s1.mmt" "$tmp/s2.mmt" && fail "malloc: the seed is ignored"

# --ops counts the ops after setup: balloon --ops 20 punches 20 times (the
# fill of a 16 MiB guest is 8 writes on top); a collapse counts as an op.
count() { "$mm" stats "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
"$mm" gen balloon --memory-mib 16 --ops 20 -o "$tmp/b20.mmt"
[ "$(count "$tmp/b20.mmt" punch_hole)" = 20 ] ||
  fail "balloon --ops 20: $(count "$tmp/b20.mmt" punch_hole) punches"
[ "$(count "$tmp/b20.mmt" file_write)" = 8 ] ||
  fail "balloon: the fill is $(count "$tmp/b20.mmt" file_write) writes, not 8"
"$mm" gen balloon --memory-mib 16 --ops 20 --reclaim dontneed \
  --khugepaged-every 4 -o "$tmp/bk.mmt"
[ "$(count "$tmp/bk.mmt" madvise)" = 16 ] && [ "$(count "$tmp/bk.mmt" collapse)" = 4 ] ||
  fail "balloon --khugepaged-every 4 --ops 20: $(count "$tmp/bk.mmt" madvise) dontneeds, $(count "$tmp/bk.mmt" collapse) collapses"
"$mm" gen churn --memory-mib 16 --processes 5 --ops 30 -o "$tmp/c.mmt"
ops="$("$mm" stats "$tmp/c.mmt" | sed -n 's/^ops: //p')"
[ "$ops" = 35 ] || fail "churn --ops 30 --processes 5: $ops ops, not 30 + 5 creates"
"$mm" gen fork-cow --memory-mib 16 --parent-mib 4 --ops 10 -o "$tmp/fc.mmt"
ops="$("$mm" stats "$tmp/fc.mmt" | sed -n 's/^ops: //p')"
[ "$ops" = 14 ] || fail "fork-cow --ops 10: $ops ops, not 10 + create, mmap, 2 writes"

# Bad flags: exit 2, one line naming the flag and what it takes.
bad() {
  local want="$1"
  shift
  "$mm" gen "$@" -o "$tmp/bad.mmt" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  [ "$rc" = 2 ] || fail "gen $*: exit $rc, not 2"
  [ "$(wc -l <"$tmp/err")" = 1 ] || fail "gen $*: $(wc -l <"$tmp/err") lines on stderr"
  grep -qF -- "$want" "$tmp/err" || fail "gen $*: '$(cat "$tmp/err")' lacks '$want'"
  [ -e "$tmp/bad.mmt" ] && fail "gen $*: wrote a trace"
}
bad "--ops: must be 1..1000000000000" churn --ops 0
bad "--memory-mib: must be a multiple of 4 from 4 to" malloc --memory-mib 6
bad "--memory-mib: must be 4..2096128" malloc --memory-mib 0
bad "--processes: must be 1..1048576" churn --processes 0
bad "--processes: must be 1..1 (each needs room" malloc --memory-mib 4 --processes 2
bad "--mthp-orders: must be ascending orders from 2 to 9" churn --mthp-orders 1,4
bad "--mthp-orders: must be ascending orders from 2 to 9" malloc --mthp-orders 4,2
bad "--mix: must be KIND:WEIGHT,... with KIND one of touch, dontneed, unmap-tail, unmap, shrink" churn --mix touch:x
bad "--mix: must be KIND:WEIGHT" malloc --mix use:0,free:0,partial-free:0,shrink:0
bad "--mix: must be KIND:WEIGHT,... with KIND one of truncate, punch, write, unlink" file-truncate --mix grow:1
bad "--punch-size: must be a multiple of 4K from 4K to 1G" balloon --punch-size 6K
bad "--punch-size: must be a power of two from 4K to 1G" balloon --punch-size 12K
bad "--punch-size: must be a multiple of 4K from 4K to 1G" balloon --punch-size 2G
bad "--pattern: must be random, sequential or strided (got 'alternate')" balloon --pattern alternate
bad "--pattern: must be random or alternate (got 'strided')" fragment --pattern strided
bad "--reclaim: must be punch or dontneed (got 'free')" balloon --reclaim free
bad "--khugepaged-every: needs --mapped or --reclaim dontneed" balloon --khugepaged-every 2
bad "--khugepaged-every: must be 0..1000000" balloon --mapped --khugepaged-every 1000001
bad "--children: must be 1..1000" fork-cow --children 0
bad "--write-percent: must be 1..100" fork-cow --write-percent 101
bad "--write-size: must be a multiple of 4K from 4K to 2M" fork-cow --write-size 4M
bad "--parent-mib: must be 2.." fork-cow --memory-mib 16 --parent-mib 1000
bad "--parent-mib: must be a multiple of 2" fork-cow --parent-mib 3
bad "--files: must be 1..384 (files of the largest" file-truncate --files 0
bad "--files: must be 1..1 (files of the largest" file-truncate --memory-mib 16 --sizes 8M --files 2
bad "--sizes: must be a multiple of 4K from 4K to 1G" file-truncate --sizes 64K,5000
bad "--sizes: must be a multiple of 4K from 4K to 64M" malloc --sizes 128M
bad "--fs: must be tmpfs or pagecache (got 'ext4')" file-truncate --fs ext4
bad "--punch-size: not a flag of gen churn" churn --punch-size 4K
bad "--ops: not a flag of gen fragment" fragment --ops 10
bad "--mapped: not a flag of gen malloc" malloc --mapped
bad "--count: not a flag of gen balloon" balloon --count 2

# Each generator's golden trace is what its header's command makes today.
n=0
for t in "$golden_dir"/gen_*.textproto; do
  generator="$(sed -n 's/^ *generator: "\(.*\)"$/\1/p' "$t")"
  seed="$(sed -n 's/^ *seed: \([0-9]*\)$/\1/p' "$t")"
  params="$(sed -n 's/^ *parameters: "\(.*\)"$/\1/p' "$t")"
  # shellcheck disable=SC2086
  "$mm" gen "$generator" --seed "$seed" $params -o "$tmp/regen.textproto" ||
    fail "$(basename "$t"): gen $generator --seed $seed $params failed"
  cmp -s "$t" "$tmp/regen.textproto" ||
    fail "$(basename "$t"): gen $generator --seed $seed $params makes another trace"
  n=$((n + 1))
done
for g in churn balloon malloc fork-cow file-truncate fragment; do
  grep -lq "generator: \"$g\"" "$golden_dir"/gen_*.textproto ||
    fail "no golden trace of generator $g"
done
echo "$n golden generator traces, $fails failures"
[ "$fails" -eq 0 ]
