#!/bin/bash
# replay --check and expect_compaction (issue 24 item 5), without the live
# kernel: a hand-written trace whose four pinned 16K mTHPs stay through
# compact_memory passes; a planted wrong outcome fails with exit 1 and a
# mismatch naming the folio; the same wrong outcome marked unstable is not
# checked; a record of unstable folios only counts as skipped; a bad record
# is refused with exit 2.
#   compaction_check_test.sh MMREPLAY TRACE
set -u
mm="$1"
trace="$2"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fail=0

# expect NAME STATUS STDERR TRACE: replay --check TRACE exits STATUS with
# exactly STDERR.
expect() {
  local name="$1" status="$2" want="$3" t="$4"
  local got
  got="$("$mm" replay --check "$t" -o /dev/null 2>&1)"
  local rc=$?
  if [ "$rc" != "$status" ] || [ "$got" != "$want" ]; then
    echo "FAIL $name: exit $rc (want $status)"
    echo "--- got:"; echo "$got"; echo "--- want:"; echo "$want"
    fail=1
  else
    echo "ok $name"
  fi
}

expect as-captured 0 "mmreplay: replay: $trace: 2 expectations checked, 0 not met, 0 unstable skipped" "$trace"

wrong="$tmp/wrong.textproto"
sed 's/addr: 0x200000004000 order: 2 outcome: FOLIO_OUTCOME_STAYED/addr: 0x200000004000 order: 2 outcome: FOLIO_OUTCOME_MOVED/' "$trace" >"$wrong"
expect planted-wrong 1 "mmreplay: replay: $wrong: record 7: compaction outcomes
  process 1 0x200000004000: expected order 2 moved, model order 2 stayed
mmreplay: replay: $wrong: 2 expectations checked, 1 not met, 0 unstable skipped" "$wrong"

# A folio the model has no large folio for, and an order the model disagrees
# with.
nofolio="$tmp/nofolio.textproto"
sed 's/addr: 0x20000000c000 order: 2 outcome: FOLIO_OUTCOME_STAYED/addr: 0x200000010000 order: 2 outcome: FOLIO_OUTCOME_STAYED/; s/addr: 0x200000008000 order: 2 /addr: 0x200000008000 order: 3 /' "$trace" >"$nofolio"
expect wrong-order-and-no-folio 1 "mmreplay: replay: $nofolio: record 7: compaction outcomes
  process 1 0x200000008000: expected order 3 stayed, model order 2 stayed
  process 1 0x200000010000: expected order 2 stayed, model: no folio there
mmreplay: replay: $nofolio: 2 expectations checked, 1 not met, 0 unstable skipped" "$nofolio"

unstable="$tmp/unstable.textproto"
sed 's/outcome: FOLIO_OUTCOME_MOVED/outcome: FOLIO_OUTCOME_MOVED unstable: true/' "$wrong" >"$unstable"
expect wrong-but-unstable 0 "mmreplay: replay: $unstable: 2 expectations checked, 0 not met, 0 unstable skipped" "$unstable"

allunstable="$tmp/allunstable.textproto"
sed 's/outcome: FOLIO_OUTCOME_STAYED/outcome: FOLIO_OUTCOME_SPLIT unstable: true/g' "$trace" >"$allunstable"
expect all-unstable 0 "mmreplay: replay: $allunstable: 1 expectations checked, 0 not met, 1 unstable skipped" "$allunstable"

bad="$tmp/bad.textproto"
sed 's/addr: 0x200000004000 order: 2 outcome: FOLIO_OUTCOME_STAYED/addr: 0x200000004000 order: 0 outcome: FOLIO_OUTCOME_STAYED/' "$trace" >"$bad"
got="$("$mm" replay --check "$bad" -o /dev/null 2>&1)"
rc=$?
case "$got" in
  *"record 7"*"expect_compaction.folio[1].order: order 0 is not a large folio's (1..10)"*) [ $rc = 2 ] && echo "ok bad-order" || { echo "FAIL bad-order: exit $rc"; fail=1; } ;;
  *) echo "FAIL bad-order: $got"; fail=1 ;;
esac

exit $fail
