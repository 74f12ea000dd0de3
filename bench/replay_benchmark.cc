// Replay benchmarks: generated traces replayed end to end (.mmt decoding
// and checking, the driver, the model), events counted but not formatted
// (the log's text form is a cost of its own; see bench/README.md).
//
//   BM_ReplayChurn    10M ops of anonymous churn over 16 GiB (issue 4)
//   BM_ReplayBalloon  balloon inflation: 1M random 4 KiB punches over a
//                     16 GiB tmpfs-backed guest (issue 5, seed 004)
//   BM_ReplayCompaction/N  compact_memory N times (1, 10) over a
//                     fragmented 16 GiB model (issue 24;
//                     MMREPLAY_BENCH_OPS sets its MiB)
//   BM_ChurnSummary/M M million ops (10, 100) of the churn replayed with
//                     replay --summary's sink: ops/s and the resident set,
//                     which must not grow with the trace (issue 28)
//   BM_LogForms       the churn replayed three times a repetition, side by
//                     side: counting events only, writing the text log, and
//                     writing the binary log (.mme); speeds, their ratios to
//                     counting only, and the .mme's bytes per event
//                     (issue 27)
//   BM_DiffLogs       the churn replayed to two .mme logs, then
//                     `mmreplay diff` of the two (equal: every event read
//                     and compared), plain and with --ignore pfn, each in a
//                     process of its own: their times against the replay
//                     that wrote one log, and their peak resident sets
//                     (issue 27)
//
//   bazel run -c opt //bench:replay_benchmark
// MMREPLAY_BENCH_OPS=N shortens the traces for quick experiments;
// MMREPLAY_BENCH_REPS=N sets the repetitions (3).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/fastest.h"
#include "bench/log_run.h"
#include "mm/event_sink.h"
#include "replay/driver.h"
#include "replay/event_log.h"
#include "replay/gen/balloon.h"
#include "replay/gen/churn.h"
#include "replay/gen/fragment.h"
#include "replay/summary.h"
#include "trace/output_file.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay {
namespace {

uint64_t Ops(uint64_t fallback) {
  const char* env = getenv("MMREPLAY_BENCH_OPS");
  return env ? strtoull(env, nullptr, 10) : fallback;
}

int Reps() {
  const char* env = getenv("MMREPLAY_BENCH_REPS");
  return env ? atoi(env) : 3;
}

// The process's resident set now, in bytes (/proc/self/statm); 0 where
// there is none.
uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

class CountingSink : public mm::EventSink {
 public:
  void Emit(const mm::Event& e) override {
    events += e.repeat();
    if (e.kind() == EVENT_MIGRATE) migrations += e.repeat();
    if (e.kind() == EVENT_COMPACT_END) {
      // The resident set after each compaction request's last zone.
      const uint64_t rss = ResidentBytes();
      if (compactions++ == 0) rss_after_first_compaction = rss;
      rss_after_last_compaction = rss;
    }
  }
  uint64_t events = 0;
  uint64_t migrations = 0;
  uint64_t compactions = 0;  // compact_end events: requests x zones
  uint64_t rss_after_first_compaction = 0;
  uint64_t rss_after_last_compaction = 0;
};

// The machine's CPU time so far, all CPUs, in /proc/stat's ticks: the whole
// and the part the hypervisor gave to other guests (steal). Zero where there
// is no /proc/stat.
struct CpuTicks {
  uint64_t total = 0;
  uint64_t steal = 0;
};
CpuTicks ReadCpuTicks() {
  CpuTicks t;
  std::ifstream stat("/proc/stat");
  std::string cpu;
  // cpu user nice system idle iowait irq softirq steal guest guest_nice;
  // guest time is counted in user already.
  uint64_t v[8] = {};
  if (!(stat >> cpu) || cpu != "cpu") return t;
  for (uint64_t& x : v) stat >> x;
  for (uint64_t x : v) t.total += x;
  t.steal = v[7];
  return t;
}

// CPU seconds of the calling thread.
double ThreadCpuSeconds() {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         1e-9 * static_cast<double>(ts.tv_nsec);
}

// Writes a trace once per process with `generate`; returns its path.
std::string Generate(
    const std::string& name,
    const std::function<absl::Status(trace::TraceWriter&)>& generate) {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string path =
      std::string(tmp ? tmp : "/tmp") + "/mmreplay_bench_" + name + ".mmt";
  auto writer = trace::TraceWriter::Create(path);
  if (!writer.ok() || !generate(**writer).ok() || !(*writer)->Commit().ok()) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

void Replay(benchmark::State& state, const std::string& path) {
  uint64_t ops = 0, events = 0, migrations = 0, scanned = 0, compactions = 0;
  uint64_t rss_first = 0, rss_last = 0;
  mm::Model::MemoryUse use;
  mm::Counters counters;
  const CpuTicks ticks_before = ReadCpuTicks();
  const double cpu_before = ThreadCpuSeconds();
  for (auto _ : state) {
    auto reader = trace::TraceReader::Open(path);
    if (!reader.ok()) {
      state.SkipWithError(std::string(reader.status().message()).c_str());
      return;
    }
    CountingSink sink;
    ReplayReport report;
    absl::Status s =
        Replay(**reader, ReplayOptions(), &sink, &report, &use, &counters);
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      return;
    }
    ops += report.ops;
    events += sink.events;
    migrations += sink.migrations;
    // PFNs both compaction scanners visited.
    scanned += static_cast<uint64_t>(
        counters.Get(mm::VmEvent::kCompactMigrateScanned) +
        counters.Get(mm::VmEvent::kCompactFreeScanned));
    compactions = sink.compactions;
    rss_first = sink.rss_after_first_compaction;
    rss_last = sink.rss_after_last_compaction;
  }
  const double replay_cpu = ThreadCpuSeconds() - cpu_before;
  const CpuTicks ticks_after = ReadCpuTicks();
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  // The replay thread's own speed, not counting the time it was off its
  // CPU (stolen, or waiting for the reading thread).
  state.counters["replay_cpu_ops_per_s"] =
      static_cast<double>(ops) / replay_cpu;
  // The share of the machine's CPU time the hypervisor took for other
  // guests while this ran: the wall-clock figure's noise, named.
  if (ticks_after.total > ticks_before.total) {
    state.counters["steal_pct"] =
        100.0 * static_cast<double>(ticks_after.steal - ticks_before.steal) /
        static_cast<double>(ticks_after.total - ticks_before.total);
  }
  state.counters["ops_per_s"] =
      benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
  if (migrations > 0) {
    state.counters["migrations_per_s"] = benchmark::Counter(
        static_cast<double>(migrations), benchmark::Counter::kIsRate);
    state.counters["migrations"] = static_cast<double>(migrations);
  }
  if (compactions > 0) {
    state.counters["pages_scanned_per_s"] = benchmark::Counter(
        static_cast<double>(scanned), benchmark::Counter::kIsRate);
    state.counters["pages_scanned"] = static_cast<double>(scanned);
    // Resident set after the first and the last compaction of the last
    // repetition: equal when repeated compactions keep nothing.
    state.counters["rss_first_compact_MiB"] =
        static_cast<double>(rss_first) / (1 << 20);
    state.counters["rss_last_compact_MiB"] =
        static_cast<double>(rss_last) / (1 << 20);
  }
  state.counters["events_per_op"] =
      static_cast<double>(events) / static_cast<double>(ops);
  state.counters["max_rss_MiB"] = static_cast<double>(ru.ru_maxrss) / 1024;
  double live = static_cast<double>(use.live_folios);
  state.counters["live_folios"] = live;
  // The model's memory over the live folios, whole and by part.
  auto per_folio = [live](size_t bytes) {
    return static_cast<double>(bytes) / live;
  };
  state.counters["model_MiB"] = static_cast<double>(use.total()) / (1 << 20);
  state.counters["model_B_per_folio"] = per_folio(use.total());
  state.counters["B_records"] = per_folio(use.folio_record_bytes);
  state.counters["B_large"] = per_folio(use.large_folio_bytes);
  state.counters["B_index"] = per_folio(use.pfn_index_bytes);
  state.counters["B_buddy"] = per_folio(use.buddy_bytes);
  state.counters["B_page_tables"] = per_folio(use.page_table_bytes);
  state.counters["B_page_cache"] = per_folio(use.page_cache_bytes);
}

// Every replay benchmark: one whole replay per repetition, timed by the
// wall clock (end to end: the reading thread's work counts too).
void EndToEnd(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kSecond)
      ->UseRealTime()
      ->Iterations(1)
      ->Repetitions(Reps())
      ->ComputeStatistics("max", bench::Max);
}

