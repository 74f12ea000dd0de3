// mremap() (mm/mremap.cc): moves of a PMD THP aligned and not, a page moved
// out, shrink and grow, and the refusals (traces/captured/mremap_*).
#include <string>

#include "base/page_geometry.h"
#include "gtest/gtest.h"
#include "tests/mm/model_harness.h"

namespace mmreplay::mm {
namespace {

constexpr uint32_t kMayMove = 1;
constexpr uint32_t kFixed = 2;
constexpr uint64_t kFar = kBase + 16 * kThp;

class MremapTest : public ModelTest {
 protected:
  void SetUp() override {
    Start();
    FaultThps(1);
    ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_NOHUGEPAGE).ok());
    sink_.TakeKinds();
  }
  absl::Status Move(uint64_t from, uint64_t len, uint64_t to) {
    return model_->Mremap(1, from, len, len, kMayMove | kFixed, to);
  }
  std::string Check() {
    absl::Status s = model_->Verify();
    return s.ok() ? "ok" : std::string(s.message());
  }
};

TEST_F(MremapTest, AlignedMoveKeepsThePmd) {
  ASSERT_TRUE(Move(kBase, kThp, kFar).ok());
  EXPECT_EQ(Layout(kFar, kThp), "O-9");
  EXPECT_EQ(PmdMapped(kFar, kThp), 512u);
  EXPECT_EQ(Layout(kBase, kThp), "[hole*512]");
  EXPECT_EQ(model_->counters().Get(VmEvent::kThpSplitPmd), 0);
  EXPECT_EQ(Check(), "ok");
}

TEST_F(MremapTest, MoveOnePageOffAlignmentSplitsThePmdOnly) {
  ASSERT_TRUE(Move(kBase, kThp, kFar + kPageSize).ok());
  EXPECT_EQ(Layout(kFar + kPageSize, kThp), "O-9");
  EXPECT_EQ(PmdMapped(kFar + kPageSize, kThp), 0u);
  EXPECT_EQ(model_->counters().Get(VmEvent::kThpSplitPmd), 1);
  EXPECT_EQ(model_->counters().Get(VmEvent::kThpDeferredSplitPage), 0);
  EXPECT_EQ(Check(), "ok");
}

TEST_F(MremapTest, PageMovedOutThenTheRestUnmapped) {
  ASSERT_TRUE(Move(kBase + kPageSize, kPageSize, kFar + kPageSize).ok());
  EXPECT_EQ(Layout(kBase, kThp), "O-9[0+1] [hole*1] O-9[2+510]");
  EXPECT_EQ(Layout(kFar + kPageSize, kPageSize), "O-9[1+1]");
  EXPECT_EQ(Check(), "ok");
  ASSERT_TRUE(model_->Munmap(1, kBase, kThp).ok());
  EXPECT_EQ(model_->counters().Get(VmEvent::kThpDeferredSplitPage), 1);
  ASSERT_TRUE(model_->DeferredSplitScan(0).ok());
  EXPECT_EQ(Layout(kFar + kPageSize, kPageSize), "O-0");
  EXPECT_EQ(Check(), "ok");
}

TEST_F(MremapTest, FaultsInAMovedVmaFollowItsPgoff) {
  ASSERT_TRUE(model_->MmapAnon(1, kFar, 4 * kPageSize, 3, 2).ok());
  ASSERT_TRUE(Move(kFar, 4 * kPageSize, kFar + kThp + 3 * kPageSize).ok());
  ASSERT_TRUE(
      model_->Touch(1, kFar + kThp + 3 * kPageSize, 4 * kPageSize, ACCESS_WRITE)
          .ok());
  EXPECT_EQ(Check(), "ok");
  ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
  ASSERT_TRUE(
      model_->Touch(2, kFar + kThp + 4 * kPageSize, kPageSize, ACCESS_WRITE)
          .ok());
  EXPECT_EQ(Check(), "ok");
}

TEST_F(MremapTest, ShrinkUnmapsTheTail) {
  ASSERT_TRUE(model_->Mremap(1, kBase, kThp, kThp / 2, 0, 0).ok());
  EXPECT_EQ(Layout(kBase, kThp), "O-9[0+256] [hole*256]");
  EXPECT_EQ(model_->counters().Get(VmEvent::kThpDeferredSplitPage), 1);
}

TEST_F(MremapTest, GrowInPlaceOrFail) {
  ASSERT_TRUE(model_->Mremap(1, kBase, kThp, 2 * kThp, 0, 0).ok());
  EXPECT_EQ(PmdMapped(kBase, kThp), 512u);
  ASSERT_TRUE(model_->Touch(1, kBase + kThp, kPageSize, ACCESS_WRITE).ok());
  // Blocked by a mapping after it: -ENOMEM without MREMAP_MAYMOVE, and a
  // move the trace cannot name with it.
  ASSERT_TRUE(model_->MmapAnon(1, kBase + 2 * kThp, kPageSize, 3, 2).ok());
  sink_.TakeKinds();
  ASSERT_TRUE(model_->Mremap(1, kBase, 2 * kThp, 3 * kThp, 0, 0).ok());
  EXPECT_EQ(sink_.TakeKinds(), "op_failed");
  EXPECT_FALSE(model_->Mremap(1, kBase, 2 * kThp, 3 * kThp, kMayMove, 0).ok());
}

TEST_F(MremapTest, OverlappingMoveIsRefused) {
  ASSERT_TRUE(Move(kBase, kThp, kBase + kPageSize).ok());
  EXPECT_EQ(sink_.TakeKinds(), "op_failed");
  EXPECT_EQ(PmdMapped(kBase, kThp), 512u);
}

}  // namespace
}  // namespace mmreplay::mm
