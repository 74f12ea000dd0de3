// The address ranges one process of a capture has mapped: what the capture
// observes after every op. Its own record of the ops it ran (mmap adds a
// range, munmap removes one, fork copies the parent's), not the model's VMA
// tree, so what the capture records does not depend on the model.
#ifndef MMREPLAY_CAPTURE_RANGE_SET_H_
#define MMREPLAY_CAPTURE_RANGE_SET_H_

#include <cstdint>

#include "absl/container/btree_map.h"

namespace mmreplay::capture {

// Byte ranges [start, end), apart, and merged where they touch: a mapping
// next to another is observed as one range with it.
class RangeSet {
 public:
  // Adds [start, end), merging it with what it overlaps or touches.
  void Add(uint64_t start, uint64_t end);
  // Removes [start, end): ranges inside go, ranges across its edges are
  // trimmed (one across both is cut in two).
  void Remove(uint64_t start, uint64_t end);

  // Whether any range meets [start, end).
  bool Overlaps(uint64_t start, uint64_t end) const;

  // start -> end of every range, lowest first.
  const absl::btree_map<uint64_t, uint64_t>& ranges() const { return ranges_; }

 private:
  absl::btree_map<uint64_t, uint64_t> ranges_;
};

}  // namespace mmreplay::capture

#endif  // MMREPLAY_CAPTURE_RANGE_SET_H_
