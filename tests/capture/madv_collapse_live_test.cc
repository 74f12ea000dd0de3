// MADV_COLLAPSE on the live kernel: the outcomes tests/mm/khugepaged_test.cc
// gives the model, which mmcapture cannot record (it stops at a failing
// madvise). Each case maps fresh anonymous memory in this process, collapses
// it and reads back madvise's result and AnonHugePages from
// /proc/self/smaps. Skips where a plain collapse of written pages does not
// work (no THP, or MADV_COLLAPSE unknown). (khugepaged could collapse a
// block the test expects small in the moment between MADV_HUGEPAGE and the
// reading; it scans every 10 s.)
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace {

#ifndef MADV_COLLAPSE
constexpr int MADV_COLLAPSE = 25;
#endif
constexpr size_t kPage = 4096;
constexpr size_t kThp = 2 << 20;

// Each test maps at its own 2 MiB-aligned place, away from the rest.
char* Map(uintptr_t at, size_t len, int prot = PROT_READ | PROT_WRITE) {
  void* p = mmap(reinterpret_cast<void*>(at), len, prot,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
}

// AnonHugePages of the mappings (whole VMAs) meeting [lo, hi), in KiB.
long AnonHugeKb(const char* lo, const char* hi) {
  FILE* f = fopen("/proc/self/smaps", "r");
  if (f == nullptr) return -1;
  char line[512];
  unsigned long a, b;
  bool in = false;
  long kb = 0, v;
  while (fgets(line, sizeof line, f) != nullptr) {
    if (sscanf(line, "%lx-%lx ", &a, &b) == 2) {
      in = a < reinterpret_cast<uintptr_t>(hi) &&
           b > reinterpret_cast<uintptr_t>(lo);
    } else if (in && sscanf(line, "AnonHugePages: %ld kB", &v) == 1) {
      kb += v;
    }
  }
  fclose(f);
  return kb;
}

// "0" or the errno's name, as the model's collapse events show it.
std::string Collapse(char* p, size_t len) {
  if (madvise(p, len, MADV_COLLAPSE) == 0) return "0";
  return errno == EINVAL ? "EINVAL" : absl::StrCat("errno ", errno);
}

void Write(char* p, size_t len) {
  for (size_t i = 0; i < len; i += kPage) p[i] = 1;
}
void Read(char* p, size_t len) {
  volatile char sum = 0;
  for (size_t i = 0; i < len; i += kPage) sum = sum + p[i];
}
// Small pages first: the region is made NOHUGEPAGE, touched, then HUGEPAGE.
void Small(char* p, size_t len) { madvise(p, len, MADV_NOHUGEPAGE); }
void Open(char* p, size_t len) { madvise(p, len, MADV_HUGEPAGE); }

// A 2 MiB region at `at` touched in small pages by `touch` (Read, Write).
char* SmallPages(uintptr_t at, void (*touch)(char*, size_t)) {
  char* p = Map(at, kThp);
  if (p == nullptr) return nullptr;
  Small(p, kThp);
  touch(p, kThp);
  return p;
}

// MADV_HUGEPAGE, then MADV_COLLAPSE of the 2 MiB at p: "RESULT KB", with
// the AnonHugePages after it.
std::string OpenAndCollapse(char* p) {
  Open(p, kThp);
  const std::string r = Collapse(p, kThp);
  return absl::StrCat(r, " ", AnonHugeKb(p, p + kThp));
}

class MadvCollapseLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char* p = SmallPages(0x210000000000, Write);
    ASSERT_NE(p, nullptr);
    const std::string outcome = OpenAndCollapse(p);
    munmap(p, kThp);
    if (outcome != "0 2048") {
      GTEST_SKIP() << "MADV_COLLAPSE of written pages gave " << outcome
                   << " (result, kB of THP): no THP here";
    }
  }
};

// An empty PMD entry (SCAN_PMD_NONE) stops the range: the block after it
// stays small.
TEST_F(MadvCollapseLiveTest, EmptyMiddleBlockStopsTheRange) {
  char* p = Map(0x211000000000, 3 * kThp);
  ASSERT_NE(p, nullptr);
  Small(p, 3 * kThp);
  Write(p, kThp);
  Write(p + 2 * kThp, kThp);
  Open(p, 3 * kThp);
  EXPECT_EQ(Collapse(p, 3 * kThp), "EINVAL");
  // One THP in the VMA (smaps counts by VMA): the first block's. Going on
  // past the empty entry would make two.
  EXPECT_EQ(AnonHugeKb(p, p + 3 * kThp), 2048);
}

TEST_F(MadvCollapseLiveTest, ZeroPagesWithoutAnAnonVmaFail) {
  char* p = SmallPages(0x212000000000, Read);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(OpenAndCollapse(p), "EINVAL 0");
}

TEST_F(MadvCollapseLiveTest, ZeroPagesWithAnAnonVmaCollapse) {
  char* p = SmallPages(0x213000000000, Read);
  ASSERT_NE(p, nullptr);
  p[0] = 1;
  madvise(p, kPage, MADV_DONTNEED);
  EXPECT_EQ(OpenAndCollapse(p), "0 2048");
}

TEST_F(MadvCollapseLiveTest, HugeZeroIsLeftAsItIs) {
  char* p = Map(0x214000000000, kThp);
  ASSERT_NE(p, nullptr);
  Open(p, kThp);
  Read(p, kThp);
  EXPECT_EQ(OpenAndCollapse(p), "0 0");
}

TEST_F(MadvCollapseLiveTest, ReadOnlyPtesCollapse) {
  char* p = SmallPages(0x215000000000, Write);
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(mprotect(p, kThp, PROT_READ), 0);
  EXPECT_EQ(OpenAndCollapse(p), "0 2048");
}

TEST_F(MadvCollapseLiveTest, PagesSharedSinceForkCollapse) {
  char* p = SmallPages(0x216000000000, Write);
  ASSERT_NE(p, nullptr);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    pause();
    _exit(0);
  }
  EXPECT_EQ(OpenAndCollapse(p), "0 2048");
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

// madvise_walk_vmas() stops after a VMA with a block not collapsed.
TEST_F(MadvCollapseLiveTest, FailedVmaEndsTheWalk) {
  char* a = Map(0x217000000000, 2 * kThp);
  ASSERT_NE(a, nullptr);
  char* b =
      Map(0x217000000000 + 2 * kThp, kThp, PROT_READ | PROT_WRITE | PROT_EXEC);
  ASSERT_NE(b, nullptr);
  Small(a, 3 * kThp);
  Write(a, kThp);
  Write(b, kThp);
  Open(a, 3 * kThp);
  EXPECT_EQ(Collapse(a, 3 * kThp), "EINVAL");
  EXPECT_EQ(AnonHugeKb(a, a + 2 * kThp), 2048);
  EXPECT_EQ(AnonHugeKb(b, b + kThp), 0);
}

TEST_F(MadvCollapseLiveTest, VmaWithoutAnAnonVmaEndsTheWalk) {
  char* c = Map(0x218000000000, kThp);
  ASSERT_NE(c, nullptr);
  char* d =
      Map(0x218000000000 + kThp, kThp, PROT_READ | PROT_WRITE | PROT_EXEC);
  ASSERT_NE(d, nullptr);
  Small(c, 2 * kThp);
  Read(c, kThp);
  Write(d, kThp);
  Open(c, 2 * kThp);
  EXPECT_EQ(Collapse(c, 2 * kThp), "EINVAL");
  EXPECT_EQ(AnonHugeKb(d, d + kThp), 0);
}

}  // namespace
