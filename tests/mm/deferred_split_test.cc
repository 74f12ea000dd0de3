// Zaps, the deferred split queue and its shrinker, and the profile switches
// of seed 001.
#include <string>
#include <utility>
#include <vector>

#include "tests/mm/model_harness.h"

namespace mmreplay::mm {
namespace {

class DeferredSplitTest : public ModelTest {};

// ORACLE.md: DONTNEED of page 1 leaves the THP whole and queued, counted
// once; the shrinker splits it uniformly and frees the zapped page.
TEST_F(DeferredSplitTest, PartialZapQueuesAndTheShrinkerSplits) {
  Start();
  FaultThps(1);
  ASSERT_TRUE(model_->Madvise(1, kBase + 4096, 4096, ADVICE_DONTNEED).ok());
  EXPECT_EQ(Layout(kBase, kThp), "O-9[0+1] [hole*1] O-9[2+510]");
  EXPECT_EQ(Count(VmEvent::kThpDeferredSplitPage), 1);
  EXPECT_EQ(Count(MthpStat::kNrAnonPartiallyMapped, 9), 1);
  ASSERT_TRUE(model_->Madvise(1, kBase + 8 * 4096, 4096, ADVICE_DONTNEED).ok());
  EXPECT_EQ(Count(VmEvent::kThpDeferredSplitPage), 1);  // counted once
  ASSERT_TRUE(model_->DeferredSplitScan(0).ok());
  EXPECT_EQ(Layout(kBase, kThp), "O-0 [hole*1] O-0 x6 [hole*1] O-0 x503");
  EXPECT_EQ(Count(VmEvent::kThpSplitPage), 1);
  EXPECT_EQ(Count(MthpStat::kNrAnonPartiallyMapped, 9), 0);
  EXPECT_EQ(Count(MthpStat::kNrAnon, 9), 0);
  Verify();
}

TEST_F(DeferredSplitTest, WholeZapFreesWithoutDeferral) {
  Start();
  FaultThps(1);
  sink_.TakeKinds();
  ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_DONTNEED).ok());
  // The fault queued it as possibly underused; the free takes it off.
  EXPECT_EQ(sink_.TakeKinds(), "unmap deferred_remove folio_free");
  EXPECT_EQ(Count(VmEvent::kThpDeferredSplitPage), 0);
  Verify();
}

// Seed 001: with batched rmap removal, a PTE-mapped large folio whose PTEs
// all go in one zap is freed without passing through the queue; without
// it (linux-6.1), it is queued by the first PTE and unqueued at the free.
TEST_F(DeferredSplitTest, BatchedZapOfAPteMappedFolioNeverQueues) {
  for (const char* profile : {"linux-6.18", "linux-6.1"}) {
    SCOPED_TRACE(profile);
    Start(profile);
    FaultThps(1);
    ASSERT_TRUE(model_->Mprotect(1, kBase, 4096, 1).ok());  // PTE-map it
    ASSERT_TRUE(model_->Mprotect(1, kBase, 4096, 3).ok());
    sink_.TakeKinds();
    ASSERT_TRUE(model_->Munmap(1, kBase, kThp).ok());
    std::string kinds = sink_.TakeKinds();
    bool queued = kinds.find("deferred_add") != std::string::npos;
    EXPECT_EQ(queued, std::string(profile) == "linux-6.1") << kinds;
    EXPECT_EQ(Count(VmEvent::kThpDeferredSplitPage), queued ? 1 : 0);
    Verify();
  }
}

