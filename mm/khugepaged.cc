// Collapse (mm/khugepaged.c): khugepaged, or MADV_COLLAPSE, replaces the
// small folios of a PMD-aligned 2 MiB block by one new order-9 folio, for
// anonymous memory (collapse_huge_page) and for tmpfs (collapse_file). With
// seed 004's punch -> split, it makes the ping-pong that seed describes.
//
// Simplified: khugepaged's max_ptes_swap and young-page rules are not
// modelled, and a file collapse maps the new folio by its PMD in the
// calling process only.
#include "mm/khugepaged.h"

#include <algorithm>
#include <vector>

#include "base/check.h"
#include "mm/deferred_split.h"
#include "mm/fault.h"
#include "mm/filemap.h"
#include "mm/model.h"
#include "mm/rmap.h"
#include "mm/truncate.h"
#include "mm/zap.h"

namespace mmreplay::mm {
namespace {

constexpr int kBlock = kPtesPerTable;

using Result = CollapseResult;
constexpr Result kCollapsed{ScanResult::kSucceed, false};
// A result, with madvise_collapse()'s rule for going on past it.
constexpr Result Fail(ScanResult r) {
  return {r, !MadviseCollapseContinues(r)};
}
// SIMPLIFIED: a block the model passes over where the kernel refuses the
// whole VMA up front or stops (docs/model.md).
constexpr Result PassOver(ScanResult r) { return {r, false}; }

}  // namespace

// The new folio (alloc_charge_folio); null when none can be had.
Folio* AllocCollapseFolio(MmState& mm, uint32_t* head) {
  Folio* f = mm.AllocFolio(kPmdOrder, REASON_COLLAPSE, head);
  mm.counters.Count(f == nullptr ? VmEvent::kThpCollapseAllocFailed
                                 : VmEvent::kThpCollapseAlloc);
  return f;
}

absl::Status Model::Collapse(uint32_t pid, uint64_t addr, uint64_t length,
                             CollapseBy by) {
  const bool khugepaged = by == CollapseBy::kKhugepaged;
  Process& p = mm_.GetProcess(pid);
  uint64_t first = (addr + kPmdSize - 1) & ~(kPmdSize - 1);
  // madvise_walk_vmas(): madvise_collapse() VMA by VMA; one that fails (any
  // block of it not collapsed) ends the walk.
  uint64_t vma_start = UINT64_MAX;
  bool vma_failed = false;
  for (uint64_t haddr = first; haddr + kPmdSize <= addr + length;
       haddr += kPmdSize) {
    // hugepage_vma_revalidate(): the block lies in one VMA.
    const Vma* vma = p.vmas.Find(haddr);
    if (vma == nullptr || haddr + kPmdSize > vma->end) continue;
    Vma v = *vma;
    if (!khugepaged && v.start != vma_start) {
      if (vma_failed) return absl::OkStatus();
      vma_start = v.start;
    }
    if (v.nohugepage) {
      if (khugepaged) continue;
      // thp_vma_allowable_order() fails up front: madvise returns -EINVAL.
      mm_.OpFailed(pid, addr, length, kEinval, REASON_COLLAPSE);
      return absl::OkStatus();
    }
    const Result r = v.anonymous() && !v.shared
                         ? CollapseAnon(mm_, pid, v, haddr, by)
                     : !v.anonymous() ? CollapseFile(mm_, pid, v, haddr, by)
                                      : PassOver(ScanResult::kVmaCheck);
    Event& e = mm_.NewEvent(EVENT_COLLAPSE, REASON_COLLAPSE);
    e.set_pid(pid);
    e.set_addr(haddr);
    if (r.err() != 0) {
      e.set_err(r.err());
      e.set_scan_result(r.result);
    }
    mm_.Emit();
    vma_failed |= r.err() != 0;
    // madvise_collapse() gives up on the rest of the range (khugepaged
    // just moves on).
    if (r.stop && !khugepaged) return absl::OkStatus();
  }
  // madvise_walk_vmas(): a hole in the range, with every VMA done, is
  // -ENOMEM (a failed block's errno is its collapse event's).
  if (!khugepaged && !vma_failed &&
      p.vmas.MappedUpTo(addr, addr + length) < addr + length) {
    mm_.OpFailed(pid, addr, length, kEnomem, REASON_COLLAPSE);
  }
  return absl::OkStatus();
}

// hpage_collapse_scan_pmd() + collapse_huge_page().
CollapseResult CollapseAnon(MmState& mm, uint32_t pid, const Vma& vma,
                            uint64_t haddr, CollapseBy by) {
  const bool khugepaged = by == CollapseBy::kKhugepaged;
  Process& p = mm.GetProcess(pid);
  if (khugepaged && !(AnonAllowedOrders(mm, vma) >> kPmdOrder & 1)) {
    return Fail(ScanResult::kVmaCheck);
  }
  // __thp_vma_allowable_orders(): a VMA with no anon_vma, only ever read,
  // is not collapsed (the live kernel fails such a block of zero pages with
  // EINVAL, and collapses it where the VMA has an anon_vma).
  if (!vma.anon_vma) return Fail(ScanResult::kVmaCheck);
  // find_pmd_or_thp_or_none(): a PMD mapping (a THP, the huge zero folio)
  // is what a collapse would make (SCAN_PMD_MAPPED: done); no PMD table is
  // SCAN_PMD_NULL, passed over; an empty PMD entry SCAN_PMD_NONE, which
  // 6.18's madvise_collapse stops at (on the live 6.18.44 kernel a
  // MADV_COLLAPSE of three blocks whose middle one was never touched
  // collapses the first only and fails with EINVAL).
  Pmd* pmd = p.pt.FindPmd(haddr);
  if (pmd != nullptr && pmd->kind != Pmd::Kind::kTable) {
    return {ScanResult::kPmdMapped, false};
  }
  if (pmd == nullptr) {
    return Fail(p.pt.HasPmdTable(haddr) ? ScanResult::kPmdNone
                                        : ScanResult::kPmdNull);
  }
  // hpage_collapse_scan_pmd(), PTE by PTE, the first failure wins: empty or
  // zero-page PTEs within max_ptes_none and PTEs of folios that may be
  // mapped shared within max_ptes_shared (both for khugepaged only; the
  // live 6.18 kernel's khugepaged collapses a block with 256 PTEs shared
  // since a fork, not one with 257, tests/capture/khugepaged_live_test.cc);
  // every present page anonymous (else SCAN_PAGE_ANON) and held by its
  // mappings alone (else SCAN_PAGE_COUNT); before 6.18, one PTE at least
  // writable (else SCAN_PAGE_RO; Profile::collapse_read_only_ptes).
  // Simplified: every page counts as young (referenced), and nothing is
  // swapped out (max_ptes_swap).
  int none_or_zero = 0;
  int shared = 0;
  bool writable = false;
  for (int i = 0; i < kBlock; ++i) {
    Pte pte = p.pt.GetPte(haddr + (uint64_t(i) << kPageShift));
    if (!pte.present_page()) {
      if (khugepaged &&
          ++none_or_zero > static_cast<int>(mm.knobs.max_ptes_none)) {
        mm.counters.Count(VmEvent::kThpScanExceedNonePte);
        return Fail(ScanResult::kExceedNonePte);
      }
      continue;
    }
    writable |= pte.writable();
    const Folio& f = *mm.folios.Peek(pte.pfn());
    if (!f.test(kFolioAnon)) return Fail(ScanResult::kPageAnon);
    if (khugepaged && FolioMaybeMappedShared(f) &&
        ++shared > static_cast<int>(mm.knobs.max_ptes_shared)) {
      mm.counters.Count(VmEvent::kThpScanExceedSharePte);
      return Fail(ScanResult::kExceedSharedPte);
    }
    if (f.refcount != f.mapcount) return Fail(ScanResult::kPageCount);
  }
  if (!writable && !mm.profile.collapse_read_only_ptes) {
    return Fail(ScanResult::kPageRo);
  }
  uint32_t head;
  Folio* nf = AllocCollapseFolio(mm, &head);
  if (nf == nullptr) return Fail(ScanResult::kAllocHugePageFail);
  // __collapse_huge_page_copy(): the new folio gets the old contents.
  for (int i = 0; i < kBlock; ++i) {
    Pte pte = p.pt.GetPte(haddr + (uint64_t(i) << kPageShift));
    if (pte.present_page()) {
      mm.folios.set_nonzero(*nf, head + i, 1, mm.folios.PageNonzero(pte.pfn()));
    }
  }
  // The old PTEs go (the zap's batching and reference drops).
  ZapRange(mm, pid, haddr, haddr + kPmdSize, REASON_COLLAPSE);
  p.pt.ClearPmd(haddr);
  nf = &mm.folios.At(head);
  nf->set(kFolioAnon);
  nf->owner = p.anon_vma;
  nf->index = AnonIndex(p, haddr);
  MapPmd(mm, pid, haddr, head, (vma.prot & PROT_BITS_WRITE) != 0,
         /*own_ref=*/false, REASON_COLLAPSE);
  mm.counters.Count(MthpStat::kNrAnon, kPmdOrder);
  if (mm.profile.thp_underused_shrinker) {
    DeferredSplitFolio(mm, head, *nf, /*partially_mapped=*/false);
  }
  return kCollapsed;
}

// collapse_file() for tmpfs, then (MADV_COLLAPSE) the caller's PMD.
CollapseResult CollapseFile(MmState& mm, uint32_t pid, const Vma& vma,
                            uint64_t haddr, CollapseBy by) {
  const bool khugepaged = by == CollapseBy::kKhugepaged;
  File& file = mm.GetFile(vma.file);
  // (A page-cache file without CONFIG_READ_ONLY_THP_FOR_FS:
  // thp_vma_allowable_order() refuses its VMA.)
  if (!file.shmem()) return PassOver(ScanResult::kVmaCheck);
  if (khugepaged && file.huge == TMPFS_HUGE_NEVER) {
    return Fail(ScanResult::kVmaCheck);
  }
  // thp_vma_suitable_order(): the file offset is PMD-aligned with the
  // address.
  uint64_t index = vma.PageIndex(haddr);
  if (index % kBlock != 0) return PassOver(ScanResult::kAddressRange);
  // shmem_get_folio(SGP_NOALLOC) past EOF fails (SCAN_FAIL).
  uint64_t eof = (file.size + kPageSize - 1) / kPageSize;
  if (index + kBlock > eof) return PassOver(ScanResult::kFail);
  std::vector<PageCache::Entry> entries =
      file.cache.InRange(index, index + kBlock - 1);
  // A PMD-sized folio already (SCAN_PTE_MAPPED_HUGEPAGE): MADV_COLLAPSE
  // maps it by the PMD.
  if (entries.size() == 1 && entries[0].order == kPmdOrder) {
    if (khugepaged) return kCollapsed;
    return MapCollapsedFile(mm, pid, vma, haddr, entries[0].head)
               ? kCollapsed
               : Fail(ScanResult::kFail);
  }
  int holes = kBlock;
  for (const PageCache::Entry& e : entries) {
    const Folio& f = mm.folios.At(e.head);
    // A large folio across the block's edge.
    if (e.index < index || e.index + f.pages() > index + kBlock) {
      return Fail(ScanResult::kPageCompound);
    }
    if (f.refcount != f.mapcount + static_cast<int>(f.pages())) {
      return Fail(ScanResult::kPageCount);
    }
    holes -= static_cast<int>(f.pages());
  }
  if (khugepaged && holes > static_cast<int>(mm.knobs.max_ptes_none)) {
    mm.counters.Count(VmEvent::kThpScanExceedNonePte);
    return Fail(ScanResult::kExceedNonePte);
  }
  uint32_t head;
  Folio* nf = AllocCollapseFolio(mm, &head);
  if (nf == nullptr) return Fail(ScanResult::kAllocHugePageFail);
  for (const PageCache::Entry& e : entries) {
    const Folio& f = mm.folios.At(e.head);
    for (uint32_t i = 0; i < f.pages(); ++i) {
      mm.folios.set_nonzero(*nf,
                            head + static_cast<uint32_t>(e.index - index) + i,
                            1, mm.folios.nonzero(f, e.head + i));
    }
  }
  // The old folios leave every mapping and the page cache.
  for (const PageCache::Entry& e : entries)
    TruncateFolio(mm, e.head, REASON_COLLAPSE);
  nf = &mm.folios.At(head);
  nf->owner = vma.file;
  nf->index = index;
  nf->refcount = kBlock;
  nf->set(kFolioDirty);
  std::vector<PageCache::NodeChange> nodes;
  file.cache.Insert({index, head, kPmdOrder}, &nodes);
  Event& c = mm.NewEvent(EVENT_CACHE_ADD, head, nf, REASON_COLLAPSE);
  c.set_file_id(vma.file);
  c.set_index(index);
  c.set_nr_pages(kBlock);
  c.set_ref_before(1);
  c.set_ref_after(kBlock);
  mm.Emit();
  EmitNodeChanges(mm, vma.file, nodes, REASON_COLLAPSE);
  if (khugepaged) return kCollapsed;
  return MapCollapsedFile(mm, pid, vma, haddr, head) ? kCollapsed
                                                     : Fail(ScanResult::kFail);
}

bool MapCollapsedFile(MmState& mm, uint32_t pid, const Vma& vma, uint64_t haddr,
                      uint32_t head) {
  Process& p = mm.GetProcess(pid);
  const Pmd* pmd = p.pt.FindPmd(haddr);
  if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio) return true;
  for (uint64_t a = haddr; a < haddr + kPmdSize; a += kPageSize) {
    if (MapsAnonPage(mm, p, a)) return false;
  }
  ZapRange(mm, pid, haddr, haddr + kPmdSize, REASON_COLLAPSE);
  p.pt.ClearPmd(haddr);
  MapPmd(mm, pid, haddr, head, vma.shared && (vma.prot & PROT_BITS_WRITE) != 0,
         /*own_ref=*/true, REASON_COLLAPSE);
  mm.counters.Count(VmEvent::kThpFileMapped);
  return true;
}

}  // namespace mmreplay::mm
