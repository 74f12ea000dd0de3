// Folio split (mm/huge_memory.c __folio_split, __split_unmapped_folio): one
// backend for the uniform split (split_huge_page_to_list_to_order) and the
// non-uniform, buddy-like one (folio_split), as seed 000 describes.
#include <algorithm>
#include <utility>
#include <vector>

#include "base/check.h"
#include "mm/model.h"

namespace mmreplay::mm {
namespace {

constexpr int kEinval = -22;
constexpr int kEbusy = -16;
constexpr int kEagain = -11;

// __split_unmapped_folio(): the folios a split of [head, 2^order) gives, in
// PFN order (a uniform split's as one FolioPiece of them all). Uniform:
// 2^(order-new_order) of new_order. Non-uniform: halve the piece holding page
// `split_at` from order-1 down to new_order; anon folios skip order 1 (the
// piece of order 2 splits straight to order 0).
void Pieces(uint32_t head, uint32_t order, uint32_t new_order,
            uint64_t split_at, bool uniform, bool anon,
            std::vector<FolioPiece>* pieces) {
  std::vector<FolioPiece>& out = *pieces;
  out.clear();
  if (uniform) {
    out.push_back({head, new_order, 1u << (order - new_order)});
    return;
  }
  uint32_t at = head + static_cast<uint32_t>(split_at);
  uint32_t cur = head, cur_order = order;
  for (int split_order = static_cast<int>(order) - 1;
       split_order >= static_cast<int>(new_order); --split_order) {
    if (anon && split_order == 1) continue;
    uint32_t size = 1u << split_order;
    uint32_t holding = cur;
    for (uint32_t p = cur; p < cur + (1u << cur_order); p += size) {
      if (at >= p && at < p + size) {
        holding = p;
      } else {
        out.push_back({p, static_cast<uint32_t>(split_order)});
      }
    }
    cur = holding;
    cur_order = static_cast<uint32_t>(split_order);
  }
  out.push_back({cur, cur_order});
  std::sort(
      out.begin(), out.end(),
      [](const FolioPiece& a, const FolioPiece& b) { return a.head < b.head; });
}

}  // namespace

int Model::SplitFolio(uint32_t head, uint32_t new_order, uint64_t split_at,
                      bool uniform, int caller_pins, Reason reason) {
  Folio* f = &folios_.At(head);
  const uint32_t order = f->order;
  const bool anon = f->test(kFolioAnon);
  auto fail = [&](int err, bool counted) {
    if (counted) {
      if (order == kPmdOrder) counters_.Count(VmEvent::kThpSplitPageFailed);
      counters_.Count(MthpStat::kSplitFailed, order);
    }
    NewEvent(EVENT_SPLIT_FAILED, head, &folios_.At(head), reason).set_err(err);
    Emit();
    return err;
  };
  // Early returns, not counted, in the kernel's order.
  if (!anon && f->owner == 0) return fail(kEbusy, false);
  if (new_order >= order) return fail(kEinval, false);
  // folio_split_supported(): no order-1 anonymous folios.
  if (anon && new_order == 1) return fail(kEinval, false);
  // can_split_folio(): every reference is a mapping, the page cache's
  // (file folios: one per page), or the caller's.
  int extra = anon ? 0 : static_cast<int>(f->pages());
  if (f->mapcount != f->refcount - extra - caller_pins) {
    return fail(kEagain, true);
  }

  // unmap_folio(): PMD mappings are split first (TTU_SPLIT_HUGE_PMD); the
  // PTEs become migration entries and come back, for the same pages, in
  // remap_page() below. The model keeps the PTEs in place. File mappings
  // are removed (try_to_unmap) and refault later.
  if (anon) {
    if (folios_.entire_mapcount(*f) > 0) {
      for (auto& [pid, proc_ptr] : processes_) {
        Process& proc = *proc_ptr;
        if (proc.anon_vma != f->owner) continue;
        uint64_t base = f->index << kPageShift;
        const Pmd* pmd = proc.pt.FindPmd(base);
        if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio &&
            pmd->head == head) {
          SplitPmd(pid, base & ~(kPmdSize - 1), reason);
        }
      }
    } else if (!f->test(kFolioPartiallyMapped) &&
               MigrationSeesPartiallyMapped(head, *f)) {
      DeferredSplitFolio(head, *f, /*partially_mapped=*/true);
    }
  } else {
    TryToUnmapFile(head, reason);
  }
  f = &folios_.At(head);
  // The folio is frozen: off the deferred split queue.
  if (f->test(kFolioDeferredListed)) UnqueueDeferred(head, *f, REASON_SPLIT);

