// MAP_SHARED anonymous memory (mm/shmem.c shmem_zero_setup): each such mmap
// gets an unnamed shmem file ("dev/zero") of the mapping's size, mapped
// shared at offset 0, so its faults, zaps, forks and splits are those of a
// shared tmpfs mapping. Its folio orders follow the shmem_enabled knobs
// (shmem_allowable_huge_orders for vma_is_anon_shmem), and the file goes
// when no VMA maps it any more (fput -> shmem_evict_inode).
#ifndef MMREPLAY_MM_ANON_SHMEM_H_
#define MMREPLAY_MM_ANON_SHMEM_H_

#include <cstdint>

#include "mm/mm_state.h"

namespace mmreplay::mm {

// shmem_zero_setup(): a new unnamed shmem file of `length` bytes for `vma`,
// which is made to map it (vm_file, vm_pgoff 0).
void ShmemZeroSetup(MmState& mm, uint64_t length, Vma* vma);

// The folio orders (a bit mask, order 0 left out) that
// shmem_allowable_huge_orders() allows a fault at page `index` of
// anonymous shmem file `file` in `vma`, from the shmem_enabled knobs,
// before the VMA's alignment is looked at.
uint32_t AnonShmemOrders(const MmState& mm, const File& file, uint64_t index,
                         const Vma& vma);

// Drops the unnamed shmem files no VMA of any process maps any more, with
// their page cache (shmem_evict_inode -> shmem_truncate_range).
void ReleaseAnonShmem(MmState& mm);

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_ANON_SHMEM_H_