const std::string& ChurnTrace() {
  static const std::string path = Generate("churn", [](trace::TraceWriter& w) {
    gen::ChurnParams p;
    p.ops = Ops(10000000);
    return gen::GenerateChurn(p, w);
  });
  return path;
}

void BM_ReplayChurn(benchmark::State& state) { Replay(state, ChurnTrace()); }
BENCHMARK(BM_ReplayChurn)->Apply(EndToEnd);

// The resident set, sampled every 2^20 events on their way to the summary:
// its peak over one replay (getrusage's peak is the whole process's, every
// benchmark before this one included).
class RssSampler : public mm::EventSink {
 public:
  explicit RssSampler(mm::EventSink* next) : next_(next) {}
  void Emit(const mm::Event& e) override {
    next_->Emit(e);
    if ((++events_ & ((1u << 20) - 1)) == 0) Sample();
  }
  void Sample() { peak_ = std::max(peak_, ResidentBytes()); }
  uint64_t peak() const { return peak_; }

 private:
  mm::EventSink* next_;
  uint64_t events_ = 0;
  uint64_t peak_ = 0;
};

// replay --summary on M million churn ops (issue 28): the summary is all a
// user asks for, so nothing is formatted per event. /10 and /100 side by
// side show whether speed or memory depends on the trace's length.
void BM_ChurnSummary(benchmark::State& state) {
  const uint64_t ops = Ops(static_cast<uint64_t>(state.range(0)) * 1000000);
  const std::string path = Generate("churn_summary_" + std::to_string(ops),
                                    [ops](trace::TraceWriter& w) {
                                      gen::ChurnParams p;
                                      p.ops = ops;
                                      return gen::GenerateChurn(p, w);
                                    });
  uint64_t replayed = 0, peak = 0, end = 0, summary_ops = 0;
  const double cpu_before = ThreadCpuSeconds();
  for (auto _ : state) {
    auto reader = trace::TraceReader::Open(path);
    if (!reader.ok()) {
      state.SkipWithError(std::string(reader.status().message()).c_str());
      return;
    }
    SummarySink summary(nullptr);
    RssSampler sampler(&summary);
    ReplayReport report;
    mm::Counters counters;
    absl::Status s = Replay(**reader, ReplayOptions(), &sampler, &report,
                            nullptr, &counters);
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      return;
    }
    sampler.Sample();
    summary_ops = summary.Finish("linux-6.18", report, counters).ops();
    replayed += report.ops;
    peak = std::max(peak, sampler.peak());
    end = ResidentBytes();
  }
  const double cpu = ThreadCpuSeconds() - cpu_before;
  std::remove(path.c_str());
  state.counters["ops_per_s"] = benchmark::Counter(
      static_cast<double>(replayed), benchmark::Counter::kIsRate);
  state.counters["replay_cpu_ops_per_s"] = static_cast<double>(replayed) / cpu;
  state.counters["summary_ops"] = static_cast<double>(summary_ops);
  state.counters["rss_peak_MiB"] = static_cast<double>(peak) / (1 << 20);
  state.counters["rss_end_MiB"] = static_cast<double>(end) / (1 << 20);
}
// One repetition each: the 100M-op replay is minutes long.
BENCHMARK(BM_ChurnSummary)
    ->Arg(10)
    ->Arg(100)
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->Iterations(1);

