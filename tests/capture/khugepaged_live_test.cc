// khugepaged on the live kernel: the scan rules tests/mm/khugepaged_test.cc
// gives the model (hpage_collapse_scan_pmd's max_ptes_shared, and no
// SCAN_PAGE_RO from 6.18), which mmcapture cannot record (khugepaged runs
// when it likes). Each case maps fresh anonymous memory in small pages,
// opens it to THP and lets khugepaged scan every mm twice, with
// scan_sleep_millisecs at 0 for the test (restored after), then reads
// AnonHugePages. Needs root (the knobs); skips where a block of written
// small pages is not collapsed (no THP, khugepaged off).
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/capture/live_anon.h"

namespace {

using ::mmreplay::kPageSize;
using ::mmreplay::live::AnonHugeKb;
using ::mmreplay::live::kThp;
using ::mmreplay::live::Open;
using ::mmreplay::live::SmallPages;
using ::mmreplay::live::Write;

constexpr char kKhugepaged[] =
    "/sys/kernel/mm/transparent_hugepage/khugepaged/";

std::string ReadKnob(const std::string& name) {
  std::ifstream in(absl::StrCat(kKhugepaged, name));
  std::string v;
  in >> v;
  return v;
}
bool WriteKnob(const std::string& name, const std::string& v) {
  std::ofstream out(absl::StrCat(kKhugepaged, name));
  out << v;
  out.close();
  return out.good();
}

int64_t VmEvent(const std::string& name) {
  std::ifstream in("/proc/vmstat");
  std::string key;
  int64_t v;
  while (in >> key >> v) {
    if (key == name) return v;
  }
  return -1;
}

// Waits until khugepaged has begun and ended two more passes over every mm
// (so one whole pass saw the state the test set up); false after 30 s.
bool TwoFullScans() {
  const int64_t start = std::stoll(ReadKnob("full_scans"));
  for (int i = 0; i < 1500; ++i) {
    if (std::stoll(ReadKnob("full_scans")) >= start + 2) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// KiB of THP in the 2 MiB at p after khugepaged had its passes, or -1.
int64_t AfterKhugepaged(char* p) {
  if (!TwoFullScans()) return -1;
  return AnonHugeKb(p, p + kThp);
}

class KhugepagedLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0 || ReadKnob("full_scans").empty()) {
      GTEST_SKIP() << "needs root and " << kKhugepaged;
    }
    sleep_ = ReadKnob("scan_sleep_millisecs");
    shared_ = ReadKnob("max_ptes_shared");
    ASSERT_TRUE(WriteKnob("scan_sleep_millisecs", "0"));
    ASSERT_TRUE(WriteKnob("max_ptes_shared", "256"));  // the default
    char* p = SmallPages(0x220000000000, Write);
    ASSERT_NE(p, nullptr);
    Open(p, kThp);
    const int64_t kb = AfterKhugepaged(p);
    munmap(p, kThp);
    if (kb != 2048) {
      GTEST_SKIP() << "khugepaged left written small pages as they were (" << kb
                   << " kB of THP): no THP or no khugepaged here";
    }
  }
  void TearDown() override {
    if (!sleep_.empty()) WriteKnob("scan_sleep_millisecs", sleep_);
    if (!shared_.empty()) WriteKnob("max_ptes_shared", shared_);
  }

  // A block of written small pages at `at`, forked while it is still
  // NOHUGEPAGE (so that khugepaged never takes the child's copy); the child
  // drops all but the first `shared` pages, then the parent opens the block
  // to THP. Returns the KiB of THP khugepaged left in the parent's block.
  int64_t SharedWithChild(uintptr_t at, size_t shared) {
    char* p = SmallPages(at, Write);
    if (p == nullptr) return -2;
    int ready[2];
    if (pipe(ready) != 0) return -2;
    const pid_t child = fork();
    if (child < 0) return -2;
    if (child == 0) {
      madvise(p + shared * kPageSize, kThp - shared * kPageSize, MADV_DONTNEED);
      const char c = 1;
      if (write(ready[1], &c, 1) != 1) _exit(1);
      pause();
      _exit(0);
    }
    char c;
    const bool ready_read = read(ready[0], &c, 1) == 1;
    Open(p, kThp);
    const int64_t kb = ready_read ? AfterKhugepaged(p) : -2;
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    close(ready[0]);
    close(ready[1]);
    return kb;
  }

 private:
  std::string sleep_;
  std::string shared_;
};

// 256 PTEs of pages shared with the child: within max_ptes_shared (256).
TEST_F(KhugepagedLiveTest, MaxPtesSharedAllowsTheKnobsValue) {
  EXPECT_EQ(SharedWithChild(0x221000000000, 256), 2048);
}

// 257: SCAN_EXCEED_SHARED_PTE, counted in thp_scan_exceed_share_pte.
TEST_F(KhugepagedLiveTest, OneSharedPteTooManyFails) {
  const int64_t before = VmEvent("thp_scan_exceed_share_pte");
  EXPECT_EQ(SharedWithChild(0x222000000000, 257), 0);
  EXPECT_GT(VmEvent("thp_scan_exceed_share_pte"), before);
}

// The knob moves the limit: 300 shared collapse with it at 300.
TEST_F(KhugepagedLiveTest, MaxPtesSharedKnob) {
  ASSERT_TRUE(WriteKnob("max_ptes_shared", "300"));
  EXPECT_EQ(SharedWithChild(0x223000000000, 300), 2048);
}

// No writable PTE (mprotect read-only): collapsed all the same in 6.18.
TEST_F(KhugepagedLiveTest, ReadOnlyPtesCollapse) {
  char* p = SmallPages(0x224000000000, Write);
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(mprotect(p, kThp, PROT_READ), 0);
  Open(p, kThp);
  EXPECT_EQ(AfterKhugepaged(p), 2048);
}

}  // namespace
