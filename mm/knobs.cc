#include "mm/knobs.h"

namespace mmreplay::mm {

std::array<KnobValue, kPmdOrder + 1> Knobs::DefaultAnonOrders() {
  std::array<KnobValue, kPmdOrder + 1> orders;
  orders.fill(KNOB_VALUE_NEVER);
  orders[kPmdOrder] = KNOB_VALUE_INHERIT;
  return orders;
}

std::array<KnobValue, kPmdOrder + 1> Knobs::DefaultShmemOrders() {
  return DefaultAnonOrders();
}

void Knobs::Set(const KnobWrite& s) {
  switch (s.knob) {
    case KNOB_ENABLED:
      enabled = s.value;
      break;
    case KNOB_DEFRAG:
      defrag = s.value;
      break;
    case KNOB_ANON_ORDER_ENABLED:
      anon_order[s.order] = s.value;
      break;
    case KNOB_SHMEM_ENABLED:
      shmem_enabled = s.value;
      break;
    case KNOB_SHMEM_ORDER_ENABLED:
      shmem_order[s.order] = s.value;
      break;
    case KNOB_MAX_PTES_NONE:
      max_ptes_none = s.number;
      break;
    case KNOB_USE_ZERO_PAGE:
      use_zero_page = s.number != 0;
      break;
    case KNOB_SHRINK_UNDERUSED:
      shrink_underused = s.number != 0;
      break;
    case KNOB_MAX_PTES_SHARED:
      max_ptes_shared = s.number;
      break;
    default:
      break;
  }
}

}  // namespace mmreplay::mm
