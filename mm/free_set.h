// FreeSet: a set of small integers (free block numbers, free slab slots) as
// a three-level bitmap: O(1) insert, erase and membership, and the lowest
// member in a few word scans. The buddy allocator keeps one per order (every
// free of a page looks for its buddy) and the slabs one for their free
// slots.
#ifndef MMREPLAY_MM_FREE_SET_H_
#define MMREPLAY_MM_FREE_SET_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mmreplay::mm {

class FreeSet {
 public:
  // Holds numbers 0 .. capacity - 1.
  explicit FreeSet(uint64_t capacity = 0) { Grow(capacity); }

  // Raises the capacity (it never shrinks).
  void Grow(uint64_t capacity);
  uint64_t capacity() const { return l0_.size() * 64; }

  // REQUIRES: n < capacity().
  bool contains(uint64_t n) const { return l0_[n / 64] >> (n % 64) & 1; }
  // A cache hint: loads the word contains(n) reads.
  void Prefetch(uint64_t n) const { __builtin_prefetch(&l0_[n / 64]); }
  // REQUIRES: not a member.
  void insert(uint64_t n) {
    uint64_t w0 = n / 64, w1 = w0 / 64;
    if (l0_[w0] == 0) {
      if (l1_[w1] == 0) l2_[w1 / 64] |= uint64_t{1} << (w1 % 64);
      l1_[w1] |= uint64_t{1} << (w0 % 64);
    }
    l0_[w0] |= uint64_t{1} << (n % 64);
    ++size_;
  }
  // REQUIRES: a member.
  void erase(uint64_t n) {
    uint64_t w0 = n / 64, w1 = w0 / 64;
    l0_[w0] &= ~(uint64_t{1} << (n % 64));
    if (l0_[w0] == 0) {
      l1_[w1] &= ~(uint64_t{1} << (w0 % 64));
      if (l1_[w1] == 0) l2_[w1 / 64] &= ~(uint64_t{1} << (w1 % 64));
    }
    --size_;
  }
  bool empty() const { return size_ == 0; }
  uint64_t size() const { return size_; }
  // Removes the lowest member and returns it. REQUIRES: not empty.
  uint64_t PopFirst() {
    uint64_t w2 = 0;
    while (l2_[w2] == 0) ++w2;
    uint64_t w1 = w2 * 64 + __builtin_ctzll(l2_[w2]);
    uint64_t w0 = w1 * 64 + __builtin_ctzll(l1_[w1]);
    uint64_t bits = l0_[w0];
    uint64_t n = w0 * 64 + __builtin_ctzll(bits);
    l0_[w0] = bits & (bits - 1);
    if (l0_[w0] == 0) {
      l1_[w1] &= l1_[w1] - 1;
      if (l1_[w1] == 0) l2_[w2] &= l2_[w2] - 1;
    }
    --size_;
    return n;
  }
  // Removes the n lowest members (or all, if fewer), calling fn(member) for
  // each, lowest first; returns how many.
  template <typename Fn>
  uint64_t PopLowest(uint64_t n, Fn fn) {
    uint64_t taken = 0;
    for (uint64_t w2 = 0; w2 < l2_.size() && taken < n; ++w2) {
      while (l2_[w2] != 0 && taken < n) {
        uint64_t w1 = w2 * 64 + __builtin_ctzll(l2_[w2]);
        while (l1_[w1] != 0 && taken < n) {
          uint64_t w0 = w1 * 64 + __builtin_ctzll(l1_[w1]);
          uint64_t bits = l0_[w0];
          while (bits != 0 && taken < n) {
            fn(w0 * 64 + __builtin_ctzll(bits));
            bits &= bits - 1;
            ++taken;
          }
          l0_[w0] = bits;
          if (bits == 0) l1_[w1] &= l1_[w1] - 1;
        }
        if (l1_[w1] == 0) l2_[w2] &= ~(uint64_t{1} << (w1 % 64));
      }
    }
    size_ -= taken;
    return taken;
  }
  // Bytes of the bitmaps.
  size_t bytes() const {
    return (l0_.capacity() + l1_.capacity() + l2_.capacity()) *
           sizeof(uint64_t);
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
