// Collapse (mm/khugepaged.c): khugepaged, or MADV_COLLAPSE, replaces the
// small folios of a PMD-aligned 2 MiB block by one new order-9 folio, for
// anonymous memory (collapse_huge_page) and for tmpfs (collapse_file).
#ifndef MMREPLAY_MM_KHUGEPAGED_H_
#define MMREPLAY_MM_KHUGEPAGED_H_

#include <cstdint>

#include "mm/errno.h"
#include "mm/mm_state.h"
#include "mm/scan_result.h"

namespace mmreplay::mm {

// Who collapses: MADV_COLLAPSE (madvise_collapse: no max_ptes_none or
// max_ptes_shared limit, the range given up at a result it stops at) or
// khugepaged (its knobs and the enabled settings; every block tried).
enum class CollapseBy { kMadvCollapse, kKhugepaged };

// What a collapse of one 2 MiB block came to, and whether MADV_COLLAPSE
// stops there (MadviseCollapseContinues(), but for the blocks docs/model.md
// says the model passes over where the kernel refuses the whole VMA).
struct CollapseResult {
  ScanResult result = ScanResult::kSucceed;
  bool stop = false;
  int err() const { return MadviseCollapseErrno(result); }
};

// hpage_collapse_scan_pmd() + collapse_huge_page() of the block at haddr.
CollapseResult CollapseAnon(MmState& mm, uint32_t pid, const Vma& vma,
                            uint64_t haddr, CollapseBy by);
// hpage_collapse_scan_file() + collapse_file() for tmpfs, then
// (MADV_COLLAPSE) the caller's PMD.
CollapseResult CollapseFile(MmState& mm, uint32_t pid, const Vma& vma,
                            uint64_t haddr, CollapseBy by);
// collapse_pte_mapped_thp() for MADV_COLLAPSE: the caller's PMD maps the
// page-cache THP at head, unless a PTE there maps a private mapping's
// anonymous copy (SCAN_FAIL: false).
bool MapCollapsedFile(MmState& mm, uint32_t pid, const Vma& vma, uint64_t haddr,
                      uint32_t head);
// alloc_charge_folio(): the new folio; null when none can be had.
Folio* AllocCollapseFolio(MmState& mm, uint32_t* head);

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_KHUGEPAGED_H_
