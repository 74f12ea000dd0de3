// The machine a Model runs on, in the model's own terms: its physical memory
// and zones. The replay driver makes it from a trace header's Machine record.
#ifndef MMREPLAY_MM_MACHINE_H_
#define MMREPLAY_MM_MACHINE_H_

#include <cstdint>
#include <vector>

#include "mm/buddy.h"

namespace mmreplay::mm {

struct Machine {
  // Physical memory in 4 KiB pages.
  uint64_t total_pages = 0;
  // Zones in PFN order; empty means one zone spanning total_pages.
  std::vector<ZoneSpan> zones;
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_MACHINE_H_
