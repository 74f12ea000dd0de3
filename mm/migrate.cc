#include "mm/migrate.h"

#include <vector>

#include "base/check.h"
#include "mm/deferred_split.h"
#include "mm/mm_state.h"
#include "mm/rmap.h"
#include "mm/split.h"

namespace mmreplay::mm {
namespace {

// folio_mc_copy(): dst's pages get src's contents.
void CopyContents(FolioTable& folios, const Folio& src, Folio& dst) {
  if (src.order == 0) {
    dst.nonzero = src.nonzero;
    return;
  }
  if (folios.all_nonzero(src)) {
    folios.set_nonzero(dst, dst.head, static_cast<uint32_t>(dst.pages()), true);
    return;
  }
  for (uint32_t i = 0; i < src.pages(); ++i) {
    if (folios.nonzero(src, src.head + i)) {
      folios.set_nonzero(dst, dst.head + i, 1, true);
    }
  }
}

// remove_migration_pte(): the PTE at m now maps dst's page with the bits
// the migration entry kept; the rmap of dst counts it.
void RemapPte(MmState& mm, const Mapping& m, uint32_t src, Folio& dst) {
  CHECK(!m.pmd);  // order 9 is never isolated (skip_isolation_on_order)
  PageTable& pt = mm.GetProcess(m.pid).pt;
  const Pte old = pt.GetPte(m.addr);
  const uint32_t pfn = dst.head + (old.pfn() - src);
  Pte pte = Pte::Page(pfn, old.writable()).WithExclusive(old.exclusive());
  if (old.dirty()) pte = pte.Dirty();
  pt.SetPte(m.addr, pte);
  if (dst.order > 0) mm.folios.AddPageMapcounts(dst, pfn, 1, +1);
  ++dst.mapcount;
}

}  // namespace

bool MigrationRefsOk(const MmState& mm, const Folio& f) {
  // folio_expected_ref_count(): the page cache's references and the
  // mappings (which migration entries replace and give back).
  const bool cached = !f.test(kFolioAnon) && f.owner != 0;
  const int32_t expected =
      f.mapcount + (cached ? static_cast<int32_t>(f.pages()) : 0);
  (void)mm;
  return f.refcount == expected;
}

void MigrateFolio(MmState& mm, uint32_t src, uint32_t dst) {
  Folio* s = &mm.folios.At(src);
  DCHECK(MigrationRefsOk(mm, *s));
  const bool anon = s->test(kFolioAnon);
  const uint32_t order = s->order;
  // try_to_migrate(): the PTEs become migration entries one at a time;
  // __folio_remove_rmap() queues an anonymous folio as soon as it is
  // partially mapped.
  if (anon && order > 1 && !s->test(kFolioPartiallyMapped) &&
      MigrationSeesPartiallyMapped(mm, src, *s)) {
    DeferredSplitFolio(mm, src, *s, /*partially_mapped=*/true);
  }
  const std::vector<Mapping> mappings = RmapWalk(mm, src, *s);
  // migrate_folio_move(): the queue state is read before the move.
  const bool src_deferred = s->test(kFolioDeferredListed);
  const bool src_partially_mapped = s->test(kFolioPartiallyMapped);

  Folio& d = mm.folios.Create(dst, order);
  s = &mm.folios.At(src);
  d.owner = s->owner;
  d.index = s->index;
  d.flags = s->flags & static_cast<uint8_t>(~(kFolioPartiallyMapped |
                                              kFolioDeferredListed |
                                              kFolioMaybeMappedShared));
  d.refcount = s->refcount;
  CopyContents(mm.folios, *s, d);
  for (const Mapping& m : mappings) RemapPte(mm, m, src, d);
  Event& e = mm.NewEvent(EVENT_MIGRATE, src, s, REASON_COMPACTION);
  e.set_dst_pfn(dst);
  e.set_ref_after(d.refcount);
  e.set_map_after(d.mapcount);
  mm.Emit();
  // __folio_migrate_mapping(): the page cache's entry names dst.
  if (!anon && s->owner != 0) mm.GetFile(s->owner).cache.Replace(s->index, dst);
  if (anon && order > 0) {
    mm.counters.Count(MthpStat::kNrAnon, order);
    mm.mm_ids.Forget(*s);
    if (d.mapcount > 0) RemapMmIds(mm, d);
  }
  if (src_deferred) UnqueueDeferredSplit(mm, src, *s, REASON_COMPACTION);
  // The requeue of the destination (a2e0c0668a34).
  if (src_deferred && mm.profile.migrate_requeue_dst_deferred) {
    DeferredSplitFolio(mm, dst, mm.folios.At(dst), src_partially_mapped);
  }
  // migrate_folio_done(): the source's last reference goes.
  s = &mm.folios.At(src);
  s->refcount = 0;
  s->mapcount = 0;
  mm.FreeFolio(src, REASON_COMPACTION);
}

}  // namespace mmreplay::mm
