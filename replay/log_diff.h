// Compares two event logs op by op, streaming both: every op whose events
// differ is listed (up to a cap) with its differing events marked and a few
// lines of context on both sides, the events only one side has are counted
// by kind, and a one-line summary ends the report. Comment lines never
// differ.
//
// Memory: the lines of the op being compared, from its first difference
// on (in windows of kWindowLines per side for an op longer than that), and
// the context; with ignore_pfn, the names of the live folios (in blocks of
// 64 PFNs, replay/folio_namer.h). Never a whole log.
#ifndef MMREPLAY_REPLAY_LOG_DIFF_H_
#define MMREPLAY_REPLAY_LOG_DIFF_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "replay/log_reader.h"
#include "replay/progress.h"

namespace mmreplay::replay {

struct DiffOptions {
  // Lines of context around each difference, on each side.
  int context = 3;
  // Differing ops reported in full; the others are only counted.
  uint64_t max_ops = 10;
  // Compare PFNs (pfn=, dst=) as folio identities rather than numbers: a
  // folio is named after its allocation, "@<op>.<n>" for the n-th folio
  // allocated by op <op>, and a split's pieces after their parent,
  // "@<op>.<n>+<page offset>". Two logs whose allocators hand out other
  // PFNs for the same folios then align. A PFN no allocation in the log
  // named (a compaction zone's) stays a number.
  bool ignore_pfn = false;
  // Compare without virtual addresses (addr=*).
  bool ignore_addr = false;
  // Told the ops compared as the comparison goes (not owned; may be null).
  Progress* progress = nullptr;
};

// Lines of one op held at a time per side; a longer op is compared window
// by window.
inline constexpr size_t kWindowLines = 1 << 16;

struct DiffResult {
  bool equal = true;
  // Ops compared (an op either side has events for).
  uint64_t ops = 0;
  // For unequal logs, the human-readable report (ends in a newline).
  std::string report;
};

// Reads both logs to their ends. Errors: either reader's status().
absl::StatusOr<DiffResult> DiffLogs(LogReader& a, LogReader& b,
                                    const DiffOptions& options);

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_LOG_DIFF_H_
