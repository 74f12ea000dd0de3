#include "capture/kernel_view.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/page_geometry.h"
#include "base/status_macros.h"
#include "trace/counter_names.h"

namespace mmreplay::capture {
namespace {

// /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h).
constexpr int kKpfAnon = 12;
constexpr int kKpfCompoundHead = 15;
constexpr int kKpfCompoundTail = 16;
constexpr int kKpfThp = 22;
constexpr int kKpfZeroPage = 24;

// /proc/<pid>/pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst).
constexpr uint64_t kPmPresent = uint64_t{1} << 63;
constexpr uint64_t kPmPfnMask = (uint64_t{1} << 55) - 1;

// PAGEMAP_SCAN (6.7+, include/uapi/linux/fs.h); Debian's headers lack it.
struct PageRegion {
  uint64_t start;
  uint64_t end;
  uint64_t categories;
};
struct PmScanArg {
  uint64_t size;
  uint64_t flags;
  uint64_t start;
  uint64_t end;
  uint64_t walk_end;
  uint64_t vec;
  uint64_t vec_len;
  uint64_t max_pages;
  uint64_t category_inverted;
  uint64_t category_mask;
  uint64_t category_anyof_mask;
  uint64_t return_mask;
};
constexpr uint64_t kPageIsHuge = 1 << 6;
constexpr unsigned long kPagemapScan = _IOWR('f', 16, PmScanArg);

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

bool Bit(uint64_t flags, int bit) { return (flags >> bit) & 1; }

// Reads `n` 8-byte entries at index `first` of a /proc table.
absl::Status ReadEntries(int fd, uint64_t first, size_t n, uint64_t* out,
                         absl::string_view what) {
  size_t bytes = n * 8;
  ssize_t got = pread(fd, out, bytes, static_cast<off_t>(first * 8));
  if (got != static_cast<ssize_t>(bytes)) return Errno(what);
  return absl::OkStatus();
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Builds the layout of a run of pages whose PFNs (0 = absent) are known.
absl::StatusOr<trace::Layout> LayoutOf(const PageFlags& flags,
                                       const std::vector<uint64_t>& pagemap) {
  trace::LayoutBuilder b;
  for (uint64_t entry : pagemap) {
    if (!(entry & kPmPresent)) {
      b.AddHole();
      continue;
    }
    uint64_t pfn = entry & kPmPfnMask;
    absl::StatusOr<uint64_t> f = flags.Flags(pfn);
    if (!f.ok()) return f.status();
    if (Bit(*f, kKpfZeroPage)) {
      b.AddZeroPage(/*huge=*/Bit(*f, kKpfThp));
      continue;
    }
    absl::StatusOr<PageFlags::Folio> folio = flags.FolioOf(pfn);
    if (!folio.ok()) return folio.status();
    b.AddFolio(folio->head_pfn, folio->order, pfn - folio->head_pfn);
  }
  return b.Finish();
}

// The pages of a run whose pagemap entries are known.
absl::StatusOr<std::vector<PageSeen>> PagesOf(
    const PageFlags& flags, const std::vector<uint64_t>& pagemap) {
  std::vector<PageSeen> out(pagemap.size());
  for (size_t i = 0; i < pagemap.size(); ++i) {
    if (!(pagemap[i] & kPmPresent)) continue;
    uint64_t pfn = pagemap[i] & kPmPfnMask;
    absl::StatusOr<uint64_t> f = flags.Flags(pfn);
    if (!f.ok()) return f.status();
    if (Bit(*f, kKpfZeroPage)) continue;
    absl::StatusOr<PageFlags::Folio> folio = flags.FolioOf(pfn);
    if (!folio.ok()) return folio.status();
    out[i].folio = true;
    out[i].anon = Bit(*f, kKpfAnon);
    out[i].pfn = pfn;
    out[i].head_pfn = folio->head_pfn;
    out[i].order = folio->order;
  }
  return out;
}

absl::StatusOr<std::vector<uint64_t>> FileEntries(const PageFlags& flags,
                                                  const std::string& path,
                                                  uint64_t offset,
                                                  uint64_t length);

}  // namespace

absl::StatusOr<PageFlags> PageFlags::Open() {
  int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("/proc/kpageflags");
  return PageFlags(fd);
}

PageFlags::PageFlags(PageFlags&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}

PageFlags& PageFlags::operator=(PageFlags&& o) noexcept {
  std::swap(fd_, o.fd_);
  return *this;
}

PageFlags::~PageFlags() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<uint64_t> PageFlags::Flags(uint64_t pfn) const {
  uint64_t f;
  if (absl::Status s = ReadEntries(fd_, pfn, 1, &f, "/proc/kpageflags");
      !s.ok()) {
    return s;
  }
  return f;
}

absl::StatusOr<PageFlags::Folio> PageFlags::FolioOf(uint64_t pfn) const {
  absl::StatusOr<uint64_t> f = Flags(pfn);
  if (!f.ok()) return f.status();
  Folio folio;
  folio.head_pfn = pfn;
  if (!Bit(*f, kKpfCompoundHead) && !Bit(*f, kKpfCompoundTail)) return folio;
  // A folio is at most 2^10 pages here; read the aligned 1024-page window
  // around the PFN once and walk within it.
  constexpr uint64_t kWindow = 1024;
  uint64_t base = pfn & ~(kWindow - 1);
  std::vector<uint64_t> w(kWindow);
  if (absl::Status s =
          ReadEntries(fd_, base, kWindow, w.data(), "/proc/kpageflags");
      !s.ok()) {
    return s;
  }
  uint64_t head = pfn;
  while (!Bit(w[head - base], kKpfCompoundHead)) {
    if (head == base) {
      return absl::InternalError(absl::StrFormat(
          "pfn 0x%x: no compound head within its 1024-page block", pfn));
    }
    --head;
  }
  uint64_t end = head + 1;
  while (end < base + kWindow && Bit(w[end - base], kKpfCompoundTail)) ++end;
  uint64_t n = end - head;
  if (pfn >= end) {
    return absl::UnavailableError(absl::StrFormat(
        "pfn 0x%x is outside the folio at 0x%x it seems to belong to: the "
        "kernel changed it while it was read",
        pfn, head));
  }
  if ((n & (n - 1)) != 0 || (head & (n - 1)) != 0) {
    return absl::InternalError(absl::StrFormat(
        "pfn 0x%x: folio at 0x%x of %d pages is not an aligned power of two",
        pfn, head, n));
  }
  folio.head_pfn = head;
  folio.order = static_cast<uint32_t>(__builtin_ctzll(n));
  return folio;
}

absl::StatusOr<bool> ReadFaultsMapZeroPage(const PageFlags& flags) {
  void* map = mmap(nullptr, kPageSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return Errno("mmap");
  (void)*static_cast<volatile const char*>(map);
  uint64_t entry = 0;
  Fd self(open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  absl::Status s =
      ReadEntries(self.get(), reinterpret_cast<uint64_t>(map) / kPageSize, 1,
                  &entry, "/proc/self/pagemap");
  munmap(map, kPageSize);
  if (!s.ok()) return s;
  if (!(entry & kPmPresent)) return false;
  absl::StatusOr<uint64_t> f = flags.Flags(entry & kPmPfnMask);
  if (!f.ok()) return f.status();
  return Bit(*f, kKpfZeroPage);
}

absl::StatusOr<std::vector<PageSeen>> RangePages(const PageFlags& flags,
                                                 pid_t pid, uint64_t addr,
                                                 uint64_t length) {
  std::string path = absl::StrCat("/proc/", pid, "/pagemap");
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errno(path);
  std::vector<uint64_t> entries(length / kPageSize);
  if (absl::Status s = ReadEntries(fd.get(), addr / kPageSize, entries.size(),
                                   entries.data(), path);
      !s.ok()) {
    return s;
  }
  return PagesOf(flags, entries);
}

absl::StatusOr<trace::Layout> RangeLayout(const PageFlags& flags, pid_t pid,
                                          uint64_t addr, uint64_t length,
                                          uint64_t* pmd_mapped_pages) {
  std::string path = absl::StrCat("/proc/", pid, "/pagemap");
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errno(path);
  std::vector<uint64_t> entries(length / kPageSize);
  if (absl::Status s = ReadEntries(fd.get(), addr / kPageSize, entries.size(),
                                   entries.data(), path);
      !s.ok()) {
    return s;
  }
  // PMD mappings, by PAGEMAP_SCAN.
  std::vector<PageRegion> regions(length / kPmdSize + 2);
  PmScanArg arg{};
  arg.size = sizeof(arg);
  arg.start = addr;
  arg.end = addr + length;
  arg.vec = reinterpret_cast<uint64_t>(regions.data());
  arg.vec_len = regions.size();
  arg.category_anyof_mask = kPageIsHuge;
  arg.return_mask = kPageIsHuge;
  long n = ioctl(fd.get(), kPagemapScan, &arg);
  if (n < 0) return Errno(absl::StrCat(path, ": PAGEMAP_SCAN"));
  *pmd_mapped_pages = 0;
  for (long i = 0; i < n; ++i) {
    *pmd_mapped_pages += (regions[i].end - regions[i].start) / kPageSize;
  }
  return LayoutOf(flags, entries);
}

namespace {

// cachestat(2): struct cachestat_range and struct cachestat, defined here
// because Debian's headers lack them.
struct CachestatRange {
  uint64_t off;
  uint64_t len;
};
struct Cachestat {
  uint64_t nr_cache;
  uint64_t nr_dirty;
  uint64_t nr_writeback;
  uint64_t nr_evicted;
  uint64_t nr_recently_evicted;
};
constexpr long kSysCachestat = 451;  // x86-64

// Pages in the page cache, uptodate or not, in [off, off + len).
absl::StatusOr<uint64_t> CachedPages(int fd, uint64_t off, uint64_t len) {
  CachestatRange range{off, len};
  Cachestat cs{};
  if (syscall(kSysCachestat, fd, &range, &cs, 0) != 0) {
    return Errno("cachestat");
  }
  return cs.nr_cache;
}

// mincore() reports a tmpfs page only when its folio is uptodate; a
// fallocate()d folio is not until something faults or writes it. Marks
// resident the pages cachestat() finds in the page cache too: touching
// one inside EOF then faults it in (shmem_fault clears the folio and marks
// it uptodate, which changes no folio, mapping or counter), and those past
// EOF are decoded from their folio as written ones are.
absl::Status AddFallocated(int fd, uint64_t offset,
                           std::vector<unsigned char>* resident) {
  const uint64_t pages = resident->size();
  uint64_t seen = 0;
  for (unsigned char r : *resident) seen += r & 1;
  ASSIGN_OR_RETURN(uint64_t cached, CachedPages(fd, offset, pages * kPageSize));
  if (cached == seen) return absl::OkStatus();
  for (uint64_t i = 0; i < pages; ++i) {
    if ((*resident)[i] & 1) continue;
    ASSIGN_OR_RETURN(uint64_t c,
                     CachedPages(fd, offset + i * kPageSize, kPageSize));
    if (c != 0) (*resident)[i] |= 1;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<trace::Layout> FileLayout(const PageFlags& flags,
                                         const std::string& path,
                                         uint64_t offset, uint64_t length) {
  absl::StatusOr<std::vector<uint64_t>> entries =
      FileEntries(flags, path, offset, length);
  if (!entries.ok()) return entries.status();
  return LayoutOf(flags, *entries);
}

absl::StatusOr<std::vector<PageSeen>> FilePages(const PageFlags& flags,
                                                const std::string& path,
                                                uint64_t offset,
                                                uint64_t length) {
  absl::StatusOr<std::vector<uint64_t>> entries =
      FileEntries(flags, path, offset, length);
  if (!entries.ok()) return entries.status();
  return PagesOf(flags, *entries);
}

namespace {

// The pagemap entries of [offset, offset + length) of the file at `path`, as
// FileLayout() describes: the file mapped here for the time of the call,
// resident pages inside EOF touched, those past EOF decoded from their folio.
absl::StatusOr<std::vector<uint64_t>> FileEntries(const PageFlags& flags,
                                                  const std::string& path,
                                                  uint64_t offset,
                                                  uint64_t length) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errno(path);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Errno(path);
  uint64_t pages = length / kPageSize;
  // Map at a 2 MiB-aligned address so PMD-sized folios can be PMD-mapped.
  void* area = mmap(nullptr, length + kPmdSize, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (area == MAP_FAILED) return Errno("mmap");
  uint64_t aligned =
      (reinterpret_cast<uint64_t>(area) + kPmdSize - 1) & ~(kPmdSize - 1);
  void* map =
      mmap(reinterpret_cast<void*>(aligned), length, PROT_READ,
           MAP_SHARED | MAP_FIXED, fd.get(), static_cast<off_t>(offset));
  absl::StatusOr<std::vector<uint64_t>> result;
  if (map == MAP_FAILED) {
    result = Errno(absl::StrCat(path, ": mmap"));
  } else {
    std::vector<unsigned char> resident(pages);
    if (mincore(map, length, resident.data()) != 0) {
      result = Errno(absl::StrCat(path, ": mincore"));
    } else if (absl::Status c = AddFallocated(fd.get(), offset, &resident);
               !c.ok()) {
      result = c;
    } else {
      // Touch resident pages inside EOF so pagemap shows their PFNs
      // (touching a hole would allocate; past EOF would SIGBUS).
      uint64_t eof_pages =
          (static_cast<uint64_t>(st.st_size) + kPageSize - 1) / kPageSize;
      volatile const char* p = static_cast<const char*>(map);
      for (uint64_t i = 0; i < pages; ++i) {
        if ((resident[i] & 1) && offset / kPageSize + i < eof_pages) {
          (void)p[i * kPageSize];
        }
      }
      Fd self(open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
      std::vector<uint64_t> entries(pages);
      absl::Status s = ReadEntries(self.get(), aligned / kPageSize, pages,
                                   entries.data(), "/proc/self/pagemap");
      if (!s.ok()) {
        result = s;
      } else {
        // Pages past EOF that mincore reports resident belong to a folio
        // seen at a lower index: their PFN follows from its geometry.
        for (uint64_t i = 1; i < pages; ++i) {
          if ((entries[i] & kPmPresent) || !(resident[i] & 1) ||
              !(entries[i - 1] & kPmPresent)) {
            continue;
          }
          uint64_t prev = entries[i - 1] & kPmPfnMask;
          absl::StatusOr<PageFlags::Folio> f = flags.FolioOf(prev);
          if (!f.ok()) {
            s = f.status();
            break;
          }
          if (prev + 1 < f->head_pfn + (uint64_t{1} << f->order)) {
            entries[i] = kPmPresent | (prev + 1);
          }
        }
        if (s.ok()) {
          result = std::move(entries);
        } else {
          result = s;
        }
      }
    }
  }
  munmap(area, length + kPmdSize);
  return result;
}

}  // namespace

absl::StatusOr<CounterValues> ReadCounters() {
  CounterValues values;
  std::ifstream vmstat("/proc/vmstat");
  if (!vmstat) return Errno("/proc/vmstat");
  std::string name;
  int64_t value;
  while (vmstat >> name >> value) {
    if (trace::FindVmEvent(name).has_value()) values[name] = value;
  }
  for (uint32_t order = trace::kMinMthpOrder; order <= kPmdOrder; ++order) {
    std::string dir =
        absl::StrCat("/sys/kernel/mm/transparent_hugepage/hugepages-",
                     4u << order, "kB/stats/");
    for (int s = 0; s < static_cast<int>(trace::MthpStat::kCount); ++s) {
      std::string stat(trace::MthpStatName(static_cast<trace::MthpStat>(s)));
      std::ifstream in(dir + stat);
      if (!in) continue;  // not every size has every stat
      int64_t v;
      if (in >> v) values[absl::StrCat(stat, "@", order)] = v;
    }
  }
  return values;
}

}  // namespace mmreplay::capture
