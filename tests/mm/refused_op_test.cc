// Ops the kernel refuses or fails (docs/model.md, "Ops the kernel
// refuses"): each replays as the kernel answers it, with an op_failed event
// carrying the errno the syscall returns, and is never a bad trace. mmcapture
// stops at a failing syscall, so these are model tests, not captures.
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
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
  Start();
  MapFile(kBase, 2);
  sink_.events.clear();
  EXPECT_TRUE(model_->Madvise(1, kBase, 2 * kPage, ADVICE_FREE).ok());
  EXPECT_EQ(TakeFailures(),
            "0 op_failed pid=1 addr=0x200000000000 length=0x2000 err=-EINVAL "
            "reason=madv_free");
  Verify();
}

// madvise_walk_vmas() frees the private anonymous VMA before the file one,
// then fails there: the anonymous pages are lazily freed all the same.
TEST_F(RefusedOpTest, MadvFreeFreesTheVmasBeforeTheFileOne) {
  Start();
  WrittenSmall(kBase, 4);
  MapFile(kBase + 4 * kPage, 2);
  sink_.events.clear();
  EXPECT_TRUE(model_->Madvise(1, kBase, 6 * kPage, ADVICE_FREE).ok());
  EXPECT_EQ(TakeFailures(),
            "0 op_failed pid=1 addr=0x200000000000 length=0x6000 err=-EINVAL "
            "reason=madv_free");
  // A lazily freed page is writable still; the model marks the folio.
  EXPECT_TRUE(model_->MappedWritable(1, kBase));
  Verify();
}

// madvise() over a hole does the VMAs there are and returns -ENOMEM.
TEST_F(RefusedOpTest, MadviseOverAHole) {
  Start();
  WrittenSmall(kBase, 4);
  sink_.events.clear();
  EXPECT_TRUE(model_->Madvise(1, kBase, 8 * kPage, ADVICE_DONTNEED).ok());
  EXPECT_EQ(Layout(kBase, 4 * kPage), "[hole*4]");
  EXPECT_EQ(TakeFailures(),
            "0 op_failed pid=1 addr=0x200000000000 length=0x8000 err=-ENOMEM "
            "reason=madv_dontneed");
  Verify();
}

// do_mprotect_pkey(): a range that starts in a hole is -ENOMEM and changes
// nothing.
TEST_F(RefusedOpTest, MprotectFromAHole) {
  Start();
  WrittenSmall(kBase + 4 * kPage, 4);
  sink_.events.clear();
  EXPECT_TRUE(model_->Mprotect(1, kBase, 8 * kPage, PROT_BITS_READ).ok());
  EXPECT_EQ(TakeFailures(),
            "0 op_failed pid=1 addr=0x200000000000 length=0x8000 err=-ENOMEM "
            "reason=mprotect");
  EXPECT_TRUE(model_->MappedWritable(1, kBase + 4 * kPage));
  Verify();
}

// A hole after the start: the VMAs before it change, then -ENOMEM.
TEST_F(RefusedOpTest, MprotectOverAHoleChangesTheVmasBeforeIt) {
  Start();
  WrittenSmall(kBase, 4);
  WrittenSmall(kBase + 8 * kPage, 4);
  sink_.events.clear();
  EXPECT_TRUE(model_->Mprotect(1, kBase, 12 * kPage, PROT_BITS_READ).ok());
  EXPECT_EQ(TakeFailures(),
            "0 op_failed pid=1 addr=0x200000000000 length=0xc000 err=-ENOMEM "
            "reason=mprotect");
  EXPECT_FALSE(model_->MappedWritable(1, kBase));
  EXPECT_TRUE(model_->MappedWritable(1, kBase + 8 * kPage));
  Verify();
}

// GUP fails with -EFAULT where nothing is mapped: what it took before is
// given back, and the pin holds nothing (its unpin releases nothing).
TEST_F(RefusedOpTest, PinOfAnAddressNothingMaps) {
  Start();
  WrittenSmall(kBase, 1);
  sink_.events.clear();
  EXPECT_TRUE(model_->Pin(1, 1, kBase, 2 * kPage, PIN_KIND_FOLL_PIN).ok());
  EXPECT_EQ(TakeFailures(),
            "0 op_failed pid=1 addr=0x200000000000 length=0x2000 err=-EFAULT "
            "reason=pin");
  Verify();
  EXPECT_TRUE(model_->Unpin(1).ok());
  EXPECT_EQ(sink_.TakeKinds(), "");
  Verify();
}

// A FOLL_PIN is for write: of a read-only mapping, -EFAULT.
TEST_F(RefusedOpTest, FollPinOfAReadOnlyMapping) {
  Start();
  ASSERT_TRUE(model_->MmapAnon(1, kBase, kPage, PROT_BITS_READ, 2).ok());
  sink_.events.clear();
  EXPECT_TRUE(model_->Pin(1, 1, kBase, kPage, PIN_KIND_FOLL_PIN).ok());
  EXPECT_EQ(TakeFailures(),
            "0 op_failed pid=1 addr=0x200000000000 length=0x1000 err=-EFAULT "
            "reason=pin");
  Verify();
}

// madvise_collapse(): a VMA with VM_NOHUGEPAGE is -EINVAL up front.
TEST_F(RefusedOpTest, MadvCollapseOfANoHugepageVma) {
  Start();
  WrittenSmall(kBase, 512);
  sink_.events.clear();
  EXPECT_TRUE(model_->Collapse(1, kBase, kThp, /*khugepaged=*/false).ok());
  EXPECT_EQ(TakeFailures(),
            "0 op_failed pid=1 addr=0x200000000000 length=0x200000 "
            "err=-EINVAL reason=collapse");
  Verify();
}

// MADV_COLLAPSE over a hole: the block there is is collapsed, then -ENOMEM.
TEST_F(RefusedOpTest, MadvCollapseOverAHole) {
  Start();
  WrittenSmall(kBase, 512);
  ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_HUGEPAGE).ok());
  sink_.events.clear();
  EXPECT_TRUE(model_->Collapse(1, kBase, 2 * kThp, /*khugepaged=*/false).ok());
  EXPECT_EQ(Layout(kBase, kThp), "O-9");
  EXPECT_EQ(TakeFailures(),
            "0 op_failed pid=1 addr=0x200000000000 length=0x400000 "
            "err=-ENOMEM reason=collapse");
  Verify();
}

}  // namespace
}  // namespace mmreplay::mm
