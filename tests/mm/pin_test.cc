// GUP (mm/pin.cc): the VMA checks a pin makes (check_vma_flags) and the
// fault it takes where nothing is mapped yet, by the VMA's kind. The shmem
// case is also in traces/captured (shmem_always_foll_pin_unfaulted).
#include "base/page_geometry.h"
#include "tests/mm/model_harness.h"

namespace mmreplay::mm {
namespace {

class PinTest : public ModelTest {
 protected:
  void MapAnon(uint32_t prot) {
    ASSERT_TRUE(model_->MmapAnon(1, kBase, 16 * kPageSize, prot, 2).ok());
    ASSERT_TRUE(
        model_->Madvise(1, kBase, 16 * kPageSize, ADVICE_NOHUGEPAGE).ok());
  }
};

// A FOLL_PIN is for write: GUP fails with EFAULT on a read-only mapping
// (logged: tests/mm/refused_op_test.cc), and maps nothing.
TEST_F(PinTest, FollPinOfAReadOnlyMappingFails) {
  Start();
  MapAnon(PROT_BITS_READ);
  sink_.TakeKinds();
  ASSERT_TRUE(model_->Pin(1, 1, kBase, kPageSize, PIN_KIND_FOLL_PIN).ok());
  EXPECT_EQ(sink_.TakeKinds(), "op_failed");
  EXPECT_EQ(Layout(kBase, 16 * kPageSize), "[hole*16]");
  Verify();
}

// A FOLL_GET reads: on a read-only mapping it faults in the zero page,
// which it does not hold.
TEST_F(PinTest, FollGetOfAReadOnlyMappingReadsTheZeroPage) {
  Start();
  MapAnon(PROT_BITS_READ);
  ASSERT_TRUE(model_->Pin(1, 1, kBase, kPageSize, PIN_KIND_FOLL_GET).ok());
  EXPECT_EQ(Layout(kBase, 2 * kPageSize), "[Z*1] [hole*1]");
  Verify();
}

// check_vma_flags() looks at the VMA, not at what is mapped: a page
// written and then made read-only cannot take a FOLL_PIN either.
TEST_F(PinTest, FollPinOfAPresentReadOnlyPageFails) {
  Start();
  MapAnon(PROT_BITS_READ | PROT_BITS_WRITE);
  ASSERT_TRUE(model_->Touch(1, kBase, kPageSize, ACCESS_WRITE).ok());
  ASSERT_TRUE(model_->Mprotect(1, kBase, 16 * kPageSize, PROT_BITS_READ).ok());
  sink_.TakeKinds();
  ASSERT_TRUE(model_->Pin(1, 1, kBase, kPageSize, PIN_KIND_FOLL_PIN).ok());
  EXPECT_EQ(sink_.TakeKinds(), "op_failed");
  Verify();
}

// A pin that fails part-way holds nothing: what GUP took before the page it
// failed on is given back.
TEST_F(PinTest, FailedPinGivesBackWhatItTook) {
  Start();
  MapAnon(PROT_BITS_READ | PROT_BITS_WRITE);
  ASSERT_TRUE(model_->Touch(1, kBase, 16 * kPageSize, ACCESS_WRITE).ok());
  ASSERT_TRUE(
      model_->Mprotect(1, kBase + 2 * kPageSize, 14 * kPageSize, PROT_BITS_READ)
          .ok());
  sink_.TakeKinds();
  ASSERT_TRUE(model_->Pin(1, 1, kBase, 4 * kPageSize, PIN_KIND_FOLL_PIN).ok());
  EXPECT_EQ(sink_.TakeKinds(), "ref_get ref_get ref_put ref_put op_failed");
  Verify();
  // Nothing pinned: fork shares every page.
  sink_.TakeKinds();
  ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
  EXPECT_EQ(sink_.TakeKinds().find("folio_alloc"), std::string::npos);
}

TEST_F(PinTest, FollGetOfAnInaccessibleMappingFails) {
  Start();
  MapAnon(PROT_BITS_NONE);
  sink_.TakeKinds();
  ASSERT_TRUE(model_->Pin(1, 1, kBase, kPageSize, PIN_KIND_FOLL_GET).ok());
  EXPECT_EQ(sink_.TakeKinds(), "op_failed");
}

// A FOLL_PIN of an unfaulted shared tmpfs mapping faults the page-cache
// folio in (shmem_fault) and pins it there: no anonymous memory.
TEST_F(PinTest, FollPinOfAShmemMappingFaultsThePageCacheFolio) {
  Start();
  ASSERT_TRUE(model_
                  ->FileCreate(1, FILESYSTEM_TMPFS, TMPFS_HUGE_ALWAYS,
                               /*min_order=*/0, /*max_order=*/0)
                  .ok());
  ASSERT_TRUE(model_->Truncate(1, kThp).ok());
  ASSERT_TRUE(model_->MmapFile(1, kBase, kThp, 3, 1, 1, 0).ok());
  ASSERT_TRUE(
      model_->Pin(1, 1, kBase + 5 * kPageSize, kPageSize, PIN_KIND_FOLL_PIN)
          .ok());
  absl::StatusOr<trace::Layout> cached = model_->FileLayout(1, 0, kThp);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(RenderLayout(*cached), "O-9");
  EXPECT_EQ(PmdMapped(kBase, kThp), 512u);
  // The pin holds it: a punch cannot split it.
  ASSERT_TRUE(model_->PunchHole(1, 2 * kPageSize, kPageSize).ok());
  EXPECT_EQ(Count(MthpStat::kSplitFailed, 9), 1);
  Verify();
}

}  // namespace
}  // namespace mmreplay::mm
