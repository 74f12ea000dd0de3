// Virtual memory areas of one process: the bookkeeping of mmap, munmap,
// mprotect and madvise (mm/vma.c: split_vma, vma_merge, do_vmi_munmap).
//
// Simplified: adjacent VMAs merge whenever their attributes match and (for
// files) their offsets are contiguous; the kernel also refuses a merge when
// the two have different anon_vmas (both already faulted), which the model
// does not track.
#ifndef MMREPLAY_MM_VMA_H_
#define MMREPLAY_MM_VMA_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/page_geometry.h"

namespace mmreplay::mm {

// PROT_READ (ProtBits' PROT_BITS_READ).
inline constexpr uint32_t kProtRead = 1;

struct Vma {
  // [start, end), page-aligned bytes.
  uint64_t start = 0;
  uint64_t end = 0;
  // The file mapped (a shmem file for MAP_SHARED anonymous memory); 0 for
  // private anonymous memory.
  uint64_t file = 0;
  // vm_pgoff: file page index of `start`; for anonymous memory
  // start >> kPageShift, as the kernel sets it.
  uint64_t pgoff = 0;
  // PROT_* bits.
  uint32_t prot = 0;
  // MAP_SHARED.
  bool shared = false;
  // VM_HUGEPAGE and VM_NOHUGEPAGE (MADV_HUGEPAGE / MADV_NOHUGEPAGE).
  bool hugepage = false;
  bool nohugepage = false;
  // An anon_vma is attached (anon_vma_prepare): a private VMA has had an
  // anonymous page (or the huge zero folio) mapped, so fork copies its page
  // tables (vma_needs_copy). A VMA only read (zero-page PTEs) has none; nor
  // has a private file mapping until a write copies a page. Not an
  // attribute that stops a merge; the merged VMA has one if either had.
  bool anon_vma = false;

  bool anonymous() const { return file == 0; }
  uint64_t pages() const { return (end - start) >> kPageShift; }
  // File page index of `addr`. REQUIRES: addr in [start, end).
  uint64_t PageIndex(uint64_t addr) const {
    return pgoff + ((addr - start) >> kPageShift);
  }
};
static_assert(sizeof(Vma) == 40, "VMAs are shifted on every mmap and munmap");

class VmaTree {
 public:
  // The VMA holding `addr`, or null. Valid until the tree changes.
  const Vma* Find(uint64_t addr) const {
    if (last_ < vmas_.size()) {
      const Vma& v = vmas_[last_];
      if (addr >= v.start && addr < v.end) return &v;
    }
    return Search(addr);
  }
  // The end of the run of VMAs with no hole between them from `start`
  // (start itself if no VMA holds it), at most `end`: madvise() and
  // mprotect() fail with -ENOMEM where it is short of `end`.
  uint64_t MappedUpTo(uint64_t start, uint64_t end) const {
    uint64_t a = start;
    while (a < end) {
      const Vma* v = Find(a);
      if (v == nullptr) break;
      a = v->end;
    }
    return a < end ? a : end;
  }

  // Maps `vma`, replacing whatever overlapped its range.
  void Map(const Vma& vma);
  // Whether some VMA meets [start, end).
  bool Overlaps(uint64_t start, uint64_t end) const {
    PrefetchStarts();
    size_t i = LowerBound(start);
    return (i < vmas_.size() && vmas_[i].start < end) ||
           (i > 0 && vmas_[i - 1].end > start);
  }

  // Unmaps [start, end): VMAs inside go, VMAs across the edges are trimmed.
  void Unmap(uint64_t start, uint64_t end);

