// MAP_SHARED anonymous memory: shmem_zero_setup() and the orders the
// shmem_enabled knobs give anonymous shmem.
#include "mm/anon_shmem.h"

#include <vector>

#include "mm/truncate.h"

namespace mmreplay::mm {

void ShmemZeroSetup(MmState& mm, uint64_t length, Vma* vma) {
  // shmem_kernel_file_setup("dev/zero", size, ...) on the internal mount
  // (shm_mnt); do_mmap() ignores pgoff for MAP_SHARED anonymous memory.
  const uint32_t id = mm.next_anon_shmem_file++;
  File& f = mm.files[id];
  f.filesystem = FILESYSTEM_TMPFS;
  f.anon_shmem = true;
  f.size = length;
  vma->file = id;
  vma->pgoff = 0;
}

// shmem_allowable_huge_orders() for vma_is_anon_shmem(): deny turns every
// size off, force allows the sizes set to inherit; otherwise the sizes set
// to always, those set to within_size that end inside i_size
// (shmem_get_orders_within_size), those set to advise where the VMA has
// VM_HUGEPAGE, and those set to inherit where the top-level shmem_enabled
// (the huge= of shm_mnt: shmem_huge_global_enabled) allows the PMD size.
uint32_t AnonShmemOrders(const MmState& mm, const File& file, uint64_t index,
                         const Vma& vma) {
  const Knobs& k = mm.knobs;
  auto orders = [&k](KnobValue v) {
    uint32_t mask = 0;
    for (uint32_t o = 1; o <= kPmdOrder; ++o) {
      if (k.shmem_order[o] == v) mask |= 1u << o;
    }
    return mask;
  };
  if (k.shmem_enabled == KNOB_VALUE_DENY) return 0;
  if (k.shmem_enabled == KNOB_VALUE_FORCE) {
    return orders(KNOB_VALUE_INHERIT);
  }
  const uint64_t size_pages = (file.size + kPageSize - 1) / kPageSize;
  auto within = [&](uint32_t o) {
    const uint64_t span = uint64_t{1} << o;
    return ((index + span) & ~(span - 1)) <= size_pages;
  };
  uint32_t mask = orders(KNOB_VALUE_ALWAYS);
  for (uint32_t o = 1; o <= kPmdOrder; ++o) {
    if ((orders(KNOB_VALUE_WITHIN_SIZE) >> o & 1) && within(o)) {
      mask |= 1u << o;
    }
  }
  if (vma.hugepage) mask |= orders(KNOB_VALUE_ADVISE);
  bool global = false;
  switch (k.shmem_enabled) {
    case KNOB_VALUE_ALWAYS:
      global = true;
      break;
    case KNOB_VALUE_WITHIN_SIZE:
      global = within(kPmdOrder) || vma.hugepage;
      break;
    case KNOB_VALUE_ADVISE:
      global = vma.hugepage;
      break;
    default:
      break;
  }
  if (global) mask |= orders(KNOB_VALUE_INHERIT);
  return mask;
}

void ReleaseAnonShmem(MmState& mm) {
  if (mm.next_anon_shmem_file == kFirstAnonShmemFileId) return;
  std::vector<uint32_t> unmapped;
  for (auto it = mm.files.lower_bound(kFirstAnonShmemFileId);
       it != mm.files.end(); ++it) {
    unmapped.push_back(static_cast<uint32_t>(it->first));
  }
  if (unmapped.empty()) return;
  for (const auto& [pid, p] : mm.processes) {
    for (const Vma& v : p->vmas.all()) {
      if (v.file < kFirstAnonShmemFileId) continue;
      for (uint32_t& id : unmapped) {
        if (id == v.file) id = 0;
      }
    }
  }
  for (uint32_t id : unmapped) {
    if (id == 0) continue;
    UndoRange(mm, id, 0, UINT64_MAX, REASON_UNLINK);
    mm.files.erase(id);
  }
}

}  // namespace mmreplay::mm
