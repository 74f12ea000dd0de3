// MAP_SHARED anonymous memory (mm/anon_shmem.cc): an unnamed shmem file per
// mapping, orders from the shmem_enabled knobs, released with its last VMA
// (traces/captured/shared_anon_*).
#include <string>

#include "base/page_geometry.h"
#include "gtest/gtest.h"
#include "tests/mm/model_harness.h"

namespace mmreplay::mm {
namespace {

class AnonShmemTest : public ModelTest {
 protected:
  // MAP_SHARED anonymous memory of `pages` at kBase, MADV_HUGEPAGE or not,
  // written whole.
  void MapWrite(uint64_t pages, bool hugepage) {
    const uint64_t len = pages * kPageSize;
    ASSERT_TRUE(model_->MmapAnon(1, kBase, len, 3, MAP_BITS_SHARED).ok());
    if (hugepage) {
      ASSERT_TRUE(model_->Madvise(1, kBase, len, ADVICE_HUGEPAGE).ok());
    }
    ASSERT_TRUE(model_->Touch(1, kBase, len, ACCESS_WRITE).ok());
  }
};

TEST_F(AnonShmemTest, DefaultKnobsGiveSmallPages) {
  Start();
  MapWrite(512, /*hugepage=*/true);
  EXPECT_EQ(Layout(kBase, kThp), "O-0 x512");
}

TEST_F(AnonShmemTest, AdviseNeedsMadvHugepage) {
  SetKnob(KNOB_SHMEM_ORDER_ENABLED, 9, KNOB_VALUE_ADVISE);
  Start();
  MapWrite(512, /*hugepage=*/false);
  EXPECT_EQ(Layout(kBase, kThp), "O-0 x512");
  ASSERT_TRUE(model_->Munmap(1, kBase, kThp).ok());
  MapWrite(512, /*hugepage=*/true);
  EXPECT_EQ(Layout(kBase, kThp), "O-9");
  EXPECT_EQ(PmdMapped(kBase, kThp), 512u);
}

TEST_F(AnonShmemTest, InheritFollowsTopLevel) {
  SetKnob(KNOB_SHMEM_ENABLED, 0, KNOB_VALUE_ALWAYS);  // PMD size inherits
  Start();
  MapWrite(512, /*hugepage=*/false);
  EXPECT_EQ(Layout(kBase, kThp), "O-9");
}

TEST_F(AnonShmemTest, DenyTurnsEverySizeOff) {
  SetKnob(KNOB_SHMEM_ORDER_ENABLED, 9, KNOB_VALUE_ALWAYS);
  SetKnob(KNOB_SHMEM_ENABLED, 0, KNOB_VALUE_DENY);
  Start();
  MapWrite(512, /*hugepage=*/true);
  EXPECT_EQ(Layout(kBase, kThp), "O-0 x512");
}

TEST_F(AnonShmemTest, WithinSizeStopsAtTheMappingsEnd) {
  SetKnob(KNOB_SHMEM_ORDER_ENABLED, 4, KNOB_VALUE_WITHIN_SIZE);
  Start();
  // 31 pages: one 64K folio fits inside i_size, the second does not.
  MapWrite(31, /*hugepage=*/false);
  EXPECT_EQ(Layout(kBase, 31 * kPageSize), "O-4 O-0 x15");
}

TEST_F(AnonShmemTest, MthpPartialZapKeepsTheFolio) {
  SetKnob(KNOB_SHMEM_ORDER_ENABLED, 4, KNOB_VALUE_ADVISE);
  Start();
  MapWrite(64, /*hugepage=*/true);
  EXPECT_EQ(Layout(kBase, 64 * kPageSize), "O-4 x4");
  ASSERT_TRUE(
      model_->Madvise(1, kBase + 17 * kPageSize, kPageSize, ADVICE_DONTNEED)
          .ok());
  ASSERT_TRUE(model_->DeferredSplitScan(0).ok());
  EXPECT_EQ(Layout(kBase, 64 * kPageSize),
            "O-4 O-4[0+1] [hole*1] O-4[2+14] O-4 x2");
}

TEST_F(AnonShmemTest, ForkSharesThePagesTheLastUnmapFreesThem) {
  Start();
  MapWrite(4, /*hugepage=*/false);
  ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
  ASSERT_TRUE(model_->Touch(2, kBase, kPageSize, ACCESS_WRITE).ok());
  ASSERT_TRUE(model_->ProcessExit(1).ok());
  sink_.TakeKinds();
  // The child still maps the file: nothing freed.
  ASSERT_TRUE(model_->Munmap(2, kBase + kPageSize, kPageSize).ok());
  EXPECT_EQ(sink_.TakeKinds().find("folio_free"), std::string::npos);
  // Its last VMA goes: the file and its four pages with it.
  ASSERT_TRUE(model_->Munmap(2, kBase, 4 * kPageSize).ok());
  const std::string kinds = sink_.TakeKinds();
  size_t frees = 0;
  for (size_t at = kinds.find("folio_free"); at != std::string::npos;
       at = kinds.find("folio_free", at + 1)) {
    ++frees;
  }
  EXPECT_EQ(frees, 4u) << kinds;
  ASSERT_TRUE(model_->Verify().ok());
}

}  // namespace
}  // namespace mmreplay::mm