  // unmap_folio() took every mapping away: no MM slot is held.
  mm_ids_.Forget(*f);
  std::vector<FolioPiece>& pieces = split_pieces_;
  Pieces(head, order, new_order, split_at, uniform, anon, &pieces);
  // A copy, for its head-page fields only (Large() needs the record).
  Folio parent = *f;
  File* file = anon ? nullptr : FindFile(parent.owner);
  std::vector<PageCache::NodeChange> nodes;
  if (file != nullptr) file->cache.Erase(parent.index, &nodes);
  if (anon) counters_.Count(MthpStat::kNrAnon, order, -1);
  Event& e = NewEvent(EVENT_SPLIT, head, &parent, reason);
  e.set_non_uniform(!uniform);
  if (!uniform) e.set_split_at(split_at);
  for (const FolioPiece& p : pieces) e.add_new_orders(p.order, p.count);
  Emit();
  if (order == kPmdOrder) counters_.Count(VmEvent::kThpSplitPage);
  counters_.Count(MthpStat::kSplit, order);

  // __split_folio_to_order(): each piece inherits the flags that carry
  // over (not the deferred-split ones) and gets refcount = its mappings
  // (+ the page cache's references for file folios). Anonymous order-0
  // pieces in the same state share a record (a run); page-cache pieces
  // each have their own xarray entry and record.
  std::vector<Folio*>& made = split_made_;
  folios_.Split(head, pieces, kFolioPartiallyMapped | kFolioDeferredListed,
                /*runs=*/anon, &made);
  for (Folio* n : made) {
    n->refcount = n->mapcount + (anon ? 0 : static_cast<int>(n->pages()));
    if (anon) counters_.Count(MthpStat::kNrAnon, n->order);
    if (anon && n->order > 0 && n->mapcount > 0) RemapMmIds(*n);
  }
  if (file != nullptr) {
    // __split_unmapped_folio() stores each piece in the xarray; pieces
    // past EOF leave the page cache (__filemap_remove_folio) and are freed.
    uint64_t eof = (file->size + kPageSize - 1) / kPageSize;
    for (Folio* n : made) {
      if (n->index < eof) {
        file->cache.Insert({n->index, n->head, n->order}, &nodes);
      }
    }
    EmitNodeChanges(parent.owner, nodes, reason);
    for (Folio* n : made) {
      if (n->index < eof) continue;
      Event& r = NewEvent(EVENT_CACHE_REMOVE, n->head, n, reason);
      r.set_file_id(parent.owner);
      r.set_index(n->index);
      r.set_nr_pages(n->pages());
      r.set_ref_before(n->refcount);
      r.set_ref_after(n->refcount - static_cast<int>(n->pages()));
      Emit();
      n->refcount -= static_cast<int>(n->pages());
      n->owner = 0;
    }
  }
  // remap_page(RMP_USE_SHARED_ZEROPAGE): a successfully split anonymous
  // order-0 piece whose page is all zeros is mapped to the shared zero page
  // instead (try_to_map_unused_to_zeropage) and so freed.
  if (anon) {
    // Each page on its own: runs of zero pages are taken apart.
    std::vector<Folio*>& each = split_each_;
    each.clear();
    for (Folio* n : made) {
      if (n->order != 0 || n->run == 0 || n->nonzero || n->mapcount == 0) {
        each.push_back(n);
        continue;
      }
      for (uint32_t pfn = n->head, end = pfn + n->run + 1; pfn < end; ++pfn) {
        each.push_back(folios_.Of(pfn));
      }
    }
    made.swap(each);
    // The anon_vma family, found once for all the pieces.
    std::vector<std::pair<uint32_t, Process*>> family;
    for (Folio* n : made) {
      if (n->order != 0 || n->nonzero || n->mapcount == 0) continue;
      if (family.empty()) {
        for (auto& [pid, proc_ptr] : processes_) {
          Process& proc = *proc_ptr;
          if (proc.anon_vma == parent.owner) family.emplace_back(pid, &proc);
        }
      }
      uint64_t addr = n->index << kPageShift;
      for (auto [pid, proc_ptr] : family) {
        Process& proc = *proc_ptr;
        Pte pte = proc.pt.GetPte(addr);
        if (!pte.present_page() || pte.pfn() != n->head) continue;
        EmitMapping(EVENT_UNMAP, n->head, *n, REASON_SPLIT, pid, addr, 1,
                    MAP_LEVEL_PTE, n->mapcount, n->mapcount - 1, n->refcount,
                    n->refcount - 1);
        proc.pt.SetPte(addr, Pte::ZeroPage());
        --n->mapcount;
        --n->refcount;
      }
    }
  }
  // The pieces nothing maps or holds are freed at once.
  std::vector<Folio*>& unused = split_unused_;
  unused.clear();
  for (Folio* n : made) {
    if (n->refcount == 0) unused.push_back(n);
  }
  FreeFolios(unused, REASON_SPLIT);
  return 0;
}

