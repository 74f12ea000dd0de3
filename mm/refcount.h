// Direct stores to a reference count (folio_set_count, set_page_count,
// page_ref_unfreeze): safe only while the storer's references are the only
// ones. A speculative reference (get_page_unless_zero / folio_try_get from
// a PFN walker) may be taken on any page whose count is not zero, so a
// store over a count that holds more than the storer's references loses a
// reference someone will put later (seed 003: the v3 compaction_free()).
#ifndef MMREPLAY_MM_REFCOUNT_H_
#define MMREPLAY_MM_REFCOUNT_H_

#include <cstdint>

#include "proto/event.pb.h"

namespace mmreplay::mm {

struct MmState;

// Stores `value` in *count, the count of the block of 2^order pages at pfn,
// whose holder (the caller) owns `owner_refs` of it. When *count holds
// more, logs EVENT_REFCOUNT_VIOLATION and keeps the first such one for
// Verify() (which `replay --verify` stops on).
void SetRefcount(MmState& mm, uint64_t pfn, uint32_t order, int32_t* count,
                 int32_t value, int32_t owner_refs, Reason reason);

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_REFCOUNT_H_