// The churn's log three ways in each repetition, one right after the
// other, so that a neighbour's load moves all three alike: events counted
// only (the replay benchmarks' sink), the text log (to /dev/null: its
// formatting, not the disk; a 10M-op churn's text is about 10 GB), and the
// binary log (to a file, whose size gives bytes per event). The ratios to
// counting only are the figures to read.
void BM_LogForms(benchmark::State& state) {
  using bench::LogRun;
  using bench::ReplayToLog;
  const std::string& trace = ChurnTrace();
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string mme =
      std::string(tmp ? tmp : "/tmp") + "/mmreplay_bench_churn.mme";
  LogRun count, text, binary;
  for (auto _ : state) {
    auto c = ReplayToLog(trace, "", LogFormat::kText);
    auto t = ReplayToLog(trace, "/dev/null", LogFormat::kText);
    auto b = ReplayToLog(trace, mme, LogFormat::kBinary);
    for (const auto* r : {&c, &t, &b}) {
      if (!r->ok()) {
        state.SkipWithError(std::string(r->status().message()).c_str());
        return;
      }
    }
    count = *c;
    text = *t;
    binary = *b;
    state.SetIterationTime(count.seconds + text.seconds + binary.seconds);
  }
  std::remove(mme.c_str());
  auto per_s = [](const LogRun& r, uint64_t n) {
    return static_cast<double>(n) / r.seconds;
  };
  state.counters["count_ops_per_s"] = per_s(count, count.ops);
  state.counters["text_ops_per_s"] = per_s(text, text.ops);
  state.counters["mme_ops_per_s"] = per_s(binary, binary.ops);
  state.counters["count_events_per_s"] = per_s(count, count.events);
  state.counters["text_events_per_s"] = per_s(text, text.events);
  state.counters["mme_events_per_s"] = per_s(binary, binary.events);
  state.counters["text_vs_count"] = count.seconds / text.seconds;
  state.counters["mme_vs_count"] = count.seconds / binary.seconds;
  state.counters["events_per_op"] =
      static_cast<double>(count.events) / static_cast<double>(count.ops);
  state.counters["mme_MiB"] = static_cast<double>(binary.bytes) / (1 << 20);
  state.counters["mme_bytes_per_event"] =
      static_cast<double>(binary.bytes) / static_cast<double>(binary.events);
}
BENCHMARK(BM_LogForms)
    ->Unit(benchmark::kSecond)
    ->UseManualTime()
    ->Iterations(1)
    ->Repetitions(Reps())
    ->ComputeStatistics("max", bench::Max);

