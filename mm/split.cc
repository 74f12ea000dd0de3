// Folio split (mm/huge_memory.c __folio_split, __split_unmapped_folio): one
// backend for the uniform split (split_huge_page_to_list_to_order) and the
// non-uniform, buddy-like one (folio_split), as seed 000 describes.
#include "mm/split.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "base/check.h"
#include "mm/deferred_split.h"
#include "mm/errno.h"
#include "mm/filemap.h"
#include "mm/model.h"
#include "mm/rmap.h"
#include "mm/zap.h"

namespace mmreplay::mm {
namespace {

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

// The pieces of a split, each linked to its parent (the split's reason is
// on the split line before them): a run of order-0 pieces is one event
// (Event::repeat), larger pieces one each.
void EmitSplitPieces(MmState& mm, uint32_t parent,
                     const std::vector<FolioPiece>& pieces) {
  for (const FolioPiece& p : pieces) {
    const uint32_t events = p.order == 0 ? 1 : p.count;
    for (uint32_t i = 0; i < events; ++i) {
      Event& e = mm.NewEvent(EVENT_SPLIT_PIECE, REASON_UNSPECIFIED);
      e.set_pfn(p.head + (i << p.order));
      e.set_order(p.order);
      e.set_parent_pfn(parent);
      if (p.order == 0) e.set_repeat(p.count);
      mm.Emit();
    }
  }
}

}  // namespace

int SplitFolio(MmState& mm, uint32_t head, uint32_t new_order, SplitKind kind,
               uint64_t split_at, int caller_pins, Reason reason) {
  const bool uniform = kind == SplitKind::kUniform;
  Folio* f = &mm.folios.At(head);
  const uint32_t order = f->order;
  const bool anon = f->test(kFolioAnon);
  auto fail = [&](int err, bool counted) {
    if (counted) {
      if (order == kPmdOrder) mm.counters.Count(VmEvent::kThpSplitPageFailed);
      mm.counters.Count(MthpStat::kSplitFailed, order);
    }
    // The counts can_split_folio() compared, on the line.
    const Folio& at = mm.folios.At(head);
    Event& e = mm.NewEvent(EVENT_SPLIT_FAILED, head, &at, reason);
    e.set_ref_after(at.refcount);
    e.set_map_after(at.mapcount);
    e.set_err(err);
    mm.Emit();
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
    if (mm.folios.entire_mapcount(*f) > 0) {
      for (auto [pid, proc] : AnonVmaFamily(mm, f->owner)) {
        uint64_t base = AnonPageAddress(proc, f->index);
        const Pmd* pmd = proc.pt.FindPmd(base);
        if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio &&
            pmd->head == head) {
          SplitPmd(mm, pid, base & ~(kPmdSize - 1), reason);
        }
      }
    } else if (!f->test(kFolioPartiallyMapped) &&
               MigrationSeesPartiallyMapped(mm, head, *f)) {
      DeferredSplitFolio(mm, head, *f, /*partially_mapped=*/true);
    }
  } else {
    TryToUnmapFile(mm, head, reason);
  }
  f = &mm.folios.At(head);
  // The folio is frozen: off the deferred split queue.
  if (f->test(kFolioDeferredListed))
    UnqueueDeferredSplit(mm, head, *f, REASON_SPLIT);

  // unmap_folio() took every mapping away: no MM slot is held.
  mm.mm_ids.Forget(*f);
  std::vector<FolioPiece>& pieces = mm.split_pieces;
  Pieces(head, order, new_order, split_at, uniform, anon, &pieces);
  // A copy, for its head-page fields only (Large() needs the record).
  Folio parent = *f;
  File* file = anon ? nullptr : mm.FindFile(parent.owner);
  std::vector<PageCache::NodeChange> nodes;
  if (file != nullptr) file->cache.Erase(parent.index, &nodes);
  if (anon) mm.counters.Count(MthpStat::kNrAnon, order, -1);
  Event& e = mm.NewEvent(EVENT_SPLIT, head, &parent, reason);
  e.set_non_uniform(!uniform);
  if (!uniform) e.set_split_at(split_at);
  for (const FolioPiece& p : pieces) e.add_new_orders(p.order, p.count);
  e.set_ref_after(parent.refcount);
  e.set_map_after(parent.mapcount);
  mm.Emit();
  EmitSplitPieces(mm, head, pieces);
  if (order == kPmdOrder) mm.counters.Count(VmEvent::kThpSplitPage);
  mm.counters.Count(MthpStat::kSplit, order);

