// The machine's own speed, as a reference for the replay figures: this
// machine's neighbours share its caches and memory, and the same replay
// binary runs several times slower at one time than at another, the
// phases changing within minutes (bench/README.md). A replay is bound by
// dependent loads into a model of a few MiB (page-table entries, index nodes,
// folio records of random regions), so the reference is the latency of such
// loads: a chase of pointers in a random cycle through a buffer, one load
// waiting for the last.
//
//   BM_LoadLatency/4    4 MiB: beyond the core's L2, within the shared L3
//                       (the size of the churn replay's model)
//   BM_LoadLatency/64   64 MiB: beyond the L3, into memory
//
//   bazel run -c opt //bench:machine_benchmark
// Counter: ns_per_load. Run it beside a replay benchmark to tell a slower
// build from a busier machine.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace mmreplay::bench {
namespace {

constexpr size_t kLine = 64;  // one pointer per cache line

// A random cycle through the lines of `bytes`: next[i] is the line after i.
std::vector<uint64_t> RandomCycle(size_t bytes) {
  const size_t lines = bytes / kLine;
  std::vector<uint64_t> order(lines);
  std::iota(order.begin(), order.end(), uint64_t{0});
  std::mt19937_64 rng(1);  // fixed: every run chases the same cycle
  std::shuffle(order.begin() + 1, order.end(), rng);
  const size_t stride = kLine / sizeof(uint64_t);
  std::vector<uint64_t> next(lines * stride);
  for (size_t k = 0; k < lines; ++k) {
    next[order[k] * stride] = order[(k + 1) % lines] * stride;
  }
  return next;
}

void BM_LoadLatency(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0)) << 20;
  const std::vector<uint64_t> next = RandomCycle(bytes);
  constexpr uint64_t kLoads = 1 << 22;
  uint64_t at = 0;
  for (uint64_t i = 0; i < kLoads; ++i) at = next[at];  // warm up
  for (auto _ : state) {
    for (uint64_t i = 0; i < kLoads; ++i) at = next[at];
    benchmark::DoNotOptimize(at);
  }
  state.counters["ns_per_load"] = benchmark::Counter(
      static_cast<double>(kLoads) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_LoadLatency)
    ->Arg(4)
    ->Arg(64)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace mmreplay::bench

BENCHMARK_MAIN();
