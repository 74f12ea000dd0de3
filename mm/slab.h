// Slab<T>: records of one type (a kmem_cache in spirit), in fixed-size
// chunks so that a record never moves while it lives, each named by its
// slot number. A freed slot is reused lowest first, so records made
// together (the pieces of a split) sit together and walks over them stay in
// cache; and since the live records drift to the low slots, a top chunk
// that empties is given back.
#ifndef MMREPLAY_MM_SLAB_H_
#define MMREPLAY_MM_SLAB_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/check.h"
#include "mm/free_set.h"

namespace mmreplay::mm {

template <typename T>
class Slab {
 public:
  static constexpr uint32_t kChunkShift = 10;
  static constexpr uint32_t kChunk = 1u << kChunkShift;

  // A new record, T{}; returns its slot.
  uint32_t Alloc() {
    uint32_t slot = 0;
    if (free_.empty()) {
      slot = slots_++;
      if ((slot >> kChunkShift) == chunks_.size()) {
        chunks_.push_back(std::make_unique<T[]>(kChunk));
        chunk_live_.push_back(0);
        free_.Grow(chunks_.size() << kChunkShift);
      }
    } else {
      slot = static_cast<uint32_t>(free_.PopFirst());
    }
    ++chunk_live_[slot >> kChunkShift];
    ++live_;
    return slot;
  }

  // n new records, the lowest free slots first: *out gets their slots in
  // increasing order.
  void AllocMany(uint32_t n, uint32_t* out) {
    uint64_t got = free_.PopLowest(
        n, [&out](uint64_t slot) { *out++ = static_cast<uint32_t>(slot); });
    for (uint64_t i = got; i < n; ++i) {
      uint32_t slot = slots_++;
      if ((slot >> kChunkShift) == chunks_.size()) {
        chunks_.push_back(std::make_unique<T[]>(kChunk));
        chunk_live_.push_back(0);
        free_.Grow(chunks_.size() << kChunkShift);
      }
      *out++ = slot;
    }
    out -= n;
    for (uint32_t i = 0; i < n; ++i) ++chunk_live_[out[i] >> kChunkShift];
    live_ += n;
  }

  // Forgets the record (reset to T{}). REQUIRES: slot is live.
  void Free(uint32_t slot) {
    DCHECK(slot < slots_ && !free_.contains(slot));
    (*this)[slot] = T{};
    free_.insert(slot);
    --live_;
    uint32_t c = slot >> kChunkShift;
    if (--chunk_live_[c] == 0 && c + 2 >= chunks_.size()) ReleaseTop();
  }

  T& operator[](uint32_t slot) const {
    return chunks_[slot >> kChunkShift][slot & (kChunk - 1)];
  }
  bool live(uint32_t slot) const {
    return slot < slots_ && !free_.contains(slot);
  }
  // One past the highest slot in use or free.
  uint32_t end() const { return slots_; }
  size_t size() const { return live_; }
  // Bytes of the chunks and the free-slot set.
  size_t bytes() const {
    return chunks_.size() * sizeof(T) * kChunk + free_.bytes() +
           chunk_live_.capacity() * sizeof(uint32_t);
  }

 private:
  // Gives back the top chunk while it and the one below it are empty (not
  // a chunk that empties and fills at every free and alloc).
  void ReleaseTop() {
    while (chunks_.size() >= 2 && chunk_live_.back() == 0 &&
           chunk_live_[chunks_.size() - 2] == 0) {
      uint32_t first = static_cast<uint32_t>(chunks_.size() - 1) << kChunkShift;
      for (uint32_t s = first; s < slots_; ++s) free_.erase(s);
      slots_ = first;
      chunks_.pop_back();
      chunk_live_.pop_back();
    }
  }

  std::vector<std::unique_ptr<T[]>> chunks_;
  std::vector<uint32_t> chunk_live_;
  uint32_t slots_ = 0;
  size_t live_ = 0;
  // Free slots below slots_.
  FreeSet free_;
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_SLAB_H_