// The mmreplay binary: $MMREPLAY_BIN, else the one `bazel run` puts in the
// runfiles (the working directory), else the one beside this benchmark in
// bazel-bin.
std::string MmreplayBinary() {
  if (const char* env = getenv("MMREPLAY_BIN")) return env;
  if (access("replay/mmreplay", X_OK) == 0) return "replay/mmreplay";
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "mmreplay";
  self[n] = '\0';
  std::string path(self);
  path = path.substr(0, path.rfind('/'));  // bazel-bin/bench
  return path.substr(0, path.rfind('/')) + "/replay/mmreplay";
}

struct Child {
  int status = -1;
  double seconds = 0;
  double max_rss_mib = 0;
};

// Runs argv as a child process, stdout and stderr to /dev/null; its exit
// status, wall time and peak resident set.
Child RunChild(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  Child c;
  const double start = bench::WallSeconds();
  pid_t pid;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) ==
      0) {
    struct rusage ru;
    if (wait4(pid, &c.status, 0, &ru) == pid) {
      c.max_rss_mib = static_cast<double>(ru.ru_maxrss) / 1024;
    }
  }
  c.seconds = bench::WallSeconds() - start;
  posix_spawn_file_actions_destroy(&actions);
  return c;
}

// Issue 27: diff of two binary logs of the churn takes no longer than the
// replay that writes one, in memory that does not grow with the logs.
void BM_DiffLogs(benchmark::State& state) {
  using bench::LogRun;
  using bench::ReplayToLog;
  const std::string& trace = ChurnTrace();
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string dir = tmp ? tmp : "/tmp";
  const std::string a = dir + "/mmreplay_bench_diff_a.mme",
                    b = dir + "/mmreplay_bench_diff_b.mme";
  const std::string bin = MmreplayBinary();
  if (access(bin.c_str(), X_OK) != 0) {
    state.SkipWithError(
        ("no mmreplay binary at " + bin + " (set MMREPLAY_BIN)").c_str());
    return;
  }
  LogRun replay;
  Child plain, ignore_pfn;
  for (auto _ : state) {
    auto ra = ReplayToLog(trace, a, LogFormat::kBinary);
    auto rb = ReplayToLog(trace, b, LogFormat::kBinary);
    if (!ra.ok() || !rb.ok()) {
      state.SkipWithError("replay failed");
      return;
    }
    replay = *ra;
    plain = RunChild({bin, "diff", "-q", a, b});
    ignore_pfn = RunChild({bin, "diff", "-q", "--ignore", "pfn", a, b});
    if (plain.status != 0 || ignore_pfn.status != 0) {
      state.SkipWithError("mmreplay diff did not find the two logs equal");
      return;
    }
    state.SetIterationTime(plain.seconds);
  }
  std::remove(a.c_str());
  std::remove(b.c_str());
  state.counters["replay_s"] = replay.seconds;
  state.counters["diff_s"] = plain.seconds;
  state.counters["diff_ignore_pfn_s"] = ignore_pfn.seconds;
  state.counters["diff_vs_replay"] = plain.seconds / replay.seconds;
  state.counters["diff_ignore_pfn_vs_replay"] =
      ignore_pfn.seconds / replay.seconds;
  state.counters["diff_events_per_s"] =
      static_cast<double>(replay.events) / plain.seconds;
  state.counters["diff_max_rss_MiB"] = plain.max_rss_mib;
  state.counters["diff_ignore_pfn_max_rss_MiB"] = ignore_pfn.max_rss_mib;
  state.counters["mme_MiB"] = static_cast<double>(replay.bytes) / (1 << 20);
}
BENCHMARK(BM_DiffLogs)
    ->Unit(benchmark::kSecond)
    ->UseManualTime()
    ->Iterations(1)
    ->Repetitions(Reps())
    ->ComputeStatistics("max", bench::Max);

