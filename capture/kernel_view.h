// What the live kernel shows of memory, read the way ../shared/docs/
// ORACLE.md describes: /proc/<pid>/pagemap for the PFN behind each virtual
// page, /proc/kpageflags for each PFN's compound head/tail, THP and zero-page
// bits, PAGEMAP_SCAN for PMD mappings, and the THP counters of /proc/vmstat
// and /sys/kernel/mm/transparent_hugepage/hugepages-<N>kB/stats/.
// Linux only; needs root (PFNs and kpageflags are privileged).
#ifndef MMREPLAY_CAPTURE_KERNEL_VIEW_H_
#define MMREPLAY_CAPTURE_KERNEL_VIEW_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "trace/layout.h"

namespace mmreplay::capture {

// Reads /proc/kpageflags and finds the folio a PFN belongs to.
class PageFlags {
 public:
  static absl::StatusOr<PageFlags> Open();
  PageFlags(PageFlags&&) noexcept;
  PageFlags& operator=(PageFlags&&) noexcept;
  ~PageFlags();

  absl::StatusOr<uint64_t> Flags(uint64_t pfn) const;

  struct Folio {
    uint64_t head_pfn = 0;
    uint32_t order = 0;
  };
  // The folio holding `pfn`: walks back to the compound head and forward
  // over its tail pages (the folio's size is always a power of two).
  absl::StatusOr<Folio> FolioOf(uint64_t pfn) const;

 private:
  explicit PageFlags(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The layout of [addr, addr + length) in process `pid`, and how many of its
// pages a PMD maps.
absl::StatusOr<trace::Layout> RangeLayout(const PageFlags& flags, pid_t pid,
                                          uint64_t addr, uint64_t length,
                                          uint64_t* pmd_mapped_pages);

// The page-cache layout of [offset, offset + length) of the file at `path`
// (pages past EOF are decoded from the folios they belong to). Maps the file
// into this process for the time of the call.
absl::StatusOr<trace::Layout> FileLayout(const PageFlags& flags,
                                         const std::string& path,
                                         uint64_t offset, uint64_t length);

// One page of a range as pagemap and kpageflags show it.
struct PageSeen {
  // Present and not a zero page: a page of a folio.
  bool folio = false;
  // KPF_ANON: an anonymous folio (not the page cache's).
  bool anon = false;
  uint64_t pfn = 0;
  // The folio holding it: its head PFN and order.
  uint64_t head_pfn = 0;
  uint32_t order = 0;
};

// RangeLayout's and FileLayout's view page by page, PFNs kept: for the
// per-folio outcomes of a compaction (capture.cc).
absl::StatusOr<std::vector<PageSeen>> RangePages(const PageFlags& flags,
                                                 pid_t pid, uint64_t addr,
                                                 uint64_t length);
absl::StatusOr<std::vector<PageSeen>> FilePages(const PageFlags& flags,
                                                const std::string& path,
                                                uint64_t offset,
                                                uint64_t length);

// Whether a read fault of private anonymous memory maps the shared zero
// page (do_anonymous_page), as upstream kernels do and the model assumes.
// Some hosts boot kernels that allocate instead (this one's command line
// has pvm_no_zero_page=1). Maps, reads and unmaps one page in this process.
absl::StatusOr<bool> ReadFaultsMapZeroPage(const PageFlags& flags);

// Counter values by the names of trace/counter_names.h: "thp_split_page" for
// /proc/vmstat, "split@9" for hugepages-2048kB/stats/split.
using CounterValues = absl::btree_map<std::string, int64_t>;
absl::StatusOr<CounterValues> ReadCounters();

}  // namespace mmreplay::capture

#endif  // MMREPLAY_CAPTURE_KERNEL_VIEW_H_
