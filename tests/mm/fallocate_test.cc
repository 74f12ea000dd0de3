// fallocate() of tmpfs files (mm/fallocate.cc), at the edges the live
// kernel showed (traces/captured/shmem_fallocate_*): folio orders sized by
// the range's end, EOF and fallocend.
#include <string>

#include "base/page_geometry.h"
#include "gtest/gtest.h"
#include "tests/mm/model_harness.h"

namespace mmreplay::mm {
namespace {

class FallocateTest : public ModelTest {
 protected:
  void File(TmpfsHuge huge) {
    Start();
    ASSERT_TRUE(model_->FileCreate(1, FILESYSTEM_TMPFS, huge, 0, 0).ok());
  }
  std::string Falloc(uint64_t offset, uint64_t length, bool keep,
                     uint64_t observe = kThp) {
    absl::Status s = model_->Fallocate(1, offset, length, keep);
    if (!s.ok()) return std::string(s.message());
    return FileLayout(observe);
  }
};

TEST_F(FallocateTest, AlwaysStraddlingPmdTakesTwoThps) {
  File(TMPFS_HUGE_ALWAYS);
  // i_size ends one page into the second THP, which is seen whole (its
  // pages past EOF decoded from the page inside it).
  EXPECT_EQ(Falloc(kThp - kPageSize, 2 * kPageSize, false, 2 * kThp), "O-9 x2");
  EXPECT_EQ(model_->counters().Get(MthpStat::kShmemAlloc, 9), 2);
}

TEST_F(FallocateTest, WithinSizeBoundedByRangeEnd) {
  File(TMPFS_HUGE_WITHIN_SIZE);
  // [0x1f0000, +128 KiB): order 9 below the PMD edge, order 4 above it.
  EXPECT_EQ(Falloc(0x1f0000, 0x20000, false, 2 * kThp), "O-9 O-4 [hole*496]");
}

TEST_F(FallocateTest, WithinSizeOneByteShortOfOrderFour) {
  File(TMPFS_HUGE_WITHIN_SIZE);
  // 16 pages less one byte: the range's end is inside page 15, rounded up
  // to the page, so order 4 still fits; 15 pages do not make order 4.
  EXPECT_EQ(Falloc(0, 16 * kPageSize - 1, false, 16 * kPageSize), "O-4");
  File(TMPFS_HUGE_WITHIN_SIZE);
  EXPECT_EQ(Falloc(0, 15 * kPageSize, false, 15 * kPageSize),
            "O-3 O-2 O-1 O-0");
}

TEST_F(FallocateTest, KeepSizeLeavesSizeAndHidesFoliosPastEof) {
  File(TMPFS_HUGE_WITHIN_SIZE);
  // Sized by the range's end although i_size stays 0; a folio that starts
  // at or past EOF is not seen (as mincore and mmcapture do not see it).
  EXPECT_EQ(Falloc(0, 16 * kPageSize, true, 16 * kPageSize), "[hole*16]");
  ASSERT_TRUE(model_->Truncate(1, 16 * kPageSize).ok());
  EXPECT_EQ(FileLayout(16 * kPageSize), "O-4");
}

TEST_F(FallocateTest, ExistingFoliosAreKept) {
  File(TMPFS_HUGE_ALWAYS);
  ASSERT_TRUE(model_->FileWrite(1, 0, kPageSize).ok());
  sink_.TakeKinds();
  EXPECT_EQ(Falloc(0, kThp, false), "O-9");
  EXPECT_EQ(sink_.TakeKinds(), "");  // the write's THP covers the range
}

TEST_F(FallocateTest, ShrinkerKeepsFoliosBelowFallocend) {
  File(TMPFS_HUGE_ALWAYS);
  ASSERT_TRUE(model_->FileWrite(1, 0, 0x1805).ok());
  EXPECT_EQ(Falloc(0, 3 * kThp, true), "O-9");
  ASSERT_TRUE(model_->DeferredSplitScan(0).ok());
  EXPECT_EQ(FileLayout(kThp), "O-9");  // no split: fallocend is past it
  EXPECT_EQ(model_->counters().Get(VmEvent::kThpSplitPage), 0);
}

TEST_F(FallocateTest, ShrinkerSplitsWithoutFallocate) {
  File(TMPFS_HUGE_ALWAYS);
  ASSERT_TRUE(model_->FileWrite(1, 0, 0x1805).ok());
  ASSERT_TRUE(model_->DeferredSplitScan(0).ok());
  EXPECT_EQ(FileLayout(kThp), "O-0 x2 [hole*510]");
}

TEST_F(FallocateTest, OutOfMemoryUndoesThisCallOnly) {
  Start("linux-6.18", 1024);  // 4 MiB: room for one THP and a few pages
  ASSERT_TRUE(
      model_->FileCreate(1, FILESYSTEM_TMPFS, TMPFS_HUGE_NEVER, 0, 0).ok());
  ASSERT_TRUE(model_->FileWrite(1, 0, kPageSize).ok());
  sink_.TakeKinds();
  EXPECT_EQ(Falloc(0, 3 * kThp, false, kPageSize), "O-0");
  std::string kinds = sink_.TakeKinds();
  EXPECT_NE(kinds.find("op_failed"), std::string::npos);
  EXPECT_NE(kinds.find("cache_remove"), std::string::npos);
  // The written page stays; the size is not extended.
  EXPECT_EQ(FileLayout(2 * kPageSize), "O-0 [hole*1]");
  ASSERT_TRUE(model_->Verify().ok());
}

}  // namespace
}  // namespace mmreplay::mm
