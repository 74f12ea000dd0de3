// Anonymous memory of this process on the live kernel, for the tests that
// check the model's collapse rules against it: fixed 2 MiB-aligned
// mappings, touched in small pages, and their AnonHugePages.
#ifndef MMREPLAY_TESTS_CAPTURE_LIVE_ANON_H_
#define MMREPLAY_TESTS_CAPTURE_LIVE_ANON_H_

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "base/page_geometry.h"

namespace mmreplay::live {

inline constexpr size_t kThp = kPmdSize;

// Each test maps at its own 2 MiB-aligned place, away from the rest.
inline char* Map(uintptr_t at, size_t len, int prot = PROT_READ | PROT_WRITE) {
  void* p = mmap(reinterpret_cast<void*>(at), len, prot,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
}

// The smaps field `name` (in KiB) summed over the mappings (whole VMAs)
// meeting [lo, hi).
inline long SmapsKb(const char* lo, const char* hi, const char* name) {
  FILE* f = fopen("/proc/self/smaps", "r");
  if (f == nullptr) return -1;
  char line[512], field[64];
  unsigned long a, b;
  bool in = false;
  long kb = 0, v;
  while (fgets(line, sizeof line, f) != nullptr) {
    if (sscanf(line, "%lx-%lx ", &a, &b) == 2) {
      in = a < reinterpret_cast<uintptr_t>(hi) &&
           b > reinterpret_cast<uintptr_t>(lo);
    } else if (in && sscanf(line, "%63[^:]: %ld kB", field, &v) == 2 &&
               strcmp(field, name) == 0) {
      kb += v;
    }
  }
  fclose(f);
  return kb;
}

// AnonHugePages of the mappings meeting [lo, hi), in KiB.
inline long AnonHugeKb(const char* lo, const char* hi) {
  return SmapsKb(lo, hi, "AnonHugePages");
}

inline void Write(char* p, size_t len) {
  for (size_t i = 0; i < len; i += kPageSize) p[i] = 1;
}
inline void Read(char* p, size_t len) {
  volatile char sum = 0;
  for (size_t i = 0; i < len; i += kPageSize) sum = sum + p[i];
}
// Small pages first: the region is made NOHUGEPAGE, touched, then HUGEPAGE.
inline void Small(char* p, size_t len) { madvise(p, len, MADV_NOHUGEPAGE); }
inline void Open(char* p, size_t len) { madvise(p, len, MADV_HUGEPAGE); }

// Whether a read fault maps the shared zero page (do_anonymous_page), as
// upstream kernels do and the model assumes; some hosts boot kernels that
// allocate instead (pvm_no_zero_page=1). A zero-page PTE is not counted in
// smaps' Rss (vm_normal_page skips it), so this needs no root.
inline bool ReadFaultsMapZeroPage() {
  char* p = Map(0x21f000000000, 16 * kPageSize, PROT_READ);
  if (p == nullptr) return false;
  Read(p, 16 * kPageSize);
  const long rss = SmapsKb(p, p + 16 * kPageSize, "Rss");
  munmap(p, 16 * kPageSize);
  return rss == 0;
}

// A 2 MiB region at `at` touched in small pages by `touch` (Read, Write).
inline char* SmallPages(uintptr_t at, void (*touch)(char*, size_t)) {
  char* p = Map(at, kThp);
  if (p == nullptr) return nullptr;
  Small(p, kThp);
  touch(p, kThp);
  return p;
}

}  // namespace mmreplay::live

#endif  // MMREPLAY_TESTS_CAPTURE_LIVE_ANON_H_
