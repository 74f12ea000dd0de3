// The live kernel against the model on one small loop (issue 27): map 2 MiB
// of anonymous memory with MADV_HUGEPAGE, write every page (one THP fault),
// MADV_DONTNEED its first 64 KiB (a PMD split, the THP queued for deferred
// split), munmap it. The kernel runs the loop with the real syscalls; the
// model replays the same loop as a trace (five ops an iteration: mmap_anon,
// madvise, touch, madvise, munmap) three ways in the same repetition:
// counting events only, writing the binary log (.mme) and the text log.
// Counters: each side's ops/s and the model's over the kernel's.
//
//   bazel run -c opt //bench:live_loop_benchmark
//
// Skipped where the kernel makes no THP on the loop (THP "never", or no
// 2 MiB aligned huge page to be had): the counter thp_fault_alloc of
// /proc/vmstat must grow by one an iteration. MMREPLAY_BENCH_OPS sets the
// iterations (20000).
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "bench/fastest.h"
#include "bench/log_run.h"
#include "replay/event_log.h"
#include "replay/gen/common.h"
#include "trace/trace_writer.h"

namespace mmreplay::bench {
namespace {

constexpr uint64_t kThp = uint64_t{2} << 20;
constexpr uint64_t kDontneed = 64 << 10;
constexpr int kOpsPerIteration = 5;

uint64_t Iterations() {
  const char* env = getenv("MMREPLAY_BENCH_OPS");
  return env ? strtoull(env, nullptr, 10) : 20000;
}

std::string TmpPath(const std::string& name) {
  const char* tmp = getenv("TEST_TMPDIR");
  return std::string(tmp ? tmp : "/tmp") + "/mmreplay_live_loop" + name;
}

uint64_t ThpFaultAlloc() {
  std::ifstream vmstat("/proc/vmstat");
  std::string name;
  uint64_t value = 0;
  while (vmstat >> name >> value) {
    if (name == "thp_fault_alloc") return value;
  }
  return 0;
}

// The loop on the live kernel; its wall-clock seconds, or a negative value
// when the kernel did not make a THP an iteration.
double KernelLoop(uint64_t iterations) {
  // A 2 MiB aligned address inside a reserved 4 MiB, mapped afresh (with
  // MAP_FIXED) each iteration.
  void* reserve =
      mmap(nullptr, 2 * kThp, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (reserve == MAP_FAILED) return -1;
  char* addr = reinterpret_cast<char*>(
      (reinterpret_cast<uintptr_t>(reserve) + kThp - 1) & ~(kThp - 1));
  const uint64_t thp_before = ThpFaultAlloc();
  const double start = WallSeconds();
  for (uint64_t i = 0; i < iterations; ++i) {
    char* p = static_cast<char*>(mmap(addr, kThp, PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                                      -1, 0));
    if (p != addr) return -1;
    madvise(p, kThp, MADV_HUGEPAGE);
    for (uint64_t off = 0; off < kThp; off += 4096) {
      *static_cast<volatile char*>(p + off) = 1;
    }
    madvise(p, kDontneed, MADV_DONTNEED);
    munmap(p, kThp);
  }
  const double seconds = WallSeconds() - start;
  munmap(reserve, 2 * kThp);
  // Another process's THP faults can only add: fewer than one an iteration
  // means this loop did not get its THPs.
  if (ThpFaultAlloc() - thp_before < iterations) return -1;
  return seconds;
}

// The same loop as a trace.
absl::Status WriteLoopTrace(const std::string& path, uint64_t iterations) {
  using namespace replay::gen;  // NOLINT: the op builders
  auto writer = trace::TraceWriter::Create(path);
  if (!writer.ok()) return writer.status();
  trace::TraceWriter& w = **writer;
  Header header = GeneratedHeader(
      "live-loop", 0, (uint64_t{1} << 30) / 4096, "",
      "bench/live_loop_benchmark: THP fault, partial MADV_DONTNEED, munmap");
  KernelProfile* profile = header.mutable_profile();
  AddAnonOrderKnobs({9}, *profile);
  if (absl::Status s = w.WriteHeader(header); !s.ok()) return s;
  const uint64_t base = 0x7f0000000000;
  if (absl::Status s = w.Write(ProcessCreateOp(1)); !s.ok()) return s;
  for (uint64_t i = 0; i < iterations; ++i) {
    for (const Op& op :
         {MmapAnonOp(1, base, kThp), MadviseOp(1, base, kThp, ADVICE_HUGEPAGE),
          TouchOp(1, base, kThp, ACCESS_WRITE),
          MadviseOp(1, base, kDontneed, ADVICE_DONTNEED),
          MunmapOp(1, base, kThp)}) {
      if (absl::Status s = w.Write(op); !s.ok()) return s;
    }
  }
  return w.Commit();
}

void BM_LiveLoop(benchmark::State& state) {
  const uint64_t iterations = Iterations();
  const std::string trace = TmpPath(".mmt"), mme = TmpPath(".mme");
  if (absl::Status s = WriteLoopTrace(trace, iterations); !s.ok()) {
    state.SkipWithError(std::string(s.message()).c_str());
    return;
  }
  double kernel = 0;
  LogRun count, binary, text;
  for (auto _ : state) {
    kernel = KernelLoop(iterations);
    if (kernel < 0) {
      state.SkipWithError(
          "the kernel made no THP an iteration (THP off, or no huge page "
          "free): nothing to compare");
      break;
    }
    auto c = ReplayToLog(trace, "", replay::LogFormat::kText);
    auto b = ReplayToLog(trace, mme, replay::LogFormat::kBinary);
    auto t = ReplayToLog(trace, "/dev/null", replay::LogFormat::kText);
    for (const auto* r : {&c, &b, &t}) {
      if (!r->ok()) {
        state.SkipWithError(std::string(r->status().message()).c_str());
        return;
      }
    }
    count = *c;
    binary = *b;
    text = *t;
    state.SetIterationTime(kernel + count.seconds + binary.seconds +
                           text.seconds);
  }
  std::remove(trace.c_str());
  std::remove(mme.c_str());
  if (kernel <= 0) return;
  const double ops = static_cast<double>(iterations * kOpsPerIteration);
  // The model's ops include the setup's process_create.
  auto rate = [](const LogRun& r) {
    return static_cast<double>(r.ops) / r.seconds;
  };
  state.counters["kernel_ops_per_s"] = ops / kernel;
  state.counters["count_ops_per_s"] = rate(count);
  state.counters["mme_ops_per_s"] = rate(binary);
  state.counters["text_ops_per_s"] = rate(text);
  state.counters["count_vs_kernel"] = rate(count) / (ops / kernel);
  state.counters["mme_vs_kernel"] = rate(binary) / (ops / kernel);
  state.counters["text_vs_kernel"] = rate(text) / (ops / kernel);
  state.counters["events_per_iteration"] =
      static_cast<double>(count.events) / static_cast<double>(iterations);
}
BENCHMARK(BM_LiveLoop)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(1)
    ->Repetitions(3)
    ->ComputeStatistics("max", Max);

}  // namespace
}  // namespace mmreplay::bench

BENCHMARK_MAIN();
