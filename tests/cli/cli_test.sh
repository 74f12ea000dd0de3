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
for c in replay diff convert stats gen; do
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

# replay writes the log, whole, to -o; stdout stays empty.
expect replay 0 "" -- "$mm" replay "$seed" -o "$tmp/seed.log"
head -n 1 "$tmp/seed.log" | grep -qF "# mmreplay event log v1 profile=linux-6.18" ||
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
stdout_has diff-changed "ops that differ: 1 (first op 6, last op 6)"
# A difference that cannot be printed is trouble, not "different".
if [ -w /dev/full ]; then
  expect diff-full 2 "mmreplay: diff: standard output: No space left on device" -- sh -c '"$0" diff "$1" "$2" >/dev/full' "$mm" "$tmp/seed.log" "$tmp/changed.log"
fi

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
