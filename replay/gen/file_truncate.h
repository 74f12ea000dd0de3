// The "file-truncate" generator: files of a size mix written and cut back at
// random tails (seeds 000 and 002: truncate_inode_partial_folio() splitting
// a large folio with the buddy-like split; a log or a database file
// shrinking, a build tree rewritten). `files` file slots; an op picks one:
// an empty slot gets a file created and written whole, 2 MiB per write (each
// write an op), of a size from `sizes`; a file, by `mix`: is truncated to a
// random byte below its size, has a random range of its tail punched
// (FALLOC_FL_PUNCH_HOLE from a random byte to a random end), is written
// again over a random range up to its original size, or is unlinked.
#ifndef MMREPLAY_REPLAY_GEN_FILE_TRUNCATE_H_
#define MMREPLAY_REPLAY_GEN_FILE_TRUNCATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay::gen {

struct FileTruncateParams {
  // Ops after setup (there is none: every create and write counts).
  uint64_t ops = 1000000;
  uint64_t seed = 1;
  // Modelled physical memory, a multiple of 4 MiB; the files fit in three
  // quarters of it.
  uint64_t memory_mib = 4096;
  // File slots: 1..65536.
  uint64_t files = 64;
  // File sizes, chosen uniformly; multiples of 4 KiB up to 1 GiB.
  std::vector<uint64_t> sizes = {64 << 10, 512 << 10, 2 << 20, 8 << 20};
  // true: tmpfs with huge=always; false: a disk filesystem's page cache
  // with large folios up to order 9.
  bool tmpfs = true;
  // Weights of the ops on a file, in FileTruncateKinds() order.
  std::vector<uint64_t> mix = {40, 40, 15, 5};
};

// The --mix kinds: truncate, punch, write, unlink.
const std::vector<std::string>& FileTruncateKinds();

absl::Status GenerateFileTruncate(const FileTruncateParams& params,
                                  trace::TraceWriter& out);

}  // namespace mmreplay::replay::gen

#endif  // MMREPLAY_REPLAY_GEN_FILE_TRUNCATE_H_
