#!/bin/bash
# The command line: help, version, usage errors, missing files, exit codes,
# and the diff, convert and gen round trips, checked on stdout, stderr and
# exit status.
set -u
mm="$1"
seed=traces/golden/seed000_anon_split_at_2.textproto
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fails=0

# expect NAME WANT_STATUS WANT_STDERR_FIRST_LINE -- COMMAND...
# (an empty WANT_STDERR_FIRST_LINE means stderr must be empty)
expect() {
  local name="$1" want_status="$2" want_err="$3"
  shift 4
  "$@" >"$tmp/out" 2>"$tmp/err"
  local status=$?
  local err
  err="$(head -n 1 "$tmp/err")"
  if [ "$status" -ne "$want_status" ]; then
    echo "FAIL $name: exit status $status, want $want_status"
    fails=$((fails + 1))
  elif [ "$err" != "$want_err" ]; then
    echo "FAIL $name: stderr"
    echo "  got:  $err"
    echo "  want: $want_err"
    fails=$((fails + 1))
  fi
}

# stdout_has NAME TEXT: the last command's stdout contains TEXT.
stdout_has() {
  if ! grep -qF -- "$2" "$tmp/out"; then
    echo "FAIL $1: stdout lacks '$2'"
    fails=$((fails + 1))
  fi
}

expect help 0 "" -- "$mm" --help
stdout_has help "usage: mmreplay COMMAND"
stdout_has help "2  trouble"
for c in replay diff convert stats gen log; do
  expect "$c-help" 0 "" -- "$mm" "$c" --help
  stdout_has "$c-help" "usage: mmreplay $c"
  stdout_has "$c-help" "exit status:"
done
# The help's list of profiles is the list the model knows (unknown-profile).
expect replay-help-profiles 0 "" -- "$mm" replay --help
stdout_has replay-help-profiles "Profiles: linux-5.4, linux-6.1, linux-6.6, linux-6.12, linux-6.15, linux-6.18,"
stdout_has replay-help-profiles "seed003-split-all, seed003-v3 (docs/profiles.md)."
expect version 0 "" -- "$mm" --version
stdout_has version "mmreplay 0.1.0"

# replay --summary: a table on stdout and no log there; =json parses as
# JSON; another format is a usage error; with -o the log is written too.
expect summary 0 "" -- "$mm" replay --summary "$seed"
stdout_has summary "profile linux-6.18: 7 ops, 17 events"
stdout_has summary "non_uniform  split_request        9          1         11"
stdout_has summary "  folio_alloc                                       1"
if grep -qE '^[0-9]+ folio_alloc ' "$tmp/out"; then
  echo "FAIL summary: the event log went to stdout too"
  fails=$((fails + 1))
fi
expect summary-json 0 "" -- "$mm" replay --summary=json "$seed"
if ! python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["splits"][0]["pieces"] == "11"' "$tmp/out"; then
  echo "FAIL summary-json: not the JSON expected"
  fails=$((fails + 1))
fi
expect summary-format 2 "mmreplay: replay: --summary: must be table or json, not xml" -- "$mm" replay --summary=xml "$seed"
expect summary-and-log 0 "" -- "$mm" replay --summary "$seed" -o "$tmp/summary.log"
if ! grep -q '^4 folio_alloc' "$tmp/summary.log"; then
  echo "FAIL summary-and-log: no log in the -o file"
  fails=$((fails + 1))
fi

# compare: one trace two ways, side by side; exit 0 equal, 1 different.
expect compare-equal 0 "" -- "$mm" compare --set-b batched_rmap_zap=off "$seed"
stdout_has compare-equal "B: linux-6.18+batched_rmap_zap=off"
stdout_has compare-equal "the two event logs are equal"
expect compare-different 1 "" -- "$mm" compare --profile-a linux-5.4 --profile-b linux-6.18 "$seed"
stdout_has compare-different "deferred adds                                             0              1             +1        -"
stdout_has compare-different "2 ops compared, 2 differ"
expect compare-json 1 "" -- "$mm" compare --profile-a linux-5.4 --json "$seed"
if ! python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["equal"] is False and d["a"]["profile"] == "linux-5.4" and d["b"]["deferred"]["adds"] == "1"' "$tmp/out"; then
  echo "FAIL compare-json: not the JSON expected"
  fails=$((fails + 1))
