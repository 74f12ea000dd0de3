#include "mm/buddy.h"

#include <algorithm>

#include "base/check.h"

namespace mmreplay::mm {

BuddyAllocator::BuddyAllocator(const std::vector<ZoneSpan>& spans) {
  for (const ZoneSpan& s : spans) {
    Zone z;
    z.span = s;
    for (uint32_t o = 0; o <= kMaxOrder; ++o) {
      z.free.emplace_back(s.pages >> o);
    }
    for (uint64_t pfn = s.start_pfn; pfn < s.start_pfn + s.pages;
         pfn += uint64_t{1} << kMaxOrder) {
      z.Add(pfn, kMaxOrder);
    }
    free_pages_ += s.pages;
    total_pages_ += s.pages;
    zones_.push_back(std::move(z));
  }
}

const BuddyAllocator::Zone* BuddyAllocator::ZoneOf(uint64_t pfn) const {
  return const_cast<BuddyAllocator*>(this)->ZoneOf(pfn);
}

bool BuddyAllocator::IsFreeBlock(uint64_t pfn, uint32_t order) const {
  const Zone* z = ZoneOf(pfn);
  return z != nullptr && (pfn & ((uint64_t{1} << order) - 1)) == 0 &&
         z->Has(pfn, order);
}

std::optional<uint32_t> BuddyAllocator::FreeOrderAt(uint64_t pfn) const {
  const Zone* z = ZoneOf(pfn);
  if (z == nullptr) return std::nullopt;
  for (uint32_t o = 0; o <= kMaxOrder; ++o) {
    uint64_t head = pfn & ~((uint64_t{1} << o) - 1);
    if (head >= z->span.start_pfn && z->Has(head, o)) return o;
  }
  return std::nullopt;
}

uint64_t BuddyAllocator::free_blocks(uint32_t order) const {
  uint64_t n = 0;
  for (const Zone& z : zones_) n += z.free[order].size();
  return n;
}

size_t BuddyAllocator::bytes() const {
  size_t n = 0;
  for (const Zone& z : zones_) {
    for (const FreeSet& s : z.free) n += s.bytes();
  }
  return n;
}

std::vector<std::pair<uint64_t, uint32_t>> BuddyAllocator::FreeBlocks() const {
  std::vector<std::pair<uint64_t, uint32_t>> out;
  for (const Zone& z : zones_) {
    for (uint32_t o = 0; o <= kMaxOrder; ++o) {
      for (uint64_t n : z.free[o].members()) {
        out.push_back({z.span.start_pfn + (n << o), o});
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace mmreplay::mm
