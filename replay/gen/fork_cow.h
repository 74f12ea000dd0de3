// The "fork-cow" generator: a parent holding THPs forks children that write
// part of the memory they share and exit (a preforking server's workers, a
// Redis BGSAVE child, a zygote's apps). The parent's region is written
// whole at setup, in PMD THPs. Then `children` children live at a time; in
// turn each is forked, writes `write_percent` of the parent's region in
// `write_size` blocks at random places (copy-on-write faults: a PMD split
// and a copy, or a copied folio), and exits, and its slot forks again.
#ifndef MMREPLAY_REPLAY_GEN_FORK_COW_H_
#define MMREPLAY_REPLAY_GEN_FORK_COW_H_

#include <cstdint>

#include "absl/status/status.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay::gen {

struct ForkCowParams {
  // Ops after setup (the parent's creation, mapping and writes).
  uint64_t ops = 1000000;
  uint64_t seed = 1;
  // Modelled physical memory, a multiple of 4 MiB.
  uint64_t memory_mib = 4096;
  // The parent's anonymous region, a multiple of 2 MiB.
  uint64_t parent_mib = 1024;
  // Children alive at a time: 1..1000.
  uint64_t children = 1;
  // Percent of the parent's region each child writes before it exits.
  uint64_t write_percent = 10;
  // Bytes per child write: a multiple of 4 KiB, 4 KiB..2 MiB.
  uint64_t write_size = 4096;
};

absl::Status GenerateForkCow(const ForkCowParams& params,
                             trace::TraceWriter& out);

}  // namespace mmreplay::replay::gen

#endif  // MMREPLAY_REPLAY_GEN_FORK_COW_H_
