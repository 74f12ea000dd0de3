#include "mm/folio.h"

#include <algorithm>

namespace mmreplay::mm {

FolioTable::FolioTable(uint64_t total_pages)
    : page_order_(total_pages, kNoOrder),
      page_mapcount_(total_pages, 0),
      nonzero_((total_pages + 63) / 64, 0) {}

Folio& FolioTable::Create(uint32_t head, uint32_t order) {
  SetPageOrder(head, order);
  Folio& f = folios_[head];
  f = Folio();
  f.order = static_cast<uint8_t>(order);
  return f;
}

void FolioTable::Destroy(uint32_t head) {
  auto it = folios_.find(head);
  CHECK(it != folios_.end());
  uint32_t n = uint32_t{1} << it->second.order;
  std::fill(page_order_.begin() + head, page_order_.begin() + head + n,
            kNoOrder);
  folios_.erase(it);
}

void FolioTable::SetPageOrder(uint32_t head, uint32_t order) {
  uint32_t n = uint32_t{1} << order;
  std::fill(page_order_.begin() + head, page_order_.begin() + head + n,
            static_cast<uint8_t>(order));
}

std::vector<uint32_t> FolioTable::SortedHeads() const {
  std::vector<uint32_t> heads;
  heads.reserve(folios_.size());
  for (const auto& [head, f] : folios_) heads.push_back(head);
  std::sort(heads.begin(), heads.end());
  return heads;
}

size_t FolioTable::record_bytes() const {
  // absl::flat_hash_map: one slot and one control byte per bucket.
  return folios_.bucket_count() *
         (sizeof(std::pair<const uint32_t, Folio>) + 1);
}

size_t FolioTable::page_array_bytes() const {
  return page_order_.size() * sizeof(uint8_t) +
         page_mapcount_.size() * sizeof(uint16_t) +
         nonzero_.size() * sizeof(uint64_t);
}

}  // namespace mmreplay::mm
