#include "mm/buddy.h"

#include <algorithm>

#include "base/check.h"

namespace mmreplay::mm {

BuddyAllocator::BuddyAllocator(const std::vector<ZoneSpan>& spans) {
  for (const ZoneSpan& s : spans) {
    Zone z;
    z.span = s;
    for (uint64_t pfn = s.start_pfn; pfn < s.start_pfn + s.pages;
         pfn += uint64_t{1} << kMaxOrder) {
      z.free[kMaxOrder].insert(pfn);
    }
    free_pages_ += s.pages;
    total_pages_ += s.pages;
    zones_.push_back(std::move(z));
  }
}

BuddyAllocator::Zone* BuddyAllocator::ZoneOf(uint64_t pfn) {
  for (Zone& z : zones_) {
    if (pfn >= z.span.start_pfn && pfn < z.span.start_pfn + z.span.pages) {
      return &z;
    }
  }
  return nullptr;
}

const BuddyAllocator::Zone* BuddyAllocator::ZoneOf(uint64_t pfn) const {
  return const_cast<BuddyAllocator*>(this)->ZoneOf(pfn);
}

std::optional<uint64_t> BuddyAllocator::Alloc(uint32_t order) {
  // The zonelist: highest zone first (ZONE_NORMAL before ZONE_DMA32).
  for (auto z = zones_.rbegin(); z != zones_.rend(); ++z) {
    for (uint32_t o = order; o <= kMaxOrder; ++o) {
      if (z->free[o].empty()) continue;
      uint64_t pfn = *z->free[o].begin();
      z->free[o].erase(z->free[o].begin());
      // expand(): keep the low half, return the high halves.
      for (uint32_t high = o; high > order; --high) {
        z->free[high - 1].insert(pfn + (uint64_t{1} << (high - 1)));
      }
      free_pages_ -= uint64_t{1} << order;
      return pfn;
    }
  }
  return std::nullopt;
}

void BuddyAllocator::Free(uint64_t pfn, uint32_t order) {
  Zone* z = ZoneOf(pfn);
  CHECK(z != nullptr);
  free_pages_ += uint64_t{1} << order;
  // __free_one_page(): merge while the buddy is free at the same order.
  while (order < kMaxOrder) {
    uint64_t buddy = pfn ^ (uint64_t{1} << order);
    auto it = z->free[order].find(buddy);
    if (it == z->free[order].end()) break;
    z->free[order].erase(it);
    pfn &= buddy;
    ++order;
  }
  z->free[order].insert(pfn);
}

bool BuddyAllocator::IsFreeBlock(uint64_t pfn, uint32_t order) const {
  const Zone* z = ZoneOf(pfn);
  return z != nullptr && z->free[order].contains(pfn);
}

std::optional<uint32_t> BuddyAllocator::FreeOrderAt(uint64_t pfn) const {
  const Zone* z = ZoneOf(pfn);
  if (z == nullptr) return std::nullopt;
  for (uint32_t o = 0; o <= kMaxOrder; ++o) {
    uint64_t head = pfn & ~((uint64_t{1} << o) - 1);
    if (z->free[o].contains(head)) return o;
  }
  return std::nullopt;
}

uint64_t BuddyAllocator::free_blocks(uint32_t order) const {
  uint64_t n = 0;
  for (const Zone& z : zones_) n += z.free[order].size();
  return n;
}

std::vector<std::pair<uint64_t, uint32_t>> BuddyAllocator::FreeBlocks() const {
  std::vector<std::pair<uint64_t, uint32_t>> out;
  for (const Zone& z : zones_) {
    for (uint32_t o = 0; o <= kMaxOrder; ++o) {
      for (uint64_t pfn : z.free[o]) out.push_back({pfn, o});
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace mmreplay::mm