  // mprotect_fixup(), madvise_update_vma(): for each VMA meeting
  // [start, end) whose flags fn(Vma&) changes, splits it at the range's
  // edges, calls fn on the part inside and merges what became mergeable. A
  // VMA whose flags fn leaves as they are is not touched (the kernel returns
  // early: no split). Returns the ranges changed, lowest first.
  template <typename Fn>
  std::vector<Vma> Update(uint64_t start, uint64_t end, Fn fn) {
    std::vector<Vma> changed;
    ForEachOverlapping(start, end, [&](const Vma& v) {
      Vma u = v;
      fn(u);
      if (u.prot != v.prot || u.hugepage != v.hugepage ||
          u.nohugepage != v.nohugepage) {
        changed.push_back(v);
      }
    });
    for (const Vma& c : changed) {
      PrefetchStarts();
      SplitAt(c.start);
      SplitAt(c.end);
      for (size_t i = LowerBound(c.start);
           i < vmas_.size() && vmas_[i].start < c.end; ++i) {
        unreadable_ -= !(vmas_[i].prot & kProtRead);
        fn(vmas_[i]);
        unreadable_ += !(vmas_[i].prot & kProtRead);
      }
      MergeAround(c.start, c.end);
    }
    return changed;
  }

  // anon_vma_prepare() for the VMA holding addr (REQUIRES: one does). The
  // flag is no merge attribute, so nothing else changes.
  void SetAnonVma(uint64_t addr) {
    const Vma* v = Find(addr);
    vmas_[static_cast<size_t>(v - vmas_.data())].anon_vma = true;
  }

  // Calls fn(const Vma&) for each VMA meeting [start, end), clipped to it
  // (its pgoff with it), lowest first. fn must not change the tree.
  template <typename Fn>
  void ForEachOverlapping(uint64_t start, uint64_t end, Fn fn) const {
    size_t i = LowerBound(start);
    if (i > 0 && vmas_[i - 1].end > start) --i;
    for (; i < vmas_.size() && vmas_[i].start < end; ++i) {
      Vma v = vmas_[i];
      if (v.start < start) {
        v.pgoff = v.PageIndex(start);
        v.start = start;
      }
      if (v.end > end) v.end = end;
      fn(static_cast<const Vma&>(v));
    }
  }

  // The VMAs meeting [start, end), clipped to it, lowest first.
  std::vector<Vma> Overlapping(uint64_t start, uint64_t end) const {
    std::vector<Vma> out;
    ForEachOverlapping(start, end, [&out](const Vma& v) { out.push_back(v); });
    return out;
  }

  // Every VMA, lowest first.
  const std::vector<Vma>& all() const { return vmas_; }

  bool empty() const { return vmas_.empty(); }
  // VMAs without PROT_READ (a read there needs the VMA's say).
  size_t unreadable() const { return unreadable_; }

 private:
  // Find() without the last-found shortcut.
  const Vma* Search(uint64_t addr) const;
  // The first VMA starting at or after addr.
  size_t LowerBound(uint64_t addr) const;
  // Cache hints for the binary searches of a change coming up: every line
  // of starts_ at once, rather than one miss per step of the first search
  // (a process's VMAs are changed seldom enough to leave the cache).
  void PrefetchStarts() const {
    for (size_t i = 0; i < starts_.size(); i += 8) {
      __builtin_prefetch(&starts_[i]);
    }
  }
  // split_vma(): makes `addr` a VMA boundary if a VMA spans it.
  void SplitAt(uint64_t addr);
  // vma_merge(): merges VMAs in and next to [start, end) with equal
  // attributes.
  void MergeAround(uint64_t start, uint64_t end);

  // Sorted by start, apart. A process has tens to thousands of VMAs: a
  // binary search finds one, and the few that a change moves are cheap to
  // shift (the kernel's maple tree is a B-tree for the same reason).
  std::vector<Vma> vmas_;
  // vmas_[i].start, packed for the search.
  std::vector<uint64_t> starts_;
  size_t unreadable_ = 0;
  void Insert(size_t i, const Vma& v);
  void Erase(size_t first, size_t last);
  // The VMA Find() returned last (faults and touches look up the same one
  // many times in a row); forgotten on any change.
  mutable size_t last_ = SIZE_MAX;
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_VMA_H_
