// The rmap's per-PTE rules (mm/rmap.c), inline because every fault and zap
// runs them; the rest of the reverse mapping is in rmap.cc. Included by the
// files that map or unmap PTEs.
#ifndef MMREPLAY_MM_RMAP_H_
#define MMREPLAY_MM_RMAP_H_

#include "base/check.h"
#include "mm/model.h"

namespace mmreplay::mm {

// folio_add_anon_rmap_ptes() / folio_add_new_anon_rmap() for PTEs.
inline void Model::AddRmapPtes(uint32_t pid, uint32_t head, Folio& f,
                               uint32_t pfn, int nr) {
  (void)head;
  // An order-0 folio's page mapcount is its mapcount.
  if (f.order == 0) {
    f.mapcount += nr;
    return;
  }
  folios_.AddPageMapcounts(f, pfn, nr, +1);
  f.mapcount += nr;
  // A new folio's first mappings (folio_set_large_mapcount) leave it
  // mapped by one process: nothing to keep.
  if (f.test(kFolioAnon) &&
      (f.mapcount != nr || f.test(kFolioMaybeMappedShared))) {
    AddMmId(pid, f, nr);
  }
}

// __folio_remove_rmap(RMAP_LEVEL_PTE) with CONFIG_PAGE_MAPCOUNT: pages whose
// last mapping goes leave _nr_pages_mapped; the folio is partially mapped
// when that happened and some pages are still mapped (and no PMD maps it
// whole).
inline void Model::RemoveRmapPtes(uint32_t pid, uint32_t head, Folio& f,
                                  uint32_t pfn, int nr) {
  f.mapcount -= nr;
  DCHECK(f.mapcount >= 0);
  // An order-0 folio is never partially mapped.
  if (f.order == 0) return;
  if (f.test(kFolioMaybeMappedShared)) mm_ids_.Sub(f, pid, nr);
  int last = folios_.AddPageMapcounts(f, pfn, nr, -1);
  const LargeFolio& l = folios_.Large(f);
  bool partially_mapped =
      last > 0 && l.entire_mapcount == 0 && l.nr_pages_mapped > 0;
  if (partially_mapped && f.test(kFolioAnon) &&
      !f.test(kFolioPartiallyMapped)) {
    DeferredSplitFolio(head, f, /*partially_mapped=*/true);
  }
}

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_RMAP_H_
