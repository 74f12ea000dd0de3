// Ops the kernel refuses or fails (docs/model.md, "Ops the kernel
// refuses"): each replays as the kernel answers it, with an op_failed event
// carrying the errno the syscall returns, and is never a bad trace. mmcapture
// stops at a failing syscall, so these are model tests, not captures.
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "tests/mm/model_harness.h"

namespace mmreplay::mm {
namespace {

constexpr uint64_t kPage = 4096;

class RefusedOpTest : public ModelTest {
 protected:
  // The log lines of the op_failed events recorded since the last call
  // (the other events dropped), one per line.
  std::string TakeFailures() {
    std::vector<std::string> lines;
    for (const Event& e : sink_.events) {
      if (e.kind() != EVENT_OP_FAILED) continue;
      lines.emplace_back();
      replay::AppendEventLine(e, &lines.back());
    }
    sink_.events.clear();
    return absl::StrJoin(lines, "\n");
  }
  void SetUp() override { Start(); }
  void TearDown() override { Verify(); }
  // The op_failed lines logged so far by an op that returned `s` (which
  // must be OK: a refused op is no bad trace).
  std::string Refused(const absl::Status& s) {
    EXPECT_TRUE(s.ok()) << s;
    return TakeFailures();
  }
  // The op_failed line of process 1's op over [kBase, kBase + length).
  static std::string Failure(uint64_t length, absl::string_view err,
                             absl::string_view reason) {
    return absl::StrFormat(
        "0 op_failed pid=1 addr=0x%x length=0x%x err=%s reason=%s", kBase,
        length, err, reason);
  }
  // A tmpfs file of `pages` pages mapped shared at `addr`.
  void MapFile(uint64_t addr, uint64_t pages) {
    ASSERT_TRUE(
        model_->FileCreate(1, FILESYSTEM_TMPFS, TMPFS_HUGE_NEVER, 0, 0).ok());
    ASSERT_TRUE(model_->Truncate(1, pages * kPage).ok());
    ASSERT_TRUE(model_->MmapFile(1, addr, pages * kPage, 3, 1, 1, 0).ok());
  }
  // Anonymous private memory at addr, written in small pages.
  void WrittenSmall(uint64_t addr, uint64_t pages) {
    ASSERT_TRUE(model_->MmapAnon(1, addr, pages * kPage, 3, 2).ok());
    ASSERT_TRUE(
        model_->Madvise(1, addr, pages * kPage, ADVICE_NOHUGEPAGE).ok());
    ASSERT_TRUE(model_->Touch(1, addr, pages * kPage, ACCESS_WRITE).ok());
  }
};

// madvise_free_single_vma(): MADV_FREE of a file mapping is -EINVAL.
TEST_F(RefusedOpTest, MadvFreeOfAFileMapping) {
  MapFile(kBase, 2);
  EXPECT_EQ(Refused(model_->Madvise(1, kBase, 2 * kPage, ADVICE_FREE)),
            Failure(0x2000, "-EINVAL", "madv_free"));
}

// madvise_walk_vmas() frees the private anonymous VMA before the file one,
// then fails there: the anonymous pages are lazily freed all the same.
TEST_F(RefusedOpTest, MadvFreeFreesTheVmasBeforeTheFileOne) {
  WrittenSmall(kBase, 4);
  MapFile(kBase + 4 * kPage, 2);
  EXPECT_EQ(Refused(model_->Madvise(1, kBase, 6 * kPage, ADVICE_FREE)),
            Failure(0x6000, "-EINVAL", "madv_free"));
  // (The lazyfree mark is no event; Verify() checks the state.)
}

// madvise() over a hole does the VMAs there are and returns -ENOMEM.
TEST_F(RefusedOpTest, MadviseOverAHole) {
  WrittenSmall(kBase, 4);
  EXPECT_EQ(Refused(model_->Madvise(1, kBase, 8 * kPage, ADVICE_DONTNEED)),
            Failure(0x8000, "-ENOMEM", "madv_dontneed"));
  EXPECT_EQ(Layout(kBase, 4 * kPage), "[hole*4]");
}

// do_mprotect_pkey(): a range that starts in a hole is -ENOMEM and changes
// nothing.
TEST_F(RefusedOpTest, MprotectFromAHole) {
  WrittenSmall(kBase + 4 * kPage, 4);
  EXPECT_EQ(Refused(model_->Mprotect(1, kBase, 8 * kPage, PROT_BITS_READ)),
            Failure(0x8000, "-ENOMEM", "mprotect"));
  EXPECT_TRUE(model_->MappedWritable(1, kBase + 4 * kPage));
}

// A hole after the start: the VMAs before it change, then -ENOMEM.
TEST_F(RefusedOpTest, MprotectOverAHoleChangesTheVmasBeforeIt) {
  WrittenSmall(kBase, 4);
  WrittenSmall(kBase + 8 * kPage, 4);
  EXPECT_EQ(Refused(model_->Mprotect(1, kBase, 12 * kPage, PROT_BITS_READ)),
            Failure(0xc000, "-ENOMEM", "mprotect"));
  EXPECT_FALSE(model_->MappedWritable(1, kBase));
  EXPECT_TRUE(model_->MappedWritable(1, kBase + 8 * kPage));
}

// GUP fails with -EFAULT where nothing is mapped: what it took before is
// given back, and the pin holds nothing (its unpin releases nothing).
TEST_F(RefusedOpTest, PinOfAnAddressNothingMaps) {
  WrittenSmall(kBase, 1);
  EXPECT_EQ(Refused(model_->Pin(1, 1, kBase, 2 * kPage, PIN_KIND_FOLL_PIN)),
            Failure(0x2000, "-EFAULT", "pin"));
  Verify();
  EXPECT_TRUE(model_->Unpin(1).ok());
  EXPECT_EQ(sink_.TakeKinds(), "");
}

// A FOLL_PIN is for write: of a read-only mapping, -EFAULT.
TEST_F(RefusedOpTest, FollPinOfAReadOnlyMapping) {
  ASSERT_TRUE(model_->MmapAnon(1, kBase, kPage, PROT_BITS_READ, 2).ok());
  EXPECT_EQ(Refused(model_->Pin(1, 1, kBase, kPage, PIN_KIND_FOLL_PIN)),
            Failure(0x1000, "-EFAULT", "pin"));
}

// madvise_collapse(): a VMA with VM_NOHUGEPAGE is -EINVAL up front.
TEST_F(RefusedOpTest, MadvCollapseOfANoHugepageVma) {
  WrittenSmall(kBase, 512);
  EXPECT_EQ(
      Refused(model_->Collapse(1, kBase, kThp, CollapseBy::kMadvCollapse)),
      Failure(0x200000, "-EINVAL", "collapse"));
}

// MADV_COLLAPSE over a hole: the block there is is collapsed, then -ENOMEM.
TEST_F(RefusedOpTest, MadvCollapseOverAHole) {
  WrittenSmall(kBase, 512);
  ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_HUGEPAGE).ok());
  EXPECT_EQ(
      Refused(model_->Collapse(1, kBase, 2 * kThp, CollapseBy::kMadvCollapse)),
      Failure(0x400000, "-ENOMEM", "collapse"));
  EXPECT_EQ(Layout(kBase, kThp), "O-9");
}

