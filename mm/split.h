// Folio split (mm/huge_memory.c): __folio_split() with its uniform
// (split_huge_page_to_list_to_order) and non-uniform, buddy-like
// (folio_split) kinds from one backend.
#ifndef MMREPLAY_MM_SPLIT_H_
#define MMREPLAY_MM_SPLIT_H_

#include <cstdint>

#include "mm/folio.h"
#include "proto/event.pb.h"

namespace mmreplay::mm {

struct MmState;

// Which split: split_huge_page_to_list_to_order() (every piece of the
// target order) or folio_split() (halving the piece that holds one page
// down to the target order).
enum class SplitKind { kUniform, kNonUniform };

// What a split request (split_huge_pages_pid, _in_file: the debugfs
// interface) asks of each large folio: the target order, the split's kind
// and, for kNonUniform, the page index in the folio to split at (a folio
// with no such page splits uniformly).
struct SplitTo {
  uint32_t new_order = 0;
  SplitKind kind = SplitKind::kUniform;
  uint64_t in_folio_offset = 0;
  // From the trace's fields (SplitRequest: non_uniform a flag).
  static SplitTo Of(uint32_t new_order, bool non_uniform, uint64_t at) {
    return {new_order,
            non_uniform ? SplitKind::kNonUniform : SplitKind::kUniform, at};
  }
  // The kind of split for a folio of `pages` pages.
  SplitKind KindFor(uint64_t pages) const {
    return kind == SplitKind::kNonUniform && in_folio_offset < pages
               ? SplitKind::kNonUniform
               : SplitKind::kUniform;
  }
};

// __folio_split(): splits folio `head` to `new_order`, at page index
// `split_at` of the folio for kNonUniform (0 for kUniform). Returns 0 or a
// negative errno (errno.h); logs the split or the failure and counts it.
// `caller_pins`: references the caller holds beside the mappings and the
// page cache's. REQUIRES: head is a live large folio's head PFN; the folio
// record may move (take it again with folios.At(head) after the call).
int SplitFolio(MmState& mm, uint32_t head, uint32_t new_order, SplitKind kind,
               uint64_t split_at, int caller_pins, Reason reason);
// split_folio(): uniform to order 0, no reference of the caller's.
inline int SplitFolioToOrder0(MmState& mm, uint32_t head, Reason reason) {
  return SplitFolio(mm, head, 0, SplitKind::kUniform, /*split_at=*/0,
                    /*caller_pins=*/0, reason);
}
// Whether unmapping a PTE-mapped anonymous folio for migration sees it
// partially mapped on the way.
bool MigrationSeesPartiallyMapped(MmState& mm, uint32_t head, const Folio& f);

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_SPLIT_H_
