// Compaction (mm/compaction.c, Linux 6.18): a migrate scanner going up
// from a zone's start isolates movable folios, a free scanner going down
// from its end isolates free blocks, and migrate_pages() moves the folios
// into those blocks, pageblock by pageblock, until the scanners meet or (a
// request for an order) a free block of that order appears. The rules and
// the measurements behind them are in docs/model.md ("Compaction").
//
// Left out (docs/model.md): the fast paths (fast_find_migrateblock,
// fast_isolate_freepages; compact_memory uses neither), pageblock skip
// bits, cached scanner positions and deferral (every run starts at the
// zone's ends: whole_zone), watermarks, per-CPU lists, capture_control and
// async mode (the model runs MIGRATE_SYNC).
#ifndef MMREPLAY_MM_COMPACTION_H_
#define MMREPLAY_MM_COMPACTION_H_

#include <array>
#include <cstdint>
#include <deque>
#include <vector>

#include "mm/buddy.h"
#include "proto/event.pb.h"
#include "proto/mm_enums.pb.h"

namespace mmreplay::mm {

struct MmState;

// pageblock_order and COMPACT_CLUSTER_MAX (pages).
inline constexpr uint32_t kPageblockOrder = 9;
inline constexpr uint64_t kPageblockPages = uint64_t{1} << kPageblockOrder;
inline constexpr uint64_t kCompactClusterMax = 32;

// struct compact_control, the parts the model keeps.
struct CompactControl {
  // cc->order: -1 for compact_memory (is_via_compact_memory).
  int order = -1;
  size_t zone = 0;
  uint64_t zone_start = 0;
  uint64_t zone_end = 0;
  uint64_t migrate_pfn = 0;
  uint64_t free_pfn = 0;
  // cc->freepages[]: isolated free blocks at their own order, head first.
  std::array<std::deque<uint64_t>, kMaxOrder + 1> freepages;
  uint64_t nr_freepages = 0;
  // cc->migratepages: head PFNs of the isolated folios, in scan order.
  std::vector<uint32_t> migratepages;
  uint64_t nr_migratepages = 0;
  // Seed 003's PFN walker (Compact.walker_ref_id) until it has taken its
  // reference; 0 for none.
  uint32_t walker_ref_id = 0;
  uint64_t total_migrate_scanned = 0;
  uint64_t total_free_scanned = 0;
};

// compact_scanners_met().
inline bool CompactScannersMet(const CompactControl& cc) {
  return (cc.free_pfn >> kPageblockOrder) <=
         (cc.migrate_pfn >> kPageblockOrder);
}

// skip_isolation_on_order(): a folio the migrate scanner passes over for
// its order.
inline bool SkipIsolationOnOrder(uint32_t order, int target_order) {
  if (target_order >= 0 && order >= static_cast<uint32_t>(target_order)) {
    return true;
  }
  return order >= kPageblockOrder;
}

// isolate_freepages(): the free scanner, from cc.free_pfn down, takes free
// blocks until it holds as many pages as the folios to migrate; nothing
// while cc.nr_freepages is not 0 (blocks of any order still isolated).
void IsolateFreepages(MmState& mm, CompactControl& cc);
// isolate_migratepages(): the next pageblock from cc.migrate_pfn below the
// free scanner; isolates up to COMPACT_CLUSTER_MAX pages of folios.
void IsolateMigratepages(MmState& mm, CompactControl& cc);
// compaction_alloc(): the first block of the smallest list of at least
// `order`, split buddy-style (the low part is used, the upper halves go to
// the heads of the smaller lists); one more free scan when none fits, then
// nothing (-1).
int64_t CompactionAlloc(MmState& mm, CompactControl& cc, uint32_t order);
// compaction_free(): puts back a destination block that was not used;
// `refcount` is its count with the allocation's reference (1 unless
// someone took a speculative reference meanwhile). folio_put_testzero():
// if the count does not drop to zero the block is lost to this run
// (EVENT_COMPACT_FREE_LOST) and becomes an unmapped folio the other
// holder's put frees. Under the seed-003 v3 profile the count is set to 0
// instead (refcount.h reports the violation) and the block goes back.
void CompactionFree(MmState& mm, CompactControl& cc, uint64_t pfn,
                    uint32_t order, int refcount);
// release_free_list(): every block still isolated goes back to the buddy
// allocator.
void ReleaseFreeList(MmState& mm, CompactControl& cc);
// compact_zone(): one zone, from its ends; returns the result and logs
// compact_begin / compact_end. *walker_ref_id: the walker still waiting
// (0 once it took its reference).
CompactResult CompactZone(MmState& mm, size_t zone, int order,
                          uint32_t* walker_ref_id);
// compact_nodes() (COMPACT_MODE_MEMORY: every zone, lowest first) or
// try_to_compact_pages() (COMPACT_MODE_ORDER: the zonelist, highest zone
// first, until one succeeds; counts compact_stall and compact_success or
// compact_fail).
void CompactRequest(MmState& mm, CompactMode mode, uint32_t order,
                    uint32_t walker_ref_id);

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_COMPACTION_H_
