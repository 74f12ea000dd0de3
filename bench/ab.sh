#!/bin/bash
# Alternating A/B of the churn replay benchmark for two builds, for a machine
# whose neighbours change its speed by the hour: each round runs A then B,
# so both see the same phase, and the verdict is the median of the per-round
# ratios B/A, not of the raw figures.
#
#   bench/ab.sh A B [ROUNDS] [OPS]
#
# A and B are replay_benchmark binaries (copy bazel-bin/bench/replay_benchmark
# aside after each build, built with -c opt); ROUNDS defaults to 10, OPS (the
# churn trace's length) to 2000000. METRIC=replay_cpu_ops_per_s compares the
# replay thread's CPU-time speed instead of the wall clock's (ops_per_s),
# which leaves out the time the hypervisor steals.
set -euo pipefail
if [[ $# -lt 2 || $1 == -h || $1 == --help ]]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
a=$1 b=$2 rounds=${3:-10} ops=${4:-2000000} metric=${METRIC:-ops_per_s}
case $metric in
  ops_per_s | replay_cpu_ops_per_s) ;;
  *) echo "ab.sh: METRIC=$metric: not ops_per_s or replay_cpu_ops_per_s" >&2; exit 2 ;;
esac
for bin in "$a" "$b"; do
  [[ -x $bin ]] || { echo "ab.sh: $bin: not an executable" >&2; exit 2; }
done
# The metric of one churn replay, in millions.
run() {
  MMREPLAY_BENCH_OPS=$ops MMREPLAY_BENCH_REPS=1 "$1" \
      --benchmark_filter=BM_ReplayChurn 2>&1 |
    grep -o "\b$metric=[0-9.]*[kM]" | head -1 |
    awk -F= '{v = $2; u = substr(v, length(v)); v = substr(v, 1, length(v) - 1);
              printf "%.4f\n", u == "k" ? v / 1000 : v}'
}
median() { sort -g | awk '{x[NR] = $1} END {print NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2}'; }
ra=() rb=() ratios=()
for ((i = 1; i <= rounds; ++i)); do
  x=$(run "$a") y=$(run "$b")
  ra+=("$x") rb+=("$y") ratios+=("$(awk -v x="$x" -v y="$y" 'BEGIN {printf "%.4f", y / x}')")
  printf 'round %2d: A %sM  B %sM  B/A %s\n' "$i" "$x" "$y" "${ratios[-1]}"
done
printf 'A: median %sM ops/s\n' "$(printf '%s\n' "${ra[@]}" | median)"
printf 'B: median %sM ops/s\n' "$(printf '%s\n' "${rb[@]}" | median)"
printf 'B/A: median of the rounds %s; B faster in %d of %d\n' \
  "$(printf '%s\n' "${ratios[@]}" | median)" \
  "$(printf '%s\n' "${ratios[@]}" | awk '$1 > 1 {n++} END {print n + 0}')" "$rounds"