fi
expect compare-bad-switch 2 "mmreplay: compare: unknown switch 'no_such_switch' (known: anon_mthp, deferred_split_any_order, batched_rmap_zap, thp_underused_shrinker, truncate_non_uniform_split, thp_cow_split_pmd, huge_zero_wp_thp, madv_free_keeps_covered_folios, huge_zero_wp_thp_queued, collapse_read_only_ptes, fork_cow_pinned, truncate_unmap_on_split_failure, shmem_punch_split, migrate_requeue_dst_deferred, compaction_free_set_count, anon_cow_reuse, compact_large_folios)" -- "$mm" compare --set-b no_such_switch=on "$seed"

expect no-args 2 "usage: mmreplay COMMAND [ARGS...]" -- "$mm"
expect unknown-command 2 "mmreplay: unknown command 'rewind'" -- "$mm" rewind
expect unknown-flag 2 "mmreplay replay: unknown flag '--fo'" -- "$mm" replay --fo "$seed"
expect missing-value 2 "mmreplay replay: flag '--profile' needs a value (NAME)" -- "$mm" replay "$seed" --profile
expect missing-arg 2 "mmreplay replay: missing arguments" -- "$mm" replay
expect surplus-arg 2 "mmreplay replay: unexpected argument 'extra'" -- "$mm" replay "$seed" extra
expect missing-file 2 "mmreplay: replay: nope.textproto: No such file or directory" -- "$mm" replay nope.textproto
expect bad-extension 2 "mmreplay: stats: trace.json: unknown trace format: the name must end in .mmt or .textproto" -- "$mm" stats trace.json
expect unknown-profile 2 "mmreplay: replay: unknown profile 'linux-9.9' (known: linux-5.4, linux-6.1, linux-6.6, linux-6.12, linux-6.15, linux-6.18, seed003-split-all, seed003-v3)" -- "$mm" replay --profile linux-9.9 "$seed"

# Every command rejects what replay rejects, with the same line.
expect stats-unknown-profile 2 "mmreplay: stats: tests/bad/unknown_profile.textproto: record 0 (byte 0): header.profile.name: unknown profile 'linux-2.6' (known: linux-5.4, linux-6.1, linux-6.6, linux-6.12, linux-6.15, linux-6.18, seed003-split-all, seed003-v3)" -- "$mm" stats tests/bad/unknown_profile.textproto
expect convert-unknown-profile 2 "mmreplay: convert: tests/bad/unknown_profile.textproto: record 0 (byte 0): header.profile.name: unknown profile 'linux-2.6' (known: linux-5.4, linux-6.1, linux-6.6, linux-6.12, linux-6.15, linux-6.18, seed003-split-all, seed003-v3)" -- "$mm" convert tests/bad/unknown_profile.textproto "$tmp/x.mmt"
expect stats-number-knob 2 "mmreplay: stats: tests/bad/knob_number_with_value.textproto: record 0 (byte 0): header.profile.knob[0].value: KNOB_MAX_PTES_NONE takes a number, not a value" -- "$mm" stats tests/bad/knob_number_with_value.textproto
# diff reads logs, not directories.
expect diff-directory 2 "mmreplay: diff: $tmp: Is a directory" -- "$mm" diff "$tmp" "$seed"
# A machine the model cannot hold is refused before a byte is written: the
# largest each generator takes passes, one more does not.
expect gen-churn-max 0 "" -- "$mm" gen churn --memory-gib 2047 --ops 10 -o "$tmp/big.mmt"
expect gen-churn-too-big 2 "mmreplay: gen: --memory-gib: must be 1..2047 (the model's machine holds at most 2 TiB)" -- "$mm" gen churn --memory-gib 2048 --ops 10 -o "$tmp/toobig.mmt"
expect gen-balloon-max 0 "" -- "$mm" gen balloon --memory-gib 2046 --ops 10 -o "$tmp/bigb.mmt"
expect gen-balloon-too-big 2 "mmreplay: gen: --memory-gib: must be 1..2046 (the model's machine holds at most 2 TiB, the guest's and up to 1 GiB more)" -- "$mm" gen balloon --memory-gib 2047 --ops 10 -o "$tmp/toobigb.mmt"
[ -e "$tmp/toobig.mmt" ] || [ -e "$tmp/toobigb.mmt" ] && { echo "FAIL gen: a refused trace was written"; fails=$((fails + 1)); }
expect gen-max-reads 0 "" -- "$mm" stats "$tmp/bigb.mmt"

