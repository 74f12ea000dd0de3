// PfnIndex: which folio holds a page, without an entry per page (the part
// of struct page's compound_head the model needs). Folios are naturally
// aligned blocks of 2^order pages, order <= 9, so the index is a radix tree
// over PFNs with a fan-out of 8: the root has one entry per 512-page block
// and each node below splits its parent entry's span in 8 (64, 8, then 1
// page). A folio is stored at the level whose entries are no larger than
// itself, in every entry it spans (the xarray's multi-index entries): an
// order-9 folio is one root entry, an order-4 folio two entries of a node
// over 64 pages, and 512 order-0 folios fill 73 nodes. Assign() stores one
// value for any range in as few entries as it allows: a run of 512 order-0
// folios that share a record (FolioTable's runs) is one root entry.
//
// Memory: 4 bytes per 512 pages, plus 32 bytes per node.
#ifndef MMREPLAY_MM_PFN_INDEX_H_
#define MMREPLAY_MM_PFN_INDEX_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/check.h"
#include "base/page_geometry.h"

namespace mmreplay::mm {

class PfnIndex {
  static constexpr int kFanShift = 3;
  static constexpr uint32_t kFan = 1u << kFanShift;
  // Aligned so that no node straddles two cache lines.
  struct alignas(32) Node : std::array<uint32_t, kFan> {};

 public:
  // What Get() returns for a page no folio holds.
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr uint32_t kMaxOrder = kPmdOrder;

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
  // Undoes Set(head, order, value): removes the folio and frees the nodes
  // it leaves empty; returns its value. REQUIRES: the folio was stored by
  // Set() (a range stored by Assign() is cleared with Assign or ClearRange).
  uint32_t Clear(uint32_t head, uint32_t order);
  // Set(first + i, 0, values[i]) for i < n: a run of order-0 folios.
  void SetRun0(uint32_t first, uint32_t n, const uint32_t* values);
  // Makes every page of [first, end) map to `value` (kNone: to nothing),
  // whatever they mapped to before, in as few entries as the range allows
  // (a run of records standing for many folios, FolioTable's runs).
  void Assign(uint32_t first, uint32_t end, uint32_t value);

  // A cache hint for a Get(pfn) coming up: loads the top node on its path
  // and asks for the one below it. Changes nothing.
  void Prefetch(uint32_t pfn) const {
    const uint32_t e = root_[pfn >> kMaxOrder];
    if (!IsNode(e)) return;
    const uint32_t next =
        nodes_[e >> 1][(pfn >> (kMaxOrder - kFanShift)) & (kFan - 1)];
    if (IsNode(next)) __builtin_prefetch(&nodes_[next >> 1]);
  }

  // Get() for a walk over nearby PFNs: remembers the last node it reached
  // (and the pages it covers), and starts there when the next page is under
  // it. Valid while the index does not change (Forget() after a change).
  class Cursor {
   public:
    explicit Cursor(const PfnIndex& index) : index_(index) {}
    uint32_t Get(uint32_t pfn) {
      uint32_t e;
      int shift;
      if (node_ != nullptr && (pfn >> (shift_ + kFanShift)) == base_) {
        e = (*node_)[(pfn >> shift_) & (kFan - 1)];
        shift = static_cast<int>(shift_) - kFanShift;
      } else {
        e = index_.root_[pfn >> kMaxOrder];
        shift = kMaxOrder - kFanShift;
      }
      for (; IsNode(e); shift -= kFanShift) {
        node_ = &index_.nodes_[e >> 1];
        shift_ = static_cast<uint32_t>(shift);
        base_ = pfn >> (shift + kFanShift);
        e = (*node_)[(pfn >> shift) & (kFan - 1)];
      }
      entry_shift_ = static_cast<uint32_t>(shift + kFanShift);
      return e == 0 ? kNone : e >> 1;
    }
    void Forget() { node_ = nullptr; }
    // The aligned block of pages the entry the last Get() read stands for
    // (its folio or run may be larger): the pages after pfn in it give the
    // same value.
    uint32_t entry_pages() const { return 1u << entry_shift_; }

