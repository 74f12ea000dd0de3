#include "mm/page_cache.h"

#include <algorithm>

#include "base/check.h"

namespace mmreplay::mm {
namespace {

constexpr int kChunkShift = 6;  // XA_CHUNK_SHIFT

// The shift of the node an order-k entry lives in.
int EntryShift(uint32_t order) { return kChunkShift * (order / kChunkShift); }

}  // namespace

std::optional<PageCache::Entry> PageCache::Find(uint64_t index) const {
  if (index >= head_.size() || head_[index] == 0) return std::nullopt;
  uint32_t order = order_[index];
  return Entry{index & ~((uint64_t{1} << order) - 1), head_[index] - 1, order};
}

void PageCache::Replace(uint64_t index, uint32_t head) {
  std::optional<Entry> e = Find(index);
  CHECK(e.has_value());
  for (uint64_t i = e->index; i < e->index + (uint64_t{1} << e->order); ++i) {
    head_[i] = head + 1;
  }
}

bool PageCache::Empty(uint64_t first, uint64_t last) const {
  for (uint64_t i = first; i <= last && i < head_.size(); ++i) {
    if (head_[i] != 0) return false;
  }
  return true;
}

std::vector<PageCache::Entry> PageCache::InRange(uint64_t first,
                                                 uint64_t last) const {
  std::vector<Entry> out;
  for (uint64_t i = first; i <= last && i < head_.size();) {
    std::optional<Entry> e = Find(i);
    if (!e.has_value()) {
      ++i;
      continue;
    }
    out.push_back(*e);
    i = e->index + (uint64_t{1} << e->order);
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
  std::vector<Entry> all = InRange(0, UINT64_MAX);
  for (const Entry& e : all) Account(e, -1, nodes);
  root_shift_ = shift;
  for (const Entry& e : all) Account(e, +1, nodes);
}

void PageCache::Insert(const Entry& e, std::vector<NodeChange>* nodes) {
  uint64_t last = e.index + (uint64_t{1} << e.order) - 1;
  int need = EntryShift(e.order);
  if (need > root_shift_) {
    // The root must sit at least at the entry's own level.
    std::vector<Entry> all = InRange(0, UINT64_MAX);
    for (const Entry& x : all) Account(x, -1, nodes);
    root_shift_ = need;
    for (const Entry& x : all) Account(x, +1, nodes);
  }
  GrowRoot(last, nodes);
  if (head_.size() <= last) {
    head_.resize(last + 1, 0);
    order_.resize(last + 1, 0);
  }
  for (uint64_t i = e.index; i <= last; ++i) {
    DCHECK(head_[i] == 0);
    head_[i] = e.head + 1;
    order_[i] = static_cast<uint8_t>(e.order);
  }
  ++entries_;
  Account(e, +1, nodes);
}

void PageCache::Erase(uint64_t index, std::vector<NodeChange>* nodes) {
  std::optional<Entry> found = Find(index);
  CHECK(found.has_value() && found->index == index);
  Entry e = *found;
  std::fill(head_.begin() + e.index,
            head_.begin() + e.index + (uint64_t{1} << e.order), 0);
  --entries_;
  Account(e, -1, nodes);
}

}  // namespace mmreplay::mm
