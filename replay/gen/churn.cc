#include "replay/gen/churn.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "replay/gen/rng.h"
#include "trace/trace_format.h"

namespace mmreplay::replay::gen {
namespace {

constexpr uint64_t kMiB = 1 << 20;
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
      : p_(p), out_(out), rng_(p.seed) {}

  absl::Status Run() {
    RETURN_IF_ERROR(out_.WriteHeader(MakeHeader()));
    for (uint32_t pid = 1; pid <= p_.processes; ++pid) {
      Op op;
      op.mutable_process_create()->set_pid(pid);
      RETURN_IF_ERROR(Emit(op));
    }
    // Enough slots for three quarters of memory at the largest region size.
    uint64_t total = p_.memory_gib << 30;
    uint64_t nslots = std::max<uint64_t>(1, total * 3 / 4 / kRegionMaxBytes);
    for (uint64_t i = 0; i < nslots; ++i) {
      uint32_t pid = static_cast<uint32_t>(1 + i % p_.processes);
      slots_.push_back(
          Slot{pid, kRegionBase + (i / p_.processes) * kSlotBytes});
    }
    while (emitted_ < p_.ops) RETURN_IF_ERROR(Step());
    return absl::OkStatus();
  }

 private:
  Header MakeHeader() const {
    Header h;
    h.set_format_version(trace::kFormatVersion);
    h.mutable_machine()->set_total_pages(p_.memory_gib << 18);
    h.mutable_profile()->set_name("linux-6.18");
    SysfsSet* k = h.mutable_profile()->add_knob();
    k->set_knob(KNOB_ENABLED);
    k->set_value(KNOB_VALUE_ALWAYS);
    for (uint32_t order : {2u, 4u}) {
      k = h.mutable_profile()->add_knob();
      k->set_knob(KNOB_ANON_ORDER_ENABLED);
      k->set_order(order);
      k->set_value(KNOB_VALUE_ALWAYS);
    }
    Generated* g = h.mutable_provenance()->mutable_generated();
    g->set_generator("churn");
    g->set_seed(p_.seed);
    g->set_parameters(absl::StrCat("--ops=", p_.ops,
                                   " --memory-gib=", p_.memory_gib,
                                   " --processes=", p_.processes));
    h.set_description(
        "anonymous memory churn: faults, partial zaps, munmaps, "
        "shrinker runs");
    return h;
  }

  // Writes `op` unless the trace already has its ops.
  absl::Status Emit(const Op& op) {
    if (emitted_ == p_.ops) return absl::OkStatus();
    ++emitted_;
    return out_.Write(op);
  }

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
    Op op;
    if (s.length == 0) {
      s.length = kPmdSize * rng_.Between(1, kRegionMaxBytes / kPmdSize) -
                 (rng_.Percent(25) ? kPageSize * rng_.Between(1, 16) : 0);
      MmapAnon* m = op.mutable_mmap_anon();
      m->set_pid(s.pid);
      m->set_addr(s.base);
      m->set_length_bytes(s.length);
      m->set_prot(PROT_BITS_READ | PROT_BITS_WRITE);
      m->set_flags(MAP_BITS_PRIVATE);
      RETURN_IF_ERROR(Emit(op));
      op.Clear();
      Touch* t = op.mutable_touch();
      t->set_pid(s.pid);
      t->set_addr(s.base);
      t->set_length_bytes(s.length);
      t->set_access(ACCESS_WRITE);
      return Emit(op);
    }
    // Per mapped region: mostly touches (page faults and hits); regions
    // mostly go whole (munmap), some are partly zapped or partly unmapped
    // first, and now and then the deferred-split shrinker runs.
    uint64_t dice = rng_.Below(1000);
    uint64_t addr, length;
    Subrange(s, &addr, &length);
    if (dice < 929) {
      Touch* t = op.mutable_touch();
      t->set_pid(s.pid);
      t->set_addr(addr);
      t->set_length_bytes(length);
      t->set_access(rng_.Percent(80) ? ACCESS_WRITE : ACCESS_READ);
    } else if (dice < 939) {
      Madvise* m = op.mutable_madvise();
      m->set_pid(s.pid);
      m->set_addr(addr);
      m->set_length_bytes(length);
      m->set_advice(ADVICE_DONTNEED);
    } else if (dice < 949) {
      // Unmap the tail of the region from a page inside it.
      uint64_t keep = (addr - s.base) & ~(kPageSize - 1);
      Munmap* m = op.mutable_munmap();
      m->set_pid(s.pid);
      m->set_addr(s.base + keep);
      m->set_length_bytes(s.length - keep);
      s.length = keep;
    } else if (dice < 999) {
      Munmap* m = op.mutable_munmap();
      m->set_pid(s.pid);
      m->set_addr(s.base);
      m->set_length_bytes(s.length);
      s.length = 0;
    } else {
      op.mutable_deferred_split_scan();
    }
    return Emit(op);
  }

  const ChurnParams& p_;
  trace::TraceWriter& out_;
  Rng rng_;
  std::vector<Slot> slots_;
  uint64_t emitted_ = 0;
};

}  // namespace

absl::Status GenerateChurn(const ChurnParams& params, trace::TraceWriter& out) {
  return Churn(params, out).Run();
}

}  // namespace mmreplay::replay::gen
