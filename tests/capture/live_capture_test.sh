#!/bin/bash
# mmcapture on the live kernel. Where root, tracefs and /proc/kpageflags are
# there, captures five small corpus traces (two with a fork, one of them with
# a FOLL_PIN) once each and checks the kernel still shows the folio layouts
# traces/captured/ recorded. (Counters are
# system-wide: while a trace sets a per-size knob to "always", any other
# process's faults count too, so a test run beside other work cannot
# compare them; the corpus is captured on a quiet machine, three times.)
# Elsewhere it checks only that mmcapture refuses cleanly, and says it
# skipped the live part.
# Then it captures the first trace once more beside another process that
# faults THPs all along (THP_NOISE), with one run only, so that no repeat can
# disagree: mmcapture must still see thp_fault_alloc move while the trace
# is idle and leave it out.
#   live_capture_test.sh MMCAPTURE MMREPLAY THP_NOISE TRACE...
set -u
mmcapture="$1" mmreplay="$2" noise="$3"
shift 3
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fails=0

# Without root it refuses, with one line and exit status 2.
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
  err="$(setpriv --reuid=65534 --regid=65534 --clear-groups \
         "$mmcapture" "$1" -o "$tmp/x.textproto" 2>&1)"
  status=$?
  want="mmcapture: must run as root: it reads PFNs and page flags and writes sysfs knobs"
  if [ "$status" -ne 2 ] || [ "$err" != "$want" ]; then
    echo "FAIL non-root: exit $status, stderr: $err"
    fails=$((fails + 1))
  fi
fi

if [ "$(id -u)" -ne 0 ] || [ ! -r /proc/kpageflags ] ||
   ! { [ -e /sys/kernel/tracing/trace ] || grep -qw tracefs /proc/filesystems; }; then
  echo "SKIPPED the live capture: needs root, tracefs and /proc/kpageflags"
  exit "$fails"
fi

# The ops and layouts (no header: it holds the date; no counters: above).
body() { "$mmreplay" convert "$1" - | sed -n '/^op /p' | grep -v expect_counters; }

for trace in "$@"; do
  name="$(basename "$trace" .textproto)"
  if ! "$mmcapture" "$trace" -o "$tmp/$name.textproto" --repeat 1 2>"$tmp/err"; then
    echo "FAIL $name: mmcapture: $(cat "$tmp/err")"
    fails=$((fails + 1))
    continue
  fi
  # A per-size "always" draws a warning (mthp16k_dontneed_page's header).
  if grep -q 'value: KNOB_VALUE_ALWAYS' "$trace" &&
     ! grep -q 'warning: the header sets /sys/kernel/mm/transparent_hugepage/.* to always: every process' "$tmp/err"; then
    echo "FAIL $name: no warning for a knob set to always: $(cat "$tmp/err")"
    fails=$((fails + 1))
  fi
  if ! diff <(body "$trace") <(body "$tmp/$name.textproto") >"$tmp/diff"; then
    echo "FAIL $name: the kernel now shows other layouts:"
    head -n 20 "$tmp/diff"
    fails=$((fails + 1))
  fi
done
# Foreign activity: counters another process moves are left out.
"$noise" 120 &
noise_pid=$!
trap 'kill "$noise_pid" 2>/dev/null' EXIT
if ! "$mmcapture" "$1" -o "$tmp/noisy.textproto" --repeat 1 2>"$tmp/err"; then
  echo "FAIL beside THP faults: mmcapture: $(cat "$tmp/err")"
  fails=$((fails + 1))
elif ! grep -q 'unstable_counter: "thp_fault_alloc"' "$tmp/noisy.textproto" ||
     ! grep -q 'thp_fault_alloc moved while the trace was idle' "$tmp/err"; then
  echo "FAIL beside THP faults: thp_fault_alloc was kept as the trace's own"
  cat "$tmp/err"
  fails=$((fails + 1))
fi
kill "$noise_pid" 2>/dev/null
wait "$noise_pid" 2>/dev/null

echo "$fails failures"
[ "$fails" -eq 0 ]