  // __split_folio_to_order(): each piece inherits the flags that carry
  // over (not the deferred-split ones) and gets refcount = its mappings
  // (+ the page cache's references for file folios). Anonymous order-0
  // pieces in the same state share a record (a run); page-cache pieces
  // each have their own xarray entry and record.
  std::vector<Folio*>& made = mm.split_made;
  mm.folios.Split(head, pieces, kFolioPartiallyMapped | kFolioDeferredListed,
                  /*runs=*/anon, &made);
  for (Folio* n : made) {
    n->refcount = n->mapcount + (anon ? 0 : static_cast<int>(n->pages()));
    if (anon) mm.counters.Count(MthpStat::kNrAnon, n->order);
    if (anon && n->order > 0 && n->mapcount > 0) RemapMmIds(mm, *n);
  }
  if (file != nullptr) {
    // __split_unmapped_folio() stores each piece in the xarray; pieces
    // past EOF leave the page cache (__filemap_remove_folio) and are freed.
    // For shmem, shmem_fallocend(): not below what a fallocate() reached.
    uint64_t eof = (file->size + kPageSize - 1) / kPageSize;
    if (file->shmem()) eof = std::max(eof, file->fallocend);
    for (Folio* n : made) {
      if (n->index < eof) {
        file->cache.Insert({n->index, n->head, n->order}, &nodes);
      }
    }
    EmitNodeChanges(mm, parent.owner, nodes, reason);
    for (Folio* n : made) {
      if (n->index < eof) continue;
      Event& r = mm.NewEvent(EVENT_CACHE_REMOVE, n->head, n, reason);
      r.set_file_id(parent.owner);
      r.set_index(n->index);
      r.set_nr_pages(n->pages());
      r.set_ref_before(n->refcount);
      r.set_ref_after(n->refcount - static_cast<int>(n->pages()));
      mm.Emit();
      n->refcount -= static_cast<int>(n->pages());
      n->owner = 0;
    }
  }
  // remap_page(RMP_USE_SHARED_ZEROPAGE): a successfully split anonymous
  // order-0 piece whose page is all zeros is mapped to the shared zero page
  // instead (try_to_map_unused_to_zeropage) and so freed.
  if (anon) {
    // Each page on its own: runs of zero pages are taken apart.
    std::vector<Folio*>& each = mm.split_each;
    each.clear();
    for (Folio* n : made) {
      if (n->order != 0 || n->run == 0 || n->nonzero || n->mapcount == 0) {
        each.push_back(n);
        continue;
      }
      for (uint32_t pfn = n->head, end = pfn + n->run + 1; pfn < end; ++pfn) {
        each.push_back(mm.folios.Of(pfn));
      }
    }
    made.swap(each);
    const AnonVmaFamily family(mm, parent.owner);
    for (Folio* n : made) {
      if (n->order != 0 || n->nonzero || n->mapcount == 0) continue;
      for (auto [pid, proc] : family) {
        const uint64_t addr = AnonPageAddress(proc, n->index);
        Pte pte = proc.pt.GetPte(addr);
        if (!pte.present_page() || pte.pfn() != n->head) continue;
        mm.EmitMapping(EVENT_UNMAP, n->head, *n, REASON_SPLIT, pid, addr, 1,
                       MAP_LEVEL_PTE, n->mapcount, n->mapcount - 1, n->refcount,
                       n->refcount - 1);
        proc.pt.SetPte(addr, Pte::ZeroPage());
        --n->mapcount;
        --n->refcount;
      }
    }
  }
  // The pieces nothing maps or holds are freed at once.
  std::vector<Folio*>& unused = mm.split_unused;
  unused.clear();
  for (Folio* n : made) {
    if (n->refcount == 0) unused.push_back(n);
  }
  mm.FreeFolios(unused, REASON_SPLIT);
  return 0;
}