   private:
    const PfnIndex& index_;
    // The node, the span of its entries (2^shift_ pages) and which pages it
    // covers (pfn >> (shift_ + 3)).
    const Node* node_ = nullptr;
    uint32_t shift_ = 0;
    uint32_t base_ = 0;
    uint32_t entry_shift_ = 0;
  };

  // Removes every folio stored in [first, end), calling fn(value) once for
  // each, lowest first. REQUIRES: no folio crosses either edge.
  template <typename Fn>
  void ClearRange(uint32_t first, uint32_t end, Fn fn) {
    uint32_t last = kNone;
    auto once = [&](uint32_t v) {
      if (v != last) fn(v);
      last = v;
    };
    for (uint32_t b = first >> kMaxOrder; (b << kMaxOrder) < end; ++b) {
      uint32_t e = root_[b];
      if (IsNode(e)) {
        if (ClearIn(e >> 1, b << kMaxOrder, kMaxOrder - kFanShift, first, end,
                    once)) {
          FreeNode(e >> 1);
          root_[b] = 0;
        }
      } else if (e != 0) {
        DCHECK((b << kMaxOrder) >= first && ((b + 1) << kMaxOrder) <= end);
        once(e >> 1);
        root_[b] = 0;
      }
    }
  }
  void ClearRange(uint32_t first, uint32_t end) {
    ClearRange(first, end, [](uint32_t) {});
  }

  // Bytes of the root and the nodes.
  size_t bytes() const;

 private:
  // An entry: 0 empty, (value << 1) | 1 a folio, (node << 1) a node
  // (node >= 1; node 0 is never used).
  static bool IsNode(uint32_t e) { return e != 0 && (e & 1) == 0; }

  uint32_t NewNode();
  // Assign() within the entry `e` spanning [base, base + 2^shift); returns
  // the entry to put in its place.
  uint32_t AssignIn(uint32_t e, uint32_t base, uint32_t shift, uint32_t lo,
                    uint32_t hi, uint32_t leaf);
  // Frees the nodes under entry e.
  void FreeSubtree(uint32_t e);
  void FreeNode(uint32_t node) {
    if (node == last_node_) last_node_ = 0;
    free_nodes_.push_back(node);
  }
  // Clears the entries of node `node` (whose entries span 2^shift pages,
  // the node starting at page `base`) that lie in [first, end), calling
  // fn(value) for each folio entry; returns whether the node is empty now.
  // Frees the nodes below it that empty.
  template <typename Fn>
  bool ClearIn(uint32_t node, uint32_t base, int shift, uint32_t first,
               uint32_t end, Fn& fn) {
    uint32_t span = 1u << shift;
    uint32_t lo = first > base ? (first - base) >> shift : 0;
    uint32_t hi = (end - base + span - 1) >> shift;
    if (hi > kFan) hi = kFan;
    if (shift == 0) {
      // Single pages: folios only.
      Node& n = nodes_[node];
      for (uint32_t i = lo; i < hi; ++i) {
        if (n[i] != 0) fn(n[i] >> 1);
        n[i] = 0;
      }
      return Empty(n);
    }
    for (uint32_t i = lo; i < hi; ++i) {
      uint32_t e = nodes_[node][i];
      if (e == 0) continue;
      if (IsNode(e)) {
        if (!ClearIn(e >> 1, base + (i << shift), shift - kFanShift, first, end,
                     fn)) {
          continue;
        }
        FreeNode(e >> 1);
      } else {
        DCHECK(base + (i << shift) >= first &&
               base + ((i + 1) << shift) <= end);
        fn(e >> 1);
      }
      nodes_[node][i] = 0;
    }
    return Empty(nodes_[node]);
  }
  static bool Empty(const Node& n) {
    uint32_t any = 0;
    for (uint32_t x : n) any |= x;
    return any == 0;
  }

  std::vector<uint32_t> root_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> free_nodes_;
  // The node the last Set() below the root wrote to, and which pages it
  // covers (pfn >> (last_shift_ + 3)): the pieces of a split are set one
  // after another into the same nodes. 0 when none.
  uint32_t last_node_ = 0;
  uint32_t last_shift_ = 0;
  uint32_t last_base_ = 0;
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_PFN_INDEX_H_
