#!/bin/bash
# Conformance test of one captured trace: `mmreplay replay --check` must meet
# every stable expectation the live kernel recorded. A trace listed in
# traces/captured/KNOWN_GAPS must instead fail the check (exit 1): when the
# model learns the missing rule, this test fails until the entry is removed.
#   run_captured.sh MMREPLAY TRACE KNOWN_GAPS
set -u
mmreplay="$1" trace="$2" gaps="$3"
name="$(basename "$trace" .textproto)"
gap="$(grep -E "^$name:" "$gaps" | head -n 1)"
"$mmreplay" replay --check --verify -o /dev/null "$trace"
status=$?
if [ -z "$gap" ]; then
  [ "$status" -eq 0 ] && exit 0
  echo "FAIL: $name does not conform (exit $status)"
  exit 1
fi
if [ "$status" -eq 1 ]; then
  echo "known gap, still failing as listed: ${gap#*: }"
  exit 0
fi
if [ "$status" -eq 0 ]; then
  echo "FAIL: $name now conforms: remove it from traces/captured/KNOWN_GAPS"
else
  echo "FAIL: $name: replay failed (exit $status)"
fi
exit 1
