// The "fragment" generator: a fragmented starting state for compaction
// (issue 24). Memory is filled, 2 MiB region by region, with anonymous
// folios of one order per region (0, 2 and 4 as mTHP, 9 as a THP through
// MADV_HUGEPAGE), chosen at random; then a fraction of the folios is
// unmapped in a pattern, and the trace ends with compact_memory (once, or
// `compactions` times in a row) and a deferred-split shrinker run.
#ifndef MMREPLAY_REPLAY_GEN_FRAGMENT_H_
#define MMREPLAY_REPLAY_GEN_FRAGMENT_H_

#include <cstdint>

#include "absl/status/status.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay::gen {

struct FragmentParams {
  uint64_t seed = 1;
  // The modelled machine; about 90% of it is filled.
  uint64_t memory_mib = 16384;
  // Percent of the folios unmapped (of the regions, for THPs).
  uint64_t free_percent = 50;
  // kRandom: each folio on its own; kAlternate: every other folio of a
  // region, in 2 * free_percent of the regions.
  enum class Pattern { kRandom, kAlternate };
  Pattern pattern = Pattern::kRandom;
  // compact_memory ops before the shrinker run (the benchmark's repeats).
  uint64_t compactions = 1;
};

absl::Status GenerateFragment(const FragmentParams& params,
                              trace::TraceWriter& out);

}  // namespace mmreplay::replay::gen

#endif  // MMREPLAY_REPLAY_GEN_FRAGMENT_H_
