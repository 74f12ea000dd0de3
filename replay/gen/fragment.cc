#include "replay/gen/fragment.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/page_geometry.h"
#include "base/status_macros.h"
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
  Header h;
  h.set_format_version(trace::kFormatVersion);
  h.mutable_machine()->set_total_pages(p.memory_mib << 8);
  h.mutable_profile()->set_name("linux-6.18");
  Generated* g = h.mutable_provenance()->mutable_generated();
  g->set_generator("fragment");
  g->set_seed(p.seed);
  g->set_parameters(absl::StrCat(
      "--memory-mib=", p.memory_mib, " --free-percent=", p.free_percent,
      " --pattern=", alternate ? "alternate" : "random",
      p.compactions == 1 ? ""
                         : absl::StrCat(" --compactions=", p.compactions)));
  h.set_description(
      "a fragmented start for compaction: 2 MiB regions of order-0, 16K, "
      "64K folios or a THP, part of them unmapped, then compact_memory and "
      "a shrinker run");
  RETURN_IF_ERROR(out.WriteHeader(h));
  Op op;
  auto emit = [&]() { return out.Write(op); };
  op.mutable_process_create()->set_pid(1);
  RETURN_IF_ERROR(emit());

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
    op.Clear();
    MmapAnon* m = op.mutable_mmap_anon();
    m->set_pid(1);
    m->set_addr(addr);
    m->set_length_bytes(kRegion);
    m->set_prot(3);
    m->set_flags(2);
    RETURN_IF_ERROR(emit());
    op.Clear();
    Madvise* a = op.mutable_madvise();
    a->set_pid(1);
    a->set_addr(addr);
    a->set_length_bytes(kRegion);
    a->set_advice(order[r] == 9 ? ADVICE_HUGEPAGE : ADVICE_NOHUGEPAGE);
    // MADV_NOHUGEPAGE would forbid mTHP too: only order 0 and 9 say it.
    if (order[r] == 0 || order[r] == 9) RETURN_IF_ERROR(emit());
    op.Clear();
    Touch* t = op.mutable_touch();
    t->set_pid(1);
    t->set_addr(addr);
    t->set_length_bytes(kRegion);
    t->set_access(ACCESS_WRITE);
    RETURN_IF_ERROR(emit());
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
      op.Clear();
      Munmap* u = op.mutable_munmap();
      u->set_pid(1);
      u->set_addr(kBase + r * kRegion + (i - run) * size);
      u->set_length_bytes(run * size);
      RETURN_IF_ERROR(emit());
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