# Memory follows what a trace makes live, not the offsets it names: writes
# at 1 TiB and 2^52 bytes replay within a 1 GiB address space.
# (Under ASan, whose shadow memory needs far more address space, without
# the limit.)
limit=1048576
grep -q __asan_init "$mm" && limit=unlimited
expect far-offsets 0 "" -- sh -c 'ulimit -v "$2" && "$0" replay "$1" -o /dev/null' "$mm" tests/cli/traces/far_file_offsets.textproto "$limit"
# Work follows what a trace makes live, not the ranges it names: touches,
# splits, layouts and a pin over tens of TiB on a 64 MiB machine replay
# within the same address space and a minute of CPU (about a second here;
# the touches alone ran for hours before the bounds).
expect huge-ranges 0 "mmreplay: replay: tests/cli/traces/huge_ranges.textproto: 3 expectations checked, 0 not met, 0 unstable skipped" -- sh -c 'ulimit -v "$2" && ulimit -t 60 && "$0" replay --check "$1" -o /dev/null' "$mm" tests/cli/traces/huge_ranges.textproto "$limit"

# replay writes the log, whole, to -o; stdout stays empty.
expect replay 0 "" -- "$mm" replay "$seed" -o "$tmp/seed.log"
head -n 1 "$tmp/seed.log" | grep -qF "# mmreplay event log v2 profile=linux-6.18" ||
  { echo "FAIL replay: log header"; fails=$((fails + 1)); }

# An output that is the input is refused, and the input is left as it was.
cp "$seed" "$tmp/self.textproto"
expect replay-over-input 2 "mmreplay: replay: $tmp/self.textproto: the output is the input $tmp/self.textproto; refusing to overwrite it" -- "$mm" replay "$tmp/self.textproto" -o "$tmp/self.textproto"
ln -sf "$tmp/self.textproto" "$tmp/link.textproto"
expect convert-over-input 2 "mmreplay: convert: $tmp/link.textproto: the output is the input $tmp/self.textproto; refusing to overwrite it" -- "$mm" convert "$tmp/self.textproto" "$tmp/link.textproto"
cmp -s "$seed" "$tmp/self.textproto" ||
  { echo "FAIL over-input: the input changed"; fails=$((fails + 1)); }

# A failed write to stdout is trouble, for every command that prints.
if [ -w /dev/full ]; then
  expect stats-full 2 "mmreplay: stats: standard output: No space left on device" -- sh -c '"$0" stats "$1" >/dev/full' "$mm" "$seed"
  expect replay-full 2 "mmreplay: replay: -: write failed: No space left on device" -- sh -c '"$0" replay "$1" >/dev/full' "$mm" "$seed"
  expect help-full 2 "mmreplay: replay: standard output: No space left on device" -- sh -c '"$0" replay --help >/dev/full' "$mm"
fi

# A replay that ends on a signal leaves no partial file: the trace comes
# through a FIFO that stays open after 4000 ops, so the replay waits with
# its log's temporary file made; then it is aborted (as a CHECK would) and,
# separately, killed.
for sig in ABRT TERM; do
  rm -rf "$tmp/sig" && mkdir -p "$tmp/sig"
  mkfifo "$tmp/sig/in.textproto"
  { echo 'header { format_version: 1 machine { total_pages: 262144 } }'
    for i in $(seq 1 4000); do echo "op { process_create { pid: $i } }"; done
    sleep 30; } >"$tmp/sig/in.textproto" &
  feeder=$!
  "$mm" replay "$tmp/sig/in.textproto" -o "$tmp/sig/out.log" 2>/dev/null &
  replay=$!
  for _ in $(seq 1 100); do
    ls -A "$tmp/sig" | grep -q mmreplay-partial && break
    sleep 0.1
  done
  ls -A "$tmp/sig" | grep -q mmreplay-partial ||
    { echo "FAIL signal-$sig: no partial file while the replay waits"; fails=$((fails + 1)); }
  kill -s "$sig" "$replay"
  wait "$replay" 2>/dev/null
  kill "$feeder" 2>/dev/null
  left="$(ls -A "$tmp/sig" | grep -v '^in.textproto$')"
  [ -z "$left" ] || { echo "FAIL signal-$sig: left behind: $left"; fails=$((fails + 1)); }
