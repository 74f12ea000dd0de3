// The split engine, through the cases of the kernel's selftest
// split_huge_page_test.c that the model can express (KERNEL.md section 7)
// and the orders of seed 000.
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/mm/model_harness.h"

namespace mmreplay::mm {
namespace {

class SplitTest : public ModelTest {};

// Seed 000: splitting an order-9 anonymous folio at page 2 to order 0
// gives 0,0,0,0,2,3,...,8 (no order 1 for anon).
TEST_F(SplitTest, SeedAnonNonUniformSplitAtPage2) {
  Start();
  FaultThps(1);
  ASSERT_EQ(Layout(kBase, kThp), "O-9");
  ASSERT_TRUE(model_->SplitRange(1, kBase, 4096, 0, true, 2).ok());
  EXPECT_EQ(Layout(kBase, kThp), "O-0 x4 O-2 O-3 O-4 O-5 O-6 O-7 O-8");
  EXPECT_EQ(PmdMapped(kBase, kThp), 0u);
  EXPECT_EQ(Count(VmEvent::kThpSplitPage), 1);
  EXPECT_EQ(Count(MthpStat::kSplit, 9), 1);
  Verify();
}

// The kernel comment's example: split at page 16 to order 3.
TEST_F(SplitTest, NonUniformSplitAt16ToOrder3) {
  Start();
  FaultThps(1);
  ASSERT_TRUE(model_->SplitRange(1, kBase, 4096, 3, true, 16).ok());
  EXPECT_EQ(Layout(kBase, kThp), "O-4 O-3 x2 O-5 O-6 O-7 O-8");
  Verify();
}

// split_pmd_thp_to_order(o), o = 0, 2..8: four THPs with data split
// uniformly give 4 << (9 - o) folios of order o and no PMD mappings.
TEST_F(SplitTest, UniformSplitOfFourThpsToEveryOrder) {
  for (uint32_t order : {0u, 2u, 3u, 4u, 5u, 6u, 7u, 8u}) {
    SCOPED_TRACE(order);
    Start();
    FaultThps(4);
    ASSERT_TRUE(model_->SplitRange(1, kBase, 4 * kThp, order, false, 0).ok());
    EXPECT_EQ(Layout(kBase, 4 * kThp),
              absl::StrCat("O-", order, " x", 4 << (9 - order)));
    EXPECT_EQ(PmdMapped(kBase, 4 * kThp), 0u);
    EXPECT_EQ(Count(VmEvent::kThpSplitPage), 4);
    EXPECT_EQ(Count(MthpStat::kNrAnon, 9), 0);
    if (order >= 2) {
      EXPECT_EQ(Count(MthpStat::kNrAnon, order), 4 << (9 - order));
    }
    Verify();
  }
}

// split_pmd_zero_pages: after a split to order 0, pages that were never
// written go to the shared zero page and are freed.
TEST_F(SplitTest, ZeroPagesAreRemappedToTheZeroPageAfterASplit) {
  Start();
  ASSERT_TRUE(model_->MmapAnon(1, kBase, 4 * kThp, 3, 2).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase, 4 * kThp, ADVICE_HUGEPAGE).ok());
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(model_->Touch(1, kBase + i * kThp, 4096, ACCESS_WRITE).ok());
  }
  ASSERT_EQ(Layout(kBase, 4 * kThp), "O-9 x4");
  ASSERT_TRUE(model_->SplitRange(1, kBase, 4 * kThp, 0, false, 0).ok());
  EXPECT_EQ(Layout(kBase, 4 * kThp),
            "O-0 [Z*511] O-0 [Z*511] O-0 [Z*511] O-0 [Z*511]");
  Verify();
}

TEST_F(SplitTest, AnonOrder1IsRefusedUncounted) {
  Start();
  FaultThps(1);
  sink_.TakeKinds();
  ASSERT_TRUE(model_->SplitRange(1, kBase, 4096, 1, false, 0).ok());
  EXPECT_EQ(sink_.TakeKinds(), "split_failed");
  EXPECT_EQ(sink_.events.empty(), true);
  EXPECT_EQ(Layout(kBase, kThp), "O-9");
  EXPECT_EQ(Count(MthpStat::kSplitFailed, 9), 0);
}

// split_huge_pages_pid() skips a folio can_split_folio() refuses.
TEST_F(SplitTest, PinnedFolioIsSkippedBySplitRequests) {
  Start();
  FaultThps(1);
  ASSERT_TRUE(
      model_->Pin(1, 1, kBase + 4096 * 5, 4096, PIN_KIND_VMSPLICE).ok());
  ASSERT_TRUE(model_->SplitRange(1, kBase, kThp, 0, false, 0).ok());
  EXPECT_EQ(Layout(kBase, kThp), "O-9");
  EXPECT_EQ(Count(MthpStat::kSplitFailed, 9), 0);
  ASSERT_TRUE(model_->Unpin(1).ok());
  ASSERT_TRUE(model_->SplitRange(1, kBase, kThp, 0, false, 0).ok());
  EXPECT_EQ(Layout(kBase, kThp), "O-0 x512");
  Verify();
}

TEST_F(SplitTest, InFolioOffsetPastTheFolioMeansUniform) {
  Start();
  FaultThps(1);
  ASSERT_TRUE(model_->SplitRange(1, kBase, 4096, 4, true, 512).ok());
  EXPECT_EQ(Layout(kBase, kThp), "O-4 x32");
}

// A PTE-mapped folio is seen partially mapped while try_to_migrate() takes
// its PTEs away: the split counts split_deferred (as the kernel showed for
// MADV_FREE of a page of a 32K folio).
TEST_F(SplitTest, SplittingAPteMappedFolioCountsADeferredSplit) {
  Start();
  SetKnob(KNOB_ANON_ORDER_ENABLED, 3, KNOB_VALUE_ALWAYS);
  ASSERT_TRUE(model_->MmapAnon(1, kBase, 32 * 4096, 3, 2).ok());
  ASSERT_TRUE(model_->Touch(1, kBase, 32 * 4096, ACCESS_WRITE).ok());
  ASSERT_EQ(Layout(kBase, 32 * 4096), "O-3 x4");
  ASSERT_TRUE(model_->Madvise(1, kBase + 2 * 4096, 4096, ADVICE_FREE).ok());
  EXPECT_EQ(Layout(kBase, 32 * 4096), "O-0 x8 O-3 x3");
  EXPECT_EQ(Count(MthpStat::kSplitDeferred, 3), 1);
  EXPECT_EQ(Count(MthpStat::kSplit, 3), 1);
  EXPECT_EQ(Count(MthpStat::kNrAnonPartiallyMapped, 3), 0);
  Verify();
}

}  // namespace
}  // namespace mmreplay::mm
