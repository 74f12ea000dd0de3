// enum scan_result (mm/khugepaged.c, Linux 6.18): what a collapse of one
// PMD-sized block came to, as the kernel names it. The log prints the name
// of a failed collapse's result (docs/event-log.md).
#ifndef MMREPLAY_MM_SCAN_RESULT_H_
#define MMREPLAY_MM_SCAN_RESULT_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace mmreplay::mm {

// X(enumerator, kernel name), in the kernel's order.
#define MMREPLAY_SCAN_RESULTS(X)                    \
  X(kFail, SCAN_FAIL)                               \
  X(kSucceed, SCAN_SUCCEED)                         \
  X(kPmdNull, SCAN_PMD_NULL)                        \
  X(kPmdNone, SCAN_PMD_NONE)                        \
  X(kPmdMapped, SCAN_PMD_MAPPED)                    \
  X(kExceedNonePte, SCAN_EXCEED_NONE_PTE)           \
  X(kExceedSwapPte, SCAN_EXCEED_SWAP_PTE)           \
  X(kExceedSharedPte, SCAN_EXCEED_SHARED_PTE)       \
  X(kPteNonPresent, SCAN_PTE_NON_PRESENT)           \
  X(kPteUffdWp, SCAN_PTE_UFFD_WP)                   \
  X(kPteMappedHugepage, SCAN_PTE_MAPPED_HUGEPAGE)   \
  X(kPageRo, SCAN_PAGE_RO)                          \
  X(kLackReferencedPage, SCAN_LACK_REFERENCED_PAGE) \
  X(kPageNull, SCAN_PAGE_NULL)                      \
  X(kScanAbort, SCAN_SCAN_ABORT)                    \
  X(kPageCount, SCAN_PAGE_COUNT)                    \
  X(kPageLru, SCAN_PAGE_LRU)                        \
  X(kPageLock, SCAN_PAGE_LOCK)                      \
  X(kPageAnon, SCAN_PAGE_ANON)                      \
  X(kPageCompound, SCAN_PAGE_COMPOUND)              \
  X(kAnyProcess, SCAN_ANY_PROCESS)                  \
  X(kVmaNull, SCAN_VMA_NULL)                        \
  X(kVmaCheck, SCAN_VMA_CHECK)                      \
  X(kAddressRange, SCAN_ADDRESS_RANGE)              \
  X(kDelPageLru, SCAN_DEL_PAGE_LRU)                 \
  X(kAllocHugePageFail, SCAN_ALLOC_HUGE_PAGE_FAIL)  \
  X(kCgroupChargeFail, SCAN_CGROUP_CHARGE_FAIL)     \
  X(kTruncated, SCAN_TRUNCATED)                     \
  X(kPageHasPrivate, SCAN_PAGE_HAS_PRIVATE)         \
  X(kStoreFailed, SCAN_STORE_FAILED)                \
  X(kCopyMc, SCAN_COPY_MC)                          \
  X(kPageFilled, SCAN_PAGE_FILLED)

enum class ScanResult : uint8_t {
#define MMREPLAY_SCAN_RESULT_ENUMERATOR(enumerator, name) enumerator,
  MMREPLAY_SCAN_RESULTS(MMREPLAY_SCAN_RESULT_ENUMERATOR)
#undef MMREPLAY_SCAN_RESULT_ENUMERATOR
};

// "SCAN_PAGE_RO" for ScanResult::kPageRo.
constexpr absl::string_view ScanResultName(ScanResult r) {
#define MMREPLAY_SCAN_RESULT_NAME(enumerator, name) \
  if (r == ScanResult::enumerator) return #name;
  MMREPLAY_SCAN_RESULTS(MMREPLAY_SCAN_RESULT_NAME)
#undef MMREPLAY_SCAN_RESULT_NAME
  return "?";
}

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_SCAN_RESULT_H_