done

# diff: equal logs -> 0; a trace against its own log -> 0; a changed log -> 1.
expect diff-equal 0 "" -- "$mm" diff "$tmp/seed.log" "$tmp/seed.log"
expect diff-trace 0 "" -- "$mm" diff "$seed" "$tmp/seed.log"
{ cat "$tmp/seed.log"; echo "6 folio_free pfn=0x200 order=9 reason=free"; } >"$tmp/changed.log"
expect diff-changed 1 "" -- "$mm" diff "$tmp/seed.log" "$tmp/changed.log"
stdout_has diff-changed "first difference at op 6"
stdout_has diff-changed "3 ops compared, 1 differ (first op 6, last op 6); events only in $tmp/seed.log / only in $tmp/changed.log: folio_free 0/1"
# A difference that cannot be printed is trouble, not "different".
if [ -w /dev/full ]; then
  expect diff-full 2 "mmreplay: diff: standard output: No space left on device" -- sh -c '"$0" diff "$1" "$2" >/dev/full' "$mm" "$tmp/seed.log" "$tmp/changed.log"
fi

# The three forms of a log (issue 27): replay writes text, .log.zst and
# .mme by the output's name; log print (and convert) give back the text
# byte for byte, and diff reads every form alike, whatever the names.
expect replay-zst 0 "" -- "$mm" replay "$seed" -o "$tmp/seed.log.zst"
expect replay-mme 0 "" -- "$mm" replay "$seed" -o "$tmp/seed.mme"
head -c 4 "$tmp/seed.mme" | od -An -tx1 | grep -q "28 b5 2f fd" ||
  { echo "FAIL replay-mme: not a zstd stream"; fails=$((fails + 1)); }
for form in seed.log.zst seed.mme; do
  expect "print-$form" 0 "" -- "$mm" log print "$tmp/$form"
  cmp -s "$tmp/out" "$tmp/seed.log" || { echo "FAIL print-$form: not the text"; fails=$((fails + 1)); }
  expect "convert-$form" 0 "" -- "$mm" convert "$tmp/$form" "$tmp/$form.txt"
  cmp -s "$tmp/$form.txt" "$tmp/seed.log" || { echo "FAIL convert-$form: not the text"; fails=$((fails + 1)); }
done
expect print-to-zst 0 "" -- "$mm" log print "$tmp/seed.mme" -o "$tmp/printed.log.zst"
cmp -s "$tmp/printed.log.zst" "$tmp/seed.log.zst" || { echo "FAIL print-to-zst: not the replay's .log.zst"; fails=$((fails + 1)); }
cp "$tmp/seed.mme" "$tmp/renamed.log"
expect print-by-content 0 "" -- "$mm" log print "$tmp/renamed.log"
cmp -s "$tmp/out" "$tmp/seed.log" || { echo "FAIL print-by-content"; fails=$((fails + 1)); }
expect print-stdin 0 "" -- sh -c '"$0" log print - <"$1"' "$mm" "$tmp/seed.mme"
cmp -s "$tmp/out" "$tmp/seed.log" || { echo "FAIL print-stdin"; fails=$((fails + 1)); }
expect print-to-mme 2 "mmreplay: log: $tmp/x.mme: logs are printed as text (.log, .log.zst); a binary log is written by \`mmreplay replay -o x.mme\`" -- "$mm" log print "$tmp/seed.mme" -o "$tmp/x.mme"
expect convert-log-to-mmt 2 "mmreplay: convert: $tmp/x.mmt: a log is printed as text (.log, .log.zst), not as a trace" -- "$mm" convert "$tmp/seed.mme" "$tmp/x.mmt"
expect log-unknown-action 2 "mmreplay: log: unknown action 'cat' (known: print, grep)" -- "$mm" log cat "$tmp/seed.mme"

