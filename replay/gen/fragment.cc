#include "replay/gen/fragment.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/page_geometry.h"
#include "base/status_macros.h"
#include "replay/gen/common.h"
#include "replay/gen/rng.h"
#include "trace/trace_format.h"

namespace mmreplay::replay::gen {
namespace {

constexpr uint64_t kBase = 0x200000000000;
constexpr uint64_t kRegion = uint64_t{2} << 20;
constexpr uint32_t kOrders[] = {0, 2, 4, 9};

}  // namespace

absl::Status GenerateFragment(const FragmentParams& p,
                              trace::TraceWriter& out) {
  const bool alternate = p.pattern == FragmentParams::Pattern::kAlternate;
  RETURN_IF_ERROR(out.WriteHeader(GeneratedHeader(
      "fragment", p.seed, p.memory_mib << 8,
      absl::StrCat(
          "--memory-mib=", p.memory_mib, " --free-percent=", p.free_percent,
          " --pattern=", alternate ? "alternate" : "random",
          p.compactions == 1 ? ""
                             : absl::StrCat(" --compactions=", p.compactions)),
      "a fragmented start for compaction: 2 MiB regions of order-0, 16K, "
      "64K folios or a THP, part of them unmapped, then compact_memory and "
      "a shrinker run")));
  Op op;
  auto emit = [&]() { return out.Write(op); };
  RETURN_IF_ERROR(out.Write(ProcessCreateOp(1)));

  Rng rng(p.seed);
  const uint64_t regions = (p.memory_mib << 20) * 9 / 10 / kRegion;
  std::vector<uint32_t> order(regions);
  uint32_t enabled = 0;  // the mTHP order enabled, 0 for none
  for (uint64_t r = 0; r < regions; ++r) {
    order[r] = kOrders[rng.Below(4)];
    const uint64_t addr = kBase + r * kRegion;
    const uint32_t want = order[r] == 2 || order[r] == 4 ? order[r] : 0;
    if (want != enabled) {
      for (uint32_t o : {enabled, want}) {
        if (o == 0) continue;
        op.Clear();
        SysfsSet* k = op.mutable_sysfs_set();
        k->set_knob(KNOB_ANON_ORDER_ENABLED);
        k->set_order(o);
        k->set_value(o == want ? KNOB_VALUE_ALWAYS : KNOB_VALUE_NEVER);
        RETURN_IF_ERROR(emit());
      }
      enabled = want;
    }
    RETURN_IF_ERROR(out.Write(MmapAnonOp(1, addr, kRegion)));
    // MADV_NOHUGEPAGE would forbid mTHP too: only order 0 and 9 say it.
    if (order[r] == 0 || order[r] == 9) {
      RETURN_IF_ERROR(out.Write(
          MadviseOp(1, addr, kRegion,
                    order[r] == 9 ? ADVICE_HUGEPAGE : ADVICE_NOHUGEPAGE)));
    }
    RETURN_IF_ERROR(out.Write(TouchOp(1, addr, kRegion, ACCESS_WRITE)));
  }
  // Unmap: runs of chosen folios in one munmap each.
  for (uint64_t r = 0; r < regions; ++r) {
    const uint64_t size = kPageSize << order[r];
    const uint64_t n = kRegion / size;
    const bool region_chosen =
        rng.Percent(std::min<uint64_t>(100, 2 * p.free_percent));
    uint64_t run = 0;
    for (uint64_t i = 0; i <= n; ++i) {
      bool gone = false;
      if (i < n) {
        if (order[r] == 9) {
          gone = rng.Percent(p.free_percent);
        } else if (alternate) {
          gone = region_chosen && i % 2 == 1;
        } else {
          gone = rng.Percent(p.free_percent);
        }
      }
      if (gone) {
        ++run;
        continue;
      }
      if (run == 0) continue;
      RETURN_IF_ERROR(out.Write(
          MunmapOp(1, kBase + r * kRegion + (i - run) * size, run * size)));
      run = 0;
    }
  }
  for (uint64_t i = 0; i < p.compactions; ++i) {
    op.Clear();
    op.mutable_compact()->set_mode(COMPACT_MODE_MEMORY);
    RETURN_IF_ERROR(emit());
  }
  op.Clear();
  op.mutable_deferred_split_scan();
  return emit();
}

}  // namespace mmreplay::replay::gen
