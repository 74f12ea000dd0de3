// The "max" statistic the benchmarks add to Google Benchmark's median and
// mean: on a shared machine, whose neighbours slow a run and never speed
// one up, the fastest repetition is what the code can do.
#ifndef MMREPLAY_BENCH_FASTEST_H_
#define MMREPLAY_BENCH_FASTEST_H_

#include <algorithm>
#include <vector>

namespace mmreplay::bench {

// For ComputeStatistics("max", Max): the largest of a counter's values
// (read a rate's, such as ops_per_s; a time's max is the slowest run).
inline double Max(const std::vector<double>& v) {
  return *std::max_element(v.begin(), v.end());
}

}  // namespace mmreplay::bench

#endif  // MMREPLAY_BENCH_FASTEST_H_
