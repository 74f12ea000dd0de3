#include "mm/folio.h"

#include <algorithm>

namespace mmreplay::mm {

FolioTable::FolioTable(uint64_t total_pages)
    : page_slot_(total_pages, 0),
      page_mapcount_(total_pages, 0),
      nonzero_((total_pages + 63) / 64, 0),
      free_slots_(total_pages) {}

Folio& FolioTable::Create(uint32_t head, uint32_t order) {
  uint32_t slot;
  if (free_slots_.empty()) {
    slot = slots_++;
    if ((slot >> kChunkShift) == chunks_.size()) {
      chunks_.push_back(std::make_unique<Folio[]>(1u << kChunkShift));
    }
  } else {
    // The lowest free slot: records made together (the pieces of a split)
    // sit together, and walks over them (a munmap) stay in cache.
    slot = static_cast<uint32_t>(*free_slots_.first());
    free_slots_.erase(slot);
  }
  uint32_t n = uint32_t{1} << order;
  std::fill(page_slot_.begin() + head, page_slot_.begin() + head + n, slot + 1);
  Folio& f = Slot(slot);
  f = Folio();
  f.head = head;
  f.order = static_cast<uint8_t>(order);
  ++live_;
  return f;
}

void FolioTable::Destroy(uint32_t head) {
  uint32_t slot = page_slot_[head];
  CHECK(slot != 0 && Slot(slot - 1).head == head);
  uint32_t n = uint32_t{1} << Slot(slot - 1).order;
  std::fill(page_slot_.begin() + head, page_slot_.begin() + head + n, 0);
  Slot(slot - 1).head = kNoFolio;
  free_slots_.insert(slot - 1);
  --live_;
}

void FolioTable::set_nonzero_range(uint32_t pfn, uint32_t n, bool v) {
  uint32_t end = pfn + n;
  while (pfn < end) {
    uint32_t bit = pfn % 64;
    uint32_t take = std::min(64 - bit, end - pfn);
    uint64_t mask = (take == 64 ? ~uint64_t{0} : (uint64_t{1} << take) - 1)
                    << bit;
    if (v) {
      nonzero_[pfn / 64] |= mask;
    } else {
      nonzero_[pfn / 64] &= ~mask;
    }
    pfn += take;
  }
}

std::vector<uint32_t> FolioTable::SortedHeads() const {
  std::vector<uint32_t> heads;
  heads.reserve(live_);
  for (uint32_t i = 0; i < slots_; ++i) {
    if (Slot(i).head != kNoFolio) heads.push_back(Slot(i).head);
  }
  std::sort(heads.begin(), heads.end());
  return heads;
}

size_t FolioTable::record_bytes() const {
  return chunks_.size() * (sizeof(Folio) << kChunkShift) + free_slots_.bytes();
}

size_t FolioTable::page_array_bytes() const {
  return page_slot_.size() * sizeof(uint32_t) +
         page_mapcount_.size() * sizeof(uint16_t) +
         nonzero_.size() * sizeof(uint64_t);
}

}  // namespace mmreplay::mm