# Op lines: one per op, numbered by ops alone (seed000 has an expectation
# record before its split), left out with --no-op-lines; diff compares events
# only, so the logs with and without them are equal.
stdout_lacks() {
  if grep -qF -- "$2" "$tmp/out"; then
    echo "FAIL $1: stdout has '$2'"
    fails=$((fails + 1))
  fi
}
expect op-lines 0 "" -- "$mm" replay "$seed"
stdout_has op-lines '# op 5: split_request { pid: 1 addr: 0x7f0000000000 length_bytes: 0x1000 non_uniform: true in_folio_offset: 2 } "debugfs: 1,0x7f0000000000,0x7f0000001000,0,2"'
stdout_has op-lines "5 split pfn=0x0 order=9 type=non_uniform at=2 orders=0*4,2,3,4,5,6,7,8 ref=512 map=512 reason=split_request"
expect no-op-lines 0 "" -- "$mm" replay --no-op-lines "$seed" -o "$tmp/noops.log"
if grep -q '^# op' "$tmp/noops.log"; then echo "FAIL no-op-lines: op lines written"; fails=$((fails + 1)); fi
expect diff-op-lines 0 "" -- "$mm" diff "$tmp/noops.log" "$tmp/seed.mme"

# log grep: page 0x203 of a THP split by compaction and its piece moved to
# 0x413; the folio at 0x200 with all its pieces; the same from the .mme; a
# PFN nothing holds (exit 1); a bad PFN or no flag (exit 2, one line).
cmt=traces/golden/compact_memory_thp_mthp64k_split_all.textproto
"$mm" replay "$cmt" -o "$tmp/cmt.log"
"$mm" replay "$cmt" -o "$tmp/cmt.mme"
expect grep-pfn 0 "" -- "$mm" log grep --pfn 0x203 "$tmp/cmt.log"
stdout_has grep-pfn "6 folio_alloc pfn=0x200 order=4 ref=1 reason=anon_fault"
stdout_has grep-pfn "39 split pfn=0x200 order=4 type=uniform orders=0*16 ref=16 map=16 reason=compaction"
stdout_has grep-pfn "39 split_piece pfn=0x203 order=0 parent=0x200"
stdout_has grep-pfn "39 migrate pfn=0x203 order=0 dst=0x413 ref=1 map=1 reason=compaction"
stdout_has grep-pfn "# op 39: compact { mode: COMPACT_MODE_MEMORY }"
stdout_lacks grep-pfn "split_piece pfn=0x204 "
cp "$tmp/out" "$tmp/grep.txt"
expect grep-pfn-mme 0 "" -- "$mm" log grep --pfn 515 "$tmp/cmt.mme"
cmp -s "$tmp/out" "$tmp/grep.txt" || { echo "FAIL grep-pfn-mme: not the text's lines"; fails=$((fails + 1)); }
expect grep-folio 0 "" -- "$mm" log grep --folio 0x200 "$tmp/cmt.log" -o "$tmp/folio.log"
for p in 0x200 0x20f; do
  grep -q "split_piece pfn=$p order=0 parent=0x200" "$tmp/folio.log" || { echo "FAIL grep-folio: no piece $p"; fails=$((fails + 1)); }
done
expect grep-folio-is-a-log 0 "" -- "$mm" log print "$tmp/folio.log"
expect grep-none 1 "" -- "$mm" log grep --pfn 0x7fffff "$tmp/cmt.log"
expect grep-bad-pfn 2 "mmreplay: log: --pfn: '0xzz' is not a PFN (hex like 0x200, or decimal)" -- "$mm" log grep --pfn 0xzz "$tmp/cmt.log"
if [ "$(wc -l <"$tmp/err")" -ne 1 ]; then echo "FAIL grep-bad-pfn: not one line"; fails=$((fails + 1)); fi
expect grep-no-flag 2 "mmreplay: log: log grep: give one of --pfn P and --folio P" -- "$mm" log grep "$tmp/cmt.log"
expect grep-help 0 "" -- "$mm" log grep --help
stdout_has grep-help "--folio P  the folio whose head PFN is P"