// try_to_migrate() takes a PTE-mapped anonymous folio's mappings away one
// at a time, in rmap order (the anon_vma family's processes, then address
// order), and __folio_remove_rmap() sees the folio partially mapped as soon
// as a page loses its last mapping while others are still mapped.
bool MigrationSeesPartiallyMapped(MmState& mm, uint32_t head, const Folio& f) {
  int mapped = mm.folios.nr_pages_mapped(f);
  // Every mapped page mapped once (no fork): the first mapping taken
  // unmaps its page.
  if (f.mapcount == mapped) return mapped > 1;
  std::vector<int32_t> left(f.pages());
  for (uint32_t i = 0; i < f.pages(); ++i) {
    left[i] = mm.folios.page_mapcount(f, head + i);
  }
  for (const Mapping& m : RmapWalk(mm, head, f)) {
    Pte pte = mm.GetProcess(m.pid).pt.GetPte(m.addr);
    if (--left[pte.pfn() - head] > 0) continue;
    return --mapped > 0;
  }
  return false;
}

absl::Status Model::SplitRange(uint32_t pid, uint64_t addr, uint64_t length,
                               const SplitTo& to) {
  // split_huge_pages_pid(): page by page, each large folio mapped there is
  // split once (a pinned one is skipped, uncounted); the walk stops at the
  // first address no VMA maps.
  const Process& p = mm_.GetProcess(pid);
  const uint64_t end = addr + length;
  for (uint64_t a = addr; a < end; a += kPageSize) {
    if (p.vmas.Find(a) == nullptr) break;
    uint32_t pfn;
    const Pmd* pmd = p.pt.FindPmd(a);
    if (pmd == nullptr) {
      // Nothing mapped up to the next PMD that maps anything: the model
      // steps over it at once, stopping where the kernel's walk would.
      const uint64_t next = p.pt.NextPmd(a, end);
      const uint64_t mapped = p.vmas.MappedUpTo(a, next);
      if (mapped < next) break;
      a = next - kPageSize;
      continue;
    }
    if (pmd->kind == Pmd::Kind::kFolio) {
      pfn =
          pmd->head + static_cast<uint32_t>((a & (kPmdSize - 1)) >> kPageShift);
    } else {
      Pte pte = p.pt.GetPte(a);
      if (!pte.present_page()) continue;
      pfn = pte.pfn();
    }
    uint32_t head = mm_.folios.HeadOf(pfn);
    Folio& f = mm_.folios.At(head);
    if (f.order == 0) continue;
    // A file folio splits to at least its mapping's minimum order.
    const bool anon = f.test(kFolioAnon);
    uint32_t target = to.new_order;
    if (!anon && f.owner != 0) {
      target = std::max(target, mm_.GetFile(f.owner).min_folio_order());
    }
    if (target >= f.order) continue;
    int extra = anon ? 0 : static_cast<int>(f.pages());
    if (f.mapcount != f.refcount - extra) continue;
    const SplitKind kind = to.KindFor(f.pages());
    SplitFolio(mm_, head, target, kind,
               kind == SplitKind::kNonUniform ? to.in_folio_offset : 0,
               /*caller_pins=*/0, REASON_SPLIT_REQUEST);
  }
  return absl::OkStatus();
}

// split_huge_pages_in_file(): each large folio above the target order (at
// least the mapping's minimum) is split, or fails to (counted: no pre-check
// of its references here); the walk goes on from the index it found the
// folio at by as many pages as the folio had (so a folio met in its middle
// takes the walk past the next one's first pages).
absl::Status Model::SplitFileRange(uint32_t file_id, uint64_t offset,
                                   uint64_t length, const SplitTo& to) {
  const File& file = mm_.GetFile(file_id);
  const uint64_t end = (offset + length + kPageSize - 1) / kPageSize;
  uint64_t nr_pages = 1;
  for (uint64_t index = offset / kPageSize; index < end; index += nr_pages) {
    nr_pages = 1;
    std::optional<PageCache::Entry> e = file.cache.Find(index);
    if (!e.has_value()) {  // on to the next folio
      nr_pages =
          std::min(end, file.cache.NextUsed(index).value_or(end)) - index;
      continue;
    }
    Folio& f = mm_.folios.At(e->head);
    if (f.order == 0) continue;
    nr_pages = f.pages();
    uint32_t target = std::max(to.new_order, file.min_folio_order());
    if (target >= f.order) continue;
    const SplitKind kind = to.KindFor(f.pages());
    SplitFolio(mm_, e->head, target, kind,
               kind == SplitKind::kNonUniform ? to.in_folio_offset : 0,
               /*caller_pins=*/0, REASON_SPLIT_REQUEST);
  }
  return absl::OkStatus();
}

}  // namespace mmreplay::mm
