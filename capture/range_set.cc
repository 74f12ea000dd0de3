#include "capture/range_set.h"

#include <iterator>
#include <utility>
#include <vector>

namespace mmreplay::capture {

void RangeSet::Add(uint64_t start, uint64_t end) {
  Remove(start, end);
  // Now nothing overlaps [start, end); merge the ranges that touch it.
  if (auto next = ranges_.find(end); next != ranges_.end()) {
    end = next->second;
    ranges_.erase(next);
  }
  if (auto it = ranges_.lower_bound(start); it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second == start) {
      start = prev->first;
      ranges_.erase(prev);
    }
  }
  ranges_[start] = end;
}

void RangeSet::Remove(uint64_t start, uint64_t end) {
  auto it = ranges_.lower_bound(start);
  if (it != ranges_.begin() && std::prev(it)->second > start) --it;
  // The parts of the ranges met that lie outside [start, end).
  std::vector<std::pair<uint64_t, uint64_t>> kept;
  while (it != ranges_.end() && it->first < end) {
    if (it->first < start) kept.emplace_back(it->first, start);
    if (it->second > end) kept.emplace_back(end, it->second);
    it = ranges_.erase(it);
  }
  for (const auto& [s, e] : kept) ranges_[s] = e;
}

bool RangeSet::Overlaps(uint64_t start, uint64_t end) const {
  // The last range starting before `end` is the only one that can reach
  // back into [start, end).
  auto it = ranges_.lower_bound(end);
  if (it == ranges_.begin()) return false;
  --it;
  return it->second > start;
}

}  // namespace mmreplay::capture