# Progress goes to a terminal only: with stderr a file, nothing, -q or not.
# (Logs, not traces, for diff: a debug build checks the model after every
# op of a replay, slowly for a churn.)
expect quiet-gen 0 "" -- "$mm" gen churn --ops 200 --memory-mib 16 -o "$tmp/q.mmt" -q
expect quiet-convert 0 "" -- "$mm" convert "$tmp/q.mmt" "$tmp/q.textproto"
expect quiet-convert-q 0 "" -- "$mm" convert -q "$tmp/q.textproto" "$tmp/q2.mmt"
expect quiet-diff 0 "" -- "$mm" diff -q "$tmp/cmt.log" "$tmp/cmt.mme"
# diff: equal across forms, and a difference (seed 001's munmap under 6.1
# and 6.18) reported alike from every form.
for x in seed.log seed.log.zst seed.mme renamed.log; do
  for y in seed.log seed.log.zst seed.mme; do
    expect "diff-$x-$y" 0 "" -- "$mm" diff "$tmp/$x" "$tmp/$y"
  done
done
s001=traces/golden/seed001_batched_zap_linux618.textproto
expect s001-61 0 "" -- "$mm" replay --profile linux-6.1 "$s001" -o "$tmp/s001_61.log"
for form in log log.zst mme; do
  expect "s001-618-$form" 0 "" -- "$mm" replay "$s001" -o "$tmp/s001.$form"
  expect "diff-s001-$form" 1 "" -- "$mm" diff "$tmp/s001_61.log" "$tmp/s001.$form"
  sed "s|$tmp/s001.$form|B|" "$tmp/out" >"$tmp/s001-$form.diff"
done
grep -q "ops compared" "$tmp/s001-log.diff" || { echo "FAIL diff-s001: no summary"; fails=$((fails + 1)); }
cmp -s "$tmp/s001-log.diff" "$tmp/s001-log.zst.diff" || { echo "FAIL diff-s001: .log.zst reported otherwise"; fails=$((fails + 1)); }
cmp -s "$tmp/s001-log.diff" "$tmp/s001-mme.diff" || { echo "FAIL diff-s001: .mme reported otherwise"; fails=$((fails + 1)); }
# One trace under two profiles, in one command, and one switch alone: the
# 6.18 replay with batched_rmap_zap off differs from 6.18 as 6.1 does in
# the zap, and agrees with itself.
expect diff-profiles 1 "" -- "$mm" diff --profile-a linux-6.1 --profile-b linux-6.18 "$s001"
stdout_has diff-profiles "$s001 (linux-6.1)"
stdout_has diff-profiles "$s001 (linux-6.18)"
expect diff-set 1 "" -- "$mm" diff --set-b batched_rmap_zap=off "$s001"
stdout_has diff-set "only in $s001 (linux-6.18) / only in $s001 (linux-6.18+batched_rmap_zap=off)"
expect diff-set-same 0 "" -- "$mm" diff --set batched_rmap_zap=off --profile-b linux-6.18 "$s001"
expect replay-set 0 "" -- "$mm" replay --set batched_rmap_zap=off,anon_cow_reuse=small "$s001"
stdout_has replay-set "# mmreplay event log v2 profile=linux-6.18+batched_rmap_zap=off+anon_cow_reuse=small"
expect replay-set-unknown 2 "mmreplay: replay: unknown switch 'batched_zap' (known: anon_mthp, deferred_split_any_order, batched_rmap_zap, thp_underused_shrinker, truncate_non_uniform_split, thp_cow_split_pmd, huge_zero_wp_thp, madv_free_keeps_covered_folios, huge_zero_wp_thp_queued, collapse_read_only_ptes, fork_cow_pinned, truncate_unmap_on_split_failure, shmem_punch_split, migrate_requeue_dst_deferred, compaction_free_set_count, anon_cow_reuse, compact_large_folios)" -- "$mm" replay --set batched_zap=off "$s001"
expect replay-set-value 2 "mmreplay: replay: switch 'batched_rmap_zap' takes on or off, not 'maybe'" -- "$mm" replay --set batched_rmap_zap=maybe "$s001"
expect diff-set-unknown 2 "mmreplay: diff: unknown switch 'nope' (known: anon_mthp, deferred_split_any_order, batched_rmap_zap, thp_underused_shrinker, truncate_non_uniform_split, thp_cow_split_pmd, huge_zero_wp_thp, madv_free_keeps_covered_folios, huge_zero_wp_thp_queued, collapse_read_only_ptes, fork_cow_pinned, truncate_unmap_on_split_failure, shmem_punch_split, migrate_requeue_dst_deferred, compaction_free_set_count, anon_cow_reuse, compact_large_folios)" -- "$mm" diff --set-a nope=on "$s001"
expect diff-one-arg 2 "mmreplay: diff: one argument is a trace to replay twice: give --profile-a, --profile-b, --set-a or --set-b" -- "$mm" diff "$s001"
expect diff-ignore-bad 2 "mmreplay: diff: --ignore: expected pfn or addr, got 'pfns'" -- "$mm" diff --ignore pfns "$tmp/seed.log" "$tmp/seed.mme"

