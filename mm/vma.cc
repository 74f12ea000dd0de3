#include "mm/vma.h"

#include <iterator>

namespace mmreplay::mm {
namespace {

// is_mergeable_vma(): same attributes and contiguous offsets.
bool Mergeable(const Vma& a, const Vma& b) {
  return a.end == b.start && a.prot == b.prot && a.shared == b.shared &&
         a.file == b.file && a.hugepage == b.hugepage &&
         a.nohugepage == b.nohugepage && a.pgoff + a.pages() == b.pgoff;
}

}  // namespace

const Vma* VmaTree::Find(uint64_t addr) const {
  const Vma* last = last_.vma;
  if (last != nullptr && addr >= last->start && addr < last->end) return last;
  auto it = by_start_.upper_bound(addr);
  if (it == by_start_.begin()) return nullptr;
  --it;
  if (addr >= it->second.end) return nullptr;
  last_.vma = &it->second;
  return last_.vma;
}

void VmaTree::SplitAt(uint64_t addr) {
  last_.vma = nullptr;
  auto it = by_start_.upper_bound(addr);
  if (it == by_start_.begin()) return;
  --it;
  Vma& v = it->second;
  if (v.start == addr || addr >= v.end) return;
  Vma tail = v;
  tail.start = addr;
  tail.pgoff = v.PageIndex(addr);
  v.end = addr;
  by_start_.emplace(addr, tail);
}

void VmaTree::Unmap(uint64_t start, uint64_t end) {
  last_.vma = nullptr;
  SplitAt(start);
  SplitAt(end);
  by_start_.erase(by_start_.lower_bound(start), by_start_.lower_bound(end));
}

void VmaTree::Map(const Vma& vma) {
  last_.vma = nullptr;
  Unmap(vma.start, vma.end);
  by_start_.emplace(vma.start, vma);
  MergeAround(vma.start, vma.end);
}

void VmaTree::MergeAround(uint64_t start, uint64_t end) {
  last_.vma = nullptr;
  // From the VMA before `start` to the VMA at or after `end`.
  auto it = by_start_.lower_bound(start);
  if (it != by_start_.begin()) --it;
  while (it != by_start_.end() && it->first <= end) {
    auto next = std::next(it);
    if (next != by_start_.end() && Mergeable(it->second, next->second)) {
      uint64_t key = it->first;
      it->second.end = next->second.end;
      // A b-tree erase invalidates every iterator: find `it` again.
      by_start_.erase(next);
      it = by_start_.find(key);
      continue;
    }
    it = next;
  }
}

std::vector<Vma> VmaTree::Overlapping(uint64_t start, uint64_t end) const {
  std::vector<Vma> out;
  auto it = by_start_.upper_bound(start);
  if (it != by_start_.begin()) --it;
  for (; it != by_start_.end() && it->first < end; ++it) {
    Vma v = it->second;
    if (v.end <= start) continue;
    if (v.start < start) {
      v.pgoff = v.PageIndex(start);
      v.start = start;
    }
    if (v.end > end) v.end = end;
    out.push_back(v);
  }
  return out;
}

}  // namespace mmreplay::mm
