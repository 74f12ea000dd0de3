// Unmapping (mm/memory.c zap_pmd_range, zap_pte_range, free_pgtables;
// mm/huge_memory.c zap_huge_pmd, __split_huge_pmd_locked; mm/madvise.c
// MADV_FREE).
#ifndef MMREPLAY_MM_ZAP_H_
#define MMREPLAY_MM_ZAP_H_

#include <cstdint>

#include "mm/mm_state.h"
#include "proto/event.pb.h"

namespace mmreplay::mm {

// zap_page_range(): unmaps [start, end) of process pid, splitting PMD
// mappings that are partly covered.
void ZapRange(MmState& mm, uint32_t pid, uint64_t start, uint64_t end,
              Reason reason);
// free_pgtables() after [start, end) was zapped and its VMAs removed: the
// PTE tables at its edges go where no VMA is left beside them in their
// 2 MiB (the zap dropped the tables it covered whole).
void FreePgtables(Process& p, uint64_t start, uint64_t end);
// __split_huge_pmd_locked(): a PMD mapping becomes 512 PTEs.
void SplitPmd(MmState& mm, uint32_t pid, uint64_t pmd_addr, Reason reason);
// Splits the PMDs of [start, end) that the range covers only in part
// (vma_adjust_trans_huge).
void SplitPmdsAtEdges(MmState& mm, uint32_t pid, uint64_t start, uint64_t end,
                      Reason reason);
// madvise_free_single_vma(): MADV_FREE of [start, end), VMA by VMA.
// REQUIRES: every VMA there is private anonymous memory.
void MadviseFree(MmState& mm, uint32_t pid, uint64_t start, uint64_t end);
// madvise_free_pte_range(): one PMD's part [addr, end) of it.
void MadviseFreePteRange(MmState& mm, Process& p, uint64_t addr, uint64_t end);

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_ZAP_H_
