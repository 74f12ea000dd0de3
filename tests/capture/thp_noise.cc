// Another process's THP faults, for live_capture_test.sh: maps 64 MiB with
// MADV_HUGEPAGE, writes one byte per 2 MiB, unmaps, and again, until killed
// or for the seconds given. Each pass moves thp_fault_alloc system-wide.
#include <sys/mman.h>

#include <cstdlib>
#include <ctime>

int main(int argc, char** argv) {
  const time_t end = time(nullptr) + (argc > 1 ? atoi(argv[1]) : 60);
  const size_t len = size_t{64} << 20;
  while (time(nullptr) < end) {
    void* m = mmap(nullptr, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return 1;
    char* p = static_cast<char*>(m);
    madvise(p, len, MADV_HUGEPAGE);
    for (size_t o = 0; o < len; o += size_t{2} << 20) p[o] = 1;
    munmap(p, len);
  }
  return 0;
}
