// IdSet: the live process, file, pin or reference ids of a trace. Ids are
// small in practice, so those below 2^16 live in a bitmap (no hashing on the
// per-op path); larger ones in a hash set.
#ifndef MMREPLAY_TRACE_ID_SET_H_
#define MMREPLAY_TRACE_ID_SET_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace mmreplay::trace {

class IdSet {
 public:
  bool contains(uint32_t id) const {
    if (id < kDense) {
      size_t w = id / 64;
      return w < low_.size() && (low_[w] >> (id % 64) & 1);
    }
    return high_.contains(id);
  }
  // Adds `id`; false if it was there already.
  bool insert(uint32_t id) {
    if (id >= kDense) {
      if (!high_.insert(id).second) return false;
    } else {
      size_t w = id / 64;
      if (w >= low_.size()) low_.resize(w + 1);
      uint64_t bit = uint64_t{1} << (id % 64);
      if (low_[w] & bit) return false;
      low_[w] |= bit;
    }
    ++size_;
    return true;
  }
  void erase(uint32_t id) {
    if (!contains(id)) return;
    if (id >= kDense) {
      high_.erase(id);
    } else {
      low_[id / 64] &= ~(uint64_t{1} << (id % 64));
    }
    --size_;
  }
  // How many ids are in the set.
  size_t size() const { return size_; }

 private:
  static constexpr uint32_t kDense = 1 << 16;
  std::vector<uint64_t> low_;
  absl::flat_hash_set<uint32_t> high_;
  size_t size_ = 0;
};

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_ID_SET_H_
