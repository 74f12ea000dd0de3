#!/bin/bash
# A fixed handful of generated scenarios (`mmreplay gen scenario`), captured
# on this machine's live kernel and replayed with --check on every test
# run: a kernel upgrade that changes a rule the model follows shows up here
# as a failure, not as silent drift. The seeds were chosen from the
# campaign of 2026-12-07 (scripts/campaign) for their spread of ops: anon
# THP and mTHP, tmpfs writes, punches, truncates, mappings, fork, pins,
# MADV_COLLAPSE, shrinker runs. --no-anon-reads always, so the traces are
# the same on every host (some boot without the zero page: docs/capture.md).
# Skips where it cannot capture (not root, no tracefs or kpageflags).
#   live_scenarios_test.sh MMCAPTURE MMREPLAY
set -u
mmcapture="$1" mmreplay="$2"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
seeds=(3006 3009 3013 3022 3039 3043 3047 3051 3058)
if [ "$(id -u)" -ne 0 ] || [ ! -r /proc/kpageflags ] ||
   ! { [ -e /sys/kernel/tracing/trace ] || grep -qw tracefs /proc/filesystems; }; then
  echo "SKIPPED: capturing needs root, tracefs and /proc/kpageflags"
  exit 0
fi
fails=0
for s in "${seeds[@]}"; do
  "$mmreplay" gen scenario --seed "$s" --no-anon-reads -o "$tmp/$s.textproto" ||
    { echo "FAIL $s: gen"; fails=$((fails + 1)); continue; }
  if ! "$mmcapture" "$tmp/$s.textproto" -o "$tmp/$s.captured.textproto" \
      --repeat 2 2>"$tmp/err"; then
    echo "FAIL seed $s: mmcapture: $(tail -n 1 "$tmp/err")"
    fails=$((fails + 1))
    continue
  fi
  if ! "$mmreplay" replay --check "$tmp/$s.captured.textproto" -o /dev/null \
      2>"$tmp/check"; then
    echo "FAIL seed $s: the model and this kernel differ:"
    head -n 12 "$tmp/check"
    fails=$((fails + 1))
  fi
done
echo "${#seeds[@]} scenarios, $fails failures"
[ "$fails" -eq 0 ]
