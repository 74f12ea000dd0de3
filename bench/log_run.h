// One replay of a trace into an event log, timed: what BM_LogForms and the
// live-kernel loop benchmark compare side by side.
#ifndef MMREPLAY_BENCH_LOG_RUN_H_
#define MMREPLAY_BENCH_LOG_RUN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "replay/event_log.h"

namespace mmreplay::bench {

// CLOCK_MONOTONIC in seconds.
double WallSeconds();

// A replay's wall-clock seconds, ops and events, and the size of what it
// wrote.
struct LogRun {
  double seconds = 0;
  uint64_t ops = 0;
  uint64_t events = 0;
  uint64_t bytes = 0;
};

// Replays `trace` under linux-6.18 into an EventLog writing `out_path` in
// `format` (an empty path counts events only).
absl::StatusOr<LogRun> ReplayToLog(const std::string& trace,
                                   const std::string& out_path,
                                   replay::LogFormat format);

}  // namespace mmreplay::bench

#endif  // MMREPLAY_BENCH_LOG_RUN_H_
