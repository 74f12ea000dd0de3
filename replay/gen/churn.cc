#include "replay/gen/churn.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "replay/gen/common.h"
#include "replay/gen/rng.h"
#include "trace/trace_format.h"

namespace mmreplay::replay::gen {

const std::vector<std::string>& ChurnKinds() {
  static const auto* const kinds = new std::vector<std::string>{
      "touch", "dontneed", "unmap-tail", "unmap", "shrink"};
  return *kinds;
}

namespace {

// Regions sit at fixed, 2 MiB-aligned slots: slot i of a process at
// kRegionBase + i * kSlotBytes, up to kRegionMaxBytes long.
constexpr uint64_t kRegionBase = 0x7f0000000000ull;
constexpr uint64_t kSlotBytes = 64 * kMiB;
constexpr uint64_t kRegionMaxBytes = 8 * kMiB;

struct Slot {
  uint32_t pid;
  uint64_t base;
  // Mapped length; 0 when unmapped.
  uint64_t length = 0;
};

class Churn {
 public:
  Churn(const ChurnParams& p, trace::TraceWriter& out)
      : p_(p), out_(out), budget_(out, p.ops), rng_(p.seed), mix_(p.mix) {}

  absl::Status Run() {
    RETURN_IF_ERROR(out_.WriteHeader(MakeHeader()));
    for (uint32_t pid = 1; pid <= p_.processes; ++pid) {
      RETURN_IF_ERROR(budget_.Setup(ProcessCreateOp(pid)));
    }
    // Enough slots for three quarters of memory at the largest region size.
    uint64_t total = p_.memory_mib * kMiB;
    uint64_t nslots = std::max<uint64_t>(1, total * 3 / 4 / kRegionMaxBytes);
    for (uint64_t i = 0; i < nslots; ++i) {
      uint32_t pid = static_cast<uint32_t>(1 + i % p_.processes);
      slots_.push_back(
          Slot{pid, kRegionBase + (i / p_.processes) * kSlotBytes});
    }
    while (!budget_.done()) RETURN_IF_ERROR(Step());
    return absl::OkStatus();
  }

 private:
  Header MakeHeader() const {
    Header h = GeneratedHeader(
        "churn", p_.seed, p_.memory_mib << 8,
        absl::StrCat("--ops=", p_.ops, " --memory-mib=", p_.memory_mib,
                     " --processes=", p_.processes,
                     " --mthp-orders=", OrderList(p_.mthp_orders),
                     " --mix=", FormatMix(ChurnKinds(), p_.mix)),
        "anonymous memory churn: faults, partial zaps, munmaps, shrinker "
        "runs");
    AddAnonOrderKnobs(p_.mthp_orders, *h.mutable_profile());
    return h;
  }

  absl::Status Emit(const Op& op) { return budget_.Emit(op); }

  // A page-aligned subrange of the slot's mapping, 1 to 16 pages.
  void Subrange(const Slot& s, uint64_t* addr, uint64_t* length) {
    uint64_t pages = s.length / kPageSize;
    uint64_t first = rng_.Below(pages);
    uint64_t n = 1 + rng_.Below(std::min<uint64_t>(pages - first, 16));
    *addr = s.base + first * kPageSize;
    *length = n * kPageSize;
  }

  absl::Status Step() {
    Slot& s = slots_[rng_.Below(slots_.size())];
    if (s.length == 0) {
      s.length = kPmdSize * rng_.Between(1, kRegionMaxBytes / kPmdSize) -
                 (rng_.Percent(25) ? kPageSize * rng_.Between(1, 16) : 0);
      RETURN_IF_ERROR(Emit(MmapAnonOp(s.pid, s.base, s.length)));
      return Emit(TouchOp(s.pid, s.base, s.length, ACCESS_WRITE));
    }
    // Per mapped region: mostly touches (page faults and hits); regions
    // mostly go whole (munmap), some are partly zapped or partly unmapped
    // first, and now and then the deferred-split shrinker runs.
    const size_t kind = mix_.Pick(rng_);
    uint64_t addr, length;
    Subrange(s, &addr, &length);
    switch (kind) {
      case 0:
        return Emit(TouchOp(s.pid, addr, length,
                            rng_.Percent(80) ? ACCESS_WRITE : ACCESS_READ));
      case 1:
        return Emit(MadviseOp(s.pid, addr, length, ADVICE_DONTNEED));
      case 2: {
        // Unmap the tail of the region from a page inside it.
        const uint64_t keep = addr - s.base;
        const uint64_t old = s.length;
        s.length = keep;
        return Emit(MunmapOp(s.pid, s.base + keep, old - keep));
      }
      case 3: {
        const uint64_t old = s.length;
        s.length = 0;
        return Emit(MunmapOp(s.pid, s.base, old));
      }
      default: {
        Op op;
        op.mutable_deferred_split_scan();
        return Emit(op);
      }
    }
  }

  const ChurnParams& p_;
  trace::TraceWriter& out_;
  OpBudget budget_;
  Rng rng_;
  const WeightedChoice mix_;
  std::vector<Slot> slots_;
};

}  // namespace

absl::Status GenerateChurn(const ChurnParams& params, trace::TraceWriter& out) {
  return Churn(params, out).Run();
}

}  // namespace mmreplay::replay::gen
