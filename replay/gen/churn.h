// The "churn" generator: anonymous memory churn over many processes. Regions
// of up to 8 MiB are mapped and faulted in with writes (THP where they fit,
// mTHP of the enabled orders at the ragged ends; 16K and 64K by default);
// then, per op on a region, by default: 92.9% touch 1-16 pages, 1%
// MADV_DONTNEED of 1-16 pages, 1% munmap of its tail, 5% munmap of all of
// it; 0.1% of ops run the deferred-split shrinker (`mix` sets the weights).
// Memory in use stays below about three quarters of the machine.
#ifndef MMREPLAY_REPLAY_GEN_CHURN_H_
#define MMREPLAY_REPLAY_GEN_CHURN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay::gen {

struct ChurnParams {
  // Ops after setup (the processes' creation).
  uint64_t ops = 1000000;
  uint64_t seed = 1;
  // Modelled physical memory, a multiple of 4 MiB.
  uint64_t memory_mib = 16384;
  uint32_t processes = 16;
  // Anonymous folio orders enabled "always" (9: PMD THP), the rest "never".
  std::vector<uint32_t> mthp_orders = {2, 4, 9};
  // The weights of the ops on a mapped region, in kChurnKinds order.
  std::vector<uint64_t> mix = {929, 10, 10, 50, 1};
};

// The --mix kinds, in ChurnParams::mix order: touch, dontneed, unmap-tail,
// unmap, shrink.
const std::vector<std::string>& ChurnKinds();

absl::Status GenerateChurn(const ChurnParams& params, trace::TraceWriter& out);

}  // namespace mmreplay::replay::gen

#endif  // MMREPLAY_REPLAY_GEN_CHURN_H_
