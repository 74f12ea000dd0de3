// The "malloc" generator: a memory allocator over anonymous mTHP memory
// returning freed memory with MADV_DONTNEED (jemalloc, tcmalloc, scudo;
// the workload of seed 001, whose point is that a zap of whole mTHPs frees
// them without the deferred split queue and a partial one queues them).
// Each process has an arena mapped at setup, cut into cells of the largest
// allocation size rounded up to 2 MiB. An op picks a cell: an empty one gets
// an allocation of a size from `sizes`, written whole (the faults allocate
// mTHPs of the enabled orders); a used one, by `mix`: is used (1-16 pages
// written or read), freed (MADV_DONTNEED of all of it), partly freed
// (MADV_DONTNEED of its tail from a random page: a shrinking realloc or
// freed chunks at the end of a run), or the deferred-split shrinker runs.
#ifndef MMREPLAY_REPLAY_GEN_MALLOC_H_
#define MMREPLAY_REPLAY_GEN_MALLOC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay::gen {

struct MallocParams {
  // Ops after setup (the processes and their arenas' mmaps).
  uint64_t ops = 1000000;
  uint64_t seed = 1;
  // Modelled physical memory, a multiple of 4 MiB; the arenas cover three
  // quarters of it.
  uint64_t memory_mib = 4096;
  uint32_t processes = 4;
  // Anonymous folio orders enabled "always" (9: PMD THP), the rest "never".
  std::vector<uint32_t> mthp_orders = {2, 4};
  // Allocation sizes, chosen uniformly; multiples of 4 KiB up to 64 MiB.
  std::vector<uint64_t> sizes = {16 << 10, 64 << 10, 256 << 10, 1 << 20};
  // Weights of the ops on a used cell, in MallocKinds() order.
  std::vector<uint64_t> mix = {70, 20, 9, 1};
};

// The --mix kinds: use, free, partial-free, shrink.
const std::vector<std::string>& MallocKinds();

absl::Status GenerateMalloc(const MallocParams& params,
                            trace::TraceWriter& out);

}  // namespace mmreplay::replay::gen

#endif  // MMREPLAY_REPLAY_GEN_MALLOC_H_
