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
#include "tests/capture/live_anon.h"

namespace {

using ::mmreplay::kPageSize;
using ::mmreplay::live::AnonHugeKb;
using ::mmreplay::live::kThp;
using ::mmreplay::live::Map;
using ::mmreplay::live::Open;
using ::mmreplay::live::Read;
using ::mmreplay::live::Small;
using ::mmreplay::live::SmallPages;
using ::mmreplay::live::Write;

#ifndef MADV_COLLAPSE
constexpr int MADV_COLLAPSE = 25;
#endif

// "0" or the errno's name, as the model's collapse events show it.
std::string Collapse(char* p, size_t len) {
  if (madvise(p, len, MADV_COLLAPSE) == 0) return "0";
  return errno == EINVAL ? "EINVAL" : absl::StrCat("errno ", errno);
}

// MADV_HUGEPAGE, then MADV_COLLAPSE of the 2 MiB at p: "RESULT KB", with
// the AnonHugePages after it.
std::string OpenAndCollapse(char* p) {
  Open(p, kThp);
  const std::string r = Collapse(p, kThp);
  return absl::StrCat(r, " ", AnonHugeKb(p, p + kThp));
}

class MadvCollapseLiveTest : public ::testing::Test {
 public:
  // For the cases that read before they collapse.
  static bool NoZeroPage() {
    static const bool no = !mmreplay::live::ReadFaultsMapZeroPage();
    return no;
  }

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
  if (NoZeroPage()) GTEST_SKIP() << "read faults do not map the zero page here";
  char* p = SmallPages(0x212000000000, Read);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(OpenAndCollapse(p), "EINVAL 0");
}

TEST_F(MadvCollapseLiveTest, ZeroPagesWithAnAnonVmaCollapse) {
  if (NoZeroPage()) GTEST_SKIP() << "read faults do not map the zero page here";
  char* p = SmallPages(0x213000000000, Read);
  ASSERT_NE(p, nullptr);
  p[0] = 1;
  madvise(p, kPageSize, MADV_DONTNEED);
  EXPECT_EQ(OpenAndCollapse(p), "0 2048");
}

TEST_F(MadvCollapseLiveTest, HugeZeroIsLeftAsItIs) {
  if (NoZeroPage()) GTEST_SKIP() << "read faults do not map the zero page here";
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
  if (NoZeroPage()) GTEST_SKIP() << "read faults do not map the zero page here";
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
