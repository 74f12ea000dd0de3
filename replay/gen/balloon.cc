#include "replay/gen/balloon.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/page_geometry.h"
#include "base/status_macros.h"
#include "replay/gen/common.h"
#include "replay/gen/rng.h"

namespace mmreplay::replay::gen {
namespace {

constexpr uint32_t kPid = 1;
constexpr uint32_t kFile = 1;
// Where the guest is mapped in the QEMU process (2 MiB-aligned).
constexpr uint64_t kGuestBase = 0x7f0000000000ull;

const char* PatternName(BalloonParams::Pattern p) {
  switch (p) {
    case BalloonParams::Pattern::kRandom:
      return "random";
    case BalloonParams::Pattern::kSequential:
      return "sequential";
    case BalloonParams::Pattern::kStrided:
      return "strided";
  }
  return "?";
}

}  // namespace

uint64_t BalloonHostMib(uint64_t guest_mib) {
  return std::clamp<uint64_t>(guest_mib / 8 / 4 * 4, 4, 1024);
}

absl::Status GenerateBalloon(const BalloonParams& p, trace::TraceWriter& out) {
  const bool anon = p.reclaim == BalloonParams::Reclaim::kDontneed;
  const bool mapped = anon || p.mapped;
  Header h = GeneratedHeader(
      "balloon", p.seed, (p.memory_mib + BalloonHostMib(p.memory_mib)) << 8,
      absl::StrCat("--ops=", p.ops, " --memory-mib=", p.memory_mib,
                   " --punch-size=", FormatSize(p.punch_size),
                   " --pattern=", PatternName(p.pattern), " --reclaim=",
                   anon ? "dontneed" : "punch", p.mapped ? " --mapped" : "",
                   " --khugepaged-every=", p.khugepaged_every),
      absl::StrCat(
          "balloon inflation: ", PatternName(p.pattern), " ",
          FormatSize(p.punch_size), " ",
          anon ? "MADV_DONTNEEDs of anonymous THP guest memory"
               : "hole punches of a tmpfs (huge=always) guest",
          mapped && !anon ? " mapped by QEMU" : "",
          p.khugepaged_every == 0 ? "" : ", khugepaged collapsing back"));
  if (anon) AddAnonOrderKnobs({9}, *h.mutable_profile());
  RETURN_IF_ERROR(out.WriteHeader(h));
  OpBudget budget(out, p.ops);

  // Setup: the guest's memory, written whole 2 MiB at a time.
  const uint64_t guest = p.memory_mib * kMiB;
  if (mapped) RETURN_IF_ERROR(budget.Setup(ProcessCreateOp(kPid)));
  if (anon) {
    RETURN_IF_ERROR(budget.Setup(MmapAnonOp(kPid, kGuestBase, guest)));
  } else {
    RETURN_IF_ERROR(budget.Setup(FileCreateOp(kFile, FILESYSTEM_TMPFS)));
    if (mapped) {
      Op op;
      op.mutable_truncate()->set_file_id(kFile);
      op.mutable_truncate()->set_size_bytes(guest);
      RETURN_IF_ERROR(budget.Setup(op));
      RETURN_IF_ERROR(budget.Setup(
          MmapFileOp(kPid, kGuestBase, guest, kFile, /*shared=*/true)));
    }
  }
  for (uint64_t off = 0; off < guest; off += kPmdSize) {
    RETURN_IF_ERROR(budget.Setup(
        mapped ? TouchOp(kPid, kGuestBase + off, kPmdSize, ACCESS_WRITE)
               : FileWriteOp(kFile, off, kPmdSize)));
  }

  // The workload: reclaims, and now and then a collapse.
  Rng rng(p.seed);
  const uint64_t blocks = guest / p.punch_size;
  // Strided: blocks per PMD (the passes), and PMDs (blocks per pass).
  const uint64_t per_pmd = std::max<uint64_t>(1, kPmdSize / p.punch_size);
  const uint64_t per_pass = blocks / per_pmd;
  for (uint64_t i = 0; !budget.done(); ++i) {
    uint64_t block = 0;
    switch (p.pattern) {
      case BalloonParams::Pattern::kRandom:
        block = rng.Below(blocks);
        break;
      case BalloonParams::Pattern::kSequential:
        block = i % blocks;
        break;
      case BalloonParams::Pattern::kStrided:
        block = (i % per_pass) * per_pmd + (i / per_pass) % per_pmd;
        break;
    }
    const uint64_t off = block * p.punch_size;
    RETURN_IF_ERROR(budget.Emit(
        anon ? MadviseOp(kPid, kGuestBase + off, p.punch_size, ADVICE_DONTNEED)
             : PunchHoleOp(kFile, off, p.punch_size)));
    if (p.khugepaged_every != 0 && (i + 1) % p.khugepaged_every == 0) {
      Op op;
      Collapse* c = op.mutable_collapse();
      c->set_pid(kPid);
      c->set_addr(kGuestBase + off / kPmdSize * kPmdSize);
      c->set_length_bytes(kPmdSize);
      c->set_khugepaged(true);
      RETURN_IF_ERROR(budget.Emit(op));
    }
  }
  return absl::OkStatus();
}

}  // namespace mmreplay::replay::gen
