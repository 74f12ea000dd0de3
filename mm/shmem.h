// tmpfs and page-cache files (mm/shmem.c, mm/filemap.c generic_perform_write
// and filemap_fault, mm/memory.c finish_fault and do_cow_fault): folio
// orders on write and fault, writes, and faults on file mappings.
#ifndef MMREPLAY_MM_SHMEM_H_
#define MMREPLAY_MM_SHMEM_H_

#include <cstdint>

#include "absl/status/status.h"
#include "mm/mm_state.h"

namespace mmreplay::mm {

// shmem_get_folio() on a miss: the order of the folio to allocate for
// `index` (a write ending at `write_end` bytes, or a fault in `vma` at
// `addr`).
uint32_t ShmemOrder(const MmState& mm, const File& file, uint64_t index,
                    uint64_t write_end, const Vma* vma, uint64_t addr);
// One chunk of a write: [pos, end) within one PMD-sized block.
[[nodiscard]] absl::Status WriteChunk(MmState& mm, uint32_t file_id, File& file,
                                      uint64_t pos, uint64_t end);
// A fault on a file mapping (shmem_fault + finish_fault; a write to a
// private one: CowFileFault).
[[nodiscard]] absl::Status FileFault(MmState& mm, Process& p, uint32_t pid,
                                     const Vma& vma, uint64_t addr, bool write);
// do_cow_fault(): a write fault in a private file mapping with no PTE.
// shmem_unused_huge_shrink() over every file on a shrinklist (shmem.cc).
void ShmemUnusedHugeShrink(MmState& mm);
// shmem_alloc_and_add_folio() (shmem.cc).
Folio* ShmemAllocAndAddFolio(MmState& mm, uint32_t file_id, File& file,
                             uint64_t index, uint32_t order, Reason reason);
// The pieces of FileFault (shmem.cc): set_pte_range(), do_fault_around(),
// do_set_pmd().
void MapFilePtes(MmState& mm, Process& p, uint32_t pid, uint32_t head, Folio& f,
                 uint64_t addr, uint32_t first_pfn, uint64_t n, bool writable);
bool FaultAround(MmState& mm, Process& p, uint32_t pid, const Vma& vma,
                 uint64_t addr, const File& file);
bool MapFolioPmd(MmState& mm, Process& p, uint32_t pid, const Vma& vma,
                 uint64_t addr, uint32_t head, Folio& f, uint64_t first,
                 uint64_t index, bool writable);
void CowFileFault(MmState& mm, Process& p, uint32_t pid, const Vma& vma,
                  uint64_t addr, uint32_t cache_pfn);

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_SHMEM_H_
