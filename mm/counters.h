// The kernel counters the model keeps: /proc/vmstat THP events and the
// per-size stats under /sys/kernel/mm/transparent_hugepage/hugepages-<N>kB/
// stats/. Names are the kernel's own, so a captured ExpectCounters record
// compares with the model name for name.
#ifndef MMREPLAY_MM_COUNTERS_H_
#define MMREPLAY_MM_COUNTERS_H_

#include <array>
#include <cstdint>

#include "base/page_geometry.h"
#include "trace/counter_names.h"

namespace mmreplay::mm {

// The counters, named in trace/counter_names.h.
using trace::kMinMthpOrder;
using trace::MthpStat;
using trace::VmEvent;

// The counter values. Events only grow; nr_anon and
// nr_anon_partially_mapped are gauges.
class Counters {
 public:
  void Count(VmEvent e, int64_t delta = 1) {
    vm_[static_cast<int>(e)] += delta;
  }
  // count_mthp_stat(): orders without a folder (0, 10) are not counted.
  void Count(MthpStat s, uint32_t order, int64_t delta = 1) {
    if (order < kMinMthpOrder || order > kPmdOrder) return;
    mthp_[order][static_cast<int>(s)] += delta;
  }
  int64_t Get(VmEvent e) const { return vm_[static_cast<int>(e)]; }
  int64_t Get(MthpStat s, uint32_t order) const {
    return order > kPmdOrder ? 0 : mthp_[order][static_cast<int>(s)];
  }

 private:
  std::array<int64_t, static_cast<int>(VmEvent::kCount)> vm_{};
  std::array<std::array<int64_t, static_cast<int>(MthpStat::kCount)>,
             kPmdOrder + 1>
      mthp_{};
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_COUNTERS_H_
