#include "mm/pfn_index.h"

#include "base/check.h"

namespace mmreplay::mm {

PfnIndex::PfnIndex(uint64_t total_pages)
    : root_((total_pages + (1u << kMaxOrder) - 1) >> kMaxOrder, 0),
      nodes_(1) {}

uint32_t PfnIndex::NewNode() {
  uint32_t n;
  if (free_nodes_.empty()) {
    n = static_cast<uint32_t>(nodes_.size());
    nodes_.emplace_back();
  } else {
    n = free_nodes_.back();
    free_nodes_.pop_back();
  }
  nodes_[n].fill(0);
  return n;
}

// A folio of order k lives at the level whose entries span 2^shift pages
// with shift <= k < shift + 3, in 2^(k - shift) entries.
PfnIndex::Place PfnIndex::Find(uint32_t head, uint32_t order, bool create) {
  DCHECK(order <= kMaxOrder && (head & ((1u << order) - 1)) == 0);
  Place p;
  p.node = 0;
  p.slot = head >> kMaxOrder;
  p.depth = 0;
  uint32_t shift = kMaxOrder;
  while (order < shift) {
    uint32_t e = At(p.node, p.slot);
    if (e == 0) {
      CHECK(create);
      e = NewNode() << 1;
      At(p.node, p.slot) = e;
    }
    DCHECK(IsNode(e));
    p.path_node[p.depth] = p.node;
    p.path_slot[p.depth] = p.slot;
    ++p.depth;
    shift -= kFanShift;
    p.node = e >> 1;
    p.slot = (head >> shift) & (kFan - 1);
  }
  p.count = 1u << (order - shift);
  return p;
}

void PfnIndex::Set(uint32_t head, uint32_t order, uint32_t value) {
  DCHECK(value < (1u << 31));
  Place p = Find(head, order, /*create=*/true);
  for (uint32_t i = 0; i < p.count; ++i) {
    uint32_t& e = At(p.node, p.slot + i);
    DCHECK(e == 0);
    e = (value << 1) | 1;
  }
}

void PfnIndex::Replace(uint32_t head, uint32_t order, uint32_t value) {
  Place p = Find(head, order, /*create=*/false);
  for (uint32_t i = 0; i < p.count; ++i) {
    uint32_t& e = At(p.node, p.slot + i);
    DCHECK(e & 1);
    e = (value << 1) | 1;
  }
}

void PfnIndex::Clear(uint32_t head, uint32_t order) {
  Place p = Find(head, order, /*create=*/false);
  for (uint32_t i = 0; i < p.count; ++i) {
    uint32_t& e = At(p.node, p.slot + i);
    DCHECK(e & 1);
    e = 0;
  }
  // Free the nodes on the path that are now empty, deepest first.
  for (uint32_t node = p.node; p.depth > 0 && node != 0;) {
    for (uint32_t x : nodes_[node]) {
      if (x != 0) return;
    }
    free_nodes_.push_back(node);
    --p.depth;
    At(p.path_node[p.depth], p.path_slot[p.depth]) = 0;
    node = p.path_node[p.depth];
  }
}

size_t PfnIndex::bytes() const {
  return root_.capacity() * sizeof(uint32_t) +
         nodes_.capacity() * sizeof(Node) +
         free_nodes_.capacity() * sizeof(uint32_t);
}

}  // namespace mmreplay::mm
