// Generation benchmark: each workload generator writes a .mmt trace of N
// ops (after setup) at its default flags, and reports ops/s; run at two
// sizes side by side, 100K and 1M ops, the peak resident set after each
// (peak_rss_mib; the runs go small to large in one process, so a
// generator whose memory grew with --ops would raise it) and its growth
// during the run (rss_growth_kib) show that memory does not grow with
// --ops: ops are written through the TraceWriter as they are made.
//
//   bazel run -c opt //bench:gen_benchmark
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <cstdio>
#include <functional>
#include <string>

#include "replay/gen/balloon.h"
#include "replay/gen/churn.h"
#include "replay/gen/file_truncate.h"
#include "replay/gen/fork_cow.h"
#include "replay/gen/malloc.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay {
namespace {

uint64_t PeakRssKib() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<uint64_t>(ru.ru_maxrss);
}

using Generate = std::function<absl::Status(uint64_t ops, trace::TraceWriter&)>;

void Run(benchmark::State& state, const Generate& generate) {
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string path =
      std::string(tmp ? tmp : "/tmp") + "/mmreplay_gen_bench.mmt";
  const uint64_t ops = static_cast<uint64_t>(state.range(0));
  const uint64_t before = PeakRssKib();
  for (auto _ : state) {
    auto writer = trace::TraceWriter::Create(path);
    if (!writer.ok()) {
      state.SkipWithError(std::string(writer.status().message()).c_str());
      return;
    }
    absl::Status s = generate(ops, **writer);
    if (s.ok()) s = (*writer)->Commit();
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      return;
    }
  }
  state.counters["ops_per_s"] =
      benchmark::Counter(static_cast<double>(ops * state.iterations()),
                         benchmark::Counter::kIsRate);
  state.counters["peak_rss_mib"] = static_cast<double>(PeakRssKib()) / 1024;
  state.counters["rss_growth_kib"] = static_cast<double>(PeakRssKib() - before);
}

void BM_GenChurn(benchmark::State& state) {
  Run(state, [](uint64_t ops, trace::TraceWriter& w) {
    gen::ChurnParams p;
    p.ops = ops;
    return gen::GenerateChurn(p, w);
  });
}

void BM_GenBalloon(benchmark::State& state) {
  Run(state, [](uint64_t ops, trace::TraceWriter& w) {
    gen::BalloonParams p;
    p.ops = ops;
    p.memory_mib = 1024;  // a 1 GiB guest: the fill is setup, 512 writes
    return gen::GenerateBalloon(p, w);
  });
}

void BM_GenMalloc(benchmark::State& state) {
  Run(state, [](uint64_t ops, trace::TraceWriter& w) {
    gen::MallocParams p;
    p.ops = ops;
    return gen::GenerateMalloc(p, w);
  });
}

void BM_GenForkCow(benchmark::State& state) {
  Run(state, [](uint64_t ops, trace::TraceWriter& w) {
    gen::ForkCowParams p;
    p.ops = ops;
    return gen::GenerateForkCow(p, w);
  });
}

void BM_GenFileTruncate(benchmark::State& state) {
  Run(state, [](uint64_t ops, trace::TraceWriter& w) {
    gen::FileTruncateParams p;
    p.ops = ops;
    return gen::GenerateFileTruncate(p, w);
  });
}

#define GEN_BENCHMARK(fn)             \
  BENCHMARK(fn)                       \
      ->Arg(100000)                   \
      ->Arg(1000000)                  \
      ->Unit(benchmark::kMillisecond) \
      ->Iterations(3)

GEN_BENCHMARK(BM_GenChurn);
GEN_BENCHMARK(BM_GenBalloon);
GEN_BENCHMARK(BM_GenMalloc);
GEN_BENCHMARK(BM_GenForkCow);
GEN_BENCHMARK(BM_GenFileTruncate);

}  // namespace
}  // namespace mmreplay::replay

BENCHMARK_MAIN();
