// mmcapture's core: runs a trace's ops on the live kernel and records, after
// each op, what the kernel shows (docs/capture.md): the folio layout of every
// range the trace maps and of every file it creates, and the THP counters'
// changes since the trace started. With repeats, runs the whole trace again
// in fresh processes and marks what differed as unstable.
#ifndef MMREPLAY_CAPTURE_CAPTURE_H_
#define MMREPLAY_CAPTURE_CAPTURE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace mmreplay::capture {

struct CaptureOptions {
  // Runs; expectations that differ between runs are marked unstable.
  int repeat = 3;
};

struct CaptureReport {
  uint64_t ops = 0;
  uint64_t expectations = 0;
  // Expectation records marked unstable, with a line each saying where.
  uint64_t unstable = 0;
  std::vector<std::string> differences;
  // Settings of the trace that let other processes disturb the counters.
  std::vector<std::string> warnings;
};

// Captures `trace` (its own expectation records are dropped and captured
// anew) into `out`, written whole or not at all. REQUIRES: root, tracefs and
// /proc/kpageflags (main() checks).
absl::Status Capture(const std::string& trace, const std::string& out,
                     const CaptureOptions& options, CaptureReport* report);

}  // namespace mmreplay::capture

#endif  // MMREPLAY_CAPTURE_CAPTURE_H_
