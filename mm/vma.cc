#include "mm/vma.h"

#include <algorithm>

namespace mmreplay::mm {
namespace {

// is_mergeable_vma(): same attributes and contiguous offsets.
bool Mergeable(const Vma& a, const Vma& b) {
  return a.end == b.start && a.prot == b.prot && a.shared == b.shared &&
         a.file == b.file && a.hugepage == b.hugepage &&
         a.nohugepage == b.nohugepage && a.pgoff + a.pages() == b.pgoff;
}

}  // namespace

size_t VmaTree::LowerBound(uint64_t addr) const {
  // Branch-free: the search is on the path of every fault and touch.
  const uint64_t* base = starts_.data();
  size_t n = starts_.size();
  while (n > 1) {
    size_t half = n / 2;
    base = base[half - 1] < addr ? base + half : base;
    n -= half;
  }
  return static_cast<size_t>(base - starts_.data()) +
         (n == 1 && *base < addr ? 1 : 0);
}

const Vma* VmaTree::Search(uint64_t addr) const {
  // The last VMA starting at or before addr.
  size_t i = LowerBound(addr + 1);
  if (i == 0 || addr >= vmas_[i - 1].end) return nullptr;
  last_ = i - 1;
  return &vmas_[i - 1];
}

void VmaTree::Insert(size_t i, const Vma& v) {
  vmas_.insert(vmas_.begin() + static_cast<long>(i), v);
  starts_.insert(starts_.begin() + static_cast<long>(i), v.start);
  unreadable_ += !(v.prot & kProtRead);
}

void VmaTree::Erase(size_t first, size_t last) {
  for (size_t i = first; i < last; ++i) {
    unreadable_ -= !(vmas_[i].prot & kProtRead);
  }
  vmas_.erase(vmas_.begin() + static_cast<long>(first),
              vmas_.begin() + static_cast<long>(last));
  starts_.erase(starts_.begin() + static_cast<long>(first),
                starts_.begin() + static_cast<long>(last));
}

void VmaTree::SplitAt(uint64_t addr) {
  last_ = SIZE_MAX;
  size_t i = LowerBound(addr);
  if (i == 0 || (i < vmas_.size() && vmas_[i].start == addr)) return;
  Vma& v = vmas_[i - 1];
  if (addr >= v.end) return;
  Vma tail = v;
  tail.start = addr;
  tail.pgoff = v.PageIndex(addr);
  v.end = addr;
  Insert(i, tail);
}

void VmaTree::Unmap(uint64_t start, uint64_t end) {
  PrefetchStarts();
  SplitAt(start);
  SplitAt(end);
  Erase(LowerBound(start), LowerBound(end));
}

void VmaTree::Map(const Vma& vma) {
  if (Overlaps(vma.start, vma.end)) Unmap(vma.start, vma.end);
  Insert(LowerBound(vma.start), vma);
  MergeAround(vma.start, vma.end);
}

void VmaTree::MergeAround(uint64_t start, uint64_t end) {
  last_ = SIZE_MAX;
  // From the VMA before `start` to the VMA at or after `end`.
  size_t i = LowerBound(start);
  if (i > 0) --i;
  while (i + 1 < vmas_.size() && vmas_[i].start <= end) {
    if (Mergeable(vmas_[i], vmas_[i + 1])) {
      vmas_[i].end = vmas_[i + 1].end;
      vmas_[i].anon_vma |= vmas_[i + 1].anon_vma;
      Erase(i + 1, i + 2);
      continue;
    }
    ++i;
  }
}

}  // namespace mmreplay::mm
