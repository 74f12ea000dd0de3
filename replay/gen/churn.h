// The "churn" generator: anonymous memory churn over many processes. Regions
// of a few MiB are mapped, faulted in with writes (THP where they fit),
// partly zapped with MADV_DONTNEED, partly or wholly unmapped, and the
// deferred-split shrinker runs now and then. Memory in use stays below about
// three quarters of the machine.
#ifndef MMREPLAY_REPLAY_GEN_CHURN_H_
#define MMREPLAY_REPLAY_GEN_CHURN_H_

#include <cstdint>

#include "absl/status/status.h"
#include "replay/trace_writer.h"

namespace mmreplay::replay::gen {

struct ChurnParams {
  // Ops after the header.
  uint64_t ops = 1000000;
  uint64_t seed = 1;
  // Modelled physical memory.
  uint64_t memory_gib = 16;
  uint32_t processes = 16;
};

absl::Status GenerateChurn(const ChurnParams& params, TraceWriter& out);

}  // namespace mmreplay::replay::gen

#endif  // MMREPLAY_REPLAY_GEN_CHURN_H_
