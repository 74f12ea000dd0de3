// A file's page cache (lib/xarray.c, mm/filemap.c): its folios by index, as
// multi-index entries, and the xarray nodes those entries need.
//
// Node accounting follows the xarray's layout rule: an order-k entry lives
// in a node at shift 6*floor(k/6) (order 0-5 in the leaf nodes that hold 64
// indices, orders 6-11 in their parents), and every node has a parent up to
// the root, whose shift is set by the largest index. So a uniform split of
// an order-9 entry to order 0 needs 8 new nodes and the non-uniform split
// needs 1 (seed 000, KERNEL.md 1.5). Simplified: the root never shrinks back
// (xas_shrink), and a lone order-0 entry at index 0 gets a node where the
// kernel keeps it in xa_head.
#ifndef MMREPLAY_MM_PAGE_CACHE_H_
#define MMREPLAY_MM_PAGE_CACHE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"

namespace mmreplay::mm {

class PageCache {
 public:
  struct Entry {
    uint64_t index;  // first index of the folio
    uint32_t head;   // its head PFN
    uint32_t order;
  };
  // A node allocated or freed: its shift and the first index it covers.
  struct NodeChange {
    bool alloc;
    int shift;
    uint64_t index;
  };

  // The folio covering `index`, if any.
  std::optional<Entry> Find(uint64_t index) const;
  // Whether [first, last] holds no entry.
  bool Empty(uint64_t first, uint64_t last) const;
  // Entries meeting [first, last], lowest first.
  std::vector<Entry> InRange(uint64_t first, uint64_t last) const;
  // The first index >= `index` that a folio covers, if any (in time that
  // grows with the entries and chunks passed, not with the distance).
  std::optional<uint64_t> NextUsed(uint64_t index) const;

  // Stores or erases an entry; node changes are appended to *nodes.
  void Insert(const Entry& e, std::vector<NodeChange>* nodes);
  void Erase(uint64_t index, std::vector<NodeChange>* nodes);
  // __folio_migrate_mapping()'s xas_store(): the entry at `index` now
  // names the folio at `head` (same order, no node changes).
  void Replace(uint64_t index, uint32_t head);

  bool empty() const { return entries_ == 0; }
  size_t size() const { return entries_; }
  size_t nodes() const { return node_refs_.size(); }
  // Bytes of the per-index chunks.
  size_t bytes() const { return chunks_.size() * sizeof(Chunk); }

 private:
  // 64 indices' slots, as an xarray leaf node holds them: 1 + the head PFN
  // of the folio holding the index (0: none), and the folio's order.
  static constexpr int kChunkShift = 6;
  static constexpr uint64_t kChunk = uint64_t{1} << kChunkShift;
  struct Chunk {
    uint32_t head[kChunk] = {};
    uint8_t order[kChunk] = {};
  };
  // The chunk holding `index`, or null; `make` creates it.
  Chunk* ChunkOf(uint64_t index, bool make);
  const Chunk* ChunkOf(uint64_t index) const;
  // Adds (+1) or drops (-1) the node references of one entry.
  void Account(const Entry& e, int delta, std::vector<NodeChange>* nodes);
  // Raises the root so it covers `index`, re-accounting every entry.
  void GrowRoot(uint64_t index, std::vector<NodeChange>* nodes);

  // The slots, in chunks made when an index in them is first used and kept
  // for the file's life (a split empties and refills them at once): memory
  // follows the folios the file has cached, never the offsets they sit at
  // (the xarray is as sparse). Page-cache folios are
  // naturally aligned in index space, so an entry starts at
  // index & ~(2^order - 1). The last chunk looked up is remembered: ops
  // work on neighbouring indices.
  // By chunk number: looked up by hash (every Find), walked in order by
  // the set beside it (ranges).
  absl::flat_hash_map<uint64_t, std::unique_ptr<Chunk>> chunks_;
  absl::btree_set<uint64_t> chunk_order_;
  mutable uint64_t last_chunk_ = UINT64_MAX;
  mutable Chunk* last_ = nullptr;
  size_t entries_ = 0;
  // Nodes in use, keyed (shift, first index), with their used slots. A
  // hash map: it is only looked up, never walked.
  absl::flat_hash_map<std::pair<int, uint64_t>, int> node_refs_;
  int root_shift_ = 0;
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_PAGE_CACHE_H_
