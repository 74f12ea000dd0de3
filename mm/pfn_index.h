// PfnIndex: which folio holds a page, without an entry per page (the part
// of struct page's compound_head the model needs). Folios are naturally
// aligned blocks of 2^order pages, order <= 9, so the index is a radix tree
// over PFNs with a fan-out of 8: the root has one entry per 512-page block
// and each node below splits its parent entry's span in 8 (64, 8, then 1
// page). A folio is stored at the level whose entries are no larger than
// itself, in every entry it spans (the xarray's multi-index entries): an
// order-9 folio is one root entry, an order-4 folio two entries of a node
// over 64 pages, and 512 order-0 folios fill 73 nodes.
//
// Memory: 4 bytes per 512 pages, plus 32 bytes per node.
#ifndef MMREPLAY_MM_PFN_INDEX_H_
#define MMREPLAY_MM_PFN_INDEX_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mmreplay::mm {

class PfnIndex {
 public:
  // What Get() returns for a page no folio holds.
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr uint32_t kMaxOrder = 9;

  // Pages 0 .. total_pages - 1.
  explicit PfnIndex(uint64_t total_pages);

  // The value stored for the folio holding pfn, or kNone.
  uint32_t Get(uint32_t pfn) const {
    uint32_t e = root_[pfn >> kMaxOrder];
    for (int shift = kMaxOrder - kFanShift; IsNode(e); shift -= kFanShift) {
      e = nodes_[e >> 1][(pfn >> shift) & (kFan - 1)];
    }
    return e == 0 ? kNone : e >> 1;
  }

  // Stores `value` for the folio [head, head + 2^order).
  // REQUIRES: head aligned, order <= 9, value < 2^31, no page of the range
  // stored.
  void Set(uint32_t head, uint32_t order, uint32_t value);
  // Replaces the value of the folio stored at [head, head + 2^order).
  void Replace(uint32_t head, uint32_t order, uint32_t value);
  // Removes the folio stored at [head, head + 2^order).
  void Clear(uint32_t head, uint32_t order);

  // Bytes of the root and the nodes.
  size_t bytes() const;

 private:
  static constexpr int kFanShift = 3;
  static constexpr uint32_t kFan = 1u << kFanShift;
  using Node = std::array<uint32_t, kFan>;
  // An entry: 0 empty, (value << 1) | 1 a folio, (node << 1) a node
  // (node >= 1; node 0 is never used).
  static bool IsNode(uint32_t e) { return e != 0 && (e & 1) == 0; }

  // Entry `slot` of node `node`; node 0 stands for the root.
  uint32_t& At(uint32_t node, uint32_t slot) {
    return node == 0 ? root_[slot] : nodes_[node][slot];
  }
  // Where the folio [head, head + 2^order) is stored: its first entry,
  // the number of entries, and the path of (node, slot) from the root.
  struct Place {
    uint32_t node, slot, count;
    int depth;
    uint32_t path_node[3], path_slot[3];
  };
  Place Find(uint32_t head, uint32_t order, bool create);
  uint32_t NewNode();

  std::vector<uint32_t> root_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> free_nodes_;
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_PFN_INDEX_H_