// A 64 KiB region with hugepages-64kB/enabled "always": one order-4 mTHP
// from v6.8 (Profile::anon_mthp), 16 small folios before.
TEST_F(DeferredSplitTest, MthpFaultNeedsAnonMthp) {
  for (auto [profile, layout] :
       std::vector<std::pair<std::string, std::string>>{
           {"linux-6.18", "O-4"}, {"linux-6.6", "O-0 x16"}}) {
    SCOPED_TRACE(profile);
    Start(profile);
    SetKnob(KNOB_ANON_ORDER_ENABLED, 4, KNOB_VALUE_ALWAYS);
    ASSERT_TRUE(model_->MmapAnon(1, kBase, 16 * 4096, 3, 2).ok());
    ASSERT_TRUE(model_->Touch(1, kBase, 16 * 4096, ACCESS_WRITE).ok());
    EXPECT_EQ(Layout(kBase, 16 * 4096), layout);
    Verify();
  }
}

// Seed 001: a partly zapped mTHP is queued (split_deferred) only where any
// large anon folio may be (Profile::deferred_split_any_order); before, only
// PMD-sized ones were. The switch alone, in an otherwise 6.18 profile.
TEST_F(DeferredSplitTest, PartlyZappedMthpQueuedOnlyWithAnyOrder) {
  for (bool any_order : {true, false}) {
    SCOPED_TRACE(any_order);
    Profile profile = *ProfileByName("linux-6.18");
    profile.deferred_split_any_order = any_order;
    Start(profile);
    SetKnob(KNOB_ANON_ORDER_ENABLED, 4, KNOB_VALUE_ALWAYS);
    ASSERT_TRUE(model_->MmapAnon(1, kBase, 16 * 4096, 3, 2).ok());
    ASSERT_TRUE(model_->Touch(1, kBase, 16 * 4096, ACCESS_WRITE).ok());
    sink_.TakeKinds();
    ASSERT_TRUE(model_->Madvise(1, kBase + 4096, 4096, ADVICE_DONTNEED).ok());
    const std::string kinds = sink_.TakeKinds();
    EXPECT_EQ(kinds.find("deferred_add") != std::string::npos, any_order)
        << kinds;
    EXPECT_EQ(Count(MthpStat::kSplitDeferred, 4), any_order ? 1 : 0);
    EXPECT_EQ(Count(MthpStat::kNrAnonPartiallyMapped, 4), any_order ? 1 : 0);
    ASSERT_TRUE(model_->DeferredSplitScan(0).ok());
    EXPECT_EQ(Layout(kBase, 16 * 4096), any_order
                                            ? "O-0 [hole*1] O-0 x14"
                                            : "O-4[0+1] [hole*1] O-4[2+14]");
    Verify();
  }
}

TEST_F(DeferredSplitTest, PinnedFolioStaysQueuedUntilThePinGoes) {
  Start();
  FaultThps(1);
  ASSERT_TRUE(
      model_->Pin(1, 1, kBase + 10 * 4096, 4096, PIN_KIND_VMSPLICE).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase + 4096, 4096, ADVICE_DONTNEED).ok());
  ASSERT_TRUE(model_->DeferredSplitScan(0).ok());
  EXPECT_EQ(Count(VmEvent::kThpSplitPageFailed), 1);
  EXPECT_EQ(Layout(kBase, kThp), "O-9[0+1] [hole*1] O-9[2+510]");
  ASSERT_TRUE(model_->DeferredSplitScan(0).ok());
  EXPECT_EQ(Count(VmEvent::kThpSplitPageFailed), 2);
  ASSERT_TRUE(model_->Unpin(1).ok());
  ASSERT_TRUE(model_->DeferredSplitScan(0).ok());
  EXPECT_EQ(Layout(kBase, kThp), "O-0 [hole*1] O-0 x510");
  Verify();
}

