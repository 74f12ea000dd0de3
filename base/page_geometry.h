// The page geometry of x86-64 Linux, defined once for every package: the
// model (mm/), the trace format (trace/), the replay engine and the capture
// tool (which may not see mm/, so these cannot live there).
#ifndef MMREPLAY_BASE_PAGE_GEOMETRY_H_
#define MMREPLAY_BASE_PAGE_GEOMETRY_H_

#include <cstdint>

namespace mmreplay {

// PAGE_SHIFT and PAGE_SIZE: the base page, 4 KiB.
inline constexpr int kPageShift = 12;
inline constexpr uint64_t kPageSize = uint64_t{1} << kPageShift;

// HPAGE_PMD_ORDER: the order of a PMD-mapped folio (2 MiB).
inline constexpr uint32_t kPmdOrder = 9;
// HPAGE_PMD_NR: pages per PMD.
inline constexpr uint64_t kPagesPerPmd = uint64_t{1} << kPmdOrder;
// PMD_SHIFT and PMD_SIZE: the bytes one PMD maps.
inline constexpr int kPmdShift = kPageShift + static_cast<int>(kPmdOrder);
inline constexpr uint64_t kPmdSize = uint64_t{1} << kPmdShift;

// MAX_PAGE_ORDER: the largest order the buddy allocator hands out (4 MiB).
inline constexpr uint32_t kMaxPageOrder = 10;

}  // namespace mmreplay

#endif  // MMREPLAY_BASE_PAGE_GEOMETRY_H_
