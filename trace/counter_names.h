// The names of the kernel counters a trace's ExpectCounters records and the
// model count: /proc/vmstat THP events and the per-size stats under
// /sys/kernel/mm/transparent_hugepage/hugepages-<N>kB/stats/. Names are the
// kernel's own, so a captured record compares with the model name for name.
//
// A leaf that mm/ may use (trace/BUILD.bazel): the model counts in these
// enums (mm/counters.h), the validator and mmcapture know the names.
#ifndef MMREPLAY_TRACE_COUNTER_NAMES_H_
#define MMREPLAY_TRACE_COUNTER_NAMES_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace mmreplay::trace {

// enum vm_event_item entries (include/linux/vm_event_item.h) as
// X(Enumerator, "vmstat name", checked). `checked` is false for counters a
// live capture cannot pin down: system-wide activity (compaction migrates
// every process's pages, khugepaged scans every mm) and the lazily made huge
// zero folio. mmcapture does not record them and --check ignores them.
#define MM_VM_EVENTS(X)                                         \
  X(kThpFaultAlloc, "thp_fault_alloc", true)                    \
  X(kThpFaultFallback, "thp_fault_fallback", true)              \
  X(kThpFaultFallbackCharge, "thp_fault_fallback_charge", true) \
  X(kThpCollapseAlloc, "thp_collapse_alloc", true)              \
  X(kThpCollapseAllocFailed, "thp_collapse_alloc_failed", true) \
  X(kThpFileAlloc, "thp_file_alloc", true)                      \
  X(kThpFileFallback, "thp_file_fallback", true)                \
  X(kThpFileFallbackCharge, "thp_file_fallback_charge", true)   \
  X(kThpFileMapped, "thp_file_mapped", true)                    \
  X(kThpSplitPage, "thp_split_page", true)                      \
  X(kThpSplitPageFailed, "thp_split_page_failed", true)         \
  X(kThpDeferredSplitPage, "thp_deferred_split_page", true)     \
  X(kThpUnderusedSplitPage, "thp_underused_split_page", true)   \
  X(kThpSplitPmd, "thp_split_pmd", true)                        \
  X(kThpScanExceedNonePte, "thp_scan_exceed_none_pte", false)   \
  X(kThpScanExceedSharePte, "thp_scan_exceed_share_pte", false) \
  X(kThpZeroPageAlloc, "thp_zero_page_alloc", false)            \
  X(kThpMigrationSuccess, "thp_migration_success", false)       \
  X(kThpMigrationFail, "thp_migration_fail", false)             \
  X(kThpMigrationSplit, "thp_migration_split", false)           \
  X(kPgmigrateSuccess, "pgmigrate_success", false)              \
  X(kPgmigrateFail, "pgmigrate_fail", false)                    \
  X(kCompactMigrateScanned, "compact_migrate_scanned", false)   \
  X(kCompactFreeScanned, "compact_free_scanned", false)         \
  X(kCompactIsolated, "compact_isolated", false)                \
  X(kCompactStall, "compact_stall", false)                      \
  X(kCompactFail, "compact_fail", false)                        \
  X(kCompactSuccess, "compact_success", false)

// enum mthp_stat_item entries (include/linux/huge_mm.h), per folio order.
#define MM_MTHP_STATS(X)                                    \
  X(kAnonFaultAlloc, "anon_fault_alloc")                    \
  X(kAnonFaultFallback, "anon_fault_fallback")              \
  X(kAnonFaultFallbackCharge, "anon_fault_fallback_charge") \
  X(kShmemAlloc, "shmem_alloc")                             \
  X(kShmemFallback, "shmem_fallback")                       \
  X(kShmemFallbackCharge, "shmem_fallback_charge")          \
  X(kSplit, "split")                                        \
  X(kSplitFailed, "split_failed")                           \
  X(kSplitDeferred, "split_deferred")                       \
  X(kNrAnon, "nr_anon")                                     \
  X(kNrAnonPartiallyMapped, "nr_anon_partially_mapped")

#define MM_VM_ENUMERATOR(e, name, checked) e,
#define MM_MTHP_ENUMERATOR(e, name) e,
enum class VmEvent : uint8_t { MM_VM_EVENTS(MM_VM_ENUMERATOR) kCount };
enum class MthpStat : uint8_t { MM_MTHP_STATS(MM_MTHP_ENUMERATOR) kCount };
#undef MM_VM_ENUMERATOR
#undef MM_MTHP_ENUMERATOR

// Orders that have a hugepages-<N>kB folder: 1 (8 KiB, shmem only) to
// PMD_ORDER (kPmdOrder).
inline constexpr uint32_t kMinMthpOrder = 1;

absl::string_view VmEventName(VmEvent e);
// False for the vmstat events a capture does not record (see MM_VM_EVENTS).
bool VmEventChecked(VmEvent e);
absl::string_view MthpStatName(MthpStat s);
std::optional<VmEvent> FindVmEvent(absl::string_view name);
std::optional<MthpStat> FindMthpStat(absl::string_view name);

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_COUNTER_NAMES_H_
