// The "balloon" generator: balloon inflation in a virtual machine (seed
// 004). The guest's memory is filled whole as setup: a tmpfs file
// (huge=always, as QEMU's memory-backend-memfd) written with pwrite, or
// mapped shared into the QEMU process and faulted in (`mapped`), or private
// anonymous THP memory of that process (`reclaim` kDontneed). Then the
// balloon driver hands guest pages back, `punch_size` bytes at a time in a
// pattern, and QEMU returns them to the host: fallocate(PUNCH_HOLE) on the
// file, or MADV_DONTNEED on the anonymous memory. With `khugepaged_every`,
// khugepaged collapses the PMD just reclaimed back into a THP after every
// that many reclaims (the ping-pong seed 004 warns of).
#ifndef MMREPLAY_REPLAY_GEN_BALLOON_H_
#define MMREPLAY_REPLAY_GEN_BALLOON_H_

#include <cstdint>

#include "absl/status/status.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay::gen {

struct BalloonParams {
  // Ops after setup (the guest's fill): reclaims and collapses.
  uint64_t ops = 1000000;
  uint64_t seed = 1;
  // Guest memory, a multiple of 4 MiB; the modelled machine has
  // BalloonHostMib() more.
  uint64_t memory_mib = 16384;
  // Bytes per reclaim: a power of two, 4 KiB..1 GiB.
  uint64_t punch_size = 4096;
  // kRandom: a random punch_size-aligned block each time; kSequential:
  // block after block from the start (wrapping); kStrided: one block per
  // 2 MiB, pass after pass, the next block of each PMD on every pass (every
  // THP is hit before any is emptied).
  enum class Pattern { kRandom, kSequential, kStrided };
  Pattern pattern = Pattern::kRandom;
  // kPunch: the guest is a tmpfs file, reclaimed by hole punches.
  // kDontneed: the guest is anonymous memory, reclaimed by MADV_DONTNEED.
  enum class Reclaim { kPunch, kDontneed };
  Reclaim reclaim = Reclaim::kPunch;
  // kPunch: the file is also mapped (shared) into process 1, filled through
  // the mapping. Always so with kDontneed.
  bool mapped = false;
  // A khugepaged collapse of the PMD last reclaimed after every this many
  // reclaims; 0: none. Needs the guest mapped.
  uint64_t khugepaged_every = 0;
};

// The host's memory beside a guest of `guest_mib`: an eighth of it, 4 MiB
// to 1 GiB, a multiple of 4 MiB.
uint64_t BalloonHostMib(uint64_t guest_mib);

absl::Status GenerateBalloon(const BalloonParams& params,
                             trace::TraceWriter& out);

}  // namespace mmreplay::replay::gen

#endif  // MMREPLAY_REPLAY_GEN_BALLOON_H_
