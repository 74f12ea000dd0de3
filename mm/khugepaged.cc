// Collapse (mm/khugepaged.c): khugepaged, or MADV_COLLAPSE, replaces the
// small folios of a PMD-aligned 2 MiB block by one new order-9 folio, for
// anonymous memory (collapse_huge_page) and for tmpfs (collapse_file). With
// seed 004's punch -> split, it makes the ping-pong that seed describes.
//
// Simplified: khugepaged's other limits (max_ptes_swap, max_ptes_shared,
// young pages) are not modelled, and a file collapse maps the new folio by
// its PMD in the calling process only.
#include <algorithm>
#include <vector>

#include "base/check.h"
#include "mm/model.h"

namespace mmreplay::mm {
namespace {

constexpr int kBlock = kPtesPerTable;

}  // namespace

// khugepaged's max_ptes_none limit on the block's empty pages, then the
// new folio (alloc_charge_folio); null when either fails.
Folio* Model::AllocCollapseFolio(bool khugepaged, int empty, uint32_t* head) {
  if (khugepaged && empty > static_cast<int>(knobs_.max_ptes_none)) {
    counters_.Count(VmEvent::kThpScanExceedNonePte);
    return nullptr;
  }
  Folio* f = AllocFolio(kPmdOrder, REASON_COLLAPSE, head);
  counters_.Count(f == nullptr ? VmEvent::kThpCollapseAllocFailed
                               : VmEvent::kThpCollapseAlloc);
  return f;
}

absl::Status Model::Collapse(uint32_t pid, uint64_t addr, uint64_t length,
                             bool khugepaged) {
  Process& p = *FindProcess(pid);
  uint64_t first = (addr + kPmdSize - 1) & ~(kPmdSize - 1);
  for (uint64_t haddr = first; haddr + kPmdSize <= addr + length;
       haddr += kPmdSize) {
    // hugepage_vma_revalidate(): the block lies in one VMA.
    const Vma* vma = p.vmas.Find(haddr);
    if (vma == nullptr || haddr + kPmdSize > vma->end) continue;
    Vma v = *vma;
    if (v.nohugepage) continue;
    bool done =
        v.anonymous() && !v.shared
            ? CollapseAnon(pid, v, haddr, khugepaged)
            : (!v.anonymous() && CollapseFile(pid, v, haddr, khugepaged));
    event_.Clear();
    event_.set_op_index(op_index_);
    event_.set_kind(EVENT_COLLAPSE);
    event_.set_pid(pid);
    event_.set_addr(haddr);
    event_.set_reason(REASON_COLLAPSE);
    if (!done) event_.set_err(-11);  // -EAGAIN, as MADV_COLLAPSE reports
    Emit();
  }
  return absl::OkStatus();
}

// hpage_collapse_scan_pmd() + collapse_huge_page().
bool Model::CollapseAnon(uint32_t pid, const Vma& vma, uint64_t haddr,
                         bool khugepaged) {
  Process& p = *FindProcess(pid);
  if (khugepaged && !(AnonAllowedOrders(vma) >> kPmdOrder & 1)) return false;
  // hugepage_vma_revalidate(): a VMA that never had an anonymous page.
  if (!vma.anon_vma) return false;
  // find_pmd_or_thp_or_none(): a PMD mapping (a THP, the huge zero folio)
  // is what a collapse would make (SCAN_PMD_MAPPED: done); with no PTE
  // table there is nothing to collapse (SCAN_PMD_NULL).
  Pmd* pmd = p.pt.FindPmd(haddr);
  if (pmd != nullptr && pmd->kind != Pmd::Kind::kTable) return true;
  if (pmd == nullptr) return false;
  // Scan: empty or zero-page PTEs within max_ptes_none (khugepaged only);
  // every present page anonymous and held by its mappings alone, and one
  // at least mapped writable (else SCAN_PAGE_RO).
  int none_or_zero = 0;
  bool writable = false;
  for (int i = 0; i < kBlock; ++i) {
    Pte pte = p.pt.GetPte(haddr + (uint64_t(i) << kPageShift));
    if (!pte.present_page()) {
      ++none_or_zero;
      continue;
    }
    const Folio& f = *folios_.Peek(pte.pfn());
    if (!f.test(kFolioAnon) || f.refcount != f.mapcount) return false;
    writable |= pte.writable();
  }
  if (!writable) return false;
  uint32_t head;
  Folio* nf = AllocCollapseFolio(khugepaged, none_or_zero, &head);
  if (nf == nullptr) return false;
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
  return true;
}

// collapse_file() for tmpfs, then (MADV_COLLAPSE) the caller's PMD.
bool Model::CollapseFile(uint32_t pid, const Vma& vma, uint64_t haddr,
                         bool khugepaged) {
  File& file = *FindFile(vma.file);
  if (!file.shmem()) return false;
  if (khugepaged && file.huge == TMPFS_HUGE_NEVER) return false;
  uint64_t index = vma.PageIndex(haddr);
  if (index % kBlock != 0) return false;
  uint64_t eof = (file.size + kPageSize - 1) / kPageSize;
  if (index + kBlock > eof) return false;
  std::vector<PageCache::Entry> entries =
      file.cache.InRange(index, index + kBlock - 1);
  if (entries.size() == 1 && entries[0].order == kPmdOrder) return false;
  int holes = kBlock;
  for (const PageCache::Entry& e : entries) {
    const Folio& f = folios_.At(e.head);
    if (e.index < index || e.index + f.pages() > index + kBlock) return false;
    if (f.refcount != f.mapcount + static_cast<int>(f.pages())) return false;
    holes -= static_cast<int>(f.pages());
  }
  uint32_t head;
  Folio* nf = AllocCollapseFolio(khugepaged, holes, &head);
  if (nf == nullptr) return false;
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
  // collapse_pte_mapped_thp(): the caller's PMD maps the new folio, unless
  // a PTE there maps another page (a private mapping's anonymous copy):
  // then it gives up and the PTEs stay.
  Process& p = *FindProcess(pid);
  bool copies = false;
  for (uint64_t a = haddr; a < haddr + kPmdSize && !copies; a += kPageSize) {
    copies = MapsAnonPage(p, a);
  }
  if (!khugepaged && !copies) {
    ZapRange(pid, haddr, haddr + kPmdSize, REASON_COLLAPSE);
    p.pt.ClearPmd(haddr);
    MapPmd(pid, haddr, head, vma.shared && (vma.prot & PROT_BITS_WRITE) != 0,
           /*own_ref=*/true, REASON_COLLAPSE);
    counters_.Count(VmEvent::kThpFileMapped);
  }
  // MADV_COLLAPSE fails there (SCAN_FAIL), the page cache collapsed.
  return khugepaged || !copies;
}

}  // namespace mmreplay::mm
