// Decode benchmark: reads a generated 1M-op churn trace (.mmt) end to end
// through trace::TraceReader (zstd, record parsing, column decoding and the
// validator), and reports ops/s and MB/s of the (compressed) file read.
//
//   bazel run -c opt //bench:decode_benchmark
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "bench/fastest.h"
#include "replay/gen/churn.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay {
namespace {

constexpr uint64_t kOps = 1000000;

// Writes the trace once per process; returns its path.
const std::string& TracePath() {
  static const std::string* path = [] {
    const char* tmp = getenv("TEST_TMPDIR");
    auto* p = new std::string(std::string(tmp ? tmp : "/tmp") +
                              "/mmreplay_decode_bench.mmt");
    auto writer = trace::TraceWriter::Create(*p);
    gen::ChurnParams params;
    params.ops = kOps;
    if (!writer.ok() || !gen::GenerateChurn(params, **writer).ok() ||
        !(*writer)->Commit().ok()) {
      std::fprintf(stderr, "cannot write %s\n", p->c_str());
      std::abort();
    }
    return p;
  }();
  return *path;
}

void BM_DecodeMmt(benchmark::State& state) {
  const std::string& path = TracePath();
  uint64_t ops = 0, sum = 0;
  for (auto _ : state) {
    auto reader = trace::TraceReader::Open(path);
    if (!reader.ok()) {
      state.SkipWithError(std::string(reader.status().message()).c_str());
      return;
    }
    while (const trace::TraceOp* op = (*reader)->Next()) {
      ++ops;
      sum += op->kind;
    }
    if (!(*reader)->status().ok()) {
      state.SkipWithError(std::string((*reader)->status().message()).c_str());
      return;
    }
  }
  benchmark::DoNotOptimize(sum);
  struct stat st;
  stat(path.c_str(), &st);
  state.SetItemsProcessed(static_cast<int64_t>(ops));
  state.counters["ops_per_s"] =
      benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
  state.counters["file_MB_per_s"] = benchmark::Counter(
      static_cast<double>(st.st_size) * state.iterations() / 1e6,
      benchmark::Counter::kIsRate);
  state.counters["file_bytes_per_op"] =
      static_cast<double>(st.st_size) / static_cast<double>(kOps);
  // Peak resident memory of the whole process (the reader streams: this
  // stays a few MiB whatever the trace length).
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  state.counters["max_rss_MiB"] = static_cast<double>(ru.ru_maxrss) / 1024;
}
// Seven runs. This machine is shared and a run can be slowed several times
// over by its neighbours, never sped up: "max" (the fastest run) is what the
// code can do, "median" what a run typically sees.
BENCHMARK(BM_DecodeMmt)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(1.0)
    ->Repetitions(7)
    ->ComputeStatistics("max", bench::Max)
    ->ReportAggregatesOnly(true);

}  // namespace
}  // namespace mmreplay::replay
