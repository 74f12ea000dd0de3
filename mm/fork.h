// fork (kernel/fork.c dup_mmap; mm/memory.c copy_page_range,
// copy_present_page; mm/huge_memory.c copy_huge_pmd).
#ifndef MMREPLAY_MM_FORK_H_
#define MMREPLAY_MM_FORK_H_

#include <cstdint>

#include "mm/mm_state.h"

namespace mmreplay::mm {

// copy_pmd_range() for the PMD entry at pmd_addr, within vma: false if a
// page that had to be copied could not be (-ENOMEM).
bool CopyPmd(MmState& mm, Process& src, uint32_t parent_pid, Process& child,
             uint32_t child_pid, const Vma& vma, uint64_t pmd_addr, Pmd& pmd);
// folio_needs_cow_for_dma(): fork must copy src's exclusive pages of f.
bool NeedsCowForDma(const MmState& mm, const Process& src, const Folio& f);
// copy_present_page(): the child gets a copy of the page at addr (pfn);
// false if no page can be had.
bool CopyPageForFork(MmState& mm, Process& child, uint32_t child_pid,
                     uint64_t addr, uint32_t pfn, bool writable);

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_FORK_H_