// A fault that finds no memory (VM_FAULT_OOM) stops the touch there: the
// machine's pages all written, the next page fails, the rest is untouched.
// One page fewer fits exactly and fails nothing.
TEST_F(RefusedOpTest, TouchStopsWhereMemoryRunsOut) {
  Start("linux-6.18", /*pages=*/1024);
  const uint64_t len = 4096 * kPage;
  ASSERT_TRUE(model_->MmapAnon(1, kBase, len, 3, 2).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase, len, ADVICE_NOHUGEPAGE).ok());
  // One PTE table covers 512 pages: the 1024 pages need two, which the
  // fault charges against the free pages before it allocates the page.
  EXPECT_EQ(Refused(model_->Touch(1, kBase, 1023 * kPage, ACCESS_WRITE)), "");
  EXPECT_EQ(Refused(model_->Touch(1, kBase, len, ACCESS_WRITE)),
            absl::StrFormat("0 op_failed pid=1 addr=0x%x length=0x%x "
                            "err=-ENOMEM reason=anon_fault",
                            kBase + 1024 * kPage, len - 1024 * kPage));
  EXPECT_EQ(Layout(kBase + 1024 * kPage, kPage), "[hole*1]");
}

// Reads of anonymous memory take no page but the zero page; the page
// tables they fill are charged against the free pages, so a read of a huge
// range stops, failed, at the first PMD whose table finds no free page.
TEST_F(RefusedOpTest, ZeroPageReadsStopWhenPageTablesRunOut) {
  Start("linux-6.18", /*pages=*/1024);
  const uint64_t len = uint64_t{1} << 40;  // 1 TiB: 2^19 PTE tables
  ASSERT_TRUE(model_->MmapAnon(1, kBase, len, 3, 2).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase, len, ADVICE_NOHUGEPAGE).ok());
  const uint64_t tables = 1024;  // one per free page
  EXPECT_EQ(Refused(model_->Touch(1, kBase, len, ACCESS_READ)),
            absl::StrFormat("0 op_failed pid=1 addr=0x%x length=0x%x "
                            "err=-ENOMEM reason=anon_fault",
                            kBase + tables * kThp, len - tables * kThp));
  EXPECT_EQ(Layout(kBase + tables * kThp - kPage, 2 * kPage), "[Z*1] [hole*1]");
}

// GUP's fault finding no memory: faultin_page() gives -ENOMEM, and the
// pin gives back what it took.
TEST_F(RefusedOpTest, PinFailsWhereMemoryRunsOut) {
  Start("linux-6.18", /*pages=*/1024);
  const uint64_t len = 2048 * kPage;
  ASSERT_TRUE(model_->MmapAnon(1, kBase, len, 3, 2).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase, len, ADVICE_NOHUGEPAGE).ok());
  EXPECT_EQ(Refused(model_->Pin(1, 1, kBase, len, PIN_KIND_FOLL_PIN)),
            Failure(len, "-ENOMEM", "pin"));
  ASSERT_TRUE(model_->Unpin(1).ok());
}

}  // namespace
}  // namespace mmreplay::mm
