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

void Knobs::Set(const SysfsSet& s) {
  switch (s.knob()) {
    case KNOB_ENABLED:
      enabled = s.value();
      break;
    case KNOB_DEFRAG:
      defrag = s.value();
      break;
    case KNOB_ANON_ORDER_ENABLED:
      anon_order[s.order()] = s.value();
      break;
    case KNOB_SHMEM_ENABLED:
      shmem_enabled = s.value();
      break;
    case KNOB_SHMEM_ORDER_ENABLED:
      shmem_order[s.order()] = s.value();
      break;
    case KNOB_MAX_PTES_NONE:
      max_ptes_none = s.number();
      break;
    case KNOB_USE_ZERO_PAGE:
      use_zero_page = s.number() != 0;
      break;
    case KNOB_SHRINK_UNDERUSED:
      shrink_underused = s.number() != 0;
      break;
    case KNOB_MAX_PTES_SHARED:
      max_ptes_shared = s.number();
      break;
    default:
      break;
  }
}

std::vector<SysfsSet> Knobs::AsSysfs() const {
  std::vector<SysfsSet> all;
  auto word = [&all](Knob k, uint32_t order, KnobValue v) {
    SysfsSet s;
    s.set_knob(k);
    s.set_order(order);
    s.set_value(v);
    all.push_back(s);
  };
  auto number = [&all](Knob k, uint32_t n) {
    SysfsSet s;
    s.set_knob(k);
    s.set_number(n);
    all.push_back(s);
  };
  word(KNOB_ENABLED, 0, enabled);
  word(KNOB_DEFRAG, 0, defrag);
  for (uint32_t o = 2; o <= kPmdOrder; ++o) {
    word(KNOB_ANON_ORDER_ENABLED, o, anon_order[o]);
  }
  word(KNOB_SHMEM_ENABLED, 0, shmem_enabled);
  for (uint32_t o = 1; o <= kPmdOrder; ++o) {
    word(KNOB_SHMEM_ORDER_ENABLED, o, shmem_order[o]);
  }
  number(KNOB_MAX_PTES_NONE, max_ptes_none);
  number(KNOB_USE_ZERO_PAGE, use_zero_page ? 1 : 0);
  number(KNOB_SHRINK_UNDERUSED, shrink_underused ? 1 : 0);
  number(KNOB_MAX_PTES_SHARED, max_ptes_shared);
  return all;
}

}  // namespace mmreplay::mm
