// The split engine, through the cases of the kernel's selftest
// split_huge_page_test.c that the model can express (KERNEL.md section 7)
// and the orders of seed 000.
#include <algorithm>
#include <cstdint>
#include <map>
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
  ASSERT_TRUE(
      model_->SplitRange(1, kBase, 4096, {0, SplitKind::kNonUniform, 2}).ok());
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
  ASSERT_TRUE(
      model_->SplitRange(1, kBase, 4096, {3, SplitKind::kNonUniform, 16}).ok());
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
    ASSERT_TRUE(model_->SplitRange(1, kBase, 4 * kThp, {order}).ok());
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
  ASSERT_TRUE(model_->SplitRange(1, kBase, 4 * kThp, {0}).ok());
  EXPECT_EQ(Layout(kBase, 4 * kThp),
            "O-0 [Z*511] O-0 [Z*511] O-0 [Z*511] O-0 [Z*511]");
  Verify();
}

TEST_F(SplitTest, AnonOrder1IsRefusedUncounted) {
  Start();
  FaultThps(1);
  sink_.TakeKinds();
  ASSERT_TRUE(model_->SplitRange(1, kBase, 4096, {1}).ok());
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
  ASSERT_TRUE(model_->SplitRange(1, kBase, kThp, {0}).ok());
  EXPECT_EQ(Layout(kBase, kThp), "O-9");
  EXPECT_EQ(Count(MthpStat::kSplitFailed, 9), 0);
  ASSERT_TRUE(model_->Unpin(1).ok());
  ASSERT_TRUE(model_->SplitRange(1, kBase, kThp, {0}).ok());
  EXPECT_EQ(Layout(kBase, kThp), "O-0 x512");
  Verify();
}

TEST_F(SplitTest, InFolioOffsetPastTheFolioMeansUniform) {
  Start();
  FaultThps(1);
  ASSERT_TRUE(
      model_->SplitRange(1, kBase, 4096, {4, SplitKind::kNonUniform, 512})
          .ok());
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

// split_file_backed_thp(o), o = 0..8: tmpfs huge=always, 4 MiB written (two
// THPs), split through the file (debugfs `/path,0x0,0x400,o`): uniformly
// to order o, order 1 included (a file folio may have it).
TEST_F(SplitTest, FileBackedThpToEveryOrder) {
  for (uint32_t order = 0; order <= 8; ++order) {
    SCOPED_TRACE(order);
    Start();
    ASSERT_TRUE(
        model_->FileCreate(1, FILESYSTEM_TMPFS, TMPFS_HUGE_ALWAYS, 0, 0).ok());
    ASSERT_TRUE(model_->FileWrite(1, 0, 2 * kThp).ok());
    ASSERT_EQ(FileLayout(2 * kThp), "O-9 x2");
    ASSERT_TRUE(model_->SplitFileRange(1, 0, 2 * kThp, {order}).ok());
    EXPECT_EQ(FileLayout(2 * kThp),
              absl::StrCat("O-", order, " x", 2 << (9 - order)));
    EXPECT_EQ(Count(VmEvent::kThpSplitPage), 2);
    Verify();
  }
}

// The selftest's page-cache cases: a 4 MiB file of a filesystem with large
// folios (max order 9), written, mapped shared with MADV_HUGEPAGE and read
// (two PMD-mapped folios), then each PMD split through its first page
// (debugfs `pid,addr,addr+1,o[,offset]`).
class PagecacheSplitTest : public SplitTest {
 protected:
  void SetUpFile() {
    Start();
    ASSERT_TRUE(
        model_
            ->FileCreate(1, FILESYSTEM_PAGE_CACHE, TMPFS_HUGE_UNSPECIFIED, 0, 9)
            .ok());
    ASSERT_TRUE(model_->FileWrite(1, 0, 2 * kThp).ok());
    ASSERT_TRUE(model_
                    ->MmapFile(1, kBase, 2 * kThp,
                               PROT_BITS_READ | PROT_BITS_WRITE,
                               MAP_BITS_SHARED, 1, 0)
                    .ok());
    ASSERT_TRUE(model_->Madvise(1, kBase, 2 * kThp, ADVICE_HUGEPAGE).ok());
    ASSERT_TRUE(model_->Touch(1, kBase, 2 * kThp, ACCESS_READ).ok());
    ASSERT_EQ(FileLayout(2 * kThp), "O-9 x2");
    ASSERT_EQ(PmdMapped(kBase, 2 * kThp), 1024u);
  }
  void SplitEachPmd(uint32_t order, bool non_uniform, uint64_t offset) {
    for (uint64_t a = kBase; a < kBase + 2 * kThp; a += kThp) {
      ASSERT_TRUE(model_
                      ->SplitRange(1, a, kPageSize,
                                   SplitTo::Of(order, non_uniform, offset))
                      .ok());
    }
  }
  // How many folios of each order the file holds (whole folios only).
  std::map<uint32_t, int> FolioOrders() {
    std::map<uint32_t, int> orders;
    const absl::StatusOr<trace::Layout> layout =
        model_->FileLayout(1, 0, 2 * kThp);
    EXPECT_TRUE(layout.ok());
    for (const LayoutRun& r : *layout) {
      if (r.kind == LayoutRun::Kind::kFolio && r.first == 0) ++orders[r.order];
    }
    return orders;
  }
};

// Uniform, o = 8..0: fd_size / (4K << o) folios of order o, FilePmdMapped 0.
TEST_F(PagecacheSplitTest, UniformSplitToEveryOrder) {
  for (int order = 8; order >= 0; --order) {
    SCOPED_TRACE(order);
    SetUpFile();
    SplitEachPmd(order, false, 0);
    EXPECT_EQ(FileLayout(2 * kThp),
              absl::StrCat("O-", order, " x", 2 << (9 - order)));
    EXPECT_EQ(PmdMapped(kBase, 2 * kThp), 0u);
    Verify();
  }
}

// folio_split, o = 0..8, at every offset in steps of max(128, 2^o) below
// 512: each PMD folio becomes one folio of each order o+1..8 and two of
// order o (order 1 included: a file folio may have it).
TEST_F(PagecacheSplitTest, NonUniformSplitAtEveryOffset) {
  for (uint32_t order = 0; order <= 8; ++order) {
    for (uint64_t offset = 0; offset < 512;
         offset += std::max<uint64_t>(128, uint64_t{1} << order)) {
      SCOPED_TRACE(absl::StrCat("order ", order, " offset ", offset));
      SetUpFile();
      SplitEachPmd(order, true, offset);
      std::map<uint32_t, int> want;
      for (uint32_t o = order + 1; o <= 8; ++o) want[o] = 2;
      want[order] = 4;
      EXPECT_EQ(FolioOrders(), want) << FileLayout(2 * kThp);
      EXPECT_EQ(PmdMapped(kBase, 2 * kThp), 0u);
      Verify();
    }
  }
}

}  // namespace
}  // namespace mmreplay::mm
