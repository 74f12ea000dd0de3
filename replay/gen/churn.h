// The "churn" generator: anonymous memory churn over many processes. Regions
// of up to 8 MiB are mapped and faulted in with writes (THP where they fit,
// 16K and 64K mTHP at the ragged ends); then, per op on a region: 92.9%
// touch 1-16 pages, 1% MADV_DONTNEED of 1-16 pages, 1% munmap of its tail,
// 5% munmap of all of it; 0.1% of ops run the deferred-split shrinker.
// Memory in use stays below about three quarters of the machine.
#ifndef MMREPLAY_REPLAY_GEN_CHURN_H_
#define MMREPLAY_REPLAY_GEN_CHURN_H_

#include <cstdint>

#include "absl/status/status.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay::gen {

struct ChurnParams {
  // Ops after the header.
  uint64_t ops = 1000000;
  uint64_t seed = 1;
  // Modelled physical memory.
  uint64_t memory_gib = 16;
  uint32_t processes = 16;
};

absl::Status GenerateChurn(const ChurnParams& params, trace::TraceWriter& out);

}  // namespace mmreplay::replay::gen

#endif  // MMREPLAY_REPLAY_GEN_CHURN_H_
