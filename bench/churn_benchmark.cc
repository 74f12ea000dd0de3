// Churn benchmark: replays a generated 10M-op anonymous churn trace (faults,
// partial zaps, munmaps, shrinker runs over 16 GiB modelled) end to end:
// .mmt decoding and checking, the driver and the model. Events are counted,
// not formatted (the log's text form is a separate cost; see bench/README).
// Prints ops/s, peak RSS and the model's memory per live folio.
//
//   bazel run -c opt //bench:churn_benchmark
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <cstdio>
#include <string>

#include "mm/event_sink.h"
#include "replay/driver.h"
#include "replay/gen/churn.h"
#include "replay/trace_reader.h"
#include "replay/trace_writer.h"

namespace mmreplay::replay {
namespace {

// MMREPLAY_CHURN_OPS overrides the trace length for quick experiments.
uint64_t Ops() {
  const char* env = getenv("MMREPLAY_CHURN_OPS");
  return env ? strtoull(env, nullptr, 10) : 10000000;
}

class CountingSink : public mm::EventSink {
 public:
  void Emit(const Event&) override { ++events; }
  uint64_t events = 0;
};

const std::string& TracePath() {
  static const std::string* path = [] {
    const char* tmp = getenv("TEST_TMPDIR");
    auto* p = new std::string(std::string(tmp ? tmp : "/tmp") +
                              "/mmreplay_churn_bench_" + std::to_string(Ops()) +
                              ".mmt");
    auto writer = TraceWriter::Create(*p);
    gen::ChurnParams params;
    params.ops = Ops();
    if (!writer.ok() || !gen::GenerateChurn(params, **writer).ok() ||
        !(*writer)->Commit().ok()) {
      std::fprintf(stderr, "cannot write %s\n", p->c_str());
      std::abort();
    }
    return p;
  }();
  return *path;
}

void BM_ReplayChurn(benchmark::State& state) {
  const std::string& path = TracePath();
  uint64_t ops = 0, events = 0;
  mm::Model::MemoryUse use;
  for (auto _ : state) {
    auto reader = TraceReader::Open(path);
    if (!reader.ok()) {
      state.SkipWithError(std::string(reader.status().message()).c_str());
      return;
    }
    CountingSink sink;
    ReplayReport report;
    ReplayOptions options;
    absl::Status s = Replay(**reader, options, &sink, &report, &use);
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      return;
    }
    ops += report.ops;
    events += sink.events;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  state.counters["ops_per_s"] =
      benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
  state.counters["events_per_op"] =
      static_cast<double>(events) / static_cast<double>(ops);
  state.counters["max_rss_MiB"] = static_cast<double>(ru.ru_maxrss) / 1024;
  double live = static_cast<double>(use.live_folios);
  state.counters["live_folios"] = live;
  state.counters["folio_record_B_per_folio"] =
      static_cast<double>(use.folio_record_bytes) / live;
  state.counters["model_B_per_folio"] =
      static_cast<double>(use.folio_record_bytes + use.page_array_bytes +
                          use.page_table_bytes) /
      live;
}
BENCHMARK(BM_ReplayChurn)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->Repetitions(3)
    ->ReportAggregatesOnly(false);

}  // namespace
}  // namespace mmreplay::replay
