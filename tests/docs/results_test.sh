#!/bin/bash
# docs/results.md's tables are what their commands print now; and a table
# that is not (one number changed) is caught.
set -u
tests/docs/results --mmreplay replay/mmreplay --check docs/results.md || exit 1

# One block of results.md with a planted number.
doc="$TEST_TMPDIR/planted.md"
awk '/^<!-- results balloon-punch:/,/^<!-- end results -->/' docs/results.md |
  sed 's/^| KiB freed by punch_hole | 0 |/| KiB freed by punch_hole | 1 |/' >"$doc"
grep -q '^| KiB freed by punch_hole | 1 |' "$doc" || {
  echo "FAIL: could not plant a number"; exit 1; }
tests/docs/results --mmreplay replay/mmreplay --check "$doc" 2>"$TEST_TMPDIR/err"
rc=$?
if [[ $rc -ne 1 ]] || ! grep -q "balloon-punch: the table is not what" "$TEST_TMPDIR/err"; then
  echo "FAIL: a planted number gave exit $rc:"; cat "$TEST_TMPDIR/err"; exit 1
fi

# A name the summaries do not list is a typo, refused, not a row of zeros.
sed 's/^<!-- results balloon-punch: bytes_freed\[punch_hole\]/<!-- results balloon-punch: bytes_freed[punch_hold]/' \
  "$doc" >"$TEST_TMPDIR/typo.md"
tests/docs/results --mmreplay replay/mmreplay --check "$TEST_TMPDIR/typo.md" 2>"$TEST_TMPDIR/err"
rc=$?
if [[ $rc -ne 2 ]] || ! grep -q "bytes_freed\[punch_hold\]': neither side" "$TEST_TMPDIR/err"; then
  echo "FAIL: a misspelt name gave exit $rc:"; cat "$TEST_TMPDIR/err"; exit 1
fi
echo PASS