# Bad logs are refused with one line naming the file and what is wrong,
# exit 2, by every reader (diff, log print).
bad_log() {
  local name="$1" want="$2" file="$3"
  expect "bad-$name" 2 "mmreplay: log: $file: $want" -- "$mm" log print "$file"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || { echo "FAIL bad-$name: more than one line"; fails=$((fails + 1)); }
  expect "bad-$name-diff" 2 "mmreplay: diff: $file: $want" -- "$mm" diff "$tmp/seed.log" "$file"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || { echo "FAIL bad-$name-diff: more than one line"; fails=$((fails + 1)); }
}
: >"$tmp/empty.log"
bad_log empty "empty: not an event log" "$tmp/empty.log"
"$mm" convert "$seed" "$tmp/trace.mmt"
cp "$tmp/trace.mmt" "$tmp/trace-as.log"
bad_log mmt "not an event log: it is a trace (.mmt)" "$tmp/trace-as.log"
cp "$seed" "$tmp/textproto-as.log"
bad_log textproto "not an event log: it is a trace (.textproto)" "$tmp/textproto-as.log"
printf 'hello
' >"$tmp/hello.log"
bad_log text "not an event log: it does not start with '# mmreplay event log v2'" "$tmp/hello.log"
{ head -n 1 "$tmp/seed.log"; printf '6 folio_free pfn=0x200
 junk
'; } >"$tmp/junk.log"
bad_log junk-line "line 3: not an event line: it must be '<op> <kind> <fields>'" "$tmp/junk.log"
head -c -1 "$tmp/seed.log" >"$tmp/cut.log"
bad_log cut-text "line 23: truncated: the last line has no newline" "$tmp/cut.log"
# (Cuts past the first records are tests/replay/log_reader_test.cc's.)
head -c 100 "$tmp/seed.log.zst" >"$tmp/cut.log.zst"
bad_log cut-zst "truncated zstd frame: the file ends inside a compressed frame" "$tmp/cut.log.zst"
size=$(stat -c %s "$tmp/seed.mme")
head -c $((size - 30)) "$tmp/seed.mme" >"$tmp/cut.mme"
bad_log cut-mme "truncated zstd frame: the file ends inside a compressed frame" "$tmp/cut.mme"
# A byte changed in the compressed middle: the frame's checksum finds it.
cp "$tmp/seed.mme" "$tmp/flip.mme"
printf 'ÿ' | dd of="$tmp/flip.mme" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
"$mm" log print "$tmp/flip.mme" >/dev/null 2>"$tmp/flip.err"
[ $? -eq 2 ] && [ "$(wc -l <"$tmp/flip.err")" -eq 1 ] && grep -q "^mmreplay: log: $tmp/flip.mme: " "$tmp/flip.err" ||
  { echo "FAIL bad-flip: $(cat "$tmp/flip.err")"; fails=$((fails + 1)); }

# convert: text -> mmt -> text is byte for byte.
expect to-mmt 0 "" -- "$mm" convert "$seed" "$tmp/seed.mmt"
expect to-text 0 "" -- "$mm" convert "$tmp/seed.mmt" "$tmp/seed.textproto"
cmp -s "$seed" "$tmp/seed.textproto" ||
  { echo "FAIL convert: round trip differs"; fails=$((fails + 1)); }
expect to-stdout 0 "" -- "$mm" convert "$tmp/seed.mmt" -
cmp -s "$seed" "$tmp/out" ||
  { echo "FAIL convert: - differs"; fails=$((fails + 1)); }

# Seed 003: the 6.18 compaction_free() is clean under --verify; the
# reviewed v3 (folio_set_count) is caught, in one line naming op and PFN.
s003=traces/golden/seed003_compaction_free_walker.textproto
expect seed003-618 0 "" -- "$mm" replay --verify "$s003" -o "$tmp/s003.log"
expect seed003-v3 2 "mmreplay: replay: $s003: op 9 (compact): model invariant broken: refcount violation: the count of pfn 0x210 (order 0) was set 2 -> 0 while 1 reference(s) of another holder existed" -- "$mm" replay --verify --profile seed003-v3 "$s003" -o "$tmp/s003.log"

# stats reads everything and summarizes.
expect stats 0 "" -- "$mm" stats "$seed"
stdout_has stats "ops: 7"
stdout_has stats "  split_request                     1"

# gen: the same seed gives the same bytes; another seed does not.
expect gen-a 0 "" -- "$mm" gen churn --ops 5000 --seed 3 -o "$tmp/a.mmt"
expect gen-b 0 "" -- "$mm" gen churn --ops 5000 --seed 3 -o "$tmp/b.mmt"
expect gen-c 0 "" -- "$mm" gen churn --ops 5000 --seed 4 -o "$tmp/c.mmt"
cmp -s "$tmp/a.mmt" "$tmp/b.mmt" || { echo "FAIL gen: not deterministic"; fails=$((fails + 1)); }
cmp -s "$tmp/a.mmt" "$tmp/c.mmt" && { echo "FAIL gen: seed ignored"; fails=$((fails + 1)); }
expect gen-stats 0 "" -- "$mm" stats "$tmp/a.mmt"
# --ops counts the ops after setup: the 16 process creates come on top.
stdout_has gen-stats "ops: 5016"
# fragment (issue 24): deterministic too, and its flags are checked.
expect gen-frag-a 0 "" -- "$mm" gen fragment --memory-mib 8 --seed 3 --pattern alternate -o "$tmp/fa.textproto"
expect gen-frag-b 0 "" -- "$mm" gen fragment --memory-mib 8 --seed 3 --pattern alternate -o "$tmp/fb.textproto"
cmp -s "$tmp/fa.textproto" "$tmp/fb.textproto" || { echo "FAIL gen fragment: not deterministic"; fails=$((fails + 1)); }
expect gen-frag-pattern 2 "mmreplay: gen: --pattern: must be random or alternate (got 'stripes')" -- "$mm" gen fragment --memory-mib 8 --pattern stripes -o "$tmp/fc.textproto"
# --compactions at its bounds: 1 and 1000 pass, 0 and 1001 do not; 3 gives
# three compact ops.
expect gen-frag-comp-1 0 "" -- "$mm" gen fragment --memory-mib 8 --compactions 1 -o "$tmp/fd.textproto"
expect gen-frag-comp-default 0 "" -- "$mm" gen fragment --memory-mib 8 -o "$tmp/fdd.textproto"
cmp -s "$tmp/fd.textproto" "$tmp/fdd.textproto" || { echo "FAIL gen fragment --compactions 1: not the default trace"; fails=$((fails + 1)); }
expect gen-frag-comp-1000 0 "" -- "$mm" gen fragment --memory-mib 8 --compactions 1000 -o "$tmp/fe.textproto"
expect gen-frag-comp-0 2 "mmreplay: gen: --compactions: must be 1..1000" -- "$mm" gen fragment --memory-mib 8 --compactions 0 -o "$tmp/ff.textproto"
expect gen-frag-comp-1001 2 "mmreplay: gen: --compactions: must be 1..1000" -- "$mm" gen fragment --memory-mib 8 --compactions 1001 -o "$tmp/ff.textproto"
expect gen-frag-comp-3 0 "" -- "$mm" gen fragment --memory-mib 8 --compactions 3 -o "$tmp/fg.textproto"
n=$(grep -c "COMPACT_MODE_MEMORY" "$tmp/fg.textproto")
[ "$n" = 3 ] || { echo "FAIL gen fragment --compactions 3: $n compact ops"; fails=$((fails + 1)); }
expect gen-unknown 2 "mmreplay: gen: unknown generator 'storm' (known: churn, balloon, malloc, fork-cow, file-truncate, fragment, scenario)" -- "$mm" gen storm -o "$tmp/x.mmt"
[ -e "$tmp/x.mmt" ] && { echo "FAIL gen: output left behind"; fails=$((fails + 1)); }

echo "$fails failures"
[ "$fails" -eq 0 ]
