// FreeSet: the free blocks of one order in one zone, as a three-level
// bitmap over block numbers: O(1) insert, erase and membership, and the
// lowest member in a few word scans. It replaces a sorted set on the buddy
// allocator's hot path (every free of a page looks for its buddy).
#ifndef MMREPLAY_MM_FREE_SET_H_
#define MMREPLAY_MM_FREE_SET_H_

#include <cstdint>
#include <optional>
#include <vector>

namespace mmreplay::mm {

class FreeSet {
 public:
  // Holds block numbers 0 .. capacity - 1.
  explicit FreeSet(uint64_t capacity);

  bool contains(uint64_t n) const { return l0_[n / 64] >> (n % 64) & 1; }
  // REQUIRES: not a member.
  void insert(uint64_t n);
  // REQUIRES: a member.
  void erase(uint64_t n);
  bool empty() const { return size_ == 0; }
  uint64_t size() const { return size_; }
  // The lowest member, if any.
  std::optional<uint64_t> first() const;
  // Bytes of the bitmaps.
  size_t bytes() const {
    return (l0_.size() + l1_.size() + l2_.size()) * sizeof(uint64_t);
  }
  // Every member, lowest first.
  std::vector<uint64_t> members() const;

 private:
  // Bit i of l1_[w] says l0_[64 w + i] is non-zero; likewise l2_ over l1_.
  std::vector<uint64_t> l0_, l1_, l2_;
  uint64_t size_ = 0;
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_FREE_SET_H_
