#include "mm/compaction.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "base/check.h"
#include "mm/errno.h"
#include "mm/migrate.h"
#include "mm/mm_state.h"
#include "mm/refcount.h"
#include "mm/split.h"

namespace mmreplay::mm {
namespace {

using Mode = Profile::CompactLargeFolios;

uint64_t PageblockStart(uint64_t pfn) { return pfn & ~(kPageblockPages - 1); }

// The free block holding pfn: its first PFN and order.
struct FreeBlock {
  uint64_t head;
  uint32_t order;
};
std::optional<FreeBlock> FreeBlockAt(const BuddyAllocator& buddy,
                                     uint64_t pfn) {
  std::optional<uint32_t> o = buddy.FreeOrderAt(pfn);
  if (!o.has_value()) return std::nullopt;
  return FreeBlock{pfn & ~((uint64_t{1} << *o) - 1), *o};
}

// isolate_freepages_block(): free blocks from *start up to end, each kept
// at its own order on cc.freepages[order], until the scanner holds as many
// pages as the folios to migrate; *start is where it stopped.
void IsolateFreepagesBlock(MmState& mm, CompactControl& cc, uint64_t* start,
                           uint64_t end) {
  uint64_t pfn = *start, scanned = 0, isolated = 0;
  while (pfn < end) {
    ++scanned;
    if (const Folio* f = mm.folios.Peek(static_cast<uint32_t>(pfn))) {
      // A compound page is passed over whole.
      const uint64_t next = f->order == 0 ? pfn + 1 : f->head + f->pages();
      scanned += next - pfn - 1;
      pfn = next;
      continue;
    }
    std::optional<FreeBlock> b = FreeBlockAt(mm.buddy, pfn);
    if (!b.has_value() || b->head != pfn) {
      // Isolated already (this run's block), or the tail of a block
      // starting below: not PageBuddy here.
      pfn = b.has_value() ? b->head + (uint64_t{1} << b->order) : pfn + 1;
      continue;
    }
    // __isolate_free_page(): no split at isolation (6.9+).
    const uint64_t n = uint64_t{1} << b->order;
    mm.buddy.Isolate(pfn, b->order);
    cc.freepages[b->order].push_back(pfn);
    cc.nr_freepages += n;
    isolated += n;
    scanned += n - 1;
    pfn += n;
    if (cc.nr_migratepages <= cc.nr_freepages) break;
  }
  *start = pfn;
  cc.total_free_scanned += scanned;
  mm.counters.Count(VmEvent::kCompactIsolated, static_cast<int64_t>(isolated));
}

// The migrate scanner's look at an anonymous folio (isolate_migratepages_
// block): one whose references are more than its mappings may be pinned
// or held, and migration would fail: passed over, and logged.
bool SkipHeldAnon(MmState& mm, const Folio& f) {
  if (!f.test(kFolioAnon) || f.refcount <= f.mapcount) return false;
  const bool pinned =
      mm.folios.pincount(f) > 0 || f.refcount >= kGupPinCountingBias;
  Event& e = mm.NewEvent(EVENT_ISOLATE_SKIP, f.head, &f,
                         pinned ? REASON_PINNED : REASON_EXTRA_REF);
  e.set_ref_after(f.refcount);
  e.set_map_after(f.mapcount);
  mm.Emit();
  return true;
}

// isolate_migratepages_block(): folios from low to end, until
// COMPACT_CLUSTER_MAX pages are isolated; returns where it stopped.
uint64_t IsolateMigratepagesBlock(MmState& mm, CompactControl& cc, uint64_t low,
                                  uint64_t end) {
  uint64_t pfn = low, scanned = 0, isolated = 0;
  while (pfn < end) {
    ++scanned;
    const Folio* r = mm.folios.Peek(static_cast<uint32_t>(pfn));
    if (r == nullptr) {
      // PageBuddy: the whole free block is passed over.
      std::optional<FreeBlock> b = FreeBlockAt(mm.buddy, pfn);
      pfn = b.has_value() ? b->head + (uint64_t{1} << b->order) : pfn + 1;
      continue;
    }
    const uint32_t head = r->order == 0 ? static_cast<uint32_t>(pfn) : r->head;
    const uint64_t next = head + (uint64_t{1} << r->order);
    scanned += next - pfn - 1;
    pfn = next;
    // Compound pages: skip_isolation_on_order(), at the folio's first
    // look and again under the lru lock; before v6.9 every one.
    const bool skip_large = mm.profile.compact_large_folios == Mode::kSkip;
    if (SkipIsolationOnOrder(r->order, cc.order) ||
        (skip_large && r->order > 0)) {
      continue;
    }
    // Not on an LRU list: a file folio out of its page cache.
    if (!r->test(kFolioAnon) && r->owner == 0) continue;
    if (SkipHeldAnon(mm, *r)) continue;
    cc.migratepages.push_back(head);
    cc.nr_migratepages += uint64_t{1} << r->order;
    isolated += uint64_t{1} << r->order;
    if (cc.nr_migratepages >= kCompactClusterMax) break;
  }
  cc.total_migrate_scanned += scanned;
  mm.counters.Count(VmEvent::kCompactIsolated, static_cast<int64_t>(isolated));
  return pfn;
}

// try_split_folio() for migrate_pages(): a uniform split to order 0; the
// pieces left (a zero page may go to the shared zero page) are appended
// to *pieces. False when the split failed.
bool SplitForMigration(MmState& mm, uint32_t head, std::vector<uint32_t>* out) {
  const uint32_t order = mm.folios.At(head).order;
  const uint32_t pages = 1u << order;
  if (SplitFolioToOrder0(mm, head, REASON_COMPACTION) != 0) return false;
  for (uint32_t pfn = head; pfn < head + pages; ++pfn) {
    if (mm.folios.Peek(pfn) == nullptr) continue;
    out->push_back(pfn);
    if (mm.record_compaction_fates) {
      mm.compaction_fates[pfn] = {head, order, FOLIO_OUTCOME_SPLIT};
    }
  }
  return true;
}

// Seed 003's PFN walker: get_page_unless_zero() on the target block at
// dst (count 1 since compaction_alloc), once a run. Returns the references
// taken (0 or 1).
int32_t WalkerGet(MmState& mm, const CompactControl& cc, uint32_t dst,
                  uint32_t order) {
  if (cc.walker_ref_id == 0) return 0;
  Event& e = mm.NewEvent(EVENT_REF_GET, REASON_SPECULATIVE);
  e.set_pfn(dst);
  e.set_order(order);
  e.set_ref_before(1);
  e.set_ref_after(2);
  mm.Emit();
  mm.refs[cc.walker_ref_id].pfns = {dst};
  return 1;
}

void MigrateFailed(MmState& mm, uint32_t head, int err) {
  const Folio& f = mm.folios.At(head);
  mm.counters.Count(VmEvent::kPgmigrateFail, static_cast<int64_t>(f.pages()));
  if (f.order == kPmdOrder) mm.counters.Count(VmEvent::kThpMigrationFail);
  mm.NewEvent(EVENT_MIGRATE_FAILED, head, &f, REASON_COMPACTION).set_err(err);
  mm.Emit();
}

// Keeps compaction_fates up to date for a folio moved from src to dst: a
// split folio's piece keeps its parent's fate, a large folio moved whole
// is MOVED (order-0 folios are not followed).
void NoteMoved(MmState& mm, uint32_t src, uint32_t dst) {
  auto it = mm.compaction_fates.find(src);
  if (it != mm.compaction_fates.end()) {
    const MmState::CompactionFate fate = it->second;
    mm.compaction_fates.erase(it);
    mm.compaction_fates[dst] = fate;
    return;
  }
  const uint32_t order = mm.folios.At(dst).order;
  if (order > 0) mm.compaction_fates[dst] = {src, order, FOLIO_OUTCOME_MOVED};
}

// One folio of migrate_pages_batch(): 0, -EAGAIN (stays: put back) or
// -ENOMEM (no target). With `split` (a large folio without a target is
// split, its pieces appended to *split).
int MigrateOne(MmState& mm, CompactControl& cc, uint32_t head,
               std::vector<uint32_t>* split) {
  const uint32_t order = mm.folios.At(head).order;
  // The rare folio on the deferred split list, partially mapped: split.
  if (split != nullptr && order > 1) {
    const Folio& f = mm.folios.At(head);
    if (f.test(kFolioDeferredListed) && f.test(kFolioPartiallyMapped) &&
        SplitForMigration(mm, head, split)) {
      return 0;
    }
  }
  // migrate_folio_unmap(): the target first; seed 003's patch 1/3 gives
  // none to a large folio.
  int64_t dst = -1;
  if (order == 0 || mm.profile.compact_large_folios != Mode::kSplitAll) {
    dst = CompactionAlloc(mm, cc, order);
  }
  if (dst < 0) {
    if (order > 0 && split != nullptr && SplitForMigration(mm, head, split)) {
      if (order == kPmdOrder) mm.counters.Count(VmEvent::kThpMigrationSplit);
      return 0;
    }
    MigrateFailed(mm, head, kEnomem);
    return kEnomem;
  }
  if (!MigrationRefsOk(mm, mm.folios.At(head))) {
    // The target's count: compaction_alloc()'s set_page_refcounted(), and
    // seed 003's walker's get_page_unless_zero() meanwhile.
    const int32_t count =
        1 + WalkerGet(mm, cc, static_cast<uint32_t>(dst), order);
    // -EAGAIN on every pass: migrate_folio_undo_dst() gives the target
    // back, the folio is remapped and put back.
    MigrateFailed(mm, head, kEagain);
    CompactionFree(mm, cc, static_cast<uint64_t>(dst), order, count);
    // Back on the free list although the walker holds it (the v3 bug):
    // the model can no longer count the walker's reference.
    if (count > 1 && mm.folios.Peek(static_cast<uint32_t>(dst)) == nullptr) {
      mm.refs[cc.walker_ref_id].pfns.clear();
    }
    if (count > 1) cc.walker_ref_id = 0;
    return kEagain;
  }
  MigrateFolio(mm, head, static_cast<uint32_t>(dst));
  if (mm.record_compaction_fates)
    NoteMoved(mm, head, static_cast<uint32_t>(dst));
  mm.counters.Count(VmEvent::kPgmigrateSuccess, int64_t{1} << order);
  if (order == kPmdOrder) mm.counters.Count(VmEvent::kThpMigrationSuccess);
  return 0;
}

// migrate_pages(cc->migratepages, compaction_alloc, compaction_free,
// MIGRATE_SYNC): each isolated folio in order, then (minimal effort, one
// pass) the order-0 pieces of those split on the way. -ENOMEM when a folio
// found no target and could not be split: the rest are put back.
int MigratePages(MmState& mm, CompactControl& cc) {
  std::vector<uint32_t> split;
  for (uint32_t head : cc.migratepages) {
    if (MigrateOne(mm, cc, head, &split) == kEnomem) return kEnomem;
  }
  for (uint32_t pfn : split) {
    if (MigrateOne(mm, cc, pfn, nullptr) == kEnomem) return kEnomem;
  }
  return 0;
}

// __compact_finished().
CompactResult CompactFinished(const MmState& mm, const CompactControl& cc) {
  if (CompactScannersMet(cc)) return COMPACT_RESULT_COMPLETE;
  if (cc.order < 0) return COMPACT_RESULT_UNSPECIFIED;  // CONTINUE
  if (cc.migrate_pfn % kPageblockPages != 0) return COMPACT_RESULT_UNSPECIFIED;
  if (mm.buddy.ZoneHasFree(cc.zone, static_cast<uint32_t>(cc.order))) {
    return COMPACT_RESULT_SUCCESS;
  }
  return COMPACT_RESULT_UNSPECIFIED;
}

void CompactEvent(MmState& mm, EventKind kind, const CompactControl& cc,
                  CompactResult result) {
  Event& e = mm.NewEvent(kind, REASON_COMPACTION);
  e.set_pfn(cc.zone_start);
  if (cc.order >= 0) e.set_order(static_cast<uint32_t>(cc.order));
  if (result != COMPACT_RESULT_UNSPECIFIED) e.set_compact_result(result);
  mm.Emit();
}

}  // namespace

void IsolateFreepages(MmState& mm, CompactControl& cc) {
  // isolate_freepages(): after fast_isolate_freepages() (left out; it
  // does nothing for compact_memory), no scan while blocks are still
  // isolated, whatever their orders: a large folio that finds none of its
  // order among them gets no target and is split.
  if (cc.nr_freepages != 0) return;
  constexpr int64_t kBlock = static_cast<int64_t>(kPageblockPages);
  int64_t block_start = static_cast<int64_t>(PageblockStart(cc.free_pfn));
  int64_t start = static_cast<int64_t>(cc.free_pfn);
  int64_t block_end =
      std::min(block_start + kBlock, static_cast<int64_t>(cc.zone_end));
  const int64_t low =
      static_cast<int64_t>(PageblockStart(cc.migrate_pfn)) + kBlock;
  for (; block_start >= low;
       block_end = block_start, block_start -= kBlock, start = block_start) {
    // suitable_migration_target(): not a pageblock that is one free block
    // of pageblock order or more.
    std::optional<FreeBlock> b =
        FreeBlockAt(mm.buddy, static_cast<uint64_t>(block_start));
    if (b.has_value() && b->order >= kPageblockOrder) continue;
    uint64_t at = static_cast<uint64_t>(start);
    IsolateFreepagesBlock(mm, cc, &at, static_cast<uint64_t>(block_end));
    start = static_cast<int64_t>(at);
    if (cc.nr_freepages >= cc.nr_migratepages) {
      // Restart below this block next time if it was scanned to its end.
      if (start >= block_end) start = block_start - kBlock;
      break;
    }
  }
  // Below the zone's first block: the scanners have met.
  cc.free_pfn = static_cast<uint64_t>(std::max<int64_t>(start, 0));
}

void IsolateMigratepages(MmState& mm, CompactControl& cc) {
  uint64_t low = cc.migrate_pfn;
  uint64_t block_end = PageblockStart(low) + kPageblockPages;
  for (; block_end <= cc.free_pfn;
       low = block_end, block_end += kPageblockPages) {
    // suitable_migration_source(): a pageblock that starts with a folio of
    // pageblock order or more is passed over (pageblock_skip_persistent).
    const Folio* f = mm.folios.Peek(static_cast<uint32_t>(PageblockStart(low)));
    if (f != nullptr && f->order >= kPageblockOrder) continue;
    cc.migrate_pfn = IsolateMigratepagesBlock(mm, cc, low, block_end);
    return;  // one pageblock a call
  }
  cc.migrate_pfn = low;
}

int64_t CompactionAlloc(MmState& mm, CompactControl& cc, uint32_t order) {
  for (bool has_isolated_pages = false;;) {
    uint32_t start_order = order;
    while (start_order <= kMaxOrder && cc.freepages[start_order].empty()) {
      ++start_order;
    }
    if (start_order > kMaxOrder) {
      if (has_isolated_pages) return -1;
      IsolateFreepages(mm, cc);
      has_isolated_pages = true;
      continue;
    }
    const uint64_t pfn = cc.freepages[start_order].front();
    cc.freepages[start_order].pop_front();
    while (start_order > order) {
      --start_order;
      cc.freepages[start_order].push_front(pfn + (uint64_t{1} << start_order));
    }
    cc.nr_freepages -= uint64_t{1} << order;
    cc.nr_migratepages -= uint64_t{1} << order;
    return static_cast<int64_t>(pfn);
  }
}

void CompactionFree(MmState& mm, CompactControl& cc, uint64_t pfn,
                    uint32_t order, int refcount) {
  cc.nr_migratepages += uint64_t{1} << order;
  if (mm.profile.compaction_free_set_count) {
    // Seed 003's v3: folio_set_count(dst, 0), whoever else holds it.
    SetRefcount(mm, pfn, order, &refcount, 0, /*owner_refs=*/1,
                REASON_COMPACTION);
  } else {
    // folio_put_testzero().
    --refcount;
  }
  // Back on the list (at its head: reused first) only if that was the last
  // reference.
  if (refcount == 0) {
    cc.freepages[order].push_front(pfn);
    cc.nr_freepages += uint64_t{1} << order;
    return;
  }
  // Lost to this run: a page the other holder's last put frees (an
  // unmapped folio with no owner until then).
  Event& e = mm.NewEvent(EVENT_COMPACT_FREE_LOST, REASON_COMPACTION);
  e.set_pfn(pfn);
  e.set_order(order);
  e.set_ref_before(refcount + 1);
  e.set_ref_after(refcount);
  mm.Emit();
  mm.folios.Create(static_cast<uint32_t>(pfn), order).refcount = refcount;
}

void ReleaseFreeList(MmState& mm, CompactControl& cc) {
  for (uint32_t order = 0; order <= kMaxOrder; ++order) {
    for (uint64_t pfn : cc.freepages[order]) mm.buddy.Free(pfn, order);
    cc.freepages[order].clear();
  }
  cc.nr_freepages = 0;
}

CompactResult CompactZone(MmState& mm, size_t zone, int order,
                          uint32_t* walker_ref_id) {
  CompactControl cc;
  cc.order = order;
  cc.walker_ref_id = *walker_ref_id;
  cc.zone = zone;
  const ZoneSpan span = mm.buddy.zone_span(zone);
  cc.zone_start = span.start_pfn;
  cc.zone_end = span.start_pfn + span.pages;
  CompactEvent(mm, EVENT_COMPACT_BEGIN, cc, COMPACT_RESULT_UNSPECIFIED);
  CompactResult ret = COMPACT_RESULT_UNSPECIFIED;
  if (order >= 0) {
    // compaction_suit_allocation_order(): the allocation can already be
    // made, or there are not enough free pages to migrate into
    // (compact_gap: 2 << order; the model has no watermarks).
    const uint32_t o = static_cast<uint32_t>(order);
    if (mm.buddy.ZoneHasFree(zone, o)) {
      ret = COMPACT_RESULT_SUCCESS;
    } else if (mm.buddy.ZoneFreePages(zone) < (uint64_t{2} << o)) {
      ret = COMPACT_RESULT_SKIPPED;
    }
  }
  if (ret == COMPACT_RESULT_UNSPECIFIED) {
    cc.migrate_pfn = cc.zone_start;
    cc.free_pfn = PageblockStart(cc.zone_end - 1);
    while ((ret = CompactFinished(mm, cc)) == COMPACT_RESULT_UNSPECIFIED) {
      IsolateMigratepages(mm, cc);
      if (cc.migratepages.empty()) continue;
      const int err = MigratePages(mm, cc);
      cc.migratepages.clear();
      cc.nr_migratepages = 0;
      if (err == kEnomem && !CompactScannersMet(cc)) {
        ret = COMPACT_RESULT_CONTENDED;
        break;
      }
    }
    ReleaseFreeList(mm, cc);
    mm.counters.Count(VmEvent::kCompactMigrateScanned,
                      static_cast<int64_t>(cc.total_migrate_scanned));
    mm.counters.Count(VmEvent::kCompactFreeScanned,
                      static_cast<int64_t>(cc.total_free_scanned));
  }
  CompactEvent(mm, EVENT_COMPACT_END, cc, ret);
  *walker_ref_id = cc.walker_ref_id;
  return ret;
}

void CompactRequest(MmState& mm, CompactMode mode, uint32_t order,
                    uint32_t walker_ref_id) {
  // The walker's reference exists (holding nothing) until it finds a page.
  if (walker_ref_id != 0) mm.refs[walker_ref_id] = Holder{};
  mm.compaction_fates.clear();
  const size_t zones = mm.buddy.zone_count();
  if (mode == COMPACT_MODE_MEMORY) {
    for (size_t z = 0; z < zones; ++z) CompactZone(mm, z, -1, &walker_ref_id);
    return;
  }
  // try_to_compact_pages(): the zonelist, highest zone first.
  bool ran = false;
  for (size_t z = zones; z-- > 0;) {
    const CompactResult r =
        CompactZone(mm, z, static_cast<int>(order), &walker_ref_id);
    ran |= r != COMPACT_RESULT_SKIPPED;
    if (r == COMPACT_RESULT_SUCCESS) break;
  }
  if (!ran) return;
  // __alloc_pages_direct_compact(): the allocation is tried again.
  mm.counters.Count(VmEvent::kCompactStall);
  bool ok = false;
  for (size_t z = 0; z < zones; ++z) ok |= mm.buddy.ZoneHasFree(z, order);
  mm.counters.Count(ok ? VmEvent::kCompactSuccess : VmEvent::kCompactFail);
}

}  // namespace mmreplay::mm
