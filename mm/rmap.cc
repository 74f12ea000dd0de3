// Reverse mapping (mm/rmap.c): the mapcounts of a folio as page-table
// entries are added and removed, and the "partially mapped" rule that puts
// an anonymous folio on the deferred split queue.
#include <algorithm>

#include "base/check.h"
#include "mm/model.h"

namespace mmreplay::mm {

// folio_add_anon_rmap_pmd().
void Model::AddRmapPmd(Folio& f) {
  ++folios_.Large(f).entire_mapcount;
  ++f.mapcount;
}

// __folio_remove_rmap(RMAP_LEVEL_PMD): when the last PMD mapping goes, the
// pages no PTE maps are unmapped; partially mapped if some remain.
void Model::RemoveRmapPmd(uint32_t head, Folio& f) {
  LargeFolio& l = folios_.Large(f);
  --l.entire_mapcount;
  --f.mapcount;
  if (l.entire_mapcount > 0) return;
  int unmapped = static_cast<int>(f.pages()) - l.nr_pages_mapped;
  bool partially_mapped =
      unmapped > 0 && unmapped < static_cast<int>(f.pages());
  if (partially_mapped && f.test(kFolioAnon) &&
      !f.test(kFolioPartiallyMapped)) {
    DeferredSplitFolio(head, f, /*partially_mapped=*/true);
  }
}

// try_to_unmap() of a file folio with TTU_SPLIT_HUGE_PMD: each mapping
// goes; a PMD one by a PMD split first (__split_huge_pmd_locked, which for
// a file just removes it, and counts thp_split_pmd).
void Model::TryToUnmapFile(uint32_t head, Reason reason) {
  for (const Mapping& m : RmapWalk(head, folios_.At(head))) {
    if (m.pmd) {
      SplitPmd(m.pid, m.addr, reason);
    } else {
      ZapRange(m.pid, m.addr, m.addr + kPageSize, reason);
    }
  }
}

// The mappings of anonymous folio f in process p: its PMD, or the PTEs of
// its pages (an anonymous page is mapped only at its linear index: no
// mremap here).
int32_t Model::MappingsIn(const Process& p, const Folio& f) const {
  const uint64_t addr = f.index << kPageShift;
  if (f.pages() == kPtesPerTable) {
    const Pmd* pmd = p.pt.FindPmd(addr);
    if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio &&
        pmd->head == f.head) {
      return 1;
    }
  }
  int32_t mine = 0;
  for (uint32_t i = 0; i < f.pages(); ++i) {
    Pte pte = p.pt.GetPte(addr + (uint64_t(i) << kPageShift));
    if (pte.present_page() && pte.pfn() == f.head + i) ++mine;
  }
  return mine;
}

// folio_maybe_mapped_shared() with CONFIG_MM_ID (6.15): an order-0 folio
// mapped more than once; a large one mapped by another process than p, the
// one looking (the folio's two MM slots; SIMPLIFIED: exact for two
// processes, where the kernel may still say "shared" after a third mapped
// and unmapped it).
bool Model::FolioMaybeMappedShared(const Process& p, const Folio& f) const {
  if (f.mapcount <= 1) return false;
  if (f.order == 0) return true;
  return MappingsIn(p, f) != f.mapcount;
}

// rmap_walk_anon(): the processes of the folio's anon_vma family, at the
// address the folio was mapped at.
std::vector<Model::Mapping> Model::RmapWalk(uint32_t head, const Folio& f) {
  std::vector<Mapping> out;
  if (!f.test(kFolioAnon)) {
    // rmap_walk_file(): the VMAs mapping the folio's file at its index.
    if (f.owner == 0) return out;
    uint64_t first = f.index, last = f.index + f.pages();
    for (auto& [pid, p_ptr] : processes_) {
      Process& p = *p_ptr;
      for (const Vma& v : p.vmas.all()) {
        if (v.file != f.owner) continue;
        uint64_t lo = std::max(first, v.pgoff);
        uint64_t hi = std::min(last, v.pgoff + v.pages());
        for (uint64_t i = lo; i < hi; ++i) {
          uint64_t addr = v.start + ((i - v.pgoff) << kPageShift);
          const Pmd* pmd = p.pt.FindPmd(addr);
          if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio &&
              pmd->head == head) {
            out.push_back({pid, addr & ~(kPmdSize - 1), true});
            // Skip the rest of this PMD's pages.
            i += ((kPmdSize - (addr & (kPmdSize - 1))) >> kPageShift) - 1;
            continue;
          }
          Pte pte = p.pt.GetPte(addr);
          if (pte.present_page() &&
              pte.pfn() == head + static_cast<uint32_t>(i - f.index)) {
            out.push_back({pid, addr, false});
          }
        }
      }
    }
    return out;
  }
  uint64_t base = f.index << kPageShift;
  for (auto& [pid, p_ptr] : processes_) {
    Process& p = *p_ptr;
    if (!f.test(kFolioAnon) || p.anon_vma != f.owner) continue;
    const Pmd* pmd = p.pt.FindPmd(base);
    if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio && pmd->head == head) {
      out.push_back({pid, base & ~(kPmdSize - 1), true});
      continue;
    }
    for (uint64_t i = 0; i < f.pages(); ++i) {
      uint64_t addr = base + (i << kPageShift);
      Pte pte = p.pt.GetPte(addr);
      if (pte.present_page() && pte.pfn() == head + i) {
        out.push_back({pid, addr, false});
      }
    }
  }
  return out;
}

}  // namespace mmreplay::mm
