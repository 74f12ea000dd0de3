// Collapse (mm/khugepaged.c): khugepaged, or MADV_COLLAPSE, replaces the
// small folios of a PMD-aligned 2 MiB block by one new order-9 folio, for
// anonymous memory (collapse_huge_page) and for tmpfs (collapse_file). With
// seed 004's punch -> split, it makes the ping-pong that seed describes.
//
// Simplified: khugepaged's max_ptes_swap and young-page rules are not
// modelled, and a file collapse maps the new folio by its PMD in the
// calling process only.
#include <algorithm>
#include <vector>

#include "base/check.h"
#include "mm/model.h"

namespace mmreplay::mm {
namespace {

constexpr int kBlock = kPtesPerTable;

constexpr int kEagain = -11;
constexpr int kEnomem = -12;
constexpr int kEbusy = -16;
constexpr int kEinval = -22;

using Result = CollapseResult;
constexpr Result kCollapsed{};
// A result madvise_collapse() goes on past (SCAN_PMD_NULL, SCAN_PAGE_RO,
// SCAN_PAGE_COUNT, ...), and one it stops at (any other).
constexpr Result Skip(int err) { return {err, false}; }
constexpr Result Stop(int err) { return {err, true}; }

}  // namespace

// The new folio (alloc_charge_folio); null when none can be had.
Folio* Model::AllocCollapseFolio(uint32_t* head) {
  Folio* f = AllocFolio(kPmdOrder, REASON_COLLAPSE, head);
  counters_.Count(f == nullptr ? VmEvent::kThpCollapseAllocFailed
                               : VmEvent::kThpCollapseAlloc);
  return f;
}

absl::Status Model::Collapse(uint32_t pid, uint64_t addr, uint64_t length,
                             bool khugepaged) {
  Process& p = *FindProcess(pid);
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
      if (vma_failed) break;
      vma_start = v.start;
    }
    if (v.nohugepage) {
      if (khugepaged) continue;
      break;  // thp_vma_allowable_order() fails up front: -EINVAL
    }
    const Result r = v.anonymous() && !v.shared
                         ? CollapseAnon(pid, v, haddr, khugepaged)
                     : !v.anonymous() ? CollapseFile(pid, v, haddr, khugepaged)
                                      : Skip(kEinval);
    event_.Clear();
    event_.set_op_index(op_index_);
    event_.set_kind(EVENT_COLLAPSE);
    event_.set_pid(pid);
    event_.set_addr(haddr);
    event_.set_reason(REASON_COLLAPSE);
    if (r.err != 0) event_.set_err(r.err);
    Emit();
    vma_failed |= r.err != 0;
    // madvise_collapse() gives up on the rest of the range (khugepaged
    // just moves on).
    if (r.stop && !khugepaged) break;
  }
  return absl::OkStatus();
}

// hpage_collapse_scan_pmd() + collapse_huge_page().
CollapseResult Model::CollapseAnon(uint32_t pid, const Vma& vma, uint64_t haddr,
                                   bool khugepaged) {
  Process& p = *FindProcess(pid);
  if (khugepaged && !(AnonAllowedOrders(vma) >> kPmdOrder & 1)) {
    return Skip(kEinval);
  }
  // __thp_vma_allowable_orders(): a VMA with no anon_vma, only ever read,
  // is not collapsed (the live kernel fails such a block of zero pages with
  // EINVAL, and collapses it where the VMA has an anon_vma).
  if (!vma.anon_vma) return Stop(kEinval);
  // find_pmd_or_thp_or_none(): a PMD mapping (a THP, the huge zero folio)
  // is what a collapse would make (SCAN_PMD_MAPPED: done); no PMD table is
  // SCAN_PMD_NULL, passed over; an empty PMD entry SCAN_PMD_NONE, which
  // 6.18's madvise_collapse stops at (on the live 6.18.44 kernel a
  // MADV_COLLAPSE of three blocks whose middle one was never touched
  // collapses the first only and fails with EINVAL).
  Pmd* pmd = p.pt.FindPmd(haddr);
  if (pmd != nullptr && pmd->kind != Pmd::Kind::kTable) return kCollapsed;
  if (pmd == nullptr) {
    return p.pt.HasPmdTable(haddr) ? Stop(kEinval) : Skip(kEinval);
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
          ++none_or_zero > static_cast<int>(knobs_.max_ptes_none)) {
        counters_.Count(VmEvent::kThpScanExceedNonePte);
        return Skip(kEbusy);  // SCAN_EXCEED_NONE_PTE
      }
      continue;
    }
    writable |= pte.writable();
    const Folio& f = *folios_.Peek(pte.pfn());
    if (!f.test(kFolioAnon)) return Stop(kEinval);
    if (khugepaged && FolioMaybeMappedShared(f) &&
        ++shared > static_cast<int>(knobs_.max_ptes_shared)) {
      counters_.Count(VmEvent::kThpScanExceedSharePte);
      return Skip(kEinval);  // SCAN_EXCEED_SHARED_PTE
    }
    if (f.refcount != f.mapcount) return Skip(kEagain);
  }
  if (!writable && !profile_.collapse_read_only_ptes) {
    return Skip(kEinval);  // SCAN_PAGE_RO
  }
  uint32_t head;
  Folio* nf = AllocCollapseFolio(&head);
  if (nf == nullptr) return Stop(kEnomem);  // SCAN_ALLOC_HUGE_PAGE_FAIL
  // __collapse_huge_page_copy(): the new folio gets the old contents.
  for (int i = 0; i < kBlock; ++i) {
    Pte pte = p.pt.GetPte(haddr + (uint64_t(i) << kPageShift));
    if (pte.present_page()) {
      folios_.set_nonzero(*nf, head + i, 1, folios_.PageNonzero(pte.pfn()));
    }
  }
  // The old PTEs go (the zap's batching and reference drops).
  ZapRange(pid, haddr, haddr + kPmdSize, REASON_COLLAPSE);
  p.pt.ClearPmd(haddr);
  nf = &folios_.At(head);
  nf->set(kFolioAnon);
  nf->owner = p.anon_vma;
  nf->index = haddr >> kPageShift;
  MapPmd(pid, haddr, head, (vma.prot & PROT_BITS_WRITE) != 0,
         /*own_ref=*/false, REASON_COLLAPSE);
  counters_.Count(MthpStat::kNrAnon, kPmdOrder);
  if (profile_.thp_underused_shrinker) {
    DeferredSplitFolio(head, *nf, /*partially_mapped=*/false);
  }
  return kCollapsed;
}

