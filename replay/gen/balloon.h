// The "balloon" generator: a virtual machine's memory backed by a tmpfs
// file (huge=always), written whole, then inflated like a balloon driver
// does it (QEMU's virtio-balloon punching guest pages out of a memfd, the
// use case of seed 004): random 4 KiB hole punches.
#ifndef MMREPLAY_REPLAY_GEN_BALLOON_H_
#define MMREPLAY_REPLAY_GEN_BALLOON_H_

#include <cstdint>

#include "absl/status/status.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay::gen {

struct BalloonParams {
  // Ops after the header (the file's creation and its writes count).
  uint64_t ops = 1000000;
  uint64_t seed = 1;
  // Guest memory; the modelled machine has 1 GiB more.
  uint64_t memory_gib = 16;
};

absl::Status GenerateBalloon(const BalloonParams& params,
                             trace::TraceWriter& out);

}  // namespace mmreplay::replay::gen

#endif  // MMREPLAY_REPLAY_GEN_BALLOON_H_
