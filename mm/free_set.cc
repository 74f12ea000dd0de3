#include "mm/free_set.h"

namespace mmreplay::mm {

void FreeSet::Grow(uint64_t capacity) {
  uint64_t words = (capacity + 63) / 64;
  if (words <= l0_.size()) return;
  l0_.resize(words, 0);
  l1_.resize((l0_.size() + 63) / 64, 0);
  l2_.resize((l1_.size() + 63) / 64, 0);
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
