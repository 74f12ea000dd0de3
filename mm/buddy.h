// Physical memory under the buddy allocator (mm/page_alloc.c): per-zone,
// per-order free lists of naturally aligned blocks of 2^order pages.
//
// The kernel hands out the block at the head of a free list, which depends
// on the order earlier frees happened in and on per-CPU lists. The model
// uses a fixed rule instead, so that replay is deterministic: from the
// highest zone with a block of a sufficient order, take the lowest-PFN block
// of the smallest such order; expand() it keeping the lowest part
// (docs/model.md).
//
// Simplified: every pageblock (pageblock_order 9: 512 pages) is MOVABLE, so
// pageblocks never stop a merge in __free_one_page() and the model keeps
// no state for them; there are no per-CPU lists and no watermarks.
#ifndef MMREPLAY_MM_BUDDY_H_
#define MMREPLAY_MM_BUDDY_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/check.h"
#include "base/page_geometry.h"
#include "mm/free_set.h"

namespace mmreplay::mm {

// MAX_PAGE_ORDER on x86-64.
inline constexpr uint32_t kMaxOrder = kMaxPageOrder;

struct ZoneSpan {
  uint64_t start_pfn = 0;
  uint64_t pages = 0;
};

class BuddyAllocator {
 public:
  // Zones in PFN order; each starts free. REQUIRES: spans are multiples of
  // 2^kMaxOrder pages and do not overlap.
  explicit BuddyAllocator(const std::vector<ZoneSpan>& zones);

  // __rmqueue_smallest() + expand(): a free block of 2^order pages, or
  // nullopt when no zone has one.
  std::optional<uint64_t> Alloc(uint32_t order);

  // __free_one_page(): returns the block, merging it with free buddies.
  // REQUIRES: [pfn, pfn + 2^order) was allocated and is aligned.
  void Free(uint64_t pfn, uint32_t order);

  // A cache hint for a Free(pfn, order) coming up: loads the free-list
  // bits its merges will test. Changes nothing.
  void PrefetchFree(uint64_t pfn, uint32_t order) const;

  // Frees every page of [pfn, pfn + n): the same as freeing them one by
  // one (merging makes the result independent of the order), done a
  // naturally aligned block at a time. REQUIRES: the pages are allocated.
  void FreeRange(uint64_t pfn, uint64_t n);

  // Whether a free block of exactly this order starts at pfn.
  bool IsFreeBlock(uint64_t pfn, uint32_t order) const;
  // The order of the free block holding pfn, or nullopt if pfn is in use.
  std::optional<uint32_t> FreeOrderAt(uint64_t pfn) const;

  uint64_t free_pages() const { return free_pages_; }
  uint64_t total_pages() const { return total_pages_; }
  // Free blocks of `order` across all zones.
  uint64_t free_blocks(uint32_t order) const;

  // Bytes of the free lists.
  size_t bytes() const;

  // Zones, in PFN order (compaction walks each).
  size_t zone_count() const { return zones_.size(); }
  ZoneSpan zone_span(size_t i) const { return zones_[i].span; }
  // Whether zone i has a free block of `order` or more (the free-area test
  // of __compact_finished).
  bool ZoneHasFree(size_t i, uint32_t order) const {
    return (zones_[i].orders >> order) != 0;
  }
  // Free pages of zone i.
  uint64_t ZoneFreePages(size_t i) const {
    uint64_t n = 0;
    for (uint32_t o = 0; o <= kMaxOrder; ++o) {
      n += zones_[i].free[o].size() << o;
    }
    return n;
  }
  // __isolate_free_page(): takes the free block [pfn, pfn + 2^order) off
  // its free list as it is (no split). REQUIRES: IsFreeBlock(pfn, order).
  void Isolate(uint64_t pfn, uint32_t order) {
    Zone* z = ZoneOf(pfn);
    DCHECK(z != nullptr && z->Has(pfn, order));
    z->Remove(pfn, order);
    free_pages_ -= uint64_t{1} << order;
  }

  // Every free block, lowest PFN first, for checks: (pfn, order).
  std::vector<std::pair<uint64_t, uint32_t>> FreeBlocks() const;