void BM_ReplayBalloon(benchmark::State& state) {
  static const std::string path =
      Generate("balloon", [](trace::TraceWriter& w) {
        gen::BalloonParams p;
        p.ops = Ops(1000000);
        return gen::GenerateBalloon(p, w);
      });
  Replay(state, path);
}
BENCHMARK(BM_ReplayBalloon)->Apply(EndToEnd);

// Compaction of a fragmented 16 GiB model (issue 24): memory filled with
// folios of orders 0, 2, 4 and 9, half of them unmapped at random, then
// compact_memory, once (/1) or ten times in a row (/10), and a shrinker
// run (gen fragment --compactions). Migrations and the pages the scanners
// visited counted; the resident set after the first and the last
// compaction shows whether repeats keep memory.
void BM_ReplayCompaction(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  // Written once per process and count, before the first repetition.
  static std::map<uint64_t, std::string> paths;
  if (paths.count(n) == 0) {
    paths[n] =
        Generate("fragment_x" + std::to_string(n), [n](trace::TraceWriter& w) {
          gen::FragmentParams p;
          p.memory_mib = Ops(16384);
          p.compactions = n;
          return gen::GenerateFragment(p, w);
        });
  }
  Replay(state, paths[n]);
}
BENCHMARK(BM_ReplayCompaction)->Arg(1)->Arg(10)->Apply(EndToEnd);

}  // namespace
}  // namespace mmreplay::replay
