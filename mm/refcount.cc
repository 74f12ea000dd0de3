#include "mm/refcount.h"

#include "absl/strings/str_format.h"
#include "mm/mm_state.h"

namespace mmreplay::mm {

void SetRefcount(MmState& mm, uint64_t pfn, uint32_t order, int32_t* count,
                 int32_t value, int32_t owner_refs, Reason reason) {
  if (*count > owner_refs) {
    Event& e = mm.NewEvent(EVENT_REFCOUNT_VIOLATION, reason);
    e.set_pfn(pfn);
    e.set_order(order);
    e.set_ref_before(*count);
    e.set_ref_after(value);
    mm.Emit();
    if (mm.refcount_violation.empty()) {
      mm.refcount_violation = absl::StrFormat(
          "refcount violation: the count of pfn 0x%x (order %d) was set "
          "%d -> %d while %d reference(s) of another holder existed",
          pfn, order, *count, value, *count - owner_refs);
    }
  }
  *count = value;
}

}  // namespace mmreplay::mm