// thp_underused(): with max_ptes_none below 511, a THP with more all-zero
// pages than that is split by the shrinker, and its zero pages go to the
// zero page.
TEST_F(DeferredSplitTest, UnderusedThpIsSplitWhenMaxPtesNoneAllows) {
  Start();
  SetKnob(KNOB_MAX_PTES_NONE, 0, KNOB_VALUE_UNSPECIFIED, 64);
  ASSERT_TRUE(model_->MmapAnon(1, kBase, kThp, 3, 2).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_HUGEPAGE).ok());
  ASSERT_TRUE(model_->Touch(1, kBase, 100 * 4096, ACCESS_WRITE).ok());
  ASSERT_TRUE(model_->DeferredSplitScan(0).ok());
  EXPECT_EQ(Count(VmEvent::kThpUnderusedSplitPage), 1);
  EXPECT_EQ(Layout(kBase, kThp), "O-0 x100 [Z*412]");
  Verify();
}

TEST_F(DeferredSplitTest, NotUnderusedAtDefaultMaxPtesNoneLeavesTheQueue) {
  Start();
  ASSERT_TRUE(model_->MmapAnon(1, kBase, kThp, 3, 2).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_HUGEPAGE).ok());
  ASSERT_TRUE(model_->Touch(1, kBase, 4096, ACCESS_WRITE).ok());
  sink_.TakeKinds();
  ASSERT_TRUE(model_->DeferredSplitScan(0).ok());
  EXPECT_EQ(sink_.TakeKinds(), "deferred_remove");
  EXPECT_EQ(Layout(kBase, kThp), "O-9");
}

TEST_F(DeferredSplitTest, ReadFaultMapsTheHugeZeroFolioThenWriteAllocates) {
  Start();
  ASSERT_TRUE(model_->MmapAnon(1, kBase, kThp, 3, 2).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_HUGEPAGE).ok());
  ASSERT_TRUE(model_->Touch(1, kBase, 4096, ACCESS_READ).ok());
  EXPECT_EQ(Layout(kBase, kThp), "[HZ*512]");
  ASSERT_TRUE(model_->Touch(1, kBase, 4096, ACCESS_WRITE).ok());
  EXPECT_EQ(Layout(kBase, kThp), "O-9");
  EXPECT_EQ(PmdMapped(kBase, kThp), 512u);
  Verify();
}

// The THP a write to the huge zero folio faults in is queued as possibly
// underused from v6.18 (captured: anon_pmd_huge_zero_write_underused); in
// 6.13 to 6.17 it was not, so the shrinker never sees it.
TEST_F(DeferredSplitTest, HugeZeroWriteThpQueuedFrom618) {
  for (const char* profile : {"linux-6.18", "linux-6.15"}) {
    SCOPED_TRACE(profile);
    Start(profile);
    SetKnob(KNOB_MAX_PTES_NONE, 0, KNOB_VALUE_UNSPECIFIED, 256);
    ASSERT_TRUE(model_->MmapAnon(1, kBase, kThp, 3, 2).ok());
    ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_HUGEPAGE).ok());
    ASSERT_TRUE(model_->Touch(1, kBase, 4096, ACCESS_READ).ok());
    sink_.TakeKinds();
    ASSERT_TRUE(model_->Touch(1, kBase, 4096, ACCESS_WRITE).ok());
    const bool queued = std::string(profile) == "linux-6.18";
    const std::string kinds = sink_.TakeKinds();
    EXPECT_EQ(kinds.find("deferred_add") != std::string::npos, queued) << kinds;
    ASSERT_TRUE(model_->DeferredSplitScan(0).ok());
    EXPECT_EQ(Layout(kBase, kThp), queued ? "O-0 [Z*511]" : "O-9");
    Verify();
  }
}

TEST_F(DeferredSplitTest, ForkSharesThenCopyOnWrite) {
  Start();
  FaultThps(1);
  ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
  Verify();
  ASSERT_TRUE(model_->Touch(2, kBase + 4096, 4096, ACCESS_WRITE).ok());
  uint64_t pmd;
  EXPECT_EQ(RenderLayout(*model_->RangeLayout(2, kBase, kThp, &pmd)),
            "O-9[0+1] O-0 O-9[2+510]");
  EXPECT_EQ(Layout(kBase, kThp), "O-9");
  Verify();
}

}  // namespace
}  // namespace mmreplay::mm
