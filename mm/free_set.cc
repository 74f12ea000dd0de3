#include "mm/free_set.h"

namespace mmreplay::mm {

FreeSet::FreeSet(uint64_t capacity)
    : l0_((capacity + 63) / 64, 0),
      l1_((l0_.size() + 63) / 64, 0),
      l2_((l1_.size() + 63) / 64, 0) {}

void FreeSet::insert(uint64_t n) {
  uint64_t w0 = n / 64, w1 = w0 / 64, w2 = w1 / 64;
  l0_[w0] |= uint64_t{1} << (n % 64);
  l1_[w1] |= uint64_t{1} << (w0 % 64);
  l2_[w2] |= uint64_t{1} << (w1 % 64);
  ++size_;
}

void FreeSet::erase(uint64_t n) {
  uint64_t w0 = n / 64, w1 = w0 / 64, w2 = w1 / 64;
  l0_[w0] &= ~(uint64_t{1} << (n % 64));
  if (l0_[w0] == 0) {
    l1_[w1] &= ~(uint64_t{1} << (w0 % 64));
    if (l1_[w1] == 0) l2_[w2] &= ~(uint64_t{1} << (w1 % 64));
  }
  --size_;
}

std::optional<uint64_t> FreeSet::first() const {
  if (size_ == 0) return std::nullopt;
  for (uint64_t w2 = 0; w2 < l2_.size(); ++w2) {
    if (l2_[w2] == 0) continue;
    uint64_t w1 = w2 * 64 + __builtin_ctzll(l2_[w2]);
    uint64_t w0 = w1 * 64 + __builtin_ctzll(l1_[w1]);
    return w0 * 64 + __builtin_ctzll(l0_[w0]);
  }
  return std::nullopt;
}

std::vector<uint64_t> FreeSet::members() const {
  std::vector<uint64_t> out;
  for (uint64_t w = 0; w < l0_.size(); ++w) {
    for (uint64_t bits = l0_[w]; bits != 0; bits &= bits - 1) {
      out.push_back(w * 64 + __builtin_ctzll(bits));
    }
  }
  return out;
}

}  // namespace mmreplay::mm
