// enum scan_result (mm/khugepaged.c, Linux 6.18): what a collapse of one
// PMD-sized block came to, as the kernel names it. The log prints the name
// of a failed collapse's result (docs/event-log.md).
#ifndef MMREPLAY_MM_SCAN_RESULT_H_
#define MMREPLAY_MM_SCAN_RESULT_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "mm/errno.h"

namespace mmreplay::mm {

// X(enumerator, kernel name, errno, go on), in the kernel's order. errno:
// what madvise_collapse_errno() gives the result (0: the block is a THP
// now, or was). go on: whether madvise_collapse() goes on to the range's
// next block past it (its "whitelisted set of results where continuing
// OK"), else it stops there.
#define MMREPLAY_SCAN_RESULTS(X)                                   \
  X(kFail, SCAN_FAIL, kEinval, false)                              \
  X(kSucceed, SCAN_SUCCEED, 0, true)                               \
  X(kPmdNull, SCAN_PMD_NULL, kEinval, true)                        \
  X(kPmdNone, SCAN_PMD_NONE, kEinval, false)                       \
  X(kPmdMapped, SCAN_PMD_MAPPED, 0, true)                          \
  X(kExceedNonePte, SCAN_EXCEED_NONE_PTE, kEbusy, false)           \
  X(kExceedSwapPte, SCAN_EXCEED_SWAP_PTE, kEinval, false)          \
  X(kExceedSharedPte, SCAN_EXCEED_SHARED_PTE, kEinval, false)      \
  X(kPteNonPresent, SCAN_PTE_NON_PRESENT, kEinval, true)           \
  X(kPteUffdWp, SCAN_PTE_UFFD_WP, kEinval, true)                   \
  X(kPteMappedHugepage, SCAN_PTE_MAPPED_HUGEPAGE, kEinval, false)  \
  X(kPageRo, SCAN_PAGE_RO, kEinval, true)                          \
  X(kLackReferencedPage, SCAN_LACK_REFERENCED_PAGE, kEinval, true) \
  X(kPageNull, SCAN_PAGE_NULL, kEinval, true)                      \
  X(kScanAbort, SCAN_SCAN_ABORT, kEinval, false)                   \
  X(kPageCount, SCAN_PAGE_COUNT, kEagain, true)                    \
  X(kPageLru, SCAN_PAGE_LRU, kEagain, true)                        \
  X(kPageLock, SCAN_PAGE_LOCK, kEagain, true)                      \
  X(kPageAnon, SCAN_PAGE_ANON, kEinval, false)                     \
  X(kPageCompound, SCAN_PAGE_COMPOUND, kEinval, true)              \
  X(kAnyProcess, SCAN_ANY_PROCESS, kEinval, false)                 \
  X(kVmaNull, SCAN_VMA_NULL, kEinval, false)                       \
  X(kVmaCheck, SCAN_VMA_CHECK, kEinval, false)                     \
  X(kAddressRange, SCAN_ADDRESS_RANGE, kEinval, false)             \
  X(kDelPageLru, SCAN_DEL_PAGE_LRU, kEagain, true)                 \
  X(kAllocHugePageFail, SCAN_ALLOC_HUGE_PAGE_FAIL, kEnomem, false) \
  X(kCgroupChargeFail, SCAN_CGROUP_CHARGE_FAIL, kEbusy, false)     \
  X(kTruncated, SCAN_TRUNCATED, kEinval, false)                    \
  X(kPageHasPrivate, SCAN_PAGE_HAS_PRIVATE, kEinval, false)        \
  X(kStoreFailed, SCAN_STORE_FAILED, kEinval, false)               \
  X(kCopyMc, SCAN_COPY_MC, kEinval, false)                         \
  X(kPageFilled, SCAN_PAGE_FILLED, kEagain, false)

enum class ScanResult : uint8_t {
#define MMREPLAY_SCAN_RESULT_ENUMERATOR(enumerator, name, err, go_on) \
  enumerator,
  MMREPLAY_SCAN_RESULTS(MMREPLAY_SCAN_RESULT_ENUMERATOR)
#undef MMREPLAY_SCAN_RESULT_ENUMERATOR
};

// A result's row of the table.
struct ScanResultRow {
  absl::string_view name;
  int err;
  bool go_on;
};
constexpr ScanResultRow ScanResultRowOf(ScanResult r) {
#define MMREPLAY_SCAN_RESULT_ROW(enumerator, name, err, go_on) \
  if (r == ScanResult::enumerator) return {#name, err, go_on};
  MMREPLAY_SCAN_RESULTS(MMREPLAY_SCAN_RESULT_ROW)
#undef MMREPLAY_SCAN_RESULT_ROW
  return {"?", kEinval, false};
}

// "SCAN_PAGE_RO" for ScanResult::kPageRo.
constexpr absl::string_view ScanResultName(ScanResult r) {
  return ScanResultRowOf(r).name;
}
// madvise_collapse_errno(): the errno MADV_COLLAPSE returns for a block's
// result (0 for a collapsed block or one a PMD maps already).
constexpr int MadviseCollapseErrno(ScanResult r) {
  return ScanResultRowOf(r).err;
}
// Whether madvise_collapse() goes on to the range's next block after this
// result, or stops.
constexpr bool MadviseCollapseContinues(ScanResult r) {
  return ScanResultRowOf(r).go_on;
}

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_SCAN_RESULT_H_
