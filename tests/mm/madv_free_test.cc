// MADV_FREE (mm/zap.cc, madvise_free_pte_range) by profile: which PTE-mapped
// large folios it splits. The 6.18 cases are also in traces/captured
// (*_madv_free_*).
#include <string>
#include <utility>
#include <vector>

#include "base/page_geometry.h"
#include "tests/mm/model_harness.h"

namespace mmreplay::mm {
namespace {

class MadvFreeTest : public ModelTest {
 protected:
  // A THP at kBase, PTE-mapped by an mprotect of its first page and back.
  void PteMappedThp() {
    FaultThps(1);
    ASSERT_TRUE(model_->Mprotect(1, kBase, kPageSize, PROT_BITS_READ).ok());
    ASSERT_TRUE(
        model_->Mprotect(1, kBase, kPageSize, PROT_BITS_READ | PROT_BITS_WRITE)
            .ok());
    ASSERT_EQ(PmdMapped(kBase, kThp), 0u);
  }
};

// From v6.10 a folio the range covers whole is left whole (and lazily
// freeable); before, every PTE-mapped large folio was split.
TEST_F(MadvFreeTest, WholeFolioIsSplitOnlyBefore610) {
  for (auto [profile, layout] :
       std::vector<std::pair<std::string, std::string>>{
           {"linux-6.18", "O-9"},
           {"linux-6.12", "O-9"},
           {"linux-6.6", "O-0 x512"},
           {"linux-6.1", "O-0 x512"}}) {
    SCOPED_TRACE(profile);
    Start(profile);
    PteMappedThp();
    ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_FREE).ok());
    EXPECT_EQ(Layout(kBase, kThp), layout);
    EXPECT_EQ(Count(VmEvent::kThpSplitPage),
              profile == "linux-6.18" || profile == "linux-6.12" ? 0 : 1);
    Verify();
  }
}

// Before v6.10 a folio whose first page this process no longer maps counts
// as shared (folio_estimated_sharers() is that page's mapcount, 0 here), so
// the walk stops there; from v6.10 a folio covered in part is split.
TEST_F(MadvFreeTest, FolioWithoutItsFirstPageBefore610) {
  for (auto [profile, layout] :
       std::vector<std::pair<std::string, std::string>>{
           {"linux-6.18", "[hole*1] O-0 x511"},
           {"linux-6.6", "[hole*1] O-9[1+511]"}}) {
    SCOPED_TRACE(profile);
    Start(profile);
    PteMappedThp();
    ASSERT_TRUE(model_->Madvise(1, kBase, kPageSize, ADVICE_DONTNEED).ok());
    ASSERT_TRUE(
        model_->Madvise(1, kBase + 5 * kPageSize, 6 * kPageSize, ADVICE_FREE)
            .ok());
    EXPECT_EQ(Layout(kBase, kThp), layout);
    Verify();
  }
}

// Before v6.10 a folio that fails to split ends the page table's walk: of
// 32 order-4 mTHPs covered whole, the first two are split, the pinned third
// is not, and the rest are not looked at. (The switch alone, in an
// otherwise 6.18 profile: the older presets have no mTHP.) From v6.10 none
// is split.
TEST_F(MadvFreeTest, FailedSplitEndsTheWalkBefore610) {
  for (bool keeps : {true, false}) {
    SCOPED_TRACE(keeps);
    Profile profile = *ProfileByName("linux-6.18");
    profile.madv_free_keeps_covered_folios = keeps;
    Start(profile);
    SetKnob(KNOB_ANON_ORDER_ENABLED, 4, KNOB_VALUE_ALWAYS);
    ASSERT_TRUE(model_->MmapAnon(1, kBase, kThp, 3, 2).ok());
    ASSERT_TRUE(model_->Touch(1, kBase, kThp, ACCESS_WRITE).ok());
    ASSERT_EQ(Layout(kBase, kThp), "O-4 x32");
    ASSERT_TRUE(model_->SpeculativeGetAddr(1, 1, kBase + 32 * kPageSize).ok());
    ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_FREE).ok());
    EXPECT_EQ(Layout(kBase, kThp), keeps ? "O-4 x32" : "O-0 x32 O-4 x30");
    Verify();
  }
}

}  // namespace
}  // namespace mmreplay::mm