 private:
  // Free block starts of each order, kept as block numbers relative to the
  // zone's start (pfn = start + (n << order)).
  struct Zone {
    ZoneSpan span;
    std::vector<FreeSet> free;
    // Bit o set when free[o] is not empty.
    uint32_t orders = 0;
    bool Has(uint64_t pfn, uint32_t order) const {
      return free[order].contains((pfn - span.start_pfn) >> order);
    }
    void Add(uint64_t pfn, uint32_t order) {
      free[order].insert((pfn - span.start_pfn) >> order);
      orders |= 1u << order;
    }
    void Remove(uint64_t pfn, uint32_t order) {
      free[order].erase((pfn - span.start_pfn) >> order);
      if (free[order].empty()) orders &= ~(1u << order);
    }
    // The lowest free block of `order`, taken off its list.
    uint64_t TakeFirst(uint32_t order) {
      uint64_t pfn = span.start_pfn + (free[order].PopFirst() << order);
      if (free[order].empty()) orders &= ~(1u << order);
      return pfn;
    }
  };
  Zone* ZoneOf(uint64_t pfn);
  const Zone* ZoneOf(uint64_t pfn) const;

  std::vector<Zone> zones_;
  uint64_t free_pages_ = 0;
  uint64_t total_pages_ = 0;
};

// Inline: every fault allocates and every zap frees.
inline std::optional<uint64_t> BuddyAllocator::Alloc(uint32_t order) {
  // The zonelist: highest zone first (ZONE_NORMAL before ZONE_DMA32).
  for (auto z = zones_.rbegin(); z != zones_.rend(); ++z) {
    uint32_t fit = z->orders >> order;
    if (fit != 0) {
      uint32_t o = order + static_cast<uint32_t>(__builtin_ctz(fit));
      uint64_t pfn = z->TakeFirst(o);
      // expand(): keep the low half, return the high halves.
      for (uint32_t high = o; high > order; --high) {
        z->Add(pfn + (uint64_t{1} << (high - 1)), high - 1);
      }
      free_pages_ -= uint64_t{1} << order;
      return pfn;
    }
  }
  return std::nullopt;
}

inline BuddyAllocator::Zone* BuddyAllocator::ZoneOf(uint64_t pfn) {
  // From the highest zone, which holds most pages.
  for (auto z = zones_.rbegin(); z != zones_.rend(); ++z) {
    if (pfn >= z->span.start_pfn && pfn < z->span.start_pfn + z->span.pages) {
      return &*z;
    }
  }
  return nullptr;
}

inline void BuddyAllocator::PrefetchFree(uint64_t pfn, uint32_t order) const {
  const Zone* z = ZoneOf(pfn);
  if (z == nullptr) return;
  // The first few orders' bits: the higher orders' are fewer and more
  // likely cached.
  for (uint32_t o = order; o <= std::min(order + 3, kMaxOrder); ++o) {
    z->free[o].Prefetch(((pfn - z->span.start_pfn) >> o) ^ 1);
  }
}

inline void BuddyAllocator::Free(uint64_t pfn, uint32_t order) {
  Zone* z = ZoneOf(pfn);
  CHECK(z != nullptr);
  free_pages_ += uint64_t{1} << order;
  // __free_one_page(): merge while the buddy is free at the same order.
  while (order < kMaxOrder) {
    uint64_t buddy = pfn ^ (uint64_t{1} << order);
    if (buddy < z->span.start_pfn || !z->Has(buddy, order)) break;
    z->Remove(buddy, order);
    pfn &= buddy;
    ++order;
  }
  z->Add(pfn, order);
}

inline void BuddyAllocator::FreeRange(uint64_t pfn, uint64_t n) {
  for (uint64_t end = pfn + n; pfn < end;) {
    // The largest naturally aligned block at pfn that fits.
    uint32_t order = std::min<uint32_t>(
        kMaxOrder, 63 - static_cast<uint32_t>(__builtin_clzll(end - pfn)));
    if (pfn != 0) {
      order = std::min<uint32_t>(order,
                                 static_cast<uint32_t>(__builtin_ctzll(pfn)));
    }
    Free(pfn, order);
    pfn += uint64_t{1} << order;
  }
}

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_BUDDY_H_