// collapse_file() for tmpfs, then (MADV_COLLAPSE) the caller's PMD.
CollapseResult Model::CollapseFile(uint32_t pid, const Vma& vma, uint64_t haddr,
                                   bool khugepaged) {
  File& file = *FindFile(vma.file);
  if (!file.shmem()) return Skip(kEinval);
  if (khugepaged && file.huge == TMPFS_HUGE_NEVER) return Skip(kEinval);
  uint64_t index = vma.PageIndex(haddr);
  if (index % kBlock != 0) return Skip(kEinval);
  uint64_t eof = (file.size + kPageSize - 1) / kPageSize;
  if (index + kBlock > eof) return Skip(kEinval);
  std::vector<PageCache::Entry> entries =
      file.cache.InRange(index, index + kBlock - 1);
  // A PMD-sized folio already (SCAN_PTE_MAPPED_HUGEPAGE): MADV_COLLAPSE
  // maps it by the PMD.
  if (entries.size() == 1 && entries[0].order == kPmdOrder) {
    if (khugepaged) return kCollapsed;
    return MapCollapsedFile(pid, vma, haddr, entries[0].head) ? kCollapsed
                                                              : Stop(kEinval);
  }
  int holes = kBlock;
  for (const PageCache::Entry& e : entries) {
    const Folio& f = folios_.At(e.head);
    if (e.index < index || e.index + f.pages() > index + kBlock) {
      return Skip(kEinval);
    }
    if (f.refcount != f.mapcount + static_cast<int>(f.pages())) {
      return Skip(kEagain);  // SCAN_PAGE_COUNT
    }
    holes -= static_cast<int>(f.pages());
  }
  if (khugepaged && holes > static_cast<int>(knobs_.max_ptes_none)) {
    counters_.Count(VmEvent::kThpScanExceedNonePte);
    return Skip(kEbusy);
  }
  uint32_t head;
  Folio* nf = AllocCollapseFolio(&head);
  if (nf == nullptr) return Stop(kEnomem);
  for (const PageCache::Entry& e : entries) {
    const Folio& f = folios_.At(e.head);
    for (uint32_t i = 0; i < f.pages(); ++i) {
      folios_.set_nonzero(*nf,
                          head + static_cast<uint32_t>(e.index - index) + i, 1,
                          folios_.nonzero(f, e.head + i));
    }
  }
  // The old folios leave every mapping and the page cache.
  for (const PageCache::Entry& e : entries)
    TruncateFolio(e.head, REASON_COLLAPSE);
  nf = &folios_.At(head);
  nf->owner = vma.file;
  nf->index = index;
  nf->refcount = kBlock;
  nf->set(kFolioDirty);
  std::vector<PageCache::NodeChange> nodes;
  file.cache.Insert({index, head, kPmdOrder}, &nodes);
  Event& c = NewEvent(EVENT_CACHE_ADD, head, nf, REASON_COLLAPSE);
  c.set_file_id(vma.file);
  c.set_index(index);
  c.set_nr_pages(kBlock);
  c.set_ref_before(1);
  c.set_ref_after(kBlock);
  Emit();
  EmitNodeChanges(vma.file, nodes, REASON_COLLAPSE);
  if (khugepaged) return kCollapsed;
  return MapCollapsedFile(pid, vma, haddr, head) ? kCollapsed : Stop(kEinval);
}

bool Model::MapCollapsedFile(uint32_t pid, const Vma& vma, uint64_t haddr,
                             uint32_t head) {
  Process& p = *FindProcess(pid);
  const Pmd* pmd = p.pt.FindPmd(haddr);
  if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio) return true;
  for (uint64_t a = haddr; a < haddr + kPmdSize; a += kPageSize) {
    if (MapsAnonPage(p, a)) return false;
  }
  ZapRange(pid, haddr, haddr + kPmdSize, REASON_COLLAPSE);
  p.pt.ClearPmd(haddr);
  MapPmd(pid, haddr, head, vma.shared && (vma.prot & PROT_BITS_WRITE) != 0,
         /*own_ref=*/true, REASON_COLLAPSE);
  counters_.Count(VmEvent::kThpFileMapped);
  return true;
}

}  // namespace mmreplay::mm
