#include "mm/pfn_index.h"

#include <algorithm>

#include "base/check.h"

namespace mmreplay::mm {

PfnIndex::PfnIndex(uint64_t total_pages)
    : root_((total_pages + (1u << kMaxOrder) - 1) >> kMaxOrder, 0), nodes_(1) {}

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
void PfnIndex::Set(uint32_t head, uint32_t order, uint32_t value) {
  DCHECK(order <= kMaxOrder && (head & ((1u << order) - 1)) == 0);
  DCHECK(value < (1u << 31));
  uint32_t leaf = (value << 1) | 1;
  if (order == kMaxOrder) {
    DCHECK(root_[head >> kMaxOrder] == 0);
    root_[head >> kMaxOrder] = leaf;
    return;
  }
  uint32_t shift = order - order % kFanShift;
  uint32_t node;
  if (last_node_ != 0 && last_shift_ == shift &&
      last_base_ == head >> (shift + kFanShift)) {
    node = last_node_;
  } else {
    uint32_t* e = &root_[head >> kMaxOrder];
    if (*e == 0) *e = NewNode() << 1;
    node = *e >> 1;
    for (uint32_t s = kMaxOrder - kFanShift; s > shift; s -= kFanShift) {
      uint32_t slot = (head >> s) & (kFan - 1);
      uint32_t next = nodes_[node][slot];
      if (next == 0) {
        next = NewNode() << 1;  // may move nodes_
        nodes_[node][slot] = next;
      }
      DCHECK(IsNode(next));
      node = next >> 1;
    }
    last_node_ = node;
    last_shift_ = shift;
    last_base_ = head >> (shift + kFanShift);
  }
  Node& n = nodes_[node];
  uint32_t slot = (head >> shift) & (kFan - 1);
  for (uint32_t i = 0; i < (1u << (order - shift)); ++i) {
    DCHECK(n[slot + i] == 0);
    n[slot + i] = leaf;
  }
}

uint32_t PfnIndex::Clear(uint32_t head, uint32_t order) {
  DCHECK(order <= kMaxOrder && (head & ((1u << order) - 1)) == 0);
  uint32_t& top = root_[head >> kMaxOrder];
  if (order == kMaxOrder) {
    DCHECK(top != 0 && !IsNode(top));
    uint32_t value = top >> 1;
    top = 0;
    return value;
  }
  // Down to the node holding the folio's entries, as Set() went.
  const uint32_t shift = order - order % kFanShift;
  uint32_t path[3];
  int depth = 0;
  DCHECK(IsNode(top));
  uint32_t node = top >> 1;
  path[depth++] = node;
  for (uint32_t s = kMaxOrder - kFanShift; s > shift; s -= kFanShift) {
    uint32_t next = nodes_[node][(head >> s) & (kFan - 1)];
    DCHECK(IsNode(next));
    node = next >> 1;
    path[depth++] = node;
  }
  Node& n = nodes_[node];
  const uint32_t slot = (head >> shift) & (kFan - 1);
  const uint32_t value = n[slot] >> 1;
  for (uint32_t i = 0; i < (1u << (order - shift)); ++i) {
    DCHECK(n[slot + i] == ((value << 1) | 1));
    n[slot + i] = 0;
  }
  // The nodes left empty go, from the bottom; node path[d] has entries of
  // 2^(6 - 3d) pages.
  for (int d = depth - 1; d >= 0 && Empty(nodes_[path[d]]); --d) {
    FreeNode(path[d]);
    if (d == 0) {
      top = 0;
    } else {
      const uint32_t up_shift =
          kMaxOrder - kFanShift * static_cast<uint32_t>(d);
      nodes_[path[d - 1]][(head >> up_shift) & (kFan - 1)] = 0;
    }
  }
  return value;
}

void PfnIndex::SetRun0(uint32_t first, uint32_t n, const uint32_t* values) {
  for (uint32_t i = 0; i < n;) {
    uint32_t pfn = first + i;
    // The node of single pages holding pfn, made by setting its first.
    Set(pfn, 0, values[i]);
    Node& node = nodes_[last_node_];
    uint32_t group_end = std::min(n, i + (kFan - (pfn & (kFan - 1))));
    for (uint32_t k = i + 1; k < group_end; ++k) {
      DCHECK(node[(first + k) & (kFan - 1)] == 0);
      node[(first + k) & (kFan - 1)] = (values[k] << 1) | 1;
    }
    i = group_end;
  }
}

void PfnIndex::Assign(uint32_t first, uint32_t end, uint32_t value) {
  uint32_t leaf = value == kNone ? 0 : (value << 1) | 1;
  for (uint32_t b = first >> kMaxOrder; (b << kMaxOrder) < end; ++b) {
    uint32_t base = b << kMaxOrder;
    root_[b] = AssignIn(root_[b], base, kMaxOrder, std::max(first, base),
                        std::min(end, base + (1u << kMaxOrder)), leaf);
  }
}

uint32_t PfnIndex::AssignIn(uint32_t e, uint32_t base, uint32_t shift,
                            uint32_t lo, uint32_t hi, uint32_t leaf) {
  if (lo == base && hi == base + (1u << shift)) {
    FreeSubtree(e);
    return leaf;
  }
  DCHECK(shift > 0);
  uint32_t node;
  if (IsNode(e)) {
    node = e >> 1;
  } else {
    // A folio or nothing over the whole span: push it down a level.
    node = NewNode();
    nodes_[node].fill(e);
  }
  uint32_t child_shift = shift - kFanShift;
  for (uint32_t i = (lo - base) >> child_shift;
       i < kFan && base + (i << child_shift) < hi; ++i) {
    uint32_t child_base = base + (i << child_shift);
    uint32_t child = nodes_[node][i];
    uint32_t now =
        AssignIn(child, child_base, child_shift, std::max(lo, child_base),
                 std::min(hi, child_base + (1u << child_shift)), leaf);
    nodes_[node][i] = now;
  }
  // A node whose entries all say the same folio (or nothing) goes.
  const Node& n = nodes_[node];
  if (!IsNode(n[0])) {
    bool same = true;
    for (uint32_t x : n) same &= x == n[0];
    if (same) {
      uint32_t v = n[0];
      FreeNode(node);
      return v;
    }
  }
  return node << 1;
}

void PfnIndex::FreeSubtree(uint32_t e) {
  if (!IsNode(e)) return;
  for (uint32_t i = 0; i < kFan; ++i) FreeSubtree(nodes_[e >> 1][i]);
  FreeNode(e >> 1);
}

size_t PfnIndex::bytes() const {
  return root_.capacity() * sizeof(uint32_t) +
         nodes_.capacity() * sizeof(Node) +
         free_nodes_.capacity() * sizeof(uint32_t);
}

}  // namespace mmreplay::mm
