// tmpfs (mm/shmem.c) and page-cache files (mm/filemap.c): the folio orders
// the huge= policy allows on write and fault, writes, reads, and faults on
// file mappings.
#include "mm/shmem.h"

#include <algorithm>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/strings/str_format.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "mm/anon_shmem.h"
#include "mm/fault.h"
#include "mm/filemap.h"
#include "mm/model.h"
#include "mm/rmap.h"
#include "mm/zap.h"

namespace mmreplay::mm {
namespace {

uint64_t PagesOf(uint64_t bytes) { return (bytes + kPageSize - 1) / kPageSize; }

}  // namespace

// shmem_allowable_huge_orders() + shmem_suitable_orders(): the orders the
// mount's huge= option allows for this index, then the highest whose
// aligned index range is empty. Writes may use any order huge=always or
// within_size allows; faults take the PMD order or nothing (as the live
// kernel shows: a 1 MiB file faulted through mmap gets order-0 pages).
uint32_t ShmemOrder(const MmState& mm, const File& file, uint64_t index,
                    uint64_t write_end, const Vma* vma, uint64_t addr) {
  uint32_t mask = 0;
  uint64_t size_pages =
      std::max(PagesOf(file.size), vma == nullptr ? PagesOf(write_end) : 0);
  if (file.anon_shmem && vma != nullptr) {
    // MAP_SHARED anonymous memory: the shmem_enabled knobs, any size.
    mask = AnonShmemOrders(mm, file, index, *vma);
  } else if (!file.shmem()) {
    // A page-cache file: from max_order down to min_order.
    for (uint32_t o = file.min_order; o <= file.max_order; ++o) mask |= 1u << o;
  } else if (mm.knobs.shmem_enabled == KNOB_VALUE_DENY) {
    mask = 0;
  } else if (mm.knobs.shmem_enabled == KNOB_VALUE_FORCE) {
    mask = 1u << kPmdOrder;
  } else {
    bool fault_hugepage = vma != nullptr && vma->hugepage;
    switch (file.huge) {
      case TMPFS_HUGE_ALWAYS:
        mask =
            vma == nullptr ? ((1u << (kPmdOrder + 1)) - 2) : (1u << kPmdOrder);
        break;
      case TMPFS_HUGE_WITHIN_SIZE:
        for (uint32_t o = 1; o <= kPmdOrder; ++o) {
          uint64_t span = uint64_t{1} << o;
          uint64_t end = (index + span) & ~(span - 1);  // round_up(index+1)
          if (end <= size_pages) mask |= 1u << o;
        }
        if (vma != nullptr) mask &= 1u << kPmdOrder;
        if (mask == 0 && fault_hugepage) mask = 1u << kPmdOrder;
        break;
      case TMPFS_HUGE_ADVISE:
        mask = fault_hugepage ? (1u << kPmdOrder) : 0;
        break;
      default:
        break;
    }
  }
  if (vma != nullptr) {
    if (vma->nohugepage) mask &= 1u;  // VM_NOHUGEPAGE: no large folios
    // The VMA must hold the folio's aligned block, at a file offset with
    // the same alignment.
    for (uint32_t o = 1; o <= kPmdOrder; ++o) {
      uint64_t span = uint64_t{kPageSize} << o;
      uint64_t start = addr & ~(span - 1);
      bool fits =
          start >= vma->start && start + span <= vma->end &&
          ((vma->start >> kPageShift) - vma->pgoff) % (span >> kPageShift) == 0;
      if (!fits) mask &= ~(1u << o);
    }
  }
  for (int o = kPmdOrder; o >= 1; --o) {
    if (!(mask >> o & 1)) continue;
    uint64_t span = uint64_t{1} << o;
    uint64_t first = index & ~(span - 1);
    if (file.cache.Empty(first, first + span - 1)) {
      return static_cast<uint32_t>(o);
    }
  }
  return file.min_folio_order();
}

// generic_perform_write(): the write goes in chunks of at most the largest
// folio (PMD size), each chunk's folios sized for the chunk's end
// (shmem_write_begin -> shmem_get_folio(index, write_end)).
absl::Status Model::FileWrite(uint32_t file_id, uint64_t offset,
                              uint64_t length) {
  File& file = mm_.GetFile(file_id);
  uint64_t pos = offset, end = offset + length;
  while (pos < end) {
    uint64_t chunk_end = std::min(end, (pos & ~(kPmdSize - 1)) + kPmdSize);
    RETURN_IF_ERROR(WriteChunk(mm_, file_id, file, pos, chunk_end));
    pos = chunk_end;
  }
  return absl::OkStatus();
}

absl::Status WriteChunk(MmState& mm, uint32_t file_id, File& file, uint64_t pos,
                        uint64_t end) {
  for (uint64_t index = pos / kPageSize; index * kPageSize < end;) {
    std::optional<PageCache::Entry> e = file.cache.Find(index);
    if (!e.has_value()) {
      if (ShmemAllocAndAddFolio(mm, file_id, file, index,
                                ShmemOrder(mm, file, index, end, nullptr, 0),
                                REASON_WRITE) == nullptr) {
        return absl::OkStatus();  // out of memory: ENOSPC
      }
      e = file.cache.Find(index);
    }
    Folio& f = mm.folios.At(e->head);
    f.set(kFolioDirty);
    uint64_t stop = std::min(e->index + f.pages(), PagesOf(end));
    mm.folios.set_nonzero(f, e->head + static_cast<uint32_t>(index - e->index),
                          static_cast<uint32_t>(stop - index), true);
    index = stop;
  }
  file.size = std::max(file.size, end);
  return absl::OkStatus();
}

absl::Status Model::FileRead(uint32_t file_id, uint64_t offset,
                             uint64_t length) {
  File& file = mm_.GetFile(file_id);
  // tmpfs reads holes as zeros without filling them (SGP_READ); a
  // page-cache file reads them in (simplified readahead: the orders of
  // ShmemOrder(mm_), up to EOF).
  if (file.shmem()) return absl::OkStatus();
  uint64_t end = std::min(offset + length, file.size);
  for (uint64_t index = offset / kPageSize; index * kPageSize < end;) {
    std::optional<PageCache::Entry> e = file.cache.Find(index);
    if (e.has_value()) {
      index = e->index + (uint64_t{1} << e->order);
      continue;
    }
    uint32_t order = ShmemOrder(mm_, file, index, end, nullptr, 0);
    uint32_t head;
    if (AddToPageCache(mm_, file_id, file,
                       index & ~((uint64_t{1} << order) - 1), order,
                       REASON_READ, &head) == nullptr) {
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

// shmem_fault() and finish_fault(): find or allocate the folio, then map
// it: a PMD-sized folio by its PMD where the PMD is empty and the VMA holds
// the aligned block (do_set_pmd), else the folio's PTEs that the VMA and
// the page table hold.
absl::Status FileFault(MmState& mm, Process& p, uint32_t pid, const Vma& vma,
                       uint64_t addr, bool write) {
  File& file = mm.GetFile(vma.file);
  uint64_t index = vma.PageIndex(addr);
  if (index >= PagesOf(file.size)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "fault at 0x%x in process %d is past the end of file %d (SIGBUS)", addr,
        pid, vma.file));
  }
  const Pmd* mapped_pmd = p.pt.FindPmd(addr);
  const bool pte_mapped = p.pt.GetPte(addr).present_page();
  // handle_pte_fault(): a read of a mapped page takes no fault.
  if (!write && (pte_mapped || (mapped_pmd != nullptr &&
                                mapped_pmd->kind == Pmd::Kind::kFolio))) {
    return absl::OkStatus();
  }
  // A write to a private mapping copies the page, the page cache left as it
  // is: do_wp_page() where a page is mapped (read-only: a page-cache page,
  // or a copy shared since a fork), do_cow_fault() from the page-cache page
  // where none is (CowFileFault).
  const bool cow = write && !vma.shared;
  if (cow && pte_mapped) {
    WriteProtectFault(mm, p, pid, vma, addr);
    return absl::OkStatus();
  }
  if (!write && FaultAround(mm, p, pid, vma, addr, file)) {
    return absl::OkStatus();
  }
  std::optional<PageCache::Entry> e = file.cache.Find(index);
  if (!e.has_value()) {
    if (ShmemAllocAndAddFolio(mm, vma.file, file, index,
                              ShmemOrder(mm, file, index, 0, &vma, addr),
                              REASON_FILE_FAULT) == nullptr) {
      mm.fault_oom = true;  // VM_FAULT_OOM
      return absl::OkStatus();
    }
    e = file.cache.Find(index);
  }
  if (cow) {
    CowFileFault(mm, p, pid, vma, addr,
                 e->head + static_cast<uint32_t>(index - e->index));
    return absl::OkStatus();
  }
  uint32_t head = e->head;
  Folio& f = mm.folios.At(head);
  uint32_t pfn = head + static_cast<uint32_t>(index - e->index);
  if (write) {
    mm.folios.set_nonzero(f, pfn, 1, true);
    f.set(kFolioDirty);
  }
  const Pmd* pmd = p.pt.FindPmd(addr);
  uint64_t haddr = addr & ~(kPmdSize - 1);
  // A private mapping maps the page cache read-only (its vm_page_prot).
  bool writable = vma.shared && (vma.prot & PROT_BITS_WRITE) != 0;
  if (MapFolioPmd(mm, p, pid, vma, addr, head, f, e->index, index, writable)) {
    return absl::OkStatus();
  }
  if (pmd != nullptr && pmd->kind != Pmd::Kind::kTable) return absl::OkStatus();
  if (p.pt.GetPte(addr).present_page()) return absl::OkStatus();
  // The folio's pages that the VMA and this page table hold, else one.
  uint64_t first = addr - (uint64_t(pfn - head) << kPageShift);
  uint64_t last = first + (f.pages() << kPageShift);
  if (first < vma.start || last > vma.end || first < haddr ||
      last > haddr + kPmdSize) {
    first = addr;
    last = addr + kPageSize;
  }
  // finish_fault(): the whole folio only where none of its PTEs is
  // mapped (pte_range_none), else the faulting page alone (needs_fallback;
  // campaign seed 26006: a FOLL_PIN fault of a partly zapped shmem mTHP).
  for (uint64_t a = first; last - first > kPageSize && a < last;
       a += kPageSize) {
    if (!p.pt.GetPte(a).none()) {
      first = addr;
      last = addr + kPageSize;
    }
  }
  uint32_t first_pfn =
      pfn - static_cast<uint32_t>((addr - first) >> kPageShift);
  MapFilePtes(mm, p, pid, head, f, first, first_pfn,
              (last - first) >> kPageShift, writable);
  return absl::OkStatus();
}

// set_pte_range() for the `n` pages of page-cache folio f (head) from
// first_pfn at addr whose PTEs are none, with their rmap and references;
// one map event for the pages mapped.
void MapFilePtes(MmState& mm, Process& p, uint32_t pid, uint32_t head, Folio& f,
                 uint64_t addr, uint32_t first_pfn, uint64_t n, bool writable) {
  int mapped = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t a = addr + (i << kPageShift);
    if (!p.pt.GetPte(a).none()) continue;
    const uint32_t page = first_pfn + static_cast<uint32_t>(i);
    p.pt.SetPte(a, Pte::Page(page, writable));
    AddRmapPtes(mm, pid, head, f, page, 1);
    ++mapped;
  }
  if (mapped == 0) return;
  mm.EmitMapping(EVENT_MAP, head, f, REASON_FILE_FAULT, pid, addr, mapped,
                 MAP_LEVEL_PTE, f.mapcount - mapped, f.mapcount, f.refcount,
                 f.refcount + mapped);
  f.refcount += mapped;
}

// do_read_fault() -> do_fault_around() -> filemap_map_pages(): a read fault
// first maps the page-cache pages around it that are there already: the
// fault_around_bytes (64 KiB) window aligned around the fault, clipped to
// the VMA, the page table and EOF. The first folio found may be mapped by
// its PMD (filemap_map_pmd), else each folio met is mapped by PTE where none
// is: whole where it fits, else its pages in the window (captured:
// traces/captured/ shmem_fault_around*). Returns whether the page at addr is
// mapped now.
bool FaultAround(MmState& mm, Process& p, uint32_t pid, const Vma& vma,
                 uint64_t addr, const File& file) {
  constexpr uint64_t kFaultAroundPages = 16;
  const uint64_t pte_off = (addr >> kPageShift) % kPagesPerPmd;
  const uint64_t vma_off = (addr - vma.start) >> kPageShift;
  const uint64_t from_pte = std::max(pte_off & ~(kFaultAroundPages - 1),
                                     pte_off - std::min(pte_off, vma_off));
  const uint64_t to_pte =
      std::min({from_pte + kFaultAroundPages, kPagesPerPmd,
                pte_off + ((vma.end - vma.start) >> kPageShift) - vma_off}) -
      1;
  const uint64_t index = vma.PageIndex(addr);
  const uint64_t file_end = PagesOf(file.size) - 1;
  const uint64_t start = index + from_pte - pte_off;
  const uint64_t end = std::min(index + to_pte - pte_off, file_end);
  const uint64_t base = addr - (pte_off << kPageShift);  // the PMD's start
  const bool writable = vma.shared && (vma.prot & PROT_BITS_WRITE) != 0;
  bool first_folio = true;
  for (uint64_t i = start; i <= end;) {
    std::optional<PageCache::Entry> e = file.cache.Find(i);
    if (!e.has_value()) {
      ++i;
      continue;
    }
    Folio& f = mm.folios.At(e->head);
    if (first_folio &&
        MapFolioPmd(mm, p, pid, vma, addr, e->head, f, e->index, i, writable)) {
      return true;
    }
    first_folio = false;
    const uint64_t last = std::min(end, e->index + f.pages() - 1);
    const uint64_t a = base + ((i - start + from_pte) << kPageShift);
    // A large folio is mapped whole where the VMA and this page table hold
    // it ("mm/filemap: map entire large folio faultaround"; shmem also
    // across EOF), else only its pages in the window.
    const uint64_t folio_addr = a - ((i - e->index) << kPageShift);
    const uint64_t folio_end = folio_addr + (f.pages() << kPageShift);
    if (f.order > 0 && folio_addr >= vma.start && folio_end <= vma.end &&
        folio_addr >= base && folio_end <= base + kPmdSize &&
        (file.shmem() || e->index + f.pages() - 1 <= file_end)) {
      MapFilePtes(mm, p, pid, e->head, f, folio_addr, e->head, f.pages(),
                  writable);
    } else {
      MapFilePtes(mm, p, pid, e->head, f, a,
                  e->head + static_cast<uint32_t>(i - e->index), last - i + 1,
                  writable);
    }
    i = last + 1;
  }
  return p.pt.GetPte(addr).present_page();
}

// do_set_pmd(): page-cache folio f (head, at file index `first`) mapped by
// the PMD of addr, where that PMD is empty, the folio is PMD-sized, the VMA
// holds the aligned block and the folio's place in the file matches it
// (thp_vma_suitable_order). `index`: the page of the folio the caller
// looked up. False if it cannot be.
bool MapFolioPmd(MmState& mm, Process& p, uint32_t pid, const Vma& vma,
                 uint64_t addr, uint32_t head, Folio& f, uint64_t first,
                 uint64_t index, bool writable) {
  const uint64_t haddr = addr & ~(kPmdSize - 1);
  const uint64_t at = addr - ((vma.PageIndex(addr) - index) << kPageShift);
  if (p.pt.FindPmd(addr) != nullptr || f.order != kPmdOrder ||
      haddr < vma.start || haddr + kPmdSize > vma.end || vma.nohugepage ||
      (at - haddr) >> kPageShift != index - first) {
    return false;
  }
  MapPmd(mm, pid, haddr, head, writable, /*own_ref=*/true, REASON_FILE_FAULT);
  mm.counters.Count(VmEvent::kThpFileMapped);
  return true;
}

// shmem_alloc_and_add_folio(): a new folio of `order` (falling back down
// the orders, counted) for `index`. A large folio (any order above 0, not
// only PMD-sized: captured shmem_unused_huge_shrink_mthp*) that reaches
// past EOF puts the file on its superblock's shrinklist
// (shmem_unused_huge_shrink), with i_size as it is before the write that
// allocates it extends it.
Folio* ShmemAllocAndAddFolio(MmState& mm, uint32_t file_id, File& file,
                             uint64_t index, uint32_t order, Reason reason) {
  for (int o = static_cast<int>(order); o >= 0; --o) {
    const uint64_t first = index & ~((uint64_t{1} << o) - 1);
    uint32_t head = 0;
    Folio* f = AddToPageCache(mm, file_id, file, first,
                              static_cast<uint32_t>(o), reason, &head);
    if (f != nullptr) {
      if (file.shmem() && f->order > 0 &&
          PagesOf(file.size) < first + f->pages()) {
        file.on_shrinklist = true;
      }
      return f;
    }
    if (o > 0 && file.shmem()) {
      mm.counters.Count(MthpStat::kShmemFallback, static_cast<uint32_t>(o));
      if (o == kPmdOrder) mm.counters.Count(VmEvent::kThpFileFallback);
    }
  }
  return nullptr;
}

// shmem_unused_huge_shrink(), as drop_caches runs it (each tmpfs
// superblock's shrinker): for each file on the shrinklist, nothing to gain
// where EOF is at a PMD boundary (off the list); else the folio at EOF's
// page (i_size >> PAGE_SHIFT), if large and reaching past EOF, is split
// (split_folio: to order 0, the pieces past EOF dropped, its mappings gone)
// and the file leaves the list, or stays on it if the split fails. Simplified:
// every file is scanned (one list, in file id order; the kernel's batch is
// sc->nr_to_scan per superblock).
void ShmemUnusedHugeShrink(MmState& mm) {
  for (auto& [id, file] : mm.files) {
    if (!file.on_shrinklist) continue;
    const uint64_t size = file.size;
    if ((size + kPageSize - 1) / kPageSize * kPageSize ==
        (size + kPmdSize - 1) / kPmdSize * kPmdSize) {
      file.on_shrinklist = false;
      continue;
    }
    std::optional<PageCache::Entry> e = file.cache.Find(size >> kPageShift);
    // Nothing to split where no large folio reaches past EOF (a folio
    // ending at EOF's page is left as it is: inferred from captures,
    // traces/captured/shmem_unused_huge_shrink_folio_at_eof*), nor past
    // what a fallocate() reached (shmem_fallocend(); captured:
    // shmem_fallocate_keep_size_shrink).
    if (!e.has_value() || e->order == 0 ||
        e->index + (uint64_t{1} << e->order) <=
            std::max(PagesOf(size), file.fallocend)) {
      file.on_shrinklist = false;
      continue;
    }
    if (SplitFolioToOrder0(mm, e->head, REASON_SHMEM_SHRINK) == 0) {
      file.on_shrinklist = false;
    }
  }
}

// A write in a private file mapping where no PTE maps the page: a
// read-only PMD mapping of the page-cache THP is split, which for a file
// folio removes it (wp_huge_pmd: copy on write is done at the PTE level);
// then (do_cow_fault) page-cache page cache_pfn is copied into a new
// anonymous page (WriteProtectFault).
void CowFileFault(MmState& mm, Process& p, uint32_t pid, const Vma& vma,
                  uint64_t addr, uint32_t cache_pfn) {
  const Pmd* pmd = p.pt.FindPmd(addr);
  if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio) {
    SplitPmd(mm, pid, addr & ~(kPmdSize - 1), REASON_COW);
  }
  WriteProtectFault(mm, p, pid, vma, addr, cache_pfn);
}

}  // namespace mmreplay::mm