// try_to_migrate() takes a PTE-mapped anonymous folio's mappings away one
// at a time, in rmap order (the anon_vma family's processes, then address
// order), and __folio_remove_rmap() sees the folio partially mapped as soon
// as a page loses its last mapping while others are still mapped.
bool Model::MigrationSeesPartiallyMapped(uint32_t head, const Folio& f) {
  int mapped = folios_.nr_pages_mapped(f);
  // Every mapped page mapped once (no fork): the first mapping taken
  // unmaps its page.
  if (f.mapcount == mapped) return mapped > 1;
  std::vector<int32_t> left(f.pages());
  for (uint32_t i = 0; i < f.pages(); ++i) {
    left[i] = folios_.page_mapcount(f, head + i);
  }
  for (const Mapping& m : RmapWalk(head, f)) {
    Pte pte = FindProcess(m.pid)->pt.GetPte(m.addr);
    if (--left[pte.pfn() - head] > 0) continue;
    return --mapped > 0;
  }
  return false;
}

absl::Status Model::SplitRange(uint32_t pid, uint64_t addr, uint64_t length,
                               uint32_t new_order, bool non_uniform,
                               uint64_t in_folio_offset) {
  // split_huge_pages_pid(): page by page, each large folio mapped there is
  // split once (a pinned one is skipped, uncounted); the walk stops at the
  // first address no VMA maps.
  Process* p = FindProcess(pid);
  for (uint64_t a = addr; a < addr + length; a += kPageSize) {
    if (p->vmas.Find(a) == nullptr) break;
    uint32_t pfn;
    const Pmd* pmd = p->pt.FindPmd(a);
    if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio) {
      pfn =
          pmd->head + static_cast<uint32_t>((a & (kPmdSize - 1)) >> kPageShift);
    } else {
      Pte pte = p->pt.GetPte(a);
      if (!pte.present_page()) continue;
      pfn = pte.pfn();
    }
    uint32_t head = folios_.HeadOf(pfn);
    Folio& f = folios_.At(head);
    if (f.order == 0) continue;
    // A file folio splits to at least its mapping's minimum order.
    const bool anon = f.test(kFolioAnon);
    uint32_t target = new_order;
    if (!anon && f.owner != 0) {
      target = std::max(target, FindFile(f.owner)->min_folio_order());
    }
    if (target >= f.order) continue;
    int extra = anon ? 0 : static_cast<int>(f.pages());
    if (f.mapcount != f.refcount - extra) continue;
    bool uniform = !non_uniform || in_folio_offset >= f.pages();
    SplitFolio(head, target, uniform ? 0 : in_folio_offset, uniform,
               /*caller_pins=*/0, REASON_SPLIT_REQUEST);
  }
  return absl::OkStatus();
}

}  // namespace mmreplay::mm
