#include "mm/page_cache.h"

#include <algorithm>
#include <utility>

#include "base/check.h"

namespace mmreplay::mm {
namespace {

constexpr int kXaChunkShift = 6;  // XA_CHUNK_SHIFT

// The shift of the node an order-k entry lives in.
int EntryShift(uint32_t order) {
  return kXaChunkShift * (order / kXaChunkShift);
}

}  // namespace

const PageCache::Chunk* PageCache::ChunkOf(uint64_t index) const {
  const uint64_t n = index >> kChunkShift;
  if (n == last_chunk_) return last_;
  auto it = chunks_.find(n);
  if (it == chunks_.end()) return nullptr;
  last_chunk_ = n;
  last_ = it->second.get();
  return last_;
}

PageCache::Chunk* PageCache::ChunkOf(uint64_t index, bool make) {
  if (const Chunk* c = std::as_const(*this).ChunkOf(index); c != nullptr) {
    return last_;
  }
  if (!make) return nullptr;
  const uint64_t n = index >> kChunkShift;
  last_chunk_ = n;
  last_ = chunks_.emplace(n, std::make_unique<Chunk>()).first->second.get();
  chunk_order_.insert(n);
  return last_;
}

std::optional<uint64_t> PageCache::NextUsed(uint64_t index) const {
  // The chunk of `index` itself first (a range starts where a folio is,
  // mostly), then the chunks after it in order.

  if (const Chunk* c = ChunkOf(index); c != nullptr) {
    for (uint64_t i = index & (kChunk - 1); i < kChunk; ++i) {
      if (c->head[i] != 0) return (index & ~(kChunk - 1)) + i;
    }
  }
  const uint64_t from = (index | (kChunk - 1)) + 1;
  if (from == 0) return std::nullopt;
  for (auto it = chunk_order_.lower_bound(from >> kChunkShift);
       it != chunk_order_.end(); ++it) {
    const Chunk& c = *chunks_.find(*it)->second;
    for (uint64_t i = 0; i < kChunk; ++i) {
      if (c.head[i] != 0) return (*it << kChunkShift) + i;
    }
  }
  return std::nullopt;
}

std::optional<PageCache::Entry> PageCache::Find(uint64_t index) const {
  const Chunk* c = ChunkOf(index);
  if (c == nullptr) return std::nullopt;
  const uint64_t i = index & (kChunk - 1);
  if (c->head[i] == 0) return std::nullopt;
  const uint32_t order = c->order[i];
  return Entry{index & ~((uint64_t{1} << order) - 1), c->head[i] - 1, order};
}

void PageCache::Replace(uint64_t index, uint32_t head) {
  std::optional<Entry> e = Find(index);
  CHECK(e.has_value());
  for (uint64_t i = e->index; i < e->index + (uint64_t{1} << e->order); ++i) {
    ChunkOf(i, /*make=*/false)->head[i & (kChunk - 1)] = head + 1;
  }
}

bool PageCache::Empty(uint64_t first, uint64_t last) const {
  std::optional<uint64_t> next = NextUsed(first);
  return !next.has_value() || *next > last;
}

std::vector<PageCache::Entry> PageCache::InRange(uint64_t first,
                                                 uint64_t last) const {
  std::vector<Entry> out;
  for (std::optional<uint64_t> i = NextUsed(first);
       i.has_value() && *i <= last;) {
    const Entry e = *Find(*i);
    out.push_back(e);
    const uint64_t end = e.index + (uint64_t{1} << e.order);
    if (end == 0) break;  // the entry reaches the top of the index space
    i = NextUsed(end);
  }
  return out;
}

// A node's count is its used slots: entries stored in it and child nodes.
// A node appears with its first slot and goes with its last, telling its
// parent in turn.
void PageCache::Account(const Entry& e, int delta,
                        std::vector<NodeChange>* nodes) {
  for (int shift = EntryShift(e.order); shift <= root_shift_;
       shift += kXaChunkShift) {
    uint64_t first = e.index >> (shift + kXaChunkShift)
                                    << (shift + kXaChunkShift);
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
  while (index >> (shift + kXaChunkShift) != 0) shift += kXaChunkShift;
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
  for (uint64_t i = e.index; i <= last; ++i) {
    Chunk* c = ChunkOf(i, /*make=*/true);
    DCHECK(c->head[i & (kChunk - 1)] == 0);
    c->head[i & (kChunk - 1)] = e.head + 1;
    c->order[i & (kChunk - 1)] = static_cast<uint8_t>(e.order);
  }
  ++entries_;
  Account(e, +1, nodes);
}

void PageCache::Erase(uint64_t index, std::vector<NodeChange>* nodes) {
  std::optional<Entry> found = Find(index);
  CHECK(found.has_value() && found->index == index);
  const Entry e = *found;
  const uint64_t last = e.index + (uint64_t{1} << e.order) - 1;
  for (uint64_t i = e.index; i <= last; ++i) {
    Chunk* c = ChunkOf(i, /*make=*/false);
    c->head[i & (kChunk - 1)] = 0;
  }
  --entries_;
  Account(e, -1, nodes);
}

}  // namespace mmreplay::mm
