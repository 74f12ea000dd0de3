// The sysfs THP knobs (/sys/kernel/mm/transparent_hugepage/) the model
// obeys, with the values of a fresh boot of this project's machines
// (Debian's 6.18 kernel: CONFIG_TRANSPARENT_HUGEPAGE_MADVISE).
#ifndef MMREPLAY_MM_KNOBS_H_
#define MMREPLAY_MM_KNOBS_H_

#include <array>
#include <cstdint>

#include "mm/counters.h"
#include "proto/mm_enums.pb.h"

namespace mmreplay::mm {

// One write of a sysfs knob (the trace's SysfsSet): word-valued knobs take
// `value`, numeric ones `number`; per-size knobs name their folder's order.
struct KnobWrite {
  Knob knob = KNOB_UNSPECIFIED;
  uint32_t order = 0;
  KnobValue value = KNOB_VALUE_UNSPECIFIED;
  uint32_t number = 0;
};

struct Knobs {
  // enabled
  KnobValue enabled = KNOB_VALUE_MADVISE;
  // defrag
  KnobValue defrag = KNOB_VALUE_MADVISE;
  // hugepages-<N>kB/enabled by order; PMD order inherits, the rest never
  // (huge_anon_orders_inherit = BIT(PMD_ORDER) in hugepage_init()).
  std::array<KnobValue, kPmdOrder + 1> anon_order = DefaultAnonOrders();
  // shmem_enabled
  KnobValue shmem_enabled = KNOB_VALUE_NEVER;
  // hugepages-<N>kB/shmem_enabled by order; PMD order inherits.
  std::array<KnobValue, kPmdOrder + 1> shmem_order = DefaultShmemOrders();
  // khugepaged/max_ptes_none (HPAGE_PMD_NR - 1).
  uint32_t max_ptes_none = 511;
  // khugepaged/max_ptes_shared (HPAGE_PMD_NR / 2).
  uint32_t max_ptes_shared = 256;
  bool use_zero_page = true;
  bool shrink_underused = true;

  // Applies one write; `s` is valid (TraceValidator checked it).
  void Set(const KnobWrite& s);

  // The anonymous orders whose hugepages-<N>kB/enabled is `v`, as a bit
  // mask (huge_anon_orders_always, _madvise and _inherit).
  uint32_t anon_orders(KnobValue v) const {
    uint32_t mask = 0;
    for (uint32_t o = 0; o <= kPmdOrder; ++o) {
      if (anon_order[o] == v) mask |= 1u << o;
    }
    return mask;
  }

 private:
  static std::array<KnobValue, kPmdOrder + 1> DefaultAnonOrders();
  static std::array<KnobValue, kPmdOrder + 1> DefaultShmemOrders();
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_KNOBS_H_
