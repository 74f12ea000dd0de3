#!/bin/bash
# mmcapture's per-folio compaction outcomes on the live kernel (issue 24
# item 5). Where root, tracefs and /proc/kpageflags are there, captures
# PINNED (FOLL_PIN-pinned mTHPs: the kernel never isolates them) twice and
# checks its expect_compaction record is the corpus's, every folio STAYED
# and stable, and that replay --check passes without the counters; then
# captures FREE (the same mTHPs unpinned, which compaction reaches or not as the rest of the machine
# decides) twice and checks there is a record naming every folio the trace
# faulted, each with an outcome. Elsewhere it says it skipped.
#   compaction_live_test.sh MMCAPTURE MMREPLAY PINNED FREE
set -u
mmcapture="$1" mmreplay="$2" pinned="$3" free="$4"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fails=0

if [ "$(id -u)" -ne 0 ] || [ ! -r /proc/kpageflags ] ||
   ! { [ -e /sys/kernel/tracing/trace ] || grep -qw tracefs /proc/filesystems; }; then
  echo "SKIPPED the live compaction capture: needs root, tracefs and /proc/kpageflags"
  exit 0
fi

records() { "$mmreplay" convert "$1" - | grep '^op { expect_compaction'; }

if ! "$mmcapture" "$pinned" -o "$tmp/pinned.textproto" --repeat 2 2>"$tmp/err"; then
  echo "FAIL pinned: mmcapture: $(cat "$tmp/err")"
  exit 1
fi
if ! diff <(records "$pinned") <(records "$tmp/pinned.textproto"); then
  echo "FAIL pinned: the kernel's outcomes differ from the corpus's"
  fails=$((fails + 1))
fi
n="$(records "$tmp/pinned.textproto" | grep -o 'FOLIO_OUTCOME_STAYED' | wc -l)"
if [ "$n" -eq 0 ] || records "$tmp/pinned.textproto" | grep -q 'unstable\|MOVED\|SPLIT'; then
  echo "FAIL pinned: want only stable STAYED folios, got: $(records "$tmp/pinned.textproto")"
  fails=$((fails + 1))
fi
# Without the counters: compact_memory works on every process's memory, so
# another process's folio can move split counters (as live_capture_test,
# this compares only what the trace's own memory shows).
"$mmreplay" convert "$tmp/pinned.textproto" - | grep -v '^op { expect_counters' >"$tmp/pinned.nocounters.textproto"
if ! "$mmreplay" replay --check "$tmp/pinned.nocounters.textproto" -o /dev/null; then
  echo "FAIL pinned: replay --check"
  fails=$((fails + 1))
fi

if ! "$mmcapture" "$free" -o "$tmp/free.textproto" --repeat 2 2>"$tmp/err"; then
  echo "FAIL free: mmcapture: $(cat "$tmp/err")"
  exit 1
fi
# The folios before the compaction are the trace's own (a deterministic
# fault): as many as the corpus names, whatever their outcomes.
want="$(records "$free" | grep -o 'order: [0-9]*' | wc -l)"
got="$(records "$tmp/free.textproto" | grep -o 'outcome: FOLIO_OUTCOME_[A-Z]*' | wc -l)"
if [ "$want" -eq 0 ] || [ "$got" -ne "$want" ]; then
  echo "FAIL free: $got folio outcomes, want $want"
  fails=$((fails + 1))
fi
[ "$fails" -eq 0 ] && echo "ok: $n pinned folios stayed; $got unpinned folios recorded"
exit "$fails"
