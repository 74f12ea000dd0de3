#include "mm/page_cache.h"

#include "base/check.h"

namespace mmreplay::mm {
namespace {

constexpr int kChunkShift = 6;  // XA_CHUNK_SHIFT

// The shift of the node an order-k entry lives in.
int EntryShift(uint32_t order) { return kChunkShift * (order / kChunkShift); }

}  // namespace

std::optional<PageCache::Entry> PageCache::Find(uint64_t index) const {
  auto it = entries_.upper_bound(index);
  if (it == entries_.begin()) return std::nullopt;
  --it;
  const Entry& e = it->second;
  if (index < e.index + (uint64_t{1} << e.order)) return e;
  return std::nullopt;
}

bool PageCache::Empty(uint64_t first, uint64_t last) const {
  if (Find(first).has_value()) return false;
  auto it = entries_.lower_bound(first);
  return it == entries_.end() || it->first > last;
}

std::vector<PageCache::Entry> PageCache::InRange(uint64_t first,
                                                 uint64_t last) const {
  std::vector<Entry> out;
  if (std::optional<Entry> e = Find(first); e.has_value()) out.push_back(*e);
  for (auto it = entries_.upper_bound(first);
       it != entries_.end() && it->first <= last; ++it) {
    out.push_back(it->second);
  }
  return out;
}

// A node's count is its used slots: entries stored in it and child nodes.
// A node appears with its first slot and goes with its last, telling its
// parent in turn.
void PageCache::Account(const Entry& e, int delta,
                        std::vector<NodeChange>* nodes) {
  for (int shift = EntryShift(e.order); shift <= root_shift_;
       shift += kChunkShift) {
    uint64_t first = e.index >> (shift + kChunkShift) << (shift + kChunkShift);
    auto key = std::make_pair(shift, first);
    int& refs = node_refs_[key];
    refs += delta;
    if (delta > 0 && refs == 1) {
      nodes->push_back({true, shift, first});
      continue;  // a new node: one more slot used in its parent
    }
    if (refs == 0) {
      node_refs_.erase(key);
      nodes->push_back({false, shift, first});
      continue;  // a node gone: one slot less in its parent
    }
    return;
  }
}

void PageCache::GrowRoot(uint64_t index, std::vector<NodeChange>* nodes) {
  int shift = root_shift_;
  while (index >> (shift + kChunkShift) != 0) shift += kChunkShift;
  if (shift == root_shift_) return;
  for (const auto& [i, e] : entries_) Account(e, -1, nodes);
  root_shift_ = shift;
  for (const auto& [i, e] : entries_) Account(e, +1, nodes);
}

void PageCache::Insert(const Entry& e, std::vector<NodeChange>* nodes) {
  uint64_t last = e.index + (uint64_t{1} << e.order) - 1;
  int need = EntryShift(e.order);
  if (need > root_shift_) {
    // The root must sit at least at the entry's own level.
    for (const auto& [i, x] : entries_) Account(x, -1, nodes);
    root_shift_ = need;
    for (const auto& [i, x] : entries_) Account(x, +1, nodes);
  }
  GrowRoot(last, nodes);
  entries_[e.index] = e;
  Account(e, +1, nodes);
}

void PageCache::Erase(uint64_t index, std::vector<NodeChange>* nodes) {
  auto it = entries_.find(index);
  CHECK(it != entries_.end());
  Entry e = it->second;
  entries_.erase(it);
  Account(e, -1, nodes);
}

}  // namespace mmreplay::mm
