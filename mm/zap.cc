// Unmapping (mm/memory.c zap_pmd_range, zap_pte_range; mm/huge_memory.c
// zap_huge_pmd, __split_huge_pmd_locked; mm/madvise.c MADV_FREE).
#include "mm/zap.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "base/check.h"
#include "mm/rmap.h"
#include "mm/split.h"

namespace mmreplay::mm {
namespace {

// Cache hints for a zap of PTEs [i, stop) of table t: the index nodes, then
// the records of the folios it maps, looked up with no work between, so
// that their misses overlap (the zap's batches take them one after
// another). Changes nothing.
void PrefetchTableFolios(FolioTable& folios, const PteTable& t, int i,
                         int stop) {
  // The index nodes first: one look per 64 pages.
  for (int j = i; j < stop; j += 64) {
    if (t.pte[j].present_page()) folios.PrefetchIndex(t.pte[j].pfn());
  }
  FolioTable::Cursor ahead(folios);
  const Folio* last = nullptr;
  for (int j = i; (j = t.NextUsed(j, stop)) < stop;) {
    const Pte pte = t.pte[j];
    if (!pte.present_page()) {
      ++j;
      continue;
    }
    const Folio* r = ahead.Peek(pte.pfn());
    if (r != last) __builtin_prefetch(r);
    last = r;
    // On past the index entry's pages (PTEs mapping them in order).
    const uint32_t span = ahead.entry_pages();
    j = std::min(stop, j + static_cast<int>(span - (pte.pfn() & (span - 1))));
  }
}

}  // namespace

void SplitPmd(MmState& mm, uint32_t pid, uint64_t pmd_addr, Reason reason) {
  Process& p = mm.GetProcess(pid);
  Pmd* pmd = p.pt.FindPmd(pmd_addr);
  DCHECK(pmd != nullptr && pmd->kind != Pmd::Kind::kTable);
  mm.counters.Count(VmEvent::kThpSplitPmd);
  if (pmd->kind == Pmd::Kind::kHugeZero) {
    // __split_huge_zero_page_pmd(): 512 zero-page PTEs.
    PteTable& t = p.pt.MakeTable(pmd_addr);
    t.pte.fill(Pte::ZeroPage());
    t.used = kPtesPerTable;
    return;
  }
  uint32_t head = pmd->head;
  bool writable = pmd->writable;
  Folio& f = mm.folios.At(head);
  if (!f.test(kFolioAnon)) {
    // A file PMD is just removed; the pages refault as needed.
    Event& e = mm.NewEvent(EVENT_PMD_SPLIT, head, &f, reason);
    e.set_pid(pid);
    e.set_addr(pmd_addr);
    e.set_ref_before(f.refcount);
    e.set_ref_after(f.refcount - 1);
    e.set_map_before(f.mapcount);
    e.set_map_after(f.mapcount - 1);
    mm.Emit();
    p.pt.ClearPmd(pmd_addr);
    RemoveRmapPmd(mm, pid, head, f);
    mm.PutFolio(head, 1, reason);
    return;
  }
  // Anonymous: the same folio, now mapped by 512 PTEs, each holding a
  // reference (folio_ref_add(HPAGE_PMD_NR - 1)); the PMD's rmap goes last,
  // so the folio is never seen partially mapped here.
  Event& e = mm.NewEvent(EVENT_PMD_SPLIT, head, &f, reason);
  e.set_pid(pid);
  e.set_addr(pmd_addr);
  e.set_ref_before(f.refcount);
  e.set_ref_after(f.refcount + kPtesPerTable - 1);
  e.set_map_before(f.mapcount);
  e.set_map_after(f.mapcount + kPtesPerTable - 1);
  mm.Emit();
  // The PTEs inherit the PMD's write and dirty bits, and its pages stay
  // exclusive if they were (RMAP_EXCLUSIVE).
  bool written = pmd->written;
  bool exclusive = pmd->exclusive;
  PteTable& t = p.pt.MakeTable(pmd_addr);
  for (int i = 0; i < kPtesPerTable; ++i) {
    Pte pte = Pte::Page(head + i, writable).WithExclusive(exclusive);
    t.pte[i] = written ? pte.Dirty() : pte;
  }
  t.used = kPtesPerTable;
  f.refcount += kPtesPerTable - 1;
  AddRmapPtes(mm, pid, head, f, head, kPtesPerTable);
  RemoveRmapPmd(mm, pid, head, f);
}

void SplitPmdsAtEdges(MmState& mm, uint32_t pid, uint64_t start, uint64_t end,
                      Reason reason) {
  Process& p = mm.GetProcess(pid);
  for (uint64_t edge : {start, end}) {
    if (edge % kPmdSize == 0) continue;
    Pmd* pmd = p.pt.FindPmd(edge);
    if (pmd != nullptr && pmd->kind != Pmd::Kind::kTable) {
      SplitPmd(mm, pid, edge & ~(kPmdSize - 1), reason);
    }
  }
}

// unmap_vmas(): clears the mappings of [start, end), one VMA at a time
// (unmap_single_vma, unmap_page_range). A PMD mapping the range covers in
// part is split into PTEs first. Runs of PTEs mapping consecutive pages of
// one folio are removed from the rmap in one batch (folio_pte_batch +
// folio_remove_rmap_ptes), so a folio whose last mappings go in one batch
// is never queued for deferred split; a batch ends where its VMA does, so
// a folio across two VMAs is queued by the first. References are dropped
// when the TLB is flushed, at the end: folios are freed then.
void ZapRange(MmState& mm, uint32_t pid, uint64_t start, uint64_t end,
              Reason reason) {
  Process& p = mm.GetProcess(pid);
  // The folios whose last reference the zap takes, in the order the TLB
  // gather drops them (folios_put_refs frees each where its count hits 0).
  // The buffer is borrowed, so that a zap inside this one gets its own.
  std::vector<Folio*> to_free = std::move(mm.zap_to_free);
  to_free.clear();
  auto unmap_event = [&](uint32_t head, Folio& f, uint64_t addr, int nr,
                         MapLevel level) {
    mm.EmitMapping(EVENT_UNMAP, head, f, reason, pid, addr, nr, level,
                   f.mapcount, f.mapcount - (level == MAP_LEVEL_PMD ? 1 : nr),
                   f.refcount, f.refcount - (level == MAP_LEVEL_PMD ? 1 : nr));
  };
  p.vmas.ForEachOverlapping(start, end, [&](const Vma& vma) {
    p.pt.ForEachPmd(vma.start, vma.end, [&](uint64_t pmd_addr, Pmd& pmd) {
      uint64_t lo = std::max(vma.start, pmd_addr);
      uint64_t hi = std::min(vma.end, pmd_addr + kPmdSize);
      bool whole = lo == pmd_addr && hi == pmd_addr + kPmdSize;
      if (pmd.kind != Pmd::Kind::kTable) {
        if (whole) {
          if (pmd.kind == Pmd::Kind::kFolio) {
            // zap_huge_pmd().
            uint32_t head = pmd.head;
            Folio& f = mm.folios.At(head);
            unmap_event(head, f, pmd_addr, static_cast<int>(f.pages()),
                        MAP_LEVEL_PMD);
            RemoveRmapPmd(mm, pid, head, f);
            if (--f.refcount == 0) to_free.push_back(&f);
          }
          p.pt.ClearPmd(pmd_addr);
          return;
        }
        SplitPmd(mm, pid, pmd_addr, reason);
      }
      // A split file PMD is gone (and `pmd` with its table), an anonymous
      // one is a PTE table now.
      const Pmd* now = p.pt.FindPmd(pmd_addr);
      if (now == nullptr) return;
      PteTable& t = p.pt.Table(*now);
      FolioTable::Cursor folio_at(mm.folios);
      int i = PageTable::PteIndex(lo);
      int stop =
          hi == pmd_addr + kPmdSize ? kPtesPerTable : PageTable::PteIndex(hi);
      PrefetchTableFolios(mm.folios, t, i, stop);
      while ((i = t.NextUsed(i, stop)) < stop) {
        Pte pte = t.pte[i];
        if (!pte.present_page()) {
          if (pte.zero_page()) {
            t.pte[i] = Pte::None();
            --t.used;
          }
          ++i;
          continue;
        }
        uint32_t pfn = pte.pfn();
        Folio* rec = folio_at.Peek(pfn);
        if (rec->order == 0 && rec->refcount == 1 && rec->mapcount == 1) {
          // Order-0 folios each held by nothing but its PTE here, at
          // consecutive PFNs (the pieces of a split THP, a run in one
          // record): unmapped, and their last references dropped, as one
          // batch of events.
          int n = t.Batch(
              i,
              std::min<int>(stop - i,
                            static_cast<int>(rec->head + rec->run + 1 - pfn)),
              /*same_bits=*/false);
          Folio& gone =
              mm.folios.CarveRunIfRun(*rec, pfn, static_cast<uint32_t>(n));
          folio_at.Forget();
          for (int k = 0; k < n; ++k) t.pte[i + k] = Pte::None();
          t.used -= n;
          mm.EmitMapping(EVENT_UNMAP, pfn, gone, reason, pid,
                         pmd_addr + (uint64_t(i) << kPageShift), 1,
                         MAP_LEVEL_PTE, 1, 0, 1, 0, static_cast<uint32_t>(n));
          gone.mapcount = 0;
          gone.refcount = 0;
          to_free.push_back(&gone);
          i += n;
          continue;
        }
        if (rec->order == 0 && rec->run > 0) {
          rec = mm.folios.Of(pfn);  // on its own, out of its run
          folio_at.Forget();
        }
        Folio& f = *rec;
        uint32_t head = f.head;
        // folio_pte_batch(): consecutive PTEs, consecutive PFNs, one folio.
        int nr = t.Batch(
            i,
            std::min<int>(stop - i, static_cast<int>(head + f.pages() - pfn)),
            /*same_bits=*/false);
        uint64_t addr = pmd_addr + (uint64_t(i) << kPageShift);
        // Before seed 001's batching, each PTE left the rmap on its own.
        int step = mm.profile.batched_rmap_zap ? nr : 1;
        for (int done = 0; done < nr; done += step) {
          unmap_event(head, f, addr + (uint64_t(done) << kPageShift), step,
                      MAP_LEVEL_PTE);
          RemoveRmapPtes(mm, pid, head, f, pfn + static_cast<uint32_t>(done),
                         step);
          f.refcount -= step;
        }
        for (int k = 0; k < nr; ++k) t.pte[i + k] = Pte::None();
        t.used -= nr;
        if (f.refcount == 0) to_free.push_back(&f);
        i += nr;
      }
      // free_pgtables() on munmap, and the empty-table reclaim of
      // MADV_DONTNEED, drop a table the zap covered whole.
      if (whole && t.used == 0) p.pt.ClearPmd(pmd_addr);
    });
  });
  // tlb_finish_mmu(): the folios whose last reference went are freed.
  mm.FreeFolios(to_free, reason);
  mm.zap_to_free = std::move(to_free);
}

void FreePgtables(Process& p, uint64_t start, uint64_t end) {
  for (uint64_t edge : {start, end - 1}) {
    const uint64_t pmd_addr = edge & ~(kPmdSize - 1);
    const Pmd* pmd = p.pt.FindPmd(pmd_addr);
    if (pmd != nullptr && pmd->kind == Pmd::Kind::kTable &&
        p.pt.Table(*pmd).used == 0 &&
        !p.vmas.Overlaps(pmd_addr, pmd_addr + kPmdSize)) {
      p.pt.ClearPmd(pmd_addr);
    }
  }
}

// walk_page_range() in each VMA, one PMD at a time.
void MadviseFree(MmState& mm, uint32_t pid, uint64_t start, uint64_t end) {
  Process& p = mm.GetProcess(pid);
  p.vmas.ForEachOverlapping(start, end, [&](const Vma& vma) {
    for (uint64_t a = vma.start; a < vma.end;) {
      const uint64_t next = std::min(vma.end, (a & ~(kPmdSize - 1)) + kPmdSize);
      MadviseFreePteRange(mm, p, a, next);
      a = next;
    }
  });
}

// madvise_free_pte_range(), madvise_free_huge_pmd() first where a PMD maps
// a folio. A folio another process maps is left alone. One the range
// covers whole is marked lazily freeable; one it covers in part is split
// (split_folio: uniform, to order 0) once, and its pages then go through
// the PTE walk; a split that fails leaves the folio as it is. Before v6.10
// (Profile::madv_free_keeps_covered_folios) every PTE-mapped large folio
// was split, and the first that could not be ended the table's walk.
void MadviseFreePteRange(MmState& mm, Process& p, uint64_t addr, uint64_t end) {
  const uint64_t pmd_addr = addr & ~(kPmdSize - 1);
  const Pmd* pmd = p.pt.FindPmd(pmd_addr);
  if (pmd == nullptr) return;
  if (pmd->kind == Pmd::Kind::kFolio) {
    const uint32_t head = pmd->head;
    Folio& f = mm.folios.At(head);
    if (FolioMaybeMappedShared(f)) return;
    if (end - addr == kPmdSize) {
      f.set(kFolioLazyfree);
      return;
    }
    SplitFolioToOrder0(mm, head, REASON_MADV_FREE);
    pmd = p.pt.FindPmd(pmd_addr);
    if (pmd == nullptr) return;
  }
  // The huge zero page, and a PMD whose folio did not split: no PTE table.
  if (pmd->kind != Pmd::Kind::kTable) return;
  const PteTable& t = p.pt.Table(*pmd);
  const int stop =
      end - pmd_addr == kPmdSize ? kPtesPerTable : PageTable::PteIndex(end);
  for (int i = PageTable::PteIndex(addr); (i = t.NextUsed(i, stop)) < stop;) {
    const Pte pte = t.pte[i];
    // pte_none(), and vm_normal_folio() of the zero page.
    if (!pte.present_page()) {
      ++i;
      continue;
    }
    const uint32_t head = mm.folios.HeadOf(pte.pfn());
    Folio& f = mm.folios.At(head);
    int nr = 1;
    if (f.order > 0 && !mm.profile.madv_free_keeps_covered_folios) {
      // Before v6.10: split it if folio_estimated_sharers() (its first
      // page's mapcount) is 1, then take the same PTE again; else stop.
      if (mm.folios.precise_page_mapcount(f, head) != 1 ||
          SplitFolioToOrder0(mm, head, REASON_MADV_FREE) != 0) {
        return;
      }
      continue;
    }
    if (f.order > 0) {
      // madvise_folio_pte_batch(): the run of PTEs from here that map
      // consecutive pages of f.
      nr = t.Batch(i,
                   std::min<int>(stop - i, static_cast<int>(head + f.pages() -
                                                            pte.pfn())),
                   /*same_bits=*/false);
      if (nr < static_cast<int>(f.pages())) {
        if (!FolioMaybeMappedShared(f) &&
            SplitFolioToOrder0(mm, head, REASON_MADV_FREE) == 0) {
          continue;  // the same PTE, now of an order-0 folio
        }
        i += nr;
        continue;
      }
    }
    // A dirty folio (the model keeps no PG_dirty: taken as dirty, anonymous
    // memory written) is marked only if its mapcount is its page count,
    // mapped by this process alone.
    if (f.mapcount == static_cast<int32_t>(f.pages())) f.set(kFolioLazyfree);
    i += nr;
  }
}

}  // namespace mmreplay::mm
